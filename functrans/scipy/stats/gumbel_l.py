"""The left-skewed Gumbel distribution (of minima), as ``scipy.stats.gumbel_l``: the
mirror image of ``gumbel_r``."""
import functrans.numpy as fnp
from functrans.scipy.stats._common import (
    exp_of, log1mexp, nan_unless, quantile_arguments, standardized)


def logpdf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, y - fnp.exp(y) - fnp.log(scale))


def cdf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, -fnp.expm1(-fnp.exp(y)))


def logcdf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, log1mexp(fnp.exp(y)))


def logsf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, -fnp.exp(y))


def ppf(q, loc=0, scale=1):
    q, loc, scale, valid = quantile_arguments(q, loc, scale)
    return nan_unless(valid, loc + scale * fnp.log(-fnp.log1p(-q)))


pdf = exp_of(logpdf, "pdf")
sf = exp_of(logsf, "sf")
