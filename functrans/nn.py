"""Neural-network helpers: activations, softmax and friends, one-hot encoding.

Written on functrans.numpy, so each is eager NumPy on concrete arrays and
traceable under every transform. The softmax family subtracts the maximum
(behind ``stop_gradient``: the result does not depend on it) so ``exp`` never
overflows.
"""
import numpy as np

from functrans import core, lax
import functrans.numpy as fnp
from functrans.numpy._dispatch import as_inexact


def _stop_gradient(x):
    # Concrete values have no gradient to stop; skipping the primitive keeps eager code NumPy-fast.
    return lax.stop_gradient(x) if isinstance(x, core.Tracer) else x


def _subtract_max(x, axis):
    """``x`` minus its maximum along ``axis`` (kept dims); 0 replaces an infinite maximum so
    that ``inf - inf`` does not make NaNs."""
    largest = fnp.max(x, axis=axis, keepdims=True)
    largest = _stop_gradient(fnp.where(fnp.isfinite(largest), largest, 0))
    return x - largest, largest


def relu(x):
    """``max(x, 0)``, with derivative 0 at 0 (as JAX has it); NaN stays NaN."""
    return fnp.where(fnp.less_equal(x, 0), 0, x)


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``, computed without overflow."""
    return lax.logistic(as_inexact(x))


def softplus(x):
    """``log(1 + exp(x))``, computed without overflow."""
    return fnp.logaddexp(x, 0)


def logsumexp(a, axis=None, b=None, keepdims=False):
    """``log(sum(b * exp(a), axis))``, computed stably.

    >>> float(logsumexp(np.array([1000.0, 1000.0])))  # exp(1000) alone would overflow
    1000.6931471805599
    """
    a = as_inexact(a)
    shifted, largest = _subtract_max(a, axis)
    exponentials = fnp.exp(shifted)
    if b is not None:
        exponentials = exponentials * b
    total = fnp.log(fnp.sum(exponentials, axis=axis, keepdims=True))
    result = total + largest
    if keepdims:
        return result
    return fnp.squeeze(result, axis=axis) if axis is not None else fnp.reshape(result, ())


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x), axis)``, computed stably."""
    shifted, _ = _subtract_max(as_inexact(x), axis)
    exponentials = fnp.exp(shifted)
    return exponentials / fnp.sum(exponentials, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """``x - logsumexp(x, axis)``, computed stably."""
    shifted, _ = _subtract_max(as_inexact(x), axis)
    return shifted - fnp.log(fnp.sum(fnp.exp(shifted), axis=axis, keepdims=True))


def one_hot(labels, num_classes, dtype=np.float64):
    """Rows with a 1 at each label's position: shape ``labels.shape + (num_classes,)``.

    Labels outside ``[0, num_classes)`` give all-zero rows.

    >>> one_hot(np.array([2, 0]), 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    matches = fnp.equal(fnp.expand_dims(labels, -1), np.arange(num_classes))
    return fnp.asarray(matches).astype(dtype)
