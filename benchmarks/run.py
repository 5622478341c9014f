"""The benchmark runner: ``python -m benchmarks`` or ``python benchmarks/run.py``.

For every workload of WORKLOADS.md (see ``benchmarks/workloads``) and every system
that is installed (NumPy, numba by hand, functrans eager and jit, JAX jit and eager,
autograd, PyTorch eager and ``torch.func``), in one process:

1. build the system's version of the workload;
2. call it once, timed: the *first call* (for jitted systems, the compile time);
3. check its result against NumPy's (relative error at most 1e-6 in float64, 1e-3 in
   float32): a mismatch is reported loudly, the system is not timed, and the run exits
   with status 1;
4. time warm repeats (:mod:`benchmarks.timing`): minimum and median per call.

Then, in fresh processes: ``import`` times, and W3's step per system (first call, peak
memory; for functrans jit once with an empty disk cache and once with the cache the
first process filled). functrans compiles into a new temporary cache directory, so its
first calls are real compiles (``--cache-dir`` chooses another), of the kernel alone: the
support code all kernels link is precompiled first, as ``python -m functrans.precompile``
does once per machine.

Output: a markdown table on stdout and in ``benchmarks/results/latest.md``, the raw
figures in ``latest.json`` and a bar chart of the ratios in ``latest.png``.
"""
import argparse
import dataclasses
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

# OpenMP threads that wait for work by spinning (the default) make torch's OpenMP runtime,
# numba's and XLA's thread pool stall one another when they share one process on a small
# machine: on 2 cores, PyTorch calls measured right after JAX took 40 ms instead of 0.2 ms.
# Passive waiting removes that; it must be set before torch or numba load OpenMP.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# functrans jit compiles before its first call here (not in the background): the first call
# is the compile time, and every timed call runs the kernel. The fresh-process W3 runs
# measure the tiered default separately.
os.environ.setdefault("FUNCTRANS_BACKGROUND_COMPILE", "0")

if __package__ in (None, ""):  # ``python benchmarks/run.py``
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import report, timing
from benchmarks.systems import BY_KEY, SYSTEMS, compare, installed, version
from benchmarks.workloads import SIZES, all_cases

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results")
PEERS = {"numba": "numba", "jax": "jax", "autograd": "autograd", "torch": "torch"}


def log(message):
    print(message, file=sys.stderr, flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run the workloads of WORKLOADS.md in functrans and every installed peer.")
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes (W1/W2 of 10,000) and fewer repeats: under 2 minutes")
    parser.add_argument("--size", choices=sorted(SIZES),
                        help="data sizes (default: full, or quick with --quick)")
    parser.add_argument("--repeats", choices=["full", "quick", "smoke"],
                        help="timing budget (default: full, or quick with --quick)")
    parser.add_argument("--systems", help="comma-separated system keys to run (NumPy always "
                        "runs, it is the reference): " + ", ".join(s.key for s in SYSTEMS))
    parser.add_argument("--workloads", help="comma-separated workloads, e.g. W1,W3")
    parser.add_argument("--no-process", action="store_true",
                        help="skip the fresh-process measurements (imports, W3 start-up, memory)")
    parser.add_argument("--cache-dir", help="functrans disk cache for this run (default: a new "
                        "temporary directory, so first calls are real compiles)")
    parser.add_argument("--out", default=RESULTS, help="directory for latest.{md,json,png}")
    parser.add_argument("--no-chart", action="store_true", help="do not draw the PNG chart")
    parser.add_argument("--threads", type=int, help="limit every library's thread pools "
                        "(OpenMP, OpenBLAS, MKL, numba, XLA, PyTorch) to this many threads; "
                        "default: each library's own default")
    return parser.parse_args(argv)


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS")


def limit_threads(threads, argv):
    """Re-run this process with every thread pool limited to ``threads`` (thread pools read
    their sizes when their libraries load, which has happened by now)."""
    if os.environ.get("FUNCTRANS_BENCH_THREADS") == str(threads):
        return
    environment = dict(os.environ, FUNCTRANS_BENCH_THREADS=str(threads))
    for variable in THREAD_VARIABLES:
        environment[variable] = str(threads)
    if threads == 1:
        environment["XLA_FLAGS"] = (environment.get("XLA_FLAGS", "") +
                                    " --xla_cpu_multi_thread_eigen=false "
                                    "intra_op_parallelism_threads=1").strip()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "benchmarks", *argv], environment)


def machine():
    memory = None
    try:
        with open("/proc/meminfo") as file:
            for line in file:
                if line.startswith("MemTotal"):
                    memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(),
            "memory": memory, "python": platform.python_version()}


