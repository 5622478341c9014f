"""The public differentiation API: jvp, linearize, vjp, grad, jacobians, hessian.

Reverse mode is linearize followed by transposition (see
:mod:`functrans.transforms.ad`); nothing here differentiates by hand.
"""
import functools

import numpy as np

from functrans import core, dtypes, tree
from functrans.errors import at_user_line
from functrans.ir import dead_code_elimination, eval_ir
from functrans.tangent_arithmetic import reshape, slice, transpose
from functrans.tracing import fix_arguments, flatten_function, trace_to_ir
from functrans.transforms import ad
from functrans.transforms.vmap import batched_at_front, vmap_flat, vmap_flat_to
from functrans.validation import check_argnums


def _flat(function, args):
    leaves, treedef = tree.flatten((tuple(args), {}))
    flat_function, out_tree = flatten_function(function, treedef)
    return leaves, flat_function, out_tree


def _check_tangents(primal_leaves, tangent_leaves, primal_tree, tangent_tree, where):
    if primal_tree != tangent_tree:
        raise TypeError(at_user_line(
            f"{where}: primals and tangents must have the same structure, got "
            f"{primal_tree} and {tangent_tree}"))
    tangents = []
    for index, (primal, tangent) in enumerate(zip(primal_leaves, tangent_leaves)):
        primal_aval, tangent_aval = core.get_aval(primal), core.get_aval(tangent)
        expected = dtypes.tangent_dtype(primal_aval.dtype)
        if primal_aval.shape != tangent_aval.shape or (
                tangent_aval.dtype != expected and not tangent_aval.weak_type):
            raise TypeError(at_user_line(
                f"{where}: tangent {index} has type {tangent_aval.str_short()} but its primal "
                f"{primal_aval.str_short()} needs a tangent of shape {primal_aval.shape} and dtype "
                f"{expected.name if expected != dtypes.float0 else 'float0 (integer inputs)'}"))
        if expected == dtypes.float0:
            tangents.append(None)
        elif tangent_aval.dtype != expected:
            tangents.append(np.asarray(tangent, expected)[()])
        else:
            tangents.append(tangent)
    return tangents


def _zeros_for_none(values, like):
    return [ad.instantiate(v, p) for v, p in zip(values, like)]


def jvp(function, primals, tangents):
    """``(function(*primals), J·tangents)``: forward-mode derivative.

    >>> import functrans.numpy as fnp
    >>> jvp(fnp.sin, (0.0,), (1.0,))
    (np.float64(0.0), np.float64(1.0))
    """
    primals, tangents = tuple(primals), tuple(tangents)
    primal_leaves, primal_tree = tree.flatten(primals)
    tangent_leaves, tangent_tree = tree.flatten(tangents)
    tangent_leaves = _check_tangents(primal_leaves, tangent_leaves, primal_tree, tangent_tree, "jvp")
    leaves, flat_function, out_tree = _flat(function, primals)
    primals_out, tangents_out = ad.jvp_flat(flat_function, leaves, tangent_leaves)
    treedef = out_tree()
    return (tree.unflatten(treedef, primals_out),
            tree.unflatten(treedef, _zeros_for_none(tangents_out, primals_out)))


class LinearFunction:
    """A linear map held as a linear IR: call it, print it, or transpose it."""

    def __init__(self, linear_ir, in_tree, out_tree, in_avals):
        self.ir = linear_ir
        self.in_tree = in_tree
        self.out_tree = out_tree
        self.in_avals = in_avals

    def __call__(self, *tangents):
        leaves, treedef = tree.flatten(tangents)
        if treedef != self.in_tree:
            raise TypeError(at_user_line(
                f"this linear function takes tangents of structure {self.in_tree}, "
                f"got {treedef}"))
        return tree.unflatten(self.out_tree, eval_ir(self.ir, *leaves))

    def __repr__(self):
        return f"LinearFunction:\n{self.ir}"


def linearize(function, *primals):
    """``(function(*primals), f_jvp)`` where ``f_jvp`` is the linear map J, recorded as a linear IR.

    >>> import functrans.numpy as fnp
    >>> y, f_jvp = linearize(fnp.sin, 0.0)
    >>> f_jvp(2.0)
    np.float64(2.0)
    """
    leaves, flat_function, out_tree = _flat(function, primals)
    primals_out, linear_ir, _ = ad.linearize_flat(flat_function, leaves)
    treedef = out_tree()
    in_tree = tree.structure(primals)
    return (tree.unflatten(treedef, primals_out),
            LinearFunction(linear_ir, in_tree, treedef, [core.get_aval(x) for x in leaves]))


