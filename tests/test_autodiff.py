"""Automatic differentiation: grad, jvp, vjp, linearize, transposition, Jacobians.

Every expected value comes from an independent oracle: a closed-form
derivative, central finite differences in float64, or plain NumPy.
Functions are written with ``functrans.lax`` (the primitive-level ops), so
these tests do not depend on ``functrans.numpy``.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functrans
import functrans.numpy as fnp
from functrans import (
    grad, hessian, jacfwd, jacrev, jvp, lax, linear_transpose, linearize, make_jaxpr,
    stop_gradient, value_and_grad, vjp, vmap,
)
from functrans.errors import ConcretizationError, EscapedTracerError

SETTINGS = settings(max_examples=20, deadline=None, derandomize=True)


# --- independent oracles ----------------------------------------------------------------

def numerical_jacobian(f, x, eps=1e-6):
    """Central differences of f: R^n -> R^m (arrays of any shape), shape out.shape + x.shape."""
    x = np.asarray(x, dtype=np.float64)
    out = np.asarray(f(x), dtype=np.float64)
    jac = np.zeros(out.shape + x.shape)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        diff = (np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps)
        jac[(Ellipsis,) + index] = diff
    return jac


def tree_vdot(a, b):
    """Sum of elementwise products over all leaves of two pytrees of one structure."""
    la, ta = functrans.tree.flatten(a)
    lb, tb = functrans.tree.flatten(b)
    assert ta == tb
    return sum(float(np.sum(np.asarray(x) * np.asarray(y))) for x, y in zip(la, lb))


def random_like(tree_value, rng):
    return functrans.tree.map(lambda leaf: rng.standard_normal(np.shape(leaf)), tree_value)


def total(x):
    """Sum over all axes, with lax."""
    return lax.reduce_sum(x, tuple(range(np.ndim(x)))) if np.ndim(x) else x


def scalar_like(value, x):
    return lax.broadcast_in_dim(np.float64(value), np.shape(x), ())


def softmax_np(z):
    e = np.exp(z - z.max())
    return e / e.sum()


# --- first derivatives against closed forms -------------------------------------------

def test_grad_of_sin_is_cos():
    x = np.linspace(0, 2 * np.pi, 100)
    g = grad(lambda x: lax.reduce_sum(lax.sin(x), (0,)))(x)
    assert g.shape == x.shape
    np.testing.assert_allclose(g, np.cos(x), rtol=0, atol=1e-12)


def test_grad_of_scalar_function_at_python_float():
    g = grad(lambda x: lax.mul(lax.exp(x), lax.sin(x)))(0.7)
    np.testing.assert_allclose(g, math.exp(0.7) * (math.sin(0.7) + math.cos(0.7)), rtol=1e-14)


def test_linearize_computes_each_unary_function_of_a_value_once(monkeypatch):
    """sin's tangent needs cos(x) and cos's needs sin(x): the primal's results are reused."""
    from functrans.lax import elementwise
    calls = {"sin": 0, "cos": 0}
    for name in calls:
        primitive = getattr(elementwise, f"{name}_p")

        def counted(x, impl=primitive.impl, name=name):
            calls[name] += 1
            return impl(x)
        monkeypatch.setattr(primitive, "impl", counted)
    x = np.linspace(-2, 2, 7)
    g = grad(lambda x: lax.reduce_sum(lax.mul(lax.sin(x), lax.cos(x)), (0,)))(x)
    np.testing.assert_allclose(g, np.cos(2 * x), rtol=0, atol=1e-15)
    assert calls == {"sin": 1, "cos": 1}


def test_linearize_records_one_equation_per_tangent_term():
    """An elementwise primitive's tangent is its inputs' tangents scaled by known factors:
    sin records t * cos(x); mul records tx * y + ty * x; log1p divides, t / (1 + x)."""
    x, y = 0.7, -1.9
    _, f_lin = linearize(lambda x: lax.sin(x), x)
    [equation] = f_lin.ir.equations
    assert equation.primitive.name == "mul"
    assert equation.inputs[1].value == np.cos(x)

    _, f_lin = linearize(lambda x, y: lax.mul(x, y), x, y)
    assert [e.primitive.name for e in f_lin.ir.equations] == ["mul", "mul", "add"]
    assert f_lin(1.0, 0.0) == y and f_lin(0.0, 1.0) == x

    _, f_lin = linearize(lambda x: lax.log1p(x), x)
    [equation] = f_lin.ir.equations
    assert equation.primitive.name == "div"
    assert grad(lax.log1p)(x) == 1 / (1 + x)  # one rounding, as the formula


