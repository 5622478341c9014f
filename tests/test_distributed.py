"""functrans.distributed on a LocalCluster of two worker processes, shared by every test.

Results are checked against independent references: closed-form gradients, NumPy loops,
and the single-process transforms. Shapes stay small and fixed, so that the workers compile
each kernel once (one of them compiles, the other loads it from the shared disk cache).
"""
import os
import signal
import subprocess
import sys
import threading
import time

import warnings

import numpy as np
import pytest

distributed = pytest.importorskip(
    "distributed", reason="functrans.distributed needs Dask: pip install 'functrans[distributed]'")
import cloudpickle  # noqa: E402  (Dask's dependency)
import dask  # noqa: E402
import dask.array as da  # noqa: E402

import functrans  # noqa: E402
import functrans.numpy as fnp  # noqa: E402
from functrans import distributed as fd  # noqa: E402
from functrans import optim  # noqa: E402

# The workers receive this module's functions by value: they need not import the tests.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

RNG = np.random.default_rng(1234)
W = 0.3 * RNG.standard_normal(5)
X = RNG.standard_normal((12, 5))
Y = np.where(RNG.standard_normal(12) > 0, 1.0, -1.0)


@pytest.fixture(scope="module")
def client():
    with fd.local_cluster(2) as started:
        yield started


def logistic(w, x, y):
    return fnp.log1p(fnp.exp(-y * fnp.dot(w, x)))


def mean_logistic(w, xs, ys):
    return fnp.mean(functrans.vmap(logistic, in_axes=(None, 0, 0))(w, xs, ys))


def logistic_gradient_closed_form(w, x, y):
    return (-y / (1.0 + np.exp(y * (x @ w))))[:, None] * x


per_example_gradient = fd.dmap(functrans.grad(logistic), in_axes=(None, 0, 0))


def pytree_function(pair, scale):
    return {"sum": fnp.sum(pair["a"]) * scale, "outer": pair["a"][:, None] * pair["b"]}, scale


def test_importing_functrans_imports_no_dask():
    code = "import functrans, sys; print(any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules))"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert completed.stdout.strip() == "False"


def test_the_current_client_is_used(client):
    assert fd.client() is client


def test_per_example_gradients_equal_the_closed_form(client):
    grads = per_example_gradient(W, X, Y)
    np.testing.assert_allclose(grads, logistic_gradient_closed_form(W, X, Y), rtol=1e-12)


def kernels_loaded_from_disk():
    """On a worker: for each signature compiled there, whether its kernel came from disk."""
    from functrans.distributed import worker
    return {(token, index): getattr(kernel, "from_disk", None)
            for token, function in worker._functions.items()
            for index, kernel in enumerate(getattr(function, "kernels", []))}


def test_one_worker_per_machine_compiles_a_kernel_the_other_loads_it(client):
    per_example_gradient(W, X, Y)
    by_worker = list(client.run(kernels_loaded_from_disk).values())
    shared = set(by_worker[0]) & set(by_worker[1])
    if not shared:
        pytest.skip("this jit does not list its kernels")
    for signature in shared:
        flags = [flags_of_worker[signature] for flags_of_worker in by_worker]
        if None in flags:
            pytest.skip("this jit does not report where its kernels came from")
        assert flags != [False, False], "both workers compiled the same kernel"


def test_pytrees_in_and_out_with_in_axes_and_out_axes_match_a_loop(client):
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((2, 3))
    mapped = fd.dmap(pytree_function, in_axes=({"a": 0, "b": 1}, None),
                     out_axes=({"sum": 0, "outer": 2}, None))
    (result, scale) = mapped({"a": a, "b": b}, 2.0)
    assert scale == 2.0
    np.testing.assert_allclose(result["sum"], [a[i].sum() * 2.0 for i in range(3)])
    loop = np.stack([np.outer(a[i], b[:, i]) for i in range(3)], axis=2)
    np.testing.assert_allclose(result["outer"], loop)
    # fewer examples than workers: one shard, the same answer
    single, _ = mapped({"a": a[:1], "b": b[:, :1]}, 2.0)
    np.testing.assert_allclose(single["outer"], loop[:, :, :1])


def test_numpy_shards_are_scattered_not_sent_in_the_task_graph(client, monkeypatch):
    xs = RNG.standard_normal((1000, 5))
    ys = np.where(RNG.standard_normal(1000) > 0, 1.0, -1.0)
    scattered_bytes = []
    scatter = client.scatter

    def counting_scatter(data, *args, **kwargs):
        scattered_bytes.extend(sum(np.asarray(leaf).nbytes for leaf in functrans.tree.leaves(item))
                               for item in data if isinstance(item, list))
        return scatter(data, *args, **kwargs)

    monkeypatch.setattr(client, "scatter", counting_scatter)
    # 48 kB of shards; the graph that refers to them is a few hundred bytes
    with dask.config.set({"distributed.admin.large-graph-warning-threshold": "16kB"}), \
            warnings.catch_warnings():
        warnings.filterwarnings("error", message="Sending large graph")
        grads = per_example_gradient(W, xs, ys)
    assert sorted(scattered_bytes) == [500 * 6 * 8, 500 * 6 * 8]     # two shards of x and y
    np.testing.assert_allclose(grads, logistic_gradient_closed_form(W, xs, ys), rtol=1e-12)


