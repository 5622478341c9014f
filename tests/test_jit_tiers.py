"""jit's tiers: the NumPy interpreter answers while numba compiles in the background.

A gate (an event the compile waits for) stands in for a slow compile, so the tests see the
interpreter tier for as long as they need, whatever the machine's speed.
"""
import os
import subprocess
import sys
import textwrap
import threading
import warnings

import numpy as np
import pytest

import functrans
import functrans.numpy as fnp
from functrans import core, lax
from functrans.lowering import compile as compile_module
from functrans.lowering import rules
from functrans.transforms import jit as jit_module
from functrans.transforms.jit import KernelCompileWarning, jit

pytestmark = pytest.mark.filterwarnings("ignore::numba.NumbaPerformanceWarning")

X = np.random.default_rng(17).standard_normal(300)


def step(x, w):
    """A reduction and elementwise work, so rounding can differ by tier."""
    hidden = fnp.tanh(x * w)
    return fnp.sum(hidden * fnp.sin(x)), fnp.exp(-hidden)


def eager_step(x, w):
    hidden = np.tanh(x * w)
    return np.sum(hidden * np.sin(x)), np.exp(-hidden)


@pytest.fixture
def background(tmp_path):
    """Background compiles on the compile thread (the gate below stands in for them), into
    a new disk cache."""
    with functrans.config.override(background_compile=True, compile_process=False,
                                   compile_after=0.0, cache_dir=str(tmp_path)):
        yield


@pytest.fixture
def in_child_process(tmp_path):
    """Background compiles in a child process, into a new disk cache."""
    with functrans.config.override(background_compile=True, compile_process=True,
                                   cache_dir=str(tmp_path), compile_after=0.0):
        yield tmp_path


@pytest.fixture
def gated_compile(monkeypatch):
    """Compiles wait until the returned event is set; ``calls`` counts them."""
    gate = threading.Event()
    calls = []
    compile_for = compile_module.compile_for

    def gated(dispatcher, args):
        calls.append(dispatcher)
        assert gate.wait(60), "the test never opened the compile gate"
        compile_for(dispatcher, args)
    monkeypatch.setattr(compile_module, "compile_for", gated)
    interpreted = []
    interpret = jit_module.CompiledIR.interpret

    def counted(self, args):
        interpreted.append(self)
        return interpret(self, args)
    monkeypatch.setattr(jit_module.CompiledIR, "interpret", counted)
    yield gate, calls, interpreted
    gate.set()


def _assert_close(got, expected):
    for g, e in zip(got, expected):
        assert np.asarray(g).dtype == np.asarray(e).dtype
        np.testing.assert_allclose(g, e, rtol=1e-13, atol=1e-15)


def test_interpreter_answers_during_a_slow_compile_then_the_kernel(background, gated_compile):
    gate, compiles, interpreted = gated_compile
    function = jit(step)
    expected = eager_step(X, 0.7)
    for _ in range(3):
        _assert_close(function(X, 0.7), expected)
    kernel = function.kernels[0]
    assert not kernel.compiled and len(interpreted) == 3
    gate.set()
    function.lower(X, 0.7).compile()  # waits for the background compile
    assert kernel.compiled and len(compiles) == 1
    for _ in range(3):
        _assert_close(function(X, 0.7), expected)
    assert len(interpreted) == 3  # the later calls ran the kernel
    assert isinstance(function(X, 0.7)[0], np.float64)


def test_log_compiles_says_when_the_kernel_became_ready(background, gated_compile, caplog):
    gate, _, _ = gated_compile
    function = jit(lambda x: fnp.cos(x) * 2.0)
    with functrans.config.override(log_compiles=True), caplog.at_level("WARNING",
                                                                       "functrans.jit"):
        function(X)
        assert not caplog.records  # nothing is ready yet
        gate.set()
        function.lower(X).compile()
    (message,) = [r.getMessage() for r in caplog.records]
    assert "kernel ready" in message and "first call" in message
    assert "ran on the interpreter until now" in message and "def " in message


@pytest.fixture
def broken_primitive():
    """A primitive whose lowering numba cannot compile (it calls an undefined function)."""
    primitive = core.Primitive("probe_uncompilable")
    primitive.def_impl(lambda x: x * 3.0)
    primitive.def_abstract_eval(lambda x: x)
    rules.defscalar(primitive, "no_such_function_anywhere({0})")
    yield primitive
    del rules.scalar_rules[primitive]
    del core.Primitive.registry["probe_uncompilable"]


@pytest.mark.parametrize("where", ["thread", "child process"])
def test_a_failed_background_compile_keeps_the_interpreter_and_warns_once(where, tmp_path,
                                                                          broken_primitive):
    with functrans.config.override(background_compile=True, compile_process=where != "thread",
                                   cache_dir=str(tmp_path), compile_after=0.0):
        _check_failed_background_compile(broken_primitive)


