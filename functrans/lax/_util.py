"""Small helpers shared by the modules of the primitive table."""
import numpy as np

from functrans import core
from functrans.errors import at_user_line


def shape_error(message):
    return TypeError(at_user_line(message))


def as_array_of(value, dtype):
    """``value`` as a NumPy value of ``dtype`` (a NumPy scalar for 0-d)."""
    return np.asarray(value, dtype=dtype)[()]


def match_scalar(scalar, other):
    """A Python scalar operand converted to the dtype and shape of ``other``."""
    from functrans.lax.shapes import broadcast_in_dim
    aval = core.get_aval(other)
    value = aval.dtype.type(scalar)
    if aval.shape:
        value = broadcast_in_dim(value, aval.shape, ())
    return value


def normalize_axes(axes, ndim):
    return tuple(sorted(a + ndim if a < 0 else a for a in axes))
