"""The Cauchy distribution, as ``scipy.stats.cauchy``."""
import math

import functrans.numpy as fnp
from functrans.scipy.stats._common import exp_of, nan_unless, quantile_arguments, standardized


def logpdf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, -math.log(math.pi) - fnp.log(scale) - fnp.log1p(y * y))


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
