"""Joining and splitting: append, column_stack, dstack, the ``r_``/``c_`` index builders,
hsplit/vsplit/dsplit, atleast_3d, block, concat, unstack."""
import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from functrans import dtypes
from functrans.numpy._creation import arange, linspace
from functrans.numpy._dispatch import array_operand, contains_tracer
from functrans.numpy._eager import numpy_when_eager
from functrans.numpy._promotion import aval
from functrans.numpy._shapes import (
    array_split, concatenate, ravel, reshape, split, squeeze, transpose, vstack,
)


def _each(function, arrays):
    results = [function(array_operand(a)) for a in arrays]
    return results[0] if len(results) == 1 else tuple(results)


def atleast_3d(*arrays):
    """NumPy's ``atleast_3d``: 0-d becomes (1, 1, 1), (N,) becomes (1, N, 1), (M, N) becomes
    (M, N, 1)."""
    def promote(a):
        shape = aval(a).shape
        if len(shape) == 0:
            return reshape(a, (1, 1, 1))
        if len(shape) == 1:
            return reshape(a, (1, shape[0], 1))
        if len(shape) == 2:
            return reshape(a, shape + (1,))
        return a
    if not contains_tracer(arrays):
        return np.atleast_3d(*arrays)
    return _each(promote, arrays)


@numpy_when_eager(np.append)
def append(arr, values, axis=None):
    """NumPy's ``append``: both flattened when ``axis`` is None, else joined along ``axis``."""
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], 0)
    return concatenate([arr, values], axis)


@numpy_when_eager(np.column_stack)
def column_stack(tup):
    """NumPy's ``column_stack``: 1-D arrays become columns, then joined along axis 1."""
    columns = []
    for a in tup:
        a = array_operand(a)
        columns.append(reshape(a, (-1, 1)) if aval(a).ndim < 2 else a)
    return concatenate(columns, 1)


def row_stack(tup, *, dtype=None):
    """``vstack``, under its older name."""
    return vstack(tup, dtype=dtype)


@numpy_when_eager(np.dstack)
def dstack(tup):
    """NumPy's ``dstack``: joined along the third axis, after :func:`atleast_3d`."""
    return concatenate([atleast_3d(a) for a in tup], 2)


def _split_along(name, minimum_ndim, axis):
    numpy_function = getattr(np, name)

    @numpy_when_eager(numpy_function)
    def function(ary, indices_or_sections):
        ary = array_operand(ary)
        if aval(ary).ndim < minimum_ndim:
            raise ValueError(f"{name} only works on arrays of {minimum_ndim} or more dimensions")
        split_axis = 0 if axis == 1 and aval(ary).ndim == 1 else axis
        return split(ary, indices_or_sections, split_axis)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"NumPy's ``{name}``: :func:`split` along axis {axis}."
    return function


hsplit = _split_along("hsplit", 1, 1)
vsplit = _split_along("vsplit", 2, 0)
dsplit = _split_along("dsplit", 3, 2)


def concat(arrays, /, *, axis=0):
    """The array API's name for :func:`concatenate`."""
    return concatenate(arrays, axis)


@numpy_when_eager(np.unstack)
def unstack(x, /, *, axis=0):
    """NumPy's ``unstack``: the slices along ``axis``, as a tuple."""
    x = array_operand(x)
    axis = normalize_axis_index(axis, aval(x).ndim)
    return tuple(squeeze(piece, axis) for piece in array_split(x, aval(x).shape[axis], axis))


@numpy_when_eager(np.block)
def block(arrays):
    """NumPy's ``block``: nested lists joined along the last axes, innermost list last."""
    def depth(item):
        return 1 + depth(item[0]) if isinstance(item, list) and item else 0

    levels = depth(arrays)

    def leaves_ndim(item):
        if isinstance(item, list):
            return max(leaves_ndim(i) for i in item)
        return aval(array_operand(item)).ndim

    ndim = max(levels, leaves_ndim(arrays))

    def assemble(item, level):
        if not isinstance(item, list):
            item = array_operand(item)
            shape = aval(item).shape
            return reshape(item, (1,) * (ndim - len(shape)) + shape)
        return concatenate([assemble(i, level + 1) for i in item], ndim - levels + level)

    return assemble(arrays, 0)


class _AxisConcatenator:
    """``r_[...]`` and ``c_[...]``: slices become ranges (a complex step is a count of
    points, as in ``linspace``), scalars and arrays are joined along ``axis`` after being
    given at least ``ndmin`` dimensions; a leading string ``'axis,ndmin,trans1d'`` or
    ``'r'``/``'c'`` changes the layout, as in NumPy."""

    def __init__(self, numpy_concatenator, axis, ndmin, trans1d):
        self.numpy_concatenator = numpy_concatenator
        self.axis, self.ndmin, self.trans1d = axis, ndmin, trans1d

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        if not contains_tracer(key):
            return self.numpy_concatenator[key]
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        pieces, scalars = [], []
        for index, item in enumerate(key):
            if isinstance(item, str):
                if index != 0:
                    raise ValueError("r_/c_: a string directive may only come first")
                if item in ("r", "c"):
                    raise NotImplementedError("r_/c_: the matrix directives 'r' and 'c' make "
                                              "numpy.matrix objects, which functrans lacks")
                numbers = [int(n) for n in item.split(",")]
                axis, ndmin, trans1d = (numbers + [ndmin, trans1d][len(numbers) - 1:])[:3]
                continue
            if isinstance(item, slice):
                piece = self._range(item)
            else:
                piece = array_operand(item)
                if aval(piece).ndim == 0:
                    scalars.append(len(pieces))
            pieces.append(self._with_ndmin(piece, ndmin, trans1d))
        avals = [aval(p) for p in pieces]
        dtype = dtypes.result_type(*[(a.dtype, index in scalars and a.weak_type)
                                     for index, a in enumerate(avals)])[0]
        return concatenate([p.astype(dtype) for p in pieces], axis)

    @staticmethod
    def _range(item):
        start = 0 if item.start is None else item.start
        step = 1 if item.step is None else item.step
        if isinstance(step, (complex, np.complexfloating)):
            return linspace(start, item.stop, int(abs(step)))
        return arange(start, item.stop, step)

    @staticmethod
    def _with_ndmin(piece, ndmin, trans1d):
        shape = aval(piece).shape
        if len(shape) >= ndmin:
            return piece
        piece = reshape(piece, (1,) * (ndmin - len(shape)) + shape)
        if trans1d != -1:
            # NumPy's rule: the original axes move to position trans1d among the new ones.
            new_axes = ndmin - len(shape)
            position = trans1d + new_axes + 1 if trans1d < 0 else trans1d
            axes = list(range(ndmin))
            piece = transpose(piece, axes[:position] + axes[new_axes:] + axes[position:new_axes])
        return piece


r_ = _AxisConcatenator(np.r_, 0, 1, -1)
c_ = _AxisConcatenator(np.c_, -1, 2, 0)

