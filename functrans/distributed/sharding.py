"""Cutting arguments into shards along their mapped axes, and joining the results.

``in_axes`` follows ``vmap``: an int or None for every argument, or a tuple/list/dict
prefix of the arguments' structure; keyword arguments are mapped over axis 0.
"""
import inspect

import numpy as np

from functrans import core, tree

__all__ = ["MappedArguments", "leaf_axes", "rebuild", "shard_bounds"]


def _is_axis(value):
    return value is None or isinstance(value, (int, np.integer))


def leaf_axes(axes, values, what, caller):
    """One axis (int or None) per leaf of ``values``, from the prefix pytree ``axes``."""
    if isinstance(axes, list):
        axes = tuple(axes)
    expanded = []

    def expand(axis, subtree):
        if not _is_axis(axis):
            raise TypeError(f"{caller}: {what} must hold ints or None, got {axis!r}")
        expanded.extend([None if axis is None else int(axis)] * len(tree.leaves(subtree)))

    try:
        tree.map(expand, axes, values, is_leaf=lambda node: node is None)
    except ValueError as mismatch:
        raise ValueError(f"{caller}: {what}={axes!r} does not match the structure of the values "
                         f"{tree.structure(values)}: give one axis (an int or None) per "
                         f"argument, or one int for all ({mismatch})") from None
    return expanded


def _argument_labels(function, args, kwargs):
    try:
        parameters = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        parameters = []
    labels = []
    for index, argument in enumerate(args):
        name = f" ({parameters[index]!r})" if index < len(parameters) else ""
        labels += [f"argument {index}{name}"] * len(tree.leaves(argument))
    for key in sorted(kwargs):
        labels += [f"keyword argument {key!r}"] * len(tree.leaves(kwargs[key]))
    return labels


class MappedArguments:
    """The flattened arguments of one call: which leaves are mapped, along which axis,
    and the common size of the mapped axis. Arrays stay NumPy or ``dask.array``."""

    def __init__(self, function, args, kwargs, in_axes, caller):
        self.leaves, self.treedef = tree.flatten((tuple(args), dict(kwargs)))
        self.labels = _argument_labels(function, args, kwargs)
        self.axes = leaf_axes(in_axes, tuple(args), "in_axes", caller) + [0] * len(
            tree.leaves(dict(kwargs)))
        for leaf, label in zip(self.leaves, self.labels):
            if isinstance(leaf, core.Tracer):
                raise TypeError(
                    f"{caller}: {label} is a traced value: {caller} runs on Dask workers and "
                    "cannot be used inside jit, grad or vmap. Apply the transforms inside: "
                    "dmap(grad(f)), or functrans.distributed.value_and_grad for gradients")
        sizes = {}
        for index, (leaf, axis, label) in enumerate(zip(self.leaves, self.axes, self.labels)):
            if axis is None:
                continue
            if not _is_dask_array(leaf):
                leaf = self.leaves[index] = np.asarray(leaf)
            if not -leaf.ndim <= axis < leaf.ndim:
                raise ValueError(f"{caller}: in_axes={axis} is out of range for {label} of shape "
                                 f"{leaf.shape}")
            self.axes[index] = axis % leaf.ndim
            sizes.setdefault(leaf.shape[self.axes[index]], []).append(label)
        if not sizes:
            raise ValueError(f"{caller}: no argument is mapped: give at least one argument an "
                             "integer in_axes")
        if len(sizes) > 1:
            detail = "; ".join(f"size {size}: {', '.join(labels)}" for size, labels in sizes.items())
            raise ValueError(f"{caller}: the mapped axes have different sizes ({detail}); every "
                             "mapped argument needs the same size along its in_axes")
        self.size = next(iter(sizes))
        if self.size == 0:
            raise ValueError(f"{caller}: the mapped axis has size 0 ({', '.join(sizes[0])}): "
                             "there is nothing to map over")

    @property
    def mapped(self):
        return [i for i, axis in enumerate(self.axes) if axis is not None]

    @property
    def unmapped(self):
        return [i for i, axis in enumerate(self.axes) if axis is None]

    def any_dask(self):
        return any(_is_dask_array(self.leaves[i]) for i in self.mapped)

    def shard(self, start, stop):
        """The mapped leaves, cut to examples ``start:stop`` (NumPy views)."""
        return [self.leaves[i][(slice(None),) * self.axes[i] + (slice(start, stop),)]
                for i in self.mapped]

    def dask_blocks(self):
        """``(chunks, blocks)`` for arguments with a ``dask.array`` among the mapped ones:
        the chunk sizes along the mapped axis (the first dask argument's) and, per chunk,
        the mapped leaves' blocks as ``Delayed`` values (NumPy leaves cut to match, other
        axes in one chunk each)."""
        import dask.array as da

        reference = next(i for i in self.mapped if _is_dask_array(self.leaves[i]))
        chunks = self.leaves[reference].chunks[self.axes[reference]]
        columns = []
        for index in self.mapped:
            leaf, axis = self.leaves[index], self.axes[index]
            if not _is_dask_array(leaf):
                leaf = da.from_array(leaf, chunks=-1)
            wanted = tuple(chunks if a == axis else (size,) for a, size in enumerate(leaf.shape))
            if leaf.chunks != wanted:
                leaf = leaf.rechunk(wanted)
            # not optimized here: the graph is optimized once, when the tasks are computed
            blocks = leaf.to_delayed(optimize_graph=False)
            columns.append(np.moveaxis(blocks, axis, 0).reshape(len(chunks), -1)[:, 0])
        return chunks, [[column[number] for column in columns] for number in range(len(chunks))]

    def rebuild(self, mapped_leaves, unmapped_leaves):
        return rebuild(self.treedef, self.axes, mapped_leaves, unmapped_leaves)


def rebuild(treedef, axes, mapped_leaves, unmapped_leaves):
    """``(args, kwargs)`` from the mapped and unmapped leaves, in their original places."""
    mapped_leaves, unmapped_leaves = iter(mapped_leaves), iter(unmapped_leaves)
    leaves = [next(unmapped_leaves) if axis is None else next(mapped_leaves) for axis in axes]
    return tree.unflatten(treedef, leaves)


def _is_dask_array(value):
    return type(value).__module__.startswith("dask.array")


def shard_bounds(size, shards):
    """``[(start, stop), ...]``: ``size`` examples in ``min(shards, size)`` near-equal parts,
    the larger parts first (so at most two shard shapes, and so two compiles)."""
    count = max(1, min(int(shards), size))
    edges = np.linspace(0, size, count + 1).round().astype(int)
    sizes = sorted(np.diff(edges), reverse=True)
    edges = np.concatenate([[0], np.cumsum(sizes)])
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]

