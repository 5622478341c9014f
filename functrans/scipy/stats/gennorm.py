"""The generalized normal distribution, as ``scipy.stats.gennorm`` (shape ``beta``: 2 is a
normal distribution, 1 a Laplace one)."""
import math

import functrans.numpy as fnp
from functrans.scipy import special
from functrans.scipy.stats._common import exp_of, nan_unless, promote


def _standardized(x, beta, loc, scale):
    x, beta, loc, scale = promote(x, beta, loc, scale)
    return (x - loc) / scale, beta, scale, fnp.logical_and(fnp.greater(beta, 0),
                                                            fnp.greater(scale, 0))


def logpdf(x, beta, loc=0, scale=1):
    y, beta, scale, valid = _standardized(x, beta, loc, scale)
    value = (fnp.log(beta) - math.log(2) - special.gammaln(1 / beta) - fnp.abs(y) ** beta
             - fnp.log(scale))
    return nan_unless(valid, value)


def cdf(x, beta, loc=0, scale=1):
    y, beta, scale, valid = _standardized(x, beta, loc, scale)
    half_mass = 0.5 * special.gammainc(1 / beta, fnp.abs(y) ** beta)
    return nan_unless(valid, 0.5 + fnp.sign(y) * half_mass)


def sf(x, beta, loc=0, scale=1):
    y, beta, scale, valid = _standardized(x, beta, loc, scale)
    half_mass = 0.5 * special.gammainc(1 / beta, fnp.abs(y) ** beta)
    return nan_unless(valid, 0.5 - fnp.sign(y) * half_mass)


pdf = exp_of(logpdf, "pdf")
