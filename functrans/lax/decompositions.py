"""Matrix decompositions and triangular solves: the primitives under numpy/scipy.linalg.

Every primitive works on stacks of matrices (``...×m×n``; the leading dimensions are a
batch, so vmap only moves its axis to the front), keeps the input's dtype as LAPACK does,
and is declared once with all its rules: the NumPy/SciPy implementation, the shape rule,
the JVP as JAX defines it (written with primitives, so it is itself differentiable), the
batching rule and the numba lowering, which calls functrans.lowering.lapack (numba's own
``np.linalg`` in a loop over the stack) through C entry points compiled once per machine.

The derivative rules follow JAX's (``jax._src.lax.linalg``): eigh and svd assume distinct
eigen/singular values; qr needs ``m >= n``; the symmetric routines (cholesky, eigh) read
one triangle of their input, and their tangents are read the same way.
"""
import warnings

import numpy as np

from functrans import core
from functrans.lax import _matrix_ops as mo
from functrans.lax import elementwise as ew
from functrans.lax._util import shape_error
from functrans.lax.shapes import concatenate, iota
from functrans.lowering import rules as lowering_rules
from functrans.lowering.codegen import dtype_expression
from functrans.transforms import ad, vmap


def _check_matrix(name, x, square=False):
    if x.ndim < 2 or x.dtype.kind not in "fc" or (square and x.shape[-1] != x.shape[-2]):
        kind = "square matrices" if square else "matrices"
        raise shape_error(f"{name} takes a stack of {kind} (...×m×n) of floating-point or "
                          f"complex dtype, got {x.str_short()}")


def _real_dtype(dtype):
    return np.finfo(dtype).dtype


def _stacks(x):
    """``x`` as a 3-d stack of matrices and the function that restores the batch shape."""
    x = np.asarray(x)
    batch = x.shape[:-2]
    flat = x.reshape((int(np.prod(x.shape[:-2], dtype=np.int64)),) + x.shape[-2:])  # -1 fails on size 0
    return flat, lambda y: y.reshape(batch + y.shape[1:])


def _flat_operand(writer, name, aval):
    """Source lines making ``name`` a C-contiguous ``batch×m×n`` stack; its new name."""
    batch = int(np.prod(aval.shape[:-2], dtype=np.int64))
    flat = writer.fresh("stack")
    writer.line(f"{flat} = np.ascontiguousarray({name}).reshape(({batch}, "
                f"{aval.shape[-2]}, {aval.shape[-1]}))")
    return flat, batch


def _allocate_flat(writer, batch, aval, trailing):
    """A new ``batch×...`` array for an output whose last ``trailing`` dimensions are kept."""
    name = writer.fresh("result")
    shape = (batch,) + tuple(aval.shape[aval.ndim - trailing:])
    writer.line(f"{name} = np.empty({shape!r}, dtype={dtype_expression(aval.dtype)})")
    return name


def _restore(writer, out, flat, aval):
    writer.line(f"{out} = {flat}.reshape({tuple(aval.shape)!r})")


def _call_entry(writer, routine, dtype, arrays, sizes, failure=None):
    """Source lines calling functrans.lowering.lapack's C entry point ``routine`` for
    ``dtype`` on the C-contiguous ``arrays`` (names) and integer ``sizes``; a LinAlgError
    with the message ``failure`` where the routine reports one."""
    from functrans.lowering import lapack
    lapack.register_entry(routine, dtype)
    status = writer.fresh("status")
    arguments = [f"{name}.ctypes" for name in arrays] + [str(int(size)) for size in sizes]
    writer.line(f"{status} = {lapack.entry_name(routine, dtype)}({', '.join(arguments)})")
    if failure is not None:
        writer.line(f"if {status} != 0: raise np.linalg.LinAlgError({failure!r})")


# --- triangular_solve --------------------------------------------------------------------

triangular_solve_p = core.Primitive("triangular_solve")


@triangular_solve_p.def_impl
def _triangular_solve_impl(a, b, *, lower, transpose_a, conjugate_a, unit_diagonal):
    from scipy.linalg import solve_triangular
    a_flat, _ = _stacks(a)
    b_flat, restore = _stacks(b)
    if conjugate_a and not transpose_a:
        a_flat = np.conj(a_flat)
    trans = (2 if conjugate_a else 1) if transpose_a else 0
    out = np.empty_like(b_flat)
    for k in range(a_flat.shape[0]):
        out[k] = solve_triangular(a_flat[k], b_flat[k], trans=trans, lower=lower,
                                  unit_diagonal=unit_diagonal, check_finite=False)
    return restore(out)


