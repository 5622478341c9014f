"""``numpy.linalg``, traceable: ``functrans.numpy.linalg``.

On concrete inputs with no transform active each function calls NumPy itself. Traced,
the functions are written over the decomposition primitives of
:mod:`functrans.lax.decompositions` (cholesky, triangular_solve, lu, eigh, svd, qr), so
they differentiate (to any order), batch and compile with those primitives' rules:
``solve``/``inv``/``det``/``slogdet`` go through LU, ``pinv``/``lstsq``/``matrix_rank``/
``cond`` and the 2-norms through the SVD. Every function takes stacks of matrices
(``...×m×n``) where NumPy does, and keeps float32 as float32.

>>> import functrans, functrans.numpy as fnp
>>> a = fnp.array([[4.0, 1.0], [1.0, 3.0]])
>>> functrans.grad(lambda a: fnp.linalg.slogdet(a)[1])(a)  # inv(a).T
array([[ 0.27272727, -0.09090909],
       [-0.09090909,  0.36363636]])

Derivatives follow JAX's rules: eigh and svd need distinct eigen/singular values; the
derivative of ``det`` goes through the LU factors, so it needs a nonsingular matrix.
"""
import collections
import operator

import numpy as np

from functrans import lax
from functrans.errors import at_user_line
from functrans.lax import _matrix_ops as mo
from functrans.lax.decompositions import lu_solve
from functrans.numpy._dispatch import array_operand, is_eager_all
from functrans.numpy._promotion import aval, broadcast_shapes, cast

LinAlgError = np.linalg.LinAlgError

EigResult = collections.namedtuple("EigResult", ["eigenvalues", "eigenvectors"])
EighResult = collections.namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
QRResult = collections.namedtuple("QRResult", ["Q", "R"])
SlogdetResult = collections.namedtuple("SlogdetResult", ["sign", "logabsdet"])
SVDResult = collections.namedtuple("SVDResult", ["U", "S", "Vh"])

__all__ = [
    "LinAlgError", "cholesky", "cond", "cross", "det", "diagonal", "eig", "eigh", "eigvals", "eigvalsh", "inv",
    "lstsq", "matmul", "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose",
    "multi_dot", "norm", "outer", "pinv", "qr", "slogdet", "solve", "svd", "svdvals",
    "tensordot", "tensorinv", "tensorsolve", "trace", "vecdot", "vector_norm",
]


def _fnp():
    # functrans.numpy imports this module last, so its names are all there by the first call.
    import functrans.numpy as fnp
    return fnp


def _inexact(a):
    """``a`` as an array of a floating dtype (integers and booleans become float64)."""
    a = array_operand(a)
    if aval(a).dtype.kind not in "fc":
        a = cast(a, np.dtype(np.float64))
    return a


def _matrices(function_name, a, square=True):
    """``a`` as a stack of (square) matrices, or NumPy's LinAlgError."""
    a = _inexact(a)
    shape = aval(a).shape
    if len(shape) < 2:
        raise LinAlgError(at_user_line(
            f"{function_name}: {len(shape)}-dimensional array given. Array must be at least "
            "two-dimensional"))
    if square and shape[-1] != shape[-2]:
        raise LinAlgError(at_user_line(
            f"{function_name}: Last 2 dimensions of the array must be square (got {shape})"))
    return a


def _common_dtype(*arrays):
    dtype = np.result_type(*(aval(a).dtype for a in arrays))
    return [cast(a, dtype) for a in arrays]


def _broadcast_batch(function_name, a, b):
    """``a`` and ``b`` (stacks of matrices) broadcast to one batch shape."""
    fnp = _fnp()
    batch = broadcast_shapes(function_name, aval(a).shape[:-2], aval(b).shape[:-2])
    return (fnp.broadcast_to(a, batch + aval(a).shape[-2:]),
            fnp.broadcast_to(b, batch + aval(b).shape[-2:]))


# --- solving and inverting ----------------------------------------------------------------

def solve(a, b):
    """The solution ``x`` of ``a @ x = b``; ``b`` is a vector if 1-d, else a stack of
    matrices (NumPy 2's rule); batch dimensions broadcast."""
    if is_eager_all((a, b)):
        return np.linalg.solve(a, b)
    fnp = _fnp()
    a = _matrices("solve", a)
    a, b = _common_dtype(a, _inexact(b))
    vector = aval(b).ndim == 1
    if vector:
        b = fnp.expand_dims(b, -1)
    if aval(b).shape[-2] != aval(a).shape[-1]:
        raise ValueError(at_user_line(
            f"solve: the right-hand side {aval(b).shape} must have {aval(a).shape[-1]} rows"))
    a, b = _broadcast_batch("solve", a, b)
    packed, _, permutation = lax.lu(a)
    x = lu_solve(packed, permutation, b)
    return x[..., 0] if vector else x


