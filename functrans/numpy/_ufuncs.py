"""Elementwise functions with NumPy's names, dtypes and broadcasting.

Each function calls the NumPy ufunc of the same name when it can (see
``_dispatch``); otherwise it promotes and broadcasts its operands and binds
primitives. The result dtype is whatever NumPy's ufunc gives for the input
dtypes (``dtypes.ufunc_result_dtype``), so ``sin(int8)`` is float16 and
``true_divide(int, int)`` is float64 both ways.

Python scalars stay weak in binary functions (``float32_array * 2.0`` is
float32). A unary function of a Python scalar returns a 0-d array, strongly
typed, as NumPy's does.
"""
import math

import numpy as np

from functrans import core, dtypes, lax
from functrans.numpy._dispatch import Tracer, EVAL_TRACE, trace_state, array_operand, operand
from functrans.numpy._promotion import (
    aval, broadcast_shapes, broadcast_to_shape, cast, materialize, promote_and_broadcast,
    promoted_dtype,
)


def _unary(numpy_ufunc, traced):
    """A function that is ``numpy_ufunc`` on concrete values and ``traced`` otherwise."""

    def function(x, /):
        if trace_state.trace is EVAL_TRACE and not isinstance(x, Tracer):
            return numpy_ufunc(x)
        return traced(array_operand(x))

    function.__name__ = function.__qualname__ = numpy_ufunc.__name__
    function.__doc__ = f"NumPy's ``{numpy_ufunc.__name__}``, traceable."
    return function


def _binary(numpy_ufunc, traced, compute_in_output_dtype=True):
    """Like :func:`_unary`; ``traced(x, y, dtype, out_dtype, weak_type)`` gets operands
    converted to ``dtype`` and broadcast. ``out_dtype`` is NumPy's result dtype, and
    ``dtype`` is the same unless ``compute_in_output_dtype`` is false (comparisons and
    logical functions work on the promoted inputs and return booleans)."""
    name = numpy_ufunc.__name__

    def function(x, y, /):
        if (trace_state.trace is EVAL_TRACE and not isinstance(x, Tracer)
                and not isinstance(y, Tracer)):
            return numpy_ufunc(x, y)
        prepared = _float_operands(x, y)
        if prepared is not None:
            x, y, dtype, weak_type = prepared
            out_dtype = dtypes.ufunc_result_dtype(numpy_ufunc, dtype, dtype)
            return traced(x, y, out_dtype if compute_in_output_dtype else dtype, out_dtype,
                          weak_type)
        x, y = operand(x), operand(y)
        out_dtype, common_dtype = _binary_result_dtype(numpy_ufunc, x, y)
        dtype = out_dtype if compute_in_output_dtype else common_dtype
        (x, y), dtype, weak_type, _ = promote_and_broadcast(name, x, y, dtype=dtype)
        return traced(x, y, dtype, out_dtype, weak_type)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"NumPy's ``{name}``, traceable, with NumPy's broadcasting and promotion."
    return function


_PYTHON_REALS = (float, int)


def _float_operands(x, y):
    """``(x, y, dtype, weak_type)`` when the operands need no promotion or broadcasting —
    two float tracers of one shape and dtype, or a float tracer and a Python number (which
    takes the tracer's dtype, as NumPy 2 has it) — else None. The common case under a
    transform, worth skipping the general path for."""
    if isinstance(x, Tracer):
        x_aval = x.aval
        if x_aval.dtype.kind != "f":
            return None
        if isinstance(y, Tracer):
            y_aval = y.aval
            if y_aval.dtype != x_aval.dtype or y_aval.shape != x_aval.shape:
                return None
            return x, y, x_aval.dtype, x_aval.weak_type and y_aval.weak_type
        if type(y) in _PYTHON_REALS:
            return x, float(y), x_aval.dtype, x_aval.weak_type
        return None
    if type(x) in _PYTHON_REALS and isinstance(y, Tracer):
        y_aval = y.aval
        if y_aval.dtype.kind != "f":
            return None
        return float(x), y, y_aval.dtype, y_aval.weak_type
    return None


