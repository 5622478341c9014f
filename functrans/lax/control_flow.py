"""Structured control flow: cond, switch, while_loop, fori_loop, scan.

Each is a primitive holding its bodies as sub-IRs, so every transform sees
the whole loop or branch: jvp and vmap rewrite the bodies, linearize splits
them into the part computed now and the linear rest, transposition runs a
scan backwards, and jit lowers them to real loops and branches inside the
compiled code. Values the bodies close over are hoisted into explicit inputs.
"""
import numpy as np

from functrans import core, tree
from functrans.errors import at_user_line
from functrans.ir import IR, Var, depends_on, eval_ir
from functrans.lax import elementwise as ew
from functrans.lax.reductions import reduce_or
from functrans.lax.shapes import broadcast_in_dim
from functrans.lowering import rules as lowering_rules
from functrans.tracing import flatten_function, trace_to_ir
from functrans.transforms import ad, vmap
from functrans.transforms.partial_eval import partial_eval_ir, partial_eval_rules


# --- shared helpers --------------------------------------------------------------------

def _trace_body(function, in_tree, avals):
    """``(ir, consts, out_tree)``: the body's IR with its closed-over values as leading inputs."""
    flat_function, out_tree = flatten_function(function, in_tree)
    ir, consts = trace_to_ir(flat_function, avals).hoist_consts()
    return ir, consts, out_tree()


def _trace_flat(flat_function, avals):
    """A flat list-to-list function as an IR, constants hoisted: ``(ir, consts)``."""
    return trace_to_ir(flat_function, avals).hoist_consts()


def _avals(leaves):
    return [core.get_aval(x) for x in leaves]


def _mismatch(what, expected_tree, got_tree, expected_avals, got_avals, names):
    if expected_tree != got_tree:
        return f"{what}: {names[1]} has structure {got_tree}, {names[0]} has {expected_tree}"
    for index, (expected, got) in enumerate(zip(expected_avals, got_avals)):
        if expected.shape != got.shape or expected.dtype != got.dtype:
            return (f"{what}: leaf {index} of {names[1]} is {got.str_short()}, but "
                    f"{names[0]} has {expected.str_short()}")
    return None


def _is_float(aval):
    return aval.dtype.kind in "fc"


def _zeros(aval):
    return ad.zeros_like_aval(ad.tangent_aval(aval))


def _split(values, *counts):
    parts, start = [], 0
    for count in counts:
        parts.append(list(values[start:start + count]))
        start += count
    parts.append(list(values[start:]))
    return parts


# --- switch and cond ------------------------------------------------------------------

cond_p = core.Primitive("cond", multiple_results=True)


@cond_p.def_impl
def _cond_impl(index, *operands, branches):
    return eval_ir(branches[int(np.clip(index, 0, len(branches) - 1))], *operands)


@cond_p.def_abstract_eval
def _cond_abstract_eval(index, *operands, branches):
    return branches[0].out_avals


def _widen_to_common_inputs(traced):
    """Every branch takes every branch's constants, then the operands: one input list for all."""
    all_consts = [c for _, consts, _ in traced for c in consts]
    widened, offset = [], 0
    for ir, consts, _ in traced:
        count = len(consts)
        before = [Var(core.get_aval(c)) for c in all_consts[:offset]]
        after = [Var(core.get_aval(c)) for c in all_consts[offset + count:]]
        widened.append(IR([], [], before + ir.in_vars[:count] + after + ir.in_vars[count:],
                          ir.equations, ir.out_vars))
        offset += count
    return widened, all_consts


def switch(index, branches, *operands):
    """``branches[index](*operands)``, the index clamped into range; it may be traced.

    >>> import functrans.numpy as fnp
    >>> float(switch(1, [fnp.sin, fnp.cos, fnp.tan], 0.0))
    1.0
    """
    branches = list(branches)
    if not branches:
        raise ValueError("switch needs at least one branch")
    index_aval = core.get_aval(index)
    if index_aval.shape != () or index_aval.dtype.kind not in "biu":
        raise TypeError(at_user_line(
            f"switch needs a scalar integer index, got {index_aval.str_short()}; for a choice per "
            "element use functrans.numpy.where"))
    index = ew.convert_element_type(index, np.int32)
    leaves, in_tree = tree.flatten((operands, {}))
    traced = [_trace_body(branch, in_tree, _avals(leaves)) for branch in branches]
    first_ir, _, first_tree = traced[0]
    for number, (ir, _, out_tree) in enumerate(traced[1:], start=1):
        problem = _mismatch("switch/cond branches must return the same types", first_tree,
                            out_tree, first_ir.out_avals, ir.out_avals,
                            ("branch 0", f"branch {number}"))
        if problem:
            raise TypeError(at_user_line(problem))
    branch_irs, consts = _widen_to_common_inputs(traced)
    outputs = cond_p.bind(index, *consts, *leaves, branches=tuple(branch_irs))
    return tree.unflatten(first_tree, outputs)


