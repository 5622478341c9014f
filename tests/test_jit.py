"""jit: the systematic column (every primitive compiled equals eager), composition with the
other transforms, the compile caches, the compile log, and the errors.

numba compiles take a fraction of a second each, so each primitive is compiled for a couple of
drawn shapes only; the composition tests share their jitted functions.
"""
import logging
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functrans
from functrans import core, lax, tree
from functrans.errors import ConcretizationError
from functrans.transforms.jit import jit
from primitive_cases import CASES, array_function, array_positions

pytestmark = pytest.mark.filterwarnings("ignore::numba.NumbaPerformanceWarning")


def _assert_same(got, expected, rtol=1e-13):
    got, expected = tree.leaves(got), tree.leaves(expected)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        g, e = np.asarray(g), np.asarray(e)
        assert g.dtype == e.dtype, (g.dtype, e.dtype)
        assert g.shape == e.shape
        if e.dtype.kind in "fc":
            # Sums may be accumulated in another order than NumPy's: allow a few ulps of the
            # magnitudes involved.
            np.testing.assert_allclose(g, e, rtol=rtol, atol=1e-13)
        else:
            np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
@settings(max_examples=2)
@given(data=st.data())
def test_jit_matches_eager_for_every_primitive(case, data):
    args = case.draw(data)
    positions = array_positions(args)
    function = array_function(case, args, positions)
    arrays = [args[i] for i in positions]
    _assert_same(jit(function)(*arrays), function(*arrays))


# --- composition ------------------------------------------------------------------------

def w1(x):
    return lax.reduce_sum(lax.add(lax.add(
        lax.mul(lax.tanh(x), lax.sin(x)),
        lax.mul(lax.exp(lax.neg(lax.mul(x, x))), lax.cos(x))),
        lax.log1p(lax.mul(x, x))), (0,))


def w1_gradient(x):
    """The closed-form derivative of w1, in NumPy."""
    return ((1 - np.tanh(x) ** 2) * np.sin(x) + np.tanh(x) * np.cos(x)
            - 2 * x * np.exp(-x * x) * np.cos(x) - np.exp(-x * x) * np.sin(x)
            + 2 * x / (1 + x * x))


X = np.random.default_rng(1234).standard_normal(1000)
w1_jit = jit(w1)
w1_grad_jit = jit(functrans.grad(w1))


def test_jit_of_w1_matches_numpy():
    expected = np.sum(np.tanh(X) * np.sin(X) + np.exp(-X * X) * np.cos(X) + np.log1p(X * X))
    np.testing.assert_allclose(w1_jit(X), expected, rtol=1e-13)


def test_w1_is_fused_into_one_loop_with_no_temporaries():
    source = w1_jit.lower(X).source
    assert source.count("for ") == 1, source
    assert "np.empty" not in source, source


def test_w1_on_a_long_vector_is_summed_in_blocks_with_no_full_size_temporary():
    x = np.random.default_rng(7).standard_normal(100_003)  # not a whole number of blocks
    expected = np.sum(np.tanh(x) * np.sin(x) + np.exp(-x * x) * np.cos(x) + np.log1p(x * x))
    np.testing.assert_allclose(w1_jit(x), expected, rtol=1e-13)
    source = w1_jit.lower(x).source
    assert "sum_block" in source, source
    assert "100003)" not in source.replace("100003 -", ""), source  # no array of x's size


def test_a_long_float32_sum_does_not_stall_like_a_running_total():
    """A running float32 total stops growing at 2**24 (adding 1 rounds away); blocks do not.

    (With fewer than four threads, each thread's share of a parallel running total passes
    2**24 too.)
    """
    n = 2**26
    total = jit(lambda one: lax.reduce_sum(lax.broadcast_in_dim(one, (n,), ()), (0,)))(
        np.float32(1))
    assert total.dtype == np.float32
    assert total == n == np.sum(np.ones(n, np.float32))


def _sin_times_cos(x):
    return lax.mul(lax.sin(x), lax.cos(x))


sin_times_cos_jit = jit(_sin_times_cos)