def _binary_result_dtype(numpy_ufunc, x, y):
    """``(NumPy's result dtype, the promoted input dtype)``. The ufunc sees each operand's own
    dtype, as NumPy's loop selection does (hypot(int8, uint8) is float16, not hypot of the
    promoted int16); a weak Python scalar takes the promoted dtype, as in NumPy 2."""
    x_aval, y_aval = aval(x), aval(y)
    common, _ = promoted_dtype(x, y)
    out_dtype = dtypes.ufunc_result_dtype(
        numpy_ufunc, common if x_aval.weak_type else x_aval.dtype,
        common if y_aval.weak_type else y_aval.dtype)
    return out_dtype, common


def _in_result_dtype(numpy_ufunc, x):
    """``x`` converted to the dtype NumPy's unary ``numpy_ufunc`` returns for it."""
    x_aval = aval(x)
    return cast(x, dtypes.ufunc_result_dtype(numpy_ufunc, x_aval.dtype), x_aval.weak_type)


# --- unary ----------------------------------------------------------------------------

def _float_unary(numpy_ufunc, lax_function):
    def traced(x):
        if isinstance(x, Tracer) and x.aval.dtype.kind == "f":
            return lax_function(x)  # NumPy's float ufuncs keep float dtypes
        return lax_function(_in_result_dtype(numpy_ufunc, x))
    return _unary(numpy_ufunc, traced)


sin = _float_unary(np.sin, lax.sin)
cos = _float_unary(np.cos, lax.cos)
tan = _float_unary(np.tan, lax.tan)
arcsin = _float_unary(np.arcsin, lax.asin)
arccos = _float_unary(np.arccos, lax.acos)
arctan = _float_unary(np.arctan, lax.atan)
sinh = _float_unary(np.sinh, lax.sinh)
cosh = _float_unary(np.cosh, lax.cosh)
tanh = _float_unary(np.tanh, lax.tanh)
arcsinh = _float_unary(np.arcsinh, lax.asinh)
arccosh = _float_unary(np.arccosh, lax.acosh)
arctanh = _float_unary(np.arctanh, lax.atanh)
exp = _float_unary(np.exp, lax.exp)
expm1 = _float_unary(np.expm1, lax.expm1)
log = _float_unary(np.log, lax.log)
log1p = _float_unary(np.log1p, lax.log1p)
sqrt = _float_unary(np.sqrt, lax.sqrt)
def _each_part(lax_function):
    """``lax_function`` of a real value, or of each part of a complex one (NumPy's rint)."""
    def function(x):
        if aval(x).dtype.kind == "c":
            return lax.complex(lax_function(lax.real(x)), lax_function(lax.imag(x)))
        return lax_function(x)
    return function


rint = _float_unary(np.rint, _each_part(lax.round))
exp2 = _float_unary(np.exp2, lambda x: lax.pow(2.0, x))
# Multiplying by a rounded constant can differ from NumPy's log2/log10 in the last bit.
log2 = _float_unary(np.log2, lambda x: lax.mul(lax.log(x), 1 / math.log(2)))
log10 = _float_unary(np.log10, lambda x: lax.mul(lax.log(x), 1 / math.log(10)))


def _keeps_integers(numpy_ufunc, lax_function):
    """floor/ceil/trunc: the identity on integers and booleans (NumPy keeps their dtype)."""
    return _unary(numpy_ufunc, lambda x: x if aval(x).dtype.kind in "biu" else lax_function(x))


floor = _keeps_integers(np.floor, lax.floor)
ceil = _keeps_integers(np.ceil, lax.ceil)
trunc = _keeps_integers(
    np.trunc, lambda x: lax.select(lax.lt(x, 0), lax.ceil(x), lax.floor(x)))


def _negative(x):
    if aval(x).dtype == np.bool_:
        raise TypeError("The numpy boolean negative, the `-` operator, is not supported, "
                        "use the `~` operator or the logical_not function instead.")
    return lax.neg(x)


