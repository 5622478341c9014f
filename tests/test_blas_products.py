"""The matrix products kernels call (functrans.lowering.blas), against NumPy's ``@``.

They call NumPy's own OpenBLAS through external symbols (functrans.lowering.numpy_blas):
row-major CBLAS with transposition flags, vectors as one-row or one-column matrices, empty
operands handled before the call. Each case compares with NumPy for every BLAS dtype.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from functrans.lowering import numpy_blas
from functrans.lowering.compile import _versions, support_module

DTYPES = (np.float32, np.float64, np.complex64, np.complex128)

#: (function, shape of a, shape of b, NumPy's product)
CASES = [
    ("matmul", (5, 7), (7, 3), lambda a, b: a @ b),
    ("matmul_tn", (7, 5), (7, 3), lambda a, b: a.T @ b),
    ("matmul_nt", (5, 7), (3, 7), lambda a, b: a @ b.T),
    ("matmul_tt", (7, 5), (3, 7), lambda a, b: a.T @ b.T),
    ("matmul", (5, 7), (7,), lambda a, b: a @ b),
    ("matmul_tn", (7, 5), (7,), lambda a, b: a.T @ b),
    ("matmul", (7,), (7, 3), lambda a, b: a @ b),
    ("matmul_nt", (7,), (3, 7), lambda a, b: a @ b.T),
    ("matmul", (7,), (7,), lambda a, b: a @ b),
    ("matmul", (5, 0), (0, 3), lambda a, b: a @ b),
    ("matmul_tn", (0, 5), (0, 3), lambda a, b: a.T @ b),
    ("matmul", (0, 4), (4, 3), lambda a, b: a @ b),
    ("matmul", (4, 3), (3, 0), lambda a, b: a @ b),
    ("matmul", (0,), (0,), lambda a, b: a @ b),
]


def _random(rng, shape, dtype):
    values = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    return values.astype(dtype)


@pytest.fixture(scope="module")
def blas():
    return support_module("blas")


def test_products_call_numpys_blas_when_its_wheel_ships_one():
    if not numpy_blas._bundled_libraries():
        pytest.skip("this NumPy does not bundle OpenBLAS (a conda or system build)")
    assert numpy_blas.bind()
    assert _versions().endswith("/" + numpy_blas.provider())
    assert numpy_blas.provider().startswith("numpy:")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_products_match_numpy(blas, dtype):
    rng = np.random.default_rng(0)
    tolerance = 1e-5 if np.dtype(dtype).itemsize * (1 + (np.dtype(dtype).kind != "c")) == 8 \
        else 1e-12
    for name, a_shape, b_shape, product in CASES:
        a, b = _random(rng, a_shape, dtype), _random(rng, b_shape, dtype)
        got, expected = getattr(blas, name)(a, b), product(a, b)
        assert np.shape(got) == expected.shape, (name, a_shape, b_shape)
        if expected.ndim:  # a scalar comes back to Python as a Python number
            assert got.dtype == expected.dtype, (name, a_shape, b_shape)
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance,
                                   err_msg=f"{name} of {a_shape} and {b_shape}")


@pytest.mark.parametrize("dtype", (np.float32, np.complex128), ids=lambda d: np.dtype(d).name)
def test_products_of_strided_operands(blas, dtype):
    """Views (a column slice, a transpose) are brought to C order before the call."""
    rng = np.random.default_rng(1)
    a = _random(rng, (6, 14), dtype)[:, ::2]
    b = _random(rng, (3, 7), dtype).T
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(blas.matmul(a, b), a @ b, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(blas.matmul_tn(a.T, b), a @ b, rtol=tolerance, atol=tolerance)


def test_without_numpys_blas_products_fall_back_to_numba(tmp_path):
    """A NumPy without a bundled OpenBLAS: products go through numba's np.dot, and the cache
    key says so (kernels compiled against one BLAS are never loaded with the other)."""
    script = textwrap.dedent("""
        import numpy as np
        from functrans.lowering import numpy_blas
        numpy_blas._bundled_libraries = lambda: []
        import functrans
        from functrans.lowering.compile import _versions
        step = functrans.jit(lambda a, b: a @ b.T)
        a, b = np.arange(12.0).reshape(3, 4), np.arange(8.0).reshape(2, 4)
        np.testing.assert_array_equal(step.lower(a, b).compile()(a, b), a @ b.T)
        assert not numpy_blas.bind()
        assert _versions().endswith("/numba-np.dot"), _versions()
        print("fell back")
    """)
    environment = dict(os.environ, FUNCTRANS_CACHE_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", script], env=environment,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "fell back" in result.stdout
