"""The negative binomial distribution, as ``scipy.stats.nbinom``: failures ``k`` before the
``n``-th success of probability ``p``. Differentiable in ``p`` (and ``n`` in the pmf)."""
import numpy as np

import functrans.numpy as fnp
from functrans.scipy import special
from functrans.scipy.stats._common import (
    exp_of, is_integer, nan_unless, promote, safe, where_support,
)


def _valid(n, p):
    return fnp.logical_and(fnp.logical_and(fnp.greater(p, 0), fnp.less_equal(p, 1)),
                           fnp.greater(n, 0))


def logpmf(k, n, p, loc=0):
    k, n, p, loc = promote(k, n, p, loc)
    k = k - loc
    inside = fnp.logical_and(fnp.greater_equal(k, 0), is_integer(k))
    k = safe(inside, k, 0.0)
    value = (special.gammaln(n + k) - special.gammaln(k + 1) - special.gammaln(n)
             + n * fnp.log(p) + special.xlog1py(k, -p))
    return nan_unless(_valid(n, p), where_support(inside, value, -np.inf))


def cdf(k, n, p, loc=0):
    k, n, p, loc = promote(k, n, p, loc)
    k = fnp.floor(k - loc)
    inside = fnp.greater_equal(k, 0)
    value = special.betainc(n, safe(inside, k, 0.0) + 1, p)
    return nan_unless(_valid(n, p), where_support(inside, value, 0.0))


def sf(k, n, p, loc=0):
    return 1 - cdf(k, n, p, loc)


def logcdf(k, n, p, loc=0):
    return fnp.log(cdf(k, n, p, loc))


def logsf(k, n, p, loc=0):
    return fnp.log(sf(k, n, p, loc))


pmf = exp_of(logpmf, "pmf")
