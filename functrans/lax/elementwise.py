"""Elementwise primitives: unary math, binary arithmetic, comparisons, select, conversion.

Binary primitives take operands of one shape and one dtype; broadcasting and
type promotion are the NumPy layer's job (``functrans.numpy``), so every rule
here stays simple. Each primitive's rules stand beside its definition.
"""
import functools
import math
import operator

import numpy as np

from functrans import core, dtypes
from functrans.lax._util import match_scalar, shape_error
from functrans.lowering import rules as lowering
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


def unary_primitive(name, numpy_impl, kinds=FLOAT, out_dtype=None):
    primitive = core.Primitive(name)
    primitive.def_impl(numpy_impl)

    def abstract_eval(x):
        _check_kind(name, x, kinds)
        if out_dtype is None:
            return x
        return core.ShapedArray(x.shape, out_dtype)

    primitive.def_abstract_eval(abstract_eval)
    return primitive


def binary_primitive(name, numpy_impl, kinds=NUMBER, out_dtype=None):
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
    return primitive


def _unary_op(primitive):
    def op(x):
        return primitive.bind(x)
    op.__name__ = primitive.name
    op.__doc__ = f"The ``{primitive.name}`` primitive, elementwise."
    return op


def _binary_op(primitive, name):
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
    op.__name__ = name
    op.__doc__ = f"The ``{primitive.name}`` primitive, elementwise; operands of one shape and dtype."
    return op


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


def _abs_eval_dtype(x):
    return x


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


# --- unary primitives -----------------------------------------------------------------

neg_p = unary_primitive("neg", _scalar_operator(np.negative, operator.neg), NUMBER)
sin_p = unary_primitive("sin", np.sin)
cos_p = unary_primitive("cos", np.cos)
tan_p = unary_primitive("tan", np.tan)
tanh_p = unary_primitive("tanh", np.tanh)
exp_p = unary_primitive("exp", np.exp)
expm1_p = unary_primitive("expm1", np.expm1)
log_p = unary_primitive("log", np.log)
log1p_p = unary_primitive("log1p", np.log1p)
sqrt_p = unary_primitive("sqrt", np.sqrt)
rsqrt_p = unary_primitive("rsqrt", _rsqrt)
abs_p = unary_primitive("abs", np.abs, NUMBER)
sign_p = unary_primitive("sign", np.sign, NUMBER)
floor_p = unary_primitive("floor", np.floor)
ceil_p = unary_primitive("ceil", np.ceil)
round_p = unary_primitive("round", np.round)
logistic_p = unary_primitive("logistic", _logistic)
erf_p = unary_primitive("erf", _erf)
asin_p = unary_primitive("asin", np.arcsin)
acos_p = unary_primitive("acos", np.arccos)
atan_p = unary_primitive("atan", np.arctan)
sinh_p = unary_primitive("sinh", np.sinh)
cosh_p = unary_primitive("cosh", np.cosh)
asinh_p = unary_primitive("asinh", np.arcsinh)
acosh_p = unary_primitive("acosh", np.arccosh)
atanh_p = unary_primitive("atanh", np.arctanh)
is_finite_p = unary_primitive("is_finite", np.isfinite, FLOAT, out_dtype=np.bool_)
not_p = unary_primitive("not", np.invert, INTEGRAL)
stop_gradient_p = unary_primitive("stop_gradient", lambda x: x, ANY)

integer_pow_p = core.Primitive("integer_pow")
integer_pow_p.def_impl(_integer_pow_impl)


@integer_pow_p.def_abstract_eval
def _integer_pow_abstract_eval(x, *, y):
    _check_kind("integer_pow", x, NUMBER if y >= 0 else FLOAT)
    return x


neg, sin, cos, tan, tanh, exp, expm1, log, log1p, sqrt, rsqrt = map(_unary_op, (
    neg_p, sin_p, cos_p, tan_p, tanh_p, exp_p, expm1_p, log_p, log1p_p, sqrt_p, rsqrt_p))
abs, sign, floor, ceil, round, logistic, erf = map(_unary_op, (  # noqa: A001 (lax names)
    abs_p, sign_p, floor_p, ceil_p, round_p, logistic_p, erf_p))
asin, acos, atan, sinh, cosh, asinh, acosh, atanh, is_finite = map(_unary_op, (
    asin_p, acos_p, atan_p, sinh_p, cosh_p, asinh_p, acosh_p, atanh_p, is_finite_p))
logical_not = _unary_op(not_p)
stop_gradient = _unary_op(stop_gradient_p)


def integer_pow(x, y):
    """``x ** y`` for a Python integer ``y``."""
    return integer_pow_p.bind(x, y=int(y))


# --- binary primitives ----------------------------------------------------------------

