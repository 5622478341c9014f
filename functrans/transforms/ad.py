"""Forward-mode differentiation, linearization and transposition.

``jvp`` pushes tangents through the JVP rule of each primitive. ``linearize``
runs the same rules in a :class:`LinearizeTrace`, a partial-evaluation trace
whose unknowns are the tangents, so the primal computation happens now and
only the tangent computation is recorded: a *linear* IR. ``backward_pass``
transposes a linear IR with the transpose rules of the linear primitives.
``vjp`` is linearize then transpose; nothing here is a hand-written reverse
mode.

Inside rules a zero tangent or cotangent is ``None``: it costs nothing and
no zero array is built unless a rule needs one.
"""
import operator

import numpy as np

from functrans import core, dtypes, tangent_arithmetic
from functrans.errors import MissingRuleError, at_user_line
from functrans.ir import IR, Equation, Literal, Var, dead_code_elimination, eval_ir
from functrans.tangent_arithmetic import add_tangents, zeros_like_aval  # noqa: F401  (re-exported)
from functrans.tracing import StagingTracer, trace_to_ir
from functrans.transforms.partial_eval import (
    REUSABLE, PartialEvalTrace, partial_eval_ir, partial_eval_rules)

#: primitive -> rule(primals, tangents, **params) -> (primal_out, tangent_out)
jvp_rules = {}
#: primitive -> rule(cotangent, *inputs, **params) -> cotangent per input (None for none);
#: linear inputs arrive as :class:`UndefinedPrimal`.
transpose_rules = {}
#: primitive -> (factors, divisors) for elementwise primitives whose tangent is each input's
#: tangent scaled by a known factor; see :func:`defscaled`.
scaled_rules = {}
#: The tangent arithmetic :func:`scaled_tangent` does, by name: (lax-style function, primitive).
_ARITHMETIC = {"add": (tangent_arithmetic.add, tangent_arithmetic.add_p),
               "mul": (tangent_arithmetic.mul, tangent_arithmetic.mul_p),
               "div": (tangent_arithmetic.div, tangent_arithmetic.div_p),
               "neg": (tangent_arithmetic.neg, tangent_arithmetic.neg_p)}


# --- helpers that give the common shapes of rule -------------------------------------

def defjvp(primitive, *tangent_maps):
    """One linear map per argument: ``map(tangent, *primals, **params)`` -> output tangent.

    A ``None`` map marks an argument with no derivative.
    """
    def rule(primals, tangents, **params):
        primal_out = primitive.bind(*primals, **params)
        return primal_out, _sum_tangent_terms(
            tangent_map(tangent, *primals, **params)
            for tangent_map, tangent in zip(tangent_maps, tangents)
            if tangent_map is not None and tangent is not None)
    jvp_rules[primitive] = rule


def defjvp_with_output(primitive, *tangent_maps):
    """Like :func:`defjvp`, the map also seeing the output: ``map(tangent, output, *primals)``."""
    def rule(primals, tangents, **params):
        primal_out = primitive.bind(*primals, **params)
        return primal_out, _sum_tangent_terms(
            tangent_map(tangent, primal_out, *primals, **params)
            for tangent_map, tangent in zip(tangent_maps, tangents)
            if tangent_map is not None and tangent is not None)
    jvp_rules[primitive] = rule


def defscaled(primitive, *factors, divisors=()):
    """An elementwise primitive whose output tangent is the sum over its inputs of
    ``tangent_i * factor_i(output, *primals)``, or ``tangent_i / factor_i(...)`` for the
    inputs in ``divisors`` (so log1p's tangent is ``t / (1 + x)``, rounded once).

    A factor may be the number ``1`` or ``-1`` instead of a function (add, sub, neg), or
    ``None`` for an input with no derivative. Besides the JVP rule, linearize reads the
    factors directly and records ``mul(tangent, factor)`` without tracing the rule.
    """
    def rule(primals, tangents, **params):
        primal_out = primitive.bind(*primals, **params)
        return primal_out, scaled_tangent(factors, divisors, primal_out, primals, tangents,
                                          _apply_arithmetic)
    jvp_rules[primitive] = rule
    scaled_rules[primitive] = (factors, divisors)


