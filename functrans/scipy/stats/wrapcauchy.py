"""The wrapped Cauchy distribution on ``[0, 2 pi]``, as ``scipy.stats.wrapcauchy``."""
import math

import numpy as np

import functrans.numpy as fnp
from functrans.scipy.stats._common import exp_of, nan_unless, promote, where_support


def logpdf(x, c, loc=0, scale=1):
    x, c, loc, scale = promote(x, c, loc, scale)
    y = (x - loc) / scale
    inside = fnp.logical_and(fnp.greater_equal(y, 0), fnp.less_equal(y, 2 * math.pi))
    value = (fnp.log1p(-c * c) - math.log(2 * math.pi) - fnp.log1p(c * c - 2 * c * fnp.cos(y))
             - fnp.log(scale))
    valid = fnp.logical_and(fnp.logical_and(fnp.greater(c, 0), fnp.less(c, 1)),
                            fnp.greater(scale, 0))
    return nan_unless(valid, where_support(inside, value, -np.inf))


pdf = exp_of(logpdf, "pdf")
