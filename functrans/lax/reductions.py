"""Reductions, cumulative operations and sorting."""
import numpy as np

from functrans import core
from functrans.lax import elementwise as ew
from functrans.lax._util import normalize_axes, shape_error
from functrans.lowering.codegen import literal_expression
from functrans.lax.shapes import (
    broadcast_in_dim, concatenate, iota, reshape, slice, take_along_axis, transpose)
from functrans.lowering import rules as lowering
from functrans.transforms import ad, vmap
from functrans.validation import check_reduced_axes_not_empty


def _reduced_shape(x, axes):
    if any(not 0 <= a < x.ndim for a in axes):
        raise shape_error(f"reduction axes {axes} are out of range for {x.str_short()}")
    return tuple(n for d, n in enumerate(x.shape) if d not in axes)


def _reduction_primitive(name, numpy_reduce, kinds):
    primitive = core.Primitive(name)
    primitive.def_impl(lambda x, *, axes: numpy_reduce(x, axis=axes)[()])

    @primitive.def_abstract_eval
    def abstract_eval(x, *, axes):
        if x.dtype.kind not in kinds:
            raise shape_error(f"{name} does not take {x.str_short()}")
        if name in ("reduce_max", "reduce_min"):
            check_reduced_axes_not_empty(name, x, axes)
        return core.ShapedArray(_reduced_shape(x, axes), x.dtype, x.weak_type)

    return primitive


def _typed(numpy_reduce):
    """NumPy reductions promote small integers; the primitive keeps the input dtype."""
    return lambda x, axis: numpy_reduce(x, axis=axis, dtype=np.asarray(x).dtype)


reduce_sum_p = _reduction_primitive("reduce_sum", _typed(np.sum), "iufc")
reduce_prod_p = _reduction_primitive("reduce_prod", _typed(np.prod), "iufc")
reduce_max_p = _reduction_primitive("reduce_max", np.max, "biufc")
reduce_min_p = _reduction_primitive("reduce_min", np.min, "biufc")
reduce_and_p = _reduction_primitive("reduce_and", np.all, "b")
reduce_or_p = _reduction_primitive("reduce_or", np.any, "b")


def _reducer(primitive):
    def reduce(x, axes):
        axes = normalize_axes(axes, core.get_aval(x).ndim)
        return primitive.bind(x, axes=axes) if axes else x
    reduce.__name__ = primitive.name
    reduce.__doc__ = f"``{primitive.name}`` over ``axes`` (a tuple), keeping the dtype."
    return reduce


reduce_sum = _reducer(reduce_sum_p)
reduce_prod = _reducer(reduce_prod_p)
reduce_max = _reducer(reduce_max_p)
reduce_min = _reducer(reduce_min_p)
reduce_and = _reducer(reduce_and_p)
reduce_or = _reducer(reduce_or_p)


def _kept_dimensions(ndim, axes):
    return tuple(d for d in range(ndim) if d not in axes)


ad.deflinear(reduce_sum_p, lambda cotangent, x, *, axes: [
    broadcast_in_dim(cotangent, x.aval.shape, _kept_dimensions(x.aval.ndim, axes))])


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
_extremum_jvp(reduce_min_p)
ad.defzero(reduce_and_p)
ad.defzero(reduce_or_p)


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


# --- argmax and argmin ------------------------------------------------------------------

def _arg_primitive(name, numpy_arg):
    primitive = core.Primitive(name)
    primitive.def_impl(lambda x, *, axis, index_dtype:
                       np.asarray(numpy_arg(x, axis=axis)).astype(index_dtype)[()])

    @primitive.def_abstract_eval
    def abstract_eval(x, *, axis, index_dtype):
        check_reduced_axes_not_empty(name, x, (axis,))
        return core.ShapedArray(_reduced_shape(x, (axis,)), index_dtype)

    ad.defzero(primitive)
    return primitive


argmax_p = _arg_primitive("argmax", np.argmax)
argmin_p = _arg_primitive("argmin", np.argmin)


def argmax(x, axis, index_dtype=np.int64):
    """Index of the first largest element along ``axis`` (NaN counts as largest)."""
    axis = normalize_axes((axis,), core.get_aval(x).ndim)[0]
    return argmax_p.bind(x, axis=axis, index_dtype=np.dtype(index_dtype))


