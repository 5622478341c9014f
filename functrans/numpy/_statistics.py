"""Order statistics and moments: quantile, percentile, median (and their NaN-ignoring
forms, shared with ``_nan_reductions``), average, ptp, cov, corrcoef, count_nonzero.

Quantiles sort the reduced axes (moved last and merged into one), then gather the
one or two order statistics each method names and interpolate as NumPy does
(``a + (b - a) * g`` below the midpoint, ``b - (b - a) * (1 - g)`` above), so the
results match NumPy's and differentiate through the sort.
"""
import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from functrans import dtypes
from functrans.numpy._dispatch import Tracer, array_operand
from functrans.numpy._eager import numpy_when_eager
from functrans.numpy._indexing import take_along_axis
from functrans.numpy._linalg import dot
from functrans.numpy._promotion import aval
from functrans.numpy._reductions import max as max_, min as min_, sum as sum_
from functrans.numpy._shapes import broadcast_to, moveaxis, reshape, squeeze
from functrans.numpy._sorting import sort
from functrans.numpy._ufuncs import (
    add, ceil, clip, divide, equal, floor, greater_equal, isnan, logical_not, maximum, minimum,
    multiply, not_equal, round as round_, sqrt, subtract, where,
)

# Continuous methods: virtual index n*q + alpha + q*(1 - alpha - beta) - 1 (Hyndman & Fan).
_CONTINUOUS = {
    "linear": (1.0, 1.0), "weibull": (0.0, 0.0), "hazen": (0.5, 0.5),
    "median_unbiased": (1 / 3, 1 / 3), "normal_unbiased": (3 / 8, 3 / 8),
    "interpolated_inverted_cdf": (0.0, 1.0),
}
_PICKING = ("lower", "higher", "nearest")
_METHODS = tuple(_CONTINUOUS) + _PICKING + ("midpoint",)


def _reduced_last(a, axis):
    """``(a with the reduced axes moved last and merged, kept shape, keepdims shape)``."""
    ndim = aval(a).ndim
    axes = tuple(range(ndim)) if axis is None else normalize_axis_tuple(axis, ndim)
    shape = aval(a).shape
    rest = [d for d in range(ndim) if d not in axes]
    moved = moveaxis(a, axes, tuple(range(ndim - len(axes), ndim))) if axes else a
    kept_shape = tuple(shape[d] for d in rest)
    count = int(np.prod([shape[d] for d in axes], dtype=np.int64))
    keepdims_shape = tuple(1 if d in axes else shape[d] for d in range(ndim))
    return reshape(moved, kept_shape + (count,)), kept_shape, keepdims_shape


def _float_dtype(dtype):
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def _quantiles_operand(q, a_dtype):
    """``q`` as NumPy takes it: a Python number computes in the array's float dtype."""
    if isinstance(q, Tracer):
        return q
    if type(q) in (int, float) and a_dtype.kind == "f":
        if not 0 <= q <= 1:
            raise ValueError("Quantiles must be in the range [0, 1]")
        return np.asarray(q, a_dtype)
    q = np.asarray(q)
    if q.dtype.kind not in "f":
        q = q.astype(np.float64)
    if np.any((q < 0) | (q > 1)):
        raise ValueError("Quantiles must be in the range [0, 1]")
    return q


def _lerp(low, high, fraction):
    difference = subtract(high, low)
    return where(greater_equal(fraction, 0.5), subtract(high, multiply(difference, subtract(
        1, fraction))), add(low, multiply(difference, fraction)))


