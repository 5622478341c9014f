"""Matrix products for generated kernels, compiled once per machine rather than per kernel.

numba types ``np.dot`` afresh in every function that calls it, and compiling its BLAS
binding costs about 0.4 s for each operand layout: a training step with three products
spent over a second of its compile there. Kernels call these functions instead; numba
compiles each once per dtype and layout and, when functrans's disk cache is on, keeps the
machine code in the cache directory (functrans.lowering.compile installs this file there),
so a new kernel only links them.

``a`` and ``b`` may be of any layout; the suffix says which operand is used transposed.
The products call the BLAS of NumPy's own wheel, through the symbols functrans.lowering.
numpy_blas binds (see there why), and numba's ``np.dot`` (SciPy's BLAS) where NumPy has none.
Batched products bring their operands into shape with ``permuted`` and ``reshaped``:
numba's ``np.transpose`` and ``reshape`` compile their error messages' string formatting
(about half of a 50x50 Hessian kernel's 8 s compile); here that happens once per machine,
and ``permuted`` avoids ``np.transpose`` altogether.
"""
import numpy as np
from numba import njit, types
from numba.extending import overload
from numba.np.unsafe.ndarray import to_fixed_tuple

from functrans.lowering import numpy_blas
from functrans.lowering.disk_cache import caches_machine_code

__all__ = ["matmul", "matmul_nt", "matmul_tn", "matmul_tt", "contiguous", "permuted", "reshaped"]

_compile = njit(cache=caches_machine_code(__name__), nogil=True)

#: CBLAS's enumerations: row-major storage, and an operand used as it is or transposed
_ROW_MAJOR, _AS_IS, _TRANSPOSED = np.int32(101), np.int32(111), np.int32(112)


def _cblas(routine, scalar):
    """``cblas_?gemm`` or ``cblas_?gemv`` of 64-bit integers, as the external symbol
    numpy_blas binds; real types take alpha and beta by value, complex ones by pointer.

    gemm: order, op(a), op(b), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc;
    gemv: order, op(a), rows, columns, alpha, a, lda, x, incx, beta, y, incy.
    """
    i32, i64, pointer = types.int32, types.int64, types.voidptr
    if routine.endswith("gemm"):
        arguments = (i32, i32, i32, i64, i64, i64, scalar, pointer, i64, pointer, i64, scalar,
                     pointer, i64)
    else:
        arguments = (i32, i32, i64, i64, scalar, pointer, i64, pointer, i64, scalar, pointer, i64)
    return types.ExternalFunction(numpy_blas.SYMBOLS[routine], types.void(*arguments))


_sgemm, _sgemv = _cblas("sgemm", types.float32), _cblas("sgemv", types.float32)
_dgemm, _dgemv = _cblas("dgemm", types.float64), _cblas("dgemv", types.float64)
_cgemm, _cgemv = _cblas("cgemm", types.voidptr), _cblas("cgemv", types.voidptr)
_zgemm, _zgemv = _cblas("zgemm", types.voidptr), _cblas("zgemv", types.voidptr)


@_compile
def _zero(c):
    flat = c.ravel()
    for i in range(flat.size):
        flat[i] = 0


@_compile
def _gemm(transposed_a, transposed_b, m, n, k, a, b, c):
    """``c = op(a) @ op(b)`` (m×n, inner size k) by NumPy's BLAS; all C-contiguous."""
    if m == 0 or n == 0:
        return
    if k == 0:
        _zero(c)
        return
    op_a = _TRANSPOSED if transposed_a else _AS_IS
    op_b = _TRANSPOSED if transposed_b else _AS_IS
    lda, ldb = (m if transposed_a else k), (k if transposed_b else n)
    if np.iscomplexobj(c):
        one_and_zero = np.array([1, 0], dtype=c.dtype)
        alpha, beta = one_and_zero[:1].ctypes, one_and_zero[1:].ctypes
        if c.itemsize == 8:
            _cgemm(_ROW_MAJOR, op_a, op_b, m, n, k, alpha, a.ctypes, lda, b.ctypes, ldb, beta,
                   c.ctypes, n)
        else:
            _zgemm(_ROW_MAJOR, op_a, op_b, m, n, k, alpha, a.ctypes, lda, b.ctypes, ldb, beta,
                   c.ctypes, n)
    elif c.itemsize == 4:
        _sgemm(_ROW_MAJOR, op_a, op_b, m, n, k, np.float32(1), a.ctypes, lda, b.ctypes, ldb,
               np.float32(0), c.ctypes, n)
    else:
        _dgemm(_ROW_MAJOR, op_a, op_b, m, n, k, 1.0, a.ctypes, lda, b.ctypes, ldb, 0.0,
               c.ctypes, n)


