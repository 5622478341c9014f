"""The bit functions against NumPy, bit for bit, at their edges: integer shifts by counts
beyond the bit width and negative counts, bitwise_count of the most negative integers,
packbits/unpackbits with every keyword, and frexp, ldexp, nextafter and spacing at zeros of
either sign, subnormals, the largest floats, infinities and NaN. Each is checked traced
(vmap, or the traced IR run by the interpreter) and compiled (jit: one kernel per dtype for
all the functions at once)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import functrans
import functrans.numpy as fnp
from functrans import tree
from functrans.ir import eval_ir
from functrans.testing import check_grads

INTEGER_DTYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64,
                  np.uint64]
FLOAT_DTYPES = [np.float32, np.float64]

# NumPy warns of the overflows and NaNs these edge cases are about.
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered",
                                        "ignore:invalid value encountered")


def _assert_identical(got, expected):
    """Equal dtype, shape and bits (so -0.0 differs from 0.0 and NaN equals NaN)."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    if expected.dtype.kind == "f":
        got = got.view(f"u{got.dtype.itemsize}")
        expected = expected.view(f"u{expected.dtype.itemsize}")
    np.testing.assert_array_equal(got, expected)


def _assert_all_identical(got, expected):
    got, expected = tree.leaves(got), tree.leaves(expected)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        _assert_identical(g, e)


def _traced(function, *args):
    """``function`` evaluated through its traced IR (not NumPy's own function)."""
    ir = functrans.make_jaxpr(function)(*args)
    leaves = eval_ir(ir, *args)
    return tree.unflatten(tree.structure(function(*args)), leaves)


# --- integer shifts and bitwise_count ----------------------------------------------------------