add_p = binary_primitive("add", _scalar_operator(np.add, operator.add))
sub_p = binary_primitive("sub", _scalar_operator(np.subtract, operator.sub))
mul_p = binary_primitive("mul", _scalar_operator(np.multiply, operator.mul), ANY)
div_p = binary_primitive("div", _scalar_operator(_divide, operator.truediv))
pow_p = binary_primitive("pow", np.power, FLOAT)
max_p = binary_primitive("max", np.maximum, ANY)
min_p = binary_primitive("min", np.minimum, ANY)
atan2_p = binary_primitive("atan2", np.arctan2, FLOAT)
rem_p = binary_primitive("rem", np.remainder)
eq_p = binary_primitive("eq", np.equal, ANY, out_dtype=np.bool_)
ne_p = binary_primitive("ne", np.not_equal, ANY, out_dtype=np.bool_)
lt_p = binary_primitive("lt", np.less, ANY, out_dtype=np.bool_)
le_p = binary_primitive("le", np.less_equal, ANY, out_dtype=np.bool_)
gt_p = binary_primitive("gt", np.greater, ANY, out_dtype=np.bool_)
ge_p = binary_primitive("ge", np.greater_equal, ANY, out_dtype=np.bool_)
and_p = binary_primitive("and", np.bitwise_and, INTEGRAL)
or_p = binary_primitive("or", np.bitwise_or, INTEGRAL)
xor_p = binary_primitive("xor", np.bitwise_xor, INTEGRAL)

add = _binary_op(add_p, "add")
sub = _binary_op(sub_p, "sub")
mul = _binary_op(mul_p, "mul")
div = _binary_op(div_p, "div")
pow = _binary_op(pow_p, "pow")  # noqa: A001
max = _binary_op(max_p, "max")  # noqa: A001
min = _binary_op(min_p, "min")  # noqa: A001
atan2 = _binary_op(atan2_p, "atan2")
rem = _binary_op(rem_p, "rem")
eq, ne, lt, le, gt, ge = (_binary_op(p, p.name) for p in (eq_p, ne_p, lt_p, le_p, gt_p, ge_p))
logical_and = _binary_op(and_p, "logical_and")
logical_or = _binary_op(or_p, "logical_or")
logical_xor = _binary_op(xor_p, "logical_xor")


# --- select and conversion ------------------------------------------------------------

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


# --- JVP rules: the derivative table --------------------------------------------------

def _square(x):
    return mul(x, x)


partial_eval.REUSABLE.update({sin_p, cos_p, tan_p, tanh_p, exp_p, expm1_p, log_p, log1p_p,
                              sqrt_p, rsqrt_p, logistic_p, erf_p, sinh_p, cosh_p})
ad.ARITHMETIC.__dict__.update(mul=mul, div=div, add=add, neg=neg,
                              mul_p=mul_p, div_p=div_p, add_p=add_p, neg_p=neg_p)
ad.defscaled(sin_p, lambda ans, x: cos(x))
ad.defscaled(cos_p, lambda ans, x: neg(sin(x)))
ad.defscaled(tan_p, lambda ans, x: add(1, _square(ans)))
ad.defscaled(tanh_p, lambda ans, x: sub(1, _square(ans)))
ad.defscaled(exp_p, lambda ans, x: ans)
ad.defscaled(expm1_p, lambda ans, x: add(ans, 1))
ad.defscaled(log_p, lambda ans, x: x, divisors=(0,))
ad.defscaled(log1p_p, lambda ans, x: add(x, 1), divisors=(0,))
ad.defscaled(sqrt_p, lambda ans, x: mul(ans, 2), divisors=(0,))
ad.defscaled(rsqrt_p, lambda ans, x: div(mul(ans, -0.5), x))
ad.defscaled(logistic_p, lambda ans, x: mul(ans, sub(1, ans)))
ad.defscaled(erf_p, lambda ans, x: mul(exp(neg(_square(x))), 2 / math.sqrt(math.pi)))
ad.defscaled(asin_p, lambda ans, x: rsqrt(sub(1, _square(x))))
ad.defscaled(acos_p, lambda ans, x: neg(rsqrt(sub(1, _square(x)))))
ad.defscaled(atan_p, lambda ans, x: add(1, _square(x)), divisors=(0,))
ad.defscaled(sinh_p, lambda ans, x: cosh(x))
ad.defscaled(cosh_p, lambda ans, x: sinh(x))
ad.defscaled(asinh_p, lambda ans, x: rsqrt(add(_square(x), 1)))
ad.defscaled(acosh_p, lambda ans, x: rsqrt(mul(sub(x, 1), add(x, 1))))
ad.defscaled(atanh_p, lambda ans, x: sub(1, _square(x)), divisors=(0,))
ad.defjvp(abs_p, lambda t, x: select(ge(x, match_scalar(0, x)), t, neg(t)))
for _primitive in (sign_p, floor_p, ceil_p, round_p, is_finite_p, not_p, stop_gradient_p,
                   eq_p, ne_p, lt_p, le_p, gt_p, ge_p, and_p, or_p, xor_p):
    ad.defzero(_primitive)


