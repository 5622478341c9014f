"""Elementwise functions NumPy has as ufuncs and functrans builds from others: angle
conversions, nan_to_num, logaddexp2, copysign, heaviside, fmod, cbrt, ...

Each gives NumPy's result dtype for its input dtypes (``deg2rad(int8)`` is float16, as
NumPy's loop selection has it) and calls NumPy itself on concrete inputs.
"""
import math

import numpy as np

from functrans import dtypes
from functrans.lax import special as lax_special
from functrans.numpy._dispatch import array_operand
from functrans.numpy._eager import numpy_when_eager
from functrans.numpy._promotion import aval, promoted_dtype
from functrans.numpy._ufuncs import (
    abs as abs_, add, arctan2, equal, exp2, floor_divide, greater, isinf, isnan, less, log1p,
    logical_and, logical_or, maximum, multiply, not_equal, power, remainder, subtract, where,
)


def ufunc_dtype(numpy_ufunc, *operands):
    """The dtype NumPy's ``numpy_ufunc`` returns for ``operands`` (Python scalars weak)."""
    common, _ = promoted_dtype(*operands)
    return dtypes.ufunc_result_dtype(
        numpy_ufunc, *[common if aval(x).weak_type else aval(x).dtype for x in operands])


def _in_dtype(numpy_ufunc, *operands):
    """``operands`` as arrays of the dtype ``numpy_ufunc`` computes in for them."""
    operands = [array_operand(x) for x in operands]
    dtype = ufunc_dtype(numpy_ufunc, *operands)
    return [x.astype(dtype) for x in operands]


@numpy_when_eager(np.deg2rad)
def deg2rad(x, /):
    """NumPy's ``deg2rad``: ``x * (pi / 180)``."""
    (x,) = _in_dtype(np.deg2rad, x)
    return multiply(x, math.pi / 180)


@numpy_when_eager(np.rad2deg)
def rad2deg(x, /):
    """NumPy's ``rad2deg``: ``x * (180 / pi)``."""
    (x,) = _in_dtype(np.rad2deg, x)
    return multiply(x, 180 / math.pi)


@numpy_when_eager(np.radians)
def radians(x, /):
    """NumPy's ``radians``: the same as :func:`deg2rad`."""
    return deg2rad(x)


@numpy_when_eager(np.degrees)
def degrees(x, /):
    """NumPy's ``degrees``: the same as :func:`rad2deg`."""
    return rad2deg(x)


@numpy_when_eager(np.fabs)
def fabs(x, /):
    """NumPy's ``fabs``: the absolute value as a float (integers become float64)."""
    (x,) = _in_dtype(np.fabs, x)
    return abs_(x)


@numpy_when_eager(np.nan_to_num)
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NumPy's ``nan_to_num``: NaN becomes ``nan``, infinities the largest finite values
    (or ``posinf``/``neginf``); integers and booleans pass unchanged."""
    x = array_operand(x)
    dtype = aval(x).dtype
    if dtype.kind not in "fc":
        return x
    if dtype.kind == "c":
        raise NotImplementedError("nan_to_num of complex values: take the real and imaginary "
                                  "parts apart (functrans.numpy.real / imag)")
    info = np.finfo(dtype)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    x = where(isnan(x), np.asarray(nan, dtype), x)
    x = where(equal(x, math.inf), np.asarray(posinf, dtype), x)
    return where(equal(x, -math.inf), np.asarray(neginf, dtype), x)


@numpy_when_eager(np.logaddexp2)
def logaddexp2(x1, x2, /):
    """NumPy's ``logaddexp2``: ``log2(2**x1 + 2**x2)`` without overflow."""
    x1, x2 = _in_dtype(np.logaddexp2, x1, x2)
    larger = maximum(x1, x2)
    same = equal(x1, x2)
    # Where x1 == x2 (equal infinities too) the difference would be NaN; the answer is x1 + 1.
    difference = where(same, 0.0, subtract(x1, x2))
    spread = multiply(log1p(exp2(-abs_(difference))), 1 / math.log(2))
    return where(same, add(x1, 1.0), add(larger, spread))


@numpy_when_eager(np.signbit)
def signbit(x, /):
    """NumPy's ``signbit``: true for negative numbers and -0.0."""
    x = array_operand(x)
    if aval(x).dtype.kind not in "f":
        return less(x, 0)
    # atan2(-0.0, -1) is -pi and atan2(0.0, -1) is pi: the sign of zero without a division.
    negative_zero = logical_and(equal(x, 0), less(arctan2(x, np.asarray(-1, aval(x).dtype)), 0))
    return logical_or(less(x, 0), negative_zero)


@numpy_when_eager(np.copysign)
def copysign(x1, x2, /):
    """NumPy's ``copysign``: the magnitude of ``x1`` with the sign of ``x2``."""
    x1, x2 = _in_dtype(np.copysign, x1, x2)
    magnitude = abs_(x1)
    return where(signbit(x2), -magnitude, magnitude)


