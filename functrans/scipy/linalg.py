"""``scipy.linalg``, traceable: ``functrans.scipy.linalg``.

On concrete inputs with no transform active each function calls SciPy itself; traced, it
is built on the decomposition primitives (:mod:`functrans.lax.decompositions`) and
:mod:`functrans.numpy.linalg`, so it differentiates, batches and compiles. ``expm`` is the
Padé approximant of degree 13 with scaling and squaring (Higham 2005), ordinary traced code
whose derivative is the exact derivative of the computation; ``sqrtm`` goes through the
complex Schur form, and its derivative solves a Sylvester equation.

>>> import functrans, functrans.scipy.linalg as fsl, numpy as np
>>> functrans.grad(lambda t: fsl.expm(t * np.array([[0.0, 1.0], [-1.0, 0.0]]))[0, 1])(0.5)
0.8775825618903728
"""
import numpy as np

from functrans import lax
from functrans.transforms.custom_derivatives import custom_jvp
from functrans.errors import at_user_line
from functrans.lax import _matrix_ops as mo
from functrans.lax import decompositions
from functrans.numpy import linalg as numpy_linalg
from functrans.numpy._dispatch import array_operand, is_eager_all
from functrans.numpy._promotion import aval, cast
from functrans.scipy import _schur_functions, _special_matrices
from functrans.scipy._schur_functions import funm, hessenberg, rsf2csf, schur, solve_sylvester
from functrans.scipy._special_matrices import (
    circulant, companion, convolution_matrix, dft, fiedler, fiedler_companion, hadamard,
    hankel, helmert, invhilbert, invpascal, leslie, pascal,
)

__all__ = ["block_diag", "cho_factor", "cho_solve", "cholesky", "det", "eigh",
           "eigh_tridiagonal", "expm", "expm_frechet", "hilbert", "inv", "lu", "lu_factor",
           "lu_solve", "polar", "qr", "qr_multiply", "solve", "solve_triangular", "sqrtm",
           "svd", "toeplitz"] + _schur_functions.__all__ + _special_matrices.__all__


def _scipy_linalg():
    import scipy.linalg
    return scipy.linalg


def _fnp():
    import functrans.numpy as fnp
    return fnp


def _right_hand_side(a, b, function_name):
    """``b`` as a stack of matrices matching ``a``'s dtype and batch; whether it was a vector."""
    fnp = _fnp()
    a, b = numpy_linalg._common_dtype(a, numpy_linalg._inexact(b))
    vector = aval(b).ndim == 1
    if vector:
        b = fnp.expand_dims(b, -1)
    if aval(b).shape[-2] != aval(a).shape[-1]:
        raise ValueError(at_user_line(
            f"{function_name}: shapes of a {aval(a).shape} and b {aval(b).shape} are incompatible"))
    a, b = numpy_linalg._broadcast_batch(function_name, a, b)
    return a, b, vector


def _trans_flags(trans):
    trans = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2}.get(trans)
    if trans is None:
        raise ValueError("trans must be 0, 1, 2, 'N', 'T' or 'C'")
    return trans != 0, trans == 2


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """``x`` with ``op(a) @ x = b`` for the lower or upper triangle of ``a`` (``trans``:
    0 none, 1 transpose, 2 conjugate transpose)."""
    if is_eager_all((a, b)):
        return _scipy_linalg().solve_triangular(a, b, trans, lower, unit_diagonal,
                                                overwrite_b, check_finite)
    a = numpy_linalg._matrices("solve_triangular", a)
    a, b, vector = _right_hand_side(a, b, "solve_triangular")
    transpose_a, conjugate_a = _trans_flags(trans)
    x = lax.triangular_solve(a, b, lower=lower, transpose_a=transpose_a,
                             conjugate_a=conjugate_a, unit_diagonal=unit_diagonal)
    return x[..., 0] if vector else x


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """The upper (default, as SciPy) or lower Cholesky factor."""
    if is_eager_all((a,)):
        return _scipy_linalg().cholesky(a, lower, overwrite_a, check_finite)
    return numpy_linalg.cholesky(a, upper=not lower)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """``(c, lower)``: the Cholesky factor in ``c``'s upper (or lower) triangle; the other
    triangle keeps ``a``'s entries, as SciPy leaves them."""
    if is_eager_all((a,)):
        return _scipy_linalg().cho_factor(a, lower, overwrite_a, check_finite)
    a = numpy_linalg._matrices("cho_factor", a)
    factor = cholesky(a, lower=lower)
    n = aval(a).shape[-1]
    mask = np.broadcast_to(np.tri(n, dtype=bool) if lower else ~np.tri(n, k=-1, dtype=bool),
                           aval(a).shape)
    return _fnp().where(mask, factor, a), lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """``x`` with ``a @ x = b`` from ``cho_factor(a)``."""
    c, lower = c_and_lower
    if is_eager_all((c, b)):
        return _scipy_linalg().cho_solve((c, lower), b, overwrite_b, check_finite)
    c = numpy_linalg._matrices("cho_solve", c)
    c, b, vector = _right_hand_side(c, b, "cho_solve")
    if lower:  # l lᴴ x = b
        y = lax.triangular_solve(c, b, lower=True)
        x = lax.triangular_solve(c, y, lower=True, transpose_a=True, conjugate_a=True)
    else:  # rᴴ r x = b
        y = lax.triangular_solve(c, b, lower=False, transpose_a=True, conjugate_a=True)
        x = lax.triangular_solve(c, y, lower=False)
    return x[..., 0] if vector else x


