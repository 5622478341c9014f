"""vmap: batching by carrying one batch axis per value through batching rules.

A :class:`BatchTracer` holds a value with an extra axis ``batch_axis`` (or
``None`` for a value that is the same for every batch element, which stays
unbatched: no copies unless an operation needs one). A batching rule maps
the values and their batch axes to the output and its batch axis.
"""
import functools
import inspect
import operator

from functrans import core, tree
from functrans.errors import ConcretizationError, MissingRuleError, at_user_line
from functrans.ir import eval_ir
from functrans.tangent_arithmetic import broadcast_in_dim, transpose
from functrans.tracing import flatten_function, trace_to_ir
from functrans.validation import check_axes

#: primitive -> rule(values, batch_axes, **params) -> (output, output_batch_axis)
#: (for primitives with several results: lists of both).
batch_rules = {}


# --- helpers ----------------------------------------------------------------------------

def move_axis(x, source, destination):
    if source == destination:
        return x
    ndim = core.get_aval(x).ndim
    order = [d for d in range(ndim) if d != source]
    order.insert(destination, source)
    return transpose(x, order)


def batched_at_front(x, batch_axis, size):
    """``x`` with its batch axis first, broadcast along a new first axis if unbatched."""
    if batch_axis is None:
        aval = core.get_aval(x)
        return broadcast_in_dim(x, (size,) + aval.shape, tuple(range(1, aval.ndim + 1)))
    return move_axis(x, batch_axis, 0)


def batch_size(values, batch_axes):
    for x, axis in zip(values, batch_axes):
        if axis is not None:
            return core.get_aval(x).shape[axis]
    raise ValueError("no batched operand")


def defvectorized(primitive):
    """Elementwise with one operand: the batch axis stays where it is."""
    def rule(values, batch_axes, **params):
        return primitive.bind(*values, **params), batch_axes[0]
    batch_rules[primitive] = rule


def defbroadcasting(primitive):
    """Elementwise over operands of one shape: align the batch axes, broadcast unbatched ones."""
    def rule(values, batch_axes, **params):
        batched = [a for a in batch_axes if a is not None]
        size = batch_size(values, batch_axes)
        if all(a == batched[0] for a in batch_axes):
            return primitive.bind(*values, **params), batched[0]
        values = [batched_at_front(x, a, size) for x, a in zip(values, batch_axes)]
        return primitive.bind(*values, **params), 0
    batch_rules[primitive] = rule


def defcall(primitive):
    """The batching rule of a call-like primitive (one holding a sub-IR ``params["call"]``):
    the sub-IR batched, bound again as ``primitive``, every output batched at 0."""
    def rule(values, batch_axes, **params):
        size = batch_size(values, batch_axes)
        batched_ir, consts = batch_ir(params["call"], batch_axes, size)
        params = dict(params, call=batched_ir)
        if "name" in params:
            params["name"] = f"vmap_{params['name']}"
        out = primitive.bind(*consts, *values, **params)
        return out, [0] * len(out)
    batch_rules[primitive] = rule


def defaxes_shifted(primitive, *axis_params, result_axis=0):
    """Batch axis moved to the front of every operand; axis parameters shifted past it."""
    def rule(values, batch_axes, **params):
        size = batch_size(values, batch_axes)
        values = [batched_at_front(x, a, size) for x, a in zip(values, batch_axes)]
        for name in axis_params:
            params[name] = shift_axes(params[name])
        out = primitive.bind(*values, **params)
        if primitive.multiple_results:
            return out, [result_axis] * len(out)
        return out, result_axis
    batch_rules[primitive] = rule


def shift_axes(axes):
    """Axis numbers (an int or a tuple) moved up by one, past a batch axis put in front."""
    if isinstance(axes, int):
        return axes + 1
    return tuple(a + 1 for a in axes)


# --- the trace --------------------------------------------------------------------------