@triangular_solve_p.def_abstract_eval
def _triangular_solve_abstract_eval(a, b, **params):
    _check_matrix("triangular_solve", a, square=True)
    if b.ndim != a.ndim or b.shape[:-1] != a.shape[:-1] or b.dtype != a.dtype:
        raise shape_error(f"triangular_solve: the right-hand side {b.str_short()} must be a "
                          f"stack of the same dtype with as many rows as {a.str_short()}")
    return core.ShapedArray(b.shape, b.dtype)


def triangular_solve(a, b, *, lower=True, transpose_a=False, conjugate_a=False,
                     unit_diagonal=False):
    """``x`` with ``op(a) @ x = b``, ``op(a)`` the lower (or upper) triangle of ``a``,
    transposed and/or conjugated; ``a`` is ``...×n×n``, ``b`` is ``...×n×k``."""
    return triangular_solve_p.bind(a, b, lower=bool(lower), transpose_a=bool(transpose_a),
                                   conjugate_a=bool(conjugate_a),
                                   unit_diagonal=bool(unit_diagonal))


def _triangular_operator(a, lower, transpose_a, conjugate_a, unit_diagonal):
    """op(a) as the solve sees it: the triangle it reads, transposed and/or conjugated."""
    part = mo.triangle(a, lower, (-1 if lower else 1) if unit_diagonal else 0)
    if transpose_a:
        part = mo.matrix_transpose(part)
    return mo.conjugate(part) if conjugate_a else part


def _triangular_solve_jvp(primals, tangents, **params):
    a, b = primals
    a_dot, b_dot = tangents
    x = triangular_solve_p.bind(a, b, **params)
    terms = []
    if b_dot is not None:
        terms.append(triangular_solve_p.bind(a, b_dot, **params))
    if a_dot is not None:
        # d(op(a)⁻¹ b) = -op(a)⁻¹ op(da) x
        product = mo.matmul(_triangular_operator(a_dot, **params), x)
        terms.append(ew.neg(triangular_solve_p.bind(a, product, **params)))
    return x, terms[0] if len(terms) == 1 else ew.add(*terms)


def _triangular_solve_transpose(cotangent, a, b, *, transpose_a, **params):
    if ad.is_undefined(a):
        raise TypeError("triangular_solve is linear in its right-hand side only")
    # b -> op(a)⁻¹ b transposes to c -> op(a)⁻ᵀ c: flip the transpose, keep the conjugation.
    return [None, triangular_solve_p.bind(a, cotangent, transpose_a=not transpose_a, **params)]


def _emit_triangular_solve(writer, equation, operands, outputs):
    params = equation.params
    a_aval, b_aval = (atom.aval for atom in equation.inputs)
    a, batch = _flat_operand(writer, operands[0], a_aval)
    b, _ = _flat_operand(writer, operands[1], b_aval)
    solved = _allocate_flat(writer, batch, b_aval, 2)
    flags = [params[name] for name in ("lower", "transpose_a", "conjugate_a", "unit_diagonal")]
    _call_entry(writer, "triangular_solve", a_aval.dtype, (a, b, solved),
                (batch, *b_aval.shape[-2:], *flags), "Singular matrix: a zero on the diagonal")
    _restore(writer, outputs[0], solved, equation.outputs[0].aval)


ad.jvp_rules[triangular_solve_p] = _triangular_solve_jvp
ad.transpose_rules[triangular_solve_p] = _triangular_solve_transpose
vmap.defaxes_shifted(triangular_solve_p)
lowering_rules.emit_rules[triangular_solve_p] = _emit_triangular_solve


# --- cholesky ----------------------------------------------------------------------------

cholesky_p = core.Primitive("cholesky")


@cholesky_p.def_impl
def _cholesky_impl(a):
    return np.linalg.cholesky(a)


@cholesky_p.def_abstract_eval
def _cholesky_abstract_eval(a):
    _check_matrix("cholesky", a, square=True)
    return core.ShapedArray(a.shape, a.dtype)


