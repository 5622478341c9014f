"""jit's cached call over a pytree of many arrays: the signature check of the fast path.

A call whose leaves are all NumPy arrays or scalars is matched with the latest signatures of
its pytree structure by comparing shapes and dtypes (functrans.transforms.jit._array_runner).
Every call below that changes one leaf, or the structure, must retrace or reuse the right
signature, never run a kernel on a leaf of another shape or dtype: each result is compared
with eager mode (the same function on NumPy arrays).
"""
import numpy as np
import pytest

import functrans
import functrans.numpy as fnp
from functrans import tree
from functrans.lowering.leaf_groups import MIN_GROUP
from test_many_leaves import assert_tree_close

pytestmark = pytest.mark.filterwarnings("ignore::numba.NumbaPerformanceWarning")

FORMS = [((3,), np.float64), ((4, 5), np.float64), ((), np.float64), ((2, 3), np.float32)]
#: enough leaves of each form to be packed, and a dict wide enough for tree's wide-node path
COUNT = 3 * MIN_GROUP * len(FORMS)


def parameters(seed=0):
    rng = np.random.default_rng(seed)
    return {f"w{i:03d}": rng.standard_normal(FORMS[i % len(FORMS)][0]).astype(
        FORMS[i % len(FORMS)][1]) for i in range(COUNT)}


def step(params):
    """Per-leaf work (packed), a sum over all leaves and a shape-dependent term."""
    return {
        "total": sum(fnp.sum(x * x) for x in tree.leaves(params)),
        "scaled": tree.map(lambda x: 2.0 * x + fnp.sin(x), params),
        "sizes": sum(np.size(x) for x in tree.leaves(params)) * 1.0,
    }


@pytest.fixture(scope="module")
def jitted():
    """``step`` jitted, with its kernel compiled for ``parameters()``; later signatures run
    on the interpreter tier (no further compiles)."""
    function = functrans.jit(step)
    function.lower(parameters()).compile()
    function(parameters())
    with functrans.config.override(background_compile=True, compile_after=1e9):
        yield function


def call_and_compare(jitted, params):
    result = jitted(params)
    assert_tree_close(result, step(params))
    return result


def test_cached_call_runs_the_kernel_and_equals_eager(jitted):
    assert jitted.kernels[0].compiled and jitted.kernels[0].packing is not None
    count = jitted.compile_count
    for seed in (0, 1):  # the same signature with other values: no retrace
        call_and_compare(jitted, parameters(seed))
    assert jitted.compile_count == count


@pytest.mark.parametrize("change", [
    lambda x: np.ones(x.shape + (1,), x.dtype),
    lambda x: np.ones((x.shape[0] + 1,) + x.shape[1:], x.dtype),
    lambda x: x.astype(np.float32 if x.dtype == np.float64 else np.float64),
    lambda x: x.astype(np.int32),
], ids=["one more axis", "one more row", "other float dtype", "integer dtype"])
@pytest.mark.parametrize("name", ["w000", "w041", "w095"])
def test_one_changed_leaf_among_many_retraces(jitted, change, name):
    params = parameters(2)
    call_and_compare(jitted, params)
    count = jitted.compile_count
    changed = dict(params, **{name: change(params[name])})
    call_and_compare(jitted, changed)
    assert jitted.compile_count == count + 1
    call_and_compare(jitted, params)  # the first signature is still found


def test_changes_that_keep_a_packs_total_size_retrace(jitted):
    # Two leaves of one form trading rows: the packed array would have the same size.
    params = parameters(3)
    changed = dict(params, w001=np.ones((8, 5)), w005=np.ones((0, 5)))
    call_and_compare(jitted, changed)
    # Two leaves trading dtypes.
    params = parameters(3)
    changed = dict(params, w003=params["w003"].astype(np.float64),
                   w000=params["w000"].astype(np.float32))
    call_and_compare(jitted, changed)


