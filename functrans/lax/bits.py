"""Bit-level elementwise primitives: integer shifts, and the parts and neighbours of floats.

``shift_left`` and ``shift_right`` are NumPy's ``left_shift`` and ``right_shift`` (the
right shift is arithmetic for signed integers, logical for unsigned ones), with NumPy's
answer for any count: a count outside ``[0, bit width)`` (negative ones included) shifts
every bit out, leaving 0, or -1 for a negative number shifted right. A machine shift by
such a count is undefined, so the numba templates test the count first.

``frexp_mantissa`` and ``frexp_exponent`` are the two outputs of NumPy's ``frexp`` (two
primitives, so each fuses into the loop that reads it); ``nextafter`` is NumPy's. Their
numba templates call ``math.frexp`` and ``np.nextafter``, which give NumPy's results for
zeros, subnormals, infinities and NaN.

Every other bit-level function of ``functrans.numpy`` (``bitwise_count``, ``packbits``,
``unpackbits``, ``spacing``, ``ldexp``) is composed from these and the arithmetic primitives.
"""
import numpy as np

from functrans import core
from functrans.lax.elementwise import (
    REAL, binary_op, binary_primitive, convert_element_type, match_scalar, neg, pow, unary_op,
    unary_primitive)
from functrans.lowering import rules as lowering_rules
from functrans.lowering.codegen import literal_expression
from functrans.transforms import ad

_INTEGERS = "iu"


def _count_in_range(count, aval):
    """The expression ``0 <= count < bit width`` for shift counts of ``aval``'s dtype."""
    width = literal_expression(aval.dtype.itemsize * 8, aval.dtype)
    if aval.dtype.kind == "u":
        return f"{count} < {width}"
    return f"{literal_expression(0, aval.dtype)} <= {count} < {width}"


def _shift_left_lowering(params, x, count, operand_avals):
    aval = operand_avals[0]
    return (f"(({x} << {count}) if {_count_in_range(count, aval)} "
            f"else {literal_expression(0, aval.dtype)})")


def _shift_right_lowering(params, x, count, operand_avals):
    aval = operand_avals[0]
    zero = literal_expression(0, aval.dtype)
    shifted_out = zero if aval.dtype.kind == "u" else (
        f"({literal_expression(-1, aval.dtype)} if {x} < {zero} else {zero})")
    return f"(({x} >> {count}) if {_count_in_range(count, aval)} else {shifted_out})"


shift_left_p = binary_primitive("shift_left", np.left_shift, _INTEGERS)
shift_left = binary_op(shift_left_p)
shift_left.__doc__ = ("``x << count`` elementwise (NumPy's ``left_shift``): 0 for a count "
                      "outside [0, bit width).")
lowering_rules.scalar_rules[shift_left_p] = _shift_left_lowering
ad.defzero(shift_left_p)

shift_right_p = binary_primitive("shift_right", np.right_shift, _INTEGERS)
shift_right = binary_op(shift_right_p)
shift_right.__doc__ = ("``x >> count`` elementwise (NumPy's ``right_shift``: arithmetic for "
                       "signed, logical for unsigned x); 0, or -1 for negative x, for a count "
                       "outside [0, bit width).")
lowering_rules.scalar_rules[shift_right_p] = _shift_right_lowering
ad.defzero(shift_right_p)


def _frexp_mantissa_impl(x):
    return np.frexp(x)[0]


def _frexp_exponent_impl(x):
    return np.frexp(x)[1]


frexp_exponent_p = unary_primitive("frexp_exponent", _frexp_exponent_impl, REAL,
                                   out_dtype=np.int32, template="math.frexp({0})[1]")
frexp_exponent = unary_op(frexp_exponent_p)
frexp_exponent.__doc__ = ("The exponent of NumPy's ``frexp``, as int32 (0 for 0, infinities "
                          "and NaN).")
ad.defzero(frexp_exponent_p)

frexp_mantissa_p = unary_primitive("frexp_mantissa", _frexp_mantissa_impl, REAL,
                                   template="math.frexp({0})[0]")
frexp_mantissa = unary_op(frexp_mantissa_p)
frexp_mantissa.__doc__ = ("The mantissa of NumPy's ``frexp``: ``m`` with ``x = m * 2**e`` and "
                          "``0.5 <= |m| < 1`` (``x`` itself for 0, infinities and NaN).")


def _two_to_minus_exponent(ans, x):
    exponent = convert_element_type(neg(frexp_exponent(x)), core.get_aval(x).dtype)
    return pow(match_scalar(2.0, x), exponent)


# As in JAX: the mantissa is x * 2**-e, with the exponent e piecewise constant.
ad.defscaled(frexp_mantissa_p, _two_to_minus_exponent)

nextafter_p = binary_primitive("nextafter", np.nextafter, REAL,
                               template="np.nextafter({0}, {1})")
nextafter = binary_op(nextafter_p)
nextafter.__doc__ = "The next float after ``x`` towards ``y`` (NumPy's ``nextafter``)."
ad.defzero(nextafter_p)