@pytest.mark.parametrize("shape", [(20_000,), (3, 7000)], ids=["blocks of a vector", "rows"])
def test_sin_and_cos_beyond_the_vector_range_are_recomputed_with_libm(shape):
    """The vectorized sin/cos are exact for |x| < 1e7; a loop that meets a larger argument
    runs again through libm, so huge arguments, inf and nan come out as NumPy's."""
    x = np.random.default_rng(3).uniform(-10, 10, shape)
    x.flat[[17, 40, 41, 19_999]] = [1e8, -1e22, np.inf, np.nan]
    with np.errstate(invalid="ignore"):
        expected = np.sin(x) * np.cos(x)
    result = sin_times_cos_jit(x)
    np.testing.assert_array_equal(np.isnan(result), np.isnan(expected))
    np.testing.assert_allclose(result, expected, rtol=4e-16, atol=1e-300)
    source = sin_times_cos_jit.lower(x).source
    assert "sin_f64(" in source and "np.sin(" in source, source


def test_jit_of_grad_and_grad_of_jit_match_the_closed_form():
    np.testing.assert_allclose(w1_grad_jit(X), w1_gradient(X), rtol=1e-12)
    np.testing.assert_allclose(functrans.grad(w1_jit)(X), w1_gradient(X), rtol=1e-12)


def test_grad_of_jit_compiles_once_per_signature():
    function = jit(lambda x: lax.reduce_sum(lax.mul(lax.sin(x), x), (0,)))
    gradient = functrans.grad(function)
    first = gradient(X[:10])
    from functrans.lowering import compile as compile_module
    kernels_before = len(compile_module._compiled)
    second = gradient(X[:10])
    assert len(compile_module._compiled) == kernels_before
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first, np.cos(X[:10]) * X[:10] + np.sin(X[:10]), rtol=1e-13)


def logistic_loss(w, x, y):
    return lax.log1p(lax.exp(lax.neg(lax.mul(y, lax.dot_general(w, x, (((0,), (0,)), ((), ())))))))


def test_jit_of_vmap_of_grad_gives_per_example_gradients():
    rng = np.random.default_rng(0)
    w, xs, ys = rng.normal(size=5), rng.normal(size=(7, 5)), np.sign(rng.normal(size=7))
    per_example = jit(functrans.vmap(functrans.grad(logistic_loss), in_axes=(None, 0, 0)))
    expected = -(ys / (1 + np.exp(ys * (xs @ w))))[:, None] * xs
    np.testing.assert_allclose(per_example(w, xs, ys), expected, rtol=1e-13)
    np.testing.assert_allclose(functrans.vmap(jit(functrans.grad(logistic_loss)),
                                              in_axes=(None, 0, 0))(w, xs, ys), expected, rtol=1e-13)


def test_nested_jit_and_jit_of_custom_rules():
    @functrans.custom_jvp
    def log1pexp(x):
        return lax.log1p(lax.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return log1pexp(x), lax.mul(t, lax.logistic(x))

    inner = jit(lambda x: lax.mul(log1pexp(x), 2.0))
    outer = jit(lambda x: lax.reduce_sum(inner(x), (0,)))
    x = np.array([-3.0, 0.0, 1000.0])
    np.testing.assert_allclose(jit(functrans.grad(outer))(x), 2 / (1 + np.exp(-x)), rtol=1e-13)

    @functrans.custom_vjp
    def clip_gradient(x):
        return x

    clip_gradient.defvjp(lambda x: (x, None),
                         lambda residual, g: (lax.max(lax.min(g, 1.0), -1.0),))
    clipped = jit(functrans.grad(lambda x: lax.reduce_sum(lax.mul(clip_gradient(x), 10.0), (0,))))
    np.testing.assert_array_equal(clipped(x), np.ones(3))


def test_float32_stays_float32():
    x32 = X[:16].astype(np.float32)
    out = jit(lambda x: lax.mul(lax.sin(x), 2.0))(x32)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.sin(x32) * np.float32(2), rtol=1e-6)
    total = jit(lambda x: lax.reduce_sum(x, (0,)))(x32)
    assert np.asarray(total).dtype == np.float32


# --- caches and the compile log -----------------------------------------------------------