def vjp(function, *primals, has_aux=False):
    """``(function(*primals), pullback)``; ``pullback(cotangent)`` is the tuple of ``cotangent·J``.

    With ``has_aux``, ``function`` returns ``(output, aux)`` and vjp returns ``(output, pullback, aux)``.
    """
    leaves, flat_function, out_tree = _flat(function, primals)
    primals_out, linear_ir, _ = ad.linearize_flat(flat_function, leaves)
    output_tree = out_tree()
    aux = None
    if has_aux:
        output_tree, primals_out, aux = _split_aux(output_tree, primals_out, "vjp")
        linear_ir = linear_ir_outputs(linear_ir, len(primals_out))
    in_tree = tree.structure(primals)
    out_avals = [core.get_aval(x) for x in primals_out]

    def pullback(cotangent):
        cotangent_leaves, cotangent_tree = tree.flatten(cotangent)
        if cotangent_tree != output_tree:
            raise TypeError(at_user_line(
                f"vjp pullback: the cotangent must have the output's structure "
                f"{output_tree}, got {cotangent_tree}"))
        for index, (ct, aval) in enumerate(zip(cotangent_leaves, out_avals)):
            ct_aval = core.get_aval(ct)
            expected = dtypes.tangent_dtype(aval.dtype)
            if ct_aval.shape != aval.shape or (ct_aval.dtype != expected and not ct_aval.weak_type):
                raise TypeError(at_user_line(
                    f"vjp pullback: cotangent {index} is {ct_aval.str_short()}, but the output is "
                    f"{aval.str_short()}; a cotangent has its output's shape and dtype "
                    f"({expected.name})"))
        cotangent_leaves = [np.asarray(ct, dtypes.tangent_dtype(aval.dtype))[()]
                            if core.is_python_scalar(ct) else ct
                            for ct, aval in zip(cotangent_leaves, out_avals)]
        cotangents_in = ad.backward_pass(linear_ir, cotangent_leaves)
        return tree.unflatten(in_tree, _zeros_for_none(cotangents_in, leaves))

    output = tree.unflatten(output_tree, primals_out)
    return (output, pullback, aux) if has_aux else (output, pullback)


def linear_ir_outputs(linear_ir, count):
    """The linear IR keeping only its first ``count`` outputs."""
    return dead_code_elimination(linear_ir, [i < count for i in range(len(linear_ir.out_vars))])


def _split_aux(output_tree, leaves, where):
    if output_tree.num_leaves == 0 or not _is_pair(output_tree):
        raise TypeError(at_user_line(
            f"{where} with has_aux=True needs the function to return a pair "
            f"(output, aux), got a result of structure {output_tree}"))
    output, aux = tree.unflatten(output_tree, leaves)
    output_leaves, new_tree = tree.flatten(output)
    return new_tree, output_leaves, aux


def _is_pair(treedef):
    placeholder = tree.unflatten(treedef, [0] * treedef.num_leaves)
    return isinstance(placeholder, (tuple, list)) and len(placeholder) == 2


def _normalize_argnums(argnums, count, where):
    single, numbers = check_argnums(argnums, where)
    for number in numbers:
        if not -count <= number < count:
            raise ValueError(at_user_line(
                f"{where}: argnums={argnums!r} is out of range for a call with {count} positional "
                f"argument{'s' if count != 1 else ''}"))
    normalized = tuple(n % count for n in numbers)
    if len(set(normalized)) != len(normalized):
        raise ValueError(at_user_line(
            f"{where}: argnums={argnums!r} names an argument twice; each argument can be "
            "differentiated once: list each position once (argnums=(0, 1))"))
    return single, normalized


def _check_differentiable(args, argnums, function, where):
    for number in argnums:
        for leaf in tree.leaves(args[number]):
            dtype = core.get_aval(leaf).dtype
            if not dtypes.is_inexact(dtype):
                name = getattr(function, "__name__", "the function")
                raise TypeError(at_user_line(
                    f"{where} needs floating-point inputs to differentiate, but argument {number} "
                    f"of {name} holds a {dtype.name} value. Pass floats (e.g. x.astype(float) or "
                    "2.0 instead of 2), or leave the integer argument out of argnums."))


