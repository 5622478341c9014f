"""The array API's products over the last axes: vecdot, matvec, vecmat, matrix_transpose."""
import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from functrans.numpy._dispatch import array_operand
from functrans.numpy._eager import numpy_when_eager
from functrans.numpy._einsum import einsum
from functrans.numpy._promotion import aval
from functrans.numpy._shapes import moveaxis, swapaxes


def _conjugated(x):
    from functrans.numpy._convolution import conjugate_if_complex
    return conjugate_if_complex(x)


@numpy_when_eager(np.vecdot)
def vecdot(x1, x2, /, *, axis=-1):
    """NumPy's ``vecdot``: ``sum(conj(x1) * x2)`` over ``axis``, broadcasting the rest."""
    x1, x2 = array_operand(x1), array_operand(x2)
    x1 = moveaxis(x1, normalize_axis_index(axis, aval(x1).ndim), -1)
    x2 = moveaxis(x2, normalize_axis_index(axis, aval(x2).ndim), -1)
    return einsum("...i,...i->...", _conjugated(x1), x2)


@numpy_when_eager(np.matvec)
def matvec(x1, x2, /):
    """NumPy's ``matvec``: matrices times vectors over the last axes, broadcast."""
    return einsum("...ij,...j->...i", array_operand(x1), array_operand(x2))


@numpy_when_eager(np.vecmat)
def vecmat(x1, x2, /):
    """NumPy's ``vecmat``: conjugated vectors times matrices over the last axes."""
    return einsum("...i,...ij->...j", _conjugated(array_operand(x1)), array_operand(x2))


@numpy_when_eager(np.matrix_transpose)
def matrix_transpose(x, /):
    """NumPy's ``matrix_transpose``: the last two axes swapped."""
    x = array_operand(x)
    if aval(x).ndim < 2:
        raise ValueError("Input array must be at least 2-dimensional")
    return swapaxes(x, -1, -2)
