"""Matrix decompositions over stacks for generated kernels, compiled once per machine.

Each function takes a C-contiguous stack (``batch×m×n``) and loops over it, calling numba's
own ``np.linalg`` support (LAPACK through SciPy) on each matrix; the triangular solve and
the LU factorization, which numba's ``np.linalg`` lacks, are written out as loops. Like
functrans.lowering.blas, this file is installed in the cache directory, so numba compiles
each function once per dtype (the LAPACK bindings cost seconds) rather than per kernel.

LAPACK's symmetric routines read one triangle; numba's bindings choose theirs, so the
Hermitian matrix is completed from the triangle the primitive names before the call.
"""
import numpy as np
from numba import njit

from functrans.lowering.disk_cache import caches_machine_code

__all__ = ["cholesky_stack", "eig_stack", "eigh_stack", "lu_stack", "qr_stack", "svd_stack",
           "triangular_solve_stack"]

_compile = njit(cache=caches_machine_code(__name__), nogil=True)


@_compile
def _hermitian(a, lower):
    n = a.shape[0]
    full = np.empty_like(a)
    for i in range(n):
        for j in range(n):
            if i == j:
                full[i, j] = a[i, i]
            elif (i > j) == lower:
                full[i, j] = a[i, j]
            else:
                full[i, j] = np.conj(a[j, i])
    return full


@_compile
def cholesky_stack(a):
    out = np.empty_like(a)
    for b in range(a.shape[0]):
        out[b] = np.linalg.cholesky(_hermitian(a[b], True))
    return out


@_compile
def eigh_stack(a, lower, values):
    """Eigenvalues (ascending) into ``values``; returns the eigenvectors."""
    vectors = np.empty_like(a)
    for b in range(a.shape[0]):
        w, v = np.linalg.eigh(_hermitian(a[b], lower))
        values[b] = w
        vectors[b] = v
    return vectors


@_compile
def eig_stack(a, values):
    """Eigenvalues into ``values`` (complex); returns the eigenvectors (complex). A real
    matrix with real eigenvalues goes through the real routine, as NumPy's does, so the
    order and scaling are NumPy's; numba refuses the real routine when they are complex."""
    vectors = np.empty((a.shape[0], a.shape[1], a.shape[2]), dtype=values.dtype)
    for b in range(a.shape[0]):
        try:
            real_values, real_vectors = np.linalg.eig(a[b])
            values[b] = real_values
            vectors[b] = real_vectors
        except Exception:  # complex eigenvalues of a real matrix
            complex_values, complex_vectors = np.linalg.eig(a[b].astype(values.dtype))
            values[b] = complex_values
            vectors[b] = complex_vectors
    return vectors


@_compile
def svd_stack(a, full_matrices, u, s, vh):
    for b in range(a.shape[0]):
        ub, sb, vhb = np.linalg.svd(a[b], full_matrices=full_matrices)
        u[b] = ub
        s[b] = sb
        vh[b] = vhb


@_compile
def qr_stack(a, q, r):
    for b in range(a.shape[0]):
        qb, rb = np.linalg.qr(a[b])
        q[b] = qb
        r[b] = rb


@_compile
def triangular_solve_stack(a, rhs, lower, transpose_a, conjugate_a, unit_diagonal):
    """``op(a) x = rhs`` for each matrix of the stack, ``op`` a transpose and/or conjugate of
    the ``lower`` (or upper) triangle of ``a``: forward or back substitution."""
    n = a.shape[1]
    x = rhs.copy()
    forward = lower != transpose_a  # op(a) is lower triangular
    for b in range(a.shape[0]):
        for step in range(n):
            i = step if forward else n - 1 - step
            diagonal = a[b, i, i]
            if conjugate_a:
                diagonal = np.conj(diagonal)
            if not unit_diagonal and diagonal == 0:
                raise np.linalg.LinAlgError("Singular matrix: a zero on the diagonal")
            start, stop = (0, i) if forward else (i + 1, n)
            for column in range(x.shape[2]):
                total = x[b, i, column]
                for j in range(start, stop):
                    entry = a[b, j, i] if transpose_a else a[b, i, j]
                    if conjugate_a:
                        entry = np.conj(entry)
                    total -= entry * x[b, j, column]
                x[b, i, column] = total if unit_diagonal else total / diagonal
    return x


@_compile
def lu_stack(a, pivots, permutation):
    """LU factorization with partial pivoting (LAPACK's getrf, unblocked): the packed
    factors are returned; row interchanges go to ``pivots``, the row order to
    ``permutation``."""
    lu = a.copy()
    m, n = a.shape[1], a.shape[2]
    for b in range(a.shape[0]):
        for i in range(m):
            permutation[b, i] = i
        for k in range(min(m, n)):
            best = k
            for i in range(k + 1, m):
                if np.abs(lu[b, i, k]) > np.abs(lu[b, best, k]):
                    best = i
            pivots[b, k] = best
            if best != k:
                for j in range(n):
                    lu[b, k, j], lu[b, best, j] = lu[b, best, j], lu[b, k, j]
                permutation[b, k], permutation[b, best] = permutation[b, best], permutation[b, k]
            pivot = lu[b, k, k]
            if pivot != 0:
                for i in range(k + 1, m):
                    lu[b, i, k] /= pivot
            for i in range(k + 1, m):
                factor = lu[b, i, k]
                for j in range(k + 1, n):
                    lu[b, i, j] -= factor * lu[b, k, j]
    return lu
