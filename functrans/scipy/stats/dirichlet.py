"""The Dirichlet distribution, as ``scipy.stats.dirichlet``.

As in SciPy, the components of ``x`` are on its *first* axis (``x`` of shape ``(K, ...)``
for ``K`` concentrations ``alpha``), and ``x`` may leave out the last component (shape
``(K - 1, ...)``), which is then ``1 - sum(x)``. A concrete ``x`` off the simplex raises
SciPy's ValueError; a traced one has density 0 (log -inf).
"""
import numpy as np

from functrans import core
import functrans.numpy as fnp
from functrans.scipy import special
from functrans.scipy.stats._common import exp_of


def _components(x, alpha):
    x, alpha = fnp.asarray(x), fnp.asarray(alpha)
    dtype = np.result_type(x.dtype, alpha.dtype)
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    x, alpha = x.astype(dtype), alpha.astype(dtype)
    if alpha.ndim != 1:
        raise ValueError(f"dirichlet: alpha must be one-dimensional, got shape {alpha.shape}")
    count = alpha.shape[0]
    if x.shape[0] == count - 1:
        x = fnp.concatenate([x, fnp.expand_dims(1 - fnp.sum(x, axis=0), 0)], axis=0)
    elif x.shape[0] != count:
        raise ValueError(f"dirichlet: x must have {count} or {count - 1} entries along its first "
                         f"axis, one per concentration; got shape {x.shape}")
    if not isinstance(x, core.Tracer):
        concrete = np.asarray(x)
        if np.any(concrete < 0) or np.any(concrete > 1):
            raise ValueError("dirichlet: each entry of x must lie in [0, 1]")
        if np.any(np.abs(concrete.sum(axis=0) - 1) > 10e-10):
            raise ValueError("dirichlet: the entries of x along its first axis must sum to 1 "
                             "(x must lie within the normal simplex)")
    return x, fnp.reshape(alpha, (count,) + (1,) * (x.ndim - 1))


def logpdf(x, alpha):
    """The log density at ``x`` (components on the first axis)."""
    x, alpha = _components(x, alpha)
    value = (special.gammaln(fnp.sum(alpha, axis=0)) - fnp.sum(special.gammaln(alpha), axis=0)
             + fnp.sum(special.xlogy(alpha - 1, x), axis=0))
    inside = fnp.logical_and(fnp.all(fnp.greater_equal(x, 0), axis=0),
                             fnp.less(fnp.abs(fnp.sum(x, axis=0) - 1), 1e-6))
    return fnp.where(inside, value, fnp.full_like(value, -np.inf))


pdf = exp_of(logpdf, "pdf")
