"""The binomial distribution, as ``scipy.stats.binom`` (``n`` trials, probability ``p``).

Differentiable in ``p``; ``k`` and ``n`` are counts (the cdf's derivative in ``n`` would
need betainc's in its shape parameters, which raises an error naming them).
"""
import numpy as np

import functrans.numpy as fnp
from functrans.scipy import special
from functrans.scipy.stats._common import (
    exp_of, is_integer, nan_unless, promote, safe, where_support,
)


def _valid(n, p):
    return fnp.logical_and(fnp.logical_and(fnp.greater_equal(p, 0), fnp.less_equal(p, 1)),
                           fnp.logical_and(fnp.greater_equal(n, 0), is_integer(n)))


def logpmf(k, n, p, loc=0):
    k, n, p, loc = promote(k, n, p, loc)
    k = k - loc
    inside = fnp.logical_and(fnp.logical_and(fnp.greater_equal(k, 0), fnp.less_equal(k, n)),
                             is_integer(k))
    k = safe(inside, k, 0.0)
    value = (special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
             + special.xlogy(k, p) + special.xlog1py(n - k, -p))
    return nan_unless(_valid(n, p), where_support(inside, value, -np.inf))


def cdf(k, n, p, loc=0):
    k, n, p, loc = promote(k, n, p, loc)
    k = fnp.floor(k - loc)
    below = fnp.less(k, 0)
    inside = fnp.logical_and(fnp.logical_not(below), fnp.less(k, n))
    k, n_inside = safe(inside, k, 0.0), safe(inside, n, 1.0)
    value = special.betainc(n_inside - k, k + 1, 1 - p)
    value = fnp.where(inside, value, fnp.where(below, fnp.zeros_like(p), fnp.ones_like(p)))
    return nan_unless(_valid(n, p), value)


def sf(k, n, p, loc=0):
    return 1 - cdf(k, n, p, loc)


def logcdf(k, n, p, loc=0):
    return fnp.log(cdf(k, n, p, loc))


def logsf(k, n, p, loc=0):
    return fnp.log(sf(k, n, p, loc))


pmf = exp_of(logpmf, "pmf")
