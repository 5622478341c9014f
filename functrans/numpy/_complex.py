"""NumPy's functions of complex numbers: parts, conjugate, angle and the complex tests.

On real input they behave as NumPy's do: ``real`` is the input itself, ``imag`` is zeros
of its dtype, ``conj`` is the input. Derivatives follow JAX's conventions (see
:mod:`functrans.lax.complex_numbers`).
"""
import math

import numpy as np

from functrans import core, dtypes, lax
from functrans.errors import ConcretizationError, at_user_line
from functrans.numpy._dispatch import array_operand, is_eager
from functrans.numpy._promotion import aval, cast


def real(val):
    """NumPy's ``real``: the real part (the input itself when it is real).

    >>> real(np.array([1 + 2j, 3 - 4j]))
    array([1., 3.])
    """
    if is_eager(val):
        return np.real(val)
    val = array_operand(val)
    return lax.real(val) if aval(val).dtype.kind == "c" else val


def imag(val):
    """NumPy's ``imag``: the imaginary part (zeros of the input's dtype when it is real)."""
    if is_eager(val):
        return np.imag(val)
    val = array_operand(val)
    val_aval = aval(val)
    if val_aval.dtype.kind == "c":
        return lax.imag(val)
    return lax.full(val_aval.shape, 0, val_aval.dtype)


def conjugate(x, /):
    """NumPy's ``conjugate`` (``conj``): the complex conjugate, the input itself when real."""
    if is_eager(x):
        return np.conjugate(x)
    x = array_operand(x)
    return lax.conj(x) if aval(x).dtype.kind == "c" else x


conj = conjugate


def angle(z, deg=False):
    """NumPy's ``angle``: the argument of ``z`` in radians (degrees with ``deg=True``).

    >>> angle(np.array([1j, -1.0]))
    array([1.57079633, 3.14159265])
    """
    if is_eager(z):
        return np.angle(z, deg=deg)
    z = array_operand(z)
    z_aval = aval(z)
    if z_aval.dtype.kind == "c":
        result = lax.atan2(lax.imag(z), lax.real(z))
    else:
        z = cast(z, dtypes.ufunc_result_dtype(np.arctan2, z_aval.dtype, z_aval.dtype))
        result = lax.atan2(lax.full(z_aval.shape, 0, aval(z).dtype), z)
    return lax.mul(result, 180 / math.pi) if deg else result


def iscomplexobj(x):
    """NumPy's ``iscomplexobj``: whether ``x``'s dtype is complex (a Python bool)."""
    if isinstance(x, core.Tracer):
        return x.aval.dtype.kind == "c"
    return np.iscomplexobj(x)


def isrealobj(x):
    """NumPy's ``isrealobj``: whether ``x``'s dtype is not complex (a Python bool)."""
    return not iscomplexobj(x)


def iscomplex(x):
    """NumPy's ``iscomplex``: elementwise, whether the imaginary part is nonzero."""
    if is_eager(x):
        return np.iscomplex(x)
    x = array_operand(x)
    x_aval = aval(x)
    if x_aval.dtype.kind != "c":
        return lax.full(x_aval.shape, False, np.bool_)
    return lax.ne(lax.imag(x), 0)


def isreal(x):
    """NumPy's ``isreal``: elementwise, whether the imaginary part is zero."""
    if is_eager(x):
        return np.isreal(x)
    x = array_operand(x)
    x_aval = aval(x)
    if x_aval.dtype.kind != "c":
        return lax.full(x_aval.shape, True, np.bool_)
    return lax.eq(lax.imag(x), 0)


def real_if_close(a, tol=100):
    """NumPy's ``real_if_close``: the real part if every imaginary part is within ``tol``
    machine epsilons of zero, else ``a`` unchanged.

    Its result's dtype depends on the values, so under ``jit`` (where they are unknown) it
    is an error; under ``grad``/``jvp``/``vmap`` of concrete values it decides from them.
    """
    if is_eager(a):
        return np.real_if_close(a, tol=tol)
    a = array_operand(a)
    if aval(a).dtype.kind != "c":
        return a
    try:
        value = a.concrete_value()  # a choice by value, as a branch: no derivative is lost
    except ConcretizationError:
        raise TypeError(at_user_line(
            "real_if_close returns a real or a complex array depending on the values, which "
            "are not known under jit or vmap; use real(a) (or keep a complex) explicitly")
        ) from None
    if np.isrealobj(np.real_if_close(value, tol=tol)):
        return lax.real(a)
    return a
