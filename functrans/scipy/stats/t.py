"""Student's t distribution, as ``scipy.stats.t`` (``df`` degrees of freedom; ``loc``,
``scale``). Its cdf differentiates in ``x``, ``loc`` and ``scale`` (in ``df`` it would need
betainc's derivative in a shape parameter, which raises an error naming it)."""
import math

import functrans.numpy as fnp
from functrans.scipy import special
from functrans.scipy.stats._common import exp_of, nan_unless, promote


def _standardized(x, df, loc, scale):
    x, df, loc, scale = promote(x, df, loc, scale)
    valid = fnp.logical_and(fnp.greater(df, 0), fnp.greater(scale, 0))
    return (x - loc) / scale, df, scale, valid


def logpdf(x, df, loc=0, scale=1):
    z, df, scale, valid = _standardized(x, df, loc, scale)
    value = (special.gammaln((df + 1) / 2) - special.gammaln(df / 2)
             - 0.5 * fnp.log(df * math.pi) - (df + 1) / 2 * fnp.log1p(z * z / df)
             - fnp.log(scale))
    return nan_unless(valid, value)


def _lower_tail(z, df):
    """P(T <= -|z|) = betainc(df/2, 1/2, df / (df + z**2)) / 2."""
    return 0.5 * special.betainc(df / 2, fnp.full_like(df, 0.5), df / (df + z * z))


def cdf(x, df, loc=0, scale=1):
    z, df, scale, valid = _standardized(x, df, loc, scale)
    tail = _lower_tail(z, df)
    return nan_unless(valid, fnp.where(fnp.less(z, 0), tail, 1 - tail))


def sf(x, df, loc=0, scale=1):
    z, df, scale, valid = _standardized(x, df, loc, scale)
    tail = _lower_tail(z, df)
    return nan_unless(valid, fnp.where(fnp.greater(z, 0), tail, 1 - tail))


def logcdf(x, df, loc=0, scale=1):
    return fnp.log(cdf(x, df, loc, scale))


def logsf(x, df, loc=0, scale=1):
    return fnp.log(sf(x, df, loc, scale))


pdf = exp_of(logpdf, "pdf")
