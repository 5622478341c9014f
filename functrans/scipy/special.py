"""``scipy.special`` functions, traceable: logsumexp, expit, logit, erf, softmax, log_softmax."""
from functrans import lax
import functrans.numpy as fnp
from functrans.numpy._dispatch import as_inexact
from functrans.nn import log_softmax, logsumexp, sigmoid as expit, softmax

__all__ = ["erf", "expit", "log_softmax", "logit", "logsumexp", "softmax"]


def logit(p):
    """The inverse of :func:`expit`: ``log(p / (1 - p))``."""
    p = as_inexact(p)
    return fnp.log(p / (1 - p))


def erf(x):
    """The error function ``2/sqrt(pi) * integral of exp(-t**2) from 0 to x``."""
    return lax.erf(as_inexact(x))
