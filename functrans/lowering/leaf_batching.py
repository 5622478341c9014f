"""An IR rewritten so that each computation repeated over many leaves runs once, batched.

functrans.lowering.leaf_groups finds the groups of equations that are one computation on
different leaves; here each group becomes one batched computation over its leaves packed
along a new leading axis, made by vmap's batching rules (so every primitive with a batching
rule qualifies, and the result is what vmap of the per-leaf computation gives). The kernel
then takes one parameter per pack and has one loop nest per group: its size, numba's compile
time and the interpreter's work grow with the number of distinct per-leaf computations, not
with the number of leaves. A chain of additions over packed terms becomes a reduce_sum over
the pack (reassociated: equal to the chain within rounding).

The rewritten IR is made by tracing: every node of the plan is bound again on staging
tracers, groups through ``vmap``. Values used one by one are sliced out of their pack.
"""
import logging

from functrans import core
from functrans.ir import IR, Literal
from functrans.lowering.leaf_groups import Group, Sum, plan_leaf_groups
from functrans.lowering.leaf_packing import LeafPacking
from functrans.lowering.optimize import optimize
from functrans.lowering.rules import INLINED
from functrans.tangent_arithmetic import add_p, reduce_sum_p, reshape
from functrans.tangent_arithmetic import slice as static_slice
from functrans.tracing import trace_to_ir
from functrans.transforms import vmap

logger = logging.getLogger("functrans.jit")


def batch_leaves(ir):
    """``(packed_ir, packing)``: ``ir`` (optimised, constants hoisted) with its repeated
    per-leaf computations batched over packed leaves, and the LeafPacking that calls it with
    ``ir``'s arguments; None if nothing in ``ir`` repeats enough to pay for packing.

    >>> import numpy as np, functrans, functrans.numpy as fnp
    >>> from functrans.lowering.optimize import optimize
    >>> leaves = [np.ones(3)] * 10
    >>> ir = optimize(functrans.make_jaxpr(lambda p: [x * 2.0 for x in p])(leaves))
    >>> packed_ir, packing = batch_leaves(ir)
    >>> [v.aval.str_short() for v in packed_ir.in_vars]
    ['f64[10,3]']
    """
    plan = plan_leaf_groups(ir, _batchable)
    if plan is None:
        return None
    position = {var: i for i, var in enumerate(ir.in_vars)}
    packed_inputs = {var for pack in plan.input_packs for var in pack.members}
    plain_inputs = [var for var in ir.in_vars if var not in packed_inputs]
    in_avals = [var.aval for var in plain_inputs] + [
        _packed_aval(pack) for pack in plan.input_packs]
    plain_outputs, output_packs, flat_positions = _output_layout(ir, plan.location)

    def program(*kernel_inputs):
        rewrite = _Rewrite(plan)
        rewrite.values.update(zip(plain_inputs, kernel_inputs))
        rewrite.packs.update(zip(plan.input_packs, kernel_inputs[len(plain_inputs):]))
        for node in plan.nodes:
            rewrite.emit(node)
        return [rewrite.read(atom) for atom in plain_outputs] + [
            rewrite.packs[pack] for pack in output_packs]

    try:
        packed_ir, consts = trace_to_ir(program, in_avals).hoist_consts()
    except TypeChanged as error:
        logger.warning("functrans.jit: leaves not packed, batching changed a type (%s)", error)
        return None
    inputs = [("constant", value) for value in consts]
    inputs += [("argument", position[var]) for var in plain_inputs]
    inputs += [("pack", [position[var] for var in pack.members], pack.aval)
               for pack in plan.input_packs]
    return optimize(packed_ir), LeafPacking(inputs, flat_positions, len(plain_outputs))


def _batchable(equation):
    """Whether a group may batch ``equation``: it needs a batching rule, and equations that
    hold sub-IRs (control flow) stay as they are, since batching changes what they run."""
    if equation.primitive not in vmap.batch_rules or equation.primitive in INLINED:
        return False
    return not any(isinstance(value, IR) or (isinstance(value, (tuple, list)) and
                                             any(isinstance(v, IR) for v in value))
                   for value in equation.params.values())


def _packed_aval(pack):
    aval = pack.aval
    return aval.update(shape=(len(pack.members), *aval.shape))


