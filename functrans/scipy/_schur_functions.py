"""scipy.linalg's Schur-form functions, traceable: schur, hessenberg, rsf2csf, funm,
solve_sylvester.

schur and hessenberg bind the primitives of :mod:`functrans.lax.schur_forms` (no derivative, as
in JAX; no jit lowering yet). rsf2csf is SciPy's sequence of Givens rotations written with
``functrans.numpy`` (each rotation chosen by ``where``, so it traces, batches and
differentiates in T and Z). funm is the Schur–Parlett method (Golub & Van Loan, Algorithm
11.1.1) over schur and rsf2csf; traced, it is complex, as JAX's is, and it inherits schur's
missing derivative. solve_sylvester solves the Kronecker form ``(A ⊗ I + I ⊗ Bᵀ) vec(X) =
vec(Q)`` by LU: exact and differentiable (its derivative is the solve's, i.e. implicit
differentiation), meant for the small matrices it is used on (the system has (mn)²
entries). On concrete inputs with no transform active every function calls SciPy.

>>> import functrans, functrans.scipy.linalg as fsl, numpy as np
>>> a, b = np.array([[3.0, 1.0], [0.0, 2.0]]), np.array([[1.0]])
>>> functrans.grad(lambda q: fsl.solve_sylvester(a, b, q).sum())(np.ones((2, 1)))
array([[0.25],
       [0.25]])
"""
import numpy as np

from functrans.errors import at_user_line
from functrans.lax import _matrix_ops as mo
from functrans.lax import schur_forms as lax_schur
from functrans.numpy import linalg as numpy_linalg
from functrans.numpy._dispatch import is_eager_all
from functrans.numpy._promotion import aval, cast

__all__ = ["funm", "hessenberg", "rsf2csf", "schur", "solve_sylvester"]


def _scipy_linalg():
    import scipy.linalg
    return scipy.linalg


def _fnp():
    import functrans.numpy as fnp
    return fnp


def schur(a, output="real", lwork=None, overwrite_a=False, sort=None, check_finite=True):
    """``(T, Z)`` with ``a = Z @ T @ Zᴴ``: the real (quasi-triangular) or complex Schur form
    of each matrix of the stack; traced, without ``sort``.

    >>> t, z = schur(np.array([[1.0, 2.0], [0.0, 3.0]]))
    >>> np.allclose(z @ t @ z.T, [[1.0, 2.0], [0.0, 3.0]])
    True
    """
    if is_eager_all((a,)):
        return _scipy_linalg().schur(a, output, lwork, overwrite_a, sort, check_finite)
    if sort is not None:
        raise NotImplementedError(at_user_line(
            "schur: traced, sort is not supported (the number of selected eigenvalues would "
            "depend on the values); call it on concrete arrays"))
    if output not in ("real", "complex", "r", "c"):
        raise ValueError("schur: output must be 'real' or 'complex'")
    a = numpy_linalg._matrices("schur", a)
    t, z = lax_schur.schur(a, "complex" if output in ("complex", "c") else "real")
    return t, z


def hessenberg(a, calc_q=False, overwrite_a=False, check_finite=True):
    """``H``, or ``(H, Q)`` with ``calc_q``: ``a = Q @ H @ Qᴴ`` with ``H`` zero below the
    first subdiagonal, for each matrix of the stack."""
    if is_eager_all((a,)):
        return _scipy_linalg().hessenberg(a, calc_q, overwrite_a, check_finite)
    result = lax_schur.hessenberg(numpy_linalg._matrices("hessenberg", a), calc_q)
    return tuple(result) if calc_q else result[0]


def _complex_of(dtype):
    return np.result_type(dtype, np.complex64)


def rsf2csf(T, Z, check_finite=True):
    """The complex Schur form ``(T, Z)`` from a real one (``schur(a)``'s output): each 2×2
    block of a complex pair is made triangular by a Givens rotation, as SciPy does."""
    if is_eager_all((T, Z)):
        return _scipy_linalg().rsf2csf(T, Z, check_finite)
    fnp = _fnp()
    T = numpy_linalg._matrices("rsf2csf", T)
    Z = numpy_linalg._matrices("rsf2csf", Z)
    if aval(T).shape[-1] != aval(Z).shape[-1]:
        raise ValueError(at_user_line(
            f"rsf2csf: input array shapes must match: Z: {aval(Z).shape} vs. T: {aval(T).shape}"))
    dtype = _complex_of(np.result_type(aval(T).dtype, aval(Z).dtype))
    T, Z = numpy_linalg._broadcast_batch("rsf2csf", cast(T, dtype), cast(Z, dtype))
    n = aval(T).shape[-1]
    eps = np.finfo(dtype).eps
    for m in range(n - 1, 0, -1):
        a, b = T[..., m - 1, m - 1], T[..., m - 1, m]
        c, d = T[..., m, m - 1], T[..., m, m]
        rotate = fnp.abs(c) > eps * (fnp.abs(a) + fnp.abs(d))
        # The block's eigenvalue with positive imaginary part (LAPACK's first), less d.
        half_trace = (a + d) / 2
        root = fnp.sqrt(((a - d) / 2) ** 2 + b * c)
        root = fnp.where(fnp.imag(root) < 0, -root, root)
        mu = half_trace + root - d
        r = fnp.sqrt(fnp.abs(mu) ** 2 + fnp.abs(c) ** 2)
        r = fnp.where(rotate, r, 1.0)
        cosine = fnp.where(rotate, mu / r, 1.0)
        sine = fnp.where(rotate, c / r, 0.0)
        rotation = _embedded_rotation(cosine, sine, m, n, dtype)
        T = mo.matmul(mo.matmul(rotation, T), mo.adjoint(rotation))
        Z = mo.matmul(Z, mo.adjoint(rotation))
        # Quasi upper triangular, and the block just rotated is now triangular.
        kept = ~np.tri(n, k=-2, dtype=bool)
        kept[m, m - 1] = False
        T = fnp.where(kept, T, 0)
    return T, Z