def scaled_tangent(factors, divisors, primal_out, primals, tangents, apply):
    """The output tangent of a :func:`defscaled` primitive, each operation done by
    ``apply(name, tangent, other)`` (``name`` add, mul, div or neg; ``other`` None for neg)."""
    total = None
    for i, (factor, tangent) in enumerate(zip(factors, tangents)):
        if factor is None or tangent is None:
            continue
        if factor == 1:
            term = tangent
        elif factor == -1:
            term = apply("neg", tangent, None)
        else:
            scale = factor(primal_out, *primals)
            term = apply("div" if i in divisors else "mul", tangent, scale)
        total = term if total is None else apply("add", total, term)
    return total


def _apply_arithmetic(name, tangent, other):
    function = _ARITHMETIC[name][0]
    return function(tangent) if other is None else function(tangent, other)


def defzero(primitive):
    """The output does not depend differentiably on the inputs (comparisons, floor, argmax, ...)."""
    def rule(primals, tangents, **params):
        primal_out = primitive.bind(*primals, **params)
        if primitive.multiple_results:
            return primal_out, [None] * len(primal_out)
        return primal_out, None
    jvp_rules[primitive] = rule


def deflinear(primitive, transpose_rule):
    """A primitive linear in all its array inputs: its JVP is itself applied to the tangents."""
    def rule(primals, tangents, **params):
        primal_out = primitive.bind(*primals, **params)
        tangents = [instantiate(t, p) for t, p in zip(tangents, primals)]
        return primal_out, primitive.bind(*tangents, **params)
    jvp_rules[primitive] = rule
    transpose_rules[primitive] = transpose_rule


def deflinear_in(primitive, linear_argnums, transpose_rule):
    """Linear in the inputs ``linear_argnums``; the others (indices, predicates) have no derivative."""
    def rule(primals, tangents, **params):
        primal_out = primitive.bind(*primals, **params)
        if all(tangents[i] is None for i in linear_argnums):
            return primal_out, None
        inputs = [instantiate(tangents[i], primals[i]) if i in linear_argnums else primals[i]
                  for i in range(len(primals))]
        return primal_out, primitive.bind(*inputs, **params)
    jvp_rules[primitive] = rule
    transpose_rules[primitive] = transpose_rule


def defbilinear(primitive, lhs_transpose, rhs_transpose):
    """``f(x, y)`` linear in each argument separately (mul, dot_general).

    ``lhs_transpose(cotangent, y, x_aval, **params)`` is the cotangent of x;
    ``rhs_transpose(cotangent, x, y_aval, **params)`` that of y.
    """
    def jvp_rule(primals, tangents, **params):
        x, y = primals
        tx, ty = tangents
        out = primitive.bind(x, y, **params)
        terms = []
        if tx is not None:
            terms.append(primitive.bind(tx, y, **params))
        if ty is not None:
            terms.append(primitive.bind(x, ty, **params))
        return out, _sum_tangent_terms(terms)

    def transpose_rule(cotangent, x, y, **params):
        x_linear, y_linear = type(x) is UndefinedPrimal, type(y) is UndefinedPrimal
        if x_linear and y_linear:
            raise TypeError(f"{primitive.name} is not linear in both arguments at once")
        if x_linear:
            return [lhs_transpose(cotangent, y, x.aval, **params), None]
        return [None, rhs_transpose(cotangent, x, y.aval, **params)]

    jvp_rules[primitive] = jvp_rule
    transpose_rules[primitive] = transpose_rule


def _sum_tangent_terms(terms):
    total = None
    for term in terms:
        total = term if total is None else add_tangents(total, term)
    return total


def instantiate(tangent, primal):
    """A tangent as an array: zeros of the tangent type of ``primal`` if it is symbolically zero."""
    if tangent is not None:
        return tangent
    return zeros_like_aval(tangent_aval(core.get_aval(primal)))