def _output_layout(ir, location):
    """The packed IR's outputs, ``(plain_atoms, packs)``, and for each output of ``ir`` its
    position among them flattened (as LeafPacking.unpack lays them out)."""
    plain, packs, offsets = [], [], {}
    for atom in ir.out_vars:
        place = location.get(atom) if type(atom) is not Literal else None
        if place is None:
            plain.append(atom)
        elif place[0] not in offsets:
            offsets[place[0]] = None
            packs.append(place[0])
    start = len(plain)
    for pack in packs:
        offsets[pack] = start
        start += len(pack.members)
    positions, plain_count = [], 0
    for atom in ir.out_vars:
        place = location.get(atom) if type(atom) is not Literal else None
        if place is None:
            positions.append(plain_count)
            plain_count += 1
        else:
            positions.append(offsets[place[0]] + place[1])
    return plain, packs, positions


class TypeChanged(Exception):
    """A batched equation's result differs in dtype or weak type from the equations it
    replaces (a batching rule that does not keep them): the IR is compiled unpacked."""


def _check_type(batched, original, primitive_name):
    if (batched.shape, batched.dtype, batched.weak_type) != (
            original.shape, original.dtype, original.weak_type):
        raise TypeChanged(f"{primitive_name}: {original.str_short()} became "
                          f"{batched.str_short()}{' (weak)' if batched.weak_type else ''}")


class _Rewrite:
    """The values of one tracing of a LeafPlan: single values by variable, packs by Pack."""

    def __init__(self, plan):
        self.location = plan.location
        self.values = {}
        self.packs = {}

    def read(self, atom):
        """The value of ``atom`` on its own (sliced out of its pack the first time)."""
        if type(atom) is Literal:
            return atom.value
        value = self.values.get(atom)
        if value is None:
            pack, index = self.location[atom]
            packed = self.packs[pack]
            shape = atom.aval.shape
            row = static_slice(packed, (index,) + (0,) * len(shape), (index + 1, *shape))
            value = self.values[atom] = reshape(row, shape)
        return value

    def emit(self, node):
        kind = type(node)
        if kind is Group:
            self._emit_group(node)
        elif kind is Sum:
            total = self.values[node.output] = self._sum(node.terms)
            _check_type(core.get_aval(total), node.output.aval, "add")
        else:
            outputs = node.primitive.bind(*map(self.read, node.inputs), **node.params)
            if not node.primitive.multiple_results:
                outputs = [outputs]
            self.values.update(zip(node.outputs, outputs))

    def _emit_group(self, group):
        count = len(group.equations)
        operands, axes = [], []
        for plan in group.operands:
            if plan[0] == "shared":
                operands.append(self.read(plan[1]))
                axes.append(None)
                continue
            packed = self.packs[plan[1]]
            if plan[0] == "slice":
                start, shape = plan[2], plan[1].aval.shape
                packed = static_slice(packed, (start,) + (0,) * len(shape),
                                      (start + count, *shape))
            operands.append(packed)
            axes.append(0)
        first = group.equations[0]

        def one_member(*values):
            outputs = first.primitive.bind(*values, **first.params)
            return outputs if first.primitive.multiple_results else [outputs]
        outputs = vmap.vmap_flat_to(one_member, operands, axes, count)
        for pack, output in zip(group.packs, outputs):
            _check_type(core.get_aval(output).update(shape=core.get_aval(output).shape[1:]),
                        pack.aval, first.primitive.name)
        self.packs.update(zip(group.packs, outputs))

    def _sum(self, terms):
        """The sum of ``terms``: one reduce_sum per pack whose members are consecutive terms,
        the other terms added one by one."""
        by_pack, single = {}, []
        for term in terms:
            place = self.location.get(term) if type(term) is not Literal else None
            if place is None:
                single.append(term)
            else:
                by_pack.setdefault(place[0], []).append((place[1], term))
        parts = []
        for pack, entries in by_pack.items():
            indices = sorted(index for index, _ in entries)
            first, count = indices[0], len(indices)
            if count < 2 or indices != list(range(first, first + count)):
                single.extend(term for _, term in entries)
                continue
            packed = self.packs[pack]
            shape = pack.aval.shape
            if count != len(pack.members):
                packed = static_slice(packed, (first,) + (0,) * len(shape),
                                      (first + count, *shape))
            parts.append(reduce_sum_p.bind(packed, axes=(0,)))
        parts.extend(map(self.read, single))
        total = parts[0]
        for part in parts[1:]:
            total = add_p.bind(total, part)
        return total
