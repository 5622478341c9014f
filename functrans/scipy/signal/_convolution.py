"""``scipy.signal``'s convolve and correlate (and their 2-D forms), and fftconvolve,
traceable.

``convolve`` and ``correlate`` compute directly, as a dot over sliding windows (see
``functrans.numpy._convolution``), so the results differentiate, batch and compile;
``method`` 'direct', 'fft' and 'auto' all compute it directly. ``fftconvolve`` multiplies
spectra from ``functrans.numpy.fft``, as SciPy's does.
"""
import operator

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from functrans import numpy as fnp
from functrans.numpy import _convolution
from functrans.numpy._dispatch import array_operand, contains_tracer, is_eager_all
from functrans.numpy._promotion import aval
from functrans.numpy._shapes import flip
from functrans.scipy.signal._eager import scipy_when_eager

__all__ = ["convolve", "convolve2d", "correlate", "correlate2d", "fftconvolve"]

_METHODS = ("auto", "direct", "fft")


def _scipy_signal():
    import scipy.signal
    return scipy.signal


def _cropped(full, shape1, shape2, mode, round_up=False):
    """SciPy's 'same' (centred on in1's shape; an odd margin puts the extra element after,
    or before when ``round_up``, as correlate2d does) and 'valid' (full overlap) regions."""
    if mode == "full":
        return full
    full_shape = aval(full).shape
    if mode == "same":
        starts = tuple((f - s + round_up) // 2 for f, s in zip(full_shape, shape1))
        return _convolution.slice_region(full, starts, shape1)
    if mode == "valid":
        first_larger = all(a >= b for a, b in zip(shape1, shape2))
        second_larger = all(b >= a for a, b in zip(shape1, shape2))
        if not (first_larger or second_larger):
            raise ValueError("For 'valid' mode, one must be at least as large as the other in "
                             "every dimension")
        starts = tuple(min(a, b) - 1 for a, b in zip(shape1, shape2))
        sizes = tuple(abs(a - b) + 1 for a, b in zip(shape1, shape2))
        return _convolution.slice_region(full, starts, sizes)
    raise ValueError("acceptable mode flags are 'valid', 'same', or 'full'")


def _check(in1, in2, method):
    if method not in _METHODS:
        raise ValueError(f"acceptable method flags are {_METHODS}")
    in1, in2 = array_operand(in1), array_operand(in2)
    if aval(in1).ndim != aval(in2).ndim:
        raise ValueError("in1 and in2 should have the same dimensionality")
    if aval(in1).size == 0 or aval(in2).size == 0:  # SciPy raises too (or answers oddly)
        raise ValueError(f"in1 and in2 must not be empty, got shapes {aval(in1).shape} and "
                         f"{aval(in2).shape}")
    return in1, in2


def convolve(in1, in2, mode="full", method="auto"):
    """SciPy's ``convolve`` of two n-d arrays: modes 'full', 'same' (in1's shape, centred)
    and 'valid' (where one fully overlaps the other).

    >>> import numpy as np
    >>> convolve(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]))
    array([0. , 1. , 2.5, 4. , 1.5])
    """
    if _is_concrete(in1, in2):
        return _scipy_signal().convolve(in1, in2, mode=mode, method=method)
    in1, in2 = _check(in1, in2, method)
    if aval(in1).ndim == 0:  # SciPy: the product
        return in1 * in2
    full = _convolution.full_convolution(in1, in2)
    return _cropped(full, aval(in1).shape, aval(in2).shape, mode)


def correlate(in1, in2, mode="full", method="auto"):
    """SciPy's ``correlate``: ``z[k] = sum_l in1[l] * conj(in2[l - k + N - 1])``, i.e.
    convolution with ``in2`` flipped and conjugated, with the same modes."""
    if _is_concrete(in1, in2):
        return _scipy_signal().correlate(in1, in2, mode=mode, method=method)
    return _correlate(in1, in2, mode, method, round_up=False)


def _correlate(in1, in2, mode, method, round_up):
    in1, in2 = _check(in1, in2, method)
    if aval(in1).ndim == 0:  # SciPy: the product with in2's conjugate
        return in1 * _convolution.conjugate_if_complex(in2)
    full = _convolution.full_convolution(in1, flip(_convolution.conjugate_if_complex(in2)))
    return _cropped(full, aval(in1).shape, aval(in2).shape, mode, round_up)


def _two_dimensional(name, function):
    def function_2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
        if _is_concrete(in1, in2):
            return getattr(_scipy_signal(), name)(in1, in2, mode, boundary, fillvalue)
        if boundary not in ("fill", "wrap", "circular", "symm", "symmetric"):
            raise ValueError("Acceptable boundary flags are 'fill', 'circular' (or 'wrap'), "
                             "and 'symmetric' (or 'symm').")
        if boundary != "fill" or fillvalue != 0:
            raise NotImplementedError(f"{name}: only boundary='fill' with fillvalue=0 is "
                                      "supported")
        if aval(array_operand(in1)).ndim != 2 or aval(array_operand(in2)).ndim != 2:
            raise ValueError(f"{name} inputs must both be 2-D arrays")
        return function(in1, in2, mode)

    function_2d.__name__ = function_2d.__qualname__ = name
    function_2d.__doc__ = f"SciPy's ``{name}`` of 2-D arrays (boundary 'fill' with 0)."
    return function_2d


def _is_concrete(*values):
    return is_eager_all(()) and not contains_tracer(values)


convolve2d = _two_dimensional("convolve2d", convolve)
correlate2d = _two_dimensional(
    "correlate2d", lambda in1, in2, mode: _correlate(in1, in2, mode, "direct", round_up=True))


def _fft_axes(shape1, shape2, axes):
    """SciPy's convolution axes: every axis by default, normalized, without those where
    either input has length 1 (broadcasting multiplies along them)."""
    ndim = len(shape1)
    if axes is None:
        axes = range(ndim)
    else:
        axes = [axes] if np.ndim(axes) == 0 else list(axes)
        if not axes:
            raise ValueError("when provided, axes cannot be empty")
    axes = [normalize_axis_index(operator.index(axis), ndim) for axis in axes]
    if len(set(axes)) != len(axes):
        raise ValueError("all axes must be unique")
    axes = [axis for axis in axes if shape1[axis] != 1 and shape2[axis] != 1]
    if not all(shape1[a] == shape2[a] or shape1[a] == 1 or shape2[a] == 1
               for a in range(ndim) if a not in axes):
        raise ValueError(f"incompatible shapes for in1 and in2: {shape1} and {shape2}")
    return axes


def _centered(array, shape):
    current = aval(array).shape
    starts = tuple((c - n) // 2 for c, n in zip(current, shape))
    return _convolution.slice_region(array, starts, shape)


def _spectral_product(in1, in2, axes, shape):
    """The convolution of ``in1`` and ``in2`` along ``axes``, cropped to ``shape``: the
    inverse transform of the product of their spectra, taken at SciPy's fast lengths."""
    import scipy.fft
    if not axes:
        return in1 * in2
    complex_result = aval(in1).dtype.kind == "c" or aval(in2).dtype.kind == "c"
    lengths = [scipy.fft.next_fast_len(shape[axis], not complex_result) for axis in axes]
    if aval(in1).dtype.kind in "iu":
        in1 = in1.astype(np.float64)
    if aval(in2).dtype.kind in "iu":
        in2 = in2.astype(np.float64)
    if complex_result:
        spectra = fnp.fft.fftn(in1, lengths, axes) * fnp.fft.fftn(in2, lengths, axes)
        full = fnp.fft.ifftn(spectra, lengths, axes)
    else:
        spectra = fnp.fft.rfftn(in1, lengths, axes) * fnp.fft.rfftn(in2, lengths, axes)
        full = fnp.fft.irfftn(spectra, lengths, axes)
    return _convolution.slice_region(full, (0,) * len(shape), shape)


@scipy_when_eager("fftconvolve")
def fftconvolve(in1, in2, mode="full", axes=None):
    """SciPy's ``fftconvolve``: the convolution of two n-d arrays along ``axes`` (all by
    default; the other axes broadcast) through FFTs, with modes 'full', 'same' and
    'valid' as :func:`convolve`.

    >>> import numpy as np
    >>> result = fftconvolve(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]))
    >>> np.allclose(result, [0.0, 1.0, 2.5, 4.0, 1.5])
    True
    """
    in1, in2 = array_operand(in1), array_operand(in2)
    shape1, shape2 = aval(in1).shape, aval(in2).shape
    if len(shape1) == len(shape2) == 0:
        return in1 * in2
    if len(shape1) != len(shape2):
        raise ValueError("in1 and in2 should have the same dimensionality")
    if aval(in1).size == 0 or aval(in2).size == 0:
        return np.asarray([])
    axes = _fft_axes(shape1, shape2, axes)
    if mode == "valid":
        first_larger = all(shape1[a] >= shape2[a] for a in axes)
        if not (first_larger or all(shape2[a] >= shape1[a] for a in axes)):
            raise ValueError("For 'valid' mode, one must be at least as large as the other in "
                             "every dimension")
        if not first_larger:
            in1, in2, shape1, shape2 = in2, in1, shape2, shape1
    elif mode not in ("full", "same"):
        raise ValueError("acceptable mode flags are 'valid', 'same', or 'full'")
    shape = [shape1[a] + shape2[a] - 1 if a in axes else max(shape1[a], shape2[a])
             for a in range(len(shape1))]
    full = _spectral_product(in1, in2, axes, shape)
    if mode == "full":
        return full
    if mode == "same":
        return _centered(full, shape1)
    return _centered(full, [shape1[a] - shape2[a] + 1 if a in axes else shape[a]
                            for a in range(len(shape1))])
