"""W5a: the gradient of a 20-op scalar function on a Python float; W5b: call overhead.

W5a's function applies exactly the 20 primitive ops of WORKLOADS.md in the listed order,
each to the previous result(s): a unary op takes the last result, a binary op (mul, add)
the last two. With ``t0 = x`` (x = 1.3, a Python float)::

    t1 = sin(t0)       t6 = sin(t5)       t11 = t10 * t9     t16 = t15 * t14
    t2 = cos(t1)       t7 = t6 * t5       t12 = -t11         t17 = cos(t16)
    t3 = t2 * t1       t8 = cos(t7)       t13 = exp(t12)     t18 = t17 + t16
    t4 = exp(t3)       t9 = t8 + t7       t14 = t13 + t12    t19 = t18 * t17
    t5 = t4 + t3       t10 = tanh(t9)     t15 = sin(t14)     f(x) = t20 = log1p(t19)

and ``W5a = f'(1.3)``, eager (no jit) for functrans, JAX eager, autograd and PyTorch;
``jit(grad(f))`` is timed too. The baseline is the same gradient by hand in plain Python
(``math``; the numba column is that function compiled). Every system evaluates ``f``
from the one definition below on its own namespace.

W5b: ``f(x) = x + 1.0`` on the Python float 1.3, already compiled; the baseline is the
plain Python function. Each timed call goes through one Python ``lambda`` (about
0.05 µs), the same for every system.
"""
import math
from functools import partial

from benchmarks.systems import jax_modules
from benchmarks.workloads import Case, on

X0 = 1.3


def f(xp, x):
    """W5a's function on ``xp`` (``math``, ``numpy``, ``functrans.numpy``, ``jax.numpy``, ...)."""
    t1 = xp.sin(x)
    t2 = xp.cos(t1)
    t3 = t2 * t1
    t4 = xp.exp(t3)
    t5 = t4 + t3
    t6 = xp.sin(t5)
    t7 = t6 * t5
    t8 = xp.cos(t7)
    t9 = t8 + t7
    t10 = xp.tanh(t9)
    t11 = t10 * t9
    t12 = -t11
    t13 = xp.exp(t12)
    t14 = t13 + t12
    t15 = xp.sin(t14)
    t16 = t15 * t14
    t17 = xp.cos(t16)
    t18 = t17 + t16
    t19 = t18 * t17
    return xp.log1p(t19)


def hand_gradient(x):
    """``f'(x)`` by reverse-mode differentiation written out (math functions only)."""
    t1 = math.sin(x)
    t2 = math.cos(t1)
    t3 = t2 * t1
    t4 = math.exp(t3)
    t5 = t4 + t3
    t6 = math.sin(t5)
    t7 = t6 * t5
    t8 = math.cos(t7)
    t9 = t8 + t7
    t10 = math.tanh(t9)
    t11 = t10 * t9
    t12 = -t11
    t13 = math.exp(t12)
    t14 = t13 + t12
    t15 = math.sin(t14)
    t16 = t15 * t14
    t17 = math.cos(t16)
    t18 = t17 + t16
    t19 = t18 * t17
    # backwards: g_k is d f / d t_k, complete before it is used
    g19 = 1.0 / (1.0 + t19)
    g18 = g19 * t17
    g17 = g19 * t18 + g18
    g16 = g18 - math.sin(t16) * g17
    g15 = g16 * t14
    g14 = g16 * t15 + math.cos(t14) * g15
    g13 = g14
    g12 = g14 + t13 * g13
    g11 = -g12
    g10 = g11 * t9
    g9 = g11 * t10 + (1.0 - t10 * t10) * g10
    g8 = g9
    g7 = g9 - math.sin(t7) * g8
    g6 = g7 * t5
    g5 = g7 * t6 + math.cos(t5) * g6
    g4 = g5
    g3 = g5 + t4 * g4
    g2 = g3 * t1
    g1 = g3 * t2 - math.sin(t1) * g2
    return math.cos(x) * g1


def w5a_builders():
    def python(d):
        return lambda: hand_gradient(X0)

    def numba_(d):
        from numba import njit
        compiled = njit(cache=False)(hand_gradient)
        return lambda: compiled(X0)

    def functrans_(d):
        import functrans
        import functrans.numpy as fnp
        gradient = functrans.grad(on(fnp, f))
        return lambda: gradient(X0)

    def functrans_jit(d):
        import functrans
        import functrans.numpy as fnp
        gradient = functrans.jit(functrans.grad(on(fnp, f)))
        return lambda: gradient(X0)

    def jax_jit(d):
        jax, jnp = jax_modules()
        gradient = jax.jit(jax.grad(partial(f, jnp)))
        return lambda: gradient(X0).block_until_ready()

    def jax_(d):
        jax, jnp = jax_modules()
        gradient = jax.grad(partial(f, jnp))
        return lambda: gradient(X0).block_until_ready()

    def autograd_(d):
        import autograd
        import autograd.numpy as anp
        gradient = autograd.grad(partial(f, anp))
        return lambda: gradient(X0)

    def torch_(d):
        import torch

        def run():
            x = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
            return torch.autograd.grad(f(torch, x), x)[0]
        return run

    def torch_func(d):
        import torch
        import torch.func
        gradient = torch.func.grad(partial(f, torch))
        return lambda: gradient(torch.tensor(X0, dtype=torch.float64))

    return {"numpy": python, "numba": numba_, "functrans": functrans_,
            "functrans-jit": functrans_jit, "jax-jit": jax_jit, "jax": jax_,
            "autograd": autograd_, "torch": torch_, "torch.func": torch_func}


def add_one(x):
    return x + 1.0


def w5b_builders():
    def python(d):
        return lambda: add_one(X0)

    def numba_(d):
        from numba import njit
        compiled = njit(cache=False)(add_one)
        return lambda: compiled(X0)

    def functrans_jit(d):
        import functrans
        compiled = functrans.jit(add_one)
        return lambda: compiled(X0)

    def jax_jit(d):
        jax, _ = jax_modules()
        compiled = jax.jit(add_one)
        return lambda: compiled(X0).block_until_ready()

    def torch_(d):
        import torch
        x = torch.tensor(X0, dtype=torch.float64)
        return lambda: add_one(x)

    return {"numpy": python, "numba": numba_, "functrans-jit": functrans_jit,
            "jax-jit": jax_jit, "torch": torch_}


def cases(size):
    return [
        Case("W5a", "W5a", "gradient of a 20-op scalar function at 1.3, eager", "float64", {},
             w5a_builders(), baseline_label="Python (hand gradient)",
             notes={"numpy": "gradient by hand in plain Python (math)",
                    "numba": "the hand gradient, njit", "functrans-jit": "jit(grad(f))",
                    "torch": "new tensor + autograd.grad per call"},
             extras={"Python f(x) alone (primal)": lambda d: (lambda: f(math, X0))}),
        Case("W5b", "W5b", "call overhead of compiled f(x) = x + 1.0 on a float", "float64", {},
             w5b_builders(), baseline_label="Python",
             notes={"numpy": "plain Python function", "torch": "eager op on a 0-d tensor"}),
    ]
