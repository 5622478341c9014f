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

from functrans.core import Tracer as _Tracer

from functrans.numpy import _array_methods, fft
from functrans.numpy._complex import (
    angle, conj, conjugate, imag, iscomplex, iscomplexobj, isreal, isrealobj, real, real_if_close,
)
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

from functrans.numpy._comparisons import allclose, array_equal, array_equiv, isclose
from functrans.numpy._convolution import convolve, correlate
from functrans.numpy._differences import (
    cross, cumulative_prod, cumulative_sum, diff, ediff1d, gradient, kron, trapezoid, unwrap,
    vander,
)
from functrans.numpy._elementwise_compositions import (
    cbrt, copysign, deg2rad, degrees, divmod, fabs, float_power, fmod, gcd, heaviside, i0,
    isneginf, lcm,
    isposinf, logaddexp2, modf, nan_to_num, rad2deg, radians, signbit,
)
from functrans.numpy._bits import (
    bitwise_count, bitwise_left_shift, bitwise_right_shift, left_shift, packbits, right_shift,
    unpackbits,
)
from functrans.numpy._floating_point import frexp, ldexp, nextafter, spacing
from functrans.numpy._functional import apply_along_axis, apply_over_axes, fromfunction
from functrans.numpy._grids import (
    diag_indices, diag_indices_from, diagflat, fill_diagonal, geomspace, index_exp, indices, ix_,
    logspace, mask_indices, meshgrid, mgrid, ogrid, ravel_multi_index, s_, tri, tril_indices,
    tril_indices_from, triu_indices, triu_indices_from, unravel_index,
)
from functrans.numpy._joining import (
    append, atleast_3d, block, c_, column_stack, concat, dsplit, dstack, hsplit, r_, row_stack,
    unstack, vsplit,
)
from functrans.numpy._nan_reductions import (
    nanargmax, nanargmin, nancumprod, nancumsum, nanmax, nanmean, nanmedian, nanmin,
    nanpercentile, nanprod, nanquantile, nanstd, nansum, nanvar,
)
from functrans.numpy._padding import pad
from functrans.numpy._polynomials import (
    poly, polyadd, polyder, polyfit, polyint, polymul, polysub, polyval, roots, sort_complex,
)
from functrans.numpy._rearranging import delete, fliplr, flipud, insert, resize, rollaxis, rot90
from functrans.numpy._selection import (
    argpartition, argwhere, bincount, choose, compress, digitize, extract, flatnonzero,
    histogram, histogram2d, histogram_bin_edges, histogramdd, interp, lexsort, nonzero, partition, piecewise, put,
    put_along_axis, searchsorted, select, unique,
)
from functrans.numpy._sets import (
    intersect1d, isin, setdiff1d, setxor1d, union1d, unique_all, unique_counts, unique_inverse, unique_values,
)
from functrans.numpy._statistics import (
    average, corrcoef, count_nonzero, cov, median, percentile, ptp, quantile,
)

from functrans.numpy._vector_products import matrix_transpose, matvec, vecdot, vecmat

# NumPy 2's array-API spellings of existing functions.
acos, acosh, asin, asinh, atan, atan2, atanh = (
    arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh)
permute_dims = transpose

# The NumPy whose semantics functrans.numpy follows (code that checks np.__version__ works).
__version__ = _np.__version__

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
bool = _np.bool_  # noqa: A001 (NumPy's name)
double, single, cdouble, csingle = _np.double, _np.single, _np.cdouble, _np.csingle
float_, int_, uint, complex_ = _np.float64, _np.int_, _np.uint, _np.complex128
generic, signedinteger, unsignedinteger = _np.generic, _np.signedinteger, _np.unsignedinteger
complexfloating, character, flexible, object_ = (
    _np.complexfloating, _np.character, _np.flexible, _np.object_)

# Questions about dtypes, shapes and printing, answered by NumPy itself.
can_cast, isdtype, promote_types, broadcast_shapes = (
    _np.can_cast, _np.isdtype, _np.promote_types, _np.broadcast_shapes)
isscalar, iterable, array_repr, array_str = _np.isscalar, _np.iterable, _np.array_repr, _np.array_str
einsum_path = _np.einsum_path
ComplexWarning = _np.exceptions.ComplexWarning
euler_gamma = _np.euler_gamma

# Window functions: their length is static, so they are constants.
bartlett, blackman, hamming, hanning, kaiser = (
    _np.bartlett, _np.blackman, _np.hamming, _np.hanning, _np.kaiser)


def astype(x, dtype, /, *, copy=True):
    """The array API's ``astype``: ``x`` converted to ``dtype``."""
    return asarray(x).astype(dtype)


def copy(a, order="K"):
    """NumPy's ``copy`` (arrays are values here: the same array, or NumPy's copy when eager)."""
    return _np.copy(a) if not isinstance(a, _Tracer) else a

pi = _np.pi
e = _np.e
inf = _np.inf
nan = _np.nan
newaxis = None

_array_methods.install(_sys.modules[__name__])

from functrans.numpy import linalg  # noqa: E402 (its functions build on the names above)
