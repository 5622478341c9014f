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

from functrans import core, dtypes, tree
from functrans import tangent_arithmetic as arithmetic
from functrans.lowering import rules as lowering_rules
from functrans.tangent_arithmetic import (  # noqa: F401  (kinds re-exported)
    ANY, FLOAT, INTEGRAL, NUMBER, REAL, binary_op, check_kind, declare_binary, declare_unary,
    match_scalar, unary_op)
from functrans.transforms import ad, partial_eval, vmap


def unary_primitive(name, numpy_impl, kinds=FLOAT, out_dtype=None, *, template=None,
                    costly=False, vector_math=None, range_limited=False, reusable=False):
    """An elementwise primitive of one operand, declared with all its non-derivative rules.

    ``template`` is its numba lowering (``"np.sin({0})"``); ``costly`` marks a transcendental
    function (it weighs in the choice of a parallel loop); ``vector_math`` names its function
    in functrans.lowering.vecmath, ``range_limited`` if that one is exact only in a range;
    ``reusable`` lets linearize compute it once per operand (see partial_eval.REUSABLE).
    """
    return elementwise_rules(declare_unary(name, numpy_impl, kinds, out_dtype), vmap.defvectorized,
                             template, costly, vector_math, range_limited, reusable)


def elementwise_rules(primitive, batching, template=None, costly=False, vector_math=None,
                      range_limited=False, reusable=False):
    """Register an elementwise primitive's batching rule, lowering and cost flags."""
    batching(primitive)
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
    return elementwise_rules(declare_binary(name, numpy_impl, kinds, out_dtype),
                             vmap.defbroadcasting, template, costly)


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


def scipy_special(name):
    """The implementation ``scipy.special.<name>``, imported on first use (SciPy is slow to
    import and ``import functrans`` does not need it)."""
    @functools.cache
    def function():
        from scipy import special
        return getattr(special, name)
    return lambda *operands: function()(*operands)


def _integer_pow_impl(x, *, y):
    if y == 0:
        return np.ones_like(x)[()]
    return np.power(x, y) if y > 0 else np.reciprocal(np.power(x, -y))


# --- unary math: primitive, lax function, derivative -------------------------------------

# neg, add, mul, div and select: implementation, shape rule and lax function in
# functrans.tangent_arithmetic, which the transforms use; their other rules here.
neg_p, neg = arithmetic.neg_p, arithmetic.neg
elementwise_rules(neg_p, vmap.defvectorized, template="(-{0})")
ad.defscaled(neg_p, -1)
ad.transpose_rules[neg_p] = lambda cotangent, x: [neg(cotangent)]

sin_p = unary_primitive("sin", np.sin, template="np.sin({0})", costly=True, vector_math="sin",
                        range_limited=True, reusable=True)
sin = unary_op(sin_p)
ad.defscaled(sin_p, lambda ans, x: cos(x))

cos_p = unary_primitive("cos", np.cos, template="np.cos({0})", costly=True, vector_math="cos",
                        range_limited=True, reusable=True)
cos = unary_op(cos_p)
ad.defscaled(cos_p, lambda ans, x: neg(sin(x)))

tan_p = unary_primitive("tan", np.tan, template="np.tan({0})", costly=True, reusable=True)
tan = unary_op(tan_p)
ad.defscaled(tan_p, lambda ans, x: add(1, _square(ans)))

tanh_p = unary_primitive("tanh", np.tanh, template="np.tanh({0})", costly=True,
                         vector_math="tanh", reusable=True)
tanh = unary_op(tanh_p)
ad.defscaled(tanh_p, lambda ans, x: sub(1, _square(ans)))

exp_p = unary_primitive("exp", np.exp, template="np.exp({0})", costly=True, vector_math="exp",
                        reusable=True)
exp = unary_op(exp_p)
ad.defscaled(exp_p, lambda ans, x: ans)

