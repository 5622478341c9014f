"""The lowering rule tables, filled in beside each primitive's definition.

Three kinds of primitive lower differently:

* *scalar* (elementwise): a rule builds a scalar expression from the
  operands' scalar expressions, e.g. ``sin`` -> ``np.sin({x})``. Such
  primitives fuse into the loop of whatever consumes them.
* *index maps* (broadcast_in_dim, transpose, slice, reshape, ...): a rule maps
  an output index to the operand index it reads; these fuse too.
* *reductions*: an accumulator with an initial value and an update, filled
  inside the loop over the reduced operand.

Every other primitive has an *emitter* that writes the statements computing
its outputs into materialized arrays (matrix products, gathers, sorts, ...), or, if it
is a call-like primitive (jit_call, checkpoint, the custom-rule calls), is *inlined*:
its sub-IR ``params["call"]`` is spliced in place before lowering.

Naming, as in every rule table of functrans: a table of rules is ``<kind>_rules``
(primitive -> rule); a set of primitives with a property, or a table of plain data, is
upper case (``COSTLY``, ``VECTOR_MATH``).
"""

#: primitive -> rule(params, *operand_expressions, operand_avals) -> expression string
scalar_rules = {}
#: primitive -> rule(params, operand_avals, out_aval, out_index) -> the operand's index (a tuple
#: of expressions); for a primitive with no operands (iota), the value's expression itself.
index_rules = {}
#: primitive -> Reducer
reduction_rules = {}
#: primitive -> emitter(writer, equation, operand_names, output_names)
emit_rules = {}
#: call-like primitives whose sub-IR ``params["call"]`` is inlined before lowering (their
#: other parameters only matter to transforms that have already run)
INLINED = set()
#: index maps cheap enough to recompute in every loop that reads them
DUPLICABLE = set()
#: elementwise primitive -> the name of its function in functrans.lowering.vecmath
VECTOR_MATH = {}
#: the primitives of VECTOR_MATH whose vector functions are exact only in a range (sin, cos)
RANGE_LIMITED = set()
#: elementwise primitives that cost far more than an add (transcendental functions): they
#: weigh in the choice of a parallel loop
COSTLY = set()


class Reducer:
    """How a reduction accumulates: ``init(dtype)`` and ``update(accumulator, value)`` strings."""

    def __init__(self, init, update, parallel_operator=None):
        self.init = init
        self.update = update
        #: ``+`` or ``*`` when numba's parallel loops can reduce with it
        self.parallel_operator = parallel_operator


def defscalar(primitive, template):
    """An elementwise primitive lowered by a template: ``defscalar(sin_p, "np.sin({0})")``."""
    scalar_rules[primitive] = lambda params, *operands, operand_avals: template.format(*operands)


def defindex(primitive, rule, duplicable=True):
    index_rules[primitive] = rule
    if duplicable:
        DUPLICABLE.add(primitive)


def has_rule(primitive):
    return (primitive in scalar_rules or primitive in index_rules or
            primitive in reduction_rules or primitive in emit_rules or primitive in INLINED)
