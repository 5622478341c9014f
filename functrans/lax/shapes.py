"""Primitives that move data without arithmetic: broadcasting, reshaping, slicing,
gathering, scattering, concatenating, padding. All are linear in their array
operands, so each has a transpose rule beside its definition.
"""
import numpy as np

from functrans import core, dtypes, tangent_arithmetic
from functrans.lax import elementwise as ew
from functrans.lax._util import normalize_axes, shape_error
from functrans.lowering import rules as lowering_rules
from functrans.tangent_arithmetic import (
    broadcast_in_dim, broadcast_in_dim_p, reshape, reshape_p, slice, slice_p, transpose,
    transpose_p)
from functrans.transforms import ad, vmap
from functrans.validation import check_indexed_axis_not_empty


def _primitive(name, impl, abstract_eval):
    primitive = core.Primitive(name)
    primitive.def_impl(impl)
    primitive.def_abstract_eval(abstract_eval)
    return primitive


# --- broadcast_in_dim -----------------------------------------------------------------
# (implementation, shape rule and lax function in functrans.tangent_arithmetic, which the
# transforms use)

def _broadcast_in_dim_transpose(cotangent, x, *, shape, broadcast_dimensions):
    in_shape = x.aval.shape
    summed = [d for d in range(len(shape)) if d not in broadcast_dimensions]
    summed += [d for i, d in enumerate(broadcast_dimensions) if in_shape[i] == 1 and shape[d] != 1]
    total = reduce_sum_for_transpose(cotangent, tuple(sorted(summed)))
    return [reshape(total, in_shape)]


def reduce_sum_for_transpose(x, axes):
    return tangent_arithmetic.reduce_sum(x, axes) if axes else x


ad.deflinear(broadcast_in_dim_p, _broadcast_in_dim_transpose)


def _broadcast_in_dim_batch(values, batch_axes, *, shape, broadcast_dimensions):
    (x,), (axis,) = values, batch_axes
    x = vmap.move_axis(x, axis, 0)
    size = core.get_aval(x).shape[0]
    return broadcast_in_dim(x, (size,) + shape, (0,) + vmap.shift_axes(broadcast_dimensions)), 0


vmap.batch_rules[broadcast_in_dim_p] = _broadcast_in_dim_batch


def _offset(start, index, step=1):
    term = index if step == 1 else f"{index} * {step}"
    return term if start == 0 else f"({start} + {term})"


def _broadcast_in_dim_index(params, operand_avals, out_aval, index):
    (operand,) = operand_avals
    return ["0" if operand.shape[i] == 1 else index[d]
            for i, d in enumerate(params["broadcast_dimensions"])]


lowering_rules.defindex(broadcast_in_dim_p, _broadcast_in_dim_index)


# --- reshape --------------------------------------------------------------------------
# (implementation, shape rule and lax function in functrans.tangent_arithmetic, which the
# transforms use)

ad.deflinear(reshape_p, lambda cotangent, x, *, new_sizes: [reshape(cotangent, x.aval.shape)])


def _reshape_batch(values, batch_axes, *, new_sizes):
    x = vmap.move_axis(values[0], batch_axes[0], 0)
    return reshape(x, (core.get_aval(x).shape[0],) + new_sizes), 0


vmap.batch_rules[reshape_p] = _reshape_batch


def _reshape_index(params, operand_avals, out_aval, index):
    (operand,) = operand_avals
    in_dims = [d for d, n in enumerate(operand.shape) if n != 1]
    out_dims = [d for d, n in enumerate(out_aval.shape) if n != 1]
    if [operand.shape[d] for d in in_dims] == [out_aval.shape[d] for d in out_dims]:
        mapped = ["0"] * operand.ndim
        for i, o in zip(in_dims, out_dims):
            mapped[i] = index[o]
        return mapped
    strides = np.cumprod((out_aval.shape[1:] + (1,))[::-1])[::-1]
    flat = " + ".join(f"{i} * {int(s)}" for i, s in zip(index, strides)) or "0"
    in_strides = np.cumprod((operand.shape[1:] + (1,))[::-1])[::-1]
    return [f"(({flat}) // {int(s)}) % {n}" for s, n in zip(in_strides, operand.shape)]


lowering_rules.defindex(reshape_p, _reshape_index)


# --- transpose ------------------------------------------------------------------------
# (implementation, shape rule and lax function in functrans.tangent_arithmetic, which the
# transforms use)

