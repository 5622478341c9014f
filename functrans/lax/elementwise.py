"""Elementwise primitives: unary math, binary arithmetic, comparisons, select, conversion.

Binary primitives take operands of one shape and one dtype; broadcasting and
type promotion are the NumPy layer's job (``functrans.numpy``), so every rule
here stays simple.

Each primitive is declared in one block: ``unary_primitive`` / ``binary_primitive`` give
its implementation, shape rule, batching rule (elementwise), numba template and cost
flags; the lax function and the derivative follow on the next lines.
"""
import builtins
import functools
import math
import operator

import numpy as np

from functrans import core, dtypes
from functrans.lax._util import match_scalar, shape_error
from functrans.lowering import rules as lowering_rules
from functrans.transforms import ad, partial_eval, vmap

FLOAT = "fc"
NUMBER = "iufc"
INTEGRAL = "biu"
ANY = "biufc"


def _kind_names(kinds):
    names = {"b": "boolean", "i": "signed integer", "u": "unsigned integer",
             "f": "floating-point", "c": "complex"}
    return " or ".join(names[k] for k in kinds)


def _check_kind(name, aval, kinds):
    if aval.dtype.kind not in kinds:
        raise shape_error(
            f"{name} takes {_kind_names(kinds)} input, got {aval.str_short()}; "
            "convert it with astype first")


def unary_primitive(name, numpy_impl, kinds=FLOAT, out_dtype=None, *, template=None,
                    costly=False, vector_math=None, range_limited=False, reusable=False):
    """An elementwise primitive of one operand, declared with all its non-derivative rules.

    ``template`` is its numba lowering (``"np.sin({0})"``); ``costly`` marks a transcendental
    function (it weighs in the choice of a parallel loop); ``vector_math`` names its function
    in functrans.lowering.vecmath, ``range_limited`` if that one is exact only in a range;
    ``reusable`` lets linearize compute it once per operand (see partial_eval.REUSABLE).
    """
    primitive = core.Primitive(name)
    primitive.def_impl(numpy_impl)

    def abstract_eval(x):
        _check_kind(name, x, kinds)
        if out_dtype is None:
            return x
        return core.ShapedArray(x.shape, out_dtype)

    primitive.def_abstract_eval(abstract_eval)
    vmap.defvectorized(primitive)
    _lowering_flags(primitive, template, costly, vector_math, range_limited)
    if reusable:
        partial_eval.REUSABLE.add(primitive)
    return primitive


def _lowering_flags(primitive, template, costly, vector_math, range_limited):
    if template is not None:
        lowering_rules.defscalar(primitive, template)
    if costly:
        lowering_rules.COSTLY.add(primitive)
    if vector_math is not None:
        lowering_rules.VECTOR_MATH[primitive] = vector_math
    if range_limited:
        lowering_rules.RANGE_LIMITED.add(primitive)


def binary_primitive(name, numpy_impl, kinds=NUMBER, out_dtype=None, *, template=None,
                     costly=False):
    """An elementwise primitive of two operands of one shape and dtype (batching: broadcast);
    ``template`` and ``costly`` as for :func:`unary_primitive`."""
    primitive = core.Primitive(name)
    primitive.def_impl(numpy_impl)

    def abstract_eval(x, y):
        if x.shape != y.shape or x.dtype != y.dtype:
            raise shape_error(
                f"{name} takes operands of one shape and dtype, got {x.str_short()} and "
                f"{y.str_short()}; functrans.numpy functions broadcast and promote for you")
        _check_kind(name, x, kinds)
        if out_dtype is not None:
            return core.ShapedArray(x.shape, out_dtype)
        return core.ShapedArray(x.shape, x.dtype, x.weak_type and y.weak_type)

    primitive.def_abstract_eval(abstract_eval)
    vmap.defbroadcasting(primitive)
    _lowering_flags(primitive, template, costly, None, False)
    return primitive


def _unary_op(primitive):
    def op(x):
        return primitive.bind(x)
    op.__name__ = primitive.name
    op.__doc__ = f"The ``{primitive.name}`` primitive, elementwise."
    return op


def _binary_op(primitive, name=None):
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


def _square(x):
    return mul(x, x)


# --- numerically careful NumPy implementations ----------------------------------------

def _rsqrt(x):
    return np.reciprocal(np.sqrt(x))


