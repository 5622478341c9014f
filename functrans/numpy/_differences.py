"""Differences, integrals and products of arrays: diff, ediff1d, gradient, trapezoid,
cumulative_sum/prod, cross, kron, vander."""
import operator

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from functrans.numpy._dispatch import array_operand
from functrans.numpy._eager import numpy_when_eager
from functrans.numpy._promotion import aval
from functrans.numpy._reductions import cumprod, cumsum, sum as sum_
from functrans.numpy._shapes import (
    broadcast_arrays, broadcast_to, concatenate, moveaxis, ravel, reshape, stack,
)
from functrans.numpy._ufuncs import add, divide, multiply, not_equal, power, subtract


def _slice(a, axis, start, stop):
    index = [slice(None)] * aval(a).ndim
    index[axis] = slice(start, stop)
    return a[tuple(index)]


@numpy_when_eager(np.diff)
def diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    """NumPy's ``diff``: the ``n``-th forward difference along ``axis`` (booleans: not_equal)."""
    a = array_operand(a)
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n!r}")
    if aval(a).ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = normalize_axis_index(axis, aval(a).ndim)
    pieces = []
    for extra in (prepend, append):
        if extra is np._NoValue:
            pieces.append(None)
            continue
        extra = array_operand(extra)
        if aval(extra).ndim == 0:
            shape = list(aval(a).shape)
            shape[axis] = 1
            extra = broadcast_to(extra, tuple(shape))
        pieces.append(extra)
    if pieces[0] is not None or pieces[1] is not None:
        a = concatenate([p for p in (pieces[0], a, pieces[1]) if p is not None], axis)
    difference = not_equal if aval(a).dtype == np.bool_ else subtract
    for _ in range(n):
        a = difference(_slice(a, axis, 1, None), _slice(a, axis, None, -1))
    return a


@numpy_when_eager(np.ediff1d)
def ediff1d(ary, to_end=None, to_begin=None):
    """NumPy's ``ediff1d``: differences of the flattened array, with optional ends."""
    ary = ravel(array_operand(ary))
    pieces = [diff(ary)]
    if to_begin is not None:
        pieces.insert(0, ravel(array_operand(to_begin)).astype(aval(ary).dtype))
    if to_end is not None:
        pieces.append(ravel(array_operand(to_end)).astype(aval(ary).dtype))
    return concatenate(pieces, 0)


def _float(a):
    dtype = aval(a).dtype
    return a if dtype.kind in "fc" else a.astype(np.float64)


@numpy_when_eager(np.gradient)
def gradient(f, *varargs, axis=None, edge_order=1):
    """NumPy's ``gradient``: second-order central differences inside, first- or second-order
    one-sided differences at the edges; spacings are scalars or coordinate arrays."""
    f = _float(array_operand(f))
    ndim = aval(f).ndim
    axes = tuple(range(ndim)) if axis is None else (
        (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis))
    axes = tuple(normalize_axis_index(a, ndim) for a in axes)
    if len(varargs) == 0:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1 and aval(array_operand(varargs[0])).ndim == 0:
        spacings = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes):
        spacings = list(varargs)
    else:
        raise TypeError("invalid number of arguments")
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    results = [_gradient_along(f, a, s, edge_order) for a, s in zip(axes, spacings)]
    return results[0] if len(results) == 1 else tuple(results)


