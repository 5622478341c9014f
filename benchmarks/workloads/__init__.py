"""The workloads of WORKLOADS.md, each written once per system.

Every workload module has ``cases(size)`` returning :class:`Case` objects: the data
(drawn from ``numpy.random.default_rng(1234)``, a fresh generator per workload, in
the order WORKLOADS.md gives; float32 data is the float64 draw cast), the baseline
system the ratios are taken against, and one *builder* per system. A builder takes
the data and returns a function of no arguments that runs the workload once and
returns its result (JAX results blocked until ready), so the runner can check the
result against NumPy's and then time it.

Where a formula can be written once on a NumPy-like namespace (``numpy``,
``functrans.numpy``, ``jax.numpy``, ``autograd.numpy``, ``torch``), it is, so every
system evaluates the same expression.
"""
from dataclasses import dataclass, field

#: Sizes per preset: ``full`` is WORKLOADS.md; ``quick`` shrinks W1/W2; ``smallest`` is
#: for the smoke test.
SIZES = {
    "full": {"W1": 1_000_000, "W3": (128, 784, 512, 10), "W4": (256, 100), "W6": 50},
    "quick": {"W1": 10_000, "W3": (128, 784, 512, 10), "W4": (256, 100), "W6": 50},
    "smallest": {"W1": 1_000, "W3": (16, 64, 32, 10), "W4": (32, 10), "W6": 10},
}

RTOL = {"float64": 1e-6, "float32": 1e-3}


@dataclass
class Case:
    id: str  # the row of the table: "W1 f64"
    workload: str  # "W1"
    description: str
    dtype: str
    data: dict
    builders: dict  # system key -> builder(data) -> zero-argument callable
    baseline: str = "numpy"
    baseline_label: str = "NumPy"
    notes: dict = field(default_factory=dict)  # system key -> what that system's version does
    extras: dict = field(default_factory=dict)  # label -> builder: timed, not compared

    @property
    def rtol(self):
        return RTOL[self.dtype]


def on(xp, function, name=None):
    """``function`` with its first argument (the namespace) bound to ``xp``.

    Like ``functools.partial``, but a real function with a name (which functrans.jit uses
    to name the generated kernel)."""
    def bound(*args):
        return function(xp, *args)
    bound.__name__ = bound.__qualname__ = name or function.__name__
    return bound


def all_cases(size):
    from benchmarks.workloads import w1_w2, w3, w4, w5, w6, w7
    cases = []
    for module in (w1_w2, w3, w4, w5, w6, w7):
        cases.extend(module.cases(size))
    return cases
