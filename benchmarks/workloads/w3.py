"""W3: one training step of a two-layer MLP.

``logits = tanh(X@W1 + b1) @ W2 + b2``, ``loss = mean(logsumexp(logits, axis=1) -
logits[arange(n), y])``; a step returns ``(loss, (dW1, db1, dW2, db2), params - 0.1 *
grads)``. Data, drawn in this order: ``W1 (784, 512) ~ N(0,1)/sqrt(784)``, ``b1 (512) ~
0.1 N(0,1)``, ``W2 (512, 10) ~ N(0,1)/sqrt(512)``, ``b2 (10) ~ 0.1 N(0,1)``, ``X (128,
784) ~ N(0,1)``, ``y = rng.integers(0, 10, 128)``. The float32 case casts the float64
draws (``y`` stays int64).

NumPy and numba compute the gradients by hand (backpropagation written out); the
others differentiate ``loss``.
"""
import math
from functools import partial

import numpy as np

from benchmarks.systems import jax_modules
from benchmarks.workloads import SIZES, Case

LEARNING_RATE = 0.1


def make_data(shape, dtype):
    n, inputs, hidden, classes = shape
    rng = np.random.default_rng(1234)
    W1 = rng.standard_normal((inputs, hidden)) / np.sqrt(inputs)
    b1 = 0.1 * rng.standard_normal(hidden)
    W2 = rng.standard_normal((hidden, classes)) / np.sqrt(hidden)
    b2 = 0.1 * rng.standard_normal(classes)
    X = rng.standard_normal((n, inputs))
    y = rng.integers(0, classes, n)
    params = tuple(p.astype(dtype) for p in (W1, b1, W2, b2))
    return {"params": params, "X": X.astype(dtype), "y": y}


def loss(xp, logsumexp, params, X, y):
    """W3's loss on the NumPy-like namespace ``xp`` with that library's ``logsumexp``."""
    W1, b1, W2, b2 = params
    logits = xp.tanh(X @ W1 + b1) @ W2 + b2
    return xp.mean(logsumexp(logits, axis=1) - logits[xp.arange(X.shape[0]), y])


def make_step(value_and_grad):
    """A training step from a ``value_and_grad(params, X, y) -> (loss, grads)``."""
    def step(params, X, y):
        value, grads = value_and_grad(params, X, y)
        return value, grads, tuple(p - LEARNING_RATE * g for p, g in zip(params, grads))
    return step


def numpy_step(params, X, y):
    """The step with backpropagation written by hand."""
    W1, b1, W2, b2 = params
    n = X.shape[0]
    H = np.tanh(X @ W1 + b1)
    logits = H @ W2 + b2
    largest = logits.max(axis=1, keepdims=True)
    exponentials = np.exp(logits - largest)
    total = exponentials.sum(axis=1, keepdims=True)
    lse = np.log(total) + largest
    rows = np.arange(n)
    value = np.mean(lse[:, 0] - logits[rows, y])
    d_logits = exponentials / total
    d_logits[rows, y] -= 1
    d_logits /= n
    dW2 = H.T @ d_logits
    db2 = d_logits.sum(axis=0)
    d_pre = (d_logits @ W2.T) * (1 - H * H)
    dW1 = X.T @ d_pre
    db1 = d_pre.sum(axis=0)
    grads = (dW1, db1, dW2, db2)
    return value, grads, tuple(p - LEARNING_RATE * g for p, g in zip(params, grads))


def numba_builder(d):
    from numba import njit

    @njit(cache=False)
    def kernel(W1, b1, W2, b2, X, y, rate):
        n, hidden, classes = X.shape[0], W1.shape[1], W2.shape[1]
        H = X @ W1
        for i in range(n):
            for j in range(hidden):
                H[i, j] = math.tanh(H[i, j] + b1[j])
        logits = H @ W2
        d_logits = np.empty_like(logits)
        total = 0.0
        for i in range(n):
            largest = -np.inf
            for k in range(classes):
                logits[i, k] += b2[k]
                largest = max(largest, logits[i, k])
            s = 0.0
            for k in range(classes):
                s += math.exp(logits[i, k] - largest)
            lse = largest + math.log(s)
            total += lse - logits[i, y[i]]
            for k in range(classes):
                d_logits[i, k] = math.exp(logits[i, k] - lse) / n
            d_logits[i, y[i]] -= 1.0 / n
        dW2 = H.T @ d_logits
        db2 = np.zeros_like(b2)
        for i in range(n):
            for k in range(classes):
                db2[k] += d_logits[i, k]
        d_pre = d_logits @ W2.T
        db1 = np.zeros_like(b1)
        for i in range(n):
            for j in range(hidden):
                d_pre[i, j] *= 1.0 - H[i, j] * H[i, j]
                db1[j] += d_pre[i, j]
        dW1 = X.T @ d_pre
        return (total / n, (dW1, db1, dW2, db2),
                (W1 - rate * dW1, b1 - rate * db1, W2 - rate * dW2, b2 - rate * db2))

    params, X, y = d["params"], d["X"], d["y"]
    rate = X.dtype.type(LEARNING_RATE)
    return lambda: kernel(*params, X, y, rate)