def _check_failed_background_compile(broken_primitive):
    function = jit(lambda x: lax.sin(broken_primitive.bind(x)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.testing.assert_allclose(function(X), np.sin(3.0 * X), rtol=1e-15)
        with pytest.raises(Exception, match="no_such_function_anywhere"):
            function.lower(X).compile()  # waiting for the kernel raises its error
        for _ in range(3):
            np.testing.assert_allclose(function(X), np.sin(3.0 * X), rtol=1e-15)
    announced = [w for w in caught if issubclass(w.category, KernelCompileWarning)]
    assert len(announced) == 1, [str(w.message) for w in caught]
    message = str(announced[0].message)
    assert "probe_uncompilable" in message  # the primitive whose code failed
    assert "no_such_function_anywhere" in message  # the reason
    assert "interpreter" in message


def test_synchronous_mode_raises_the_compile_error(broken_primitive):
    with functrans.config.override(background_compile=False):
        with pytest.raises(Exception, match="no_such_function_anywhere"):
            jit(lambda x: broken_primitive.bind(x))(X)


def test_synchronous_mode_is_bitwise_stable_between_runs(tmp_path):
    script = textwrap.dedent("""
        import numpy as np
        import functrans
        import functrans.numpy as fnp
        x = np.random.default_rng(5).standard_normal(50_000)
        f = functrans.jit(lambda x: fnp.sum(fnp.tanh(x) * fnp.sin(x)))
        first = f(x)
        assert f.kernels[0].compiled  # the first call already ran the kernel
        assert all(f(x).tobytes() == first.tobytes() for _ in range(3))
        print(first.tobytes().hex())
    """)
    environment = dict(os.environ, FUNCTRANS_CACHE_DIR=str(tmp_path),
                       FUNCTRANS_BACKGROUND_COMPILE="0")
    runs = {subprocess.run([sys.executable, "-c", script], env=environment, check=True,
                           capture_output=True, text=True).stdout.strip() for _ in range(2)}
    assert len(runs) == 1
    (bits,) = runs
    x = np.random.default_rng(5).standard_normal(50_000)
    np.testing.assert_allclose(np.frombuffer(bytes.fromhex(bits))[0],
                               np.sum(np.tanh(x) * np.sin(x)), rtol=1e-13)


def test_eight_threads_during_the_background_compile_share_one_compile(background,
                                                                       gated_compile):
    gate, compiles, _ = gated_compile
    function = jit(step)
    expected = eager_step(X, 0.7)
    results, errors = [], []
    started = threading.Barrier(8)

    def caller():
        try:
            started.wait()
            for round_ in range(6):
                if round_ == 3:
                    gate.set()  # the compile finishes while the threads keep calling
                results.append(function(X, 0.7))
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert len(results) == 48
    for result in results:
        _assert_close(result, expected)
    function.lower(X, 0.7).compile()
    assert len(compiles) == 1 and function.compile_count == 1
    _assert_close(function(X, 0.7), expected)


def test_a_kernel_not_cached_compiles_once_its_interpreted_calls_add_up(background,
                                                                         gated_compile):
    gate, compiles, interpreted = gated_compile
    gate.set()
    function = jit(scaled_step(1.25))
    expected = eager_step(X, 0.875)
    with functrans.config.override(compile_after=1e9):
        for _ in range(5):
            _assert_close(function(X, 0.7), expected)
        _drain_compile_thread()
    assert len(interpreted) == 5 and not compiles  # cold: not worth a compile yet
    _assert_close(function(X, 0.7), expected)  # compile_after 0: now it is hot
    function.lower(X, 0.7).compile()
    assert len(compiles) == 1
    _assert_close(function(X, 0.7), expected)
    assert len(interpreted) == 6


def test_a_kernel_in_memory_is_loaded_without_waiting_for_heat(background):
    expected = eager_step(X, 0.7)
    jit(step).lower(X, 0.7).compile()
    with functrans.config.override(compile_after=1e9):
        function = jit(step)  # a new function, whose kernel this process holds
        _assert_close(function(X, 0.7), expected)
        _drain_compile_thread()
        assert function.kernels[0].compiled
        _assert_close(function(X, 0.7), expected)


def test_minimize_runs_a_short_loop_on_the_interpreter(gated_compile, tmp_path):
    from functrans import optim
    gate, compiles, interpreted = gated_compile
    gate.set()
    target = np.linspace(-1.0, 2.0, 5)

    def loss(w):
        return fnp.sum((w - target) ** 2)

    with functrans.config.override(background_compile=True, compile_after=60.0,
                                   cache_dir=str(tmp_path)):
        tiered = optim.minimize(loss, np.zeros(5), optim.adam(0.1), 20, progress=False)
        _drain_compile_thread()
    eager = optim.minimize(loss, np.zeros(5), optim.adam(0.1), 20, progress=False, jit=False)
    np.testing.assert_allclose(tiered.history, eager.history, rtol=1e-12)
    np.testing.assert_allclose(tiered.params, eager.params, rtol=1e-12)
    assert len(interpreted) == 20 and not compiles  # over before a compile would pay


def _drain_compile_thread():
    """Return once the compile thread has finished the jobs submitted so far."""
    from functrans.lowering import background
    done = threading.Event()
    background.submit(done.set)
    assert done.wait(120)


def scaled_step(scale):
    """``step`` with ``w`` scaled: a kernel no other test compiled in this process."""
    return lambda x, w: step(x, scale * w)


def test_a_child_process_compiles_while_the_interpreter_answers(in_child_process):
    function = jit(scaled_step(1.5))
    expected = eager_step(X, 1.05)
    _assert_close(function(X, 0.7), expected)
    (kernel,) = function.kernels
    function.lower(X, 0.7).compile()
    assert kernel.compiles_in_process
    # The child compiled; this process loaded its machine code from the disk cache.
    assert kernel.compiled and kernel.from_disk
    assert any(name.endswith(".nbi") and name.startswith("kernel_")
               for name in os.listdir(in_child_process / "__pycache__"))
    _assert_close(function(X, 0.7), expected)