class BatchTracer(core.Tracer):
    __slots__ = ("value", "batch_axis")
    parts = operator.attrgetter("value", "batch_axis")

    def __init__(self, trace, value, batch_axis):
        self.owner = trace
        self.value = value
        self.batch_axis = batch_axis

    @property
    def aval(self):
        aval = core.get_aval(self.value)
        axis = self.batch_axis
        return core.ShapedArray(aval.shape[:axis] + aval.shape[axis + 1:], aval.dtype, aval.weak_type)

    def concrete_value(self):
        raise ConcretizationError(at_user_line(
            f"a value {self.aval.str_short()} batched by vmap was used where Python needs one "
            "concrete value (`if`, `bool()`, `int()`, an index); it differs across the batch. "
            "Use functrans.numpy.where or functrans.lax.cond / select instead."))


class BatchTrace(core.Trace):
    __slots__ = ("axis_size",)
    transform_name = "vmap"

    def __init__(self, parent, axis_size):
        super().__init__(parent)
        self.axis_size = axis_size

    def process_primitive(self, primitive, args, params):
        values, batch_axes = self.unpack(BatchTracer, args)
        if batch_axes.count(None) == len(batch_axes):
            return self.parent.process_primitive(primitive, values, params)
        rule = batch_rules.get(primitive)
        if rule is None:
            raise MissingRuleError(primitive, "vmap")
        out, out_axes = self.run_under_parent(rule, values, batch_axes, **params)
        if primitive.multiple_results:
            return [x if a is None else BatchTracer(self, x, a) for x, a in zip(out, out_axes)]
        return out if out_axes is None else BatchTracer(self, out, out_axes)


def vmap_flat(flat_function, values, batch_axes, axis_size):
    """Outputs of ``flat_function`` batched over ``axis_size``, and their batch axes (or None)."""
    with core.new_trace(BatchTrace, axis_size) as trace:
        inputs = [x if a is None else BatchTracer(trace, x, a) for x, a in zip(values, batch_axes)]
        return trace.unpack(BatchTracer, flat_function(*inputs))


def vmap_flat_to(flat_function, values, batch_axes, axis_size, out_axis=0):
    """Like :func:`vmap_flat`, with every output batched at ``out_axis``."""
    outputs, axes = vmap_flat(flat_function, values, batch_axes, axis_size)
    return [move_axis(batched_at_front(x, a, axis_size), 0, out_axis) for x, a in zip(outputs, axes)]


# --- the public function ----------------------------------------------------------------

def _axes_for_leaves(axes, values, what):
    """One axis per leaf of ``values``, from an ``axes`` pytree that is a prefix of it."""
    if axes is None or isinstance(axes, int):
        return [axes] * len(tree.leaves(values))
    if isinstance(axes, (list, tuple)) and not isinstance(values, (list, tuple)) or (
            isinstance(axes, (list, tuple)) and len(axes) != len(values)) or (
            isinstance(axes, dict) and (not isinstance(values, dict) or set(axes) != set(values))):
        raise ValueError(at_user_line(
            f"vmap {what} {axes!r} does not match the structure of the arguments "
            f"{tree.structure(values)}: give one axis (an int or None) per argument, or a single "
            "int for all"))
    if isinstance(axes, dict):
        return [a for key in sorted(values) for a in _axes_for_leaves(axes[key], values[key], what)]
    if isinstance(axes, (list, tuple)):
        return [a for axis, value in zip(axes, values) for a in _axes_for_leaves(axis, value, what)]
    raise TypeError(f"vmap {what} must be ints, None, or tuples/lists/dicts of them; got {axes!r}")


