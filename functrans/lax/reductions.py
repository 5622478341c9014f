

"""Reductions, cumulative operations and sorting."""
import numpy as np

from functrans import core, tangent_arithmetic
from functrans.lax import elementwise as ew
from functrans.lax._util import normalize_axes, shape_error
from functrans.lax.shapes import (
    broadcast_in_dim, concatenate, iota, reshape, slice, take_along_axis, transpose)
from functrans.lowering import rules as lowering_rules
from functrans.lowering.codegen import literal_expression
from functrans.transforms import ad, vmap
from functrans.validation import check_reduced_axes_not_empty


# --- reduce_sum -----------------------------------------------------------------------
# (implementation, shape rule and lax function in functrans.tangent_arithmetic: the
# transpose of a broadcast sums)

reduce_sum_p, reduce_sum = tangent_arithmetic.reduce_sum_p, tangent_arithmetic.reduce_sum


def _kept_dimensions(ndim, axes):
    return tuple(d for d in range(ndim) if d not in axes)


ad.deflinear(reduce_sum_p, lambda cotangent, x, *, axes: [
    broadcast_in_dim(cotangent, x.aval.shape, _kept_dimensions(x.aval.ndim, axes))])

vmap.defaxes_shifted(reduce_sum_p, "axes")


def _extreme(dtype, largest):
    if dtype.kind == "f":
        return "np.inf" if largest else "-np.inf"
    if dtype.kind == "b":
        return repr(bool(largest))
    if dtype.kind == "c":  # complex values are ordered lexicographically, as in NumPy
        infinity = np.inf if largest else -np.inf
        return literal_expression(complex(infinity, infinity), dtype)
    info = np.iinfo(dtype)
    return literal_expression(info.max if largest else info.min, dtype)


def _arg_update(better):
    # np.greater / np.less rather than > and <: numba orders complex values (lexicographically,
    # as NumPy) only through the ufuncs.
    def update(accumulator, value, position, index):
        return (f"if {position} < 0 or ({accumulator} == {accumulator} and "
                f"({better}({value}, {accumulator}) or {value} != {value})):\n"
                f"    {accumulator} = {value}\n"
                f"    {position} = {index}")
    return update


lowering_rules.reduction_rules[reduce_sum_p] = lowering_rules.Reducer(
    lambda dtype: literal_expression(0, dtype), lambda acc, v: f"{acc} += {v}", "+")


# --- reduce_prod ----------------------------------------------------------------------

reduce_prod_p = tangent_arithmetic.declare_reduction("reduce_prod", tangent_arithmetic.keep_dtype(np.prod), "iufc")

reduce_prod = tangent_arithmetic.reducer(reduce_prod_p)


def _exclusive_products(x, axis, reverse):
    """Product of the elements strictly before each one along ``axis``."""
    inclusive = cumprod(x, axis, reverse)
    shape = core.get_aval(x).shape
    ones_shape = list(shape)
    ones_shape[axis] = 1
    ones = broadcast_in_dim(np.ones((), core.get_aval(x).dtype)[()], ones_shape, ())
    start = [0] * len(shape)
    limit = list(shape)
    if reverse:
        start[axis] = 1
        return concatenate([slice(inclusive, start, limit), ones], axis)
    limit[axis] = shape[axis] - 1
    return concatenate([ones, slice(inclusive, start, limit)], axis)


def _reduce_prod_jvp(t, x, *, axes):
    # d prod = sum_i t_i * prod_{j != i} x_j, with the products of the others built from
    # prefix and suffix products so that zeros in x are handled exactly.
    aval = core.get_aval(x)
    kept = _kept_dimensions(aval.ndim, axes)
    moved = transpose(x, kept + axes)
    moved_t = transpose(t, kept + axes)
    flat_shape = tuple(aval.shape[d] for d in kept) + (int(np.prod([aval.shape[a] for a in axes])),)
    flat = reshape(moved, flat_shape)
    flat_t = reshape(moved_t, flat_shape)
    last = len(flat_shape) - 1
    others = ew.mul(_exclusive_products(flat, last, False), _exclusive_products(flat, last, True))
    return reduce_sum(ew.mul(flat_t, others), (last,))


