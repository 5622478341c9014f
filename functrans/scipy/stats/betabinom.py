"""The beta-binomial distribution, as ``scipy.stats.betabinom`` (``n`` trials, shapes
``a``, ``b``). Differentiable in ``a`` and ``b``."""
import numpy as np

import functrans.numpy as fnp
from functrans.scipy import special
from functrans.scipy.stats._common import (
    exp_of, is_integer, nan_unless, promote, safe, where_support,
)


def logpmf(k, n, a, b, loc=0):
    k, n, a, b, loc = promote(k, n, a, b, loc)
    k = k - loc
    inside = fnp.logical_and(fnp.logical_and(fnp.greater_equal(k, 0), fnp.less_equal(k, n)),
                             is_integer(k))
    k = safe(inside, k, 0.0)
    value = (special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
             + special.betaln(k + a, n - k + b) - special.betaln(a, b))
    valid = fnp.logical_and(fnp.logical_and(fnp.greater(a, 0), fnp.greater(b, 0)),
                            fnp.logical_and(fnp.greater_equal(n, 0), is_integer(n)))
    return nan_unless(valid, where_support(inside, value, -np.inf))


pmf = exp_of(logpmf, "pmf")