def _integer_pow_jvp(t, x, *, y):
    if y == 0:
        return mul(t, 0)
    return mul(t, mul(integer_pow(x, y - 1), y))


ad.defjvp(integer_pow_p, _integer_pow_jvp)

ad.defscaled(neg_p, -1)
ad.defscaled(add_p, 1, 1)
ad.defscaled(sub_p, 1, -1)
ad.defscaled(mul_p, lambda ans, x, y: y, lambda ans, x, y: x)
ad.defscaled(div_p, lambda ans, x, y: y, lambda ans, x, y: neg(div(ans, y)), divisors=(0,))
ad.transpose_rules[neg_p] = lambda cotangent, x: [neg(cotangent)]
ad.transpose_rules[add_p] = lambda cotangent, x, y: [cotangent, cotangent]
ad.transpose_rules[sub_p] = lambda cotangent, x, y: [cotangent, neg(cotangent)]


def _mul_transpose(cotangent, x, y):
    x_linear, y_linear = type(x) is ad.UndefinedPrimal, type(y) is ad.UndefinedPrimal
    if x_linear and y_linear:
        raise TypeError("mul is not linear in both arguments at once")
    return [mul(cotangent, y), None] if x_linear else [None, mul(x, cotangent)]


def _div_transpose(cotangent, x, y):
    if ad.is_undefined(y):
        raise TypeError("div is linear in its numerator only")
    return [div(cotangent, y), None]


ad.transpose_rules[mul_p] = _mul_transpose
ad.transpose_rules[div_p] = _div_transpose


def _safe_log(x):
    # log(x) where x > 0; 0 elsewhere, where pow's derivative in the exponent multiplies 0.
    positive = gt(x, 0)
    return select(positive, log(select(positive, x, 1)), 0)


ad.defjvp_with_output(
    pow_p,
    lambda t, ans, x, y: mul(t, mul(y, pow(x, sub(y, 1)))),
    lambda t, ans, x, y: mul(t, mul(ans, _safe_log(x))),
)


def _max_share(x, y):
    """1 where x wins, 0 where y wins, 1/2 at ties (the symmetric subgradient)."""
    return select(gt(x, y), match_scalar(1, x),
                  select(eq(x, y), match_scalar(0.5, x), match_scalar(0, x)))


ad.defjvp(max_p,
          lambda t, x, y: mul(t, _max_share(x, y)),
          lambda t, x, y: mul(t, _max_share(y, x)))
ad.defjvp(min_p,
          lambda t, x, y: mul(t, _max_share(y, x)),
          lambda t, x, y: mul(t, _max_share(x, y)))
ad.defjvp(atan2_p,
          lambda t, x, y: mul(t, div(y, add(_square(x), _square(y)))),
          lambda t, x, y: mul(t, neg(div(x, add(_square(x), _square(y))))))
ad.defjvp(rem_p,
          lambda t, x, y: t,
          lambda t, x, y: mul(t, neg(floor(div(x, y)))))


def _select_transpose(cotangent, predicate, on_true, on_false):
    if ad.is_undefined(predicate):
        raise TypeError("select is not linear in its predicate")
    zeros = ad.zeros_like_aval(core.get_aval(cotangent))
    return [None,
            select(predicate, cotangent, zeros) if ad.is_undefined(on_true) else None,
            select(predicate, zeros, cotangent) if ad.is_undefined(on_false) else None]


ad.deflinear_in(select_p, (1, 2), _select_transpose)


def _convert_jvp(primals, tangents, *, new_dtype, weak_type):
    (x,), (t,) = primals, tangents
    out = convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)
    if new_dtype.kind not in "fc" or core.get_aval(x).dtype.kind not in "fc":
        return out, None
    return out, convert_element_type_p.bind(t, new_dtype=new_dtype, weak_type=weak_type)


def _convert_transpose(cotangent, x, *, new_dtype, weak_type):
    return [convert_element_type(cotangent, x.aval.dtype, x.aval.weak_type)]


ad.jvp_rules[convert_element_type_p] = _convert_jvp
ad.transpose_rules[convert_element_type_p] = _convert_transpose


# --- batching rules ---------------------------------------------------------------------

for _primitive in (neg_p, sin_p, cos_p, tan_p, tanh_p, exp_p, expm1_p, log_p, log1p_p, sqrt_p,
                   rsqrt_p, abs_p, sign_p, floor_p, ceil_p, round_p, logistic_p, erf_p, asin_p,
                   acos_p, atan_p, sinh_p, cosh_p, asinh_p, acosh_p, atanh_p, is_finite_p, not_p,
                   stop_gradient_p, integer_pow_p, convert_element_type_p):
    vmap.defvectorized(_primitive)