expm1_p = unary_primitive("expm1", np.expm1, template="np.expm1({0})", costly=True,
                          vector_math="expm1", reusable=True)
expm1 = unary_op(expm1_p)
ad.defscaled(expm1_p, lambda ans, x: add(ans, 1))

log_p = unary_primitive("log", np.log, template="np.log({0})", costly=True, vector_math="log",
                        reusable=True)
log = unary_op(log_p)
ad.defscaled(log_p, lambda ans, x: x, divisors=(0,))

log1p_p = unary_primitive("log1p", np.log1p, template="np.log1p({0})", costly=True,
                          vector_math="log1p", reusable=True)
log1p = unary_op(log1p_p)
ad.defscaled(log1p_p, lambda ans, x: add(x, 1), divisors=(0,))

sqrt_p = unary_primitive("sqrt", np.sqrt, template="np.sqrt({0})", reusable=True)
sqrt = unary_op(sqrt_p)
ad.defscaled(sqrt_p, lambda ans, x: mul(ans, 2), divisors=(0,))

rsqrt_p = unary_primitive("rsqrt", _rsqrt, template="(1 / np.sqrt({0}))", reusable=True)
rsqrt = unary_op(rsqrt_p)
ad.defscaled(rsqrt_p, lambda ans, x: div(mul(ans, -0.5), x))

logistic_p = unary_primitive(
    "logistic", _logistic, REAL,
    template="(1 / (1 + np.exp(-{0})) if {0} >= 0 else np.exp({0}) / (1 + np.exp({0})))",
    costly=True, vector_math="logistic", reusable=True)
logistic = unary_op(logistic_p)
ad.defscaled(logistic_p, lambda ans, x: mul(ans, sub(1, ans)))

erf_p = unary_primitive("erf", scipy_special("erf"), REAL, template="math.erf({0})", costly=True, reusable=True)
erf = unary_op(erf_p)
ad.defscaled(erf_p, lambda ans, x: mul(exp(neg(_square(x))), 2 / math.sqrt(math.pi)))

erfc_p = unary_primitive("erfc", scipy_special("erfc"), REAL, template="math.erfc({0})", costly=True,
                         reusable=True)
erfc = unary_op(erfc_p)
ad.defscaled(erfc_p, lambda ans, x: mul(exp(neg(_square(x))), -2 / math.sqrt(math.pi)))

asin_p = unary_primitive("asin", np.arcsin, template="np.arcsin({0})", costly=True)
asin = unary_op(asin_p)
ad.defscaled(asin_p, lambda ans, x: rsqrt(sub(1, _square(x))))

acos_p = unary_primitive("acos", np.arccos, template="np.arccos({0})", costly=True)
acos = unary_op(acos_p)
ad.defscaled(acos_p, lambda ans, x: neg(rsqrt(sub(1, _square(x)))))

atan_p = unary_primitive("atan", np.arctan, template="np.arctan({0})", costly=True)
atan = unary_op(atan_p)
ad.defscaled(atan_p, lambda ans, x: add(1, _square(x)), divisors=(0,))

sinh_p = unary_primitive("sinh", np.sinh, template="np.sinh({0})", costly=True, reusable=True)
sinh = unary_op(sinh_p)
ad.defscaled(sinh_p, lambda ans, x: cosh(x))

cosh_p = unary_primitive("cosh", np.cosh, template="np.cosh({0})", costly=True, reusable=True)
cosh = unary_op(cosh_p)
ad.defscaled(cosh_p, lambda ans, x: sinh(x))

asinh_p = unary_primitive("asinh", np.arcsinh, template="np.arcsinh({0})", costly=True)
asinh = unary_op(asinh_p)
ad.defscaled(asinh_p, lambda ans, x: rsqrt(add(_square(x), 1)))

acosh_p = unary_primitive("acosh", np.arccosh, template="np.arccosh({0})", costly=True)
acosh = unary_op(acosh_p)
ad.defscaled(acosh_p, lambda ans, x: rsqrt(mul(sub(x, 1), add(x, 1))))