def _positive(x):
    dtypes.ufunc_result_dtype(np.positive, aval(x).dtype)  # raises NumPy's error for booleans
    return x


def _absolute(x):
    return x if aval(x).dtype == np.bool_ else lax.abs(x)


def _sign(x):
    dtypes.ufunc_result_dtype(np.sign, aval(x).dtype)
    return lax.sign(x)


def _square(x):
    x = _in_result_dtype(np.square, x)
    return lax.mul(x, x)


def _reciprocal(x):
    x = _in_result_dtype(np.reciprocal, x)
    if aval(x).dtype.kind in "fc":
        return lax.div(1, x)
    # NumPy's integer reciprocal truncates: 1 for 1, -1 for -1, 0 otherwise (x = 0 is undefined).
    return lax.select(lax.eq(lax.abs(x) if aval(x).dtype.kind == "i" else x, 1), x, 0)


def _to_bool(x):
    """``x != 0`` (NumPy's truth value of numbers), for logical functions and masks."""
    x_aval = aval(x)
    if x_aval.dtype == np.bool_:
        return x
    if type(x) in core.PYTHON_SCALAR_TYPES:
        return bool(x)
    return lax.ne(x, 0)


def _logical_not(x):
    return lax.logical_not(_to_bool(x))


def _invert(x):
    dtypes.ufunc_result_dtype(np.invert, aval(x).dtype)  # NumPy's TypeError for floats
    return lax.logical_not(x)


def _isfinite(x):
    x_aval = aval(x)
    if x_aval.dtype.kind in "fc":
        return lax.is_finite(x)
    return lax.full(x_aval.shape, True, np.bool_)


def _isnan(x):
    x_aval = aval(x)
    if x_aval.dtype.kind in "fc":
        return lax.ne(x, x)
    return lax.full(x_aval.shape, False, np.bool_)


def _isinf(x):
    x_aval = aval(x)
    if x_aval.dtype.kind in "fc":
        return lax.eq(lax.abs(x), math.inf)
    return lax.full(x_aval.shape, False, np.bool_)


negative = _unary(np.negative, _negative)
positive = _unary(np.positive, _positive)
absolute = _unary(np.absolute, _absolute)
abs = absolute  # noqa: A001 (NumPy's name)
sign = _unary(np.sign, _sign)
square = _unary(np.square, _square)
reciprocal = _unary(np.reciprocal, _reciprocal)
logical_not = _unary(np.logical_not, _logical_not)
invert = _unary(np.invert, _invert)
bitwise_not = invert
bitwise_invert = invert
isfinite = _unary(np.isfinite, _isfinite)
isnan = _unary(np.isnan, _isnan)
isinf = _unary(np.isinf, _isinf)


def _sinc(x):
    x_aval = aval(x)
    dtype = dtypes.ufunc_result_dtype(np.sinc, x_aval.dtype)
    x = materialize(x, dtype, x_aval.shape)
    is_zero = lax.eq(x, 0)
    one = lax.full(x_aval.shape, 1, dtype)
    # A safe argument keeps the unused branch finite, so derivatives at 0 are not NaN.
    scaled = lax.mul(lax.select(is_zero, one, x), math.pi)
    return lax.select(is_zero, one, lax.div(lax.sin(scaled), scaled))


sinc = _unary(np.sinc, _sinc)


# --- binary ---------------------------------------------------------------------------

def _plain(lax_function):
    """The primitive itself, on operands already in the computing dtype."""
    return lambda x, y, dtype, out_dtype, weak_type: lax_function(x, y)


def _add(x, y, dtype, out_dtype, weak_type):
    return lax.logical_or(x, y) if dtype == np.bool_ else lax.add(x, y)