def cholesky(a):
    """The lower Cholesky factor ``l`` (``l @ lᴴ = a``) of each matrix, read from its lower
    triangle; ``LinAlgError`` if one is not positive definite."""
    return cholesky_p.bind(a)


def _cholesky_jvp(primals, tangents):
    (a,), (a_dot,) = primals, tangents
    factor = cholesky_p.bind(a)
    # dl = l Φ(l⁻¹ da l⁻ᴴ), Φ taking the strict lower triangle and half the diagonal.
    a_dot = mo.hermitian_from_triangle(a_dot, lower=True)
    left = triangular_solve(factor, a_dot)
    both = triangular_solve(factor, mo.adjoint(left))
    half_diagonal = ew.mul(both, mo.constant_like(both, 0.5 * np.eye(mo.aval(a).shape[-1])))
    phi = ew.add(mo.triangle(both, True, -1), half_diagonal)
    return factor, mo.matmul(factor, phi)


def _emit_cholesky(writer, equation, operands, outputs):
    aval = equation.inputs[0].aval
    a, batch = _flat_operand(writer, operands[0], aval)
    factor = _allocate_flat(writer, batch, aval, 2)
    _call_entry(writer, "cholesky", aval.dtype, (a, factor), (batch, aval.shape[-1]),
                "Matrix is not positive definite")
    _restore(writer, outputs[0], factor, aval)


ad.jvp_rules[cholesky_p] = _cholesky_jvp
vmap.defaxes_shifted(cholesky_p)
lowering_rules.emit_rules[cholesky_p] = _emit_cholesky


# --- lu ----------------------------------------------------------------------------------

lu_p = core.Primitive("lu", multiple_results=True)


@lu_p.def_impl
def _lu_impl(a):
    from scipy.linalg import lu_factor
    flat, restore = _stacks(a)
    m, n = flat.shape[1:]
    packed = np.empty_like(flat)
    pivots = np.empty((flat.shape[0], min(m, n)), np.int32)
    permutation = np.empty((flat.shape[0], m), np.int32)
    with warnings.catch_warnings():
        # A singular matrix factors (with a zero in u); det is then 0, and solves report it.
        warnings.simplefilter("ignore")
        for k in range(flat.shape[0]):
            packed[k], pivots[k] = lu_factor(flat[k], check_finite=False)
            permutation[k] = _permutation_of_pivots(pivots[k], m)
    return [restore(packed), restore(pivots[..., None])[..., 0],
            restore(permutation[..., None])[..., 0]]


def _permutation_of_pivots(pivots, m):
    order = np.arange(m, dtype=np.int32)
    for i, p in enumerate(pivots):
        order[i], order[p] = order[p], order[i]
    return order


@lu_p.def_abstract_eval
def _lu_abstract_eval(a):
    _check_matrix("lu", a)
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    return [core.ShapedArray(a.shape, a.dtype),
            core.ShapedArray(batch + (min(m, n),), np.dtype(np.int32)),
            core.ShapedArray(batch + (m,), np.dtype(np.int32))]


def lu(a):
    """``(lu, pivots, permutation)``: ``a[..., permutation, :] = l @ u`` with ``l`` unit
    lower (below the diagonal of ``lu``) and ``u`` upper (on and above it); ``pivots`` are
    LAPACK's row interchanges, 0-based, as ``scipy.linalg.lu_factor`` gives them."""
    return lu_p.bind(a)


def permutation_matrix(permutation, dtype):
    """The matrices ``p`` with ``p @ x = x[..., permutation, :]``."""
    shape = mo.aval(permutation).shape
    m = shape[-1]
    square = shape + (m,)
    targets = mo.columns(permutation, m)
    positions = iota(np.int32, square, len(square) - 1)
    return ew.convert_element_type(ew.eq(targets, positions), dtype)


def lu_solve(packed, permutation, b):
    """``x`` with ``a @ x = b`` from ``lu(a)``'s packed factors and row permutation."""
    rows = mo.matmul(permutation_matrix(permutation, mo.aval(b).dtype), b)
    y = triangular_solve(packed, rows, lower=True, unit_diagonal=True)
    return triangular_solve(packed, y, lower=False)


