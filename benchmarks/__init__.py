"""Side-by-side benchmarks of functrans against NumPy, numba by hand, JAX, autograd and PyTorch.

The workloads are those of ``../shared/WORKLOADS.md`` (W1-W6); every system
computes the same thing, and the runner checks each result against NumPy's
before it times anything. Run them with::

    python -m benchmarks            # the full run, a few minutes
    python -m benchmarks --quick    # smaller sizes and fewer repeats, under two minutes

Results go to stdout and ``benchmarks/results/latest.{md,json,png}``.
"""