def _embedded_rotation(cosine, sine, m, n, dtype):
    """The identity with ``[[conj(c), s], [-s, c]]`` in rows and columns ``m-1, m``."""
    fnp = _fnp()
    batch = aval(cosine).shape
    entries = fnp.stack([fnp.ones(batch, dtype), fnp.zeros(batch, dtype), fnp.conj(cosine),
                         sine, -sine, cosine], axis=-1)
    positions = np.where(np.eye(n, dtype=bool), 0, 1)
    positions[m - 1, m - 1], positions[m - 1, m] = 2, 3
    positions[m, m - 1], positions[m, m] = 4, 5
    return fnp.take(entries, positions, axis=-1)


def funm(A, func, disp=True):
    """``func`` of the matrix ``A`` by the Schur–Parlett method; ``func`` maps an array of
    eigenvalues elementwise. ``(F, errest)`` with ``disp=False``. Traced, the result is
    complex (as JAX's) and has no derivative (schur has none)."""
    if is_eager_all((A,)):
        return _scipy_linalg().funm(A, func, disp)
    fnp = _fnp()
    A = numpy_linalg._matrices("funm", A)
    if aval(A).ndim != 2:
        raise ValueError(at_user_line("funm: expected a square 2-d matrix"))
    T, Z = rsf2csf(*schur(A))
    n = aval(T).shape[-1]
    values = cast(func(fnp.diagonal(T)), aval(T).dtype)
    F = [[None] * n for _ in range(n)]
    zero = fnp.zeros((), aval(T).dtype)
    for i in range(n):
        F[i][i] = values[i]
        for j in range(i):
            F[i][j] = zero
    smallest_gap = fnp.abs(T[0, 0])
    for p in range(1, n):
        for i in range(n - p):
            j = i + p
            s = T[i, j] * (F[j][j] - F[i][i])
            for k in range(i + 1, j):
                s = s + T[i, k] * F[k][j] - F[i][k] * T[k, j]
            gap = T[j, j] - T[i, i]
            nonzero = gap != 0
            F[i][j] = fnp.where(nonzero, s / fnp.where(nonzero, gap, 1.0), s)
            smallest_gap = fnp.minimum(smallest_gap, fnp.abs(gap))
    F = mo.matmul(mo.matmul(Z, fnp.stack([fnp.stack(row) for row in F])), mo.adjoint(Z))
    if disp:
        return F
    tol = np.finfo(aval(F).dtype).eps
    minden = fnp.where(smallest_gap == 0, tol, smallest_gap)
    above = fnp.abs(fnp.triu(T, 1))
    err = fnp.minimum(1.0, fnp.maximum(tol, (tol / minden) * fnp.max(fnp.sum(above, 0))))
    return F, fnp.where(fnp.all(~fnp.isfinite(F)), np.inf, err)


def solve_sylvester(a, b, q):
    """``X`` with ``a @ X + X @ b = q`` (``a`` m×m, ``b`` n×n, ``q`` m×n; leading
    dimensions are a batch)."""
    if is_eager_all((a, b, q)):
        return _scipy_linalg().solve_sylvester(a, b, q)
    fnp = _fnp()
    a = numpy_linalg._matrices("solve_sylvester", a)
    b = numpy_linalg._matrices("solve_sylvester", b)
    q = numpy_linalg._matrices("solve_sylvester", q, square=False)
    m, n = aval(a).shape[-1], aval(b).shape[-1]
    if aval(q).shape[-2:] != (m, n):
        raise ValueError(at_user_line(
            f"solve_sylvester: q must be {m}×{n} for a {aval(a).shape} and b {aval(b).shape}, "
            f"got {aval(q).shape}"))
    a, b, q = numpy_linalg._common_dtype(a, b, q)
    batch = np.broadcast_shapes(aval(a).shape[:-2], aval(b).shape[:-2], aval(q).shape[:-2])
    eye_m, eye_n = np.eye(m, dtype=aval(a).dtype), np.eye(n, dtype=aval(a).dtype)
    # X flattened row by row: (a X)[i, j] = Σ a[i, k] X[k, j], (X b)[i, j] = Σ X[i, l] b[l, j].
    kronecker = (a[..., :, None, :, None] * eye_n[:, None, :]
                 + eye_m[:, None, :, None] * mo.matrix_transpose(b)[..., None, :, None, :])
    kronecker = fnp.broadcast_to(kronecker, batch + (m, n, m, n)).reshape(batch + (m * n, m * n))
    rhs = fnp.broadcast_to(q, batch + (m, n)).reshape(batch + (m * n, 1))
    return numpy_linalg.solve(kronecker, rhs).reshape(batch + (m, n))
