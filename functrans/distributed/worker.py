"""What runs on a worker: build a program's transformed function once per process,
compile it once per machine, run it on a shard, and report a failure with the user's
frames rather than Dask's.

Every task here is a pure function of its inputs, so Dask may rerun it on another worker
(after a worker dies) and get the same bits.
"""
import hashlib
import os
import traceback

import cloudpickle
import numpy as np

import functrans
from functrans import tree
from functrans.config import config
from functrans.lowering import disk_cache
from functrans.distributed.sharding import rebuild

__all__ = ["WorkerError", "run_map_shard", "run_value_and_grad_shard", "add_trees"]

#: program token -> its transformed (jitted) function, built once per worker process
_functions = {}
#: (token, shapes and dtypes) already run in this process, so compiled or loaded
_signatures = set()
_LIBRARY_DIRS = tuple(os.path.dirname(os.path.abspath(module.__file__)) for module in
                      (functrans, os, cloudpickle))


class WorkerError(Exception):
    """A user's function failed on a worker: ``args`` are the exception (or a stand-in, if it
    cannot be pickled), which shard failed, and its traceback, the user's frames only."""

    def __str__(self):
        original, where, text = self.args
        return f"{type(original).__name__} on a Dask worker ({where}):\n{text}"


def _build(transform, function, options):
    if transform == "map":
        return functrans.jit(functrans.vmap(function, options["in_axes"], options["out_axes"]))
    if transform == "value_and_grad":
        return functrans.jit(functrans.value_and_grad(function, argnums=options["argnums"],
                                                      has_aux=options["has_aux"]))
    raise ValueError(f"unknown distributed transform {transform!r}")


def _function(program):
    function = _functions.get(program.token)
    if function is None:
        transform, user_function, options = cloudpickle.loads(program.function_bytes)
        function = _functions[program.token] = _build(transform, user_function, options)
    return function


def _compile_lock(key):
    """Held around a signature's first call, so that of the worker processes on one machine
    one compiles the kernel into the disk cache and the others load it from there."""
    os.makedirs(config.cache_dir, exist_ok=True)
    return disk_cache.file_lock(f"distributed-{key}.lock")


def _user_traceback(error):
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if not os.path.abspath(frame.filename).startswith(_LIBRARY_DIRS)
              and "site-packages" not in frame.filename]
    lines = traceback.format_list(frames)
    lines += traceback.format_exception_only(type(error), error)
    return "".join(lines)


def _picklable_error(error):
    try:
        cloudpickle.loads(cloudpickle.dumps(error))
        return error
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")


def _run(program, shard_number, shard_count, args, kwargs):
    function = _function(program)
    leaves = tree.leaves((args, kwargs))
    signature = (program.token, tuple((np.shape(x), np.result_type(x).str) for x in leaves))
    try:
        if signature in _signatures:
            return function(*args, **kwargs)
        key = hashlib.sha256(repr(signature).encode()).hexdigest()[:24]
        with _compile_lock(key):
            # the kernel itself, not jit's interpreter tier with a compile in the background:
            # the lock then covers the compile, and no task competes with a compile thread
            function.lower(*args, **kwargs).compile()
        _signatures.add(signature)
        return function(*args, **kwargs)
    except Exception as error:
        where = f"shard {shard_number + 1} of {shard_count}"
        raise WorkerError(_picklable_error(error), where, _user_traceback(error)) from None


def run_map_shard(program, shard_number, shard_count, mapped_leaves):
    """``jit(vmap(f))`` on one shard: the output as a list of leaves and its structure."""
    unmapped_leaves, treedef, axes = program.shared()
    args, kwargs = rebuild(treedef, axes, mapped_leaves, unmapped_leaves)
    output = _run(program, shard_number, shard_count, args, kwargs)
    leaves, structure = tree.flatten(output)
    return [np.asarray(leaf) for leaf in leaves], structure


def run_value_and_grad_shard(program, shard_number, shard_count, mapped_leaves, weight):
    """One shard's ``(value, grads)`` (``((value, aux), grads)`` with ``has_aux``), every
    leaf multiplied by ``weight`` (the shard's share)."""
    unmapped_leaves, treedef, axes = program.shared()
    args, kwargs = rebuild(treedef, axes, mapped_leaves, unmapped_leaves)
    result = _run(program, shard_number, shard_count, args, kwargs)
    return tree.map(lambda x: np.asarray(x) * weight, result)


def add_trees(*trees):
    """The sum of pytrees of arrays of one structure (a node of the reduction tree)."""
    return tree.map(lambda *xs: sum(xs[1:], np.asarray(xs[0]).copy()), *trees)
