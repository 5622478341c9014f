"""functrans.numpy against NumPy itself.

Every function is evaluated three ways on hypothesis-generated inputs: by
NumPy (the reference), by functrans.numpy on NumPy arrays (the eager fast
path), and traced with ``make_jaxpr`` then run by the IR interpreter (the
primitive path). Values, shapes and dtypes must agree.
"""
import math
import re
import warnings

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import functrans
import functrans.nn as nn
import functrans.numpy as fnp
import functrans.scipy.special as fsp
from functrans import core, tree
from functrans.errors import ConcretizationError
from functrans.ir import eval_ir

FLOAT_DTYPES = [np.float16, np.float32, np.float64]
INT_DTYPES = [np.int8, np.int32, np.int64, np.uint8]
ALL_DTYPES = FLOAT_DTYPES + INT_DTYPES + [np.bool_]
#: Relative tolerance where functrans computes differently from NumPy (a few ulps).
ULPS = {np.dtype(np.float16): 2e-3, np.dtype(np.float32): 2e-6, np.dtype(np.float64): 1e-14}


# --- the three-way comparison -------------------------------------------------------------

def assert_same(expected, actual, rtol=None, atol=0.0, what="result"):
    expected, actual = np.asarray(expected), np.asarray(actual)
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype}, NumPy gives {expected.dtype}"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, NumPy gives {expected.shape}"
    if expected.dtype.kind in "fc":
        tolerance = ULPS[expected.dtype] if rtol is None else rtol
        np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=atol, equal_nan=True,
                                   err_msg=what)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=what)


def traced(function, *args):
    """``function(*args)`` through make_jaxpr and the IR interpreter: every operation on the
    arguments is a primitive."""
    ir = functrans.make_jaxpr(function)(*args)
    outputs = eval_ir(ir, *tree.leaves(args))
    return outputs


