"""Creating arrays: asarray, zeros, ones, full, *_like, eye, arange, linspace.

With concrete arguments these return plain NumPy arrays, even under a
transform (a constant is a constant). Only a traced argument, e.g. the array
given to ``zeros_like`` or a traced ``linspace`` bound, makes them bind primitives.
"""
import numpy as np

from functrans import core, lax
from functrans.errors import ConcretizationError
from functrans.numpy._dispatch import Tracer, array_operand, contains_tracer, static_shape
from functrans.numpy import _ufuncs
from functrans.numpy._promotion import aval, broadcast_to_shape, cast, promoted_dtype
from functrans.numpy._shapes import concatenate, moveaxis, stack

float_ = np.float64


def asarray(a, dtype=None, order=None, copy=None):
    """NumPy's ``asarray``; tracers pass through (converted to ``dtype`` if given), and
    lists holding tracers are stacked."""
    if isinstance(a, Tracer):
        return a if dtype is None else cast(a, np.dtype(dtype))
    if isinstance(a, (list, tuple)) and contains_tracer(a):
        return stack([asarray(item) for item in a], dtype=dtype)
    return np.asarray(a, dtype=dtype, order=order, copy=copy)


def array(object, dtype=None, copy=True, ndmin=0):  # noqa: A002 (NumPy's name)
    """NumPy's ``array``; tracers and lists holding tracers as in :func:`asarray`."""
    if isinstance(object, Tracer) or contains_tracer(object):
        result = asarray(object, dtype)
        missing = ndmin - aval(result).ndim
        if missing > 0:
            result = lax.reshape(result, (1,) * missing + aval(result).shape)
        return result
    return np.array(object, dtype=dtype, copy=copy, ndmin=ndmin)


def zeros(shape, dtype=float_):
    return np.zeros(static_shape(shape, "zeros"), dtype)


def ones(shape, dtype=float_):
    return np.ones(static_shape(shape, "ones"), dtype)


def empty(shape, dtype=float_):
    return np.empty(static_shape(shape, "empty"), dtype)


def full(shape, fill_value, dtype=None):
    """NumPy's ``full``; a traced ``fill_value`` is broadcast to ``shape``."""
    static_shape(shape, "full")
    if not isinstance(fill_value, Tracer):
        return np.full(shape, fill_value, dtype)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    fill_value = fill_value if dtype is None else cast(fill_value, np.dtype(dtype))
    return broadcast_to_shape(fill_value, shape)


def _like(numpy_function, fill):
    def function(a, dtype=None, shape=None):
        if not isinstance(a, Tracer):
            return numpy_function(a, dtype=dtype, shape=shape)
        a_aval = a.aval
        shape = a_aval.shape if shape is None else (
            (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape))
        return lax.full(shape, fill, a_aval.dtype if dtype is None else np.dtype(dtype))

    function.__name__ = function.__qualname__ = numpy_function.__name__
    function.__doc__ = (f"NumPy's ``{numpy_function.__name__}``; for a tracer, an array of its "
                        "shape and dtype built with primitives.")
    return function


zeros_like = _like(np.zeros_like, 0)
ones_like = _like(np.ones_like, 1)
# Traced "empty" arrays are zeros: a transform has no uninitialised memory to offer.
empty_like = _like(np.empty_like, 0)


def full_like(a, fill_value, dtype=None, shape=None):
    """NumPy's ``full_like``; traced ``a`` or ``fill_value`` bind primitives."""
    if not isinstance(a, Tracer) and not isinstance(fill_value, Tracer):
        return np.full_like(a, fill_value, dtype=dtype, shape=shape)
    a_aval = core.get_aval(array_operand(a))
    shape = a_aval.shape if shape is None else (
        (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape))
    dtype = a_aval.dtype if dtype is None else np.dtype(dtype)
    if isinstance(fill_value, Tracer):
        return broadcast_to_shape(cast(fill_value, dtype), shape)
    return lax.full(shape, fill_value, dtype)


def eye(N, M=None, k=0, dtype=float_):  # noqa: N803 (NumPy's parameter names)
    return np.eye(N, M, k, dtype)


def identity(n, dtype=float_):
    return np.identity(n, dtype)


def _concrete(function_name, *values):
    for value in values:
        if isinstance(value, Tracer):
            raise ConcretizationError(
                f"{function_name}: the arguments decide the shape of the result, so they "
                "must be concrete. " + core.concretization_message(value))


def arange(start, stop=None, step=None, dtype=None):
    """NumPy's ``arange``; its arguments must be concrete (they decide the shape)."""
    _concrete("arange", start, stop, step)
    return np.arange(start, stop, step, dtype=dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """NumPy's ``linspace``; ``start`` and ``stop`` may be traced, ``num`` may not."""
    if not isinstance(start, Tracer) and not isinstance(stop, Tracer):
        return np.linspace(start, stop, num, endpoint, retstep, dtype, axis)
    _concrete("linspace", num)
    num = int(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    start, stop = array_operand(start), array_operand(stop)
    compute_dtype = promoted_dtype(start, stop, float(num))[0]
    start, stop = cast(start, compute_dtype), cast(stop, compute_dtype)
    delta = _ufuncs.subtract(stop, start)
    divisions = num - 1 if endpoint else num
    counts = np.arange(num, dtype=compute_dtype).reshape((num,) + (1,) * aval(delta).ndim)
    step = _ufuncs.divide(delta, divisions) if divisions > 0 else None
    samples = _ufuncs.add(_ufuncs.multiply(counts, delta if step is None else step), start)
    if endpoint and num > 1:
        last_shape = (1,) + aval(samples).shape[1:]
        samples = concatenate([samples[:-1], broadcast_to_shape(stop, last_shape)], 0)
    if axis != 0:
        samples = moveaxis(samples, 0, axis)
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind in "iu":
            samples = _ufuncs.floor(samples)
        samples = cast(samples, dtype)
    if retstep:
        return samples, step if step is not None else np.nan
    return samples
