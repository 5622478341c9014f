"""ravel_pytree against JAX's contract, and the error for grad of a boolean or integer output."""
import numpy as np
import pytest

import functrans
import functrans.numpy as fnp
from functrans.flatten_util import ravel_pytree
from functrans.testing import check_grads


def test_ravel_and_unravel_round_trip_with_promotion():
    tree = {"w": np.arange(4.0, dtype=np.float32).reshape(2, 2), "b": np.array([1, 2]),
            "c": (np.float32(1.5),)}
    flat, unravel = ravel_pytree(tree)
    # Leaves in key order (b, c, w), promoted as NumPy promotes int64 with float32.
    assert flat.dtype == np.result_type(np.int64, np.float32)
    np.testing.assert_array_equal(flat, [1, 2, 1.5, 0, 1, 2, 3])
    back = unravel(flat)
    assert back["w"].dtype == np.float32 and back["w"].shape == (2, 2)
    assert back["b"].dtype == np.int64
    np.testing.assert_array_equal(back["w"], tree["w"])
    np.testing.assert_array_equal(back["b"], tree["b"])
    same, _ = ravel_pytree([np.ones(2, np.float32), np.ones(3, np.float32)])
    assert same.dtype == np.float32
    empty, unravel_empty = ravel_pytree(())
    assert empty.shape == (0,) and unravel_empty(empty) == ()
    with pytest.raises(ValueError, match="shape"):
        unravel(np.ones(3))


def test_unravel_is_differentiable_and_batches():
    tree = {"a": np.array([1.0, 2.0]), "b": np.ones((2, 2))}
    flat, unravel = ravel_pytree(tree)

    def loss(vector):
        parts = unravel(vector)
        return fnp.sum(parts["a"] ** 3) + fnp.sum(fnp.sin(parts["b"]))

    check_grads(loss, (flat,), order=2)
    batch = np.stack([flat, 2 * flat])
    np.testing.assert_allclose(functrans.vmap(lambda v: unravel(v)["b"])(batch)[1], 2 * tree["b"])
    gradient = functrans.grad(lambda t: fnp.sum(ravel_pytree(t)[0] ** 2))(tree)
    np.testing.assert_allclose(gradient["b"], 2 * tree["b"])


def test_grad_of_boolean_or_integer_output_says_so():
    with pytest.raises(TypeError, match="a boolean value .*not differentiable"):
        functrans.grad(lambda x: fnp.sum(x) > 0)(np.ones(3))
    with pytest.raises(TypeError, match="an integer value .*not differentiable"):
        functrans.grad(lambda x: fnp.argmax(x))(np.ones(3))
