"""functrans.numpy.vectorize against NumPy's own vectorize and explicit loops."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import functrans
import functrans.numpy as fnp


@settings(max_examples=20)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       seed=st.integers(0, 1000))
def test_elementwise_vectorize_matches_numpy_vectorize(shapes, seed):
    rng = np.random.default_rng(seed)
    x, y = (rng.normal(size=s) for s in shapes.input_shapes)

    def scalar_function(a, b):
        return a * a - b if a > b else b * 3.0

    expected = np.vectorize(scalar_function)(x, y)
    got = fnp.vectorize(lambda a, b: fnp.where(a > b, a * a - b, b * 3.0))(x, y)
    np.testing.assert_allclose(got, expected, rtol=1e-15)


def test_signature_matrix_vector_matches_a_loop():
    rng = np.random.default_rng(0)
    matrices, vector = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(5,))
    product = fnp.vectorize(lambda m, v: m @ v, signature="(m,n),(n)->(m)")
    expected = np.stack([np.stack([m @ vector for m in batch]) for batch in matrices])
    np.testing.assert_allclose(product(matrices, vector), expected, rtol=1e-14)


def test_vectorize_composes_with_grad_and_jit():
    inner = fnp.vectorize(lambda a, b: (a * b).sum(), signature="(n),(n)->()")
    b = np.arange(3.0)
    gradient = functrans.grad(lambda a: inner(a, b).sum())(np.ones((4, 3)))
    np.testing.assert_array_equal(gradient, np.broadcast_to(b, (4, 3)))
    np.testing.assert_allclose(functrans.jit(inner)(np.ones((4, 3)), b), np.full(4, 3.0))


def test_excluded_arguments_pass_through():
    power = fnp.vectorize(lambda x, n: x ** n, excluded={1})
    np.testing.assert_array_equal(power(np.arange(4.0), 3), np.arange(4.0) ** 3)


def test_signature_errors_are_clear():
    with pytest.raises(ValueError, match="cannot read the signature"):
        fnp.vectorize(lambda a: a, signature="n->()")
    inner = fnp.vectorize(lambda a, b: (a * b).sum(), signature="(n),(n)->()")
    with pytest.raises(ValueError, match="core dimension 'n' has size 3 .* and 4"):
        inner(np.ones(3), np.ones(4))
