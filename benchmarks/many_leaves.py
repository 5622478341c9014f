"""``python -m benchmarks.many_leaves``: jit over a pytree of 100, 1,000 and 10,000 leaves.

The workload is one SGD step over a parameter dict: ``loss = sum(fnp.sum(x**2))`` over the
leaves, its ``value_and_grad``, and the update ``p - lr * g`` per leaf. The leaves cycle
through five forms (float64 ``(3,)``, ``(4, 5)``, ``()``; float32 ``(16,)``, ``(2, 3)``), so
the step has a loss that mixes dtypes, a reduction fed by every leaf and a pytree output.

Each size runs in a fresh process, once with the default tiered jit and once synchronous
(``FUNCTRANS_BACKGROUND_COMPILE=0``), and reports:

* ``first call``: from calling the new jitted function to its first result (trace, optimise,
  pack, and the interpreter's run, or in synchronous mode the numba compile and the kernel);
* ``kernel ready``: from that call until the kernel is compiled (``lower(...).compile()``);
* ``cached call``: the fastest of 20 later calls on the kernel, per leaf (and their median);
* ``peak``: the process's peak resident memory (VmHWM), imports included.

The learning rate differs in its last digits between runs, so the kernel is compiled, never
loaded from the disk cache; the support code is (``python -m functrans.precompile``).
``--sizes 100 1000`` picks sizes; ``--child N MODE`` is one measurement (JSON on stdout).
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time

SIZES = (100, 1000, 10000)
MODES = ("tiered", "synchronous")
FORMS = [((3,), "float64"), ((4, 5), "float64"), ((), "float64"), ((16,), "float32"),
         ((2, 3), "float32")]


def make_parameters(count):
    import numpy as np
    rng = np.random.default_rng(1234)
    return {f"leaf{i:05d}": rng.standard_normal(FORMS[i % len(FORMS)][0]).astype(
        FORMS[i % len(FORMS)][1]) for i in range(count)}


def make_step(learning_rate):
    import functrans
    import functrans.numpy as fnp

    def loss(parameters):
        return sum(fnp.sum(x ** 2) for x in functrans.tree.leaves(parameters))

    def step(parameters):
        value, grads = functrans.value_and_grad(loss)(parameters)
        return value, functrans.tree.map(lambda p, g: p - learning_rate * g, parameters, grads)
    return step


def child(count):
    from benchmarks.process import peak_rss_mib
    import functrans
    parameters = make_parameters(count)
    step = functrans.jit(make_step(0.1 * (1 + random.random() * 1e-6)))
    started = time.perf_counter()
    step(parameters)
    first = time.perf_counter() - started
    step.lower(parameters).compile()
    ready = time.perf_counter() - started
    times = []
    for _ in range(20):
        begin = time.perf_counter()
        step(parameters)
        times.append(time.perf_counter() - begin)
    kernel = step.kernels[-1]
    return {"leaves": count, "first_call_s": first, "kernel_ready_s": ready,
            "cached_call_us_per_leaf": min(times) / count * 1e6,
            "cached_call_median_us_per_leaf": sorted(times)[len(times) // 2] / count * 1e6,
            "numba_s": kernel.compile_seconds, "peak_mib": peak_rss_mib(),
            "kernel_parameters": len(kernel.kernel_ir.in_vars),
            "kernel_equations": len(kernel.kernel_ir.equations)}


def measure(count, mode):
    env = dict(os.environ, FUNCTRANS_BACKGROUND_COMPILE="1" if mode == "tiered" else "0")
    done = subprocess.run([sys.executable, "-m", "benchmarks.many_leaves", "--child", str(count)],
                          env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    parser.add_argument("--modes", nargs="+", default=MODES, choices=MODES)
    parser.add_argument("--child", type=int)
    options = parser.parse_args(argv)
    if options.child:
        print(json.dumps(child(options.child)))
        return 0
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'leaves':>7} {'mode':>12} {'first call':>11} {'kernel ready':>13} {'numba':>8} "
          f"{'cached/leaf':>12} {'median':>8} {'peak':>9} {'kernel params':>14} {'equations':>10}")
    for count in options.sizes:
        for mode in options.modes:
            r = measure(count, mode)
            print(f"{count:>7} {mode:>12} {r['first_call_s']:>10.2f}s "
                  f"{r['kernel_ready_s']:>12.2f}s {r['numba_s']:>7.2f}s {r['cached_call_us_per_leaf']:>10.3f}µs "
                  f"{r['cached_call_median_us_per_leaf']:>6.3f}µs "
                  f"{r['peak_mib']:>6.0f}MiB {r['kernel_parameters']:>14} "
                  f"{r['kernel_equations']:>10}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
