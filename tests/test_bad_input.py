"""Bad or unusual input: a clear error or NumPy's answer, never a crash or a wrong answer.

Each test is a regression test for one finding of issue 15.
"""
import queue
import threading

import numpy as np
import pytest

import functrans
import functrans.numpy as fnp
from functrans import config, grad, jacfwd, jacrev, jit, value_and_grad, vmap
from functrans.errors import ConcretizationError


# --- 1. indices: never outside a buffer, errors as in eager mode ------------------------

@pytest.fixture(scope="module")
def checked_gathers():
    """Jitted gathers and scatters compiled with numba's boundscheck on: an access outside
    a buffer would raise there instead of reading or writing memory silently."""
    with config.override(jit_boundscheck=True):
        functions = {
            "getitem": jit(lambda x, i: x[i]),
            "take_clip": jit(lambda x, i: fnp.take(x, i, mode="clip")),
            "grad": jit(grad(lambda x, i: fnp.sum(x[i] ** 2))),
            "add": jit(lambda x, i, u: x.at[i].add(u)),
            "pair": jit(lambda x, i, j: x[i, j]),
        }
        yield functions


@pytest.mark.parametrize("name, args", [
    ("getitem", (np.zeros(0), np.arange(4))),
    ("take_clip", (np.zeros(0), np.arange(4))),
    ("grad", (np.zeros(0), np.arange(3))),
    ("add", (np.zeros(0), np.arange(3), np.ones(3))),
])
def test_indexing_an_empty_axis_is_an_index_error_at_trace_time(checked_gathers, name, args):
    with pytest.raises(IndexError, match="empty") as error:
        checked_gathers[name](*args)
    assert "test_bad_input.py" in str(error.value)


def test_eager_indexing_of_an_empty_axis_is_an_index_error_too():
    with pytest.raises(IndexError):
        grad(lambda x, i: fnp.sum(x[i]))(np.zeros(0), np.arange(3))


@pytest.mark.parametrize("index", [[5], [-4], [0, 3]])
def test_out_of_range_traced_indices_raise_as_numpy_does(checked_gathers, index):
    x = np.arange(3.0)
    with pytest.raises(IndexError):
        x[np.array(index)]
    with pytest.raises(IndexError):
        checked_gathers["getitem"](x, np.array(index))
    with pytest.raises(IndexError):
        checked_gathers["grad"](x, np.array(index))


def test_in_range_traced_indices_agree_with_numpy(checked_gathers):
    x = np.arange(3.0)
    index = np.array([0, -1, 2, -3, 1])
    np.testing.assert_array_equal(checked_gathers["getitem"](x, index), x[index])
    expected = np.zeros(3)
    np.add.at(expected, index, 2 * x[index])
    np.testing.assert_allclose(checked_gathers["grad"](x, index), expected)
    updated = np.zeros(3)
    np.add.at(updated, index, np.ones(5))
    np.testing.assert_array_equal(checked_gathers["add"](np.zeros(3), index, np.ones(5)), updated)


@pytest.mark.parametrize("i, j", [([0], [5]), ([1], [-4]), ([2], [0])])
def test_an_out_of_range_index_on_one_axis_never_lands_elsewhere(checked_gathers, i, j):
    # Flattened, (0, 5) would be the in-range position 5 of a 2x3 array.
    x = np.arange(6.0).reshape(2, 3)
    with pytest.raises(IndexError):
        checked_gathers["pair"](x, np.array(i), np.array(j))


def test_two_axis_traced_indices_agree_with_numpy(checked_gathers):
    x = np.arange(6.0).reshape(2, 3)
    i, j = np.array([1, -1, 0]), np.array([-3, 2, 1])
    np.testing.assert_array_equal(checked_gathers["pair"](x, i, j), x[i, j])