def lu_factor(a, overwrite_a=False, check_finite=True):
    """``(lu, piv)``: the packed LU factors and LAPACK's 0-based row interchanges."""
    if is_eager_all((a,)):
        return _scipy_linalg().lu_factor(a, overwrite_a, check_finite)
    packed, pivots, _ = lax.lu(numpy_linalg._matrices("lu_factor", a, square=False))
    return packed, pivots


def _permutation_of_pivots(pivots, m):
    """The row order that the interchanges ``pivots`` make of ``m`` rows, traced: the
    interchanges applied one after the other."""
    fnp = _fnp()
    positions = np.arange(m, dtype=np.int32)
    order = fnp.broadcast_to(positions, aval(pivots).shape[:-1] + (m,))
    for i in range(aval(pivots).shape[-1]):
        j = pivots[..., i:i + 1]
        at_i = order[..., i:i + 1]
        at_j = fnp.take_along_axis(order, j, axis=-1)
        order = fnp.where(positions == i, at_j, fnp.where(positions == j, at_i, order))
    return order


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """``x`` with ``op(a) @ x = b`` from ``lu_factor(a)`` (``trans`` as in solve_triangular)."""
    packed, pivots = lu_and_piv
    if is_eager_all((packed, pivots, b)):
        return _scipy_linalg().lu_solve((packed, pivots), b, trans, overwrite_b, check_finite)
    packed = numpy_linalg._matrices("lu_solve", packed)
    packed, b, vector = _right_hand_side(packed, b, "lu_solve")
    permutation = _permutation_of_pivots(array_operand(pivots), aval(packed).shape[-1])
    rows = decompositions.permutation_matrix(permutation, aval(packed).dtype)
    transpose_a, conjugate_a = _trans_flags(trans)
    if not transpose_a:  # p a = l u
        y = lax.triangular_solve(packed, mo.matmul(rows, b), lower=True, unit_diagonal=True)
        x = lax.triangular_solve(packed, y, lower=False)
    else:  # op(a) = op(u) op(l) p
        y = lax.triangular_solve(packed, b, lower=False, transpose_a=True,
                                 conjugate_a=conjugate_a)
        z = lax.triangular_solve(packed, y, lower=True, transpose_a=True,
                                 conjugate_a=conjugate_a, unit_diagonal=True)
        x = mo.matmul(mo.matrix_transpose(rows), z)
    return x[..., 0] if vector else x


def lu(a, permute_l=False, overwrite_a=False, check_finite=True, p_indices=False):
    """``(p, l, u)`` with ``a = p @ l @ u`` (``p`` as row indices with ``p_indices``:
    ``a = l[p] @ u``), or ``(p @ l, u)`` with ``permute_l``."""
    if is_eager_all((a,)):
        return _scipy_linalg().lu(a, permute_l, overwrite_a, check_finite, p_indices)
    fnp = _fnp()
    a = numpy_linalg._matrices("lu", a, square=False)
    packed, _, permutation = lax.lu(a)
    m, n = aval(a).shape[-2:]
    k = min(m, n)
    lower = mo.triangle(mo.last_two(packed, (0, m), (0, k)), True, -1)
    lower = lower + np.eye(m, k, dtype=aval(a).dtype)
    upper = mo.triangle(mo.last_two(packed, (0, k), (0, n)), False)
    p = mo.matrix_transpose(decompositions.permutation_matrix(permutation, aval(a).dtype))
    if permute_l:
        return mo.matmul(p, lower), upper
    if p_indices:
        return fnp.argsort(permutation, axis=-1).astype(np.int32), lower, upper
    return p, lower, upper


