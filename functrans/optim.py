"""Functional optimizers on pytrees, in the style of optax.

An optimizer is a pair of pure functions::

    optimizer = functrans.optim.adam(1e-3)
    state = optimizer.init(params)                       # a pytree of arrays
    updates, state = optimizer.update(grads, state, params)
    params = functrans.optim.apply_updates(params, updates)

``params``, ``grads`` and ``updates`` are pytrees of the same structure (a
dict of arrays, a tuple, a namedtuple, ...); the state is a pytree too, so a
whole training step can be ``jit``-ted::

    @functrans.jit
    def step(params, state, x, y):
        loss, grads = functrans.value_and_grad(loss_fn)(params, x, y)
        updates, state = optimizer.update(grads, state, params)
        return functrans.optim.apply_updates(params, updates), state, loss

Updates are already scaled by ``-learning_rate``: ``apply_updates`` adds them.
The update rules are optax's (``sgd``, ``adam``, ``adamw``, ``rmsprop`` give the
same numbers as their optax namesakes). Moment estimates are kept in each
parameter's dtype, so float32 parameters stay float32.

``learning_rate`` is a number or a schedule: a function of the step count
(0 on the first update) that returns the rate, e.g.
``lambda step: 0.1 * 0.99 ** step``. It is traceable under ``jit``.

``minimize(loss, params, optimizer, steps)`` runs the loop for you, jit-compiled,
with a progress bar and the loss history: the functional counterpart of
TensorFlow's ``GradientDescentOptimizer(lr).minimize(cost)``.
"""
import sys
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import functrans.numpy as fnp
from functrans import core, tree
from functrans.transforms.differentiation import value_and_grad
from functrans.transforms.jit import jit as jit_transform

__all__ = [
    "AdamState",
    "GradientTransformation",
    "MinimizeResult",
    "RmsPropState",
    "SgdState",
    "adam",
    "adamw",
    "apply_updates",
    "global_norm",
    "minimize",
    "rmsprop",
    "sgd",
]


class GradientTransformation(NamedTuple):
    """An optimizer: ``init(params) -> state`` and
    ``update(grads, state, params=None) -> (updates, new_state)``."""
    init: Callable
    update: Callable


class SgdState(NamedTuple):
    count: Any         # int32 scalar: the number of updates made so far
    momentum: Any      # pytree like params (None when momentum is 0)


class AdamState(NamedTuple):
    count: Any         # int32 scalar
    mu: Any            # first moment estimate, pytree like params
    nu: Any            # second moment estimate, pytree like params


class RmsPropState(NamedTuple):
    count: Any         # int32 scalar
    nu: Any            # running mean of squared gradients
    mu: Any            # running mean of gradients (centered=True), else None
    momentum: Any      # momentum trace (momentum > 0), else None


# --- helpers --------------------------------------------------------------------------

def _zeros_like_tree(params):
    return tree.map(lambda p: fnp.zeros_like(p), params)


def _init_count():
    # A NumPy scalar, as jit returns 0-d results: the step's signature stays the same.
    return np.int32(0)


def _as_dtype(value, dtype):
    """``value`` (a Python number, NumPy value or tracer) as a scalar of ``dtype``, so that a
    float64 schedule or bias correction does not promote float32 parameters."""
    if type(value) in (int, float):
        return value                          # weak: takes the array's dtype
    value = fnp.asarray(value)
    return value if value.dtype == dtype else value.astype(dtype)


def _dtype_of(x):
    return x.dtype if hasattr(x, "dtype") else np.result_type(x)


def _learning_rate(learning_rate, count):
    return learning_rate(count) if callable(learning_rate) else learning_rate


def _check_rate(name, learning_rate):
    if not callable(learning_rate) and not isinstance(learning_rate, core.Tracer):
        try:
            rate = float(learning_rate)
        except (TypeError, ValueError):
            raise TypeError(f"functrans.optim.{name}: learning_rate must be a number or a "
                            f"function of the step count, got {learning_rate!r}") from None
        if not np.isfinite(rate) or rate < 0:
            raise ValueError(f"functrans.optim.{name}: learning_rate must be finite and "
                             f">= 0, got {learning_rate!r}")


