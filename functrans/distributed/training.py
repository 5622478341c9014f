"""``minimize`` with the data on the workers: each step ships the parameters out and
brings one gradient back."""
from concurrent.futures import CancelledError

import numpy as np

from functrans import optim
from functrans.distributed import cluster
from functrans.distributed.gradients import value_and_grad

__all__ = ["minimize", "persist"]

_CALLER = "functrans.distributed.minimize"
#: how many times a step sends the data again after losing it with a worker
_ATTEMPTS = 4


def _size(data):
    sizes = {len(x) for x in data}
    if len(sizes) != 1:
        raise ValueError(f"{_CALLER}: the arrays of the data have different numbers of examples "
                         f"(axis 0 sizes {[len(x) for x in data]})")
    return sizes.pop()


def persist(data, current, rows):
    """``data`` (a tuple of arrays with the examples along axis 0) as ``dask.array``s cut
    into chunks of ``rows`` examples along axis 0 and held in the workers' memory.

    A ``dask.array`` is rechunked and persisted: Dask keeps how each chunk was made, so a
    chunk lost with its worker is made again. A NumPy array's chunks are scattered from
    the client straight to the workers (round robin), as Dask recommends for data in
    memory; such a chunk has no recipe on the cluster, so ``minimize`` sends the data
    again if a worker dies."""
    import dask.array as da

    arrays = []
    for x in data:
        if type(x).__module__.startswith("dask.array"):
            arrays.append(current.persist(x.rechunk({0: rows})))
            continue
        x = np.asarray(x)
        pieces = [x[start:start + rows] for start in range(0, len(x), rows)]
        futures = current.scatter(pieces, hash=False, direct=cluster.direct(current))
        arrays.append(da.concatenate([da.from_delayed(future, piece.shape, dtype=piece.dtype)
                                      for future, piece in zip(futures, pieces)]))
    return tuple(arrays)


class Batches:
    """Which examples each step takes, as slices or sorted indices of the persisted data.

    Without ``batch_size``: all of them. With it, an epoch is ``size // batch_size``
    batches: consecutive ones, or with ``shuffle``, the consecutive parts of
    ``rng.permutation(size)``, a new permutation each epoch, ``rng`` being
    ``numpy.random.default_rng(seed)``.
    """

    def __init__(self, size, batch_size, shuffle, seed):
        if batch_size is not None and not (isinstance(batch_size, (int, np.integer))
                                           and 1 <= batch_size <= size):
            raise ValueError(f"{_CALLER}: batch_size must be an integer from 1 to the number of "
                             f"examples ({size}), got {batch_size!r}")
        if shuffle and batch_size is None:
            raise ValueError(f"{_CALLER}: shuffle=True needs a batch_size (a full batch is the "
                             "same set of examples in any order)")
        if seed is not None and not shuffle:
            raise ValueError(f"{_CALLER}: seed={seed!r} is used only with shuffle=True")
        self.size, self.batch_size, self.shuffle = size, batch_size, shuffle
        self.per_epoch = size // batch_size if batch_size else 1
        self._rng = np.random.default_rng(seed) if shuffle else None
        self._epoch, self._order = None, None

    def chunk_rows(self, workers):
        """The rows of a persisted chunk: a batch's share per worker for consecutive
        batches (so a batch is whole chunks, and no data moves); a worker's share of all
        the data for shuffled ones (a batch's rows are picked where they lie)."""
        spread = self.size if self.shuffle else (self.batch_size or self.size)
        return -(-spread // max(1, min(workers, spread)))

    def take(self, data, step, workers):
        """The batch of step ``step``, as ``dask.array``s in about ``workers`` equal chunks."""
        if self.batch_size is None:
            return data
        epoch, number = divmod(step, self.per_epoch)
        start = number * self.batch_size
        if not self.shuffle:
            return tuple(x[start:start + self.batch_size] for x in data)
        if epoch != self._epoch:        # steps come in order; a step may be taken again
            self._epoch, self._order = epoch, self._rng.permutation(self.size)
        rows = np.sort(self._order[start:start + self.batch_size])
        share = -(-self.batch_size // max(1, min(workers, self.batch_size)))
        return tuple(x[rows].rechunk({0: share}) for x in data)


def minimize(loss, params, optimizer, steps, *, data, batch_size=None, shuffle=False, seed=None,
             reduce="mean", state=None, shards=None, client=None, progress=True,
             description="distributed minimize"):
    """Minimize ``loss(params, *batch)`` by ``steps`` updates of ``optimizer``, the data
    sharded across a Dask cluster.

    ``data`` is a tuple of NumPy arrays or ``dask.array``s, examples along axis 0: it is
    sent to the workers once and persisted there. Each step takes a batch: the whole data
    (``batch_size=None``), or ``batch_size`` examples. An epoch is ``n // batch_size``
    batches (the last ``n % batch_size`` examples of an epoch are left out): consecutive
    ones, or with ``shuffle=True`` random ones, a new permutation every epoch, the same
    batches as ``rng = numpy.random.default_rng(seed)``, ``order = rng.permutation(n)``
    at the start of each epoch and batch ``k`` = ``order[k * batch_size:(k + 1) *
    batch_size]`` (the examples of a batch in increasing order). A shuffled batch is
    gathered on the workers from where its examples lie; only the few examples needed to
    balance the workers move, and none goes through the client.

    Each step scatters the parameters, lets each worker compute its shard's loss and
    gradient sums, tree-reduces those on the cluster, and updates the parameters on the
    client. ``loss`` averages over the examples (``reduce="mean"``) or sums them
    (``reduce="sum"``). ``shards`` is the number of shards of a batch (default: one per
    worker thread).

    Returns ``functrans.optim.MinimizeResult(params, history, state)``, as
    ``functrans.optim.minimize`` does; ``history[i]`` is the loss before step ``i``.

    >>> result = minimize(cross_entropy, params, optim.adam(1e-3), 100,  # doctest: +SKIP
    ...                   data=(x_train, y_train), batch_size=256, shuffle=True, seed=0)
    """
    from functrans.transforms.jit import jit

    optim.check_minimize_arguments(_CALLER, optimizer, steps)
    data = tuple(data)
    batches = Batches(_size(data), batch_size, shuffle, seed)
    current = cluster.client(client)
    workers = shards or cluster.worker_count(current)
    rows = batches.chunk_rows(workers)
    held = persist(data, current, rows)
    gradient = value_and_grad(loss, reduce, client=current)

    def step_gradient(params, step):
        nonlocal held
        for _ in range(_ATTEMPTS):
            try:
                return gradient(params, *batches.take(held, step, workers))
            except CancelledError:      # scattered chunks lost with a worker: send them again
                held = persist(data, current, rows)
        raise RuntimeError(f"{_CALLER}: the data were lost with their workers {_ATTEMPTS} times "
                           f"in a row at step {step}; the cluster is losing workers (see the "
                           "Dask scheduler's log)")

    @jit
    def update(params, state, grads):
        updates, state = optimizer.update(grads, state, params)
        return optim.apply_updates(params, updates), state

    state = optimizer.init(params) if state is None else state
    with optim.LossHistory(steps, description, progress) as history:
        for step in range(steps):
            value, grads = step_gradient(params, step)
            params, state = update(params, state, grads)
            history.record(value)
    return history.result(params, state)
