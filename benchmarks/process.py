"""Measurements that need a fresh process; the runner starts this module as a subprocess.

``python -m benchmarks.process import MODULE``
    prints the time to import ``MODULE`` (and whether numba got imported with it).
``python -m benchmarks.process w3 SYSTEM --size SIZE --steps N [--import-numba-first]``
    imports the system's library, runs W3's float64 step ``N + 1`` times and prints the
    import time, the first call (for ``functrans-jit``: trace + compile, or load from the
    disk cache that ``FUNCTRANS_CACHE_DIR`` names; with ``FUNCTRANS_BACKGROUND_COMPILE=1``
    the interpreter's first result, and when the kernel compiled meanwhile was ready), the
    fastest later step and the process's peak resident memory (``VmHWM`` on Linux, else
    ``ru_maxrss``).

Each prints one JSON object on its last line of stdout.
"""
import argparse
import json
import resource
import sys
import time

LIBRARIES = {
    "numpy": ["numpy"],
    "numba": ["numba"],
    "functrans": ["functrans", "functrans.nn"],
    "functrans-jit": ["functrans", "functrans.nn"],
    "jax-jit": ["jax", "jax.numpy"],
    "jax": ["jax", "jax.numpy"],
    "autograd": ["autograd", "autograd.numpy", "autograd.scipy.special"],
    "torch": ["torch"],
    "torch.func": ["torch", "torch.func"],
}


def ru_maxrss_mib():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def peak_rss_mib():
    """The process's peak resident memory in MiB.

    On Linux this is ``VmHWM`` of ``/proc/self/status``: ``ru_maxrss`` is not usable in a
    child of a large process, because Linux carries the parent's high-water mark across
    ``fork`` + ``exec`` (a child of the benchmark runner would report the runner's 1+ GiB).
    Elsewhere, ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status") as file:
            for line in file:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return ru_maxrss_mib()


def import_time(module):
    started = time.perf_counter()
    __import__(module)
    seconds = time.perf_counter() - started
    return {"module": module, "seconds": seconds, "numba_imported": "numba" in sys.modules}


def w3_process(system, size, steps, import_numba_first):
    started = time.perf_counter()
    import numpy
    numpy_seconds = time.perf_counter() - started
    numba_seconds = None
    if import_numba_first:
        started = time.perf_counter()
        import numba  # noqa: F401
        numba_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for module in LIBRARIES[system]:
        __import__(module)
    import_seconds = time.perf_counter() - started
    from benchmarks.workloads import SIZES, w3
    data = w3.make_data(SIZES[size]["W3"], numpy.float64)
    step = w3.builders()[system](data)
    first_started = time.perf_counter()
    step()
    first = time.perf_counter() - first_started
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    result = {"system": system, "numpy_import_s": numpy_seconds, "import_s": import_seconds,
              "first_call_s": first, "steady_min_s": min(times) if times else None,
              "peak_rss_mib": peak_rss_mib(), "ru_maxrss_mib": ru_maxrss_mib(),
              "numba_import_s": numba_seconds}
    if system == "functrans-jit":
        import functrans
        from functrans.transforms.jit import _compiled_irs
        result["background_compile"] = functrans.config.background_compile
        if functrans.config.background_compile:
            # The first call ran on the interpreter; when did the kernel become ready?
            for kernel in list(_compiled_irs.values()):
                kernel.wait(None)
            result["kernel_ready_s"] = max(k.ready_at for k in _compiled_irs.values()) - \
                first_started
        result["from_disk_cache"] = any(getattr(c, "from_disk", False)
                                        for c in _compiled_irs.values())
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.process")
    commands = parser.add_subparsers(dest="command", required=True)
    imports = commands.add_parser("import")
    imports.add_argument("module")
    w3 = commands.add_parser("w3")
    w3.add_argument("system", choices=sorted(LIBRARIES))
    w3.add_argument("--size", default="full")
    w3.add_argument("--steps", type=int, default=10)
    w3.add_argument("--import-numba-first", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "import":
        result = import_time(args.module)
    else:
        result = w3_process(args.system, args.size, args.steps, args.import_numba_first)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