ad.deflinear(transpose_p, lambda cotangent, x, *, permutation:
             [transpose(cotangent, tuple(np.argsort(permutation)))])


def _transpose_batch(values, batch_axes, *, permutation):
    x = vmap.move_axis(values[0], batch_axes[0], 0)
    return transpose(x, (0,) + vmap.shift_axes(permutation)), 0


vmap.batch_rules[transpose_p] = _transpose_batch


def _transpose_index(params, operand_avals, out_aval, index):
    mapped = [None] * len(index)
    for out_dimension, operand_dimension in enumerate(params["permutation"]):
        mapped[operand_dimension] = index[out_dimension]
    return mapped


lowering_rules.defindex(transpose_p, _transpose_index)


# --- squeeze --------------------------------------------------------------------------

def _squeeze_abstract_eval(x, *, dimensions):
    if any(x.shape[d] != 1 for d in dimensions):
        raise shape_error(f"cannot squeeze dimensions {dimensions} of {x.str_short()}: "
                          "they must have size 1")
    return core.ShapedArray(tuple(n for d, n in enumerate(x.shape) if d not in dimensions),
                            x.dtype, x.weak_type)


squeeze_p = _primitive("squeeze", lambda x, *, dimensions: np.squeeze(x, dimensions),
                       _squeeze_abstract_eval)


def squeeze(x, dimensions):
    dimensions = normalize_axes(dimensions, core.get_aval(x).ndim)
    return squeeze_p.bind(x, dimensions=dimensions) if dimensions else x


ad.deflinear(squeeze_p, lambda cotangent, x, *, dimensions: [reshape(cotangent, x.aval.shape)])

vmap.defaxes_shifted(squeeze_p, "dimensions")


def _squeeze_index(params, operand_avals, out_aval, index):
    kept = iter(index)
    return ["0" if d in params["dimensions"] else next(kept) for d in range(operand_avals[0].ndim)]


lowering_rules.defindex(squeeze_p, _squeeze_index)


# --- expand_dims ----------------------------------------------------------------------

def _expand_dims_abstract_eval(x, *, dimensions):
    shape = list(x.shape)
    for d in dimensions:
        shape.insert(d, 1)
    return core.ShapedArray(shape, x.dtype, x.weak_type)


expand_dims_p = _primitive("expand_dims", lambda x, *, dimensions: np.expand_dims(x, dimensions),
                           _expand_dims_abstract_eval)


def expand_dims(x, dimensions):
    """``x`` with new axes of size 1 at positions ``dimensions`` of the result."""
    dimensions = normalize_axes(dimensions, core.get_aval(x).ndim + len(dimensions))
    return expand_dims_p.bind(x, dimensions=dimensions) if dimensions else x


ad.deflinear(expand_dims_p, lambda cotangent, x, *, dimensions: [reshape(cotangent, x.aval.shape)])

vmap.defaxes_shifted(expand_dims_p, "dimensions")


def _expand_dims_index(params, operand_avals, out_aval, index):
    return [i for d, i in enumerate(index) if d not in params["dimensions"]]


lowering_rules.defindex(expand_dims_p, _expand_dims_index)


# --- rev ------------------------------------------------------------------------------

rev_p = _primitive("rev", lambda x, *, dimensions: np.flip(x, dimensions),
                   lambda x, *, dimensions: x)


def rev(x, dimensions):
    """``x`` reversed along ``dimensions``."""
    dimensions = normalize_axes(dimensions, core.get_aval(x).ndim)
    return rev_p.bind(x, dimensions=dimensions) if dimensions else x


ad.deflinear(rev_p, lambda cotangent, x, *, dimensions: [rev(cotangent, dimensions)])

vmap.defaxes_shifted(rev_p, "dimensions")


def _rev_index(params, operand_avals, out_aval, index):
    shape = operand_avals[0].shape
    return [f"({shape[d] - 1} - {i})" if d in params["dimensions"] else i
            for d, i in enumerate(index)]


lowering_rules.defindex(rev_p, _rev_index)


# --- slice ----------------------------------------------------------------------------
# (implementation, shape rule and lax function in functrans.tangent_arithmetic)

def _slice_transpose(cotangent, x, *, start_indices, limit_indices, strides):
    in_shape = x.aval.shape
    out_shape = core.get_aval(cotangent).shape
    if 0 in out_shape:
        return [ad.zeros_like_aval(x.aval)]
    config = []
    for s, st, n, m in zip(start_indices, strides, in_shape, out_shape):
        last = s + (m - 1) * st
        config.append((s, n - last - 1, st - 1))
    return [pad(cotangent, np.zeros((), cotangent.dtype)[()], config)]


