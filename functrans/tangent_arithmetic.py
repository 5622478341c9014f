"""The arithmetic every transform does on tangents, cotangents and batched values, below
both the transforms and the primitive library (JAX's ``ad_util``).

Adding tangents, scaling them, a zero of a given type, moving a batch axis: the transforms
(functrans.transforms) need these few operations, and the primitive library
(functrans.lax) needs the transforms to register its rules. So the primitives behind them
(add, mul, div, neg, select, broadcast_in_dim, reshape, transpose, slice, reduce_sum) get their
implementation and shape rule here; ``functrans.lax`` re-exports them and attaches their
derivative, batching and lowering rules beside their other rules (elementwise.py,
shapes.py). Imports then point one way: lax -> transforms -> this module -> core.
"""
import operator

import numpy as np

from functrans import core, dtypes
from functrans.errors import shape_error
from functrans.validation import check_reduced_axes_not_empty

#: dtype kinds an elementwise primitive takes
FLOAT = "fc"
REAL = "f"
NUMBER = "iufc"
INTEGRAL = "biu"
ANY = "biufc"


# --- declaring elementwise primitives: implementation and shape rule ------------------------

def _kind_names(kinds):
    names = {"b": "boolean", "i": "signed integer", "u": "unsigned integer",
             "f": "floating-point", "c": "complex"}
    return " or ".join(names[k] for k in kinds)


def check_kind(name, aval, kinds):
    if aval.dtype.kind not in kinds:
        raise shape_error(
            f"{name} takes {_kind_names(kinds)} input, got {aval.str_short()}; "
            "convert it with astype first")


def declare_unary(name, numpy_impl, kinds=FLOAT, out_dtype=None):
    """A primitive of one operand with its implementation and elementwise shape rule."""
    primitive = core.Primitive(name)
    primitive.def_impl(numpy_impl)

    def abstract_eval(x):
        check_kind(name, x, kinds)
        if out_dtype is None:
            return x
        return core.ShapedArray(x.shape, out_dtype)

    primitive.def_abstract_eval(abstract_eval)
    return primitive


def declare_binary(name, numpy_impl, kinds=NUMBER, out_dtype=None):
    """A primitive of two operands of one shape and dtype, with its implementation and
    shape rule (broadcasting and promotion are functrans.numpy's job)."""
    primitive = core.Primitive(name)
    primitive.def_impl(numpy_impl)

    def abstract_eval(x, y):
        if x.shape != y.shape or x.dtype != y.dtype:
            raise shape_error(
                f"{name} takes operands of one shape and dtype, got {x.str_short()} and "
                f"{y.str_short()}; functrans.numpy functions broadcast and promote for you")
        check_kind(name, x, kinds)
        if out_dtype is not None:
            return core.ShapedArray(x.shape, out_dtype)
        return core.ShapedArray(x.shape, x.dtype, x.weak_type and y.weak_type)

    primitive.def_abstract_eval(abstract_eval)
    return primitive


def unary_op(primitive):
    """The lax function of a unary elementwise primitive."""
    def op(x):
        return primitive.bind(x)
    op.__name__ = primitive.name
    op.__doc__ = f"The ``{primitive.name}`` primitive, elementwise."
    return op


def binary_op(primitive, name=None):
    """The lax function of a binary elementwise primitive; a Python scalar operand takes the
    other operand's dtype and shape."""
    python_scalars = core.PYTHON_SCALAR_TYPES

    def op(x, y):
        x_scalar, y_scalar = type(x) in python_scalars, type(y) in python_scalars
        if x_scalar or y_scalar:
            if x_scalar and y_scalar:
                if type(x) is not type(y):
                    dtype, _ = dtypes.result_type((core.get_aval(x).dtype, True),
                                                  (core.get_aval(y).dtype, True))
                    x, y = dtype.type(x), dtype.type(y)
            elif y_scalar:
                y = match_scalar(y, x)
            else:
                x = match_scalar(x, y)
        return primitive.bind(x, y)
    op.__name__ = name or primitive.name
    op.__doc__ = f"The ``{primitive.name}`` primitive, elementwise; operands of one shape and dtype."
    return op


def match_scalar(scalar, other):
    """A Python scalar operand converted to the dtype and shape of ``other``."""
    aval = core.get_aval(other)
    value = aval.dtype.type(scalar)
    if aval.shape:
        value = broadcast_in_dim(value, aval.shape, ())
    return value


def scalar_operator(numpy_impl, operator_function):
    """``numpy_impl``, computed by the Python operator when the operands are NumPy float
    scalars of one type: the same IEEE operation (NumPy's scalar arithmetic), without the
    ufunc's microsecond of dispatch, which is most of the cost of scalar code under grad."""
    def unary(x):
        if type(x) in dtypes.FLOAT_SCALAR_TYPES:
            return operator_function(x)
        return numpy_impl(x)

    def binary(x, y):
        kind = type(x)
        if kind is type(y) and kind in dtypes.FLOAT_SCALAR_TYPES:
            return operator_function(x, y)
        return numpy_impl(x, y)

    return unary if operator_function is operator.neg else binary


