"""Timing with ``time.perf_counter``: the first call apart, then warm repeats, min and median.

A repeat runs the function ``number`` times in a tight loop (``number`` chosen so a repeat
lasts about ``repeat_seconds``; fast calls such as W5b's need many calls per reading), and
its per-call time is the repeat's time divided by ``number``. Repeats go on until
``budget`` seconds are spent, within ``[min_repeats, max_repeats]``. The garbage collector
is off while timing (as in ``timeit``), after a collection.

On a shared machine the load changes from second to second, so the runner takes the
repeats of the systems of one workload in interleaved *rounds* (each system a share of
its repeats per round): a busy spell then lands on every system, not on one.
"""
import gc
import statistics
import time
from dataclasses import dataclass

perf_counter = time.perf_counter


@dataclass(frozen=True)
class Budget:
    seconds: float  # time to spend on one (workload, system)
    min_repeats: int
    max_repeats: int
    repeat_seconds: float  # how long one repeat should last, for fast functions
    rounds: int  # interleaved rounds over the systems of a workload


FULL = Budget(seconds=1.5, min_repeats=7, max_repeats=1000, repeat_seconds=0.02, rounds=3)
QUICK = Budget(seconds=0.15, min_repeats=3, max_repeats=200, repeat_seconds=0.01, rounds=1)
SMOKE = Budget(seconds=0.03, min_repeats=2, max_repeats=20, repeat_seconds=0.002, rounds=1)


def first_call(function):
    """``(result, seconds)`` of one call (the first call: compile time for jitted systems)."""
    started = perf_counter()
    result = function()
    return result, perf_counter() - started


def calibrate(function, budget, rounds):
    """``(number, repeats)`` for one round: calls per repeat and repeats per round."""
    function()  # warm-up after the first call, which the caller timed
    started = perf_counter()
    function()
    single = max(perf_counter() - started, 1e-9)
    number = max(1, int(budget.repeat_seconds / single))
    repeats = int(budget.seconds / (single * number))
    repeats = max(budget.min_repeats, min(budget.max_repeats, repeats))
    return number, max(1, -(-repeats // rounds))


def repeat(function, number, repeats):
    """Per-call times of ``repeats`` repeats of ``number`` calls each."""
    loop = range(number)
    times = []
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            started = perf_counter()
            for _ in loop:
                function()
            times.append((perf_counter() - started) / number)
    finally:
        if enabled:
            gc.enable()
    return times


def summary(times, number):
    return {"min_s": min(times), "median_s": statistics.median(times), "repeats": len(times),
            "number": number}


def measure(function, budget):
    """Warm-up, then repeats, in one go; returns a dict of per-call times in seconds."""
    number, repeats = calibrate(function, budget, 1)
    return summary(repeat(function, number, repeats), number)
