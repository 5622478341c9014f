"""W6: the Hessian of ``f(x) = sum(tanh(A @ x))`` with respect to ``x``.

Data, drawn in this order: ``A (50, 50) ~ N(0,1)/sqrt(50)``, ``x (50) ~ N(0,1)``. ``A`` is
passed as a second argument (not differentiated) in every system. The NumPy baseline is
the closed form ``A.T @ (-2 t (1 - t²))[:, None] * A`` with ``t = tanh(A @ x)``.
"""
from functools import partial

import numpy as np

from benchmarks.systems import jax_modules
from benchmarks.workloads import SIZES, Case, on


def make_data(n):
    rng = np.random.default_rng(1234)
    A = rng.standard_normal((n, n)) / np.sqrt(n)
    x = rng.standard_normal(n)
    return {"A": A, "x": x}


def f(xp, x, A):
    return xp.sum(xp.tanh(A @ x))


def builders():
    def numpy_(d):
        A, x = d["A"], d["x"]

        def closed_form():
            t = np.tanh(A @ x)
            return A.T @ ((-2 * t * (1 - t * t))[:, None] * A)
        return closed_form

    def functrans_(d):
        import functrans
        import functrans.numpy as fnp
        A, x, hessian = d["A"], d["x"], functrans.hessian(on(fnp, f))
        return lambda: hessian(x, A)

    def functrans_jit(d):
        import functrans
        import functrans.numpy as fnp
        A, x, hessian = d["A"], d["x"], functrans.jit(functrans.hessian(on(fnp, f)))
        return lambda: hessian(x, A)

    def jax_jit(d):
        jax, jnp = jax_modules()
        A, x = jnp.asarray(d["A"]), jnp.asarray(d["x"])
        hessian = jax.jit(jax.hessian(partial(f, jnp)))
        return lambda: hessian(x, A).block_until_ready()

    def jax_(d):
        jax, jnp = jax_modules()
        A, x = jnp.asarray(d["A"]), jnp.asarray(d["x"])
        hessian = jax.hessian(partial(f, jnp))
        return lambda: hessian(x, A).block_until_ready()

    def autograd_(d):
        import autograd
        import autograd.numpy as anp
        A, x, hessian = d["A"], d["x"], autograd.hessian(partial(f, anp))
        return lambda: hessian(x, A)

    def torch_(d):
        import torch
        import torch.autograd.functional
        A, x = torch.from_numpy(d["A"]), torch.from_numpy(d["x"])
        return lambda: torch.autograd.functional.hessian(lambda v: f(torch, v, A), x)

    def torch_func(d):
        import torch
        import torch.func
        A, x = torch.from_numpy(d["A"]), torch.from_numpy(d["x"])
        hessian = torch.func.hessian(partial(f, torch))
        return lambda: hessian(x, A)

    return {"numpy": numpy_, "functrans": functrans_, "functrans-jit": functrans_jit,
            "jax-jit": jax_jit, "jax": jax_, "autograd": autograd_, "torch": torch_,
            "torch.func": torch_func}


def cases(size):
    n = SIZES[size]["W6"]
    return [Case("W6", "W6", f"Hessian of sum(tanh(A@x)), A ({n},{n})", "float64", make_data(n),
                 builders(), baseline_label="NumPy (closed form)",
                 notes={"numpy": "closed form", "torch": "torch.autograd.functional.hessian",
                        "torch.func": "torch.func.hessian (jacfwd of jacrev)"})]