def warm_up_backends(systems):
    """Initialise numba's and JAX's compilers on a trivial function, so a workload's first
    call measures compiling that workload, not starting the compiler."""
    seconds = {}
    if "numba" in systems or "numba-prange" in systems or "functrans-jit" in systems:
        started = time.perf_counter()
        from numba import njit
        njit(lambda x: x + 1)(1)
        seconds["numba"] = time.perf_counter() - started
    if "jax-jit" in systems or "jax" in systems:
        from benchmarks.systems import jax_modules
        started = time.perf_counter()
        jax, jnp = jax_modules()
        jax.jit(lambda x: x + 1)(jnp.ones(2)).block_until_ready()
        seconds["jax"] = time.perf_counter() - started
    if "torch" in systems or "torch.func" in systems:
        started = time.perf_counter()
        import torch
        (torch.ones(2) + 1).sum()
        seconds["torch"] = time.perf_counter() - started
    return seconds


def tiered_first_result(builder, data):
    """Seconds to the first result of a new jitted function in jit's default (tiered) mode:
    trace, optimise and run on the interpreter; the kernel compiled just before is not used
    by a first call."""
    import functrans
    function = builder(data)
    with functrans.config.override(background_compile=True):
        return timing.first_call(function)[1]


def run_case(case, systems, budget, rounds):
    """Run, check and time every system of one case; returns its entry of the JSON."""
    results, timed = {}, {}
    log(f"{case.id}: {case.description}  [{time.strftime('%H:%M:%S')}]")
    reference, _ = timing.first_call(case.builders["numpy"](case.data))
    for key in [s.key for s in SYSTEMS]:
        if key not in case.builders:
            continue
        if key not in systems:
            results[key] = {"status": "skipped", "message": "not installed"
                            if not installed(BY_KEY[key].module) else "not selected"}
            continue
        entry = results[key] = {"status": "ok"}
        if key in case.notes:
            entry["note"] = case.notes[key]
        try:
            function = case.builders[key](case.data)
            result, entry["first_call_s"] = timing.first_call(function)
        except Exception as error:  # noqa: BLE001  (reported, and the run fails)
            entry.update(status="error", message=f"{type(error).__name__}: {error}")
            log(f"  !!! ERROR in {key} on {case.id}: {entry['message']}")
            traceback.print_exc()
            continue
        if key == "functrans-jit":
            entry["first_result_s"] = tiered_first_result(case.builders[key], case.data)
        ok, error, message = compare(result, reference, case.rtol)
        entry["rel_error"] = error
        if not ok:
            entry.update(status="mismatch", message=message)
            log(f"  !!! MISMATCH: {key} on {case.id} disagrees with NumPy: {message}")
            continue
        number, repeats = timing.calibrate(function, budget, rounds)
        timed[key] = (function, number, repeats, [])
    for _ in range(rounds):
        for key, (function, number, repeats, times) in timed.items():
            times.extend(timing.repeat(function, number, repeats))
    for key, (function, number, repeats, times) in timed.items():
        entry = results[key]
        entry.update(timing.summary(times, number))
        log(f"  {key:14s} first {report.fmt_time(entry['first_call_s']):>10s}   "
            f"min {report.fmt_time(entry['min_s']):>10s}   "
            f"median {report.fmt_time(entry['median_s']):>10s}   err {entry['rel_error']:.1e}")
    extras = {}
    for label, builder in case.extras.items():
        function = builder(case.data)
        function()
        extras[label] = timing.measure(function, budget)
    return {"id": case.id, "workload": case.workload, "description": case.description,
            "dtype": case.dtype, "rtol": case.rtol, "baseline": case.baseline,
            "baseline_label": case.baseline_label, "results": results, "extras": extras}


