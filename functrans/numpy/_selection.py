"""Choosing elements: select, piecewise, choose, partition, searchsorted, digitize,
interp, bincount, histogram; and nonzero/argwhere/unique with a static ``size``.

Functions whose result's shape depends on the values (nonzero, unique, ...) call
NumPy on concrete arrays; traced, they need JAX's ``size=`` (and ``fill_value=``)
so that the shape is known when tracing.
"""
import builtins
import operator

import numpy as np


from functrans.errors import at_user_line
from functrans.numpy._dispatch import Tracer, array_operand
from functrans.numpy._eager import numpy_when_eager
from functrans.numpy._indexing import take, take_along_axis
from functrans.numpy._promotion import aval, promoted_dtype
from functrans.numpy._reductions import max as max_, min as min_
from functrans.numpy._reductions import sum as sum_
from functrans.numpy._shapes import broadcast_arrays, broadcast_to, concatenate, ravel, reshape
from functrans.numpy._sorting import argsort, sort
from functrans.numpy._ufuncs import (
    add, clip, divide, equal, greater, greater_equal, isnan, less, less_equal, logical_and,
    logical_not, logical_or, multiply, not_equal, remainder, subtract, where,
)


@numpy_when_eager(np.select)
def select(condlist, choicelist, default=0):
    """NumPy's ``select``: for each element, the choice of the first true condition."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    conditions = [array_operand(c) for c in condlist]
    for index, condition in enumerate(conditions):
        if aval(condition).dtype != np.bool_:
            raise TypeError(f"invalid entry {index} in condlist: should be boolean ndarray")
    choices = [array_operand(c) for c in choicelist]
    dtype, _ = promoted_dtype(*choices, default)
    result = array_operand(default)
    for condition, choice in zip(reversed(conditions), reversed(choices)):
        result = where(condition, choice, result)
    return result.astype(dtype)


@numpy_when_eager(np.piecewise)
def piecewise(x, condlist, funclist, *args, **kw):
    """NumPy's ``piecewise``: ``funclist[i](x)`` where ``condlist[i]`` holds (later
    conditions win); one extra function is the default; constants are allowed."""
    x = array_operand(x)
    if isinstance(condlist, (Tracer, np.ndarray)) and aval(condlist).ndim == aval(x).ndim:
        condlist = [condlist]
    conditions = [broadcast_to(array_operand(c), aval(x).shape) for c in condlist]
    if len(funclist) == len(conditions) + 1:
        default = funclist[-1]
        covered = conditions[0]
        for c in conditions[1:]:
            covered = covered | c
        conditions.append(logical_not(covered))
        funclist = list(funclist[:-1]) + [default]
    elif len(funclist) != len(conditions):
        raise ValueError(f"with {len(conditions)} condition(s), either {len(conditions)} or "
                         f"{len(conditions) + 1} functions are expected")
    result = broadcast_to(np.zeros((), aval(x).dtype), aval(x).shape)
    for condition, function in zip(conditions, funclist):
        value = function(x, *args, **kw) if callable(function) else function
        result = where(condition, array_operand(value).astype(aval(x).dtype), result)
    return result


@numpy_when_eager(np.choose)
def choose(a, choices, out=None, mode="raise"):
    """NumPy's ``choose``: ``choices[a[i]][i]``; traced indices are clipped ('raise' cannot
    check them), 'wrap' wraps."""
    a = array_operand(a)
    choices = [array_operand(c) for c in choices]
    arrays = broadcast_arrays(a, *choices)
    index, stacked = arrays[0], [c for c in arrays[1:]]
    count = len(stacked)
    from functrans.numpy._shapes import stack
    stacked = stack(stacked, axis=0)
    index = remainder(index, count) if mode == "wrap" else clip(index, 0, count - 1)
    return take_along_axis(stacked, reshape(index, (1,) + aval(index).shape), axis=0)[0]


@numpy_when_eager(np.partition)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """NumPy's ``partition``, satisfied by sorting: the ``kth`` element is in its sorted
    place with smaller ones before and larger ones after (the sorted order is one of the
    arrangements NumPy's contract allows)."""
    return sort(a, axis=axis)


@numpy_when_eager(np.argpartition)
def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """NumPy's ``argpartition``, satisfied by a stable argsort (see :func:`partition`)."""
    return argsort(a, axis=axis)


@numpy_when_eager(np.searchsorted)
def searchsorted(a, v, side="left", sorter=None):
    """NumPy's ``searchsorted`` on sorted 1-D ``a``: how many elements lie before each ``v``
    (``a < v`` for 'left', ``a <= v`` for 'right'), by comparing with all of ``a``."""
    a = array_operand(a)
    if sorter is not None:
        a = take(a, sorter)
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right' (got {side!r})")
    v = array_operand(v)
    compare = less if side == "left" else less_equal
    v_shape = aval(v).shape
    expanded = reshape(v, v_shape + (1,))
    before = compare(a, expanded)
    if aval(a).dtype.kind == "f" or aval(v).dtype.kind == "f":
        # NumPy sorts NaN last: a NaN ``v`` lies after every number (and after the NaNs of
        # ``a`` too, for 'right').
        nan_v = isnan(expanded)
        before = logical_or(before, nan_v if side == "right" else logical_and(
            nan_v, logical_not(isnan(a))))
    return sum_(before, axis=-1).astype(np.int64)


@numpy_when_eager(np.digitize)
def digitize(x, bins, right=False):
    """NumPy's ``digitize``: the bin of each ``x`` (bins increasing or decreasing)."""
    bins = array_operand(bins)
    side = "left" if right else "right"
    increasing = searchsorted(bins, x, side)
    decreasing = aval(bins).shape[0] - searchsorted(bins[::-1], x, side)
    return where(greater_equal(bins[-1], bins[0]), increasing, decreasing)


@numpy_when_eager(np.interp)
def interp(x, xp, fp, left=None, right=None, period=None):
    """NumPy's ``interp``: piecewise-linear interpolation of ``(xp, fp)`` at ``x``, ``left``
    and ``right`` beyond the ends (``fp``'s end values by default), or periodic."""
    x, xp, fp = array_operand(x), array_operand(xp), array_operand(fp)
    dtype = np.dtype(np.complex128) if aval(fp).dtype.kind == "c" else np.dtype(np.float64)
    x, xp, fp = x.astype(np.float64), xp.astype(np.float64), fp.astype(dtype)
    if aval(xp).ndim != 1 or aval(fp).ndim != 1 or aval(xp).shape != aval(fp).shape:
        raise ValueError("fp and xp are not of the same length.")
    if period is not None:
        if period == 0:
            raise ValueError("period must be a non-zero value")
        period = abs(period)
        x = remainder(x, period)
        xp = remainder(xp, period)
        order = argsort(xp)
        xp, fp = take(xp, order), take(fp, order)
        xp = concatenate([xp[-1:] - period, xp, xp[:1] + period], 0)
        fp = concatenate([fp[-1:], fp, fp[:1]], 0)
    count = aval(xp).shape[0]
    if count == 0:
        raise ValueError("array of sample points is empty")
    if count == 1:
        return broadcast_to(fp[0], aval(x).shape)
    upper = clip(searchsorted(xp, x, "right"), 1, count - 1)
    lower = subtract(upper, 1)
    x0, x1 = take(xp, lower), take(xp, upper)
    f0, f1 = take(fp, lower), take(fp, upper)
    width = subtract(x1, x0)
    safe_width = where(equal(width, 0), 1.0, width)
    slope = divide(subtract(f1, f0), safe_width)
    result = where(equal(width, 0), f0, add(f0, multiply(slope, subtract(x, x0))))
    # NumPy returns fp at exact sample points (a slope of inf there would give NaN otherwise).
    result = where(equal(x, x1), f1, result)
    if period is None:
        left_value = fp[0] if left is None else left
        right_value = fp[-1] if right is None else right
        result = where(less(x, xp[0]), left_value, result)
        result = where(greater(x, xp[-1]), right_value, result)
    return result


def static_size(name, size):
    if size is None:
        raise TypeError(at_user_line(
            f"{name} of a traced array: its result's shape depends on the values. Pass "
            f"size=N (a static upper bound; fill_value= fills the unused entries), or call it "
            "on a concrete array"))
    return operator.index(size)


def _flat_nonzero_positions(a, size, fill_value):
    """The first ``size`` flat positions where ``a`` is nonzero, then ``fill_value``."""
    flat = ravel(array_operand(a))
    length = aval(flat).shape[0]
    mask = not_equal(flat, 0)
    # A stable argsort of "is zero" puts the nonzero positions first, in order.
    order = argsort(logical_not(mask).astype(np.int8))
    positions = order[:size] if size <= length else concatenate(
        [order, np.zeros(size - length, np.int64)], 0)
    found = sum_(mask)
    valid = less(np.arange(size), found)
    return positions, valid


@numpy_when_eager(np.nonzero)
def nonzero(a, *, size=None, fill_value=None):
    """NumPy's ``nonzero``; traced, ``size`` gives the length of each index array."""
    a = array_operand(a)
    if not isinstance(a, Tracer) and size is None:
        return np.nonzero(a)
    size = static_size("nonzero", size)
    shape = aval(a).shape
    positions, valid = _flat_nonzero_positions(a, size, fill_value)
    results = []
    for axis, index in enumerate(np.unravel_index(np.arange(int(np.prod(shape))), shape)
                                 if shape else ()):
        coordinates = take(index, clip(positions, 0, max(len(index) - 1, 0))) \
            if len(index) else np.zeros(size, np.int64)
        fill = 0 if fill_value is None else (
            fill_value[axis] if isinstance(fill_value, (tuple, list)) else fill_value)
        results.append(where(valid, coordinates, fill))
    return tuple(results)


@numpy_when_eager(np.flatnonzero)
def flatnonzero(a, *, size=None, fill_value=None):
    """NumPy's ``flatnonzero``; traced, ``size`` gives the result's length."""
    size = static_size("flatnonzero", size)
    positions, valid = _flat_nonzero_positions(a, size, fill_value)
    return where(valid, positions, 0 if fill_value is None else fill_value)


@numpy_when_eager(np.argwhere)
def argwhere(a, *, size=None, fill_value=None):
    """NumPy's ``argwhere``; traced, ``size`` gives the number of rows."""
    from functrans.numpy._shapes import stack
    a = array_operand(a)
    size = static_size("argwhere", size)
    if aval(a).ndim == 0:
        a = reshape(a, (1,))
        return reshape(nonzero(a, size=size, fill_value=fill_value)[0], (size, 0))[:, :0]
    return stack(nonzero(a, size=size, fill_value=fill_value), axis=1)


@numpy_when_eager(np.bincount)
def bincount(x, weights=None, minlength=0, *, length=None):
    """NumPy's ``bincount``; traced, ``length`` gives the number of bins (values beyond it
    are dropped, as in JAX)."""
    x = array_operand(x)
    if aval(x).dtype.kind not in "biu":
        raise TypeError("bincount: x must be an array of non-negative integers")
    if length is None:
        if isinstance(x, Tracer):
            raise TypeError(at_user_line(
                "bincount of a traced array: the number of bins depends on its largest value. "
                "Pass length=N"))
        length = builtins.max(int(np.max(x, initial=-1)) + 1, minlength)
    bins = np.arange(length)
    hits = equal(reshape(x, aval(x).shape + (1,)), bins)
    if weights is None:
        return sum_(hits, axis=0).astype(np.int64)
    weights = array_operand(weights)
    weights = weights.astype(np.float64) if aval(weights).dtype.kind in "biu" else weights
    return sum_(where(hits, reshape(weights, aval(weights).shape + (1,)), 0), axis=0)


@numpy_when_eager(np.histogram_bin_edges)
def histogram_bin_edges(a, bins=10, range=None, weights=None):  # noqa: A002 (NumPy's name)
    """NumPy's ``histogram_bin_edges`` for a number of equal bins or explicit edges."""
    from functrans.numpy._creation import linspace
    a = ravel(array_operand(a))
    if not isinstance(bins, (int, np.integer)):
        return array_operand(bins)
    if range is None:
        low, high = min_(a), max_(a)
    else:
        low, high = range
    dtype = aval(a).dtype if aval(a).dtype.kind == "f" else np.dtype(np.float64)
    low, high = array_operand(low).astype(dtype), array_operand(high).astype(dtype)
    same = equal(low, high)
    low, high = where(same, subtract(low, 0.5), low), where(same, add(high, 0.5), high)
    # As numpy.linspace computes them: start + i * step, with the last edge exactly high.
    step = divide(subtract(high, low), int(bins))
    inner = add(multiply(np.arange(int(bins)).astype(dtype), step), low)
    return concatenate([inner, reshape(high, (1,))], 0)


@numpy_when_eager(np.histogram)
def histogram(a, bins=10, range=None, density=None, weights=None):  # noqa: A002
    """NumPy's ``histogram``: ``(counts, edges)``; the last bin includes its right edge."""
    edges = histogram_bin_edges(a, bins, range)
    a = ravel(array_operand(a))
    count = aval(edges).shape[0] - 1
    index = subtract(searchsorted(edges, a, "right"), 1)
    index = where(equal(a, edges[-1]), count - 1, index)
    inside = logical_and(greater_equal(index, 0), less(index, count))
    hits = logical_and(equal(reshape(index, aval(index).shape + (1,)), np.arange(count)),
                       reshape(inside, aval(inside).shape + (1,)))
    if weights is None:
        counts = sum_(hits, axis=0).astype(np.int64)
    else:
        weights = ravel(array_operand(weights))
        counts = sum_(where(hits, reshape(weights, aval(weights).shape + (1,)), 0), axis=0)
    if density:
        widths = subtract(edges[1:], edges[:-1])
        counts = divide(divide(counts, widths), sum_(counts))
    return counts, edges


@numpy_when_eager(np.unique)
def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None,
           *, equal_nan=True, size=None, fill_value=None):
    """NumPy's ``unique`` of the flattened array; traced, ``size`` gives the number of
    values returned (padded with ``fill_value``, by default the smallest value)."""
    if axis is not None:
        raise NotImplementedError("unique(axis=...) of a traced array is not supported")
    ar = array_operand(ar)
    size = static_size("unique", size)
    flat = ravel(ar)
    length = aval(flat).shape[0]
    order = argsort(flat)
    ordered = take(flat, order)
    is_new = concatenate([np.ones(1, bool), not_equal(ordered[1:], ordered[:-1])], 0)
    if equal_nan and aval(flat).dtype.kind in "fc":
        both_nan = logical_and(isnan(ordered[1:]), isnan(ordered[:-1]))
        is_new = concatenate([np.ones(1, bool), logical_and(is_new[1:], logical_not(both_nan))], 0)
    from functrans.numpy._reductions import cumsum
    group = subtract(cumsum(is_new.astype(np.int64)), 1)
    found = add(group[-1], 1) if length else 0
    slots = np.arange(size)
    # Slot s takes the first sorted element whose group is s.
    first = argsort(where(is_new, group, length + size))[:size] if length >= size else \
        concatenate([argsort(where(is_new, group, length + size)), np.zeros(size - length,
                                                                            np.int64)], 0)
    filled = less(slots, found)
    values = take(ordered, clip(first, 0, builtins.max(length - 1, 0)))
    fill = min_(flat) if fill_value is None else fill_value
    results = [where(filled, values, fill)]
    if return_index:
        results.append(where(filled, take(order, clip(first, 0, length - 1)), 0))
    if return_inverse:
        from functrans.numpy._indexing import IndexUpdateHelper
        inverse = IndexUpdateHelper(np.zeros(length, np.int64))[order].set(group)
        results.append(reshape(inverse, aval(ar).shape))
    if return_counts:
        hits = equal(reshape(group, (length, 1)), slots)
        results.append(sum_(hits, axis=0).astype(np.int64))
    return results[0] if len(results) == 1 else tuple(results)




