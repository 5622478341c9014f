"""Matrix decompositions over stacks for generated kernels, compiled once per machine.

Each function takes a C-contiguous stack (``batch×m×n``) and loops over it, calling numba's
own ``np.linalg`` support (LAPACK through SciPy) on each matrix; the triangular solve and
the LU factorization, which numba's ``np.linalg`` lacks, are written out as loops. Like
functrans.lowering.blas, this file is installed in the cache directory, so numba compiles
each function once per dtype (the LAPACK bindings cost seconds) rather than per kernel.

LAPACK's symmetric routines read one triangle; numba's bindings choose theirs, so the
Hermitian matrix is completed from the triangle the primitive names before the call.

The Schur and Hessenberg decompositions and the complete QR factorization (m×m ``q``), which
numba's ``np.linalg`` lacks, call LAPACK's gees, gehrd, orghr/unghr, geqrf and orgqr/ungqr
from ``scipy.linalg.cython_lapack`` (the LAPACK SciPy itself uses). They are declared as external symbols, not ctypes pointers, so that numba can cache
them on disk; ``register_lapack_symbols`` binds the symbols to SciPy's addresses and must
run (the emitters call it) before a kernel using them is compiled or loaded. Each routine
gets the four types' variants and a ``kind`` (0 s, 1 d, 2 c, 3 z) choosing one; LAPACK is
column-major, so each matrix is passed transposed.

Kernels do not call the stack functions directly: numba links a callee's code into the
caller's module and optimises it again there, inlined at every call site under functrans's
inline threshold, which made a kernel with a few dozen decompositions compile for minutes.
They call C entry points (``cfunc``) instead, one per routine and dtype, as external symbols
bound by ``register_entry``: compiled once per machine, and opaque to the kernel.
"""
import functools

import numpy as np
from numba import carray, cfunc, njit, types

from functrans.lowering.disk_cache import caches_machine_code

#: what kernels call: the LAPACK-symbol stacks and (appended below) the C entry points
__all__ = ["hessenberg_stack", "qr_complete_stack", "schur_stack"]

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


# --- Schur and Hessenberg, through scipy.linalg.cython_lapack ---------------------------------

#: LAPACK routine -> number of arguments (all pointers, Fortran style)
_ROUTINES = {"sgehrd": 9, "dgehrd": 9, "cgehrd": 9, "zgehrd": 9,
             "sorghr": 9, "dorghr": 9, "cunghr": 9, "zunghr": 9,
             "sgees": 15, "dgees": 15, "cgees": 15, "zgees": 15,
             "sgeqrf": 8, "dgeqrf": 8, "cgeqrf": 8, "zgeqrf": 8,
             "sorgqr": 9, "dorgqr": 9, "cungqr": 9, "zungqr": 9}
#: the LAPACK kind of each dtype, as the emitters pass it
KINDS = {np.dtype(np.float32): 0, np.dtype(np.float64): 1, np.dtype(np.complex64): 2,
         np.dtype(np.complex128): 3}


def _symbol(routine):
    return "functrans_lapack_" + routine


@functools.cache
def register_lapack_symbols():
    """Bind the external symbols below to SciPy's LAPACK (once per process)."""
    import llvmlite.binding
    from numba.extending import get_cython_function_address
    for routine in _ROUTINES:
        address = get_cython_function_address("scipy.linalg.cython_lapack", routine)
        llvmlite.binding.add_symbol(_symbol(routine), address)


def _external(routine):
    return types.ExternalFunction(_symbol(routine),
                                  types.void(*([types.voidptr] * _ROUTINES[routine])))