def _floor_divide(x, y, dtype, out_dtype, weak_type):
    if out_dtype.kind in "iu":
        return lax.div(x, y)
    # As NumPy: (x - x mod y) / y is (nearly) an integer; rounding it avoids floor(x / y)'s
    # error when x / y rounds up to an integer (floor_divide(1, 0.1) is 9, not 10).
    quotient = lax.round(lax.div(lax.sub(x, lax.rem(x, y)), y))
    # Over an infinite y, x mod y is ±inf when a finite x has the other sign, and the
    # formula gives nan; NumPy's quotient is -1 (found by tests/test_fuzz.py).
    product = lax.mul(x, y)
    opposite = lax.lt(product, 0)
    if type(y) in core.PYTHON_SCALAR_TYPES:
        if y == 0:
            return lax.div(x, y)
        if not math.isinf(y):
            return quotient
        return lax.select(lax.logical_and(lax.is_finite(x), opposite), lax.sign(product),
                          quotient)
    if type(x) not in core.PYTHON_SCALAR_TYPES:
        opposite = lax.logical_and(lax.is_finite(x), opposite)
    if type(x) not in core.PYTHON_SCALAR_TYPES or math.isfinite(x):
        opposite_over_infinite = lax.logical_and(lax.eq(lax.abs(y), math.inf), opposite)
        quotient = lax.select(opposite_over_infinite, lax.sign(product), quotient)
    return lax.select(lax.eq(y, 0), lax.div(x, y), quotient)


def _power(x, y, dtype, out_dtype, weak_type):
    if out_dtype.kind in "fc":
        return lax.pow(x, y)
    if isinstance(y, (np.ndarray, np.generic)) and np.any(y < 0):
        raise ValueError("Integers to negative integer powers are not allowed.")
    x, y = (lax.convert_element_type(operand(v), out_dtype) for v in (x, y))
    return lax.convert_element_type(_integer_power(x, y), out_dtype, weak_type)


def _integer_power(x, y):
    """``x ** y`` of integers as NumPy computes it: by squaring, wrapping around on overflow
    (a float64 power loses digits beyond 2**53 and saturates on overflow). A negative
    exponent, which NumPy refuses for concrete values, gives the truncated quotient: 1 for
    x = 1, ±1 for x = -1, else 0."""
    shape = _common_shape(x, y)
    x, y = broadcast_to_shape(x, shape), broadcast_to_shape(y, shape)
    dtype = aval(x).dtype
    one, zero, two = (lax.full(shape, value, dtype) for value in (1, 0, 2))
    negative = lax.lt(y, zero)
    exponent = lax.select(negative, zero, y)

    def square_and_multiply(_, carry):
        result, base, remaining = carry
        odd = lax.eq(lax.rem(remaining, two), one)
        return (lax.select(odd, lax.mul(result, base), result), lax.mul(base, base),
                lax.div(remaining, two))
    result = lax.fori_loop(0, 8 * dtype.itemsize, square_and_multiply, (one, x, exponent))[0]
    if dtype.kind == "u":
        return result
    odd = lax.ne(lax.rem(y, two), zero)
    truncated = lax.select(lax.eq(x, one), one, lax.select(
        lax.eq(x, lax.neg(one)), lax.select(odd, lax.neg(one), one), zero))
    return lax.select(negative, truncated, result)


def _common_shape(x, y):
    """The shape of two operands already broadcast, except that one may be a Python scalar."""
    x_shape, y_shape = aval(x).shape, aval(y).shape
    return x_shape if len(x_shape) >= len(y_shape) else y_shape


def _logical(lax_function):
    return lambda x, y, dtype, out_dtype, weak_type: lax_function(_to_bool(x), _to_bool(y))


def _fmax_or_fmin(lax_function):
    """NaN-ignoring maximum/minimum: the other operand wherever one is NaN."""

    def traced(x, y, dtype, out_dtype, weak_type):
        if dtype.kind not in "fc":
            return lax_function(x, y)
        shape = _common_shape(x, y)
        x, y = materialize(x, dtype, shape, weak_type), materialize(y, dtype, shape, weak_type)
        return lax.select(lax.ne(x, x), y, lax.select(lax.ne(y, y), x, lax_function(x, y)))

    return traced