def test_one_compilation_per_signature_and_a_logged_reason(caplog):
    function = jit(lambda x, n: lax.mul(x, n), static_argnums=1)
    with functrans.config.override(log_compiles=True), caplog.at_level(logging.WARNING,
                                                                       "functrans.jit"):
        function(np.ones(3), 2)
        function(np.ones(3), 2)
        assert function.compile_count == 1
        function(np.ones(4), 2)
        function(np.ones(4, np.float32), 2)
        function(np.ones(4, np.float32), 3)
    assert function.compile_count == 4
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 4
    assert "first call" in messages[0]
    assert "leaf 0: f64[4] (was f64[3])" in messages[1]
    assert "leaf 0: f32[4] (was f64[4])" in messages[2]
    assert "static arguments" in messages[3]
    assert "def " in messages[0]  # the generated source is in the log


def test_second_process_loads_from_the_disk_cache(tmp_path):
    script = textwrap.dedent("""
        import numpy as np
        from functrans import lax
        from functrans.transforms.jit import jit, compiled
        f = jit(lambda x: lax.reduce_sum(lax.sin(x), (0,)))
        x = np.linspace(0.0, 1.0, 11)
        assert abs(f(x) - np.sin(x).sum()) < 1e-12
        kernel = f.kernels[0]
        print("FROM_DISK" if kernel.from_disk else "COMPILED")
    """)
    environment = dict(os.environ, FUNCTRANS_CACHE_DIR=str(tmp_path))
    runs = [subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True,
                           text=True, check=True).stdout.strip() for _ in range(2)]
    assert runs == ["COMPILED", "FROM_DISK"]


def test_a_corrupt_cache_entry_is_rebuilt_not_loaded(tmp_path):
    script = textwrap.dedent("""
        import numpy as np
        from functrans import lax
        from functrans.transforms.jit import jit
        f = jit(lambda x: lax.mul(lax.cos(x), 3.0))
        x = np.linspace(0.0, 1.0, 5)
        np.testing.assert_allclose(f(x), 3 * np.cos(x), rtol=1e-15)
        print("OK")
    """)
    environment = dict(os.environ, FUNCTRANS_CACHE_DIR=str(tmp_path))
    subprocess.run([sys.executable, "-c", script], env=environment, check=True, capture_output=True)
    damaged = 0
    for root, _, files in os.walk(tmp_path):
        for name in files:
            if name.endswith((".nbc", ".nbi")):
                with open(os.path.join(root, name), "r+b") as file:
                    file.seek(0)
                    file.write(b"\x00garbage" * 8)
                damaged += 1
    assert damaged >= 2
    result = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK"


# --- errors -------------------------------------------------------------------------------

def test_unhashable_static_argument_is_named():
    function = jit(lambda x, sizes: x, static_argnums=1)
    with pytest.raises(ValueError, match=r"static argument 1 \('sizes'\) is unhashable \(list\)"):
        function(np.ones(2), [1, 2])


def test_non_array_argument_suggests_static_argnums():
    function = jit(lambda x, mode: x)
    with pytest.raises(TypeError, match=r"argument 1 \('mode'\) is a str.*static_argnums=\(1,\)"):
        function(np.ones(2), "fast")


def test_traced_value_used_as_a_shape_suggests_static_argnums():
    function = jit(lambda x, n: lax.reshape(x, (n, -1)))
    with pytest.raises(ConcretizationError, match="static_argnums"):
        function(np.ones(4), 2)


def test_value_dependent_python_branch_is_a_clear_error():
    def branchy(x):
        if lax.reduce_sum(x, (0,)) > 0:
            return x
        return lax.neg(x)

    with pytest.raises(ConcretizationError, match=r"lax.cond"):
        jit(branchy)(np.ones(2))


def test_a_primitive_without_lowering_is_named():
    probe = core.Primitive("probe_without_lowering")
    probe.def_impl(lambda x: x)
    probe.def_abstract_eval(lambda x: x)
    with pytest.raises(NotImplementedError, match="probe_without_lowering.*numba lowering"):
        jit(lambda x: probe.bind(x))(np.ones(2))
    del core.Primitive.registry["probe_without_lowering"]
