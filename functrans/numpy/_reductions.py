"""Reductions (sum, mean, var, max, argmax, all, ...) and cumulative sums and products.

The reduction primitives keep their input's dtype, so NumPy's promotions
happen here: sums and products of booleans and small integers accumulate in
the default integer, means and variances of integers are float64, and float16
means accumulate in float32.
"""
import builtins

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from functrans import lax
from functrans.numpy._dispatch import array_operand, is_eager
from functrans.numpy._promotion import aval, axes_tuple, cast

_INT64 = np.dtype(np.int64)
_UINT64 = np.dtype(np.uint64)
_FLOAT32 = np.dtype(np.float32)
_FLOAT64 = np.dtype(np.float64)


def _out_error():
    return TypeError("functrans.numpy functions return new arrays; the out= argument is not supported")


def _accumulating_dtype(dtype):
    """NumPy's dtype for sums and products: booleans and small integers widen to 64 bits."""
    if dtype.kind == "b" or (dtype.kind == "i" and dtype.itemsize < 8):
        return _INT64
    if dtype.kind == "u" and dtype.itemsize < 8:
        return _UINT64
    return dtype


def _keep_dims(result, axes, keepdims):
    return lax.expand_dims(result, axes) if keepdims and axes else result


def _reduce(a, axis, keepdims, dtype, reducer):
    """``reducer`` over ``axis`` of ``a`` converted to ``dtype``."""
    axes = axes_tuple(axis, aval(a).ndim)
    a = cast(a, dtype)
    result = reducer(a, axes) if axes else a
    return _keep_dims(result, axes, keepdims)


def sum(a, axis=None, dtype=None, out=None, keepdims=False):  # noqa: A001 (NumPy's name)
    """NumPy's ``sum``: booleans and small integers are summed as 64-bit integers."""
    if out is not None:
        raise _out_error()
    if is_eager(a):
        return np.sum(a, axis=axis, dtype=dtype, keepdims=keepdims)
    a = array_operand(a)
    dtype = _accumulating_dtype(aval(a).dtype) if dtype is None else np.dtype(dtype)
    return _reduce(a, axis, keepdims, dtype, lax.reduce_sum)


def prod(a, axis=None, dtype=None, out=None, keepdims=False):
    """NumPy's ``prod``, with the same integer widening as :func:`sum`."""
    if out is not None:
        raise _out_error()
    if is_eager(a):
        return np.prod(a, axis=axis, dtype=dtype, keepdims=keepdims)
    a = array_operand(a)
    dtype = _accumulating_dtype(aval(a).dtype) if dtype is None else np.dtype(dtype)
    return _reduce(a, axis, keepdims, dtype, lax.reduce_prod)


def _count(shape, axes):
    return int(np.prod([shape[axis] for axis in axes], dtype=np.int64))


def _mean_dtypes(a_dtype, dtype):
    """``(accumulate in, result)`` dtypes of a mean, as NumPy picks them."""
    if dtype is not None:
        dtype = np.dtype(dtype)
        return dtype, dtype
    if a_dtype.kind in "biu":
        return _FLOAT64, _FLOAT64
    if a_dtype == np.float16:
        return _FLOAT32, a_dtype
    return a_dtype, a_dtype


def mean(a, axis=None, dtype=None, out=None, keepdims=False):
    """NumPy's ``mean``: float64 for integers; float16 accumulates in float32."""
    if out is not None:
        raise _out_error()
    if is_eager(a):
        return np.mean(a, axis=axis, dtype=dtype, keepdims=keepdims)
    a = array_operand(a)
    a_aval = aval(a)
    accumulate_dtype, result_dtype = _mean_dtypes(a_aval.dtype, dtype)
    axes = axes_tuple(axis, a_aval.ndim)
    total = _reduce(a, axes, keepdims, accumulate_dtype, lax.reduce_sum)
    if accumulate_dtype.kind in "biu":
        # NumPy divides an integer total truly, then casts (mean(dtype=int) truncates).
        total = cast(total, _FLOAT64)
    return cast(lax.div(total, float(_count(a_aval.shape, axes))), result_dtype)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """NumPy's ``var``: the mean squared deviation, divided by ``count - ddof``."""
    if out is not None:
        raise _out_error()
    if is_eager(a):
        return np.var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    return _traced_var(array_operand(a), axis, dtype, ddof, keepdims)


