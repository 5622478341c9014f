"""``functrans.numpy.fft``: NumPy's discrete Fourier transforms, traceable.

On concrete inputs with no transform active each function is NumPy's own. Otherwise the
transformed axes are moved last, cropped or zero-padded to the lengths ``n`` / ``s`` asked
for, and transformed by the one ``fft`` primitive (functrans.lax.fourier), which has a
transpose rule (the transforms are linear), a batching rule, and a numba lowering through
rocket-fft under ``jit``. ``norm`` is NumPy's: "backward" (the default), "ortho" or
"forward". Dtypes are NumPy 2's: float32 and complex64 inputs give complex64 spectra.

>>> import functrans, functrans.numpy as fnp
>>> functrans.grad(lambda x: fnp.sum(fnp.abs(fnp.fft.rfft(x)) ** 2))(np.ones(4))
array([8., 8., 8., 8.])
"""
import functools
import math
import operator

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from functrans import lax
from functrans.lax.fourier import FftType
from functrans.numpy._dispatch import Tracer, array_operand, is_eager
from functrans.numpy._promotion import aval, cast
from functrans.numpy._shapes import roll
from functrans.numpy._ufuncs import divide

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
           "fftn", "ifftn", "rfftn", "irfftn", "fftshift", "ifftshift", "fftfreq", "rfftfreq"]

_NORMS = (None, "backward", "ortho", "forward")
_SWAPPED_NORM = {None: "forward", "backward": "forward", "ortho": "ortho",
                 "forward": "backward"}


@functools.lru_cache(maxsize=None)
def _spectrum_dtype(dtype):
    """The complex dtype NumPy's FFTs give for input of ``dtype`` (float32 -> complex64)."""
    return np.fft.fft(np.ones(1, dtype)).dtype


def _check_norm(norm):
    if norm not in _NORMS:
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or '
                         '"forward".')


def _resized(x, axis, length):
    """``x`` cropped or zero-padded at the end of ``axis`` to ``length``, as NumPy's FFTs do."""
    shape = aval(x).shape
    size = shape[axis]
    if length < size:
        limits = list(shape)
        limits[axis] = length
        return lax.slice(x, (0,) * len(shape), tuple(limits))
    if length > size:
        config = [(0, 0, 0)] * len(shape)
        config[axis] = (0, length - size, 0)
        return lax.pad(x, np.zeros((), aval(x).dtype)[()], tuple(config))
    return x


def _transform(a, fft_type, s, axes, norm):
    """The ``fft_type`` transform of ``a`` over ``axes`` (distinct, normalized) with output
    lengths ``s`` (for RFFT the input lengths), scaled for ``norm``."""
    a = array_operand(a)
    a_aval = aval(a)
    spectrum = _spectrum_dtype(a_aval.dtype)
    if fft_type is FftType.RFFT:
        if a_aval.dtype.kind == "c":
            raise TypeError("rfft takes real input; use fft for complex input")
        a = cast(a, np.empty((), spectrum).real.dtype)
    else:
        a = cast(a, spectrum)
    for axis, length in zip(axes, s):
        if fft_type is FftType.IRFFT and axis == axes[-1]:
            length = length // 2 + 1
        a = _resized(a, axis, length)
    ndim = a_aval.ndim
    others = [d for d in range(ndim) if d not in axes]
    order = others + list(axes)
    moved = lax.transpose(a, order) if order != list(range(ndim)) else a
    result = lax.fft(moved, fft_type, s)
    if order != list(range(ndim)):
        result = lax.transpose(result, [order.index(d) for d in range(ndim)])
    points = math.prod(s)
    inverse = fft_type in (FftType.IFFT, FftType.IRFFT)
    if norm == "ortho":
        result = lax.mul(result, math.sqrt(points) if inverse else 1 / math.sqrt(points))
    elif norm == "forward":
        result = lax.mul(result, float(points) if inverse else 1 / points)
    return result


def _lengths_and_axes(a, s, axes, inverse_real, name):
    """NumPy's ``s`` and ``axes`` of an n-dimensional transform, normalized."""
    shape = aval(a).shape
    ndim = len(shape)
    if axes is None:
        axes = list(range(-len(s), 0)) if s is not None else list(range(ndim))
    else:
        axes = [operator.index(axis) for axis in axes]
    axes = [normalize_axis_index(axis, ndim) for axis in axes]
    if s is None:
        s = [shape[axis] for axis in axes]
        if inverse_real and axes:
            s[-1] = (shape[axes[-1]] - 1) * 2
    else:
        s = [shape[axis] if n is None else operator.index(n) for n, axis in zip(s, axes)] \
            if len(s) == len(axes) else None
        if s is None:
            raise ValueError("Shape and axes have different lengths.")
    for n in s:
        if n < 1:
            raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: repeated axes {tuple(axes)} are not supported on traced "
                         "arrays; transform one axis at a time")
    return tuple(s), axes


