"""Calling a kernel over packed leaves with one value per leaf, and back.

A kernel rewritten by functrans.lowering.leaf_batching takes the leaves of one form as one
array (stacked along a new leading axis) and returns packed results the same way. Its
callers still pass and expect one value per leaf. Packing is one ``np.concatenate`` per pack,
or, for leaves known to have the signature's shapes and dtypes, one ``bytearray.join`` of
their bytes (a third of concatenate's cost per leaf); unpacking takes views of the packed
results, and both pick their leaves with one ``operator.itemgetter``, so a call costs little
per leaf beyond NumPy's own per-array work.
"""
import math
import operator

import numpy as np


class LeafPacking:
    """How one-per-leaf arguments become a packed kernel's arguments, and its results the
    one-per-leaf outputs.

    ``inputs`` has one entry per kernel parameter: ``("argument", i)`` (argument ``i`` as
    it is), ``("pack", indices, aval)`` (the arguments at ``indices``, each of abstract value
    ``aval``, stacked) or
    ``("constant", value)``. ``outputs`` has one entry per output: its position among the
    kernel's results flattened, the first ``plain_count`` results as they are, then the
    members of each later (packed) result in order.
    """

    def __init__(self, inputs, outputs, plain_count):
        self.inputs = inputs
        self.outputs = outputs
        self.plain_count = plain_count
        self._getters = [_getter(spec, checked=False) for spec in inputs]
        self._checked_getters = [_getter(spec, checked=True) for spec in inputs]
        self._select = operator.itemgetter(*outputs) if len(outputs) != 1 else (
            lambda flat, position=outputs[0]: [flat[position]])

    def pack(self, args):
        """The kernel's arguments for the function's arguments ``args``."""
        return [get(args) for get in self._getters]

    def pack_checked(self, args):
        """:meth:`pack` for arguments known to have the shapes and dtypes the packing was
        made for (jit checked them against the signature): their bytes are joined as they
        are, never cast."""
        return [get(args) for get in self._checked_getters]

    def unpack(self, results):
        """The function's outputs for the kernel's ``results``."""
        plain = self.plain_count
        flat = list(results[:plain])
        for packed in results[plain:]:
            flat.extend(packed)
        return list(self._select(flat))


def _getter(spec, checked):
    kind = spec[0]
    if kind == "argument":
        return operator.itemgetter(spec[1])
    if kind == "constant":
        value = spec[1]
        return lambda args: value
    _, indices, aval = spec
    select = operator.itemgetter(*indices)
    dtype, shape = aval.dtype, (len(indices), *aval.shape)
    if not aval.shape:  # numbers and 0-d arrays: one conversion
        return lambda args: np.array(select(args), dtype=dtype)

    def concatenate(args):
        # concatenated along the first axis and viewed as (count, *shape): no per-leaf view,
        # three times faster than np.stack
        return np.concatenate(select(args), dtype=dtype).reshape(shape)
    if not checked:
        return concatenate
    size = math.prod(shape) * dtype.itemsize

    def join(args):
        try:
            data = bytearray().join(select(args))
        except (TypeError, BufferError):  # a leaf that is not C-contiguous
            return concatenate(args)
        if len(data) != size:  # never, for leaves of the packing's shapes and itemsizes
            return concatenate(args)
        return np.frombuffer(data, dtype).reshape(shape)
    return join
