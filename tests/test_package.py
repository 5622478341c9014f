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


def _module_imports():
    """``{module: modules it imports}`` for every module of functrans, read from the source
    (imports inside functions included); ``from functrans import lax`` names ``functrans.lax``."""
    import ast
    import pathlib
    root = pathlib.Path(functrans.__file__).parent
    modules = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    graph = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.add(full if full in modules else node.module)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def test_no_import_cycles_outside_package_faces():
    """No module imports, directly or through others, a module that imports it back
    (a package's ``__init__`` only hands its submodules' names on, so it is not followed)."""
    graph = _module_imports()
    packages = {name for name in graph
                if any(other.startswith(name + ".") for other in graph)}
    edges = {name: {t for t in targets if t not in packages} for name, targets in graph.items()
             if name not in packages}
    state = {}

    def visit(name, path):
        state[name] = "open"
        for target in edges.get(name, ()):
            if state.get(target) == "open":
                raise AssertionError("import cycle: " + " -> ".join(path + [target]))
            if target not in state:
                visit(target, path + [target])
        state[name] = "done"

    for name in edges:
        if name not in state:
            visit(name, [name])


def test_transforms_do_not_import_lax():
    graph = _module_imports()
    for name, targets in graph.items():
        if name.startswith("functrans.transforms") or name in (
                "functrans.tangent_arithmetic", "functrans.core", "functrans.ir",
                "functrans.tracing"):
            assert not any(t.startswith("functrans.lax") for t in targets), (name, targets)
