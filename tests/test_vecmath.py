"""functrans.lowering.vecmath: every function within 1 ulp of NumPy's (libm) result, and
below 1 ulp of an extended-precision reference, on random floats over the whole range,
dense grids, thresholds and special values; and the loops calling them vectorize.

The functions are called through small @njit loops, as generated kernels call them;
each loop is compiled once per test session (``_loop``).
"""
import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

numba = pytest.importorskip("numba")
from numba import njit

from functrans.lowering import compile as lowering_compile
from functrans.lowering import vecmath

# numba and LLVM set up as functrans compiles kernels (LLVM inlines vecmath's functions)
lowering_compile._numba()

# float32 versions of the float64 grids and special values overflow to inf on purpose
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")

NAMES = ["exp", "expm1", "log", "log1p", "tanh", "sin", "cos", "logistic"]
DTYPES = [np.float64, np.float32]
LIMIT = vecmath.SINCOS_LIMIT

# long double is the x87 80-bit format on x86-64 Linux (64-bit significand): its libm
# results, rounded to float64, are the correctly rounded ones in all but rare cases.
EXTENDED = np.finfo(np.longdouble).nmant >= 63


def _logistic(x):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


NUMPY = {"exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "tanh": np.tanh,
         "sin": np.sin, "cos": np.cos, "logistic": _logistic}

_loops = {}


def _loop(name, dtype):
    """A compiled ``for i: out[i] = f(x[i])`` loop around vecmath's ``name`` for ``dtype``."""
    key = (name, np.dtype(dtype).name)
    if key not in _loops:
        function = getattr(vecmath, vecmath.FUNCTIONS[key])

        @njit
        def loop(x, out):
            for i in range(x.size):
                out[i] = function(x[i])
        _loops[key] = loop
    return _loops[key]


def evaluate(name, x):
    x = np.ascontiguousarray(x)
    out = np.empty_like(x)
    _loop(name, x.dtype)(x, out)
    return out


def reference(name, x):
    """NumPy's result: libm for float64; for float32 the float64 libm result rounded to
    float32 (NumPy's own float32 SIMD functions are up to 3 ulp off)."""
    with np.errstate(all="ignore"):
        if x.dtype == np.float32:
            return NUMPY[name](x.astype(np.float64)).astype(np.float32)
        if name == "logistic":  # NumPy has none: 1 / (1 + exp(-x)) in long double
            return _logistic(x.astype(np.longdouble)).astype(np.float64)
        return NUMPY[name](x)


def ordered(values):
    """Bit patterns as integers in the order of the floats (so that the difference of two
    is their distance in ulps; +0 and -0 both map to 0)."""
    signed = {4: np.int32, 8: np.int64}[values.dtype.itemsize]
    bits = values.view(signed).astype(np.int64)
    low = np.int64(np.iinfo(signed).min)
    return np.where(bits < 0, low - bits, bits)


def ulp_distance(a, b):
    """Elementwise distance in ulps; 0 where both are nan, huge where only one is."""
    distance = np.abs(ordered(a) - ordered(b))
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    return np.where(nan_a & nan_b, 0, np.where(nan_a | nan_b, 2 ** 40, distance))


def in_domain(name, x):
    """The inputs on which the function promises the correct result (sin/cos: below the
    fast-reduction limit, the caller recomputes the rest, see vecmath.sin_f64)."""
    if name in ("sin", "cos"):
        return ~(np.abs(x) >= LIMIT) | np.isinf(x)
    return np.ones(x.shape, bool)