def _order_statistics(sorted_values, count, q, method):
    """The ``q`` quantiles of each row of ``sorted_values`` (NaN last), whose first
    ``count`` entries are the data; the quantiles' axes come last."""
    length = aval(sorted_values).shape[-1]
    kept_ndim = aval(sorted_values).ndim - 1
    q_flat = reshape(q, (-1,))
    if not isinstance(count, int):  # a count per row: its own axis against the quantiles'
        count = reshape(count, aval(count).shape + (1,))
    last = maximum(subtract(count, 1), 0)
    if method in _PICKING:
        position = multiply(subtract(count, 1), q_flat)
        index = {"lower": floor, "higher": ceil, "nearest": round_}[method](position)
        index = clip(index, 0, last).astype(np.int64)
        return _gather(sorted_values, index, kept_ndim, length)
    if method == "midpoint":
        position = multiply(subtract(count, 1), q_flat)
        virtual = multiply(add(floor(position), ceil(position)), 0.5)
    else:
        alpha, beta = _CONTINUOUS[method]
        virtual = subtract(add(multiply(count, q_flat), add(alpha, multiply(
            q_flat, 1 - alpha - beta))), 1)
    below = floor(virtual)
    fraction = subtract(virtual, below)
    lower_index = clip(below, 0, last).astype(np.int64)
    upper_index = clip(add(below, 1), 0, last).astype(np.int64)
    low = _gather(sorted_values, lower_index, kept_ndim, length)
    high = _gather(sorted_values, upper_index, kept_ndim, length)
    fraction = broadcast_to(fraction, aval(low).shape) if aval(fraction).shape != aval(
        low).shape else fraction
    return _lerp(low, high, fraction.astype(aval(low).dtype) if aval(low).dtype.kind == "f"
                 and not isinstance(fraction, Tracer) else fraction)


def _gather(sorted_values, index, kept_ndim, length):
    kept_shape = aval(sorted_values).shape[:-1]
    index_shape = kept_shape + (aval(index).shape[-1],)
    if not isinstance(index, Tracer):
        index = np.broadcast_to(np.asarray(index).reshape((1,) * (kept_ndim + 1 - np.ndim(
            index)) + np.shape(index)), index_shape)
    else:
        index = broadcast_to(index, index_shape)
    return take_along_axis(sorted_values, index, axis=-1)


def _arrange(result, q_shape, kept_shape, keepdims_shape, keepdims):
    """Quantile axes first, then the kept axes (or the keepdims shape), as NumPy has them."""
    result = moveaxis(result, -1, 0)
    final = keepdims_shape if keepdims else kept_shape
    return reshape(result, q_shape + final)


def quantile_of(a, q, axis, method, keepdims, ignore_nan):
    """The traced quantile of NumPy's ``quantile`` and ``nanquantile``."""
    if method not in _METHODS:
        raise NotImplementedError(f"quantile: method {method!r} is not supported; use one of "
                                  f"{_METHODS}")
    a = array_operand(a)
    a_dtype = aval(a).dtype
    q = _quantiles_operand(q, a_dtype)
    q_shape = aval(q).shape
    if method not in _PICKING:
        dtype = dtypes.result_type((_float_dtype(a_dtype), False),
                                   (aval(q).dtype, aval(q).weak_type))[0]
        a = a.astype(dtype)
        q = q.astype(dtype)
    rows, kept_shape, keepdims_shape = _reduced_last(a, axis)
    sorted_rows = sort(rows, axis=-1)
    length = aval(rows).shape[-1]
    if length == 0:
        raise IndexError("quantile of an empty array: the reduced axes have no elements")
    floats = aval(rows).dtype.kind == "f"
    count = sum_(logical_not(isnan(rows)), axis=-1) if ignore_nan and floats else length
    result = _order_statistics(sorted_rows, count, q, method)
    if floats:
        # NumPy: any NaN makes the quantile NaN; ignoring NaNs, only an all-NaN row does.
        if ignore_nan:
            invalid = equal(count, 0)
        else:
            invalid = isnan(take_along_axis(sorted_rows, np.full(kept_shape + (1,), length - 1),
                                            axis=-1))
            invalid = squeeze(invalid, -1)
        invalid = reshape(invalid, aval(invalid).shape + (1,))
        result = where(invalid, np.asarray(np.nan, aval(result).dtype), result)
    return _arrange(result, q_shape, kept_shape, keepdims_shape, keepdims)


def _check_out(out, overwrite_input):
    if out is not None:
        raise TypeError("functrans.numpy functions return new arrays; the out= argument is not "
                        "supported")


