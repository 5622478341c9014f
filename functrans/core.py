"""Abstract values, primitives, traces and tracers.

Every operation functrans knows is a :class:`Primitive`. Binding a primitive
hands it to the *current trace* of this thread. With no transform active that
is the evaluation trace, which runs the primitive's NumPy implementation.
A transform (jvp, vmap, staging into an IR, ...) installs its own trace whose
``parent`` is the trace that was current; it unwraps its own tracers, applies
its rule for the primitive, and runs that rule *under its parent*, so nested
transforms compose and a tracer is only ever handled by the trace that made
it. Values the trace does not own (constants, tracers of outer transforms) are
constants to it, which is why no perturbation confusion is possible.
"""
import threading

import numpy as np

from functrans import dtypes
from functrans.config import config
from functrans.errors import ConcretizationError, EscapedTracerError, at_user_line
from functrans.validation import array_leaf, check_python_int


class ShapedArray:
    """The abstract value of an array: its shape, dtype and weak-typedness."""

    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape, dtype, weak_type=False):
        self.shape = tuple(shape)
        self.dtype = dtype if isinstance(dtype, np.dtype) else np.dtype(dtype)
        self.weak_type = weak_type

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def update(self, shape=None, dtype=None, weak_type=None):
        return ShapedArray(
            self.shape if shape is None else shape,
            self.dtype if dtype is None else dtype,
            self.weak_type if weak_type is None else weak_type,
        )

    def strip_weak_type(self):
        return self if not self.weak_type else ShapedArray(self.shape, self.dtype)

    def __eq__(self, other):
        return (
            type(other) is ShapedArray
            and self.shape == other.shape
            and self.dtype == other.dtype
            and self.weak_type == other.weak_type
        )

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak_type))

    def str_short(self):
        return f"{dtypes.short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    def __repr__(self):
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapedArray({self.shape}, {self.dtype.name}{weak})"

    __str__ = str_short


_PYTHON_SCALAR_AVALS = {
    bool: ShapedArray((), np.bool_),
    int: ShapedArray((), np.int64, weak_type=True),
    float: ShapedArray((), np.float64, weak_type=True),
    complex: ShapedArray((), np.complex128, weak_type=True),
}
PYTHON_SCALAR_TYPES = tuple(_PYTHON_SCALAR_AVALS)

# type -> aval of the scalars of that type: Python's, and NumPy's numeric scalar types as they
# are met (scalars are the common case in eager use, so they cost one dictionary lookup).
_SCALAR_AVALS = dict(_PYTHON_SCALAR_AVALS)


_INT64_BOUND = 1 << 63


def get_aval(x):
    """The abstract value of a tracer, NumPy array, NumPy scalar or Python scalar."""
    kind = type(x)
    if kind is np.ndarray:
        if x.dtype.kind == "O":
            array_leaf(x, "an argument")
        if not x.dtype.isnative:  # the other byte order: the same values, computed natively
            return ShapedArray(x.shape, x.dtype.newbyteorder("="))
        return ShapedArray(x.shape, x.dtype)
    aval = _SCALAR_AVALS.get(kind)
    if aval is not None:
        if kind is int and not -_INT64_BOUND <= x < _INT64_BOUND:
            check_python_int(x, "a value")
        return aval
    if isinstance(x, Tracer):
        return x.aval
    if isinstance(x, np.generic):
        aval = ShapedArray((), x.dtype)
        if x.dtype.kind in "biufc":
            _SCALAR_AVALS[kind] = aval
        return aval
    if isinstance(x, np.ndarray):  # a subclass: refused if it would lose information
        return get_aval(array_leaf(x, f"an argument of type {type(x).__name__}"))
    raise TypeError(
        f"functrans cannot use a value of type {type(x).__name__} as an array: {x!r:.80}. "
        "Pass a NumPy array or a Python number (convert with numpy.asarray)."
    )


def is_python_scalar(x):
    return type(x) in _PYTHON_SCALAR_AVALS


class Primitive:
    """An operation with one rule per transform.

    ``impl`` evaluates it on NumPy arrays; ``abstract_eval`` maps input
    :class:`ShapedArray` values (and keyword parameters) to the output's.
    The other rules live in the tables of the transforms (see
    ``functrans.transforms``), registered beside the primitive's definition.
    """

    #: Every primitive by name: the table the systematic tests walk.
    registry = {}

    def __init__(self, name, *, multiple_results=False):
        if name in Primitive.registry:
            raise ValueError(f"a primitive named {name!r} exists already")
        self.name = name
        self.multiple_results = multiple_results
        self.impl = None
        self.abstract_eval = None
        Primitive.registry[name] = self

    def def_impl(self, impl):
        self.impl = impl
        return impl

    def def_abstract_eval(self, abstract_eval):
        self.abstract_eval = abstract_eval
        return abstract_eval

    def bind(self, *args, **params):
        return trace_state.trace.process_primitive(self, args, params)

    def __repr__(self):
        return self.name


