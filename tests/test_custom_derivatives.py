"""custom_jvp, custom_vjp, stop_gradient and checkpoint, alone and under other transforms.

Expected values are closed forms or NumPy computations; several rules are
deliberately *different* from the true derivative, so a test can tell that
the user's rule, not ordinary differentiation, produced the result.
"""
import math

import numpy as np
import pytest

import functrans
from functrans import (
    checkpoint, custom_jvp, custom_vjp, grad, jacfwd, jacrev, jvp, lax, linearize,
    stop_gradient, value_and_grad, vjp, vmap,
)


def scalar_like(value, x):
    return lax.broadcast_in_dim(np.asarray(value, np.asarray(x).dtype if not hasattr(x, "aval")
                                           else x.dtype)[()], np.shape(x), ())


def total(x):
    return lax.reduce_sum(x, tuple(range(np.ndim(x)))) if np.ndim(x) else x


def sigmoid_np(x):
    return 1 / (1 + np.exp(-x))


# --- custom_jvp: the worked example ----------------------------------------------------

def log1pexp_plain(x):
    return lax.log1p(lax.exp(x))


@custom_jvp
def log1pexp(x):
    return lax.log1p(lax.exp(x))


@log1pexp.defjvp
def _log1pexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return log1pexp(x), lax.mul(t, lax.logistic(x))


def test_log1pexp_plain_gradient_is_nan_at_1000():
    with np.errstate(over="ignore", invalid="ignore"):
        assert math.isnan(grad(log1pexp_plain)(1000.0))


def test_log1pexp_custom_jvp_gradient_is_finite_at_1000():
    with np.errstate(over="ignore", invalid="ignore"):
        value = log1pexp(1000.0)
        g = grad(log1pexp)(1000.0)
    assert value == np.inf  # the primal is the plain formula, which overflows
    assert g == 1.0


@pytest.mark.parametrize("x", [-30.0, -2.0, 0.0, 0.5, 3.0, 30.0])
def test_log1pexp_custom_jvp_matches_sigmoid(x):
    np.testing.assert_allclose(log1pexp(x), np.log1p(np.exp(x)), rtol=1e-14)
    np.testing.assert_allclose(grad(log1pexp)(x), sigmoid_np(x), rtol=1e-14)
    np.testing.assert_allclose(jvp(log1pexp, (x,), (2.0,))[1], 2 * sigmoid_np(x), rtol=1e-14)
    # second derivative: sigma'(x) = sigma (1 - sigma), from differentiating the rule
    s = sigmoid_np(x)
    np.testing.assert_allclose(grad(grad(log1pexp))(x), s * (1 - s), rtol=1e-12, atol=1e-300)


def test_log1pexp_custom_jvp_on_arrays_and_jacobians():
    x = np.array([-3.0, 0.0, 2.0, 1000.0])
    with np.errstate(over="ignore", invalid="ignore"):
        g = grad(lambda x: lax.reduce_sum(log1pexp(x), (0,)))(x)
        jf = jacfwd(log1pexp)(x)
        jr = jacrev(log1pexp)(x)
    np.testing.assert_allclose(g, sigmoid_np(x), rtol=1e-14)
    np.testing.assert_allclose(jf, np.diag(sigmoid_np(x)), rtol=1e-14)
    np.testing.assert_allclose(jr, np.diag(sigmoid_np(x)), rtol=1e-14)


# --- custom_jvp: the rule is what is used ------------------------------------------------

@custom_jvp
def fake_square(x):
    return lax.mul(x, x)


@fake_square.defjvp
def _fake_square_jvp(primals, tangents):
    # deliberately not 2x: 10 * t, so tests can see the rule in action
    (x,), (t,) = primals, tangents
    return fake_square(x), lax.mul(t, scalar_like(10.0, t))


def test_custom_jvp_rule_overrides_true_derivative():
    assert fake_square(3.0) == 9.0
    assert grad(fake_square)(3.0) == 10.0
    assert jvp(fake_square, (3.0,), (0.5,)) == (9.0, 5.0)
    # composed with surrounding code by the chain rule: d/dx sin(fake_square(x)) = cos(x^2) * 10
    np.testing.assert_allclose(grad(lambda x: lax.sin(fake_square(x)))(1.2),
                               math.cos(1.44) * 10, rtol=1e-14)
    # inside: d/dx fake_square(sin x) = 10 cos x
    np.testing.assert_allclose(grad(lambda x: fake_square(lax.sin(x)))(1.2), 10 * math.cos(1.2),
                               rtol=1e-14)


