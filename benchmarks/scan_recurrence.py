"""jit(scan) against a hand-written numba loop on a simple recurrence.

    h[t+1] = 0.9 * h[t] + sin(x[t]),   100,000 steps, returning every h[t]

Run: ``python -m benchmarks.scan_recurrence``. Prints the best and median time of each
system and the ratio of functrans to the hand-written loop (the target is under 2).
"""
import statistics
import time

import numpy as np

STEPS = 100_000


def _timings(function, *args, repeats=30):
    function(*args)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def main():
    import numba

    import functrans
    from functrans import lax

    xs = np.random.default_rng(1234).standard_normal(STEPS)

    @functrans.jit
    def with_scan(xs):
        def step(h, x):
            h = 0.9 * h + lax.sin(x)
            return h, h
        return lax.scan(step, 0.0, xs)[1]

    @numba.njit
    def by_hand(xs):
        out = np.empty_like(xs)
        h = 0.0
        for t in range(xs.shape[0]):
            h = 0.9 * h + np.sin(xs[t])
            out[t] = h
        return out

    np.testing.assert_allclose(with_scan(xs), by_hand(xs), rtol=1e-12)
    scan_best, scan_median = _timings(with_scan, xs)
    hand_best, hand_median = _timings(by_hand, xs)
    print(f"{STEPS} steps of h = 0.9 h + sin(x)")
    print(f"  functrans jit(scan)   best {scan_best * 1e3:7.3f} ms   median {scan_median * 1e3:7.3f} ms")
    print(f"  numba loop by hand    best {hand_best * 1e3:7.3f} ms   median {hand_median * 1e3:7.3f} ms")
    print(f"  ratio (best)          {scan_best / hand_best:.2f}x  (target: under 2x)")


if __name__ == "__main__":
    main()
