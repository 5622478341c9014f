"""Summaries of a sample: ``mode``, ``rankdata``, ``sem``, as ``scipy.stats`` has them.

Written with functrans.numpy, so they trace, batch and compile; ``rankdata`` works through
a stable sort and binary searches in the sorted sample, ``mode`` by counting equal values
in the sorted sample (O(n**2) comparisons per slice, which suits the short axes these are
used on).
"""
from collections import namedtuple

import numpy as np

import functrans
import functrans.numpy as fnp
from functrans import core
from functrans.numpy._dispatch import is_eager_all, operand

ModeResult = namedtuple("ModeResult", ("mode", "count"))

_NAN_POLICIES = ("propagate", "omit", "raise")
_RANK_METHODS = ("average", "min", "max", "dense", "ordinal")


def _check_nan_policy(nan_policy, a, function):
    if nan_policy not in _NAN_POLICIES:
        raise ValueError(f"{function}: nan_policy must be one of {_NAN_POLICIES}, "
                         f"got {nan_policy!r}")
    if nan_policy == "raise":
        if not is_eager_all((a,)):
            raise ValueError(
                f"{function}: nan_policy='raise' needs concrete values (whether a traced array "
                "holds nan is not known when tracing); check with numpy.isnan before the "
                "transform, or use nan_policy='propagate' or 'omit'")
        if np.isnan(np.asarray(a, dtype=np.result_type(a, np.float16))).any():
            raise ValueError("The input contains nan values")


def _along_last(a, axis):
    """``(a with the axis moved last, the axis)``; ``axis=None`` flattens."""
    if axis is None:
        return fnp.ravel(a), None
    return fnp.moveaxis(a, axis, -1), axis


def _is_nan(a):
    if np.issubdtype(core.get_aval(a).dtype, np.inexact):
        return fnp.isnan(a)
    return fnp.zeros(fnp.shape(a), dtype=bool)


def mode(a, axis=0, nan_policy="propagate", keepdims=False):
    """The most common value along ``axis`` (the smallest of equally common ones) and how
    often it occurs, as ``scipy.stats.mode``; nans count as equal to one another
    (``'propagate'``) or are left out (``'omit'``: an all-nan slice gives nan, count 0).

    >>> [int(v) for v in mode(np.array([2, 4, 1, 1, 3, 4, 4]))]
    [4, 3]
    """
    a = fnp.atleast_1d(operand(a))
    _check_nan_policy(nan_policy, a, "mode")
    ndim = fnp.ndim(a)
    values, axis = _along_last(a, axis)
    if values.shape[-1] == 0:  # SciPy: nan, counted 0 times (both float64)
        value = fnp.full(values.shape[:-1], np.nan)
        count = fnp.zeros(values.shape[:-1])
    else:
        value, count = _most_common(values, nan_policy)
    if keepdims:
        where = tuple(range(ndim)) if axis is None else axis
        value, count = fnp.expand_dims(value, where), fnp.expand_dims(count, where)
    return ModeResult(value, count)


def _most_common(values, nan_policy):
    """The most common value of each row of ``values`` (the smallest of ties), and its count."""
    ordered = fnp.sort(values, axis=-1)
    nan = _is_nan(ordered)
    equal = fnp.logical_or(ordered[..., :, None] == ordered[..., None, :],
                           fnp.logical_and(nan[..., :, None], nan[..., None, :]))
    counts = fnp.sum(equal, axis=-1)
    if nan_policy == "omit":
        counts = fnp.where(nan, 0, counts)
    first_most_common = fnp.argmax(counts, axis=-1)[..., None]
    value = fnp.take_along_axis(ordered, first_most_common, axis=-1)[..., 0]
    count = fnp.max(counts, axis=-1)
    if nan_policy == "omit" and np.issubdtype(value.dtype, np.inexact):
        value = fnp.where(count == 0, fnp.full_like(value, np.nan), value)
    return value, count