def _check_complex_inputs(args, argnums, where, holomorphic, complex_allowed=True):
    """JAX's rules for complex inputs: holomorphic=True needs them complex; jacfwd without it
    needs them real (its basis would miss the imaginary directions)."""
    for number in argnums:
        for leaf in tree.leaves(args[number]):
            dtype = core.get_aval(leaf).dtype
            if holomorphic and dtype.kind != "c":
                raise TypeError(at_user_line(
                    f"{where} with holomorphic=True needs complex inputs, but argument {number} "
                    f"holds a {dtype.name} value; convert it (x.astype(complex)) or drop "
                    "holomorphic=True"))
            if not holomorphic and not complex_allowed and dtype.kind == "c":
                raise TypeError(at_user_line(
                    f"{where} needs real inputs, but argument {number} holds a {dtype.name} "
                    f"value. For a holomorphic function pass holomorphic=True; for a "
                    "non-holomorphic function of complex inputs use jvp (or jacrev)."))


def _check_complex_outputs(outputs, where, holomorphic):
    """JAX's rules for complex outputs of reverse mode: complex only with holomorphic=True
    (the pullback of 1 gives the derivative only for a holomorphic function)."""
    for leaf in tree.leaves(outputs):
        dtype = core.get_aval(leaf).dtype
        if holomorphic and dtype.kind != "c":
            raise TypeError(at_user_line(
                f"{where} with holomorphic=True needs complex outputs, but the function "
                f"returned a {dtype.name} value"))
        if not holomorphic and dtype.kind == "c":
            raise TypeError(at_user_line(
                f"{where} needs real outputs, but the function returned a {dtype.name} value. "
                "For a holomorphic function pass holomorphic=True; for a non-holomorphic "
                "function with complex outputs use vjp directly."))


def value_and_grad(function, argnums=0, has_aux=False, holomorphic=False):
    """``(function(*args), gradient)`` for a function with a real scalar output.

    >>> import functrans.numpy as fnp
    >>> value_and_grad(lambda x: fnp.sum(x ** 2))(np.array([1.0, 2.0]))
    (np.float64(5.0), array([2., 4.]))

    Complex inputs follow JAX: for a real ``f(x + iy)`` the gradient is
    ``df/dx - i df/dy``; with ``holomorphic=True`` a complex output is allowed and the
    gradient is the complex derivative ``f'(z)``.
    """
    @functools.wraps(function)
    def value_and_grad_function(*args, **kwargs):
        single, numbers = _normalize_argnums(argnums, len(args), "grad")
        _check_differentiable(args, numbers, function, "grad")
        _check_complex_inputs(args, numbers, "grad", holomorphic)
        partial_function = fix_arguments(function, args, numbers, kwargs)
        differentiated = [args[n] for n in numbers]
        result = vjp(partial_function, *differentiated, has_aux=has_aux)
        value, pullback = result[0], result[1]
        _check_scalar_output(value, function, holomorphic)
        gradients = pullback(np.ones((), core.get_aval(value).dtype)[()])
        gradients = gradients[0] if single else gradients
        if has_aux:
            return (value, result[2]), gradients
        return value, gradients

    return value_and_grad_function


def _check_scalar_output(value, function, holomorphic):
    leaves, _ = tree.flatten(value)
    name = getattr(function, "__name__", "the function")
    if len(leaves) != 1:
        raise TypeError(at_user_line(
            f"grad needs {name} to return one scalar, but it returned {len(leaves)} values; "
            "use jacrev or vjp for several outputs (or has_aux=True to return extra data)"))
    aval = core.get_aval(leaves[0])
    if aval.dtype.kind in "biu":
        kind = "a boolean" if aval.dtype.kind == "b" else "an integer"
        raise TypeError(at_user_line(
            f"grad needs {name} to return a real float scalar, but it returned {kind} value "
            f"({aval.str_short()}), and such outputs are not differentiable. Return a float "
            "(e.g. compute the loss without comparisons or argmax, or .astype(float) if a zero "
            "gradient is what you mean)"))
    if aval.shape == () and aval.dtype.kind in "fc":
        _check_complex_outputs(leaves, "grad", holomorphic)
    if aval.shape != () or aval.dtype.kind not in "fc":
        raise TypeError(at_user_line(
            f"grad needs {name} to return a real scalar, but it returned {aval.str_short()}; "
            "reduce it (e.g. .sum() or .mean()), or use jacrev / vjp for non-scalar outputs"))