def _check_params(name, params):
    if params is None:
        raise ValueError(f"functrans.optim.{name}: update(grads, state, params) needs params "
                         f"(for the weight decay)")


def _scale(updates, factor):
    """``-factor * u`` for each leaf, ``factor`` cast to the leaf's dtype."""
    return tree.map(lambda u: -_as_dtype(factor, _dtype_of(u)) * u, updates)


def _momentum_trace(updates, trace, momentum, nesterov):
    """optax's ``trace``: ``t = g + momentum * t``; the update is ``t`` (or
    ``g + momentum * t`` with Nesterov)."""
    new_trace = tree.map(lambda g, t: g + momentum * t, updates, trace)
    if nesterov:
        updates = tree.map(lambda g, t: g + momentum * t, updates, new_trace)
    else:
        updates = new_trace
    return updates, new_trace


def global_norm(updates):
    """The Euclidean norm of all leaves of a pytree together."""
    return fnp.sqrt(sum(fnp.sum(fnp.square(leaf)) for leaf in tree.leaves(updates)))


# --- optimizers -----------------------------------------------------------------------

def sgd(learning_rate, momentum=0.0, nesterov=False):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    Without momentum the update is ``-lr * g``. With momentum ``m`` a trace
    ``t = g + m * t`` is kept and the update is ``-lr * t``, or ``-lr * (g + m * t)``
    with ``nesterov=True`` (the rules of ``optax.sgd`` and of PyTorch's SGD).
    """
    _check_rate("sgd", learning_rate)
    if not 0 <= momentum < 1:
        raise ValueError(f"functrans.optim.sgd: momentum must be in [0, 1), got {momentum!r}")
    if nesterov and momentum == 0:
        raise ValueError("functrans.optim.sgd: nesterov=True needs momentum > 0")

    def init(params):
        trace = _zeros_like_tree(params) if momentum else None
        return SgdState(_init_count(), trace)

    def update(grads, state, params=None):
        rate = _learning_rate(learning_rate, state.count)
        trace = state.momentum
        if momentum:
            grads, trace = _momentum_trace(grads, trace, momentum, nesterov)
        return _scale(grads, rate), SgdState(state.count + 1, trace)

    return GradientTransformation(init, update)


def _adam_direction(grads, state, b1, b2, eps, eps_root):
    """Updates the moments; returns ``mu_hat / (sqrt(nu_hat + eps_root) + eps)`` and the state."""
    mu = tree.map(lambda g, m: b1 * m + (1 - b1) * g, grads, state.mu)
    nu = tree.map(lambda g, v: b2 * v + (1 - b2) * fnp.square(g), grads, state.nu)
    count = state.count + 1
    # Bias corrections, computed in float64 and cast to each leaf's dtype.
    step = fnp.asarray(count).astype(np.float64)
    correction1 = 1 - fnp.power(b1, step)
    correction2 = 1 - fnp.power(b2, step)

    def direction(m, v):
        m_hat = m / _as_dtype(correction1, m.dtype)
        v_hat = v / _as_dtype(correction2, v.dtype)
        if eps_root:
            v_hat = v_hat + eps_root
        return m_hat / (fnp.sqrt(v_hat) + eps)

    return tree.map(direction, mu, nu), AdamState(count, mu, nu)


def adam(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0):
    """Adam (Kingma & Ba, 2015) with bias correction, as ``optax.adam``:
    ``mu = b1 mu + (1-b1) g``, ``nu = b2 nu + (1-b2) g²``, and the update
    ``-lr * mu_hat / (sqrt(nu_hat + eps_root) + eps)`` with
    ``mu_hat = mu / (1 - b1^t)``, ``nu_hat = nu / (1 - b2^t)``.
    """
    _check_rate("adam", learning_rate)

    def init(params):
        return AdamState(_init_count(), _zeros_like_tree(params), _zeros_like_tree(params))

    def update(grads, state, params=None):
        rate = _learning_rate(learning_rate, state.count)
        direction, new_state = _adam_direction(grads, state, b1, b2, eps, eps_root)
        return _scale(direction, rate), new_state

    return GradientTransformation(init, update)


def adamw(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, weight_decay=1e-4,
          mask=None):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``optax.adamw``:
    the update is ``-lr * (adam_direction + weight_decay * params)``.

    ``mask``, if given, is a pytree of booleans like ``params`` (or a function of
    ``params`` returning one) saying which leaves are decayed; biases are often left out.
    """
    _check_rate("adamw", learning_rate)

    def init(params):
        return AdamState(_init_count(), _zeros_like_tree(params), _zeros_like_tree(params))

    def update(grads, state, params=None):
        _check_params("adamw", params)
        rate = _learning_rate(learning_rate, state.count)
        direction, new_state = _adam_direction(grads, state, b1, b2, eps, eps_root)
        decayed = mask(params) if callable(mask) else mask
        if decayed is None:
            decayed = tree.map(lambda p: True, params)
        direction = tree.map(
            lambda d, p, on: d + weight_decay * p if on else d, direction, params, decayed)
        return _scale(direction, rate), new_state

    return GradientTransformation(init, update)


def rmsprop(learning_rate, decay=0.9, eps=1e-8, initial_scale=0.0, centered=False,
            momentum=0.0, nesterov=False):
    """RMSProp (Hinton's lecture 6e), as ``optax.rmsprop``:
    ``nu = decay nu + (1-decay) g²`` and the direction ``g / sqrt(nu + eps)``;
    with ``centered=True`` also ``mu = decay mu + (1-decay) g`` and the direction
    ``g / sqrt(nu - mu² + eps)``. An optional momentum trace follows, as in ``sgd``,
    and the update is ``-lr`` times the result. ``nu`` starts at ``initial_scale``.
    """
    _check_rate("rmsprop", learning_rate)
    if not 0 <= momentum < 1:
        raise ValueError(f"functrans.optim.rmsprop: momentum must be in [0, 1), got {momentum!r}")
    if nesterov and momentum == 0:
        raise ValueError("functrans.optim.rmsprop: nesterov=True needs momentum > 0")

    def init(params):
        nu = tree.map(lambda p: fnp.full_like(p, initial_scale), params)
        mu = _zeros_like_tree(params) if centered else None
        trace = _zeros_like_tree(params) if momentum else None
        return RmsPropState(_init_count(), nu, mu, trace)

    def update(grads, state, params=None):
        rate = _learning_rate(learning_rate, state.count)
        nu = tree.map(lambda g, v: decay * v + (1 - decay) * fnp.square(g), grads, state.nu)
        if centered:
            mu = tree.map(lambda g, m: decay * m + (1 - decay) * g, grads, state.mu)
            direction = tree.map(lambda g, v, m: g / fnp.sqrt(v - fnp.square(m) + eps),
                                 grads, nu, mu)
        else:
            mu = None
            direction = tree.map(lambda g, v: g / fnp.sqrt(v + eps), grads, nu)
        trace = state.momentum
        if momentum:
            direction, trace = _momentum_trace(direction, trace, momentum, nesterov)
        return _scale(direction, rate), RmsPropState(state.count + 1, nu, mu, trace)

    return GradientTransformation(init, update)


def apply_updates(params, updates):
    """``params + updates``, leaf by leaf, keeping each parameter's dtype."""
    def add(p, u):
        total = p + u
        dtype = getattr(p, "dtype", None)
        if dtype is not None and total.dtype != dtype:
            total = total.astype(dtype)
        return total
    return tree.map(add, params, updates)


# --- the training loop ----------------------------------------------------------------

class MinimizeResult(NamedTuple):
    """What ``minimize`` returns: unpack as ``params, history, state = minimize(...)``."""
    params: Any        # the final parameters
    history: np.ndarray  # the loss before each step (float64, length = steps taken)
    state: Any         # the final optimizer state (to continue training)


class _PlainBar:
    """A minimal text progress bar, used when tqdm is not installed."""

    def __init__(self, total, desc, file=None, width=30, min_interval=0.1):
        self.total, self.desc, self.width = total, desc, width
        self.file = file if file is not None else sys.stderr
        self.count, self.postfix, self.started = 0, "", time.perf_counter()
        self.last_shown = -np.inf
        self.shown_length = self.shown_count = 0
        self.min_interval = min_interval

    def set_postfix_str(self, text, refresh=True):
        self.postfix = text

    def update(self, n=1):
        self.count += n
        now = time.perf_counter()
        if now - self.last_shown >= self.min_interval or self.count >= self.total:
            self.last_shown = now
            self._show(now)

    def _show(self, now):
        filled = int(self.width * self.count / max(self.total, 1))
        elapsed = now - self.started
        rate = self.count / elapsed if elapsed > 0 else 0.0
        line = (f"{self.desc}: |{'#' * filled}{'.' * (self.width - filled)}| "
                f"{self.count}/{self.total} [{elapsed:.1f}s, {rate:.0f} it/s] {self.postfix}")
        # Pad over the end of a longer previous line.
        self.file.write("\r" + line.ljust(self.shown_length))
        self.shown_length = len(line)
        self.shown_count = self.count
        self.file.flush()

    def close(self):
        if self.count != self.shown_count:
            self._show(time.perf_counter())
        self.file.write("\n")
        self.file.flush()


def _progress_bar(total, desc, progress):
    if progress == "plain":
        return _PlainBar(total, desc)
    try:
        from tqdm import tqdm
    except ImportError:
        return _PlainBar(total, desc)
    return tqdm(total=total, desc=desc, mininterval=0.1, ascii=True, leave=True)


def check_minimize_arguments(where, optimizer, steps):
    """The errors ``minimize`` (and ``functrans.distributed.minimize``) give for bad
    ``steps`` and ``optimizer``; ``where`` names the function in the message."""
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"{where}: steps must be an integer >= 0, got {steps!r}")
    if not isinstance(optimizer, GradientTransformation):
        raise TypeError(f"{where}: optimizer must be a GradientTransformation such as "
                        f"functrans.optim.adam(1e-3), got {optimizer!r}")