@numpy_when_eager(np.lexsort)
def lexsort(keys, axis=-1):
    """NumPy's ``lexsort``: the stable order sorting by the last key, then the one before..."""
    from functrans import lax
    keys = [array_operand(k) for k in keys]
    if not keys:
        raise TypeError("need sequence of keys with len > 0 in lexsort")
    keys = list(broadcast_arrays(*keys))
    axis = axis % builtins.max(aval(keys[0]).ndim, 1)
    positions = lax.iota(np.int64, aval(keys[0]).shape, axis)
    return lax.sort(tuple(keys[::-1]) + (positions,), axis, num_keys=len(keys))[-1]


def _concrete_condition(name, condition):
    if isinstance(condition, Tracer):
        raise TypeError(at_user_line(
            f"{name} with a traced condition: the result's shape would depend on its values. "
            "Use functrans.numpy.where(condition, a, fill) to keep the shape instead"))
    return np.asarray(condition, dtype=bool)


@numpy_when_eager(np.compress)
def compress(condition, a, axis=None, out=None):
    """NumPy's ``compress`` with a concrete ``condition``."""
    condition = _concrete_condition("compress", condition)
    a = array_operand(a)
    if axis is None:
        a, axis = ravel(a), 0
    return take(a, np.flatnonzero(condition), axis=axis)


