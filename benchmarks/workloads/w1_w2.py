"""W1 and W2: an elementwise chain reduced to a scalar, and its gradient.

``f(x) = sum(tanh(x)*sin(x) + exp(-x*x)*cos(x) + log1p(x*x))`` on
``x = standard_normal(1_000_000)`` (float64; W1 also float32, the float64 draw cast).
The gradient's closed form, used by NumPy and the numba loops, is
``(1 - tanh²x) sin x + tanh x cos x - exp(-x²)(2x cos x + sin x) + 2x / (1 + x²)``.
"""
import math
from functools import partial

import numpy as np

from benchmarks.systems import jax_modules
from benchmarks.workloads import SIZES, Case, on


def f(xp, x):
    """W1's function on the NumPy-like namespace ``xp``."""
    return xp.sum(xp.tanh(x) * xp.sin(x) + xp.exp(-x * x) * xp.cos(x) + xp.log1p(x * x))


def gradient_formula(x):
    t = np.tanh(x)
    e = np.exp(-x * x)
    s, c = np.sin(x), np.cos(x)
    return (1 - t * t) * s + t * c - e * (2 * x * c + s) + 2 * x / (1 + x * x)


def make_data(n, dtype):
    rng = np.random.default_rng(1234)
    x = rng.standard_normal(n)
    return {"x": x.astype(dtype)}


# --- W1 -----------------------------------------------------------------------------

def numba_w1(parallel):
    def build(d):
        from numba import njit, prange
        x = d["x"]
        zero = x.dtype.type(0)

        @njit(parallel=parallel, cache=False)
        def kernel(x):
            total = zero
            for i in prange(x.shape[0]):
                v = x[i]
                total += math.tanh(v) * math.sin(v) + math.exp(-v * v) * math.cos(v) \
                    + math.log1p(v * v)
            return total

        return lambda: kernel(x)
    return build


def w1_builders():
    def numpy_(d):
        x = d["x"]
        return lambda: f(np, x)

    def functrans_(d):
        import functrans.numpy as fnp
        x = d["x"]
        return lambda: f(fnp, x)

    def functrans_jit(d):
        import functrans
        import functrans.numpy as fnp
        x, compiled = d["x"], functrans.jit(on(fnp, f))
        return lambda: compiled(x)

    def jax_jit(d):
        jax, jnp = jax_modules()
        x, compiled = jnp.asarray(d["x"]), jax.jit(partial(f, jnp))
        return lambda: compiled(x).block_until_ready()

    def jax_(d):
        _, jnp = jax_modules()
        x = jnp.asarray(d["x"])
        return lambda: f(jnp, x).block_until_ready()

    def torch_(d):
        import torch
        x = torch.from_numpy(d["x"])

        def run():
            with torch.no_grad():
                return f(torch, x)
        return run

    return {"numpy": numpy_, "numba": numba_w1(False), "numba-prange": numba_w1(True),
            "functrans": functrans_, "functrans-jit": functrans_jit, "jax-jit": jax_jit,
            "jax": jax_, "torch": torch_}


# --- W2 -----------------------------------------------------------------------------

def numba_w2(parallel):
    def build(d):
        from numba import njit, prange
        x = d["x"]

        @njit(parallel=parallel, cache=False)
        def kernel(x):
            out = np.empty_like(x)
            for i in prange(x.shape[0]):
                v = x[i]
                t = math.tanh(v)
                s, c = math.sin(v), math.cos(v)
                out[i] = (1 - t * t) * s + t * c - math.exp(-v * v) * (2 * v * c + s) \
                    + 2 * v / (1 + v * v)
            return out

        return lambda: kernel(x)
    return build


def w2_builders():
    def numpy_(d):
        x = d["x"]
        return lambda: gradient_formula(x)

    def functrans_(d):
        import functrans
        import functrans.numpy as fnp
        x, gradient = d["x"], functrans.grad(on(fnp, f))
        return lambda: gradient(x)

    def functrans_jit(d):
        import functrans
        import functrans.numpy as fnp
        x, compiled = d["x"], functrans.jit(functrans.grad(on(fnp, f)))
        return lambda: compiled(x)

    def jax_jit(d):
        jax, jnp = jax_modules()
        x, compiled = jnp.asarray(d["x"]), jax.jit(jax.grad(partial(f, jnp)))
        return lambda: compiled(x).block_until_ready()

    def jax_(d):
        jax, jnp = jax_modules()
        x, gradient = jnp.asarray(d["x"]), jax.grad(partial(f, jnp))
        return lambda: gradient(x).block_until_ready()

    def autograd_(d):
        import autograd
        import autograd.numpy as anp
        x, gradient = d["x"], autograd.grad(partial(f, anp))
        return lambda: gradient(x)

    def torch_(d):
        import torch
        x = torch.from_numpy(d["x"]).requires_grad_()
        return lambda: torch.autograd.grad(f(torch, x), x)[0]

    def torch_func(d):
        import torch
        import torch.func
        x, gradient = torch.from_numpy(d["x"]), torch.func.grad(partial(f, torch))
        return lambda: gradient(x)

    return {"numpy": numpy_, "numba": numba_w2(False), "numba-prange": numba_w2(True),
            "functrans": functrans_, "functrans-jit": functrans_jit, "jax-jit": jax_jit,
            "jax": jax_, "autograd": autograd_, "torch": torch_, "torch.func": torch_func}


def cases(size):
    n = SIZES[size]["W1"]
    title = f"sum(tanh(x)sin(x) + exp(-x²)cos(x) + log1p(x²)), x of {n:,}"
    return [
        Case("W1 f64", "W1", title, "float64", make_data(n, np.float64), w1_builders()),
        Case("W1 f32", "W1", title, "float32", make_data(n, np.float32), w1_builders()),
        Case("W2", "W2", f"gradient of W1's f, x of {n:,}", "float64",
             make_data(n, np.float64), w2_builders(), baseline_label="NumPy (formula)",
             notes={"numpy": "closed-form gradient", "numba": "closed-form gradient loop",
                    "numba-prange": "closed-form gradient loop"}),
    ]