def tangent_aval(aval):
    return core.ShapedArray(aval.shape, dtypes.tangent_dtype(aval.dtype))


class UndefinedPrimal:
    """Stands, during transposition, for a linear input whose cotangent is wanted."""

    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval

    def __repr__(self):
        return f"UndefinedPrimal({self.aval.str_short()})"


def is_undefined(x):
    return type(x) is UndefinedPrimal


# --- forward mode ---------------------------------------------------------------------

class JVPTracer(core.Tracer):
    __slots__ = ("primal", "tangent", "_aval")
    parts = operator.attrgetter("primal", "tangent")

    def __init__(self, trace, primal, tangent):
        self.owner = trace
        self.primal = primal
        self.tangent = tangent
        self._aval = None

    @property
    def aval(self):
        if self._aval is None:
            self._aval = core.get_aval(self.primal)
        return self._aval

    def concrete_value(self):
        primal = self.primal
        return primal.concrete_value() if isinstance(primal, core.Tracer) else primal


class JVPTrace(core.Trace):
    __slots__ = ()
    transform_name = "jvp (differentiation)"

    def process_primitive(self, primitive, args, params):
        primals, tangents = self.unpack(JVPTracer, args)
        if all(t is None for t in tangents):
            return self.parent.process_primitive(primitive, primals, params)
        rule = jvp_rules.get(primitive)
        if rule is None:
            raise MissingRuleError(primitive, "jvp")
        primal_out, tangent_out = self.run_under_parent(rule, primals, tangents, **params)
        if primitive.multiple_results:
            return [p if t is None else JVPTracer(self, p, t) for p, t in zip(primal_out, tangent_out)]
        return primal_out if tangent_out is None else JVPTracer(self, primal_out, tangent_out)


def jvp_flat(flat_function, primals, tangents):
    """Primal and tangent outputs of ``flat_function``; ``None`` tangents are zero."""
    with core.new_trace(JVPTrace) as trace:
        inputs = [p if t is None else JVPTracer(trace, p, t) for p, t in zip(primals, tangents)]
        outputs = flat_function(*inputs)
        return trace.unpack(JVPTracer, outputs)


# --- linearization --------------------------------------------------------------------

class LinearizeTracer(JVPTracer):
    """A value under linearize: its primal, computed now, and its tangent, recorded."""

    __slots__ = ()


