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
            return self.run_under_parent(primitive.bind, *args, **params)
        rule = partial_eval_rules.get(primitive)
        if rule is not None:
            return rule(self, args, params)
        return self.stage(primitive, args, params)

    def stage(self, primitive, args, params):
        """Record ``primitive`` as an equation, whatever its inputs."""
        return StagingTrace.process_primitive(self, primitive, args, params)

    def is_unknown(self, x):
        return type(x) is StagingTracer and x._trace is self
