"""Errors that name the user's code, and the helper that finds it."""
import os
import sys

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_STDLIB_PREFIXES = (os.path.dirname(os.__file__),)


def user_frame():
    """The innermost stack frame outside functrans and the standard library, or None."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(_PACKAGE_DIR) and not filename.startswith(_STDLIB_PREFIXES):
            return frame
        frame = frame.f_back
    return None


def user_location():
    """``'file.py:12 (in f)'`` for the user's line that is running, or ``''``."""
    frame = user_frame()
    if frame is None:
        return ""
    return f"{frame.f_code.co_filename}:{frame.f_lineno} (in {frame.f_code.co_name})"


def at_user_line(message):
    location = user_location()
    return f"{message}\n  at {location}" if location else message


class ConcretizationError(TypeError):
    """A traced value was used where Python needs a concrete one (``if``, ``int()``, ...)."""


class EscapedTracerError(RuntimeError):
    """A tracer was used after the transform that made it had finished."""


class MissingRuleError(NotImplementedError):
    """A primitive has no rule for a transform; the message names the user's line.

    ``explanation`` replaces the default reason (a gap in functrans) where the missing rule
    has another cause, e.g. transposing a primitive applied to a nonlinear function's input.
    """

    def __init__(self, primitive, transform, explanation=None):
        self.primitive = primitive
        self.transform = transform
        if explanation is None:
            explanation = (f"the primitive '{primitive}' has no {transform} rule, so functrans "
                           f"cannot apply {transform} to it. This is a gap in functrans; please "
                           "report it. Until it is filled, compute this part without "
                           f"{transform}, or give the function a rule of your own with "
                           "functrans.custom_jvp / custom_vjp.")
        super().__init__(at_user_line(explanation))


def shape_error(message):
    """A TypeError for operands a primitive's shape rule rejects, naming the user's line."""
    return TypeError(at_user_line(message))
