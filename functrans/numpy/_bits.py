"""NumPy's bit functions of integers: shifts, ``bitwise_count``, ``packbits``, ``unpackbits``.

The shifts are the ``shift_left`` / ``shift_right`` primitives (functrans.lax.bits) with
NumPy's promotion and broadcasting; the rest is composed from shifts, ``and``, sums and
reshapes, so it works under every transform and numba computes it in fused loops. None is
differentiable: their outputs are integers.
"""
import operator

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from functrans import lax
from functrans.numpy._dispatch import array_operand
from functrans.numpy._eager import numpy_when_eager
from functrans.numpy._promotion import aval
from functrans.numpy._ufuncs import _binary, _plain

left_shift = _binary(np.left_shift, _plain(lax.shift_left))
right_shift = _binary(np.right_shift, _plain(lax.shift_right))
bitwise_left_shift = left_shift
bitwise_right_shift = right_shift

#: The masks of the parallel bit count: alternate bits, pairs, nibbles (64 bits wide)
_ALTERNATE_BITS = 0x5555555555555555
_ALTERNATE_PAIRS = 0x3333333333333333
_ALTERNATE_NIBBLES = 0x0F0F0F0F0F0F0F0F


def _as_uint64_magnitude(x):
    """``|x|`` as uint64 (through int64, so even the most negative value of a signed dtype
    has its true magnitude; NumPy's bitwise_count counts the bits of the magnitude)."""
    if aval(x).dtype.kind == "i":
        x = lax.abs(lax.convert_element_type(x, np.int64))
    return lax.convert_element_type(x, np.uint64)


@numpy_when_eager(np.bitwise_count)
def bitwise_count(x, /):
    """NumPy's ``bitwise_count``: the number of 1 bits of ``|x|``, as uint8.

    >>> import functrans.numpy as fnp
    >>> fnp.bitwise_count(fnp.array([0, 7, -8, 255]))
    array([0, 3, 1, 8], dtype=uint8)
    """
    x = array_operand(x)
    dtype = aval(x).dtype
    if dtype.kind not in "biu":
        raise TypeError(f"bitwise_count takes integers or booleans, got {dtype}; "
                        "convert with astype first")
    bits = _as_uint64_magnitude(x)
    # Count in parallel: each pair of bits holds its count, then each nibble, then each byte;
    # the byte counts are summed by three shifted additions (no multiplication to overflow).
    pairs = lax.sub(bits, lax.logical_and(lax.shift_right(bits, 1), _ALTERNATE_BITS))
    nibbles = lax.add(lax.logical_and(pairs, _ALTERNATE_PAIRS),
                      lax.logical_and(lax.shift_right(pairs, 2), _ALTERNATE_PAIRS))
    total = lax.logical_and(lax.add(nibbles, lax.shift_right(nibbles, 4)), _ALTERNATE_NIBBLES)
    for shift in (8, 16, 32):
        total = lax.add(total, lax.shift_right(total, shift))
    return lax.convert_element_type(lax.logical_and(total, 0x7F), np.uint8)


def _check_bitorder(bitorder):
    if bitorder not in ("big", "little"):
        raise ValueError("'order' must be either 'little' or 'big'")


def _flattened_or_axis(a, axis):
    """``(a, axis)``: ``a`` flattened with axis 0 when ``axis`` is None, else the axis checked."""
    if axis is None:
        return lax.reshape(a, (int(np.prod(aval(a).shape)),)), 0
    if aval(a).ndim == 0:
        raise np.exceptions.AxisError(axis, 0)
    return a, normalize_axis_index(operator.index(axis), aval(a).ndim)


def _per_bit(values, shape, axis):
    """The 8 ``values`` (one per bit position of a byte) broadcast to ``shape`` along ``axis``."""
    return lax.broadcast_in_dim(np.asarray(values, np.uint8), shape, (axis,))


def _bit_positions(bitorder):
    """The bit each of a byte's 8 entries stands for: most significant first for 'big'."""
    positions = np.arange(8, dtype=np.uint8)
    return positions[::-1] if bitorder == "big" else positions