def check(fnp_function, numpy_function, *args, rtol=None, atol=0.0, eager=True):
    """NumPy, functrans eager (unless ``eager`` is false: for tracer-only features) and
    functrans traced agree on ``args``."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # e.g. NumPy's "ddof >= count"
        expected = numpy_function(*args)
        staged = traced(fnp_function, *args)
        eager = fnp_function(*args) if eager else staged
    expected_leaves = list(expected) if isinstance(expected, (tuple, list)) else [expected]
    eager_leaves = list(eager) if isinstance(eager, (tuple, list)) else [eager]
    assert len(eager_leaves) == len(expected_leaves) == len(staged)
    for e, eager_value, staged_value in zip(expected_leaves, eager_leaves, staged):
        assert_same(e, eager_value, rtol, atol, "eager")
        assert_same(e, staged_value, rtol, atol, "traced")


def elements(dtype, low=-10.0, high=10.0, special=False):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return st.integers(max(math.ceil(low), int(info.min)), min(math.floor(high), int(info.max)))
    if special:
        return st.floats(width=8 * dtype.itemsize, allow_subnormal=False)
    # Bounds rounded to the dtype, as hypothesis needs them representable.
    low, high = float(dtype.type(low)), float(dtype.type(high))
    return st.floats(low, high, width=8 * dtype.itemsize, allow_subnormal=False)


def arrays(dtype, shape, low=-10.0, high=10.0, special=False):
    return hnp.arrays(dtype, shape, elements=elements(dtype, low, high, special))


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


# --- elementwise functions ------------------------------------------------------------------

# name: (low, high, dtypes, relative tolerance or None for "as NumPy to a few ulps")
UNARY = {
    "sin": (-5, 5, ALL_DTYPES), "cos": (-5, 5, ALL_DTYPES), "tan": (-1.5, 1.5, ALL_DTYPES),
    "arcsin": (-1, 1, FLOAT_DTYPES), "arccos": (-1, 1, FLOAT_DTYPES),
    "arctan": (-5, 5, ALL_DTYPES), "sinh": (-5, 5, ALL_DTYPES), "cosh": (-5, 5, ALL_DTYPES),
    "tanh": (-5, 5, ALL_DTYPES), "arcsinh": (-5, 5, ALL_DTYPES),
    "arccosh": (1, 10, FLOAT_DTYPES + [np.int32]), "arctanh": (-0.9, 0.9, FLOAT_DTYPES),
    "exp": (-5, 5, ALL_DTYPES), "expm1": (-5, 5, ALL_DTYPES), "exp2": (-5, 5, ALL_DTYPES),
    "log": (0.01, 10, FLOAT_DTYPES + [np.uint8]), "log1p": (-0.9, 10, FLOAT_DTYPES),
    "log2": (0.01, 10, FLOAT_DTYPES + [np.int64]), "log10": (0.01, 10, FLOAT_DTYPES),
    "sqrt": (0, 10, ALL_DTYPES), "square": (-10, 10, ALL_DTYPES),
    "reciprocal": (0.5, 10, FLOAT_DTYPES + INT_DTYPES),
    "negative": (-10, 10, FLOAT_DTYPES + INT_DTYPES), "positive": (-10, 10, FLOAT_DTYPES + INT_DTYPES),
    "absolute": (-10, 10, ALL_DTYPES), "sign": (-10, 10, FLOAT_DTYPES + INT_DTYPES),
    "floor": (-10, 10, ALL_DTYPES), "ceil": (-10, 10, ALL_DTYPES), "trunc": (-10, 10, ALL_DTYPES),
    "rint": (-10, 10, ALL_DTYPES), "round": (-10, 10, ALL_DTYPES), "sinc": (-3, 3, FLOAT_DTYPES),
    "isfinite": (-10, 10, ALL_DTYPES), "logical_not": (-3, 3, ALL_DTYPES),
    "invert": (-10, 10, INT_DTYPES + [np.bool_]),
}
SPECIAL_VALUES = {"isnan", "isinf", "isfinite"}


@pytest.mark.parametrize("name", sorted(UNARY) + sorted(SPECIAL_VALUES - set(UNARY)))
@settings(max_examples=12)
@given(data=st.data())
def test_unary_functions_match_numpy(name, data):
    low, high, dtypes = UNARY.get(name, (-10, 10, FLOAT_DTYPES))
    dtype = data.draw(st.sampled_from(dtypes), label="dtype")
    x = data.draw(arrays(dtype, shapes, low, high, special=name in SPECIAL_VALUES), label="x")
    check(getattr(fnp, name), getattr(np, name), x)


BINARY = {
    "add": ALL_DTYPES, "subtract": FLOAT_DTYPES + INT_DTYPES, "multiply": ALL_DTYPES,
    "divide": ALL_DTYPES, "true_divide": FLOAT_DTYPES + INT_DTYPES,
    "floor_divide": FLOAT_DTYPES + INT_DTYPES, "remainder": FLOAT_DTYPES + INT_DTYPES,
    "mod": FLOAT_DTYPES + INT_DTYPES, "maximum": ALL_DTYPES, "minimum": ALL_DTYPES,
    "fmax": ALL_DTYPES, "fmin": ALL_DTYPES, "arctan2": FLOAT_DTYPES + INT_DTYPES,
    "logaddexp": FLOAT_DTYPES, "hypot": FLOAT_DTYPES + INT_DTYPES,
    "equal": ALL_DTYPES, "not_equal": ALL_DTYPES, "less": ALL_DTYPES,
    "less_equal": ALL_DTYPES, "greater": ALL_DTYPES, "greater_equal": ALL_DTYPES,
    "logical_and": ALL_DTYPES, "logical_or": ALL_DTYPES, "logical_xor": ALL_DTYPES,
    "bitwise_and": INT_DTYPES + [np.bool_], "bitwise_or": INT_DTYPES + [np.bool_],
    "bitwise_xor": INT_DTYPES + [np.bool_],
}
#: Functions computed by a formula rather than NumPy's own loop, compared to a few ulps.
BINARY_FORMULA_TOLERANCE = {"logaddexp": 4, "hypot": 4, "floor_divide": 1}


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=12)
@given(data=st.data())
def test_binary_functions_broadcast_and_promote_like_numpy(name, data):
    dtypes = BINARY[name]
    x_dtype = data.draw(st.sampled_from(dtypes), label="x dtype")
    y_dtype = data.draw(st.sampled_from(dtypes), label="y dtype")
    input_shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    x = data.draw(arrays(x_dtype, input_shapes.input_shapes[0]), label="x")
    y = data.draw(arrays(y_dtype, input_shapes.input_shapes[1]), label="y")
    with np.errstate(all="ignore"):
        result_dtype = np.asarray(getattr(np, name)(x, y)).dtype
    rtol = ULPS[result_dtype] * BINARY_FORMULA_TOLERANCE[name] if (
        name in BINARY_FORMULA_TOLERANCE and result_dtype.kind == "f") else None
    check(getattr(fnp, name), getattr(np, name), x, y, rtol=rtol)


@pytest.mark.parametrize("name", ["add", "multiply", "subtract", "divide", "maximum", "less",
                                  "floor_divide", "power", "arctan2"])
@pytest.mark.parametrize("scalar", [2, 2.5, True])
@settings(max_examples=8)
@given(data=st.data())
def test_python_scalars_are_weak(name, scalar, data):
    """x op 2.5 keeps float32; int8 op 2 stays int8; the scalar as a literal or traced."""
    if name in ("subtract",) and scalar is True:
        return
    dtype = data.draw(st.sampled_from([np.float32, np.float16, np.int8, np.uint8, np.bool_]))
    if name in ("subtract", "floor_divide", "power", "arctan2") and dtype == np.bool_:
        dtype = np.float32
    x = data.draw(arrays(dtype, shapes, 1, 5), label="x")
    numpy_function, fnp_function = getattr(np, name), getattr(fnp, name)
    check(lambda x: fnp_function(x, scalar), lambda x: numpy_function(x, scalar), x)
    check(lambda x: fnp_function(scalar, x), lambda x: numpy_function(scalar, x), x)
    check(fnp_function, numpy_function, x, scalar)  # traced: a weakly typed input


@settings(max_examples=20)
@given(data=st.data())
def test_power_with_array_and_integer_exponents(data):
    dtype = data.draw(st.sampled_from([np.float32, np.float64, np.int32, np.int64, np.uint8]))
    x = data.draw(arrays(dtype, shapes, 0 if dtype == np.uint8 else -3, 3), label="x")
    exponent = data.draw(st.integers(0, 4) if dtype not in FLOAT_DTYPES else st.integers(-3, 4))
    check(lambda x: fnp.power(x, exponent), lambda x: np.power(x, exponent), x)
    check(lambda x: x ** exponent, lambda x: x ** exponent, x)
    y = data.draw(arrays(dtype, np.shape(x), 0, 3), label="y")
    if dtype in FLOAT_DTYPES:
        x = np.abs(x)
    check(fnp.power, np.power, x, y)


def test_integer_exponent_becomes_integer_pow():
    ir = functrans.make_jaxpr(lambda x: x ** 3)(np.float32(2))
    assert [e.primitive.name for e in ir.equations] == ["integer_pow"]
    with pytest.raises(ValueError, match="Integers to negative integer powers"):
        functrans.make_jaxpr(lambda x: x ** -2)(np.int32(2))


@settings(max_examples=25)
@given(data=st.data())
def test_where_clip_round(data):
    input_shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    dtype = data.draw(st.sampled_from(FLOAT_DTYPES + [np.int32]))
    condition = data.draw(arrays(np.bool_, input_shapes.input_shapes[0]))
    x = data.draw(arrays(dtype, input_shapes.input_shapes[1]))
    y = data.draw(arrays(np.float32, input_shapes.input_shapes[2]))
    check(fnp.where, np.where, condition, x, y)
    check(lambda c, x: fnp.where(c, x, 0.5), lambda c, x: np.where(c, x, 0.5), condition, x)
    check(lambda x, y: fnp.clip(x, -2, y), lambda x, y: np.clip(x, -2, y), x, y)
    check(lambda x: fnp.clip(x, None, 3), lambda x: np.clip(x, None, 3), x)
    decimals = data.draw(st.integers(-1, 2))
    check(lambda x: fnp.round(x, decimals), lambda x: np.round(x, decimals), x)


def test_weak_types_and_promotion_in_the_ir():
    ir = functrans.make_jaxpr(lambda x: fnp.sin(x) * 2.0 + 1)(np.float32(1))
    assert [v.aval.dtype for v in ir.out_vars] == [np.float32]
    ir = functrans.make_jaxpr(lambda x, y: x + y)(np.float32(1), np.int64(1))
    assert ir.out_vars[0].aval.dtype == np.float64
    ir = functrans.make_jaxpr(lambda x: fnp.sin(x))(np.int8(1))
    assert ir.out_vars[0].aval.dtype == np.float16
    ir = functrans.make_jaxpr(lambda x: x / 2)(np.int32(1))
    assert ir.out_vars[0].aval.dtype == np.float64


def test_operands_with_the_output_shape_are_not_broadcast():
    ir = functrans.make_jaxpr(lambda x, y: x * y)(np.ones((2, 3)), np.ones(3))
    broadcasts = [e for e in ir.equations if e.primitive.name == "broadcast_in_dim"]
    assert len(broadcasts) == 1 and broadcasts[0].inputs[0] is ir.in_vars[1]


# --- reductions -----------------------------------------------------------------------------

@st.composite
def array_and_axis(draw, dtypes, low=-10, high=10, min_side=1):
    dtype = draw(st.sampled_from(dtypes), label="dtype")
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=min_side, max_side=4))
    x = draw(arrays(dtype, shape, low, high), label="x")
    ndim = len(shape)
    axis = draw(st.one_of(
        st.none(),
        st.integers(-ndim, ndim - 1) if ndim else st.none(),
        hnp.valid_tuple_axes(ndim)), label="axis")
    return x, axis


#: Reductions with an identity, tested on zero-size arrays too.
WITH_IDENTITY = {"sum", "prod", "mean", "all", "any"}
REDUCTIONS = {
    "sum": ALL_DTYPES, "prod": [np.float32, np.float64, np.int8, np.int64, np.uint8, np.bool_],
    "mean": ALL_DTYPES, "max": ALL_DTYPES, "min": ALL_DTYPES, "amax": FLOAT_DTYPES,
    "amin": INT_DTYPES, "all": ALL_DTYPES, "any": ALL_DTYPES,
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@settings(max_examples=20)
@given(data=st.data())
def test_reductions_match_numpy(name, data):
    x, axis = data.draw(array_and_axis(REDUCTIONS[name], -3, 3, int(name not in WITH_IDENTITY)))
    keepdims = data.draw(st.booleans(), label="keepdims")
    fnp_function, numpy_function = getattr(fnp, name), getattr(np, name)
    check(lambda x: fnp_function(x, axis=axis, keepdims=keepdims),
          lambda x: numpy_function(x, axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("name", ["var", "std"])
@settings(max_examples=25)
@given(data=st.data())
def test_var_and_std_with_ddof(name, data):
    x, axis = data.draw(array_and_axis([np.float32, np.float64, np.int32, np.bool_]))
    ddof = data.draw(st.integers(0, 1), label="ddof")
    keepdims = data.draw(st.booleans(), label="keepdims")
    fnp_function, numpy_function = getattr(fnp, name), getattr(np, name)
    check(lambda x: fnp_function(x, axis=axis, ddof=ddof, keepdims=keepdims),
          lambda x: numpy_function(x, axis=axis, ddof=ddof, keepdims=keepdims), x)


@settings(max_examples=20)
@given(data=st.data())
def test_reduction_dtype_argument(data):
    x, axis = data.draw(array_and_axis([np.int8, np.float32, np.bool_]))
    dtype = data.draw(st.sampled_from([np.float64, np.int32, np.float32]))
    for name in ("sum", "prod", "mean"):
        fnp_function, numpy_function = getattr(fnp, name), getattr(np, name)
        check(lambda x: fnp_function(x, axis=axis, dtype=dtype),
              lambda x: numpy_function(x, axis=axis, dtype=dtype), x, rtol=1e-6)


def test_float16_mean_accumulates_in_float32():
    x = np.full(4096, 0.1, np.float16)
    check(fnp.mean, np.mean, x)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@settings(max_examples=20)
@given(data=st.data())
def test_argmax_argmin(name, data):
    dtype = data.draw(st.sampled_from([np.float32, np.int8, np.bool_]))
    x = data.draw(arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), -3, 3))
    axis = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1) if x.ndim else st.none())
    keepdims = data.draw(st.booleans())
    fnp_function, numpy_function = getattr(fnp, name), getattr(np, name)
    check(lambda x: fnp_function(x, axis=axis, keepdims=keepdims),
          lambda x: numpy_function(x, axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@settings(max_examples=20)
@given(data=st.data())
def test_cumulative(name, data):
    dtype = data.draw(st.sampled_from([np.float64, np.float32, np.int8, np.uint8, np.bool_]))
    x = data.draw(arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), -2, 2))
    axis = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1) if x.ndim else st.none())
    fnp_function, numpy_function = getattr(fnp, name), getattr(np, name)
    check(lambda x: fnp_function(x, axis=axis), lambda x: numpy_function(x, axis=axis), x)


def test_reduction_errors_are_numpys():
    x = np.ones((2, 3))
    with pytest.raises(np.exceptions.AxisError, match="axis 2 is out of bounds"):
        functrans.make_jaxpr(lambda x: fnp.sum(x, axis=2))(x)
    with pytest.raises(ValueError, match="zero-size array to reduction operation maximum"):
        functrans.make_jaxpr(lambda x: fnp.max(x, axis=0))(np.ones((0, 3)))
    with pytest.raises(ValueError, match="attempt to get argmax of an empty sequence"):
        functrans.make_jaxpr(fnp.argmax)(np.ones(0))


# --- products -------------------------------------------------------------------------------

PRODUCT_DTYPES = [np.float32, np.float64, np.int32, np.int64]


@settings(max_examples=40)
@given(data=st.data())
def test_matmul_dot_and_friends(data):
    n, k, m = (data.draw(st.integers(1, 4)) for _ in range(3))
    batch = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    a_shape = data.draw(st.sampled_from([(k,), (n, k), batch.input_shapes[0] + (n, k)]))
    b_shape = data.draw(st.sampled_from([(k,), (k, m), batch.input_shapes[1] + (k, m)]))
    a_dtype, b_dtype = data.draw(st.sampled_from(PRODUCT_DTYPES)), data.draw(st.sampled_from(PRODUCT_DTYPES))
    a = data.draw(arrays(a_dtype, a_shape, -3, 3), label="a")
    b = data.draw(arrays(b_dtype, b_shape, -3, 3), label="b")
    check(fnp.matmul, np.matmul, a, b, rtol=1e-5)
    check(lambda a, b: a @ b, lambda a, b: a @ b, a, b, rtol=1e-5)
    check(fnp.dot, np.dot, a, b, rtol=1e-5)
    c = data.draw(arrays(a_dtype, b_shape[:-2] + (m, k) if len(b_shape) > 1 else (k,), -3, 3), label="c")
    check(fnp.inner, np.inner, a, c, rtol=1e-5)
    check(fnp.outer, np.outer, a, b, rtol=1e-5)
    check(lambda a, b: fnp.tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 2 if b.ndim > 1 else 0])),
          lambda a, b: np.tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 2 if b.ndim > 1 else 0])),
          a, b, rtol=1e-5)
    same = data.draw(arrays(b_dtype, a_shape, -3, 3), label="same")
    check(fnp.vdot, np.vdot, a, same, rtol=1e-5)


def test_dot_with_a_scalar_and_matmul_shape_error():
    check(fnp.dot, np.dot, np.float32(2), np.arange(3.0))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 3\).*not aligned") as info:
        functrans.make_jaxpr(fnp.matmul)(np.ones((2, 3)), np.ones((2, 3)))
    assert "test_numpy.py" in str(info.value)


EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ij,kj->ki", [(2, 3), (4, 3)]),
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]), ("ijk->kji", [(2, 3, 4)]), ("iij->j", [(2, 2, 3)]),
    ("i,i->", [(3,), (3,)]), ("i,j->ij", [(2,), (3,)]), ("i,i->i", [(3,), (3,)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]), ("...ij,...jk->...ik", [(2, 3, 4), (4, 2)]),
    ("...ij,...jk", [(5, 2, 3), (1, 3, 2)]), ("i...->...", [(2, 3, 4)]),
    ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 2)]), ("i,i,i->i", [(3,), (3,), (3,)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]), ("ij,ij->", [(2, 3), (2, 3)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]), ("ij,j", [(2, 3), (3,)]),
]


@pytest.mark.parametrize("subscripts,operand_shapes", EINSUM_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.int32])
def test_einsum_matches_numpy(subscripts, operand_shapes, dtype):
    rng = np.random.default_rng(0)
    operands = [rng.integers(-3, 4, shape).astype(dtype) for shape in operand_shapes]
    check(lambda *ops: fnp.einsum(subscripts, *ops), lambda *ops: np.einsum(subscripts, *ops),
          *operands, rtol=1e-12)


def test_einsum_errors():
    with pytest.raises(ValueError, match="2 operands"):
        functrans.make_jaxpr(lambda x: fnp.einsum("ij,jk", x))(np.ones((2, 2)))
    with pytest.raises(ValueError, match="output subscripts need an ellipsis"):
        functrans.make_jaxpr(lambda x: fnp.einsum("...ij->ij", x))(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="subscript 'j' has size 3 in one operand and 4"):
        functrans.make_jaxpr(lambda x, y: fnp.einsum("ij,jk", x, y))(np.ones((2, 3)), np.ones((4, 2)))


# --- shapes -----------------------------------------------------------------------------------

@settings(max_examples=30)
@given(data=st.data())
def test_shape_functions(data):
    x = data.draw(arrays(data.draw(st.sampled_from([np.float32, np.int8])),
                         hnp.array_shapes(min_dims=1, max_dims=4, max_side=3)), label="x")
    ndim = x.ndim
    axis = data.draw(st.integers(-ndim, ndim - 1), label="axis")
    check(lambda x: fnp.reshape(x, (-1,) + x.shape[1:][::-1]),
          lambda x: np.reshape(x, (-1,) + x.shape[1:][::-1]), x)
    check(lambda x: x.reshape(x.size), lambda x: x.reshape(x.size), x)
    check(fnp.ravel, np.ravel, x)
    permutation = data.draw(st.permutations(range(ndim)), label="permutation")
    check(lambda x: fnp.transpose(x, permutation), lambda x: np.transpose(x, permutation), x)
    check(fnp.transpose, np.transpose, x)
    check(lambda x: x.T, lambda x: x.T, x)
    check(lambda x: fnp.swapaxes(x, axis, 0), lambda x: np.swapaxes(x, axis, 0), x)
    check(lambda x: fnp.moveaxis(x, axis, -1), lambda x: np.moveaxis(x, axis, -1), x)
    check(lambda x: fnp.moveaxis(x, (0, axis % ndim), (axis % ndim, 0)) if axis % ndim else x,
          lambda x: np.moveaxis(x, (0, axis % ndim), (axis % ndim, 0)) if axis % ndim else x, x)
    check(fnp.squeeze, np.squeeze, x)
    check(lambda x: fnp.expand_dims(x, (0, axis - 1 if axis < 0 else axis + 1)),
          lambda x: np.expand_dims(x, (0, axis - 1 if axis < 0 else axis + 1)), x)
    check(lambda x: fnp.flip(x, axis), lambda x: np.flip(x, axis), x)
    check(fnp.flip, np.flip, x)
    reps = data.draw(st.tuples(*[st.integers(1, 2)] * data.draw(st.integers(1, 3))), label="reps")
    check(lambda x: fnp.tile(x, reps), lambda x: np.tile(x, reps), x)
    repeats = data.draw(st.integers(0, 2) | st.lists(st.integers(0, 2), min_size=x.shape[axis],
                                                     max_size=x.shape[axis]))
    check(lambda x: fnp.repeat(x, repeats, axis), lambda x: np.repeat(x, repeats, axis), x)
    shift = data.draw(st.integers(-5, 5), label="shift")
    check(lambda x: fnp.roll(x, shift, axis), lambda x: np.roll(x, shift, axis), x)
    check(lambda x: fnp.roll(x, shift), lambda x: np.roll(x, shift), x)
    check(lambda x, s: fnp.roll(x, s, axis), lambda x, s: np.roll(x, s, axis), x, np.int64(shift))
    target = data.draw(st.sampled_from([(2,) + x.shape, (1,) + x.shape]))
    check(lambda x: fnp.broadcast_to(x, target), lambda x: np.broadcast_to(x, target), x)
    sections = data.draw(st.integers(1, 3))
    check(lambda x: fnp.array_split(x, sections, axis), lambda x: np.array_split(x, sections, axis), x)
    check(lambda x: fnp.split(x, [1, 2], axis), lambda x: np.split(x, [1, 2], axis), x)
    if x.shape[axis] % sections == 0:
        check(lambda x: fnp.split(x, sections, axis), lambda x: np.split(x, sections, axis), x)


@settings(max_examples=25)
@given(data=st.data())
def test_joining_promotes_and_checks_shapes(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    dtypes = data.draw(st.lists(st.sampled_from([np.float32, np.int8, np.float64, np.bool_]),
                                min_size=1, max_size=3))
    xs = [data.draw(arrays(d, shape)) for d in dtypes]
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    check(lambda *xs: fnp.concatenate(xs, axis), lambda *xs: np.concatenate(xs, axis), *xs)
    check(lambda *xs: fnp.concatenate(xs, None), lambda *xs: np.concatenate(xs, None), *xs)
    check(lambda *xs: fnp.stack(xs, axis), lambda *xs: np.stack(xs, axis), *xs)
    check(lambda *xs: fnp.hstack(xs), lambda *xs: np.hstack(xs), *xs)
    check(lambda *xs: fnp.vstack(xs), lambda *xs: np.vstack(xs), *xs)
    check(lambda *xs: fnp.broadcast_arrays(*xs), lambda *xs: np.broadcast_arrays(*xs), *xs)


def test_shape_errors_match_numpy():
    with pytest.raises(ValueError, match=re.escape("cannot reshape array of size 6 into shape (4,)")):
        functrans.make_jaxpr(lambda x: x.reshape(4))(np.ones(6))
    with pytest.raises(ValueError, match="squeeze out which has size not equal to one"):
        functrans.make_jaxpr(lambda x: fnp.squeeze(x, 0))(np.ones((2, 1)))
    with pytest.raises(ValueError, match="along dimension 1.*size 2.*size 3"):
        functrans.make_jaxpr(lambda x, y: fnp.concatenate([x, y]))(np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="equal division"):
        functrans.make_jaxpr(lambda x: fnp.split(x, 2))(np.ones(5))
    with pytest.raises(np.exceptions.AxisError):
        functrans.make_jaxpr(lambda x: fnp.expand_dims(x, 3))(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"shape \(3,\) cannot be broadcast to shape \(2, 4\)"):
        functrans.make_jaxpr(lambda x: fnp.broadcast_to(x, (2, 4)))(np.ones(3))


def test_broadcasting_error_names_both_shapes_and_the_user_line():
    with pytest.raises(ValueError) as info:
        functrans.make_jaxpr(lambda x, y: x + y)(np.ones(2), np.ones(3))
    message = str(info.value)
    assert "(2,)" in message and "(3,)" in message and "add" in message
    assert "test_numpy.py" in message


# --- creation and diagonals -------------------------------------------------------------------

def test_creation_with_concrete_arguments_gives_numpy_arrays_even_when_tracing():
    def f(x):
        made = [fnp.zeros(3), fnp.ones((2, 2), np.float32), fnp.full(2, 7), fnp.eye(3, k=1),
                fnp.identity(2), fnp.arange(5), fnp.linspace(0, 1, 5), fnp.zeros_like(np.ones(2)),
                fnp.asarray([1, 2]), fnp.array([[1.0]])]
        assert all(isinstance(m, np.ndarray) for m in made)
        return x

    functrans.make_jaxpr(f)(1.0)


@settings(max_examples=20)
@given(data=st.data())
def test_creation_from_tracers(data):
    dtype = data.draw(st.sampled_from([np.float32, np.int32, np.bool_]))
    x = data.draw(arrays(dtype, shapes))
    check(fnp.zeros_like, np.zeros_like, x)
    check(fnp.ones_like, np.ones_like, x)
    check(lambda x: fnp.full_like(x, 3), lambda x: np.full_like(x, 3), x)
    check(lambda x: fnp.zeros_like(x, dtype=np.float64, shape=(2,)),
          lambda x: np.zeros_like(x, dtype=np.float64, shape=(2,)), x)
    check(lambda x: fnp.full((2,) + x.shape, x), lambda x: np.full((2,) + x.shape, x), x)
    check(lambda x: fnp.asarray([x, x]), lambda x: np.asarray([x, x]), x)


@settings(max_examples=20)
@given(data=st.data())
def test_linspace_with_traced_bounds(data):
    start = data.draw(arrays(np.float64, st.sampled_from([(), (2,)]), -5, 5))
    stop = data.draw(arrays(np.float64, (), -5, 5))
    num = data.draw(st.integers(0, 6))
    endpoint = data.draw(st.booleans())
    axis = data.draw(st.sampled_from([0, -1]))
    check(lambda a, b: fnp.linspace(a, b, num, endpoint=endpoint, axis=axis),
          lambda a, b: np.linspace(a, b, num, endpoint=endpoint, axis=axis), start, stop, rtol=1e-12, atol=1e-12)


@settings(max_examples=30)
@given(data=st.data())
def test_diagonals_and_triangles(data):
    shape = data.draw(hnp.array_shapes(min_dims=2, max_dims=3, max_side=4))
    x = data.draw(arrays(data.draw(st.sampled_from([np.float64, np.int8])), shape))
    k = data.draw(st.integers(-3, 3))
    check(lambda x: fnp.diagonal(x, k), lambda x: np.diagonal(x, k), x)
    check(lambda x: fnp.diagonal(x, k, -1, 0), lambda x: np.diagonal(x, k, -1, 0), x)
    check(lambda x: fnp.trace(x, k), lambda x: np.trace(x, k), x)
    check(lambda x: fnp.triu(x, k), lambda x: np.triu(x, k), x)
    check(lambda x: fnp.tril(x, k), lambda x: np.tril(x, k), x)
    check(lambda x: fnp.diag(x[0] if x.ndim == 3 else x, k),
          lambda x: np.diag(x[0] if x.ndim == 3 else x, k), x)
    check(lambda x: fnp.diag(x.ravel(), k), lambda x: np.diag(x.ravel(), k), x)
    check(lambda x: fnp.tril(x.ravel(), k), lambda x: np.tril(x.ravel(), k), x)


# --- sorting -----------------------------------------------------------------------------------

@settings(max_examples=30)
@given(data=st.data())
def test_sort_and_argsort(data):
    dtype = data.draw(st.sampled_from([np.float32, np.int8, np.float64]))
    x = data.draw(arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), -3, 3,
                         special=dtype == np.float64))
    axis = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1))
    check(lambda x: fnp.sort(x, axis), lambda x: np.sort(x, axis), x)
    check(lambda x: fnp.argsort(x, axis), lambda x: np.argsort(x, axis, kind="stable"), x)
    # On a NumPy array the method is NumPy's own (unstable) argsort: check it on tracers only.
    check(lambda x: x.argsort(), lambda x: x.argsort(kind="stable"), x, eager=False)


# --- tracer methods, operators and NumPy protocols ---------------------------------------------

@settings(max_examples=25)
@given(data=st.data())
def test_operators_on_tracers(data):
    dtype = data.draw(st.sampled_from([np.float32, np.float64, np.int32]))
    x = data.draw(arrays(dtype, (2, 3), 1, 5), label="x")
    y = data.draw(arrays(dtype, (3,), 1, 5), label="y")

    def expressions(x, y):
        return (x + y, y + x, 1 + x, x - y, 2 - x, x * y, 3 * x, x / y, 1 / x, x // y, 7 // x,
                x % y, 7 % x, x ** 2, 2 ** x, -x, +x, abs(-x), x @ y, y @ x.T, x < y, 2 <= x,
                x > y, x >= y, x == y, x != y, x.T, divmod(x, y)[0], divmod(x, y)[1])

    check(expressions, expressions, x, y)
    if dtype == np.int32:
        bitwise = lambda x, y: (x & y, x | y, x ^ y, ~x, 6 & x, 6 | x, 6 ^ x)  # noqa: E731
        check(bitwise, bitwise, x, y)


@settings(max_examples=25)
@given(data=st.data())
def test_methods_on_tracers(data):
    x = data.draw(arrays(np.float64, (2, 3, 2), -3, 3), label="x")

    def methods(x):
        return (x.sum(), x.sum(axis=1), x.mean(0), x.std(axis=(0, 2)), x.max(-1),
                x.min(keepdims=True), x.prod(), x.argmax(), x.argmin(1), x.all(), x.any(0),
                x.reshape(3, 4), x.reshape((4, 3)), x.reshape(-1), x.transpose(), x.transpose(1, 0, 2),
                x.transpose((2, 0, 1)), x.astype(np.float32), x.astype(np.int8), x.ravel(),
                x.flatten(), x[:1].squeeze(), x.cumsum(), x.cumsum(1), x.cumprod(0),
                x.reshape(6, 2).dot(np.ones(2)), x.clip(-1, 1), x.round(1), x.swapaxes(0, 2),
                x.repeat(2, axis=1), x.diagonal(), x.trace(), x.take([0, -1], axis=1),
                round(x[0, 0, 0], 1), len(x) * x, *tuple(x))

    check(methods, methods, x)


def test_var_method_on_tracers():
    x = np.arange(6.0).reshape(2, 3)
    check(lambda x: (x.var(), x.var(axis=0, ddof=1)), lambda x: (x.var(), x.var(axis=0, ddof=1)), x)


def test_numpy_ufuncs_and_functions_on_tracers_use_functrans():
    x = np.array([[0.5, 1.5], [2.0, -1.0]])

    def numpy_code(x):
        return (np.sin(x), np.ones(2) + x, np.add(x, 1), np.maximum(x, 0.0), np.sum(x, axis=0),
                np.mean(x), np.concatenate([x, x]), np.add.reduce(x), np.multiply.accumulate(x),
                np.where(x > 0, x, 0.0), np.transpose(x), np.matmul(x, x))

    check(numpy_code, numpy_code, x)


def test_unsupported_numpy_calls_on_tracers_raise_type_errors():
    with pytest.raises(TypeError, match="numpy.add.outer is not supported on traced arrays"):
        functrans.make_jaxpr(lambda x: np.add.outer(x, x))(np.ones(2))
    with pytest.raises(TypeError, match="numpy.isnat is not supported on traced arrays"):
        functrans.make_jaxpr(np.isnat)(np.ones(2))
    with pytest.raises(TypeError, match="out=.*immutable"):
        functrans.make_jaxpr(lambda x: np.sin(x, out=np.ones(2)))(np.ones(2))
    with pytest.raises(TypeError, match="numpy.polydiv cannot take a traced array"):
        functrans.make_jaxpr(lambda x: np.polydiv(x, x))(np.ones(2))
    with pytest.raises(TypeError, match="numpy.linalg.norm cannot take a traced array"):
        functrans.make_jaxpr(np.linalg.norm)(np.ones(2))
    with pytest.raises(TypeError, match="numpy.result_type cannot take a traced array"):
        functrans.make_jaxpr(np.result_type)(np.ones(2))


def test_concretization_errors_for_values_that_decide_shapes():
    with pytest.raises(ConcretizationError, match="arange"):
        functrans.make_jaxpr(lambda n: fnp.arange(n))(3)
    with pytest.raises(ConcretizationError):
        functrans.make_jaxpr(lambda x: x.item())(np.ones(()))
    with pytest.raises(TypeError, match="depends on the traced values"):
        functrans.make_jaxpr(lambda x: fnp.where(x))(np.ones(2))
    with pytest.raises(TypeError, match="repeats.*concrete"):
        functrans.make_jaxpr(lambda x, r: fnp.repeat(x, r))(np.ones(2), np.int64(2))


# --- the fast path ------------------------------------------------------------------------------

def test_eager_calls_never_bind_primitives(monkeypatch):
    def refuse(self, primitive, args, params):
        raise AssertionError(f"eager call bound {primitive.name}")

    monkeypatch.setattr(core.EvalTrace, "process_primitive", refuse)
    x, y = np.arange(6.0).reshape(2, 3), np.ones(3, np.float32)
    results = [
        fnp.sin(x), fnp.add(x, y), fnp.power(x, 2), fnp.where(x > 1, x, y), fnp.clip(x, 0, 1),
        fnp.sum(x, 0), fnp.mean(x), fnp.var(x), fnp.argmax(x), fnp.cumsum(x), fnp.matmul(x, y),
        fnp.einsum("ij,j", x, y), fnp.reshape(x, -1), fnp.transpose(x), fnp.concatenate([x, x]),
        fnp.stack([y, y]), fnp.sort(x), fnp.take(x, [0]), fnp.diagonal(x), fnp.zeros_like(x),
        fnp.round(x, 1), fnp.logaddexp(x, y), nn.softmax(x), nn.logsumexp(x),
    ]
    expected_types = {np.ndarray, np.float64, np.int64}
    assert {type(r) for r in results} <= expected_types
    assert type(fnp.sin(1.0)) is type(np.sin(1.0))


# --- nn and scipy.special ------------------------------------------------------------------------

def scipy_softmax(x, axis):
    return scipy.special.softmax(x, axis=axis)


@settings(max_examples=25)
@given(data=st.data())
def test_nn_and_special_match_scipy(data):
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    x = data.draw(arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), -30, 30))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    check(lambda x: nn.softmax(x, axis), lambda x: scipy.special.softmax(x, axis=axis), x, rtol=rtol, atol=1e-30)
    check(lambda x: nn.log_softmax(x, axis), lambda x: scipy.special.log_softmax(x, axis=axis), x,
          rtol=rtol, atol=rtol)
    # log(sum) near log(1) is accurate in absolute terms only (SciPy uses log1p there).
    atol = 4 * np.finfo(dtype).eps
    check(lambda x: nn.logsumexp(x, axis), lambda x: scipy.special.logsumexp(x, axis=axis), x,
          rtol=rtol, atol=atol)
    axes = (0, axis % x.ndim) if axis % x.ndim else 0
    check(lambda x: fsp.logsumexp(x, axis=axes, keepdims=True),
          lambda x: scipy.special.logsumexp(x, axis=axes, keepdims=True), x, rtol=rtol, atol=atol)
    check(lambda x: fsp.logsumexp(x, b=x * x), lambda x: scipy.special.logsumexp(x, b=x * x), x,
          rtol=rtol, atol=atol)
    check(fsp.expit, scipy.special.expit, x, rtol=rtol, atol=1e-30)
    check(nn.sigmoid, scipy.special.expit, x, rtol=rtol, atol=1e-30)
    check(nn.relu, lambda x: np.maximum(x, 0).astype(x.dtype), x)
    check(nn.softplus, lambda x: np.logaddexp(x, 0).astype(x.dtype), x, rtol=rtol)
    check(fsp.erf, scipy.special.erf, x, rtol=rtol)
    p = 1 / (1 + np.exp(-np.clip(x, -5, 5)))
    check(fsp.logit, scipy.special.logit, p.astype(dtype), rtol=1e-4 if dtype == np.float32 else 1e-10,
          atol=1e-6)


def test_logsumexp_is_stable_and_one_hot_matches_definition():
    big = np.array([1000.0, 1000.0, -np.inf])
    check(nn.logsumexp, lambda x: np.float64(1000 + np.log(2)), big)
    check(lambda x: nn.softmax(x), lambda x: np.array([0.5, 0.5, 0.0]), big)
    labels = np.array([[0, 2], [3, 1]])
    check(lambda l: nn.one_hot(l, 3), lambda l: (l[..., None] == np.arange(3)).astype(np.float64),
          labels)
    check(lambda l: nn.one_hot(l, 4, dtype=np.int8), lambda l: np.eye(4, dtype=np.int8)[l], labels)
