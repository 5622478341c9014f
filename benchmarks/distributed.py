"""functrans.distributed on a LocalCluster of worker processes against one process with jit.

    python -m benchmarks.distributed [--workers 2] [--repeats 3] [--quick]

1. W4's per-example gradients, ``vmap(grad(loss), in_axes=(None, 0, 0))``, over 10^6
   examples (w (100), X (10^6, 100)): ``jit`` in this process; ``dmap`` with NumPy in and
   out (the data travel to the workers and back); ``dmap`` of ``dask.array``s persisted
   on the workers, the result persisted there (the data never leave the cluster).
2. One epoch of W3's training (the MLP 784-512-10, float64) over 60,000 synthetic
   examples of MNIST's shape: minibatches of 128 (468 steps) and of 6,000 (10 steps);
   ``jit(value_and_grad)`` in this process against ``distributed.value_and_grad`` over the
   data persisted on the workers. A step's update is the same NumPy SGD in both.
3. The overheads of one data-parallel step, measured apart: sending W3's parameters
   (3.2 MB) to one worker and to all (Dask replicates them), a round trip of an empty
   task, each further task, adding two gradients on the cluster (one level of the
   reduction tree), bringing a gradient back to the client; and from them how the
   epoch's time would scale to 8 and 64 workers.

Data start in this process and are scattered to the workers (``client.scatter``), as
Dask recommends for data in memory. One process uses all the cores (BLAS threads, numba's
parallel loops); each worker one thread. For the large W3 batches the single process is
also timed on one thread, which shows how much of the machine it already uses.

Times are the minimum over repeats (a shared machine: only ratios within one run mean
something); the load average is printed at the start and the end. The workers' numba
kernels are compiled before timing.
"""
import argparse
import math
import os
import time

import numpy as np

REPEATS = 3


def best(function, repeats=REPEATS, warm_up=None):
    """The minimum of ``repeats`` timed calls, after one untimed call of ``warm_up``
    (default: ``function``)."""
    (warm_up or function)()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def w4_loss(w, x, y):
    import functrans.numpy as fnp
    return fnp.log1p(fnp.exp(-y * fnp.dot(w, x)))


def w3_loss(params, X, y):
    import functrans.numpy as fnp
    from functrans.nn import logsumexp
    W1, b1, W2, b2 = params
    logits = fnp.tanh(X @ W1 + b1) @ W2 + b2
    return fnp.mean(logsumexp(logits, axis=1) - logits[fnp.arange(X.shape[0]), y])


def w3_params(rng):
    return (rng.standard_normal((784, 512)) / np.sqrt(784), 0.1 * rng.standard_normal(512),
            rng.standard_normal((512, 10)) / np.sqrt(512), 0.1 * rng.standard_normal(10))


def on_cluster(client, array, rows):
    """``array`` as a ``dask.array`` of chunks of ``rows`` along axis 0, each chunk scattered
    from this process to a worker (round robin), as Dask recommends for data in memory."""
    import dask.array as da

    pieces = [array[start:start + rows] for start in range(0, len(array), rows)]
    futures = client.scatter(pieces, hash=False, direct=True)
    return da.concatenate([da.from_delayed(future, piece.shape, dtype=piece.dtype)
                           for future, piece in zip(futures, pieces)])