def _logaddexp(x, y, dtype, out_dtype, weak_type):
    shape = _common_shape(x, y)
    x, y = materialize(x, dtype, shape, weak_type), materialize(y, dtype, shape, weak_type)
    larger = lax.max(x, y)
    equal = lax.eq(x, y)
    # Where x == y (including equal infinities) the difference is NaN or 0; NumPy gives x + log 2.
    difference = lax.select(equal, lax.full(shape, 0, dtype), lax.sub(x, y))
    spread = lax.log1p(lax.exp(lax.neg(lax.abs(difference))))
    return lax.select(equal, lax.add(x, math.log(2)), lax.add(larger, spread))


def _hypot(x, y, dtype, out_dtype, weak_type):
    shape = _common_shape(x, y)
    x = lax.abs(materialize(x, dtype, shape, weak_type))
    y = lax.abs(materialize(y, dtype, shape, weak_type))
    larger, smaller = lax.max(x, y), lax.min(x, y)
    # Scaling by the larger magnitude keeps the squares from overflowing.
    safe_larger = lax.select(lax.eq(larger, 0), lax.full(shape, 1, dtype), larger)
    ratio = lax.div(smaller, safe_larger)
    scaled = lax.mul(larger, lax.sqrt(lax.add(lax.mul(ratio, ratio), 1)))
    infinite = lax.logical_or(lax.eq(x, math.inf), lax.eq(y, math.inf))
    return lax.select(infinite, lax.full(shape, math.inf, dtype), scaled)


add = _binary(np.add, _add)
subtract = _binary(np.subtract, _plain(lax.sub))  # booleans: NumPy's TypeError, from the dtype rule
multiply = _binary(np.multiply, _plain(lax.mul))
divide = _binary(np.divide, _plain(lax.div))
true_divide = divide
floor_divide = _binary(np.floor_divide, _floor_divide)
remainder = _binary(np.remainder, _plain(lax.rem))
mod = remainder
maximum = _binary(np.maximum, _plain(lax.max))
minimum = _binary(np.minimum, _plain(lax.min))
fmax = _binary(np.fmax, _fmax_or_fmin(lax.max))
fmin = _binary(np.fmin, _fmax_or_fmin(lax.min))
arctan2 = _binary(np.arctan2, _plain(lax.atan2))
logaddexp = _binary(np.logaddexp, _logaddexp)
hypot = _binary(np.hypot, _hypot)
equal = _binary(np.equal, _plain(lax.eq), compute_in_output_dtype=False)
not_equal = _binary(np.not_equal, _plain(lax.ne), compute_in_output_dtype=False)
less = _binary(np.less, _plain(lax.lt), compute_in_output_dtype=False)
less_equal = _binary(np.less_equal, _plain(lax.le), compute_in_output_dtype=False)
greater = _binary(np.greater, _plain(lax.gt), compute_in_output_dtype=False)
greater_equal = _binary(np.greater_equal, _plain(lax.ge), compute_in_output_dtype=False)
logical_and = _binary(np.logical_and, _logical(lax.logical_and), compute_in_output_dtype=False)
logical_or = _binary(np.logical_or, _logical(lax.logical_or), compute_in_output_dtype=False)
logical_xor = _binary(np.logical_xor, _logical(lax.logical_xor), compute_in_output_dtype=False)
bitwise_and = _binary(np.bitwise_and, _plain(lax.logical_and))
bitwise_or = _binary(np.bitwise_or, _plain(lax.logical_or))
bitwise_xor = _binary(np.bitwise_xor, _plain(lax.logical_xor))
_general_power = _binary(np.power, _power)