def cond(predicate, true_function, false_function, *operands):
    """``true_function(*operands)`` if ``predicate`` else ``false_function(*operands)``.

    For a traced predicate (under jit, or to differentiate through the branch); a batched
    predicate under vmap evaluates both branches and selects per element.
    """
    aval = core.get_aval(predicate)
    if aval.shape != ():
        raise TypeError(at_user_line(
            f"cond needs a scalar predicate, got {aval.str_short()}; for a choice per element "
            "use functrans.numpy.where"))
    if aval.dtype != np.bool_:
        raise TypeError(at_user_line(
            f"cond needs a boolean predicate, got {aval.str_short()}; compare explicitly, "
            "e.g. `x > 0`, or use switch for an integer index"))
    return switch(predicate, [false_function, true_function], *operands)


def _cond_jvp(primals, tangents, *, branches):
    index, operands = primals[0], primals[1:]
    operand_tangents = tangents[1:]
    nonzero = [t is not None for t in operand_tangents]
    out_float = [_is_float(a) for a in branches[0].out_avals]
    jvp_branches = []
    for branch in branches:
        def outputs_and_tangents(*values, branch=branch):
            primal_values, tangent_values = values[:len(operands)], iter(values[len(operands):])
            outputs, tangents_out = ad.jvp_flat(
                lambda *xs: eval_ir(branch, *xs), primal_values,
                [next(tangent_values) if n else None for n in nonzero])
            return outputs + [ad.instantiate(t, o) for t, o, f in
                              zip(tangents_out, outputs, out_float) if f]
        arguments = list(operands) + [t for t in operand_tangents if t is not None]
        jvp_branches.append(_trace_flat(outputs_and_tangents, _avals(arguments)))
    widened, consts = _widen_to_common_inputs([(ir, c, None) for ir, c in jvp_branches])
    arguments = list(operands) + [t for t in operand_tangents if t is not None]
    results = cond_p.bind(index, *consts, *arguments, branches=tuple(widened))
    count = len(branches[0].out_vars)
    float_tangents = iter(results[count:])
    return results[:count], [next(float_tangents) if f else None for f in out_float]


def _partial_eval_branches(branches, unknown_inputs):
    """Split every branch alike; an output unknown in any branch is unknown in all.

    Returns ``(known_branches, unknown_branches, unknown_outputs, residual_count)``, the
    branches as ``(ir, consts)`` pairs. Every
    known branch returns the known outputs, then one slot for each residual of every branch
    (zeros in the slots of the others); every unknown branch takes all those slots, then the
    unknown operands.
    """
    first_pass = [partial_eval_ir(branch, unknown_inputs)[3] for branch in branches]
    unknown_outputs = [any(flags[i] for flags in first_pass) for i in range(len(first_pass[0]))]
    parts = []
    for branch in branches:
        known_ir, known_consts, unknown_ir, _, residual_count = partial_eval_ir(
            branch, unknown_inputs, unknown_outputs)
        parts.append((known_ir, known_consts, unknown_ir, residual_count))
    slot_avals = [v.aval for _, _, unknown, count in parts for v in unknown.in_vars[:count]]
    known_branches, unknown_branches, offset = [], [], 0
    for known_part, known_consts, unknown_part, count in parts:
        def known_function(*values, known_part=known_part, known_consts=known_consts,
                           offset=offset, count=count):
            results = eval_ir(known_part, *known_consts, *values)
            outputs, own = results[:len(results) - count], results[len(results) - count:]
            return (outputs + [ad.zeros_like_aval(a) for a in slot_avals[:offset]] + own
                    + [ad.zeros_like_aval(a) for a in slot_avals[offset + count:]])

        def unknown_function(*values, unknown_part=unknown_part, offset=offset, count=count):
            slots, operands = values[:len(slot_avals)], values[len(slot_avals):]
            return eval_ir(unknown_part, *slots[offset:offset + count], *operands)

        known_branches.append(_trace_flat(known_function,
                                          known_part.in_avals[len(known_consts):]))
        unknown_branches.append(_trace_flat(unknown_function,
                                            slot_avals + unknown_part.in_avals[count:]))
        offset += count
    return known_branches, unknown_branches, unknown_outputs, len(slot_avals)


def _cond_partial_eval(trace, args, params):
    branches = params["branches"]
    index, operands = args[0], args[1:]
    if trace.is_unknown(index):
        return trace.stage(cond_p, args, params)
    unknown_inputs = [trace.is_unknown(x) for x in operands]
    known_branches, unknown_branches, unknown_outputs, residual_count = \
        _partial_eval_branches(branches, unknown_inputs)
    known_operands = [x for x, u in zip(operands, unknown_inputs) if not u]
    known_branches, known_consts = _widen_to_common_inputs([(ir, c, None) for ir, c in known_branches])
    unknown_branches, unknown_consts = _widen_to_common_inputs(
        [(ir, c, None) for ir, c in unknown_branches])
    known_results = trace.run_under_parent(cond_p.bind, index, *known_consts, *known_operands,
                                           branches=tuple(known_branches))
    known_count = len(known_results) - residual_count
    known_outputs, residuals = known_results[:known_count], known_results[known_count:]
    unknown_operands = [x for x, u in zip(operands, unknown_inputs) if u]
    unknown_results = iter(trace.stage(cond_p, [index] + unknown_consts + residuals + unknown_operands,
                                       {"branches": tuple(unknown_branches)}))
    known_outputs = iter(known_outputs)
    return [next(unknown_results) if u else next(known_outputs) for u in unknown_outputs]