def _n_dimensional(numpy_function, fft_type, default_axes=None):
    inverse_real = fft_type is FftType.IRFFT

    def function(a, s=None, axes=default_axes, norm=None, out=None):
        if out is not None:
            raise TypeError(f"{numpy_function.__name__}(out=...) cannot write into an array "
                            "under functrans; use the returned value")
        if is_eager(a):
            return numpy_function(a, s=s, axes=axes, norm=norm)
        _check_norm(norm)
        a = array_operand(a)
        s, axes = _lengths_and_axes(a, s, axes, inverse_real, numpy_function.__name__)
        if not axes:
            return cast(a, _spectrum_dtype(aval(a).dtype))
        return _transform(a, fft_type, s, axes, norm)

    function.__name__ = function.__qualname__ = numpy_function.__name__
    function.__doc__ = f"NumPy's ``fft.{numpy_function.__name__}``, traceable."
    return function


def _one_dimensional(numpy_function, fft_type):
    def function(a, n=None, axis=-1, norm=None, out=None):
        if out is not None:
            raise TypeError(f"{numpy_function.__name__}(out=...) cannot write into an array "
                            "under functrans; use the returned value")
        if is_eager(a):
            return numpy_function(a, n=n, axis=axis, norm=norm)
        _check_norm(norm)
        a = array_operand(a)
        if aval(a).ndim == 0:
            raise ValueError(f"{numpy_function.__name__} needs an array of at least one "
                             "dimension, got a scalar")
        axis = normalize_axis_index(operator.index(axis), aval(a).ndim)
        s, axes = _lengths_and_axes(a, None if n is None else [n], [axis],
                                    fft_type is FftType.IRFFT, numpy_function.__name__)
        return _transform(a, fft_type, s, axes, norm)

    function.__name__ = function.__qualname__ = numpy_function.__name__
    function.__doc__ = f"NumPy's ``fft.{numpy_function.__name__}``, traceable."
    return function


fft = _one_dimensional(np.fft.fft, FftType.FFT)
ifft = _one_dimensional(np.fft.ifft, FftType.IFFT)
rfft = _one_dimensional(np.fft.rfft, FftType.RFFT)
irfft = _one_dimensional(np.fft.irfft, FftType.IRFFT)
fftn = _n_dimensional(np.fft.fftn, FftType.FFT)
ifftn = _n_dimensional(np.fft.ifftn, FftType.IFFT)
rfftn = _n_dimensional(np.fft.rfftn, FftType.RFFT)
irfftn = _n_dimensional(np.fft.irfftn, FftType.IRFFT)
fft2 = _n_dimensional(np.fft.fft2, FftType.FFT, (-2, -1))
ifft2 = _n_dimensional(np.fft.ifft2, FftType.IFFT, (-2, -1))
rfft2 = _n_dimensional(np.fft.rfft2, FftType.RFFT, (-2, -1))
irfft2 = _n_dimensional(np.fft.irfft2, FftType.IRFFT, (-2, -1))


def hfft(a, n=None, axis=-1, norm=None, out=None):
    """NumPy's ``fft.hfft``: the real spectrum of a Hermitian-symmetric signal given by its
    first half, ``irfft(conj(a))`` with the opposite normalization."""
    if is_eager(a) and out is None:
        return np.fft.hfft(a, n=n, axis=axis, norm=norm)
    _check_norm(norm)
    a = array_operand(a)
    a = cast(a, _spectrum_dtype(aval(a).dtype))
    return irfft(lax.conj(a), n, axis, _SWAPPED_NORM[norm], out)


def ihfft(a, n=None, axis=-1, norm=None, out=None):
    """NumPy's ``fft.ihfft``: the inverse of :func:`hfft`, ``conj(rfft(a))`` with the
    opposite normalization."""
    if is_eager(a) and out is None:
        return np.fft.ihfft(a, n=n, axis=axis, norm=norm)
    _check_norm(norm)
    return lax.conj(rfft(a, n, axis, _SWAPPED_NORM[norm], out))


def _shift(numpy_function, sign):
    def function(x, axes=None):
        if is_eager(x):
            return numpy_function(x, axes=axes)
        x = array_operand(x)
        shape = aval(x).shape
        if axes is None:
            axes = tuple(range(len(shape)))
        elif isinstance(axes, (int, np.integer)):
            axes = (int(axes),)
        shifts = [sign * (shape[normalize_axis_index(axis, len(shape))] // 2) for axis in axes]
        return roll(x, shifts, axes) if axes else x

    function.__name__ = function.__qualname__ = numpy_function.__name__
    function.__doc__ = f"NumPy's ``fft.{numpy_function.__name__}``, traceable."
    return function


fftshift = _shift(np.fft.fftshift, 1)
ifftshift = _shift(np.fft.ifftshift, -1)


def fftfreq(n, d=1.0, device=None):
    """NumPy's ``fft.fftfreq``: the sample frequencies; ``d`` may be traced."""
    if not isinstance(d, Tracer):
        return np.fft.fftfreq(n, d)
    return divide(np.fft.fftfreq(n) if n else np.zeros(0), d)  # n = 0: empty, as NumPy


def rfftfreq(n, d=1.0, device=None):
    """NumPy's ``fft.rfftfreq``: the non-negative sample frequencies; ``d`` may be traced."""
    if not isinstance(d, Tracer):
        return np.fft.rfftfreq(n, d)
    return divide(np.fft.rfftfreq(n) if n else np.full(1, np.nan), d)  # n = 0: NumPy's 0/0
