"""Per-example gradients of logistic regression (WORKLOADS.md W4), four ways.

    loss(w, x, y) = log1p(exp(-y * dot(w, x))),   w (100), X (256, 100), Y (256) in {-1, +1}

vmap(grad(loss)) eagerly and under jit, a Python loop over grad(loss), and the closed form in
NumPy. Run: ``python -m benchmarks.per_example_gradients``.
"""
import statistics
import time

import numpy as np


def _timings(function, repeats):
    function()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def main():
    import functrans
    import functrans.numpy as fnp

    rng = np.random.default_rng(1234)
    w = 0.1 * rng.standard_normal(100)
    features = rng.standard_normal((256, 100))
    labels = np.where(rng.standard_normal(256) > 0, 1.0, -1.0)

    def loss(w, x, y):
        return fnp.log1p(fnp.exp(-y * fnp.dot(w, x)))

    gradient = functrans.grad(loss)
    per_example = functrans.vmap(gradient, in_axes=(None, 0, 0))
    per_example_jit = functrans.jit(per_example)

    def loop():
        return np.stack([gradient(w, x, y) for x, y in zip(features, labels)])

    def closed_form():
        return -(labels / (1 + np.exp(labels * (features @ w))))[:, None] * features

    expected = closed_form()
    for name, function in [("vmap(grad)", lambda: per_example(w, features, labels)),
                           ("jit(vmap(grad))", lambda: per_example_jit(w, features, labels)),
                           ("loop over grad", loop)]:
        np.testing.assert_allclose(function(), expected, rtol=1e-12, atol=1e-15)
    rows = [("NumPy closed form", closed_form, 200),
            ("functrans jit(vmap(grad))", lambda: per_example_jit(w, features, labels), 200),
            ("functrans vmap(grad), eager", lambda: per_example(w, features, labels), 50),
            ("functrans Python loop over grad", loop, 3)]
    baseline = None
    print("per-example gradients, 256 examples x 100 features")
    for name, function, repeats in rows:
        best, median = _timings(function, repeats)
        baseline = baseline or best
        print(f"  {name:34s} best {best * 1e6:10.1f} us   median {median * 1e6:10.1f} us"
              f"   {best / baseline:8.1f}x the closed form")


if __name__ == "__main__":
    main()
