"""The choice every functrans.numpy function makes first: NumPy or primitives.

With no transform active and no tracer among the arguments, a function calls
NumPy directly, so eager code costs about what NumPy costs. The test reads the
per-thread trace state directly (one attribute read) rather than through
``core.current_trace()``, because it runs on every eager call.
"""
import numpy as np

from functrans import core

_trace_state = core._state
_EVAL_TRACE = core.EVAL_TRACE
Tracer = core.Tracer


def is_eager(x):
    """True when ``x`` is concrete and no transform is active: use NumPy."""
    return _trace_state.trace is _EVAL_TRACE and not isinstance(x, Tracer)


def is_eager2(x, y):
    return _trace_state.trace is _EVAL_TRACE and not isinstance(x, Tracer) and not isinstance(y, Tracer)


def is_eager_all(values):
    """True when no transform is active and no element of ``values`` is a tracer."""
    if _trace_state.trace is not _EVAL_TRACE:
        return False
    for value in values:
        if isinstance(value, Tracer):
            return False
    return True


def contains_tracer(value):
    """Whether a (possibly nested) list or tuple holds a tracer."""
    if isinstance(value, Tracer):
        return True
    if isinstance(value, (list, tuple)):
        return any(contains_tracer(v) for v in value)
    return False


def operand(x):
    """``x`` as a value primitives accept: tracers, NumPy values and Python scalars pass;
    nested lists become arrays (stacked, if they hold tracers)."""
    if isinstance(x, (Tracer, np.ndarray, np.generic)) or type(x) in core.PYTHON_SCALAR_TYPES:
        return x
    if isinstance(x, (list, tuple)) and contains_tracer(x):
        from functrans.numpy._creation import asarray  # here: _creation builds on this module
        return asarray(x)
    return np.asarray(x)


def array_operand(x):
    """Like :func:`operand`, but Python scalars become 0-d NumPy arrays too (for functions
    that need an array's shape rather than a scalar's weak type)."""
    if type(x) in core.PYTHON_SCALAR_TYPES:
        return np.asarray(x)
    return operand(x)
