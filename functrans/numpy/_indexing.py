"""``x[index]`` on tracers with NumPy's semantics, and the functional ``x.at[index]`` updates.

An index is first brought to a normal form: one entry per axis of ``x`` (after
``None`` entries have become new size-1 axes and boolean masks their
``nonzero`` integer arrays). Then

* basic entries (slices, and integers when no array is involved) become one
  ``rev`` for negative steps, one ``slice``, one ``squeeze``, and a 0-d ``gather``
  per traced integer (which raises IndexError out of range, as NumPy does; JAX
  clamps);
* advanced entries (integer arrays, and integers alongside them) become one
  ``gather`` on the advanced axes merged into one. The result's advanced axes
  stay in place when the advanced entries are adjacent, else they come first,
  as NumPy has it.
"""
import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from functrans import lax
from functrans.errors import at_user_line
from functrans.numpy._creation import asarray
from functrans.numpy._dispatch import Tracer, array_operand, contains_tracer, is_eager_both
from functrans.numpy._promotion import aval, broadcast_to_shape, cast
from functrans.numpy._ufuncs import add, multiply

_INT64 = np.dtype(np.int64)


class _Advanced:
    """An integer-array index entry (concrete ndarray or traced), for one axis."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def _entry(entry):
    """One index entry as None, Ellipsis, a slice, an int, a traced int, _Advanced, or a mask."""
    if entry is None or entry is Ellipsis or isinstance(entry, slice):
        return entry
    if isinstance(entry, (bool, np.bool_)):
        raise IndexError("functrans does not support indexing with a single boolean; "
                         "use None (newaxis) or a boolean array")
    if isinstance(entry, (int, np.integer)):
        return int(entry)
    if isinstance(entry, Tracer):
        kind = entry.dtype.kind
        if kind == "b":
            raise IndexError(at_user_line(
                f"indexing with a traced boolean mask {entry.aval.str_short()}: the result's "
                "shape would depend on the traced values. Use functrans.numpy.where(mask, x, "
                "other) to select elementwise instead, or make the mask concrete"))
        if kind not in "iu":
            raise IndexError("arrays used as indices must be of integer (or boolean) type")
        return entry if entry.ndim == 0 else _Advanced(entry)
    if isinstance(entry, (list, tuple)) and contains_tracer(entry):
        return _entry(asarray(entry))
    array = np.asarray(entry)
    if array.dtype == np.bool_:
        if array.ndim == 0:
            return _entry(array[()])
        return array
    if array.dtype.kind not in "iu" and not (array.size == 0 and array.dtype.kind == "f"):
        raise IndexError("arrays used as indices must be of integer (or boolean) type")
    if array.ndim == 0:
        return int(array)
    return _Advanced(array.astype(np.int64))


def _consumed(entry):
    """How many axes of the indexed array an entry uses."""
    if entry is None or entry is Ellipsis:
        return 0
    if isinstance(entry, np.ndarray):  # a boolean mask
        return entry.ndim
    return 1


def _normal_form(index, shape):
    """A list with one entry per axis, None marking a new axis; masks expanded."""
    index = index if isinstance(index, tuple) else (index,)
    entries = [_entry(e) for e in index]
    ellipses = sum(1 for e in entries if e is Ellipsis)
    if ellipses > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(_consumed(e) for e in entries)
    if used > len(shape):
        raise IndexError(f"too many indices for array: array is {len(shape)}-dimensional, "
                         f"but {used} were indexed")
    filler = [slice(None)] * (len(shape) - used)
    if ellipses:
        position = entries.index(Ellipsis)
        entries[position:position + 1] = filler
    else:
        entries += filler
    expanded, axis = [], 0
    for entry in entries:
        if isinstance(entry, np.ndarray):
            mask_shape = shape[axis:axis + entry.ndim]
            for offset, (size, mask_size) in enumerate(zip(mask_shape, entry.shape)):
                if size != mask_size:
                    raise IndexError(
                        f"boolean index did not match indexed array along axis {axis + offset}; "
                        f"size of axis is {size} but size of corresponding boolean axis is "
                        f"{mask_size}")
            expanded += [_Advanced(i.astype(np.int64)) for i in np.nonzero(entry)]
            axis += entry.ndim
        else:
            expanded.append(entry)
            axis += _consumed(entry)
    return expanded


def getitem(x, index):
    """``x[index]`` for a tracer ``x``, with NumPy's basic and advanced indexing."""
    entries = _normal_form(index, aval(x).shape)
    new_axes = tuple(i for i, e in enumerate(entries) if e is None)
    # For error messages: the axis of x each entry indexes (new axes are not x's).
    x_axes = [i - sum(1 for new in new_axes if new < i) for i in range(len(entries))]
    if new_axes:
        x = lax.expand_dims(x, new_axes)
        entries = [slice(None) if e is None else e for e in entries]
    advanced = any(isinstance(e, _Advanced) for e in entries)
    if advanced:
        entries = [_Advanced(e) if isinstance(e, (int, Tracer)) else e for e in entries]
    x = _apply_slices(x, entries, x_axes)
    if advanced:
        return _apply_advanced(x, entries, x_axes)
    return _apply_integers(x, entries)