ad.defjvp(reduce_prod_p, _reduce_prod_jvp)

vmap.defaxes_shifted(reduce_prod_p, "axes")

lowering_rules.reduction_rules[reduce_prod_p] = lowering_rules.Reducer(
    lambda dtype: literal_expression(1, dtype), lambda acc, v: f"{acc} *= {v}", "*")


# --- reduce_max -----------------------------------------------------------------------

reduce_max_p = tangent_arithmetic.declare_reduction(
    "reduce_max", np.max, "biufc", needs_elements=True)

reduce_max = tangent_arithmetic.reducer(reduce_max_p)


def _extremum_jvp(primitive):
    def jvp(t, ans, x, *, axes):
        # The tangent of the extreme element; ties share it equally.
        kept = _kept_dimensions(core.get_aval(x).ndim, axes)
        shape = core.get_aval(x).shape
        at_extremum = ew.convert_element_type(ew.eq(x, broadcast_in_dim(ans, shape, kept)),
                                              core.get_aval(t).dtype)
        return ew.div(reduce_sum(ew.mul(t, at_extremum), axes), reduce_sum(at_extremum, axes))
    ad.defjvp_with_output(primitive, jvp)


_extremum_jvp(reduce_max_p)

vmap.defaxes_shifted(reduce_max_p, "axes")

lowering_rules.reduction_rules[reduce_max_p] = lowering_rules.Reducer(
    lambda dtype: _extreme(dtype, largest=False), lambda acc, v: f"{acc} = np.maximum({acc}, {v})")


# --- reduce_min -----------------------------------------------------------------------

reduce_min_p = tangent_arithmetic.declare_reduction(
    "reduce_min", np.min, "biufc", needs_elements=True)

reduce_min = tangent_arithmetic.reducer(reduce_min_p)

_extremum_jvp(reduce_min_p)

vmap.defaxes_shifted(reduce_min_p, "axes")

lowering_rules.reduction_rules[reduce_min_p] = lowering_rules.Reducer(
    lambda dtype: _extreme(dtype, largest=True), lambda acc, v: f"{acc} = np.minimum({acc}, {v})")


# --- reduce_and -----------------------------------------------------------------------

reduce_and_p = tangent_arithmetic.declare_reduction("reduce_and", np.all, "b")

reduce_and = tangent_arithmetic.reducer(reduce_and_p)

ad.defzero(reduce_and_p)

vmap.defaxes_shifted(reduce_and_p, "axes")

lowering_rules.reduction_rules[reduce_and_p] = lowering_rules.Reducer(
    lambda dtype: "True", lambda acc, v: f"{acc} = {acc} and {v}")


# --- reduce_or ------------------------------------------------------------------------

reduce_or_p = tangent_arithmetic.declare_reduction("reduce_or", np.any, "b")

reduce_or = tangent_arithmetic.reducer(reduce_or_p)

ad.defzero(reduce_or_p)

vmap.defaxes_shifted(reduce_or_p, "axes")

lowering_rules.reduction_rules[reduce_or_p] = lowering_rules.Reducer(
    lambda dtype: "False", lambda acc, v: f"{acc} = {acc} or {v}")


# --- argmax ---------------------------------------------------------------------------

def _arg_primitive(name, numpy_arg):
    primitive = core.Primitive(name)
    primitive.def_impl(lambda x, *, axis, index_dtype:
                       np.asarray(numpy_arg(x, axis=axis)).astype(index_dtype)[()])

    @primitive.def_abstract_eval
    def abstract_eval(x, *, axis, index_dtype):
        check_reduced_axes_not_empty(name, x, (axis,))
        return core.ShapedArray(tangent_arithmetic.reduced_shape(x, (axis,)), index_dtype)

    ad.defzero(primitive)
    return primitive


argmax_p = _arg_primitive("argmax", np.argmax)


def argmax(x, axis, index_dtype=np.int64):
    """Index of the first largest element along ``axis`` (NaN counts as largest)."""
    axis = normalize_axes((axis,), core.get_aval(x).ndim)[0]
    return argmax_p.bind(x, axis=axis, index_dtype=np.dtype(index_dtype))