def _integer_operands(dtype):
    """Values at the edges of ``dtype`` (rows) against every count from -3 (0 if unsigned)
    to 3 past the bit width (columns)."""
    info = np.iinfo(dtype)
    values = np.array(sorted({int(info.min), int(info.min) + 1, -1 if info.min else 0, 0, 1,
                              5, int(info.max) // 3, int(info.max) - 1, int(info.max)}),
                      dtype)
    counts = np.arange(max(int(info.min), -3), info.bits + 4).astype(dtype)
    return (np.repeat(values[:, None], counts.size, 1),
            np.repeat(counts[None, :], values.size, 0))


def _integer_functions(xp, x, counts):
    return (xp.left_shift(x, counts), xp.right_shift(x, counts), xp.bitwise_count(x),
            xp.bitwise_left_shift(x, 1), xp.bitwise_right_shift(x, 1))


_integer_functions_jit = functrans.jit(lambda x, counts: _integer_functions(fnp, x, counts))

#: jit of every integer dtype takes a compile each: two here, the others marked slow
_QUICK_JIT_DTYPES = (np.int8, np.uint64)


@pytest.mark.parametrize("dtype", [
    d if d in _QUICK_JIT_DTYPES else pytest.param(d, marks=pytest.mark.slow)
    for d in INTEGER_DTYPES], ids=lambda d: np.dtype(d).name)
def test_shifts_and_bitwise_count_compiled_match_numpy(dtype):
    x, counts = _integer_operands(dtype)
    _assert_all_identical(_integer_functions_jit(x, counts), _integer_functions(np, x, counts))


@pytest.mark.parametrize("dtype", INTEGER_DTYPES, ids=lambda d: np.dtype(d).name)
def test_shifts_and_bitwise_count_traced_match_numpy(dtype):
    x, counts = _integer_operands(dtype)
    traced = functrans.vmap(lambda a, b: _integer_functions(fnp, a, b))(x, counts)
    _assert_all_identical(traced, _integer_functions(np, x, counts))


@pytest.mark.parametrize("function", [
    lambda xp, a: xp.left_shift(a, np.array([[1], [9]], np.uint8)),  # int16, broadcast
    lambda xp, a: xp.right_shift(a, 1),  # a weak Python count
    lambda xp, a: xp.right_shift(a, np.int64(2)),  # int64
    lambda xp, a: xp.left_shift(a > 0, a < 3),  # booleans shift as int8
    lambda xp, a: xp.bitwise_count(a > 0),
    lambda xp, a: xp.bitwise_count(a.astype(np.int64) * -7),
    lambda xp, a: ((a << 2) >> np.int8(1), 1 << (a & 3), 100 >> (a & 7)),  # the operators
])
def test_shifts_and_bitwise_count_promote_and_broadcast_as_numpy_does(function):
    x = np.array([[1, -2, 3, -128]], np.int8)
    _assert_all_identical(_traced(lambda a: function(fnp, a), x), function(np, x))


@pytest.mark.parametrize("function", [
    lambda a: fnp.left_shift(a, 1), lambda a: fnp.right_shift(1, a),
    lambda a: fnp.bitwise_count(a), lambda a: fnp.packbits(a),
    lambda a: fnp.unpackbits(a), lambda a: fnp.left_shift(a.astype(np.uint64), np.int64(1)),
])
def test_bit_functions_reject_what_numpy_rejects(function):
    with pytest.raises(TypeError):
        functrans.make_jaxpr(function)(np.ones(3))


# --- packbits and unpackbits ---------------------------------------------------------------

_BITS = np.random.default_rng(0).integers(0, 3, (3, 11, 2)).astype(np.int16)  # 2 is truthy
_BYTES = np.random.default_rng(1).integers(0, 256, (3, 2, 4)).astype(np.uint8)


def _packing(xp, bits, packed):
    return (xp.packbits(bits), xp.packbits(bits > 0, axis=1),
            xp.packbits(bits, axis=-1, bitorder="little"), xp.packbits(bits, axis=0),
            xp.unpackbits(packed), xp.unpackbits(packed, axis=1, count=11),
            xp.unpackbits(packed, axis=2, count=-5, bitorder="little"),
            xp.unpackbits(packed, axis=0, count=0), xp.unpackbits(packed, count=-96))


def test_packbits_and_unpackbits_traced_match_numpy():
    expected = _packing(np, _BITS, _BYTES)
    _assert_all_identical(_traced(lambda a, b: _packing(fnp, a, b), _BITS, _BYTES), expected)
    # under vmap: a batch of two examples, each packed on its own
    bits, packed = np.stack([_BITS, _BITS[::-1]]), np.stack([_BYTES, _BYTES[::-1]])
    batched = functrans.vmap(lambda a, b: _packing(fnp, a, b))(bits, packed)
    for index, got in enumerate(tree.leaves(batched)):
        _assert_identical(got, np.stack([_packing(np, a, b)[index]
                                         for a, b in zip(bits, packed)]))


def test_packbits_and_unpackbits_compiled_match_numpy():
    function = functrans.jit(lambda bits, packed: (
        fnp.packbits(bits, axis=1, bitorder="little"),
        fnp.unpackbits(packed, axis=2, count=-5)))
    _assert_all_identical(function(_BITS, _BYTES),
                          (np.packbits(_BITS, axis=1, bitorder="little"),
                           np.unpackbits(_BYTES, axis=2, count=-5)))


@pytest.mark.slow
def test_packbits_and_unpackbits_compiled_with_every_keyword_match_numpy():
    function = functrans.jit(lambda bits, packed: _packing(fnp, bits, packed))
    _assert_all_identical(function(_BITS, _BYTES), _packing(np, _BITS, _BYTES))


def test_packbits_round_trip_and_edge_shapes():
    bits = np.array([1, 0, 1, 1, 0, 0, 0, 0, 1], np.uint8)
    for function in (lambda a: fnp.unpackbits(fnp.packbits(a), count=a.size),
                     lambda a: fnp.packbits(a[:0]), lambda a: fnp.packbits(a[0]),
                     lambda a: fnp.unpackbits(a[0]), lambda a: fnp.unpackbits(a, count=20)):
        numpy_function = function  # the same calls on NumPy arrays run NumPy's functions
        _assert_identical(_traced(function, bits), numpy_function(bits))


@settings(max_examples=40)
@given(data=st.data())
def test_packbits_then_unpackbits_match_numpy_for_drawn_shapes_and_keywords(data):
    dtype = data.draw(st.sampled_from([np.bool_, np.uint8, np.int8, np.int64]))
    a = data.draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0,
                                                     max_side=10),
                             elements=st.sampled_from([0, 1, 2]).map(dtype)))
    axis = data.draw(st.none() | st.integers(-a.ndim, a.ndim - 1) if a.ndim else st.none())
    bitorder = data.draw(st.sampled_from(["big", "little"]))
    packed = np.packbits(a, axis=axis, bitorder=bitorder)
    length = 8 * (packed.size if axis is None else packed.shape[axis])
    count = data.draw(st.none() | st.integers(-length, length + 10))

    def unpacked(xp, x):
        return xp.unpackbits(xp.packbits(x, axis=axis, bitorder=bitorder), axis=axis,
                             count=count, bitorder=bitorder)

    _assert_identical(_traced(lambda x: fnp.packbits(x, axis=axis, bitorder=bitorder), a),
                      packed)
    _assert_identical(_traced(lambda x: unpacked(fnp, x), a), unpacked(np, a))


@pytest.mark.parametrize("call, error", [
    (lambda a: fnp.packbits(a, bitorder="middle"), ValueError),
    (lambda a: fnp.unpackbits(a, count=-17), ValueError),
    (lambda a: fnp.unpackbits(a, axis=2), np.exceptions.AxisError),
    (lambda a: fnp.unpackbits(a.astype(np.int8)), TypeError),
])
def test_packing_errors_are_numpys(call, error):
    with pytest.raises(error):
        functrans.make_jaxpr(call)(np.array([[1, 2]], np.uint8))
    with pytest.raises(error):
        call(np.array([[1, 2]], np.uint8))


# --- frexp, ldexp, nextafter, spacing ------------------------------------------------------

def _special_floats(dtype):
    info = np.finfo(dtype)
    tiny = info.smallest_subnormal
    return np.array([0.0, -0.0, tiny, -tiny, 3 * tiny, info.tiny / 3, info.tiny, -info.tiny,
                     1.0, -1.5, 0.1, 3.7e5, 2.0 ** 60, info.max, -info.max, np.inf, -np.inf,
                     np.nan, -np.nan], dtype)


