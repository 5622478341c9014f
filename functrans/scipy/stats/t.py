"""Student's t distribution, as ``scipy.stats.t`` (``df`` degrees of freedom; ``loc``,
``scale``), differentiable in all of them."""
import math

from functrans import custom_jvp
from functrans.lax import special as _special
import functrans.numpy as fnp
from functrans.scipy import special
from functrans.scipy.stats._common import exp_of, nan_unless, promote


def _standardized(x, df, loc, scale):
    x, df, loc, scale = promote(x, df, loc, scale)
    valid = fnp.logical_and(fnp.greater(df, 0), fnp.greater(scale, 0))
    return (x - loc) / scale, df, scale, valid


def _standard_logpdf(z, df):
    return (special.gammaln((df + 1) / 2) - special.gammaln(df / 2)
            - 0.5 * fnp.log(df * math.pi) - (df + 1) / 2 * fnp.log1p(z * z / df))


def _normal_at_infinite_df(of_t, of_normal, z, df):
    """``of_t(z, df)``, and the normal limit ``of_normal(z)`` where ``df`` is inf (SciPy)."""
    finite = fnp.isfinite(df)
    return fnp.where(finite, of_t(z, fnp.where(finite, df, fnp.ones_like(df))), of_normal(z))


def logpdf(x, df, loc=0, scale=1):
    z, df, scale, valid = _standardized(x, df, loc, scale)
    value = _normal_at_infinite_df(_standard_logpdf,
                                   lambda z: -0.5 * z * z - 0.5 * math.log(2 * math.pi), z, df)
    return nan_unless(valid, value - fnp.log(scale))


@custom_jvp
def _standard_cdf(z, df):
    """P(T <= z): ``I_w(df/2, 1/2) / 2`` below 0 and one minus it above, ``w = df/(df+z**2)``.

    Its derivatives are written out (the chain rule through ``w`` would multiply betainc's
    infinite density at ``w = 1`` by a zero at ``z = 0``): in ``z`` the density, in ``df``
    the derivatives of betainc with that product simplified.
    """
    tail = 0.5 * special.betainc(df / 2, fnp.full_like(df, 0.5), df / (df + z * z))
    return fnp.where(fnp.less(z, 0), tail, 1 - tail)


def _tail_derivative_in_df(z, df):
    half = fnp.full_like(df, 0.5)
    w = df / (df + z * z)
    through_a = 0.5 * _special.betainc_grad_a(df / 2, half, w)
    through_w = (fnp.exp((df / 2 - 1) * fnp.log(w) - special.betaln(df / 2, half))
                 * fnp.abs(z) / (df + z * z) ** 1.5)
    return 0.5 * (through_a + through_w)


_standard_cdf.defjvps(
    lambda t, cdf, z, df: t * fnp.exp(_standard_logpdf(z, df)),
    lambda t, cdf, z, df: t * fnp.where(fnp.less(z, 0), 1.0, -1.0) * _tail_derivative_in_df(z, df))


def cdf(x, df, loc=0, scale=1):
    z, df, scale, valid = _standardized(x, df, loc, scale)
    return nan_unless(valid, _normal_at_infinite_df(_standard_cdf, special.ndtr, z, df))


def sf(x, df, loc=0, scale=1):
    z, df, scale, valid = _standardized(x, df, loc, scale)
    return nan_unless(valid, _normal_at_infinite_df(_standard_cdf, special.ndtr, -z, df))


def ppf(q, df, loc=0, scale=1):
    q, df, loc, scale = promote(q, df, loc, scale)
    valid = fnp.logical_and(fnp.logical_and(fnp.greater_equal(q, 0), fnp.less_equal(q, 1)),
                            fnp.logical_and(fnp.greater(df, 0), fnp.greater(scale, 0)))
    return nan_unless(valid, loc + scale * special.stdtrit(df, q))


def isf(q, df, loc=0, scale=1):
    q, df, loc, scale = promote(q, df, loc, scale)
    valid = fnp.logical_and(fnp.logical_and(fnp.greater_equal(q, 0), fnp.less_equal(q, 1)),
                            fnp.logical_and(fnp.greater(df, 0), fnp.greater(scale, 0)))
    return nan_unless(valid, loc - scale * special.stdtrit(df, q))


def logcdf(x, df, loc=0, scale=1):
    return fnp.log(cdf(x, df, loc, scale))


def logsf(x, df, loc=0, scale=1):
    return fnp.log(sf(x, df, loc, scale))


pdf = exp_of(logpdf, "pdf")
