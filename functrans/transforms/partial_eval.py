"""Partial evaluation: compute what is known now, record what is not.

A :class:`PartialEvalTrace` owns the *unknown* values (for linearize: the
tangents). A primitive with no unknown input runs at once under the parent
trace; one with an unknown input is recorded as an equation, its known
inputs captured as constants (the residuals of the linear IR).
"""
from functrans.tracing import StagingTrace, StagingTracer

#: primitive -> rule(trace, args, params) for primitives whose known part must be
#: split from the unknown one in a special way (checkpoint recomputes).
partial_eval_rules = {}


class PartialEvalTrace(StagingTrace):
    __slots__ = ()
    transform_name = "linearize (partial evaluation)"

    def process_primitive(self, primitive, args, params):
        for x in args:
            if type(x) is StagingTracer and x._trace is self:
                break
        else:
            # Known: computed now. (Each trace sets the current trace itself where it runs a
            # rule, so handing the primitive to the parent directly is the same as binding
            # it under the parent, one call cheaper.)
            return self.parent.process_primitive(primitive, args, params)
        rule = partial_eval_rules.get(primitive)
        if rule is not None:
            return rule(self, args, params)
        return self.stage(primitive, args, params)

    def stage(self, primitive, args, params):
        """Record ``primitive`` as an equation, whatever its inputs."""
        return StagingTrace.process_primitive(self, primitive, args, params)

    def is_unknown(self, x):
        return type(x) is StagingTracer and x._trace is self


def partial_eval_ir(ir, unknown_inputs, force_unknown_outputs=None):
    """Split ``ir`` by which inputs are unknown.

    Returns ``(known_ir, unknown_ir, unknown_outputs, residual_count)``: ``known_ir`` maps
    the known inputs to the known outputs followed by the residuals; ``unknown_ir`` maps the
    residuals followed by the unknown inputs to the unknown outputs. Outputs flagged in
    ``force_unknown_outputs`` come from ``unknown_ir`` even if they are known (their values
    pass through as residuals), so a loop's carry stays on one side.
    """
    from functrans.ir import IR, Var
    unknown = {v for v, flag in zip(ir.in_vars, unknown_inputs) if flag}
    known_equations, unknown_equations = [], []
    for equation in ir.equations:
        if any(type(v) is Var and v in unknown for v in equation.inputs):
            unknown.update(equation.outputs)
            unknown_equations.append(equation)
        else:
            known_equations.append(equation)
    forced = force_unknown_outputs or [False] * len(ir.out_vars)
    unknown_outputs = [(type(v) is Var and v in unknown) or force
                       for v, force in zip(ir.out_vars, forced)]
    residuals, seen = [], set()

    def keep(v):
        if type(v) is Var and v not in unknown and v not in seen:
            seen.add(v)
            residuals.append(v)

    for equation in unknown_equations:
        for v in equation.inputs:
            keep(v)
    for v, flag in zip(ir.out_vars, unknown_outputs):
        if flag:
            keep(v)
    known_in = [v for v, flag in zip(ir.in_vars, unknown_inputs) if not flag]
    unknown_in = [v for v, flag in zip(ir.in_vars, unknown_inputs) if flag]
    known_out = [v for v, flag in zip(ir.out_vars, unknown_outputs) if not flag]
    unknown_out = [v for v, flag in zip(ir.out_vars, unknown_outputs) if flag]
    known_ir = IR([], [], known_in, known_equations, known_out + residuals)
    unknown_ir = IR([], [], residuals + unknown_in, unknown_equations, unknown_out)
    return known_ir, unknown_ir, unknown_outputs, len(residuals)