def _cond_transpose(cotangents, index, *operands, branches):
    linear = [ad.is_undefined(x) for x in operands]
    known = [x for x in operands if not ad.is_undefined(x)]
    cotangents = [_zeros(a) if c is None else c for c, a in zip(cotangents, branches[0].out_avals)]
    transposed = []
    for branch in branches:
        def backward(*values, branch=branch):
            known_values = iter(values[:len(known)])
            inputs = [x if is_linear else next(known_values) for x, is_linear in zip(operands, linear)]
            results = ad.backward_pass(branch, list(values[len(known):]), inputs)
            return [ad.instantiate(c, ad.zeros_like_aval(x.aval))
                    for c, x, is_linear in zip(results, operands, linear) if is_linear]
        transposed.append(_trace_flat(backward, _avals(known + cotangents)))
    widened, consts = _widen_to_common_inputs([(ir, c, None) for ir, c in transposed])
    results = iter(cond_p.bind(index, *consts, *known, *cotangents, branches=tuple(widened)))
    return [None] + [next(results) if is_linear else None for is_linear in linear]


def _cond_batch(values, batch_axes, *, branches):
    index, operands = values[0], values[1:]
    index_axis, operand_axes = batch_axes[0], batch_axes[1:]
    size = vmap.batch_size(values, batch_axes)
    if index_axis is None:
        batched = [vmap.batch_ir(branch, operand_axes, size) for branch in branches]
        widened, consts = _widen_to_common_inputs([(ir, c, None) for ir, c in batched])
        outputs = cond_p.bind(index, *consts, *operands, branches=tuple(widened))
        return outputs, [0] * len(outputs)
    # A predicate per element: compute every branch for the whole batch, then select.
    index = vmap.move_axis(index, index_axis, 0)
    index = ew.max(ew.min(index, len(branches) - 1), 0)
    results = [vmap.vmap_flat_to(lambda *xs, b=b: eval_ir(b, *xs), operands, operand_axes, size)
               for b in branches]
    chosen = results[0]
    for number, result in enumerate(results[1:], start=1):
        chosen = [ew.select(broadcast_in_dim(ew.eq(index, number), core.get_aval(r).shape, (0,)),
                            r, c) for r, c in zip(result, chosen)]
    return chosen, [0] * len(chosen)


# Lowered: sub-IRs become functions of the generated module, called from real loops.
def _unpack(writer, call, outputs):
    """``outputs = call`` for a call returning a tuple."""
    results = writer.fresh("results")
    writer.line(f"{results} = {call}")
    for position, out in enumerate(outputs):
        writer.line(f"{out} = {results}[{position}]")


def _emit_cond(writer, equation, operands, outputs):
    index, *arguments = operands
    branches = equation.params["branches"]
    names = [writer.subfunction(branch, "branch") for branch in branches]
    arguments = ", ".join(arguments)
    if len(names) == 1:
        _unpack(writer, f"{names[0]}({arguments})", outputs)
        return
    chosen = writer.fresh("chosen")
    writer.line(f"{chosen} = min(max({index}, 0), {len(names) - 1})")
    for number, name in enumerate(names):
        header = ("if" if number == 0 else "elif") + f" {chosen} == {number}:"
        if number == len(names) - 1:
            header = "else:"
        with writer.block(header):
            _unpack(writer, f"{name}({arguments})", outputs)


ad.jvp_rules[cond_p] = _cond_jvp
ad.transpose_rules[cond_p] = _cond_transpose
partial_eval_rules[cond_p] = _cond_partial_eval
vmap.batch_rules[cond_p] = _cond_batch
lowering_rules.emit_rules[cond_p] = _emit_cond


# --- while_loop -----------------------------------------------------------------------

while_p = core.Primitive("while", multiple_results=True)


@while_p.def_impl
def _while_impl(*args, cond_ir, body_ir, cond_consts, body_consts):
    cond_constants, body_constants, carry = _split(args, cond_consts, body_consts)
    while eval_ir(cond_ir, *cond_constants, *carry)[0]:
        carry = eval_ir(body_ir, *body_constants, *carry)
    return carry


while_p.def_abstract_eval(lambda *avals, body_ir, **params: body_ir.out_avals)


def _check_carry(what, in_tree, out_tree, in_avals, out_avals):
    problem = _mismatch(
        f"{what}: the body must return a carry of the structure, shapes and dtypes it takes",
        in_tree, out_tree, in_avals, out_avals, ("the initial carry", "the body's result"))
    if problem:
        raise TypeError(at_user_line(problem))