atanh_p = unary_primitive("atanh", np.arctanh, template="np.arctanh({0})", costly=True)
atanh = unary_op(atanh_p)
ad.defscaled(atanh_p, lambda ans, x: sub(1, _square(x)), divisors=(0,))

abs_p = unary_primitive("abs", np.abs, NUMBER, template="np.abs({0})")
abs = unary_op(abs_p)  # noqa: A001 (lax name)


@abs_p.def_abstract_eval
def _abs_abstract_eval(x):
    check_kind("abs", x, NUMBER)
    if x.dtype.kind != "c":
        return x
    return core.ShapedArray(x.shape, np.empty((), x.dtype).real.dtype, x.weak_type)  # the modulus


# abs's JVP (real and complex operands) is in functrans.lax.complex_numbers, beside conj.


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
    check_kind("integer_pow", x, NUMBER if y >= 0 else FLOAT)
    return x


def integer_pow(x, y):
    """``x ** y`` for a Python integer ``y``."""
    return integer_pow_p.bind(x, y=int(y))


ad.defjvp(integer_pow_p, _integer_pow_jvp)
vmap.defvectorized(integer_pow_p)
lowering_rules.scalar_rules[integer_pow_p] = _integer_pow_lowering


# --- unary primitives without a derivative (piecewise constant, boolean, integer) -----------

sign_p = unary_primitive("sign", np.sign, NUMBER, template="np.sign({0})")
sign = unary_op(sign_p)
ad.defzero(sign_p)

floor_p = unary_primitive("floor", np.floor, REAL, template="np.floor({0})")
floor = unary_op(floor_p)
ad.defzero(floor_p)

ceil_p = unary_primitive("ceil", np.ceil, REAL, template="np.ceil({0})")
ceil = unary_op(ceil_p)
ad.defzero(ceil_p)

round_p = unary_primitive("round", np.round, REAL, template="np.rint({0})")
round = unary_op(round_p)  # noqa: A001 (lax name)
ad.defzero(round_p)

is_finite_p = unary_primitive("is_finite", np.isfinite, FLOAT, out_dtype=np.bool_,
                              template="np.isfinite({0})")
is_finite = unary_op(is_finite_p)
ad.defzero(is_finite_p)

not_p = unary_primitive("not", np.invert, INTEGRAL, template="np.invert({0})")
logical_not = unary_op(not_p)
ad.defzero(not_p)

stop_gradient_p = unary_primitive("stop_gradient", lambda x: x, ANY, template="{0}")
ad.defzero(stop_gradient_p)


def stop_gradient(x):
    """``x``, with a zero derivative: differentiation treats it as a constant (any pytree;
    leaves that are not floating point pass unchanged, as in JAX)."""
    return tree.map(lambda leaf: stop_gradient_p.bind(leaf)
                    if dtypes.is_inexact(core.get_aval(leaf).dtype) else leaf, x)


# --- binary arithmetic ----------------------------------------------------------------------

add_p, add = arithmetic.add_p, arithmetic.add
elementwise_rules(add_p, vmap.defbroadcasting, template="({0} + {1})")
ad.defscaled(add_p, 1, 1)
ad.transpose_rules[add_p] = lambda cotangent, x, y: [cotangent, cotangent]

sub_p = binary_primitive("sub", arithmetic.scalar_operator(np.subtract, operator.sub),
                         template="({0} - {1})")
sub = binary_op(sub_p)
ad.defscaled(sub_p, 1, -1)
ad.transpose_rules[sub_p] = lambda cotangent, x, y: [cotangent, neg(cotangent)]


def _mul_transpose(cotangent, x, y):
    x_linear, y_linear = type(x) is ad.UndefinedPrimal, type(y) is ad.UndefinedPrimal
    if x_linear and y_linear:
        raise TypeError("mul is not linear in both arguments at once")
    return [mul(cotangent, y), None] if x_linear else [None, mul(x, cotangent)]


