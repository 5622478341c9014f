"""``pad`` with NumPy's modes, one axis at a time as NumPy does (so corners match).

The modes that copy elements (edge, reflect, symmetric, wrap) are a gather along the
axis whose indices NumPy's own ``pad`` computes on ``arange(n)``; the affine ones
(constant, linear_ramp, odd reflections) and the statistics (mean, median, maximum,
minimum) are built from slices, reductions and concatenation, so every mode
differentiates, batches and compiles.
"""
import numpy as np

from functrans import lax
from functrans.numpy._dispatch import Tracer, array_operand, contains_tracer
from functrans.numpy._indexing import take
from functrans.numpy._promotion import aval
from functrans.numpy._reductions import max as max_, mean, min as min_
from functrans.numpy._shapes import broadcast_to, concatenate, flip
from functrans.numpy._ufuncs import add, multiply, rint, subtract

_INDEX_MODES = ("edge", "reflect", "symmetric", "wrap")
_STATISTIC_MODES = ("mean", "median", "maximum", "minimum")
_MODES = ("constant", "empty", "linear_ramp") + _INDEX_MODES + _STATISTIC_MODES
_KEYWORDS = {"constant": {"constant_values"}, "linear_ramp": {"end_values"},
             "reflect": {"reflect_type"}, "symmetric": {"reflect_type"},
             **{mode: {"stat_length"} for mode in _STATISTIC_MODES}}


def _per_axis(name, value, ndim, default):
    """NumPy's ``((before, after),) * ndim`` broadcasting of a pad argument."""
    value = default if value is None else value
    if contains_tracer(value):
        if isinstance(value, Tracer) and value.ndim == 0:
            return [(value, value)] * ndim
        raise NotImplementedError(f"pad: a traced {name} must be a scalar")
    return np.broadcast_to(np.asarray(value), (ndim, 2)).tolist()


def pad(array, pad_width, mode="constant", **kwargs):
    """NumPy's ``pad``: ``pad_width`` is ``n``, ``(before, after)`` or one pair per axis;
    ``mode`` is one of constant, edge, linear_ramp, maximum, mean, median, minimum,
    reflect, symmetric, wrap, empty, with their keywords.

    >>> import functrans
    >>> functrans.grad(lambda x: pad(x, 2, mode="reflect").sum())(np.arange(3.0))
    array([2., 3., 2.])
    """
    if not contains_tracer((array, kwargs.get("constant_values"), kwargs.get("end_values"))):
        return np.pad(array, pad_width, mode, **kwargs)
    if callable(mode) or mode not in _MODES:
        raise ValueError(f"pad: mode {mode!r} is not supported; use one of {_MODES}")
    unexpected = set(kwargs) - _KEYWORDS.get(mode, set())
    if unexpected:
        raise ValueError(f"unsupported keyword arguments for mode '{mode}': {unexpected}")
    array = array_operand(array)
    ndim = aval(array).ndim
    widths = np.broadcast_to(np.asarray(pad_width), (ndim, 2)).astype(np.int64)
    if (widths < 0).any():
        raise ValueError("index can't contain negative values")
    if mode in ("constant", "empty"):
        values = _per_axis("constant_values", kwargs.get("constant_values"), ndim, 0)
        for axis in range(ndim):
            array = _pad_constant(array, axis, widths[axis], values[axis])
        return array
    if mode == "linear_ramp":
        ends = _per_axis("end_values", kwargs.get("end_values"), ndim, 0)
        for axis in range(ndim):
            array = _pad_linear_ramp(array, axis, widths[axis], ends[axis])
        return array
    if mode in _STATISTIC_MODES:
        lengths = _per_axis("stat_length", kwargs.get("stat_length"), ndim, None) \
            if kwargs.get("stat_length") is not None else [(None, None)] * ndim
        for axis in range(ndim):
            array = _pad_statistic(array, axis, widths[axis], lengths[axis], mode)
        return array
    reflect_type = kwargs.get("reflect_type", "even")
    if reflect_type not in ("even", "odd"):
        raise ValueError("reflect_type must be 'even' or 'odd'")
    for axis in range(ndim):
        array = _pad_by_index(array, axis, widths[axis], mode, reflect_type)
    return array


def _pad_constant(array, axis, width, values):
    before, after = (int(w) for w in width)
    if before == after == 0:
        return array
    dtype = aval(array).dtype
    low = [(0, 0, 0)] * aval(array).ndim
    high = list(low)
    low[axis], high[axis] = (before, 0, 0), (0, after, 0)
    return lax.pad(lax.pad(array, _fill(values[0], dtype), low), _fill(values[1], dtype), high)