def while_loop(cond_function, body_function, init_value):
    """``while cond_function(value): value = body_function(value)``, as one primitive.

    Differentiable in forward mode; for reverse mode use :func:`scan`, or :func:`fori_loop`
    with a trip count known when tracing.
    """
    leaves, in_tree = tree.flatten(init_value)
    avals = _avals(leaves)
    carry_tree = tree.structure(((init_value,), {}))
    cond_ir, cond_constants, _ = _trace_body(cond_function, carry_tree, avals)
    outputs = cond_ir.out_avals
    if len(outputs) != 1 or outputs[0].shape != () or outputs[0].dtype != np.bool_:
        got = ", ".join(a.str_short() for a in outputs) or "nothing"
        raise TypeError(at_user_line(
            f"while_loop's condition must return one boolean scalar, got {got}; compare "
            "explicitly, e.g. `i < n`"))
    body_ir, body_constants, body_tree = _trace_body(body_function, carry_tree, avals)
    _check_carry("while_loop", in_tree, body_tree, avals, body_ir.out_avals)
    results = while_p.bind(*cond_constants, *body_constants, *leaves, cond_ir=cond_ir,
                           body_ir=body_ir, cond_consts=len(cond_constants),
                           body_consts=len(body_constants))
    return tree.unflatten(in_tree, results)


def _carry_fixed_point(body_ir, const_flags, carry_flags, x_flags, count):
    """Carry flags closed under the body: a flagged output flags its carry too."""
    carry_flags = list(carry_flags)
    while True:
        out = depends_on(body_ir, list(const_flags) + carry_flags + list(x_flags))[:count]
        updated = [a or b for a, b in zip(carry_flags, out)]
        if updated == carry_flags:
            return carry_flags
        carry_flags = updated


def _while_jvp(primals, tangents, *, cond_ir, body_ir, cond_consts, body_consts):
    cond_constants, body_constants, carry = _split(primals, cond_consts, body_consts)
    _, body_tangents, carry_tangents = _split(tangents, cond_consts, body_consts)
    avals = body_ir.out_avals
    const_nonzero = [t is not None for t in body_tangents]
    carry_nonzero = _carry_fixed_point(
        body_ir, const_nonzero, [t is not None and _is_float(a) for t, a in zip(carry_tangents, avals)],
        [], len(carry))
    carry_nonzero = [n and _is_float(a) for n, a in zip(carry_nonzero, avals)]
    count = len(carry)

    def body(*values):
        constants, constant_tangents, state, state_tangents = _split(
            values, len(body_constants), sum(const_nonzero), count)
        constant_tangents, state_tangents = iter(constant_tangents), iter(state_tangents)
        outputs, tangents_out = ad.jvp_flat(
            lambda *xs: eval_ir(body_ir, *xs), constants + state,
            [next(constant_tangents) if n else None for n in const_nonzero]
            + [next(state_tangents) if n else None for n in carry_nonzero])
        return outputs + [ad.instantiate(t, o) for t, o, n in
                          zip(tangents_out, outputs, carry_nonzero) if n]

    tangent_inits = [ad.instantiate(t, p) for t, p, n in zip(carry_tangents, carry, carry_nonzero)
                     if n]
    body_arguments = body_constants + [t for t in body_tangents if t is not None]
    new_body, new_body_consts = _trace_flat(body, _avals(body_arguments + carry + tangent_inits))

    def condition(*values):
        return eval_ir(cond_ir, *values[:cond_consts + count])

    new_cond, new_cond_consts = _trace_flat(condition, _avals(cond_constants + carry + tangent_inits))
    results = while_p.bind(*new_cond_consts, *cond_constants, *new_body_consts, *body_arguments,
                           *carry, *tangent_inits, cond_ir=new_cond, body_ir=new_body,
                           cond_consts=len(new_cond_consts) + cond_consts,
                           body_consts=len(new_body_consts) + len(body_arguments))
    tangent_results = iter(results[count:])
    return results[:count], [next(tangent_results) if n else None for n in carry_nonzero]


def _while_partial_eval(trace, args, params):
    raise TypeError(at_user_line(
        "reverse-mode differentiation (grad, vjp, linearize) does not work through while_loop: "
        "its trip count is only known at run time, so its intermediate values cannot be "
        "stored. Use functrans.lax.scan, or fori_loop with trip bounds known when tracing "
        "(Python ints); forward mode (jvp, jacfwd) works with while_loop"))


