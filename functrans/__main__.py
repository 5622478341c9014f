"""``python -m functrans``: a short tour of what functrans does, in the terminal."""
import time

import numpy as np

import functrans
import functrans.numpy as fnp


def section(title):
    print(f"\n=== {title} " + "=" * max(0, 66 - len(title)))


def best_time(function, *args, repeats=20):
    function(*args)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        function(*args)
        best = min(best, time.perf_counter() - started)
    return best


def main():
    section("1. A function is traced into an IR")

    def f(x):
        return fnp.sum(fnp.sin(x) * x)

    print("f(x) = sum(sin(x) * x)")
    print(functrans.make_jaxpr(f)(np.ones(3)))

    section("2. Its gradient: linearize, then transpose (no hand-written reverse mode)")
    print(functrans.make_jaxpr(functrans.grad(f))(np.ones(3)))

    section("3. The derivative of sin on linspace(0, 2*pi, 100) is cos")
    x = np.linspace(0, 2 * np.pi, 100)
    derivative = functrans.grad(lambda x: fnp.sum(fnp.sin(x)))(x)
    error = np.max(np.abs(derivative - np.cos(x)))
    print(f"max |grad(sum(sin))(x) - cos(x)| = {error:.1e}")
    per_point = functrans.vmap(functrans.grad(fnp.sin))(x)
    print(f"max |vmap(grad(sin))(x) - cos(x)|  = {np.max(np.abs(per_point - np.cos(x))):.1e}")

    section("4. Per-example gradients of logistic regression with vmap(grad)")
    rng = np.random.default_rng(0)
    w, features, labels = 0.1 * rng.normal(size=100), rng.normal(size=(256, 100)), \
        np.sign(rng.normal(size=256))

    def loss(w, x, y):
        return fnp.log1p(fnp.exp(-y * fnp.dot(w, x)))

    per_example = functrans.vmap(functrans.grad(loss), in_axes=(None, 0, 0))(w, features, labels)
    closed_form = -(labels / (1 + np.exp(labels * (features @ w))))[:, None] * features
    print(f"shape {per_example.shape}; max difference from the closed form "
          f"{np.max(np.abs(per_example - closed_form)):.1e}")

    section("5. jit: the same function compiled by numba, one fused loop")

    def w1(x):
        return fnp.sum(fnp.tanh(x) * fnp.sin(x) + fnp.exp(-x * x) * fnp.cos(x) + fnp.log1p(x * x))

    compiled = functrans.jit(w1)
    data = np.random.default_rng(1234).standard_normal(1_000_000)
    started = time.perf_counter()
    value = compiled(data)
    print(f"first call (trace + compile, or load from the disk cache): "
          f"{time.perf_counter() - started:.2f} s")
    print(f"jit value {value:.10f}, NumPy value {w1(data):.10f}")
    numpy_time = best_time(w1, data)
    jit_time = best_time(compiled, data)
    print(f"NumPy {numpy_time * 1e3:.1f} ms, functrans.jit {jit_time * 1e3:.1f} ms "
          f"({numpy_time / jit_time:.2f}x)")
    print("\nThe generated source:")
    print(compiled.lower(data).source.split("\n\n", 1)[1])


if __name__ == "__main__":
    main()
