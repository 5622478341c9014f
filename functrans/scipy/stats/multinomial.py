"""The multinomial distribution, as ``scipy.stats.multinomial`` (``n`` trials over the
categories of probabilities ``p``, on the last axis). Differentiable in ``p``."""
import numpy as np

import functrans.numpy as fnp
from functrans.scipy import special
from functrans.scipy.stats._common import exp_of, is_integer


def logpmf(x, n, p):
    """The log probability of counts ``x`` (last axis: categories)."""
    x, n, p = fnp.asarray(x), fnp.asarray(n), fnp.asarray(p)
    dtype = np.result_type(x.dtype, n.dtype, p.dtype)
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    x, n, p = x.astype(dtype), n.astype(dtype), p.astype(dtype)
    value = (special.gammaln(n + 1)
             + fnp.sum(special.xlogy(x, p) - special.gammaln(x + 1), axis=-1))
    counts = fnp.logical_and(fnp.all(fnp.greater_equal(x, 0), axis=-1),
                             fnp.all(is_integer(x), axis=-1))
    inside = fnp.logical_and(counts, fnp.equal(fnp.sum(x, axis=-1), n))
    return fnp.where(inside, value, fnp.full_like(value, -np.inf))


pmf = exp_of(logpmf, "pmf")