@numpy_when_eager(np.quantile)
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, weights=None):
    """NumPy's ``quantile`` (methods linear, lower, higher, nearest, midpoint, weibull,
    hazen, median_unbiased, normal_unbiased, interpolated_inverted_cdf).

    >>> quantile(np.array([1.0, 2.0, 4.0, 8.0]), 0.5)
    np.float64(3.0)
    """
    _check_out(out, overwrite_input)
    if weights is not None:
        raise NotImplementedError("quantile(weights=...) is not supported")
    return quantile_of(a, q, axis, method, keepdims, ignore_nan=False)


@numpy_when_eager(np.percentile)
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None):
    """NumPy's ``percentile``: :func:`quantile` of ``q / 100``."""
    _check_out(out, overwrite_input)
    if weights is not None:
        raise NotImplementedError("percentile(weights=...) is not supported")
    return quantile_of(a, percentiles_as_quantiles(q), axis, method, keepdims, ignore_nan=False)


def percentiles_as_quantiles(q):
    if isinstance(q, Tracer):
        return divide(q, 100)
    if np.any((np.asarray(q) < 0) | (np.asarray(q) > 100)):
        raise ValueError("Percentiles must be in the range [0, 100]")
    if type(q) in (int, float):
        return q / 100
    q = np.asarray(q)
    return np.true_divide(q, 100)