def _ranks_of_row(row, method, nan_policy):
    order = fnp.argsort(row, stable=True)
    ordered = row[order]
    if method == "ordinal":
        ranks = fnp.argsort(order, stable=True) + 1
    elif method == "dense":
        new_value = fnp.concatenate([fnp.ones(1, bool), ordered[1:] != ordered[:-1]])
        ranks = fnp.cumsum(new_value)[fnp.argsort(order, stable=True)]
    else:
        lowest = fnp.searchsorted(ordered, row, side="left") + 1
        highest = fnp.searchsorted(ordered, row, side="right")
        ranks = {"min": lowest, "max": highest}.get(method)
        if method == "average":
            ranks = (lowest + highest) / 2.0
    nan = _is_nan(row)
    if not np.issubdtype(core.get_aval(row).dtype, np.inexact):
        return ranks
    ranks = fnp.asarray(ranks, dtype=np.float64)
    if nan_policy == "omit":  # nans sort last, so the other ranks do not see them
        return fnp.where(nan, np.nan, ranks)
    return fnp.where(fnp.any(nan), fnp.full_like(ranks, np.nan), ranks)


def rankdata(a, method="average", *, axis=None, nan_policy="propagate"):
    """The ranks (from 1) of the values of ``a``, ties resolved by ``method`` (``'average'``,
    ``'min'``, ``'max'``, ``'dense'``, ``'ordinal'``), along ``axis`` (flattened when None),
    as ``scipy.stats.rankdata``.

    On concrete arrays it is SciPy's. Traced, the dtype cannot depend on the values: ranks
    are float64 for ``'average'`` and for floating-point input (so that a slice holding nan
    can be nan, as SciPy's ``'propagate'`` gives), int64 for integer input otherwise.

    >>> rankdata(np.array([10, 30, 20, 20]))
    array([1. , 4. , 2.5, 2.5])
    """
    if method not in _RANK_METHODS:
        raise ValueError(f"rankdata: unknown method {method!r}; one of {_RANK_METHODS}")
    _check_nan_policy(nan_policy, a, "rankdata")
    if is_eager_all((a,)):
        import scipy.stats
        return scipy.stats.rankdata(a, method, axis=axis, nan_policy=nan_policy)
    a = operand(a)
    if fnp.ndim(a) == 0 and axis is not None:
        raise ValueError("rankdata: a 0-d array has no axis to rank along; pass axis=None")
    values, axis = _along_last(a, axis)
    rows = fnp.reshape(values, (-1, values.shape[-1]))
    ranks = functrans.vmap(lambda row: _ranks_of_row(row, method, nan_policy))(rows)
    ranks = fnp.reshape(ranks, values.shape)
    return ranks if axis is None else fnp.moveaxis(ranks, -1, axis)


def sem(a, axis=0, ddof=1, nan_policy="propagate", *, keepdims=False):
    """The standard error of the mean, ``std(a, ddof=ddof) / sqrt(n)``, along ``axis``
    (flattened when None), as ``scipy.stats.sem``; ``nan_policy='omit'`` leaves nans out.

    >>> float(sem(np.arange(5.0)))
    0.7071067811865476
    """
    a = operand(a)
    _check_nan_policy(nan_policy, a, "sem")
    if axis is None:
        a, axis = fnp.ravel(a), 0
    if not np.issubdtype(core.get_aval(a).dtype, np.inexact):
        a = fnp.asarray(a, dtype=np.float64)
    if nan_policy == "omit":
        count = fnp.sum(fnp.logical_not(fnp.isnan(a)), axis=axis, keepdims=keepdims)
        spread = fnp.nanstd(a, axis=axis, ddof=ddof, keepdims=keepdims)
    else:
        count = fnp.shape(a)[axis]
        spread = fnp.std(a, axis=axis, ddof=ddof, keepdims=keepdims)
    return spread / fnp.sqrt(fnp.asarray(count, dtype=spread.dtype))
