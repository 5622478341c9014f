"""The systematic test: every primitive of the table through every transform.

For each case of primitive_cases.py: the shape rule agrees with the NumPy
implementation and the IR interpreter; JVP agrees with central finite
differences (float64); vjp agrees with jvp (<u, J v> = <Jᵀ u, v>); linear
primitives satisfy the transpose identity; vmap agrees with a Python loop.
"""
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functrans
from functrans import core, tree
from functrans.ir import eval_ir
from functrans.testing import check_grads
from functrans.lowering import rules as lowering_rules
from functrans.transforms import ad, vmap
from primitive_cases import (
    CASES, COVERED_ELSEWHERE, array_function, array_positions, is_array)

CASES_BY_NAME = {case.name: case for case in CASES}
LINEAR_PRIMITIVES = {name for name, case in CASES_BY_NAME.items() if case.linear} | {
    "custom_vjp_linear", "checkpoint", "jit_call", "cond", "scan"}
#: Primitives jit does not lower itself, with the reason.
NOT_LOWERED = {
    "jit_call": "inlined before lowering",
    "custom_jvp_call": "inlined before lowering",
    "custom_vjp_call": "inlined before lowering",
    "checkpoint": "inlined before lowering",
    "custom_vjp_linear": "only in linear IRs of reverse mode; forward evaluation is an error",
}
#: Primitives with no operands: nothing of them can be batched or differentiated.
NO_OPERANDS = {"iota"}


def float_outputs(output):
    return all(core.get_aval(leaf).dtype.kind == "f" for leaf in tree.leaves(output))


def cases(predicate=lambda case: True):
    return [pytest.param(case, id=case.name) for case in CASES if predicate(case)]


@pytest.mark.parametrize("case", cases())
@settings(max_examples=15)
@given(data=st.data())
def test_shape_rule_and_interpreter_match_implementation(case, data):
    args = case.draw(data)
    positions = array_positions(args)
    function = array_function(case, args, positions)
    arrays = [args[i] for i in positions]
    eager = tree.leaves(function(*arrays))
    ir = functrans.make_jaxpr(function)(*arrays)
    interpreted = eval_ir(ir, *arrays)
    assert len(ir.out_avals) == len(eager) == len(interpreted)
    for value, aval, again in zip(eager, ir.out_avals, interpreted):
        assert np.shape(value) == aval.shape
        assert np.asarray(value).dtype == aval.dtype
        np.testing.assert_array_equal(np.asarray(again), np.asarray(value))


@pytest.mark.parametrize("case", cases(lambda c: c.float_argnums and c.finite_differences))
@settings(max_examples=15)
@given(data=st.data())
def test_jvp_matches_finite_differences(case, data):
    args = case.draw(data)
    function = array_function(case, args, case.float_argnums)
    check_grads(function, [args[i] for i in case.float_argnums], order=1, modes=("fwd",),
                atol=case.tolerance, rtol=case.tolerance)


@pytest.mark.parametrize("case", cases(lambda c: c.float_argnums and not c.finite_differences))
@settings(max_examples=10)
@given(data=st.data())
def test_jvp_is_zero_where_the_derivative_is_zero_by_definition(case, data):
    args = case.draw(data)
    function = array_function(case, args, case.float_argnums)
    primals = [args[i] for i in case.float_argnums]
    tangents = [np.ones_like(p) for p in primals]
    _, tangent_out = functrans.jvp(function, primals, tangents)
    for leaf in tree.leaves(tangent_out):
        assert not np.any(np.asarray(leaf, dtype=np.float64) if leaf.dtype.kind != "V" else 0)


@pytest.mark.parametrize("case", cases(lambda c: c.float_argnums))
@settings(max_examples=15)
@given(data=st.data())
def test_vjp_matches_jvp(case, data):
    args = case.draw(data)
    function = array_function(case, args, case.float_argnums)
    primals = [args[i] for i in case.float_argnums]
    if not float_outputs(function(*primals)):
        return
    check_grads(function, primals, order=1, modes=("rev",), atol=case.tolerance * 1e-3,
                rtol=case.tolerance * 1e-3)


