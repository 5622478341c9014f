"""``fft``: discrete Fourier transforms over an array's trailing axes, as one primitive.

As JAX's ``lax.fft``: ``fft_type`` is FFT or IFFT (complex to complex), RFFT (real to the
non-negative frequencies, ``n // 2 + 1`` of them on the last axis) or IRFFT (back; the
last of ``fft_lengths`` is the real output's length). Normalization is NumPy's default
("backward": IFFT and IRFFT divide by the number of points); ``functrans.numpy.fft``
scales for the other ``norm`` modes and moves, pads and crops axes.

Every transform is linear. Transposes are taken under the bilinear form
``<a, b> = Re(sum(a * b))`` (see functrans.lax.complex_numbers): the DFT matrix is
symmetric, so FFT and IFFT are their own transposes. RFFT keeps one of each pair of conjugate
frequencies and IRFFT uses each kept frequency twice (the first, and the Nyquist one for
an even length, once), so their transposes are each other's with that weighting:
``RFFT^T(c) = N * IRFFT(conj(c) / w)`` and ``IRFFT^T(c) = conj(RFFT(c)) * w / N``, with
``w`` = 1 at those frequencies, 2 elsewhere, and N the number of points.
"""
import enum
import math

import numpy as np

from functrans import core
from functrans.lax import elementwise as ew
from functrans.lax._util import shape_error
from functrans.lax.complex_numbers import complex_dtype, conj, real_dtype
from functrans.lax.shapes import broadcast_in_dim
from functrans.lowering import rules as lowering_rules
from functrans.transforms import ad, vmap


class FftType(enum.Enum):
    """The four transforms of :func:`fft`."""

    FFT = "fft"
    IFFT = "ifft"
    RFFT = "rfft"
    IRFFT = "irfft"

    def __repr__(self):
        return self.name

    __str__ = __repr__


_NUMPY_TRANSFORMS = {FftType.FFT: np.fft.fftn, FftType.IFFT: np.fft.ifftn,
                     FftType.RFFT: np.fft.rfftn, FftType.IRFFT: np.fft.irfftn}

fft_p = core.Primitive("fft")


@fft_p.def_impl
def _fft_impl(x, *, fft_type, fft_lengths):
    axes = tuple(range(-len(fft_lengths), 0))
    transform = _NUMPY_TRANSFORMS[fft_type]
    if fft_type is FftType.IRFFT:
        return transform(x, s=fft_lengths, axes=axes)
    return transform(x, axes=axes)


@fft_p.def_abstract_eval
def _fft_abstract_eval(x, *, fft_type, fft_lengths):
    count = len(fft_lengths)
    if not 1 <= count <= x.ndim or any(n < 1 for n in fft_lengths):
        raise shape_error(f"fft over lengths {fft_lengths} needs 1 to {x.ndim} positive "
                          f"lengths for an operand {x.str_short()}")
    batch_shape, trailing = x.shape[:x.ndim - count], x.shape[x.ndim - count:]
    real_input = fft_type is FftType.RFFT
    if (x.dtype.kind == "f") != real_input or x.dtype not in (
            np.float32, np.float64, np.complex64, np.complex128):
        wanted = "float32 or float64" if real_input else "complex64 or complex128"
        raise shape_error(f"fft of type {fft_type} takes {wanted} input, got {x.str_short()}")
    last = fft_lengths[-1]
    if fft_type is FftType.IRFFT:
        expected = fft_lengths[:-1] + (last // 2 + 1,)
        out_shape, out_dtype = batch_shape + fft_lengths, real_dtype(x.dtype)
    else:
        expected = fft_lengths
        out_shape = batch_shape + fft_lengths
        out_dtype = x.dtype
        if real_input:
            out_shape = out_shape[:-1] + (last // 2 + 1,)
            out_dtype = complex_dtype(x.dtype)
    if trailing != expected:
        raise shape_error(f"fft of type {fft_type} over lengths {fft_lengths} needs trailing "
                          f"dimensions {expected}, got {x.str_short()}")
    return core.ShapedArray(out_shape, out_dtype, x.weak_type)


def fft(x, fft_type, fft_lengths):
    """The ``fft_type`` transform (an :class:`FftType` or its name) of ``x`` over its last
    ``len(fft_lengths)`` axes, unnormalized forward and divided by N inverse.

    >>> fft(np.array([1.0, 2.0, 3.0, 4.0]), "rfft", (4,))
    array([10.+0.j, -2.+2.j, -2.+0.j])
    """
    fft_type = FftType(fft_type.lower()) if isinstance(fft_type, str) else FftType(fft_type)
    return fft_p.bind(x, fft_type=fft_type, fft_lengths=tuple(int(n) for n in fft_lengths))


def _hermitian_weights(cotangent, length, reciprocal):
    """``w`` (or ``1 / w``) along the last axis of ``cotangent``, in its dtype: 1 at the
    zero frequency (and at the Nyquist frequency of an even ``length``), 2 elsewhere."""
    aval = core.get_aval(cotangent)
    weights = np.full(length // 2 + 1, 2.0)
    weights[0] = 1.0
    if length % 2 == 0:
        weights[-1] = 1.0
    if reciprocal:
        weights = 1 / weights
    return broadcast_in_dim(weights.astype(aval.dtype), aval.shape, (aval.ndim - 1,))


def _fft_transpose(cotangent, x, *, fft_type, fft_lengths):
    points = math.prod(fft_lengths)
    if fft_type is FftType.RFFT:
        weighted = ew.mul(conj(cotangent), _hermitian_weights(cotangent, fft_lengths[-1], True))
        result = ew.mul(fft(weighted, FftType.IRFFT, fft_lengths), float(points))
    elif fft_type is FftType.IRFFT:
        spectrum = conj(fft(cotangent, FftType.RFFT, fft_lengths))
        result = ew.mul(ew.mul(spectrum, _hermitian_weights(spectrum, fft_lengths[-1], False)),
                        1.0 / points)
    else:
        result = fft(cotangent, fft_type, fft_lengths)
    return [result]


ad.deflinear(fft_p, _fft_transpose)


def _fft_batch(values, batch_axes, *, fft_type, fft_lengths):
    (x,), (axis,) = values, batch_axes
    if axis >= core.get_aval(x).ndim - len(fft_lengths):
        x, axis = vmap.move_axis(x, axis, 0), 0  # the trailing axes are the transformed ones
    return fft_p.bind(x, fft_type=fft_type, fft_lengths=fft_lengths), axis


vmap.batch_rules[fft_p] = _fft_batch


def emit_fft(writer, equation, operands, outputs):
    """``numpy.fft`` in the kernel: rocket-fft registers it for numba."""
    (x,), (out,) = operands, outputs
    params = equation.params
    fft_type, fft_lengths = params["fft_type"], params["fft_lengths"]
    ndim = equation.inputs[0].aval.ndim
    axes = tuple(range(ndim - len(fft_lengths), ndim))
    lengths = f", s={fft_lengths!r}" if fft_type is FftType.IRFFT else ""
    writer.line(f"{out} = np.fft.{fft_type.value}n({x}{lengths}, axes={axes!r})")


lowering_rules.emit_rules[fft_p] = emit_fft
