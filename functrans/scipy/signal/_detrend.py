"""``scipy.signal.detrend``, traceable: the mean, or a least-squares line per stretch
between breakpoints, removed along an axis.

The line fitted to a stretch of ``n`` points is a fixed linear map of its values (the
pseudo-inverse of the ``n x 2`` design matrix SciPy fits, computed with NumPy at trace
time), so removing it is two small matrix products that differentiate, batch and compile.
"""
import operator

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from functrans import numpy as fnp
from functrans.numpy._dispatch import Tracer, array_operand
from functrans.numpy._promotion import aval
from functrans.scipy.signal._eager import scipy_when_eager

_TYPES = ("linear", "l", "constant", "c")


def _working_dtype(dtype):
    """SciPy fits in the input's float or complex dtype, and in float64 for anything else."""
    dtype = np.dtype(dtype)
    return dtype if dtype.char in "dfDF" else np.dtype(np.float64)


def _breakpoints(bp, length):
    """The stretch boundaries: 0, the sorted distinct breakpoints, and the length."""
    if isinstance(bp, Tracer):
        raise TypeError("detrend: the breakpoints bp must be concrete integers (they set "
                        "the shapes of the fit), not traced values")
    bounds = np.unique(np.concatenate(np.atleast_1d(0, np.asarray(bp), length)))
    if np.any(bounds > length):
        raise ValueError("Breakpoints must be less than length of data along given axis.")
    if np.any(bounds < 0):
        raise ValueError("detrend: breakpoints bp must be non-negative")
    return [int(b) for b in bounds]


def _line_removed(stretch, dtype):
    """``stretch`` (the fitted axis last) minus its least-squares line ``a * k / n + b``,
    ``k = 1..n``, as SciPy parametrises it."""
    points = aval(stretch).shape[-1]
    design = np.ones((points, 2))
    design[:, 0] = np.arange(1, points + 1) / points
    real_dtype = np.empty((), dtype).real.dtype
    fit_map = np.linalg.pinv(design).T.astype(real_dtype)
    coefficients = fnp.matmul(stretch, fit_map)
    return stretch - fnp.matmul(coefficients, design.T.astype(real_dtype))


@scipy_when_eager("detrend")
def detrend(data, axis=-1, type="linear", bp=0, overwrite_data=False):
    """SciPy's ``detrend``: ``data`` minus its mean (``type='constant'``) or minus the
    least-squares line of each stretch between the breakpoints ``bp`` (``'linear'``) along
    ``axis``. ``overwrite_data`` is accepted and ignored (results are new arrays).

    >>> import numpy as np
    >>> detrend(np.array([1.0, 3.0, 5.0, 8.0]), type='constant')
    array([-3.25, -1.25,  0.75,  3.75])
    """
    if type not in _TYPES:
        raise ValueError("Trend type must be 'linear' or 'constant'.")
    data = array_operand(data)
    data_aval = aval(data)
    axis = normalize_axis_index(operator.index(axis), data_aval.ndim)
    if type in ("constant", "c"):
        return data - fnp.mean(data, axis, keepdims=True)
    dtype = _working_dtype(data_aval.dtype)
    length = data_aval.shape[axis]
    bounds = _breakpoints(bp, length)
    moved = fnp.moveaxis(data.astype(dtype), axis, -1)
    stretches = [_line_removed(moved[..., start:stop], dtype)
                 for start, stop in zip(bounds[:-1], bounds[1:])]
    if not stretches:
        return data.astype(dtype)
    result = stretches[0] if len(stretches) == 1 else fnp.concatenate(stretches, axis=-1)
    return fnp.moveaxis(result, -1, axis)
