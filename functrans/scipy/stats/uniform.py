"""The uniform distribution on ``[loc, loc + scale]``, as ``scipy.stats.uniform``."""
import numpy as np

import functrans.numpy as fnp
from functrans.scipy.stats._common import (
    exp_of, nan_unless, quantile_arguments, standardized, where_support,
)


def logpdf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    inside = fnp.logical_and(fnp.greater_equal(y, 0), fnp.less_equal(y, 1))
    return nan_unless(valid, where_support(inside, -fnp.log(scale) + 0 * y, -np.inf))


def cdf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, fnp.clip(y, 0, 1))


def sf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, 1 - fnp.clip(y, 0, 1))


def logcdf(x, loc=0, scale=1):
    return fnp.log(cdf(x, loc, scale))


def logsf(x, loc=0, scale=1):
    return fnp.log(sf(x, loc, scale))


def ppf(q, loc=0, scale=1):
    q, loc, scale, valid = quantile_arguments(q, loc, scale)
    return nan_unless(valid, loc + q * scale)


pdf = exp_of(logpdf, "pdf")
