"""The von Mises distribution, as ``scipy.stats.vonmises`` (concentration ``kappa``): the
density ``exp(kappa cos(x)) / (2 pi I0(kappa))``, periodic in ``x`` as SciPy's."""
import math

import functrans.numpy as fnp
from functrans.scipy import special
from functrans.scipy.stats._common import exp_of, nan_unless, promote


def logpdf(x, kappa, loc=0, scale=1):
    x, kappa, loc, scale = promote(x, kappa, loc, scale)
    y = (x - loc) / scale
    # log I0(kappa) = log(i0e(kappa)) + kappa, which does not overflow
    value = (kappa * (fnp.cos(y) - 1) - math.log(2 * math.pi) - fnp.log(special.i0e(kappa))
             - fnp.log(scale))
    return nan_unless(fnp.logical_and(fnp.greater_equal(kappa, 0), fnp.greater(scale, 0)), value)


pdf = exp_of(logpdf, "pdf")