def run_subprocess(arguments, env=None, timeout=600):
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [ROOT] + [p for p in environment.get("PYTHONPATH", "").split(os.pathsep) if p])
    environment.update(env or {})
    completed = subprocess.run([sys.executable, "-m", "benchmarks.process", *arguments],
                               cwd=ROOT, env=environment, capture_output=True, text=True,
                               timeout=timeout, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"benchmarks.process {' '.join(arguments)} failed:\n"
                           f"{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def process_measurements(systems, size, quick, cache_dir):
    """Fresh-process figures: import times, W3 start-up and compile, peak memory.

    functrans jit runs once with an empty disk cache (a cold start: trace, compile, write
    the cache) and then with that cache warm. In ``--quick`` mode the cold process is
    left out and the warm one reads the cache this run's own W3 compile filled
    (``cache_dir``); PyTorch's process too is left out.
    """
    out = {"imports": {}, "w3": {}}
    modules = ["numpy", "numba", "functrans"] + [m for m in ("jax", "autograd", "torch")
                                                 if installed(m)]
    for module in modules:
        runs = [run_subprocess(["import", module]) for _ in range(1 if quick else 3)]
        best = min(runs, key=lambda r: r["seconds"])
        out["imports"][module] = best
        log(f"  import {module}: {report.fmt_time(best['seconds'])}")
    steps = ["--size", size, "--steps", "3" if quick else "10"]
    cache = cache_dir if quick else tempfile.mkdtemp(prefix="functrans-bench-process-")
    warm = {"FUNCTRANS_CACHE_DIR": cache}
    def forget_kernels():
        """Delete the cached kernels but keep the support modules (compiled once per machine)."""
        for directory in (cache, os.path.join(cache, "__pycache__")):
            for entry in os.listdir(directory) if os.path.isdir(directory) else ():
                if entry.startswith("kernel_"):
                    os.remove(os.path.join(directory, entry))

    runs = [("numpy", "numpy", [], {}), ("functrans", "functrans", [], warm)]
    if not quick:
        runs.append(("functrans-jit (empty disk cache)", "functrans-jit", [], warm))
        runs.append(("functrans-jit (new kernel, support code cached)", "functrans-jit", [],
                     warm, forget_kernels))
    runs.append(("functrans-jit (warm disk cache)", "functrans-jit", [], warm))
    if not quick:
        # compile_after 0: the kernel is asked for at the first call, so its ready time is
        # measured (by default a 10-step run would end on the interpreter, never compiling)
        tiered = {"FUNCTRANS_BACKGROUND_COMPILE": "1", "FUNCTRANS_COMPILE_AFTER": "0"}
        runs.append(("functrans-jit tiered (empty disk cache)", "functrans-jit", [],
                     dict(tiered, FUNCTRANS_CACHE_DIR=tempfile.mkdtemp(
                         prefix="functrans-bench-tiered-"))))
        runs.append(("functrans-jit tiered (warm disk cache)", "functrans-jit", [],
                     dict(warm, **tiered)))
    if not quick:
        runs.append(("functrans-jit (warm disk cache, numba imported first)", "functrans-jit",
                     ["--import-numba-first"], warm))
    runs += [("autograd", "autograd", [], {}), ("jax-jit", "jax-jit", [], {})]
    if not quick:
        runs.append(("torch", "torch", [], {}))
    try:
        for label, system, extra, env, *prepare in runs:
            if system not in systems:
                continue
            for step in prepare:
                step()
            try:
                result = run_subprocess(["w3", system, *steps, *extra], env=env)
            except Exception as error:  # noqa: BLE001
                result = {"error": str(error)}
                log(f"  !!! W3 process {label} failed: {error}")
            else:
                log(f"  W3 process {label}: first call {report.fmt_time(result['first_call_s'])},"
                    f" peak {result['peak_rss_mib']:.0f} MiB")
            out["w3"][label] = result
    finally:
        if not quick:
            shutil.rmtree(cache, ignore_errors=True)
    return out


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        limit_threads(args.threads, sys.argv[1:] if argv is None else argv)
    size = args.size or ("quick" if args.quick else "full")
    budget = {"full": timing.FULL, "quick": timing.QUICK, "smoke": timing.SMOKE}[
        args.repeats or ("quick" if args.quick else "full")]
    started = time.perf_counter()

    wanted = set(args.systems.split(",")) | {"numpy"} if args.systems else {s.key for s in SYSTEMS}
    unknown = wanted - set(BY_KEY)
    if unknown:
        raise SystemExit(f"unknown systems: {', '.join(sorted(unknown))}")
    systems, skipped = [], []
    for system in SYSTEMS:
        if system.key not in wanted:
            continue
        if installed(system.module):
            systems.append(system.key)
        elif system.module not in [s.split(" ")[0] for s in skipped]:
            skipped.append(f"{system.module} (not installed: {system.label} skipped; "
                           "pip install -e '.[bench]' installs it)")
    for note in skipped:
        log(f"note: {note}")

    temporary_cache = None
    import functrans
    saved_cache_dir = functrans.config.cache_dir
    if args.cache_dir:
        functrans.config.update("cache_dir", args.cache_dir)
    else:
        temporary_cache = tempfile.mkdtemp(prefix="functrans-bench-cache-")
        functrans.config.update("cache_dir", temporary_cache)

    versions = {m: version(m) for m in ("numpy", "numba", "functrans", "jax", "jaxlib",
                                        "autograd", "torch", "scipy")}
    log(f"functrans benchmarks: size {size}, systems {', '.join(systems)}")
    threads = thread_counts(systems)
    blas = blas_kernels()
    init = warm_up_backends(systems)
    if "functrans-jit" in systems:
        # The first calls below are a kernel's own compile, the support code every kernel
        # links being compiled once per machine (as issue 17's targets measure them).
        from functrans import precompile
        init["functrans support code, once per machine"] = precompile.precompile()

    workloads = set(args.workloads.split(",")) if args.workloads else None
    cases = [c for c in all_cases(size) if workloads is None or c.workload in workloads
             or c.id in workloads]
    try:
        entries = [run_case(case, systems, budget, budget.rounds) for case in cases]
        processes = None if args.no_process else process_measurements(
            systems, size, args.quick, functrans.config.cache_dir)
    finally:
        functrans.config.update("cache_dir", saved_cache_dir)
        if temporary_cache:
            shutil.rmtree(temporary_cache, ignore_errors=True)

    data = {
        "date": datetime.date.today().isoformat(),
        "machine": machine(), "versions": versions,
        "threads": threads, "blas": blas, "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "mode": {"size": size, "sizes": SIZES[size], "budget": dataclasses.asdict(budget),
                 "quick": args.quick},
        "systems": {s.key: {"label": s.label, "compiled": s.compiled,
                            "installed": installed(s.module), "run": s.key in systems}
                    for s in SYSTEMS},
        "skipped": skipped, "backend_init_s": init, "cases": entries, "processes": processes,
    }
    data["targets"] = report.targets(data)
    data["elapsed_s"] = time.perf_counter() - started
    failures = [(c["id"], k, r["status"], r.get("message", "")) for c in entries
                for k, r in c["results"].items() if r["status"] in ("mismatch", "error")]
    data["failures"] = failures

    markdown = report.markdown(data)
    print(markdown)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "latest.md"), "w") as file:
        file.write(markdown)
    with open(os.path.join(args.out, "latest.json"), "w") as file:
        json.dump(data, file, indent=1)
    if not args.no_chart:
        note = report.chart(data, os.path.join(args.out, "latest.png"))
        if note:
            log(f"note: {note}")
    log(f"wrote {args.out}/latest.md, latest.json"
        f"{'' if args.no_chart else ', latest.png'} in {data['elapsed_s']:.0f} s")
    if failures:
        log("!!! FAILED: results that disagree with NumPy or raised:")
        for failure in failures:
            log(f"!!!   {failure[0]} / {failure[1]}: {failure[2]} {failure[3]}")
        return 1
    return 0