def test_linearize_adds_no_zero_tangents():
    """A sum with a constant has the tangent of its other operand, with no addition of zeros."""
    _, f_lin = linearize(lambda x: lax.add(lax.sub(np.float64(2.0), x), np.float64(3.0)), 0.5)
    assert [e.primitive.name for e in f_lin.ir.equations] == ["neg"]
    assert f_lin(1.5) == -1.5


def test_linearize_keeps_float32_and_scales_broadcast_operands():
    x = np.linspace(0.1, 1.0, 4, dtype=np.float32)
    y, f_lin = linearize(lambda x: fnp.sin(x) * 2 + fnp.sum(x) * np.ones((3, 1), np.float32), x)
    t = np.ones(4, np.float32)
    assert y.dtype == np.float32 and f_lin(t).dtype == np.float32
    np.testing.assert_allclose(f_lin(t), np.broadcast_to(np.cos(x) * 2 + 4, (3, 4)), rtol=1e-6)


def softmax_cross_entropy(z, onehot):
    """-sum(onehot * log_softmax(z)), the max subtracted under stop_gradient for stability."""
    n = np.shape(z)[0]
    shift = lax.broadcast_in_dim(stop_gradient(lax.reduce_max(z, (0,))), (n,), ())
    shifted = lax.sub(z, shift)
    log_norm = lax.log(lax.reduce_sum(lax.exp(shifted), (0,)))
    log_softmax = lax.sub(shifted, lax.broadcast_in_dim(log_norm, (n,), ()))
    return lax.neg(lax.reduce_sum(lax.mul(onehot, log_softmax), (0,)))