mul_p, mul = arithmetic.mul_p, arithmetic.mul
elementwise_rules(mul_p, vmap.defbroadcasting, template="({0} * {1})")
ad.defscaled(mul_p, lambda ans, x, y: y, lambda ans, x, y: x)
ad.transpose_rules[mul_p] = _mul_transpose


def _div_transpose(cotangent, x, y):
    if ad.is_undefined(y):
        raise TypeError("div is linear in its numerator only")
    return [div(cotangent, y), None]


def _div_lowering(params, x, y, operand_avals):
    kind = operand_avals[0].dtype.kind
    if kind == "i":
        # As NumPy: the minimum integer divided by -1 wraps to itself (a machine division
        # would trap); division by zero gives 0 (the kernels' error_model is 'numpy').
        return f"(-{x} if {y} == -1 else {x} // {y})"
    if kind == "c":
        # numba raises ZeroDivisionError for a complex zero divisor; NumPy divides each
        # part by +0 (inf or nan parts).
        return f"(complex({x}.real / 0.0, {x}.imag / 0.0) if {y} == 0 else {x} / {y})"
    return f"({x} // {y})" if kind == "u" else f"({x} / {y})"


div_p, div = arithmetic.div_p, arithmetic.div
elementwise_rules(div_p, vmap.defbroadcasting)
ad.defscaled(div_p, lambda ans, x, y: y, lambda ans, x, y: neg(div(ans, y)), divisors=(0,))
ad.transpose_rules[div_p] = _div_transpose
lowering_rules.scalar_rules[div_p] = _div_lowering


def _safe_log(x):
    # log(x) where x > 0 (x != 0 for complex x); 0 elsewhere, where pow's derivative in the
    # exponent multiplies 0.
    positive = ne(x, 0) if core.get_aval(x).dtype.kind == "c" else gt(x, 0)
    return select(positive, log(select(positive, x, 1)), 0)


pow_p = binary_primitive("pow", np.power, FLOAT, template="({0} ** {1})", costly=True)
pow = binary_op(pow_p)  # noqa: A001
ad.defjvp_with_output(pow_p,
                      lambda t, ans, x, y: mul(t, mul(y, pow(x, sub(y, 1)))),
                      lambda t, ans, x, y: mul(t, mul(ans, _safe_log(x))))


def _max_share(x, y):
    """1 where x wins, 0 where y wins, 1/2 at ties (the symmetric subgradient)."""
    return select(gt(x, y), match_scalar(1, x),
                  select(eq(x, y), match_scalar(0.5, x), match_scalar(0, x)))


max_p = binary_primitive("max", np.maximum, ANY, template="np.maximum({0}, {1})")
max = binary_op(max_p)  # noqa: A001
ad.defjvp(max_p,
          lambda t, x, y: mul(t, _max_share(x, y)),
          lambda t, x, y: mul(t, _max_share(y, x)))

min_p = binary_primitive("min", np.minimum, ANY, template="np.minimum({0}, {1})")
min = binary_op(min_p)  # noqa: A001
ad.defjvp(min_p,
          lambda t, x, y: mul(t, _max_share(y, x)),
          lambda t, x, y: mul(t, _max_share(x, y)))

atan2_p = binary_primitive("atan2", np.arctan2, REAL, template="np.arctan2({0}, {1})",
                           costly=True)
atan2 = binary_op(atan2_p)
ad.defjvp(atan2_p,
          lambda t, x, y: mul(t, div(y, add(_square(x), _square(y)))),
          lambda t, x, y: mul(t, neg(div(x, add(_square(x), _square(y))))))