def inv(a, overwrite_a=False, check_finite=True):
    """The inverse of each matrix."""
    if is_eager_all((a,)):
        return _scipy_linalg().inv(a, overwrite_a, check_finite)
    return numpy_linalg.inv(a)


def det(a, overwrite_a=False, check_finite=True):
    """The determinant of each matrix."""
    if is_eager_all((a,)):
        return _scipy_linalg().det(a, overwrite_a, check_finite)
    return numpy_linalg.det(a)


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a=None, transposed=False):
    """``x`` with ``a @ x = b`` (``aᵀ`` with ``transposed``); ``assume_a='pos'`` solves by
    Cholesky from the ``lower`` (or upper) triangle, any other structure by LU."""
    if is_eager_all((a, b)):
        return _scipy_linalg().solve(a, b, lower, overwrite_a, overwrite_b, check_finite,
                                     assume_a, transposed)
    a = numpy_linalg._matrices("solve", a)
    if transposed:
        a = mo.matrix_transpose(a)
    if assume_a in ("pos", "positive definite"):
        return cho_solve(cho_factor(a, lower=lower), b)
    return lu_solve(lu_factor(a), b)


def eigh(a, b=None, *, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False,
         type=1, check_finite=True, subset_by_index=None, subset_by_value=None, driver=None):  # noqa: A002
    """Eigenvalues (ascending) and eigenvectors of Hermitian matrices; traced, the standard
    problem only (``b=None``, no subsets)."""
    if is_eager_all((a, b)):
        return _scipy_linalg().eigh(a, b, lower=lower, eigvals_only=eigvals_only,
                                    overwrite_a=overwrite_a, overwrite_b=overwrite_b,
                                    type=type, check_finite=check_finite,
                                    subset_by_index=subset_by_index,
                                    subset_by_value=subset_by_value, driver=driver)
    if b is not None or subset_by_index is not None or subset_by_value is not None:
        raise NotImplementedError(at_user_line(
            "eigh: traced, only the standard eigenproblem of the whole spectrum is supported "
            "(b=None, no subset_by_index or subset_by_value)"))
    w, v = lax.eigh(numpy_linalg._matrices("eigh", a), lower=lower)
    return w if eigvals_only else (w, v)


def eigh_tridiagonal(d, e, eigvals_only=False, select="a", select_range=None,
                     check_finite=True, tol=0.0, lapack_driver="auto"):
    """Eigenvalues (ascending) and eigenvectors of the real symmetric tridiagonal matrix with
    diagonal ``d`` and off-diagonal ``e``; traced, by eigh of that matrix (differentiable),
    for ``select='a'`` or ``'i'`` (``select_range`` = (first, last) indices).

    >>> eigh_tridiagonal(np.array([2.0, 2.0]), np.array([1.0]), eigvals_only=True)
    array([1., 3.])
    """
    if is_eager_all((d, e)):
        return _scipy_linalg().eigh_tridiagonal(d, e, eigvals_only, select, select_range,
                                                check_finite, tol, lapack_driver)
    d, e = numpy_linalg._common_dtype(numpy_linalg._inexact(d), numpy_linalg._inexact(e))
    if aval(d).ndim != 1 or aval(e).ndim != 1 or aval(e).shape[0] != aval(d).shape[0] - 1:
        raise ValueError(at_user_line(
            f"eigh_tridiagonal: d must be 1-d of length n and e 1-d of length n-1, got "
            f"{aval(d).shape} and {aval(e).shape}"))
    if aval(d).dtype.kind == "c":
        raise TypeError(at_user_line("eigh_tridiagonal: d and e must be real"))
    fnp = _fnp()
    n = aval(d).shape[0]
    values = fnp.concatenate([d, e, fnp.zeros(1, aval(d).dtype)])
    positions = np.full((n, n), 2 * n - 1)
    positions[np.arange(n), np.arange(n)] = np.arange(n)
    positions[np.arange(1, n), np.arange(n - 1)] = n + np.arange(n - 1)
    positions[np.arange(n - 1), np.arange(1, n)] = n + np.arange(n - 1)
    w, v = lax.eigh(fnp.take(values, positions), lower=True)
    if select in ("i", 1):
        first, last = (int(bound) for bound in select_range)
        w, v = w[first:last + 1], v[:, first:last + 1]
    elif select not in ("a", 0):
        raise NotImplementedError(at_user_line(
            "eigh_tridiagonal: traced, select must be 'a' or 'i' (with select='v' the number "
            "of eigenvalues depends on the values); call it on concrete arrays"))
    return w if eigvals_only else (w, v)


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True,
        lapack_driver="gesdd"):
    """``(u, s, vh)``, or ``s`` without ``compute_uv``."""
    if is_eager_all((a,)):
        return _scipy_linalg().svd(a, full_matrices, compute_uv, overwrite_a, check_finite,
                                   lapack_driver)
    result = numpy_linalg.svd(a, full_matrices, compute_uv)
    return tuple(result) if compute_uv else result


