"""Profile one workload in one system: ``python -m benchmarks.profiling W5a functrans``.

Runs the first call (compile, for jitted systems) and then ``--calls`` warm calls under
pyinstrument (if installed; ``pip install pyinstrument``) or cProfile, and prints the
profile of each. ``--first`` profiles only the first call, ``--warm`` only the warm ones.
``--size`` picks the sizes (full, quick, smallest) as in the runner.
"""
import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.workloads import all_cases


def profiled(function, calls, use_cprofile, limit):
    try:
        if use_cprofile:
            raise ImportError
        from pyinstrument import Profiler
    except ImportError:
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        for _ in range(calls):
            function()
        profile.disable()
        seconds = time.perf_counter() - started
        stream = io.StringIO()
        pstats.Stats(profile, stream=stream).sort_stats("cumulative").print_stats(limit)
        return seconds, stream.getvalue()
    profiler = Profiler(interval=0.0001)
    started = time.perf_counter()
    profiler.start()
    for _ in range(calls):
        function()
    profiler.stop()
    seconds = time.perf_counter() - started
    return seconds, profiler.output_text(unicode=True, color=False, show_all=False)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiling")
    parser.add_argument("case", help="W1 f64, W1 f32, W2, W3 f64, W3 f32, W4, W5a, W5b, W6")
    parser.add_argument("system", help="functrans, functrans-jit, numpy, jax-jit, ...")
    parser.add_argument("--size", default="full")
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--first", action="store_true", help="profile only the first call")
    parser.add_argument("--warm", action="store_true", help="profile only warm calls")
    parser.add_argument("--cprofile", action="store_true", help="cProfile, not pyinstrument")
    parser.add_argument("--limit", type=int, default=40, help="cProfile rows")
    args = parser.parse_args(argv)
    import functrans
    functrans.config.update("cache_dir", tempfile.mkdtemp(prefix="functrans-profile-"))
    cases = {c.id: c for c in all_cases(args.size)}
    case = cases[args.case]
    function = case.builders[args.system](case.data)
    if not args.warm:
        seconds, text = profiled(function, 1, args.cprofile, args.limit)
        print(f"=== first call of {args.system} on {args.case}: {seconds:.3f} s\n{text}")
    else:
        function()
    if not args.first:
        seconds, text = profiled(function, args.calls, args.cprofile, args.limit)
        print(f"=== {args.calls} warm calls of {args.system} on {args.case}: "
              f"{seconds / args.calls * 1e6:.1f} µs per call\n{text}")


if __name__ == "__main__":
    main()