def _logistic(x):
    # Two branches so neither exp overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below.
    with np.errstate(over="ignore"):
        exp_neg_abs = np.exp(-np.abs(x))
    return np.where(np.asarray(x) >= 0, 1 / (1 + exp_neg_abs), exp_neg_abs / (1 + exp_neg_abs))[()]


@functools.cache
def _scipy_erf():
    from scipy import special
    return special.erf


def _erf(x):
    return _scipy_erf()(x)


def _divide(x, y):
    if np.result_type(x).kind in "fc":
        return np.true_divide(x, y)
    return np.floor_divide(x, y)


def _integer_pow_impl(x, *, y):
    if y == 0:
        return np.ones_like(x)[()]
    return np.power(x, y) if y > 0 else np.reciprocal(np.power(x, -y))


def _scalar_operator(numpy_impl, operator_function):
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


# --- unary math: primitive, lax function, derivative -------------------------------------

neg_p = unary_primitive("neg", _scalar_operator(np.negative, operator.neg), NUMBER,
                        template="(-{0})")
neg = _unary_op(neg_p)
ad.defscaled(neg_p, -1)
ad.transpose_rules[neg_p] = lambda cotangent, x: [neg(cotangent)]

sin_p = unary_primitive("sin", np.sin, template="np.sin({0})", costly=True, vector_math="sin",
                        range_limited=True, reusable=True)
sin = _unary_op(sin_p)
ad.defscaled(sin_p, lambda ans, x: cos(x))

cos_p = unary_primitive("cos", np.cos, template="np.cos({0})", costly=True, vector_math="cos",
                        range_limited=True, reusable=True)
cos = _unary_op(cos_p)
ad.defscaled(cos_p, lambda ans, x: neg(sin(x)))

tan_p = unary_primitive("tan", np.tan, template="np.tan({0})", costly=True, reusable=True)
tan = _unary_op(tan_p)
ad.defscaled(tan_p, lambda ans, x: add(1, _square(ans)))

tanh_p = unary_primitive("tanh", np.tanh, template="np.tanh({0})", costly=True,
                         vector_math="tanh", reusable=True)
tanh = _unary_op(tanh_p)
ad.defscaled(tanh_p, lambda ans, x: sub(1, _square(ans)))

exp_p = unary_primitive("exp", np.exp, template="np.exp({0})", costly=True, vector_math="exp",
                        reusable=True)
exp = _unary_op(exp_p)
ad.defscaled(exp_p, lambda ans, x: ans)

expm1_p = unary_primitive("expm1", np.expm1, template="np.expm1({0})", costly=True,
                          vector_math="expm1", reusable=True)
expm1 = _unary_op(expm1_p)
ad.defscaled(expm1_p, lambda ans, x: add(ans, 1))

log_p = unary_primitive("log", np.log, template="np.log({0})", costly=True, vector_math="log",
                        reusable=True)
log = _unary_op(log_p)
ad.defscaled(log_p, lambda ans, x: x, divisors=(0,))

log1p_p = unary_primitive("log1p", np.log1p, template="np.log1p({0})", costly=True,
                          vector_math="log1p", reusable=True)
log1p = _unary_op(log1p_p)
ad.defscaled(log1p_p, lambda ans, x: add(x, 1), divisors=(0,))

sqrt_p = unary_primitive("sqrt", np.sqrt, template="np.sqrt({0})", reusable=True)
sqrt = _unary_op(sqrt_p)
ad.defscaled(sqrt_p, lambda ans, x: mul(ans, 2), divisors=(0,))

rsqrt_p = unary_primitive("rsqrt", _rsqrt, template="(1 / np.sqrt({0}))", reusable=True)
rsqrt = _unary_op(rsqrt_p)
ad.defscaled(rsqrt_p, lambda ans, x: div(mul(ans, -0.5), x))

logistic_p = unary_primitive(
    "logistic", _logistic,
    template="(1 / (1 + np.exp(-{0})) if {0} >= 0 else np.exp({0}) / (1 + np.exp({0})))",
    costly=True, vector_math="logistic", reusable=True)
logistic = _unary_op(logistic_p)
ad.defscaled(logistic_p, lambda ans, x: mul(ans, sub(1, ans)))

erf_p = unary_primitive("erf", _erf, template="math.erf({0})", costly=True, reusable=True)
erf = _unary_op(erf_p)
ad.defscaled(erf_p, lambda ans, x: mul(exp(neg(_square(x))), 2 / math.sqrt(math.pi)))

