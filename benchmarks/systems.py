"""The systems compared, how to find out whether each is installed, and how results are compared.

A *system* is one way to run a workload: NumPy eager, a numba loop written by
hand, functrans eager or jitted, JAX jitted or eager, autograd, PyTorch eager
or ``torch.func``. Peers that are not installed are skipped with a note.
"""
import importlib
import importlib.metadata
import importlib.util
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class System:
    key: str
    label: str
    module: str  # the import that must succeed for the system to run
    compiled: bool  # whether the first call compiles (reported as compile time)


SYSTEMS = [
    System("numpy", "NumPy", "numpy", False),
    System("numba", "numba by hand", "numba", True),
    System("numba-prange", "numba prange", "numba", True),
    System("functrans", "functrans eager", "functrans", False),
    System("functrans-jit", "functrans jit", "functrans", True),
    System("jax-jit", "JAX jit", "jax", True),
    System("jax", "JAX eager", "jax", False),
    System("autograd", "autograd", "autograd", False),
    System("torch", "PyTorch eager", "torch", False),
    System("torch.func", "torch.func", "torch", False),
]
BY_KEY = {system.key: system for system in SYSTEMS}


def installed(module):
    """Whether ``module`` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def version(module):
    """The installed version of ``module``'s distribution, or None."""
    if not installed(module):
        return None
    try:
        return importlib.metadata.version(module)
    except importlib.metadata.PackageNotFoundError:
        try:
            return getattr(importlib.import_module(module), "__version__", "?")
        except Exception:  # noqa: BLE001  (a broken install is reported, not raised)
            return None


_jax_ready = False


def jax_modules():
    """``(jax, jax.numpy)`` with float64 enabled (before any JAX array exists)."""
    global _jax_ready
    import jax
    if not _jax_ready:
        jax.config.update("jax_enable_x64", True)
        jax.config.update("jax_platforms", "cpu")
        _jax_ready = True
    import jax.numpy as jnp
    return jax, jnp


def to_numpy(value):
    """A result of any system as nested lists of NumPy arrays (JAX arrays, tensors, floats)."""
    if isinstance(value, dict):
        return [to_numpy(value[k]) for k in sorted(value)]
    if isinstance(value, (tuple, list)):
        return [to_numpy(v) for v in value]
    if type(value).__module__.startswith("torch"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def leaves(value):
    if isinstance(value, list):
        return [leaf for v in value for leaf in leaves(v)]
    return [value]


def compare(result, reference, rtol):
    """``(ok, relative error, message)``: ``result`` against ``reference``, leaf by leaf.

    The error of a leaf is ``max|result - reference| / max|reference|`` (a scale-aware
    relative error, so entries near zero do not dominate); every leaf must be within ``rtol``
    and have the reference's shape.
    """
    got, want = leaves(to_numpy(result)), leaves(to_numpy(reference))
    if len(got) != len(want):
        return False, float("inf"), f"{len(got)} outputs, NumPy has {len(want)}"
    worst = 0.0
    for index, (a, b) in enumerate(zip(got, want)):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            return False, float("inf"), f"output {index} has shape {a.shape}, NumPy's is {b.shape}"
        if not np.all(np.isfinite(a)):
            return False, float("inf"), f"output {index} is not finite"
        scale = max(float(np.max(np.abs(b))) if b.size else 0.0, np.finfo(np.float64).tiny)
        error = float(np.max(np.abs(a - b))) / scale if a.size else 0.0
        worst = max(worst, error)
    if worst > rtol:
        return False, worst, f"relative error {worst:.2e} > {rtol:.0e}"
    return True, worst, ""
