"""functrans: composable transformations of NumPy programs.

``grad``, ``vmap`` and friends turn an ordinary function written with
``functrans.numpy`` into its derivative or its batched version, in any
composition::

    import functrans, functrans.numpy as fnp
    df = functrans.grad(lambda x: fnp.sum(fnp.sin(x)))
    per_example = functrans.vmap(functrans.grad(loss), in_axes=(None, 0, 0))
    fast_step = functrans.jit(functrans.value_and_grad(loss))

The public submodules are attributes after ``import functrans`` (``functrans.nn``, as
``jax.nn``); those the core does not need load on first use, so the import stays fast.
"""
import importlib

from functrans import lax, numpy, tree  # noqa: F401  (public submodules the core needs)
from functrans.config import config
from functrans.lax import stop_gradient
from functrans.tracing import make_jaxpr
from functrans.transforms.custom_derivatives import checkpoint, custom_jvp, custom_vjp
from functrans.transforms.differentiation import (
    grad, hessian, jacfwd, jacrev, jvp, linear_transpose, linearize, value_and_grad, vjp,
)
from functrans.transforms.jit import jit
from functrans.transforms.vmap import vmap
from functrans.version import __version__

#: public submodules loaded on first access (``functrans.optim``)
_LAZY_SUBMODULES = ("distributed", "nn", "optim", "scipy", "testing")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"functrans.{name}")
    raise AttributeError(f"module 'functrans' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))


__all__ = [
    "checkpoint", "config", "custom_jvp", "custom_vjp", "grad", "hessian", "jacfwd", "jacrev",
    "jit", "jvp", "lax", "linear_transpose", "linearize", "make_jaxpr", "nn", "numpy", "optim",
    "scipy", "stop_gradient", "testing", "tree", "value_and_grad", "vjp", "vmap",
]
