"""NumPy's functions of a float's representation: ``frexp``, ``ldexp``, ``nextafter``,
``spacing``.

``frexp`` and ``nextafter`` are primitives (functrans.lax.bits); ``spacing`` is a step
with ``nextafter``, and ``ldexp`` multiplies by powers of two, each exactly representable,
in at most three steps arranged so that only the last one rounds (as C libraries do), so
``ldexp(*frexp(x)) == x`` for every float, subnormals included. Derivatives are JAX's: the
mantissa's is ``2**-exponent``, ``ldexp``'s ``2**x2``, and ``nextafter``'s and
``spacing``'s are zero.
"""
import math

import numpy as np

from functrans import lax
from functrans.numpy._dispatch import array_operand, operand
from functrans.numpy._eager import numpy_when_eager
from functrans.numpy._elementwise_compositions import ufunc_dtype
from functrans.numpy._promotion import aval
from functrans.numpy._shapes import broadcast_arrays
from functrans.numpy._ufuncs import _binary, _float_unary, _plain, less, maximum, minimum, where

nextafter = _binary(np.nextafter, _plain(lax.nextafter))


def _spacing(x):
    shape, dtype = aval(x).shape, aval(x).dtype
    infinity = lax.full(shape, math.inf, dtype)
    # Away from zero by one step; a zero of either sign steps up (NumPy's spacing(-0.0) > 0).
    neighbour = lax.nextafter(x, lax.select(lax.lt(x, lax.full(shape, 0, dtype)),
                                            lax.neg(infinity), infinity))
    # Infinities give NumPy's NaN, a positive one (inf - inf is a negative NaN on x86).
    step = lax.select(lax.eq(lax.abs(x), infinity), lax.full(shape, math.nan, dtype),
                      lax.sub(neighbour, x))
    return lax.stop_gradient(step)  # piecewise constant: JAX's zero derivative


spacing = _float_unary(np.spacing, _spacing)
spacing.__doc__ = ("NumPy's ``spacing``: the distance from ``x`` to the next float away from "
                   "zero (negative for negative ``x``), traceable.")


@numpy_when_eager(np.frexp)
def frexp(x, /):
    """NumPy's ``frexp``: ``(mantissa, exponent)`` with ``x = mantissa * 2**exponent``,
    ``0.5 <= |mantissa| < 1``, the exponent int32 (both 0 or ``x`` itself for 0, infinities
    and NaN).

    >>> import functrans.numpy as fnp
    >>> fnp.frexp(fnp.array([8.0, -0.75]))
    (array([ 0.5 , -0.75]), array([4, 0], dtype=int32))
    """
    x = array_operand(x)
    dtype = aval(x).dtype
    if dtype.kind not in "biuf":
        raise TypeError(f"frexp takes real numbers, got {dtype}")
    x = x.astype(np.frexp(np.ones((), dtype))[0].dtype)
    return lax.frexp_mantissa(x), lax.frexp_exponent(x)


def _exponent_limits(dtype):
    """``(emin, emax, digits)``: the smallest and largest normal exponents of ``dtype``
    (2**emin the smallest normal float) and its mantissa's bits (the hidden one included)."""
    info = np.finfo(dtype)
    return info.minexp, info.maxexp - 1, info.nmant + 1


@numpy_when_eager(np.ldexp)
def ldexp(x1, x2, /):
    """NumPy's ``ldexp``: ``x1 * 2**x2`` for integer ``x2``, rounded once (exact unless
    the result is subnormal, overflows or underflows).

    >>> import functrans.numpy as fnp
    >>> float(fnp.ldexp(fnp.float64(0.75), -1075 + 2))
    1e-323
    """
    x2 = operand(x2)
    if aval(x2).dtype.kind not in "biu":
        raise TypeError("ldexp: the exponent x2 must be an integer array")
    x1 = array_operand(x1)
    dtype = ufunc_dtype(np.ldexp, x1, np.asarray(0, aval(x2).dtype))
    emin, emax, digits = _exponent_limits(dtype)
    # Beyond this, every finite nonzero x1 over- or underflows: the clamp keeps int64 exact.
    reach = emax - emin + digits + 2
    x1, n = broadcast_arrays(x1.astype(dtype), array_operand(x2).astype(np.int64))
    n = minimum(maximum(n, -reach), reach)
    y = x1
    # Up: at most two steps of 2**emax (exact: no rounding until the result overflows).
    for last in (False, True):
        big = n > emax
        y = y * where(big, _power_of_two(emax, dtype), _power_of_two(0, dtype))
        n = where(big, minimum(n - emax, emax) if last else n - emax, n)
    # Down: steps of 2**(emin + digits) keep y normal, so that only the last step rounds.
    down = emin + digits
    for last in (False, True):
        small = less(n, emin)
        y = y * where(small, _power_of_two(down, dtype), _power_of_two(0, dtype))
        n = where(small, maximum(n - down, emin) if last else n - down, n)
    return y * _exact_power_of_two(n, dtype)


def _power_of_two(exponent, dtype):
    return np.asarray(2.0 ** exponent, dtype)


def _exact_power_of_two(n, dtype):
    """``2**n`` in ``dtype`` for integers ``n`` of its normal range (exact: a power of two is
    representable, and pow is exact where the result is)."""
    return lax.pow(lax.full(aval(n).shape, 2.0, dtype), lax.convert_element_type(n, dtype))
