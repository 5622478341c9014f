"""Matrix products for generated kernels, compiled once per machine rather than per kernel.

numba types ``np.dot`` afresh in every function that calls it, and compiling its BLAS
binding costs about 0.4 s for each operand layout: a training step with three products
spent over a second of its compile there. Kernels call these functions instead; numba
compiles each once per dtype and layout and, when functrans's disk cache is on, keeps the
machine code in the cache directory (functrans.lowering.compile installs this file there),
so a new kernel only links them.

``a`` and ``b`` may be of any layout; the suffix says which operand is used transposed.
Batched products bring their operands into shape with ``permuted`` and ``reshaped``:
numba's ``np.transpose`` and ``reshape`` compile their error messages' string formatting
(about half of a 50x50 Hessian kernel's 8 s compile); here that happens once per machine,
and ``permuted`` avoids ``np.transpose`` altogether.
"""
import numpy as np
from numba import njit
from numba.np.unsafe.ndarray import to_fixed_tuple

from functrans.lowering.disk_cache import caches_machine_code

__all__ = ["matmul", "matmul_nt", "matmul_tn", "matmul_tt", "contiguous", "permuted", "reshaped"]

_compile = njit(cache=caches_machine_code(__name__), nogil=True)


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
