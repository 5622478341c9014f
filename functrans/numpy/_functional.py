"""Applying functions over axes and index grids: apply_along_axis, apply_over_axes,
fromfunction (built on vmap and the traceable array functions)."""
import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from functrans.numpy._dispatch import array_operand
from functrans.numpy._promotion import aval
from functrans.numpy._shapes import expand_dims, moveaxis


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """NumPy's ``apply_along_axis``: ``func1d`` on every 1-D slice along ``axis`` (as one
    vmapped call, so ``func1d`` must be written with functrans.numpy)."""
    from functrans.transforms.vmap import vmap
    arr = array_operand(arr)
    ndim = aval(arr).ndim
    axis = normalize_axis_index(axis, ndim)
    function = lambda row: func1d(row, *args, **kwargs)  # noqa: E731
    for _ in range(ndim - 1):
        function = vmap(function)
    moved = moveaxis(arr, axis, -1)
    result = array_operand(function(moved))
    # The result's own axes replace the applied axis, as in NumPy.
    extra = aval(result).ndim - (ndim - 1)
    return moveaxis(result, tuple(range(ndim - 1, ndim - 1 + extra)),
                    tuple(range(axis, axis + extra))) if extra else result


def apply_over_axes(func, a, axes):
    """NumPy's ``apply_over_axes``: ``func(a, axis)`` for each axis in turn, keeping the
    number of dimensions."""
    a = array_operand(a)
    for axis in np.atleast_1d(axes):
        axis = normalize_axis_index(int(axis), aval(a).ndim)
        result = array_operand(func(a, axis))
        if aval(result).ndim == aval(a).ndim - 1:
            result = expand_dims(result, axis)
        elif aval(result).ndim != aval(a).ndim:
            raise ValueError("function is not returning an array of the correct shape")
        a = result
    return a


def fromfunction(function, shape, *, dtype=float, **kwargs):
    """NumPy's ``fromfunction``: ``function`` called once on the index grids of ``shape``."""
    return function(*np.indices(shape, dtype=dtype), **kwargs)
