"""Functions that rearrange arrays: reshape, transpose, squeeze, stack, split, tile, ...

Shapes are static: every size and axis argument must be a concrete integer.
"""
import operator

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from functrans import core, lax
from functrans.errors import at_user_line
from functrans.numpy._dispatch import (
    Tracer, array_operand, is_eager, is_eager_all, static_shape)
from functrans.numpy._promotion import (
    aval, axes_tuple, broadcast_shapes, broadcast_to_shape, cast, promoted_dtype,
)


def shape(a):
    """The shape of an array, tracer, scalar or nested list."""
    if isinstance(a, (Tracer, np.ndarray, np.generic)) or type(a) in core.PYTHON_SCALAR_TYPES:
        return core.get_aval(a).shape
    return np.shape(a)


def ndim(a):
    return len(shape(a))


def size(a, axis=None):
    a_shape = shape(a)
    if axis is None:
        return int(np.prod(a_shape, dtype=np.int64))
    return a_shape[normalize_axis_index(axis, len(a_shape))]


def _resolved_shape(array_size, new_shape):
    """``new_shape`` with its one ``-1`` filled in, checked against ``array_size`` like NumPy."""
    if isinstance(new_shape, (int, np.integer, Tracer)):
        new_shape = (new_shape,)
    new_shape = [operator.index(d) for d in new_shape]
    unknown = [i for i, d in enumerate(new_shape) if d < 0]
    if len(unknown) > 1:
        raise ValueError("can only specify one unknown dimension")
    known = int(np.prod([d for d in new_shape if d >= 0], dtype=np.int64))
    if unknown and known != 0 and array_size % known == 0:
        new_shape[unknown[0]] = array_size // known
    if (unknown and new_shape[unknown[0]] < 0) or (not unknown and known != array_size):
        raise ValueError(f"cannot reshape array of size {array_size} into shape "
                         f"{tuple(new_shape)}")
    return tuple(new_shape)


def reshape(a, shape, order="C"):  # noqa: F811 (NumPy's parameter name)
    """NumPy's ``reshape`` in C order; one size may be -1."""
    if order != "C":
        raise NotImplementedError("functrans.numpy.reshape supports only order='C'")
    if is_eager(a):
        return np.reshape(a, shape)
    a = array_operand(a)
    a_aval = aval(a)
    new_shape = _resolved_shape(a_aval.size, static_shape(shape, "reshape"))
    return a if new_shape == a_aval.shape else lax.reshape(a, new_shape)


def ravel(a, order="C"):
    """NumPy's ``ravel``: the array as one dimension, in C order."""
    return reshape(a, (-1,), order)


def transpose(a, axes=None):
    """NumPy's ``transpose``: axes reversed, or permuted as ``axes`` says."""
    if is_eager(a):
        return np.transpose(a, axes)
    a = array_operand(a)
    a_ndim = aval(a).ndim
    if axes is None:
        permutation = tuple(reversed(range(a_ndim)))
    else:
        permutation = normalize_axis_tuple(axes, a_ndim)
        if len(permutation) != a_ndim:
            raise ValueError("axes don't match array")
    return a if permutation == tuple(range(a_ndim)) else lax.transpose(a, permutation)


def swapaxes(a, axis1, axis2):
    if is_eager(a):
        return np.swapaxes(a, axis1, axis2)
    a = array_operand(a)
    a_ndim = aval(a).ndim
    axis1, axis2 = normalize_axis_index(axis1, a_ndim), normalize_axis_index(axis2, a_ndim)
    permutation = list(range(a_ndim))
    permutation[axis1], permutation[axis2] = axis2, axis1
    return transpose(a, permutation)


def moveaxis(a, source, destination):
    """NumPy's ``moveaxis``: the ``source`` axes moved to ``destination``, others in order."""
    if is_eager(a):
        return np.moveaxis(a, source, destination)
    a = array_operand(a)
    a_ndim = aval(a).ndim
    source = normalize_axis_tuple(source, a_ndim, "source")
    destination = normalize_axis_tuple(destination, a_ndim, "destination")
    if len(source) != len(destination):
        raise ValueError("`source` and `destination` arguments must have the same number of elements")
    remaining = [axis for axis in range(a_ndim) if axis not in source]
    for target, moved in sorted(zip(destination, source)):
        remaining.insert(target, moved)
    return transpose(a, remaining)


def squeeze(a, axis=None):
    """NumPy's ``squeeze``: drop the size-1 axes (all of them, or those in ``axis``)."""
    if is_eager(a):
        return np.squeeze(a, axis)
    a = array_operand(a)
    a_shape = aval(a).shape
    if axis is None:
        axes = tuple(i for i, d in enumerate(a_shape) if d == 1)
    else:
        axes = axes_tuple(axis, len(a_shape))
        if any(a_shape[i] != 1 for i in axes):
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return lax.squeeze(a, axes) if axes else a


