"""The choice every functrans.numpy function makes first: NumPy or primitives.

With no transform active and no tracer among the arguments, a function calls
NumPy directly, so eager code costs about what NumPy costs. The test reads the
per-thread trace state directly (one attribute read) rather than through
``core.current_trace()``, because it runs on every eager call.
"""
import numpy as np

from functrans import core, dtypes, lax
from functrans.errors import ConcretizationError, at_user_line
from functrans.numpy._promotion import cast, promoted_dtype

trace_state = core.trace_state
EVAL_TRACE = core.EVAL_TRACE
Tracer = core.Tracer


def is_eager(x):
    """True when ``x`` is concrete and no transform is active: use NumPy."""
    return trace_state.trace is EVAL_TRACE and not isinstance(x, Tracer)


def is_eager_both(x, y):
    """True when ``x`` and ``y`` are concrete and no transform is active."""
    return trace_state.trace is EVAL_TRACE and not isinstance(x, Tracer) and not isinstance(y, Tracer)


def is_eager_all(values):
    """True when no transform is active and no element of ``values`` is a tracer."""
    if trace_state.trace is not EVAL_TRACE:
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
        return stack_nested(x)
    return np.asarray(x)


def as_inexact(x):
    """``x`` as an array of the float dtype NumPy's ``exp`` would give it (ints -> float)."""
    x = array_operand(x)
    float_dtype = dtypes.ufunc_result_dtype(np.exp, x.dtype)
    return x if x.dtype == float_dtype else cast(x, float_dtype)


def stack_nested(values):
    """A (nested) list or tuple holding tracers, as one array: ``asarray`` of it."""
    items = [array_operand(v) for v in values]
    dtype = promoted_dtype(*items)[0]
    items = [cast(item, dtype) for item in items]
    shapes = {core.get_aval(item).shape for item in items}
    if len(shapes) > 1:
        raise ValueError(at_user_line(
            f"all input arrays must have the same shape, got shapes {sorted(shapes)}"))
    return lax.concatenate([lax.expand_dims(item, (0,)) for item in items], 0)


def array_operand(x):
    """Like :func:`operand`, but Python scalars become 0-d NumPy arrays too (for functions
    that need an array's shape rather than a scalar's weak type)."""
    if type(x) in core.PYTHON_SCALAR_TYPES:
        return np.asarray(x)
    return operand(x)


def static_shape(shape, function_name):
    """``shape`` unchanged, or a ConcretizationError if a traced value is in it."""
    entries = shape if isinstance(shape, (tuple, list)) else (shape,)
    for entry in entries:
        if isinstance(entry, Tracer):
            raise ConcretizationError(at_user_line(
                f"{function_name}: a traced value {entry.aval.str_short()} under "
                f"{entry.owner.transform_name} was used as a shape; shapes must be known when "
                "tracing. Mark the argument it comes from static (jit(f, static_argnums=...) "
                "or static_argnames=...), or take the size from an array's .shape"))
    return shape