def _fill(value, dtype):
    """A pad value as a 0-d array of ``dtype`` (cast as NumPy casts it: 2.6 pads ints with 2)."""
    if isinstance(value, Tracer):
        return value.astype(dtype)
    return np.asarray(value).astype(dtype)


def _edge_slice(array, axis, start, stop):
    return take(array, np.arange(start, stop), axis=axis)


def _extension(array, axis, width):
    """``(before, after, length)`` of an axis a mode extends from its own values (None when
    nothing is added); NumPy's error for an empty axis."""
    before, after = (int(w) for w in width)
    length = aval(array).shape[axis]
    if before == after == 0:
        return None
    if length == 0:
        raise ValueError(f"can't extend empty axis {axis} using modes other than 'constant' "
                         "or 'empty'")
    return before, after, length


def _pad_by_index(array, axis, width, mode, reflect_type):
    extension = _extension(array, axis, width)
    if extension is None:
        return array
    before, after, length = extension
    if reflect_type == "even" or mode in ("edge", "wrap"):
        return take(array, np.pad(np.arange(length), (before, after), mode), axis=axis)
    # An odd reflection (2 * edge - mirror image, re-anchored at each new edge for long
    # pads) is linear in the array: NumPy's pad of the identity gives its coefficients.
    coefficients = np.pad(np.eye(length), ((before, after), (0, 0)), mode, reflect_type="odd")
    moved = lax.dot_general(coefficients.astype(aval(array).dtype), array,
                            (((1,), (axis,)), ((), ())))
    order = list(range(1, aval(array).ndim))
    order.insert(axis, 0)
    return lax.transpose(moved, tuple(order))


def _pad_linear_ramp(array, axis, width, ends):
    extension = _extension(array, axis, width)
    if extension is None:
        return array
    before, after, length = extension
    dtype = aval(array).dtype
    ramp_dtype = dtype if dtype.kind in "fc" else np.dtype(np.float64)
    pieces = []
    for count, edge_index, end, reverse in ((before, 0, ends[0], False),
                                            (after, length - 1, ends[1], True)):
        if count == 0:
            pieces.append(None)
            continue
        edge = _edge_slice(array, axis, edge_index, edge_index + 1).astype(ramp_dtype)
        fraction = (np.arange(count) / count).astype(ramp_dtype)
        shape = [1] * aval(array).ndim
        shape[axis] = count
        fraction = fraction.reshape(shape)
        end = _fill(end, ramp_dtype)
        ramp = add(end, multiply(subtract(edge, end), fraction))
        if dtype.kind in "iu":
            ramp = _floor_like_linspace(ramp, dtype)
        pieces.append(flip(ramp, axis) if reverse else ramp)
    joined = [p for p in (pieces[0], array, pieces[1]) if p is not None]
    return concatenate(joined, axis)


def _floor_like_linspace(ramp, dtype):
    from functrans.numpy._ufuncs import floor
    return floor(ramp).astype(dtype)


def _pad_statistic(array, axis, width, lengths, mode):
    before, after = (int(w) for w in width)
    length = aval(array).shape[axis]
    if before == after == 0:
        return array
    dtype = aval(array).dtype
    pieces = []
    for count, stat_length, from_end in ((before, lengths[0], False), (after, lengths[1], True)):
        if count == 0:
            pieces.append(None)
            continue
        used = length if stat_length is None else min(int(stat_length), length)
        if used == 0:
            raise ValueError(f"stat_length of 0 yields no value for padding along axis {axis}")
        region = _edge_slice(array, axis, length - used, length) if from_end else \
            _edge_slice(array, axis, 0, used)
        if mode == "maximum":
            value = max_(region, axis=axis, keepdims=True)
        elif mode == "minimum":
            value = min_(region, axis=axis, keepdims=True)
        elif mode == "mean":
            value = mean(region, axis=axis, keepdims=True)
        else:
            from functrans.numpy._statistics import median
            value = median(region, axis=axis, keepdims=True)
        if dtype.kind in "iu" and mode in ("mean", "median"):
            value = rint(value)
        value = value.astype(dtype)
        shape = list(aval(array).shape)
        shape[axis] = count
        pieces.append(broadcast_to(value, tuple(shape)))
    joined = [p for p in (pieces[0], array, pieces[1]) if p is not None]
    return concatenate(joined, axis)
