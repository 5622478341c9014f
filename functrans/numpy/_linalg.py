"""Products: dot, matmul, inner, outer, vdot, tensordot (einsum lives in ``_einsum``).

Each becomes one ``dot_general`` (plus broadcasting or a transpose when
NumPy's output layout differs from dot_general's batch, lhs-free, rhs-free).
"""
import numpy as np

from functrans import lax
from functrans.errors import at_user_line
from functrans.numpy._dispatch import array_operand, is_eager_both
from functrans.numpy._promotion import aval, broadcast_shapes, broadcast_to_shape, cast, promoted_dtype
from functrans.numpy._shapes import ravel, transpose
from functrans.numpy._ufuncs import multiply


def _promoted_pair(a, b):
    a, b = array_operand(a), array_operand(b)
    dtype = promoted_dtype(a, b)[0]
    return cast(a, dtype), cast(b, dtype)


def _check_contracted(function_name, a, b, a_axes, b_axes):
    a_shape, b_shape = aval(a).shape, aval(b).shape
    for a_axis, b_axis in zip(a_axes, b_axes):
        if a_shape[a_axis] != b_shape[b_axis]:
            raise ValueError(at_user_line(
                f"{function_name}: shapes {a_shape} and {b_shape} are not aligned: dimension "
                f"{a_axis} of the first (size {a_shape[a_axis]}) must equal dimension {b_axis} "
                f"of the second (size {b_shape[b_axis]})"))


def _contract(function_name, a, b, a_axes, b_axes):
    """dot_general without batch dimensions: the result is a's free axes, then b's."""
    _check_contracted(function_name, a, b, a_axes, b_axes)
    return lax.dot_general(a, b, ((tuple(a_axes), tuple(b_axes)), ((), ())))


def dot(a, b):
    """NumPy's ``dot``: sum over the last axis of ``a`` and the second-to-last of ``b``."""
    if is_eager_both(a, b):
        return np.dot(a, b)
    a, b = _promoted_pair(a, b)
    a_ndim, b_ndim = aval(a).ndim, aval(b).ndim
    if a_ndim == 0 or b_ndim == 0:
        return multiply(a, b)
    return _contract("dot", a, b, (a_ndim - 1,), (max(b_ndim - 2, 0),))


def inner(a, b):
    """NumPy's ``inner``: sum over the last axes of both."""
    if is_eager_both(a, b):
        return np.inner(a, b)
    a, b = _promoted_pair(a, b)
    a_ndim, b_ndim = aval(a).ndim, aval(b).ndim
    if a_ndim == 0 or b_ndim == 0:
        return multiply(a, b)
    return _contract("inner", a, b, (a_ndim - 1,), (b_ndim - 1,))


def vdot(a, b):
    """NumPy's ``vdot``: the dot product of the flattened arrays, ``a`` conjugated."""
    if is_eager_both(a, b):
        return np.vdot(a, b)
    a, b = _promoted_pair(a, b)
    if aval(a).dtype.kind == "c":
        a = lax.conj(a)
    a, b = ravel(a), ravel(b)
    if aval(a).shape != aval(b).shape:
        raise ValueError(at_user_line(
            f"vdot: arrays of {aval(a).shape[0]} and {aval(b).shape[0]} elements"))
    return _contract("vdot", a, b, (0,), (0,))


def outer(a, b):
    """NumPy's ``outer``: ``a.ravel()[:, None] * b.ravel()[None, :]``."""
    if is_eager_both(a, b):
        return np.outer(a, b)
    a, b = ravel(array_operand(a)), ravel(array_operand(b))
    return multiply(lax.expand_dims(a, (1,)), lax.expand_dims(b, (0,)))


def tensordot(a, b, axes=2):
    """NumPy's ``tensordot``: ``axes`` is a count (a's last, b's first) or two axis lists."""
    if is_eager_both(a, b):
        return np.tensordot(a, b, axes)
    a, b = _promoted_pair(a, b)
    a_ndim, b_ndim = aval(a).ndim, aval(b).ndim
    if isinstance(axes, (int, np.integer)):
        a_axes, b_axes = list(range(a_ndim - axes, a_ndim)), list(range(axes))
    else:
        a_axes, b_axes = axes
        a_axes = [a_axes] if isinstance(a_axes, (int, np.integer)) else list(a_axes)
        b_axes = [b_axes] if isinstance(b_axes, (int, np.integer)) else list(b_axes)
        if len(a_axes) != len(b_axes):
            raise ValueError("shape-mismatch for sum")
    a_axes = [axis % a_ndim for axis in a_axes]
    b_axes = [axis % b_ndim for axis in b_axes]
    return _contract("tensordot", a, b, a_axes, b_axes)


def matmul(a, b):
    """NumPy's ``matmul`` (``@``): matrix products over broadcast leading axes."""
    if is_eager_both(a, b):
        return np.matmul(a, b)
    a, b = _promoted_pair(a, b)
    a_shape, b_shape = aval(a).shape, aval(b).shape
    if not a_shape or not b_shape:
        raise ValueError(at_user_line(
            f"matmul: operands must have at least one dimension, got shapes {a_shape} and {b_shape}"))
    if len(a_shape) == 1 or len(b_shape) == 1:
        # A vector operand has no batch axes; dot_general's layout is then NumPy's.
        b_axis = 0 if len(b_shape) == 1 else len(b_shape) - 2
        return _contract("matmul", a, b, (len(a_shape) - 1,), (b_axis,))
    a_batch, b_batch = a_shape[:-2], b_shape[:-2]
    _check_contracted("matmul", a, b, (len(a_shape) - 1,), (len(b_shape) - 2,))
    if not b_batch:
        return lax.dot_general(a, b, (((len(a_shape) - 1,), (0,)), ((), ())))
    if not a_batch:
        # Result axes (n, *batch, m): move n next to m.
        product = lax.dot_general(a, b, (((1,), (len(b_shape) - 2,)), ((), ())))
        order = list(range(1, len(b_batch) + 1)) + [0, len(b_batch) + 1]
        return transpose(product, order)
    batch = broadcast_shapes("matmul", a_batch, b_batch)
    a = broadcast_to_shape(a, batch + a_shape[-2:])
    b = broadcast_to_shape(b, batch + b_shape[-2:])
    batch_axes = tuple(range(len(batch)))
    return lax.dot_general(a, b, (((len(batch) + 1,), (len(batch),)), (batch_axes, batch_axes)))
