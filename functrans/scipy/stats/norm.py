"""The normal distribution, as ``scipy.stats.norm`` (``loc`` is the mean, ``scale`` the
standard deviation).

>>> float(logpdf(0.0))  # -log(2 pi) / 2
-0.9189385332046727
"""
import math

import functrans.numpy as fnp
from functrans.scipy import special
from functrans.scipy.stats._common import exp_of, nan_unless, promote

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _standardized(x, loc, scale):
    x, loc, scale = promote(x, loc, scale)
    return (x - loc) / scale, scale


def logpdf(x, loc=0, scale=1):
    z, scale = _standardized(x, loc, scale)
    return nan_unless(scale > 0, -0.5 * z * z - fnp.log(scale) - _HALF_LOG_2PI)


def cdf(x, loc=0, scale=1):
    z, scale = _standardized(x, loc, scale)
    return nan_unless(scale > 0, special.ndtr(z))


def logcdf(x, loc=0, scale=1):
    z, scale = _standardized(x, loc, scale)
    return nan_unless(scale > 0, special.log_ndtr(z))


def sf(x, loc=0, scale=1):
    z, scale = _standardized(x, loc, scale)
    return nan_unless(scale > 0, special.ndtr(-z))


def logsf(x, loc=0, scale=1):
    z, scale = _standardized(x, loc, scale)
    return nan_unless(scale > 0, special.log_ndtr(-z))


def ppf(q, loc=0, scale=1):
    q, loc, scale = promote(q, loc, scale)
    return nan_unless(scale > 0, loc + scale * special.ndtri(q))


def isf(q, loc=0, scale=1):
    q, loc, scale = promote(q, loc, scale)
    return nan_unless(scale > 0, loc - scale * special.ndtri(q))


def entropy(loc=0, scale=1):
    loc, scale = promote(loc, scale)
    return nan_unless(scale > 0, 0.5 + _HALF_LOG_2PI + fnp.log(scale) + 0 * loc)


pdf = exp_of(logpdf, "pdf")