def argmin(x, axis, index_dtype=np.int64):
    """Index of the first smallest element along ``axis`` (NaN counts as smallest)."""
    axis = normalize_axes((axis,), core.get_aval(x).ndim)[0]
    return argmin_p.bind(x, axis=axis, index_dtype=np.dtype(index_dtype))


# --- cumulative sums and products -------------------------------------------------------

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
cumprod_p = _cumulative_primitive("cumprod", np.cumprod)


def cumsum(x, axis, reverse=False):
    """Running sum along ``axis`` (from the end when ``reverse``)."""
    axis = normalize_axes((axis,), core.get_aval(x).ndim)[0]
    return cumsum_p.bind(x, axis=axis, reverse=bool(reverse))


def cumprod(x, axis, reverse=False):
    """Running product along ``axis`` (from the end when ``reverse``)."""
    axis = normalize_axes((axis,), core.get_aval(x).ndim)[0]
    return cumprod_p.bind(x, axis=axis, reverse=bool(reverse))


ad.deflinear(cumsum_p, lambda cotangent, x, *, axis, reverse: [
    cumsum(cotangent, axis, not reverse)])


def _shift(x, distance, axis, fill, reverse):
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
        y_shifted = _shift(y, distance, axis, 1, reverse)
        t_shifted = _shift(y_tangent, distance, axis, 0, reverse)
        y_tangent = ew.add(ew.mul(y_tangent, y_shifted), ew.mul(y, t_shifted))
        y = ew.mul(y, y_shifted)
        distance *= 2
    return cumprod_p.bind(x, axis=axis, reverse=reverse), y_tangent


ad.jvp_rules[cumprod_p] = _cumprod_jvp


# --- sort -------------------------------------------------------------------------------

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


# --- batching rules ---------------------------------------------------------------------

for _primitive in (reduce_sum_p, reduce_prod_p, reduce_max_p, reduce_min_p, reduce_and_p,
                   reduce_or_p):
    vmap.defaxes_shifted(_primitive, "axes")
for _primitive in (argmax_p, argmin_p, cumsum_p, cumprod_p):
    vmap.defaxes_shifted(_primitive, "axis")
vmap.defaxes_shifted(sort_p, "dimension")


# --- numba lowering: accumulators filled inside the fused loop --------------------------

def _extreme(dtype, largest):
    if dtype.kind == "f":
        return "np.inf" if largest else "-np.inf"
    if dtype.kind == "b":
        return repr(bool(largest))
    info = np.iinfo(dtype)
    return literal_expression(info.max if largest else info.min, dtype)


def _arg_update(better):
    def update(accumulator, value, position, index):
        return (f"if {position} < 0 or ({accumulator} == {accumulator} and "
                f"({value} {better} {accumulator} or {value} != {value})):\n"
                f"    {accumulator} = {value}\n"
                f"    {position} = {index}")
    return update


lowering.reduction_rules[reduce_sum_p] = lowering.Reducer(
    lambda dtype: literal_expression(0, dtype), lambda acc, v: f"{acc} += {v}", "+")
lowering.reduction_rules[reduce_prod_p] = lowering.Reducer(
    lambda dtype: literal_expression(1, dtype), lambda acc, v: f"{acc} *= {v}", "*")
lowering.reduction_rules[reduce_max_p] = lowering.Reducer(
    lambda dtype: _extreme(dtype, largest=False), lambda acc, v: f"{acc} = np.maximum({acc}, {v})")
lowering.reduction_rules[reduce_min_p] = lowering.Reducer(
    lambda dtype: _extreme(dtype, largest=True), lambda acc, v: f"{acc} = np.minimum({acc}, {v})")
lowering.reduction_rules[reduce_and_p] = lowering.Reducer(
    lambda dtype: "True", lambda acc, v: f"{acc} = {acc} and {v}")
lowering.reduction_rules[reduce_or_p] = lowering.Reducer(
    lambda dtype: "False", lambda acc, v: f"{acc} = {acc} or {v}")
lowering.reduction_rules[argmax_p] = lowering.Reducer(None, _arg_update(">"))
lowering.reduction_rules[argmin_p] = lowering.Reducer(None, _arg_update("<"))