def inv(a):
    """The inverse of each matrix: ``solve(a, identity)``."""
    if is_eager_all((a,)):
        return np.linalg.inv(a)
    a = _matrices("inv", a)
    identity = np.broadcast_to(np.eye(aval(a).shape[-1], dtype=aval(a).dtype), aval(a).shape)
    return solve(a, identity)


def _lu_parity(pivots, dtype):
    """(-1) ** (number of row interchanges), for each matrix of the stack."""
    fnp = _fnp()
    swaps = fnp.sum(pivots != np.arange(aval(pivots).shape[-1], dtype=np.int32), axis=-1)
    return cast(1 - 2 * (swaps % 2), dtype)


def det(a):
    """The determinant of each matrix, from its LU factors."""
    if is_eager_all((a,)):
        return np.linalg.det(a)
    fnp = _fnp()
    a = _matrices("det", a)
    packed, pivots, _ = lax.lu(a)
    return _lu_parity(pivots, aval(a).dtype) * fnp.prod(mo.diagonal(packed), axis=-1)


def slogdet(a):
    """``(sign, logabsdet)`` of the determinant of each matrix (sign 0 and -inf if singular)."""
    if is_eager_all((a,)):
        return np.linalg.slogdet(a)
    fnp = _fnp()
    a = _matrices("slogdet", a)
    packed, pivots, _ = lax.lu(a)
    diagonal_ = mo.diagonal(packed)
    # The phase z/|z| of each pivot (its sign, for real matrices), with its derivative.
    phases = diagonal_ / fnp.abs(diagonal_) if aval(a).dtype.kind == "c" else fnp.sign(diagonal_)
    sign = _lu_parity(pivots, aval(a).dtype) * fnp.prod(phases, axis=-1)
    magnitudes = fnp.abs(diagonal_)
    # log(0) = -inf for a singular matrix, as NumPy gives it, without log's warning.
    zero = magnitudes == 0
    logs = fnp.where(zero, -np.inf, fnp.log(fnp.where(zero, 1, magnitudes)))
    return SlogdetResult(sign, fnp.sum(logs, axis=-1))


def matrix_power(a, n):
    """``a`` raised to the integer power ``n`` by repeated squaring (``inv`` first if n < 0)."""
    if is_eager_all((a,)):
        return np.linalg.matrix_power(a, n)
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError("exponent must be an integer") from None
    a = array_operand(a)
    shape = aval(a).shape
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise LinAlgError(at_user_line(f"matrix_power: a stack of square matrices is needed, "
                                       f"got shape {shape}"))
    if n == 0:
        return np.broadcast_to(np.eye(shape[-1], dtype=aval(a).dtype), shape).copy()
    if n < 0:
        a, n = inv(a), -n
    fnp = _fnp()
    result = None
    while n:
        if n & 1:
            result = a if result is None else fnp.matmul(result, a)
        n >>= 1
        if n:
            a = fnp.matmul(a, a)
    return result


def tensorsolve(a, b, axes=None):
    """``x`` with ``tensordot(a, x, x.ndim) = b``, by reshaping to ``solve``."""
    if is_eager_all((a, b)):
        return np.linalg.tensorsolve(a, b, axes)
    fnp = _fnp()
    a, b = array_operand(a), array_operand(b)
    ndim = aval(a).ndim
    if axes is not None:
        order = [d for d in range(ndim) if d not in [k % ndim for k in axes]]
        order += [k % ndim for k in axes]
        a = fnp.transpose(a, order)
    unknown_shape = aval(a).shape[ndim - (ndim - aval(b).ndim):]
    count = int(np.prod(unknown_shape, dtype=np.int64))
    matrix = fnp.reshape(a, (-1, count))
    if aval(matrix).shape[0] != count:
        raise LinAlgError(at_user_line(
            f"tensorsolve: the leading dimensions of a {aval(a).shape} must have as many "
            f"elements ({aval(matrix).shape[0]}) as its trailing ones ({count})"))
    return fnp.reshape(solve(matrix, fnp.ravel(b)), unknown_shape)


