"""Tracing Python functions into an IR, and ``make_jaxpr``."""
import functools

from functrans import core, tree
from functrans.ir import IR, Equation, Var, literal_or_none


class StagingTracer(core.Tracer):
    # Not called ``var``: that would hide the array method ``x.var()``.
    __slots__ = ("aval", "variable")

    def __init__(self, trace, variable):
        self.owner = trace
        self.variable = variable
        self.aval = variable.aval


class StagingTrace(core.Trace):
    """Records every primitive bound on its tracers as an equation.

    Values it does not own (arrays the function closes over, tracers of outer
    transforms) become constant variables of the IR; scalars become literals.
    """

    __slots__ = ("equations", "constants")
    transform_name = "tracing into an IR (jit, make_jaxpr or a control-flow body)"

    def __init__(self, parent):
        super().__init__(parent)
        self.equations = []
        self.constants = {}  # id(value) -> (Var, value); the value is kept alive here

    def new_input(self, aval):
        return StagingTracer(self, Var(aval))

    def atom(self, x):
        """The IR atom (Var or Literal) standing for ``x`` in this trace."""
        if isinstance(x, StagingTracer) and x.owner is self:
            return x.variable
        if isinstance(x, core.Tracer):
            self.check_foreign(x)
        else:
            literal = literal_or_none(x)
            if literal is not None:
                return literal
        entry = self.constants.get(id(x))
        if entry is None:
            entry = self.constants[id(x)] = (Var(core.get_aval(x)), x)
        return entry[0]

    def process_primitive(self, primitive, args, params):
        inputs = [self.atom(x) for x in args]
        out_aval = primitive.abstract_eval(*[atom.aval for atom in inputs], **params)
        if primitive.multiple_results:
            outputs = [Var(aval) for aval in out_aval]
            self.equations.append(Equation(primitive, inputs, outputs, params))
            return [StagingTracer(self, var) for var in outputs]
        output = Var(out_aval)
        self.equations.append(Equation(primitive, inputs, [output], params))
        return StagingTracer(self, output)

    def to_ir(self, in_tracers, outputs):
        out_atoms = [self.atom(x) for x in outputs]
        const_vars = [var for var, _ in self.constants.values()]
        consts = [value for _, value in self.constants.values()]
        return IR(const_vars, consts, [t.variable for t in in_tracers], self.equations, out_atoms)


def trace_to_ir(flat_function, in_avals):
    """Trace ``flat_function`` (arrays in, list of arrays out) on abstract inputs into an IR."""
    with core.new_trace(StagingTrace) as trace:
        in_tracers = [trace.new_input(aval) for aval in in_avals]
        outputs = flat_function(*in_tracers)
        return trace.to_ir(in_tracers, outputs)


def flatten_function(function, in_treedef):
    """``(flat_function, out_tree)``: ``function`` on flat leaves; ``out_tree()`` is set after a call."""
    out_treedefs = []

    def flat_function(*leaves):
        args, kwargs = tree.unflatten(in_treedef, leaves)
        out_leaves, out_treedef = tree.flatten(function(*args, **kwargs))
        out_treedefs.append(out_treedef)
        return out_leaves

    def out_tree():
        return out_treedefs[-1]

    return flat_function, out_tree


def fix_arguments(function, args, free_positions, kwargs=None):
    """``function`` as a function of its positional arguments at ``free_positions`` (in that
    order), the others fixed to their values in ``args`` ("fix some arguments, trace the
    rest": static arguments, arguments not differentiated). ``kwargs`` are fixed too; keywords
    given to the result pass through."""
    free_positions = tuple(free_positions)
    fixed_kwargs = kwargs or {}

    def partial_function(*free, **more_kwargs):
        full = list(args)
        for position, value in zip(free_positions, free):
            full[position] = value
        return function(*full, **fixed_kwargs, **more_kwargs)
    return partial_function


def make_jaxpr(function, static_argnums=()):
    """The IR of ``function`` at the shapes and dtypes of the given arguments.

    >>> import functrans.numpy as fnp
    >>> print(make_jaxpr(lambda x: fnp.sin(x) * 2.0)(1.0))
    { lambda ; a:f64[]. let
        b:f64[] = sin a
        c:f64[] = mul b 2.0:f64[]
      in (c,) }
    """
    static_argnums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(function)
    def make(*args, **kwargs):
        positions = [i for i in range(len(args)) if i not in static_argnums]
        dynamic = [args[i] for i in positions]
        with_static = fix_arguments(function, args, positions)
        leaves, in_treedef = tree.flatten((tuple(dynamic), kwargs))
        flat_function, _ = flatten_function(with_static, in_treedef)
        return trace_to_ir(flat_function, [core.get_aval(x) for x in leaves])

    return make
