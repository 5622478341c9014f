"""Structured control flow: cond, switch, while_loop, fori_loop, scan.

Each construct is checked eagerly, under jit, under vmap and under differentiation against an
independent oracle: the Python-unrolled equivalent (a Python ``if``/``for``/``while`` over NumPy,
or straight-line lax code with no control-flow primitive), a closed form in NumPy, or central
finite differences in float64. No expected value is copied from functrans's own output.

Bodies are written with ``functrans.lax`` so these tests do not depend on ``functrans.numpy``.
numba compiles cost a fraction of a second each, so jitted functions are built once at module
level and shared, and hypothesis draws values of fixed shapes (one compile per signature).
"""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from functrans import (
    grad, jacfwd, jacrev, jit, jvp, lax, linearize, make_jaxpr, tree, vjp, vmap,
)

pytestmark = pytest.mark.filterwarnings("ignore::numba.NumbaPerformanceWarning")

SETTINGS = settings(max_examples=20, deadline=None, derandomize=True)
FEW = settings(max_examples=8, deadline=None, derandomize=True)


# --- independent oracles and helpers ----------------------------------------------------

def numerical_gradient(f, x, eps=1e-6):
    """Central differences of a scalar NumPy function of an array (or float)."""
    x = np.asarray(x, dtype=np.float64)
    g = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        g[index] = (f(x + step) - f(x - step)) / (2 * eps)
    return g[()] if g.shape == () else g


def assert_trees_close(got, expected, rtol=1e-12, atol=1e-12):
    got_leaves, got_tree = tree.flatten(got)
    expected_leaves, expected_tree = tree.flatten(expected)
    assert got_tree == expected_tree, (got_tree, expected_tree)
    for g, e in zip(got_leaves, expected_leaves):
        g, e = np.asarray(g), np.asarray(e)
        assert g.shape == e.shape, (g.shape, e.shape)
        if e.dtype.kind in "fc":
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)
        else:
            np.testing.assert_array_equal(g, e)


def as_float(i):
    return lax.convert_element_type(i, np.float64)


def matvec(m, v):
    return lax.dot_general(m, v, (((1,), (0,)), ((), ())))


def total(x):
    return lax.reduce_sum(x, tuple(range(np.ndim(x)))) if np.ndim(x) else x


floats = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)


def float_arrays(n, low=-3.0, high=3.0):
    return st.lists(st.floats(low, high, allow_nan=False, allow_infinity=False),
                    min_size=n, max_size=n).map(lambda v: np.array(v, dtype=np.float64))


# --- cond ---------------------------------------------------------------------------------

def piecewise(x):
    """sin(x)·x above 0.5, exp(-x) + x² below: a traced predicate chooses the branch."""
    return lax.cond(x > 0.5, lambda y: lax.sin(y) * y, lambda y: lax.exp(-y) + y * y, x)


def piecewise_np(x):
    return np.sin(x) * x if x > 0.5 else np.exp(-x) + x * x


def piecewise_derivative_np(x):
    return np.cos(x) * x + np.sin(x) if x > 0.5 else -np.exp(-x) + 2 * x


piecewise_jit = jit(piecewise)
piecewise_grad_jit = jit(grad(piecewise))