def check(name, x, max_ulps=1):
    """Our result within ``max_ulps`` of NumPy's on the domain; below 1 ulp of the
    extended-precision result (float64 when long double is extended)."""
    x = np.asarray(x)
    ours = evaluate(name, x)
    inside = in_domain(name, x)
    expected = reference(name, x)
    distance = np.where(inside, ulp_distance(ours, expected), 0)
    worst = int(np.argmax(distance))
    assert distance[worst] <= max_ulps, (
        f"{name}({x[worst]!r}) = {ours[worst]!r}, NumPy {expected[worst]!r}: "
        f"{distance[worst]} ulp")
    if x.dtype == np.float64 and EXTENDED:
        error = ulp_error(name, x, ours)
        error = np.where(inside, error, 0)
        worst = int(np.argmax(error))
        assert error[worst] < 1, f"{name}({x[worst]!r}) = {ours[worst]!r}: {error[worst]} ulp"
    if x.dtype == np.float32:
        # float32 results are also checked against the correctly rounded result
        exact = extended_reference(name, x).astype(np.float32) if EXTENDED else expected
        distance = np.where(inside, ulp_distance(ours, exact), 0)
        assert distance.max() <= 1
    outside = ~inside & ~np.isnan(x)
    assert np.all(np.isnan(ours[outside]))
    return ours


def extended_reference(name, x):
    with np.errstate(all="ignore"):
        return NUMPY[name](x.astype(np.longdouble))


def ulp_error(name, x, ours):
    """|ours - exact| in ulps of the exact result (long double stands in for exact)."""
    exact = extended_reference(name, x)
    rounded = exact.astype(np.float64)
    with np.errstate(all="ignore"):
        # the ulp of the binade of the exact value (the smaller one at a power of two)
        ulp = np.spacing(np.abs(rounded)).astype(np.longdouble)
        below = np.abs(exact) < np.abs(rounded.astype(np.longdouble))
        at_power = (np.frexp(np.abs(rounded))[0] == 0.5) & below & (np.abs(rounded) > 2 ** -1021)
        ulp = np.where(at_power, ulp / 2, ulp)
        error = np.abs(ours.astype(np.longdouble) - exact) / ulp
    finite = np.isfinite(rounded) & np.isfinite(ours)
    return np.where(finite, error, 0).astype(np.float64)


# --- random floats over the whole range (subnormals, infinities, nan included) ----------

@pytest.mark.parametrize("name", NAMES)
@given(x=hnp.arrays(np.float64, 64, elements=st.floats(allow_nan=True, allow_infinity=True,
                                                       allow_subnormal=True)))
def test_random_float64(name, x):
    check(name, x)


@pytest.mark.parametrize("name", NAMES)
@given(x=hnp.arrays(np.float32, 64, elements=st.floats(width=32, allow_nan=True,
                                                       allow_infinity=True,
                                                       allow_subnormal=True)))
