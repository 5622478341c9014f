"""``scipy.signal.welch`` and ``csd``, traceable: Welch's averaged, windowed periodograms.

The signal is cut into overlapping segments (one gather), each detrended, windowed and
transformed with ``functrans.numpy.fft``; the products of the spectra are scaled and
averaged (mean or bias-corrected median) over the segments. The window is built on the
host with SciPy's ``get_window`` when it is named; a window given as an array may be traced.
"""
import operator

import numpy as np

from functrans import numpy as fnp
from functrans.numpy._dispatch import array_operand
from functrans.numpy._promotion import aval
from functrans.scipy.signal import _segments
from functrans.scipy.signal._eager import scipy_when_eager

_SCALINGS = {"spectrum": "magnitude", "density": "psd"}


def _median_bias(count):
    """SciPy's bias of the median of ``count`` chi-squared(2) periodograms."""
    even = 2 * np.arange(1.0, (count - 1) // 2 + 1)
    return 1 + np.sum(1.0 / (even + 1) - 1.0 / even)


def _window_and_length(window, nperseg, length):
    """The window values and the segment length, as ``csd`` sets them: a named window has
    ``nperseg`` points (256 by default, at most the signal's length, with a warning); a
    window array sets ``nperseg`` when it is not given."""
    if _segments.is_window_name(window):
        nperseg = int(nperseg) if nperseg is not None else 256
        if nperseg < 1:
            raise ValueError(f"Parameter nperseg={nperseg} is not a positive integer!")
        nperseg = _segments.warn_if_longer(nperseg, length, stacklevel=6)
        return _segments.named_window(window, nperseg), nperseg
    window = _segments.window_array(window)
    window_length = aval(window).shape[0]
    nperseg = window_length if nperseg is None else nperseg
    if nperseg != window_length:
        raise ValueError(f"nperseg={nperseg} does not equal len(win)={window_length}")
    if window_length > length:
        raise ValueError(f"window (length {window_length}) is longer than the signal "
                         f"(length {length}) along axis")
    return window, nperseg


def _squared_magnitude(value):
    """``|value|**2``, written so that its derivatives hold where ``value`` is 0."""
    if aval(value).dtype.kind == "c":
        return fnp.real(value) ** 2 + fnp.imag(value) ** 2
    return value * value


def _spectra(signal, window, nperseg, step, count, nfft, onesided, detrend_segments):
    """The FFT of each detrended, windowed segment: ``(..., count, frequencies)``."""
    windowed = detrend_segments(_segments.segments(signal, nperseg, step, count))
    windowed = windowed * (fnp.conj(window) if aval(window).dtype.kind == "c" else window)
    if onesided:
        return fnp.fft.rfft(windowed, nfft)
    return fnp.fft.fft(windowed, nfft)


def _averaged(power, average):
    """``power`` (segments on axis -2) averaged over the segments, as SciPy does: the mean,
    or the median of the real and imaginary parts divided by the median's bias."""
    count = aval(power).shape[-2]
    if count <= 1:
        return power[..., 0, :]
    if average == "median":
        bias = _median_bias(count)
        if aval(power).dtype.kind == "c":
            median = (fnp.median(fnp.real(power), axis=-2)
                      + fnp.median(fnp.imag(power), axis=-2) * 1j)
        else:
            median = fnp.median(power, axis=-2)
        return median / bias
    if average == "mean":
        return fnp.mean(power, axis=-2)
    raise ValueError(f"Parameter average={average!r} must be 'median' or 'mean'!")


def _cross_spectral_density(x, y, same_data, fs, window, nperseg, noverlap, nfft, detrend,
                            return_onesided, scaling, axis, average):
    axis = operator.index(axis)
    x = array_operand(x)
    if same_data:
        y = x
        if aval(x).size == 0:
            return np.empty(aval(x).shape), np.empty(aval(x).shape)
        out_dtype = np.result_type(aval(x).dtype, np.complex64)
    else:
        y = array_operand(y)
        x_outer, y_outer = list(aval(x).shape), list(aval(y).shape)
        x_outer.pop(axis)
        y_outer.pop(axis)
        try:
            outer_shape = np.broadcast_shapes(tuple(x_outer), tuple(y_outer))
        except ValueError as error:
            raise ValueError("x and y cannot be broadcast together.") from error
        if aval(x).size == 0 or aval(y).size == 0:
            shape = outer_shape + (min(aval(x).shape[axis], aval(y).shape[axis]),)
            empty = np.moveaxis(np.empty(shape), -1, axis)
            return empty, empty
        out_dtype = np.result_type(aval(x).dtype, aval(y).dtype, np.complex64)
    fs = _segments.concrete_number(fs, "fs")
    length = max(aval(x).shape[axis], aval(y).shape[axis])
    window, nperseg = _window_and_length(window, nperseg, length)
    noverlap, nfft = _segments.overlap_and_fft_length(nperseg, noverlap, nfft)
    onesided = bool(return_onesided) and aval(x).dtype.kind != "c"
    if onesided and aval(y).dtype.kind == "c":
        raise ValueError("csd: y is complex, so the one-sided spectrum is undefined; pass "
                         "return_onesided=False (or make x complex too)")
    if scaling not in _SCALINGS:
        raise ValueError(f"Parameter scaling={scaling!r} not in {_SCALINGS}!")
    step = nperseg - noverlap
    count = (length - noverlap) // step
    detrend_segments = _segments.detrending(detrend, axis, per_segment=True)
    x_moved = _segments.padded_to(fnp.moveaxis(x, axis, -1), length)
    x_spectra = _spectra(x_moved, window, nperseg, step, count, nfft, onesided,
                         detrend_segments)
    if same_data:
        power = fnp.real(x_spectra) ** 2 + fnp.imag(x_spectra) ** 2
    else:
        y_moved = _segments.padded_to(fnp.moveaxis(y, axis, -1), length)
        y_spectra = _spectra(y_moved, window, nperseg, step, count, nfft, onesided,
                             detrend_segments)
        power = fnp.conj(x_spectra) * y_spectra
    if scaling == "density":
        power = power / (fs * fnp.sum(_squared_magnitude(window)))
    else:
        power = power / _squared_magnitude(fnp.sum(window))
    if onesided:
        power = power * _segments.onesided_doubling(nfft)
    # Like SciPy, the result has the complex dtype of the inputs, real for one signal.
    if same_data:
        out_dtype = np.empty((), out_dtype).real.dtype
    power = _averaged(power, average).astype(out_dtype)
    frequencies = np.fft.rfftfreq(nfft, 1 / fs) if onesided else np.fft.fftfreq(nfft, 1 / fs)
    return frequencies, fnp.moveaxis(power, -1, axis)


@scipy_when_eager("csd")
def csd(x, y, fs=1.0, window="hann_periodic", nperseg=None, noverlap=None, nfft=None,
        detrend="constant", return_onesided=True, scaling="density", axis=-1,
        average="mean"):
    """SciPy's ``csd``: the cross power spectral density ``conj(X) * Y`` of ``x`` and ``y``
    by Welch's method, with its frequencies. A complex ``x`` gives the two-sided spectrum;
    a callable ``detrend`` must be traceable (written with ``functrans.numpy``).

    >>> import numpy as np
    >>> t = np.arange(64)
    >>> frequencies, spectrum = csd(np.sin(t), np.cos(t), nperseg=16)
    >>> spectrum.shape
    (9,)
    """
    return _cross_spectral_density(x, y, y is x, fs, window, nperseg, noverlap, nfft, detrend,
                                   return_onesided, scaling, axis, average)


@scipy_when_eager("welch")
def welch(x, fs=1.0, window="hann_periodic", nperseg=None, noverlap=None, nfft=None,
          detrend="constant", return_onesided=True, scaling="density", axis=-1,
          average="mean"):
    """SciPy's ``welch``: the power spectral density of ``x`` by Welch's method (averaged
    periodograms of overlapping windowed segments), with its frequencies.

    >>> import numpy as np
    >>> frequencies, density = welch(np.sin(np.arange(64.0)), fs=2.0, nperseg=16)
    >>> frequencies[:3]
    array([0.   , 0.125, 0.25 ])
    """
    return _cross_spectral_density(x, x, True, fs, window, nperseg, noverlap, nfft, detrend,
                                   return_onesided, scaling, axis, average)
