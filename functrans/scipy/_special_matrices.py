"""scipy.linalg's special matrices, traceable.

A matrix built from vectors (circulant, companion, convolution_matrix, fiedler,
fiedler_companion, hankel, leslie) is a gather: its entries are picked from the vectors
(and the constants 0 and 1) by a fixed table of positions, so it differentiates, batches
over leading dimensions (as SciPy's own batching does) and compiles. On concrete inputs with
no transform active each function calls SciPy itself. The matrices that depend on an
order only (dft, hadamard, helmert, invhilbert, invpascal, pascal) are constants: SciPy's
own arrays.

>>> import functrans, functrans.scipy.linalg as fsl, numpy as np
>>> functrans.grad(lambda c: fsl.circulant(c)[1, 0] * 2.0)(np.array([1.0, 2.0, 3.0]))
array([0., 2., 0.])
"""
import numpy as np

from functrans.numpy._dispatch import array_operand, is_eager_all
from functrans.numpy._promotion import aval, cast

__all__ = ["circulant", "companion", "convolution_matrix", "dft", "fiedler",
           "fiedler_companion", "hadamard", "hankel", "helmert", "invhilbert", "invpascal",
           "leslie", "pascal"]


def _scipy_linalg():
    import scipy.linalg
    return scipy.linalg


def _fnp():
    import functrans.numpy as fnp
    return fnp


def _vector(name, a):
    a = array_operand(a)
    if aval(a).ndim == 0:
        a = _fnp().reshape(a, (1,))
    return a


def _with_constants(values, dtype):
    """``values`` (``...×k``) in ``dtype`` followed by a 0 and a 1 (positions k and k+1)."""
    fnp = _fnp()
    values = cast(values, np.dtype(dtype))
    batch = aval(values).shape[:-1]
    constants = fnp.broadcast_to(np.array([0, 1], dtype), batch + (2,))
    return fnp.concatenate([values, constants], axis=-1)


def _gather(values, positions):
    """The matrices ``values[..., positions]``."""
    return _fnp().take(values, np.asarray(positions), axis=-1)


def circulant(c):
    """The circulant matrix whose first column is ``c`` (``...×n`` gives ``...×n×n``).

    >>> circulant(np.array([1.0, 2.0, 3.0]))[:, 0]
    array([1., 2., 3.])
    """
    if is_eager_all((c,)):
        return _scipy_linalg().circulant(c)
    c = _vector("circulant", c)
    n = aval(c).shape[-1]
    return _gather(c, (np.arange(n)[:, None] - np.arange(n)[None, :]) % n)


def hankel(c, r=None):
    """The Hankel matrix with first column ``c`` and last row ``r`` (zeros by default;
    ``r[0]`` is ignored). Like SciPy (until 1.19), inputs are flattened."""
    if is_eager_all((c, r)):
        return _scipy_linalg().hankel(c, r)
    fnp = _fnp()
    c = fnp.ravel(array_operand(c))
    r = fnp.zeros_like(c) if r is None else fnp.ravel(array_operand(r))
    dtype = np.result_type(aval(c).dtype, aval(r).dtype)
    values = fnp.concatenate([cast(c, dtype), cast(r[1:], dtype)])
    m, n = aval(c).shape[0], aval(r).shape[0]
    return _gather(values, np.arange(m)[:, None] + np.arange(n)[None, :])


def leslie(f, s):
    """The Leslie matrix: fecundities ``f`` (length n) in the first row, survival
    coefficients ``s`` (length n-1) on the subdiagonal; leading dimensions are a batch."""
    if is_eager_all((f, s)):
        return _scipy_linalg().leslie(f, s)
    fnp = _fnp()
    f, s = _vector("leslie", f), _vector("leslie", s)
    n = aval(f).shape[-1]
    if n != aval(s).shape[-1] + 1:
        raise ValueError("leslie: the length of s along the last axis must be one less than "
                         f"the length of f (got {aval(f).shape} and {aval(s).shape})")
    if n < 2:
        raise ValueError("leslie: the length of s must be at least 1")
    dtype = np.result_type(aval(f).dtype, aval(s).dtype)
    batch = np.broadcast_shapes(aval(f).shape[:-1], aval(s).shape[:-1])
    values = fnp.concatenate([fnp.broadcast_to(cast(f, dtype), batch + (n,)),
                              fnp.broadcast_to(cast(s, dtype), batch + (n - 1,))], axis=-1)
    values = _with_constants(values, dtype)
    positions = np.full((n, n), 2 * n - 1)
    positions[0] = np.arange(n)
    positions[np.arange(1, n), np.arange(n - 1)] = n + np.arange(n - 1)
    return _gather(values, positions)


def companion(a):
    """The companion matrix of the polynomial with coefficients ``a`` (highest first,
    ``a[..., 0] != 0``): ``-a[1:] / a[0]`` in the first row, ones on the subdiagonal."""
    if is_eager_all((a,)):
        return _scipy_linalg().companion(a)
    a = _vector("companion", a)
    n = aval(a).shape[-1]
    if n < 2:
        raise ValueError("companion: the length of a along the last axis must be at least 2")
    first_row = -a[..., 1:] / (1.0 * a[..., 0:1])
    values = _with_constants(first_row, aval(first_row).dtype)
    positions = np.full((n - 1, n - 1), n - 1)
    positions[0] = np.arange(n - 1)
    positions[np.arange(1, n - 1), np.arange(n - 2)] = n
    return _gather(values, positions)