#: ldexp exponents: each side of the subnormal, normal and overflow thresholds, and beyond
_EXPONENTS = np.array([-2300, -1200, -1076, -1075, -1074, -1073, -1022, -300, -150, -149,
                       -127, -126, -1, 0, 1, 24, 127, 128, 300, 1023, 1024, 1100, 2300])


def _float_functions(xp, x, y, n):
    mantissa, exponent = xp.frexp(x)
    return (mantissa, exponent, xp.nextafter(x, y), xp.spacing(x), xp.ldexp(x, n),
            xp.ldexp(mantissa, exponent))


_float_functions_jit = functrans.jit(lambda x, y, n: _float_functions(fnp, x, y, n))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=lambda d: np.dtype(d).name)
def test_float_functions_match_numpy_bit_for_bit(dtype):
    values = _special_floats(dtype)
    # every value against every other (nextafter) and against every exponent (ldexp)
    x = np.repeat(values[:, None], max(values.size, _EXPONENTS.size), 1)
    y = np.resize(values, x.shape)
    n = np.resize(_EXPONENTS, x.shape)
    expected = _float_functions(np, x, y, n)
    _assert_identical(expected[5], x)  # ldexp(*frexp(x)) is x, in NumPy
    traced = functrans.vmap(lambda a, b, c: _float_functions(fnp, a, b, c))(x, y, n)
    _assert_all_identical(traced, expected)
    _assert_all_identical(_float_functions_jit(x, y, n), expected)


@settings(max_examples=30)
@given(data=st.data())
def test_float_functions_match_numpy_on_drawn_bit_patterns(data):
    dtype = np.dtype(data.draw(st.sampled_from(FLOAT_DTYPES)))
    bits = np.dtype(f"u{dtype.itemsize}")
    x, y = (data.draw(hnp.arrays(bits, 12)).view(dtype) for _ in range(2))
    n = data.draw(hnp.arrays(np.int32, 12, elements=st.integers(-2500, 2500)))
    _assert_all_identical(_traced(lambda a, b, c: _float_functions(fnp, a, b, c), x, y, n),
                          _float_functions(np, x, y, n))


@pytest.mark.parametrize("function", [
    lambda xp, a: xp.frexp(a), lambda xp, a: xp.frexp(a > 0), lambda xp, a: xp.spacing(a),
    lambda xp, a: xp.nextafter(a, 0), lambda xp, a: xp.nextafter(a, np.float32(1)),
    lambda xp, a: xp.ldexp(a, np.int8(3)), lambda xp, a: xp.ldexp(a > 0, 2),
    lambda xp, a: xp.ldexp(a.astype(np.float32), np.array([[-150], [130]])),
])
def test_float_functions_take_numpy_dtypes(function):
    x = np.array([[0.0, -3, 7, 255]]).astype(np.int16)
    _assert_all_identical(_traced(lambda a: function(fnp, a), x), function(np, x))


def test_frexp_and_ldexp_derivatives():
    x = np.array([0.3, -5.5, 12.0, 1e-3])
    check_grads(lambda a: fnp.frexp(a)[0], (x,), order=2, modes=("fwd", "rev"))
    gradient = functrans.grad(lambda a: fnp.sum(fnp.frexp(a)[0]))(x)
    np.testing.assert_array_equal(gradient, 2.0 ** -np.frexp(x)[1])
    n = np.array([3, -2, 0, 1040])
    check_grads(lambda a: fnp.ldexp(a, n[:3]), (x[:3],), order=2, modes=("fwd", "rev"))
    np.testing.assert_array_equal(
        functrans.grad(lambda a: fnp.sum(fnp.ldexp(a, n)))(x), np.ldexp(1.0, n))


def test_nextafter_and_spacing_derivatives_are_zero():
    x = np.array([0.3, -5.5, 0.0])
    np.testing.assert_array_equal(
        functrans.grad(lambda a: fnp.sum(fnp.nextafter(a, 2 * a) + fnp.spacing(a)))(x), 0.0)
    _, tangent = functrans.jvp(lambda a: fnp.nextafter(a, -a), (x,), (np.ones(3),))
    np.testing.assert_array_equal(tangent, 0.0)


def test_float_functions_reject_what_numpy_rejects():
    with pytest.raises(TypeError):
        functrans.make_jaxpr(lambda a: fnp.ldexp(a, a))(np.ones(2))
    with pytest.raises(TypeError):
        functrans.make_jaxpr(fnp.frexp)(np.ones(2, np.complex128))


def test_numpy_bit_functions_on_tracers_use_functrans():
    x = np.array([0.0, -3.5, 1e-310, np.inf])
    n = np.array([3, 1, -2, 70], np.int64)

    def numpy_code(a, b):
        return (np.spacing(a), np.nextafter(a, 0.0), np.frexp(a), np.ldexp(a, b),
                np.left_shift(b, 2), np.right_shift(b, b), np.bitwise_count(b), b << 1, b >> 1)

    _assert_all_identical(_traced(numpy_code, x, n), numpy_code(x, n))

