"""What travels to the workers, pickled once per call, and clear errors for what cannot.

Dask moves functions and data between processes with (cloud)pickle. A ``Program`` holds
the pickled function (with the transform to apply to it) and the pickled unmapped
arguments; ``send_program`` scatters it to every worker once per call, so a shard's task
carries only its shard. An object that cannot be pickled is named, with the argument or
closure variable that holds it.
"""
import hashlib
import inspect
import pickle

import cloudpickle

from functrans import tree
from functrans.distributed import cluster

__all__ = ["Program", "pickled", "send_program"]


class Program:
    """A function and the values every shard shares, pickled.

    ``token`` names the function and its transform (not the shared values), so each
    worker builds and compiles the transformed function once per token.
    """

    def __init__(self, function_bytes, shared_bytes):
        self.function_bytes = function_bytes
        self.shared_bytes = shared_bytes
        self.token = hashlib.sha256(function_bytes).hexdigest()[:24]
        self._shared = None

    def __getstate__(self):
        return {"function_bytes": self.function_bytes, "shared_bytes": self.shared_bytes,
                "token": self.token}

    def __setstate__(self, state):
        self.__dict__.update(state, _shared=None)

    def shared(self):
        """The shared values, unpickled once per worker (the scattered copy is reused)."""
        if self._shared is None:
            self._shared = cloudpickle.loads(self.shared_bytes)
        return self._shared


def send_program(current, transform, function, options, arguments, caller):
    """Pickle ``function`` (with its transform) and the unmapped arguments of ``arguments``
    (a ``MappedArguments``) once, and scatter them to every worker: a future of the
    ``Program``."""
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
                               hash=False, direct=cluster.direct(current))
    return future


def pickled(value, describe, caller):
    """``cloudpickle.dumps(value)``, or a TypeError naming what cannot be pickled.

    ``describe`` says what ``value`` is to the user ("the function f", "argument 1").
    """
    try:
        return cloudpickle.dumps(value)
    except Exception as error:
        where, culprit = _find_unpicklable(value, describe, depth=4) or (describe, value)
        raise TypeError(
            f"{caller}: {where} cannot be sent to the Dask workers: it is a "
            f"{type(culprit).__module__}.{type(culprit).__qualname__} object, which cannot be "
            f"pickled ({type(error).__name__}: {error}). Workers are separate processes that "
            "receive functions and arguments by cloudpickle; create such an object inside the "
            "function, on the worker, instead of passing it or closing over it") from None


def _picklable(value):
    try:
        cloudpickle.dumps(value)
        return True
    except Exception:
        return False


def _children(value, describe):
    """``(description, child)`` for the parts of ``value`` that pickling visits."""
    if inspect.isfunction(value):
        name = value.__qualname__
        code = value.__code__
        for variable, cell in zip(code.co_freevars, value.__closure__ or ()):
            try:
                yield f"`{variable}`, closed over by the function {name}", cell.cell_contents
            except ValueError:          # an empty cell
                continue
        for variable in code.co_names:
            if variable in value.__globals__:
                yield f"the global `{variable}` used by the function {name}", \
                    value.__globals__[variable]
        for index, default in enumerate(value.__defaults__ or ()):
            yield f"default {index} of the function {name}", default
        return
    if inspect.ismethod(value):
        yield f"the object {describe} is a method of", value.__self__
        return
    if hasattr(value, "func") and hasattr(value, "args"):          # functools.partial
        yield f"the function of {describe}", value.func
        for index, argument in enumerate(value.args):
            yield f"bound argument {index} of {describe}", argument
        return
    leaves_with_paths = _leaves_with_paths(value)
    if leaves_with_paths is not None:
        for path, leaf in leaves_with_paths:
            yield f"the leaf {path} of {describe}", leaf
        return
    if hasattr(value, "__dict__") and not isinstance(value, type):
        for attribute, child in vars(value).items():
            yield f"attribute `{attribute}` of {describe}", child


def _leaves_with_paths(value):
    leaves, treedef = tree.flatten(value)
    if treedef == tree.structure(0):
        return None                      # a leaf: no pytree children
    paths = _paths(value)
    return list(zip(paths, leaves)) if len(paths) == len(leaves) else None


def _paths(value, prefix=""):
    if isinstance(value, dict):
        return [p for key in sorted(value, key=repr) for p in _paths(value[key], f"{prefix}[{key!r}]")]
    if isinstance(value, (list, tuple)):
        return [p for index, item in enumerate(value) for p in _paths(item, f"{prefix}[{index}]")]
    if value is None:
        return []
    return [prefix or "(the whole value)"]


def _find_unpicklable(value, describe, depth):
    """``(description, object)`` of the innermost part of ``value`` that cannot be pickled."""
    if depth == 0:
        return None
    try:
        children = list(_children(value, describe))
    except Exception:
        return None
    for child_description, child in children:
        if isinstance(child, type(pickle)) or _picklable(child):     # modules pickle by name
            continue
        return _find_unpicklable(child, child_description, depth - 1) or (child_description, child)
    return None