def test_random_float32(name, x):
    check(name, x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_random_bit_patterns(name, dtype):
    """200k uniformly random bit patterns: every exponent equally often."""
    rng = np.random.default_rng(7)
    width = np.dtype(dtype).itemsize
    bits = rng.integers(0, 2 ** 63, 200_000, dtype=np.uint64) if width == 8 else \
        rng.integers(0, 2 ** 32, 200_000, dtype=np.uint64).astype(np.uint32)
    check(name, bits.view({8: np.float64, 4: np.float32}[width]))


# --- dense grids and thresholds ---------------------------------------------------------

def _grids(name):
    grids = [np.linspace(-50, 50, 100_001), np.random.default_rng(1).standard_normal(100_000)]
    if name in ("exp", "expm1", "logistic", "tanh"):
        grids += [np.linspace(-760, 720, 100_001),
                  np.linspace(-1e-3, 1e-3, 20_001),
                  np.geomspace(1e-300, 1, 20_000), -np.geomspace(1e-300, 1, 20_000)]
    if name == "exp":  # overflow, the subnormal range, underflow
        grids += [np.linspace(709.7, 709.8, 20_001), np.linspace(-708.5, -708.3, 20_001),
                  np.linspace(-745.2, -745.1, 20_001)]
    if name == "expm1":
        grids += [np.linspace(-38, -36, 20_001), np.linspace(709.7, 709.8, 20_001),
                  np.linspace(-0.4, 0.4, 20_001)]
    if name == "tanh":
        grids += [np.linspace(18.5, 19.5, 20_001), np.linspace(-0.6, 0.6, 20_001)]
    if name == "logistic":
        grids += [np.linspace(-709.9, -707.5, 20_001), np.linspace(36, 38, 20_001)]
    if name in ("log", "log1p"):
        grids += [np.geomspace(5e-324, 1.7e308, 100_000), np.linspace(0.5, 2, 100_001),
                  np.linspace(1 - 1e-6, 1 + 1e-6, 20_001), np.linspace(0, 1e-300, 1001)]
    if name == "log1p":
        grids += [np.linspace(-1, -0.99, 20_001), np.linspace(-0.3, 0.42, 20_001),
                  np.linspace(-1e-15, 1e-15, 20_001), -np.geomspace(1e-300, 1, 20_000)]
    if name in ("sin", "cos"):
        grids += [np.linspace(-10, 10, 100_001), np.linspace(-LIMIT, LIMIT, 100_001),
                  np.linspace(LIMIT - 100, LIMIT + 100, 2001),
                  # the integers nearest to multiples of pi/2: small reduced arguments
                  np.round(np.arange(1, 6_000_000, 997) * (np.pi / 2)),
                  np.geomspace(1e-300, 1, 20_000)]
    return np.concatenate(grids)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_grids(name, dtype):
    check(name, _grids(name).astype(dtype))


# --- special values ------------------------------------------------------------------------

SPECIAL = [0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, -5e-324, 2.2250738585072014e-308,
           -2.2250738585072014e-308, 1e-300, 1.0, -1.0, 0.5, 2.0, math.pi, math.pi / 2,
           1e-8, -1e-8, 2.0 ** -54, -2.0 ** -54, 2.0 ** -28, 2.0 ** -26, 1.7976931348623157e308,
           -1.7976931348623157e308, 709.782712893384, 709.7827128933841, 709.78, 710.0,
           -708.3964185322641, -708.4, -745.1332191019411, -745.1332191019412, -746.0,
           -37.42994775023705, -37.43, 19.061547465398498, 22.0, 36.7368005696771,
           -1.0 + 2.0 ** -53, -0.9999999999999999, 0.41421356237309503, -0.2928932188134524,
           0.7071067811865476, 1.4142135623730951, 9999999.0, 1e7, -1e7, 1e22, 1e300]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_special_values(name, dtype):
    x = np.array(SPECIAL, dtype=dtype)
    ours = check(name, x)
    expected = reference(name, x)
    inside = in_domain(name, x)
    same_zero_sign = (ours != 0) | (np.signbit(ours) == np.signbit(expected))
    assert np.all(same_zero_sign[inside]), x[~same_zero_sign]


@pytest.mark.parametrize("dtype", DTYPES)
def test_exact_values(dtype):
    def f(name, value):
        return evaluate(name, np.array([value], dtype=dtype))[0]
    assert f("exp", 0.0) == 1 and f("exp", -math.inf) == 0 and f("exp", math.inf) == math.inf
    assert f("exp", 1000.0) == math.inf and f("exp", -1000.0) == 0
    assert f("expm1", -math.inf) == -1 and f("expm1", -100.0) == -1
    assert np.signbit(f("expm1", -0.0)) and np.signbit(f("log1p", -0.0))
    assert np.signbit(f("tanh", -0.0)) and np.signbit(f("sin", -0.0))
    assert f("log", 1.0) == 0 and not np.signbit(f("log", 1.0))
    assert f("log", 0.0) == -math.inf and f("log", -0.0) == -math.inf
    assert np.isnan(f("log", -1.0)) and np.isnan(f("log", -math.inf))
    assert f("log1p", -1.0) == -math.inf and np.isnan(f("log1p", -1.5))
    assert f("tanh", math.inf) == 1 and f("tanh", -math.inf) == -1 and f("tanh", 30.0) == 1
    assert f("cos", 0.0) == 1 and np.isnan(f("sin", math.inf)) and np.isnan(f("cos", -math.inf))
    assert f("logistic", 0.0) == 0.5 and f("logistic", math.inf) == 1
    assert f("logistic", -math.inf) == 0 and f("logistic", -800.0) == 0
    for name in NAMES:
        assert np.isnan(f(name, math.nan))


def test_subnormal_results():
    """exp and logistic round subnormal results once (not twice)."""
    x = np.linspace(-745.2, -708.3, 200_001)
    for name in ("exp", "logistic"):
        ours = evaluate(name, x)
        assert np.any((ours > 0) & (ours < 2.2250738585072014e-308))
        assert ulp_distance(ours, reference(name, x)).max() <= 1


# --- sin/cos beyond the fast reduction ---------------------------------------------------

@njit
def _out_of_range(x):
    flag = False
    for i in range(x.size):
        flag |= vecmath.sincos_out_of_range_f64(x[i])
    return flag


def test_sincos_out_of_range():
    assert not _out_of_range(np.array([0.0, -9.9e6, math.inf, -math.inf, math.nan]))
    assert _out_of_range(np.array([1.0, 1e7]))
    assert _out_of_range(np.array([-1e300, 1.0]))
    x = np.array([1e7, -3e9, 1e22, 1.7976931348623157e308, 5.0, math.inf, math.nan])
    fast = evaluate("sin", x)
    assert np.all(np.isnan(fast[:4])) and not np.isnan(fast[4])


def test_mpmath_hard_cases():
    """Points where the reduced argument nearly vanishes, against mpmath at 60 digits."""
    mpmath = pytest.importorskip("mpmath")
    from fractions import Fraction
    mpmath.mp.dps = 60
    # numerators p of the best rational approximations p/q of pi/2: p is within about 1/q
    # of q pi/2, so sin/cos reduce to tiny arguments there
    near_pi = [float(Fraction(math.pi / 2).limit_denominator(d).numerator)
               for d in (1, 7, 10, 100, 1000, 10 ** 4, 10 ** 5, 10 ** 6, 6 * 10 ** 6)]
    near_pi += [math.pi / 2, math.pi, 3 * math.pi / 2, 2 * math.pi, 9.42477796076938]
    near_ln2 = [0.34657359027997264, -0.34657359027997264, 1e-5, -1e-5, 0.6931471805599453,
                0.41421356237309503, -0.2928932188134524, 7.0, -7.0, 15.942385152878742]
    for name, function in (("sin", mpmath.sin), ("cos", mpmath.cos), ("exp", mpmath.exp),
                           ("expm1", mpmath.expm1), ("tanh", mpmath.tanh),
                           ("log1p", mpmath.log1p)):
        x = np.array(near_pi if name in ("sin", "cos") else near_ln2)
        x = x[x > -1] if name == "log1p" else x
        ours = evaluate(name, x)
        for value, result in zip(x, ours):
            exact = function(mpmath.mpf(float(value)))
            error = abs(mpmath.mpf(float(result)) - exact) / np.spacing(abs(float(exact)))
            assert error < 1, (name, value, result, float(error))


# --- vectorization -------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_loop_vectorizes_without_libm(name, dtype):
    """The compiled loop holds SIMD vectors of the element type (<2 x double> with SSE2,
    <4 x double> with AVX2) and no call of a libm function."""
    loop = _loop(name, dtype)
    x = np.ones(16, dtype=dtype)
    loop(x, np.empty_like(x))
    ir = "".join(loop.inspect_llvm().values())
    assert re.search(r"<(2|4|8) x double>", ir), "the loop did not vectorize"
    calls = re.findall(r"call [^\n]*@(llvm\.(?:exp|log|sin|cos|pow)[.\w]*|exp\w*|log\w*|sin\w*"
                       r"|cos\w*|tanh\w*)\(", ir)
    assert not calls, calls


# --- the lookup table -------------------------------------------------------------------

def test_function_table():
    for name in NAMES:
        for dtype in ("float64", "float32"):
            assert callable(getattr(vecmath, vecmath.FUNCTIONS[name, dtype]))
            assert vecmath.function_name(name, np.dtype(dtype)) == vecmath.FUNCTIONS[name, dtype]
    assert vecmath.function_name("erf", np.float64) is None
    assert set(vecmath.SINCOS_OUT_OF_RANGE) == {"float64", "float32"}


def test_coefficients_are_reproducible():
    pytest.importorskip("mpmath")
    derived = vecmath._derive_coefficients()
    for table, coefficients in derived.items():
        assert getattr(vecmath, table) == coefficients, table