def _with_length(x, axis, length):
    """``x`` cut or extended with zeros to ``length`` along ``axis``.

    The zeros come from a select over ``x`` repeated (broadcast, reshape, slice: index maps
    that fuse into the consumer's loop) rather than from ``pad``, whose slice assignment
    takes numba seconds to compile.
    """
    shape, dtype = aval(x).shape, aval(x).dtype
    limits = shape[:axis] + (length,) + shape[axis + 1:]
    if length <= shape[axis]:
        return lax.slice(x, (0,) * len(shape), limits)
    if shape[axis] == 0:
        return lax.full(limits, 0, dtype)
    copies = -(-length // shape[axis])
    repeated_shape = shape[:axis] + (copies,) + shape[axis:]
    repeated = lax.broadcast_in_dim(
        x, repeated_shape, tuple(d for d in range(len(repeated_shape)) if d != axis))
    repeated = lax.reshape(repeated, shape[:axis] + (copies * shape[axis],) + shape[axis + 1:])
    repeated = lax.slice(repeated, (0,) * len(shape), limits)
    inside = lax.lt(lax.iota(np.int64, limits, axis), shape[axis])
    return lax.select(inside, repeated, lax.full(limits, 0, dtype))


@numpy_when_eager(np.packbits)
def packbits(a, /, axis=None, bitorder="big"):
    """NumPy's ``packbits``: the truth values of ``a`` along ``axis`` (flattened if None),
    8 to a uint8, the last byte padded with zeros.

    >>> import functrans.numpy as fnp
    >>> fnp.packbits(fnp.array([1, 0, 1, 1, 0, 0, 0, 0, 1]))
    array([176, 128], dtype=uint8)
    """
    a = array_operand(a)
    dtype = aval(a).dtype
    if dtype.kind not in "biu":
        raise TypeError("Expected an input array of integer or boolean data type")
    _check_bitorder(bitorder)
    a, axis = _flattened_or_axis(a, axis)
    shape = aval(a).shape
    nonzero = a if dtype == np.bool_ else lax.ne(a, lax.full(shape, 0, dtype))
    bits = _with_length(lax.convert_element_type(nonzero, np.uint8), axis,
                        -(-shape[axis] // 8) * 8)
    grouped_shape = shape[:axis] + (aval(bits).shape[axis] // 8, 8) + shape[axis + 1:]
    bits = lax.reshape(bits, grouped_shape)
    weights = _per_bit(1 << _bit_positions(bitorder), grouped_shape, axis + 1)
    return lax.reduce_sum(lax.mul(bits, weights), (axis + 1,))


@numpy_when_eager(np.unpackbits)
def unpackbits(a, /, axis=None, count=None, bitorder="big"):
    """NumPy's ``unpackbits``: each uint8 of ``a`` as 8 elements 0 or 1 along ``axis``
    (flattened if None); ``count`` keeps that many (a negative one drops that many from the
    end; beyond the bits there are, zeros are added).

    >>> import functrans.numpy as fnp
    >>> fnp.unpackbits(fnp.array([5], fnp.uint8), count=-2)
    array([0, 0, 0, 0, 0, 1], dtype=uint8)
    """
    a = array_operand(a)
    if aval(a).dtype != np.uint8:
        raise TypeError("Expected an input array of unsigned byte data type")
    _check_bitorder(bitorder)
    a, axis = _flattened_or_axis(a, axis)
    shape = aval(a).shape
    spread_shape = shape[:axis + 1] + (8,) + shape[axis + 1:]
    spread = lax.broadcast_in_dim(
        a, spread_shape, tuple(d for d in range(len(spread_shape)) if d != axis + 1))
    shifted = lax.shift_right(spread, _per_bit(_bit_positions(bitorder), spread_shape, axis + 1))
    bits = lax.logical_and(shifted, lax.full(spread_shape, 1, np.uint8))
    length = 8 * shape[axis]
    bits = lax.reshape(bits, shape[:axis] + (length,) + shape[axis + 1:])
    if count is None:
        return bits
    count = operator.index(count)
    if count < 0:
        if -count > length:
            raise ValueError("-count larger than number of elements")
        count += length
    return _with_length(bits, axis, count)
