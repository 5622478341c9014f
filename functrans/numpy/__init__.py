"""NumPy's names and semantics, traceable: ``import functrans.numpy as fnp``.

On concrete NumPy inputs with no transform active, each function calls NumPy
itself; on tracers it binds primitives of :mod:`functrans.lax`, with NumPy 2's
broadcasting and type promotion (Python scalars are weak, float32 stays
float32). Importing this module also gives tracers NumPy's operators,
methods (``x.sum()``, ``x.T``, ``x[idx]``) and JAX's functional updates
``x.at[idx].set(v)`` / ``.add(v)``.
"""
import sys as _sys

import numpy as _np

from functrans.numpy import _array_methods
from functrans.numpy._creation import (
    arange, array, asarray, empty, empty_like, eye, full, full_like, identity, linspace, ones,
    ones_like, zeros, zeros_like,
)
from functrans.numpy._diagonals import diag, diagonal, trace, tril, triu
from functrans.numpy._einsum import einsum
from functrans.numpy._indexing import at, take, take_along_axis
from functrans.numpy._linalg import dot, inner, matmul, outer, tensordot, vdot
from functrans.numpy._reductions import (
    all, amax, amin, any, argmax, argmin, cumprod, cumsum, max, mean, min, prod, std, sum, var,
)
from functrans.numpy._shapes import (
    array_split, atleast_1d, atleast_2d, broadcast_arrays, broadcast_to, concatenate,
    expand_dims, flip, hstack, moveaxis, ndim, ravel, repeat, reshape, roll, shape, size, split,
    squeeze, stack, swapaxes, tile, transpose, vstack,
)
from functrans.numpy._sorting import argsort, sort
from functrans.numpy._vectorize import vectorize
from functrans.numpy._ufuncs import (
    abs, absolute, add, arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh, around,
    bitwise_and, bitwise_invert, bitwise_not, bitwise_or, bitwise_xor, ceil, clip, cos, cosh,
    divide, equal, exp, exp2, expm1, floor, floor_divide, fmax, fmin, greater, greater_equal,
    hypot, invert, isfinite, isinf, isnan, less, less_equal, log, log1p, log2, log10, logaddexp,
    logical_and, logical_not, logical_or, logical_xor, maximum, minimum, mod, multiply,
    negative, not_equal, positive, pow, power, reciprocal, remainder, rint, round, sign, sin,
    sinc, sinh, sqrt, square, subtract, tan, tanh, true_divide, trunc, where,
)

# Dtypes are NumPy's own scalar types, so they work anywhere NumPy takes a dtype.
bool_ = _np.bool_
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8, uint16, uint32, uint64 = _np.uint8, _np.uint16, _np.uint32, _np.uint64
float16, float32, float64 = _np.float16, _np.float32, _np.float64
complex64, complex128 = _np.complex64, _np.complex128
dtype = _np.dtype
ndarray = _np.ndarray
result_type = _np.result_type
issubdtype = _np.issubdtype
finfo, iinfo = _np.finfo, _np.iinfo
integer, floating, inexact, number = _np.integer, _np.floating, _np.inexact, _np.number

pi = _np.pi
e = _np.e
inf = _np.inf
nan = _np.nan
newaxis = None

_array_methods.install(_sys.modules[__name__])