def fiedler(a):
    """The symmetric Fiedler matrix ``|a[i] - a[j]|`` (leading dimensions are a batch)."""
    if is_eager_all((a,)):
        return _scipy_linalg().fiedler(a)
    a = _vector("fiedler", a)
    if aval(a).shape == (1,):
        return _fnp().zeros((1, 1))
    return _fnp().abs(a[..., :, None] - a[..., None, :])


def _fiedler_companion_positions(n):
    """Positions into ``[-a[0], ..., -a[n], 0, 1]`` (``a`` normalized, degree ``n``) of
    SciPy's Fiedler companion matrix: pentadiagonal, with the same eigenvalues as
    companion's."""
    zero, one = n + 1, n + 2
    c = np.full((n, n), zero)
    c[range(3, n, 2), range(1, n - 2, 2)] = one
    c[range(2, n, 2), range(1, n - 1, 2)] = np.arange(n + 1)[3::2]
    c[range(0, n - 2, 2), range(2, n, 2)] = one
    c[range(0, n - 1, 2), range(1, n, 2)] = np.arange(n + 1)[2::2]
    c[[0, 1], 0] = [1, one]
    return c


def fiedler_companion(a):
    """The Fiedler companion matrix of the polynomial with coefficients ``a`` (highest
    first); leading dimensions are a batch."""
    if is_eager_all((a,)):
        return _scipy_linalg().fiedler_companion(a)
    a = _vector("fiedler_companion", a)
    size = aval(a).shape[-1]
    if size <= 2:
        if size == 2:
            return -(a[..., 1:] / a[..., :1])[..., None]
        return _fnp().zeros(aval(a).shape[:-1] + (0,), aval(a).dtype)
    normalized = a / a[..., :1]
    values = _with_constants(-normalized, aval(normalized).dtype)
    return _gather(values, _fiedler_companion_positions(size - 1))


def _convolution_positions(m, n, mode):
    """Positions into ``[a[0], ..., a[m-1], 0]`` of SciPy's convolution matrix: the Toeplitz
    matrix of the zero-padded ``a``, its rows trimmed by ``mode``."""
    zero = m
    padded = np.concatenate([np.arange(m), np.full(n - 1, zero)])
    reversed_padded = np.concatenate([np.arange(m)[::-1], np.full(n - 1, zero)])
    if mode == "full":
        column, row = padded, reversed_padded[-n:]
    else:
        before = (min(n, m) - 1) // 2 if mode == "same" else min(n, m) - 1
        after = (min(n, m) - 1 - before) if mode == "same" else before
        column = padded[before:len(padded) - after]
        row = reversed_padded[-n - before:len(reversed_padded) - before]
    i, j = np.arange(len(column))[:, None], np.arange(n)[None, :]
    return np.where(i >= j, column[np.maximum(i - j, 0)], row[np.maximum(j - i, 0)])


def convolution_matrix(a, n, mode="full"):
    """The matrix ``A`` with ``A @ v == np.convolve(a, v, mode)`` for ``v`` of length ``n``
    (``mode`` ``'full'``, ``'valid'`` or ``'same'``); leading dimensions are a batch."""
    if is_eager_all((a,)):
        return _scipy_linalg().convolution_matrix(a, n, mode)
    if n <= 0:
        raise ValueError("convolution_matrix: n must be a positive integer")
    if mode not in ("full", "valid", "same"):
        raise ValueError("convolution_matrix: mode must be one of ('full', 'valid', 'same')")
    a = _vector("convolution_matrix", a)
    m = aval(a).shape[-1]
    if m == 0:
        raise ValueError("convolution_matrix: len(a) must be at least 1")
    values = _with_constants(a, aval(a).dtype)
    return _gather(values, _convolution_positions(m, n, mode))


def dft(n, scale=None):
    """The ``n``-point discrete Fourier transform matrix (a constant: SciPy's own)."""
    return _scipy_linalg().dft(n, scale)


def hadamard(n, dtype=int):
    """The Hadamard matrix of order ``n``, a power of 2 (a constant: SciPy's own)."""
    return _scipy_linalg().hadamard(n, dtype)


def helmert(n, full=False):
    """The Helmert matrix of order ``n`` (a constant: SciPy's own)."""
    return _scipy_linalg().helmert(n, full)


def invhilbert(n, exact=False):
    """The inverse of the Hilbert matrix of order ``n`` (a constant: SciPy's own)."""
    return _scipy_linalg().invhilbert(n, exact)


def pascal(n, kind="symmetric", exact=True):
    """The Pascal matrix of order ``n`` (a constant: SciPy's own)."""
    return _scipy_linalg().pascal(n, kind, exact)


def invpascal(n, kind="symmetric", exact=True):
    """The inverse of the Pascal matrix of order ``n`` (a constant: SciPy's own)."""
    return _scipy_linalg().invpascal(n, kind, exact)
