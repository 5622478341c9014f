"""Diagonals and triangles: diagonal, diag, trace, triu, tril."""
import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from functrans import lax
from functrans.numpy._dispatch import array_operand, is_eager
from functrans.numpy._promotion import aval, broadcast_to_shape
from functrans.numpy._reductions import sum as _sum
from functrans.numpy._shapes import moveaxis


def diagonal(a, offset=0, axis1=0, axis2=1):
    """NumPy's ``diagonal``: the diagonal becomes the last axis.

    Built from static slices: the square block holding the diagonal, flattened,
    has the diagonal at every ``(d + 1)``-th element.
    """
    if is_eager(a):
        return np.diagonal(a, offset, axis1, axis2)
    a = array_operand(a)
    a_ndim = aval(a).ndim
    if a_ndim < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    axis1, axis2 = normalize_axis_index(axis1, a_ndim), normalize_axis_index(axis2, a_ndim)
    if axis1 == axis2:
        raise ValueError("axis1 and axis2 cannot be the same")
    a = moveaxis(a, (axis1, axis2), (-2, -1))
    *batch, rows, columns = aval(a).shape
    if offset >= 0:
        length = max(0, min(rows, columns - offset))
        row_start, column_start = 0, offset
    else:
        length = max(0, min(rows + offset, columns))
        row_start, column_start = -offset, 0
    if length == 0:
        row_start = column_start = 0
    block = lax.slice(a, [0] * len(batch) + [row_start, column_start],
                      batch + [row_start + length, column_start + length])
    flat = lax.reshape(block, tuple(batch) + (length * length,))
    return lax.slice(flat, [0] * (len(batch) + 1), batch + [length * length],
                     [1] * len(batch) + [length + 1])


def trace(a, offset=0, axis1=0, axis2=1, dtype=None):
    """NumPy's ``trace``: the sum of :func:`diagonal`."""
    if is_eager(a):
        return np.trace(a, offset, axis1, axis2, dtype)
    return _sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def diag(v, k=0):
    """NumPy's ``diag``: the ``k``-th diagonal of a matrix, or a matrix with ``v`` on it."""
    if is_eager(v):
        return np.diag(v, k)
    v = array_operand(v)
    v_aval = aval(v)
    if v_aval.ndim == 2:
        return diagonal(v, k)
    if v_aval.ndim != 1:
        raise ValueError("Input must be 1- or 2-d.")
    size = v_aval.shape[0] + abs(k)
    padded = lax.pad(v, v_aval.dtype.type(0), [(0, abs(k), 0)])
    # Above the main diagonal (k >= 0), row i holds v[i]; below it, column j holds v[j].
    spread = lax.broadcast_in_dim(padded, (size, size), (0,) if k >= 0 else (1,))
    return lax.select(np.eye(size, k=k, dtype=bool), spread, lax.full((size, size), 0, v_aval.dtype))


def _triangle(m, mask_of_shape):
    m = array_operand(m)
    m_aval = aval(m)
    if m_aval.ndim < 2:
        m = broadcast_to_shape(m, m_aval.shape * 2 if m_aval.ndim == 1 else (1, 1))
        m_aval = aval(m)
    mask = broadcast_to_shape(mask_of_shape(*m_aval.shape[-2:]), m_aval.shape)
    return lax.select(mask, m, lax.full(m_aval.shape, 0, m_aval.dtype))


def tril(m, k=0):
    """NumPy's ``tril``: zeros above the ``k``-th diagonal."""
    if is_eager(m):
        return np.tril(m, k)
    return _triangle(m, lambda rows, columns: np.tri(rows, columns, k, dtype=bool))


def triu(m, k=0):
    """NumPy's ``triu``: zeros below the ``k``-th diagonal."""
    if is_eager(m):
        return np.triu(m, k)
    return _triangle(m, lambda rows, columns: ~np.tri(rows, columns, k - 1, dtype=bool))
