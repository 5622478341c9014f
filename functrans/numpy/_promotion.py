"""Preparing operands for primitives: NumPy 2 type promotion, broadcasting, axes.

Primitives take operands of one shape and one dtype; these helpers insert the
``convert_element_type`` and ``broadcast_in_dim`` that NumPy does implicitly.
Concrete NumPy operands are converted with NumPy at trace time, so the IR
holds no conversion of a constant.
"""
import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from functrans import core, dtypes, lax
from functrans.errors import at_user_line

_PYTHON_TYPE_OF_KIND = {"b": bool, "i": int, "u": int, "f": float, "c": complex}


def aval(x):
    return core.get_aval(x)


def promoted_dtype(*operands):
    """``(dtype, weak_type)`` of NumPy 2 promotion; Python scalars are weak."""
    avals = [core.get_aval(x) for x in operands]
    return dtypes.result_type(*[(a.dtype, a.weak_type) for a in avals])


def broadcast_shapes(function_name, *shapes):
    """The shape NumPy broadcasts ``shapes`` to, or a ValueError naming them and the user's line."""
    ndim = max((len(s) for s in shapes), default=0)
    result = [1] * ndim
    for shape in shapes:
        for position, size in enumerate(shape, start=ndim - len(shape)):
            if size == result[position] or size == 1:
                continue
            if result[position] == 1:
                result[position] = size
                continue
            shown = " and ".join(str(tuple(s)) for s in shapes)
            raise ValueError(at_user_line(
                f"{function_name}: operands of shapes {shown} cannot be broadcast together "
                f"(sizes {result[position]} and {size} differ in a dimension where neither is 1)"))
    return tuple(result)


def cast(x, dtype, weak_type=False):
    """``x`` converted to ``dtype``; Python scalars stay Python scalars of the right kind
    (the binary primitives convert them to the other operand's dtype)."""
    if type(x) in core.PYTHON_SCALAR_TYPES:
        return _PYTHON_TYPE_OF_KIND[dtype.kind](x)
    if isinstance(x, core.Tracer):
        if x.aval.dtype == dtype:
            return x
        return lax.convert_element_type(x, dtype, weak_type=weak_type)
    if x.dtype == dtype:
        return x
    return x.astype(dtype)


def broadcast_to_shape(x, shape):
    """``x`` broadcast to ``shape`` (which it is known to broadcast to), aligned on the right."""
    x_shape = core.get_aval(x).shape
    if x_shape == shape:
        return x
    return lax.broadcast_in_dim(x, shape, tuple(range(len(shape) - len(x_shape), len(shape))))


def materialize(x, dtype, shape, weak_type=False):
    """``x`` as an array of exactly ``dtype`` and ``shape`` (Python scalars included)."""
    if type(x) in core.PYTHON_SCALAR_TYPES:
        if not shape and weak_type:
            return _PYTHON_TYPE_OF_KIND[dtype.kind](x)
        x = np.asarray(x, dtype)
    return broadcast_to_shape(cast(x, dtype, weak_type), shape)


def promote_and_broadcast(function_name, *operands, dtype=None):
    """``(operands, dtype, weak_type, shape)``: operands of one dtype (the promoted one, or
    ``dtype``), and of one shape except Python scalars (which the binary primitives
    broadcast themselves)."""
    promoted, weak_type = promoted_dtype(*operands)
    dtype = promoted if dtype is None else dtype
    shape = broadcast_shapes(function_name, *[core.get_aval(x).shape for x in operands])
    prepared = []
    for x in operands:
        x = cast(x, dtype, weak_type)
        if type(x) not in core.PYTHON_SCALAR_TYPES:
            x = broadcast_to_shape(x, shape)
        prepared.append(x)
    return prepared, dtype, weak_type, shape


def axes_tuple(axis, ndim):
    """``axis`` (None, an int or a tuple, negatives allowed) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    return tuple(sorted(normalize_axis_tuple(axis, ndim)))