class LossHistory:
    """The losses of a training loop, shown on a progress bar as they come (a context
    manager: the bar is closed on leaving, however the loop ends)."""

    def __init__(self, steps, description, progress):
        self.values = []
        self._bar = _progress_bar(steps, description, progress) if progress else None

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        if self._bar is not None:
            self._bar.close()

    def record(self, value):
        self.values.append(float(value))
        if self._bar is not None:
            self._bar.set_postfix_str(f"loss={self.values[-1]:.4g}", refresh=False)
            self._bar.update(1)

    def result(self, params, state):
        """The :class:`MinimizeResult` of the loop."""
        return MinimizeResult(params, np.asarray(self.values, dtype=np.float64), state)


def minimize(loss, params, optimizer, steps, *, batches=None, state=None, jit=True,
             progress=True, description="minimize"):
    """Minimize ``loss`` from ``params`` by ``steps`` updates of ``optimizer``.

    ``loss(params)`` returns a scalar; with ``batches`` (an iterable, e.g. a generator of
    minibatches) each step calls ``loss(params, batch)`` on the next batch and training
    stops early if the batches run out. The step (value, gradient, update) is compiled
    with ``functrans.jit`` unless ``jit=False``. ``progress`` shows a progress bar (tqdm
    if it is installed, else a plain one; ``"plain"`` forces the plain one; False for
    none). ``state`` continues from an earlier optimizer state.

    Returns ``MinimizeResult(params, history, state)``; ``history[i]`` is the loss at
    the parameters before step ``i``.

    >>> import functrans.numpy as fnp
    >>> result = minimize(lambda w: fnp.sum((w - 3.0) ** 2), np.zeros(2), sgd(0.1), 100,
    ...                   progress=False)
    >>> np.round(result.params, 6)
    array([3., 3.])
    """
    check_minimize_arguments("functrans.optim.minimize", optimizer, steps)
    value_and_gradient = value_and_grad(loss)

    def step(params, state, *batch):
        value, grads = value_and_gradient(params, *batch)
        updates, state = optimizer.update(grads, state, params)
        return apply_updates(params, updates), state, value

    if jit:
        step = jit_transform(step)
    if state is None:
        state = optimizer.init(params)
    batch_iterator = iter(batches) if batches is not None else None
    with LossHistory(steps, description, progress) as history:
        for _ in range(steps):
            if batch_iterator is None:
                params, state, value = step(params, state)
            else:
                try:
                    batch = next(batch_iterator)
                except StopIteration:
                    break
                params, state, value = step(params, state, batch)
            history.record(value)
    return history.result(params, state)
