"""``scipy.signal.stft`` and ``istft``, traceable: the short-time Fourier transform and its
inverse by weighted overlap-add.

``stft`` extends the signal at its ends, pads it to whole segments, gathers the overlapping
segments, detrends and windows them and transforms each with ``functrans.numpy.fft``.
``istft`` inverts each column, windows it and adds the segments back into place with one
scatter-add (``at[...].add``), then divides by the summed squared window.
"""
import operator
import warnings

import numpy as np

from functrans import numpy as fnp
from functrans.numpy._dispatch import Tracer, array_operand
from functrans.numpy._promotion import aval
from functrans.scipy.signal import _segments
from functrans.scipy.signal._eager import scipy_when_eager


def _scale_name(scaling):
    if scaling == "psd":
        return "density"
    if scaling != "spectrum":
        raise ValueError(f"Parameter scaling={scaling!r} not in ['spectrum', 'psd']!")
    return scaling


def _window_and_length(window, nperseg, length):
    """The window and segment length as SciPy's ``stft`` triages them: a named window has
    ``nperseg`` points (256 if None; at most the signal's length, with a warning); a window
    array sets ``nperseg``, which must then agree with it."""
    if _segments.is_window_name(window):
        nperseg = _segments.warn_if_longer(256 if nperseg is None else nperseg, length,
                                           stacklevel=5)
        return _segments.named_window(window, nperseg), nperseg
    window = _segments.window_array(window)
    window_length = aval(window).shape[0]
    if length < window_length:
        raise ValueError("window is longer than input signal")
    if nperseg is not None and nperseg != window_length:
        raise ValueError("value specified for nperseg is different from length of window")
    return window, window_length