ad.deflinear(slice_p, _slice_transpose)


def _slice_batch(values, batch_axes, *, start_indices, limit_indices, strides):
    x = vmap.move_axis(values[0], batch_axes[0], 0)
    size = core.get_aval(x).shape[0]
    return slice(x, (0,) + start_indices, (size,) + limit_indices, (1,) + strides), 0


vmap.batch_rules[slice_p] = _slice_batch


def _slice_index(params, operand_avals, out_aval, index):
    return [_offset(start, i, step) for start, step, i in
            zip(params["start_indices"], params["strides"], index)]


lowering_rules.defindex(slice_p, _slice_index)


# --- dynamic_slice --------------------------------------------------------------------

def _clamped_starts(starts, operand_shape, sizes):
    return [int(np.clip(int(s), 0, n - size)) for s, n, size in zip(starts, operand_shape, sizes)]


def _dynamic_slice_impl(x, *start_indices, slice_sizes):
    x = np.asarray(x)
    starts = _clamped_starts(start_indices, x.shape, slice_sizes)
    return x[tuple(np.s_[s:s + size] for s, size in zip(starts, slice_sizes))]


def _check_start_indices(name, operand, start_indices):
    if len(start_indices) != operand.ndim or any(
            s.shape != () or s.dtype.kind not in "iu" for s in start_indices):
        raise shape_error(f"{name} of {operand.str_short()} needs {operand.ndim} scalar integer "
                          f"start indices, got {[s.str_short() for s in start_indices]}")


def _dynamic_slice_abstract_eval(x, *start_indices, slice_sizes):
    _check_start_indices("dynamic_slice", x, start_indices)
    if len(slice_sizes) != x.ndim or any(not 0 <= size <= n for size, n in zip(slice_sizes, x.shape)):
        raise shape_error(f"dynamic_slice sizes {slice_sizes} do not fit in {x.str_short()}")
    return core.ShapedArray(slice_sizes, x.dtype, x.weak_type)


dynamic_slice_p = _primitive("dynamic_slice", _dynamic_slice_impl, _dynamic_slice_abstract_eval)


def dynamic_slice(x, start_indices, slice_sizes):
    """The block of ``slice_sizes`` at ``start_indices`` (traced scalars allowed; clamped to fit)."""
    return dynamic_slice_p.bind(x, *start_indices, slice_sizes=tuple(int(s) for s in slice_sizes))


def _dynamic_slice_transpose(cotangent, x, *start_indices, slice_sizes):
    zeros = ad.zeros_like_aval(x.aval)
    return [dynamic_update_slice(zeros, cotangent, start_indices)] + [None] * len(start_indices)


ad.deflinear_in(dynamic_slice_p, (0,), _dynamic_slice_transpose)


def _block_flat_indices(operand_shape, starts, block_shape):
    """Flat indices into (batch, *operand_shape) of each element of a block per batch element.

    ``starts`` are batched (shape (batch,)) start indices, clamped so the block fits.
    The result has shape (batch, *block_shape).
    """
    size = core.get_aval(starts[0]).shape[0]
    full_shape = (size,) + tuple(block_shape)
    strides = np.cumprod((tuple(operand_shape) + (1,))[::-1])[::-1]
    flat = ew.mul(iota(np.int64, full_shape, 0), int(strides[0]))
    for dimension, (start, n, m) in enumerate(zip(starts, operand_shape, block_shape)):
        start = ew.convert_element_type(start, np.int64)
        start = ew.min(ew.max(start, 0), n - m)
        position = ew.add(broadcast_in_dim(start, full_shape, (0,)), iota(np.int64, full_shape,
                                                                      dimension + 1))
        flat = ew.add(flat, ew.mul(position, int(strides[dimension + 1])))
    return flat


def _dynamic_slice_batch(values, batch_axes, *, slice_sizes):
    x, *starts = values
    x_axis, *start_axes = batch_axes
    size = vmap.batch_size(values, batch_axes)
    x = vmap.batched_at_front(x, x_axis, size)
    if all(a is None for a in start_axes):
        zero = np.zeros((), np.int64)[()]
        return dynamic_slice(x, [zero] + starts, (size,) + slice_sizes), 0
    starts = [vmap.batched_at_front(s, a, size) for s, a in zip(starts, start_axes)]
    shape = core.get_aval(x).shape
    indices = _block_flat_indices(shape[1:], starts, slice_sizes)
    return gather(reshape(x, (int(np.prod(shape)),)), indices, 0), 0


