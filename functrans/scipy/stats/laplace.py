"""The Laplace (double exponential) distribution, as ``scipy.stats.laplace``."""
import functrans.numpy as fnp
from functrans.scipy.stats._common import exp_of, nan_unless, quantile_arguments, standardized


def logpdf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, -fnp.abs(y) - fnp.log(2 * scale))


def _lower(y):
    """P(Y <= y) for the standard Laplace distribution (each branch of the ``where`` sees
    only its own half line, so neither overflows)."""
    return fnp.where(fnp.less(y, 0), 0.5 * fnp.exp(fnp.minimum(y, 0)),
                     1 - 0.5 * fnp.exp(-fnp.maximum(y, 0)))


def cdf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, _lower(y))


def sf(x, loc=0, scale=1):
    y, scale, valid = standardized(x, loc, scale)
    return nan_unless(valid, _lower(-y))


def logcdf(x, loc=0, scale=1):
    return fnp.log(cdf(x, loc, scale))


def logsf(x, loc=0, scale=1):
    return fnp.log(sf(x, loc, scale))


def ppf(q, loc=0, scale=1):
    q, loc, scale, valid = quantile_arguments(q, loc, scale)
    y = fnp.where(fnp.less_equal(q, 0.5), fnp.log(2 * fnp.minimum(q, 0.5)),
                  -fnp.log(2 - 2 * fnp.maximum(q, 0.5)))
    return nan_unless(valid, loc + scale * y)


pdf = exp_of(logpdf, "pdf")