class LinearizeTrace(PartialEvalTrace):
    """The JVP trace and the partial-evaluation trace of its tangents, as one trace.

    A primitive applied to a :class:`LinearizeTracer` runs its JVP rule with this trace
    current: the rule's primal operations have no unknown input and run now under the
    parent, its tangent operations have one and are recorded (the linear IR). Stacking a
    separate JVP trace on a partial-evaluation trace computes the same thing, with every
    primitive handed through one more trace.
    """

    __slots__ = ()
    transform_name = "linearize (differentiation)"

    def process_primitive(self, primitive, args, params):
        for x in args:
            if type(x) is LinearizeTracer and x.owner is self:
                return self.linearize(primitive, args, params)
        return PartialEvalTrace.process_primitive(self, primitive, args, params)

    def linearize(self, primitive, args, params):
        """Apply the JVP rule of ``primitive``: its primal now, its tangent recorded."""
        primals, tangents = self.unpack(LinearizeTracer, args)
        scaled = scaled_rules.get(primitive)
        if scaled is not None:
            primal_out, tangent_out = self.linearize_scaled(primitive, primals, tangents, params,
                                                            *scaled)
            return primal_out if tangent_out is None else LinearizeTracer(self, primal_out,
                                                                           tangent_out)
        rule = jvp_rules.get(primitive)
        if rule is None:
            raise MissingRuleError(primitive, "jvp")
        primal_out, tangent_out = rule(primals, tangents, **params)
        if primitive.multiple_results:
            return [p if t is None else LinearizeTracer(self, p, t)
                    for p, t in zip(primal_out, tangent_out)]
        return primal_out if tangent_out is None else LinearizeTracer(self, primal_out, tangent_out)

    def linearize_scaled(self, primitive, primals, tangents, params, factors, divisors):
        """The JVP rule of :func:`defscaled`, recording its few tangent equations directly."""
        if primitive in REUSABLE:
            primal_out = self.reuse(primitive, primals[0])
        else:
            primal_out = self.parent.process_primitive(primitive, primals, params)
        return primal_out, scaled_tangent(factors, divisors, primal_out, primals, tangents,
                                          self.apply_linear)

    def apply_linear(self, name, tangent, other):
        """The tangent arithmetic ``name`` of ``(tangent, other)`` (or of ``tangent`` alone), recorded as one
        equation when the operands are a recorded tangent and a value of its shape and dtype
        (what :meth:`linearize_scaled` meets); anything else goes through the lax function."""
        if type(tangent) is StagingTracer and tangent.owner is self:
            aval = tangent.aval
            inputs = [tangent.variable]
            if other is not None:
                kind = type(other)
                if kind is StagingTracer and other.owner is self:
                    other_aval, atom = other.aval, other.variable
                elif kind in dtypes.FLOAT_SCALAR_TYPES:
                    other_aval = core.get_aval(other)
                    atom = Literal(other, other_aval)
                elif kind is np.ndarray:
                    other_aval, atom = core.get_aval(other), self.atom(other)
                else:
                    other_aval = None
                if other_aval is None or other_aval.shape != aval.shape or \
                        other_aval.dtype != aval.dtype:
                    return _apply_arithmetic(name, tangent, other)
                if aval.weak_type and not other_aval.weak_type:
                    aval = other_aval
                inputs.append(atom)
            output = Var(aval)
            self.equations.append(Equation(_ARITHMETIC[name][1], inputs, [output], {}))
            return StagingTracer(self, output)
        return _apply_arithmetic(name, tangent, other)


def linearize_flat(flat_function, primals):
    """``(primal_outputs, linear_ir, zero_outputs)``.

    ``linear_ir`` maps input tangents to output tangents and holds only the
    tangent computation (linear primitives), with the residuals it needs
    from the primal computation as constants. ``zero_outputs[i]`` is True
    where output i does not depend on the inputs (its tangent is zero).
    """
    with core.new_trace(LinearizeTrace) as trace:
        tangent_inputs = [trace.new_input(tangent_aval(core.get_aval(p))) for p in primals]
        inputs = [p if not dtypes.is_inexact(t.aval.dtype) else LinearizeTracer(trace, p, t)
                  for p, t in zip(primals, tangent_inputs)]
        primals_out, tangents_out = trace.unpack(LinearizeTracer, flat_function(*inputs))
        zero_outputs = [t is None for t in tangents_out]
        tangents_out = [instantiate(t, p) for t, p in zip(tangents_out, primals_out)]
        linear_ir = trace.to_ir(tangent_inputs, tangents_out)
    return primals_out, dead_code_elimination(linear_ir), zero_outputs


# --- transposition --------------------------------------------------------------------