def median_of(a, axis, keepdims, ignore_nan):
    """The traced median of NumPy's ``median`` and ``nanmedian``: the middle element, or
    the mean of the middle two."""
    a = array_operand(a)
    dtype = _float_dtype(aval(a).dtype)
    rows, kept_shape, keepdims_shape = _reduced_last(a.astype(dtype), axis)
    length = aval(rows).shape[-1]
    if length == 0:  # NumPy: the mean of an empty slice, NaN
        nothing = broadcast_to(np.asarray(np.nan, dtype), kept_shape + (1,))
        return _arrange(nothing, (), kept_shape, keepdims_shape, keepdims)
    sorted_rows = sort(rows, axis=-1)
    kept_ndim = len(kept_shape)
    if ignore_nan:
        count = reshape(sum_(logical_not(isnan(rows)), axis=-1), kept_shape + (1,))
        lower_index = maximum(subtract(count, 1), 0) // 2
        upper_index = minimum(count // 2, maximum(subtract(count, 1), 0))
    else:
        lower_index, upper_index = np.array([(length - 1) // 2]), np.array([length // 2])
    low = _gather(sorted_rows, lower_index, kept_ndim, length)
    high = _gather(sorted_rows, upper_index, kept_ndim, length)
    result = divide(add(low, high), 2)
    if ignore_nan:
        result = where(equal(count, 0), np.asarray(np.nan, dtype), result)
    else:
        last = _gather(sorted_rows, np.array([length - 1]), kept_ndim, length)
        result = where(isnan(last), last, result)
    return _arrange(result, (), kept_shape, keepdims_shape, keepdims)


@numpy_when_eager(np.median)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """NumPy's ``median`` (NaN if a reduced slice holds a NaN)."""
    _check_out(out, overwrite_input)
    return median_of(a, axis, keepdims, ignore_nan=False)


@numpy_when_eager(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """NumPy's ``average``: ``sum(a * w) / sum(w)``; 1-D weights apply along ``axis``."""
    a = array_operand(a)
    if weights is None:
        from functrans.numpy._reductions import mean
        result = mean(a, axis=axis, keepdims=keepdims)
        if not returned:
            return result
        count = aval(a).size // max(aval(result).size, 1) if aval(a).size else 0
        return result, broadcast_to(np.asarray(count, aval(result).dtype), aval(result).shape)
    given = weights
    weights = array_operand(weights)
    a_shape, w_shape = aval(a).shape, aval(weights).shape
    dtype = dtypes.result_type((_float_dtype(aval(a).dtype), False),
                               (aval(weights).dtype, False))[0]
    if a_shape != w_shape:
        if axis is None:
            raise TypeError("Axis must be specified when shapes of a and weights differ.")
        axes = normalize_axis_tuple(axis, len(a_shape))
        if w_shape != tuple(a_shape[d] for d in axes):
            raise ValueError("Shape of weights must be consistent with shape of a along "
                             "specified axis.")
        weights = broadcast_to(moveaxis(reshape(weights, w_shape + (1,) * (
            len(a_shape) - len(w_shape))), tuple(range(len(axes))), axes), a_shape)
    if not isinstance(given, Tracer):
        given = np.asarray(given)
        total = np.sum(given, axis=axis) if given.shape == a_shape else np.sum(given)
        if np.any(total == 0):
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    a, weights = a.astype(dtype), weights.astype(dtype)
    total_weight = sum_(weights, axis=axis, keepdims=keepdims)
    result = divide(sum_(multiply(a, weights), axis=axis, keepdims=keepdims), total_weight)
    if returned:
        return result, broadcast_to(total_weight, aval(result).shape)
    return result


@numpy_when_eager(np.ptp)
def ptp(a, axis=None, out=None, keepdims=False):
    """NumPy's ``ptp``: maximum minus minimum."""
    return subtract(max_(a, axis=axis, keepdims=keepdims), min_(a, axis=axis, keepdims=keepdims))


@numpy_when_eager(np.count_nonzero)
def count_nonzero(a, axis=None, *, keepdims=False):
    """NumPy's ``count_nonzero``."""
    return sum_(not_equal(array_operand(a), 0), axis=axis, keepdims=keepdims)


@numpy_when_eager(np.cov)
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
        dtype=None):
    """NumPy's ``cov``: rows are variables (columns when ``rowvar`` is false), with
    frequency and reliability weights."""
    from functrans.numpy._shapes import atleast_2d, concatenate
    m = array_operand(m)
    if aval(m).ndim > 2:
        raise ValueError("m has more than 2 dimensions")
    if dtype is None:
        dtype = _float_dtype(dtypes.result_type((aval(m).dtype, False), *(
            [] if y is None else [(aval(array_operand(y)).dtype, False)]))[0])
    x = atleast_2d(m).astype(dtype)
    if not rowvar and aval(x).shape[0] != 1:
        x = x.T
    if y is not None:
        y = atleast_2d(array_operand(y)).astype(dtype)
        if not rowvar and aval(y).shape[0] != 1:
            y = y.T
        x = concatenate([x, y], 0)
    ddof = (0 if bias else 1) if ddof is None else ddof
    observations = aval(x).shape[1]
    weights = None
    if fweights is not None:
        weights = array_operand(fweights).astype(dtype)
    if aweights is not None:
        a_weights = array_operand(aweights).astype(dtype)
        weights = a_weights if weights is None else multiply(weights, a_weights)
    if weights is None:
        mean_ = divide(sum_(x, axis=1, keepdims=True), observations)
        factor = observations - ddof
        centered = subtract(x, mean_)
        return squeeze_matrix(divide(dot(centered, centered.T), factor))
    total = sum_(weights)
    mean_ = divide(sum_(multiply(x, weights), axis=1, keepdims=True), total)
    if aweights is None:
        factor = subtract(total, ddof)
    else:
        factor = subtract(total, divide(multiply(ddof, sum_(multiply(weights, array_operand(
            aweights).astype(dtype)))), total))
    centered = subtract(x, mean_)
    return squeeze_matrix(divide(dot(multiply(centered, weights), centered.T), factor))


def squeeze_matrix(c):
    """NumPy's cov of a single variable is 0-d."""
    return squeeze(c) if aval(c).shape == (1, 1) else c


@numpy_when_eager(np.corrcoef)
def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """NumPy's ``corrcoef``: the covariance scaled to unit diagonal, clipped to [-1, 1]."""
    from functrans.numpy._diagonals import diag
    c = cov(x, y, rowvar, dtype=dtype)
    if aval(c).ndim == 0:
        return divide(c, c)
    deviations = sqrt(diag(c))
    c = divide(divide(c, deviations[:, None]), deviations[None, :])
    return clip(c, -1, 1)