def _gradient_along(f, axis, spacing, edge_order):
    length = aval(f).shape[axis]
    if length < edge_order + 1:
        raise ValueError("Shape of array too small to calculate a numerical gradient, at "
                         "least (edge_order + 1) elements are required.")
    spacing = array_operand(spacing)
    ndim = aval(f).ndim

    def along(values):
        """A 1-D array along ``axis`` of ``f``, shaped to broadcast against it."""
        shape = [1] * ndim
        shape[axis] = aval(values).shape[0]
        return reshape(values, tuple(shape))

    def part(start, stop):
        return _slice(f, axis, start, stop)

    if aval(spacing).ndim == 0:
        h = spacing
        interior = divide(subtract(part(2, None), part(None, -2)), multiply(2.0, h))
        if edge_order == 1:
            first = divide(subtract(part(1, 2), part(0, 1)), h)
            last = divide(subtract(part(-1, None), part(-2, -1)), h)
        else:
            first = divide(add(add(multiply(-1.5, part(0, 1)), multiply(2.0, part(1, 2))),
                               multiply(-0.5, part(2, 3))), h)
            last = divide(add(add(multiply(0.5, part(-3, -2)), multiply(-2.0, part(-2, -1))),
                              multiply(1.5, part(-1, None))), h)
        return concatenate([first, interior, last], axis).astype(aval(interior).dtype)
    if aval(spacing).shape != (length,):
        raise ValueError("when 1d, distances must match the length of the corresponding "
                         "dimension")
    spacing = _float(spacing)
    dx = diff(spacing)
    left, right = dx[:-1], dx[1:]
    a = along(-right / (left * (left + right)))
    b = along((right - left) / (left * right))
    c = along(left / (right * (left + right)))
    interior = add(add(multiply(a, part(None, -2)), multiply(b, part(1, -1))),
                   multiply(c, part(2, None)))
    if edge_order == 1:
        first = divide(subtract(part(1, 2), part(0, 1)), dx[0])
        last = divide(subtract(part(-1, None), part(-2, -1)), dx[-1])
    else:
        h1, h2 = dx[0], dx[1]
        first = add(add(multiply(-(2.0 * h1 + h2) / (h1 * (h1 + h2)), part(0, 1)),
                        multiply((h1 + h2) / (h1 * h2), part(1, 2))),
                    multiply(-h1 / (h2 * (h1 + h2)), part(2, 3)))
        h1, h2 = dx[-2], dx[-1]
        last = add(add(multiply(h2 / (h1 * (h1 + h2)), part(-3, -2)),
                       multiply(-(h2 + h1) / (h1 * h2), part(-2, -1))),
                   multiply((2.0 * h2 + h1) / (h2 * (h1 + h2)), part(-1, None)))
    return concatenate([first, interior, last], axis)


@numpy_when_eager(np.trapezoid)
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """NumPy's ``trapezoid``: the trapezoidal rule along ``axis``, with sample points ``x``
    (1-D, or shaped like ``y``) or a uniform spacing ``dx``."""
    y = array_operand(y)
    axis = normalize_axis_index(axis, aval(y).ndim)
    if x is None:
        widths = dx
    else:
        x = array_operand(x)
        if aval(x).ndim == 1:
            widths = diff(x)
            shape = [1] * aval(y).ndim
            shape[axis] = aval(widths).shape[0]
            widths = reshape(widths, tuple(shape))
        else:
            widths = diff(x, axis=axis)
    heights = add(_slice(y, axis, 1, None), _slice(y, axis, None, -1))
    return divide(sum_(multiply(widths, heights), axis=axis), 2.0)


def _cumulative(numpy_function, accumulate, identity):
    @numpy_when_eager(numpy_function)
    def function(x, /, *, axis=None, dtype=None, include_initial=False):
        x = array_operand(x)
        if axis is None:
            if aval(x).ndim > 1:
                raise ValueError(f"{numpy_function.__name__}: axis is required for arrays of "
                                 "more than one dimension")
            axis = 0
        axis = normalize_axis_index(axis, max(aval(x).ndim, 1))
        result = accumulate(x, axis=axis, dtype=dtype)
        if include_initial:
            shape = list(aval(result).shape)
            shape[axis] = 1
            start = broadcast_to(np.asarray(identity, aval(result).dtype), tuple(shape))
            result = concatenate([start, result], axis)
        return result

    function.__name__ = function.__qualname__ = numpy_function.__name__
    function.__doc__ = (f"NumPy's ``{numpy_function.__name__}`` (the array API's form, with "
                        "``include_initial``).")
    return function


cumulative_sum = _cumulative(np.cumulative_sum, cumsum, 0)
cumulative_prod = _cumulative(np.cumulative_prod, cumprod, 1)