asin_p = unary_primitive("asin", np.arcsin, template="np.arcsin({0})", costly=True)
asin = _unary_op(asin_p)
ad.defscaled(asin_p, lambda ans, x: rsqrt(sub(1, _square(x))))

acos_p = unary_primitive("acos", np.arccos, template="np.arccos({0})", costly=True)
acos = _unary_op(acos_p)
ad.defscaled(acos_p, lambda ans, x: neg(rsqrt(sub(1, _square(x)))))

atan_p = unary_primitive("atan", np.arctan, template="np.arctan({0})", costly=True)
atan = _unary_op(atan_p)
ad.defscaled(atan_p, lambda ans, x: add(1, _square(x)), divisors=(0,))

sinh_p = unary_primitive("sinh", np.sinh, template="np.sinh({0})", costly=True, reusable=True)
sinh = _unary_op(sinh_p)
ad.defscaled(sinh_p, lambda ans, x: cosh(x))

cosh_p = unary_primitive("cosh", np.cosh, template="np.cosh({0})", costly=True, reusable=True)
cosh = _unary_op(cosh_p)
ad.defscaled(cosh_p, lambda ans, x: sinh(x))

asinh_p = unary_primitive("asinh", np.arcsinh, template="np.arcsinh({0})", costly=True)
asinh = _unary_op(asinh_p)
ad.defscaled(asinh_p, lambda ans, x: rsqrt(add(_square(x), 1)))

acosh_p = unary_primitive("acosh", np.arccosh, template="np.arccosh({0})", costly=True)
acosh = _unary_op(acosh_p)
ad.defscaled(acosh_p, lambda ans, x: rsqrt(mul(sub(x, 1), add(x, 1))))

atanh_p = unary_primitive("atanh", np.arctanh, template="np.arctanh({0})", costly=True)
atanh = _unary_op(atanh_p)
ad.defscaled(atanh_p, lambda ans, x: sub(1, _square(x)), divisors=(0,))

abs_p = unary_primitive("abs", np.abs, NUMBER, template="np.abs({0})")
abs = _unary_op(abs_p)  # noqa: A001 (lax name)
ad.defjvp(abs_p, lambda t, x: select(ge(x, match_scalar(0, x)), t, neg(t)))


def _integer_pow_jvp(t, x, *, y):
    if y == 0:
        return mul(t, 0)
    return mul(t, mul(integer_pow(x, y - 1), y))


def _integer_pow_lowering(params, x, operand_avals):
    y = params["y"]
    if y == 0:
        return f"({x} * 0 + 1)"
    product = " * ".join([x] * builtins.abs(y))
    return f"({product})" if y > 0 else f"(1 / ({product}))"


integer_pow_p = core.Primitive("integer_pow")
integer_pow_p.def_impl(_integer_pow_impl)


@integer_pow_p.def_abstract_eval
def _integer_pow_abstract_eval(x, *, y):
    _check_kind("integer_pow", x, NUMBER if y >= 0 else FLOAT)
    return x


def integer_pow(x, y):
    """``x ** y`` for a Python integer ``y``."""
    return integer_pow_p.bind(x, y=int(y))


ad.defjvp(integer_pow_p, _integer_pow_jvp)
vmap.defvectorized(integer_pow_p)
lowering_rules.scalar_rules[integer_pow_p] = _integer_pow_lowering


# --- unary primitives without a derivative (piecewise constant, boolean, integer) -----------

sign_p = unary_primitive("sign", np.sign, NUMBER, template="np.sign({0})")
sign = _unary_op(sign_p)
ad.defzero(sign_p)

floor_p = unary_primitive("floor", np.floor, template="np.floor({0})")
floor = _unary_op(floor_p)
ad.defzero(floor_p)

ceil_p = unary_primitive("ceil", np.ceil, template="np.ceil({0})")
ceil = _unary_op(ceil_p)
ad.defzero(ceil_p)

round_p = unary_primitive("round", np.round, template="np.rint({0})")
round = _unary_op(round_p)  # noqa: A001 (lax name)
ad.defzero(round_p)

is_finite_p = unary_primitive("is_finite", np.isfinite, FLOAT, out_dtype=np.bool_,
                              template="np.isfinite({0})")
is_finite = _unary_op(is_finite_p)
ad.defzero(is_finite_p)

not_p = unary_primitive("not", np.invert, INTEGRAL, template="np.invert({0})")
logical_not = _unary_op(not_p)
ad.defzero(not_p)

