"""functrans.experimental.ode.odeint: solutions against closed forms and SciPy, adjoint
gradients against finite differences, vmap against a loop, jit against eager."""
import numpy as np
import pytest

import functrans
import functrans.numpy as fnp
from functrans.experimental.ode import odeint

TIMES = np.array([0.0, 0.4, 1.1, 2.0])


def decay(y, t, rate):
    return -rate * y


def oscillator(state, t, params):
    position, velocity = state["x"], state["v"]
    return {"x": velocity,
            "v": -params["w"] ** 2 * position - params["c"] * velocity + fnp.sin(t)}


def finite_difference(function, x, step=1e-6):
    x = np.asarray(x, dtype=float)
    result = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        offset = np.zeros_like(x)
        offset[index] = step
        result[index] = (function(x + offset) - function(x - offset)) / (2 * step)
    return result


def test_solution_matches_closed_form_and_scipy():
    import scipy.integrate
    y0 = np.array([1.0, -2.0])
    ys = odeint(decay, y0, TIMES, 1.5)
    assert ys.shape == (4, 2) and ys.dtype == np.float64
    np.testing.assert_allclose(ys, np.exp(-1.5 * TIMES)[:, None] * y0, rtol=1e-7)

    state = {"x": np.array(1.0), "v": np.array(0.3)}
    params = {"w": np.array(1.3), "c": np.array(0.2)}
    solution = odeint(oscillator, state, TIMES, params)
    reference = scipy.integrate.odeint(
        lambda y, t: [y[1], -1.3 ** 2 * y[0] - 0.2 * y[1] + np.sin(t)], [1.0, 0.3], TIMES,
        rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(solution["x"], reference[:, 0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(solution["v"], reference[:, 1], rtol=1e-6, atol=1e-8)


def test_adjoint_gradients_against_finite_differences():
    state = {"x": np.array(1.0), "v": np.array(0.3)}
    params = {"w": np.array(1.3), "c": np.array(0.2)}

    def loss(state, times, params):
        trajectory = odeint(oscillator, state, times, params, rtol=1e-10, atol=1e-10)
        return fnp.sum(trajectory["x"] ** 2) + fnp.sum(trajectory["v"] * fnp.arange(4.0))

    state_bar, times_bar, params_bar = functrans.grad(loss, argnums=(0, 1, 2))(
        state, TIMES, params)
    np.testing.assert_allclose(times_bar, finite_difference(
        lambda t: loss(state, t, params), TIMES), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(params_bar["w"], finite_difference(
        lambda w: loss(state, TIMES, {"w": w, "c": params["c"]}), params["w"]), rtol=1e-5)
    np.testing.assert_allclose(params_bar["c"], finite_difference(
        lambda c: loss(state, TIMES, {"w": params["w"], "c": c}), params["c"]), rtol=1e-5)
    np.testing.assert_allclose(state_bar["x"], finite_difference(
        lambda x: loss({"x": x, "v": state["v"]}, TIMES, params), state["x"]), rtol=1e-5)
    np.testing.assert_allclose(state_bar["v"], finite_difference(
        lambda v: loss({"x": state["x"], "v": v}, TIMES, params), state["v"]), rtol=1e-5)


def test_vmap_matches_a_loop():
    rates = np.array([0.5, 1.0, 2.0])
    batched = functrans.vmap(lambda r: odeint(decay, np.array(1.0), TIMES, r))(rates)
    for index, rate in enumerate(rates):
        np.testing.assert_allclose(batched[index], odeint(decay, np.array(1.0), TIMES, rate),
                                   rtol=1e-12)


def test_bad_arguments_are_errors():
    with pytest.raises(TypeError, match="function"):
        odeint(decay, np.array(1.0), TIMES, lambda y: y)
    with pytest.raises(ValueError, match="vector of times"):
        odeint(decay, np.array(1.0), np.array(1.0), 1.0)


@pytest.mark.slow
def test_jit_matches_eager():
    solve = functrans.jit(lambda y0, rate: odeint(decay, y0, TIMES, rate))
    np.testing.assert_allclose(solve(np.array([1.0, 2.0]), 0.7),
                               odeint(decay, np.array([1.0, 2.0]), TIMES, 0.7), rtol=1e-12)