@pytest.mark.parametrize("reduce", [fnp.max, fnp.min, fnp.argmax, fnp.argmin])
def test_max_and_argmax_of_nothing_are_value_errors_under_jit_as_in_numpy(reduce):
    with pytest.raises(ValueError):
        reduce(np.zeros((0, 3)), axis=0)
    with pytest.raises(ValueError):
        functrans.make_jaxpr(lambda x: reduce(x, axis=0))(np.zeros((0, 3)))


# --- 2. duplicate and mistyped argnums, in_axes ------------------------------------------

@pytest.mark.parametrize("transform", [grad, value_and_grad, jacfwd, jacrev])
def test_duplicate_argnums_are_a_value_error(transform):
    with pytest.raises(ValueError, match="twice") as error:
        transform(lambda x, y: x * y, argnums=(0, 0))(1.0, 2.0)
    assert "test_bad_input.py" in str(error.value)


def test_argnums_and_in_axes_of_the_wrong_type_say_what_to_write():
    with pytest.raises(TypeError, match="argnums=1"):
        grad(lambda x, y: x * y, argnums=1.0)(1.0, 2.0)
    with pytest.raises(TypeError, match="in_axes=0"):
        vmap(lambda x: x, in_axes=0.0)(np.ones(2))
    with pytest.raises(TypeError, match="out_axes=0"):
        vmap(lambda x: x, out_axes="0")(np.ones(2))


# --- 3. conversions that would drop a derivative ------------------------------------------

@pytest.mark.parametrize("conversion, name", [
    (float, "float()"), (int, "int()"), (complex, "complex()"),
    (lambda x: np.asarray(x).sum(), "numpy.asarray()"),
    (lambda x: x.__array__(), "numpy.asarray()"),
])
def test_converting_a_differentiated_value_is_a_concretization_error(conversion, name):
    with pytest.raises(ConcretizationError) as error:
        grad(lambda x: conversion(x) * 2.0)(1.0)
    message = str(error.value)
    assert name in message and "astype" in message and "test_bad_input.py" in message


def test_comparisons_and_bool_still_drive_python_control_flow_under_grad():
    def f(x):
        return x * 3.0 if x > 0 else -x
    assert grad(f)(2.0) == 3.0 and grad(f)(-2.0) == -1.0
    assert grad(lambda x: x * 2.0 if bool(x) else x)(1.0) == 2.0


def test_conversion_of_a_constant_made_with_stop_gradient_is_allowed():
    assert grad(lambda x: float(functrans.stop_gradient(x)) * x)(3.0) == 3.0


# --- 4. custom rules whose output is malformed ------------------------------------------

def _custom_vjp_with_backward(backward):
    @functrans.custom_vjp
    def f(x, y):
        return fnp.sin(x) * y["a"]
    f.defvjp(lambda x, y: (f(x, y), (x, y)), backward)
    return f


@pytest.mark.parametrize("backward, words", [
    (lambda r, g: (np.ones(3), None), "f64[3], but the argument is f64[2]"),
    (lambda r, g: (g.astype(np.float32), None), "f32[2], but the argument is f64[2]"),
    (lambda r, g: (g, {"b": g}), "structure"),
    (lambda r, g: g, "tuple"),
])
def test_custom_vjp_backward_rule_output_is_validated(backward, words):
    f = _custom_vjp_with_backward(backward)
    with pytest.raises(TypeError, match="backward rule of f") as error:
        grad(lambda x: fnp.sum(f(x, {"a": np.ones(2)})))(np.ones(2))
    assert words in str(error.value)


def test_a_valid_custom_vjp_backward_rule_still_works():
    f = _custom_vjp_with_backward(lambda r, g: (g * fnp.cos(r[0]) * r[1]["a"], None))
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(grad(lambda x: fnp.sum(f(x, {"a": np.ones(2)})))(x), np.cos(x))


def test_custom_jvp_rule_must_return_a_pair():
    @functrans.custom_jvp
    def f(x):
        return fnp.sin(x)
    # A two-element tangent would otherwise be unpacked as (primal, tangent).
    f.defjvp(lambda primals, tangents: fnp.cos(primals[0]) * tangents[0])
    with pytest.raises(TypeError, match="pair") as error:
        functrans.jvp(f, (np.ones(2),), (np.ones(2),))
    assert "test_bad_input.py" in str(error.value)