def _while_batch(values, batch_axes, *, cond_ir, body_ir, cond_consts, body_consts):
    size = vmap.batch_size(values, batch_axes)
    cond_constants, body_constants, carry = _split(values, cond_consts, body_consts)
    cond_axes, body_axes, carry_axes = _split(batch_axes, cond_consts, body_consts)
    count = len(carry)
    carry_batched = _carry_fixed_point(body_ir, [a is not None for a in body_axes],
                                       [a is not None for a in carry_axes], [], count)
    predicate_batched = depends_on(cond_ir, [a is not None for a in cond_axes] + carry_batched)[0]
    if predicate_batched:
        carry_batched = [True] * count
    carry = [vmap.batched_at_front(x, a, size) if b else x
             for x, a, b in zip(carry, carry_axes, carry_batched)]
    carry_in_axes = [0 if b else None for b in carry_batched]

    def batched_cond(*xs):
        constants, state = xs[:cond_consts], xs[cond_consts:]
        out, axes = vmap.vmap_flat(lambda *ys: eval_ir(cond_ir, *ys), list(constants) + list(state),
                                   list(cond_axes) + carry_in_axes, size)
        return [reduce_or(out[0], (0,)) if axes[0] is not None else out[0]]

    def step(*xs):
        constants, state = xs[:body_consts], xs[body_consts:]
        return _vmap_to(lambda *ys: eval_ir(body_ir, *ys), list(constants) + list(state),
                        list(body_axes) + carry_in_axes, size, carry_batched)

    if predicate_batched:
        body_inputs = cond_constants + body_constants

        def batched_body(*xs):
            # Lanes whose condition already failed keep their carry.
            cond_values, body_values, state = _split(xs, cond_consts, body_consts)
            out, axes = vmap.vmap_flat(lambda *ys: eval_ir(cond_ir, *ys), cond_values + state,
                                       list(cond_axes) + carry_in_axes, size)
            running = vmap.batched_at_front(out[0], axes[0], size)
            stepped = step(*(body_values + state))
            return [ew.select(broadcast_in_dim(running, core.get_aval(new).shape, (0,)), new, old)
                    for new, old in zip(stepped, state)]
    else:
        body_inputs = body_constants
        batched_body = step

    carry_avals = _avals(carry)
    new_cond, new_cond_consts = _trace_flat(batched_cond, _avals(cond_constants) + carry_avals)
    new_body, new_body_consts = _trace_flat(batched_body, _avals(body_inputs) + carry_avals)
    results = while_p.bind(*new_cond_consts, *cond_constants, *new_body_consts, *body_inputs,
                           *carry, cond_ir=new_cond, body_ir=new_body,
                           cond_consts=len(new_cond_consts) + cond_consts,
                           body_consts=len(new_body_consts) + len(body_inputs))
    return results, [0 if b else None for b in carry_batched]


def _vmap_to(flat_function, values, axes, size, batched_flags):
    """Outputs batched at 0 where flagged (broadcast if need be), unbatched elsewhere."""
    outputs, out_axes = vmap.vmap_flat(flat_function, values, axes, size)
    results = []
    for x, axis, batched in zip(outputs, out_axes, batched_flags):
        if batched:
            results.append(vmap.batched_at_front(x, axis, size))
        else:
            assert axis is None, "a carry judged unbatched came out batched"
            results.append(x)
    return results


def _emit_while(writer, equation, operands, outputs):
    params = equation.params
    cond_count, body_count = params["cond_consts"], params["body_consts"]
    cond_constants = operands[:cond_count]
    body_constants = operands[cond_count:cond_count + body_count]
    initial = operands[cond_count + body_count:]
    condition = writer.subfunction(params["cond_ir"], "condition")
    body = writer.subfunction(params["body_ir"], "body")
    for out, value in zip(outputs, initial):
        writer.line(f"{out} = {value}")
    with writer.block(f"while {condition}({', '.join(cond_constants + outputs)})[0]:"):
        _unpack(writer, f"{body}({', '.join(body_constants + outputs)})", outputs)


ad.jvp_rules[while_p] = _while_jvp
partial_eval_rules[while_p] = _while_partial_eval
vmap.batch_rules[while_p] = _while_batch
lowering_rules.emit_rules[while_p] = _emit_while


# --- scan -----------------------------------------------------------------------------

_LEAF = object()  # stands for a leaf when taking a structure apart (None is a node, not a leaf)

scan_p = core.Primitive("scan", multiple_results=True)


@scan_p.def_impl
def _scan_impl(*args, body, num_consts, num_carry, length, reverse):
    consts, carry, xs = _split(args, num_consts, num_carry)
    y_avals = body.out_avals[num_carry:]
    ys = [np.empty((length,) + a.shape, a.dtype) for a in y_avals]
    for step in (range(length - 1, -1, -1) if reverse else range(length)):
        results = eval_ir(body, *consts, *carry, *[x[step] for x in xs])
        carry = results[:num_carry]
        for stacked, value in zip(ys, results[num_carry:]):
            stacked[step] = value
    return list(carry) + ys


@scan_p.def_abstract_eval
def _scan_abstract_eval(*avals, body, num_consts, num_carry, length, reverse):
    return body.out_avals[:num_carry] + [
        core.ShapedArray((length,) + a.shape, a.dtype) for a in body.out_avals[num_carry:]]