def thread_counts(systems):
    threads = {"cores": os.cpu_count()}
    if "numba" in systems or "functrans-jit" in systems:
        import numba
        threads["numba"] = numba.config.NUMBA_NUM_THREADS
    if "torch" in systems:
        import torch
        if os.environ.get("FUNCTRANS_BENCH_THREADS"):
            torch.set_num_threads(int(os.environ["FUNCTRANS_BENCH_THREADS"]))
        threads["torch"] = torch.get_num_threads()
    for variable in THREAD_VARIABLES + ("XLA_FLAGS",):
        if os.environ.get(variable):
            threads[variable] = os.environ[variable]
    return threads


#: Variables that pin OpenBLAS to older kernels on these machines (1.5x slower GEMM here)
OPENBLAS_PIN = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def blas_kernels():
    """The BLAS libraries loaded in this process and their kernels, as threadpoolctl names
    them (``architecture``: e.g. SkylakeX native on AVX-512, Haswell when pinned)."""
    try:
        import threadpoolctl
    except ImportError:
        return [{"note": "threadpoolctl not installed"}]
    import numpy  # noqa: F401  (loads NumPy's OpenBLAS)
    import scipy.linalg  # noqa: F401  (SciPy's OpenBLAS, which numba's np.dot calls)
    kernels = [{key: info.get(key) for key in ("internal_api", "architecture", "num_threads",
                                                "version", "prefix")}
               for info in threadpoolctl.threadpool_info() if info.get("user_api") == "blas"]
    pinned = {variable: os.environ[variable] for variable in OPENBLAS_PIN
              if variable in os.environ}
    if pinned:
        log(f"note: OpenBLAS is pinned ({', '.join(f'{k}={v}' for k, v in pinned.items())}); "
            "benchmark unpinned: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m "
            "benchmarks")
    return {"libraries": kernels, "pinned": pinned}


if __name__ == "__main__":
    sys.exit(main())
