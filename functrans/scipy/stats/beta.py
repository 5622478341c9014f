"""The beta distribution, as ``scipy.stats.beta`` (shapes ``a``, ``b``; ``loc``, ``scale``).

Its cdf differentiates in ``x``, ``loc`` and ``scale``; in ``a`` and ``b`` it would need
betainc's derivative in its shape parameters, which raises an error naming them.
"""
import numpy as np

import functrans.numpy as fnp
from functrans.scipy import special
from functrans.scipy.stats._common import exp_of, nan_unless, promote, safe, where_support


def _standardized(x, a, b, loc, scale):
    x, a, b, loc, scale = promote(x, a, b, loc, scale)
    valid = fnp.logical_and(fnp.logical_and(fnp.greater(a, 0), fnp.greater(b, 0)),
                            fnp.greater(scale, 0))
    return (x - loc) / scale, a, b, scale, valid


def logpdf(x, a, b, loc=0, scale=1):
    y, a, b, scale, valid = _standardized(x, a, b, loc, scale)
    inside = fnp.logical_and(fnp.greater_equal(y, 0), fnp.less_equal(y, 1))
    y = safe(inside, y, 0.5)
    value = (special.xlogy(a - 1, y) + special.xlog1py(b - 1, -y) - special.betaln(a, b)
             - fnp.log(scale))
    return nan_unless(valid, where_support(inside, value, -np.inf))


def cdf(x, a, b, loc=0, scale=1):
    y, a, b, scale, valid = _standardized(x, a, b, loc, scale)
    return nan_unless(valid, special.betainc(a, b, fnp.clip(y, 0, 1)))


def sf(x, a, b, loc=0, scale=1):
    y, a, b, scale, valid = _standardized(x, a, b, loc, scale)
    return nan_unless(valid, special.betainc(b, a, 1 - fnp.clip(y, 0, 1)))


def logcdf(x, a, b, loc=0, scale=1):
    return fnp.log(cdf(x, a, b, loc, scale))


def logsf(x, a, b, loc=0, scale=1):
    return fnp.log(sf(x, a, b, loc, scale))


def _quantile_arguments(q, a, b, loc, scale):
    q, a, b, loc, scale = promote(q, a, b, loc, scale)
    valid = fnp.logical_and(
        fnp.logical_and(fnp.greater_equal(q, 0), fnp.less_equal(q, 1)),
        fnp.logical_and(fnp.logical_and(fnp.greater(a, 0), fnp.greater(b, 0)),
                        fnp.greater(scale, 0)))
    return q, a, b, loc, scale, valid


def ppf(q, a, b, loc=0, scale=1):
    q, a, b, loc, scale, valid = _quantile_arguments(q, a, b, loc, scale)
    return nan_unless(valid, loc + scale * special.betaincinv(a, b, q))


def isf(q, a, b, loc=0, scale=1):
    q, a, b, loc, scale, valid = _quantile_arguments(q, a, b, loc, scale)
    return nan_unless(valid, loc + scale * special.betainccinv(a, b, q))


pdf = exp_of(logpdf, "pdf")
