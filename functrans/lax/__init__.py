"""Primitive-level operations (``functrans.lax``), as in ``jax.lax``.

Each function binds one primitive of the table; operands of binary
operations share one shape and dtype (``functrans.numpy`` broadcasts and
promotes). Control flow (cond, while_loop, scan, ...) lives here too.
"""
from functrans.lax.complex_numbers import complex, conj, imag, real
from functrans.lax.control_flow import cond, fori_loop, scan, switch, while_loop
from functrans.lax.fourier import FftType, fft
from functrans.lax.elementwise import (
    abs, acos, acosh, add, asin, asinh, atan, atan2, atanh, ceil, convert_element_type, cos,
    cosh, div, eq, erf, erfc, exp, expm1, floor, ge, gt, integer_pow, is_finite, le, log, log1p,
    logical_and, logical_not, logical_or, logical_xor, logistic, lt, max, min, mul, ne, neg,
    pow, rem, round, rsqrt, select, sign, sin, sinh, sqrt, stop_gradient, sub, tan, tanh,
)
from functrans.lax.bits import (
    frexp_exponent, frexp_mantissa, nextafter, shift_left, shift_right,
)
from functrans.lax.linalg import dot_general
from functrans.lax import special  # noqa: F401  (registers the special-function primitives)
from functrans.lax.decompositions import cholesky, eig, eigh, lu, qr, svd, triangular_solve
from functrans.lax.schur_forms import hessenberg, schur
from functrans.lax.reductions import (
    argmax, argmin, cumprod, cumsum, reduce_and, reduce_max, reduce_min, reduce_or,
    reduce_prod, reduce_sum, sort,
)
from functrans.lax.shapes import (
    broadcast_in_dim, concatenate, dynamic_slice, dynamic_update_slice, expand_dims, full,
    gather, iota, pad, reshape, rev, scatter_add, slice, squeeze, take_along_axis, transpose,
)