@pytest.mark.parametrize("seed", range(5))
def test_softmax_cross_entropy_gradient_closed_form(seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(7) * 3
    label = rng.integers(7)
    onehot = np.eye(7)[label]
    loss = softmax_cross_entropy(z, onehot)
    np.testing.assert_allclose(loss, -np.log(softmax_np(z)[label]), rtol=1e-12)
    g = grad(softmax_cross_entropy)(z, onehot)
    np.testing.assert_allclose(g, softmax_np(z) - onehot, rtol=1e-10, atol=1e-13)


def test_softmax_cross_entropy_gradient_with_huge_logits():
    # The max is stopped, so the gradient is unchanged and stays finite for huge logits.
    z = np.array([1000.0, 999.0, -1000.0])
    onehot = np.array([0.0, 1.0, 0.0])
    g = grad(softmax_cross_entropy)(z, onehot)
    np.testing.assert_allclose(g, softmax_np(z) - onehot, rtol=1e-10, atol=1e-13)


# --- second and higher derivatives -----------------------------------------------------

def test_hessian_of_quadratic_form_is_a_plus_a_transpose():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    x = rng.standard_normal(4)

    def quadratic(x):
        ax = lax.dot_general(a, x, (((1,), (0,)), ((), ())))
        return lax.dot_general(x, ax, (((0,), (0,)), ((), ())))

    np.testing.assert_allclose(quadratic(x), x @ a @ x, rtol=1e-12)
    np.testing.assert_allclose(grad(quadratic)(x), (a + a.T) @ x, rtol=1e-12)
    np.testing.assert_allclose(hessian(quadratic)(x), a + a.T, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(jacfwd(jacrev(quadratic))(x), a + a.T, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(jacrev(jacrev(quadratic))(x), a + a.T, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(jacfwd(grad(quadratic))(x), a + a.T, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("x", [-1.5, 0.0, 0.3, 2.0])
def test_third_derivative_of_exp_is_exp(x):
    d1 = grad(lax.exp)
    d2 = grad(d1)
    d3 = grad(d2)
    for derivative in (d1, d2, d3):
        np.testing.assert_allclose(derivative(x), math.exp(x), rtol=1e-14)


@pytest.mark.parametrize("x", [-2.0, -0.4, 0.0, 0.9, 1.7])
def test_derivatives_of_tanh_up_to_third_order(x):
    t = math.tanh(x)
    d1 = grad(lax.tanh)
    d2 = grad(d1)
    d3 = grad(d2)
    np.testing.assert_allclose(d1(x), 1 - t ** 2, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(d2(x), -2 * t * (1 - t ** 2), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(d3(x), -2 * (1 - t ** 2) * (1 - 3 * t ** 2), rtol=1e-12, atol=1e-14)


def test_higher_derivatives_by_forward_over_reverse_and_reverse_over_forward():
    # d^2/dx^2 of sin(x)^2 = 2 cos(2x)
    f = lambda x: lax.integer_pow(lax.sin(x), 2)  # noqa: E731
    x = 0.37
    forward_over_reverse = lambda x: jvp(grad(f), (x,), (1.0,))[1]  # noqa: E731
    reverse_over_forward = grad(lambda x: jvp(f, (x,), (1.0,))[1])
    for second in (forward_over_reverse, reverse_over_forward):
        np.testing.assert_allclose(second(x), 2 * math.cos(2 * x), rtol=1e-13)
    # And once more: third derivative -4 sin(2x).
    np.testing.assert_allclose(grad(reverse_over_forward)(x), -4 * math.sin(2 * x), rtol=1e-12)


# --- no perturbation confusion ---------------------------------------------------------

def test_no_perturbation_confusion_grad_of_grad():
    assert grad(lambda x: grad(lambda y: lax.mul(x, y))(x))(2.0) == 1.0


def test_no_perturbation_confusion_jvp_of_jvp():
    # d/dx [ x * (d/dy (x + y) at y = x) ] = d/dx [ x * 1 ] = 1  (a confused AD gives 2)
    def outer(x):
        inner = jvp(lambda y: lax.add(x, y), (x,), (1.0,))[1]
        return lax.mul(x, inner)
    assert jvp(outer, (1.0,), (1.0,))[1] == 1.0


def test_no_perturbation_confusion_jvp_of_grad_and_grad_of_jvp():
    # g(x) = d/dy [x * y^2] at y = x = 2 x y |_{y=x} = 2 x^2 ; g'(x) = 4 x
    def g_by_grad(x):
        return grad(lambda y: lax.mul(x, lax.mul(y, y)))(x)

    def g_by_jvp(x):
        return jvp(lambda y: lax.mul(x, lax.mul(y, y)), (x,), (1.0,))[1]

    x = 1.5
    np.testing.assert_allclose(g_by_grad(x), 2 * x * x)
    np.testing.assert_allclose(jvp(g_by_grad, (x,), (1.0,))[1], 4 * x)
    np.testing.assert_allclose(grad(g_by_jvp)(x), 4 * x)
    np.testing.assert_allclose(grad(g_by_grad)(x), 4 * x)
    np.testing.assert_allclose(jvp(g_by_jvp, (x,), (1.0,))[1], 4 * x)


def test_closed_over_outer_variable_is_a_constant_to_inner_grad():
    # f(x) = grad_y [sin(x * y)] at y = 1  = x cos(x);  f'(x) = cos(x) - x sin(x)
    f = lambda x: grad(lambda y: lax.sin(lax.mul(x, y)))(1.0)  # noqa: E731
    x = 0.8
    np.testing.assert_allclose(f(x), x * math.cos(x), rtol=1e-14)
    np.testing.assert_allclose(grad(f)(x), math.cos(x) - x * math.sin(x), rtol=1e-13)


# --- jvp and vjp against each other and against finite differences --------------------

def fn_dict_tuple(d, t):
    """(dict of arrays, tuple of arrays) -> (dict of arrays, scalar)."""
    a, b = d["a"], d["b"]
    m, c = t
    u = lax.mul(lax.sin(a), lax.exp(b))
    v = lax.dot_general(m, lax.add(u, c), (((1,), (0,)), ((), ())))
    s = lax.reduce_sum(lax.mul(lax.tanh(m), lax.broadcast_in_dim(c, (2, 3), (1,))), (0, 1))
    return {"u": u, "v": v}, s


def fn_dict_tuple_np(d, t):
    a, b = d["a"], d["b"]
    m, c = t
    u = np.sin(a) * np.exp(b)
    return {"u": u, "v": m @ (u + c)}, np.sum(np.tanh(m) * c)


def fn_shapes(x, y):
    """Two inputs -> three outputs, through slices, concatenation, cumsum, gather and division."""
    head = lax.slice(x, (0,), (3,))
    tail = lax.slice(x, (2,), (5,))
    joined = lax.concatenate([lax.mul(head, tail), lax.cumsum(y, 0)], 0)
    ratio = lax.div(lax.log1p(lax.mul(y, y)), lax.add(lax.cos(head), scalar_like(2.0, head)))
    picked = lax.gather(x, np.array([4, 0, 0, 2]), 0)
    return joined, ratio, lax.reduce_prod(picked, (0,))


def fn_shapes_np(x, y):
    head, tail = x[:3], x[2:5]
    joined = np.concatenate([head * tail, np.cumsum(y)])
    ratio = np.log1p(y * y) / (np.cos(head) + 2.0)
    return joined, ratio, np.prod(x[[4, 0, 0, 2]])


def fn_matrix(w, x):
    """A two-layer map with a matrix parameter: tanh(W x) . x, and W^T W's trace."""
    h = lax.tanh(lax.dot_general(w, x, (((1,), (0,)), ((), ()))))
    wtw = lax.dot_general(w, w, (((0,), (0,)), ((), ())))
    trace = lax.reduce_sum(lax.mul(wtw, np.eye(3)), (0, 1))
    return h, lax.add(trace, lax.reduce_max(h, (0,)))


def fn_matrix_np(w, x):
    h = np.tanh(w @ x)
    return h, np.trace(w.T @ w) + h.max()


JVP_CASES = {
    "dict_tuple": (fn_dict_tuple, fn_dict_tuple_np,
                   lambda rng: ({"a": rng.standard_normal(3), "b": rng.standard_normal(3)},
                                (rng.standard_normal((2, 3)), rng.standard_normal(3)))),
    "shapes": (fn_shapes, fn_shapes_np,
               lambda rng: (rng.uniform(0.5, 1.5, 5), rng.standard_normal(3))),
    "matrix": (fn_matrix, fn_matrix_np,
               lambda rng: (rng.standard_normal((4, 3)), rng.standard_normal(3))),
}


def numerical_jvp(f_np, primals, tangents, eps=1e-6):
    plus = f_np(*functrans.tree.map(lambda p, t: p + eps * t, primals, tangents))
    minus = f_np(*functrans.tree.map(lambda p, t: p - eps * t, primals, tangents))
    return functrans.tree.map(lambda a, b: (np.asarray(a) - np.asarray(b)) / (2 * eps), plus, minus)


@pytest.mark.parametrize("name", sorted(JVP_CASES))
@SETTINGS
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_jvp_vjp_transpose_identity(name, seed):
    f, f_np, make = JVP_CASES[name]
    rng = np.random.default_rng(seed)
    primals = make(rng)
    u = random_like(primals, rng)

    out, tangent_out = jvp(f, primals, u)
    expected_out = f_np(*primals)
    functrans.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12),
                       out, expected_out)
    # the tangent against central differences of the NumPy version
    functrans.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6),
                       tangent_out, numerical_jvp(f_np, primals, u))

    out_vjp, pullback = vjp(f, *primals)
    functrans.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-14, atol=0),
                       out_vjp, expected_out)
    v = random_like(out, rng)
    cotangents = pullback(v)
    assert isinstance(cotangents, tuple) and len(cotangents) == len(primals)
    assert functrans.tree.structure(cotangents) == functrans.tree.structure(primals)
    left = tree_vdot(v, tangent_out)
    right = tree_vdot(cotangents, u)
    np.testing.assert_allclose(left, right, rtol=1e-10, atol=1e-10)


# --- linearize -------------------------------------------------------------------------

LINEAR_PRIMITIVES = {
    "mul", "add", "sub", "neg", "div", "reduce_sum", "broadcast_in_dim", "dot_general",
    "transpose", "reshape", "slice", "pad", "concatenate", "cumsum", "gather", "scatter_add",
    "select", "convert_element_type", "squeeze", "expand_dims", "rev", "dynamic_slice",
    "dynamic_update_slice",
}


def _check_linear_ir(linear_ir):
    """Every equation is a linear primitive, and no product multiplies two tangent values."""
    tangent_vars = set(linear_ir.in_vars)
    for equation in linear_ir.equations:
        name = equation.primitive.name
        assert name in LINEAR_PRIMITIVES, f"non-linear primitive {name} in the linear IR"
        depends = [v in tangent_vars for v in equation.inputs if not hasattr(v, "value")]
        if name in ("mul", "dot_general"):
            assert sum(depends) <= 1, f"{name} of two tangent values"
        if name == "div":
            assert not (len(equation.inputs) == 2 and equation.inputs[1] in tangent_vars), \
                "division by a tangent"
        if any(depends):
            tangent_vars.update(equation.outputs)


@pytest.mark.parametrize("name", sorted(JVP_CASES))
def test_linearize_equals_jvp_and_is_linear(name):
    f, _, make = JVP_CASES[name]
    rng = np.random.default_rng(1)
    primals = make(rng)
    out, f_lin = linearize(f, *primals)
    functrans.tree.map(lambda a, b: np.testing.assert_array_equal(a, b), out, f(*primals))
    u1, u2 = random_like(primals, rng), random_like(primals, rng)
    for u in (u1, u2):
        expected = jvp(f, primals, u)[1]
        functrans.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13),
                           f_lin(*u), expected)
    # linearity: f_lin(2 u1 - 3 u2) = 2 f_lin(u1) - 3 f_lin(u2)
    combined = functrans.tree.map(lambda a, b: 2 * a - 3 * b, u1, u2)
    functrans.tree.map(
        lambda a, b, c: np.testing.assert_allclose(a, 2 * b - 3 * c, rtol=1e-10, atol=1e-10),
        f_lin(*combined), f_lin(*u1), f_lin(*u2))
    _check_linear_ir(f_lin.ir)
    text = str(f_lin)
    for nonlinear in ("sin", "cos", "exp", "tanh", "log1p", "reduce_max", "reduce_prod"):
        assert f" {nonlinear} " not in text and f"= {nonlinear}[" not in text, text