@_compile
def _gemv(transposed, rows, columns, a, x, y):
    """``y = op(a) @ x`` for ``a`` stored rows×columns, by NumPy's BLAS; all C-contiguous."""
    if y.size == 0:
        return
    if x.size == 0:
        _zero(y)
        return
    op = _TRANSPOSED if transposed else _AS_IS
    lda = max(columns, 1)
    if np.iscomplexobj(y):
        one_and_zero = np.array([1, 0], dtype=y.dtype)
        alpha, beta = one_and_zero[:1].ctypes, one_and_zero[1:].ctypes
        if y.itemsize == 8:
            _cgemv(_ROW_MAJOR, op, rows, columns, alpha, a.ctypes, lda, x.ctypes, 1, beta,
                   y.ctypes, 1)
        else:
            _zgemv(_ROW_MAJOR, op, rows, columns, alpha, a.ctypes, lda, x.ctypes, 1, beta,
                   y.ctypes, 1)
    elif y.itemsize == 4:
        _sgemv(_ROW_MAJOR, op, rows, columns, np.float32(1), a.ctypes, lda, x.ctypes, 1,
               np.float32(0), y.ctypes, 1)
    else:
        _dgemv(_ROW_MAJOR, op, rows, columns, 1.0, a.ctypes, lda, x.ctypes, 1, 0.0, y.ctypes, 1)


def _product(a, b, transposed_a, transposed_b):
    """``op(a) @ op(b)`` of C-contiguous matrices or vectors, by one gemm or gemv (a vector
    is never transposed): typed by the overload below."""


@overload(_product, jit_options={"nogil": True})
def _product_for(a, b, transposed_a, transposed_b):
    if a.ndim == 2 and b.ndim == 2:
        def matrix_matrix(a, b, transposed_a, transposed_b):
            m, k = (a.shape[1], a.shape[0]) if transposed_a else a.shape
            n = b.shape[0] if transposed_b else b.shape[1]
            out = np.empty((m, n), a.dtype)
            _gemm(transposed_a, transposed_b, m, n, k, a, b, out)
            return out
        return matrix_matrix
    if a.ndim == 2:
        def matrix_vector(a, b, transposed_a, transposed_b):
            out = np.empty(a.shape[1] if transposed_a else a.shape[0], a.dtype)
            _gemv(transposed_a, a.shape[0], a.shape[1], a, b, out)
            return out
        return matrix_vector
    if b.ndim == 2:
        def vector_matrix(a, b, transposed_a, transposed_b):  # a @ op(b) = op(b)ᵀ @ a
            out = np.empty(b.shape[0] if transposed_b else b.shape[1], a.dtype)
            _gemv(not transposed_b, b.shape[0], b.shape[1], b, a, out)
            return out
        return vector_matrix

    def vector_vector(a, b, transposed_a, transposed_b):  # a as a one-row matrix
        out = np.empty(1, a.dtype)
        _gemv(False, 1, a.shape[0], a, b, out)
        return out[0]
    return vector_vector


if numpy_blas.bind():
    @_compile
    def matmul(a, b):
        return _product(np.ascontiguousarray(a), np.ascontiguousarray(b), False, False)

    @_compile
    def matmul_tn(a, b):
        return _product(np.ascontiguousarray(a), np.ascontiguousarray(b), True, False)

    @_compile
    def matmul_nt(a, b):
        return _product(np.ascontiguousarray(a), np.ascontiguousarray(b), False, True)

    @_compile
    def matmul_tt(a, b):
        return _product(np.ascontiguousarray(a), np.ascontiguousarray(b), True, True)
else:
    @_compile
    def matmul(a, b):
        return np.dot(np.ascontiguousarray(a), np.ascontiguousarray(b))

    @_compile
    def matmul_tn(a, b):
        return np.dot(np.ascontiguousarray(a).T, np.ascontiguousarray(b))

    @_compile
    def matmul_nt(a, b):
        return np.dot(np.ascontiguousarray(a), np.ascontiguousarray(b).T)

    @_compile
    def matmul_tt(a, b):
        return np.dot(np.ascontiguousarray(a).T, np.ascontiguousarray(b).T)


@_compile
def contiguous(a):
    """``a`` as a C-contiguous array (a scalar as an array of one element)."""
    return np.ascontiguousarray(a)


@_compile
def permuted(a, permutation):
    """``a`` with its axes in the order ``permutation``, as a C-contiguous array.

    Not ``np.transpose``: numba compiles its axis checks' error formatting for every
    permutation (literal tuples are compiled apart), 1-5 s each; a strided view of the
    permuted shape and strides compiles in a fifth of that.
    """
    shape = np.empty(a.ndim, np.int64)
    strides = np.empty(a.ndim, np.int64)
    position = 0
    for axis in permutation:
        shape[position] = a.shape[axis]
        strides[position] = a.strides[axis]
        position += 1
    view = np.lib.stride_tricks.as_strided(a, to_fixed_tuple(shape, a.ndim),
                                           to_fixed_tuple(strides, a.ndim))
    return np.ascontiguousarray(view)


@_compile
def reshaped(a, shape):
    """C-contiguous ``a`` reshaped to ``shape`` (a view)."""
    return a.reshape(shape)
