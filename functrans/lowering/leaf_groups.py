"""Which equations of an IR are one computation repeated over many leaves, and how to pack them.

A function over a pytree of many leaves (an optimizer step over a parameter tree, a loss that
sums one reduction per leaf, its gradient) traces into an IR that repeats a few small
computations once per leaf. Lowered as it is, its kernel takes one parameter per leaf and
runs one loop per leaf, and numba's compile time and memory grow with the number of leaves
(10,000 leaves: minutes and gigabytes). This module finds the repetition;
functrans.lowering.leaf_batching then computes each repeated equation once, batched over
the leaves packed along a new leading axis, so the kernel grows with the number of
*distinct* per-leaf computations.

Equations are grouped by *height* (the longest chain of equations from the inputs to them)
and by *form* (primitive, parameters, operand shapes and dtypes, literal operands). Two
equations of one height never depend on each other, so a group can run as one batched
equation; and because an equation is higher than everything it reads, taking the nodes in
order of height keeps the program in dependency order. A chain of additions (Python's
``sum`` over per-leaf terms) is first seen as one sum of its terms, so the terms share a
height and their sum becomes a reduction over their pack.

A group is kept only if each of its operands is either the same value for every member or
a run of consecutive members of one pack (kernel inputs are packed to fit the first group
that reads them): then no values are copied into a pack inside the kernel. Other equations,
every program with fewer than MIN_GROUP repetitions and programs over big leaves (more than
MAX_PACKED_INPUT_SIZE elements each) are left as they are.
"""
import itertools

from functrans.ir import Literal, Var
from functrans.lowering.optimize import param_key
from functrans.tangent_arithmetic import add_p

#: Fewer repetitions than this are compiled as they are: packing pays only for many leaves.
MIN_GROUP = 8
#: Kernel inputs larger than this (elements) are never packed: packing copies them on every
#: call, which for big leaves costs more than a loop of their own (and there are few of them).
MAX_PACKED_INPUT_SIZE = 1 << 16


class Pack:
    """Values of one abstract value stored along a new leading axis, in ``members`` order:
    kernel inputs, or one output of the members of a group. ``serial`` orders packs by
    creation."""

    __slots__ = ("members", "aval", "serial")

    def __init__(self, members, serial):
        self.members = members
        self.aval = members[0].aval
        self.serial = serial


class Group:
    """Equations of one form and height, run as one batched equation.

    ``operands[j]`` says where the members' operand ``j`` comes from: ``("shared", atom)``,
    the same atom for every member (passed unbatched); ``("pack", pack)``, a whole pack in
    member order; ``("slice", pack, start)``, consecutive members of a pack.
    """

    __slots__ = ("equations", "operands", "packs")

    def __init__(self, equations, operands):
        self.equations = equations
        self.operands = operands
        self.packs = []


class Sum:
    """``output = terms[0] + terms[1] + ...``: a chain of additions seen as one sum."""

    __slots__ = ("terms", "output")

    def __init__(self, terms, output):
        self.terms = terms
        self.output = output


class LeafPlan:
    """The nodes of a rewritten IR in dependency order (equations, Groups, Sums), the packs
    of kernel inputs, and where each packed value lives (``location[var] = (pack, index)``)."""

    def __init__(self, nodes, input_packs, location):
        self.nodes = nodes
        self.input_packs = input_packs
        self.location = location


def plan_leaf_groups(ir, batchable):
    """The LeafPlan of ``ir`` (already optimised), or None when nothing repeats MIN_GROUP
    times. ``batchable(equation)`` says whether an equation may be batched at all."""
    nodes = _nodes_with_sums(ir)
    heights = _heights(ir, nodes)
    buckets = {}
    for position, node in enumerate(nodes):
        if type(node) is not Sum and batchable(node):
            buckets.setdefault((heights[position], _form(node)), []).append(position)
    candidates = {members[0]: members for members in buckets.values()
                  if len(members) >= MIN_GROUP}
    if not candidates:
        return None
    order = sorted(range(len(nodes)), key=lambda p: (heights[p], p))
    inputs = set(ir.in_vars)
    location, input_packs, planned = {}, [], []
    serials = itertools.count()
    grouped = {p for members in candidates.values() for p in members[1:]}
    for position in order:
        if position in grouped:
            continue
        members = candidates.get(position)
        if members is None:
            planned.append(nodes[position])
            continue
        for equations in _by_source([nodes[p] for p in members], location, inputs):
            group = None
            if len(equations) >= MIN_GROUP:
                group = _plan_group(equations, location, inputs, input_packs, serials)
            if group is None:
                planned.extend(equations)
            else:
                planned.append(group)
    if not any(type(node) is Group for node in planned):
        return None
    return LeafPlan(planned, input_packs, location)


def _form(equation):
    """What must be equal for equations to be batched together: all but which variables."""
    operands = tuple(("literal", repr(a.value), a.aval.dtype.str) if type(a) is Literal else
                     (a.aval.shape, a.aval.dtype, a.aval.weak_type) for a in equation.inputs)
    return equation.primitive, param_key(equation.params), operands