# --- 5. Python ints beyond int64 ------------------------------------------------------------

@pytest.mark.parametrize("value", [2 ** 63, 2 ** 70, -2 ** 63 - 1])
def test_python_ints_beyond_int64_are_an_overflow_error_naming_the_argument(value):
    with pytest.raises(OverflowError, match="argument 1 \\('y'\\)"):
        _add_jitted(np.ones(2), value)
    with pytest.raises(OverflowError):
        functrans.make_jaxpr(lambda x, y: x + y)(np.ones(2), value)


def _add(x, y):
    return x + y


_add_jitted = jit(_add)


def test_python_ints_at_the_int64_limits_are_exact():
    assert _add_jitted(np.int64(0), 2 ** 63 - 1) == 2 ** 63 - 1
    assert _add_jitted(np.int64(0), -2 ** 63) == -2 ** 63


# --- 6. settings are process-wide ----------------------------------------------------------

@pytest.mark.filterwarnings("ignore:invalid value encountered in log")
def test_debug_nans_set_in_one_thread_reaches_a_live_worker_thread():
    requests, answers = queue.Queue(), queue.Queue()

    def worker():
        grad(lambda x: x * x)(1.0)  # the worker has run a transform already
        while requests.get():
            try:
                answers.put(fnp.log(np.array(-1.0)))
            except FloatingPointError as error:
                answers.put(error)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        with config.override(debug_nans=True):
            requests.put(True)
            assert isinstance(answers.get(timeout=30), FloatingPointError)
        requests.put(True)
        assert np.isnan(answers.get(timeout=30))
    finally:
        requests.put(False)
        thread.join()


# --- 7. captured arrays are constants of the trace ----------------------------------------

@pytest.mark.parametrize("shape", [(), (3,)])
def test_a_captured_array_is_a_constant_of_the_trace_whatever_its_shape(shape):
    captured = np.ones(shape)
    f = jit(lambda x: x + captured)
    first = f(1.0)
    captured[...] = 5.0
    np.testing.assert_array_equal(f(1.0), first)
    np.testing.assert_array_equal(first, np.full(shape, 2.0))


# --- IEEE semantics under jit: NumPy's results, never ZeroDivisionError --------------------

def _special_arithmetic(x, y, i, j, c, d):
    return dict(div=x / y, complex_div=c / d, floordiv=x // y, mod=x % y, rsqrt=1 / fnp.sqrt(x), log=fnp.log(x),
                pow=x ** -1, arctanh=fnp.arctanh(x), power=fnp.power(x, y),
                reciprocal=fnp.reciprocal(x), idiv=i // j, imod=i % j, true_idiv=i / j,
                mean_of_nothing=fnp.mean(x[:0]))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_float_and_integer_division_by_zero_under_jit_give_numpy_results():
    # 0.5 // -inf is -1 in NumPy (the fuzz test found nan)
    x = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 2.0, 1e308, -3.5, 0.5, -0.5])
    y = np.array([0.0, 0.0, 0.0, 0.0, 0.0, np.inf, 1.0, -0.0, 1e-308, 2.0, -np.inf, -np.inf])
    i = np.array([0, 1, -1, 5, -7, 2 ** 62, -2 ** 63, 3, 7, -9, 1, 1])
    j = np.array([0, 0, 0, 0, 0, 0, -1, 2, -2, 4, 1, 1])  # -2**63 // -1 wraps in NumPy
    # complex by zero: each part divided by +0, as NumPy (numba alone raises ZeroDivisionError)
    c = np.array([1 + 2j, 0j, -3 + 0j, 1j, complex(np.inf, 1), complex(-0.0, -2), 1 + 1j])
    d = np.array([0j, 0j, 0j, 2 + 0j, 0j, complex(-0.0, 0.0), 1j])
    expected = _special_arithmetic(x, y, i, j, c, d)
    got = jit(_special_arithmetic)(x, y, i, j, c, d)
    for name, value in expected.items():
        np.testing.assert_array_equal(got[name], value, err_msg=name)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_the_where_trick_gradient_under_jit_is_nan_as_in_eager_mode_and_jax():
    # 0 * inf from the untaken branch's derivative: NaN, as JAX gives, not ZeroDivisionError
    f = grad(lambda x: fnp.where(x > 0, fnp.sqrt(x), 0.0))
    assert np.isnan(jit(f)(0.0)) and np.isnan(f(0.0))
    assert jit(f)(4.0) == f(4.0) == 0.25


