"""Smoke test of the benchmark runner (``python -m benchmarks``).

The quick mode runs on the smallest sizes in a subprocess; the test checks that every
workload produced a functrans figure and that every system agreed with NumPy (the
runner exits with status 1 on a mismatch). Figures themselves are reported, not
asserted.
"""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKLOADS = {"W1 f64", "W1 f32", "W2", "W3 f64", "W3 f32", "W4", "W5a", "W5b", "W6",
             "W7 sgd", "W7 adam"}
PEERS = ["numba", "numba-prange", "jax-jit", "jax", "autograd", "torch", "torch.func"]


def run_benchmarks(tmp_path, systems, timeout):
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [ROOT] + [p for p in environment.get("PYTHONPATH", "").split(os.pathsep) if p])
    command = [sys.executable, "-m", "benchmarks", "--quick", "--size", "smallest",
               "--repeats", "smoke", "--no-process", "--no-chart", "--systems", systems,
               "--out", str(tmp_path)]
    completed = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True,
                               text=True, timeout=timeout, check=False)
    assert completed.returncode == 0, (
        f"benchmarks failed (status {completed.returncode}):\n{completed.stderr[-6000:]}")
    with open(tmp_path / "latest.json") as file:
        data = json.load(file)
    markdown = (tmp_path / "latest.md").read_text()
    assert completed.stdout.strip() == markdown.strip()
    return data, markdown


def ok(result):
    return result["status"] == "ok" and result["min_s"] > 0 and result["first_call_s"] > 0


@pytest.mark.slow
def test_quick_mode_gives_a_functrans_figure_for_every_workload(tmp_path):
    data, markdown = run_benchmarks(tmp_path, "functrans,functrans-jit", timeout=300)
    cases = {case["id"]: case for case in data["cases"]}
    assert set(cases) == WORKLOADS
    for case_id, case in cases.items():
        results = case["results"]
        assert ok(results["numpy"]), case_id
        functrans = {k: r for k, r in results.items() if k.startswith("functrans")}
        assert functrans, f"{case_id}: no functrans system"
        for key, result in functrans.items():
            assert ok(result), f"{case_id} / {key}: {result}"
            assert result["rel_error"] <= case["rtol"], f"{case_id} / {key}"
        assert case_id in markdown
    assert "functrans-jit" in cases["W5b"]["results"]
    assert data["failures"] == []
    targets = {t["target"] for t in data["targets"]}
    assert "W5b: jit call overhead < 2 µs" in targets


@pytest.mark.slow
def test_installed_peers_agree_with_numpy(tmp_path):
    """numba by hand always runs (it is a dependency); JAX, autograd and PyTorch where
    installed, else they are skipped with a note."""
    data, _ = run_benchmarks(tmp_path, ",".join(PEERS), timeout=600)
    assert data["failures"] == []
    for case in data["cases"]:
        for key, result in case["results"].items():
            if key not in PEERS + ["numpy"]:
                assert result["message"] == "not selected"
            elif result["status"] == "skipped":
                assert result["message"] == "not installed", (case["id"], key)
                assert any(key.split("-")[0].split(".")[0] in note for note in data["skipped"])
            else:
                assert ok(result), (case["id"], key, result)
    ran = {key for case in data["cases"] for key, r in case["results"].items()
           if r["status"] == "ok"}
    assert {"numpy", "numba", "numba-prange"} <= ran


def test_workload_data_follow_workloads_md():
    sys.path.insert(0, ROOT)
    import numpy as np

    from benchmarks.workloads import SIZES, all_cases, w3, w4, w5
    cases = {case.id: case for case in all_cases("full")}
    x = cases["W1 f64"].data["x"]
    assert x.shape == (1_000_000,) and x.dtype == np.float64
    np.testing.assert_array_equal(x, np.random.default_rng(1234).standard_normal(1_000_000))
    np.testing.assert_array_equal(cases["W1 f32"].data["x"], x.astype(np.float32))
    data = w3.make_data(SIZES["full"]["W3"], np.float64)
    W1, b1, W2, b2 = data["params"]
    assert (W1.shape, b1.shape, W2.shape, b2.shape) == ((784, 512), (512,), (512, 10), (10,))
    assert data["X"].shape == (128, 784) and data["y"].shape == (128,)
    assert data["y"].min() >= 0 and data["y"].max() <= 9
    rng = np.random.default_rng(1234)
    np.testing.assert_array_equal(W1, rng.standard_normal((784, 512)) / np.sqrt(784))
    data32 = w3.make_data(SIZES["full"]["W3"], np.float32)
    assert all(p.dtype == np.float32 for p in data32["params"])
    np.testing.assert_array_equal(data32["X"], data["X"].astype(np.float32))
    np.testing.assert_array_equal(data32["y"], data["y"])
    data = w4.make_data(SIZES["full"]["W4"])
    assert set(np.unique(data["Y"])) == {-1.0, 1.0}
    # W5a: the hand-written gradient is the derivative of the 20-op function
    import math
    h = 1e-6
    numeric = (w5.f(math, w5.X0 + h) - w5.f(math, w5.X0 - h)) / (2 * h)
    assert abs(w5.hand_gradient(w5.X0) - numeric) < 1e-7


def test_w5a_is_exactly_the_twenty_listed_ops():
    sys.path.insert(0, ROOT)
    import functrans
    import functrans.numpy as fnp
    from benchmarks.workloads import on, w5
    ir = functrans.make_jaxpr(on(fnp, w5.f))(w5.X0)
    listed = ["sin", "cos", "mul", "exp", "add", "sin", "mul", "cos", "add", "tanh", "mul", "neg",
              "exp", "add", "sin", "mul", "cos", "add", "mul", "log1p"]
    assert [equation.primitive.name for equation in ir.equations] == listed


def test_a_missing_peer_is_skipped_with_a_note(tmp_path, monkeypatch, capsys):
    sys.path.insert(0, ROOT)
    from benchmarks import run
    real = run.installed
    monkeypatch.setattr(run, "installed", lambda module: module != "jax" and real(module))
    status = run.main(["--size", "smallest", "--repeats", "smoke", "--no-process",
                       "--workloads", "W5b", "--systems", "functrans-jit,jax-jit",
                       "--out", str(tmp_path)])
    assert status == 0
    with open(tmp_path / "latest.json") as file:
        data = json.load(file)
    (case,) = data["cases"]
    assert case["results"]["jax-jit"] == {"status": "skipped", "message": "not installed"}
    assert case["results"]["functrans-jit"]["status"] == "ok"
    assert any(note.startswith("jax (not installed") for note in data["skipped"])
    assert "Skipped: jax (not installed" in (tmp_path / "latest.md").read_text()
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "matplotlib is not installed" in capsys.readouterr().err
    else:
        assert (tmp_path / "latest.png").stat().st_size > 1000
