"""The gamma distribution, as ``scipy.stats.gamma`` (shape ``a``; ``loc``, ``scale``)."""
import numpy as np

import functrans.numpy as fnp
from functrans.scipy import special
from functrans.scipy.stats._common import exp_of, nan_unless, promote, safe, where_support


def _standardized(x, a, loc, scale):
    x, a, loc, scale = promote(x, a, loc, scale)
    valid = fnp.logical_and(fnp.greater(a, 0), fnp.greater(scale, 0))
    return (x - loc) / scale, a, scale, valid


def logpdf(x, a, loc=0, scale=1):
    y, a, scale, valid = _standardized(x, a, loc, scale)
    inside = fnp.greater_equal(y, 0)
    y = safe(inside, y, 1.0)
    value = special.xlogy(a - 1, y) - y - special.gammaln(a) - fnp.log(scale)
    return nan_unless(valid, where_support(inside, value, -np.inf))


def cdf(x, a, loc=0, scale=1):
    y, a, scale, valid = _standardized(x, a, loc, scale)
    return nan_unless(valid, special.gammainc(a, fnp.maximum(y, 0)))


def sf(x, a, loc=0, scale=1):
    y, a, scale, valid = _standardized(x, a, loc, scale)
    return nan_unless(valid, special.gammaincc(a, fnp.maximum(y, 0)))


def logcdf(x, a, loc=0, scale=1):
    return fnp.log(cdf(x, a, loc, scale))


def logsf(x, a, loc=0, scale=1):
    return fnp.log(sf(x, a, loc, scale))


def ppf(q, a, loc=0, scale=1):
    q, a, loc, scale = promote(q, a, loc, scale)
    return nan_unless(_valid_quantile(q, a, scale), loc + scale * special.gammaincinv(a, q))


def isf(q, a, loc=0, scale=1):
    q, a, loc, scale = promote(q, a, loc, scale)
    return nan_unless(_valid_quantile(q, a, scale), loc + scale * special.gammainccinv(a, q))


def _valid_quantile(q, a, scale):
    return fnp.logical_and(fnp.logical_and(fnp.greater_equal(q, 0), fnp.less_equal(q, 1)),
                           fnp.logical_and(fnp.greater(a, 0), fnp.greater(scale, 0)))


pdf = exp_of(logpdf, "pdf")