@numpy_when_eager(np.extract)
def extract(condition, arr):
    """NumPy's ``extract`` with a concrete ``condition``: ``ravel(arr)[ravel(condition)]``."""
    condition = _concrete_condition("extract", condition)
    return take(ravel(array_operand(arr)), np.flatnonzero(condition.ravel()))


def put(a, ind, v, mode=None, *, inplace=True):
    """JAX's ``put``: a copy of ``a`` with ``a.flat[ind] = v`` (pass ``inplace=False``)."""
    from functrans.numpy._indexing import IndexUpdateHelper
    if inplace:
        raise ValueError("put returns a new array: pass inplace=False")
    a = array_operand(a)
    flat = ravel(a)
    size = aval(flat).shape[0]
    index = ravel(array_operand(ind))
    if mode == "wrap":
        index = remainder(index, size)
    elif mode == "clip":
        index = clip(index, 0, size - 1)
    values = ravel(array_operand(v)).astype(aval(a).dtype)
    count = aval(index).shape[0]
    if aval(values).shape[0] != count:
        values = take(values, np.arange(count) % aval(values).shape[0])
    return reshape(IndexUpdateHelper(flat)[index].set(values), aval(a).shape)


def put_along_axis(arr, indices, values, axis, *, inplace=True, mode=None):
    """JAX's ``put_along_axis``: a copy of ``arr`` with ``values`` placed at ``indices``
    along ``axis`` (pass ``inplace=False``)."""
    from functrans.numpy._indexing import IndexUpdateHelper
    if inplace:
        raise ValueError("put_along_axis returns a new array: pass inplace=False")
    arr, indices = array_operand(arr), array_operand(indices)
    shape = aval(arr).shape
    axis = axis % len(shape)
    index_shape = aval(indices).shape
    grids = list(np.indices(index_shape, sparse=True))
    grids[axis] = indices
    values = broadcast_to(array_operand(values).astype(aval(arr).dtype), index_shape)
    return IndexUpdateHelper(arr)[tuple(grids)].set(values)


