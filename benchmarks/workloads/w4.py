"""W4: per-example gradients of logistic loss, ``vmap(grad(loss), in_axes=(None, 0, 0))``.

``loss(w, x, y) = log1p(exp(-y * dot(w, x)))``. Data, drawn in this order: ``w (100) ~
0.1 N(0,1)``, ``X (256, 100) ~ N(0,1)``, ``Y = 2.0 * rng.integers(0, 2, 256) - 1.0`` (so
``Y`` is in {-1, +1}, float64). The NumPy baseline is the closed form
``-(Y / (1 + exp(Y * (X @ w))))[:, None] * X``; autograd has no vmap and PyTorch eager
no per-example gradients, so those two loop over the examples.
"""
from functools import partial

import numpy as np

from benchmarks.systems import jax_modules
from benchmarks.workloads import SIZES, Case, on


def make_data(shape):
    n, features = shape
    rng = np.random.default_rng(1234)
    w = 0.1 * rng.standard_normal(features)
    X = rng.standard_normal((n, features))
    Y = 2.0 * rng.integers(0, 2, n) - 1.0
    return {"w": w, "X": X, "Y": Y}


def loss(xp, w, x, y):
    return xp.log1p(xp.exp(-y * xp.dot(w, x)))


def builders():
    def numpy_(d):
        w, X, Y = d["w"], d["X"], d["Y"]
        return lambda: -(Y / (1 + np.exp(Y * (X @ w))))[:, None] * X

    def functrans_per_example():
        import functrans
        import functrans.numpy as fnp
        return functrans.vmap(functrans.grad(on(fnp, loss)), in_axes=(None, 0, 0))

    def functrans_(d):
        w, X, Y = d["w"], d["X"], d["Y"]
        per_example = functrans_per_example()
        return lambda: per_example(w, X, Y)

    def functrans_jit(d):
        import functrans
        w, X, Y = d["w"], d["X"], d["Y"]
        per_example = functrans.jit(functrans_per_example())
        return lambda: per_example(w, X, Y)

    def jax_per_example(d):
        jax, jnp = jax_modules()
        arrays = tuple(jnp.asarray(d[k]) for k in ("w", "X", "Y"))
        return jax.vmap(jax.grad(partial(loss, jnp)), in_axes=(None, 0, 0)), arrays

    def jax_jit(d):
        jax, _ = jax_modules()
        per_example, arrays = jax_per_example(d)
        compiled = jax.jit(per_example)
        return lambda: compiled(*arrays).block_until_ready()

    def jax_(d):
        per_example, arrays = jax_per_example(d)
        return lambda: per_example(*arrays).block_until_ready()

    def autograd_(d):
        import autograd
        import autograd.numpy as anp
        w, X, Y = d["w"], d["X"], d["Y"]
        gradient = autograd.grad(partial(loss, anp))
        return lambda: np.stack([gradient(w, X[i], Y[i]) for i in range(X.shape[0])])

    def torch_(d):
        import torch
        w = torch.from_numpy(d["w"]).requires_grad_()
        X, Y = torch.from_numpy(d["X"]), torch.from_numpy(d["Y"])

        def run():
            return torch.stack([torch.autograd.grad(loss(torch, w, X[i], Y[i]), w)[0]
                                for i in range(X.shape[0])])
        return run

    def torch_func(d):
        import torch
        import torch.func
        w, X, Y = (torch.from_numpy(d[k]) for k in ("w", "X", "Y"))
        per_example = torch.func.vmap(torch.func.grad(partial(loss, torch)), in_dims=(None, 0, 0))
        return lambda: per_example(w, X, Y)

    return {"numpy": numpy_, "functrans": functrans_, "functrans-jit": functrans_jit,
            "jax-jit": jax_jit, "jax": jax_, "autograd": autograd_, "torch": torch_,
            "torch.func": torch_func}


def cases(size):
    shape = SIZES[size]["W4"]
    return [Case("W4", "W4", f"per-example gradients, X {shape}", "float64", make_data(shape),
                 builders(), baseline_label="NumPy (closed form)",
                 notes={"numpy": "closed form", "jax": "vmap, not jitted",
                        "autograd": "loop over examples", "torch": "loop over examples",
                        "torch.func": "vmap(grad)"})]
