"""What the spectral estimates share: the window (a name SciPy's ``get_window`` builds at
trace time, or an array, which may be traced), the checked segment parameters, the
overlapping segments of a signal as one gather, the boundary extensions and the detrending
of each segment.
"""
import warnings

import numpy as np

from functrans import numpy as fnp
from functrans.numpy._dispatch import Tracer, array_operand
from functrans.numpy._promotion import aval
from functrans.scipy.signal._detrend import detrend as detrend_along
from functrans.transforms.vmap import vmap


def concrete_number(value, name):
    """``value`` as a Python float; a traced value is an error naming the argument."""
    if isinstance(value, Tracer):
        raise TypeError(f"{name} must be a concrete number (it sets the frequencies and "
                        "times returned), not a traced value")
    return float(value)


def is_window_name(window):
    """SciPy's test: a string or a tuple names a window for ``get_window``."""
    return isinstance(window, (str, tuple))


def named_window(window, length):
    """SciPy's window of ``length`` points named by ``window``: a constant of the trace."""
    import scipy.signal
    return scipy.signal.get_window(window, length)


def window_array(window):
    """A window given as values: a 1-D NumPy or traced array. A callable is refused."""
    if callable(window):
        raise TypeError("window must be a window name (such as 'hann'), a (name, parameter) "
                        "tuple or a 1-D array of values; a callable is not accepted")
    window = array_operand(window)
    if aval(window).ndim != 1:
        raise ValueError("window must be 1-D")
    return window


def positive_length(nperseg):
    """``nperseg`` as an int (None stays None, for the window to decide), checked positive."""
    if nperseg is None:
        return None
    nperseg = int(nperseg)
    if nperseg < 1:
        raise ValueError("nperseg must be a positive integer")
    return nperseg


def overlap_and_fft_length(nperseg, noverlap, nfft):
    """``noverlap`` (half a segment by default) and ``nfft`` (``nperseg`` by default),
    checked as SciPy checks them."""
    if nfft is None:
        nfft = nperseg
    elif nfft < nperseg:
        raise ValueError("nfft must be greater than or equal to nperseg.")
    else:
        nfft = int(nfft)
    noverlap = nperseg // 2 if noverlap is None else int(noverlap)
    if noverlap >= nperseg:
        raise ValueError("noverlap must be less than nperseg.")
    return noverlap, nfft


def segments(x, nperseg, step, count):
    """The ``count`` segments of ``x`` (time last) of ``nperseg`` points starting every
    ``step`` points, as ``(..., count, nperseg)``: one gather."""
    positions = np.arange(count)[:, None] * step + np.arange(nperseg)[None, :]
    return fnp.take(x, positions, axis=-1)


def padded_to(x, length):
    """``x`` zero-padded at the end of its last axis to ``length``."""
    missing = length - aval(x).shape[-1]
    if missing <= 0:
        return x
    return fnp.pad(x, [(0, 0)] * (aval(x).ndim - 1) + [(0, missing)])


def _check_extension(x, width):
    if width > aval(x).shape[-1] - 1:
        raise ValueError(f"The extension length n ({width}) is too big. It must not exceed "
                         f"x.shape[axis]-1, which is {aval(x).shape[-1] - 1}.")


def _even(x, width):
    _check_extension(x, width)
    return fnp.concatenate([fnp.flip(x[..., 1:width + 1], -1), x,
                            fnp.flip(x[..., -width - 1:-1], -1)], axis=-1)


def _odd(x, width):
    _check_extension(x, width)
    first, last = x[..., :1], x[..., -1:]
    return fnp.concatenate([2 * first - fnp.flip(x[..., 1:width + 1], -1), x,
                            2 * last - fnp.flip(x[..., -width - 1:-1], -1)], axis=-1)


def _constant(x, width):
    edges = [fnp.repeat(x[..., :1], width, axis=-1), x, fnp.repeat(x[..., -1:], width, axis=-1)]
    return fnp.concatenate(edges, axis=-1)


def _zeros(x, width):
    return fnp.pad(x, [(0, 0)] * (aval(x).ndim - 1) + [(width, width)])


BOUNDARY_EXTENSIONS = {"even": _even, "odd": _odd, "constant": _constant, "zeros": _zeros,
                       None: None}


def extended(x, boundary, width):
    """``x`` extended by ``width`` points at both ends of its last axis, as SciPy's
    ``even_ext``, ``odd_ext``, ``const_ext`` and ``zero_ext`` do."""
    if width < 1:
        return x
    return BOUNDARY_EXTENSIONS[boundary](x, width)


def detrending(detrend, axis, per_segment):
    """The function that detrends ``(..., count, nperseg)`` segments: none for a false
    ``detrend``, SciPy's ``detrend`` along the segment for 'constant' or 'linear', or the
    user's traceable callable. ``per_segment``: the callable sees one ``(..., nperseg)``
    segment at a time (``csd``, ``welch``), batched over segments with ``vmap``; otherwise
    all segments at once with the signal's axis where it was (``stft``)."""
    if detrend is None or detrend is False:
        return lambda segment_array: segment_array
    if isinstance(detrend, str):
        return lambda segment_array: detrend_along(segment_array, axis=-1, type=detrend)
    if not callable(detrend):
        raise ValueError(f"Parameter detrend={detrend!r} is not a str, function or None!")
    if per_segment:
        return vmap(detrend, in_axes=-2, out_axes=-2)
    if axis == -1:
        return detrend

    def moved(segment_array):
        return fnp.moveaxis(detrend(fnp.moveaxis(segment_array, -1, axis)), axis, -1)
    return moved


def onesided_doubling(nfft):
    """The factors that fold the negative frequencies of a one-sided power spectrum onto
    the positive ones: 2 everywhere but at 0 and (for even ``nfft``) at Nyquist."""
    factors = np.full(nfft // 2 + 1, 2.0)
    factors[0] = 1.0
    if nfft % 2 == 0:
        factors[-1] = 1.0
    return factors


def warn_if_longer(nperseg, length, stacklevel):
    """``nperseg``, or the signal's length with SciPy's warning when it is shorter."""
    if nperseg > length:
        warnings.warn(f"nperseg = {nperseg:d} is greater than input length  = {length:d}, "
                      f"using nperseg = {length:d}", stacklevel=stacklevel)
        return length
    return nperseg
