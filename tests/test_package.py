"""The package's shape: what ``import functrans`` loads, and what it leaves for later."""
import subprocess
import sys

import functrans


def _fresh_import(statements):
    """Run ``statements`` after a plain ``import functrans`` in a new interpreter."""
    script = "import sys, functrans\n" + statements
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True).stdout.split()


def test_public_submodules_are_attributes_after_import():
    for name in ("lax", "numpy", "tree", "nn", "optim", "scipy", "testing"):
        module = getattr(functrans, name)
        assert module.__name__ == f"functrans.{name}"
    assert "nn" in dir(functrans)


def test_import_leaves_numba_and_the_lazy_submodules_unloaded():
    loaded = _fresh_import("print(*(m for m in ('numba', 'scipy', 'functrans.nn', "
                           "'functrans.optim', 'functrans.scipy') if m in sys.modules))")
    assert loaded == []


def test_a_lazy_submodule_loads_on_first_access():
    assert _fresh_import("functrans.nn; print('functrans.nn' in sys.modules)") == ["True"]


def test_an_unknown_attribute_is_an_attribute_error():
    try:
        functrans.no_such_module
    except AttributeError as error:
        assert "no_such_module" in str(error)
    else:
        raise AssertionError("expected AttributeError")
