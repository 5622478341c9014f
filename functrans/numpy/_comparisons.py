"""Whole-array comparisons: isclose, allclose, array_equal, array_equiv."""
import numpy as np

from functrans.numpy._dispatch import array_operand
from functrans.numpy._eager import numpy_when_eager
from functrans.numpy._promotion import aval, promoted_dtype
from functrans.numpy._reductions import all as all_
from functrans.numpy._shapes import broadcast_arrays
from functrans.numpy._ufuncs import (
    abs as abs_, add, equal, isfinite, isnan, less_equal, logical_and, logical_or, multiply,
    subtract, where,
)


@numpy_when_eager(np.isclose)
def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """NumPy's ``isclose``: ``|a - b| <= atol + rtol * |b|``, infinities equal only to
    themselves, NaN equal to NaN only with ``equal_nan``."""
    a, b = array_operand(a), array_operand(b)
    dtype, _ = promoted_dtype(a, b)
    if dtype.kind not in "fc":
        dtype = np.dtype(np.float64)
    a, b = a.astype(dtype), b.astype(dtype)
    finite = logical_and(isfinite(a), isfinite(b))
    within = less_equal(abs_(subtract(a, b)), add(atol, multiply(rtol, abs_(b))))
    close = where(finite, within, equal(a, b))
    if equal_nan:
        close = logical_or(close, logical_and(isnan(a), isnan(b)))
    return close


@numpy_when_eager(np.allclose)
def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """NumPy's ``allclose``: all of :func:`isclose` (a boolean 0-d array when traced)."""
    return all_(isclose(a, b, rtol, atol, equal_nan))


@numpy_when_eager(np.array_equal)
def array_equal(a1, a2, equal_nan=False):
    """NumPy's ``array_equal``: same shape and equal elements (False for different shapes)."""
    a1, a2 = array_operand(a1), array_operand(a2)
    if aval(a1).shape != aval(a2).shape:
        return np.False_
    same = equal(a1, a2)
    if equal_nan and promoted_dtype(a1, a2)[0].kind in "fc":
        same = logical_or(same, logical_and(isnan(a1), isnan(a2)))
    return all_(same)


@numpy_when_eager(np.array_equiv)
def array_equiv(a1, a2):
    """NumPy's ``array_equiv``: equal after broadcasting (False when they do not broadcast)."""
    a1, a2 = array_operand(a1), array_operand(a2)
    try:
        np.broadcast_shapes(aval(a1).shape, aval(a2).shape)
    except ValueError:
        return np.False_
    a1, a2 = broadcast_arrays(a1, a2)
    return all_(equal(a1, a2))