def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    """``(q, r)`` (``mode`` ``'full'`` or ``'economic'``), or ``(r,)`` with ``mode='r'``."""
    if is_eager_all((a,)):
        return _scipy_linalg().qr(a, overwrite_a, lwork, mode, pivoting, check_finite)
    if pivoting or mode not in ("full", "economic", "r"):
        raise NotImplementedError(at_user_line(
            "qr: traced, mode 'full', 'economic' or 'r' without pivoting is supported"))
    q, r = lax.qr(numpy_linalg._matrices("qr", a, square=False), full_matrices=mode != "economic")
    return (r,) if mode == "r" else (q, r)


def qr_multiply(a, c, mode="right", pivoting=False, conjugate=False, overwrite_a=False,
                overwrite_c=False):
    """``(q @ c, r)`` (``mode='left'``, ``c`` K×P) or ``(c @ q, r)`` (``mode='right'``,
    ``c`` P×M) with the economic ``q`` (M×K, K = min(M, N)) and ``r`` (K×N) of ``a``;
    ``conj(q)`` with ``conjugate``. A 1-d ``c`` is a column (left) or row (right) and the
    product is 1-d. Traced, without pivoting; leading dimensions are a batch."""
    if is_eager_all((a, c)):
        return _scipy_linalg().qr_multiply(a, c, mode, pivoting, conjugate, overwrite_a,
                                           overwrite_c)
    if mode not in ("left", "right"):
        raise ValueError("qr_multiply: mode must be 'left' or 'right'")
    if pivoting:
        raise NotImplementedError(at_user_line(
            "qr_multiply: traced, pivoting is not supported; call it on concrete arrays"))
    fnp = _fnp()
    a = numpy_linalg._matrices("qr_multiply", a, square=False)
    c = numpy_linalg._inexact(c)
    # SciPy's dtype is a's (LAPACK's); a complex c makes it complex rather than losing its
    # imaginary part as SciPy does.
    dtype = aval(a).dtype
    if aval(c).dtype.kind == "c":
        dtype = np.result_type(dtype, aval(c).dtype)
    a, c = cast(a, dtype), cast(c, dtype)
    m, n = aval(a).shape[-2:]
    k = min(m, n)
    vector = aval(c).ndim == 1
    if vector:
        c = fnp.expand_dims(c, -1 if mode == "left" else 0)
    needed, axis = (k, -2) if mode == "left" else (m, -1)
    if aval(c).shape[axis] != needed:
        raise ValueError(at_user_line(
            f"qr_multiply: c of shape {aval(c).shape} does not fit q ({m}×{k}) for "
            f"mode={mode!r}: it needs {needed} {'rows' if mode == 'left' else 'columns'}"))
    q, r = lax.qr(a, full_matrices=False)
    if conjugate:
        q = mo.conjugate(q)
    product = mo.matmul(q, c) if mode == "left" else mo.matmul(c, q)
    return (fnp.ravel(product) if vector else product), r


# --- matrix functions --------------------------------------------------------------------

#: Padé coefficients of degree 13 and the 1-norm up to which it is accurate in float64
#: (Higham, "The scaling and squaring method for the matrix exponential revisited", 2005).
_PADE_13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
            129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
            40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA_13 = 5.371920351148152
#: squarings applied at most: 2**-16 scales a 1-norm of 350,000 into range; the exponential
#: of a larger matrix overflows anyway
_MAX_SQUARINGS = 16