vmap.batch_rules[dynamic_slice_p] = _dynamic_slice_batch


def _clamped_start_names(writer, starts, operand_shape, sizes):
    names = []
    for start, n, size in zip(starts, operand_shape, sizes):
        name = writer.fresh("start")
        writer.line(f"{name} = min(max(int({start}), 0), {n - size})")
        names.append(name)
    return names


def _emit_dynamic_slice(writer, equation, operands, outputs):
    x, *starts = operands
    (out,) = outputs
    sizes = equation.params["slice_sizes"]
    names = _clamped_start_names(writer, starts, equation.inputs[0].aval.shape, sizes)
    window = ", ".join(f"{s}:{s} + {n}" for s, n in zip(names, sizes))
    writer.line(f"{out} = np.copy({x}[{window}])")


lowering_rules.emit_rules[dynamic_slice_p] = _emit_dynamic_slice


# --- dynamic_update_slice -------------------------------------------------------------

def _dynamic_update_slice_impl(x, update, *start_indices):
    out = np.array(x, copy=True)
    update = np.asarray(update)
    starts = _clamped_starts(start_indices, out.shape, update.shape)
    out[tuple(np.s_[s:s + size] for s, size in zip(starts, update.shape))] = update
    return out


def _dynamic_update_slice_abstract_eval(x, update, *start_indices):
    _check_start_indices("dynamic_update_slice", x, start_indices)
    if update.ndim != x.ndim or any(u > n for u, n in zip(update.shape, x.shape)) or \
            update.dtype != x.dtype:
        raise shape_error(f"dynamic_update_slice cannot put {update.str_short()} into {x.str_short()}")
    return core.ShapedArray(x.shape, x.dtype, x.weak_type)


dynamic_update_slice_p = _primitive("dynamic_update_slice", _dynamic_update_slice_impl,
                                    _dynamic_update_slice_abstract_eval)


def dynamic_update_slice(x, update, start_indices):
    """``x`` with the block at ``start_indices`` replaced by ``update`` (clamped to fit)."""
    return dynamic_update_slice_p.bind(x, update, *start_indices)


def _dynamic_update_slice_transpose(cotangent, x, update, *start_indices):
    update_aval = update.aval if ad.is_undefined(update) else core.get_aval(update)
    cotangent_x = cotangent_update = None
    if ad.is_undefined(x):
        cotangent_x = dynamic_update_slice(cotangent, ad.zeros_like_aval(update_aval), start_indices)
    if ad.is_undefined(update):
        cotangent_update = dynamic_slice(cotangent, start_indices, update_aval.shape)
    return [cotangent_x, cotangent_update] + [None] * len(start_indices)


ad.deflinear_in(dynamic_update_slice_p, (0, 1), _dynamic_update_slice_transpose)


def _dynamic_update_slice_batch(values, batch_axes):
    x, update, *starts = values
    x_axis, update_axis, *start_axes = batch_axes
    size = vmap.batch_size(values, batch_axes)
    x = vmap.batched_at_front(x, x_axis, size)
    update = vmap.batched_at_front(update, update_axis, size)
    if all(a is None for a in start_axes):
        zero = np.zeros((), np.int64)[()]
        return dynamic_update_slice(x, update, [zero] + starts), 0
    starts = [vmap.batched_at_front(s, a, size) for s, a in zip(starts, start_axes)]
    shape = core.get_aval(x).shape
    update_shape = core.get_aval(update).shape
    indices = _block_flat_indices(shape[1:], starts, update_shape[1:])
    flat_size = int(np.prod(shape))
    dtype = core.get_aval(x).dtype
    # Each block position is hit once, so scattering into zeros is exact; the mask picks it.
    placed = scatter_add(full((flat_size,), 0, dtype), indices, update, 0)
    hits = scatter_add(full((flat_size,), 0, np.int32), indices,
                       full(update_shape, 1, np.int32), 0)
    return reshape(ew.select(ew.gt(hits, 0), placed, reshape(x, (flat_size,))), shape), 0


vmap.batch_rules[dynamic_update_slice_p] = _dynamic_update_slice_batch