def test_custom_jvp_defjvps():
    @custom_jvp
    def f(x, y):
        return lax.mul(x, lax.sin(y))

    # true derivatives: sin(y) and x cos(y); make the y-rule off by a factor 2 to see it used
    f.defjvps(lambda tx, ans, x, y: lax.mul(tx, lax.sin(y)),
              lambda ty, ans, x, y: lax.mul(ty, lax.mul(scalar_like(2.0, x), lax.mul(x, lax.cos(y)))))
    x, y = 1.5, 0.4
    np.testing.assert_allclose(f(x, y), x * math.sin(y))
    gx, gy = grad(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, math.sin(y), rtol=1e-14)
    np.testing.assert_allclose(gy, 2 * x * math.cos(y), rtol=1e-14)
    _, t = jvp(f, (x, y), (1.0, 1.0))
    np.testing.assert_allclose(t, math.sin(y) + 2 * x * math.cos(y), rtol=1e-14)


def test_custom_jvp_defjvps_with_none_has_zero_derivative():
    @custom_jvp
    def f(x, y):
        return lax.add(lax.mul(x, x), y)

    f.defjvps(lambda tx, ans, x, y: lax.mul(tx, lax.mul(scalar_like(2.0, x), x)), None)
    gx, gy = grad(f, argnums=(0, 1))(3.0, 5.0)
    assert gx == 6.0
    assert gy == 0.0


def test_custom_jvp_nondiff_argnums():
    def power(n, x):
        return lax.integer_pow(x, n)

    custom_power = custom_jvp(power, nondiff_argnums=(0,))

    @custom_power.defjvp
    def _power_jvp(n, primals, tangents):
        assert isinstance(n, int)  # static arguments arrive as plain Python values
        (x,), (t,) = primals, tangents
        return custom_power(n, x), lax.mul(t, lax.mul(scalar_like(float(n), x),
                                                     lax.integer_pow(x, n - 1)))

    x = np.array([0.5, 1.5, -2.0])
    for n in (1, 2, 3, 5):
        np.testing.assert_allclose(custom_power(n, x), x ** n, rtol=1e-14)
        g = grad(lambda x: lax.reduce_sum(custom_power(n, x), (0,)))(x)
        np.testing.assert_allclose(g, n * x ** (n - 1), rtol=1e-14)
    # under vmap, the static argument stays static
    out = vmap(lambda x: custom_power(3, x))(x)
    np.testing.assert_allclose(out, x ** 3, rtol=1e-14)


def test_custom_jvp_with_pytree_arguments():
    @custom_jvp
    def f(p):
        return lax.mul(p["a"], lax.exp(p["b"]))

    @f.defjvp
    def _f_jvp(primals, tangents):
        (p,), (t,) = primals, tangents
        out = f(p)
        return out, lax.add(lax.mul(t["a"], lax.exp(p["b"])), lax.mul(out, t["b"]))

    p = {"a": np.array([1.0, 2.0]), "b": np.array([0.5, -0.5])}
    g = grad(lambda p: lax.reduce_sum(f(p), (0,)))(p)
    np.testing.assert_allclose(g["a"], np.exp(p["b"]), rtol=1e-14)
    np.testing.assert_allclose(g["b"], p["a"] * np.exp(p["b"]), rtol=1e-14)


# --- custom_jvp under vmap, and vmap under grad ----------------------------------------

def test_custom_jvp_under_vmap_and_vmap_under_grad():
    x = np.array([-3.0, -0.5, 0.0, 2.0, 1000.0])
    with np.errstate(over="ignore", invalid="ignore"):
        per_example = vmap(grad(log1pexp))(x)
        batched_values = vmap(log1pexp)(x)
        g = grad(lambda x: lax.reduce_sum(vmap(log1pexp)(x), (0,)))(x)
        fake = vmap(grad(fake_square))(x)
    np.testing.assert_allclose(per_example, sigmoid_np(x), rtol=1e-14)
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(batched_values, np.log1p(np.exp(x)), rtol=1e-14)
    np.testing.assert_allclose(g, sigmoid_np(x), rtol=1e-14)
    np.testing.assert_array_equal(fake, np.full(5, 10.0))