@SETTINGS
@given(x=floats)
def test_cond_equals_python_if_eagerly_and_under_jit(x):
    expected = piecewise_np(x)
    np.testing.assert_allclose(piecewise(x), expected, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(piecewise_jit(x), expected, rtol=1e-14, atol=1e-15)


def test_cond_takes_both_branches_with_concrete_and_traced_predicates():
    traced = jit(lambda p, x: lax.cond(p, lambda x: x * 2.0, lambda x: x + 1.0, x))
    for predicate in (True, False, np.bool_(True), np.bool_(False)):
        expected = 6.0 if predicate else 4.0
        assert lax.cond(predicate, lambda x: x * 2.0, lambda x: x + 1.0, 3.0) == expected
        assert traced(predicate, 3.0) == expected


@SETTINGS
@given(x=floats)
def test_grad_and_jvp_through_cond(x):
    assume(abs(x - 0.5) > 1e-3)  # finite differences must not straddle the branch point
    expected = piecewise_derivative_np(x)
    np.testing.assert_allclose(grad(piecewise)(x), expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(piecewise_grad_jit(x), expected, rtol=1e-12, atol=1e-14)
    primal, tangent = jvp(piecewise, (x,), (0.75,))
    np.testing.assert_allclose(primal, piecewise_np(x), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(tangent, 0.75 * expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(expected, numerical_gradient(piecewise_np, x), rtol=1e-6, atol=1e-8)


def test_grad_through_cond_under_jit_and_of_a_jitted_cond():
    for x in (-1.3, 0.2, 0.9, 2.4):
        expected = piecewise_derivative_np(x)
        np.testing.assert_allclose(grad(piecewise_jit)(x), expected, rtol=1e-12)
        np.testing.assert_allclose(piecewise_grad_jit(x), expected, rtol=1e-12)


A_CLOSED = np.array([1.0, -2.0, 0.5])


def closure_cond(x):
    """Branches close over ``x`` itself (an outer tracer under grad) and a constant array."""
    return total(lax.cond(total(x) > 0, lambda y: y * x * A_CLOSED, lambda y: lax.sin(x) + y,
                          x * x))


def closure_cond_gradient_np(x):
    return 3 * A_CLOSED * x * x if x.sum() > 0 else np.cos(x) + 2 * x


closure_cond_grad_jit = jit(grad(closure_cond))


@pytest.mark.parametrize("x", [np.array([0.3, 1.2, -0.4]), np.array([-0.3, 0.2, -1.4])],
                         ids=["true-branch", "false-branch"])
def test_cond_branches_close_over_arrays_and_the_differentiated_variable(x):
    expected_value = (A_CLOSED * x ** 3).sum() if x.sum() > 0 else (np.sin(x) + x * x).sum()
    np.testing.assert_allclose(closure_cond(x), expected_value, rtol=1e-14)
    expected = closure_cond_gradient_np(x)
    np.testing.assert_allclose(grad(closure_cond)(x), expected, rtol=1e-13)
    np.testing.assert_allclose(closure_cond_grad_jit(x), expected, rtol=1e-13)
    numerical = numerical_gradient(
        lambda v: (A_CLOSED * v ** 3).sum() if v.sum() > 0 else (np.sin(v) + v * v).sum(), x)
    np.testing.assert_allclose(expected, numerical, rtol=1e-7)


def test_cond_under_vmap_closing_over_a_batched_outer_value():
    # The predicate is unbatched, the value the branches close over is batched.
    c = np.array([1.0, 2.0, -3.0])
    for predicate in (True, False):
        got = vmap(lambda c, p=predicate: lax.cond(p, lambda x: x * c, lambda x: x + c, 3.0))(c)
        np.testing.assert_allclose(got, 3.0 * c if predicate else 3.0 + c, rtol=1e-15)


def pytree_cond(p, state):
    def true_branch(s):
        return {"scaled": s["x"] * 2.0, "pair": (s["y"], lax.sin(s["x"]))}

    def false_branch(s):
        return {"scaled": -s["x"], "pair": (s["y"] + 1.0, s["x"] * s["x"])}

    return lax.cond(p, true_branch, false_branch, state)


def pytree_cond_np(p, state):
    x, y = state["x"], state["y"]
    if p:
        return {"scaled": x * 2.0, "pair": (y, np.sin(x))}
    return {"scaled": -x, "pair": (y + 1.0, x * x)}


pytree_cond_jit = jit(pytree_cond)


@pytest.mark.parametrize("p", [True, False])
def test_cond_with_pytree_operands_and_outputs(p):
    state = {"x": np.array([0.5, -1.0]), "y": 3.0}
    expected = pytree_cond_np(p, state)
    assert_trees_close(pytree_cond(p, state), expected)
    assert_trees_close(pytree_cond_jit(p, state), expected)
    # The gradient of a scalar of the outputs, with respect to the whole dict.
    g = grad(lambda s: total(pytree_cond(p, s)["scaled"]) + total(pytree_cond(p, s)["pair"][1])
             + pytree_cond(p, s)["pair"][0])(state)
    expected_grad = ({"x": 2.0 + np.cos(state["x"]), "y": 1.0} if p
                     else {"x": -1.0 + 2 * state["x"], "y": 1.0})
    assert_trees_close(g, expected_grad)


def sqrt_or_negate(x):
    """sqrt above 0, -x below: the sqrt branch would be NaN on the lanes that take the other."""
    return lax.cond(x > 0, lambda y: lax.sqrt(y), lambda y: -y, x)


sqrt_or_negate_vmap_jit = jit(vmap(sqrt_or_negate))


@SETTINGS
@given(x=float_arrays(6, -4.0, 4.0))
def test_cond_with_a_batched_predicate_selects_per_element(x):
    expected = np.array([np.sqrt(v) if v > 0 else -v for v in x])
    with np.errstate(invalid="ignore"):  # both branches run on every lane
        np.testing.assert_allclose(vmap(sqrt_or_negate)(x), expected, rtol=1e-15)
    np.testing.assert_allclose(sqrt_or_negate_vmap_jit(x), expected, rtol=1e-15)


@SETTINGS
@given(x=float_arrays(6))
def test_grad_of_cond_with_a_batched_predicate(x):
    expected = np.array([piecewise_derivative_np(v) for v in x])
    np.testing.assert_allclose(vmap(grad(piecewise))(x), expected, rtol=1e-12, atol=1e-14)
    summed = grad(lambda v: total(vmap(piecewise)(v)))(x)
    np.testing.assert_allclose(summed, expected, rtol=1e-12, atol=1e-14)


def test_cond_with_only_the_predicate_batched():
    predicates = np.array([True, False, True, False])
    operand = np.array([1.0, 2.0])
    got = vmap(lambda p: lax.cond(p, lambda x: x * 2.0, lambda x: x + 1.0, operand))(predicates)
    expected = np.stack([operand * 2.0 if p else operand + 1.0 for p in predicates])
    np.testing.assert_allclose(got, expected, rtol=1e-15)


def test_cond_with_a_batched_predicate_and_pytree_operands():
    p = np.array([True, False, False])
    d = {"a": np.array([1.0, 2.0, 3.0]), "b": np.array([4.0, 5.0, 6.0])}
    got = vmap(lambda p, d: lax.cond(p, lambda d: (d["a"], d["b"] * 2.0),
                                     lambda d: (d["b"], d["a"] * 0.0), d))(p, d)
    expected = (np.where(p, d["a"], d["b"]), np.where(p, d["b"] * 2.0, 0.0))
    assert_trees_close(got, expected)


# --- switch -------------------------------------------------------------------------------

SWITCH_BRANCHES = [lambda x: x + 1.0, lambda x: x * x, lambda x: lax.sin(x), lambda x: -x]


def switched(i, x):
    return lax.switch(i, SWITCH_BRANCHES, x)


def switched_np(i, x):
    i = min(max(i, 0), 3)  # out-of-range indices clamp to the first and last branch
    return [x + 1.0, x * x, np.sin(x), -x][i]


def switched_derivative_np(i, x):
    i = min(max(i, 0), 3)
    return [1.0, 2 * x, np.cos(x), -1.0][i]


switched_jit = jit(switched)
switched_vmap_jit = jit(vmap(switched))


@SETTINGS
@given(i=st.integers(-10, 12), x=floats)
def test_switch_clamps_its_index_eagerly_and_under_jit(i, x):
    expected = switched_np(i, x)
    np.testing.assert_allclose(switched(i, x), expected, rtol=1e-15)
    np.testing.assert_allclose(switched_jit(i, x), expected, rtol=1e-15)
    np.testing.assert_allclose(grad(switched, argnums=1)(i, x), switched_derivative_np(i, x),
                               rtol=1e-14)


def test_switch_out_of_range_indices_pick_the_end_branches():
    for i, expected in [(-1, 3.0), (-100, 3.0), (4, -2.0), (2**31 - 1, -2.0)]:
        assert switched(i, 2.0) == expected
        assert switched_jit(i, 2.0) == expected


@SETTINGS
@given(i=st.lists(st.integers(-3, 6), min_size=7, max_size=7).map(np.array), x=float_arrays(7))
def test_switch_with_a_batched_index_equals_a_loop(i, x):
    expected = np.array([switched_np(int(k), v) for k, v in zip(i, x)])
    np.testing.assert_allclose(vmap(switched)(i, x), expected, rtol=1e-15)
    np.testing.assert_allclose(switched_vmap_jit(i, x), expected, rtol=1e-15)
    # Only the index batched: every lane sees the same operand.
    only_index = vmap(switched, in_axes=(0, None))(i, 0.7)
    np.testing.assert_allclose(only_index, [switched_np(int(k), 0.7) for k in i], rtol=1e-15)
    # The gradient of the batched switch picks each lane's branch derivative.
    g = grad(lambda v: total(vmap(switched)(i, v)))(x)
    np.testing.assert_allclose(g, [switched_derivative_np(int(k), v) for k, v in zip(i, x)],
                               rtol=1e-14)


# --- while_loop -------------------------------------------------------------------------

def newton_sqrt(a):
    """Newton's iteration for sqrt(a), stopped by a residual test (and a safety bound)."""
    def keep_going(state):
        x, steps = state
        return lax.logical_and(lax.abs(x * x - a) > 1e-15 * a, steps < 200)

    def improve(state):
        x, steps = state
        return 0.5 * (x + a / x), steps + 1

    return lax.while_loop(keep_going, improve, (a + 1.0, np.int64(0)))[0]


def newton_sqrt_np(a):
    x, steps = a + 1.0, 0
    while abs(x * x - a) > 1e-15 * a and steps < 200:
        x, steps = 0.5 * (x + a / x), steps + 1
    return x


newton_jit = jit(newton_sqrt)
newton_jvp_jit = jit(lambda a: jvp(newton_sqrt, (a,), (1.0,)))


@SETTINGS
@given(a=st.floats(1e-3, 1e4))
def test_newton_sqrt_with_while_loop_converges_under_jit(a):
    a = np.float64(a)
    np.testing.assert_allclose(newton_jit(a), np.sqrt(a), rtol=1e-12)
    np.testing.assert_allclose(newton_sqrt(a), newton_sqrt_np(a), rtol=1e-15)
    np.testing.assert_allclose(newton_jit(a), newton_sqrt_np(a), rtol=1e-15)


@SETTINGS
@given(a=st.floats(1e-2, 1e4))
def test_forward_derivative_of_the_newton_solution(a):
    a = np.float64(a)
    expected = 1.0 / (2.0 * np.sqrt(a))
    primal, tangent = jvp(newton_sqrt, (a,), (1.0,))
    np.testing.assert_allclose(primal, np.sqrt(a), rtol=1e-12)
    np.testing.assert_allclose(tangent, expected, rtol=1e-10)
    primal, tangent = newton_jvp_jit(a)
    np.testing.assert_allclose(tangent, expected, rtol=1e-10)


def test_forward_derivative_of_a_batched_newton_solution():
    a = np.array([0.01, 2.0, 100.0, 12345.0])
    primal, tangent = jvp(vmap(newton_sqrt), (a,), (np.ones(4),))
    np.testing.assert_allclose(primal, np.sqrt(a), rtol=1e-12)
    np.testing.assert_allclose(tangent, 0.5 / np.sqrt(a), rtol=1e-10)
    np.testing.assert_allclose(vmap(lambda a: jvp(newton_sqrt, (a,), (1.0,))[1])(a),
                               0.5 / np.sqrt(a), rtol=1e-10)


def collatz_steps(n):
    """Steps of the Collatz map to reach 1: a while_loop whose body is a cond, on integers."""
    def step(state):
        m, count = state
        m = lax.cond(lax.eq(lax.rem(m, 2), 0), lambda m: lax.div(m, 2), lambda m: m * 3 + 1, m)
        return m, count + 1

    return lax.while_loop(lambda s: s[0] != 1, step, (n, np.int64(0)))[1]


def collatz_steps_np(n):
    count = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        count += 1
    return count


collatz_jit = jit(collatz_steps)


@SETTINGS
@given(n=st.integers(1, 5000))
def test_while_loop_equals_python_while_eagerly_and_under_jit(n):
    n = np.int64(n)
    expected = collatz_steps_np(int(n))
    assert collatz_steps(n) == expected
    assert collatz_jit(n) == expected


def count_up(bound, rate):
    """Counts to a per-lane bound; the accumulator's history depends on the trip count."""
    def body(state):
        i, acc = state
        return i + 1, acc * rate + as_float(i)

    return lax.while_loop(lambda s: s[0] < bound, body, (np.int64(0), np.float64(1.0)))


def count_up_np(bound, rate):
    i, acc = 0, 1.0
    while i < bound:
        i, acc = i + 1, acc * rate + i
    return i, acc


count_up_vmap_jit = jit(vmap(count_up))


@SETTINGS
@given(bounds=st.lists(st.integers(-2, 9), min_size=5, max_size=5).map(np.array),
       rates=float_arrays(5, -1.5, 1.5))
def test_while_loop_with_a_batched_predicate_equals_a_loop(bounds, rates):
    # Lanes finish at different iterations; finished lanes must keep their carry.
    expected = [count_up_np(int(b), r) for b, r in zip(bounds, rates)]
    expected = (np.array([e[0] for e in expected]), np.array([e[1] for e in expected]))
    assert_trees_close(vmap(count_up)(bounds, rates), expected, rtol=1e-14)
    assert_trees_close(count_up_vmap_jit(bounds, rates), expected, rtol=1e-14)
    # Only the bound batched (the rate an unbatched constant), and only the rate batched.
    assert_trees_close(vmap(count_up, in_axes=(0, None))(bounds, 0.5),
                       (np.maximum(bounds, 0),
                        np.array([count_up_np(int(b), 0.5)[1] for b in bounds])),
                       rtol=1e-14)
    assert_trees_close(vmap(count_up, in_axes=(None, 0))(4, rates),
                       (np.full(5, 4), np.array([count_up_np(4, r)[1] for r in rates])), rtol=1e-14)


def test_forward_derivative_of_a_while_loop_with_a_batched_predicate():
    bounds, rates = np.array([0, 2, 5, 3]), np.array([0.7, -1.2, 1.1, 0.4])
    primal, tangent = jvp(lambda r: vmap(count_up)(bounds, r)[1], (rates,), (np.ones(4),))
    np.testing.assert_allclose(primal, [count_up_np(b, r)[1] for b, r in zip(bounds, rates)],
                               rtol=1e-14)
    numerical = [numerical_gradient(lambda v, b=b: count_up_np(b, v)[1], r)
                 for b, r in zip(bounds, rates)]
    np.testing.assert_allclose(tangent, numerical, rtol=1e-7, atol=1e-9)


def test_while_loop_with_a_batched_initial_carry_finishing_at_different_steps():
    def doublings(x):
        return lax.while_loop(lambda s: s[0] < 100.0, lambda s: (s[0] * 2.0, s[1] + 1),
                              (x, np.int64(0)))

    x = np.array([0.3, 1.0, 50.0, 150.0, 99.9])
    expected_x, expected_n = [], []
    for v in x:
        n = 0
        while v < 100.0:
            v, n = v * 2.0, n + 1
        expected_x.append(v)
        expected_n.append(n)
    assert_trees_close(vmap(doublings)(x), (np.array(expected_x), np.array(expected_n)))


@pytest.mark.parametrize("transform", [
    lambda f: grad(f)(2.0),
    lambda f: vjp(f, 2.0),
    lambda f: linearize(f, 2.0),
], ids=["grad", "vjp", "linearize"])
def test_reverse_mode_through_while_loop_is_a_clear_error(transform):
    with pytest.raises(TypeError, match=r"(?s)while_loop.*(scan.*fori_loop|fori_loop.*scan)"):
        transform(newton_sqrt)


def test_jacfwd_through_while_loop():
    np.testing.assert_allclose(jacfwd(newton_sqrt)(2.0), 0.5 / np.sqrt(2.0), rtol=1e-10)


def test_reverse_mode_through_a_jitted_while_loop_is_the_same_clear_error():
    with pytest.raises(TypeError, match=r"(?s)while_loop.*scan"):
        grad(newton_jit)(2.0)


# --- fori_loop ----------------------------------------------------------------------------

def euler_decay(y0, h, n):
    """Explicit Euler for dy/dt = -y: n steps of y <- y - h·y (static n: a scan)."""
    return lax.fori_loop(0, n, lambda i, y: y - h * y, y0)


@SETTINGS
@given(y0=floats, h=st.floats(0.0, 0.5), n=st.integers(0, 40))
def test_euler_decay_and_its_derivatives_match_the_discrete_closed_form(y0, h, n):
    expected = (1 - h) ** n * y0
    np.testing.assert_allclose(euler_decay(y0, h, n), expected, rtol=1e-13, atol=1e-300)
    dy0, dh = grad(euler_decay, argnums=(0, 1))(y0, h, n)
    np.testing.assert_allclose(dy0, (1 - h) ** n, rtol=1e-13)
    np.testing.assert_allclose(dh, -n * (1 - h) ** max(n - 1, 0) * y0, rtol=1e-12, atol=1e-300)


def oscillator(state, h, n):
    """Explicit Euler for x' = v, v' = -x on a (position, velocity) pytree state."""
    def step(i, s):
        x, v = s
        return x + h * v, v - h * x

    return lax.fori_loop(0, n, step, state)


OSC_H, OSC_N = 0.05, 60
OSC_MAP = np.linalg.matrix_power(np.array([[1.0, OSC_H], [-OSC_H, 1.0]]), OSC_N)
oscillator_grad_jit = jit(grad(lambda s: oscillator(s, OSC_H, OSC_N)[0]))


def test_harmonic_oscillator_jacobian_is_the_power_of_the_step_matrix():
    s0 = (0.7, -0.2)
    final = oscillator(s0, OSC_H, OSC_N)
    np.testing.assert_allclose(final, OSC_MAP @ np.array(s0), rtol=1e-13)
    for jacobian in (jacrev, jacfwd):
        j = jacobian(lambda s: oscillator(s, OSC_H, OSC_N))(s0)
        np.testing.assert_allclose(np.array(j, dtype=np.float64), OSC_MAP, rtol=1e-13)
    np.testing.assert_allclose(oscillator_grad_jit(s0), OSC_MAP[0], rtol=1e-13)
    np.testing.assert_allclose(grad(lambda s: oscillator(s, OSC_H, OSC_N)[0])(s0), OSC_MAP[0],
                               rtol=1e-13)


def indexed_body(i, y):
    return y * 0.9 + lax.sin(as_float(i))


def indexed_np(lower, upper, y):
    for i in range(lower, upper):
        y = y * 0.9 + np.sin(float(i))
    return y


fori_traced_jit = jit(lambda lower, upper, y: lax.fori_loop(lower, upper, indexed_body, y))


@SETTINGS
@given(lower=st.integers(-5, 10), upper=st.integers(-5, 25), y=floats)
def test_fori_loop_with_traced_bounds_equals_static_bounds(lower, upper, y):
    expected = indexed_np(lower, upper, y)
    np.testing.assert_allclose(lax.fori_loop(lower, upper, indexed_body, y), expected,
                               rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(fori_traced_jit(lower, upper, y), expected, rtol=1e-13, atol=1e-13)


def test_vmap_of_fori_loop_with_batched_bounds_and_carries():
    lowers, uppers = np.array([0, 3, -2, 5]), np.array([4, 3, 6, 9])
    ys = np.array([0.5, -1.0, 2.0, 0.1])
    expected = [indexed_np(int(lo), int(hi), y) for lo, hi, y in zip(lowers, uppers, ys)]
    np.testing.assert_allclose(vmap(fori_traced_jit)(lowers, uppers, ys), expected, rtol=1e-13)
    # Static bounds with a batched carry.
    np.testing.assert_allclose(vmap(lambda y: lax.fori_loop(2, 7, indexed_body, y))(ys),
                               [indexed_np(2, 7, y) for y in ys], rtol=1e-13)


def test_fori_loop_bounds_choose_scan_or_while():
    static = str(make_jaxpr(lambda y: lax.fori_loop(0, 5, indexed_body, y))(1.0))
    traced = str(make_jaxpr(lambda n, y: lax.fori_loop(0, n, indexed_body, y))(5, 1.0))
    assert "scan" in static and "while" not in static
    assert "while" in traced


def test_forward_derivative_of_fori_loop_with_traced_bounds():
    # d/dy of n steps of y <- 0.9 y + sin(i) is 0.9^n, however the bound is known.
    f = jit(lambda y, n: lax.fori_loop(0, n, indexed_body, y))
    for n in (0, 3, 17):
        primal, tangent = jvp(lambda y, n=n: f(y, n), (0.4,), (1.0,))
        np.testing.assert_allclose(primal, indexed_np(0, n, 0.4), rtol=1e-13)
        np.testing.assert_allclose(tangent, 0.9 ** n, rtol=1e-13)


# --- scan -------------------------------------------------------------------------------

RNG = np.random.default_rng(20240611)
RNN_W = RNG.standard_normal((3, 3)) * 0.6
RNN_U = RNG.standard_normal((3, 2)) * 0.6
RNN_H0 = RNG.standard_normal(3) * 0.5
RNN_XS = RNG.standard_normal((7, 2))


def rnn_step(W, U):
    def step(h, x):
        h = lax.tanh(lax.add(matvec(W, h), matvec(U, x)))
        return h, h
    return step


def rnn_loss(W, h0, U, xs):
    """Sum of the squared hidden states of tanh(W h + U x) over the sequence."""
    _, hs = lax.scan(rnn_step(W, U), h0, xs)
    return lax.reduce_sum(lax.mul(hs, hs), (0, 1))


def rnn_loss_unrolled(W, h0, U, xs):
    """The same loss, Python-unrolled: straight-line lax code with no scan."""
    step, h, loss = rnn_step(W, U), h0, 0.0
    for t in range(xs.shape[0]):
        h, _ = step(h, xs[t])
        loss = loss + total(lax.mul(h, h))
    return loss


def rnn_loss_np(W, h0, U, xs):
    h, loss = h0, 0.0
    for x in xs:
        h = np.tanh(W @ h + U @ x)
        loss += h @ h
    return loss


rnn_grad_jit = jit(grad(rnn_loss, argnums=(0, 1)))


def test_rnn_scan_gradient_matches_the_unrolled_version_and_finite_differences():
    args = (RNN_W, RNN_H0, RNN_U, RNN_XS)
    np.testing.assert_allclose(rnn_loss(*args), rnn_loss_np(*args), rtol=1e-14)
    g_w, g_h0 = grad(rnn_loss, argnums=(0, 1))(*args)
    u_w, u_h0 = grad(rnn_loss_unrolled, argnums=(0, 1))(*args)
    np.testing.assert_allclose(g_w, u_w, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g_h0, u_h0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(
        g_w, numerical_gradient(lambda w: rnn_loss_np(w, RNN_H0, RNN_U, RNN_XS), RNN_W),
        rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(
        g_h0, numerical_gradient(lambda h: rnn_loss_np(RNN_W, h, RNN_U, RNN_XS), RNN_H0),
        rtol=1e-7, atol=1e-9)
    # jit(grad(scan)) equals grad(scan).
    j_w, j_h0 = rnn_grad_jit(*args)
    np.testing.assert_allclose(j_w, g_w, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(j_h0, g_h0, rtol=1e-13, atol=1e-15)


@FEW
@given(seed=st.integers(0, 2**32 - 1))
def test_rnn_scan_gradient_with_respect_to_the_initial_state_and_inputs(seed):
    rng = np.random.default_rng(seed)
    W, h0 = rng.standard_normal((3, 3)) * 0.6, rng.standard_normal(3)
    xs = rng.standard_normal((7, 2))
    got = grad(rnn_loss, argnums=(1, 3))(W, h0, RNN_U, xs)
    assert_trees_close(got, grad(rnn_loss_unrolled, argnums=(1, 3))(W, h0, RNN_U, xs),
                       rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(rnn_grad_jit(W, h0, RNN_U, xs)[0],
                               grad(rnn_loss_unrolled)(W, h0, RNN_U, xs), rtol=1e-12, atol=1e-14)


def rnn_final(W, h0, xs):
    return lax.scan(rnn_step(W, RNN_U), h0, xs)


def rnn_final_np(W, h0, xs):
    h, hs = h0, []
    for x in xs:
        h = np.tanh(W @ h + RNN_U @ x)
        hs.append(h)
    return h, np.array(hs)


rnn_final_jit = jit(rnn_final)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_scan_equals_python_loop_eagerly_and_under_jit(seed):
    rng = np.random.default_rng(seed)
    W, h0, xs = rng.standard_normal((3, 3)), rng.standard_normal(3), rng.standard_normal((7, 2))
    expected = rnn_final_np(W, h0, xs)
    assert_trees_close(rnn_final(W, h0, xs), expected, rtol=1e-13, atol=1e-14)
    assert_trees_close(rnn_final_jit(W, h0, xs), expected, rtol=1e-13, atol=1e-14)


@FEW
@given(seed=st.integers(0, 2**32 - 1))
def test_vmap_of_scan_equals_a_loop(seed):
    rng = np.random.default_rng(seed)
    W, h0, xs = rng.standard_normal((3, 3)), rng.standard_normal(3), rng.standard_normal((7, 2))
    Ws, h0s, xss = (rng.standard_normal((4, 3, 3)), rng.standard_normal((4, 3)),
                    rng.standard_normal((4, 7, 2)))

    def stacked(results):
        return (np.stack([r[0] for r in results]), np.stack([r[1] for r in results]))

    # Batched xs only; the stacked ys carry the batch axis first.
    assert_trees_close(vmap(rnn_final, in_axes=(None, None, 0))(W, h0, xss),
                       stacked([rnn_final_np(W, h0, x) for x in xss]), rtol=1e-13, atol=1e-14)
    # Batched initial carry only.
    assert_trees_close(vmap(rnn_final, in_axes=(None, 0, None))(W, h0s, xs),
                       stacked([rnn_final_np(W, h, xs) for h in h0s]), rtol=1e-13, atol=1e-14)
    # Batched closed-over weights only (a batched constant of the body).
    assert_trees_close(vmap(rnn_final, in_axes=(0, None, None))(Ws, h0, xs),
                       stacked([rnn_final_np(w, h0, xs) for w in Ws]), rtol=1e-13, atol=1e-14)
    # Everything batched, xs along another axis.
    assert_trees_close(vmap(rnn_final, in_axes=(0, 0, 1))(Ws, h0s, np.moveaxis(xss, 0, 1)),
                       stacked([rnn_final_np(*a) for a in zip(Ws, h0s, xss)]),
                       rtol=1e-13, atol=1e-14)


def running_sum(c, x):
    return c * 0.5 + x, c * x


def running_sum_np(c, xs, reverse):
    ys = np.zeros_like(xs)
    order = range(len(xs) - 1, -1, -1) if reverse else range(len(xs))
    for t in order:
        c, ys[t] = c * 0.5 + xs[t], c * xs[t]
    return c, ys


reverse_scan_jit = jit(lambda c, xs: lax.scan(running_sum, c, xs, reverse=True))


@SETTINGS
@given(c=floats, xs=float_arrays(6))
def test_reverse_scan_equals_the_unrolled_reverse(c, xs):
    expected = running_sum_np(c, xs, reverse=True)
    assert_trees_close(lax.scan(running_sum, c, xs, reverse=True), expected, rtol=1e-14, atol=1e-15)
    assert_trees_close(reverse_scan_jit(c, xs), expected, rtol=1e-14, atol=1e-15)
    # The forward scan of the reversed sequence gives the same carry and the reversed ys.
    forward = running_sum_np(c, xs[::-1], reverse=False)
    np.testing.assert_allclose(expected[0], forward[0], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(expected[1], forward[1][::-1], rtol=1e-14, atol=1e-15)

    def loss(c, xs):
        final, ys = lax.scan(running_sum, c, xs, reverse=True)
        return final + total(ys * ys)

    def loss_np(c, xs):
        final, ys = running_sum_np(c, xs, reverse=True)
        return final + (ys * ys).sum()

    g_c, g_xs = grad(loss, argnums=(0, 1))(c, xs)
    np.testing.assert_allclose(g_c, numerical_gradient(lambda v: loss_np(v, xs), c),
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g_xs, numerical_gradient(lambda v: loss_np(c, v), xs),
                               rtol=1e-6, atol=1e-7)


running_sum_vmap_jit = jit(vmap(lambda c, xs: lax.scan(running_sum, c, xs), in_axes=(0, 1)))


@SETTINGS
@given(c=float_arrays(3), xs=float_arrays(12).map(lambda v: v.reshape(4, 3)))
def test_jit_of_vmap_of_scan_equals_a_loop(c, xs):
    # Batched initial carry, and xs batched along their second axis (the first is scanned).
    results = [running_sum_np(c[b], xs[:, b], reverse=False) for b in range(3)]
    expected = (np.array([r[0] for r in results]), np.stack([r[1] for r in results]))
    assert_trees_close(running_sum_vmap_jit(c, xs), expected, rtol=1e-14, atol=1e-15)


def pytree_step(carry, x):
    """Carry {'sum', 'prod'} and xs (a scalar sequence, a vector sequence)."""
    a, v = x
    new = {"sum": carry["sum"] + a * v, "prod": carry["prod"] * a}
    return new, (carry["prod"], total(v))


def pytree_scan_np(carry, xs):
    s, p = carry["sum"].copy(), carry["prod"]
    prods, sums = [], []
    for a, v in zip(*xs):
        prods.append(p)
        sums.append(v.sum())
        s, p = s + a * v, p * a
    return {"prod": p, "sum": s}, (np.array(prods), np.array(sums))


pytree_scan_jit = jit(lambda carry, xs: lax.scan(pytree_step, carry, xs))


def test_scan_with_pytree_carry_and_xs():
    rng = np.random.default_rng(3)
    carry = {"sum": np.zeros(2), "prod": 1.0}
    xs = (rng.standard_normal(5), rng.standard_normal((5, 2)))
    expected = pytree_scan_np(carry, xs)
    assert_trees_close(lax.scan(pytree_step, carry, xs), expected, rtol=1e-14)
    assert_trees_close(pytree_scan_jit(carry, xs), expected, rtol=1e-14)
    # The final product with respect to the whole initial carry and the scalar sequence:
    # d/d prod0 = prod(a), d/d sum0 = 0, d/d a_k = prod0 · prod(a) / a_k.
    g_carry, g_a = grad(lambda c, a: lax.scan(pytree_step, c, (a, xs[1]))[0]["prod"],
                        argnums=(0, 1))(carry, xs[0])
    assert_trees_close(g_carry, {"prod": np.prod(xs[0]), "sum": np.zeros(2)}, rtol=1e-13)
    np.testing.assert_allclose(g_a, [np.prod(np.delete(xs[0], k)) for k in range(5)], rtol=1e-13)


def test_scan_with_length_and_no_xs():
    def doubling(c, _):
        return c * 2.0, c

    for run in (lambda: lax.scan(doubling, 1.5, None, length=6),
                lambda: jit(lambda c: lax.scan(doubling, c, None, length=6))(1.5)):
        final, ys = run()
        np.testing.assert_allclose(final, 1.5 * 2.0 ** 6, rtol=1e-15)
        np.testing.assert_allclose(ys, 1.5 * 2.0 ** np.arange(6), rtol=1e-15)
    # The derivative of the final carry with respect to the initial one is 2^6.
    np.testing.assert_allclose(grad(lambda c: lax.scan(doubling, c, None, length=6)[0])(1.5),
                               2.0 ** 6, rtol=1e-15)
    final, ys = lax.scan(doubling, 1.5, None, length=0)
    assert final == 1.5 and ys.shape == (0,)


LINEAR_A = 0.9995
LONG = 10_000


def linear_recurrence(c0, b):
    """c_{k+1} = a c_k + b_k, emitting c_k."""
    return lax.scan(lambda c, bk: (c * LINEAR_A + bk, c), c0, b)


def linear_recurrence_closed_form(c0, b):
    """c_k = a^k (c0 + sum_{j<k} a^-(j+1) b_j) (variation of constants), for every k."""
    k = np.arange(len(b) + 1)
    weighted = np.concatenate([[0.0], np.cumsum(LINEAR_A ** -(k[:-1] + 1.0) * b)])
    c = LINEAR_A ** k * (c0 + weighted)
    return c[-1], c[:-1]


linear_recurrence_jit = jit(linear_recurrence)
linear_recurrence_grad = grad(lambda c0, b: linear_recurrence(c0, b)[0], argnums=(0, 1))
linear_recurrence_grad_jit = jit(linear_recurrence_grad)


def test_long_scan_under_jit_and_grad_matches_the_closed_form():
    b = np.random.default_rng(11).uniform(-1e-3, 1e-3, LONG)
    c0 = 1.25
    expected = linear_recurrence_closed_form(c0, b)
    assert_trees_close(linear_recurrence_jit(c0, b), expected, rtol=1e-10, atol=1e-13)
    assert_trees_close(linear_recurrence(c0, b), expected, rtol=1e-10, atol=1e-13)
    # d c_n / d c0 = a^n and d c_n / d b_k = a^(n-1-k).
    expected_grad = (LINEAR_A ** LONG, LINEAR_A ** (LONG - 1 - np.arange(LONG)))
    assert_trees_close(linear_recurrence_grad(c0, b), expected_grad, rtol=1e-10)
    assert_trees_close(linear_recurrence_grad_jit(c0, b), expected_grad, rtol=1e-10)


def test_linearize_of_scan_agrees_with_jvp_and_is_linear():
    def f(W, h0):
        return rnn_final(W, h0, RNN_XS)

    rng = np.random.default_rng(5)
    tangents = [(rng.standard_normal((3, 3)), rng.standard_normal(3)) for _ in range(2)]
    primal, f_lin = linearize(f, RNN_W, RNN_H0)
    assert_trees_close(primal, rnn_final_np(RNN_W, RNN_H0, RNN_XS), rtol=1e-13, atol=1e-14)
    for t in tangents:
        _, expected = jvp(f, (RNN_W, RNN_H0), t)
        assert_trees_close(f_lin(*t), expected, rtol=1e-12, atol=1e-14)
        # The directional derivative by central differences of the NumPy version.
        eps = 1e-6
        plus = rnn_final_np(RNN_W + eps * t[0], RNN_H0 + eps * t[1], RNN_XS)
        minus = rnn_final_np(RNN_W - eps * t[0], RNN_H0 - eps * t[1], RNN_XS)
        numerical = tree.map(lambda p, m, eps=eps: (p - m) / (2 * eps), plus, minus)
        assert_trees_close(f_lin(*t), numerical, rtol=1e-6, atol=1e-8)
    combined = f_lin(2.0 * tangents[0][0] - tangents[1][0],
                     2.0 * tangents[0][1] - tangents[1][1])
    separate = tree.map(lambda a, b: 2.0 * a - b, f_lin(*tangents[0]), f_lin(*tangents[1]))
    assert_trees_close(combined, separate, rtol=1e-12, atol=1e-14)


def test_scan_keeps_float32():
    def step(c, x):
        return c * x, c + x

    xs = np.array([1.5, 2.0, -0.5], dtype=np.float32)
    for final, ys in (lax.scan(step, np.float32(1.0), xs),
                      jit(lambda c, xs: lax.scan(step, c, xs))(np.float32(1.0), xs)):
        assert np.asarray(final).dtype == np.float32 and ys.dtype == np.float32
        np.testing.assert_allclose(final, np.float32(-1.5), rtol=1e-7)
        np.testing.assert_allclose(ys, np.array([2.5, 3.5, 2.5], np.float32), rtol=1e-7)


# --- reverse mode with respect to xs or closed-over values only ----------------------------
# The initial carry is not differentiated: the carry's tangent starts as a known zero and
# becomes nonzero inside the loop.


def test_grad_of_scan_with_respect_to_xs_only():
    xs = np.array([1.5, -2.0, 0.5, 3.0])
    g = grad(lambda xs: lax.scan(lambda c, x: (c * x, c), 1.0, xs)[0])(xs)
    np.testing.assert_allclose(g, [np.prod(np.delete(xs, k)) for k in range(4)], rtol=1e-14)


def test_grad_of_rnn_scan_with_respect_to_the_inputs_only():
    got = grad(rnn_loss, argnums=3)(RNN_W, RNN_H0, RNN_U, RNN_XS)
    expected = grad(rnn_loss_unrolled, argnums=3)(RNN_W, RNN_H0, RNN_U, RNN_XS)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def test_grad_of_fori_loop_with_respect_to_a_closed_over_step_size_only():
    y0, h, n = 0.8, 0.1, 12
    np.testing.assert_allclose(grad(euler_decay, argnums=1)(y0, h, n),
                               -n * (1 - h) ** (n - 1) * y0, rtol=1e-13)


# --- nested control flow under reverse mode --------------------------------------------------
# Reverse mode through a cond or scan that sits inside a scan (or a jitted function) currently
# fails: partial_eval_ir splits equations by dependency only, without the control-flow
# primitives' partial-evaluation rules, so the JVP'd inner primitive (primal and tangent
# together) lands whole on the linear side and the outer scan's transpose finds a nonlinear carry.

def cond_in_scan(h0, xs):
    def step(h, x):
        return lax.cond(h > 0.5, lambda h: h * x, lambda h: lax.sin(h) + x, h), h
    return lax.scan(step, h0, xs)[0]


def cond_in_scan_np(h, xs):
    for x in xs:
        h = h * x if h > 0.5 else np.sin(h) + x
    return h


NESTED_XS = np.array([0.3, -0.2, 1.5, 0.1, 0.8])


def test_cond_inside_scan_forward_mode():
    for h0 in (0.3, 0.9):
        np.testing.assert_allclose(cond_in_scan(h0, NESTED_XS), cond_in_scan_np(h0, NESTED_XS),
                                   rtol=1e-14)
        _, tangent = jvp(lambda h: cond_in_scan(h, NESTED_XS), (h0,), (1.0,))
        np.testing.assert_allclose(
            tangent, numerical_gradient(lambda h: cond_in_scan_np(h, NESTED_XS), h0), rtol=1e-7)


def test_grad_of_cond_inside_scan():
    g = grad(cond_in_scan)(0.3, NESTED_XS)
    np.testing.assert_allclose(
        g, numerical_gradient(lambda h: cond_in_scan_np(h, NESTED_XS), 0.3), rtol=1e-7)


def test_grad_of_a_jitted_scan():
    g = grad(jit(rnn_loss), argnums=(0, 1))(RNN_W, RNN_H0, RNN_U, RNN_XS)
    assert_trees_close(g, grad(rnn_loss_unrolled, argnums=(0, 1))(RNN_W, RNN_H0, RNN_U, RNN_XS),
                       rtol=1e-12, atol=1e-14)


# --- errors, by message -----------------------------------------------------------------------

def test_scan_carry_changing_dtype_names_the_leaf():
    with pytest.raises(TypeError, match=r"(?s)scan.*carry.*leaf 1 .*f32\[\].*f64\[\]"):
        lax.scan(lambda c, x: ({"a": c["a"] + x,
                                "b": lax.convert_element_type(c["b"], np.float32)}, x),
                 {"a": 0.0, "b": np.float64(1.0)}, np.arange(3.0))


def test_scan_carry_changing_shape_or_structure_is_an_error():
    with pytest.raises(TypeError, match=r"(?s)scan.*leaf 0 .*f64\[2\].*f64\[\]"):
        lax.scan(lambda c, x: (lax.broadcast_in_dim(c, (2,), ()), x), 0.0, np.arange(3.0))
    with pytest.raises(TypeError, match=r"(?s)scan.*structure"):
        lax.scan(lambda c, x: ((c, c), x), 0.0, np.arange(3.0))


def test_while_loop_carry_changing_type_names_the_leaf():
    with pytest.raises(TypeError, match=r"(?s)while_loop.*leaf 0 .*f32\[\].*f64\[\]"):
        lax.while_loop(lambda c: c < 3.0, lambda c: lax.convert_element_type(c, np.float32),
                       np.float64(0.0))
    with pytest.raises(TypeError, match=r"(?s)while_loop.*leaf 1 .*f64\[2\].*f64\[\]"):
        lax.while_loop(lambda c: c[0] < 3.0,
                       lambda c: (c[0] + 1.0, lax.broadcast_in_dim(c[1], (2,), ())), (0.0, 1.0))


def test_branches_with_different_output_types_are_an_error():
    with pytest.raises(TypeError, match=r"(?s)branch.*f32\[\]"):
        lax.cond(True, lambda x: x, lambda x: lax.convert_element_type(x, np.float32), 1.0)
    with pytest.raises(TypeError, match=r"(?s)branch.*f64\[3\]"):
        lax.switch(0, [lambda x: x, lambda x: x, lambda x: lax.broadcast_in_dim(x, (3,), ())], 1.0)
    with pytest.raises(TypeError, match=r"(?s)branch.*structure"):
        lax.cond(True, lambda x: (x, x), lambda x: x, 1.0)


@pytest.mark.parametrize("predicate", [1, 1.0, np.int32(0)], ids=["int", "float", "int32"])
def test_cond_needs_a_boolean_predicate(predicate):
    with pytest.raises(TypeError, match="boolean"):
        lax.cond(predicate, lambda x: x, lambda x: -x, 1.0)
    with pytest.raises(TypeError, match="boolean"):
        jit(lambda p, x: lax.cond(p, lambda x: x, lambda x: -x, x))(predicate, 1.0)


def test_cond_needs_a_scalar_predicate_and_switch_an_integer_index():
    with pytest.raises(TypeError, match="scalar"):
        lax.cond(np.array([True, False]), lambda x: x, lambda x: -x, 1.0)
    with pytest.raises(TypeError, match="integer"):
        lax.switch(1.0, [lambda x: x, lambda x: -x], 1.0)


def test_while_loop_condition_must_be_boolean():
    with pytest.raises(TypeError, match=r"(?s)condition.*boolean.*f64\[\]"):
        lax.while_loop(lambda c: c, lambda c: c - 1.0, 3.0)
    with pytest.raises(TypeError, match=r"(?s)condition.*boolean.*i64\[\]"):
        jit(lambda n: lax.while_loop(lambda c: c, lambda c: c - 1, n))(np.int64(3))


def test_scan_xs_with_inconsistent_lengths_are_an_error():
    with pytest.raises(ValueError, match=r"inconsistent lengths \[3, 4\]"):
        lax.scan(lambda c, x: (c, x), 0.0, (np.arange(3.0), np.arange(4.0)))
    with pytest.raises(ValueError, match=r"(?s)inconsistent lengths \[3, 5\].*length="):
        lax.scan(lambda c, x: (c, x), 0.0, np.arange(3.0), length=5)
    with pytest.raises(ValueError, match="length="):
        lax.scan(lambda c, x: (c, x), 0.0)


@pytest.mark.parametrize("result", [
    lambda c, x: c + x,
    lambda c, x: (c, x, x),
    lambda c, x: {"carry": c, "y": x},
], ids=["leaf", "triple", "dict"])
def test_scan_function_must_return_a_pair(result):
    with pytest.raises(TypeError, match=r"pair \(carry, y\)"):
        lax.scan(result, 0.0, np.arange(3.0))