def emit_copy_into(writer, destination, source, shape, starts, steps=None):
    """Loops copying ``source`` (of ``shape``) into ``destination`` from index ``starts``
    (expressions), every ``steps``-th element along each dimension.

    Loops, not a slice assignment: numba compiles the broadcast checks of ``a[...] = b``
    with their error messages' string formatting, seconds per kernel.
    """
    steps = steps or [1] * len(shape)
    index = writer.loops(shape)
    target = [i if start == "0" and step == 1 else
              f"{start} + {i}" if step == 1 else f"{start} + {step} * {i}"
              for i, start, step in zip(index, starts, steps)]
    writer.line(f"{destination}[{', '.join(target)}] = {source}[{', '.join(index)}]")
    writer.close(len(shape))


def _emit_dynamic_update_slice(writer, equation, operands, outputs):
    x, update, *starts = operands
    (out,) = outputs
    sizes = equation.inputs[1].aval.shape
    names = _clamped_start_names(writer, starts, equation.inputs[0].aval.shape, sizes)
    writer.line(f"{out} = np.copy({x})")
    emit_copy_into(writer, out, update, sizes, [str(name) for name in names])


lowering_rules.emit_rules[dynamic_update_slice_p] = _emit_dynamic_update_slice


# --- gather ---------------------------------------------------------------------------

def _gather_abstract_eval(x, indices, *, axis):
    if indices.dtype.kind not in "iu":
        raise shape_error(f"gather needs integer indices, got {indices.str_short()}")
    if not 0 <= axis < x.ndim:
        raise shape_error(f"gather axis {axis} is out of range for {x.str_short()}")
    check_indexed_axis_not_empty("gather", x, indices, axis)
    return core.ShapedArray(x.shape[:axis] + indices.shape + x.shape[axis + 1:], x.dtype, x.weak_type)


gather_p = _primitive("gather", lambda x, indices, *, axis: np.take(x, indices, axis=axis),
                      _gather_abstract_eval)


def gather(x, indices, axis):
    """``numpy.take(x, indices, axis)``: negative indices count from the end."""
    return gather_p.bind(x, indices, axis=int(axis))


ad.deflinear_in(gather_p, (0,), lambda cotangent, x, indices, *, axis: [
    scatter_add(ad.zeros_like_aval(x.aval), indices, cotangent, axis), None])


def take_along_axis(x, indices, axis):
    """``numpy.take_along_axis`` through one gather on the flattened array."""
    aval = core.get_aval(x)
    index_aval = core.get_aval(indices)
    strides = np.cumprod((aval.shape[1:] + (1,))[::-1])[::-1]
    flat_index = None
    for dimension in range(aval.ndim):
        if dimension == axis:
            term = ew.convert_element_type(indices, np.int64)
            term = ew.mul(term, int(strides[dimension])) if strides[dimension] != 1 else term
        else:
            term = iota(np.int64, index_aval.shape, dimension)
            term = ew.mul(term, int(strides[dimension])) if strides[dimension] != 1 else term
        flat_index = term if flat_index is None else ew.add(flat_index, term)
    return gather(reshape(x, (aval.size,)), flat_index, 0)


def _nonnegative(indices, length):
    return ew.select(ew.lt(indices, 0), ew.add(indices, length), indices)


def _merged_batch_indices(x, indices, axis, size):
    """x batched at 0 and indices batched at 0 -> x with batch merged into ``axis``, and indices into it."""
    shape = core.get_aval(x).shape
    length = shape[axis + 1]
    x = vmap.move_axis(x, 0, axis)
    merged = reshape(x, shape[1:axis + 1] + (size * length,) + shape[axis + 2:])
    index_aval = core.get_aval(indices)
    offsets = ew.mul(iota(index_aval.dtype, index_aval.shape, 0), length)
    indices = _nonnegative(indices, length)
    # An index out of its own row must not reach a neighbour's: it goes past the merged axis,
    # where the gather or scatter raises IndexError.
    outside = ew.logical_or(ew.lt(indices, 0), ew.ge(indices, length))
    beyond = full(index_aval.shape, size * length, index_aval.dtype)
    return merged, ew.select(outside, beyond, ew.add(indices, offsets))


def _gather_batch(values, batch_axes, *, axis):
    (x, indices), (x_axis, index_axis) = values, batch_axes
    if index_axis is None:
        return gather(vmap.move_axis(x, x_axis, 0), indices, axis + 1), 0
    if x_axis is None:
        return gather(x, vmap.move_axis(indices, index_axis, 0), axis), axis
    size = vmap.batch_size(values, batch_axes)
    merged, flat_indices = _merged_batch_indices(vmap.move_axis(x, x_axis, 0),
                                                 vmap.move_axis(indices, index_axis, 0), axis, size)
    return gather(merged, flat_indices, axis), axis


