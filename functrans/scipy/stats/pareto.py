"""The Pareto distribution, as ``scipy.stats.pareto`` (shape ``b``; support ``y >= 1`` in
standard units)."""
import numpy as np

import functrans.numpy as fnp
from functrans.scipy.stats._common import exp_of, nan_unless, promote, safe, where_support


def _standardized(x, b, loc, scale):
    x, b, loc, scale = promote(x, b, loc, scale)
    return (x - loc) / scale, b, loc, scale, fnp.logical_and(fnp.greater(b, 0),
                                                              fnp.greater(scale, 0))


def logpdf(x, b, loc=0, scale=1):
    y, b, loc, scale, valid = _standardized(x, b, loc, scale)
    inside = fnp.greater_equal(y, 1)
    y = safe(inside, y, 1.0)
    value = fnp.log(b) - (b + 1) * fnp.log(y) - fnp.log(scale)
    return nan_unless(valid, where_support(inside, value, -np.inf))


def logsf(x, b, loc=0, scale=1):
    y, b, loc, scale, valid = _standardized(x, b, loc, scale)
    return nan_unless(valid, -b * fnp.log(fnp.maximum(y, 1)))


def sf(x, b, loc=0, scale=1):
    return fnp.exp(logsf(x, b, loc, scale))


def cdf(x, b, loc=0, scale=1):
    return -fnp.expm1(logsf(x, b, loc, scale))


def logcdf(x, b, loc=0, scale=1):
    return fnp.log(cdf(x, b, loc, scale))


def ppf(q, b, loc=0, scale=1):
    q, b, loc, scale = promote(q, b, loc, scale)
    valid = fnp.logical_and(fnp.logical_and(fnp.greater_equal(q, 0), fnp.less_equal(q, 1)),
                            fnp.logical_and(fnp.greater(b, 0), fnp.greater(scale, 0)))
    return nan_unless(valid, loc + scale * fnp.exp(-fnp.log1p(-q) / b))


pdf = exp_of(logpdf, "pdf")
