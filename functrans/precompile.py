"""Compile the support code of generated kernels once per machine, ahead of any kernel.

``python -m functrans.precompile`` (or ``functrans.precompile.precompile()``) compiles the
functions that generated kernels call — vector math (functrans.lowering.vecmath), block
sums (summation), matrix products (blas) — for float64 and float32 and the layouts kernels
pass them, into the disk cache (``FUNCTRANS_CACHE_DIR``). A kernel compiled afterwards links
their machine code instead of compiling them: the first kernel using exp or a matrix
product takes a second or two less. Without this command the same happens on demand, once
per machine, inside the first kernels that need each function; and with
``config.compile_process`` off, the compile thread runs it when it has no kernel to
compile (once per cache directory and functrans/numba/NumPy version).

Run it where you install functrans (an image build, a CI step); it takes 20-60 s.
"""
import contextlib
import functools
import os
import sys
import time

from functrans.config import config
from functrans.lowering import disk_cache

_DTYPES = ("float64", "float32")
#: The support modules compiled ahead: the ones nearly every kernel calls. The LAPACK
#: decompositions (lapack) and SciPy's special-function kernels (special_kernels) serve only
#: programs that use them; they compile once per machine on first use instead of costing
#: every installation a minute more here.
MODULES = ("vecmath", "summation", "blas")


def _signatures(numba):
    """(module name, function name, argument types) for every function to compile."""
    types = numba.types
    out = []
    for dtype in _DTYPES:
        scalar = getattr(types, dtype)
        suffix = {"float64": "f64", "float32": "f32"}[dtype]
        from functrans.lowering import vecmath
        for name in vecmath.__all__:
            if name.endswith(suffix):
                out.append(("vecmath", name, (scalar,)))
        out.append(("summation", "sum_block", (types.Array(scalar, 1, "C"), types.int64, scalar)))
        vector, matrix = types.Array(scalar, 1, "C"), types.Array(scalar, 2, "C")
        products = {"matmul": [(matrix, matrix), (matrix, vector), (vector, matrix),
                               (vector, vector)],
                    "matmul_tn": [(matrix, matrix), (matrix, vector)],
                    "matmul_nt": [(matrix, matrix), (vector, matrix)],
                    "matmul_tt": [(matrix, matrix)]}
        for name, operand_types in products.items():
            out.extend(("blas", name, pair) for pair in operand_types)
    return out


def marker_path():
    """The file whose presence says this cache directory holds the precompiled support code."""
    from functrans.lowering.compile import versions_key
    return os.path.join(config.cache_dir, f"precompiled-{versions_key()}")


def steps(verbose=False):
    """The work of :func:`precompile` as a list of small calls, the last marking it done."""
    from functrans.lowering.compile import _numba, support_module

    def compile_one(module_name, function_name, argument_types):
        dispatcher = getattr(support_module(module_name), function_name)
        begun = time.perf_counter()
        dispatcher.compile(argument_types)
        if verbose:
            print(f"  {module_name}.{function_name}{argument_types}: "
                  f"{time.perf_counter() - begun:.2f} s", file=sys.stderr)

    def mark_done():
        # The directory may have become unusable meanwhile: then nothing is marked.
        if disk_cache.usable_directory() is not None:
            with contextlib.suppress(OSError), open(marker_path(), "w") as file:
                file.write("support code compiled\n")

    return [functools.partial(compile_one, *signature)
            for signature in _signatures(_numba())] + [mark_done]


def precompile(verbose=False):
    """Compile every support function into the disk cache; return the seconds it took."""
    if not config.disk_cache:
        raise RuntimeError("functrans.precompile writes the disk cache, which is switched off "
                           "(FUNCTRANS_DISK_CACHE=0): there is nothing to precompile into")
    started = time.perf_counter()
    for step in steps(verbose):
        step()
    return time.perf_counter() - started


def precompile_when_idle():
    """Have the compile thread precompile the support code between kernels, unless this
    cache directory holds it already (called by jit on its first background compile)."""
    if disk_cache.usable_directory() is None:  # off, or unusable (warned once)
        return
    from functrans.lowering import background

    def plan():  # on the compile thread: finding the cache's versions imports numba
        if not precompiled():
            background.submit_when_idle(steps())
    background.submit_when_idle([plan])


def precompiled():
    """Whether this cache directory holds the precompiled support code."""
    return os.path.exists(marker_path())


def main():
    print(f"functrans: compiling the support code of kernels into {config.cache_dir} ...",
          file=sys.stderr)
    seconds = precompile(verbose=True)
    print(f"functrans: done in {seconds:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