vmap.batch_rules[gather_p] = _gather_batch


def _emit_gather(writer, equation, operands, outputs):
    x_aval, index_aval = (a.aval for a in equation.inputs)
    axis = equation.params["axis"]
    x, indices = operands
    (out,) = outputs
    out_aval = equation.outputs[0].aval
    length = x_aval.shape[axis]
    if out_aval.shape:
        writer.allocate(out, out_aval)
    loop = writer.loops(out_aval.shape)
    operand_index = _indexed_position(writer, loop, indices, index_aval.ndim, axis, length)
    target = f"{out}[{', '.join(loop)}]" if loop else out  # 0-d values are scalars
    writer.line(f"{target} = {x}[{operand_index}]")
    writer.close(len(loop))


lowering_rules.emit_rules[gather_p] = _emit_gather


# --- scatter_add ----------------------------------------------------------------------

def _scatter_add_impl(x, indices, updates, *, axis):
    out = np.array(x, copy=True)
    np.add.at(out, (np.s_[:],) * axis + (np.asarray(indices),), updates)
    return out


def _scatter_add_abstract_eval(x, indices, updates, *, axis):
    expected = x.shape[:axis] + indices.shape + x.shape[axis + 1:]
    if indices.dtype.kind not in "iu" or updates.shape != expected or updates.dtype != x.dtype:
        raise shape_error(f"scatter_add into {x.str_short()} along axis {axis} with indices "
                          f"{indices.str_short()} needs updates of shape {expected} and dtype "
                          f"{x.dtype.name}, got {updates.str_short()}")
    check_indexed_axis_not_empty("scatter_add", x, indices, axis)
    return core.ShapedArray(x.shape, x.dtype, x.weak_type)


scatter_add_p = _primitive("scatter_add", _scatter_add_impl, _scatter_add_abstract_eval)


def scatter_add(x, indices, updates, axis):
    """A copy of ``x`` with ``updates`` added at ``indices`` along ``axis`` (repeats accumulate)."""
    return scatter_add_p.bind(x, indices, updates, axis=int(axis))


ad.deflinear_in(scatter_add_p, (0, 2), lambda cotangent, x, indices, updates, *, axis: [
    cotangent if ad.is_undefined(x) else None,
    None,
    gather(cotangent, indices, axis) if ad.is_undefined(updates) else None])


def _scatter_add_batch(values, batch_axes, *, axis):
    (x, indices, updates), (x_axis, index_axis, update_axis) = values, batch_axes
    size = vmap.batch_size(values, batch_axes)
    x = vmap.batched_at_front(x, x_axis, size)
    if index_axis is None:
        updates = vmap.batched_at_front(updates, update_axis, size)
        return scatter_add(x, indices, updates, axis + 1), 0
    shape = core.get_aval(x).shape
    merged, flat_indices = _merged_batch_indices(x, vmap.move_axis(indices, index_axis, 0),
                                                 axis, size)
    # The updates' batch axis must sit where the indices' leading axis lands: at ``axis``.
    updates = vmap.move_axis(vmap.batched_at_front(updates, update_axis, size), 0, axis)
    result = scatter_add(merged, flat_indices, updates, axis)
    unmerged = reshape(result, shape[1:axis + 1] + (size, shape[axis + 1]) + shape[axis + 2:])
    return unmerged, axis


vmap.batch_rules[scatter_add_p] = _scatter_add_batch


def _indexed_position(writer, loop, indices, index_ndim, axis, length):
    """The operand index a gather or scatter reaches from loop indices ``loop``.

    Reads the index array and wraps negative indices as NumPy does; an index still out of
    range raises IndexError, as eager mode (NumPy) does, so no access leaves the buffer.
    (An empty indexed axis never gets here: the shape rule rejects it when tracing.)
    """
    index_part = loop[axis:axis + index_ndim]
    position = writer.fresh("j")
    writer.line(f"{position} = {indices}[{', '.join(index_part)}]" if index_part
                else f"{position} = {indices}")
    writer.line(f"{position} = {position} + {length} if {position} < 0 else {position}")
    with writer.block(f"if {position} < 0 or {position} >= {length}:"):
        writer.line(f"raise IndexError('an index is out of bounds for an axis of size {length}')")
    return ", ".join(loop[:axis] + [position] + loop[axis + index_ndim:])


