"""Vectorizable elementary functions for generated numba kernels.

Why this module exists: numba lowers ``np.exp``/``np.sin``/... to calls of the C
library (libm) through LLVM intrinsics. LLVM can only vectorize a loop around such a
call when it has a vector math library, and the llvmlite build on PyPI has none (no
Intel SVML), so a loop like ``acc += np.tanh(x[i]) * np.sin(x[i]) + ...`` runs one
scalar libm call per element while XLA evaluates the same expression with SIMD
polynomials. The functions here are plain numba code instead: branch-free (only
selects, which the loop vectorizer if-converts), no libm call, no table look-up, so a
loop calling them vectorizes (``<4 x double>`` with AVX2).

Accuracy promise: every function is faithfully rounded, i.e. its result is one of the
two floating-point numbers bracketing the exact value (error < 1 ulp; measured maxima
0.55-0.66 ulp for float64, 0.75 for subnormal results of exp/logistic; float32 results
were correctly rounded on every input tried), for every input, including +-0, +-inf,
nan, subnormal inputs and outputs, and the overflow/underflow thresholds (sin/cos: see
below). It therefore agrees with a (correctly rounded or faithful) libm within 1 ulp.
How it is done without FMA (the code must not depend on the CPU having one, and
fastmath stays off):

* the argument is reduced exactly (Cody-Waite constants with trailing zero bits, so
  ``k * C_hi`` is exact) and the reduced argument is kept as a pair ``hi + lo``;
* the leading terms of each expansion are summed with error-free transformations
  (``_two_sum``, Dekker's ``_two_prod`` by Veltkamp splitting), so the only rounding
  that matters is the final one; the polynomial only supplies terms that are small
  relative to the result;
* branch-free special cases: inputs are clamped with selects (nan included) so no
  integer conversion is undefined, and +-0/inf/nan/tiny inputs are fixed by final selects;
* float32 functions compute in float64 and round once.

Polynomial coefficients are Chebyshev (near-minimax) approximations computed with
``mpmath.chebyfit`` at 50 digits over the reduced interval, rounded to double;
``_derive_coefficients()`` recomputes every table below (it needs mpmath, and is not
used at run time). The methods are textbook (Cody & Waite range reduction; Tang-style
``exp`` without tables; ``log`` via ``2 atanh(f / (2 + f))``; ``tanh`` and ``logistic``
as double-double quotients); no code was taken from any libm.

Use: ``FUNCTIONS[(name, dtype_name)]`` names the function, e.g.
``FUNCTIONS["exp", "float64"] == "exp_f64"``. functrans.lowering.compile installs this
module beside the kernels, and compiles kernels with a raised LLVM inline threshold, so
LLVM inlines these functions into the kernels' loops and vectorizes them. (numba's own
``inline="always"`` gives the same loops but makes its parallel-loop analysis take 20 s
on W1.) Every helper returns a flat tuple. Division goes through the ``_div`` intrinsic
(a bare ``fdiv``), so a caller compiled with numba's default ``error_model="python"``
gets no zero-division check (a check would add a branch and a raise, and stop
vectorization). A loop that *sums* these values still cannot vectorize (LLVM may not
reorder floating-point additions); functrans's kernels compute values into a buffer
and sum that in a fixed order instead (functrans.lowering.summation).

sin/cos: the fast (vectorized) argument reduction is exact only for ``|x| < SINCOS_LIMIT``
(1e7). For larger finite ``|x|`` the fast functions return nan; the caller must OR
``sincos_out_of_range_f64(x)`` over the loop and, if it is ever true, recompute with
libm (``np.sin``) -- see ``sin_f64`` for why an in-loop fallback cannot be used.
"""
import math
import struct

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from functrans.lowering.disk_cache import caches_machine_code

#: numba decorator for every function here: compiled once per machine (cached with the
#: kernels), inlined into each kernel by LLVM.
_inline = njit(nogil=True, cache=caches_machine_code(__name__))