def _divide(x, y):
    if np.result_type(x).kind in "fc":
        return np.true_divide(x, y)
    return np.floor_divide(x, y)


# --- arithmetic -------------------------------------------------------------------------------

neg_p = declare_unary("neg", scalar_operator(np.negative, operator.neg), NUMBER)
add_p = declare_binary("add", scalar_operator(np.add, operator.add))
mul_p = declare_binary("mul", scalar_operator(np.multiply, operator.mul), ANY)
div_p = declare_binary("div", scalar_operator(_divide, operator.truediv))
neg = unary_op(neg_p)
add = binary_op(add_p)
mul = binary_op(mul_p)
div = binary_op(div_p)


def add_tangents(x, y):
    """``x + y`` for tangents, ``None`` standing for a symbolic zero."""
    if x is None:
        return y
    if y is None:
        return x
    return add(x, y)


# --- select -----------------------------------------------------------------------------------

select_p = core.Primitive("select")
select_p.def_impl(lambda predicate, on_true, on_false: np.where(predicate, on_true, on_false)[()])


@select_p.def_abstract_eval
def _select_abstract_eval(predicate, on_true, on_false):
    if predicate.dtype != np.bool_:
        raise shape_error(f"select needs a boolean predicate, got {predicate.str_short()}")
    if not (predicate.shape == on_true.shape == on_false.shape) or on_true.dtype != on_false.dtype:
        raise shape_error(
            f"select takes a predicate and two cases of one shape (and cases of one dtype), got "
            f"{predicate.str_short()}, {on_true.str_short()} and {on_false.str_short()}")
    return core.ShapedArray(on_true.shape, on_true.dtype, on_true.weak_type and on_false.weak_type)


def select(predicate, on_true, on_false):
    """``on_true`` where ``predicate`` holds, else ``on_false`` (one shape for all three)."""
    if core.is_python_scalar(on_true):
        on_true = match_scalar(on_true, on_false)
    if core.is_python_scalar(on_false):
        on_false = match_scalar(on_false, on_true)
    return select_p.bind(predicate, on_true, on_false)


# --- moving data: broadcast_in_dim, reshape, transpose, slice, zeros ------------------------

def _primitive(name, impl, abstract_eval):
    primitive = core.Primitive(name)
    primitive.def_impl(impl)
    primitive.def_abstract_eval(abstract_eval)
    return primitive


def _broadcast_in_dim_impl(x, *, shape, broadcast_dimensions):
    x = np.asarray(x)
    expanded = [1] * len(shape)
    for source, target in enumerate(broadcast_dimensions):
        expanded[target] = x.shape[source]
    return np.broadcast_to(x.reshape(expanded), shape)


def _broadcast_in_dim_abstract_eval(x, *, shape, broadcast_dimensions):
    if len(broadcast_dimensions) != x.ndim or any(
            not (x.shape[i] == 1 or x.shape[i] == shape[d]) for i, d in enumerate(broadcast_dimensions)):
        raise shape_error(
            f"cannot broadcast {x.str_short()} to shape {shape} along dimensions "
            f"{broadcast_dimensions}")
    return core.ShapedArray(shape, x.dtype, x.weak_type)


broadcast_in_dim_p = _primitive("broadcast_in_dim", _broadcast_in_dim_impl,
                                _broadcast_in_dim_abstract_eval)


def broadcast_in_dim(x, shape, broadcast_dimensions):
    """``x`` broadcast to ``shape``, its dimension i becoming ``broadcast_dimensions[i]``."""
    shape = tuple(int(d) for d in shape)
    broadcast_dimensions = tuple(broadcast_dimensions)
    if core.get_aval(x).shape == shape and broadcast_dimensions == tuple(range(len(shape))):
        return x
    return broadcast_in_dim_p.bind(x, shape=shape, broadcast_dimensions=broadcast_dimensions)


def _reshape_abstract_eval(x, *, new_sizes):
    if int(np.prod(new_sizes, dtype=np.int64)) != x.size:
        raise shape_error(f"cannot reshape {x.str_short()} into shape {new_sizes}")
    return core.ShapedArray(new_sizes, x.dtype, x.weak_type)


reshape_p = _primitive("reshape", lambda x, *, new_sizes: np.reshape(x, new_sizes),
                       _reshape_abstract_eval)


def reshape(x, new_sizes):
    new_sizes = tuple(int(d) for d in new_sizes)
    if core.get_aval(x).shape == new_sizes:
        return x
    return reshape_p.bind(x, new_sizes=new_sizes)


