"""functrans: composable transformations of NumPy programs.

``grad``, ``vmap`` and friends turn an ordinary function written with
``functrans.numpy`` into its derivative or its batched version, in any
composition::

    import functrans, functrans.numpy as fnp
    df = functrans.grad(lambda x: fnp.sum(fnp.sin(x)))
    per_example = functrans.vmap(functrans.grad(loss), in_axes=(None, 0, 0))
    fast_step = functrans.jit(functrans.value_and_grad(loss))
"""
from functrans import lax, numpy, optim, tree  # noqa: F401  (public submodules)
from functrans.config import config
from functrans.custom_derivatives import checkpoint, custom_jvp, custom_vjp, stop_gradient
from functrans.differentiation import (
    grad, hessian, jacfwd, jacrev, jvp, linear_transpose, linearize, value_and_grad, vjp,
)
from functrans.tracing import make_jaxpr
from functrans.transforms.jit import jit
from functrans.transforms.vmap import vmap

__version__ = "0.1.0"

__all__ = [
    "checkpoint", "config", "custom_jvp", "custom_vjp", "grad", "hessian", "jacfwd", "jacrev",
    "jit", "jvp", "lax", "linear_transpose", "linearize", "make_jaxpr", "numpy", "optim",
    "stop_gradient",
    "tree", "value_and_grad", "vjp", "vmap",
]
