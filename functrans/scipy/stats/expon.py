"""The exponential distribution, as ``scipy.stats.expon`` (``loc``; ``scale`` = 1 / rate)."""
import numpy as np

import functrans.numpy as fnp
from functrans.scipy.stats._common import (
    exp_of, nan_unless, quantile_arguments, standardized, where_support,
)


def logpdf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, where_support(fnp.greater_equal(y, 0), -y - fnp.log(scale), -np.inf))


def cdf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, -fnp.expm1(-fnp.maximum(y, 0)))


def logcdf(x, loc=0, scale=1):
    return fnp.log(cdf(x, loc, scale))


def sf(x, loc=0, scale=1):
    return fnp.exp(logsf(x, loc, scale))


def logsf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, -fnp.maximum(y, 0))


def ppf(q, loc=0, scale=1):
    q, loc, scale, valid = quantile_arguments(q, loc, scale)
    return nan_unless(valid, loc - scale * fnp.log1p(-q))


def isf(q, loc=0, scale=1):
    q, loc, scale, valid = quantile_arguments(q, loc, scale)
    return nan_unless(valid, loc - scale * fnp.log(q))


pdf = exp_of(logpdf, "pdf")