def builders():
    def numpy_(d):
        params, X, y = d["params"], d["X"], d["y"]
        return lambda: numpy_step(params, X, y)

    def functrans_step():
        import functrans
        import functrans.nn
        import functrans.numpy as fnp

        def mlp_loss(params, X, y):
            return loss(fnp, functrans.nn.logsumexp, params, X, y)
        return make_step(functrans.value_and_grad(mlp_loss))

    def functrans_(d):
        params, X, y = d["params"], d["X"], d["y"]
        step = functrans_step()
        return lambda: step(params, X, y)

    def functrans_jit(d):
        import functrans
        params, X, y = d["params"], d["X"], d["y"]
        step = functrans.jit(functrans_step())
        return lambda: step(params, X, y)

    def jax_step():
        jax, jnp = jax_modules()
        return make_step(jax.value_and_grad(partial(loss, jnp, jax.nn.logsumexp)))

    def jax_inputs(d):
        _, jnp = jax_modules()
        return tuple(jnp.asarray(p) for p in d["params"]), jnp.asarray(d["X"]), jnp.asarray(d["y"])

    def jax_jit(d):
        jax, _ = jax_modules()
        params, X, y = jax_inputs(d)
        step = jax.jit(jax_step())
        return lambda: jax.block_until_ready(step(params, X, y))

    def jax_(d):
        jax, _ = jax_modules()
        params, X, y = jax_inputs(d)
        step = jax_step()
        return lambda: jax.block_until_ready(step(params, X, y))

    def autograd_(d):
        import autograd
        import autograd.numpy as anp
        import autograd.scipy.special
        params, X, y = d["params"], d["X"], d["y"]
        step = make_step(autograd.value_and_grad(
            partial(loss, anp, autograd.scipy.special.logsumexp)))
        return lambda: step(params, X, y)

    def torch_logsumexp(a, axis):
        import torch
        return torch.logsumexp(a, dim=axis)

    def torch_(d):
        import torch
        params = tuple(torch.from_numpy(p).requires_grad_() for p in d["params"])
        X, y = torch.from_numpy(d["X"]), torch.from_numpy(d["y"])

        def step():
            value = loss(torch, torch_logsumexp, params, X, y)
            grads = torch.autograd.grad(value, params)
            with torch.no_grad():
                new = tuple(p - LEARNING_RATE * g for p, g in zip(params, grads))
            return value.detach(), grads, new
        return step

    def torch_func(d):
        import torch
        import torch.func
        params = tuple(torch.from_numpy(p) for p in d["params"])
        X, y = torch.from_numpy(d["X"]), torch.from_numpy(d["y"])
        grad_and_value = torch.func.grad_and_value(partial(loss, torch, torch_logsumexp))

        def step():
            grads, value = grad_and_value(params, X, y)
            return value, grads, tuple(p - LEARNING_RATE * g for p, g in zip(params, grads))
        return step

    return {"numpy": numpy_, "numba": numba_builder, "functrans": functrans_,
            "functrans-jit": functrans_jit, "jax-jit": jax_jit, "jax": jax_,
            "autograd": autograd_, "torch": torch_, "torch.func": torch_func}


def cases(size):
    shape = SIZES[size]["W3"]
    n, inputs, hidden, classes = shape
    title = f"MLP step, X ({n},{inputs}), hidden {hidden}, {classes} classes"
    notes = {"numpy": "backpropagation by hand", "numba": "backpropagation by hand, BLAS matmuls"}
    return [
        Case("W3 f64", "W3", title, "float64", make_data(shape, np.float64), builders(),
             baseline_label="NumPy (hand backprop)", notes=notes),
        Case("W3 f32", "W3", title, "float32", make_data(shape, np.float32), builders(),
             baseline_label="NumPy (hand backprop)", notes=notes),
    ]