def scan(function, init, xs=None, length=None, reverse=False):
    """Loop ``function(carry, x) -> (carry, y)`` over the leading axis of ``xs``.

    Returns ``(final_carry, stacked_ys)``, as ``jax.lax.scan``; differentiable in both modes,
    batchable, and a real loop under jit.

    >>> import functrans.numpy as fnp
    >>> scan(lambda total, x: (total + x, total), 0.0, fnp.arange(4.0))
    (np.float64(6.0), array([0., 0., 1., 3.]))
    """
    carry_leaves, carry_tree = tree.flatten(init)
    x_leaves, x_tree = tree.flatten(xs)
    lengths = {core.get_aval(x).shape[0] if core.get_aval(x).shape else None for x in x_leaves}
    if None in lengths:
        raise TypeError(at_user_line("scan's xs must be arrays with a leading axis to scan over; "
                                     "got a scalar"))
    if length is not None:
        lengths.add(int(length))
    if len(lengths) != 1:
        raise ValueError(at_user_line(
            f"scan got inconsistent lengths {sorted(lengths)} (the leading axes of xs"
            f"{' and length=' + str(length) if length is not None else ''}); they must agree"
            if lengths else "scan needs xs or length=, to know how many steps to take"))
    (length,) = lengths
    carry_avals = _avals(carry_leaves)
    x_avals = [core.ShapedArray(a.shape[1:], a.dtype) for a in _avals(x_leaves)]
    body_tree = tree.structure(((init, xs), {}))
    body_ir, consts, out_tree = _trace_body(function, body_tree,
                                            carry_avals + x_avals)
    placeholder = tree.unflatten(out_tree, [_LEAF] * out_tree.num_leaves)
    if not isinstance(placeholder, tuple) or len(placeholder) != 2:
        raise TypeError(at_user_line(f"scan's function must return a pair (carry, y), got a "
                                     f"result of structure {out_tree}"))
    carry_out_tree, y_tree = tree.structure(placeholder[0]), tree.structure(placeholder[1])
    _check_carry("scan", carry_tree, carry_out_tree, carry_avals,
                 body_ir.out_avals[:len(carry_leaves)])
    results = scan_p.bind(*consts, *carry_leaves, *x_leaves, body=body_ir,
                          num_consts=len(consts), num_carry=len(carry_leaves), length=length,
                          reverse=bool(reverse))
    count = len(carry_leaves)
    return tree.unflatten(carry_tree, results[:count]), tree.unflatten(y_tree, results[count:])


def fori_loop(lower, upper, body_function, init_value):
    """``for i in range(lower, upper): value = body_function(i, value)``.

    With Python integer bounds it is a :func:`scan` (differentiable in reverse mode); with
    traced bounds, a :func:`while_loop`.
    """
    static = not isinstance(lower, core.Tracer) and not isinstance(upper, core.Tracer)
    if static:
        lower, upper = int(lower), int(upper)
        start = np.int64(lower)

        def step(carry, _):
            i, value = carry
            return (ew.add(i, np.int64(1)), body_function(i, value)), None

        (_, value), _ = scan(step, (start, init_value), None, length=max(upper - lower, 0))
        return value

    def loop_condition(carry):
        return ew.lt(carry[0], carry[1])

    def loop_body(carry):
        i, end, value = carry
        return ew.add(i, ew.match_scalar(1, i)), end, body_function(i, value)

    lower = ew.convert_element_type(lower, np.int64)
    upper = ew.convert_element_type(upper, np.int64)
    return while_loop(loop_condition, loop_body, (lower, upper, init_value))[2]


def _scan_jvp(primals, tangents, *, body, num_consts, num_carry, length, reverse):
    consts, carry, xs = _split(primals, num_consts, num_carry)
    const_tangents, carry_tangents, x_tangents = _split(tangents, num_consts, num_carry)
    avals = body.out_avals
    const_nonzero = [t is not None for t in const_tangents]
    x_nonzero = [t is not None for t in x_tangents]
    carry_nonzero = _carry_fixed_point(
        body, const_nonzero, [t is not None and _is_float(a) for t, a in zip(carry_tangents, avals)],
        x_nonzero, num_carry)
    carry_nonzero = [n and _is_float(a) for n, a in zip(carry_nonzero, avals)]
    y_nonzero = [n and _is_float(a) for n, a in zip(
        depends_on(body, const_nonzero + carry_nonzero + x_nonzero)[num_carry:], avals[num_carry:])]

    def jvp_body(*values):
        c, ct, s, st, x, xt = _split(values, num_consts, sum(const_nonzero), num_carry,
                                     sum(carry_nonzero), len(xs))
        ct, st, xt = iter(ct), iter(st), iter(xt)
        outputs, tangents_out = ad.jvp_flat(
            lambda *v: eval_ir(body, *v), c + s + x,
            [next(ct) if n else None for n in const_nonzero]
            + [next(st) if n else None for n in carry_nonzero]
            + [next(xt) if n else None for n in x_nonzero])
        carry_out, ys = outputs[:num_carry], outputs[num_carry:]
        carry_t, ys_t = tangents_out[:num_carry], tangents_out[num_carry:]
        return (carry_out + [ad.instantiate(t, o) for t, o, n in zip(carry_t, carry_out, carry_nonzero) if n]
                + ys + [ad.instantiate(t, o) for t, o, n in zip(ys_t, ys, y_nonzero) if n])

    nonzero_const_tangents = [t for t in const_tangents if t is not None]
    carry_tangent_inits = [ad.instantiate(t, p) for t, p, n in
                           zip(carry_tangents, carry, carry_nonzero) if n]
    nonzero_x_tangents = [t for t in x_tangents if t is not None]
    x_avals = [core.ShapedArray(core.get_aval(x).shape[1:], core.get_aval(x).dtype)
               for x in xs + nonzero_x_tangents]
    new_body, new_consts = _trace_flat(
        jvp_body, _avals(consts + nonzero_const_tangents + carry + carry_tangent_inits) + x_avals)
    results = scan_p.bind(*new_consts, *consts, *nonzero_const_tangents, *carry,
                          *carry_tangent_inits, *xs, *nonzero_x_tangents, body=new_body,
                          num_consts=len(new_consts) + num_consts + len(nonzero_const_tangents),
                          num_carry=num_carry + len(carry_tangent_inits), length=length,
                          reverse=reverse)
    carry_out, carry_t, ys, ys_t = _split(results, num_carry, len(carry_tangent_inits),
                                          len(avals) - num_carry)
    carry_t, ys_t = iter(carry_t), iter(ys_t)
    return carry_out + ys, ([next(carry_t) if n else None for n in carry_nonzero]
                            + [next(ys_t) if n else None for n in y_nonzero])