def _static_slice(entry, size):
    """``(start, limit, stride, reverse)`` of a slice, as a positive-stride slice of the
    axis (reversed first if ``reverse``)."""
    start, stop, step = entry.indices(size)
    length = len(range(start, stop, step))
    if length == 0:
        return 0, 0, 1, False
    reverse = step < 0
    if reverse:
        # Element i of the reversed axis is element size - 1 - i of the original.
        start, step = size - 1 - start, -step
    return start, start + (length - 1) * step + 1, step, reverse


def _apply_slices(x, entries, x_axes):
    shape = aval(x).shape
    starts, limits, strides, reversed_axes = [], [], [], []
    for axis, (entry, size) in enumerate(zip(entries, shape)):
        if isinstance(entry, slice):
            start, limit, stride, reverse = _static_slice(entry, size)
            if reverse:
                reversed_axes.append(axis)
        elif isinstance(entry, int):
            if not -size <= entry < size:
                raise IndexError(
                    f"index {entry} is out of bounds for axis {x_axes[axis]} with size {size}")
            start = entry % size
            limit, stride = start + 1, 1
        else:
            start, limit, stride = 0, size, 1
        starts.append(start)
        limits.append(limit)
        strides.append(stride)
    if reversed_axes:
        x = lax.rev(x, tuple(reversed_axes))
    if starts != [0] * len(shape) or limits != list(shape) or any(s != 1 for s in strides):
        x = lax.slice(x, starts, limits, strides)
    return x


def _wrapped(index, size):
    """A traced integer index with negative values counted from the end."""
    index = cast(index, _INT64)
    return lax.select(lax.lt(index, 0), lax.add(index, size), index)


def _apply_integers(x, entries):
    """Drops the integer-indexed axes (size 1 after ``_apply_slices``). A traced integer is a
    0-d gather, not a clamping ``dynamic_slice``: out of range, it raises IndexError under
    jit as NumPy and eager mode do."""
    dropped = tuple(axis for axis, e in enumerate(entries) if isinstance(e, int))
    if dropped:
        x = lax.squeeze(x, dropped)
    remaining = [e for e in entries if not isinstance(e, int)]
    for axis in reversed(range(len(remaining))):
        if isinstance(remaining[axis], Tracer):
            x = lax.gather(x, cast(remaining[axis], _INT64), axis)
    return x


def _index_array(entry, axis, size, beyond=None):
    """An advanced index as int64 values in [0, size), checked when concrete. A traced
    index out of range becomes ``beyond`` (``size`` if None), which the gather rejects, as
    NumPy rejects the index: once wrapped, -size - 1 would pass for -1."""
    value = entry.value
    if isinstance(value, Tracer):
        value = cast(value, _INT64)
        out_of_range = lax.logical_or(lax.lt(value, -size), lax.ge(value, size))
        rejected = lax.full(aval(value).shape, size if beyond is None else beyond, _INT64)
        return lax.select(out_of_range, rejected, _wrapped(value, size))
    value = np.asarray(value, dtype=np.int64)
    out_of_bounds = (value >= size) | (value < -size)
    if out_of_bounds.any():
        raise IndexError(f"index {value[out_of_bounds].flat[0]} is out of bounds for axis "
                         f"{axis} with size {size}")
    return np.where(value < 0, value + size, value)


def _broadcast_index_shape(indices):
    shapes = [aval(i).shape for i in indices]
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        shown = " ".join(str(s) for s in shapes)
        raise IndexError("shape mismatch: indexing arrays could not be broadcast together "
                         f"with shapes {shown}") from None


