"""The Bernoulli distribution, as ``scipy.stats.bernoulli`` (success probability ``p``)."""
import numpy as np

import functrans.numpy as fnp
from functrans.scipy import special
from functrans.scipy.stats._common import exp_of, nan_unless, promote, safe, where_support


def _valid(p):
    return fnp.logical_and(fnp.greater_equal(p, 0), fnp.less_equal(p, 1))


def logpmf(k, p, loc=0):
    k, p, loc = promote(k, p, loc)
    k = k - loc
    inside = fnp.logical_or(fnp.equal(k, 0), fnp.equal(k, 1))
    k = safe(inside, k, 0.0)
    value = special.xlogy(k, p) + special.xlog1py(1 - k, -p)
    return nan_unless(_valid(p), where_support(inside, value, -np.inf))


def cdf(k, p, loc=0):
    k, p, loc = promote(k, p, loc)
    k = k - loc
    value = fnp.where(fnp.less(k, 0), fnp.zeros_like(p), fnp.where(fnp.less(k, 1), 1 - p,
                                                                   fnp.ones_like(p)))
    return nan_unless(_valid(p), value)


def sf(k, p, loc=0):
    return 1 - cdf(k, p, loc)


def logcdf(k, p, loc=0):
    return fnp.log(cdf(k, p, loc))


def logsf(k, p, loc=0):
    return fnp.log(sf(k, p, loc))


pmf = exp_of(logpmf, "pmf")
