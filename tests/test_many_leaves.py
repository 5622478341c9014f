"""jit over pytrees of many leaves: per-leaf computations batched over packed leaves.

Every jitted result is checked against eager mode (the same function on NumPy arrays), on
both tiers (the interpreter's first result and the kernel's); the kernel's size is checked
not to grow with the number of leaves computed alike.
"""
import numpy as np
import pytest

import functrans
import functrans.numpy as fnp
from functrans import tree
from functrans.lowering.leaf_groups import MAX_PACKED_INPUT_SIZE, MIN_GROUP

pytestmark = pytest.mark.filterwarnings("ignore::numba.NumbaPerformanceWarning")

FORMS = [((3,), np.float64), ((4, 5), np.float64), ((), np.float64), ((16,), np.float32),
         ((2, 3), np.float32)]


def parameters(count, seed):
    rng = np.random.default_rng(seed)
    return {f"w{i:04d}": rng.standard_normal(FORMS[i % len(FORMS)][0]).astype(
        FORMS[i % len(FORMS)][1]) for i in range(count)}


def loss(params):
    return sum(fnp.sum(x ** 2) for x in tree.leaves(params))


def combined(params, grads, rows, counts, scale, floats):
    """Many per-leaf computations at once, sharing leaves between groups."""
    value, gradient = functrans.value_and_grad(loss)(params)
    row_leaves = tree.leaves(rows)
    tripled = [3.0 * x for x in row_leaves]  # packs ``rows`` in order
    return {
        "value": value,
        "gradient": gradient,
        "update": tree.map(lambda p, g: p - 0.1 * g, params, grads),
        "shared": tree.map(lambda p: fnp.sin(p) * p + fnp.cos(p), params),
        "dot": sum(fnp.sum(p * g) for p, g in zip(tree.leaves(params), tree.leaves(grads))),
        # neighbours: the same pack read at two offsets
        "neighbours": [a * b for a, b in zip(tripled[:-1], row_leaves[1:])],
        "first_two": (row_leaves[0], tripled[1]),
        # a pack read in reverse order: computed leaf by leaf, from slices of the pack
        "reversed": [a - b for a, b in zip(row_leaves, row_leaves[::-1])],
        "counts": [c * 2 + 1 for c in counts],
        "scaled": scale * value,
        "floats": [f * value for f in floats],  # Python floats packed as one array
    }


def arguments(count=3 * MIN_GROUP * len(FORMS)):
    rng = np.random.default_rng(7)
    rows = [rng.standard_normal(4) for _ in range(2 * MIN_GROUP)]
    counts = [rng.integers(-5, 5, size=3, dtype=np.int32) for _ in range(MIN_GROUP + 1)]
    floats = [0.25 * i for i in range(MIN_GROUP)]
    return parameters(count, 1), parameters(count, 2), rows, counts, 0.5, floats


def assert_tree_close(actual, expected):
    assert tree.structure(actual) == tree.structure(expected)
    for a, e in zip(tree.leaves(actual), tree.leaves(expected)):
        e = np.asarray(e)
        assert np.asarray(a).shape == e.shape and np.asarray(a).dtype == e.dtype
        # float32 sums, and the float64 sums of float32 terms, round differently by order
        tolerance = 1e-5 if e.dtype == np.float32 else 1e-6 if e.ndim == 0 else 1e-12
        np.testing.assert_allclose(a, e, rtol=tolerance, atol=tolerance)


@pytest.fixture(scope="module")
def tiers():
    """The first (interpreted) and a later (kernel) result of one jitted ``combined``."""
    args = arguments()
    jitted = functrans.jit(combined)
    with functrans.config.override(background_compile=True):
        interpreted = jitted(*args)
    jitted.lower(*args).compile()
    return args, jitted, interpreted, jitted(*args)


def test_many_leaves_interpreter_tier_equals_eager(tiers):
    args, _, interpreted, _ = tiers
    assert_tree_close(interpreted, combined(*args))


def test_many_leaves_kernel_equals_eager(tiers):
    args, _, _, compiled = tiers
    assert_tree_close(compiled, combined(*args))


def test_many_leaves_kernel_takes_packs(tiers):
    args, jitted, _, _ = tiers
    lowered = jitted.lower(*args)
    leaf_count = len(tree.leaves(args))
    assert len(lowered.kernel_ir.in_vars) < leaf_count / 10
    assert len(lowered.kernel_ir.equations) < len(lowered.optimized_ir.equations) / 5


def test_many_leaves_outputs_are_fresh_arrays(tiers):
    args, jitted, _, _ = tiers
    result = jitted(*args)
    # the kernel returns copies, never the caller's arrays
    assert result["first_two"][0] is not args[2][0]
    assert not np.shares_memory(result["first_two"][0], args[2][0])


def test_kernel_does_not_grow_with_identical_leaves():
    step = functrans.jit(lambda p, g: (loss(p), tree.map(lambda a, b: a - 0.1 * b, p, g),
                                       functrans.grad(loss)(p)))
    sizes = {}
    for count in (2 * len(FORMS) * MIN_GROUP, 20 * len(FORMS) * MIN_GROUP):
        lowered = step.lower(parameters(count, 1), parameters(count, 2))
        sizes[count] = (len(lowered.kernel_ir.in_vars), len(lowered.kernel_ir.out_vars),
                        len(lowered.kernel_ir.equations), lowered.source.count("\n"))
    small, large = sizes.values()
    assert small == large


def test_grad_and_vmap_of_jitted_many_leaf_loss():
    params = parameters(2 * len(FORMS) * MIN_GROUP, 3)
    jitted = functrans.jit(loss)
    gradient = functrans.grad(jitted)(params)
    assert_tree_close(gradient, tree.map(lambda x: 2 * x, params))
    # a batch of three parameter sets, mapped over the leading axis of every leaf
    batch = tree.map(lambda x: np.stack([x, -2 * x, x + 1]), params)
    mapped = functrans.vmap(jitted)(batch)
    looped = [loss(tree.map(lambda x, i=i: x[i], batch)) for i in range(3)]
    np.testing.assert_allclose(mapped, looped, rtol=1e-5)


def test_rows_of_one_array_are_not_packed():
    # per-row values are not leaves: batching them would copy them into a pack
    rows = functrans.jit(lambda x: [fnp.sin(x[i]) * 2.0 for i in range(2 * MIN_GROUP)])
    lowered = rows.lower(np.ones((2 * MIN_GROUP, 3)))
    assert lowered.kernel_ir is lowered.optimized_ir


def test_big_leaves_are_not_packed():
    # packing copies inputs on every call: for big leaves a loop each is cheaper
    big = [np.ones(MAX_PACKED_INPUT_SIZE + 1) for _ in range(MIN_GROUP)]
    lowered = functrans.jit(lambda p: [x * 2.0 for x in p]).lower(big)
    assert lowered.kernel_ir is lowered.optimized_ir


def test_few_leaves_are_not_packed():
    params = parameters(MIN_GROUP - 1, 4)
    lowered = functrans.jit(lambda p: tree.map(lambda x: x * 2.0, p)).lower(params)
    assert lowered.kernel_ir is lowered.optimized_ir