def backward_pass(linear_ir, cotangents_out, inputs=None):
    """Cotangents of ``linear_ir``'s inputs given those of its outputs (``None`` = zero).

    ``inputs`` gives a value for each input that is known (not linear) and an
    :class:`UndefinedPrimal` for each linear one; by default all are linear.
    Equations that do not depend on the linear inputs (recomputation inside
    a checkpointed region, say) are evaluated forward first; the others are
    transposed in reverse order, cotangents of values used many times summed.
    """
    env = dict(zip(linear_ir.const_vars, linear_ir.consts))
    if inputs is None:
        linear_vars = set(linear_ir.in_vars)
    else:
        linear_vars = {v for v, x in zip(linear_ir.in_vars, inputs) if type(x) is UndefinedPrimal}
        env.update((v, x) for v, x in zip(linear_ir.in_vars, inputs) if type(x) is not UndefinedPrimal)
    linear_equations = []
    for equation in linear_ir.equations:
        linear_inputs = [type(v) is Var and v in linear_vars for v in equation.inputs]
        if any(linear_inputs) and not all(linear_inputs) and \
                equation.primitive in partial_eval_rules:
            # A loop, branch or call with both known and linear inputs (inside a checkpointed
            # or jitted region): compute its known part now, transpose only the linear rest.
            for part in _split_equation(equation, linear_inputs, env):
                linear_vars.update(part.outputs)
                linear_equations.append(part)
        elif any(linear_inputs):
            linear_vars.update(equation.outputs)
            linear_equations.append(equation)
        else:
            values = [_read(env, v) for v in equation.inputs]
            out = equation.primitive.bind(*values, **equation.params)
            env.update(zip(equation.outputs, out if equation.primitive.multiple_results else (out,)))

    cotangents = {}
    for var, cotangent in zip(linear_ir.out_vars, cotangents_out):
        if cotangent is not None and type(var) is Var and var in linear_vars:
            previous = cotangents.get(var)
            cotangents[var] = cotangent if previous is None else add_tangents(previous, cotangent)
    for equation in reversed(linear_equations):
        primitive = equation.primitive
        if primitive.multiple_results:
            cotangent = [cotangents.pop(v, None) for v in equation.outputs]
            if all(c is None for c in cotangent):
                continue
        else:
            cotangent = cotangents.pop(equation.outputs[0], None)
            if cotangent is None:
                continue
        rule = transpose_rules.get(primitive)
        if rule is None:
            raise MissingRuleError(primitive, "transpose", (
                f"cannot transpose: the function is not linear in its inputs, '"
                f"{primitive.name}' is applied to a value that depends on them. "
                "linear_transpose takes linear functions only (vjp and grad linearize first)"))
        inputs = equation.inputs
        values = [UndefinedPrimal(v.aval) if type(v) is Var and v in linear_vars
                  else (v.value if type(v) is Literal else env[v]) for v in inputs]
        cotangents_in = rule(cotangent, *values, **equation.params)
        for var, cotangent_in in zip(inputs, cotangents_in):
            if cotangent_in is not None and type(var) is Var and var in linear_vars:
                previous = cotangents.get(var)
                cotangents[var] = (cotangent_in if previous is None
                                   else add_tangents(previous, cotangent_in))
    return [cotangents.get(v) if v in linear_vars else None for v in linear_ir.in_vars]


def _read(env, atom):
    return atom.value if type(atom) is Literal else env[atom]


def _split_equation(equation, linear_inputs, env):
    """Run the known part of ``equation`` now (into ``env``); return the equations of its
    linear rest, which read the residuals from ``env``."""
    in_vars = [Var(a.aval) for a in equation.inputs]
    single = IR([], [], in_vars, [Equation(equation.primitive, in_vars, equation.outputs,
                                            equation.params)], equation.outputs)
    known_ir, known_consts, unknown_ir, unknown_outputs, residual_count = partial_eval_ir(
        single, linear_inputs)
    known_values = [_read(env, a) for a, linear in zip(equation.inputs, linear_inputs)
                    if not linear]
    known_results = eval_ir(known_ir, *known_consts, *known_values)
    known_count = len(known_results) - residual_count
    known_outputs = [v for v, unknown in zip(equation.outputs, unknown_outputs) if not unknown]
    env.update(zip(known_outputs, known_results[:known_count]))
    substitution = {}
    for var, value in zip(unknown_ir.in_vars[:residual_count], known_results[known_count:]):
        residual = substitution[var] = Var(var.aval)
        env[residual] = value
    linear_atoms = [a for a, linear in zip(equation.inputs, linear_inputs) if linear]
    substitution.update(zip(unknown_ir.in_vars[residual_count:], linear_atoms))
    # The rest's equations write the original output variables directly; an output that
    # merely passes an input through is copied by a same-shape reshape (linear, transposable).
    passthrough = []
    produced = {v for e in unknown_ir.equations for v in e.outputs}
    for target, source in zip(
            [v for v, unknown in zip(equation.outputs, unknown_outputs) if unknown],
            unknown_ir.out_vars):
        if type(source) is Var and source in produced and source not in substitution:
            substitution[source] = target
        else:
            passthrough.append((target, source))
    parts = [Equation(e.primitive, [substitution.get(a, a) if type(a) is Var else a
                                    for a in e.inputs],
                      [substitution.setdefault(v, Var(v.aval)) for v in e.outputs], e.params)
             for e in unknown_ir.equations]
    if passthrough:
        for target, source in passthrough:
            source = substitution.get(source, source) if type(source) is Var else source
            parts.append(Equation(tangent_arithmetic.reshape_p, [source], [target],
                                  {"new_sizes": tuple(target.aval.shape)}))
    return parts


