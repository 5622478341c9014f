"""The systematic checks of test_primitives.py on complex inputs (primitive_cases.COMPLEX_CASES).

Complex values follow JAX's conventions: a tangent or cotangent of a complex value is
complex, finite differences move along complex directions, and the identities of
transposition hold under the bilinear pairing ``<a, b> = Re(sum(a * b))``.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functrans
import functrans.numpy as fnp
from functrans import lax, tree
from functrans.ir import eval_ir
from functrans.testing import check_grads
from primitive_cases import COMPLEX_CASES, array_function, array_positions, is_array


def random_like(value, rng):
    dtype = np.asarray(value).dtype
    values = rng.standard_normal(np.shape(value))
    if dtype.kind == "c":
        values = values + 1j * rng.standard_normal(np.shape(value))
    return values.astype(dtype)


def pairing(xs, ys):
    """Re(sum(x * y)) over the leaves: the form JAX's transposes are transposes under."""
    return sum(float(np.real(np.sum(np.asarray(x, np.complex128) * np.asarray(y, np.complex128))))
               for x, y in zip(tree.leaves(xs), tree.leaves(ys)))


def cases(predicate=lambda case: True):
    return [pytest.param(case, id=case.name) for case in COMPLEX_CASES if predicate(case)]


@pytest.mark.parametrize("case", cases())
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_shape_rule_and_interpreter_match_implementation(case, data):
    args = case.draw(data)
    positions = array_positions(args)
    function = array_function(case, args, positions)
    arrays = [args[i] for i in positions]
    eager = tree.leaves(function(*arrays))
    ir = functrans.make_jaxpr(function)(*arrays)
    for value, aval, again in zip(eager, ir.out_avals, eval_ir(ir, *arrays)):
        assert np.shape(value) == aval.shape
        assert np.asarray(value).dtype == aval.dtype
        np.testing.assert_array_equal(np.asarray(again), np.asarray(value))


@pytest.mark.parametrize("case", cases(lambda c: c.finite_differences))
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_jvp_matches_finite_differences(case, data):
    args = case.draw(data)
    function = array_function(case, args, case.float_argnums)
    check_grads(function, [args[i] for i in case.float_argnums], order=1, modes=("fwd",),
                atol=case.tolerance, rtol=case.tolerance)


@pytest.mark.parametrize("case", cases(lambda c: c.finite_differences and not c.linear))
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_second_order_derivatives(case, data):
    args = case.draw(data)
    function = array_function(case, args, case.float_argnums)
    check_grads(function, [args[i] for i in case.float_argnums], order=2,
                atol=case.tolerance * 10, rtol=case.tolerance * 10)


@pytest.mark.parametrize("case", cases(lambda c: not c.finite_differences))
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_jvp_is_zero_where_the_derivative_is_zero_by_definition(case, data):
    args = case.draw(data)
    function = array_function(case, args, case.float_argnums)
    primals = [args[i] for i in case.float_argnums]
    _, tangent_out = functrans.jvp(function, primals, [np.ones_like(p) for p in primals])
    for leaf in tree.leaves(tangent_out):
        assert leaf.dtype.kind == "V" or not np.any(leaf)


@pytest.mark.parametrize("case", cases(lambda c: c.finite_differences))
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_vjp_matches_jvp(case, data):
    args = case.draw(data)
    function = array_function(case, args, case.float_argnums)
    check_grads(function, [args[i] for i in case.float_argnums], order=1, modes=("rev",),
                atol=case.tolerance * 1e-3, rtol=case.tolerance * 1e-3)


@pytest.mark.parametrize("case", cases(lambda c: c.linear))
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_transpose_identity(case, data):
    args = case.draw(data)
    function = array_function(case, args, case.float_argnums)
    primals = [args[i] for i in case.float_argnums]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    u = [random_like(p, rng) for p in primals]
    output = function(*u)
    v = tree.map(lambda o: random_like(o, rng), output)
    transposed = functrans.linear_transpose(function, *primals)(v)
    for t, p in zip(tree.leaves(transposed), primals):
        assert np.asarray(t).dtype == np.asarray(p).dtype
    np.testing.assert_allclose(pairing(transposed, u), pairing(v, output),
                               rtol=case.tolerance * 1e-3, atol=1e-9)