def grad(function, argnums=0, has_aux=False, holomorphic=False):
    """The gradient of a function with a real scalar output (a complex one with
    ``holomorphic=True``; see :func:`value_and_grad` for complex inputs).

    >>> import functrans.numpy as fnp
    >>> grad(fnp.sin)(0.0)
    np.float64(1.0)
    >>> grad(lambda z: z * z, holomorphic=True)(3.0 + 1.0j)
    np.complex128(6+2j)
    """
    value_and_grad_function = value_and_grad(function, argnums, has_aux, holomorphic)

    @functools.wraps(function)
    def grad_function(*args, **kwargs):
        value, gradients = value_and_grad_function(*args, **kwargs)
        return (gradients, value[1]) if has_aux else gradients

    return grad_function


def _basis(leaves):
    """A batch of standard basis vectors over all ``leaves`` together.

    Returns one array per leaf, of shape ``(total_size, *leaf.shape)``: row k is
    the k-th basis vector of the flattened, concatenated inputs.
    """
    sizes = [core.get_aval(leaf).size for leaf in leaves]
    total = sum(sizes)
    identity_rows = np.eye(total)
    vectors, offset = [], 0
    for leaf, size in zip(leaves, sizes):
        aval = core.get_aval(leaf)
        block = identity_rows[:, offset:offset + size].astype(aval.dtype)
        vectors.append(block.reshape((total,) + aval.shape))
        offset += size
    return vectors, sizes


def _jacobian_blocks(batched_results, out_leaves, in_leaves, sizes, basis_over_inputs):
    """Split the vmapped results into one block per (output, input) leaf pair.

    ``basis_over_inputs``: the batch runs over input positions (jacfwd) rather than
    output positions (jacrev). Built from primitives so the Jacobian is differentiable.
    """
    blocks = []
    for out_index, out_leaf in enumerate(out_leaves):
        out_shape = core.get_aval(out_leaf).shape
        row, offset = [], 0
        for in_index, (in_leaf, size) in enumerate(zip(in_leaves, sizes)):
            in_shape = core.get_aval(in_leaf).shape
            if basis_over_inputs:
                # (total_in, *out_shape): rows of this input, moved to the back.
                part = batched_results[out_index]
                part = slice(part, (offset,) + (0,) * len(out_shape),
                                 (offset + size,) + out_shape)
                part = transpose(part, tuple(range(1, len(out_shape) + 1)) + (0,))
                offset += size
            else:
                # (total_out, *in_shape): rows of this output.
                start = sum(core.get_aval(o).size for o in out_leaves[:out_index])
                part = batched_results[in_index]
                part = slice(part, (start,) + (0,) * len(in_shape),
                                 (start + core.get_aval(out_leaf).size,) + in_shape)
            row.append(reshape(part, out_shape + in_shape))
        blocks.append(row)
    return blocks


def _differentiated_arguments(function, args, kwargs, argnums, where, holomorphic):
    """``function`` as a flat function of the arguments ``argnums``: what Jacobians start from."""
    single, numbers = _normalize_argnums(argnums, len(args), where)
    _check_differentiable(args, numbers, function, where)
    _check_complex_inputs(args, numbers, where, holomorphic, complex_allowed=where == "jacrev")
    partial_function = fix_arguments(function, args, numbers, kwargs)
    differentiated = tuple(args[n] for n in numbers)
    in_leaves, in_tree = tree.flatten(differentiated)
    _, flat_function, out_tree = _flat(partial_function, differentiated)
    return single, in_leaves, in_tree, flat_function, out_tree


