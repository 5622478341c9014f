"""functrans.optim: each optimizer against a hand-written NumPy reference of its update rule,
on pytree parameters, eagerly and with the whole training step under jit; float32 stays
float32; minimize() decreases a quadratic and records its loss history."""
import io
import math

import numpy as np
import pytest

import functrans
import functrans.numpy as fnp
from functrans import optim, tree

# --- independent NumPy oracles: one parameter array at a time, the rules as published ------

class ReferenceSGD:
    """PyTorch's SGD: buf = momentum * buf + g; step along buf, or g + momentum * buf."""

    def __init__(self, lr, momentum=0.0, nesterov=False):
        self.lr, self.momentum, self.nesterov, self.buffers = lr, momentum, nesterov, {}

    def step(self, name, p, g):
        if self.momentum:
            buf = self.buffers.get(name)
            buf = g.copy() if buf is None else self.momentum * buf + g
            self.buffers[name] = buf
            g = g + self.momentum * buf if self.nesterov else buf
        return p - self.lr * g


class ReferenceAdam:
    """Algorithm 1 of Kingma & Ba, plus AdamW's decoupled decay (Loshchilov & Hutter)."""

    def __init__(self, lr, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
        self.lr, self.b1, self.b2, self.eps, self.wd = lr, b1, b2, eps, weight_decay
        self.m, self.v, self.t = {}, {}, {}

    def step(self, name, p, g):
        t = self.t[name] = self.t.get(name, 0) + 1
        m = self.m[name] = self.b1 * self.m.get(name, 0.0) + (1 - self.b1) * g
        v = self.v[name] = self.b2 * self.v.get(name, 0.0) + (1 - self.b2) * g * g
        m_hat = m / (1 - self.b1 ** t)
        v_hat = v / (1 - self.b2 ** t)
        return p - self.lr * (m_hat / (np.sqrt(v_hat) + self.eps) + self.wd * p)


class ReferenceRMSProp:
    """RMSProp as optax defines it (eps inside the square root), optionally centered and with
    a momentum buffer on the scaled gradient."""

    def __init__(self, lr, decay=0.9, eps=1e-8, centered=False, momentum=0.0):
        self.lr, self.decay, self.eps = lr, decay, eps
        self.centered, self.momentum = centered, momentum
        self.sq, self.avg, self.buf = {}, {}, {}

    def step(self, name, p, g):
        d = self.decay
        sq = self.sq[name] = d * self.sq.get(name, 0.0) + (1 - d) * g * g
        denominator = sq
        if self.centered:
            avg = self.avg[name] = d * self.avg.get(name, 0.0) + (1 - d) * g
            denominator = sq - avg * avg
        direction = g / np.sqrt(denominator + self.eps)
        if self.momentum:
            direction = self.buf[name] = self.momentum * self.buf.get(name, 0.0) + direction
        return p - self.lr * direction


CASES = {
    "sgd": (lambda: optim.sgd(0.1), lambda: ReferenceSGD(0.1)),
    "sgd_momentum": (lambda: optim.sgd(0.05, momentum=0.9),
                     lambda: ReferenceSGD(0.05, momentum=0.9)),
    "sgd_nesterov": (lambda: optim.sgd(0.05, momentum=0.8, nesterov=True),
                     lambda: ReferenceSGD(0.05, momentum=0.8, nesterov=True)),
    "adam": (lambda: optim.adam(0.01), lambda: ReferenceAdam(0.01)),
    "adam_b": (lambda: optim.adam(0.003, b1=0.5, b2=0.9, eps=1e-4),
               lambda: ReferenceAdam(0.003, b1=0.5, b2=0.9, eps=1e-4)),
    "adamw": (lambda: optim.adamw(0.01, weight_decay=0.1),
              lambda: ReferenceAdam(0.01, weight_decay=0.1)),
    "rmsprop": (lambda: optim.rmsprop(0.01), lambda: ReferenceRMSProp(0.01)),
    "rmsprop_centered_momentum": (
        lambda: optim.rmsprop(0.01, decay=0.8, centered=True, momentum=0.9),
        lambda: ReferenceRMSProp(0.01, decay=0.8, centered=True, momentum=0.9)),
}


def make_params(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return {"w": rng.normal(size=(3, 4)).astype(dtype),
            "b": rng.normal(size=4).astype(dtype),
            "nested": (rng.normal(size=()).astype(dtype),)}


def random_grads(params, rng):
    return tree.map(lambda p: rng.normal(size=np.shape(p)).astype(p.dtype), params)


def reference_step(reference, params, grads):
    named = {"w": ("w",), "b": ("b",), "nested": ("nested", 0)}
    new = {"w": None, "b": None, "nested": [None]}
    for name, path in named.items():
        p, g = params, grads
        for key in path:
            p, g = p[key], g[key]
        value = reference.step(name, np.asarray(p, np.float64), np.asarray(g, np.float64))
        if len(path) == 1:
            new[name] = value
        else:
            new[name][0] = value
    new["nested"] = tuple(new["nested"])
    return new


def assert_tree_allclose(actual, expected, **tolerances):
    actual_leaves, actual_def = tree.flatten(actual)
    expected_leaves, expected_def = tree.flatten(expected)
    assert actual_def == expected_def
    for a, e in zip(actual_leaves, expected_leaves):
        np.testing.assert_allclose(a, e, **tolerances)


@pytest.mark.parametrize("name", CASES)
def test_matches_numpy_reference_on_pytree(name):
    make_optimizer, make_reference = CASES[name]
    optimizer, reference = make_optimizer(), make_reference()
    rng = np.random.default_rng(1)
    params = make_params()
    expected = tree.map(np.copy, params)
    state = optimizer.init(params)
    for _ in range(5):
        grads = random_grads(params, rng)
        updates, state = optimizer.update(grads, state, params)
        assert tree.structure(updates) == tree.structure(params)
        params = optim.apply_updates(params, updates)
        expected = reference_step(reference, expected, grads)
        assert_tree_allclose(params, expected, rtol=1e-12, atol=1e-14)
    assert int(state.count) == 5


def test_adam_first_step_is_learning_rate_times_sign():
    # After one step the bias-corrected ratio m_hat / sqrt(v_hat) is g / |g|.
    grads = {"a": np.array([3.0, -0.001, 250.0])}
    optimizer = optim.adam(0.01, eps=0.0)
    updates, _ = optimizer.update(grads, optimizer.init(grads), grads)
    np.testing.assert_allclose(updates["a"], -0.01 * np.sign(grads["a"]), rtol=1e-14)


def test_sgd_without_momentum_is_minus_lr_times_grad():
    params = {"a": np.arange(3.0), "b": [np.ones(2)]}
    grads = {"a": np.array([1.0, -2.0, 0.5]), "b": [np.array([4.0, 8.0])]}
    optimizer = optim.sgd(0.25)
    updates, state = optimizer.update(grads, optimizer.init(params), params)
    assert_tree_allclose(updates, tree.map(lambda g: -0.25 * g, grads), rtol=0)
    assert state.momentum is None


def test_adamw_mask_and_needs_params():
    params = {"w": np.ones(2), "b": np.ones(2)}
    grads = tree.map(np.zeros_like, params)
    optimizer = optim.adamw(0.1, weight_decay=0.5, mask={"w": True, "b": False})
    updates, _ = optimizer.update(grads, optimizer.init(params), params)
    np.testing.assert_allclose(updates["w"], -0.1 * 0.5 * params["w"])
    np.testing.assert_allclose(updates["b"], 0.0)
    with pytest.raises(ValueError, match="needs params"):
        optimizer.update(grads, optimizer.init(params))


def test_learning_rate_schedule_gets_the_step_count():
    seen = []

    def schedule(count):
        seen.append(int(count))
        return 0.5 ** (int(count) + 1)

    optimizer = optim.sgd(schedule)
    params = np.zeros(2)
    state = optimizer.init(params)
    for _ in range(3):
        updates, state = optimizer.update(np.ones(2), state, params)
        params = optim.apply_updates(params, updates)
    assert seen == [0, 1, 2]
    np.testing.assert_allclose(params, -(0.5 + 0.25 + 0.125))


def test_bad_hyperparameters_are_clear_errors():
    with pytest.raises(ValueError, match="momentum"):
        optim.sgd(0.1, momentum=1.5)
    with pytest.raises(ValueError, match="nesterov"):
        optim.sgd(0.1, nesterov=True)
    with pytest.raises(ValueError, match="nesterov"):
        optim.rmsprop(0.1, nesterov=True)
    with pytest.raises(ValueError, match="learning_rate"):
        optim.adam(-1.0)
    with pytest.raises(TypeError, match="learning_rate"):
        optim.rmsprop("fast")


def test_global_norm():
    assert math.isclose(float(optim.global_norm({"a": np.array([3.0]), "b": (np.array(4.0),)})),
                        5.0)


# --- the whole training step under jit --------------------------------------------------

def regression_loss(params, batch):
    x, y = batch
    prediction = fnp.dot(x, params["w"]) + params["b"]
    return fnp.mean(fnp.square(prediction - y)) + fnp.square(params["nested"][0])


def regression_data(dtype, seed=2):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(16, 3)).astype(dtype)
    y = rng.normal(size=(16, 4)).astype(dtype)
    return x, y


def make_step(optimizer):
    def step(params, state, batch):
        loss, grads = functrans.value_and_grad(regression_loss)(params, batch)
        updates, state = optimizer.update(grads, state, params)
        return optim.apply_updates(params, updates), state, loss
    return step


JIT_CASES = ["sgd_nesterov", "adamw", "rmsprop_centered_momentum"]


@pytest.mark.parametrize("name", JIT_CASES)
def test_jitted_step_equals_eager_and_reference(name):
    make_optimizer, make_reference = CASES[name]
    optimizer, reference = make_optimizer(), make_reference()
    step = make_step(optimizer)
    fast_step = functrans.jit(lambda params, state, batch: step(params, state, batch))
    batch = regression_data(np.float64)
    eager_params = fast_params = expected = make_params()
    eager_state = fast_state = optimizer.init(eager_params)
    for _ in range(4):
        grads = functrans.grad(regression_loss)(expected, batch)
        expected = reference_step(reference, expected, grads)
        eager_params, eager_state, eager_loss = step(eager_params, eager_state, batch)
        fast_params, fast_state, fast_loss = fast_step(fast_params, fast_state, batch)
        assert_tree_allclose(fast_params, eager_params, rtol=1e-12, atol=1e-14)
        assert_tree_allclose(fast_state, eager_state, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(fast_loss, eager_loss, rtol=1e-12)
        assert_tree_allclose(fast_params, expected, rtol=1e-10, atol=1e-12)
    assert int(fast_state.count) == 4


@pytest.mark.parametrize("name", ["sgd_momentum", "adam", "rmsprop"])
def test_float32_params_stay_float32(name):
    optimizer = CASES[name][0]()
    step = make_step(optimizer)
    batch = regression_data(np.float32)
    params = make_params(np.float32)
    state = optimizer.init(params)
    # Eager, then jitted, with a float64 schedule that must not promote anything.
    for run in (step, functrans.jit(step)):
        p, s = params, state
        for _ in range(3):
            p, s, loss = run(p, s, batch)
        for leaf in tree.leaves((p, s)):
            dtype = np.asarray(leaf).dtype
            assert dtype in (np.float32, np.int32), (run, dtype)
        assert np.asarray(loss).dtype == np.float32
    scheduled = optim.adam(lambda count: 0.01 * fnp.power(0.9, count.astype(np.float64)))
    p, s, _ = make_step(scheduled)(params, scheduled.init(params), batch)
    assert all(np.asarray(leaf).dtype == np.float32 for leaf in tree.leaves(p))


# --- minimize -----------------------------------------------------------------------------

def quadratic(params):
    a = np.diag([1.0, 3.0, 10.0])
    return (0.5 * fnp.dot(params["x"], fnp.dot(a, params["x"])) + fnp.sum(params["x"])
            + fnp.sum(fnp.square(params["y"] - 2.0)))


QUADRATIC_MINIMUM = {"x": -1.0 / np.array([1.0, 3.0, 10.0]), "y": np.full((2, 2), 2.0)}


@pytest.mark.parametrize("optimizer", [optim.sgd(0.05, momentum=0.9), optim.adam(0.05)],
                         ids=["sgd_momentum", "adam"])
def test_minimize_decreases_quadratic_and_records_history(optimizer):
    params = {"x": np.ones(3), "y": np.zeros((2, 2))}
    result = optim.minimize(quadratic, params, optimizer, 400, progress=False)
    params_out, history, state = result
    assert history.shape == (400,) and history.dtype == np.float64
    assert history[0] == pytest.approx(float(quadratic(params)))
    assert history[-1] < 1e-3 * history[0] + float(quadratic(QUADRATIC_MINIMUM)) + 1e-3
    assert np.all(np.diff(history[-50:]) <= 1e-9)
    assert_tree_allclose(params_out, QUADRATIC_MINIMUM, atol=1e-3)
    assert int(state.count) == 400
    # Continuing from the returned state keeps the count going.
    more = optim.minimize(quadratic, params_out, optimizer, 5, state=state, progress=False)
    assert int(more.state.count) == 405


def test_minimize_with_batches_eager_and_plain_progress_bar(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    x, y = regression_data(np.float64)
    batches = ((x[i:i + 4], y[i:i + 4]) for i in range(0, 16, 4))     # 4 batches only
    params = make_params()
    result = optim.minimize(regression_loss, params, optim.sgd(0.1), steps=10, batches=batches,
                            jit=False, progress="plain", description="fit")
    assert result.history.shape == (4,)                    # stopped when the batches ran out
    assert result.history[0] == pytest.approx(float(regression_loss(params, (x[:4], y[:4]))))
    assert "fit: |" in stream.getvalue() and "4/10" in stream.getvalue()


def test_minimize_argument_errors():
    with pytest.raises(ValueError, match="steps"):
        optim.minimize(quadratic, {"x": np.ones(3), "y": np.ones((2, 2))}, optim.sgd(0.1), -1)
    with pytest.raises(TypeError, match="GradientTransformation"):
        optim.minimize(quadratic, {"x": np.ones(3), "y": np.ones((2, 2))}, "adam", 1)


def test_minimize_python_scalar_parameters():
    # The TensorFlow tutorial's W and b as plain Python floats in a dict.
    x = np.linspace(0.0, 1.0, 20)
    y = 0.1 * x + 0.3

    def loss(params):
        return fnp.mean(fnp.square(params["W"] * x + params["b"] - y))

    result = optim.minimize(loss, {"W": -0.5, "b": 0.0}, optim.sgd(0.5), 600, progress=False)
    assert result.params["W"] == pytest.approx(0.1, abs=1e-8)
    assert result.params["b"] == pytest.approx(0.3, abs=1e-8)