@pytest.mark.parametrize("case", cases())
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_vmap_matches_loop(case, data):
    args = case.draw(data)
    positions = [i for i, a in enumerate(args) if is_array(a) and np.ndim(a)]
    function = array_function(case, args, positions)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    in_axes, batched, examples = [], [], [[] for _ in range(3)]
    for position in positions:
        value = args[position]
        axis = data.draw(st.sampled_from([None, 0, np.ndim(value)]))
        in_axes.append(axis)
        if axis is None:
            batched.append(value)
            for example in examples:
                example.append(value)
            continue
        elements = [value.reshape(-1)[rng.permutation(value.size)].reshape(value.shape)
                    for _ in range(3)]
        batched.append(np.stack(elements, axis=axis))
        for example, element in zip(examples, elements):
            example.append(element)
    if not positions:
        return
    expected = [tree.leaves(function(*example)) for example in examples]
    got = tree.leaves(functrans.vmap(function, in_axes=tuple(in_axes), axis_size=3)(*batched))
    for index, leaf in enumerate(got):
        stacked = np.stack([np.asarray(e[index]) for e in expected])
        assert np.asarray(leaf).dtype == stacked.dtype
        np.testing.assert_allclose(np.asarray(leaf), stacked, rtol=1e-12, atol=1e-15)


# --- jit: every complex elementwise primitive, reduction and product in one kernel -----------

Z = np.array([[0.3 + 0.4j, -0.5 + 0.2j, 0.1 - 0.7j], [0.9 + 0.1j, -0.2 - 0.3j, 0.4 + 0.8j]])
W = np.array([[0.2 - 0.1j, 0.6 + 0.3j, -0.4 - 0.2j], [0.5 + 0.5j, 0.7 - 0.6j, -0.3 + 0.9j]])
UNARY = [lax.neg, lax.sin, lax.cos, lax.tan, lax.tanh, lax.exp, lax.expm1, lax.log, lax.log1p,
         lax.sqrt, lax.rsqrt, lax.sinh, lax.cosh, lax.asin, lax.acos, lax.atan, lax.asinh,
         lax.acosh, lax.atanh, lax.abs, lax.sign, lax.is_finite, lax.real, lax.imag, lax.conj,
         lambda z: lax.integer_pow(z, 3), lambda z: lax.integer_pow(z, -2),
         lambda z: lax.convert_element_type(z, np.float64),
         lambda z: lax.convert_element_type(z, np.complex64),
         lambda z: lax.complex(lax.imag(z), lax.real(z)),
         lambda z: lax.reduce_sum(z, (1,)), lambda z: lax.reduce_prod(z, (0, 1)),
         lambda z: lax.reduce_max(z, (1,)), lambda z: lax.reduce_min(z, (0,)),
         lambda z: lax.cumsum(z, 1), lambda z: lax.cumprod(z, 0), lambda z: lax.argmax(z, 1),
         lambda z: lax.argmin(z, 0)]
BINARY = [lax.add, lax.sub, lax.mul, lax.div, lax.pow, lax.eq, lax.ne, lax.max, lax.min,
          lax.lt, lax.le, lax.gt, lax.ge,
          lambda z, w: lax.lt(z, lax.complex(lax.real(z), lax.imag(w))),  # real parts tie
          lambda z, w: lax.select(lax.eq(lax.real(z), lax.real(z)), z, w),
          lambda z, w: lax.dot_general(z, w, (((1,), (1,)), ((), ()))),
          lambda z, w: lax.dot_general(z, w, (((0,), (0,)), ((), ()))),
          lambda z, w: lax.dot_general(z, w, (((), ()), ((0,), (0,))))]


def every_operation(z, w):
    return [f(z) for f in UNARY] + [f(z, w) for f in BINARY] + [
        z * 2.0 + 1j, fnp.abs(z) ** 2, fnp.angle(w), fnp.vdot(z, w), fnp.var(z, axis=0),
        fnp.rint(z * 3), fnp.round(z, 1), fnp.sort(z, axis=1)]


@pytest.mark.slow  # one numba compile of a large kernel
def test_jit_matches_eager_on_every_complex_operation():
    compiled = functrans.jit(every_operation)(Z, W)
    for index, (expected, got) in enumerate(zip(every_operation(Z, W), compiled)):
        expected, got = np.asarray(expected), np.asarray(got)
        assert got.dtype == expected.dtype, index
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15, err_msg=str(index))