def _by_source(equations, location, inputs):
    """``equations`` (one form and height) split by where each operand comes from: a pack
    (which one), a kernel input not packed yet, or one particular other value. Equations of
    one part can share a batched equation: their operands are all shared or all packed."""
    parts = {}
    for equation in equations:
        source = tuple(("pack", location[a][0].serial) if a in location else
                       "input" if a in inputs else a
                       for a in equation.inputs if type(a) is not Literal)
        parts.setdefault(source, []).append(equation)
    return parts.values()


def _plan_group(equations, location, inputs, input_packs, serials):
    """The Group of ``equations`` (one form and height, operands from the same sources), its
    members ordered as a pack they read; None if an operand that differs between members is
    not a run of one pack in that order (nor kernel inputs that can be packed so)."""
    batched = [j for j, atoms in enumerate(zip(*(e.inputs for e in equations)))
               if not all(a is atoms[0] for a in atoms) and type(atoms[0]) is not Literal]
    order_by = next((j for j in batched if all(e.inputs[j] in location for e in equations)),
                    None)
    if order_by is not None:
        def place(equation):
            pack, index = location[equation.inputs[order_by]]
            return pack.serial, index
        equations = sorted(equations, key=place)
    operands = [("shared", atom) for atom in equations[0].inputs]
    new_inputs = []
    for j in batched:
        atoms = [e.inputs[j] for e in equations]
        plan = _packed_operand(atoms, location)
        if plan is None and atoms[0].aval.size <= MAX_PACKED_INPUT_SIZE and \
                all(a in inputs and a not in location for a in atoms) and \
                len(set(atoms)) == len(atoms):
            pack = Pack(atoms, next(serials))
            new_inputs.append(pack)
            for index, atom in enumerate(atoms):
                location[atom] = (pack, index)
            plan = ("pack", pack)
        if plan is None:
            for pack in new_inputs:  # undo: the group is not batched
                for atom in pack.members:
                    del location[atom]
            return None
        operands[j] = plan
    input_packs.extend(new_inputs)
    group = Group(equations, operands)
    for m in range(len(equations[0].outputs)):
        pack = Pack([e.outputs[m] for e in equations], next(serials))
        group.packs.append(pack)
        for index, equation in enumerate(equations):
            location[equation.outputs[m]] = (pack, index)
    return group


def _packed_operand(atoms, location):
    """``("pack", pack)`` or ``("slice", pack, start)`` if ``atoms`` are consecutive members
    of one pack; else None."""
    first = location.get(atoms[0])
    if first is None:
        return None
    pack, start = first
    for offset, atom in enumerate(atoms):
        if location.get(atom) != (pack, start + offset):
            return None
    if start == 0 and len(atoms) == len(pack.members):
        return ("pack", pack)
    return ("slice", pack, start)


def _nodes_with_sums(ir):
    """The equations of ``ir``, each maximal chain of additions of MIN_GROUP terms or more
    replaced by one Sum.

    An addition belongs to a chain when both operands have its output's shape and dtype
    (a number dtype, so the sum can be a reduce_sum) and, if it is not the chain's last,
    its result is read once, by the next addition of the chain, and is not an output.
    """
    consumers = {}
    for equation in ir.equations:
        for atom in equation.inputs:
            if type(atom) is Var:
                consumers.setdefault(atom, []).append(equation)
    outputs = {v for v in ir.out_vars if type(v) is Var}
    summable = {e for e in ir.equations if _is_summable(e)}
    inner = set()
    for equation in summable:
        result = equation.outputs[0]
        users = consumers.get(result, ())
        if result not in outputs and len(users) == 1 and users[0] in summable:
            inner.add(equation)
    producer = {e.outputs[0]: e for e in inner}
    replaced, sums = set(), {}
    for equation in summable - inner:
        terms, chain, stack = [], [], list(reversed(equation.inputs))
        while stack:  # depth first, left to right, without recursion (chains are long)
            atom = stack.pop()
            inner_equation = producer.get(atom) if type(atom) is Var else None
            if inner_equation is None:
                terms.append(atom)
            else:
                chain.append(inner_equation)
                stack.extend(reversed(inner_equation.inputs))
        if len(terms) >= MIN_GROUP:
            sums[equation] = Sum(terms, equation.outputs[0])
            replaced.update(chain)
    if not sums:
        return list(ir.equations)
    return [sums.get(e, e) for e in ir.equations if e not in replaced]


def _is_summable(equation):
    if equation.primitive is not add_p:
        return False
    out = equation.outputs[0].aval
    return out.dtype.kind in "iufc" and all(
        a.aval.shape == out.shape and a.aval.dtype == out.dtype for a in equation.inputs)


def _heights(ir, nodes):
    """The height of each node: 1 + the largest height of the nodes it reads (inputs: 0)."""
    height_of = {}
    heights = []
    for node in nodes:
        atoms = node.terms if type(node) is Sum else node.inputs
        height = 1 + max((height_of.get(a, 0) for a in atoms if type(a) is Var), default=0)
        heights.append(height)
        for var in ([node.output] if type(node) is Sum else node.outputs):
            height_of[var] = height
    return heights