def test_dask_array_input_gives_a_lazy_dask_array_over_its_chunks(client):
    lazy = per_example_gradient(W, da.from_array(X, chunks=6), Y)
    assert isinstance(lazy, da.Array) and lazy.chunks == ((6, 6), (5,))
    np.testing.assert_array_equal(lazy.compute(), per_example_gradient(W, X, Y))


def test_value_and_grad_equals_the_single_process_one(client):
    expected_value, expected_grad = functrans.value_and_grad(mean_logistic)(W, X, Y)
    value, grad = fd.value_and_grad(mean_logistic)(W, X, Y)
    np.testing.assert_allclose(value, expected_value, rtol=1e-13)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grad, logistic_gradient_closed_form(W, X, Y).mean(axis=0),
                               rtol=1e-12)
    # shards of a dask array (three chunks: a reduction tree of two levels)
    value, grad = fd.value_and_grad(mean_logistic)(W, da.from_array(X, chunks=4),
                                                   da.from_array(Y, chunks=4))
    np.testing.assert_allclose(value, expected_value, rtol=1e-13)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-15)


def logistic_and_metrics(w, xs, ys):
    margins = ys * (xs @ w)
    metrics = {"accuracy": fnp.mean(margins > 0), "mean_x": fnp.mean(xs, axis=0)}
    return fnp.mean(fnp.log1p(fnp.exp(-margins))), metrics