def test_a_first_call_that_raises_keeps_the_compiled_kernel_and_the_support_modules():
    import os
    f = jit(lambda x, i: x[i] * 3.0)
    with pytest.raises(IndexError):
        f(np.zeros(3), np.array([7]))
    pycache = os.path.join(config.cache_dir, "__pycache__")
    support = {n: os.stat(os.path.join(pycache, n)).st_mtime_ns for n in os.listdir(pycache)
               if not n.startswith("kernel_")} if config.disk_cache else {}
    (kernel,) = f.kernels
    assert kernel.compiled  # the kernel compiled; the error was the input's
    dispatcher = kernel.dispatcher
    with pytest.raises(IndexError):
        f(np.zeros(3), np.array([-4]))
    assert kernel.dispatcher is dispatcher and f.compile_count == 1
    np.testing.assert_array_equal(f(np.arange(3.0), np.array([2, 0])), [6.0, 0.0])
    for name, mtime in support.items():
        assert os.stat(os.path.join(pycache, name)).st_mtime_ns == mtime, name


# --- the disk cache: jit keeps working when the directory cannot be used -------------------

def _bad_cache_directories(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a directory")
    return {"empty": "", "a file": str(a_file), "below a file": str(a_file / "cache"),
            "cannot be created": "/proc/self/functrans-cache"}


def test_an_unusable_cache_directory_falls_back_to_memory_and_warns_once(tmp_path):
    from functrans.lowering.disk_cache import DiskCacheWarning
    x = np.linspace(0.0, 1.0, 5)
    for label, directory in _bad_cache_directories(tmp_path).items():
        f = jit(lambda x: fnp.sin(x) * 2.0 + 1.0)
        with config.override(cache_dir=directory), pytest.warns(DiskCacheWarning) as caught:
            np.testing.assert_allclose(f(x), np.sin(x) * 2.0 + 1.0, err_msg=label)
            np.testing.assert_allclose(jit(lambda x: x * 3.0)(x), x * 3.0, err_msg=label)
        assert len(caught) == 1, label
        message = str(caught[0].message)
        assert repr(directory) in message and "FUNCTRANS_CACHE_DIR" in message, label


def test_a_cache_directory_removed_or_replaced_while_running(tmp_path):
    import shutil
    from functrans.lowering.disk_cache import DiskCacheWarning
    directory = tmp_path / "cache"
    x = np.arange(3.0)
    with config.override(cache_dir=str(directory)):
        np.testing.assert_allclose(jit(lambda x: x * 5.0)(x), x * 5.0)
        shutil.rmtree(directory)  # removed: made again
        np.testing.assert_allclose(jit(lambda x: x * 6.0)(x), x * 6.0)
        assert directory.is_dir()
        shutil.rmtree(directory)
        directory.write_text("replaced by a file")
        with pytest.warns(DiskCacheWarning, match="cache"):
            np.testing.assert_allclose(jit(lambda x: x * 7.0)(x), x * 7.0)


def _run_fresh(script, cache_dir, *arguments):
    import os
    import subprocess
    import sys
    tests = os.path.dirname(os.path.abspath(__file__))
    environment = dict(os.environ, FUNCTRANS_CACHE_DIR=cache_dir,
                       PYTHONPATH=os.path.dirname(tests))
    return subprocess.run([sys.executable, os.path.join(tests, script), *arguments],
                          capture_output=True, text=True, env=environment, timeout=600)


@pytest.mark.slow
def test_support_modules_compile_in_memory_and_never_write_into_the_package():
    import os
    package = os.path.dirname(functrans.__file__)
    before = {os.path.join(d, n) for d, _, names in os.walk(package) for n in names}
    result = _run_fresh("concurrent_first_calls.py", "")  # no disk cache at all
    assert result.stdout.strip().endswith("ok"), result.stdout + result.stderr
    after = {os.path.join(d, n) for d, _, names in os.walk(package) for n in names}
    assert not {p for p in after - before if p.endswith((".nbi", ".nbc"))}


@pytest.mark.slow
def test_eight_threads_making_first_calls_at_once_in_fresh_processes(tmp_path):
    """Cold then warm cache (FUNCTRANS_CONCURRENCY_RUNS times; 20 were run by hand)."""
    import os
    for run in range(int(os.environ.get("FUNCTRANS_CONCURRENCY_RUNS", "1"))):
        cache = str(tmp_path / f"cache{run}")
        for state in ("cold", "warm"):
            result = _run_fresh("concurrent_first_calls.py", cache)
            assert result.returncode == 0 and result.stdout.strip() == "ok", (
                f"run {run}, {state} cache:\n{result.stdout}\n{result.stderr}")


# --- generated names never collide with the generated code's own ----------------------------

_TROUBLESOME_NAMES = ["matmul", "np", "range", "min", "prange", "sum_block", "sin_f64", "f²",
                      "kernel", "class", "", "1st", None]


def test_kernel_names_are_identifiers_unlike_any_name_of_the_generated_module():
    import keyword
    from functrans.lowering import compile as compile_module
    from functrans.lowering.codegen import _RESERVED
    from functrans.transforms.jit import _identifier
    module_names = set(_RESERVED) | {"np", "math", "njit", "prange"}
    for module in map(compile_module.support_module, compile_module.SUPPORT_MODULES):
        module_names |= set(module.__all__)
    for name in _TROUBLESOME_NAMES:
        identifier = _identifier(name)
        assert identifier.isidentifier() and identifier.isascii(), name
        assert not keyword.iskeyword(identifier) and identifier not in module_names, name


@pytest.mark.parametrize("name", ["matmul", "f²", None])
def test_jit_of_functions_with_troublesome_names(name):
    class Named:
        __name__ = name

        def __call__(self, x):
            return fnp.sum(x * 2.0)
    assert jit(Named())(np.arange(4.0)) == 12.0


# --- bare TypeErrors become errors that say what to do ---------------------------------------

def test_masked_and_object_arrays_are_refused_and_memmap_accepted(tmp_path):
    f = jit(lambda x: fnp.sum(x * 2.0))
    g = grad(lambda x: fnp.sum(x * x))
    masked = np.ma.array([1.0, 2.0], mask=[0, 1])
    for function in (f, g):
        with pytest.raises(TypeError, match="masked array.*filled"):
            function(masked)
        with pytest.raises(TypeError, match="dtype object.*astype"):
            function(np.array([1.0, 2.0], dtype=object))
    mapped = np.memmap(tmp_path / "x.bin", dtype=np.float64, mode="w+", shape=(3,))
    mapped[:] = [1.0, 2.0, 3.0]
    assert f(mapped) == 12.0
    np.testing.assert_array_equal(g(mapped), [2.0, 4.0, 6.0])


@pytest.mark.parametrize("make", [
    lambda n: fnp.zeros(n), lambda n: fnp.ones((2, n)), lambda n: fnp.full(n, 1.0),
    lambda n: fnp.reshape(fnp.ones(4), (n, -1))])
def test_a_traced_value_used_as_a_shape_says_static_argnums(make):
    with pytest.raises(ConcretizationError, match="static_argnums") as error:
        functrans.make_jaxpr(make)(2)
    assert "test_bad_input.py" in str(error.value)


def test_item_assignment_on_a_tracer_says_at_set_and_names_no_private_class():
    def f(x):
        x[0] = 1.0
        return fnp.sum(x)
    for transform in (grad, jit, vmap):
        with pytest.raises(TypeError, match=r"x\.at\[i\]\.set\(v\)") as error:
            transform(f)(np.ones((2, 2)))
        assert "Tracer" not in str(error.value) and "functrans.numpy.at" in str(error.value)


def test_a_pytree_containing_itself_is_a_cycle_error():
    cyclic = [1.0]
    cyclic.append(cyclic)
    with pytest.raises(ValueError, match="cycle"):
        functrans.tree.flatten(cyclic)
    with pytest.raises(ValueError, match="cycle"):
        jit(lambda t: t[0])(cyclic)


def test_float16_under_jit_is_a_clear_error_and_works_eagerly():
    x = np.ones(2, np.float16)
    with pytest.raises(NotImplementedError, match="float16.*float32"):
        jit(lambda x: x * 2)(x)
    assert grad(lambda x: fnp.sum(x * x))(x).dtype == np.float16


# --- fnp.at works on NumPy arrays and tracers alike ------------------------------------------

def _update(x):
    return fnp.sum(fnp.at(x)[np.array([0, 2])].add(x[1:] * 2.0) ** 2) + fnp.at(x)[1].set(7.0)[1]


def test_fnp_at_works_eagerly_under_grad_and_under_jit():
    x = np.array([1.0, 2.0, 3.0])
    expected = (1.0 + 4.0) ** 2 + 2.0 ** 2 + (3.0 + 6.0) ** 2 + 7.0
    assert _update(x) == expected and jit(_update)(x) == expected
    np.testing.assert_allclose(grad(_update)(x), [10.0, 24.0, 54.0])
    np.testing.assert_array_equal(fnp.at(x)[[0, 0]].add(1.0), [3.0, 2.0, 3.0])
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])  # a copy, as x.at[...] is


