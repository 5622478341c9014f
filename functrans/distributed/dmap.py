"""``dmap``: ``vmap``'s contract, run across the workers of a Dask cluster."""
import functools
import operator

import numpy as np

from functrans import tree
from functrans.distributed import cluster
from functrans.distributed.scattered import ShardTasks
from functrans.distributed.sharding import MappedArguments, leaf_axes, shard_bounds
from functrans.distributed.shipping import send_program
from functrans.distributed.worker import run_map_shard

__all__ = ["dmap"]


def dmap(function, in_axes=0, out_axes=0, *, shards=None, client=None):
    """``function`` mapped over an axis of its arguments, on the workers of a Dask cluster.

    The contract is ``vmap``'s (``in_axes``, ``out_axes``, pytrees in and out). The mapped
    axis is cut into ``shards`` parts (default: one per worker thread, fewer if the axis is
    shorter); each part is one task that runs ``jit(vmap(function))`` on a worker, and
    the parts' results are joined along ``out_axes``. Unmapped arguments (``in_axes=None``)
    and the function are pickled once per call and sent to each worker once.

    NumPy inputs give NumPy outputs: the shards are scattered from the client to the
    workers and the results gathered back, worker to client (a shard lost with its worker
    is sent again). If a mapped argument is a ``dask.array``, its chunks along the mapped
    axis are the shards and the result is a lazy ``dask.array``: data larger than memory
    streams through the workers. Prefer that for large data and a cheap ``f``: moving
    NumPy data in and out costs more than a memory-bound ``f`` saves (see
    ``benchmarks/distributed.py``); persisted ``dask.array``s in, and the result persisted
    or reduced on the cluster, keep the data where it is.

    ``client`` is the ``dask.distributed.Client`` to use (default: see
    ``functrans.distributed.client``).

    >>> per_example = dmap(functrans.grad(loss), in_axes=(None, 0, 0))    # doctest: +SKIP
    >>> grads = per_example(w, X, Y)                                     # doctest: +SKIP
    """
    caller = "functrans.distributed.dmap"
    if shards is not None and (not isinstance(shards, (int, np.integer)) or shards < 1):
        raise ValueError(f"{caller}: shards must be an integer >= 1, got {shards!r}")
    options = {"in_axes": tuple(in_axes) if isinstance(in_axes, list) else in_axes,
               "out_axes": out_axes}

    @functools.wraps(function)
    def mapped(*args, **kwargs):
        arguments = MappedArguments(function, args, kwargs, in_axes, caller)
        current = cluster.client(client)
        if arguments.any_dask():
            return _lazy_map(current, function, options, arguments, caller)
        program = send_program(current, "map", function, options, arguments, caller)
        bounds = shard_bounds(arguments.size, shards or cluster.worker_count(current))
        tasks = ShardTasks(current, run_map_shard, program, arguments, bounds)
        outputs = [tree.unflatten(structure, leaves)
                   for leaves, structure in tasks.gather(caller)]
        return _join(outputs, out_axes, caller)

    return mapped


def _join(outputs, out_axes, caller):
    first = outputs[0]
    axes = leaf_axes(out_axes, first, "out_axes", caller)
    parts = [tree.leaves(output) for output in outputs]
    joined = []
    for index, axis in enumerate(axes):
        pieces = [shard[index] for shard in parts]
        if axis is None:
            joined.append(pieces[0])
            continue
        if not -pieces[0].ndim <= axis < pieces[0].ndim:
            raise ValueError(f"{caller}: out_axes={axis} is out of range for output {index} "
                             f"with {pieces[0].ndim} dimensions")
        joined.append(np.concatenate(pieces, axis=axis))
    return tree.unflatten(tree.structure(first), joined)


def _lazy_map(current, function, options, arguments, caller):
    """The map of ``dask.array`` inputs, as lazy ``dask.array`` outputs: one task per chunk
    of the mapped axis (NumPy inputs are cut to the same chunks)."""
    import dask
    import dask.array as da

    chunks, blocks = arguments.dask_blocks()
    structure, out_avals = _output_types(function, options, arguments, caller)
    program = send_program(current, "map", function, options, arguments, caller)
    results = [dask.delayed(run_map_shard, pure=True)(program, number, len(chunks), shard)
               for number, shard in enumerate(blocks)]
    axes = leaf_axes(options["out_axes"], tree.unflatten(structure, out_avals), "out_axes", caller)
    outputs = []
    for index, (aval, axis) in enumerate(zip(out_avals, axes)):
        pieces = []
        for number, rows in enumerate(chunks):
            shape = list(aval.shape)
            if axis is not None:
                shape[axis % len(shape)] = rows
            leaf = dask.delayed(operator.getitem, pure=True)(
                dask.delayed(operator.getitem, pure=True)(results[number], 0), index)
            pieces.append(da.from_delayed(leaf, tuple(shape), dtype=aval.dtype))
        outputs.append(pieces[0] if axis is None else
                       da.concatenate(pieces, axis=axis % len(aval.shape)))
    return tree.unflatten(structure, outputs)


def _output_types(function, options, arguments, caller):
    """The output structure and each output's aval, traced on the client with one-example
    stand-ins of the mapped arguments (so a mapped output's axis has size 1 here)."""
    import functrans

    examples = []
    for index in arguments.mapped:
        leaf, axis = arguments.leaves[index], arguments.axes[index]
        shape = list(leaf.shape)
        shape[axis] = 1
        examples.append(np.zeros(shape, leaf.dtype))
    unmapped = [arguments.leaves[i] for i in arguments.unmapped]
    args, kwargs = arguments.rebuild(examples, unmapped)
    batched = functrans.vmap(function, options["in_axes"], options["out_axes"])
    structures = []

    def flat(*args, **kwargs):
        leaves, structure = tree.flatten(batched(*args, **kwargs))
        structures.append(structure)
        return leaves

    ir = functrans.make_jaxpr(flat)(*args, **kwargs)
    return structures[0], list(ir.out_avals)