def tensorinv(a, ind=2):
    """The inverse of ``a`` for ``tensordot`` over its first ``ind`` dimensions."""
    if is_eager_all((a,)):
        return np.linalg.tensorinv(a, ind)
    fnp = _fnp()
    a = array_operand(a)
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    shape = aval(a).shape
    rows = int(np.prod(shape[:ind], dtype=np.int64))
    return fnp.reshape(inv(fnp.reshape(a, (rows, -1))), shape[ind:] + shape[:ind])


# --- decompositions -----------------------------------------------------------------------

def cholesky(a, /, *, upper=False):
    """The lower (or, with ``upper``, upper) Cholesky factor of each matrix, read from its
    lower (upper) triangle as NumPy reads it; LinAlgError if not positive definite."""
    if is_eager_all((a,)):
        return np.linalg.cholesky(a, upper=upper)
    a = _matrices("cholesky", a)
    if upper:
        return mo.adjoint(lax.cholesky(mo.adjoint(a)))
    return lax.cholesky(a)


def _uplo(UPLO):  # noqa: N803 (NumPy's parameter name)
    if UPLO not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    return UPLO == "L"


def eigh(a, UPLO="L"):  # noqa: N803 (NumPy's parameter name)
    """Eigenvalues (ascending) and eigenvectors of the Hermitian matrices whose ``UPLO``
    triangle ``a`` holds: ``EighResult(eigenvalues, eigenvectors)``."""
    if is_eager_all((a,)):
        return np.linalg.eigh(a, UPLO)
    lower = _uplo(UPLO)
    return EighResult(*lax.eigh(_matrices("eigh", a), lower=lower))


def eigvalsh(a, UPLO="L"):  # noqa: N803 (NumPy's parameter name)
    """The eigenvalues (ascending) of Hermitian matrices, as :func:`eigh` computes them."""
    if is_eager_all((a,)):
        return np.linalg.eigvalsh(a, UPLO)
    lower = _uplo(UPLO)
    return lax.eigh(_matrices("eigvalsh", a), lower=lower)[0]


def eig(a):
    """``EigResult(eigenvalues, eigenvectors)`` of general square matrices. Traced, both
    are complex (NumPy returns real arrays when every eigenvalue of a real matrix is real);
    the derivative needs distinct eigenvalues and complex support."""
    if is_eager_all((a,)):
        return np.linalg.eig(a)
    return EigResult(*lax.eig(_matrices("eig", a)))


def eigvals(a):
    """The eigenvalues of general square matrices (complex when traced, see :func:`eig`)."""
    if is_eager_all((a,)):
        return np.linalg.eigvals(a)
    return lax.eig(_matrices("eigvals", a))[0]


def _hermitian_svd(a, compute_uv):
    """SVD of Hermitian matrices from their eigendecomposition, as NumPy computes it."""
    fnp = _fnp()
    w, v = lax.eigh(a)
    s = fnp.abs(w)
    order = fnp.argsort(-s, axis=-1)
    s = fnp.take_along_axis(s, order, axis=-1)
    if not compute_uv:
        return s
    signs = fnp.take_along_axis(fnp.sign(w), order, axis=-1)
    u = fnp.take_along_axis(v, fnp.broadcast_to(fnp.expand_dims(order, -2), aval(v).shape), -1)
    vh = mo.adjoint(u * fnp.expand_dims(signs, -2).astype(aval(u).dtype))
    return SVDResult(u, s, vh)


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """``SVDResult(U, S, Vh)`` with ``a = U @ (S[..., None] * Vh)``, S descending; ``S``
    alone without ``compute_uv``."""
    if is_eager_all((a,)):
        return np.linalg.svd(a, full_matrices, compute_uv, hermitian)
    a = _matrices("svd", a, square=hermitian)
    if hermitian:
        return _hermitian_svd(a, compute_uv)
    if not compute_uv:
        return lax.svd(a, compute_uv=False)[0]
    return SVDResult(*lax.svd(a, full_matrices=full_matrices))


def svdvals(x, /):
    """The singular values of each matrix, descending."""
    if is_eager_all((x,)):
        return np.linalg.svdvals(x)
    return svd(x, compute_uv=False)