vmap.defaxes_shifted(argmax_p, "axis")

lowering_rules.reduction_rules[argmax_p] = lowering_rules.Reducer(None, _arg_update("np.greater"))


# --- argmin ---------------------------------------------------------------------------

argmin_p = _arg_primitive("argmin", np.argmin)


def argmin(x, axis, index_dtype=np.int64):
    """Index of the first smallest element along ``axis`` (NaN counts as smallest)."""
    axis = normalize_axes((axis,), core.get_aval(x).ndim)[0]
    return argmin_p.bind(x, axis=axis, index_dtype=np.dtype(index_dtype))


vmap.defaxes_shifted(argmin_p, "axis")

lowering_rules.reduction_rules[argmin_p] = lowering_rules.Reducer(None, _arg_update("np.less"))


# --- cumsum ---------------------------------------------------------------------------

def _cumulative_primitive(name, numpy_cumulative):
    def impl(x, *, axis, reverse):
        x = np.asarray(x)
        if reverse:
            return np.flip(numpy_cumulative(np.flip(x, axis), axis=axis, dtype=x.dtype), axis)
        return numpy_cumulative(x, axis=axis, dtype=x.dtype)

    primitive = core.Primitive(name)
    primitive.def_impl(impl)

    @primitive.def_abstract_eval
    def abstract_eval(x, *, axis, reverse):
        if not 0 <= axis < x.ndim:
            raise shape_error(f"{name} axis {axis} is out of range for {x.str_short()}")
        return x

    return primitive


cumsum_p = _cumulative_primitive("cumsum", np.cumsum)


def cumsum(x, axis, reverse=False):
    """Running sum along ``axis`` (from the end when ``reverse``)."""
    axis = normalize_axes((axis,), core.get_aval(x).ndim)[0]
    return cumsum_p.bind(x, axis=axis, reverse=bool(reverse))


ad.deflinear(cumsum_p, lambda cotangent, x, *, axis, reverse: [
    cumsum(cotangent, axis, not reverse)])

vmap.defaxes_shifted(cumsum_p, "axis")


def _cumulative_emitter(update):
    def emit(writer, equation, operands, outputs):
        (x,), (out,) = operands, outputs
        aval = equation.inputs[0].aval
        axis, reverse = equation.params["axis"], equation.params["reverse"]
        writer.allocate(out, aval)
        others = [d for d in range(aval.ndim) if d != axis]
        outer = writer.loops([aval.shape[d] for d in others])
        total = writer.fresh("running")
        writer.line(f"{total} = {literal_expression(0 if update == '+' else 1, aval.dtype)}")
        step = writer.fresh("k")
        length = aval.shape[axis]
        order = f"range({length} - 1, -1, -1)" if reverse else f"range({length})"
        with writer.block(f"for {step} in {order}:"):
            index = list(outer)
            index.insert(axis, step)
            position = ", ".join(index)
            writer.line(f"{total} {update}= {x}[{position}]")
            writer.line(f"{out}[{position}] = {total}")
        writer.close(len(outer))
    return emit


lowering_rules.emit_rules[cumsum_p] = _cumulative_emitter("+")


# --- cumprod --------------------------------------------------------------------------

cumprod_p = _cumulative_primitive("cumprod", np.cumprod)


def cumprod(x, axis, reverse=False):
    """Running product along ``axis`` (from the end when ``reverse``)."""
    axis = normalize_axes((axis,), core.get_aval(x).ndim)[0]
    return cumprod_p.bind(x, axis=axis, reverse=bool(reverse))


def _shift_along_axis(x, distance, axis, fill, reverse):
    """``x`` moved ``distance`` places along ``axis`` (towards the end unless ``reverse``), filled."""
    shape = core.get_aval(x).shape
    start = [0] * len(shape)
    limit = list(shape)
    filler_shape = list(shape)
    filler_shape[axis] = distance
    filler = broadcast_in_dim(np.array(fill, core.get_aval(x).dtype)[()], filler_shape, ())
    if reverse:
        start[axis] = distance
        return concatenate([slice(x, start, limit), filler], axis)
    limit[axis] = shape[axis] - distance
    return concatenate([filler, slice(x, start, limit)], axis)