def _emit_scatter_add(writer, equation, operands, outputs):
    x_aval, index_aval, update_aval = (a.aval for a in equation.inputs)
    axis = equation.params["axis"]
    x, indices, updates = operands
    (out,) = outputs
    length = x_aval.shape[axis]
    writer.line(f"{out} = np.copy({x})")
    loop = writer.loops(update_aval.shape)
    operand_index = _indexed_position(writer, loop, indices, index_aval.ndim, axis, length)
    source = f"{updates}[{', '.join(loop)}]" if loop else updates  # 0-d values are scalars
    writer.line(f"{out}[{operand_index}] += {source}")
    writer.close(len(loop))


lowering_rules.emit_rules[scatter_add_p] = _emit_scatter_add


# --- concatenate ----------------------------------------------------------------------

def _concatenate_abstract_eval(*operands, dimension):
    first = operands[0]
    for operand in operands[1:]:
        if operand.dtype != first.dtype or operand.ndim != first.ndim or any(
                a != b for d, (a, b) in enumerate(zip(operand.shape, first.shape)) if d != dimension):
            raise shape_error("concatenate needs operands of one dtype and equal shapes except "
                              f"along dimension {dimension}, got "
                              f"{', '.join(o.str_short() for o in operands)}")
    shape = list(first.shape)
    shape[dimension] = sum(o.shape[dimension] for o in operands)
    return core.ShapedArray(shape, first.dtype, all(o.weak_type for o in operands))


concatenate_p = _primitive("concatenate",
                           lambda *operands, dimension: np.concatenate(operands, axis=dimension),
                           _concatenate_abstract_eval)


def concatenate(operands, dimension):
    operands = list(operands)
    if len(operands) == 1:
        return operands[0]
    return concatenate_p.bind(*operands, dimension=int(dimension))


def _concatenate_transpose(cotangent, *operands, dimension):
    shape = core.get_aval(cotangent).shape
    cotangents = []
    offset = 0
    for operand in operands:
        aval = operand.aval if ad.is_undefined(operand) else core.get_aval(operand)
        size = aval.shape[dimension]
        if ad.is_undefined(operand):
            start = [0] * len(shape)
            limit = list(shape)
            start[dimension], limit[dimension] = offset, offset + size
            cotangents.append(slice(cotangent, start, limit))
        else:
            cotangents.append(None)
        offset += size
    return cotangents


ad.deflinear_in(concatenate_p, range(64), _concatenate_transpose)

vmap.defaxes_shifted(concatenate_p, "dimension")


def _emit_concatenate(writer, equation, operands, outputs):
    dimension = equation.params["dimension"]
    (out,) = outputs
    out_aval = equation.outputs[0].aval
    writer.allocate(out, out_aval)
    offset = 0
    for operand, atom in zip(operands, equation.inputs):
        width = atom.aval.shape[dimension]
        if atom.aval.size:
            starts = ["0"] * out_aval.ndim
            starts[dimension] = str(offset)
            emit_copy_into(writer, out, operand, atom.aval.shape, starts)
        offset += width


lowering_rules.emit_rules[concatenate_p] = _emit_concatenate


# --- pad ------------------------------------------------------------------------------

def _pad_impl(x, padding_value, *, padding_config):
    x = np.asarray(x)
    shape = [lo + hi + n + max(n - 1, 0) * interior for n, (lo, hi, interior) in
             zip(x.shape, padding_config)]
    out = np.full(shape, padding_value, dtype=x.dtype)
    out[tuple(np.s_[lo:lo + max(n - 1, 0) * (interior + 1) + 1 if n else lo:interior + 1]
              for n, (lo, hi, interior) in zip(x.shape, padding_config))] = x
    return out


def _pad_abstract_eval(x, padding_value, *, padding_config):
    if padding_value.shape != () or padding_value.dtype != x.dtype or len(padding_config) != x.ndim \
            or any(lo < 0 or hi < 0 or interior < 0 for lo, hi, interior in padding_config):
        raise shape_error(f"pad of {x.str_short()} needs a scalar padding value of its dtype and "
                          f"one non-negative (low, high, interior) per dimension, got "
                          f"{padding_value.str_short()} and {padding_config}")
    shape = [lo + hi + n + max(n - 1, 0) * interior for n, (lo, hi, interior) in
             zip(x.shape, padding_config)]
    return core.ShapedArray(shape, x.dtype, x.weak_type)


