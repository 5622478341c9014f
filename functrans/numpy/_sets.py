"""Set operations: isin, and union1d/intersect1d/setdiff1d/setxor1d (traced with a
static ``size``, as :func:`unique`), and the array API's unique_* forms."""
import numpy as np

from functrans.numpy._dispatch import array_operand
from functrans.numpy._eager import numpy_when_eager
from functrans.numpy._promotion import aval
from functrans.numpy._reductions import any as any_
from functrans.numpy._selection import unique
from functrans.numpy._shapes import concatenate, ravel, reshape
from functrans.numpy._ufuncs import equal, logical_not


@numpy_when_eager(np.isin)
def isin(element, test_elements, assume_unique=False, invert=False, *, kind=None):
    """NumPy's ``isin``: whether each element equals one of ``test_elements``."""
    element = array_operand(element)
    tests = ravel(array_operand(test_elements))
    hits = any_(equal(reshape(element, aval(element).shape + (1,)), tests), axis=-1)
    return logical_not(hits) if invert else hits


@numpy_when_eager(np.union1d)
def union1d(ar1, ar2, *, size=None, fill_value=None):
    """NumPy's ``union1d``; traced, ``size`` gives the result's length."""
    return unique(concatenate([ravel(array_operand(ar1)), ravel(array_operand(ar2))], 0),
                  size=size, fill_value=fill_value)


def unique_values(x, /, *, size=None, fill_value=None):
    """The array API's ``unique_values``: :func:`unique`'s values."""
    if size is None:
        return np.unique_values(x)
    return unique(x, size=size, fill_value=fill_value)


def unique_counts(x, /, *, size=None, fill_value=None):
    """The array API's ``unique_counts``: ``(values, counts)``."""
    if size is None:
        return np.unique_counts(x)
    return unique(x, return_counts=True, size=size, fill_value=fill_value)


def unique_inverse(x, /, *, size=None, fill_value=None):
    """The array API's ``unique_inverse``: ``(values, inverse_indices)``."""
    if size is None:
        return np.unique_inverse(x)
    return unique(x, return_inverse=True, size=size, fill_value=fill_value)


def unique_all(x, /, *, size=None, fill_value=None):
    """The array API's ``unique_all``: ``(values, indices, inverse_indices, counts)``."""
    if size is None:
        return np.unique_all(x)
    return unique(x, return_index=True, return_inverse=True, return_counts=True, size=size,
                  fill_value=fill_value)