def _cumprod_jvp(primals, tangents, *, axis, reverse):
    # The parallel-prefix form y_i <- y_i * y_{i-d} for d = 1, 2, 4, ... is a chain of
    # products, so its tangent follows from the product rule with no division by x.
    (x,), (t,) = primals, tangents
    y, y_tangent = x, t
    distance = 1
    length = core.get_aval(x).shape[axis]
    while distance < length:
        y_shifted = _shift_along_axis(y, distance, axis, 1, reverse)
        t_shifted = _shift_along_axis(y_tangent, distance, axis, 0, reverse)
        y_tangent = ew.add(ew.mul(y_tangent, y_shifted), ew.mul(y, t_shifted))
        y = ew.mul(y, y_shifted)
        distance *= 2
    return cumprod_p.bind(x, axis=axis, reverse=reverse), y_tangent


ad.jvp_rules[cumprod_p] = _cumprod_jvp

vmap.defaxes_shifted(cumprod_p, "axis")

lowering_rules.emit_rules[cumprod_p] = _cumulative_emitter("*")


# --- sort -----------------------------------------------------------------------------

def _sort_impl(*operands, dimension, num_keys):
    operands = [np.asarray(o) for o in operands]
    if num_keys == 1:
        order = np.argsort(operands[0], axis=dimension, kind="stable")
    else:
        keys = [np.moveaxis(k, dimension, -1) for k in operands[:num_keys]]
        order = np.moveaxis(np.lexsort(keys[::-1], axis=-1), -1, dimension)
    return [np.take_along_axis(o, order, axis=dimension) for o in operands]


sort_p = core.Primitive("sort", multiple_results=True)

sort_p.def_impl(_sort_impl)


@sort_p.def_abstract_eval
def _sort_abstract_eval(*operands, dimension, num_keys):
    if any(o.shape != operands[0].shape for o in operands) or not 0 <= dimension < operands[0].ndim:
        raise shape_error(f"sort needs operands of one shape and an axis in range, got "
                          f"{', '.join(o.str_short() for o in operands)} and axis {dimension}")
    return list(operands)


def sort(operands, dimension=-1, num_keys=1):
    """All ``operands`` sorted (stably) along ``dimension`` by the first ``num_keys``."""
    operands = tuple(operands)
    dimension = normalize_axes((dimension,), core.get_aval(operands[0]).ndim)[0]
    return tuple(sort_p.bind(*operands, dimension=dimension, num_keys=int(num_keys)))


def _sort_jvp(primals, tangents, *, dimension, num_keys):
    shape = core.get_aval(primals[0]).shape
    positions = iota(np.int64, shape, dimension)
    *sorted_primals, order = sort_p.bind(*primals, positions, dimension=dimension,
                                         num_keys=num_keys)
    sorted_tangents = [None if t is None else take_along_axis(t, order, dimension)
                       for t in tangents]
    return sorted_primals, sorted_tangents


ad.jvp_rules[sort_p] = _sort_jvp

vmap.defaxes_shifted(sort_p, "dimension")


def _emit_sort(writer, equation, operands, outputs):
    dimension = equation.params["dimension"]
    num_keys = equation.params["num_keys"]
    aval = equation.inputs[0].aval
    for out, atom in zip(outputs, equation.outputs):
        writer.allocate(out, atom.aval)
    others = [d for d in range(aval.ndim) if d != dimension]
    outer = writer.loops([aval.shape[d] for d in others])

    def line_of(name):
        index = list(outer)
        index.insert(dimension, ":")
        return f"{name}[{', '.join(index)}]"

    order = writer.fresh("order")
    writer.line(f"{order} = np.arange({aval.shape[dimension]})")
    # Stable sorts from the last key to the first give lexicographic order.
    for key in reversed(operands[:num_keys]):
        writer.line(f"{order} = {order}[np.argsort({line_of(key)}[{order}], kind='mergesort')]")
    for operand, out in zip(operands, outputs):
        writer.line(f"{line_of(out)} = {line_of(operand)}[{order}]")
    writer.close(len(outer))


lowering_rules.emit_rules[sort_p] = _emit_sort
