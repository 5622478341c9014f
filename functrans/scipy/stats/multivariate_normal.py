"""The multivariate normal distribution, as ``scipy.stats.multivariate_normal``.

``x`` has the components on its last axis (for one dimension, a vector of points, as in
SciPy); ``mean`` defaults to zeros; ``cov`` may be a matrix, a vector (its diagonal) or a
scalar (times the identity). Differentiable in ``x``, ``mean`` and ``cov``.

A concrete ``cov`` is checked as SciPy checks it: not symmetric positive definite, it raises
``numpy.linalg.LinAlgError`` unless ``allow_singular=True``, which uses its pseudo-inverse
and pseudo-determinant (points off its support have density 0). A traced ``cov`` is
factored by a traceable Cholesky factorization: it must be positive definite (else nan),
and ``allow_singular=True`` with a traced ``cov`` is an error.

>>> float(logpdf(np.zeros(2), cov=np.eye(2)))  # -log(2 pi)
-1.8378770664093453
"""
import math

import numpy as np

from functrans import core
import functrans.numpy as fnp
from functrans.scipy.stats._cholesky import cholesky_factor, solve_lower
from functrans.scipy.stats._common import exp_of

_LOG_2PI = math.log(2 * math.pi)
_NOT_POSITIVE_DEFINITE = ("When `allow_singular is False`, the input matrix must be symmetric "
                          "positive definite.")


def _dimension(mean, cov):
    for value, minimum in ((mean, 1), (cov, 1)):
        if value is not None and np.ndim(value) >= minimum:
            return np.shape(value)[-1]
    return 1


def _covariance_matrix(cov, d):
    cov = fnp.asarray(cov)
    if cov.ndim == 0:
        return cov * np.eye(d)
    if cov.ndim == 1:
        return cov * np.eye(d)  # the diagonal, as SciPy reads a vector
    return cov


def _points(x, d):
    x = fnp.asarray(x)
    if d == 1 and (x.ndim == 0 or x.shape[-1] != 1):
        x = fnp.expand_dims(x, -1)
    return x


def _float(*values):
    dtype = np.result_type(*[fnp.asarray(v).dtype for v in values])
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    return [fnp.asarray(v).astype(dtype) for v in values]


def _eigen_cutoff(eigenvalues):
    """Eigenvalues at most this are zero (SciPy's rule: a multiple of eps by the largest)."""
    factor = 1e3 if eigenvalues.dtype == np.float32 else 1e6
    return factor * np.finfo(eigenvalues.dtype).eps * np.max(np.abs(eigenvalues))


def _concrete_factor(cov, allow_singular):
    """``(whitening, log_pseudo_determinant, rank, null_basis)`` of a concrete ``cov``: the
    quadratic form of ``dev`` is ``|dev @ whitening|**2``; ``null_basis`` spans what ``cov``
    does not (a deviation along it is off the support)."""
    eigenvalues, vectors = np.linalg.eigh(cov)
    cutoff = _eigen_cutoff(eigenvalues)
    if np.min(eigenvalues) < -cutoff:
        raise np.linalg.LinAlgError("The input matrix must be symmetric positive semidefinite.")
    kept = eigenvalues > cutoff
    if not allow_singular and not np.all(kept):
        raise np.linalg.LinAlgError(_NOT_POSITIVE_DEFINITE)
    whitening = vectors[:, kept] / np.sqrt(eigenvalues[kept])
    return whitening, float(np.sum(np.log(eigenvalues[kept]))), int(np.sum(kept)), vectors[:, ~kept]


def logpdf(x, mean=None, cov=1, allow_singular=False):
    """The log density at points ``x`` (components on the last axis)."""
    d = _dimension(mean, cov)
    x = _points(x, d)
    mean = fnp.zeros(d) if mean is None else fnp.asarray(mean)
    x, mean, cov = _float(x, mean, _covariance_matrix(cov, d))
    deviation = x - mean
    if not isinstance(cov, core.Tracer):
        whitening, log_determinant, rank, null_basis = _concrete_factor(np.asarray(cov),
                                                                         allow_singular)
        whitened = fnp.matmul(deviation, whitening.astype(cov.dtype))
        value = -0.5 * (rank * _LOG_2PI + log_determinant + fnp.sum(whitened ** 2, axis=-1))
        if null_basis.shape[1]:
            off = fnp.abs(fnp.matmul(deviation, null_basis.astype(cov.dtype)))
            tolerance = 1e-8 * max(1.0, math.sqrt(math.exp(log_determinant / max(rank, 1))))
            value = fnp.where(fnp.any(off > tolerance, axis=-1), -np.inf, value)
        return value
    if allow_singular:
        raise NotImplementedError(
            "multivariate_normal: allow_singular=True needs a concrete cov (its pseudo-inverse "
            "is computed with NumPy); with a traced cov, pass allow_singular=False (cov must "
            "then be positive definite)")
    rows = cholesky_factor(cov)
    solution = solve_lower(rows, deviation)
    squares = sum((z * z for z in solution), 0.0)
    log_determinant = 2 * sum((fnp.log(row[-1]) for row in rows), 0.0)
    return -0.5 * (d * _LOG_2PI + log_determinant + squares)


def entropy(mean=None, cov=1, allow_singular=False):
    """The differential entropy ``(d (1 + log 2 pi) + log det cov) / 2`` (rank and
    pseudo-determinant for a singular ``cov`` with ``allow_singular``)."""
    d = _dimension(mean, cov)
    (cov,) = _float(_covariance_matrix(cov, d))
    if not isinstance(cov, core.Tracer):
        _, log_determinant, rank, _ = _concrete_factor(np.asarray(cov), allow_singular)
        return np.asarray(0.5 * (rank * (1 + _LOG_2PI) + log_determinant), cov.dtype)[()]
    if allow_singular:
        raise NotImplementedError("multivariate_normal.entropy: allow_singular=True needs a "
                                  "concrete cov")
    rows = cholesky_factor(cov)
    return 0.5 * (d * (1 + _LOG_2PI)) + sum((fnp.log(row[-1]) for row in rows), 0.0)


pdf = exp_of(logpdf, "pdf")