def _rem_lowering(params, x, y, operand_avals):
    dtype = operand_avals[0].dtype
    if dtype.kind == "i":
        return f"({x} * 0 if {y} == -1 else np.remainder({x}, {y}))"  # as _div_lowering
    if dtype.kind == "f":
        # A zero remainder has the divisor's sign in NumPy (numba's gives +0.0), and the
        # sign of a zero shows: arctan2(-0.0, -1.0) is -pi.
        zero = f"np.{dtype.name}(math.copysign(0.0, {y}))"
        return f"(np.remainder({x}, {y}) if np.remainder({x}, {y}) != 0 else {zero})"
    return f"np.remainder({x}, {y})"


rem_p = binary_primitive("rem", np.remainder, "iuf")
rem = binary_op(rem_p)
lowering_rules.scalar_rules[rem_p] = _rem_lowering
ad.defjvp(rem_p,
          lambda t, x, y: t,
          lambda t, x, y: mul(t, neg(floor(div(x, y)))))


# --- comparisons and bitwise operations: no derivative ------------------------------------

eq_p = binary_primitive("eq", np.equal, ANY, out_dtype=np.bool_, template="({0} == {1})")
ne_p = binary_primitive("ne", np.not_equal, ANY, out_dtype=np.bool_, template="({0} != {1})")
lt_p = binary_primitive("lt", np.less, ANY, out_dtype=np.bool_)
le_p = binary_primitive("le", np.less_equal, ANY, out_dtype=np.bool_)
gt_p = binary_primitive("gt", np.greater, ANY, out_dtype=np.bool_)
ge_p = binary_primitive("ge", np.greater_equal, ANY, out_dtype=np.bool_)
eq, ne, lt, le, gt, ge = map(binary_op, (eq_p, ne_p, lt_p, le_p, gt_p, ge_p))
for _comparison in (eq_p, ne_p, lt_p, le_p, gt_p, ge_p):
    ad.defzero(_comparison)


def _ordered_lowering(operator_text):
    """``x < y`` and the like; complex values in NumPy's lexicographic order (numba has none)."""
    strict = operator_text[0]

    def rule(params, x, y, operand_avals):
        if operand_avals[0].dtype.kind != "c":
            return f"({x} {operator_text} {y})"
        return (f"({x}.real {strict} {y}.real or "
                f"({x}.real == {y}.real and {x}.imag {operator_text} {y}.imag))")
    return rule


for _comparison, _operator in ((lt_p, "<"), (le_p, "<="), (gt_p, ">"), (ge_p, ">=")):
    lowering_rules.scalar_rules[_comparison] = _ordered_lowering(_operator)

and_p = binary_primitive("and", np.bitwise_and, INTEGRAL, template="({0} & {1})")
logical_and = binary_op(and_p, "logical_and")
ad.defzero(and_p)

or_p = binary_primitive("or", np.bitwise_or, INTEGRAL, template="({0} | {1})")
logical_or = binary_op(or_p, "logical_or")
ad.defzero(or_p)

xor_p = binary_primitive("xor", np.bitwise_xor, INTEGRAL, template="({0} ^ {1})")
logical_xor = binary_op(xor_p, "logical_xor")
ad.defzero(xor_p)


# --- select -------------------------------------------------------------------------------

select_p, select = arithmetic.select_p, arithmetic.select


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
    x = np.asarray(x)
    if x.dtype.kind == "c" and new_dtype.kind != "c":
        x = x.real  # as JAX: complex to real keeps the real part (NumPy's astype warns)
    return x.astype(new_dtype)[()]


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
    if operand_avals[0].dtype.kind == "c" and dtype.kind != "c":
        x = f"{x}.real"
    return f"np.{dtype.name if dtype != np.bool_ else 'bool_'}({x})"


ad.jvp_rules[convert_element_type_p] = _convert_jvp
ad.transpose_rules[convert_element_type_p] = _convert_transpose
vmap.defvectorized(convert_element_type_p)
lowering_rules.scalar_rules[convert_element_type_p] = _convert_lowering