for _primitive in (add_p, sub_p, mul_p, div_p, pow_p, max_p, min_p, atan2_p, rem_p, eq_p, ne_p,
                   lt_p, le_p, gt_p, ge_p, and_p, or_p, xor_p, select_p):
    vmap.defbroadcasting(_primitive)


# --- numba lowering: scalar expressions, fused into loops -------------------------------

for _primitive, _template in [
        (neg_p, "(-{0})"), (sin_p, "np.sin({0})"), (cos_p, "np.cos({0})"), (tan_p, "np.tan({0})"),
        (tanh_p, "np.tanh({0})"), (exp_p, "np.exp({0})"), (expm1_p, "np.expm1({0})"),
        (log_p, "np.log({0})"), (log1p_p, "np.log1p({0})"), (sqrt_p, "np.sqrt({0})"),
        (rsqrt_p, "(1 / np.sqrt({0}))"), (abs_p, "np.abs({0})"), (sign_p, "np.sign({0})"),
        (floor_p, "np.floor({0})"), (ceil_p, "np.ceil({0})"), (round_p, "np.rint({0})"),
        (logistic_p, "(1 / (1 + np.exp(-{0})) if {0} >= 0 else np.exp({0}) / (1 + np.exp({0})))"),
        (erf_p, "math.erf({0})"), (asin_p, "np.arcsin({0})"), (acos_p, "np.arccos({0})"),
        (atan_p, "np.arctan({0})"), (sinh_p, "np.sinh({0})"), (cosh_p, "np.cosh({0})"),
        (asinh_p, "np.arcsinh({0})"), (acosh_p, "np.arccosh({0})"), (atanh_p, "np.arctanh({0})"),
        (is_finite_p, "np.isfinite({0})"), (stop_gradient_p, "{0}"),
        (add_p, "({0} + {1})"), (sub_p, "({0} - {1})"), (mul_p, "({0} * {1})"),
        (pow_p, "({0} ** {1})"), (max_p, "np.maximum({0}, {1})"), (min_p, "np.minimum({0}, {1})"),
        (atan2_p, "np.arctan2({0}, {1})"),
        (eq_p, "({0} == {1})"), (ne_p, "({0} != {1})"), (lt_p, "({0} < {1})"),
        (le_p, "({0} <= {1})"), (gt_p, "({0} > {1})"), (ge_p, "({0} >= {1})"),
        (and_p, "({0} & {1})"), (or_p, "({0} | {1})"), (xor_p, "({0} ^ {1})"),
        (select_p, "({1} if {0} else {2})"), (not_p, "np.invert({0})")]:
    lowering.defscalar(_primitive, _template)


lowering.COSTLY.update({sin_p, cos_p, tan_p, tanh_p, exp_p, expm1_p, log_p, log1p_p, logistic_p,
                        erf_p, asin_p, acos_p, atan_p, sinh_p, cosh_p, asinh_p, acosh_p,
                        atanh_p, pow_p, atan2_p})


lowering.VECTOR_MATH.update({exp_p: "exp", expm1_p: "expm1", log_p: "log", log1p_p: "log1p",
                            tanh_p: "tanh", sin_p: "sin", cos_p: "cos", logistic_p: "logistic"})
lowering.RANGE_LIMITED.update({sin_p, cos_p})


def _div_lowering(params, x, y, operand_avals):
    kind = operand_avals[0].dtype.kind
    if kind == "i":
        # As NumPy: the minimum integer divided by -1 wraps to itself (a machine division
        # would trap); division by zero gives 0 (the kernels' error_model is 'numpy').
        return f"(-{x} if {y} == -1 else {x} // {y})"
    return f"({x} // {y})" if kind == "u" else f"({x} / {y})"


def _rem_lowering(params, x, y, operand_avals):
    if operand_avals[0].dtype.kind == "i":
        return f"({x} * 0 if {y} == -1 else np.remainder({x}, {y}))"  # as _div_lowering
    return f"np.remainder({x}, {y})"


def _integer_pow_lowering(params, x, operand_avals):
    y = params["y"]
    if y == 0:
        return f"({x} * 0 + 1)"
    product = " * ".join([x] * abs(y))
    return f"({product})" if y > 0 else f"(1 / ({product}))"


def _convert_lowering(params, x, operand_avals):
    dtype = params["new_dtype"]
    return f"np.{dtype.name if dtype != np.bool_ else 'bool_'}({x})"


lowering.scalar_rules[div_p] = _div_lowering
lowering.scalar_rules[rem_p] = _rem_lowering
lowering.scalar_rules[integer_pow_p] = _integer_pow_lowering
lowering.scalar_rules[convert_element_type_p] = _convert_lowering