@pytest.mark.parametrize("case", cases(lambda c: c.linear))
@settings(max_examples=15)
@given(data=st.data())
def test_transpose_identity(case, data):
    args = case.draw(data)
    function = array_function(case, args, case.float_argnums)
    primals = [args[i] for i in case.float_argnums]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    u = [rng.standard_normal(np.shape(p)) for p in primals]
    output = function(*u)
    v = tree.map(lambda o: rng.standard_normal(np.shape(o)), output)
    transposed = functrans.linear_transpose(function, *primals)(v)
    forward = sum(float(np.vdot(a, b)) for a, b in zip(tree.leaves(v), tree.leaves(output)))
    backward = sum(float(np.vdot(a, b)) for a, b in zip(tree.leaves(transposed), u))
    np.testing.assert_allclose(backward, forward, rtol=case.tolerance * 1e-3, atol=1e-9)


BATCH = 3


def _example(value, index, rng):
    """The ``index``-th batch element made from a drawn argument (same shape, same domain)."""
    if isinstance(value, np.integer):  # start indices: vary them, clamping is part of the semantics
        return type(value)(value + index - 1)
    value = np.asarray(value)
    if value.ndim == 0:
        return value[()]
    flat = value.reshape(-1)
    return flat[rng.permutation(flat.size)].reshape(value.shape)


@pytest.mark.parametrize("case", cases(lambda c: c.name != "iota"))
@settings(max_examples=15)
@given(data=st.data())
def test_vmap_matches_loop(case, data):
    args = case.draw(data)
    positions = array_positions(args)
    function = array_function(case, args, positions)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    in_axes, batched, examples = [], [], [[] for _ in range(BATCH)]
    for position in positions:
        value = args[position]
        axis = data.draw(st.sampled_from([None, 0, np.ndim(value)]))
        in_axes.append(axis)
        if axis is None:
            batched.append(value)
            for example in examples:
                example.append(value)
        else:
            elements = [_example(value, i, rng) for i in range(BATCH)]
            batched.append(np.stack(elements, axis=axis))
            for example, element in zip(examples, elements):
                example.append(element)
    expected = [tree.leaves(function(*example)) for example in examples]
    got = tree.leaves(functrans.vmap(function, in_axes=tuple(in_axes), axis_size=BATCH)(*batched))
    for index, leaf in enumerate(got):
        stacked = np.stack([np.asarray(e[index]) for e in expected])
        assert np.asarray(leaf).dtype == stacked.dtype
        np.testing.assert_allclose(np.asarray(leaf), stacked, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", sorted(core.Primitive.registry))
def test_every_primitive_has_every_rule(name):
    primitive = core.Primitive.registry[name]
    assert primitive.impl is not None and primitive.abstract_eval is not None
    if name not in NO_OPERANDS:
        assert primitive in ad.jvp_rules, f"{name} has no JVP rule"
        assert primitive in vmap.batch_rules, f"{name} has no batching rule"
    if name in LINEAR_PRIMITIVES:
        assert primitive in ad.transpose_rules, f"{name} is linear but has no transpose rule"
    assert lowering_rules.has_rule(primitive) or name in NOT_LOWERED, f"{name} has no lowering"
    assert name in CASES_BY_NAME or name in COVERED_ELSEWHERE, (
        f"{name} has no case in primitive_cases.py")


def _rule_tables():
    """Which rule tables know each primitive, as ``{name: sorted table names}``."""
    tables = {"impl": {p for p in core.Primitive.registry.values() if p.impl is not None},
              "abstract_eval": {p for p in core.Primitive.registry.values()
                                if p.abstract_eval is not None},
              "jvp": ad.jvp_rules, "transpose": ad.transpose_rules, "batch": vmap.batch_rules,
              "lowering": {p for p in core.Primitive.registry.values()
                           if lowering_rules.has_rule(p)},
              "costly": lowering_rules.COSTLY, "vector_math": lowering_rules.VECTOR_MATH}
    return {name: sorted(t for t, table in tables.items() if primitive in table)
            for name, primitive in core.Primitive.registry.items()}


def test_import_functrans_registers_every_rule_without_numba():
    """A plain ``import functrans`` knows every rule of every primitive (nothing registers
    rules as a side effect of a later import) and leaves numba unimported."""
    script = ("import sys, json, functrans\n"
              "numba_imported = 'numba' in sys.modules\n"
              "sys.path.insert(0, 'tests')\n"
              "from test_primitives import _rule_tables\n"
              "print(json.dumps([_rule_tables(), numba_imported]))")
    import json
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    tables, numba_imported = json.loads(result.stdout)
    assert not numba_imported
    # Primitives that tests declare for themselves (without rules) are not the library's.
    library = {name: rules for name, rules in _rule_tables().items()
               if not name.startswith("fixture_")}
    assert tables == library
