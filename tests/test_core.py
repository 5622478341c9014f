"""The foundation: the IR's printed form, the interpreter, configuration, debug_nans, and the
errors a user meets while tracing (each must name the value and the user's line)."""
import threading
import warnings

import numpy as np
import pytest

import functrans
import functrans.numpy as fnp
from functrans import core
from functrans.errors import ConcretizationError, EscapedTracerError
from functrans.ir import eval_ir


def test_make_jaxpr_prints_typed_equations():
    def f(x, y):
        return fnp.sum(fnp.sin(x) * y + 2.0)

    expected = """\
{ lambda ; a:f64[3] b:f64[3]. let
    c:f64[3] = sin a
    d:f64[3] = mul c b
    e:f64[3] = broadcast_in_dim[broadcast_dimensions=(), shape=(3,)] 2.0:f64[]
    f:f64[3] = add d e
    g:f64[] = reduce_sum[axes=(0,)] f
  in (g,) }"""
    assert str(functrans.make_jaxpr(f)(np.ones(3), np.ones(3))) == expected


def test_make_jaxpr_shows_closed_over_constants_and_float32():
    table = np.arange(4.0, dtype=np.float32)
    ir = functrans.make_jaxpr(lambda x: x * table)(np.ones(4, np.float32))
    text = str(ir)
    assert text.startswith("{ lambda a:f32[4] ; b:f32[4]. let")
    assert "c:f32[4] = mul b a" in text
    assert ir.consts[0] is table


def test_interpreter_evaluates_a_traced_ir_to_the_function_values():
    def f(x):
        return fnp.tanh(x) @ fnp.ones((3, 2)) - x.sum()

    x = np.linspace(-1.0, 1.0, 3)
    ir = functrans.make_jaxpr(f)(x)
    np.testing.assert_array_equal(eval_ir(ir, x)[0], np.tanh(x) @ np.ones((3, 2)) - x.sum())


def test_python_scalars_are_weak_and_keep_float32():
    ir = functrans.make_jaxpr(lambda x: x * 2.0 + 1)(np.ones(2, np.float32))
    assert ir.out_avals[0].dtype == np.float32
    assert functrans.make_jaxpr(lambda x: x * 2)(1.5).in_avals[0].weak_type


def test_bool_of_a_traced_value_names_the_line_and_suggests_cond():
    def f(x):
        if x > 0:  # the user's line the error must point at
            return x
        return -x

    with pytest.raises(ConcretizationError) as error:
        functrans.make_jaxpr(f)(1.0)
    message = str(error.value)
    assert "bool[]" in message and "lax.cond" in message and "where" in message
    assert "test_core.py" in message and "(in f)" in message


@pytest.mark.parametrize("convert", [int, float, bool])
def test_int_float_bool_of_traced_values_are_clear_errors(convert):
    with pytest.raises(ConcretizationError, match="concrete value"):
        functrans.make_jaxpr(lambda x: convert(x))(np.float64(1.0))


def test_python_control_flow_on_concrete_values_works_under_grad():
    def absolute(x):
        return x if x > 0 else -x

    assert functrans.grad(absolute)(-3.0) == -1.0


def test_escaped_tracer_is_detected_when_used():
    leaked = []

    def f(x):
        leaked.append(x)
        return x * 2.0

    functrans.grad(f)(1.0)
    with pytest.raises(EscapedTracerError, match="escaped"):
        fnp.sin(leaked[0]) + 1.0


def test_shape_mismatch_under_tracing_names_shapes_and_line():
    with pytest.raises(ValueError, match=r"shapes \(3,\) and \(4,\)") as error:
        functrans.make_jaxpr(lambda x: x + np.ones(4))(np.ones(3))
    assert "test_core.py" in str(error.value)


def test_config_options_update_override_and_reject_unknown_names():
    assert functrans.config.debug_nans is False
    with functrans.config.override(debug_nans=True):
        assert functrans.config.debug_nans is True
    assert functrans.config.debug_nans is False
    with pytest.raises(AttributeError, match="no option 'debug_nan'.*debug_nans"):
        functrans.config.update("debug_nan", True)


def test_config_reads_environment_variables(monkeypatch):
    monkeypatch.setenv("FUNCTRANS_DEBUG_NANS", "1")
    monkeypatch.setenv("FUNCTRANS_CACHE_DIR", "/tmp/somewhere-else")
    monkeypatch.setenv("FUNCTRANS_DISK_CACHE", "0")
    fresh = type(functrans.config)()
    assert fresh.debug_nans is True
    assert fresh.cache_dir == "/tmp/somewhere-else"
    assert fresh.disk_cache is False


@pytest.mark.parametrize("mode", ["eager", "grad", "jit"])
def test_debug_nans_names_the_primitive_that_made_the_nan(mode):
    def f(x):
        return fnp.sum(fnp.log(x) * 2.0)

    run = {"eager": f, "grad": functrans.grad(f), "jit": functrans.jit(f)}[mode]
    x = np.array([-1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isnan(f(x))  # without the option, NaN flows through silently
        with functrans.config.override(debug_nans=True), \
                pytest.raises(FloatingPointError, match="primitive 'log' produced NaN"):
            run(x)
    assert core.current_trace() is core.EVAL_TRACE


def test_trace_state_is_per_thread():
    seen = {}

    def worker():
        seen["worker"] = core.current_trace()

    def f(x):
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        seen["inside"] = core.current_trace()
        return x * 2.0

    functrans.grad(f)(1.0)
    assert seen["worker"] is core.EVAL_TRACE
    assert seen["inside"] is not core.EVAL_TRACE


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, ufunc", [("add", np.add), ("sub", np.subtract),
                                         ("mul", np.multiply), ("div", np.true_divide)])
def test_scalar_arithmetic_equals_the_ufunc_bit_for_bit(name, ufunc, dtype):
    """Two NumPy float scalars are combined by the Python operator (NumPy's scalar arithmetic,
    ten times cheaper than a ufunc call): same value, same type, specials included."""
    from functrans.lax import elementwise
    impl = getattr(elementwise, f"{name}_p").impl
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.standard_normal(200) * 10.0 ** rng.integers(-30, 30, 200),
                             [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-310, 3e38]]).astype(dtype)
    with np.errstate(all="ignore"):
        for x, y in zip(values, np.roll(values, 1)):
            result, expected = impl(x, y), ufunc(x, y)
            assert type(result) is type(expected)
            assert (np.isnan(result) and np.isnan(expected)) or \
                result.tobytes() == expected.tobytes(), (x, y)
        assert type(elementwise.neg_p.impl(values[0])) is dtype
        assert elementwise.neg_p.impl(values[0]) == -values[0]