def vmap(function, in_axes=0, out_axes=0, axis_size=None):
    """``function`` mapped over an axis of its arguments, as a vectorized function.

    >>> import numpy as np, functrans.numpy as fnp
    >>> vmap(lambda row: fnp.dot(row, row))(np.arange(6.0).reshape(3, 2))
    array([ 1., 13., 41.])

    ``in_axes``: for each positional argument, the axis to map over, or None
    to pass it unbatched (a single int applies to all; nested tuples, lists
    and dicts follow the argument's structure). ``out_axes`` likewise for the
    result.
    """
    check_axes(in_axes, "in_axes")
    check_axes(out_axes, "out_axes")
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)

    @functools.wraps(function)
    def batched_function(*args, **kwargs):
        leaves, in_tree = tree.flatten((args, kwargs))
        axes = _axes_for_leaves(in_axes if isinstance(in_axes, (int, type(None))) else tuple(in_axes),
                                args, "in_axes") + [0] * len(tree.leaves(kwargs))
        size = _common_size(function, args, leaves, axes, axis_size)
        flat_function, out_tree = flatten_function(function, in_tree)
        outputs, batch_axes = vmap_flat(flat_function, leaves, axes, size)
        output_tree = out_tree()
        structure = tree.unflatten(output_tree, outputs)
        wanted = _axes_for_leaves(out_axes, structure, "out_axes")
        results = []
        for index, (x, axis, want) in enumerate(zip(outputs, batch_axes, wanted)):
            if want is None:
                if axis is not None:
                    raise ValueError(at_user_line(
                        f"vmap out_axes=None for output {index}, but that output varies across "
                        "the batch; give it an integer out axis"))
                results.append(x)
                continue
            ndim = core.get_aval(x).ndim + (axis is None)
            if not -ndim <= want < ndim:
                raise ValueError(at_user_line(
                    f"vmap out_axes={want} is out of range for output {index} with {ndim} "
                    "dimensions"))
            results.append(move_axis(batched_at_front(x, axis, size), 0, want % ndim))
        return tree.unflatten(output_tree, results)

    return batched_function


def _common_size(function, args, leaves, axes, axis_size):
    sizes = {}
    names = _argument_names(function, len(args))
    leaf_owner = [i for i, a in enumerate(args) for _ in tree.leaves(a)]
    leaf_owner += [None] * (len(leaves) - len(leaf_owner))
    for index, (leaf, axis) in enumerate(zip(leaves, axes)):
        if axis is None:
            continue
        shape = core.get_aval(leaf).shape
        owner = leaf_owner[index]
        label = names[owner] if owner is not None else "a keyword argument"
        if not -len(shape) <= axis < len(shape):
            raise ValueError(at_user_line(
                f"vmap in_axes={axis} is out of range for {label} of shape {shape}"))
        axes[index] = axis % len(shape)
        sizes.setdefault(shape[axis], []).append(label)
    if axis_size is not None:
        sizes.setdefault(axis_size, []).append("axis_size")
    if not sizes:
        raise ValueError(at_user_line(
            "vmap needs at least one argument with a batch axis (in_axes not None), or axis_size"))
    if len(sizes) > 1:
        detail = "; ".join(f"size {size}: {', '.join(labels)}" for size, labels in sizes.items())
        raise ValueError(at_user_line(
            f"vmap got inconsistent sizes for the mapped axes ({detail}); all batched arguments "
            "must have the same size along their in_axes"))
    return next(iter(sizes))


def _argument_names(function, count):
    try:
        parameters = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        parameters = []
    return [f"argument {i} ({parameters[i]!r})" if i < len(parameters) else f"argument {i}"
            for i in range(count)]


def batch_ir(call, batch_axes, size):
    """``call`` batched: inputs with a batch axis at ``batch_axes`` (None: unbatched), every
    output batched at 0. Returns ``(ir, consts)`` with the constants hoisted into inputs."""
    avals = []
    for aval, axis in zip(call.in_avals, batch_axes):
        if axis is None:
            avals.append(aval)
        else:
            shape = list(aval.shape)
            shape.insert(axis, size)
            avals.append(core.ShapedArray(shape, aval.dtype, aval.weak_type))

    def batched(*values):
        return vmap_flat_to(lambda *xs: eval_ir(call, *xs), values, batch_axes, size)

    return trace_to_ir(batched, avals).hoist_consts()
