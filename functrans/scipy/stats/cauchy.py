"""The Cauchy distribution, as ``scipy.stats.cauchy``."""
import math

import functrans.numpy as fnp
from functrans.scipy.stats._common import exp_of, nan_unless, quantile_arguments, standardized


def logpdf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, -math.log(math.pi) - fnp.log(scale) - _log1p_square(y))


def _log1p_square(y):
    """``log(1 + y**2)`` without overflow: ``2 log|y| + log1p(1/y**2)`` for |y| > 1."""
    size = fnp.abs(y)
    big = fnp.greater(size, 1)
    safe_big = fnp.where(big, size, fnp.ones_like(size))
    safe_small = fnp.where(big, fnp.zeros_like(y), y)
    return fnp.where(big, 2 * fnp.log(safe_big) + fnp.log1p(1 / (safe_big * safe_big)),
                     fnp.log1p(safe_small * safe_small))


def cdf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, 0.5 + fnp.arctan(y) / math.pi)


def sf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, 0.5 - fnp.arctan(y) / math.pi)


def logcdf(x, loc=0, scale=1):
    return fnp.log(cdf(x, loc, scale))


def logsf(x, loc=0, scale=1):
    return fnp.log(sf(x, loc, scale))


def ppf(q, loc=0, scale=1):
    q, loc, scale, valid = quantile_arguments(q, loc, scale)
    return nan_unless(valid, loc + scale * fnp.tan(math.pi * (q - 0.5)))


def isf(q, loc=0, scale=1):
    q, loc, scale, valid = quantile_arguments(q, loc, scale)
    return nan_unless(valid, loc - scale * fnp.tan(math.pi * (q - 0.5)))


pdf = exp_of(logpdf, "pdf")
