"""NumPy's polynomial helpers on coefficient vectors (highest power first): polyval,
polyadd, polysub, polymul, polyder, polyint, poly."""
import operator

import numpy as np

from functrans.numpy._convolution import convolve
from functrans.numpy._dispatch import array_operand
from functrans.numpy._eager import numpy_when_eager
from functrans.numpy._promotion import aval
from functrans.numpy._shapes import atleast_1d, concatenate
from functrans.numpy._ufuncs import add, divide, multiply, subtract


@numpy_when_eager(np.polyval)
def polyval(p, x):
    """NumPy's ``polyval``: ``p[0] * x**(n-1) + ... + p[n-1]`` by Horner's rule."""
    p, x = array_operand(p), array_operand(x)
    result = multiply(x, 0) if aval(p).shape[0] == 0 else None
    for index in range(aval(p).shape[0]):
        result = p[index] + multiply(x, 0) if result is None else add(multiply(result, x),
                                                                       p[index])
    return result


def _aligned(a1, a2):
    a1, a2 = atleast_1d(array_operand(a1)), atleast_1d(array_operand(a2))
    n1, n2 = aval(a1).shape[0], aval(a2).shape[0]
    if n1 < n2:
        a1 = concatenate([np.zeros(n2 - n1, aval(a1).dtype), a1], 0)
    elif n2 < n1:
        a2 = concatenate([np.zeros(n1 - n2, aval(a2).dtype), a2], 0)
    return a1, a2


@numpy_when_eager(np.polyadd)
def polyadd(a1, a2):
    """NumPy's ``polyadd``: coefficients aligned at the constant term."""
    return add(*_aligned(a1, a2))


@numpy_when_eager(np.polysub)
def polysub(a1, a2):
    """NumPy's ``polysub``."""
    return subtract(*_aligned(a1, a2))


@numpy_when_eager(np.polymul)
def polymul(a1, a2):
    """NumPy's ``polymul``: the convolution of the coefficients."""
    return convolve(atleast_1d(array_operand(a1)), atleast_1d(array_operand(a2)))


@numpy_when_eager(np.polyder)
def polyder(p, m=1):
    """NumPy's ``polyder``: the ``m``-th derivative."""
    m = operator.index(m)
    if m < 0:
        raise ValueError("Order of derivative must be positive (see polyint)")
    p = array_operand(p)
    for _ in range(m):
        n = aval(p).shape[0] - 1
        if n <= 0:
            return multiply(p[:1], 0)
        p = multiply(p[:-1], np.arange(n, 0, -1))
    return p


@numpy_when_eager(np.polyint)
def polyint(p, m=1, k=None):
    """NumPy's ``polyint``: the ``m``-th antiderivative with integration constants ``k``."""
    m = operator.index(m)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    constants = np.zeros(m) if k is None else np.broadcast_to(np.asarray(k, float), (m,))
    p = array_operand(p)
    p = p.astype(np.float64) if aval(p).dtype.kind not in "fc" else p
    for index in range(m):
        n = aval(p).shape[0]
        p = concatenate([divide(p, np.arange(n, 0, -1).astype(float)),
                         np.asarray([constants[index]], aval(p).dtype)], 0)
    return p


@numpy_when_eager(np.poly)
def poly(seq_of_zeros):
    """NumPy's ``poly`` of a vector of roots: the monic polynomial with those roots."""
    roots = array_operand(seq_of_zeros)
    if aval(roots).ndim != 1:
        raise NotImplementedError("poly of a matrix (its characteristic polynomial) needs "
                                  "eigenvalues: pass the roots")
    dtype = aval(roots).dtype if aval(roots).dtype.kind in "fc" else np.dtype(np.float64)
    coefficients = np.ones(1, dtype)
    for index in range(aval(roots).shape[0]):
        factor = concatenate([np.ones(1, dtype), multiply(roots[index:index + 1], -1)], 0)
        coefficients = convolve(coefficients, factor)
    return coefficients


@numpy_when_eager(np.polyfit)
def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """NumPy's ``polyfit``: the least-squares polynomial of degree ``deg`` (highest power
    first), with optional weights ``w``; ``full`` and ``cov`` are not supported."""
    from functrans.numpy import linalg
    from functrans.numpy._differences import vander
    if full or cov:
        raise NotImplementedError("polyfit(full=True) and polyfit(cov=True) are not supported")
    x, y = array_operand(x), array_operand(y)
    x = x.astype(np.float64) if aval(x).dtype.kind not in "fc" else x
    design = vander(x, deg + 1)
    if w is not None:
        w = array_operand(w)
        design = multiply(design, reshape_weights(w, 1))
        y = multiply(y, reshape_weights(w, aval(y).ndim - 1))
    # NumPy scales the columns to unit norm before solving, for conditioning.
    from functrans.numpy._reductions import sum as sum_
    from functrans.numpy._ufuncs import sqrt
    scale = sqrt(sum_(multiply(design, design), axis=0))
    coefficients = linalg.lstsq(divide(design, scale), y, rcond=rcond)[0]
    return divide(coefficients.T, scale).T


def reshape_weights(w, trailing):
    from functrans.numpy._shapes import reshape
    return reshape(w, aval(w).shape + (1,) * trailing)


def roots(p, *, strip_zeros=True):
    """NumPy's ``roots``: the eigenvalues of the companion matrix (complex). Traced,
    leading zeros cannot be stripped (the count would depend on the values): pass
    ``strip_zeros=False``, as in JAX, and a nonzero leading coefficient."""
    from functrans.numpy import linalg
    from functrans.numpy._dispatch import Tracer
    from functrans.numpy._shapes import concatenate as join, reshape
    p = atleast_1d(array_operand(p))
    if not isinstance(p, Tracer):
        return np.roots(p)
    if strip_zeros:
        raise TypeError("roots of traced coefficients: pass strip_zeros=False (leading and "
                        "trailing zeros cannot be stripped from traced values)")
    degree = aval(p).shape[0] - 1
    if degree < 1:
        return np.zeros(0, np.complex128)
    first_row = reshape(divide(multiply(p[1:], -1), p[0]), (1, degree))
    below = np.eye(degree - 1, degree, dtype=aval(first_row).dtype)
    return linalg.eigvals(join([first_row, below], 0))


@numpy_when_eager(np.sort_complex)
def sort_complex(a):
    """NumPy's ``sort_complex``: sorted by real part, then imaginary part, as complex."""
    from functrans.numpy._sorting import sort
    a = array_operand(a)
    dtype = np.sort_complex(np.ones(1, aval(a).dtype)).dtype
    return sort(a.astype(dtype), axis=-1)