def jacfwd(function, argnums=0, holomorphic=False):
    """The Jacobian by forward mode: the JVP vmapped over input basis vectors.

    The result has the output's structure, each leaf of shape
    ``output.shape + input.shape`` (a tuple over inputs when ``argnums`` is a tuple).
    Inputs are real, or complex with ``holomorphic=True`` (then the entries are the
    complex derivatives, as in JAX).
    """
    @functools.wraps(function)
    def jacobian_function(*args, **kwargs):
        single, in_leaves, in_tree, flat_function, out_tree = _differentiated_arguments(
            function, args, kwargs, argnums, "jacfwd", holomorphic)
        basis, sizes = _basis(in_leaves)
        count = len(basis)

        def outputs_and_tangents(*tangents):
            outputs, tangents_out = ad.jvp_flat(flat_function, in_leaves, list(tangents))
            return outputs + _zeros_for_none(tangents_out, outputs)

        results, axes = vmap_flat(outputs_and_tangents, basis, [0] * count, sum(sizes))
        half = len(results) // 2
        primals_out = results[:half]  # the same for every basis vector: unbatched
        if holomorphic:
            _check_complex_outputs(primals_out, "jacfwd", holomorphic)
        tangents = [batched_at_front(t, a, sum(sizes)) for t, a in zip(results[half:], axes[half:])]
        blocks = _jacobian_blocks(tangents, primals_out, in_leaves, sizes, True)
        return _assemble(blocks, out_tree(), in_tree, single)

    return jacobian_function


def jacrev(function, argnums=0, holomorphic=False):
    """The Jacobian by reverse mode: the pullback vmapped over output basis vectors.

    Outputs are real, or complex with ``holomorphic=True`` (as in JAX).
    """
    @functools.wraps(function)
    def jacobian_function(*args, **kwargs):
        single, in_leaves, in_tree, flat_function, out_tree = _differentiated_arguments(
            function, args, kwargs, argnums, "jacrev", holomorphic)
        primals_out, linear_ir, _ = ad.linearize_flat(flat_function, in_leaves)
        _check_complex_outputs(primals_out, "jacrev", holomorphic)
        basis, sizes = _basis(primals_out)

        def pullback(*cotangents):
            return _zeros_for_none(ad.backward_pass(linear_ir, list(cotangents)), in_leaves)

        batched = vmap_flat_to(pullback, basis, [0] * len(basis), sum(sizes))
        in_sizes = [core.get_aval(x).size for x in in_leaves]
        blocks = _jacobian_blocks(batched, primals_out, in_leaves, in_sizes, False)
        return _assemble(blocks, out_tree(), in_tree, single)

    return jacobian_function


def _assemble(blocks, out_tree, in_tree, single):
    assembled = []
    for row in blocks:
        jacobians = tree.unflatten(in_tree, row)
        assembled.append(jacobians[0] if single else jacobians)
    return tree.unflatten(out_tree, assembled)


def hessian(function, argnums=0, holomorphic=False):
    """``jacfwd(jacrev(function))``: the matrix of second derivatives."""
    return jacfwd(jacrev(function, argnums, holomorphic), argnums, holomorphic)


def linear_transpose(function, *primals):
    """The transpose of a linear ``function``, at the shapes and dtypes of ``primals``.

    >>> import functrans.numpy as fnp
    >>> transpose = linear_transpose(lambda x: 2.0 * x, 1.0)
    >>> transpose(3.0)
    (np.float64(6.0),)
    """
    leaves, flat_function, out_tree = _flat(function, primals)
    in_tree = tree.structure(primals)
    in_avals = [core.get_aval(x) for x in leaves]
    for index, aval in enumerate(in_avals):
        if not dtypes.is_inexact(aval.dtype):
            raise TypeError(at_user_line(
                f"linear_transpose: input {index} is {aval.str_short()}; linear "
                "functions take floating-point inputs"))
    linear_ir = trace_to_ir(flat_function, in_avals)
    output_tree = out_tree()

    def transposed(*cotangents):
        cotangent_leaves, cotangent_tree = tree.flatten(cotangents[0] if len(cotangents) == 1
                                                        else cotangents)
        if cotangent_tree != output_tree:
            raise TypeError(at_user_line(
                f"linear_transpose: cotangents must have the output structure "
                f"{output_tree}, got {cotangent_tree}"))
        cotangents_in = ad.backward_pass(linear_ir, cotangent_leaves)
        return tree.unflatten(in_tree, [ad.zeros_like_aval(a) if c is None else c
                                        for c, a in zip(cotangents_in, in_avals)])

    return transposed
