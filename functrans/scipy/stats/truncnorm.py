"""The normal distribution truncated to ``[a, b]`` (in standard units), as
``scipy.stats.truncnorm``: ``loc`` and ``scale`` apply after the truncation, as in SciPy."""
import numpy as np

import functrans.numpy as fnp
from functrans.scipy import special
from functrans.scipy.stats import norm
from functrans.scipy.stats._common import exp_of, nan_unless, promote, where_support


def _arguments(x, a, b, loc, scale):
    x, a, b, loc, scale = promote(x, a, b, loc, scale)
    valid = fnp.logical_and(fnp.less(a, b), fnp.greater(scale, 0))
    return (x - loc) / scale, a, b, loc, scale, valid


def _log_mass(a, b):
    """log(Phi(b) - Phi(a)), from the tail where the difference does not cancel: above 0
    as Phi(-a) - Phi(-b)."""
    upper = fnp.greater(a, 0)
    low, high = fnp.where(upper, -b, a), fnp.where(upper, -a, b)
    return special.log_ndtr(high) + fnp.log1p(-fnp.exp(special.log_ndtr(low)
                                                        - special.log_ndtr(high)))


def logpdf(x, a, b, loc=0, scale=1):
    z, a, b, loc, scale, valid = _arguments(x, a, b, loc, scale)
    inside = fnp.logical_and(fnp.greater_equal(z, a), fnp.less_equal(z, b))
    value = norm.logpdf(z) - fnp.log(scale) - _log_mass(a, b)
    return nan_unless(valid, where_support(inside, value, -np.inf))


def cdf(x, a, b, loc=0, scale=1):
    z, a, b, loc, scale, valid = _arguments(x, a, b, loc, scale)
    clipped = fnp.clip(z, a, b)
    return nan_unless(valid, fnp.exp(_log_mass(a, clipped) - _log_mass(a, b)))


def sf(x, a, b, loc=0, scale=1):
    z, a, b, loc, scale, valid = _arguments(x, a, b, loc, scale)
    clipped = fnp.clip(z, a, b)
    return nan_unless(valid, fnp.exp(_log_mass(clipped, b) - _log_mass(a, b)))


def logcdf(x, a, b, loc=0, scale=1):
    return fnp.log(cdf(x, a, b, loc, scale))


def logsf(x, a, b, loc=0, scale=1):
    return fnp.log(sf(x, a, b, loc, scale))


def ppf(q, a, b, loc=0, scale=1):
    q, a, b, loc, scale = promote(q, a, b, loc, scale)
    valid = fnp.logical_and(fnp.logical_and(fnp.greater_equal(q, 0), fnp.less_equal(q, 1)),
                            fnp.logical_and(fnp.less(a, b), fnp.greater(scale, 0)))
    lower, upper = special.ndtr(a), special.ndtr(b)
    z = fnp.clip(special.ndtri(lower + q * (upper - lower)), a, b)
    return nan_unless(valid, loc + scale * z)


pdf = exp_of(logpdf, "pdf")