pad_p = _primitive("pad", _pad_impl, _pad_abstract_eval)


def pad(x, padding_value, padding_config):
    """``x`` padded with ``padding_value``: ``(low, high, interior)`` elements per dimension."""
    padding_config = tuple((int(lo), int(hi), int(interior)) for lo, hi, interior in padding_config)
    return pad_p.bind(x, padding_value, padding_config=padding_config)


def _pad_transpose(cotangent, x, padding_value, *, padding_config):
    shape = core.get_aval(cotangent).shape
    x_aval = x.aval if ad.is_undefined(x) else core.get_aval(x)
    start = [lo for lo, _, _ in padding_config]
    limit = [lo + max(n - 1, 0) * (interior + 1) + 1 if n else lo
             for n, (lo, _, interior) in zip(x_aval.shape, padding_config)]
    strides = [interior + 1 for _, _, interior in padding_config]
    cotangent_x = slice(cotangent, start, limit, strides)
    cotangent_value = None
    if ad.is_undefined(padding_value):
        everything = tangent_arithmetic.reduce_sum(cotangent, tuple(range(len(shape))))
        cotangent_value = ew.sub(everything, tangent_arithmetic.reduce_sum(cotangent_x, tuple(range(len(shape)))))
    return [cotangent_x if ad.is_undefined(x) else None, cotangent_value]


ad.deflinear_in(pad_p, (0, 1), _pad_transpose)


def _pad_batch(values, batch_axes, *, padding_config):
    (x, padding_value), (x_axis, value_axis) = values, batch_axes
    size = vmap.batch_size(values, batch_axes)
    x = vmap.batched_at_front(x, x_axis, size)
    config = ((0, 0, 0),) + padding_config
    if value_axis is None:
        return pad(x, padding_value, config), 0
    dtype = core.get_aval(x).dtype
    padded = pad(x, np.zeros((), dtype)[()], config)
    inside = pad(full(core.get_aval(x).shape, True, np.bool_), np.False_, config)
    out_shape = core.get_aval(padded).shape
    values_everywhere = broadcast_in_dim(vmap.move_axis(padding_value, value_axis, 0), out_shape, (0,))
    return ew.select(inside, padded, values_everywhere), 0


vmap.batch_rules[pad_p] = _pad_batch


def _emit_pad(writer, equation, operands, outputs):
    x, padding_value = operands
    (out,) = outputs
    x_aval = equation.inputs[0].aval
    writer.allocate(out, equation.outputs[0].aval)
    writer.line(f"{out}[...] = {padding_value}")
    if x_aval.size == 0:
        return
    config = equation.params["padding_config"]
    emit_copy_into(writer, out, x, x_aval.shape, [str(lo) for lo, _, _ in config],
                   [interior + 1 for _, _, interior in config])


lowering_rules.emit_rules[pad_p] = _emit_pad


# --- iota -----------------------------------------------------------------------------

def _iota_impl(*, dtype, shape, dimension):
    along = [1] * len(shape)
    along[dimension] = shape[dimension]
    return np.broadcast_to(np.arange(shape[dimension], dtype=dtype).reshape(along), shape)


iota_p = _primitive("iota", _iota_impl,
                    lambda *, dtype, shape, dimension: core.ShapedArray(shape, dtype))

ad.defzero(iota_p)


def iota(dtype, shape, dimension=0):
    """An array of ``shape`` counting 0, 1, 2, ... along ``dimension``."""
    return iota_p.bind(dtype=np.dtype(dtype), shape=tuple(int(d) for d in shape),
                       dimension=int(dimension))


def full(shape, fill_value, dtype):
    """An array of ``shape`` filled with ``fill_value`` (traced fill values allowed)."""
    dtype = np.dtype(dtype)
    shape = tuple(int(d) for d in shape)
    if not isinstance(fill_value, core.Tracer) and core.current_trace() is core.EVAL_TRACE:
        if dtype == dtypes.float0:
            return np.zeros(shape, dtype)
        return np.full(shape, fill_value, dtype)[()]
    if isinstance(fill_value, core.Tracer):
        fill_value = ew.convert_element_type(fill_value, dtype)
    else:
        fill_value = np.zeros((), dtype)[()] if dtype == dtypes.float0 else dtype.type(fill_value)
    return broadcast_in_dim(fill_value, shape, ())


def _iota_value(params, operand_avals, out_aval, index):
    return index[params["dimension"]]


lowering_rules.defindex(iota_p, _iota_value)
