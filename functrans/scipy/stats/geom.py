"""The geometric distribution on ``k = 1, 2, ...``, as ``scipy.stats.geom``."""
import numpy as np

import functrans.numpy as fnp
from functrans.scipy import special
from functrans.scipy.stats._common import (
    exp_of, is_integer, nan_unless, promote, safe, where_support,
)


def _valid(p):
    return fnp.logical_and(fnp.greater(p, 0), fnp.less_equal(p, 1))


def logpmf(k, p, loc=0):
    k, p, loc = promote(k, p, loc)
    k = k - loc
    inside = fnp.logical_and(fnp.greater_equal(k, 1), is_integer(k))
    k = safe(inside, k, 1.0)
    value = special.xlog1py(k - 1, -p) + fnp.log(p)
    return nan_unless(_valid(p), where_support(inside, value, -np.inf))


def logsf(k, p, loc=0):
    k, p, loc = promote(k, p, loc)
    k = fnp.maximum(fnp.floor(k - loc), 0)
    return nan_unless(_valid(p), special.xlog1py(k, -p))


def sf(k, p, loc=0):
    return fnp.exp(logsf(k, p, loc))


def cdf(k, p, loc=0):
    return -fnp.expm1(logsf(k, p, loc))


def logcdf(k, p, loc=0):
    return fnp.log(cdf(k, p, loc))


pmf = exp_of(logpmf, "pmf")