def _lu_jvp(primals, tangents):
    (a,), (a_dot,) = primals, tangents
    packed, pivots, permutation = lu_p.bind(a)
    m, n = mo.aval(a).shape[-2:]
    k = min(m, n)
    dtype = mo.aval(a).dtype
    permuted = mo.matmul(permutation_matrix(permutation, dtype), a_dot)
    lower = mo.pad_last_two(mo.triangle(mo.last_two(packed, (0, m), (0, k)), True, -1), 0, m - k)
    lower = ew.add(lower, mo.constant_like(lower, np.eye(m)))
    upper = mo.pad_last_two(mo.triangle(mo.last_two(packed, (0, k), (0, n)), False), n - k, 0)
    upper = ew.add(upper, mo.constant_like(upper, np.diag(np.arange(n) >= k)))
    # l⁻¹ p da u⁻¹, whose strict lower part is l⁻¹ dl and upper part du u⁻¹.
    left = triangular_solve(lower, permuted, lower=True, unit_diagonal=True)
    both = mo.matrix_transpose(triangular_solve(upper, mo.matrix_transpose(left), lower=False,
                                                transpose_a=True))
    packed_dot = ew.add(mo.matmul(lower, mo.triangle(both, True, -1)),
                        mo.matmul(mo.triangle(both, False), upper))
    return [packed, pivots, permutation], [packed_dot, None, None]


def _emit_lu(writer, equation, operands, outputs):
    aval = equation.inputs[0].aval
    a, batch = _flat_operand(writer, operands[0], aval)
    packed_out, pivots_out, permutation_out = outputs
    pivots = _allocate_flat(writer, batch, equation.outputs[1].aval, 1)
    permutation = _allocate_flat(writer, batch, equation.outputs[2].aval, 1)
    packed = _allocate_flat(writer, batch, aval, 2)
    _call_entry(writer, "lu", aval.dtype, (a, packed, pivots, permutation),
                (batch, *aval.shape[-2:]))
    for out, flat, var in zip(outputs, (packed, pivots, permutation), equation.outputs):
        _restore(writer, out, flat, var.aval)


ad.jvp_rules[lu_p] = _lu_jvp
vmap.defaxes_shifted(lu_p)
lowering_rules.emit_rules[lu_p] = _emit_lu


# --- eigh --------------------------------------------------------------------------------

eigh_p = core.Primitive("eigh", multiple_results=True)


@eigh_p.def_impl
def _eigh_impl(a, *, lower):
    w, v = np.linalg.eigh(a, UPLO="L" if lower else "U")
    return [w, v]


@eigh_p.def_abstract_eval
def _eigh_abstract_eval(a, *, lower):
    _check_matrix("eigh", a, square=True)
    return [core.ShapedArray(a.shape[:-1], _real_dtype(a.dtype)), core.ShapedArray(a.shape, a.dtype)]


def eigh(a, lower=True):
    """``(w, v)``: the eigenvalues (ascending) and eigenvectors of the Hermitian matrices
    whose lower (or upper) triangle ``a`` holds."""
    return eigh_p.bind(a, lower=bool(lower))


def _eigh_jvp(primals, tangents, *, lower):
    (a,), (a_dot,) = primals, tangents
    w, v = eigh_p.bind(a, lower=lower)
    n = mo.aval(a).shape[-1]
    a_dot = mo.hermitian_from_triangle(a_dot, lower)
    projected = mo.matmul(mo.adjoint(v), mo.matmul(a_dot, v))
    # F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it (distinct eigenvalues).
    real_dtype = mo.aval(w).dtype
    eye = np.broadcast_to(np.eye(n, dtype=real_dtype), mo.aval(a).shape)
    gaps = ew.add(eye, ew.sub(mo.rows(w, n), mo.columns(w, n)))
    inverse_gaps = ew.sub(ew.div(np.ones(mo.aval(a).shape, real_dtype), gaps), eye)
    v_dot = mo.matmul(v, ew.mul(mo.cast(inverse_gaps, mo.aval(a).dtype), projected))
    w_dot = mo.real_part(mo.diagonal(projected))
    return [w, v], [w_dot, v_dot]