sgehrd, dgehrd, cgehrd, zgehrd = map(_external, ("sgehrd", "dgehrd", "cgehrd", "zgehrd"))
sorghr, dorghr, cunghr, zunghr = map(_external, ("sorghr", "dorghr", "cunghr", "zunghr"))
sgees, dgees, cgees, zgees = map(_external, ("sgees", "dgees", "cgees", "zgees"))
sgeqrf, dgeqrf, cgeqrf, zgeqrf = map(_external, ("sgeqrf", "dgeqrf", "cgeqrf", "zgeqrf"))
sorgqr, dorgqr, cungqr, zungqr = map(_external, ("sorgqr", "dorgqr", "cungqr", "zungqr"))


@_compile
def _gehrd_or_orghr(orghr, kind, n, low, high, a, lda, tau, work, lwork, info):
    """gehrd (reduce ``a`` to Hessenberg form) or, with ``orghr``, orghr/unghr (form q)."""
    args = (n.ctypes, low.ctypes, high.ctypes, a.ctypes, lda.ctypes, tau.ctypes, work.ctypes,
            lwork.ctypes, info.ctypes)
    if orghr:
        if kind == 0:
            sorghr(*args)
        elif kind == 1:
            dorghr(*args)
        elif kind == 2:
            cunghr(*args)
        else:
            zunghr(*args)
    elif kind == 0:
        sgehrd(*args)
    elif kind == 1:
        dgehrd(*args)
    elif kind == 2:
        cgehrd(*args)
    else:
        zgehrd(*args)


@_compile
def hessenberg_stack(a, kind, calc_q, q):
    """The Hessenberg form of each matrix of ``a`` (a ``kind`` dtype); ``q`` into ``q``
    with ``calc_q``."""
    n = a.shape[1]
    h = np.empty_like(a)
    size = np.array([n], np.int32)
    lda = np.array([max(n, 1)], np.int32)
    low = np.array([1], np.int32)
    lwork = 64 * max(n, 1)
    length = np.array([lwork], np.int32)
    info = np.zeros(1, np.int32)
    tau = np.empty(max(n - 1, 1), a.dtype)
    work = np.empty(lwork, a.dtype)
    for b in range(a.shape[0]):
        column_major = a[b].T.copy()
        _gehrd_or_orghr(False, kind, size, low, size, column_major, lda, tau, work, length, info)
        h[b] = column_major.T
        for i in range(n):
            for j in range(i - 1):
                h[b, i, j] = 0
        if calc_q:
            _gehrd_or_orghr(True, kind, size, low, size, column_major, lda, tau, work, length,
                            info)
            q[b] = column_major.T
    return h


@_compile
def schur_stack(a, kind, z):
    """The Schur form of each matrix of ``a`` (a ``kind`` dtype: real Schur form for real
    dtypes); the Schur vectors into ``z``. LinAlgError where the QR algorithm fails."""
    n = a.shape[1]
    t = np.empty_like(a)
    jobvs = np.array([ord("V")], np.uint8)
    no_sort = np.array([ord("N")], np.uint8)
    size = np.array([n], np.int32)
    lda = np.array([max(n, 1)], np.int32)
    selected = np.zeros(1, np.int32)
    lwork = 64 * max(n, 1)
    length = np.array([lwork], np.int32)
    info = np.zeros(1, np.int32)
    work = np.empty(lwork, a.dtype)
    values = np.empty(max(n, 1), a.dtype)
    imaginary_parts = np.empty(max(n, 1), a.dtype)
    real_work = np.zeros(max(n, 1), a.dtype).real.copy()
    unused = np.zeros(max(n, 1), np.int32)  # bwork and select: not referenced without sorting
    vectors = np.empty((n, n), a.dtype)
    for b in range(a.shape[0]):
        column_major = a[b].T.copy()
        if kind == 0 or kind == 1:
            args = (jobvs.ctypes, no_sort.ctypes, unused.ctypes, size.ctypes,
                    column_major.ctypes, lda.ctypes, selected.ctypes, values.ctypes,
                    imaginary_parts.ctypes, vectors.ctypes, lda.ctypes, work.ctypes,
                    length.ctypes, unused.ctypes, info.ctypes)
            if kind == 0:
                sgees(*args)
            else:
                dgees(*args)
        else:
            args = (jobvs.ctypes, no_sort.ctypes, unused.ctypes, size.ctypes,
                    column_major.ctypes, lda.ctypes, selected.ctypes, values.ctypes,
                    vectors.ctypes, lda.ctypes, work.ctypes, length.ctypes, real_work.ctypes,
                    unused.ctypes, info.ctypes)
            if kind == 2:
                cgees(*args)
            else:
                zgees(*args)
        if info[0] != 0:
            raise np.linalg.LinAlgError("schur: the QR algorithm did not converge")
        t[b] = column_major.T
        z[b] = vectors.T
    return t