def _traced_var(a, axis, dtype, ddof, keepdims):
    a_aval = aval(a)
    if dtype is None:
        dtype = _FLOAT64 if a_aval.dtype.kind in "biu" else a_aval.dtype
    dtype = np.dtype(dtype)
    axes = axes_tuple(axis, a_aval.ndim)
    count = _count(a_aval.shape, axes)
    a = cast(a, dtype)
    total = _reduce(a, axes, True, dtype, lax.reduce_sum)
    deviation = lax.sub(a, lax.broadcast_in_dim(
        lax.div(total, float(count)), a_aval.shape, tuple(range(a_aval.ndim))))
    if dtype.kind == "c":  # NumPy's var of complex values: the mean of |deviation|^2, real
        parts = lax.real(deviation), lax.imag(deviation)
        squares = _reduce(lax.add(*(lax.mul(p, p) for p in parts)), axes, keepdims,
                          aval(parts[0]).dtype, lax.reduce_sum)
        return lax.div(squares, float(builtins.max(count - ddof, 0)))
    squares = _reduce(lax.mul(deviation, deviation), axes, keepdims, dtype, lax.reduce_sum)
    return lax.div(squares, float(builtins.max(count - ddof, 0)))


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """NumPy's ``std``: the square root of :func:`var`."""
    if out is not None:
        raise _out_error()
    if is_eager(a):
        return np.std(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    return lax.sqrt(_traced_var(array_operand(a), axis, dtype, ddof, keepdims))


def _extremum(numpy_function, reducer, operation_name):
    def function(a, axis=None, out=None, keepdims=False):
        if out is not None:
            raise _out_error()
        if is_eager(a):
            return numpy_function(a, axis=axis, keepdims=keepdims)
        a = array_operand(a)
        a_aval = aval(a)
        axes = axes_tuple(axis, a_aval.ndim)
        if builtins.any(a_aval.shape[axis] == 0 for axis in axes):
            raise ValueError(
                f"zero-size array to reduction operation {operation_name} which has no identity")
        return _reduce(a, axes, keepdims, a_aval.dtype, reducer)

    function.__name__ = function.__qualname__ = numpy_function.__name__
    function.__doc__ = f"NumPy's ``{numpy_function.__name__}``, traceable."
    return function


max = _extremum(np.max, lax.reduce_max, "maximum")  # noqa: A001 (NumPy's name)
min = _extremum(np.min, lax.reduce_min, "minimum")  # noqa: A001 (NumPy's name)
amax = max
amin = min


def _boolean_reduction(numpy_function, reducer):
    def function(a, axis=None, out=None, keepdims=False):
        if out is not None:
            raise _out_error()
        if is_eager(a):
            return numpy_function(a, axis=axis, keepdims=keepdims)
        a = array_operand(a)
        if aval(a).dtype != np.bool_:
            a = lax.ne(a, 0)
        return _reduce(a, axis, keepdims, np.dtype(np.bool_), reducer)

    function.__name__ = function.__qualname__ = numpy_function.__name__
    function.__doc__ = f"NumPy's ``{numpy_function.__name__}`` (nonzero counts as true), traceable."
    return function


all = _boolean_reduction(np.all, lax.reduce_and)  # noqa: A001 (NumPy's name)
any = _boolean_reduction(np.any, lax.reduce_or)  # noqa: A001 (NumPy's name)


def _arg_extremum(numpy_function, lax_function):
    name = numpy_function.__name__

    def function(a, axis=None, out=None, *, keepdims=False):
        if out is not None:
            raise _out_error()
        if is_eager(a):
            return numpy_function(a, axis=axis, keepdims=keepdims)
        a = array_operand(a)
        a_aval = aval(a)
        if axis is None:
            flat = lax.reshape(a, (a_aval.size,)) if a_aval.ndim != 1 else a
            if a_aval.size == 0:
                raise ValueError(f"attempt to get {name} of an empty sequence")
            result = lax_function(flat, 0, np.int64)
            return lax.reshape(result, (1,) * a_aval.ndim) if keepdims else result
        axis = normalize_axis_index(axis, a_aval.ndim)
        if a_aval.shape[axis] == 0:
            raise ValueError(f"attempt to get {name} of an empty sequence")
        return _keep_dims(lax_function(a, axis, np.int64), (axis,), keepdims)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"NumPy's ``{name}``: the index of the first extreme element, traceable."
    return function


argmax = _arg_extremum(np.argmax, lax.argmax)
argmin = _arg_extremum(np.argmin, lax.argmin)


def _cumulative(numpy_function, lax_function):
    def function(a, axis=None, dtype=None, out=None):
        if out is not None:
            raise _out_error()
        if is_eager(a):
            return numpy_function(a, axis=axis, dtype=dtype)
        a = array_operand(a)
        a_aval = aval(a)
        if axis is None:
            a = lax.reshape(a, (a_aval.size,)) if a_aval.ndim != 1 else a
            axis = 0
        else:
            axis = normalize_axis_index(axis, a_aval.ndim)
        dtype = _accumulating_dtype(a_aval.dtype) if dtype is None else np.dtype(dtype)
        return lax_function(cast(a, dtype), axis)

    function.__name__ = function.__qualname__ = numpy_function.__name__
    function.__doc__ = f"NumPy's ``{numpy_function.__name__}`` (the flattened array when axis is None)."
    return function


cumsum = _cumulative(np.cumsum, lax.cumsum)
cumprod = _cumulative(np.cumprod, lax.cumprod)
