"""IR optimisations applied before lowering: inlining, CSE, constant folding, DCE."""
import numpy as np

from functrans import core
from functrans.ir import IR, Equation, Literal, Var, dead_code_elimination
from functrans.lowering.rules import INLINED


def inline_calls(ir):
    """The IR with every call primitive's body spliced in place."""
    equations = []
    renamed = {}

    def atom(a):
        return renamed.get(a, a) if type(a) is Var else a

    for equation in ir.equations:
        inputs = [atom(a) for a in equation.inputs]
        if equation.primitive in INLINED:
            body = inline_calls(equation.params["call"])
            substitution = dict(zip(body.in_vars, inputs))
            for inner in body.equations:
                equations.append(Equation(inner.primitive,
                                          [substitution.get(a, a) if type(a) is Var else a
                                           for a in inner.inputs],
                                          inner.outputs, inner.params))
            for out, inner_out in zip(equation.outputs, body.out_vars):
                renamed[out] = substitution.get(inner_out, inner_out) if type(inner_out) is Var \
                    else inner_out
        else:
            equations.append(Equation(equation.primitive, inputs, equation.outputs,
                                      equation.params))
    return IR(ir.const_vars, ir.consts, ir.in_vars, equations, [atom(a) for a in ir.out_vars])


def param_key(value):
    """A hashable key of an equation's parameters: equal keys, equal parameters."""
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype.str, value.tobytes())
    if isinstance(value, (list, tuple)):
        return tuple(param_key(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, param_key(v)) for k, v in value.items()))
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return value


def _atom_key(atom):
    if type(atom) is Literal:
        return ("literal", repr(atom.value), atom.aval.dtype.str)
    return atom


def common_subexpressions(ir):
    """Equations that repeat an earlier one (same primitive, inputs, params) reuse its outputs."""
    seen = {}
    renamed = {}
    equations = []

    def atom(a):
        return renamed.get(a, a) if type(a) is Var else a

    for equation in ir.equations:
        inputs = [atom(a) for a in equation.inputs]
        key = (equation.primitive, tuple(_atom_key(a) for a in inputs),
               param_key(equation.params))
        previous = seen.get(key)
        if previous is not None:
            renamed.update(zip(equation.outputs, previous.outputs))
            continue
        new = Equation(equation.primitive, inputs, equation.outputs, equation.params)
        seen[key] = new
        equations.append(new)
    return IR(ir.const_vars, ir.consts, ir.in_vars, equations, [atom(a) for a in ir.out_vars])


def fold_constants(ir):
    """Evaluate equations whose inputs are all literals and whose result is a scalar."""
    equations = []
    known = {}

    def atom(a):
        return known.get(a, a) if type(a) is Var else a

    for equation in ir.equations:
        inputs = [atom(a) for a in equation.inputs]
        scalar = all(v.aval.shape == () for v in equation.outputs)
        if scalar and not equation.primitive.multiple_results and inputs and \
                all(type(a) is Literal for a in inputs) and equation.primitive.impl is not None:
            value = np.asarray(equation.primitive.impl(*[a.value for a in inputs],
                                                       **equation.params))
            if value.ndim == 0:
                out = equation.outputs[0]
                known[out] = Literal(value[()], core.ShapedArray((), value.dtype))
                continue
        equations.append(Equation(equation.primitive, inputs, equation.outputs, equation.params))
    return IR(ir.const_vars, ir.consts, ir.in_vars, equations, [atom(a) for a in ir.out_vars])


def optimize(ir):
    """Inline calls, fold constants, share common subexpressions, drop dead code."""
    ir = inline_calls(ir)
    ir = fold_constants(ir)
    ir = common_subexpressions(ir)
    return dead_code_elimination(ir)

