"""Data-parallel ``value_and_grad``: shard sums on the workers, tree-reduced there."""
from functrans import tree
from functrans.distributed import cluster, failures
from functrans.distributed.scattered import ShardTasks
from functrans.distributed.sharding import MappedArguments, shard_bounds
from functrans.distributed.shipping import send_program
from functrans.distributed.worker import add_trees, run_value_and_grad_shard

__all__ = ["value_and_grad"]

_REDUCTIONS = ("mean", "sum")


def value_and_grad(loss, reduce="mean", *, argnums=0, has_aux=False, in_axes=None, shards=None,
                   client=None):
    """``functrans.value_and_grad(loss, argnums, has_aux)`` over a batch sharded across a
    Dask cluster.

    ``loss(params, *batch)`` returns a scalar: the mean over the batch's examples
    (``reduce="mean"``) or their sum (``reduce="sum"``). By default the arguments at
    ``argnums`` are sent whole to every worker and every other argument is a batch cut
    along axis 0 (``in_axes`` as in ``dmap`` says otherwise). Each worker computes its
    shard's sum of loss and gradient; the sums are added pairwise on the cluster, and the
    client receives one ``(value, grads)``, equal to the single-process
    ``functrans.value_and_grad`` within rounding. Batches may be NumPy arrays or
    ``dask.array``s (their chunks are the shards; persist them to keep them on the workers).

    With ``has_aux=True``, ``loss`` returns ``(value, aux)`` and the result is
    ``((value, aux), grads)``, as with JAX's ``value_and_grad``. ``aux`` (a pytree of
    arrays) is reduced as the loss is: each shard's aux, weighted by its examples for
    "mean", summed over the shards. So an aux that is itself a batch mean or sum (an
    accuracy, a count of errors, a term of the loss) equals the single-process one; an aux
    that is not (a maximum, per-example predictions) is not, and belongs in ``dmap``.

    >>> value, grads = value_and_grad(cross_entropy)(params, x, y)     # doctest: +SKIP
    >>> (value, accuracy), grads = value_and_grad(loss_and_accuracy, has_aux=True)(
    ...     params, x, y)                                              # doctest: +SKIP
    """
    caller = "functrans.distributed.value_and_grad"
    if reduce not in _REDUCTIONS:
        raise ValueError(f"{caller}: reduce must be 'mean' or 'sum', got {reduce!r}")
    numbers = (argnums,) if isinstance(argnums, int) else tuple(argnums)

    def evaluate(*args):
        axes = in_axes if in_axes is not None else tuple(
            None if number in numbers else 0 for number in range(len(args)))
        arguments = MappedArguments(loss, args, {}, axes, caller)
        current = cluster.client(client)
        options = {"argnums": argnums, "has_aux": bool(has_aux)}
        program = send_program(current, "value_and_grad", loss, options, arguments, caller)
        total = _reduced(current, program, arguments, shards, reduce, caller)
        return tree.map(lambda x: x / arguments.size, total) if reduce == "mean" else total

    return evaluate


def _reduced(current, program, arguments, shards, reduce, caller):
    """The sum over the shards of each shard's ``(value, grads)`` times its weight (its
    rows for "mean"), reduced on the cluster and brought to the client."""
    if arguments.any_dask():
        import dask

        chunks, blocks = arguments.dask_blocks()
        tasks = [dask.delayed(run_value_and_grad_shard, pure=True)(
            program, number, len(chunks), shard, rows if reduce == "mean" else 1)
            for number, (rows, shard) in enumerate(zip(chunks, blocks))]
        return failures.gather(current, _tree_sum(current, current.compute(tasks)), caller)
    bounds = shard_bounds(arguments.size, shards or cluster.worker_count(current))
    weights = [(stop - start if reduce == "mean" else 1,) for start, stop in bounds]
    tasks = ShardTasks(current, run_value_and_grad_shard, program, arguments, bounds, weights)
    return tasks.gather(caller, combine=lambda partials: _tree_sum(current, partials))


def _tree_sum(current, futures):
    """One future of the sum of ``futures``' pytrees, added pairwise on the cluster."""
    while len(futures) > 1:
        paired = [current.submit(add_trees, *futures[i:i + 2], pure=False)
                  for i in range(0, len(futures) - 1, 2)]
        futures = paired + ([futures[-1]] if len(futures) % 2 else [])
    return futures[0]