stop_gradient_p = unary_primitive("stop_gradient", lambda x: x, ANY, template="{0}")
stop_gradient = _unary_op(stop_gradient_p)
ad.defzero(stop_gradient_p)


# --- binary arithmetic ----------------------------------------------------------------------

add_p = binary_primitive("add", _scalar_operator(np.add, operator.add), template="({0} + {1})")
add = _binary_op(add_p)
ad.defscaled(add_p, 1, 1)
ad.transpose_rules[add_p] = lambda cotangent, x, y: [cotangent, cotangent]

sub_p = binary_primitive("sub", _scalar_operator(np.subtract, operator.sub),
                         template="({0} - {1})")
sub = _binary_op(sub_p)
ad.defscaled(sub_p, 1, -1)
ad.transpose_rules[sub_p] = lambda cotangent, x, y: [cotangent, neg(cotangent)]


def _mul_transpose(cotangent, x, y):
    x_linear, y_linear = type(x) is ad.UndefinedPrimal, type(y) is ad.UndefinedPrimal
    if x_linear and y_linear:
        raise TypeError("mul is not linear in both arguments at once")
    return [mul(cotangent, y), None] if x_linear else [None, mul(x, cotangent)]


mul_p = binary_primitive("mul", _scalar_operator(np.multiply, operator.mul), ANY,
                         template="({0} * {1})")
mul = _binary_op(mul_p)
ad.defscaled(mul_p, lambda ans, x, y: y, lambda ans, x, y: x)
ad.transpose_rules[mul_p] = _mul_transpose


def _div_transpose(cotangent, x, y):
    if ad.is_undefined(y):
        raise TypeError("div is linear in its numerator only")
    return [div(cotangent, y), None]


def _div_lowering(params, x, y, operand_avals):
    return f"({x} // {y})" if operand_avals[0].dtype.kind in "iu" else f"({x} / {y})"


div_p = binary_primitive("div", _scalar_operator(_divide, operator.truediv))
div = _binary_op(div_p)
ad.defscaled(div_p, lambda ans, x, y: y, lambda ans, x, y: neg(div(ans, y)), divisors=(0,))
ad.transpose_rules[div_p] = _div_transpose
lowering_rules.scalar_rules[div_p] = _div_lowering


def _safe_log(x):
    # log(x) where x > 0; 0 elsewhere, where pow's derivative in the exponent multiplies 0.
    positive = gt(x, 0)
    return select(positive, log(select(positive, x, 1)), 0)


pow_p = binary_primitive("pow", np.power, FLOAT, template="({0} ** {1})", costly=True)
pow = _binary_op(pow_p)  # noqa: A001
ad.defjvp_with_output(pow_p,
                      lambda t, ans, x, y: mul(t, mul(y, pow(x, sub(y, 1)))),
                      lambda t, ans, x, y: mul(t, mul(ans, _safe_log(x))))


def _max_share(x, y):
    """1 where x wins, 0 where y wins, 1/2 at ties (the symmetric subgradient)."""
    return select(gt(x, y), match_scalar(1, x),
                  select(eq(x, y), match_scalar(0.5, x), match_scalar(0, x)))


max_p = binary_primitive("max", np.maximum, ANY, template="np.maximum({0}, {1})")
max = _binary_op(max_p)  # noqa: A001
ad.defjvp(max_p,
          lambda t, x, y: mul(t, _max_share(x, y)),
          lambda t, x, y: mul(t, _max_share(y, x)))

min_p = binary_primitive("min", np.minimum, ANY, template="np.minimum({0}, {1})")
min = _binary_op(min_p)  # noqa: A001
ad.defjvp(min_p,
          lambda t, x, y: mul(t, _max_share(y, x)),
          lambda t, x, y: mul(t, _max_share(x, y)))

atan2_p = binary_primitive("atan2", np.arctan2, FLOAT, template="np.arctan2({0}, {1})",
                           costly=True)
atan2 = _binary_op(atan2_p)
ad.defjvp(atan2_p,
          lambda t, x, y: mul(t, div(y, add(_square(x), _square(y)))),
          lambda t, x, y: mul(t, neg(div(x, add(_square(x), _square(y))))))

rem_p = binary_primitive("rem", np.remainder, template="np.remainder({0}, {1})")
rem = _binary_op(rem_p)
ad.defjvp(rem_p,
          lambda t, x, y: t,
          lambda t, x, y: mul(t, neg(floor(div(x, y)))))