class Trace:
    """A transform in progress. Subclasses implement :meth:`process_primitive`."""

    __slots__ = ("parent", "alive")
    #: How error messages name this transform.
    transform_name = "a transform"

    def __init__(self, parent):
        self.parent = parent
        self.alive = True

    def process_primitive(self, primitive, args, params):
        raise NotImplementedError

    def unpack(self, tracer_type, values):
        """The two parts (``tracer_type.parts(tracer)``) of each value that is this trace's
        tracer of ``tracer_type``; any other value is a constant to this trace: itself and
        ``None``. Returns two lists, e.g. the primals and tangents of JVP, the values and batch
        axes of vmap. ``parts`` is an ``operator.attrgetter`` of the tracer class (no Python
        call per value: this runs for every primitive under a transform).
        """
        parts = tracer_type.parts
        firsts, seconds = [], []
        for x in values:
            if type(x) is tracer_type and x.owner is self:
                first, second = parts(x)
                firsts.append(first)
                seconds.append(second)
            else:
                if isinstance(x, Tracer):
                    self.check_foreign(x)
                firsts.append(x)
                seconds.append(None)
        return firsts, seconds

    def check_foreign(self, tracer):
        """A tracer this trace does not own is a constant to it, unless its transform is over."""
        if not tracer.owner.alive:
            raise escaped_tracer_error(tracer)

    def run_under_parent(self, function, *args, **kwargs):
        """Run ``function`` with this trace's parent as the current trace."""
        previous = trace_state.trace
        set_current_trace(self.parent)
        try:
            return function(*args, **kwargs)
        finally:
            set_current_trace(previous)


def escaped_tracer_error(tracer):
    return EscapedTracerError(at_user_line(
        f"a traced value {tracer.aval.str_short()} from {tracer.owner.transform_name} was "
        "used after that transform finished (it escaped, e.g. stored in a global or a list "
        "outside the function). Return values from the transformed function instead of "
        "storing them elsewhere."
    ))


class EvalTrace(Trace):
    """The bottom of every trace stack: runs primitives on NumPy values."""

    __slots__ = ()
    transform_name = "evaluation"

    def __init__(self):
        super().__init__(parent=None)

    def process_primitive(self, primitive, args, params):
        for x in args:
            if isinstance(x, Tracer):
                raise escaped_tracer_error(x)
        return primitive.impl(*args, **params)


class DebugNansEvalTrace(EvalTrace):
    """The bottom trace while ``config.debug_nans`` is on: checks every result for NaN.

    Being a different object from :data:`EVAL_TRACE`, it also turns off the eager fast
    paths (functrans.numpy's and jit's), so every operation is checked.
    """

    __slots__ = ()

    def process_primitive(self, primitive, args, params):
        out = super().process_primitive(primitive, args, params)
        if _has_nan(out, primitive.multiple_results):
            call = params.get("call")
            if call is not None:
                # A compiled or called sub-IR: run it again primitive by primitive to find
                # the one that made the NaN.
                call.evaluate(*args)
            raise FloatingPointError(at_user_line(
                f"debug_nans: the primitive '{primitive.name}' produced NaN; guard its input "
                "(functrans.numpy.where, clip) or turn debug_nans off to let NaN through"))
        return out


def _has_nan(out, multiple_results):
    for value in (out if multiple_results else (out,)):
        value = np.asarray(value)
        if value.dtype.kind in "fc" and np.isnan(value).any():
            return True
    return False


EVAL_TRACE = EvalTrace()
DEBUG_NANS_TRACE = DebugNansEvalTrace()


class _TraceState(threading.local):
    trace = EVAL_TRACE


#: The current trace of this thread (``trace_state.trace``), read directly by the eager fast
#: paths (functrans.numpy, jit), where one attribute read matters.
trace_state = _TraceState()


def set_current_trace(trace):
    """Make ``trace`` current in this thread.

    The bottom trace (evaluation, or the NaN-checking evaluation of ``debug_nans``) is a
    setting of the whole process: a thread at the bottom holds no trace of its own but
    reads the class attribute, so a change of the setting reaches every thread at once.
    """
    if trace is EVAL_TRACE or trace is DEBUG_NANS_TRACE:
        trace_state.__dict__.pop("trace", None)
    else:
        trace_state.trace = trace


