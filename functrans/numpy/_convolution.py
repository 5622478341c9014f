"""Direct convolution as a dot product over sliding windows: NumPy's ``convolve`` and
``correlate``, and the n-d kernel of ``functrans.scipy.signal``.

The windows are one gather from the zero-padded first input (their positions are
computed with NumPy at trace time), so convolution differentiates, batches and
compiles like any gather and dot.
"""
import numpy as np

from functrans.numpy._dispatch import array_operand
from functrans.numpy._eager import numpy_when_eager
from functrans.numpy._indexing import take
from functrans.numpy._linalg import dot
from functrans.numpy._promotion import aval, promoted_dtype
from functrans.numpy._shapes import flip, ravel, reshape


def conjugate_if_complex(x):
    if aval(x).dtype.kind != "c":
        return x
    from functrans import numpy as fnp
    return fnp.conj(x)


def full_convolution(in1, in2):
    """The full n-d convolution of two arrays of the same number of dimensions:
    ``out[n] = sum_k in1[n - k] * in2[k]``, of shape ``in1.shape + in2.shape - 1``."""
    in1, in2 = array_operand(in1), array_operand(in2)
    dtype, _ = promoted_dtype(in1, in2)
    in1, in2 = in1.astype(dtype), in2.astype(dtype)
    shape1, shape2 = aval(in1).shape, aval(in2).shape
    if len(shape1) != len(shape2):
        raise ValueError("in1 and in2 should have the same dimensionality")
    if 0 in shape1 or 0 in shape2:
        return np.zeros(tuple(max(a + b - 1, 0) for a, b in zip(shape1, shape2)), dtype)
    from functrans.numpy._padding import pad
    padded = pad(in1, [(b - 1, b - 1) for b in shape2])
    padded_shape = aval(padded).shape
    out_shape = tuple(a + b - 1 for a, b in zip(shape1, shape2))
    # Window n of the padded input starts at n and spans in2's shape; with in2 flipped,
    # its dot with the window is out[n].
    starts = np.indices(out_shape).reshape(len(out_shape), -1)
    offsets = np.indices(shape2).reshape(len(shape2), -1)
    positions = np.ravel_multi_index(
        tuple(s[:, None] + o[None, :] for s, o in zip(starts, offsets)), padded_shape)
    windows = take(ravel(padded), positions)
    kernel = ravel(flip(in2))
    return reshape(dot(windows, kernel), out_shape)


def slice_region(full, starts, shape):
    """``full[starts : starts + shape]`` along every axis."""
    return full[tuple(slice(s, s + n) for s, n in zip(starts, shape))]


@numpy_when_eager(np.convolve)
def convolve(a, v, mode="full"):
    """NumPy's ``convolve`` of two 1-D arrays (modes 'full', 'same', 'valid')."""
    a, v = array_operand(a), array_operand(v)
    if aval(a).ndim != 1 or aval(v).ndim != 1:
        raise ValueError("object too deep for desired array")
    n, m = aval(a).shape[0], aval(v).shape[0]
    if n == 0 or m == 0:
        raise ValueError("v cannot be empty" if m == 0 else "a cannot be empty")
    full = full_convolution(a, v)
    if mode == "full":
        return full
    if mode == "same":
        length = max(n, m)
        return slice_region(full, ((min(n, m) - 1) // 2,), (length,))
    if mode == "valid":
        return slice_region(full, (min(n, m) - 1,), (max(n, m) - min(n, m) + 1,))
    raise ValueError(f"mode must be one of 'full', 'same', or 'valid' (got {mode!r})")


@numpy_when_eager(np.correlate)
def correlate(a, v, mode="valid"):
    """NumPy's ``correlate``: ``sum_n a[n + k] * conj(v[n])`` (modes as :func:`convolve`)."""
    return convolve(a, flip(conjugate_if_complex(array_operand(v))), mode)