# --- comparisons and bitwise operations: no derivative ------------------------------------

eq_p = binary_primitive("eq", np.equal, ANY, out_dtype=np.bool_, template="({0} == {1})")
ne_p = binary_primitive("ne", np.not_equal, ANY, out_dtype=np.bool_, template="({0} != {1})")
lt_p = binary_primitive("lt", np.less, ANY, out_dtype=np.bool_, template="({0} < {1})")
le_p = binary_primitive("le", np.less_equal, ANY, out_dtype=np.bool_, template="({0} <= {1})")
gt_p = binary_primitive("gt", np.greater, ANY, out_dtype=np.bool_, template="({0} > {1})")
ge_p = binary_primitive("ge", np.greater_equal, ANY, out_dtype=np.bool_,
                        template="({0} >= {1})")
eq, ne, lt, le, gt, ge = map(_binary_op, (eq_p, ne_p, lt_p, le_p, gt_p, ge_p))
for _comparison in (eq_p, ne_p, lt_p, le_p, gt_p, ge_p):
    ad.defzero(_comparison)

and_p = binary_primitive("and", np.bitwise_and, INTEGRAL, template="({0} & {1})")
logical_and = _binary_op(and_p, "logical_and")
ad.defzero(and_p)

or_p = binary_primitive("or", np.bitwise_or, INTEGRAL, template="({0} | {1})")
logical_or = _binary_op(or_p, "logical_or")
ad.defzero(or_p)

xor_p = binary_primitive("xor", np.bitwise_xor, INTEGRAL, template="({0} ^ {1})")
logical_xor = _binary_op(xor_p, "logical_xor")
ad.defzero(xor_p)


# --- select -------------------------------------------------------------------------------

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


def _select_transpose(cotangent, predicate, on_true, on_false):
    if ad.is_undefined(predicate):
        raise TypeError("select is not linear in its predicate")
    zeros = ad.zeros_like_aval(core.get_aval(cotangent))
    return [None,
            select(predicate, cotangent, zeros) if ad.is_undefined(on_true) else None,
            select(predicate, zeros, cotangent) if ad.is_undefined(on_false) else None]


ad.deflinear_in(select_p, (1, 2), _select_transpose)
vmap.defbroadcasting(select_p)
lowering_rules.defscalar(select_p, "({1} if {0} else {2})")


# --- conversion ---------------------------------------------------------------------------

convert_element_type_p = core.Primitive("convert_element_type")


@convert_element_type_p.def_impl
def _convert_impl(x, *, new_dtype, weak_type):
    return np.asarray(x).astype(new_dtype)[()]


@convert_element_type_p.def_abstract_eval
def _convert_abstract_eval(x, *, new_dtype, weak_type):
    return core.ShapedArray(x.shape, new_dtype, weak_type)


def convert_element_type(x, dtype, weak_type=False):
    """``x`` as ``dtype`` (NumPy's ``astype``)."""
    dtype = np.dtype(dtype)
    aval = core.get_aval(x)
    if aval.dtype == dtype and aval.weak_type == weak_type:
        return x
    return convert_element_type_p.bind(x, new_dtype=dtype, weak_type=weak_type)


def _convert_jvp(primals, tangents, *, new_dtype, weak_type):
    (x,), (t,) = primals, tangents
    out = convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)
    if new_dtype.kind not in "fc" or core.get_aval(x).dtype.kind not in "fc":
        return out, None
    return out, convert_element_type_p.bind(t, new_dtype=new_dtype, weak_type=weak_type)


def _convert_transpose(cotangent, x, *, new_dtype, weak_type):
    return [convert_element_type(cotangent, x.aval.dtype, x.aval.weak_type)]


def _convert_lowering(params, x, operand_avals):
    dtype = params["new_dtype"]
    return f"np.{dtype.name if dtype != np.bool_ else 'bool_'}({x})"


ad.jvp_rules[convert_element_type_p] = _convert_jvp
ad.transpose_rules[convert_element_type_p] = _convert_transpose
vmap.defvectorized(convert_element_type_p)
lowering_rules.scalar_rules[convert_element_type_p] = _convert_lowering

ad.ARITHMETIC.__dict__.update(mul=mul, div=div, add=add, neg=neg,
                              mul_p=mul_p, div_p=div_p, add_p=add_p, neg_p=neg_p)