@scipy_when_eager("stft")
def stft(x, fs=1.0, window="hann_periodic", nperseg=256, noverlap=None, nfft=None,
         detrend=False, return_onesided=True, boundary="zeros", padded=True, axis=-1,
         scaling="spectrum"):
    """SciPy's ``stft``: frequencies, segment times and the short-time Fourier transform of
    ``x`` along ``axis`` (frequencies where ``axis`` was, segments last). A complex ``x``
    gives the two-sided transform (with SciPy's warning).

    >>> import numpy as np
    >>> frequencies, times, transform = stft(np.ones(32), nperseg=8)
    >>> transform.shape
    (5, 9)
    """
    scaling = _scale_name(scaling)
    if boundary not in _segments.BOUNDARY_EXTENSIONS:
        raise ValueError(f"Unknown boundary option '{boundary}', must be one of: "
                         f"{list(_segments.BOUNDARY_EXTENSIONS)}")
    axis = operator.index(axis)
    x = array_operand(x)
    out_dtype = np.result_type(aval(x).dtype, np.complex64)
    if aval(x).size == 0:
        return np.empty(aval(x).shape), np.empty(aval(x).shape), np.empty(aval(x).shape)
    fs = _segments.concrete_number(fs, "fs")
    if aval(x).ndim > 1:
        x = fnp.moveaxis(x, axis, -1)
    nperseg = _segments.positive_length(nperseg)
    window, nperseg = _window_and_length(window, nperseg, aval(x).shape[-1])
    noverlap, nfft = _segments.overlap_and_fft_length(nperseg, noverlap, nfft)
    step = nperseg - noverlap
    if boundary is not None:
        x = _segments.extended(x, boundary, nperseg // 2)
    if padded:
        missing = (-(aval(x).shape[-1] - nperseg) % step) % nperseg
        x = _segments.padded_to(x, aval(x).shape[-1] + missing)
    length = aval(x).shape[-1]
    if np.result_type(aval(window).dtype, np.complex64) != out_dtype:
        window = window.astype(out_dtype)
    if scaling == "density":
        scale = fnp.sqrt(1.0 / (fs * fnp.sum(window * window)))
    else:
        scale = fnp.sqrt(1.0 / fnp.sum(window) ** 2)
    onesided = bool(return_onesided)
    if onesided and aval(x).dtype.kind == "c":
        onesided = False
        warnings.warn("Input data is complex, switching to return_onesided=False",
                      stacklevel=3)
    count = (length - nperseg) // step + 1
    segment_array = _segments.detrending(detrend, axis, per_segment=False)(
        _segments.segments(x, nperseg, step, count))
    windowed = window * segment_array
    if onesided:
        transform = fnp.fft.rfft(fnp.real(windowed), nfft)
    else:
        transform = fnp.fft.fft(windowed, nfft)
    transform = (transform * scale).astype(out_dtype)
    frequencies = np.fft.rfftfreq(nfft, 1 / fs) if onesided else np.fft.fftfreq(nfft, 1 / fs)
    times = np.arange(nperseg / 2, length - nperseg / 2 + 1, step) / fs
    if boundary is not None:
        times -= (nperseg / 2) / fs
    return frequencies, times, fnp.moveaxis(transform, -1, axis - 1 if axis < 0 else axis)


def _overlap_added(columns, step, length):
    """``columns`` ``(..., nperseg, count)`` added into ``(..., length)``, column ``i`` at
    ``i * step``."""
    nperseg, count = aval(columns).shape[-2:]
    positions = np.arange(count)[None, :] * step + np.arange(nperseg)[:, None]
    zeros = fnp.zeros(aval(columns).shape[:-2] + (length,), aval(columns).dtype)
    return fnp.at(zeros)[..., positions].add(columns)


def _window_energy(window, nperseg, step, count, length):
    """The squared window summed over the segments' positions (the overlap-add's divisor),
    with NumPy when the window is concrete."""
    if isinstance(window, Tracer):
        squares = fnp.broadcast_to((window * window)[:, None], (nperseg, count))
        return _overlap_added(squares, step, length)
    energy = np.zeros(length, window.dtype)
    positions = np.arange(count)[:, None] * step + np.arange(nperseg)[None, :]
    np.add.at(energy, positions, np.broadcast_to(window ** 2, positions.shape))
    return energy


@scipy_when_eager("istft")
def istft(Zxx, fs=1.0, window="hann_periodic", nperseg=None, noverlap=None, nfft=None,
          input_onesided=True, boundary=True, time_axis=-1, freq_axis=-2,
          scaling="spectrum"):
    """SciPy's ``istft``: times and the signal whose short-time Fourier transform is
    ``Zxx``, by weighted overlap-add (with SciPy's warning where the window's overlaps
    vanish, the NOLA condition, when the window is concrete).

    >>> import numpy as np
    >>> _, _, transform = stft(np.arange(32.0), nperseg=8)
    >>> times, signal = istft(transform, nperseg=8)
    >>> np.allclose(signal, np.arange(32.0))
    True
    """
    Zxx = array_operand(Zxx) + 0j
    freq_axis, time_axis = operator.index(freq_axis), operator.index(time_axis)
    ndim = aval(Zxx).ndim
    if ndim < 2:
        raise ValueError("Input stft must be at least 2d!")
    if freq_axis == time_axis:
        raise ValueError("Must specify differing time and frequency axes!")
    fs = _segments.concrete_number(fs, "fs")
    count = aval(Zxx).shape[time_axis]
    frequency_count = aval(Zxx).shape[freq_axis]
    default_length = 2 * (frequency_count - 1) if input_onesided else frequency_count
    if nperseg is None:
        nperseg = default_length
    else:
        nperseg = int(nperseg)
        if nperseg < 1:
            raise ValueError("nperseg must be a positive integer")
    if nfft is None:
        nfft = nperseg if input_onesided and nperseg == default_length + 1 else default_length
    noverlap, nfft = _segments.overlap_and_fft_length(nperseg, noverlap, nfft)
    step = nperseg - noverlap
    freq_axis, time_axis = freq_axis % ndim, time_axis % ndim
    if (time_axis, freq_axis) != (ndim - 1, ndim - 2):
        outer = [d for d in range(ndim) if d not in (time_axis, freq_axis)]
        Zxx = fnp.transpose(Zxx, outer + [freq_axis, time_axis])
    if _segments.is_window_name(window):
        window = _segments.named_window(window, nperseg)
    else:
        window = _segments.window_array(window)
        if aval(window).shape[0] != nperseg:
            raise ValueError(f"window must have length of {nperseg}")
    inverse = fnp.fft.irfft if input_onesided else fnp.fft.ifft
    columns = inverse(Zxx, nfft, axis=-2)[..., :nperseg, :]
    column_dtype = aval(columns).dtype
    if np.result_type(aval(window).dtype, column_dtype) != column_dtype:
        window = window.astype(column_dtype)
    if scaling == "spectrum":
        columns = columns * fnp.sum(window)
    elif scaling == "psd":
        columns = columns * fnp.sqrt(fs * fnp.sum(window ** 2))
    else:
        raise ValueError(f"Parameter scaling={scaling!r} not in ['spectrum', 'psd']!")
    length = nperseg + (count - 1) * step
    signal = _overlap_added(columns * window[:, None], step, length)
    energy = _window_energy(window, nperseg, step, count, length)
    if boundary:
        signal = signal[..., nperseg // 2:-(nperseg // 2)]
        energy = energy[..., nperseg // 2:-(nperseg // 2)]
    if not isinstance(energy, Tracer) and np.sum(energy > 1e-10) != len(energy):
        warnings.warn("NOLA condition failed, STFT may not be invertible."
                      + (" Possibly due to missing boundary" if not boundary else ""),
                      stacklevel=3)
    signal = signal / fnp.where(energy > 1e-10, energy, 1.0)
    if input_onesided:
        signal = fnp.real(signal)
    if aval(signal).ndim > 1 and time_axis != ndim - 1:
        signal = fnp.moveaxis(signal, -1, time_axis - 1 if freq_axis < time_axis else time_axis)
    times = np.arange(aval(signal).shape[0]) / fs
    return times, signal