@_compile
def qr_complete_stack(a, kind, q, r):
    """``a = q @ r`` with ``q`` m×m unitary into ``q`` and ``r`` m×n upper triangular into
    ``r``, for each matrix of ``a`` (a ``kind`` dtype): geqrf, then orgqr/ungqr forming all
    m columns of q from the min(m, n) reflectors (NumPy's ``mode='complete'``)."""
    m, n = a.shape[1], a.shape[2]
    k = min(m, n)
    rows = np.array([m], np.int32)
    columns = np.array([n], np.int32)
    reflectors = np.array([k], np.int32)
    lda = np.array([max(m, 1)], np.int32)
    lwork = 64 * max(m, n, 1)
    length = np.array([lwork], np.int32)
    info = np.zeros(1, np.int32)
    tau = np.empty(max(k, 1), a.dtype)
    work = np.empty(lwork, a.dtype)
    # Column-major m×m storage: geqrf works on its first n columns, orgqr on all m.
    column_major = np.zeros((m, m), a.dtype)
    for b in range(a.shape[0]):
        column_major[:, :] = 0
        column_major[:n, :] = a[b].T
        factor_args = (rows.ctypes, columns.ctypes, column_major.ctypes, lda.ctypes,
                       tau.ctypes, work.ctypes, length.ctypes, info.ctypes)
        if kind == 0:
            sgeqrf(*factor_args)
        elif kind == 1:
            dgeqrf(*factor_args)
        elif kind == 2:
            cgeqrf(*factor_args)
        else:
            zgeqrf(*factor_args)
        for i in range(m):
            for j in range(n):
                r[b, i, j] = column_major[j, i] if j >= i else 0
        form_args = (rows.ctypes, rows.ctypes, reflectors.ctypes, column_major.ctypes,
                     lda.ctypes, tau.ctypes, work.ctypes, length.ctypes, info.ctypes)
        if kind == 0:
            sorgqr(*form_args)
        elif kind == 1:
            dorgqr(*form_args)
        elif kind == 2:
            cungqr(*form_args)
        else:
            zungqr(*form_args)
        q[b] = column_major.T


# --- C entry points, called by kernels through external symbols -------------------------------
# Each takes C-contiguous arrays as typed pointers and their sizes as int64, and returns 0, or
# 1 where the stack function raised LinAlgError (the kernel raises it again, with the message
# its emitter gives): an exception cannot cross a C entry point.

def _triangular_solve_entry(a, rhs, out, batch, n, k, lower, transpose_a, conjugate_a,
                            unit_diagonal):
    try:
        carray(out, (batch, n, k))[:] = triangular_solve_stack(
            carray(a, (batch, n, n)), carray(rhs, (batch, n, k)), lower != 0, transpose_a != 0,
            conjugate_a != 0, unit_diagonal != 0)
    except Exception:
        return 1
    return 0


def _cholesky_entry(a, out, batch, n):
    try:
        carray(out, (batch, n, n))[:] = cholesky_stack(carray(a, (batch, n, n)))
    except Exception:
        return 1
    return 0


def _lu_entry(a, out, pivots, permutation, batch, m, n):
    carray(out, (batch, m, n))[:] = lu_stack(carray(a, (batch, m, n)),
                                             carray(pivots, (batch, min(m, n))),
                                             carray(permutation, (batch, m)))
    return 0