def expm(A):  # noqa: N803 (SciPy's name)
    """The matrix exponential of each matrix of the stack."""
    if is_eager_all((A,)):
        return _scipy_linalg().expm(A)
    fnp = _fnp()
    a = numpy_linalg._matrices("expm", A)
    dtype = aval(a).dtype
    one_norm = fnp.max(fnp.sum(fnp.abs(a), axis=-2), axis=-1)
    # Scaling: a / 2**s has a 1-norm within the approximant's range; s is chosen from the
    # values, so it is computed without a derivative.
    squarings = fnp.clip(fnp.ceil(fnp.log2(lax.stop_gradient(one_norm) / _THETA_13)),
                         0, _MAX_SQUARINGS)
    scaled = a / fnp.expand_dims(2.0 ** squarings, (-2, -1)).astype(dtype)
    identity = np.broadcast_to(np.eye(aval(a).shape[-1], dtype=dtype), aval(a).shape)
    b = _PADE_13
    a2 = fnp.matmul(scaled, scaled)
    a4 = fnp.matmul(a2, a2)
    a6 = fnp.matmul(a4, a2)
    odd = fnp.matmul(scaled, fnp.matmul(a6, b[13] * a6 + b[11] * a4 + b[9] * a2)
                     + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * identity)
    even = (fnp.matmul(a6, b[12] * a6 + b[10] * a4 + b[8] * a2)
            + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * identity)
    result = numpy_linalg.solve(even - odd, even + odd)
    for step in range(_MAX_SQUARINGS):
        squared = fnp.expand_dims(squarings > step, (-2, -1))
        result = fnp.where(squared, fnp.matmul(result, result), result)
    return result


def _triangular_square_root(t):
    """The upper triangular ``u`` with ``u @ u = t`` for upper triangular complex ``t``, with
    principal roots on the diagonal, one superdiagonal at a time (Björck and Hammarling
    1983): ``u[i, j] = (t[i, j] - Σ_{i<k<j} u[i, k] u[k, j]) / (u[i, i] + u[j, j])``. While
    the ``d``-th superdiagonal of ``u`` is still zero, ``(u @ u)`` holds that sum on it."""
    fnp = _fnp()
    shape = aval(t).shape
    n = shape[-1]
    roots = fnp.sqrt(mo.diagonal(t))
    u = mo.diagonal_matrix(roots)
    sums = mo.rows(roots, n) + mo.columns(roots, n)
    one, zero = np.ones((), aval(t).dtype), np.zeros((), aval(t).dtype)
    for offset in range(1, n):
        band = np.broadcast_to(np.eye(n, k=offset, dtype=bool), shape)
        numerators = fnp.where(band, t - fnp.matmul(u, u), zero)
        # 0/0 is 0, as SciPy takes it (a zero eigenvalue twice: sqrtm(0) is 0)
        vanishing = numerators == zero
        u = fnp.where(band, fnp.where(vanishing, zero, numerators
                                      / fnp.where(vanishing, one, sums)), u)
    return u


def _square_root_of_real_or_nan(x, dtype):
    """The real part of ``x``, the complex square root of a real matrix; NaN for matrices
    whose principal root is not real (an eigenvalue on the negative real axis), where SciPy
    returns a complex root that a real traced result cannot hold."""
    fnp = _fnp()
    real, imaginary = fnp.real(x), fnp.imag(x)
    size = fnp.sqrt(fnp.sum(real * real + imaginary * imaginary, axis=(-2, -1), keepdims=True))
    tolerance = np.sqrt(np.finfo(dtype).eps)
    not_real = fnp.sqrt(fnp.sum(imaginary * imaginary, axis=(-2, -1), keepdims=True)) > (
        tolerance * size)
    return cast(fnp.where(not_real, np.array(np.nan, dtype), real), dtype)


@custom_jvp
def _principal_square_root(a):
    fnp = _fnp()
    dtype = aval(a).dtype
    t, z = lax.schur(a, output="complex")
    x = fnp.matmul(z, fnp.matmul(_triangular_square_root(t), mo.adjoint(z)))
    return x if dtype.kind == "c" else _square_root_of_real_or_nan(x, dtype)


@_principal_square_root.defjvp
def _principal_square_root_jvp(primals, tangents):
    # x x = a, so x dx + dx x = da: a Sylvester equation (Higham, "Functions of Matrices",
    # 6.1.4). The Schur form has no derivative; this implicit one needs none.
    (a,), (a_dot,) = primals, tangents
    x = _principal_square_root(a)
    return x, solve_sylvester(x, x, a_dot)