def _transpose_abstract_eval(x, *, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise shape_error(f"transpose of {x.str_short()} needs a permutation of "
                          f"{tuple(range(x.ndim))}, got {permutation}")
    return core.ShapedArray(tuple(x.shape[p] for p in permutation), x.dtype, x.weak_type)


transpose_p = _primitive("transpose", lambda x, *, permutation: np.transpose(x, permutation),
                         _transpose_abstract_eval)


def transpose(x, permutation):
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(len(permutation))):
        return x
    return transpose_p.bind(x, permutation=permutation)


def _slice_impl(x, *, start_indices, limit_indices, strides):
    return np.asarray(x)[tuple(np.s_[s:l:st] for s, l, st in
                               zip(start_indices, limit_indices, strides))]


def _slice_abstract_eval(x, *, start_indices, limit_indices, strides):
    if not (len(start_indices) == len(limit_indices) == len(strides) == x.ndim) or any(
            not 0 <= s <= l <= n or st < 1
            for s, l, st, n in zip(start_indices, limit_indices, strides, x.shape)):
        raise shape_error(f"invalid slice of {x.str_short()}: start {start_indices}, "
                          f"limit {limit_indices}, strides {strides}")
    shape = tuple(max(0, -(-(l - s) // st)) for s, l, st in zip(start_indices, limit_indices, strides))
    return core.ShapedArray(shape, x.dtype, x.weak_type)


slice_p = _primitive("slice", _slice_impl, _slice_abstract_eval)


def slice(x, start_indices, limit_indices, strides=None):  # noqa: A001 (lax name)
    """``x[start:limit:stride, ...]`` with static bounds and positive strides."""
    start_indices = tuple(int(s) for s in start_indices)
    limit_indices = tuple(int(s) for s in limit_indices)
    strides = (1,) * len(start_indices) if strides is None else tuple(int(s) for s in strides)
    shape = core.get_aval(x).shape
    if start_indices == (0,) * len(shape) and limit_indices == shape and set(strides) <= {1}:
        return x
    return slice_p.bind(x, start_indices=start_indices, limit_indices=limit_indices, strides=strides)


def zeros_like_aval(aval):
    """Zeros of ``aval``'s shape and dtype: a NumPy value when no transform is active."""
    dtype, shape = aval.dtype, aval.shape
    if core.current_trace() is core.EVAL_TRACE:
        if dtype == dtypes.float0:
            return np.zeros(shape, dtype)
        return np.full(shape, 0, dtype)[()]
    zero = np.zeros((), dtype)[()] if dtype == dtypes.float0 else dtype.type(0)
    return broadcast_in_dim(zero, shape, ())


# --- reductions: reduce_sum (the transpose of a broadcast) ------------------------------------

def reduced_shape(x, axes):
    if any(not 0 <= a < x.ndim for a in axes):
        raise shape_error(f"reduction axes {axes} are out of range for {x.str_short()}")
    return tuple(n for d, n in enumerate(x.shape) if d not in axes)


def declare_reduction(name, numpy_reduce, kinds, needs_elements=False):
    """A reduction primitive (parameter ``axes``) with its implementation and shape rule.

    ``needs_elements``: the reduction has no identity (max, min), so reducing a zero-size
    operand over an empty axis is a ValueError, as in NumPy.
    """
    primitive = core.Primitive(name)
    primitive.def_impl(lambda x, *, axes: numpy_reduce(x, axis=axes)[()])

    @primitive.def_abstract_eval
    def abstract_eval(x, *, axes):
        if x.dtype.kind not in kinds:
            raise shape_error(f"{name} does not take {x.str_short()}")
        if needs_elements:
            check_reduced_axes_not_empty(name, x, axes)
        return core.ShapedArray(reduced_shape(x, axes), x.dtype, x.weak_type)

    return primitive


def keep_dtype(numpy_reduce):
    """NumPy reductions promote small integers; the primitive keeps the input dtype."""
    return lambda x, axis: numpy_reduce(x, axis=axis, dtype=np.asarray(x).dtype)


reduce_sum_p = declare_reduction("reduce_sum", keep_dtype(np.sum), "iufc")


def reducer(primitive):
    """The lax function of a reduction primitive: ``f(x, axes)``, negative axes allowed."""
    def reduce(x, axes):
        ndim = core.get_aval(x).ndim
        axes = tuple(sorted(a + ndim if a < 0 else a for a in axes))
        return primitive.bind(x, axes=axes) if axes else x
    reduce.__name__ = primitive.name
    reduce.__doc__ = f"``{primitive.name}`` over ``axes`` (a tuple), keeping the dtype."
    return reduce


reduce_sum = reducer(reduce_sum_p)