def _eigh_entry(a, values, vectors, batch, n, lower):
    try:
        carray(vectors, (batch, n, n))[:] = eigh_stack(carray(a, (batch, n, n)), lower != 0,
                                                       carray(values, (batch, n)))
    except Exception:
        return 1
    return 0


def _eig_entry(a, values, vectors, batch, n):
    try:
        carray(vectors, (batch, n, n))[:] = eig_stack(carray(a, (batch, n, n)),
                                                      carray(values, (batch, n)))
    except Exception:
        return 1
    return 0


def _svd_entry(a, u, s, vh, batch, m, n, full_matrices):
    k = min(m, n)
    u_columns, vh_rows = (m, n) if full_matrices != 0 else (k, k)
    try:
        svd_stack(carray(a, (batch, m, n)), full_matrices != 0, carray(u, (batch, m, u_columns)),
                  carray(s, (batch, k)), carray(vh, (batch, vh_rows, n)))
    except Exception:
        return 1
    return 0


def _qr_entry(a, q, r, batch, m, n):
    k = min(m, n)
    qr_stack(carray(a, (batch, m, n)), carray(q, (batch, m, k)), carray(r, (batch, k, n)))
    return 0


#: routine -> (Python entry, its pointer arguments' dtypes as functions of the input dtype,
#: the number of int64 arguments after them)
_ENTRIES = {
    "triangular_solve": (_triangular_solve_entry, ("a", "a", "a"), 7),
    "cholesky": (_cholesky_entry, ("a", "a"), 2),
    "lu": (_lu_entry, ("a", "a", "int32", "int32"), 3),
    "eigh": (_eigh_entry, ("a", "real", "a"), 3),
    "eig": (_eig_entry, ("a", "complex", "complex"), 2),
    "svd": (_svd_entry, ("a", "a", "real", "a"), 4),
    "qr": (_qr_entry, ("a", "a", "a"), 3),
}
_SUFFIXES = {np.dtype(np.float32): "s", np.dtype(np.float64): "d",
             np.dtype(np.complex64): "c", np.dtype(np.complex128): "z"}


def entry_name(routine, dtype):
    """The name (in this module and as a symbol) of ``routine``'s entry for ``dtype``."""
    return f"{routine}_entry_{_SUFFIXES[np.dtype(dtype)]}"


def _pointer_dtype(role, dtype):
    if role == "a":
        return dtype
    if role == "real":
        return np.finfo(dtype).dtype
    if role == "complex":
        return np.result_type(dtype, np.complex64)
    return np.dtype(role)


def _declaration(routine):
    pointers, integers = len(_ENTRIES[routine][1]), _ENTRIES[routine][2]
    return types.int32(*([types.voidptr] * pointers + [types.int64] * integers))


for _routine in _ENTRIES:
    for _dtype in _SUFFIXES:
        globals()[entry_name(_routine, _dtype)] = types.ExternalFunction(
            "functrans_" + entry_name(_routine, _dtype), _declaration(_routine))
        __all__.append(entry_name(_routine, _dtype))


@functools.cache
def register_entry(routine, dtype):
    """Compile (or load from numba's cache) ``routine``'s C entry point for ``dtype`` and bind
    its symbol; a kernel calling it must not be compiled or loaded before."""
    import llvmlite.binding
    dtype = np.dtype(dtype)
    entry, roles, integers = _ENTRIES[routine]
    from numba.np.numpy_support import from_dtype
    signature = types.int32(*[types.CPointer(from_dtype(_pointer_dtype(role, dtype)))
                              for role in roles], *([types.int64] * integers))
    compiled = cfunc(signature, cache=caches_machine_code(__name__), nogil=True)(entry)
    llvmlite.binding.add_symbol("functrans_" + entry_name(routine, dtype), compiled.address)
    return compiled