def _scan_partial_eval(trace, args, params):
    body, num_consts, num_carry = params["body"], params["num_consts"], params["num_carry"]
    length, reverse = params["length"], params["reverse"]
    consts, carry, xs = _split(args, num_consts, num_carry)
    const_unknown = [trace.is_unknown(x) for x in consts]
    x_unknown = [trace.is_unknown(x) for x in xs]
    y_count = len(body.out_vars) - num_carry
    # Which carries are unknown: closed under the body, as the body's own split decides.
    carry_unknown = [trace.is_unknown(x) for x in carry]
    while True:
        split = partial_eval_ir(body, const_unknown + carry_unknown + x_unknown,
                                carry_unknown + [False] * y_count)
        out_unknown = split[3][:num_carry]
        if all(o <= c for o, c in zip(out_unknown, carry_unknown)):
            break
        carry_unknown = [c or o for c, o in zip(carry_unknown, out_unknown)]
    known_ir, known_body_consts, unknown_ir, unknown_outputs, residual_count = split
    # The known scan returns its outputs and, as extra stacked ys, the residuals of every step.
    known_consts = [x for x, u in zip(consts, const_unknown) if not u]
    known_carry = [x for x, u in zip(carry, carry_unknown) if not u]
    known_xs = [x for x, u in zip(xs, x_unknown) if not u]
    carry_known_count = len(known_carry)
    known_results = trace.run_under_parent(
        scan_p.bind, *known_body_consts, *known_consts, *known_carry, *known_xs, body=known_ir,
        num_consts=len(known_body_consts) + len(known_consts), num_carry=carry_known_count,
        length=length, reverse=reverse)
    known_outputs, residuals = (known_results[:len(known_results) - residual_count],
                                known_results[len(known_results) - residual_count:])
    # The unknown scan reads the residuals as xs: reorder its inputs to consts, carry, xs.
    residual_vars = unknown_ir.in_vars[:residual_count]
    unknown_consts_vars, unknown_carry_vars, unknown_x_vars = _split(
        unknown_ir.in_vars[residual_count:], sum(const_unknown), sum(carry_unknown))
    unknown_body = IR([], [], unknown_consts_vars + unknown_carry_vars + residual_vars + unknown_x_vars,
                      unknown_ir.equations, unknown_ir.out_vars)
    unknown_args = ([x for x, u in zip(consts, const_unknown) if u]
                    + [x for x, u in zip(carry, carry_unknown) if u]
                    + residuals + [x for x, u in zip(xs, x_unknown) if u])
    unknown_results = iter(trace.stage(scan_p, unknown_args, {
        "body": unknown_body, "num_consts": sum(const_unknown), "num_carry": sum(carry_unknown),
        "length": length, "reverse": reverse}))
    known_outputs = iter(known_outputs)
    return [next(unknown_results) if u else next(known_outputs) for u in unknown_outputs]


def _scan_transpose(cotangents, *inputs, body, num_consts, num_carry, length, reverse):
    consts, carry, xs = _split(inputs, num_consts, num_carry)
    const_linear = [ad.is_undefined(x) for x in consts]
    x_linear = [ad.is_undefined(x) for x in xs]
    # A carry whose initial value is known here is the zero tangent linearize started it
    # with: treat it as linear too; its cotangent is dropped.
    carry_known = [not ad.is_undefined(x) for x in carry]
    carry = [ad.UndefinedPrimal(core.get_aval(x)) if known else x
             for x, known in zip(carry, carry_known)]
    avals = body.out_avals
    carry_cotangents = [_zeros(a) if c is None else c
                        for c, a in zip(cotangents[:num_carry], avals[:num_carry])]
    y_cotangents = [ad.zeros_like_aval(core.ShapedArray((length,) + a.shape, a.dtype))
                    if c is None else c for c, a in zip(cotangents[num_carry:], avals[num_carry:])]
    known_consts = [x for x, linear in zip(consts, const_linear) if not linear]
    known_xs = [x for x, linear in zip(xs, x_linear) if not linear]
    linear_const_avals = [x.aval for x, linear in zip(consts, const_linear) if linear]

    def backward_step(*values):
        known_c, const_acc, carry_ct, known_x, y_ct = _split(
            values, len(known_consts), len(linear_const_avals), num_carry, len(known_xs))
        known_c, known_x = iter(known_c), iter(known_x)
        step_inputs = ([x if linear else next(known_c) for x, linear in zip(consts, const_linear)]
                       + list(carry)
                       + [ad.UndefinedPrimal(core.ShapedArray(x.aval.shape[1:], x.aval.dtype))
                          if linear else next(known_x) for x, linear in zip(xs, x_linear)])
        results = ad.backward_pass(body, carry_ct + y_ct, step_inputs)
        const_ct, carry_in_ct, x_ct = _split(results, num_consts, num_carry)
        const_ct = [ad.instantiate(c, ad.zeros_like_aval(x.aval)) for c, x, linear in
                    zip(const_ct, consts, const_linear) if linear]
        carry_in_ct = [ad.instantiate(c, ad.zeros_like_aval(x.aval)) for c, x in zip(carry_in_ct, carry)]
        x_ct = [ad.instantiate(c, _zeros(core.ShapedArray(x.aval.shape[1:], x.aval.dtype)))
                for c, x, linear in zip(x_ct, xs, x_linear) if linear]
        return [ew.add(a, c) for a, c in zip(const_acc, const_ct)] + carry_in_ct + x_ct

    step_avals = (_avals(known_consts) + linear_const_avals + [x.aval for x in carry]
                  + [core.ShapedArray(core.get_aval(x).shape[1:], core.get_aval(x).dtype)
                     for x in known_xs]
                  + [core.ShapedArray(a.shape, a.dtype) for a in avals[num_carry:]])
    transposed_body, new_consts = _trace_flat(backward_step, step_avals)
    results = scan_p.bind(*new_consts, *known_consts,
                          *[ad.zeros_like_aval(a) for a in linear_const_avals], *carry_cotangents,
                          *known_xs, *y_cotangents, body=transposed_body,
                          num_consts=len(new_consts) + len(known_consts),
                          num_carry=len(linear_const_avals) + num_carry, length=length,
                          reverse=not reverse)
    const_ct, carry_ct, x_ct = _split(results, len(linear_const_avals), num_carry)
    const_ct, x_ct = iter(const_ct), iter(x_ct)
    return ([next(const_ct) if linear else None for linear in const_linear]
            + [None if known else c for c, known in zip(carry_ct, carry_known)]
            + [next(x_ct) if linear else None for linear in x_linear])


