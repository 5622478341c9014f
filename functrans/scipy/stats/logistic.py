"""The logistic distribution, as ``scipy.stats.logistic``."""
import functrans.numpy as fnp
from functrans.scipy import special
from functrans.scipy.stats._common import exp_of, nan_unless, quantile_arguments, standardized


def logpdf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    # Symmetric in y: written with |y| so exp never overflows.
    magnitude = fnp.abs(y)
    return nan_unless(valid, -magnitude - 2 * fnp.log1p(fnp.exp(-magnitude)) - fnp.log(scale))


def cdf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, special.expit(y))


def sf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, special.expit(-y))


def logcdf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, -fnp.logaddexp(0, -y))


def logsf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, -fnp.logaddexp(0, y))


def ppf(q, loc=0, scale=1):
    q, loc, scale, valid = quantile_arguments(q, loc, scale)
    return nan_unless(valid, loc + scale * special.logit(q))


pdf = exp_of(logpdf, "pdf")
