"""Matrix operations on stacks (``...×m×n``) written with primitives, for the linalg rules.

The derivative rules of the decompositions (functrans.lax.decompositions) need matrix
products, triangles, diagonals and identities of stacked matrices; these helpers build them
from dot_general, select, broadcast_in_dim and the elementwise primitives, so the rules stay
traceable (second derivatives, vmap, jit) without reaching up into functrans.numpy.
Constant masks and identities are NumPy arrays, closed over as constants.
"""
import numpy as np

from functrans import core
from functrans.lax import elementwise as ew
from functrans.lax.linalg import dot_general
from functrans.lax.reductions import reduce_sum
from functrans.lax.shapes import broadcast_in_dim, full, pad, slice, transpose


def aval(x):
    return core.get_aval(x)


def batch_axes(x):
    return tuple(range(aval(x).ndim - 2))


def conjugate(x):
    """The complex conjugate (the identity on real matrices)."""
    if aval(x).dtype.kind != "c":
        return x
    from functrans.lax import conj  # complex primitives: functrans.lax.complex
    return conj(x)


def real_part(x):
    if aval(x).dtype.kind != "c":
        return x
    from functrans.lax import real
    return real(x)


def matrix_transpose(x):
    order = list(range(aval(x).ndim))
    order[-2], order[-1] = order[-1], order[-2]
    return transpose(x, order)


def adjoint(x):
    """The conjugate transpose of each matrix of the stack."""
    return conjugate(matrix_transpose(x))


def matmul(a, b):
    """Matrix products of two stacks with the same leading (batch) dimensions."""
    ndim = aval(a).ndim
    batch = batch_axes(a)
    return dot_general(a, b, (((ndim - 1,), (ndim - 2,)), (batch, batch)))


def constant_like(x, array):
    """``array`` (a NumPy constant over the last dimensions) broadcast to ``x``'s shape."""
    return np.broadcast_to(np.asarray(array, aval(x).dtype), aval(x).shape)


def triangle(x, lower, k=0):
    """The lower (``j <= i + k``) or upper (``j >= i + k``) triangle, zeros elsewhere."""
    m, n = aval(x).shape[-2:]
    mask = np.tri(m, n, k, dtype=bool) if lower else ~np.tri(m, n, k - 1, dtype=bool)
    mask = np.broadcast_to(mask, aval(x).shape)
    return ew.select(mask, x, full(aval(x).shape, 0, aval(x).dtype))


def identity_like(x):
    m, n = aval(x).shape[-2:]
    return constant_like(x, np.eye(m, n))


def diagonal(x):
    """The main diagonals of a stack of square matrices, shape ``...×n``."""
    return reduce_sum(ew.mul(x, identity_like(x)), (aval(x).ndim - 1,))


def rows(vector, n):
    """``vector[..., None, :]`` repeated over ``n`` rows."""
    shape = aval(vector).shape
    batch = tuple(range(len(shape) - 1))
    return broadcast_in_dim(vector, shape[:-1] + (n, shape[-1]), batch + (len(shape),))


def columns(vector, n):
    """``vector[..., :, None]`` repeated over ``n`` columns."""
    shape = aval(vector).shape
    batch = tuple(range(len(shape) - 1))
    return broadcast_in_dim(vector, shape[:-1] + (shape[-1], n), batch + (len(shape) - 1,))


def diagonal_matrix(vector):
    n = aval(vector).shape[-1]
    square = rows(vector, n)
    return ew.mul(square, identity_like(square))


def hermitian_from_triangle(x, lower):
    """The Hermitian matrix whose strict ``lower`` (or upper) triangle is ``x``'s, with the
    real part of ``x``'s diagonal: what LAPACK's Hermitian routines read of their input."""
    strict = triangle(x, lower, -1 if lower else 1)
    diagonal_part = ew.mul(x, identity_like(x))
    if aval(x).dtype.kind == "c":
        diagonal_part = cast(real_part(diagonal_part), aval(x).dtype)
    return ew.add(ew.add(strict, adjoint(strict)), diagonal_part)


def last_two(x, rows_range, columns_range):
    """``x[..., r0:r1, c0:c1]``."""
    shape = aval(x).shape
    starts = (0,) * (len(shape) - 2) + (rows_range[0], columns_range[0])
    limits = shape[:-2] + (rows_range[1], columns_range[1])
    return slice(x, starts, limits)


def pad_last_two(x, rows_after, columns_after):
    config = [(0, 0, 0)] * (aval(x).ndim - 2) + [(0, rows_after, 0), (0, columns_after, 0)]
    return pad(x, np.zeros((), aval(x).dtype), config)


def cast(x, dtype):
    return x if aval(x).dtype == dtype else ew.convert_element_type(x, dtype)
