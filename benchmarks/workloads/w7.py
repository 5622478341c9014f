"""W7: one MNIST softmax-regression training step (the seed's demo), float32.

``loss = -mean(sum(Y * log_softmax(X @ W + b), axis=1))``; the step takes
``value_and_grad`` with respect to ``(W, b)`` and then (a) SGD, ``p - 0.5 * g``, or (b) one
Adam update with learning rate 1e-3 (``optim.adam``; JAX and NumPy write Adam out as optax
defines it). Data, drawn in this order: ``W (784, 10) ~ 0.01 N(0,1)``, ``b (10)`` zeros,
``X (128, 784) ~ U(0,1)``, ``Y`` the one-hot rows of 128 integers 0..9; all float32.

NumPy's gradient is derived by hand: ``dlogits = (softmax - Y) / n``,
``dW = X.T @ dlogits``, ``db = sum(dlogits, 0)``.
"""
import numpy as np

from benchmarks.systems import jax_modules
from benchmarks.workloads import Case

SGD_RATE = 0.5
ADAM_RATE, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-8
SHAPE = (128, 784, 10)


def make_data(shape=SHAPE):
    n, inputs, classes = shape
    rng = np.random.default_rng(1234)
    W = (0.01 * rng.standard_normal((inputs, classes))).astype(np.float32)
    b = np.zeros(classes, np.float32)
    X = rng.uniform(0, 1, (n, inputs)).astype(np.float32)
    Y = np.eye(classes, dtype=np.float32)[rng.integers(0, classes, n)]
    return {"params": (W, b), "X": X, "Y": Y}


def loss(xp, log_softmax, params, X, Y):
    W, b = params
    return -xp.mean(xp.sum(Y * log_softmax(X @ W + b, axis=1), axis=1))


def numpy_value_and_grad(params, X, Y):
    W, b = params
    logits = X @ W + b
    shifted = logits - logits.max(axis=1, keepdims=True)
    exponentials = np.exp(shifted)
    total = exponentials.sum(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(total)
    value = -np.mean(np.sum(Y * log_probabilities, axis=1))
    d_logits = (exponentials / total - Y) / np.float32(X.shape[0])
    return value, (X.T @ d_logits, d_logits.sum(axis=0))


def numpy_adam(grads, state, params):
    """One optax-style Adam update: returns new params and state ``(count, mu, nu)``."""
    count, mu, nu = state
    count = count + 1
    mu = tuple(B1 * m + (1 - B1) * g for m, g in zip(mu, grads))
    nu = tuple(B2 * v + (1 - B2) * g * g for v, g in zip(nu, grads))
    c1, c2 = np.float32(1 - B1 ** count), np.float32(1 - B2 ** count)
    new = tuple(p - np.float32(ADAM_RATE) * (m / c1) / (np.sqrt(v / c2) + np.float32(EPS))
                for p, m, v in zip(params, mu, nu))
    return new, (count, mu, nu)


def builders(optimizer):
    def numpy_(d):
        params, X, Y = d["params"], d["X"], d["Y"]
        if optimizer == "sgd":
            def step():
                value, grads = numpy_value_and_grad(params, X, Y)
                return value, tuple(p - np.float32(SGD_RATE) * g for p, g in zip(params, grads))
            return step
        state = (0, tuple(np.zeros_like(p) for p in params),
                 tuple(np.zeros_like(p) for p in params))

        def adam_step():
            value, grads = numpy_value_and_grad(params, X, Y)
            new, _ = numpy_adam(grads, state, params)
            return value, new
        return adam_step

    def functrans_step(jitted):
        def build(d):
            import functrans
            import functrans.numpy as fnp
            from functrans import nn, optim
            params, X, Y = d["params"], d["X"], d["Y"]
            value_and_grad = functrans.value_and_grad(
                lambda params, X, Y: loss(fnp, nn.log_softmax, params, X, Y))
            if optimizer == "sgd":
                def step(params, X, Y):
                    value, grads = value_and_grad(params, X, Y)
                    return value, tuple(p - SGD_RATE * g for p, g in zip(params, grads))
                run = functrans.jit(step) if jitted else step
                return lambda: run(params, X, Y)
            adam = optim.adam(ADAM_RATE)
            state = adam.init(params)

            def adam_step(params, state, X, Y):
                value, grads = value_and_grad(params, X, Y)
                updates, state = adam.update(grads, state, params)
                return value, optim.apply_updates(params, updates), state
            run = functrans.jit(adam_step) if jitted else adam_step
            return lambda: run(params, state, X, Y)[:2]
        return build

    def jax_jit(d):
        jax, jnp = jax_modules()
        params = tuple(jnp.asarray(p) for p in d["params"])
        X, Y = jnp.asarray(d["X"]), jnp.asarray(d["Y"])
        value_and_grad = jax.value_and_grad(
            lambda params, X, Y: loss(jnp, jax.nn.log_softmax, params, X, Y))
        if optimizer == "sgd":
            @jax.jit
            def step(params, X, Y):
                value, grads = value_and_grad(params, X, Y)
                return value, tuple(p - SGD_RATE * g for p, g in zip(params, grads))
            return lambda: jax.block_until_ready(step(params, X, Y))
        state = (jnp.zeros((), jnp.int32), tuple(jnp.zeros_like(p) for p in params),
                 tuple(jnp.zeros_like(p) for p in params))

        @jax.jit
        def adam_step(params, state, X, Y):
            value, grads = value_and_grad(params, X, Y)
            count, mu, nu = state
            count = count + 1
            mu = tuple(B1 * m + (1 - B1) * g for m, g in zip(mu, grads))
            nu = tuple(B2 * v + (1 - B2) * g * g for v, g in zip(nu, grads))
            c1 = (1 - B1 ** count.astype(jnp.float32))
            c2 = (1 - B2 ** count.astype(jnp.float32))
            new = tuple(p - ADAM_RATE * (m / c1) / (jnp.sqrt(v / c2) + EPS)
                        for p, m, v in zip(params, mu, nu))
            return value, new, (count, mu, nu)
        return lambda: jax.block_until_ready(adam_step(params, state, X, Y)[:2])

    return {"numpy": numpy_, "functrans": functrans_step(False),
            "functrans-jit": functrans_step(True), "jax-jit": jax_jit}


def cases(size):
    return [Case(f"W7 {optimizer}", "W7",
                 f"MNIST softmax-regression step {SHAPE}, {label}, float32", "float32",
                 make_data(), builders(optimizer), baseline_label="NumPy (hand gradient)",
                 notes={"numpy": "gradient derived by hand"})
            for optimizer, label in (("sgd", "SGD 0.5"), ("adam", "optim.adam(1e-3)"))]