def sqrtm(A, disp=True, blocksize=64):  # noqa: N803 (SciPy's name)
    """The principal square root of each matrix: the complex Schur form and the triangular
    recurrence of Björck and Hammarling, as SciPy computes it; the derivative solves the
    Sylvester equation ``x dx + dx x = da``.

    Traced, a complex matrix has a complex root; a real matrix a real one, or NaN where its
    principal root is not real (an eigenvalue on the negative real axis, where SciPy's
    result is complex): cast such a matrix to complex first.

    >>> import functrans, functrans.scipy.linalg as fsl, numpy as np
    >>> a = np.array([[4.0, 1.0], [0.0, 9.0]])
    >>> functrans.jit(fsl.sqrtm)(a)
    array([[2. , 0.2],
           [0. , 3. ]])
    """
    if is_eager_all((A,)):
        return _scipy_linalg().sqrtm(A)
    return _principal_square_root(numpy_linalg._matrices("sqrtm", A))


def expm_frechet(A, E, method=None, compute_expm=True, check_finite=True):  # noqa: N803
    """The Fréchet derivative of ``expm`` at ``A`` in direction ``E`` (with ``expm(A)``
    first unless ``compute_expm`` is false): the JVP of :func:`expm`."""
    if is_eager_all((A, E)):
        return _scipy_linalg().expm_frechet(A, E, method, compute_expm, check_finite)
    from functrans import jvp
    a = numpy_linalg._matrices("expm_frechet", A)
    a, e = numpy_linalg._common_dtype(a, numpy_linalg._inexact(E))
    exponential, derivative = jvp(expm, (a,), (e,))
    return (exponential, derivative) if compute_expm else derivative


def polar(a, side="right"):
    """``(u, p)``: ``a = u @ p`` (``side='right'``) or ``a = p @ u`` (``'left'``) with ``u``
    unitary and ``p`` Hermitian positive semi-definite, from the SVD."""
    if is_eager_all((a,)):
        return _scipy_linalg().polar(a, side)
    if side not in ("right", "left"):
        raise ValueError("`side` must be either 'right' or 'left'")
    fnp = _fnp()
    u, s, vh = numpy_linalg.svd(numpy_linalg._matrices("polar", a, square=False),
                                full_matrices=False)
    scaled = fnp.expand_dims(s, -1).astype(aval(vh).dtype)
    if side == "right":
        p = fnp.matmul(mo.adjoint(vh), scaled * vh)
    else:
        p = fnp.matmul(u * fnp.expand_dims(s, -2).astype(aval(u).dtype), mo.adjoint(u))
    return fnp.matmul(u, vh), p


def block_diag(*arrs):
    """The block-diagonal matrix of the arrays (scalars and vectors are 1-row blocks)."""
    if is_eager_all(arrs):
        return _scipy_linalg().block_diag(*arrs)
    fnp = _fnp()
    blocks = [fnp.atleast_2d(array_operand(x)) for x in arrs]
    if any(aval(b).ndim != 2 for b in blocks):
        raise ValueError("arguments in the following positions have dimension greater than "
                         "2: " + str([i for i, b in enumerate(blocks) if aval(b).ndim > 2]))
    dtype = np.result_type(*(aval(b).dtype for b in blocks))
    width = sum(aval(b).shape[1] for b in blocks)
    rows, start = [], 0
    for block in blocks:
        height, columns = aval(block).shape
        rows.append(fnp.concatenate([np.zeros((height, start), dtype), cast(block, dtype),
                                     np.zeros((height, width - start - columns), dtype)], axis=1))
        start += columns
    return fnp.concatenate(rows, axis=0)


def toeplitz(c, r=None):
    """The Toeplitz matrix with first column ``c`` and first row ``r`` (``conj(c)`` by
    default; ``r[0]`` is ignored)."""
    if is_eager_all((c, r)):
        return _scipy_linalg().toeplitz(c, r)
    fnp = _fnp()
    c = fnp.ravel(array_operand(c))
    r = mo.conjugate(c) if r is None else fnp.ravel(array_operand(r))
    values = fnp.concatenate([c[::-1], r[1:]])
    m, n = aval(c).shape[0], aval(r).shape[0]
    positions = m - 1 - np.arange(m)[:, None] + np.arange(n)[None, :]
    return fnp.take(values, positions)


def hilbert(n):
    """The Hilbert matrix of order ``n`` (a constant: SciPy's own)."""
    return _scipy_linalg().hilbert(n)