def _use_debug_nans(enabled):
    _TraceState.trace = DEBUG_NANS_TRACE if enabled else EVAL_TRACE


config.watch("debug_nans", _use_debug_nans)


def current_trace():
    return trace_state.trace


class new_trace:
    """``with new_trace(SomeTrace, ...) as trace:`` makes a trace current, then ends it.

    On exit the trace is marked finished, so its tracers that escaped are
    detected when they are next used.
    """

    __slots__ = ("trace", "previous")

    def __init__(self, trace_type, *args):
        self.trace = trace_type(trace_state.trace, *args)

    def __enter__(self):
        self.previous = trace_state.trace
        trace_state.trace = self.trace
        return self.trace

    def __exit__(self, *exc_info):
        set_current_trace(self.previous)
        self.trace.alive = False


class Tracer:
    """A value flowing through a transform. Subclasses hold an ``aval`` and the
    transform's own data. Array operators and methods are attached by
    :mod:`functrans.numpy`, so a tracer reads like a NumPy array.
    """

    #: ``owner``: the trace that made this tracer (the only one that unpacks it)
    __slots__ = ("owner",)
    __array_priority__ = 1000

    @property
    def shape(self):
        return self.aval.shape

    @property
    def dtype(self):
        return self.aval.dtype

    @property
    def ndim(self):
        return len(self.aval.shape)

    @property
    def size(self):
        return self.aval.size

    def __len__(self):
        if not self.aval.shape:
            raise TypeError("len() of a 0-d traced array")
        return self.aval.shape[0]

    def __iter__(self):
        if not self.aval.shape:
            raise TypeError("iteration over a 0-d traced array")
        return (self[i] for i in range(self.aval.shape[0]))

    def concrete_value(self):
        """The NumPy value behind this tracer, if the transform knows it (jvp does; jit does not)."""
        raise ConcretizationError(concretization_message(self))

    def __bool__(self):
        return bool(self.concrete_value())

    def __int__(self):
        return int(self.converted_value("int()"))

    def __float__(self):
        return float(self.converted_value("float()"))

    def __complex__(self):
        return complex(self.converted_value("complex()"))

    def __index__(self):
        return int(self.concrete_value())

    def __array__(self, dtype=None, copy=None):
        value = np.asarray(self.converted_value("numpy.asarray() (__array__)"))
        return value if dtype is None else value.astype(dtype)

    def converted_value(self, conversion):
        """The concrete value for a conversion to a Python number or NumPy array.

        A floating value being transformed would lose its derivative (or its batch) in
        the conversion, so it is refused even where the transform knows the value;
        comparisons and ``bool`` still work, since a branch loses no derivative.
        """
        value = self.concrete_value()
        if self.aval.dtype.kind in "fc":
            raise ConcretizationError(conversion_message(self, conversion))
        return value

    def __setitem__(self, index, value):
        raise TypeError(at_user_line(
            f"a traced array {self.aval.str_short()} under {self.owner.transform_name} does "
            "not support item assignment (x[i] = v): arrays being transformed are immutable. "
            "Write x = x.at[i].set(v) (or x.at[i].add(v)); functrans.numpy.at(x)[i].set(v) "
            "does the same and also works on NumPy arrays"))

    def __hash__(self):
        raise TypeError(
            f"a traced array {self.aval.str_short()} is unhashable; to use a value as a "
            "dictionary key or static argument it must be concrete"
        )

    def __repr__(self):
        return f"Traced<{self.aval.str_short()}>({self.owner.transform_name})"


def conversion_message(tracer, conversion):
    return at_user_line(
        f"{conversion} of a traced value {tracer.aval.str_short()} under "
        f"{tracer.owner.transform_name}: the conversion would make it a constant and "
        "silently drop its derivative (or its batch). Keep it an array: functrans.numpy "
        "functions take it as it is; to change its dtype use x.astype(...) or "
        "functrans.numpy.asarray(x, dtype); to mean a constant on purpose, use "
        "functrans.stop_gradient(x)."
    )


def concretization_message(tracer):
    return at_user_line(
        f"a traced value {tracer.aval.str_short()} under {tracer.owner.transform_name} was "
        "used where Python needs a concrete value (`if`, `while`, `bool()`, `int()`, "
        "`float()`, an index or a shape). Its value is not known while the function is "
        "being transformed. Use functrans.numpy.where or functrans.lax.cond / switch for "
        "branches, functrans.lax.while_loop / fori_loop / scan for loops, or mark the "
        "argument static (jit's static_argnums) if it really is a constant."
    )