def qr(a, mode="reduced"):
    """``QRResult(Q, R)`` (``mode`` ``'reduced'`` or ``'complete'``), or ``R`` alone (``'r'``).
    ``'raw'`` (LAPACK's Householder form) is left to NumPy: traced, it is an error."""
    if is_eager_all((a,)):
        return np.linalg.qr(a, mode)
    if mode not in ("reduced", "complete", "r", "raw"):
        raise ValueError(f"Unrecognized mode '{mode}'")
    if mode == "raw":
        raise NotImplementedError(at_user_line(
            "qr(mode='raw') returns LAPACK's Householder reflectors, which functrans does not "
            "trace; use mode='reduced' or 'complete'"))
    q, r = lax.qr(_matrices("qr", a, square=False), full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


# --- built on the SVD ---------------------------------------------------------------------

def _safe_reciprocal(s, keep):
    """``1 / s`` where ``keep``, else 0, with no infinity even in the discarded branch (so
    derivatives stay finite)."""
    fnp = _fnp()
    return fnp.where(keep, 1 / fnp.where(keep, s, 1), 0)


def pinv(a, rcond=None, hermitian=False, *, rtol=np._NoValue):
    """The Moore–Penrose pseudo-inverse, from the SVD: singular values at most
    ``rcond * max(s)`` count as zero (NumPy's defaults)."""
    if is_eager_all((a,)):
        return np.linalg.pinv(a, rcond, hermitian, rtol=rtol)
    fnp = _fnp()
    a = _matrices("pinv", a, square=False)
    if rcond is None:
        if rtol is np._NoValue:
            rcond = 1e-15
        elif rtol is None:
            rcond = max(aval(a).shape[-2:]) * np.finfo(aval(a).dtype).eps
        else:
            rcond = rtol
    elif rtol is not np._NoValue:
        raise ValueError("`rtol` and `rcond` can't be both set.")
    u, s, vh = svd(a, full_matrices=False, hermitian=hermitian)
    cutoff = fnp.expand_dims(fnp.asarray(rcond), -1) * fnp.max(s, axis=-1, keepdims=True)
    s_inverse = _safe_reciprocal(s, s > cutoff).astype(aval(a).dtype)
    return fnp.matmul(mo.adjoint(vh), fnp.expand_dims(s_inverse, -1) * mo.adjoint(u))


def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):  # noqa: N803 (NumPy's name)
    """The number of singular values above ``tol`` (default ``max(s) * max(m, n) * eps``)."""
    if is_eager_all((A, tol, rtol)):
        return np.linalg.matrix_rank(A, tol, hermitian, rtol=rtol)
    fnp = _fnp()
    A = _inexact(A)  # noqa: N806
    if aval(A).ndim < 2:
        return fnp.any(A != 0).astype(np.int64)
    s = svd(A, compute_uv=False, hermitian=hermitian)
    if tol is None:
        if rtol is None:
            rtol = max(aval(A).shape[-2:]) * np.finfo(aval(s).dtype).eps
        else:
            rtol = fnp.expand_dims(fnp.asarray(rtol), -1)
        tol = fnp.max(s, axis=-1, keepdims=True) * rtol
    else:
        tol = fnp.expand_dims(fnp.asarray(tol), -1)
    return fnp.sum(s > tol, axis=-1)


def lstsq(a, b, rcond=None):
    """``(x, residuals, rank, s)``: the least-squares solution of ``a @ x = b`` by the SVD.

    Traced, ``residuals`` has NumPy's shape for a full-rank ``a`` (the rank is a traced
    value, so the empty residuals NumPy returns for a rank-deficient ``a`` with m > n are
    the sums of squares here too).
    """
    if is_eager_all((a, b)):
        return np.linalg.lstsq(a, b, rcond)
    fnp = _fnp()
    a, b = _common_dtype(_inexact(a), _inexact(b))
    if aval(a).ndim != 2 or aval(b).ndim not in (1, 2):
        raise LinAlgError(at_user_line(
            f"lstsq: a must be a matrix and b a vector or matrix, got shapes {aval(a).shape} "
            f"and {aval(b).shape}"))
    m, n = aval(a).shape
    if aval(b).shape[0] != m:
        raise LinAlgError(at_user_line("lstsq: Incompatible dimensions"))
    vector = aval(b).ndim == 1
    if vector:
        b = fnp.expand_dims(b, -1)
    if rcond is None:
        rcond = np.finfo(aval(a).dtype).eps * max(m, n)
    u, s, vh = lax.svd(a, full_matrices=False)
    keep = s > rcond * fnp.max(s)
    s_inverse = _safe_reciprocal(s, keep).astype(aval(a).dtype)
    x = fnp.matmul(mo.adjoint(vh), fnp.expand_dims(s_inverse, -1) * fnp.matmul(mo.adjoint(u), b))
    rank = fnp.sum(keep).astype(np.int32)
    real_dtype = aval(s).dtype
    if m > n:
        residual = fnp.matmul(a, x) - b
        residuals = fnp.sum((residual * mo.conjugate(residual)).real if aval(b).dtype.kind == "c"
                            else residual * residual, axis=0).astype(real_dtype)
    else:
        residuals = np.zeros((0,), real_dtype)
    return (x[:, 0] if vector else x), residuals, rank, s


