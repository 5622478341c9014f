"""Index grids and spaced values: meshgrid, indices, mgrid/ogrid, ix_, tri and the
triangle/diagonal index helpers, logspace, geomspace, diagflat, fill_diagonal,
unravel_index, ravel_multi_index.

Shapes and index sets are static, so most of these are NumPy's own results; the ones
that take values (meshgrid, logspace, diagflat, ...) are traceable in those values.
"""
import numpy as np

from functrans.numpy._dispatch import Tracer, array_operand
from functrans.numpy._eager import numpy_when_eager
from functrans.numpy._promotion import aval
from functrans.numpy._shapes import broadcast_to, ravel, reshape
from functrans.numpy._ufuncs import add, floor_divide, multiply, power, remainder

tri = np.tri
tril_indices = np.tril_indices
triu_indices = np.triu_indices
diag_indices = np.diag_indices
indices = np.indices
mgrid = np.mgrid
ogrid = np.ogrid
mask_indices = np.mask_indices
index_exp = np.index_exp
s_ = np.s_


def tril_indices_from(arr, k=0):
    """NumPy's ``tril_indices_from`` (only ``arr``'s shape is used)."""
    shape = aval(array_operand(arr)).shape
    if len(shape) != 2:
        raise ValueError("input array must be 2-d")
    return np.tril_indices(shape[-2], k=k, m=shape[-1])


def triu_indices_from(arr, k=0):
    """NumPy's ``triu_indices_from`` (only ``arr``'s shape is used)."""
    shape = aval(array_operand(arr)).shape
    if len(shape) != 2:
        raise ValueError("input array must be 2-d")
    return np.triu_indices(shape[-2], k=k, m=shape[-1])


def diag_indices_from(arr):
    """NumPy's ``diag_indices_from`` (only ``arr``'s shape is used)."""
    shape = aval(array_operand(arr)).shape
    if len(shape) < 2 or len(set(shape)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    return np.diag_indices(shape[0], len(shape))


@numpy_when_eager(np.meshgrid)
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """NumPy's ``meshgrid``: coordinate arrays ('xy' swaps the first two axes)."""
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    vectors = [ravel(array_operand(x)) for x in xi]
    ndim = len(vectors)
    shape = [aval(v).shape[0] for v in vectors]
    if indexing == "xy" and ndim > 1:
        shape[0], shape[1] = shape[1], shape[0]
    grids = []
    for position, vector in enumerate(vectors):
        axis = position
        if indexing == "xy" and ndim > 1 and position < 2:
            axis = 1 - position
        along = [1] * ndim
        along[axis] = aval(vector).shape[0]
        grid = reshape(vector, tuple(along))
        grids.append(grid if sparse else broadcast_to(grid, tuple(shape)))
    return tuple(grids)


@numpy_when_eager(np.ix_)
def ix_(*args):
    """NumPy's ``ix_``: open index arrays for outer-product indexing (boolean masks need
    concrete values)."""
    results = []
    for position, vector in enumerate(args):
        vector = array_operand(vector)
        if aval(vector).ndim != 1:
            raise ValueError("Cross index must be 1 dimensional")
        if aval(vector).dtype == np.bool_:
            vector = np.nonzero(np.asarray(vector))[0]
        shape = [1] * len(args)
        shape[position] = aval(vector).shape[0]
        results.append(reshape(vector, tuple(shape)))
    return tuple(results)


@numpy_when_eager(np.logspace)
def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """NumPy's ``logspace``: ``base ** linspace(start, stop)``."""
    from functrans.numpy._creation import linspace
    exponents = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    result = power(base, exponents)
    return result if dtype is None else result.astype(dtype)


@numpy_when_eager(np.geomspace)
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """NumPy's ``geomspace`` for real endpoints of one sign."""
    from functrans.numpy._ufuncs import abs as abs_, log10, sign
    from functrans.numpy._creation import linspace
    for end in (start, stop):
        if not isinstance(end, Tracer) and np.any(np.asarray(end) == 0):
            raise ValueError("Geometric sequence cannot include zero")
    start, stop = array_operand(start), array_operand(stop)
    signs = sign(start)
    exponents = linspace(log10(abs_(start)), log10(abs_(stop)), num=num, endpoint=endpoint,
                         axis=axis)
    result = multiply(signs, power(10.0, exponents))
    # NumPy pins the ends to the exact endpoints.
    from functrans.numpy._indexing import IndexUpdateHelper
    result = IndexUpdateHelper(result)[0].set(start) if aval(result).ndim == 1 and num > 0 \
        else result
    if endpoint and num > 1 and aval(result).ndim == 1:
        result = IndexUpdateHelper(result)[-1].set(stop)
    return result if dtype is None else result.astype(dtype)


@numpy_when_eager(np.diagflat)
def diagflat(v, k=0):
    """NumPy's ``diagflat``: the flattened ``v`` on diagonal ``k`` of a square matrix."""
    from functrans.numpy._diagonals import diag
    return diag(ravel(array_operand(v)), k)


def fill_diagonal(a, val, wrap=False, *, inplace=True):
    """JAX's ``fill_diagonal``: a copy of ``a`` with its main diagonal set to ``val``
    (pass ``inplace=False``; arrays here are values, never modified)."""
    if inplace:
        raise ValueError("fill_diagonal returns a new array: pass inplace=False")
    a = array_operand(a)
    shape = aval(a).shape
    if len(shape) < 2:
        raise ValueError("array must be at least 2-d")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    from functrans.numpy._indexing import IndexUpdateHelper
    if len(shape) == 2:
        rows, columns = shape
        step = columns + 1
        end = rows * columns if wrap else min(rows, columns) * columns
        positions = np.arange(0, end, step)
    else:
        positions = np.ravel_multi_index(np.diag_indices(shape[0], len(shape)), shape)
    values = ravel(array_operand(val)).astype(aval(a).dtype)
    count = len(positions)
    if aval(values).shape[0] != count:
        values = broadcast_to(values, (count,)) if aval(values).shape[0] == 1 else \
            values[np.arange(count) % aval(values).shape[0]]
    return reshape(IndexUpdateHelper(ravel(a))[positions].set(values), shape)


@numpy_when_eager(np.unravel_index)
def unravel_index(indices, shape):  # noqa: F811 (NumPy's parameter name)
    """NumPy's ``unravel_index``: flat positions as coordinate arrays (traced positions
    are not bounds-checked)."""
    indices = array_operand(indices)
    coordinates = []
    remaining = indices
    for size in reversed(tuple(shape)):
        coordinates.append(remainder(remaining, size))
        remaining = floor_divide(remaining, size)
    return tuple(reversed(coordinates))


@numpy_when_eager(np.ravel_multi_index)
def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    """NumPy's ``ravel_multi_index`` in C order ('clip' and 'wrap' modes apply traced)."""
    from functrans.numpy._ufuncs import clip
    if order != "C":
        raise NotImplementedError("ravel_multi_index supports only order='C'")
    flat = 0
    for index, size in zip(multi_index, dims):
        index = array_operand(index)
        if mode == "wrap":
            index = remainder(index, size)
        elif mode == "clip":
            index = clip(index, 0, size - 1)
        flat = add(multiply(flat, size), index)
    return flat
