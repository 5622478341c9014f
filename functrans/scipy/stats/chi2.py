"""The chi-squared distribution, as ``scipy.stats.chi2``: a gamma distribution of shape
``df / 2`` and scale ``2 * scale``."""
from functrans.scipy.stats import gamma
from functrans.scipy.stats._common import exp_of, promote


def _as_gamma(method):
    def function(x, df, loc=0, scale=1):
        x, df, loc, scale = promote(x, df, loc, scale)
        return method(x, df / 2, loc, scale * 2)
    function.__name__ = method.__name__
    function.__doc__ = f"``scipy.stats.chi2.{method.__name__}(x, df, loc=0, scale=1)``."
    return function


ppf = _as_gamma(gamma.ppf)
isf = _as_gamma(gamma.isf)


logpdf = _as_gamma(gamma.logpdf)
cdf = _as_gamma(gamma.cdf)
logcdf = _as_gamma(gamma.logcdf)
sf = _as_gamma(gamma.sf)
logsf = _as_gamma(gamma.logsf)
pdf = exp_of(logpdf, "pdf")