def test_changed_structure_retraces(jitted):
    params = parameters(4)
    renamed = {("v" + key[1:] if key == "w010" else key): value for key, value in params.items()}
    result = call_and_compare(jitted, renamed)
    assert "v010" in result["scaled"] and "w010" not in result["scaled"]
    fewer = dict(params)
    del fewer["w007"]
    call_and_compare(jitted, fewer)
    nested = dict(params, w007=(params["w007"], [params["w011"]]))
    call_and_compare(jitted, nested)


def test_none_in_the_tree_is_structure_not_a_leaf(jitted):
    params = parameters(5)
    with_none = dict(params, w013=None)
    result = call_and_compare(jitted, with_none)
    assert result["scaled"]["w013"] is None
    call_and_compare(jitted, params)
    call_and_compare(jitted, with_none)


def test_python_number_numpy_scalar_and_0d_array_leaves(jitted):
    params = parameters(6)
    zero_d = params["w002"]  # a 0-d float64 array
    assert zero_d.shape == ()
    for leaf in (float(zero_d), np.float64(zero_d), zero_d, float(zero_d), int(3)):
        # a Python number is weakly typed: its own signature, as eager mode types it
        call_and_compare(jitted, dict(params, w002=leaf))
    # a float32 scalar beside float32 arrays, then a Python float there: weak against strong
    call_and_compare(jitted, dict(params, w002=np.float32(1.5)))
    call_and_compare(jitted, dict(params, w002=1.5))


def test_array_subclass_leaves_are_plain_arrays(jitted, tmp_path):
    params = parameters(7)
    call_and_compare(jitted, params)
    count = jitted.compile_count
    mapped = np.memmap(tmp_path / "leaf.bin", dtype=np.float64, mode="w+", shape=(4, 5))
    mapped[:] = params["w001"]
    call_and_compare(jitted, dict(params, w001=mapped))

    class Tagged(np.ndarray):
        pass
    call_and_compare(jitted, dict(params, w004=params["w004"].view(Tagged)))
    assert jitted.compile_count == count  # keyed as the arrays they view


def test_masked_array_leaf_is_refused(jitted):
    params = parameters(8)
    call_and_compare(jitted, params)
    masked = np.ma.masked_array(params["w000"], [False, True, False])
    with pytest.raises(TypeError, match="masked array"):
        jitted(dict(params, w000=masked))


def test_dict_key_order_does_not_matter(jitted):
    params = parameters(9)
    reordered = dict(reversed(list(params.items())))
    count = jitted.compile_count
    call_and_compare(jitted, params)
    result = call_and_compare(jitted, reordered)
    assert list(result["scaled"]) == sorted(params)  # keys sorted, as flatten orders them
    assert jitted.compile_count == count  # the signature of the compiled kernel


def test_many_signatures_of_one_structure_alternate(jitted):
    # More signatures of one structure than the fast path keeps: every call still correct.
    params = parameters(10)
    variants = [dict(params, w000=np.ones(n)) for n in range(1, 7)]
    for variant in variants + variants[::-1] + variants:
        call_and_compare(jitted, variant)


def test_leaves_in_any_memory_layout(jitted):
    # The kernel's packs join the leaves' bytes; leaves that are not C-contiguous are
    # concatenated instead, with the same result.
    params = parameters(11)
    call_and_compare(jitted, params)
    count = jitted.compile_count
    fortran = np.asfortranarray(params["w001"])
    strided = np.repeat(params["w000"], 2)[::2]
    reversed_rows = params["w003"][::-1].copy()[::-1]
    assert not (fortran.flags.c_contiguous or strided.flags.c_contiguous
                or reversed_rows.flags.c_contiguous)
    call_and_compare(jitted, dict(params, w001=fortran, w000=strided, w003=reversed_rows))
    assert jitted.compile_count == count


def test_checked_packing_equals_concatenation(jitted):
    params = parameters(12)
    params["w005"] = np.asfortranarray(params["w005"])
    leaves = tree.leaves(params)
    packing = jitted.kernels[0].packing
    for joined, concatenated in zip(packing.pack_checked(leaves), packing.pack(leaves),
                                    strict=True):
        assert joined.dtype == concatenated.dtype and joined.flags.writeable
        np.testing.assert_array_equal(joined, concatenated)
