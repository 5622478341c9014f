"""NaN-ignoring reductions: nansum, nanmean, nanmax, nanargmax, nancumsum, nanmedian,
nanquantile, ...

Each replaces NaNs with the reduction's neutral element (0 for sums, 1 for products,
-inf/+inf for max/min) and reduces; a slice of NaNs only gives NaN where NumPy does
(max, min, mean, var, median, quantiles) and -1 for nanargmax/nanargmin, whose NumPy
versions raise (a traced function cannot). Integers and booleans have no NaN and reduce
as they are.
"""
import math

import numpy as np

from functrans.numpy._dispatch import array_operand
from functrans.numpy._eager import numpy_when_eager
from functrans.numpy._promotion import aval
from functrans.numpy._reductions import (
    all as all_, argmax, argmin, cumprod, cumsum, max as max_, min as min_, prod, sum as sum_,
)
from functrans.numpy._statistics import (
    median_of, percentiles_as_quantiles, quantile_of,
)
from functrans.numpy._ufuncs import (
    divide, equal, isnan, logical_not, maximum, multiply, sqrt, subtract, where,
)


def _has_nan(a):
    return aval(a).dtype.kind in "fc"


def _replaced(a, value):
    """``a`` with NaNs replaced by ``value``."""
    a = array_operand(a)
    if not _has_nan(a):
        return a
    return where(isnan(a), np.asarray(value, aval(a).dtype), a)


def _out_error(out):
    if out is not None:
        raise TypeError("functrans.numpy functions return new arrays; the out= argument is "
                        "not supported")


@numpy_when_eager(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False):
    """NumPy's ``nansum``: NaNs count as zero."""
    _out_error(out)
    return sum_(_replaced(a, 0), axis=axis, dtype=dtype, keepdims=keepdims)


@numpy_when_eager(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False):
    """NumPy's ``nanprod``: NaNs count as one."""
    _out_error(out)
    return prod(_replaced(a, 1), axis=axis, dtype=dtype, keepdims=keepdims)


@numpy_when_eager(np.nancumsum)
def nancumsum(a, axis=None, dtype=None, out=None):
    """NumPy's ``nancumsum``: NaNs count as zero."""
    _out_error(out)
    return cumsum(_replaced(a, 0), axis=axis, dtype=dtype)


@numpy_when_eager(np.nancumprod)
def nancumprod(a, axis=None, dtype=None, out=None):
    """NumPy's ``nancumprod``: NaNs count as one."""
    _out_error(out)
    return cumprod(_replaced(a, 1), axis=axis, dtype=dtype)


def _all_nan(a, axis, keepdims):
    return all_(isnan(a), axis=axis, keepdims=keepdims)


def _nan_extremum(numpy_function, reduction, neutral):
    @numpy_when_eager(numpy_function)
    def function(a, axis=None, out=None, keepdims=False):
        _out_error(out)
        a = array_operand(a)
        if not _has_nan(a):
            return reduction(a, axis=axis, keepdims=keepdims)
        result = reduction(_replaced(a, neutral), axis=axis, keepdims=keepdims)
        return where(_all_nan(a, axis, keepdims), np.asarray(np.nan, aval(a).dtype), result)

    name = numpy_function.__name__
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"NumPy's ``{name}``: NaNs ignored; NaN for a slice of NaNs."
    return function


nanmax = _nan_extremum(np.nanmax, max_, -math.inf)
nanmin = _nan_extremum(np.nanmin, min_, math.inf)


def _nan_arg_extremum(numpy_function, arg_function, neutral):
    @numpy_when_eager(numpy_function)
    def function(a, axis=None, out=None, *, keepdims=False):
        _out_error(out)
        a = array_operand(a)
        if not _has_nan(a):
            return arg_function(a, axis=axis, keepdims=keepdims)
        index = arg_function(_replaced(a, neutral), axis=axis, keepdims=keepdims)
        return where(_all_nan(a, axis, keepdims), -1, index)

    name = numpy_function.__name__
    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"NumPy's ``{name}``: NaNs ignored; -1 for a slice of NaNs (where "
                        "NumPy raises).")
    return function


