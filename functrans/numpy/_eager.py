"""``numpy_when_eager``: a traceable function that is NumPy's own on concrete inputs.

The functions built from other functrans.numpy functions take this decorator,
so eager code costs what NumPy costs and gives NumPy's exact results, and the
traced version is used only under a transform or with tracer arguments.
"""
import functools

from functrans.numpy._dispatch import contains_tracer, is_eager_all


def _holds_tracer(value):
    if isinstance(value, dict):
        return any(_holds_tracer(v) for v in value.values())
    return contains_tracer(value)


def numpy_when_eager(numpy_function):
    """Decorate the traced version of ``numpy_function``."""
    def decorate(traced):
        @functools.wraps(traced)
        def function(*args, **kwargs):
            if (is_eager_all(()) and not any(_holds_tracer(a) for a in args)
                    and not any(_holds_tracer(v) for v in kwargs.values())):
                return numpy_function(*args, **kwargs)
            return traced(*args, **kwargs)
        return function
    return decorate