def expand_dims(a, axis):
    """NumPy's ``expand_dims``: new size-1 axes at positions ``axis`` of the result."""
    if is_eager(a):
        return np.expand_dims(a, axis)
    a = array_operand(a)
    count = len(axis) if isinstance(axis, (tuple, list)) else 1
    return lax.expand_dims(a, axes_tuple(axis, aval(a).ndim + count))


def broadcast_to(array, shape):  # noqa: F811 (NumPy's parameter name)
    """NumPy's ``broadcast_to``."""
    if is_eager(array):
        return np.broadcast_to(array, shape)
    array = array_operand(array)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    array_shape = aval(array).shape
    stretchable = len(array_shape) <= len(shape) and all(
        size in (1, target) for size, target in zip(array_shape[::-1], shape[::-1]))
    if not stretchable:
        raise ValueError(at_user_line(
            f"broadcast_to: an array of shape {array_shape} cannot be broadcast to shape {shape}"))
    return broadcast_to_shape(array, shape)


def broadcast_arrays(*args):
    """NumPy's ``broadcast_arrays``: all arguments broadcast to their common shape."""
    if is_eager_all(args):
        return np.broadcast_arrays(*args)
    arrays = [array_operand(a) for a in args]
    common = broadcast_shapes("broadcast_arrays", *[aval(a).shape for a in arrays])
    return tuple(broadcast_to_shape(a, common) for a in arrays)