nanargmax = _nan_arg_extremum(np.nanargmax, argmax, -math.inf)
nanargmin = _nan_arg_extremum(np.nanargmin, argmin, math.inf)


def _count(a, axis, keepdims):
    return sum_(logical_not(isnan(a)), axis=axis, keepdims=keepdims)


@numpy_when_eager(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False):
    """NumPy's ``nanmean``: the mean of the non-NaN elements (NaN for a slice of NaNs)."""
    _out_error(out)
    a = array_operand(a)
    if not _has_nan(a):
        from functrans.numpy._reductions import mean
        return mean(a, axis=axis, dtype=dtype, keepdims=keepdims)
    total = sum_(_replaced(a, 0), axis=axis, dtype=dtype, keepdims=keepdims)
    return divide(total, _nonzero_count(_count(a, axis, keepdims), aval(total).dtype))


def _nonzero_count(count, dtype):
    """``count`` as ``dtype``, NaN where it is 0: dividing by it gives NumPy's NaN for an
    empty slice without a division by zero (which compiled code treats as an error)."""
    return where(equal(count, 0), np.asarray(np.nan, dtype), count.astype(dtype))


def _nan_variance(a, axis, dtype, ddof, keepdims):
    a = array_operand(a)
    if not _has_nan(a):
        from functrans.numpy._reductions import var
        return var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    count = _count(a, axis, True)
    total = sum_(_replaced(a, 0), axis=axis, dtype=dtype, keepdims=True)
    mean = divide(total, _nonzero_count(count, aval(total).dtype))
    deviation = where(isnan(a), np.asarray(0, aval(a).dtype), subtract(a, mean))
    squares = sum_(multiply(deviation, deviation), axis=axis, dtype=dtype, keepdims=keepdims)
    count = _count(a, axis, keepdims)
    dtype = aval(squares).dtype
    degrees = maximum(subtract(count, ddof), 0).astype(dtype)
    # No degrees of freedom: NumPy's 0/0 = NaN or x/0 = inf, as constants (no gradient).
    undefined = where(equal(squares, 0), np.asarray(np.nan, dtype), np.asarray(np.inf, dtype))
    safe_degrees = where(equal(degrees, 0), np.asarray(1, dtype), degrees)
    return where(equal(degrees, 0), undefined, divide(squares, safe_degrees))


@numpy_when_eager(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """NumPy's ``nanvar``: the variance of the non-NaN elements, divided by ``count - ddof``."""
    _out_error(out)
    return _nan_variance(a, axis, dtype, ddof, keepdims)


@numpy_when_eager(np.nanstd)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """NumPy's ``nanstd``: the square root of :func:`nanvar`."""
    _out_error(out)
    return sqrt(_nan_variance(a, axis, dtype, ddof, keepdims))


@numpy_when_eager(np.nanmedian)
def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """NumPy's ``nanmedian``: the median of the non-NaN elements of each slice."""
    _out_error(out)
    return median_of(a, axis, keepdims, ignore_nan=True)


@numpy_when_eager(np.nanquantile)
def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, weights=None):
    """NumPy's ``nanquantile``: :func:`quantile` of the non-NaN elements of each slice."""
    _out_error(out)
    if weights is not None:
        raise NotImplementedError("nanquantile(weights=...) is not supported")
    return quantile_of(a, q, axis, method, keepdims, ignore_nan=True)


@numpy_when_eager(np.nanpercentile)
def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, *, weights=None):
    """NumPy's ``nanpercentile``: :func:`nanquantile` of ``q / 100``."""
    _out_error(out)
    if weights is not None:
        raise NotImplementedError("nanpercentile(weights=...) is not supported")
    return quantile_of(a, percentiles_as_quantiles(q), axis, method, keepdims, ignore_nan=True)