@numpy_when_eager(np.heaviside)
def heaviside(x1, x2, /):
    """NumPy's ``heaviside``: 0 below zero, 1 above, ``x2`` at zero, NaN at NaN."""
    x1, x2 = _in_dtype(np.heaviside, x1, x2)
    dtype = aval(x1).dtype
    step = where(less(x1, 0), np.asarray(0, dtype), where(greater(x1, 0), np.asarray(1, dtype), x2))
    return where(isnan(x1), x1, step)


@numpy_when_eager(np.float_power)
def float_power(x1, x2, /):
    """NumPy's ``float_power``: ``power`` computed in float64 (or complex128)."""
    x1, x2 = _in_dtype(np.float_power, x1, x2)
    return power(x1, x2)


@numpy_when_eager(np.cbrt)
def cbrt(x, /):
    """NumPy's ``cbrt``: the real cube root, negative for negative ``x``."""
    (x,) = _in_dtype(np.cbrt, x)
    root = power(abs_(x), 1 / 3)
    return where(less(x, 0), -root, root)


@numpy_when_eager(np.fmod)
def fmod(x1, x2, /):
    """NumPy's ``fmod``: C's remainder, with the sign of the dividend ``x1``."""
    x1, x2 = _in_dtype(np.fmod, x1, x2)
    modulo = remainder(x1, x2)  # Python's remainder has the sign of the divisor
    signs_differ = not_equal(less(modulo, 0), less(x1, 0))
    result = where(logical_and(not_equal(modulo, 0), signs_differ), subtract(modulo, x2), modulo)
    return where(equal(modulo, 0), multiply(x1, 0), result)  # a zero takes x1's sign, as in C


@numpy_when_eager(np.isposinf)
def isposinf(x):
    """NumPy's ``isposinf``."""
    x = array_operand(x)
    return logical_and(isinf(x), greater(x, 0))


@numpy_when_eager(np.isneginf)
def isneginf(x):
    """NumPy's ``isneginf``."""
    x = array_operand(x)
    return logical_and(isinf(x), less(x, 0))


@numpy_when_eager(np.divmod)
def divmod(x1, x2, /):  # noqa: A001 (NumPy's name)
    """NumPy's ``divmod``: ``(floor_divide(x1, x2), remainder(x1, x2))``."""
    return floor_divide(x1, x2), remainder(x1, x2)


@numpy_when_eager(np.modf)
def modf(x, /):
    """NumPy's ``modf``: ``(fractional part, integral part)``, both with ``x``'s sign."""
    from functrans.numpy._ufuncs import trunc
    x = array_operand(x)
    x = x.astype(np.modf(np.ones((), aval(x).dtype))[0].dtype)
    whole = trunc(x)
    fraction = where(isinf(x), multiply(copysign(0.0, x), 1), subtract(x, whole))
    return fraction, whole


def _integer_operands(name, x1, x2):
    from functrans.numpy._shapes import broadcast_arrays
    x1, x2 = array_operand(x1), array_operand(x2)
    dtype = ufunc_dtype(getattr(np, name), x1, x2)
    if dtype.kind not in "iu":
        raise TypeError(f"{name} is defined for integers, got {aval(x1).dtype} and "
                        f"{aval(x2).dtype}")
    return broadcast_arrays(x1.astype(dtype), x2.astype(dtype))


@numpy_when_eager(np.gcd)
def gcd(x1, x2, /):
    """NumPy's ``gcd``: Euclid's algorithm in a ``while_loop`` over all elements at once."""
    from functrans import lax
    from functrans.numpy._reductions import any as any_
    x1, x2 = _integer_operands("gcd", x1, x2)

    def remaining(state):
        return any_(not_equal(state[1], 0))

    def step(state):
        a, b = state
        nonzero = not_equal(b, 0)
        safe_b = where(nonzero, b, 1)
        return where(nonzero, b, a), where(nonzero, remainder(a, safe_b), 0)

    return lax.while_loop(remaining, step, (abs_(x1), abs_(x2)))[0]


@numpy_when_eager(np.lcm)
def lcm(x1, x2, /):
    """NumPy's ``lcm``: ``|x1 // gcd(x1, x2) * x2|`` (0 when either is 0)."""
    x1, x2 = _integer_operands("lcm", x1, x2)
    divisor = gcd(x1, x2)
    safe = where(equal(divisor, 0), 1, divisor)
    return abs_(multiply(floor_divide(x1, safe), x2))


@numpy_when_eager(np.i0)
def i0(x):
    """NumPy's ``i0``: the modified Bessel function of the first kind, order 0."""
    x = array_operand(x)
    dtype = np.i0(np.ones(1, aval(x).dtype)).dtype
    return lax_special.i0(x.astype(dtype))