def _promoted_arrays(arrays, dtype=None):
    arrays = [array_operand(a) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    dtype = promoted_dtype(*arrays)[0] if dtype is None else np.dtype(dtype)
    return [cast(a, dtype) for a in arrays]


def concatenate(arrays, axis=0, dtype=None):
    """NumPy's ``concatenate`` (axis None concatenates the flattened arrays)."""
    if is_eager_all(arrays):
        return np.concatenate(arrays, axis=axis, dtype=dtype)
    arrays = _promoted_arrays(arrays, dtype)
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    shapes = [aval(a).shape for a in arrays]
    first = shapes[0]
    if not first:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    axis = normalize_axis_index(axis, len(first))
    for index, other in enumerate(shapes[1:], start=1):
        if len(other) != len(first):
            raise ValueError(
                "all the input arrays must have same number of dimensions, but the array at "
                f"index 0 has {len(first)} dimension(s) and the array at index {index} has "
                f"{len(other)} dimension(s)")
        for dimension, (size_0, size_i) in enumerate(zip(first, other)):
            if dimension != axis and size_0 != size_i:
                raise ValueError(at_user_line(
                    "all the input array dimensions except for the concatenation axis must "
                    f"match exactly, but along dimension {dimension}, the array at index 0 has "
                    f"size {size_0} and the array at index {index} has size {size_i} "
                    f"(shapes {first} and {other})"))
    return arrays[0] if len(arrays) == 1 else lax.concatenate(arrays, axis)


def stack(arrays, axis=0, dtype=None):
    """NumPy's ``stack``: arrays of one shape joined along a new axis."""
    if is_eager_all(arrays):
        return np.stack(arrays, axis=axis, dtype=dtype)
    arrays = _promoted_arrays(arrays, dtype)
    shapes = {aval(a).shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(at_user_line(
            f"all input arrays must have the same shape, got shapes {sorted(shapes)}"))
    axis = normalize_axis_index(axis, len(shapes.pop()) + 1)
    return concatenate([lax.expand_dims(a, (axis,)) for a in arrays], axis)


def atleast_1d(*arrays):
    results = [a if aval(a).ndim >= 1 else reshape(a, (1,))
               for a in map(array_operand, arrays)]
    return results[0] if len(results) == 1 else tuple(results)


def atleast_2d(*arrays):
    def promote(a):
        a_shape = aval(a).shape
        return a if len(a_shape) >= 2 else reshape(a, (1,) * (2 - len(a_shape)) + a_shape)

    results = [promote(array_operand(a)) for a in arrays]
    return results[0] if len(results) == 1 else tuple(results)


def hstack(tup, dtype=None):
    """NumPy's ``hstack``: along the first axis for 1-D arrays, else the second."""
    if is_eager_all(tup):
        return np.hstack(tup, dtype=dtype)
    arrays = [atleast_1d(a) for a in tup]
    return concatenate(arrays, 0 if aval(arrays[0]).ndim == 1 else 1, dtype)


def vstack(tup, dtype=None):
    """NumPy's ``vstack``: along the first axis, 1-D arrays becoming rows."""
    if is_eager_all(tup):
        return np.vstack(tup, dtype=dtype)
    return concatenate([atleast_2d(a) for a in tup], 0, dtype)


def _slice_along(a, axis, start, stop):
    a_shape = aval(a).shape
    starts = [0] * len(a_shape)
    limits = list(a_shape)
    starts[axis], limits[axis] = start, stop
    return lax.slice(a, starts, limits)


def _split_at(a, boundaries, axis):
    """The pieces of ``a`` between consecutive ``boundaries`` (clipped like Python slices)."""
    length = aval(a).shape[axis]
    pieces = []
    for start, stop in zip(boundaries[:-1], boundaries[1:]):
        start = max(0, min(start, length))
        stop = max(start, min(stop, length))
        pieces.append(_slice_along(a, axis, start, stop))
    return pieces


def array_split(ary, indices_or_sections, axis=0):
    """NumPy's ``array_split``: sections may differ in size by one."""
    if is_eager(ary):
        return np.array_split(ary, indices_or_sections, axis)
    ary = array_operand(ary)
    axis = normalize_axis_index(axis, aval(ary).ndim)
    length = aval(ary).shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.")
        each, extra = divmod(length, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        boundaries = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    else:
        boundaries = [0] + [operator.index(i) for i in indices_or_sections] + [length]
        boundaries = [b + length if b < 0 else b for b in boundaries]
    return _split_at(ary, boundaries, axis)


def split(ary, indices_or_sections, axis=0):
    """NumPy's ``split``: like :func:`array_split`, but sections must be equal."""
    if is_eager(ary):
        return np.split(ary, indices_or_sections, axis)
    ary = array_operand(ary)
    if isinstance(indices_or_sections, (int, np.integer)):
        length = aval(ary).shape[normalize_axis_index(axis, aval(ary).ndim)]
        if indices_or_sections <= 0 or length % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


def flip(m, axis=None):
    """NumPy's ``flip``: reversed along ``axis`` (all axes when None)."""
    if is_eager(m):
        return np.flip(m, axis)
    m = array_operand(m)
    axes = axes_tuple(axis, aval(m).ndim)
    return lax.rev(m, axes) if axes else m


def tile(A, reps):  # noqa: N803 (NumPy's parameter name)
    """NumPy's ``tile``: ``A`` repeated ``reps`` times along each axis."""
    if is_eager(A):
        return np.tile(A, reps)
    A = array_operand(A)  # noqa: N806
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    a_shape = aval(A).shape
    ndim_out = max(len(a_shape), len(reps))
    a_shape = (1,) * (ndim_out - len(a_shape)) + a_shape
    reps = (1,) * (ndim_out - len(reps)) + reps
    # Broadcast to (r0, s0, r1, s1, ...) and merge each pair: the copies lie side by side.
    interleaved = tuple(size for pair in zip(reps, a_shape) for size in pair)
    A = lax.reshape(A, a_shape) if aval(A).shape != a_shape else A  # noqa: N806
    tiled = lax.broadcast_in_dim(A, interleaved, tuple(range(1, 2 * ndim_out, 2)))
    return lax.reshape(tiled, tuple(r * s for r, s in zip(reps, a_shape)))


def repeat(a, repeats, axis=None):
    """NumPy's ``repeat``; ``repeats`` must be concrete (it decides the result's shape)."""
    if is_eager(a) and not isinstance(repeats, Tracer):
        return np.repeat(a, repeats, axis)
    if isinstance(repeats, Tracer):
        raise TypeError(at_user_line(
            "repeat: the number of repeats decides the shape of the result, so it must be "
            "concrete, not traced"))
    a = array_operand(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis_index(axis, aval(a).ndim)
    indices = np.repeat(np.arange(aval(a).shape[axis]), repeats)
    return lax.gather(a, indices, axis)


def roll(a, shift, axis=None):
    """NumPy's ``roll``; ``shift`` may be traced when it is a single number."""
    if is_eager(a) and not isinstance(shift, Tracer):
        return np.roll(a, shift, axis)
    a = array_operand(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), aval(a).shape)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    shifts = (shift,) * len(axes) if not isinstance(shift, (tuple, list)) else tuple(shift)
    if len(shifts) != len(axes):
        raise ValueError("'shift' and 'axis' should be scalars or 1D sequences of the same length")
    for one_axis, one_shift in zip(axes, shifts):
        a = _roll_one_axis(a, one_shift, normalize_axis_index(one_axis, aval(a).ndim))
    return a


def _roll_one_axis(a, shift, axis):
    a_shape = aval(a).shape
    length = a_shape[axis]
    if length == 0:
        return a
    # The rolled array is the window of ``a`` twice over that starts at length - shift (mod length).
    doubled = lax.concatenate([a, a], axis)
    if not isinstance(shift, Tracer):
        start = (-operator.index(shift)) % length
        return _slice_along(doubled, axis, start, start + length)
    start = lax.rem(lax.sub(0, lax.convert_element_type(shift, np.int64)), length)
    starts = [0] * len(a_shape)
    starts[axis] = start
    return lax.dynamic_slice(doubled, starts, a_shape)
