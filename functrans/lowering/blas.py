"""Matrix products for generated kernels, compiled once per machine rather than per kernel.

numba types ``np.dot`` afresh in every function that calls it, and compiling its BLAS
binding costs about 0.4 s for each operand layout: a training step with three products
spent over a second of its compile there. Kernels call these functions instead; numba
compiles each once per dtype and layout and, when functrans's disk cache is on, keeps the
machine code in the cache directory (functrans.lowering.compile installs this file there),
so a new kernel only links them.

``a`` and ``b`` may be of any layout; the suffix says which operand is used transposed.
"""
import numpy as np
from numba import njit

from functrans.lowering.disk_cache import caches_machine_code

__all__ = ["matmul", "matmul_nt", "matmul_tn", "matmul_tt"]

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