def test_custom_jvp_under_vmap_with_unbatched_argument():
    @custom_jvp
    def f(x, y):
        return lax.mul(x, y)

    @f.defjvp
    def _f_jvp(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        # deliberately 3x the true derivative in y
        return f(x, y), lax.add(lax.mul(tx, y), lax.mul(lax.mul(x, ty), scalar_like(3.0, x)))

    xs = np.array([1.0, 2.0, 3.0])
    y = 0.5
    gx = vmap(grad(f), in_axes=(0, None))(xs, y)
    gy = vmap(grad(f, argnums=1), in_axes=(0, None))(xs, y)
    np.testing.assert_allclose(gx, np.full(3, 0.5))
    np.testing.assert_allclose(gy, 3 * xs)


# --- custom_vjp ------------------------------------------------------------------------

def _clip_gradient(lo, hi, x):
    return x


clip_gradient = custom_vjp(_clip_gradient, nondiff_argnums=(0, 1))


def _clip_forward(lo, hi, x):
    return x, None


def _clip_backward(lo, hi, residuals, g):
    return (lax.max(lax.min(g, scalar_like(hi, g)), scalar_like(lo, g)),)


clip_gradient.defvjp(_clip_forward, _clip_backward)


def test_custom_vjp_gradient_clipping():
    x = np.array([0.1, -2.0, 3.0, 0.5])
    scale = np.array([5.0, -5.0, 0.3, -0.2])
    f = lambda x: lax.reduce_sum(lax.mul(clip_gradient(-1.0, 1.0, x), scale), (0,))  # noqa: E731
    np.testing.assert_allclose(f(x), np.sum(x * scale))
    np.testing.assert_allclose(grad(f)(x), np.clip(scale, -1.0, 1.0))
    # the clip applies to the cotangent arriving at the clip point: scale by 3 after it
    g = grad(lambda x: lax.reduce_sum(lax.mul(clip_gradient(-0.5, 0.5, lax.mul(x, scalar_like(3.0, x))),
                                              scale), (0,)))(x)
    np.testing.assert_allclose(g, 3 * np.clip(scale, -0.5, 0.5))
    # vjp with an explicit cotangent
    out, pullback = vjp(lambda x: clip_gradient(-1.0, 1.0, x), x)
    np.testing.assert_array_equal(out, x)
    (ct,) = pullback(np.array([10.0, -10.0, 0.25, 1.0]))
    np.testing.assert_allclose(ct, [1.0, -1.0, 0.25, 1.0])


@custom_vjp
def straight_through_round(x):
    return lax.round(x)


straight_through_round.defvjp(lambda x: (lax.round(x), None), lambda residuals, g: (g,))


def test_straight_through_estimator():
    x = np.array([0.2, 0.7, 1.4, -1.6])
    np.testing.assert_array_equal(straight_through_round(x), np.round(x))
    # the true derivative of round is 0; the estimator passes the cotangent through
    g = grad(lambda x: lax.reduce_sum(lax.mul(straight_through_round(x),
                                              straight_through_round(x)), (0,)))(x)
    np.testing.assert_allclose(g, 2 * np.round(x))
    g_plain = grad(lambda x: lax.reduce_sum(lax.round(x), (0,)))(x)
    np.testing.assert_array_equal(g_plain, np.zeros(4))


def test_custom_vjp_residuals_are_used():
    @custom_vjp
    def f(x, y):
        return lax.mul(lax.sin(x), y)

    def forward(x, y):
        return f(x, y), (lax.cos(x), lax.sin(x), y)

    def backward(residuals, g):
        cos_x, sin_x, y = residuals
        return lax.mul(g, lax.mul(cos_x, y)), lax.mul(g, sin_x)

    f.defvjp(forward, backward)
    x, y = np.array([0.3, 1.0]), np.array([2.0, -1.0])
    gx, gy = grad(lambda x, y: lax.reduce_sum(f(x, y), (0,)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, np.cos(x) * y, rtol=1e-14)
    np.testing.assert_allclose(gy, np.sin(x), rtol=1e-14)
    # jacrev of it (the pullback vmapped over the output basis)
    np.testing.assert_allclose(jacrev(f)(x, y), np.diag(np.cos(x) * y), rtol=1e-14)


def test_custom_vjp_backward_returning_none_means_zero():
    @custom_vjp
    def f(x, y):
        return lax.add(x, y)

    f.defvjp(lambda x, y: (f(x, y), None), lambda residuals, g: (g, None))
    gx, gy = grad(lambda x, y: lax.reduce_sum(f(x, y), (0,)), argnums=(0, 1))(np.ones(2), np.ones(2))
    np.testing.assert_array_equal(gx, np.ones(2))
    np.testing.assert_array_equal(gy, np.zeros(2))
    assert gy.shape == (2,)


def test_custom_vjp_under_vmap_and_vmap_under_grad():
    x = np.array([0.2, 0.7, 1.4, -1.6])
    per_example = vmap(grad(straight_through_round))(x)
    np.testing.assert_array_equal(per_example, np.ones(4))
    np.testing.assert_array_equal(vmap(straight_through_round)(x), np.round(x))
    scale = np.array([[5.0, -0.5], [-3.0, 0.2]])

    def loss(x, s):
        return lax.reduce_sum(lax.mul(clip_gradient(-1.0, 1.0, x), s), (0,))

    per_row = vmap(grad(loss), in_axes=(None, 0))(np.array([1.0, 2.0]), scale)
    np.testing.assert_allclose(per_row, np.clip(scale, -1, 1))
    # an unbatched value through a custom_vjp inside vmap under grad (a linear backward rule,
    # so it does not matter whether the rule sees each example's cotangent or their sum)
    g = grad(lambda x: lax.reduce_sum(
        vmap(lambda r: lax.reduce_sum(lax.mul(straight_through_round(x), r), (0,)))(scale),
        (0,)))(np.array([1.0, 2.0]))
    np.testing.assert_allclose(g, scale.sum(0))
    # a batched clip point: cotangent per example is the row of scale
    g2 = grad(lambda xs: lax.reduce_sum(vmap(loss)(xs, scale), (0,)))(np.ones((2, 2)))
    np.testing.assert_allclose(g2, np.clip(scale, -1, 1))


def test_forward_mode_of_custom_vjp_is_a_clear_type_error():
    with pytest.raises(TypeError, match="forward mode"):
        jvp(straight_through_round, (np.array([0.4]),), (np.array([1.0]),))
    with pytest.raises(TypeError, match="custom_vjp"):
        jacfwd(straight_through_round)(np.array([0.4, 1.2]))


# --- stop_gradient ---------------------------------------------------------------------

def test_stop_gradient_zeroes_gradient():
    x = np.array([1.0, -2.0, 3.0])
    g = grad(lambda x: lax.reduce_sum(lax.mul(x, stop_gradient(x)), (0,)))(x)
    np.testing.assert_allclose(g, x)  # not 2x
    np.testing.assert_array_equal(grad(lambda x: lax.reduce_sum(stop_gradient(lax.sin(x)), (0,)))(x),
                                  np.zeros(3))
    np.testing.assert_array_equal(stop_gradient(x), x)
    assert jvp(lambda x: stop_gradient(lax.exp(x)), (1.0,), (1.0,))[1] == 0.0
    # second order: d2/dx2 [x * sg(x)^2] = 0 ; first derivative = sg(x)^2
    f = lambda x: lax.mul(x, lax.integer_pow(stop_gradient(x), 2))  # noqa: E731
    assert grad(f)(3.0) == 9.0
    assert grad(grad(f))(3.0) == 0.0


def test_stop_gradient_of_pytree():
    def f(p):
        stopped = stop_gradient({"a": p["a"], "n": p["n"], "t": (p["b"],)})
        assert stopped["n"] is p["n"]  # integer leaves pass through untouched
        return lax.reduce_sum(lax.add(lax.mul(stopped["a"], p["b"]),
                                      lax.mul(stopped["t"][0], p["a"])), (0,))

    p = {"a": np.array([1.0, 2.0]), "b": np.array([3.0, 4.0]), "n": np.array([1, 2])}
    ga, gb = grad(lambda a, b: f({"a": a, "b": b, "n": p["n"]}), argnums=(0, 1))(p["a"], p["b"])
    np.testing.assert_allclose(ga, p["b"])  # only via the unstopped p["a"]
    np.testing.assert_allclose(gb, p["a"])  # only via the unstopped p["b"]
    tree_out = stop_gradient({"x": 1.0, "y": (np.ones(2),)})
    assert functrans.tree.structure(tree_out) == functrans.tree.structure({"x": 1.0, "y": (np.ones(2),)})


# --- checkpoint ------------------------------------------------------------------------

def _region(x):
    return lax.sin(lax.sin(lax.sin(x)))


def _region_derivative(x):
    a = np.sin(x)
    b = np.sin(a)
    return np.cos(b) * np.cos(a) * np.cos(x)


def test_checkpoint_has_same_value_and_gradient():
    x = np.array([0.1, 0.7, -1.3])
    f = lambda x: lax.reduce_sum(lax.mul(_region(x), x), (0,))  # noqa: E731
    fc = lambda x: lax.reduce_sum(lax.mul(checkpoint(_region)(x), x), (0,))  # noqa: E731
    v, g = value_and_grad(f)(x)
    vc, gc = value_and_grad(fc)(x)
    expected = _region_derivative(x) * x + np.sin(np.sin(np.sin(x)))
    np.testing.assert_allclose(g, expected, rtol=1e-14)
    np.testing.assert_allclose(gc, expected, rtol=1e-14)
    np.testing.assert_allclose(vc, v, rtol=1e-15)
    np.testing.assert_allclose(jvp(fc, (x,), (np.ones(3),))[1], expected.sum(), rtol=1e-14)


def _same_array(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.array_equal(a, b)


def test_checkpoint_linear_function_holds_only_the_region_inputs():
    x = np.array([0.1, 0.7, -1.3])
    intermediates = [np.sin(x), np.sin(np.sin(x)), np.cos(x), np.cos(np.sin(x)),
                     np.cos(np.sin(np.sin(x))), _region_derivative(x)]

    # control: without checkpoint the residuals are intermediates of the region
    _, plain = linearize(_region, x)
    assert any(_same_array(c, i) for c in plain.ir.consts for i in intermediates)

    _, lin = linearize(checkpoint(_region), x)
    assert len(lin.ir.consts) == 1, lin
    assert _same_array(lin.ir.consts[0], x), lin
    np.testing.assert_allclose(lin(np.ones(3)), _region_derivative(x), rtol=1e-14)
    assert "checkpoint" in str(lin)

    # with surrounding code: the residuals are the region's input and its output, nothing inside
    _, lin2 = linearize(lambda x: lax.mul(checkpoint(_region)(x), x), x)
    allowed = [x, np.sin(np.sin(np.sin(x)))]
    for const in lin2.ir.consts:
        assert any(_same_array(const, a) for a in allowed), lin2
        assert not any(_same_array(const, i) for i in intermediates), lin2


def test_checkpoint_of_two_arguments_with_one_differentiated():
    def region(w, x):
        return lax.tanh(lax.dot_general(w, lax.exp(x), (((1,), (0,)), ((), ()))))

    w = np.array([[0.5, -0.2, 0.1], [0.3, 0.4, -0.6]])
    x = np.array([0.1, 0.2, -0.3])
    h = np.tanh(w @ np.exp(x))
    loss = lambda w: lax.reduce_sum(checkpoint(region)(w, x), (0,))  # noqa: E731
    np.testing.assert_allclose(grad(loss)(w), np.outer(1 - h ** 2, np.exp(x)), rtol=1e-13)
    _, lin = linearize(lambda w: checkpoint(region)(w, x), w)
    for const in lin.ir.consts:
        assert any(_same_array(const, a) for a in (w, x)), lin


def test_checkpoint_under_vmap_and_grad_of_grad():
    xs = np.array([[0.1, 0.2], [0.7, -0.4], [-1.3, 2.0]])
    per_example = vmap(grad(lambda x: lax.reduce_sum(checkpoint(_region)(x), (0,))))(xs)
    np.testing.assert_allclose(per_example, _region_derivative(xs), rtol=1e-14)
    np.testing.assert_allclose(vmap(checkpoint(_region))(xs), np.sin(np.sin(np.sin(xs))), rtol=1e-15)
    # grad over a vmapped checkpoint
    g = grad(lambda xs: lax.reduce_sum(vmap(checkpoint(_region))(xs), (0, 1)))(xs)
    np.testing.assert_allclose(g, _region_derivative(xs), rtol=1e-14)
    # grad of grad: d2/dx2 sin(sin(x)) at scalars vs closed form
    f = checkpoint(lambda x: lax.sin(lax.sin(x)))
    for x in (0.3, -1.1, 2.0):
        expected = -math.sin(math.sin(x)) * math.cos(x) ** 2 - math.cos(math.sin(x)) * math.sin(x)
        np.testing.assert_allclose(grad(grad(f))(x), expected, rtol=1e-13)
        np.testing.assert_allclose(grad(grad(lambda x: f(x)))(x), expected, rtol=1e-13)


def test_checkpoint_as_decorator_with_pytree_output():
    @checkpoint
    def region(p):
        s = lax.sin(p["x"])
        return {"s": s, "sq": lax.mul(s, s)}

    x = np.array([0.4, 1.1])
    g = grad(lambda x: lax.reduce_sum(region({"x": x})["sq"], (0,)))(x)
    np.testing.assert_allclose(g, 2 * np.sin(x) * np.cos(x), rtol=1e-14)
    assert region.__name__ == "region"


def test_nested_checkpoint_under_grad():
    x = 0.5
    f = checkpoint(lambda x: lax.sin(checkpoint(lax.sin)(x)))
    expected = math.cos(math.sin(x)) * math.cos(x)
    np.testing.assert_allclose(jvp(f, (x,), (1.0,))[1], expected, rtol=1e-14)
    np.testing.assert_allclose(grad(f)(x), expected, rtol=1e-14)


def test_checkpoints_in_sequence_under_grad():
    x = 0.5
    f = lambda x: checkpoint(lax.sin)(checkpoint(lax.sin)(x))  # noqa: E731
    np.testing.assert_allclose(grad(f)(x), math.cos(math.sin(x)) * math.cos(x), rtol=1e-14)


def test_custom_rules_inside_checkpoint():
    x = 0.5
    expected = math.cos(math.sin(x)) * math.cos(x)
    np.testing.assert_allclose(grad(checkpoint(lambda x: lax.sin(log1pexp(x))))(x),
                               math.cos(math.log1p(math.exp(x))) * sigmoid_np(x), rtol=1e-14)

    @custom_vjp
    def sin_vjp(x):
        return lax.sin(x)

    sin_vjp.defvjp(lambda x: (sin_vjp(x), lax.cos(x)), lambda c, g: (lax.mul(g, c),))
    np.testing.assert_allclose(grad(checkpoint(lambda x: lax.sin(sin_vjp(x))))(x), expected,
                               rtol=1e-14)
    # grad of grad through the custom_vjp: the backward rule is differentiable
    np.testing.assert_allclose(grad(grad(sin_vjp))(x), -math.sin(x), rtol=1e-14)


# --- errors in user rules --------------------------------------------------------------

def test_custom_vjp_backward_with_wrong_number_of_cotangents():
    @custom_vjp
    def f(x, y):
        return lax.mul(x, y)

    f.defvjp(lambda x, y: (f(x, y), (x, y)), lambda residuals, g: (g,))
    with pytest.raises(TypeError, match=r"one cotangent per differentiable argument \(2\)"):
        grad(f)(1.0, 2.0)


def test_custom_jvp_rule_with_wrong_tangent_shape():
    @custom_jvp
    def f(x):
        return lax.sin(x)

    f.defjvp(lambda primals, tangents: (f(*primals), lax.reduce_sum(tangents[0], (0,))))
    with pytest.raises(TypeError, match=r"tangent of shape \(\) for output 0, whose shape is \(3,\)"):
        grad(lambda x: lax.reduce_sum(f(x), (0,)))(np.ones(3))


def test_custom_jvp_differentiating_a_closed_over_value_is_an_error():
    def outer(w):
        @custom_jvp
        def f(x):
            return lax.mul(x, w)

        f.defjvp(lambda primals, tangents: (f(*primals), lax.mul(tangents[0], w)))
        return f(2.0)

    np.testing.assert_allclose(outer(3.0), 6.0)
    with pytest.raises(TypeError, match="closes over a value that is being differentiated"):
        grad(outer)(3.0)
    # closing over a batched value is fine: vmap is not differentiation
    np.testing.assert_allclose(vmap(outer)(np.array([1.0, 3.0])), [2.0, 6.0])


def test_custom_jvp_without_rule_is_an_error():
    @custom_jvp
    def f(x):
        return lax.sin(x)

    with pytest.raises(AttributeError, match="no JVP rule"):
        f(1.0)


def test_custom_jvp_without_rule_message_names_the_function():
    @custom_jvp
    def my_function(x):
        return lax.sin(x)

    with pytest.raises(AttributeError, match=r"@my_function\.defjvp"):
        my_function(1.0)
