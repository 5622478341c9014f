"""``odeint``: an adaptive Dormand–Prince ODE solver, differentiable by the adjoint method.

The forward solution is a ``scan`` over the requested times, each an adaptive
``while_loop`` of Runge–Kutta 5(4) steps that lands exactly on the time. Its
reverse-mode derivative (a ``custom_vjp``) integrates the adjoint system backwards
between consecutive times (a ``scan`` over the intervals, latest first), as JAX's and autograd's ``odeint`` do, so gradients cost
one more solve instead of differentiating through every step.
"""
import numpy as np

from functrans import custom_vjp, lax, vjp, vmap
from functrans.flatten_util import ravel_pytree

__all__ = ["odeint"]

# The Dormand–Prince 5(4) tableau: stage times, stage weights, the fifth-order solution
# and the difference between the fifth- and fourth-order solutions (the error estimate).
_STAGE_TIMES = (1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
_STAGE_WEIGHTS = (
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
_SOLUTION = (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0)
_ERROR = (35 / 384 - 1951 / 21600, 0.0, 500 / 1113 - 22642 / 50085, 125 / 192 - 451 / 720,
          -2187 / 6784 + 12231 / 42400, 11 / 84 - 649 / 6300, -1 / 60)


def _np():
    import functrans.numpy as fnp
    return fnp


def _weighted_sum(weights, slopes):
    fnp = _np()
    total = None
    for weight, slope in zip(weights, slopes):
        if weight == 0.0:
            continue
        term = fnp.multiply(weight, slope)
        total = term if total is None else fnp.add(total, term)
    return total


def _runge_kutta_step(function, y, slope, t, dt):
    """One Dormand–Prince step: ``(y_next, slope_next, error_estimate)``."""
    fnp = _np()
    slopes = [slope]
    for stage_time, weights in zip(_STAGE_TIMES, _STAGE_WEIGHTS):
        stage_y = fnp.add(y, fnp.multiply(dt, _weighted_sum(weights, slopes)))
        slopes.append(function(stage_y, fnp.add(t, fnp.multiply(dt, stage_time))))
    y_next = fnp.add(y, fnp.multiply(dt, _weighted_sum(_SOLUTION, slopes)))
    error = fnp.multiply(dt, _weighted_sum(_ERROR, slopes))
    return y_next, slopes[-1], error  # the last stage is the slope at y_next (FSAL)


def _rms(x):
    fnp = _np()
    return fnp.sqrt(fnp.mean(fnp.square(x)))


def _initial_step(function, t0, y0, rtol, atol, slope0):
    """Hairer, Nørsett & Wanner's starting step for a method of order 4."""
    fnp = _np()
    scale = fnp.add(atol, fnp.multiply(fnp.abs(y0), rtol))
    d0, d1 = _rms(fnp.divide(y0, scale)), _rms(fnp.divide(slope0, scale))
    small = fnp.logical_or(d0 < 1e-5, d1 < 1e-5)
    h0 = fnp.where(small, 1e-6, 0.01 * d0 / fnp.where(small, 1.0, d1))
    slope1 = function(fnp.add(y0, fnp.multiply(h0, slope0)), fnp.add(t0, h0))
    d2 = _rms(fnp.divide(fnp.subtract(slope1, slope0), scale)) / h0
    flat = fnp.logical_and(d1 <= 1e-15, d2 <= 1e-15)
    largest = fnp.where(flat, 1.0, fnp.maximum(d1, d2))
    h1 = fnp.where(flat, fnp.maximum(1e-6, h0 * 1e-3), (0.01 / largest) ** (1 / 5))
    return fnp.minimum(100 * h0, h1)


def _next_step(step, error_ratio):
    """The step after one of size ``step`` with this error ratio (safety 0.9, growth at
    most 10×, shrinking at most 5× after a rejection)."""
    fnp = _np()
    shrink_limit = fnp.where(error_ratio < 1, 1.0, 0.2)
    safe_ratio = fnp.where(error_ratio == 0, 1.0, error_ratio)
    factor = fnp.minimum(10.0, fnp.maximum(0.9 * safe_ratio ** (-1 / 5), shrink_limit))
    return fnp.where(error_ratio == 0, step * 10.0, step * factor)


def _solve(function, y0, times, args, rtol, atol, mxstep, hmax):
    """The solution at each of ``times`` (a vector, increasing), as rows."""
    fnp = _np()

    def dynamics(y, t):
        return function(y, t, *args)

    t0 = times[0]
    slope0 = dynamics(y0, t0)
    step0 = _initial_step(dynamics, t0, y0, rtol, atol, slope0)

    def to_time(carry, target):
        def keep_going(state):
            y, slope, t, step, count = state
            return fnp.logical_and(fnp.logical_and(t < target, count < mxstep), step > 0)

        def advance(state):
            y, slope, t, step, count = state
            remaining = fnp.subtract(target, t)
            this_step = fnp.minimum(fnp.minimum(step, remaining), hmax)
            y_next, slope_next, error = _runge_kutta_step(dynamics, y, slope, t, this_step)
            tolerance = fnp.add(atol, fnp.multiply(rtol, fnp.maximum(fnp.abs(y),
                                                                     fnp.abs(y_next))))
            error_ratio = _rms(fnp.divide(error, tolerance))
            accept = error_ratio <= 1.0
            # Landing exactly on the target avoids a sliver of a step from rounding.
            t_next = fnp.where(this_step == remaining, target, fnp.add(t, this_step))
            return (fnp.where(accept, y_next, y), fnp.where(accept, slope_next, slope),
                    fnp.where(accept, t_next, t), _next_step(this_step, error_ratio),
                    count + 1)

        y, slope, t, step = carry
        y, slope, t, step, _ = lax.while_loop(keep_going, advance,
                                              (y, slope, t, step, np.int64(0)))
        return (y, slope, t, step), y

    _, ys = lax.scan(to_time, (y0, slope0, t0, step0), times[1:])
    return fnp.concatenate([fnp.reshape(y0, (1,) + fnp.shape(y0)), ys], 0)


def _odeint_flat(function, rtol, atol, mxstep, hmax, y0, times, *args):
    return _solve(function, y0, times, args, rtol, atol, mxstep, hmax)


_odeint_flat = custom_vjp(_odeint_flat, nondiff_argnums=(0, 1, 2, 3, 4))


def _odeint_forward(function, rtol, atol, mxstep, hmax, y0, times, *args):
    ys = _solve(function, y0, times, args, rtol, atol, mxstep, hmax)
    return ys, (ys, times, args)


def _odeint_backward(function, rtol, atol, mxstep, hmax, residuals, cotangent):
    """The adjoint method: between consecutive times, integrate backwards
    ``y' = f``, ``a' = -a ∂f/∂y``, ``θ' = -a ∂f/∂θ``, ``t̄' = -a ∂f/∂t`` (in reversed time,
    so the same forward solver applies), adding each time's output cotangent to ``a``."""
    fnp = _np()
    ys, times, args = residuals
    flat_args, unravel_args = ravel_pytree(args)
    state_size = fnp.shape(ys)[1]
    args_size = fnp.shape(flat_args)[0]

    def augmented(state, minus_t, flat_args_):
        y, adjoint = state[:state_size], state[state_size:2 * state_size]
        args_ = unravel_args(flat_args_)
        slope, pullback = vjp(lambda y_, t_, a_: function(y_, t_, *a_), y,
                              fnp.negative(minus_t), args_)
        y_bar, t_bar, args_bar = pullback(adjoint)
        return fnp.concatenate([fnp.negative(slope), y_bar, fnp.reshape(t_bar, (1,)),
                                ravel_pytree(args_bar)[0]])

    def interval(carry, later_and_earlier):
        adjoint, t0_bar, args_bar = carry
        y, t, t_earlier, y_cotangent, earlier_cotangent = later_and_earlier
        t_bar = fnp.dot(function(y, t, *args), y_cotangent)
        t0_bar = fnp.subtract(t0_bar, t_bar)
        state = fnp.concatenate([y, adjoint, fnp.reshape(t0_bar, (1,)), args_bar])
        span = fnp.stack([fnp.negative(t), fnp.negative(t_earlier)])
        solution = _solve(augmented, state, span, (flat_args,), rtol, atol, mxstep, hmax)[1]
        adjoint = fnp.add(solution[state_size:2 * state_size], earlier_cotangent)
        return (adjoint, solution[2 * state_size], solution[2 * state_size + 1:]), t_bar

    # One scan step per interval, latest first (the adjoint runs backwards in time).
    intervals = (ys[1:][::-1], times[1:][::-1], times[:-1][::-1], cotangent[1:][::-1],
                 cotangent[:-1][::-1])
    initial = (cotangent[-1], fnp.zeros((), ys.dtype), fnp.zeros((args_size,), ys.dtype))
    (adjoint, t0_bar, args_bar), time_bars = lax.scan(interval, initial, intervals)
    times_bar = fnp.concatenate([fnp.reshape(t0_bar, (1,)), time_bars[::-1]])
    return (adjoint, times_bar, *unravel_args(args_bar))


_odeint_flat.defvjp(_odeint_forward, _odeint_backward)


def odeint(func, y0, t, *args, rtol=1.4e-8, atol=1.4e-8, mxstep=np.inf, hmax=np.inf):
    """Solve ``dy/dt = func(y, t, *args)`` from ``y(t[0]) = y0``, returning ``y`` at each
    time of the increasing vector ``t`` (stacked along a new first axis, for each leaf of
    the pytree ``y0``). Adaptive Dormand–Prince steps keep the local error within
    ``atol + rtol * |y|``; ``mxstep`` bounds the steps between two output times and
    ``hmax`` their size.

    Differentiable with respect to ``y0``, ``t`` and ``args`` by the adjoint method; pass
    every differentiated parameter of ``func`` through ``args``, not by closure.

    >>> import functrans.numpy as fnp
    >>> ys = odeint(lambda y, t, k: -k * y, np.array(1.0), np.array([0.0, 1.0]), 2.0)
    >>> bool(np.isclose(ys[1], np.exp(-2.0)))
    True
    """
    fnp = _np()
    for index, argument in enumerate(args):
        if callable(argument):
            raise TypeError(f"odeint: extra argument {index} is a function; args must be "
                            "arrays or pytrees of arrays (close over functions in func)")
    flat_y0, unravel = ravel_pytree(y0)
    flat_y0 = fnp.asarray(flat_y0)
    if flat_y0.dtype.kind != "f":
        raise TypeError(f"odeint: y0 must hold floating-point values, got {flat_y0.dtype}")
    t = fnp.asarray(t)
    if t.dtype.kind != "f":
        t = t.astype(flat_y0.dtype)
    if fnp.ndim(t) != 1:
        raise ValueError(f"odeint: t must be a vector of times, got shape {fnp.shape(t)}")

    def flat_function(y, time, *args_):
        return ravel_pytree(func(unravel(y), time, *args_))[0].astype(flat_y0.dtype)

    ys = _odeint_flat(flat_function, rtol, atol, mxstep, hmax, flat_y0, t, *args)
    return vmap(unravel)(ys)