def _flat_index(indices, sizes, shape):
    """The row-major position of each index tuple in an array of ``sizes``."""
    strides = [int(np.prod(sizes[i + 1:], dtype=np.int64)) for i in range(len(sizes))]
    if not any(isinstance(i, Tracer) for i in indices):
        return sum(np.broadcast_to(i, shape) * stride for i, stride in zip(indices, strides))
    flat = None
    for index, stride in zip(indices, strides):
        term = multiply(index, stride) if stride != 1 else index
        flat = term if flat is None else add(flat, term)
    return broadcast_to_shape(flat, shape)


def _apply_advanced(x, entries, x_axes):
    shape = aval(x).shape
    axes = [axis for axis, e in enumerate(entries) if isinstance(e, _Advanced)]
    merged = int(np.prod([shape[axis] for axis in axes], dtype=np.int64))
    indices = [_index_array(entries[axis], x_axes[axis], shape[axis], merged) for axis in axes]
    index_shape = _broadcast_index_shape(indices)
    if len(axes) == 1:
        return lax.gather(x, broadcast_to_shape(indices[0], index_shape), axes[0])
    sizes = [shape[axis] for axis in axes]
    flat_index = _flat_index(indices, sizes, index_shape)
    merged = int(np.prod(sizes, dtype=np.int64))
    if axes == list(range(axes[0], axes[0] + len(axes))):
        # Adjacent: merge the advanced axes where they are; the result's axes stay in place.
        first = axes[0]
        x = lax.reshape(x, shape[:first] + (merged,) + shape[axes[-1] + 1:])
        return lax.gather(x, flat_index, first)
    others = [axis for axis in range(len(shape)) if axis not in axes]
    x = lax.transpose(x, tuple(axes + others))
    x = lax.reshape(x, (merged,) + tuple(shape[axis] for axis in others))
    return lax.gather(x, flat_index, 0)


# --- x.at[index] ------------------------------------------------------------------------

def _positions(x_shape, index):
    """The flat position in ``x`` of each element of ``x[index]``: concrete when the index is."""
    size = int(np.prod(x_shape, dtype=np.int64))
    index_tuple = index if isinstance(index, tuple) else (index,)
    if not any(contains_tracer(e) for e in index_tuple):
        return np.arange(size, dtype=np.int64).reshape(x_shape)[index]
    return getitem(lax.reshape(lax.iota(_INT64, (size,), 0), x_shape), index)


def _updates(x, positions, values):
    """``values`` converted to ``x``'s dtype and broadcast to the indexed shape, flattened."""
    values = cast(array_operand(values), aval(x).dtype)
    target = aval(positions).shape
    values_shape = aval(values).shape
    if len(values_shape) > len(target) or any(
            size not in (1, wanted) for size, wanted in zip(values_shape[::-1], target[::-1])):
        raise ValueError(at_user_line(
            f"cannot assign values of shape {values_shape} to the indexed elements of shape {target}"))
    return lax.reshape(broadcast_to_shape(values, target), (int(np.prod(target, dtype=np.int64)),))


def _flat(x):
    return lax.reshape(x, (aval(x).size,))


def _index_update_add(x, index, values):
    positions = _positions(aval(x).shape, index)
    updates = _updates(x, positions, values)
    flat_positions = lax.reshape(positions, aval(updates).shape) if isinstance(
        positions, Tracer) else positions.ravel()
    return lax.reshape(lax.scatter_add(_flat(x), flat_positions, updates, 0), aval(x).shape)


def _index_update_set(x, index, values):
    x_aval = aval(x)
    positions = _positions(x_aval.shape, index)
    updates = _updates(x, positions, values)
    zeros = lax.full((x_aval.size,), 0, x_aval.dtype)
    if isinstance(positions, Tracer):
        # Repeated traced positions cannot be detected: which value lands there is unspecified.
        flat_positions = lax.reshape(positions, aval(updates).shape)
        counts = lax.scatter_add(lax.full((x_aval.size,), 0, _INT64), flat_positions,
                                 lax.full(aval(updates).shape, 1, _INT64), 0)
        written = lax.gt(counts, 0)
    else:
        flat_positions = positions.ravel()
        # As in NumPy's x[index] = values, the last write to a position wins.
        reversed_positions = flat_positions[::-1]
        unique, first_in_reversed = np.unique(reversed_positions, return_index=True)
        if len(unique) != len(flat_positions):
            updates = lax.gather(updates, len(flat_positions) - 1 - first_in_reversed, 0)
            flat_positions = unique
        written = np.zeros(x_aval.size, dtype=bool)
        written[flat_positions] = True
    scattered = lax.scatter_add(zeros, flat_positions, updates, 0)
    return lax.reshape(lax.select(written, scattered, _flat(x)), x_aval.shape)