def per_example_gradients(client, examples, repeats):
    from distributed import wait

    import functrans
    from functrans import distributed as fd

    rng = np.random.default_rng(1234)
    w = 0.1 * rng.standard_normal(100)
    X = rng.standard_normal((examples, 100))
    Y = np.where(rng.standard_normal(examples) > 0, 1.0, -1.0)
    workers = fd.cluster.worker_count(client)
    local = functrans.jit(functrans.vmap(functrans.grad(w4_loss), in_axes=(None, 0, 0)))
    mapped = fd.dmap(functrans.grad(w4_loss), in_axes=(None, 0, 0), client=client)
    rows = -(-examples // workers)
    Xd, Yd = on_cluster(client, X, rows), on_cluster(client, Y, rows)

    def kept_on_cluster():
        result = client.persist(mapped(w, Xd, Yd))
        wait(result)

    single = best(lambda: local(w, X, Y), repeats)
    numpy_io = best(lambda: mapped(w, X, Y), repeats)
    cluster_io = best(kept_on_cluster, repeats)
    np.testing.assert_allclose(mapped(w, X[:1000], Y[:1000]), local(w, X[:1000], Y[:1000]))
    return {"single": single, "numpy_io": numpy_io, "cluster_io": cluster_io}


def one_thread():
    """A context in which this process's BLAS and numba's parallel loops use one thread."""
    import contextlib

    import numba

    @contextlib.contextmanager
    def limited():
        threads = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            import threadpoolctl
            with threadpoolctl.threadpool_limits(1):
                yield
        finally:
            numba.set_num_threads(threads)

    return limited()


def w3_epoch(client, examples, batch, repeats, single_thread=False):
    import functrans
    from functrans import distributed as fd

    rng = np.random.default_rng(1234)
    params = w3_params(rng)
    X = rng.standard_normal((examples, 784))
    y = rng.integers(0, 10, examples)
    steps = examples // batch
    workers = fd.cluster.worker_count(client)
    rows = -(-batch // workers)
    Xd, yd = on_cluster(client, X, rows), on_cluster(client, y, rows)
    local = functrans.jit(functrans.value_and_grad(w3_loss))
    remote = fd.value_and_grad(w3_loss, client=client)

    def epoch(gradient, X, y):
        current = params
        for step in range(steps):
            rows = slice(step * batch, (step + 1) * batch)
            _, grads = gradient(current, X[rows], y[rows])
            current = tuple(p - 0.1 * g for p, g in zip(current, grads))
        return current

    single = best(lambda: epoch(local, X, y), repeats,
                  warm_up=lambda: local(params, X[:batch], y[:batch]))
    figures = {"batch": batch, "steps": steps, "single": single}
    if single_thread:
        with one_thread():
            figures["single_one_thread"] = best(lambda: epoch(local, X, y), repeats)
    figures["distributed"] = best(lambda: epoch(remote, Xd, yd), repeats,
                                  warm_up=lambda: remote(params, Xd[:batch], yd[:batch]))
    value, grads = remote(params, Xd[:batch], yd[:batch])
    expected_value, expected_grads = local(params, X[:batch], y[:batch])
    np.testing.assert_allclose(value, expected_value, rtol=1e-10)
    for g, e in zip(grads, expected_grads):
        np.testing.assert_allclose(g, e, rtol=1e-8, atol=1e-12)
    return figures


def threads():
    """This process's BLAS threads and numba threads (to run here and on each worker)."""
    import numba
    try:
        import threadpoolctl
        blas = [info["num_threads"] for info in threadpoolctl.threadpool_info()
                if info.get("user_api") == "blas"]
    except ImportError:
        blas = "threadpoolctl not installed"
    return {"blas": blas, "numba": numba.get_num_threads()}


def overheads(client, repeats):
    """Seconds per step spent on each part of the data-parallel machinery (2 workers), moving
    data the way functrans.distributed does: client to worker and back directly."""
    from distributed import wait

    from functrans.distributed.worker import add_trees

    params = w3_params(np.random.default_rng(0))
    workers = list(client.nthreads())

    def send_one():
        [future] = client.scatter([params], workers=workers[:1], hash=False, direct=True)
        wait(future)

    def broadcast():
        [future] = client.scatter([params], broadcast=True, hash=False, direct=True)
        wait(future)

    def round_trip():
        client.submit(int, pure=False).result()

    def sixteen_tasks():
        wait([client.submit(int, pure=False) for _ in range(16)])

    placed = [client.scatter([params], workers=[worker], hash=False, direct=True)[0]
              for worker in workers[:2]]

    def reduce_level():
        wait(client.submit(add_trees, *placed, pure=False))

    def gather():
        client.gather(placed[0], direct=True)

    costs = {name: best(function, repeats * 3) for name, function in (
        ("send_one", send_one), ("broadcast", broadcast), ("round_trip", round_trip),
        ("sixteen_tasks", sixteen_tasks), ("reduce_level", reduce_level), ("gather", gather))}
    costs["replicate_round"] = max(0.0, costs["broadcast"] - costs["send_one"])
    costs["per_task"] = max(0.0, costs["sixteen_tasks"] - costs["round_trip"]) / 15
    return costs


def step_overhead(costs, workers):
    """The machinery's seconds per step on ``workers`` workers: the parameters sent to one
    worker and replicated by Dask (each holder copies to two more: ceil(log3) rounds), a
    task round trip, the scheduler's cost of the tasks beyond those of 2 workers (N shards,
    N - 1 additions), a reduction tree of ceil(log2) levels, and the gather."""
    return (costs["send_one"] + costs["replicate_round"] * math.ceil(math.log(workers, 3))
            + costs["round_trip"] + costs["per_task"] * max(0, 2 * workers - 4)
            + costs["reduce_level"] * math.ceil(math.log2(workers)) + costs["gather"])


def projected_epoch(epoch, costs, workers_now, workers):
    """An epoch's time on ``workers`` workers, from the distributed one measured on
    ``workers_now``: its compute (the measured step less the overheads) shrinks as
    1/workers, the overheads grow as ``step_overhead`` says."""
    step_now = epoch["distributed"] / epoch["steps"]
    compute_now = max(0.0, step_now - step_overhead(costs, workers_now))
    step = compute_now * workers_now / workers + step_overhead(costs, workers)
    return step * epoch["steps"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--quick", action="store_true", help="a tenth of the data, one repeat")
    options = parser.parse_args(argv)
    repeats = 1 if options.quick else options.repeats
    scale = 10 if options.quick else 1

    from functrans import distributed as fd
    from functrans.config import config

    config.background_compile = False       # the warm-up call compiles: timed calls run kernels
    print("load average (1, 5, 15 min) at the start: %.2f %.2f %.2f" % os.getloadavg())
    with fd.local_cluster(options.workers) as client:
        print(f"LocalCluster: {options.workers} worker processes, 1 thread each; "
              "against one process with jit")
        print(f"  threads (BLAS libraries, numba): this process {threads()}; workers "
              f"{list(client.run(threads).values())}\n")
        w4 = per_example_gradients(client, 1_000_000 // scale, repeats)
        print(f"W4 per-example gradients, {1_000_000 // scale:,} examples")
        print(f"  one process, jit:                     {w4['single'] * 1e3:8.1f} ms")
        for key, label in (("numpy_io", "dmap, NumPy in and out:"),
                           ("cluster_io", "dmap, data and result on the cluster:")):
            print(f"  {label:<38s}{w4[key] * 1e3:8.1f} ms   speed-up "
                  f"{w4['single'] / w4[key]:.2f}x")
        epochs = [w3_epoch(client, 60_000 // scale, batch, repeats, single_thread=batch > 128)
                  for batch in (128, 6000 // scale)]
        print(f"\nW3 training, one epoch of {60_000 // scale:,} examples")
        for epoch in epochs:
            print(f"  batch {epoch['batch']:5d} ({epoch['steps']:3d} steps): one process "
                  f"{epoch['single']:6.2f} s, distributed {epoch['distributed']:6.2f} s, speed-up "
                  f"{epoch['single'] / epoch['distributed']:.2f}x; per step "
                  f"{epoch['single'] / epoch['steps'] * 1e3:.1f} ms against "
                  f"{epoch['distributed'] / epoch['steps'] * 1e3:.1f} ms")
            if "single_one_thread" in epoch:
                print(f"    one process on one thread (BLAS and numba): "
                      f"{epoch['single_one_thread']:6.2f} s, so its two threads gain "
                      f"{epoch['single_one_thread'] / epoch['single']:.2f}x; the workers against "
                      f"it: {epoch['single_one_thread'] / epoch['distributed']:.2f}x")
        costs = overheads(client, repeats)
        print("\nOverheads of one data-parallel step (W3's parameters and gradients, 3.2 MB):")
        for name, label in (("send_one", "send the parameters to one worker"),
                            ("broadcast", "send them to every worker (scatter, replicate)"),
                            ("round_trip", "schedule and finish an empty task"),
                            ("per_task", "each further empty task (of 16)"),
                            ("reduce_level", "add two gradients on the cluster"),
                            ("gather", "bring a gradient back")):
            print(f"  {label:<48s}{costs[name] * 1e3:7.2f} ms")
        print(f"  a step's overhead on {options.workers} workers: "
              f"{step_overhead(costs, options.workers) * 1e3:.1f} ms; on 8: "
              f"{step_overhead(costs, 8) * 1e3:.1f} ms; on 64: "
              f"{step_overhead(costs, 64) * 1e3:.1f} ms")
        print("\nProjected epoch time (the measured compute / workers + the overheads on that "
              "many workers):")
        for epoch in epochs:
            projections = ", ".join(
                f"{workers} workers {projected_epoch(epoch, costs, options.workers, workers):.2f} s"
                for workers in (options.workers, 8, 64))
            print(f"  batch {epoch['batch']:5d}: one process {epoch['single']:.2f} s; {projections}")
    print("load average (1, 5, 15 min) at the end: %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
