"""The Poisson distribution, as ``scipy.stats.poisson`` (mean ``mu``; ``loc`` shifts ``k``).

Differentiable in ``mu`` (the pmf, and the cdf through the incomplete gamma function's
derivative in x); ``k`` is a count.
"""
import numpy as np

import functrans.numpy as fnp
from functrans.scipy import special
from functrans.scipy.stats._common import (
    exp_of, is_integer, nan_unless, promote, safe, where_support,
)


def logpmf(k, mu, loc=0):
    k, mu, loc = promote(k, mu, loc)
    k = k - loc
    inside = fnp.logical_and(fnp.greater_equal(k, 0), is_integer(k))
    k = safe(inside, k, 0.0)
    value = special.xlogy(k, mu) - special.gammaln(k + 1) - mu
    return nan_unless(fnp.greater_equal(mu, 0), where_support(inside, value, -np.inf))


def cdf(k, mu, loc=0):
    k, mu, loc = promote(k, mu, loc)
    k = fnp.floor(k - loc)
    inside = fnp.greater_equal(k, 0)
    value = special.gammaincc(safe(inside, k, 0.0) + 1, mu)
    return nan_unless(fnp.greater_equal(mu, 0), where_support(inside, value, 0.0))


def sf(k, mu, loc=0):
    k, mu, loc = promote(k, mu, loc)
    k = fnp.floor(k - loc)
    inside = fnp.greater_equal(k, 0)
    value = special.gammainc(safe(inside, k, 0.0) + 1, mu)
    return nan_unless(fnp.greater_equal(mu, 0), where_support(inside, value, 1.0))


def logcdf(k, mu, loc=0):
    return fnp.log(cdf(k, mu, loc))


def logsf(k, mu, loc=0):
    return fnp.log(sf(k, mu, loc))


pmf = exp_of(logpmf, "pmf")
