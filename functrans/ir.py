"""The intermediate representation: typed, SSA, first-order.

An :class:`IR` is a list of :class:`Equation` ``outputs = primitive[params](inputs)``
over typed :class:`Var` values, with :class:`Literal` scalars inline, constants
bound to ``const_vars``, and sub-IRs as parameters of call and control-flow
primitives. It prints readably and evaluates through ``bind``, so evaluating an
IR under a transform transforms it.
"""
import itertools

import numpy as np

from functrans import core, dtypes


class Var:
    """A typed variable. Identity is the variable; its printed name is given when printing."""

    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval

    def __repr__(self):
        return f"Var({self.aval.str_short()})"


class Literal:
    """A scalar constant written inline in an equation."""

    __slots__ = ("value", "aval")

    def __init__(self, value, aval):
        self.value = value
        self.aval = aval

    def __repr__(self):
        return f"Literal({self.value!r})"


class Equation:
    __slots__ = ("primitive", "inputs", "outputs", "params")

    def __init__(self, primitive, inputs, outputs, params):
        self.primitive = primitive
        self.inputs = inputs
        self.outputs = outputs
        self.params = params

    def __repr__(self):
        return f"Equation({self.primitive.name}, {len(self.inputs)} in, {len(self.outputs)} out)"


class IR:
    """A traced function: ``lambda const_vars ; in_vars. let equations in out_vars``.

    ``consts`` are the values of ``const_vars`` (arrays captured by the
    function, or tracers of an outer transform). ``out_vars`` may hold
    :class:`Literal` values and input variables.
    """

    __slots__ = ("const_vars", "consts", "in_vars", "equations", "out_vars")

    def __init__(self, const_vars, consts, in_vars, equations, out_vars):
        self.const_vars = list(const_vars)
        self.consts = list(consts)
        self.in_vars = list(in_vars)
        self.equations = list(equations)
        self.out_vars = list(out_vars)

    @property
    def in_avals(self):
        return [v.aval for v in self.in_vars]

    @property
    def out_avals(self):
        return [v.aval for v in self.out_vars]

    def evaluate(self, *args):
        """The outputs of this IR applied to ``args`` (:func:`eval_ir`)."""
        return eval_ir(self, *args)

    def hoist_consts(self):
        """``(ir, consts)``: the same IR taking its constants as leading inputs."""
        return IR([], [], self.const_vars + self.in_vars, self.equations, self.out_vars), self.consts

    def __str__(self):
        return IRPrinter().format(self)

    __repr__ = __str__

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def eval_ir(ir, *args):
    """Evaluate ``ir`` on ``args`` by binding each equation's primitive (so it is traceable)."""
    env = {}
    for var, value in zip(ir.const_vars, ir.consts):
        env[var] = value
    for var, value in zip(ir.in_vars, args):
        env[var] = value

    def read(atom):
        return atom.value if type(atom) is Literal else env[atom]

    for equation in ir.equations:
        inputs = [read(atom) for atom in equation.inputs]
        out = equation.primitive.bind(*inputs, **equation.params)
        if equation.primitive.multiple_results:
            for var, value in zip(equation.outputs, out):
                env[var] = value
        else:
            env[equation.outputs[0]] = out
    return [read(atom) for atom in ir.out_vars]


def depends_on(ir, flags):
    """Which outputs of ``ir`` depend on the inputs flagged in ``flags`` (a forward pass)."""
    marked = {v for v, flag in zip(ir.in_vars, flags) if flag}
    for equation in ir.equations:
        if any(type(v) is Var and v in marked for v in equation.inputs):
            marked.update(equation.outputs)
    return [type(v) is Var and v in marked for v in ir.out_vars]


def dead_code_elimination(ir, used_outputs=None):
    """Drop equations whose results no output needs, and unused constants.

    ``used_outputs``, a list of booleans, keeps only some outputs.
    """
    out_vars = ir.out_vars if used_outputs is None else [
        v for v, used in zip(ir.out_vars, used_outputs) if used]
    live = {v for v in out_vars if type(v) is Var}
    kept = []
    for equation in reversed(ir.equations):
        outputs = equation.outputs
        if outputs[0] in live if len(outputs) == 1 else any(v in live for v in outputs):
            kept.append(equation)
            for v in equation.inputs:
                if type(v) is Var:
                    live.add(v)
    kept.reverse()
    const_pairs = [(v, c) for v, c in zip(ir.const_vars, ir.consts) if v in live]
    return IR([v for v, _ in const_pairs], [c for _, c in const_pairs],
              ir.in_vars, kept, out_vars)


class IRPrinter:
    """Prints an IR in the style of a jaxpr, naming variables a, b, ..., z, ba, bb, ..."""

    def __init__(self):
        self.names = {}
        self.counter = itertools.count()

    def name(self, atom):
        if type(atom) is Literal:
            return _format_literal(atom)
        if atom not in self.names:
            self.names[atom] = _alphabetic(next(self.counter))
        return self.names[atom]

    def declare(self, var):
        return f"{self.name(var)}:{var.aval.str_short()}"

    def format(self, ir, indent=0):
        pad = " " * indent
        consts = " ".join(self.declare(v) for v in ir.const_vars)
        inputs = " ".join(self.declare(v) for v in ir.in_vars)
        lines = [f"{{ lambda {consts}{' ' if consts else ''}; {inputs}. let"]
        for equation in ir.equations:
            lines.append(pad + "    " + self.format_equation(equation, indent + 4))
        outputs = ", ".join(self.name(v) for v in ir.out_vars)
        lines.append(f"{pad}  in ({outputs}{',' if len(ir.out_vars) == 1 else ''}) }}")
        return "\n".join(lines)

    def format_equation(self, equation, indent):
        outputs = " ".join(self.declare(v) for v in equation.outputs)
        params = ""
        if equation.params:
            rendered = [f"{key}={self.format_param(value, indent + 2)}"
                        for key, value in sorted(equation.params.items())]
            params = "[" + ", ".join(rendered) + "]"
        inputs = " ".join(self.name(v) for v in equation.inputs)
        return f"{outputs} = {equation.primitive.name}{params} {inputs}".rstrip()

    def format_param(self, value, indent):
        if isinstance(value, IR):
            return self.format(value, indent)
        if isinstance(value, np.dtype):
            return dtypes.short_name(value)
        if isinstance(value, (tuple, list)) and any(isinstance(v, IR) for v in value):
            return "(" + ", ".join(self.format_param(v, indent) for v in value) + ")"
        if callable(value) and hasattr(value, "__name__"):
            return value.__name__
        return repr(value) if not isinstance(value, type) else value.__name__


def _format_literal(literal):
    value = literal.value
    if isinstance(value, np.generic) or isinstance(value, np.ndarray):
        value = value.item()
    text = repr(value)
    return f"{text}:{literal.aval.str_short()}"


def _alphabetic(index):
    letters = "abcdefghijklmnopqrstuvwxyz"
    name = letters[index % 26]
    index //= 26
    while index:
        index -= 1
        name = letters[index % 26] + name
        index //= 26
    return name


def literal_or_none(value):
    """A :class:`Literal` for a scalar constant, or None for values that need a constant var."""
    if core.is_python_scalar(value):
        return Literal(value, core.get_aval(value))
    if isinstance(value, np.generic):
        return Literal(value, core.get_aval(value))
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return Literal(value, core.ShapedArray((), value.dtype))
    return None
