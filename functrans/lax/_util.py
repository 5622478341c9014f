"""Small helpers shared by the modules of the primitive table."""
from functrans.errors import shape_error  # noqa: F401  (re-exported for the lax modules)
from functrans.tangent_arithmetic import match_scalar  # noqa: F401  (re-exported)


def normalize_axes(axes, ndim):
    return tuple(sorted(a + ndim if a < 0 else a for a in axes))