_MODES = (None, "promise_in_bounds", "clip", "fill", "drop")


def _default_fill(dtype):
    """JAX's fill value of an out-of-range ``get(mode='fill')``."""
    if dtype.kind in "fc":
        return np.nan
    if dtype.kind == "b":
        return True
    return np.iinfo(dtype).min if dtype.kind == "i" else np.iinfo(dtype).max


def _moded_entry(entry, size, mode):
    """An integer index entry of an axis of ``size`` with out-of-range values clipped
    (``mode='clip'``) or sent to position ``size``, the padding slot (``'fill'``/``'drop'``)."""
    if isinstance(entry, _Advanced):
        return _moded_entry(entry.value, size, mode)
    if isinstance(entry, Tracer):
        value = _wrapped(entry, size)
        shape = aval(value).shape
        if mode == "clip":
            return lax.max(lax.min(value, lax.full(shape, size - 1, _INT64)),
                           lax.full(shape, 0, _INT64))
        outside = lax.logical_or(lax.lt(value, 0), lax.ge(value, size))
        return lax.select(outside, lax.full(shape, size, _INT64), value)
    value = np.asarray(entry, dtype=np.int64)
    value = np.where(value < 0, value + size, value)
    if mode == "clip":
        return np.clip(value, 0, size - 1)
    return np.where((value < 0) | (value >= size), size, value)


def _index_with_mode(x, index, mode, padding):
    """``(x, index, padded_axes)`` for an out-of-bounds ``mode`` of ``x.at[index]``: the
    index with its integer entries clipped, or with out-of-range entries pointing at one
    slot of ``padding`` appended to each integer-indexed axis."""
    shape = aval(x).shape
    rebuilt, padded, axis = [], [], 0
    for entry in _normal_form(index, shape):
        if entry is None:
            rebuilt.append(None)
            continue
        if isinstance(entry, slice):
            rebuilt.append(entry)
        else:
            if mode == "clip" and shape[axis] == 0:
                raise IndexError(f"cannot clip an index into axis {axis} of size 0")
            rebuilt.append(_moded_entry(entry, shape[axis], mode))
            if mode != "clip":
                padded.append(axis)
        axis += 1
    if padded:
        config = [(0, 1 if a in padded else 0, 0) for a in range(len(shape))]
        x = lax.pad(x, cast(asarray(padding), aval(x).dtype), config)
    return x, tuple(rebuilt), padded


def _check_mode(mode):
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}: None (the default) "
                         "raises IndexError for an out-of-range index, as NumPy does")


class _IndexUpdateRef:
    """``x.at[index]``: methods return an updated copy of ``x``.

    ``mode`` says what an out-of-range index does: None (and 'promise_in_bounds') raise
    IndexError as NumPy does, 'clip' clamps it into the axis, 'fill' or 'drop' (one mode,
    as in JAX) reads ``fill_value`` there (``get``) or skips its update (``set``/``add``).
    """

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array = array
        self.index = index

    def get(self, mode=None, fill_value=None):
        """``x[index]``."""
        _check_mode(mode)
        if mode in (None, "promise_in_bounds"):
            return getitem(self.array, self.index)
        dtype = aval(self.array).dtype
        fill = _default_fill(dtype) if fill_value is None else fill_value
        x, index, _ = _index_with_mode(self.array, self.index, mode, fill)
        return getitem(x, index)

    def set(self, values, mode=None):
        """A copy of ``x`` with ``x[index] = values`` (the last of repeated indices wins)."""
        return self._update(_index_update_set, values, mode)

    def add(self, values, mode=None):
        """A copy of ``x`` with ``values`` added at ``index`` (repeated indices accumulate)."""
        return self._update(_index_update_add, values, mode)

    def _update(self, update, values, mode):
        _check_mode(mode)
        if mode in (None, "promise_in_bounds"):
            return update(self.array, self.index, values)
        shape = aval(self.array).shape
        x, index, padded = _index_with_mode(self.array, self.index, mode, 0)
        result = update(x, index, values)
        if padded:
            result = lax.slice(result, [0] * len(shape), shape, [1] * len(shape))
        return result