def power(x, y, /):
    """NumPy's ``power``; a Python ``int`` exponent becomes the ``integer_pow`` primitive.

    >>> import functrans
    >>> print(functrans.make_jaxpr(lambda x: power(x, 3))(np.float32(2)))
    { lambda ; a:f32[]. let
        b:f32[] = integer_pow[y=3] a
      in (b,) }
    """
    if trace_state.trace is EVAL_TRACE and not isinstance(x, Tracer) and not isinstance(y, Tracer):
        return np.power(x, y)
    if type(y) is not int:
        return _general_power(x, y)
    x = operand(x)
    dtype, weak_type = promoted_dtype(x, y)
    if dtype.kind in "iu" and y < 0:
        raise ValueError("Integers to negative integer powers are not allowed.")
    return lax.integer_pow(cast(x, dtype, weak_type), y)


pow = power  # noqa: A001 (NumPy's name)


def where(condition, x=None, y=None, /):
    """NumPy's ``where``: ``x`` where ``condition`` holds, else ``y``, broadcast together.

    The one-argument form (``nonzero``) needs a concrete condition: its result's
    shape depends on the values.
    """
    if x is None and y is None:
        if isinstance(condition, Tracer):
            raise TypeError(
                "where(condition) with one argument returns indices whose number depends on "
                "the traced values, so it cannot be traced; use where(condition, x, y)")
        return np.nonzero(condition)
    if x is None or y is None:
        raise ValueError("either both or neither of x and y should be given")
    if (trace_state.trace is EVAL_TRACE and not isinstance(condition, Tracer)
            and not isinstance(x, Tracer) and not isinstance(y, Tracer)):
        return np.where(condition, x, y)
    condition, x, y = operand(condition), operand(x), operand(y)
    dtype, weak_type = promoted_dtype(x, y)
    shape = broadcast_shapes("where", aval(condition).shape, aval(x).shape, aval(y).shape)
    condition = materialize(_to_bool(condition), np.dtype(np.bool_), shape)
    return lax.select(condition, materialize(x, dtype, shape, weak_type),
                      materialize(y, dtype, shape, weak_type))


def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None):  # noqa: A002 (NumPy's names)
    """NumPy's ``clip``: ``minimum(maximum(a, a_min), a_max)``; either bound may be None,
    given positionally, as ``a_min``/``a_max`` or as ``min``/``max`` (not both spellings)."""
    if out is not None:
        raise TypeError("functrans.numpy functions return new arrays; the out= argument is not "
                        "supported")
    if (min is not None and a_min is not None) or (max is not None and a_max is not None):
        raise ValueError("clip: pass each bound once, as a_min/a_max or as min/max, not both")
    a_min = a_min if min is None else min
    a_max = a_max if max is None else max
    if trace_state.trace is EVAL_TRACE and not any(
            isinstance(v, Tracer) for v in (a, a_min, a_max)):
        return np.clip(a, a_min, a_max)
    result = operand(a)
    if a_min is not None:
        result = maximum(result, a_min)
    if a_max is not None:
        result = minimum(result, a_max)
    return result


def round(a, decimals=0):  # noqa: A001 (NumPy's name)
    """NumPy's ``round`` (halves to even), by scaling with ``10 ** decimals`` as NumPy does."""
    if trace_state.trace is EVAL_TRACE and not isinstance(a, Tracer):
        return np.round(a, decimals)
    a = array_operand(a)
    a_aval = aval(a)
    if a_aval.dtype == np.bool_:
        # NumPy rounds booleans as float16 (rint's dtype for them); 0 and 1 are already round.
        return cast(a, dtypes.ufunc_result_dtype(np.rint, a_aval.dtype))
    if a_aval.dtype.kind in "iu":
        if decimals >= 0:
            return a
        as_float = round(cast(a, np.dtype(np.float64)), decimals)
        return lax.convert_element_type(as_float, a_aval.dtype, a_aval.weak_type)
    if a_aval.dtype.kind == "c":  # NumPy rounds each part
        return lax.complex(round(lax.real(a), decimals), round(lax.imag(a), decimals))
    if decimals == 0:
        return lax.round(a)
    if decimals > 0:
        scale = 10.0 ** decimals
        return lax.div(lax.round(lax.mul(a, scale)), scale)
    scale = 10.0 ** -decimals
    return lax.mul(lax.round(lax.div(a, scale)), scale)


around = round