def _emit_eigh(writer, equation, operands, outputs):
    aval = equation.inputs[0].aval
    a, batch = _flat_operand(writer, operands[0], aval)
    values = _allocate_flat(writer, batch, equation.outputs[0].aval, 1)
    vectors = _allocate_flat(writer, batch, aval, 2)
    _call_entry(writer, "eigh", aval.dtype, (a, values, vectors),
                (batch, aval.shape[-1], equation.params["lower"]), "Eigenvalues did not converge")
    _restore(writer, outputs[0], values, equation.outputs[0].aval)
    _restore(writer, outputs[1], vectors, equation.outputs[1].aval)


ad.jvp_rules[eigh_p] = _eigh_jvp
vmap.defaxes_shifted(eigh_p)
lowering_rules.emit_rules[eigh_p] = _emit_eigh


# --- svd ---------------------------------------------------------------------------------

svd_p = core.Primitive("svd", multiple_results=True)


@svd_p.def_impl
def _svd_impl(a, *, full_matrices, compute_uv):
    if compute_uv:
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        return [u, s, vh]
    return [np.linalg.svd(a, compute_uv=False)]


@svd_p.def_abstract_eval
def _svd_abstract_eval(a, *, full_matrices, compute_uv):
    _check_matrix("svd", a)
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    k = min(m, n)
    s = core.ShapedArray(batch + (k,), _real_dtype(a.dtype))
    if not compute_uv:
        return [s]
    u_columns, vh_rows = (m, n) if full_matrices else (k, k)
    return [core.ShapedArray(batch + (m, u_columns), a.dtype), s,
            core.ShapedArray(batch + (vh_rows, n), a.dtype)]


def svd(a, full_matrices=True, compute_uv=True):
    """``[u, s, vh]`` (``a = u @ diag(s) @ vh``, ``s`` descending), or ``[s]`` without
    ``compute_uv``, as ``numpy.linalg.svd`` computes them."""
    return svd_p.bind(a, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))


def _svd_jvp(primals, tangents, *, full_matrices, compute_uv):
    (a,), (a_dot,) = primals, tangents
    m, n = mo.aval(a).shape[-2:]
    if compute_uv and full_matrices and m != n:
        raise NotImplementedError(
            f"the derivative of svd with full_matrices=True is defined for square matrices "
            f"only (got {m}×{n}); use full_matrices=False")
    u, s, vh = svd_p.bind(a, full_matrices=False, compute_uv=True)
    dtype = mo.aval(a).dtype
    k = min(m, n)
    v = mo.adjoint(vh)
    projected = mo.matmul(mo.adjoint(u), mo.matmul(a_dot, v))  # uᴴ da v, k×k
    s_dot = mo.real_part(mo.diagonal(projected))
    if not compute_uv:
        return [s], [s_dot]
    s_rows = mo.rows(s, k)  # s[j] at [i, j]
    s_columns = mo.columns(s, k)
    differences = ew.mul(ew.add(s_rows, s_columns), ew.sub(s_rows, s_columns))
    real = mo.aval(s).dtype
    is_zero = ew.convert_element_type(ew.eq(differences, np.zeros(mo.aval(differences).shape, real)),
                                      real)
    # F[i, j] = 1 / (s[j]² - s[i]²), 0 where that is 1/0 (the diagonal).
    f = ew.sub(ew.div(np.ones(mo.aval(differences).shape, real), ew.add(differences, is_zero)),
               is_zero)
    f = mo.cast(f, dtype)
    s_scaled = ew.mul(mo.cast(s_rows, dtype), projected)  # dS S
    scaled_s = ew.mul(mo.cast(s_columns, dtype), projected)  # S dS
    s_is_zero = ew.convert_element_type(ew.eq(s, np.zeros(mo.aval(s).shape, real)), real)
    s_inverse = ew.sub(ew.div(np.ones(mo.aval(s).shape, real), ew.add(s, s_is_zero)), s_is_zero)
    diagonal_part = ew.mul(ew.mul(ew.sub(projected, mo.adjoint(projected)),
                                  mo.cast(mo.diagonal_matrix(s_inverse), dtype)),
                           mo.constant_like(projected, 0.5))
    u_dot = mo.matmul(u, ew.add(ew.mul(f, ew.add(s_scaled, mo.adjoint(s_scaled))), diagonal_part))
    v_dot = mo.matmul(v, ew.mul(f, ew.add(scaled_s, mo.adjoint(scaled_s))))
    if m > n:
        dav = mo.matmul(a_dot, v)
        rest = ew.sub(dav, mo.matmul(u, mo.matmul(mo.adjoint(u), dav)))
        u_dot = ew.add(u_dot, ew.div(rest, mo.cast(mo.rows(s, m), dtype)))
    if n > m:
        dahu = mo.matmul(mo.adjoint(a_dot), u)
        rest = ew.sub(dahu, mo.matmul(v, mo.matmul(vh, dahu)))
        v_dot = ew.add(v_dot, ew.div(rest, mo.cast(mo.rows(s, n), dtype)))
    return [u, s, vh], [u_dot, s_dot, mo.adjoint(v_dot)]


