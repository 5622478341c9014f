"""What the distributions share: argument promotion, standardization, support masks.

Every method works on functrans.numpy, so it is NumPy on concrete arrays and traceable
(differentiable in x, loc, scale and the shape parameters, batchable, jittable) otherwise.
Arguments broadcast together as in SciPy and are promoted to one inexact dtype (float32
stays float32, integers become float64, as in JAX). Outside a distribution's support the
density is 0 (its log -inf); invalid parameters (``scale <= 0``, a shape parameter out of
range) give nan, as SciPy gives.
"""
import numpy as np

import functrans.numpy as fnp
from functrans.numpy._dispatch import operand
from functrans.numpy._promotion import promoted_dtype


def promote(*arguments):
    """``arguments`` as arrays of one inexact dtype (NumPy 2 promotion, Python numbers weak;
    integers become float64), broadcast together."""
    arguments = [operand(a) for a in arguments]
    dtype, _ = promoted_dtype(*arguments)
    if dtype.kind not in "fc":
        dtype = np.dtype(np.float64)
    arrays = [fnp.asarray(a, dtype=dtype) for a in arguments]
    return fnp.broadcast_arrays(*arrays) if len(arrays) > 1 else arrays


def exp_of(log_function, name):
    """The function ``exp(log_function(...))``: a pdf from its logpdf, a cdf from its logcdf."""
    def function(*arguments, **keywords):
        return fnp.exp(log_function(*arguments, **keywords))
    function.__name__ = name
    function.__doc__ = f"``exp({log_function.__name__}(...))``, with the same arguments."
    return function


def nan_unless(valid, value):
    """``value`` where ``valid``, nan elsewhere (SciPy's answer for invalid parameters)."""
    return fnp.where(valid, value, fnp.full_like(value, np.nan))


def where_support(inside, value, outside):
    """``value`` inside the support, the constant ``outside`` elsewhere."""
    return fnp.where(inside, value, fnp.full_like(value, outside))


def safe(condition, x, replacement):
    """``x`` where ``condition``, ``replacement`` elsewhere: keeps the branch of a ``where``
    that is not taken finite, so its derivative is not nan either."""
    return fnp.where(condition, x, fnp.full_like(x, replacement))


def is_integer(k):
    return fnp.equal(k, fnp.floor(k))


def standardized(x, loc, scale):
    """``((x - loc) / scale, scale, scale > 0)``, promoted and broadcast."""
    x, loc, scale = promote(x, loc, scale)
    return (x - loc) / scale, scale, fnp.greater(scale, 0)


def quantile_arguments(q, loc, scale):
    """``(q, loc, scale, valid)`` for a ppf: valid where ``0 <= q <= 1`` and ``scale > 0``."""
    q, loc, scale = promote(q, loc, scale)
    valid = fnp.logical_and(fnp.logical_and(fnp.greater_equal(q, 0), fnp.less_equal(q, 1)),
                            fnp.greater(scale, 0))
    return q, loc, scale, valid
