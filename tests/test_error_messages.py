"""Every class of error functrans raises, triggered once: the message names the user's line
(this file) and says what to do instead."""
import warnings

import numpy as np
import pytest

import functrans
import functrans.numpy as fnp
from functrans import config, grad, jit, vmap
from functrans.errors import ConcretizationError, EscapedTracerError, MissingRuleError
from functrans.lowering.disk_cache import DiskCacheWarning


def _branch_on_traced(x):
    if x > 0:
        return x
    return -x


_escaped = []


def _escape(x):
    _escaped.append(x)
    return x


def _use_escaped():
    grad(_escape)(1.0)
    return _escaped[-1] * 2.0


def _missing_rule():
    primitive = functrans.core.Primitive("fixture_without_rules")
    primitive.def_impl(lambda x: x)
    primitive.def_abstract_eval(lambda x: x)
    return functrans.jvp(lambda x: primitive.bind(x), (1.0,), (1.0,))


def _custom_jvp_without_rule():
    @functrans.custom_jvp
    def f(x):
        return x
    return f(1.0)


def _nan_with_debug_nans():
    with config.override(debug_nans=True):
        return fnp.log(np.array(-1.0))


ERRORS = [
    # (what, trigger, error class, words of the suggested fix)
    ("if on a traced value", lambda: jit(_branch_on_traced)(1.0), ConcretizationError,
     "lax.cond"),
    ("float() of a differentiated value", lambda: grad(lambda x: float(x))(1.0),
     ConcretizationError, "astype"),
    ("a traced shape", lambda: jit(lambda n: fnp.zeros(n))(3), ConcretizationError,
     "static_argnums"),
    ("an escaped tracer", _use_escaped, EscapedTracerError, "Return values"),
    ("a primitive without a JVP rule", _missing_rule, MissingRuleError, "custom_jvp"),
    ("a string argument to jit", lambda: jit(lambda x, mode: x)(1.0, "fast"), TypeError,
     "static_argnums=(1,)"),
    ("item assignment on a tracer", lambda: grad(lambda x: x.__setitem__(0, 1.0))(np.ones(2)),
     TypeError, ".at[i].set(v)"),
    ("a masked array", lambda: jit(lambda x: x)(np.ma.array([1.0], mask=[1])), TypeError,
     "filled"),
    ("argnums twice", lambda: grad(lambda x: x, argnums=(0, 0))(1.0), ValueError,
     "each position once"),
    ("a pytree that contains itself", lambda: jit(lambda t: 0.0)(_cyclic()), ValueError,
     "remove the reference"),
    ("an index into an empty axis", lambda: jit(lambda x, i: x[i])(np.zeros(0), np.arange(2)),
     IndexError, "check the shapes"),
    ("a Python int beyond int64", lambda: jit(lambda x: x)(2 ** 64), OverflowError,
     "as a float"),
    ("float16 under jit", lambda: jit(lambda x: x + 1)(np.ones(1, np.float16)),
     NotImplementedError, "float32"),
    ("a custom_jvp without a rule", _custom_jvp_without_rule, AttributeError, "defjvp"),
    ("NaN under debug_nans", _nan_with_debug_nans, FloatingPointError, "guard its input"),
    ("vmap with in_axes of the wrong type", lambda: vmap(lambda x: x, in_axes=0.0)(np.ones(2)),
     TypeError, "in_axes=0"),
]


def _cyclic():
    cyclic = [1.0]
    cyclic.append(cyclic)
    return cyclic


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("what, trigger, error, fix", ERRORS, ids=[row[0] for row in ERRORS])
def test_each_error_names_the_users_line_and_the_fix(what, trigger, error, fix):
    with pytest.raises(error) as raised:
        trigger()
    message = str(raised.value)
    assert "test_error_messages.py" in message, message
    assert fix in message, message


def test_every_error_class_of_functrans_is_in_the_table():
    classes = {row[2] for row in ERRORS}
    library = {ConcretizationError, EscapedTracerError, MissingRuleError, TypeError, ValueError,
               IndexError, OverflowError, NotImplementedError, AttributeError,
               FloatingPointError}
    assert library <= classes


def test_the_disk_cache_warning_names_the_directory_and_the_setting(tmp_path):
    blocked = tmp_path / "a_file"
    blocked.write_text("")
    with config.override(cache_dir=str(blocked)), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert jit(lambda x: x * 4.0)(2.0) == 8.0
    (warning,) = [w for w in caught if issubclass(w.category, DiskCacheWarning)]
    assert str(blocked) in str(warning.message) and "FUNCTRANS_CACHE_DIR" in str(warning.message)