def test_value_and_grad_with_aux_reduces_the_aux_as_the_loss(client):
    (value, aux), grad = fd.value_and_grad(logistic_and_metrics, has_aux=True)(W, X, Y)
    (expected_value, expected_aux), expected_grad = functrans.value_and_grad(
        logistic_and_metrics, has_aux=True)(W, X, Y)
    np.testing.assert_allclose(value, expected_value, rtol=1e-13)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(aux["accuracy"], np.mean(Y * (X @ W) > 0), rtol=1e-14)
    np.testing.assert_allclose(aux["mean_x"], X.mean(axis=0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(aux["accuracy"], expected_aux["accuracy"], rtol=1e-14)
    np.testing.assert_allclose(grad, logistic_gradient_closed_form(W, X, Y).mean(axis=0),
                               rtol=1e-12)


def test_minimize_follows_single_process_training(client):
    optimizer = optim.adam(0.05)
    result = fd.minimize(mean_logistic, W, optimizer, 5, data=(X, Y), progress=False)
    local = optim.minimize(lambda w: mean_logistic(w, X, Y), W, optimizer, 5, progress=False,
                           jit=False)
    np.testing.assert_allclose(result.history, local.history, rtol=1e-12)
    np.testing.assert_allclose(result.params, local.params, rtol=1e-12)
    assert result.history[-1] < result.history[0]


def test_minimize_with_minibatches_follows_single_process_training(client):
    optimizer = optim.sgd(0.5)
    data = (np.concatenate([X, -X]), np.concatenate([Y, Y]))     # two batches of 12
    result = fd.minimize(mean_logistic, W, optimizer, 3, data=data, batch_size=12,
                         progress=False)
    batches = [(data[0][s:s + 12], data[1][s:s + 12]) for s in (0, 12, 0)]
    local = optim.minimize(lambda w, batch: mean_logistic(w, *batch), W, optimizer, 3,
                           batches=batches, progress=False, jit=False)
    np.testing.assert_allclose(result.history, local.history, rtol=1e-12)
    np.testing.assert_allclose(result.params, local.params, rtol=1e-12)


def shuffled_batches(data, batch_size, seed):
    """Minibatches as the documentation of distributed.minimize(shuffle=True) defines them."""
    rng = np.random.default_rng(seed)
    size = len(data[0])
    while True:
        order = rng.permutation(size)
        for start in range(0, size - batch_size + 1, batch_size):
            yield tuple(x[order[start:start + batch_size]] for x in data)


def test_minimize_with_shuffled_minibatches_follows_single_process_training(client):
    optimizer = optim.sgd(0.5)
    data = (np.concatenate([X, -X, 0.5 * X]), np.concatenate([Y, Y, -Y]))  # 3 batches of 12
    result = fd.minimize(mean_logistic, W, optimizer, 7, data=data, batch_size=12, shuffle=True,
                         seed=5, progress=False)
    local = optim.minimize(lambda w, batch: mean_logistic(w, *batch), W, optimizer, 7,
                           batches=shuffled_batches(data, 12, seed=5), progress=False, jit=False)
    np.testing.assert_allclose(result.history, local.history, rtol=1e-12)
    np.testing.assert_allclose(result.params, local.params, rtol=1e-12)
    with pytest.raises(ValueError, match="shuffle=True needs a batch_size"):
        fd.minimize(mean_logistic, W, optimizer, 1, data=data, shuffle=True)


class CountsPickling:
    """An unmapped argument that counts how often the client pickles it."""
    pickled = 0

    def __init__(self, value):
        self.value = value

    def __reduce__(self):
        CountsPickling.pickled += 1
        return (np.asarray, (self.value,))


def test_unmapped_arguments_are_pickled_once_per_call_not_once_per_shard(client):
    CountsPickling.pickled = 0
    grads = fd.dmap(functrans.grad(logistic), in_axes=(None, 0, 0), shards=4)(
        CountsPickling(W), X, Y)
    assert CountsPickling.pickled == 1
    np.testing.assert_allclose(grads, logistic_gradient_closed_form(W, X, Y), rtol=1e-12)


def test_mapped_axes_of_different_sizes_name_the_arguments():
    with pytest.raises(ValueError, match=r"size 12: argument 1 \('x'\).*size 11: argument 2"):
        per_example_gradient(W, X, Y[:11])


def test_an_empty_mapped_axis_is_an_error():
    with pytest.raises(ValueError, match="size 0"):
        per_example_gradient(W, X[:0], Y[:0])


def test_an_unpicklable_argument_is_named(client):
    lock = threading.Lock()
    with pytest.raises(TypeError, match=r"argument 1 \('lock'\).*_thread.lock"):
        fd.dmap(lambda x, lock: x, in_axes=(0, None))(X, lock)


def test_an_unpicklable_closure_variable_is_named(client):
    guard = threading.Lock()

    def uses_guard(x):
        return x if guard else x

    with pytest.raises(TypeError, match=r"`guard`, closed over by the function.*uses_guard"):
        fd.dmap(uses_guard)(X)


def failing(x):
    raise ValueError("the user's own error")


def test_a_failing_function_shows_the_users_traceback_not_dasks(client):
    with pytest.raises(ValueError, match="the user's own error") as caught:
        fd.dmap(failing)(X)
    note = "\n".join(getattr(caught.value, "__notes__", []))
    assert f"line {failing.__code__.co_firstlineno + 1}, in failing" in note
    assert "distributed/worker.py" not in note and "site-packages" not in note


def test_dmap_under_a_transform_is_an_error():
    with pytest.raises(TypeError, match="traced value"):
        functrans.grad(lambda w: fnp.sum(per_example_gradient(w, X, Y)))(W)


def test_no_scheduler_at_the_address_names_it_and_the_timeout():
    with pytest.raises(ConnectionError, match=r"tcp://127.0.0.1:9.*within 0.5 s"):
        fd.connect("tcp://127.0.0.1:9", timeout=0.5)


DEFAULT_CLUSTER_SCRIPT = """
import os
from functrans import distributed as fd
first = fd.client()
assert fd.client() is first
print(*first.run(os.getpid).values())
"""


@pytest.mark.slow
def test_a_cluster_started_by_default_is_announced_once_and_closed_at_exit():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    environment = dict(os.environ, PYTHONPATH=root)
    environment.pop("DASK_SCHEDULER_ADDRESS", None)
    completed = subprocess.run([sys.executable, "-c", DEFAULT_CLUSTER_SCRIPT], cwd=root,
                               env=environment, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stderr.count("started a LocalCluster") == 1
    for pid in map(int, completed.stdout.split()):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"worker process {pid} still runs after its client's process exited")


def slow_rows(x):
    return functrans.lax.fori_loop(0, 3000, lambda i, v: fnp.tanh(v + 0.5 * fnp.sin(v)), x)


@pytest.mark.slow
def test_a_worker_killed_mid_map_changes_no_bit(client):
    data = RNG.standard_normal((64, 200))
    mapped = fd.dmap(slow_rows, shards=32)
    undisturbed = mapped(data)
    pids = list(client.run(os.getpid).values())
    outcome = {}
    runner = threading.Thread(target=lambda: outcome.setdefault("result", mapped(data)))
    runner.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:        # kill once tasks are running on the workers
        if any(client.processing().values()):
            break
        time.sleep(0.01)
    killed_mid_map = "result" not in outcome
    os.kill(pids[0], signal.SIGKILL)
    runner.join(120)
    assert killed_mid_map
    assert not runner.is_alive()
    np.testing.assert_array_equal(outcome["result"], undisturbed)
    expected = data.copy()
    for _ in range(3000):
        expected = np.tanh(expected + 0.5 * np.sin(expected))
    np.testing.assert_allclose(undisturbed, expected, rtol=1e-12, atol=1e-15)