def test_linearize_of_sin_exp_holds_only_linear_primitives():
    f = lambda x: lax.exp(lax.sin(lax.mul(x, x)))  # noqa: E731
    x = np.array([0.1, 0.5, 1.3])
    y, f_lin = linearize(f, x)
    np.testing.assert_allclose(y, np.exp(np.sin(x * x)))
    t = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(f_lin(t), np.exp(np.sin(x * x)) * np.cos(x * x) * 2 * x * t,
                               rtol=1e-13)
    for text in (str(f_lin), str(make_jaxpr(f_lin)(t))):
        for name in ("sin", "cos", "exp"):
            assert name not in text.replace("in (", ""), text
    _check_linear_ir(f_lin.ir)
    # Evaluating the linear function again does no primal work: the residuals are constants.
    assert all(isinstance(c, np.ndarray) or np.isscalar(c) for c in f_lin.ir.consts)


# --- linear_transpose ------------------------------------------------------------------

def test_linear_transpose_of_two_pytree_inputs():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((2, 3))
    b = rng.standard_normal((4, 2))

    def linear(d, t):
        p, q = d["p"], d["q"]
        (r,) = t
        ap = lax.dot_general(a, p, (((1,), (0,)), ((), ())))            # (2,)
        first = lax.add(ap, lax.mul(r, scalar_like(2.0, r)))             # (2,)
        second = lax.sub(lax.dot_general(b, q, (((1,), (0,)), ((), ()))),
                         lax.broadcast_in_dim(lax.reduce_sum(p, (0,)), (4,), ()))  # (4,)
        return {"first": first, "second": lax.neg(second)}

    primals = ({"p": np.zeros(3), "q": np.zeros(2)}, (np.zeros(2),))
    transposed = linear_transpose(linear, *primals)
    for _ in range(3):
        u = random_like(primals, rng)
        v = {"first": rng.standard_normal(2), "second": rng.standard_normal(4)}
        ct = transposed(v)
        assert functrans.tree.structure(ct) == functrans.tree.structure(primals)
        np.testing.assert_allclose(tree_vdot(v, linear(*u)), tree_vdot(ct, u), rtol=1e-12)
        # explicit matrices: first = A p + 2 r ; second = -(B q - sum(p))
        (d, (r,)) = ct
        np.testing.assert_allclose(d["p"], a.T @ v["first"] + np.sum(v["second"]), rtol=1e-12)
        np.testing.assert_allclose(d["q"], -b.T @ v["second"], rtol=1e-12)
        np.testing.assert_allclose(r, 2 * v["first"], rtol=1e-12)


