"""Rearranging: fliplr, flipud, rot90, rollaxis, delete, insert, resize."""
import operator

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from functrans.numpy._dispatch import Tracer, array_operand
from functrans.numpy._eager import numpy_when_eager
from functrans.numpy._indexing import take
from functrans.numpy._promotion import aval
from functrans.numpy._shapes import concatenate, flip, moveaxis, ravel, reshape, transpose


@numpy_when_eager(np.fliplr)
def fliplr(m):
    """NumPy's ``fliplr``: reversed along axis 1."""
    m = array_operand(m)
    if aval(m).ndim < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


@numpy_when_eager(np.flipud)
def flipud(m):
    """NumPy's ``flipud``: reversed along axis 0."""
    m = array_operand(m)
    if aval(m).ndim < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


@numpy_when_eager(np.rot90)
def rot90(m, k=1, axes=(0, 1)):
    """NumPy's ``rot90``: ``k`` quarter turns from the first of ``axes`` towards the second."""
    m = array_operand(m)
    ndim = aval(m).ndim
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    first, second = (normalize_axis_index(a, ndim) for a in axes)
    if first == second:
        raise ValueError("Axes must be different.")
    k = operator.index(k) % 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, first), second)
    order = list(range(ndim))
    order[first], order[second] = order[second], order[first]
    if k == 1:
        return transpose(flip(m, second), order)
    return flip(transpose(m, order), second)


@numpy_when_eager(np.rollaxis)
def rollaxis(a, axis, start=0):
    """NumPy's ``rollaxis``: ``axis`` moved to stand before position ``start``."""
    a = array_operand(a)
    ndim = aval(a).ndim
    axis = normalize_axis_index(axis, ndim)
    if not -ndim <= start <= ndim:
        raise np.exceptions.AxisError(f"start arg requires {-ndim} <= start < {ndim + 1} but "
                                      f"{start} was passed in")
    start = start + ndim if start < 0 else start
    if axis < start:
        start -= 1
    return moveaxis(a, axis, start) if axis != start else a


def _concrete_indices(what, obj):
    if isinstance(obj, Tracer):
        raise TypeError(f"{what}: the positions decide the result's shape, so they must be "
                        "concrete, not traced")
    return obj


@numpy_when_eager(np.delete)
def delete(arr, obj, axis=None):
    """NumPy's ``delete`` with concrete positions ``obj`` (an int, slice or index array)."""
    obj = _concrete_indices("delete", obj)
    arr = array_operand(arr)
    if axis is None:
        arr, axis = ravel(arr), 0
    axis = normalize_axis_index(axis, aval(arr).ndim)
    kept = np.delete(np.arange(aval(arr).shape[axis]), obj)
    return take(arr, kept, axis=axis)


@numpy_when_eager(np.insert)
def insert(arr, obj, values, axis=None):
    """NumPy's ``insert`` with concrete positions ``obj``: ``values`` placed before them."""
    obj = _concrete_indices("insert", obj)
    arr = array_operand(arr)
    values = array_operand(values).astype(aval(arr).dtype)
    arr_aval, values_aval = aval(arr), aval(values)
    # NumPy's own insert on labels says where each element of the result comes from:
    # label i >= 0 is arr's flat element i, label -1 - j is values' flat element j.
    arr_labels = np.arange(arr_aval.size).reshape(arr_aval.shape)
    value_labels = (-1 - np.arange(values_aval.size)).reshape(values_aval.shape)
    labels = np.insert(arr_labels, obj, value_labels, axis)
    source = np.where(labels >= 0, labels, arr_aval.size - 1 - labels)
    return take(concatenate([ravel(arr), ravel(values)], 0), source)


@numpy_when_eager(np.resize)
def resize(a, new_shape):
    """NumPy's ``resize``: the flattened ``a`` repeated (or cut) to fill ``new_shape``."""
    a = ravel(array_operand(a))
    new_shape = (new_shape,) if isinstance(new_shape, (int, np.integer)) else tuple(new_shape)
    total = int(np.prod(new_shape, dtype=np.int64))
    size = aval(a).shape[0]
    if size == 0 or total == 0:
        return np.zeros(new_shape, aval(a).dtype)
    return reshape(take(a, np.arange(total) % size), new_shape)