def cond(x, p=None):
    """The condition number in norm ``p`` (2 by default, from the singular values)."""
    if is_eager_all((x,)):
        return np.linalg.cond(x, p)
    fnp = _fnp()
    x = _matrices("cond", x, square=p not in (None, 2, -2))
    if p in (None, 2, -2):
        s = svd(x, compute_uv=False)
        return s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
    return norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))


# --- norms --------------------------------------------------------------------------------

def _squared_magnitude(x):
    return (x * mo.conjugate(x)).real if aval(x).dtype.kind == "c" else x * x


def _vector_norm(x, ord, axis, keepdims):  # noqa: A002 (NumPy's name)
    fnp = _fnp()
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    magnitude = fnp.abs(x)
    if ord == np.inf:
        return fnp.max(magnitude, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return fnp.min(magnitude, axis=axis, keepdims=keepdims)
    if ord == 0:
        return fnp.sum((x != 0).astype(aval(magnitude).dtype), axis=axis, keepdims=keepdims)
    if ord == 1:
        return fnp.sum(magnitude, axis=axis, keepdims=keepdims)
    if ord is None or ord == 2:
        return fnp.sqrt(fnp.sum(_squared_magnitude(x), axis=axis, keepdims=keepdims))
    ord = float(ord)
    return fnp.sum(magnitude ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


def _matrix_norm(x, ord, row_axis, col_axis, keepdims):  # noqa: A002 (NumPy's name)
    fnp = _fnp()
    if row_axis == col_axis:
        raise ValueError("Duplicate axes given.")
    if ord in (2, -2, "nuc"):
        s = svd(fnp.moveaxis(x, (row_axis, col_axis), (-2, -1)), compute_uv=False)
        result = {2: fnp.max, -2: fnp.min, "nuc": fnp.sum}[ord](s, axis=-1)
    elif ord in (1, -1):
        extremum = fnp.max if ord == 1 else fnp.min
        result = extremum(fnp.sum(fnp.abs(x), axis=row_axis),
                          axis=col_axis - 1 if col_axis > row_axis else col_axis)
    elif ord in (np.inf, -np.inf):
        extremum = fnp.max if ord == np.inf else fnp.min
        result = extremum(fnp.sum(fnp.abs(x), axis=col_axis),
                          axis=row_axis - 1 if row_axis > col_axis else row_axis)
    elif ord in (None, "fro", "f"):
        result = fnp.sqrt(fnp.sum(_squared_magnitude(x), axis=(row_axis, col_axis)))
    else:
        raise ValueError("Invalid norm order for matrices.")
    if keepdims:
        result = fnp.expand_dims(result, tuple(sorted((row_axis, col_axis))))
    return result


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 (NumPy's name)
    """NumPy's ``norm``: vector norms over one axis, matrix norms over two (``'fro'``,
    ``'nuc'``, ±1, ±2, ±inf), the 2-norm of the flattened array by default."""
    if is_eager_all((x,)):
        return np.linalg.norm(x, ord, axis, keepdims)
    fnp = _fnp()
    x = _inexact(x)
    ndim = aval(x).ndim
    if axis is None:
        if ord is None or (ord in ("f", "fro") and ndim == 2) or (ord == 2 and ndim == 1):
            result = fnp.sqrt(fnp.sum(_squared_magnitude(fnp.ravel(x))))
            return fnp.reshape(result, (1,) * ndim) if keepdims else result
        axis = tuple(range(ndim))
    elif not isinstance(axis, tuple):
        axis = (operator.index(axis),)
    axis = tuple(a + ndim if a < 0 else a for a in axis)
    if any(not 0 <= a < ndim for a in axis):
        raise ValueError(f"axis {axis} is out of bounds for an array of dimension {ndim}")
    if len(axis) == 1:
        return _vector_norm(x, ord, axis[0], keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis[0], axis[1], keepdims)
    raise ValueError("Improper number of dimensions to norm.")


def matrix_norm(x, /, *, keepdims=False, ord="fro"):  # noqa: A002 (NumPy's name)
    """The norm of each matrix of a stack (over the last two axes)."""
    if is_eager_all((x,)):
        return np.linalg.matrix_norm(x, keepdims=keepdims, ord=ord)
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):  # noqa: A002 (NumPy's name)
    """The vector norm over ``axis`` (all axes by default, or several, taken as one vector)."""
    if is_eager_all((x,)):
        return np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
    fnp = _fnp()
    x = _inexact(x)
    shape = aval(x).shape
    axes = tuple(range(len(shape))) if axis is None else (
        tuple(axis) if isinstance(axis, tuple) else (operator.index(axis),))
    axes = tuple(sorted(a % len(shape) for a in axes)) if shape else ()
    others = [d for d in range(len(shape)) if d not in axes]
    flat = fnp.reshape(fnp.transpose(x, others + list(axes)),
                       tuple(shape[d] for d in others) + (-1,))
    result = _vector_norm(flat, ord, -1, False)
    if keepdims:
        result = fnp.reshape(result, tuple(1 if d in axes else n for d, n in enumerate(shape)))
    return result


# --- the array-API names --------------------------------------------------------------------

def multi_dot(arrays, *, out=None):
    """The product of the matrices, the first and last possibly vectors (left to right)."""
    if out is not None:
        raise NotImplementedError("multi_dot: out= is not supported (arrays are immutable)")
    arrays = list(arrays)
    if is_eager_all(arrays):
        return np.linalg.multi_dot(arrays)
    if len(arrays) < 2:
        raise ValueError("Expecting at least two arrays.")
    fnp = _fnp()
    result = arrays[0]
    for array in arrays[1:]:
        result = fnp.dot(result, array)
    return result


def matmul(x1, x2, /):
    """``x1 @ x2``."""
    return _fnp().matmul(x1, x2)


def outer(x1, x2, /):
    """The outer product of two vectors."""
    if is_eager_all((x1, x2)):
        return np.linalg.outer(x1, x2)
    if aval(array_operand(x1)).ndim != 1 or aval(array_operand(x2)).ndim != 1:
        raise ValueError("Input arrays must be one-dimensional")
    return _fnp().outer(x1, x2)


def tensordot(x1, x2, /, *, axes=2):
    """``numpy.tensordot``."""
    return _fnp().tensordot(x1, x2, axes)


def matrix_transpose(x, /):
    """Each matrix of the stack transposed."""
    x = array_operand(x)
    if aval(x).ndim < 2:
        raise ValueError("Input array must be at least 2-dimensional")
    return _fnp().swapaxes(x, -1, -2)


def diagonal(x, /, *, offset=0):
    """The diagonals of the last two axes."""
    return _fnp().diagonal(x, offset, -2, -1)


def trace(x, /, *, offset=0, dtype=None):
    """The traces of the last two axes."""
    return _fnp().trace(x, offset, -2, -1, dtype)


def vecdot(x1, x2, /, *, axis=-1):
    """``sum(conj(x1) * x2, axis)``, broadcasting."""
    if is_eager_all((x1, x2)):
        return np.linalg.vecdot(x1, x2, axis=axis)
    x1, x2 = array_operand(x1), array_operand(x2)
    return _fnp().sum(mo.conjugate(x1) * x2, axis=axis)


def cross(x1, x2, /, *, axis=-1):
    """The cross product of 3-vectors along ``axis``."""
    if is_eager_all((x1, x2)):
        return np.linalg.cross(x1, x2, axis=axis)
    fnp = _fnp()
    x1, x2 = fnp.moveaxis(array_operand(x1), axis, -1), fnp.moveaxis(array_operand(x2), axis, -1)
    if aval(x1).shape[-1] != 3 or aval(x2).shape[-1] != 3:
        raise ValueError("Both input arrays must be (arrays of) 3-dimensional vectors, but they "
                         f"are {aval(x1).shape[-1]} and {aval(x2).shape[-1]} dimensional instead.")
    a0, a1, a2 = (x1[..., i] for i in range(3))
    b0, b1, b2 = (x2[..., i] for i in range(3))
    product = fnp.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return fnp.moveaxis(product, -1, axis)