def _emit_svd(writer, equation, operands, outputs):
    aval = equation.inputs[0].aval
    a, batch = _flat_operand(writer, operands[0], aval)
    params = equation.params
    m, n = aval.shape[-2:]
    full = params["full_matrices"] and params["compute_uv"]
    k = min(m, n)
    shapes = [(m, m if full else k), (k,), (n if full else k, n)]
    names = []
    for stem, shape, dtype in zip(("u", "s", "vh"), shapes, (aval.dtype, _real_dtype(aval.dtype),
                                                               aval.dtype)):
        name = writer.fresh(stem)
        writer.line(f"{name} = np.empty({(batch,) + shape!r}, dtype={dtype_expression(dtype)})")
        names.append(name)
    _call_entry(writer, "svd", aval.dtype, (a, *names), (batch, m, n, full),
                "SVD did not converge")
    kept = names if params["compute_uv"] else names[1:2]
    for out, flat, var in zip(outputs, kept, equation.outputs):
        _restore(writer, out, flat, var.aval)


ad.jvp_rules[svd_p] = _svd_jvp
vmap.defaxes_shifted(svd_p)
lowering_rules.emit_rules[svd_p] = _emit_svd


# --- qr ----------------------------------------------------------------------------------

qr_p = core.Primitive("qr", multiple_results=True)


@qr_p.def_impl
def _qr_impl(a, *, full_matrices):
    q, r = np.linalg.qr(a, mode="complete" if full_matrices else "reduced")
    return [q, r]


@qr_p.def_abstract_eval
def _qr_abstract_eval(a, *, full_matrices):
    _check_matrix("qr", a)
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    k = m if full_matrices else min(m, n)
    return [core.ShapedArray(batch + (m, k), a.dtype), core.ShapedArray(batch + (k, n), a.dtype)]


def qr(a, full_matrices=False):
    """``[q, r]`` with ``a = q @ r``, as ``numpy.linalg.qr`` in mode ``'reduced'`` (or
    ``'complete'`` with ``full_matrices``)."""
    return qr_p.bind(a, full_matrices=bool(full_matrices))


def _qr_jvp(primals, tangents, *, full_matrices):
    (a,), (a_dot,) = primals, tangents
    m, n = mo.aval(a).shape[-2:]
    if m < n or (full_matrices and m != n):
        raise NotImplementedError(
            f"the derivative of qr is defined for m >= n, and for full_matrices=True only "
            f"when m == n (got {m}×{n})")
    q, r = qr_p.bind(a, full_matrices=full_matrices)
    # da r⁻¹, through the transpose: r⁻ᵀ daᵀ.
    dx_rinv = mo.matrix_transpose(triangular_solve(r, mo.matrix_transpose(a_dot), lower=False,
                                                   transpose_a=True))
    qt_dx_rinv = mo.matmul(mo.adjoint(q), dx_rinv)
    strict_lower = mo.triangle(qt_dx_rinv, True, -1)
    omega = ew.sub(strict_lower, mo.adjoint(strict_lower))  # skew-Hermitian
    if mo.aval(a).dtype.kind == "c":
        imaginary = ew.sub(qt_dx_rinv, mo.cast(mo.real_part(qt_dx_rinv), mo.aval(a).dtype))
        omega = ew.add(omega, ew.mul(imaginary, mo.identity_like(imaginary)))
    q_dot = ew.add(mo.matmul(q, ew.sub(omega, qt_dx_rinv)), dx_rinv)
    r_dot = mo.matmul(ew.sub(qt_dx_rinv, omega), r)
    return [q, r], [q_dot, r_dot]