def test_linear_transpose_of_unused_input_is_zero():
    transposed = linear_transpose(lambda x, y: lax.mul(x, scalar_like(3.0, x)), np.zeros(3),
                                  np.zeros(2))
    cx, cy = transposed(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(cx, [3.0, 6.0, 9.0])
    np.testing.assert_array_equal(cy, np.zeros(2))


def test_linear_transpose_of_a_nonlinear_function_is_an_error():
    with pytest.raises((TypeError, NotImplementedError, ValueError), match="sin"):
        linear_transpose(lax.sin, 1.0)(1.0)


# --- value_and_grad, argnums, has_aux, decorators ---------------------------------------

def _f_xy(x, y):
    # x*sin(y) summed; d/dx = sin(y), d/dy = x cos(y)
    return lax.reduce_sum(lax.mul(x, lax.sin(y)), (0,))


def test_value_and_grad_argnums_int_and_tuple():
    x, y = np.array([1.0, 2.0, -0.5]), np.array([0.3, -1.1, 2.0])
    value, gx = value_and_grad(_f_xy)(x, y)
    np.testing.assert_allclose(value, np.sum(x * np.sin(y)), rtol=1e-14)
    np.testing.assert_allclose(gx, np.sin(y), rtol=1e-14)
    value, gy = value_and_grad(_f_xy, argnums=1)(x, y)
    np.testing.assert_allclose(gy, x * np.cos(y), rtol=1e-14)
    value, grads = value_and_grad(_f_xy, argnums=(0, 1))(x, y)
    assert isinstance(grads, tuple) and len(grads) == 2
    np.testing.assert_allclose(grads[0], np.sin(y), rtol=1e-14)
    np.testing.assert_allclose(grads[1], x * np.cos(y), rtol=1e-14)
    grads = grad(_f_xy, argnums=(1, 0))(x, y)
    np.testing.assert_allclose(grads[0], x * np.cos(y), rtol=1e-14)
    np.testing.assert_allclose(grads[1], np.sin(y), rtol=1e-14)
    # a negative argnum counts from the end
    np.testing.assert_allclose(grad(_f_xy, argnums=-1)(x, y), x * np.cos(y), rtol=1e-14)


def test_grad_of_pytree_argument():
    def f(params, x):
        return lax.reduce_sum(lax.add(lax.mul(params["w"], x), lax.exp(params["b"][0])), (0,))
    params = {"w": np.array([1.0, 2.0]), "b": (np.array([0.1, 0.2]),)}
    x = np.array([3.0, -1.0])
    g = grad(f)(params, x)
    assert functrans.tree.structure(g) == functrans.tree.structure(params)
    np.testing.assert_allclose(g["w"], x)
    np.testing.assert_allclose(g["b"][0], np.exp([0.1, 0.2]))


def test_has_aux():
    def f(x):
        loss = lax.reduce_sum(lax.mul(x, x), (0,))
        return loss, {"norm": lax.sqrt(loss), "raw": x}
    x = np.array([3.0, 4.0])
    (value, aux), g = value_and_grad(f, has_aux=True)(x)
    np.testing.assert_allclose(value, 25.0)
    np.testing.assert_allclose(aux["norm"], 5.0)
    np.testing.assert_array_equal(aux["raw"], x)
    np.testing.assert_allclose(g, 2 * x)
    g2, aux2 = grad(f, has_aux=True)(x)
    np.testing.assert_allclose(g2, 2 * x)
    np.testing.assert_allclose(aux2["norm"], 5.0)
    # vjp with has_aux
    out, pullback, aux3 = vjp(f, x, has_aux=True)
    np.testing.assert_allclose(out, 25.0)
    np.testing.assert_allclose(aux3["norm"], 5.0)
    (ct,) = pullback(np.float64(2.0))
    np.testing.assert_allclose(ct, 4 * x)


def test_grad_as_decorator_and_kwargs():
    @grad
    def dsin(x):
        return lax.sin(x)
    np.testing.assert_allclose(dsin(0.4), math.cos(0.4))
    assert dsin.__name__ == "dsin"

    @value_and_grad
    def f(x, scale=1.0):
        return lax.mul(lax.exp(x), scale)
    value, g = f(0.5, scale=3.0)
    np.testing.assert_allclose(value, 3 * math.exp(0.5))
    np.testing.assert_allclose(g, 3 * math.exp(0.5))


def _f_r3_r2(x):
    x0 = lax.slice(x, (0,), (1,))
    x1 = lax.slice(x, (1,), (2,))
    x2 = lax.slice(x, (2,), (3,))
    first = lax.mul(lax.sin(x0), lax.exp(x1))
    second = lax.div(lax.mul(x1, x2), lax.add(lax.mul(x0, x0), scalar_like(1.0, x0)))
    return lax.concatenate([first, second], 0)


def _f_r3_r2_np(x):
    return np.array([np.sin(x[0]) * np.exp(x[1]), x[1] * x[2] / (x[0] ** 2 + 1)])


def _f_r3_r2_jacobian(x):
    x0, x1, x2 = x
    d = x0 ** 2 + 1
    return np.array([
        [np.cos(x0) * np.exp(x1), np.sin(x0) * np.exp(x1), 0.0],
        [-2 * x0 * x1 * x2 / d ** 2, x2 / d, x1 / d],
    ])


@SETTINGS
@given(st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_jacfwd_jacrev_agree_with_closed_form_and_finite_differences(values):
    x = np.array(values)
    expected = _f_r3_r2_jacobian(x)
    jf = jacfwd(_f_r3_r2)(x)
    jr = jacrev(_f_r3_r2)(x)
    assert jf.shape == jr.shape == (2, 3)
    np.testing.assert_allclose(jf, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(jr, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(jf, numerical_jacobian(_f_r3_r2_np, x), rtol=1e-6, atol=1e-7)


def test_jacobian_of_matrix_function_shape():
    # f: R^{2x3} -> R^{3}, f(X) = sum_i X_ij^2 ;  df_j/dX_kl = 2 X_kl [j == l]
    x = np.arange(6.0).reshape(2, 3)
    f = lambda x: lax.reduce_sum(lax.mul(x, x), (0,))  # noqa: E731
    expected = np.zeros((3, 2, 3))
    for j in range(3):
        expected[j, :, j] = 2 * x[:, j]
    np.testing.assert_allclose(jacfwd(f)(x), expected)
    np.testing.assert_allclose(jacrev(f)(x), expected)


def test_hessian_via_jacfwd_of_jacrev_against_finite_differences():
    def f(x):
        return lax.reduce_sum(lax.mul(lax.sin(x), lax.exp(lax.cumsum(x, 0))), (0,))

    def f_np(x):
        return np.sum(np.sin(x) * np.exp(np.cumsum(x)))

    def grad_np(x):
        return numerical_jacobian(f_np, x, eps=1e-5)

    x = np.array([0.3, -0.2, 0.5, 0.1])
    h = jacfwd(jacrev(f))(x)
    assert h.shape == (4, 4)
    np.testing.assert_allclose(h, h.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h, hessian(f)(x), rtol=1e-12, atol=1e-12)
    g = lambda x: np.asarray(grad(f)(x))  # noqa: E731
    np.testing.assert_allclose(h, numerical_jacobian(g, x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(grad(f)(x), grad_np(x), rtol=1e-6, atol=1e-8)


def test_jacobian_argnums_tuple_structure():
    def f(x, y):
        # R^3 x R^2 -> R^2: (sum(x) * y)
        return lax.mul(lax.broadcast_in_dim(lax.reduce_sum(lax.sin(x), (0,)), (2,), ()), y)
    x, y = np.array([0.1, 0.2, 0.3]), np.array([2.0, -1.0])
    s = np.sum(np.sin(x))
    expected_x = np.outer(y, np.cos(x))
    expected_y = s * np.eye(2)
    for jac in (jacfwd, jacrev):
        jx, jy = jac(f, argnums=(0, 1))(x, y)
        assert jx.shape == (2, 3) and jy.shape == (2, 2)
        np.testing.assert_allclose(jx, expected_x, rtol=1e-13)
        np.testing.assert_allclose(jy, expected_y, rtol=1e-13)
        np.testing.assert_allclose(jac(f, argnums=1)(x, y), expected_y, rtol=1e-13)


def test_jacobian_of_pytree_output():
    def f(x):
        return {"s": lax.sin(x), "t": (lax.reduce_sum(x, (0,)),)}
    x = np.array([0.5, 1.0])
    for jac in (jacfwd, jacrev):
        j = jac(f)(x)
        np.testing.assert_allclose(j["s"], np.diag(np.cos(x)))
        np.testing.assert_allclose(j["t"][0], np.ones(2))


# --- Python control flow on concrete values ---------------------------------------------

def _piecewise(x):
    if lax.gt(x, 0.0):
        return lax.sin(x)
    return lax.mul(x, x)


def _piecewise_float(x):
    if x > 0.0:
        return lax.exp(x)
    return lax.neg(x)


def test_python_control_flow_under_grad():
    np.testing.assert_allclose(grad(_piecewise)(0.5), math.cos(0.5))
    np.testing.assert_allclose(grad(_piecewise)(-0.5), -1.0)
    np.testing.assert_allclose(grad(_piecewise_float)(0.5), math.exp(0.5))
    np.testing.assert_allclose(grad(_piecewise_float)(-0.5), -1.0)
    # second order, still eager
    np.testing.assert_allclose(grad(grad(_piecewise))(0.5), -math.sin(0.5))
    np.testing.assert_allclose(jvp(_piecewise_float, (-2.0,), (3.0,))[1], -3.0)


def test_python_loop_with_data_dependent_trip_count_under_grad():
    def f(x):
        # multiply by x until the value exceeds 10: x^k with k chosen from the value
        y = x
        while y < 10.0:
            y = lax.mul(y, x)
        return y
    # for x = 2: 2 -> 4 -> 8 -> 16, so f = x^4 and f' = 4 x^3 = 32
    np.testing.assert_allclose(grad(f)(2.0), 32.0)


# --- long chains -----------------------------------------------------------------------

def test_reverse_mode_through_a_chain_of_1000_operations():
    def f(x):
        for _ in range(1000):
            x = lax.sin(x)
        return lax.reduce_sum(x, (0,))

    x = np.array([0.3, 1.2, -2.0])
    values, derivative = x.copy(), np.ones_like(x)
    for _ in range(1000):
        derivative = derivative * np.cos(values)
        values = np.sin(values)
    g = grad(f)(x)
    np.testing.assert_allclose(g, derivative, rtol=1e-10)
    np.testing.assert_allclose(f(x), values.sum(), rtol=1e-12)
    # forward mode agrees
    np.testing.assert_allclose(jvp(f, (x,), (np.ones(3),))[1], derivative.sum(), rtol=1e-10)


# --- errors ----------------------------------------------------------------------------

def test_grad_of_integer_input_is_an_error():
    with pytest.raises(TypeError, match="floating-point inputs"):
        grad(lambda x: lax.mul(x, x))(3)
    with pytest.raises(TypeError, match=r"argument 1 .*int64"):
        grad(lambda x, n: lax.mul(x, x), argnums=(0, 1))(3.0, np.array([1, 2]))


def test_grad_of_non_scalar_output_is_an_error():
    with pytest.raises(TypeError, match="return a real scalar"):
        grad(lax.sin)(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="returned 2 values"):
        grad(lambda x: (lax.sin(x), lax.cos(x)))(1.0)


def test_argnums_out_of_range_is_an_error():
    with pytest.raises(ValueError, match="argnums=2 is out of range"):
        grad(_f_xy, argnums=2)(np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="out of range"):
        jacrev(_f_xy, argnums=(0, 5))(np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="out of range"):
        jacfwd(_f_xy, argnums=-3)(np.ones(2), np.ones(2))


def test_jvp_with_tangent_of_wrong_shape_is_an_error():
    with pytest.raises(TypeError, match=r"tangent 0 .* shape \(3,\)"):
        jvp(lax.sin, (np.ones(3),), (np.ones(2),))
    with pytest.raises(TypeError, match="same structure"):
        jvp(lambda x, y: lax.add(x, y), (np.ones(3), np.ones(3)), (np.ones(3),))


def test_has_aux_with_non_pair_output_is_an_error():
    with pytest.raises(TypeError, match=r"has_aux=True needs the function to return a pair"):
        grad(lambda x: lax.sin(x), has_aux=True)(1.0)
    with pytest.raises(TypeError, match=r"return a pair"):
        grad(lambda x: (lax.sin(x), x, x), has_aux=True)(1.0)


def test_leaked_tracer_is_detected():
    leaked = []

    def f(x):
        leaked.append(x)
        return lax.sin(x)

    grad(f)(1.0)
    assert len(leaked) == 1
    with pytest.raises(EscapedTracerError, match="escaped"):
        grad(lambda y: lax.mul(y, leaked[0]))(2.0)
    with pytest.raises(EscapedTracerError, match="after that transform finished"):
        lax.sin(leaked[0])


def test_leaked_tracer_from_vmap_is_detected():
    leaked = []

    def f(x):
        leaked.append(x)
        return lax.sin(x)

    vmap(f)(np.ones(3))
    with pytest.raises(EscapedTracerError):
        vmap(lambda y: lax.mul(y, leaked[0]))(np.ones(3))


def test_bool_of_batched_value_is_a_concretization_error():
    def f(x):
        if lax.gt(x, 0.0):
            return x
        return lax.neg(x)
    with pytest.raises(ConcretizationError, match="batched by vmap"):
        vmap(f)(np.array([1.0, -1.0]))
    assert issubclass(ConcretizationError, TypeError)


def test_concretization_error_names_the_users_line():
    def f(x):
        return x if lax.gt(x, 0.0) else lax.neg(x)
    with pytest.raises(ConcretizationError, match=r"test_autodiff\.py:\d+"):
        vmap(f)(np.array([1.0, -1.0]))


# --- dtypes ----------------------------------------------------------------------------

def test_float32_stays_float32():
    x = np.array([0.5, 1.0, 2.0], np.float32)

    def f(x):
        return lax.reduce_sum(lax.mul(lax.sin(x), 3.0), (0,))

    value, g = value_and_grad(f)(x)
    assert value.dtype == np.float32
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 3 * np.cos(x.astype(np.float64)), rtol=1e-6)
    scalar = np.float32(0.25)
    assert grad(lax.exp)(scalar).dtype == np.float32
    assert grad(grad(lax.exp))(scalar).dtype == np.float32
    assert jacfwd(lax.sin)(x).dtype == np.float32
    assert jacrev(lax.sin)(x).dtype == np.float32
    _, tangent = jvp(lax.sin, (x,), (np.ones(3, np.float32),))
    assert tangent.dtype == np.float32


def test_grad_keeps_input_shape_and_dtype_float64():
    x = np.ones((2, 3))
    g = grad(lambda x: lax.reduce_sum(lax.mul(x, x), (0, 1)))(x)
    assert g.shape == (2, 3) and g.dtype == np.float64
    np.testing.assert_allclose(g, 2 * x)


def test_gradient_of_unused_argument_is_zero():
    g = grad(lambda x, y: lax.sin(x), argnums=(0, 1))(0.3, np.array([1.0, 2.0]))
    np.testing.assert_allclose(g[0], math.cos(0.3))
    np.testing.assert_array_equal(g[1], np.zeros(2))
    assert g[1].shape == (2,)
    # a constant function has zero gradient
    np.testing.assert_array_equal(grad(lambda x: np.float64(3.0))(np.float64(1.0)), 0.0)
