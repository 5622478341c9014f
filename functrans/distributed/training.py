"""``minimize`` with the data on the workers: each step ships the parameters out and
brings one gradient back."""
import numpy as np

from functrans import optim
from functrans.distributed import cluster
from functrans.distributed.gradients import value_and_grad

__all__ = ["minimize", "persist"]


def persist(data, current, shards=None, batch_size=None):
    """``data`` (a tuple of arrays with the examples along axis 0) as ``dask.array``s cut
    into shards along axis 0 and persisted in the workers' memory. Dask keeps how each
    shard was made, so a shard lost with its worker is made again."""
    import dask.array as da

    data = tuple(data)
    sizes = {len(x) for x in data}
    if len(sizes) != 1:
        raise ValueError("functrans.distributed.minimize: the arrays of the data have different "
                         f"numbers of examples (axis 0 sizes {[len(x) for x in data]})")
    size = sizes.pop()
    if batch_size is not None and not (isinstance(batch_size, (int, np.integer))
                                       and 1 <= batch_size <= size):
        raise ValueError("functrans.distributed.minimize: batch_size must be an integer from 1 "
                         f"to the number of examples ({size}), got {batch_size!r}")
    batch = batch_size or size
    count = max(1, min(shards or cluster.worker_count(current), batch))
    rows = -(-batch // count)
    arrays = []
    for x in data:
        if type(x).__module__.startswith("dask.array"):
            arrays.append(x.rechunk({0: rows}))
        else:
            x = np.asarray(x)
            arrays.append(da.from_array(x, chunks=(rows,) + x.shape[1:]))
    return tuple(current.persist(arrays))


def minimize(loss, params, optimizer, steps, *, data, batch_size=None, reduce="mean",
             state=None, shards=None, client=None, progress=True,
             description="distributed minimize"):
    """Minimize ``loss(params, *batch)`` by ``steps`` updates of ``optimizer``, the data
    sharded across a Dask cluster.

    ``data`` is a tuple of NumPy arrays or ``dask.array``s, examples along axis 0: it is
    sent to the workers once and persisted there. Each step takes the whole data
    (``batch_size=None``) or its next ``batch_size`` consecutive examples (from the start
    again after the last full batch), scatters the parameters, lets each worker compute
    its shard's loss and gradient sums, tree-reduces those on the cluster, and updates the
    parameters on the client. ``loss`` averages over the examples (``reduce="mean"``) or
    sums them (``reduce="sum"``).

    Returns ``functrans.optim.MinimizeResult(params, history, state)``, as
    ``functrans.optim.minimize`` does; ``history[i]`` is the loss before step ``i``.

    >>> result = minimize(cross_entropy, params, optim.adam(1e-3), 100,  # doctest: +SKIP
    ...                   data=(x_train, y_train))
    """
    from functrans.transforms.jit import jit

    optim.check_minimize_arguments("functrans.distributed.minimize", optimizer, steps)
    current = cluster.client(client)
    data = persist(data, current, shards, batch_size)
    batches_per_epoch = len(data[0]) // batch_size if batch_size else 1
    gradient = value_and_grad(loss, reduce, client=current)

    @jit
    def update(params, state, grads):
        updates, state = optimizer.update(grads, state, params)
        return optim.apply_updates(params, updates), state

    state = optimizer.init(params) if state is None else state
    with optim.LossHistory(steps, description, progress) as history:
        for step in range(steps):
            if batch_size is None:
                batch = data
            else:
                start = (step % batches_per_epoch) * batch_size
                batch = tuple(x[start:start + batch_size] for x in data)
            value, grads = gradient(params, *batch)
            params, state = update(params, state, grads)
            history.record(value)
    return history.result(params, state)
