"""``dmap``: ``vmap``'s contract, run across the workers of a Dask cluster."""
import functools
import operator
import warnings

import numpy as np

from functrans import tree
from functrans.distributed import cluster, failures
from functrans.distributed.sharding import MappedArguments, leaf_axes, shard_bounds
from functrans.distributed.shipping import Program, pickled
from functrans.distributed.worker import run_map_shard

__all__ = ["dmap", "send_program", "submit_shards"]


def send_program(current, transform, function, options, arguments, caller):
    """Pickle ``function`` (with its transform) and the unmapped arguments once, and
    scatter them to every worker: a future of the ``Program``."""
    name = getattr(function, "__qualname__", None) or type(function).__name__
    function_bytes = pickled((transform, function, options), f"the function {name}", caller)
    unmapped = [arguments.leaves[i] for i in arguments.unmapped]
    shared = (unmapped, arguments.treedef, arguments.axes)
    try:
        shared_bytes = pickled(shared, "the unmapped arguments", caller)
    except TypeError:           # name the argument that holds the culprit
        for index in arguments.unmapped:
            pickled(arguments.leaves[index], arguments.labels[index], caller)
        raise
    [future] = current.scatter([Program(function_bytes, shared_bytes)], broadcast=True,
                               hash=False)
    return future


def submit_shards(current, task, program, arguments, bounds, weights=None):
    """One task per shard of NumPy arguments, each carrying its shard: a future each.

    The shards travel inside the tasks (through the scheduler), not as scattered data, so
    that the scheduler can rerun a task whose worker died; Dask's warning about large task
    graphs is silenced here because the data has no other way to the workers."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sending large graph")
        return [current.submit(task, program, number, len(bounds), arguments.shard(start, stop),
                               *([] if weights is None else [weights[number]]), pure=False)
                for number, (start, stop) in enumerate(bounds)]


def dmap(function, in_axes=0, out_axes=0, *, shards=None, client=None):
    """``function`` mapped over an axis of its arguments, on the workers of a Dask cluster.

    The contract is ``vmap``'s (``in_axes``, ``out_axes``, pytrees in and out). The mapped
    axis is cut into ``shards`` parts (default: one per worker thread, fewer if the axis is
    shorter); each part is one task that runs ``jit(vmap(function))`` on a worker, and
    the parts' results are joined along ``out_axes``. Unmapped arguments (``in_axes=None``)
    and the function are pickled once per call and sent to each worker once.

    NumPy inputs give NumPy outputs. If a mapped argument is a ``dask.array``, its chunks
    along the mapped axis are the shards and the result is a lazy ``dask.array``: data
    larger than memory streams through the workers. Prefer that for large data: NumPy
    inputs and outputs travel through the client and the scheduler, which costs more than
    a cheap ``f`` saves (see ``benchmarks/distributed.py``); persisted ``dask.array``s in,
    and the result persisted or reduced on the cluster, keep the data where it is.

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
        futures = submit_shards(current, run_map_shard, program, arguments, bounds)
        outputs = [tree.unflatten(structure, leaves)
                   for leaves, structure in failures.gather(current, futures, caller)]
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