def _bin_index(values, edges):
    """Each value's bin among ``edges`` (the last bin closed), and whether it falls inside."""
    count = aval(edges).shape[0] - 1
    index = subtract(searchsorted(edges, values, "right"), 1)
    index = where(equal(values, edges[-1]), count - 1, index)
    return index, logical_and(greater_equal(index, 0), less(index, count))


@numpy_when_eager(np.histogramdd)
def histogramdd(sample, bins=10, range=None, density=None, weights=None):  # noqa: A002
    """NumPy's ``histogramdd`` of ``(N, D)`` samples: ``(counts, [edges per dimension])``."""
    sample = array_operand(sample)
    if aval(sample).ndim == 1:
        sample = reshape(sample, (-1, 1))
    dimensions = aval(sample).shape[1]
    if isinstance(bins, (int, np.integer)):
        bins = [bins] * dimensions
    ranges = [None] * dimensions if range is None else list(range)
    edges = [histogram_bin_edges(sample[:, d], bins[d], ranges[d]) for d in builtins.range(
        dimensions)]
    sizes = [aval(e).shape[0] - 1 for e in edges]
    flat, inside = 0, True
    for d in builtins.range(dimensions):
        index, within = _bin_index(sample[:, d], edges[d])
        flat = add(multiply(flat, sizes[d]), index)
        inside = logical_and(inside, within)
    total = int(np.prod(sizes))
    hits = logical_and(equal(reshape(flat, (-1, 1)), np.arange(total)), reshape(inside, (-1, 1)))
    if weights is None:
        counts = sum_(hits, axis=0).astype(np.float64)
    else:
        weights = ravel(array_operand(weights))
        counts = sum_(where(hits, reshape(weights, (-1, 1)), 0), axis=0)
    counts = reshape(counts, tuple(sizes))
    if density:
        volume = 1
        for d, edge in enumerate(edges):
            shape = [1] * dimensions
            shape[d] = sizes[d]
            volume = multiply(volume, reshape(subtract(edge[1:], edge[:-1]), tuple(shape)))
        counts = divide(divide(counts, sum_(counts)), volume)
    return counts, edges


@numpy_when_eager(np.histogram2d)
def histogram2d(x, y, bins=10, range=None, density=None, weights=None):  # noqa: A002
    """NumPy's ``histogram2d``: ``(counts, x_edges, y_edges)``."""
    from functrans.numpy._shapes import stack
    if not isinstance(bins, (int, np.integer)) and len(bins) != 2:
        bins = [bins, bins]
    counts, (x_edges, y_edges) = histogramdd(stack([ravel(array_operand(x)),
                                                    ravel(array_operand(y))], axis=1),
                                             bins, range, density, weights)
    return counts, x_edges, y_edges