def _emit_qr(writer, equation, operands, outputs):
    aval = equation.inputs[0].aval
    m, n = aval.shape[-2:]
    a, batch = _flat_operand(writer, operands[0], aval)
    names = []
    for stem, var in zip(("q", "r"), equation.outputs):
        name = writer.fresh(stem)
        writer.line(f"{name} = np.empty({(batch,) + var.aval.shape[-2:]!r}, "
                    f"dtype={dtype_expression(var.aval.dtype)})")
        names.append(name)
    if equation.params["full_matrices"] and m > n:
        # numba's np.linalg.qr forms the reduced q only: LAPACK's geqrf/orgqr by symbol.
        from functrans.lowering import lapack
        lapack.register_lapack_symbols()
        writer.line(f"qr_complete_stack({a}, {lapack.KINDS[aval.dtype]}, {', '.join(names)})")
    else:
        _call_entry(writer, "qr", aval.dtype, (a, *names), (batch, m, n))
    for out, flat, var in zip(outputs, names, equation.outputs):
        _restore(writer, out, flat, var.aval)


ad.jvp_rules[qr_p] = _qr_jvp
vmap.defaxes_shifted(qr_p)
lowering_rules.emit_rules[qr_p] = _emit_qr


# --- eig ---------------------------------------------------------------------------------

eig_p = core.Primitive("eig", multiple_results=True)


def _complex_dtype(dtype):
    return np.result_type(dtype, np.complex64)


@eig_p.def_impl
def _eig_impl(a):
    w, v = np.linalg.eig(a)
    dtype = _complex_dtype(np.asarray(a).dtype)
    return [w.astype(dtype), v.astype(dtype)]


@eig_p.def_abstract_eval
def _eig_abstract_eval(a):
    _check_matrix("eig", a, square=True)
    dtype = _complex_dtype(a.dtype)
    return [core.ShapedArray(a.shape[:-1], dtype), core.ShapedArray(a.shape, dtype)]


def eig(a):
    """``[w, v]``: the eigenvalues and right eigenvectors (unit norm, largest component
    real) of general square matrices, always complex, as ``numpy.linalg.eig`` computes
    them."""
    return eig_p.bind(a)


def _eig_jvp(primals, tangents):
    # JAX's rule: with distinct eigenvalues, v⁻¹ da v gives dw on its diagonal and the
    # eigenvectors' change off it; the change along each eigenvector is removed so that it
    # keeps unit norm (the phase convention of LAPACK is not differentiated).
    (a,), (a_dot,) = primals, tangents
    w, v = eig_p.bind(a)
    n = mo.aval(a).shape[-1]
    dtype = mo.aval(w).dtype
    packed, _, permutation = lu_p.bind(v)
    projected = lu_solve(packed, permutation, mo.matmul(mo.cast(a_dot, dtype), v))
    eye = mo.identity_like(v)
    inverse_gaps = ew.sub(ew.div(mo.constant_like(v, np.ones((n, n))),
                                 ew.add(eye, ew.sub(mo.rows(w, n), mo.columns(w, n)))), eye)
    v_dot = mo.matmul(v, ew.mul(inverse_gaps, projected))
    along = mo.real_part(mo.diagonal(mo.matmul(mo.adjoint(v), v_dot)))
    v_dot = ew.sub(v_dot, ew.mul(v, mo.cast(mo.rows(along, n), dtype)))
    return [w, v], [mo.diagonal(projected), v_dot]


def _emit_eig(writer, equation, operands, outputs):
    aval = equation.inputs[0].aval
    a, batch = _flat_operand(writer, operands[0], aval)
    values = _allocate_flat(writer, batch, equation.outputs[0].aval, 1)
    vectors = _allocate_flat(writer, batch, equation.outputs[1].aval, 2)
    _call_entry(writer, "eig", aval.dtype, (a, values, vectors), (batch, aval.shape[-1]),
                "Eigenvalues did not converge")
    _restore(writer, outputs[0], values, equation.outputs[0].aval)
    _restore(writer, outputs[1], vectors, equation.outputs[1].aval)


ad.jvp_rules[eig_p] = _eig_jvp
vmap.defaxes_shifted(eig_p)
lowering_rules.emit_rules[eig_p] = _emit_eig