@numpy_when_eager(np.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """NumPy's ``cross`` of 3-vectors (or 2-vectors, whose z is 0) along the given axes,
    broadcasting the others; two 2-vectors give the scalar z component."""
    a, b = array_operand(a), array_operand(b)
    if axis is not None:
        axisa = axisb = axisc = axis
    a = moveaxis(a, normalize_axis_index(axisa, aval(a).ndim), -1)
    b = moveaxis(b, normalize_axis_index(axisb, aval(b).ndim), -1)
    sizes = (aval(a).shape[-1], aval(b).shape[-1])
    if any(size not in (2, 3) for size in sizes):
        raise ValueError("incompatible dimensions for cross product\n(dimension must be 2 or 3)")
    a_parts = [a[..., i] for i in range(sizes[0])]
    b_parts = [b[..., i] for i in range(sizes[1])]
    a_parts[0], *rest = broadcast_arrays(*a_parts, *b_parts)
    a_parts[1:] = rest[:sizes[0] - 1]
    b_parts = rest[sizes[0] - 1:]
    z = subtract(multiply(a_parts[0], b_parts[1]), multiply(a_parts[1], b_parts[0]))
    if sizes == (2, 2):
        return z
    a2 = a_parts[2] if sizes[0] == 3 else None
    b2 = b_parts[2] if sizes[1] == 3 else None
    x_component = multiply(a_parts[1], b2) if b2 is not None else None
    x = subtract(x_component if x_component is not None else 0 * z,
                 multiply(a2, b_parts[1]) if a2 is not None else 0 * z)
    y = subtract(multiply(a2, b_parts[0]) if a2 is not None else 0 * z,
                 multiply(a_parts[0], b2) if b2 is not None else 0 * z)
    result = stack([x, y, z], axis=-1)
    return moveaxis(result, -1, normalize_axis_index(axisc, aval(result).ndim))


@numpy_when_eager(np.kron)
def kron(a, b):
    """NumPy's ``kron``: the Kronecker product, blocks of ``a[i] * b``."""
    a, b = array_operand(a), array_operand(b)
    ndim = max(aval(a).ndim, aval(b).ndim)
    a_shape = (1,) * (ndim - aval(a).ndim) + aval(a).shape
    b_shape = (1,) * (ndim - aval(b).ndim) + aval(b).shape
    # (a0, 1, a1, 1, ...) times (1, b0, 1, b1, ...), then each pair of axes merged.
    a = reshape(a, tuple(s for size in a_shape for s in (size, 1)))
    b = reshape(b, tuple(s for size in b_shape for s in (1, size)))
    return reshape(multiply(a, b), tuple(p * q for p, q in zip(a_shape, b_shape)))


@numpy_when_eager(np.vander)
def vander(x, N=None, increasing=False):  # noqa: N803 (NumPy's parameter name)
    """NumPy's ``vander``: columns are powers of ``x`` (decreasing unless ``increasing``)."""
    x = array_operand(x)
    if aval(x).ndim != 1:
        raise ValueError("x must be a one-dimensional array or sequence.")
    columns = aval(x).shape[0] if N is None else operator.index(N)
    exponents = np.arange(columns) if increasing else np.arange(columns)[::-1]
    if columns == 0:
        return np.zeros((aval(x).shape[0], 0), aval(x).dtype)
    powers = [power(x, int(e)) if e > 1 else (x if e == 1 else multiply(x, 0) + 1)
              for e in exponents]
    return stack(powers, axis=1)




@numpy_when_eager(np.unwrap)
def unwrap(p, discont=None, axis=-1, *, period=2 * np.pi):
    """NumPy's ``unwrap``: jumps larger than ``discont`` (default ``period / 2``) replaced
    by their complement modulo ``period``, accumulated along ``axis``."""
    from functrans.numpy._ufuncs import (
        abs as abs_, equal, greater, less, logical_and, remainder, where,
    )
    p = _float(array_operand(p))
    axis = normalize_axis_index(axis, aval(p).ndim)
    discont = period / 2 if discont is None else max(discont, period / 2)
    half = period / 2
    difference = diff(p, axis=axis)
    wrapped = subtract(remainder(add(difference, half), period), half)
    wrapped = where(logical_and(equal(wrapped, -half), greater(difference, 0)), half, wrapped)
    correction = subtract(wrapped, difference)
    correction = where(less(abs_(difference), discont), 0.0, correction)
    shape = list(aval(p).shape)
    shape[axis] = 1
    start = np.zeros(tuple(shape), aval(p).dtype)
    return add(p, concatenate([start, cumsum(correction, axis=axis)], axis))

