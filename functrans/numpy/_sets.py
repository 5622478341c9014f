"""Set operations: isin, and union1d/intersect1d/setdiff1d/setxor1d (traced with a
static ``size``, as :func:`unique`), and the array API's unique_* forms."""
import numpy as np

from functrans.numpy._dispatch import Tracer, array_operand
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
    if size is None and not isinstance(x, Tracer):
        return np.unique_values(x)
    return unique(x, size=size, fill_value=fill_value)


def unique_counts(x, /, *, size=None, fill_value=None):
    """The array API's ``unique_counts``: ``(values, counts)``."""
    if size is None and not isinstance(x, Tracer):
        return np.unique_counts(x)
    return unique(x, return_counts=True, size=size, fill_value=fill_value)


def unique_inverse(x, /, *, size=None, fill_value=None):
    """The array API's ``unique_inverse``: ``(values, inverse_indices)``."""
    if size is None and not isinstance(x, Tracer):
        return np.unique_inverse(x)
    return unique(x, return_inverse=True, size=size, fill_value=fill_value)


def unique_all(x, /, *, size=None, fill_value=None):
    """The array API's ``unique_all``: ``(values, indices, inverse_indices, counts)``."""
    if size is None and not isinstance(x, Tracer):
        return np.unique_all(x)
    return unique(x, return_index=True, return_inverse=True, return_counts=True, size=size,
                  fill_value=fill_value)


def _first_of_runs(sorted_values):
    from functrans.numpy._ufuncs import not_equal
    return concatenate([np.ones(1, bool), not_equal(sorted_values[1:], sorted_values[:-1])], 0)


def _compacted(values, keep, size, fill_value):
    """The kept ``values`` in order, as ``size`` entries padded with ``fill_value`` (by
    default the smallest kept value, as JAX has it)."""
    from functrans.numpy._indexing import take
    from functrans.numpy._reductions import max as max_, min as min_, sum as sum_
    from functrans.numpy._sorting import argsort
    from functrans.numpy._ufuncs import less, where
    length = aval(values).shape[0]
    order = argsort(logical_not(keep).astype(np.int8))  # stable: kept ones first, in order
    if size > length:
        order = concatenate([order, np.zeros(size - length, np.int64)], 0)
    picked = take(values, order[:size])
    if fill_value is None:
        fill_value = min_(where(keep, values, max_(values))) if length else 0
    return where(less(np.arange(size), sum_(keep)), picked, fill_value)


def _set_operation(numpy_function, keep_rule):
    @numpy_when_eager(numpy_function)
    def function(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
        from functrans.numpy._selection import static_size
        from functrans.numpy._sorting import sort
        size = static_size(numpy_function.__name__, size)
        ar1, ar2 = ravel(array_operand(ar1)), ravel(array_operand(ar2))
        candidates = sort(concatenate([ar1, ar2], 0))
        keep = keep_rule(_first_of_runs(candidates), isin(candidates, ar1),
                         isin(candidates, ar2))
        return _compacted(candidates, keep, size, fill_value)

    function.__name__ = function.__qualname__ = numpy_function.__name__
    function.__doc__ = (f"NumPy's ``{numpy_function.__name__}`` (sorted unique values); traced, "
                        "``size`` gives the result's length, padded with ``fill_value``.")
    return function


def _both(first, in1, in2):
    from functrans.numpy._ufuncs import logical_and
    return logical_and(first, logical_and(in1, in2))


def _only_first(first, in1, in2):
    from functrans.numpy._ufuncs import logical_and
    return logical_and(first, logical_and(in1, logical_not(in2)))


def _exactly_one(first, in1, in2):
    from functrans.numpy._ufuncs import logical_and, not_equal
    return logical_and(first, not_equal(in1, in2))


intersect1d = _set_operation(np.intersect1d, _both)
setdiff1d = _set_operation(np.setdiff1d, _only_first)
setxor1d = _set_operation(np.setxor1d, _exactly_one)