# --- pickling a jitted function, before and after its first call ----------------------------

@jit
def _doubled(x):
    return x * 2.0


def _scaled(x, k):
    return x * k


def test_a_jitted_function_pickles_at_any_time():
    import pickle
    scaled = jit(_scaled, static_argnums=1)
    for f, args, expected in [(_doubled, (np.ones(2),), 2.0), (scaled, (np.ones(2), 3.0), 3.0)]:
        before = pickle.loads(pickle.dumps(f))
        f(*args)
        after = pickle.loads(pickle.dumps(f))
        for copy in (before, after):
            np.testing.assert_array_equal(copy(*args), np.full(2, expected))
    assert pickle.loads(pickle.dumps(_doubled)) is _doubled  # by reference


# --- arrays of the other byte order ------------------------------------------------------

def test_big_endian_arrays_compute_as_their_values_everywhere():
    """An array of non-native byte order (read from a file, say) has the values NumPy gives
    it: eager, jit, grad of a jitted function, and vmap agree with NumPy on them."""
    native = np.linspace(-1.5, 2.0, 6).reshape(2, 3)
    swapped = native.astype(native.dtype.newbyteorder())
    assert not swapped.dtype.isnative
    ones = np.ones((2, 3))

    def f(a, b):
        return fnp.sum(fnp.sin(a) * b, axis=0)

    expected = np.sum(np.sin(native) * ones, axis=0)
    np.testing.assert_allclose(jit(f)(swapped, ones), expected, rtol=1e-13)
    np.testing.assert_allclose(jit(grad(lambda a: fnp.sum(f(a, a))))(swapped),
                               np.cos(native) * native + np.sin(native), rtol=1e-13)
    np.testing.assert_allclose(vmap(lambda row: row * ones[0])(swapped), native, rtol=0)
    assert jit(f)(swapped, ones).dtype == np.float64
