"""``functrans.scipy.signal``: SciPy's convolutions, detrending and spectral estimates,
traceable.

On concrete inputs with no transform active each function is SciPy's own; otherwise it is
composed from ``functrans.numpy`` and ``functrans.numpy.fft``, so it differentiates, batches
and compiles. Convolution (``_convolution``), detrending (``_detrend``), segmenting a signal
into windowed stretches (``_segments``), spectral densities (``_spectral``: ``welch``,
``csd``) and the short-time Fourier transform and its inverse (``_short_time``).
"""
from functrans.scipy.signal._convolution import (
    convolve, convolve2d, correlate, correlate2d, fftconvolve,
)
from functrans.scipy.signal._detrend import detrend
from functrans.scipy.signal._short_time import istft, stft
from functrans.scipy.signal._spectral import csd, welch

__all__ = ["convolve", "convolve2d", "correlate", "correlate2d", "csd", "detrend",
           "fftconvolve", "istft", "stft", "welch"]
