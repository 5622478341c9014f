"""``scipy.signal``'s convolve and correlate (and their 2-D forms), traceable.

Direct convolution as a dot over sliding windows (see
``functrans.numpy._convolution``), so the results differentiate, batch and
compile. ``method`` 'direct', 'fft' and 'auto' all compute it directly.
"""
from functrans.numpy import _convolution
from functrans.numpy._dispatch import array_operand, contains_tracer, is_eager_all
from functrans.numpy._promotion import aval
from functrans.numpy._shapes import flip

__all__ = ["convolve", "convolve2d", "correlate", "correlate2d"]

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
    full = _convolution.full_convolution(in1, flip(_convolution.conjugate_if_complex(in2)))
    return _cropped(full, aval(in1).shape, aval(in2).shape, mode, round_up)


def _two_dimensional(name, function):
    def function_2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
        if _is_concrete(in1, in2):
            return getattr(_scipy_signal(), name)(in1, in2, mode, boundary, fillvalue)
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