def _bits(value):
    return struct.unpack("<q", struct.pack("<d", value))[0]


# --- tiny LLVM-level helpers ----------------------------------------------------------

@intrinsic
def _as_i64(typingctx, x):
    """The bits of a float64 as an int64 (an LLVM bitcast: free, vectorizes)."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))
    return sig, codegen


@intrinsic
def _as_f64(typingctx, i):
    """The float64 whose bits are the int64 ``i`` (LLVM bitcast)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))
    return sig, codegen


@intrinsic
def _div(typingctx, a, b):
    """``a / b`` as a bare IEEE division (no zero check whatever the error model)."""
    sig = types.float64(types.float64, types.float64)

    def codegen(context, builder, signature, args):
        return builder.fdiv(args[0], args[1])
    return sig, codegen


# --- error-free transformations ---------------------------------------------------------

@_inline
def _two_sum(a, b):
    """``(s, e)`` with ``s = fl(a + b)`` and ``s + e == a + b`` exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@_inline
def _fast_two_sum(a, b):
    """As ``_two_sum``, valid when ``|a| >= |b|`` (Dekker)."""
    s = a + b
    return s, b - (s - a)


@_inline
def _two_prod(a, b):
    """``(p, e)`` with ``p = fl(a * b)`` and ``p + e == a * b`` exactly (Dekker, Veltkamp
    splitting; no FMA). Valid for ``|a|, |b| < 2**995`` without underflow."""
    p = a * b
    c = 134217729.0 * a
    ah = c - (c - a)
    al = a - ah
    c = 134217729.0 * b
    bh = c - (c - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


# --- constants --------------------------------------------------------------------------

_SHIFT = 6755399441055744.0            # 1.5 * 2**52: x + _SHIFT - _SHIFT rounds x to an integer
_SHIFT_BITS = _bits(_SHIFT)
_INV_LN2 = 1.4426950408889634
_LN2_HI = 0.6931471805598903           # ln 2 to 42 bits: k * _LN2_HI is exact for |k| < 2**11
_LN2_LO = 5.497923018708371e-14        # ln 2 - _LN2_HI
_SQRT_HALF_BITS = _bits(0.7071067811865476)
_TWO_OVER_PI = 0.6366197723675814
# pi/2 = _PIO2_1 + _PIO2_2 + _PIO2_3 + _PIO2_4 (+ 2**-150); the first three have 30
# significant bits, so n * _PIO2_i is exact for |n| < 2**23.
_PIO2_1 = 1.5707963276654482
_PIO2_2 = -8.705515692000731e-10
_PIO2_3 = -3.503434396954818e-19
_PIO2_4 = -1.1351118607522202e-28
#: sin/cos of float64 (and float32) are computed by the fast path for |x| below this.
SINCOS_LIMIT = 1.0e7

# Polynomial coefficients, lowest degree first (see _derive_coefficients).
# exp(r) = 1 + r + r**2/2 + r**3 * G(r),  |r| <= ln2/2 + 1e-4, degree 9 (exp: degree 12)
_EXP_G = (
    0.16666666666666669, 0.041666666666666664, 0.008333333333330056,
    0.001388888888888655, 0.0001984126986307828, 2.480158731716211e-05,
    2.7557268421682613e-06, 2.7557282942188775e-07, 2.510040371657669e-08,
    2.0911249642284405e-09,
)
# log1p(f) = 2s + s * z * H(z),  s = f / (2 + f),  z = s**2 <= 0.1716**2, degree 7
_LOG_H = (
    0.6666666666666666, 0.40000000000000885, 0.2857142857079857,
    0.22222222392856264, 0.18181795518146338, 0.1538624633352355,
    0.1326859567896837, 0.13088480786282353,
)
# sin(r) = r + r * z * S(z),  z = r**2 <= (pi/4)**2, degree 6 (sin: degree 15)
_SIN_S = (
    -0.16666666666666666, 0.008333333333333331, -0.00019841269841265065,
    2.755731921933912e-06, -2.505210623243116e-08, 1.6058531616384064e-10,
    -7.586696964319367e-13,
)
# cos(r) = 1 - z/2 + z**2 * C(z), degree 5 (cos: degree 14)
_COS_C = (
    0.041666666666666664, -0.0013888888888887398, 2.480158729876566e-05,
    -2.7557317271714906e-07, 2.0876146265300598e-09, -1.138263220199036e-11,
)


def _derive_coefficients():
    """Recompute the coefficient tables above (Chebyshev fits with mpmath, 50 digits).

    Each fit is of a smooth auxiliary function whose product with a small factor is the
    part of the result beyond the exactly summed leading terms, so an absolute error of
    about 2**-57 in it is far below an ulp of the result. Returns a dict name -> tuple.
    """
    import mpmath as mp
    mp.mp.dps = 50

    def fit(function, lower, upper, terms):
        coefficients = mp.chebyfit(function, [lower, upper], terms)
        return tuple(float(c) for c in coefficients[::-1])

    def exp_g(r):
        return (mp.exp(r) - 1 - r - r * r / 2) / r ** 3 if r else mp.mpf(1) / 6

    def log_h(z):
        s = mp.sqrt(z)
        return 2 * (mp.atanh(s) / s - 1) / z if z else mp.mpf(2) / 3

    def sin_s(z):
        r = mp.sqrt(z)
        return (mp.sin(r) - r) / (r * z) if z else -mp.mpf(1) / 6

    def cos_c(z):
        return (mp.cos(mp.sqrt(z)) - 1 + z / 2) / (z * z) if z else mp.mpf(1) / 24

    half_ln2 = mp.log(2) / 2 + mp.mpf("1e-4")
    quarter_pi = (mp.pi / 4 + mp.mpf("1e-6")) ** 2
    return {
        "_EXP_G": fit(exp_g, -half_ln2, half_ln2, 10),
        "_LOG_H": fit(log_h, 0, mp.mpf("0.1716") ** 2 * mp.mpf("1.001"), 8),
        "_SIN_S": fit(sin_s, 0, quarter_pi, 7),
        "_COS_C": fit(cos_c, 0, quarter_pi, 6),
    }


_G0, _G1, _G2, _G3, _G4, _G5, _G6, _G7, _G8, _G9 = _EXP_G
_H0, _H1, _H2, _H3, _H4, _H5, _H6, _H7 = _LOG_H
_S0, _S1, _S2, _S3, _S4, _S5, _S6 = _SIN_S
_C0, _C1, _C2, _C3, _C4, _C5 = _COS_C


@_inline
def _exp_g(r):
    return _G0 + r * (_G1 + r * (_G2 + r * (_G3 + r * (_G4 + r * (
        _G5 + r * (_G6 + r * (_G7 + r * (_G8 + r * _G9))))))))


@_inline
def _log_h(z):
    return _H0 + z * (_H1 + z * (_H2 + z * (_H3 + z * (_H4 + z * (
        _H5 + z * (_H6 + z * _H7))))))


@_inline
def _sin_s(z):
    return _S0 + z * (_S1 + z * (_S2 + z * (_S3 + z * (_S4 + z * (_S5 + z * _S6)))))


@_inline
def _sin_s1(z):
    return _S1 + z * (_S2 + z * (_S3 + z * (_S4 + z * (_S5 + z * _S6))))


@_inline
def _cos_c(z):
    return _C0 + z * (_C1 + z * (_C2 + z * (_C3 + z * (_C4 + z * _C5))))


@_inline
def _pow2(k):
    """2.0**k for an int64 -1022 <= k <= 1023 (built from its bits)."""
    return _as_f64((k + 1023) << 52)


# --- exp family ---------------------------------------------------------------------------

@_inline
def _exp_reduce(x):
    """``(k, float(k), r, rl)`` with ``x = k ln2 + r + rl`` to about 2**-105 (Cody-Waite, two
    constants), ``|r| <= ln2/2 + 2**-40``, for ``|x| <= 750``."""
    t = x * _INV_LN2 + _SHIFT
    kf = t - _SHIFT                     # round(x / ln2), exactly representable
    k = _as_i64(t) - _SHIFT_BITS        # the same as an int64, without a conversion
    r, rl = _two_sum(x - kf * _LN2_HI, -(kf * _LN2_LO))
    return k, kf, r, rl


@_inline
def _exp_core(x):
    """``(k, y, yl)``: ``exp(x) = 2**k (y + yl)`` with ``y + yl`` good to ~2**-62
    relative and ``y = fl(y + yl)`` in [0.7, 1.42]; for ``|x| <= 750``."""
    k, _, r, rl = _exp_reduce(x)
    # exp(r + rl) = 1 + r + (r**2/2 + r**3 G(r)) + rl (1 + r): the sum 1 + r is kept
    # exact, the rest is below 0.07 and only needs a few bits beyond the last one.
    hi, lo = _fast_two_sum(1.0, r)
    r2 = r * r
    tail = lo + (rl + r * rl + r2 * (0.5 + r * _exp_g(r)))
    y, yl = _fast_two_sum(hi, tail)
    return k, y, yl


@_inline
def _scale(y, k):
    """``y * 2**k`` with one rounding, for -1100 < k <= 1024 (two exact steps)."""
    k1 = k >> 1
    return y * _pow2(k1) * _pow2(k - k1)


@_inline
def exp_f64(x):
    """exp(x). Method: x = k ln2 + r (Cody-Waite, |r| <= ln2/2), exp(r) = 1 + r + r**2/2 +
    r**3 G(r) with G a degree-9 Chebyshev fit (degree 12 in all), 1 + r summed exactly,
    scaled by 2**k in two exact steps so subnormal results are rounded once."""
    xc = x if x > -750.0 else -750.0     # exp underflows to 0 below -745.2 (nan -> -750)
    xc = xc if xc < 710.0 else 710.0     # and overflows above 709.79
    k, y, _ = _exp_core(xc)
    result = _scale(y, k)
    return result if x == x else x


@_inline
def _expm1_dd(x):
    """``(hi, lo)``: ``expm1(x) = hi + lo`` to ~2**-62 relative, ``hi = fl(hi + lo)``, for
    -60 <= x <= 710 (``hi`` may overflow to inf above 709.78)."""
    k, _, r, rl = _exp_reduce(x)
    # e = expm1(r + rl) = r + r**2/2 + r**3 G(r) + rl (1 + r), as a double-double.
    r2, r2l = _two_prod(r, r)
    s, se = _fast_two_sum(r, 0.5 * r2)
    tail = se + (0.5 * r2l + (rl + r * rl + r2 * r * _exp_g(r)))
    e, el = _fast_two_sum(s, tail)
    # expm1(x) = 2**k e + (2**k - 1), with 2**k - 1 split exactly as a + b.
    kk = k if k < 1023 else 1023                  # k == 1024: use 2**1023, double at the end
    scale = _pow2(kk)
    big = kk >= 53
    small = kk <= -54
    a = scale if big else (-1.0 if small else scale - 1.0)
    b = -1.0 if big else (scale if small else 0.0)
    hi, lo = _two_sum(a, scale * e)
    hi, lo = _fast_two_sum(hi, lo + (scale * el + b))
    twice = 2.0 if k > kk else 1.0
    return hi * twice, lo * twice


@_inline
def expm1_f64(x):
    """exp(x) - 1. Method: exp's reduction; expm1(r) = r + r**2/2 + r**3 G(r) as a
    double-double (r**2 exact by Dekker's product), then 2**k expm1(r) + (2**k - 1) with
    2**k - 1 split exactly and summed by two_sum: one final rounding."""
    xc = x if x > -60.0 else -60.0       # expm1 rounds to -1 below -37.5 (nan -> -60)
    xc = xc if xc < 710.0 else 710.0
    hi, lo = _expm1_dd(xc)
    result = hi + lo
    result = result if abs(x) >= 2.0 ** -54 else x    # expm1(x) rounds to x: +-0, subnormals
    return result if x == x else x


@_inline
def tanh_f64(x):
    """tanh(x) = t / (t + 2), t = expm1(2|x|) as a double-double; the quotient is formed
    with one division and corrected by its exact remainder (Dekker's product), so it is
    rounded once. |x| is capped at 22 (tanh rounds to +-1 from 19.06 on)."""
    a = abs(x)
    a = a if a < 22.0 else 22.0
    th, tl = _expm1_dd(2.0 * a)
    d, dl = _two_sum(th, 2.0)
    dl = dl + tl
    inv = _div(1.0, d)
    q = th * inv
    p, pl = _two_prod(q, d)
    q = q + (((th - p) - pl) + (tl - q * dl)) * inv
    q = -q if x < 0.0 else q
    q = q if a >= 2.0 ** -28 else x      # tanh(x) rounds to x; keeps -0 and subnormals
    return q if x == x else x


@_inline
def logistic_f64(x):
    """1 / (1 + exp(-x)), stable for both signs: with E = exp(-|x|) as a double-double,
    1 / (1 + E) for x >= 0 and E / (1 + E) for x < 0, one division corrected by its exact
    remainder. Subnormal results (x < -708.4) are rounded once by the scaling of E."""
    a = -abs(x)
    a = a if a > -750.0 else -750.0
    k, y, yl = _exp_core(a)
    k1 = k >> 1
    s1 = _pow2(k1)
    s2 = _pow2(k - k1)
    e = y * s1 * s2
    d, dl = _fast_two_sum(1.0, e)
    dl = dl + yl * s1 * s2
    # x < 0: the quotient (y + yl) / (1 + E) is formed unscaled (E may be subnormal) and
    # scaled by 2**k at the end, one rounding.
    positive = x >= 0.0
    n = 1.0 if positive else y
    nl = 0.0 if positive else yl
    inv = _div(1.0, d)
    q = n * inv
    p, pl = _two_prod(q, d)
    q = q + (((n - p) - pl) + (nl - q * dl)) * inv
    q = q if positive else q * s1 * s2
    return q if x == x else x


# --- log family ---------------------------------------------------------------------------

@_inline
def _log_reduce(ix):
    """``(k, m)`` with ``bits(ix) = 2**k m``, ``m`` in [sqrt(1/2), sqrt(2)), for a positive
    normal float64 given by its bits ``ix``."""
    k = (ix - _SQRT_HALF_BITS) >> 52
    return k, _as_f64(ix - (k << 52))


@_inline
def _log_sum(k, f, c):
    """``k ln2 + log1p(f) + c`` rounded once, for f in [sqrt(1/2) - 1, sqrt(2) - 1] and a
    correction ``|c| <= 2**-52``. log1p(f) = f - f**2/2 + s (f**2/2 + z H(z)),
    s = f / (2 + f), z = s**2 (the identity log1p(f) = 2 atanh(s)); k ln2, f and f**2/2
    (exact, Dekker) are summed with two_sum, the rest is < 0.02 of the result."""
    kf = _as_f64(k + _SHIFT_BITS) - _SHIFT     # float(k) without an int->float conversion
    s = _div(f, 2.0 + f)
    z = s * s
    f2, f2l = _two_prod(f, f)
    hf2 = 0.5 * f2
    small = s * (hf2 + z * _log_h(z)) + (kf * _LN2_LO - 0.5 * f2l) + c
    s1, e1 = _two_sum(kf * _LN2_HI, f)
    s2, e2 = _two_sum(s1, -hf2)
    return s2 + ((e1 + e2) + small)


@_inline
def log_f64(x):
    """log(x). Method: x = 2**k m (from the bits; subnormals scaled by 2**54 first),
    m in [sqrt(1/2), sqrt(2)), f = m - 1 exact, then ``_log_sum`` with a degree-7
    Chebyshev fit H in z = s**2 (degree 17 in s)."""
    subnormal = x < 2.2250738585072014e-308
    xs = x * 18014398509481984.0 if subnormal else x
    k, m = _log_reduce(_as_i64(xs))
    k = k - 54 if subnormal else k
    result = _log_sum(k, m - 1.0, 0.0)
    result = math.inf if x == math.inf else result
    result = -math.inf if x == 0.0 else result
    result = math.nan if x < 0.0 else result
    return result if x == x else x


@_inline
def log1p_f64(x):
    """log(1 + x). Method: u = 1 + x and its exact rounding error c (two_sum), u = 2**k m
    as in log, and log1p(x) = k ln2 + log1p(m - 1 + c 2**-k): the correction enters
    ``_log_sum`` as c 2**-k / m; for k == 0 the argument is x itself."""
    u, c = _two_sum(1.0, x)
    k, m = _log_reduce(_as_i64(u))
    # For k == 0, m - 1 + c is x itself, exactly; else c 2**-k is tiny against the result
    # (beyond k = 1000 it is far below an ulp, and 2**-k would underflow).
    kc = k if k < 1000 else 1000
    f = x if k == 0 else m - 1.0
    c = 0.0 if k == 0 else _div(c * _pow2(-kc), m)   # log1p(f + c) = log1p(f) + c / m
    result = _log_sum(k, f, c)
    result = result if abs(x) >= 2.0 ** -54 else x   # rounds to x: +-0, subnormals
    result = math.inf if x == math.inf else result
    result = -math.inf if x == -1.0 else result
    result = math.nan if x < -1.0 else result
    return result if x == x else x


# --- sin and cos -------------------------------------------------------------------------

@_inline
def _sincos_core(x, quadrant_shift):
    """sin(x) (quadrant_shift 0) or cos(x) (1) for |x| < SINCOS_LIMIT (else nan).

    x = n pi/2 + r with r = rh + rl exact to ~2**-110 (pi/2 in four parts, the first three
    of 30 bits so n * part is exact for |n| < 2**23; the partial sums by two_sum), then
    sin(r) = r + r z S(z) or cos(r) = 1 - z/2 + z**2 C(z), z = r**2, |r| <= pi/4, chosen
    and signed by n mod 4."""
    inside = abs(x) < SINCOS_LIMIT
    xr = x if inside else 0.0
    t = xr * _TWO_OVER_PI + _SHIFT
    nf = t - _SHIFT
    quadrant = (_as_i64(t) + quadrant_shift) & 3
    a = xr - nf * _PIO2_1
    b, be = _two_sum(a, -(nf * _PIO2_2))
    c, ce = _two_sum(b, -(nf * _PIO2_3))
    rh, rl = _two_sum(c, (be + ce) - nf * _PIO2_4)
    z, zl = _two_prod(rh, rh)
    # sin: the r**3 S0 term (up to 0.08 of the result) from the exact r**3 = c3 + c3l
    c3, c3l = _two_prod(rh, z)
    c3l = c3l + rh * zl
    sin_r = rh + (c3 * _S0 + ((c3l * _S0 + rl * (1.0 - 0.5 * z)) + c3 * z * _sin_s1(z)))
    hz = 0.5 * z
    w = 1.0 - hz
    cos_r = w + ((((1.0 - w) - hz) - 0.5 * zl) + (z * z * _cos_c(z) - rh * rl))
    result = cos_r if quadrant & 1 else sin_r
    result = -result if quadrant & 2 else result
    return result if inside else math.nan


@_inline
def sin_f64(x):
    """sin(x), exact for |x| < SINCOS_LIMIT = 1e7; nan for inf, nan and larger |x|, which
    the caller must detect with ``sincos_out_of_range_f64`` and recompute with libm.

    Why no in-loop fallback: ``r if abs(x) < T else math.sin(x)`` does vectorize, but LLVM
    treats ``llvm.sin`` as speculatable and calls it for *every* lane, unconditionally
    (4x slower than without it, slower than plain libm); an opaque (``nobuiltin``)
    call is refused by the vectorizer ("library call cannot be vectorized")."""
    result = _sincos_core(x, 0)
    return result if abs(x) >= 2.0 ** -26 else x       # sin(x) rounds to x: +-0, subnormals


@_inline
def cos_f64(x):
    """cos(x); the same range caveat as ``sin_f64``."""
    return _sincos_core(x, 1)


@_inline
def sincos_out_of_range_f64(x):
    """True when ``sin_f64(x)``/``cos_f64(x)`` is not the correct result (finite |x| >=
    SINCOS_LIMIT). OR it over a loop (an integer reduction, it vectorizes)."""
    return abs(x) >= SINCOS_LIMIT and abs(x) < math.inf


# --- float32: computed in float64 (plain arithmetic, errors ~2**-50), rounded once ------

@_inline
def exp_f32(x):
    """exp of a float32: exp's reduction and polynomial in float64 without the
    double-double steps (relative error ~2**-51), one rounding to float32."""
    xd = np.float64(x)
    xc = xd if xd > -110.0 else -110.0
    xc = xc if xc < 100.0 else 100.0
    t = xc * _INV_LN2 + _SHIFT
    kf = t - _SHIFT
    k = _as_i64(t) - _SHIFT_BITS
    r = (xc - kf * _LN2_HI) - kf * _LN2_LO
    y = 1.0 + (r + r * r * (0.5 + r * _exp_g(r)))
    result = np.float32(y * _pow2(k))
    return result if x == x else x


@_inline
def _expm1_f32_in_f64(xd):
    """expm1 in float64 to ~2**-50 relative for -20 <= xd <= 100 (float32 use)."""
    t = xd * _INV_LN2 + _SHIFT
    kf = t - _SHIFT
    k = _as_i64(t) - _SHIFT_BITS
    r = (xd - kf * _LN2_HI) - kf * _LN2_LO
    e = r + r * r * (0.5 + r * _exp_g(r))
    scale = _pow2(k)
    return scale * e + (scale - 1.0)


@_inline
def expm1_f32(x):
    """exp(x) - 1 of a float32: 2**k expm1(r) + (2**k - 1) in float64, rounded once."""
    xd = np.float64(x)
    xc = xd if xd > -20.0 else -20.0
    xc = xc if xc < 100.0 else 100.0
    result = np.float32(_expm1_f32_in_f64(xc))
    result = result if abs(xd) >= 2.0 ** -25 else x
    return result if x == x else x


@_inline
def tanh_f32(x):
    """tanh of a float32: t / (t + 2), t = expm1(2|x|), in float64, rounded once."""
    xd = np.float64(x)
    a = abs(xd)
    a = a if a < 10.0 else 10.0
    t = _expm1_f32_in_f64(2.0 * a)
    q = np.float32(_div(t, t + 2.0))
    q = -q if x < 0 else q
    q = q if a >= 2.0 ** -13 else x
    return q if x == x else x


@_inline
def logistic_f32(x):
    """logistic of a float32: E = exp(-|x|) in float64, 1 / (1 + E) or E / (1 + E),
    rounded once (float64 has the range for float32's subnormal results)."""
    xd = np.float64(x)
    a = -abs(xd)
    a = a if a > -110.0 else -110.0
    t = a * _INV_LN2 + _SHIFT
    kf = t - _SHIFT
    k = _as_i64(t) - _SHIFT_BITS
    r = (a - kf * _LN2_HI) - kf * _LN2_LO
    e = (1.0 + (r + r * r * (0.5 + r * _exp_g(r)))) * _pow2(k)
    q = np.float32(_div(1.0 if xd >= 0.0 else e, 1.0 + e))
    return q if x == x else x


@_inline
def _log_f32_in_f64(u):
    """log(u) in float64 to ~2**-50 for a positive normal float64 u (float32 use)."""
    k, m = _log_reduce(_as_i64(u))
    kf = _as_f64(k + _SHIFT_BITS) - _SHIFT
    f = m - 1.0
    s = _div(f, 2.0 + f)
    z = s * s
    hf2 = 0.5 * f * f
    return kf * _LN2_HI + (f - (hf2 - (s * (hf2 + z * _log_h(z)) + kf * _LN2_LO)))


@_inline
def log_f32(x):
    """log of a float32 (its subnormals are normal float64s), in float64, rounded once."""
    xd = np.float64(x)
    result = np.float32(_log_f32_in_f64(xd))
    result = np.float32(math.inf) if xd == math.inf else result
    result = np.float32(-math.inf) if xd == 0.0 else result
    result = np.float32(math.nan) if xd < 0.0 else result
    return result if x == x else x


@_inline
def log1p_f32(x):
    """log1p of a float32: 1 + x is exact in float64 when |x| >= 2**-25 (and log1p rounds
    to x below), so log(1 + x) in float64, rounded once."""
    xd = np.float64(x)
    u = 1.0 + xd
    u = u if u > 0.0 else 1.0
    result = np.float32(_log_f32_in_f64(u))
    result = result if abs(xd) >= 2.0 ** -25 else x
    result = np.float32(math.inf) if xd == math.inf else result
    result = np.float32(-math.inf) if xd == -1.0 else result
    result = np.float32(math.nan) if xd < -1.0 else result
    return result if x == x else x


@_inline
def _sincos_f32_in_f64(x, quadrant_shift):
    """sin (0) / cos (1) in float64 to ~2**-50 for |x| < SINCOS_LIMIT (else nan): the
    exact reduction of ``_sincos_core`` and plain polynomial evaluation."""
    inside = abs(x) < SINCOS_LIMIT
    xr = x if inside else 0.0
    t = xr * _TWO_OVER_PI + _SHIFT
    nf = t - _SHIFT
    quadrant = (_as_i64(t) + quadrant_shift) & 3
    a = xr - nf * _PIO2_1
    b, be = _two_sum(a, -(nf * _PIO2_2))
    r = b + (be - nf * _PIO2_3)
    z = r * r
    sin_r = r + r * z * _sin_s(z)
    cos_r = 1.0 - (0.5 * z - z * z * _cos_c(z))
    result = cos_r if quadrant & 1 else sin_r
    result = -result if quadrant & 2 else result
    return result if inside else math.nan


@_inline
def sin_f32(x):
    """sin of a float32; exact for |x| < SINCOS_LIMIT, else nan (see ``sin_f64``)."""
    result = np.float32(_sincos_f32_in_f64(np.float64(x), 0))
    return result if abs(x) >= np.float32(2.0 ** -12) else x


@_inline
def cos_f32(x):
    """cos of a float32; exact for |x| < SINCOS_LIMIT, else nan (see ``sin_f64``)."""
    return np.float32(_sincos_f32_in_f64(np.float64(x), 1))


@_inline
def sincos_out_of_range_f32(x):
    """True when ``sin_f32(x)``/``cos_f32(x)`` is not the correct result."""
    return abs(x) >= np.float32(SINCOS_LIMIT) and abs(x) < np.float32(math.inf)


# --- lookup for the code generator ---------------------------------------------------------

_NAMES = ("exp", "expm1", "log", "log1p", "tanh", "sin", "cos", "logistic")
#: (function name, dtype name) -> name of the function in this module.
FUNCTIONS = {(name, dtype): f"{name}_{suffix}" for name in _NAMES
             for dtype, suffix in (("float64", "f64"), ("float32", "f32"))}
#: dtype name -> the predicate a loop must OR when it calls sin/cos (see sin_f64).
SINCOS_OUT_OF_RANGE = {"float64": "sincos_out_of_range_f64",
                       "float32": "sincos_out_of_range_f32"}


def function_name(name, dtype):
    """The name of the function here computing ``name`` for ``dtype`` (None if none)."""
    return FUNCTIONS.get((name, np.dtype(dtype).name))


__all__ = [*FUNCTIONS.values(), *SINCOS_OUT_OF_RANGE.values()]