def _call_params(params, call, prefix):
    """A call-like primitive's parameters for a new sub-IR ``call``; its ``name``, if it has
    one, says which transform made it (``jvp_f``)."""
    params = dict(params, call=call)
    if "name" in params:
        params["name"] = f"{prefix}_{params['name']}"
    return params


def defcall(primitive):
    """The JVP and transpose rules of a call-like primitive (one holding a sub-IR
    ``params["call"]``: jit_call, checkpoint): the rule applied to the sub-IR, bound again as
    ``primitive`` (as JAX's ``call_transpose``)."""
    def jvp_rule(primals, tangents, **params):
        call = params["call"]
        jvp_call, arguments = jvp_of_call(call, primals, tangents)
        results = primitive.bind(*arguments, **_call_params(params, jvp_call, "jvp"))
        count = len(call.out_vars)
        return results[:count], results[count:]

    def transpose_rule(cotangents, *inputs, **params):
        call = params["call"]
        linear = [is_undefined(x) for x in inputs]
        known = [x for x in inputs if not is_undefined(x)]
        cotangents = [zeros_like_aval(aval) if c is None else c
                      for c, aval in zip(cotangents, call.out_avals)]

        def transposed(*known_and_cotangents):
            known_values = iter(known_and_cotangents[:len(known)])
            full = [x if is_linear else next(known_values) for x, is_linear in zip(inputs, linear)]
            cotangents_in = backward_pass(call, list(known_and_cotangents[len(known):]), full)
            return [instantiate(c, zeros_like_aval(x.aval))
                    for c, x, is_linear in zip(cotangents_in, inputs, linear) if is_linear]

        arguments = known + cotangents
        transposed_ir, consts = trace_to_ir(
            transposed, [core.get_aval(a) for a in arguments]).hoist_consts()
        results = iter(primitive.bind(*consts, *arguments,
                                      **_call_params(params, transposed_ir, "transpose")))
        return [next(results) if is_linear else None for is_linear in linear]

    jvp_rules[primitive] = jvp_rule
    transpose_rules[primitive] = transpose_rule


def jvp_of_call(call, primals, tangents):
    """An IR computing the outputs of ``call`` and their tangents, for call-like primitives.

    Returns ``(ir, arguments)``: ``ir`` takes its hoisted constants, then
    ``arguments`` (the primals and the nonzero tangents), and returns the
    outputs followed by their tangents.
    """
    differentiable = [t is not None for t in tangents]

    def outputs_and_tangents(*primals_and_tangents):
        primal_values = primals_and_tangents[:len(primals)]
        nonzero = iter(primals_and_tangents[len(primals):])
        tangent_values = [next(nonzero) if d else None for d in differentiable]
        outputs, tangents_out = jvp_flat(lambda *xs: eval_ir(call, *xs), primal_values,
                                         tangent_values)
        return outputs + [instantiate(t, o) for t, o in zip(tangents_out, outputs)]

    arguments = list(primals) + [t for t in tangents if t is not None]
    ir, consts = trace_to_ir(outputs_and_tangents, [core.get_aval(a) for a in arguments]).hoist_consts()
    return ir, consts + arguments