def _scan_batch(values, batch_axes, *, body, num_consts, num_carry, length, reverse):
    size = vmap.batch_size(values, batch_axes)
    consts, carry, xs = _split(values, num_consts, num_carry)
    const_axes, carry_axes, x_axes = _split(batch_axes, num_consts, num_carry)
    carry_batched = _carry_fixed_point(body, [a is not None for a in const_axes],
                                       [a is not None for a in carry_axes],
                                       [a is not None for a in x_axes], num_carry)
    consts = [x if a is None else vmap.move_axis(x, a, 0) for x, a in zip(consts, const_axes)]
    carry = [vmap.batched_at_front(x, a, size) if b else x
             for x, a, b in zip(carry, carry_axes, carry_batched)]
    # xs keep the scanned axis first: their batch axis goes second.
    xs = [x if a is None else vmap.move_axis(x, a, 1) for x, a in zip(xs, x_axes)]
    in_axes = ([None if a is None else 0 for a in const_axes] + [0 if b else None for b in carry_batched]
               + [None if a is None else 0 for a in x_axes])
    y_count = len(body.out_vars) - num_carry

    def batched_body(*step_values):
        return _vmap_to(lambda *v: eval_ir(body, *v), list(step_values), in_axes, size,
                        carry_batched + [True] * y_count)

    step_avals = _avals(consts) + _avals(carry) + [
        core.ShapedArray(core.get_aval(x).shape[1:], core.get_aval(x).dtype) for x in xs]
    new_body, new_consts = _trace_flat(batched_body, step_avals)
    results = scan_p.bind(*new_consts, *consts, *carry, *xs, body=new_body,
                          num_consts=len(new_consts) + num_consts, num_carry=num_carry,
                          length=length, reverse=reverse)
    return results, [0 if b else None for b in carry_batched] + [1] * y_count


def _emit_scan(writer, equation, operands, outputs):
    params = equation.params
    consts_count, carry_count, length = params["num_consts"], params["num_carry"], params["length"]
    consts = operands[:consts_count]
    initial = operands[consts_count:consts_count + carry_count]
    xs = operands[consts_count + carry_count:]
    carry, ys = outputs[:carry_count], outputs[carry_count:]
    body = writer.subfunction(params["body"], "step")
    for out, value in zip(carry, initial):
        writer.line(f"{out} = {value}")
    for out, var in zip(ys, equation.outputs[carry_count:]):
        writer.allocate(out, var.aval)
    step = writer.fresh("step")
    order = f"range({length} - 1, -1, -1)" if params["reverse"] else f"range({length})"
    with writer.block(f"for {step} in {order}:"):
        results = writer.fresh("results")
        arguments = consts + carry + [f"{x}[{step}]" for x in xs]
        writer.line(f"{results} = {body}({', '.join(arguments)})")
        for position, out in enumerate(carry):
            writer.line(f"{out} = {results}[{position}]")
        for position, out in enumerate(ys, start=carry_count):
            writer.line(f"{out}[{step}] = {results}[{position}]")


ad.jvp_rules[scan_p] = _scan_jvp
ad.transpose_rules[scan_p] = _scan_transpose
partial_eval_rules[scan_p] = _scan_partial_eval
vmap.batch_rules[scan_p] = _scan_batch
lowering_rules.emit_rules[scan_p] = _emit_scan