class IndexUpdateHelper:
    """``x.at``: index it, then call ``.set``, ``.add`` or ``.get``.

    >>> import functrans, functrans.numpy as fnp
    >>> f = lambda x: x.at[1].set(7.0)
    >>> ir = functrans.make_jaxpr(f)(np.zeros(3))
    >>> functrans.ir.eval_ir(ir, np.zeros(3))[0]
    array([0., 7., 0.])
    """

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return _IndexUpdateRef(self.array, index)


# --- take and take_along_axis ----------------------------------------------------------

def take(a, indices, axis=None, mode=None):
    """NumPy's ``take``: indices out of range raise IndexError (``mode`` None or 'raise';
    traced ones when the program runs, under jit too), are wrapped ('wrap') or clipped ('clip')."""
    if mode not in (None, "raise", "wrap", "clip"):
        raise ValueError(f"take's mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    if is_eager_both(a, indices):
        length = np.size(a) if axis is None else np.shape(a)[axis]
        if mode == "wrap" and length:
            # NumPy's 'wrap' steps an index back by the axis length one step at a time (an
            # index of 2**40 into 3 elements takes minutes); the remainder is the same index.
            indices, mode = np.mod(indices, length), "raise"
        return np.take(a, indices, axis=axis, mode="raise" if mode is None else mode)
    a, indices = array_operand(a), array_operand(indices)
    if axis is None:
        a = lax.reshape(a, (aval(a).size,))
        axis = 0
    axis = normalize_axis_index(axis, aval(a).ndim)
    size = aval(a).shape[axis]
    if isinstance(indices, Tracer):
        if indices.dtype.kind not in "iu":
            raise IndexError("arrays used as indices must be of integer type")
        if mode == "wrap":
            indices = lax.rem(indices, size)
        elif mode == "clip":
            indices = lax.max(lax.min(indices, size - 1), 0)
    elif mode == "wrap":
        indices = np.mod(indices, size)
    elif mode == "clip":
        indices = np.clip(indices, 0, size - 1)
    else:
        indices = _index_array(_Advanced(indices), axis, size)
    return lax.gather(a, indices, axis)


def take_along_axis(arr, indices, axis):
    """NumPy's ``take_along_axis``: ``arr`` and ``indices`` broadcast except along ``axis``."""
    if is_eager_both(arr, indices):
        return np.take_along_axis(arr, indices, axis)
    arr, indices = array_operand(arr), array_operand(indices)
    if axis is None:
        arr, axis = lax.reshape(arr, (aval(arr).size,)), 0
    arr_shape, index_shape = aval(arr).shape, aval(indices).shape
    if len(arr_shape) != len(index_shape):
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    axis = normalize_axis_index(axis, len(arr_shape))
    common = list(np.broadcast_shapes(
        tuple(1 if d == axis else s for d, s in enumerate(arr_shape)),
        tuple(1 if d == axis else s for d, s in enumerate(index_shape))))
    arr_target = tuple(arr_shape[axis] if d == axis else s for d, s in enumerate(common))
    index_target = tuple(index_shape[axis] if d == axis else s for d, s in enumerate(common))
    arr = lax.broadcast_in_dim(arr, arr_target, tuple(range(len(arr_target))))
    # A traced index out of range becomes one past the flattened array (not merely past its
    # axis, which would read the next row), so the gather raises IndexError as NumPy does.
    beyond = int(np.prod(arr_target, dtype=np.int64))
    indices = lax.broadcast_in_dim(
        _index_array(_Advanced(indices), axis, arr_shape[axis], beyond), index_target,
        tuple(range(len(index_target))))
    return lax.take_along_axis(arr, indices, axis)


def at(x):
    """``x.at`` for NumPy arrays and traced arrays alike, so one function serves both.

    NumPy's own arrays have no ``.at`` (a plain call fails with AttributeError where a
    traced call works); ``at(x)[index].set(v)`` and ``.add(v)`` work in both.

    >>> import numpy as np, functrans.numpy as fnp
    >>> fnp.at(np.zeros(3))[1].set(7.0)
    array([0., 7., 0.])
    """
    return IndexUpdateHelper(x if isinstance(x, Tracer) else asarray(x))
