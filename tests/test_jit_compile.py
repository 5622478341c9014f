"""What keeps jit's compile short: support code compiled once per machine, and kernels that
avoid numba features whose compile costs seconds."""
import numpy as np
import pytest

import functrans
from functrans import lax
from functrans.transforms.jit import jit

pytestmark = pytest.mark.filterwarnings("ignore::numba.NumbaPerformanceWarning")


def test_batched_products_match_einsum_and_use_the_precompiled_helpers():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((3, 4, 5)), rng.standard_normal((5, 3, 2))
    # batch axis 0 of x with axis 1 of y, contracting x's axis 2 with y's axis 0
    product = jit(lambda x, y: lax.dot_general(x, y, (((2,), (0,)), ((0,), (1,)))))
    np.testing.assert_allclose(product(x, y), np.einsum("bik,kbj->bij", x, y), rtol=1e-13)
    source = product.lower(x, y).source
    body = source[source.index("def "):]
    assert "permuted(" in body and "reshaped(" in body, body
    # numba's transpose, reshape and slice assignment compile their error formatting
    assert "np.transpose" not in body and ".reshape(" not in body, body
    assert "] = matmul(" not in body, body


def test_a_product_with_a_scalar_operand_inside_a_gradient():
    # dot_general of a vector and a 0-d value (a contraction over nothing) reaches the
    # batched path with a scalar operand
    product = jit(lambda x, s: lax.dot_general(x, s, (((), ()), ((), ()))))
    x = np.arange(3.0)
    np.testing.assert_allclose(product(x, np.float64(0.5)), 0.5 * x, rtol=1e-15)


def test_hessian_with_a_batched_product_matches_the_closed_form():
    rng = np.random.default_rng(1234)
    A = rng.standard_normal((6, 6)) / np.sqrt(6)
    x = rng.standard_normal(6)
    hessian = jit(functrans.hessian(lambda x: functrans.numpy.sum(functrans.numpy.tanh(A @ x))))
    t = np.tanh(A @ x)
    np.testing.assert_allclose(hessian(x), A.T @ np.diag(-2 * t * (1 - t * t)) @ A,
                               rtol=1e-12, atol=1e-15)


def test_precompile_covers_every_function_of_its_modules_in_both_float_types():
    from functrans import precompile
    from functrans.lowering import compile as compile_module
    from functrans.lowering.compile import _numba
    signatures = precompile._signatures(_numba())
    assert set(precompile.MODULES) <= set(compile_module.SUPPORT_MODULES)
    for module_name in precompile.MODULES:
        module = compile_module.support_module(module_name)
        named = {name for m, name, _ in signatures if m == module_name}
        wanted = {name for name in module.__all__ if name not in ("contiguous", "permuted", "reshaped")}
        assert wanted <= named, (module_name, wanted - named)
    for dtype in ("float64", "float32"):
        assert any(str(types[0]) == dtype for _, _, types in signatures)
