"""Partial evaluation: compute what is known now, record what is not.

A :class:`PartialEvalTrace` owns the *unknown* values (for linearize: the
tangents). A primitive with no unknown input runs at once under the parent
trace; one with an unknown input is recorded as an equation, its known
inputs captured as constants (the residuals of the linear IR).
"""
from functrans import core
from functrans.ir import eval_ir
from functrans.tracing import StagingTrace, StagingTracer

#: primitive -> rule(trace, args, params) for primitives whose known part must be
#: split from the unknown one in a special way (checkpoint recomputes).
partial_eval_rules = {}


#: primitives of one operand and no parameters (unary math) whose known results are worth
#: reusing: tangent rules apply them to the primal again (sin's needs cos(x), cos's needs
#: sin(x)), so linearizing sin(x) * cos(x) would otherwise compute each twice.
REUSABLE = set()


class PartialEvalTrace(StagingTrace):
    __slots__ = ("known_results",)
    transform_name = "linearize (partial evaluation)"

    def __init__(self, parent):
        super().__init__(parent)
        self.known_results = {}  # (primitive, id(operand)) -> (operand, result)

    def process_primitive(self, primitive, args, params):
        for x in args:
            if type(x) is StagingTracer and x.owner is self:
                break
        else:
            # Known: computed now. (Each trace sets the current trace itself where it runs a
            # rule, so handing the primitive to the parent directly is the same as binding
            # it under the parent, one call cheaper.)
            if primitive in REUSABLE:
                return self.reuse(primitive, args[0])
            return self.parent.process_primitive(primitive, args, params)
        rule = partial_eval_rules.get(primitive)
        if rule is not None:
            return rule(self, args, params)
        return self.stage(primitive, args, params)

    def reuse(self, primitive, operand):
        """``primitive(operand)``, computed once per operand in this trace.

        The entry keeps ``operand`` alive, so its ``id`` cannot name another value meanwhile.
        """
        key = (primitive, id(operand))
        entry = self.known_results.get(key)
        if entry is None:
            result = self.parent.process_primitive(primitive, (operand,), {})
            entry = self.known_results[key] = (operand, result)
        return entry[1]

    def stage(self, primitive, args, params):
        """Record ``primitive`` as an equation, whatever its inputs."""
        return StagingTrace.process_primitive(self, primitive, args, params)

    def is_unknown(self, x):
        return type(x) is StagingTracer and x.owner is self


def partial_eval_ir(ir, unknown_inputs, force_unknown_outputs=None):
    """Split ``ir`` by which inputs are unknown.

    Returns ``(known_ir, known_consts, unknown_ir, unknown_outputs, residual_count)``:
    ``known_ir`` maps ``known_consts`` (constants the split created) and the known inputs to
    the known outputs followed by the residuals; ``unknown_ir`` maps the residuals followed by
    the unknown inputs to the unknown outputs. Outputs flagged in
    ``force_unknown_outputs`` come from ``unknown_ir`` even if they are known (their values
    pass through as residuals), so a loop's carry stays on one side.

    The IR is evaluated under a :class:`PartialEvalTrace` stacked on a staging trace, so each
    equation is split by its primitive's own rule: a loop or branch inside the IR is split
    too, not moved whole to the unknown side.
    """
    forced = force_unknown_outputs or [False] * len(ir.out_vars)
    with core.new_trace(StagingTrace) as known_trace:
        known_inputs = [known_trace.new_input(v.aval) for v, u in zip(ir.in_vars, unknown_inputs)
                        if not u]
        with core.new_trace(PartialEvalTrace) as partial:
            unknown_tracers = [partial.new_input(v.aval) for v, u in zip(ir.in_vars, unknown_inputs)
                               if u]
            known_values, unknown_values = iter(known_inputs), iter(unknown_tracers)
            arguments = [next(unknown_values) if u else next(known_values) for u in unknown_inputs]
            outputs = eval_ir(ir, *arguments)
        unknown_outputs = [partial.is_unknown(x) or force for x, force in zip(outputs, forced)]
        unknown_ir, residuals = partial.to_ir(
            unknown_tracers, [x for x, u in zip(outputs, unknown_outputs) if u]).hoist_consts()
        known_ir = known_trace.to_ir(
            known_inputs, [x for x, u in zip(outputs, unknown_outputs) if not u] + residuals)
    known_ir, known_consts = known_ir.hoist_consts()
    return known_ir, known_consts, unknown_ir, unknown_outputs, len(residuals)
