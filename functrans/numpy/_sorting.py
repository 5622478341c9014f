"""Sorting: sort and argsort along an axis (the flattened array when axis is None)."""
import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from functrans import lax
from functrans.numpy._dispatch import array_operand, is_eager
from functrans.numpy._promotion import aval


def _along_axis(a, axis):
    a = array_operand(a)
    if axis is None:
        return lax.reshape(a, (aval(a).size,)), 0
    if aval(a).ndim == 0:
        raise np.exceptions.AxisError("axis -1 is out of bounds for array of dimension 0")
    return a, normalize_axis_index(axis, aval(a).ndim)


def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """NumPy's ``sort`` (NaNs last)."""
    if is_eager(a):
        return np.sort(a, axis=axis, kind=kind, order=order, stable=stable)
    if order is not None:
        raise NotImplementedError("sort(order=...) is for structured arrays, which functrans lacks")
    a, axis = _along_axis(a, axis)
    return lax.sort((a,), axis)[0]


def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """NumPy's ``argsort``, always stable (tied elements keep their order), eager or traced,
    so both give the same indices."""
    if is_eager(a):
        return np.argsort(a, axis=axis, kind="stable" if kind is None else kind, order=order)
    if order is not None:
        raise NotImplementedError("argsort(order=...) is for structured arrays, which functrans lacks")
    a, axis = _along_axis(a, axis)
    positions = lax.iota(np.int64, aval(a).shape, axis)
    return lax.sort((a, positions), axis, num_keys=1)[1]
