"""Complex numbers end to end, checked against closed forms and JAX's documented conventions.

JAX's conventions (its autodiff cookbook, "Complex numbers and differentiation"): for a real
``f(x + iy)``, ``grad(f)`` is ``df/dx - i df/dy`` (so grad of |z|^2 at 3+4j is 6-8j); a
pullback multiplies by the derivative without conjugating; ``holomorphic=True`` lets
grad/jacfwd/jacrev take complex outputs and gives the complex derivative; without it a
complex output of grad/jacrev, or a complex input of jacfwd, is an error.
"""
import numpy as np
import pytest

import functrans
import functrans.numpy as fnp
from functrans import lax
from functrans.ir import eval_ir
from functrans.testing import check_grads

Z = np.array([3.0 + 4.0j, -1.0 + 0.5j, 0.25 - 2.0j])


def squared_modulus(z):
    return fnp.sum(fnp.real(z) ** 2 + fnp.imag(z) ** 2)


def test_grad_of_squared_modulus_is_twice_the_conjugate():
    assert functrans.grad(squared_modulus)(3.0 + 4.0j) == 6.0 - 8.0j
    np.testing.assert_allclose(functrans.grad(squared_modulus)(Z), 2 * np.conj(Z), rtol=1e-15)
    np.testing.assert_allclose(functrans.grad(lambda z: fnp.sum(fnp.abs(z) ** 2))(Z),
                               2 * np.conj(Z), rtol=1e-14)
    np.testing.assert_allclose(functrans.grad(lambda z: fnp.sum(z * fnp.conj(z)).real)(Z),
                               2 * np.conj(Z), rtol=1e-15)


def test_grad_of_modulus_and_angle():
    np.testing.assert_allclose(functrans.grad(lambda z: fnp.sum(fnp.abs(z)))(Z),
                               np.conj(Z) / np.abs(Z), rtol=1e-14)
    # angle = atan2(y, x): d/dx = -y / r^2, d/dy = x / r^2, so grad = (-y - i x) / r^2.
    x, y = Z.real, Z.imag
    np.testing.assert_allclose(functrans.grad(lambda z: fnp.sum(fnp.angle(z)))(Z),
                               (-y - 1j * x) / np.abs(Z) ** 2, rtol=1e-14)
    # At 0 the modulus has no derivative; as JAX, its gradient there is 0.
    assert functrans.grad(fnp.abs)(0j) == 0


def test_holomorphic_grad_is_the_complex_derivative():
    for function, derivative in [(lambda z: z * z, lambda z: 2 * z), (fnp.exp, np.exp),
                                 (fnp.sin, np.cos), (fnp.log, lambda z: 1 / z),
                                 (lambda z: fnp.sqrt(z) ** 3, lambda z: 1.5 * np.sqrt(z))]:
        for z in Z:
            np.testing.assert_allclose(functrans.grad(function, holomorphic=True)(z),
                                       derivative(z), rtol=1e-13)


def test_holomorphic_true_on_a_non_holomorphic_function_keeps_the_real_output_part():
    """The cookbook's example: grad(conj, holomorphic=True) is 1 (the pullback of 1)."""
    assert functrans.grad(fnp.conjugate, holomorphic=True)(3.0 + 4.0j) == 1.0


@pytest.mark.parametrize("jacobian", [functrans.jacfwd, functrans.jacrev])
def test_holomorphic_jacobians_of_square_and_exp(jacobian):
    np.testing.assert_allclose(jacobian(lambda z: z ** 2, holomorphic=True)(Z),
                               np.diag(2 * Z), rtol=1e-15)
    np.testing.assert_allclose(jacobian(fnp.exp, holomorphic=True)(Z), np.diag(np.exp(Z)),
                               rtol=1e-14)
    matrix = np.array([[1.0 + 2.0j, -0.5j, 0.3], [2.0, 1.0 - 1.0j, 0.25j]])
    np.testing.assert_allclose(jacobian(lambda z: matrix @ z, holomorphic=True)(Z), matrix,
                               rtol=1e-15)


def test_holomorphic_hessian():
    np.testing.assert_allclose(functrans.hessian(lambda z: fnp.sum(z ** 3), holomorphic=True)(Z),
                               np.diag(6 * Z), rtol=1e-14)


def test_jacrev_of_a_real_function_of_complex_inputs_stacks_the_gradients():
    jacobian = functrans.jacrev(lambda z: fnp.abs(z) ** 2)(Z)
    np.testing.assert_allclose(jacobian, np.diag(2 * np.conj(Z)), rtol=1e-14)


def test_pullbacks_do_not_conjugate():
    cotangent = 0.5 - 2.0j
    _, pullback = functrans.vjp(lambda z: z * z, Z[0])
    np.testing.assert_allclose(pullback(cotangent)[0], cotangent * 2 * Z[0], rtol=1e-15)
    _, pullback = functrans.vjp(fnp.conj, Z[0])
    assert pullback(cotangent)[0] == np.conj(cotangent)
    assert functrans.vjp(fnp.real, Z[0])[1](2.0)[0] == 2.0 + 0j
    assert functrans.vjp(fnp.imag, Z[0])[1](2.0)[0] == -2.0j
    real_and_imaginary = functrans.vjp(lax.complex, 1.0, 2.0)[1](cotangent)
    assert real_and_imaginary == (0.5, 2.0)


def test_jvp_is_the_real_linear_map():
    """jvp of a non-holomorphic function: for conj(z) and |z|^2 along a complex tangent."""
    tangent = 0.3 + 0.7j
    assert functrans.jvp(fnp.conj, (Z[0],), (tangent,))[1] == np.conj(tangent)
    _, derivative = functrans.jvp(lambda z: fnp.abs(z) ** 2, (Z[0],), (tangent,))
    np.testing.assert_allclose(derivative, 2 * np.real(np.conj(Z[0]) * tangent), rtol=1e-15)


def test_real_functions_computed_through_complex_values_have_their_real_gradients():
    x = np.array([0.3, -1.2, 2.5])
    np.testing.assert_allclose(
        functrans.grad(lambda a: fnp.sum(fnp.real(fnp.exp(1j * a))))(x), -np.sin(x), rtol=1e-15)
    np.testing.assert_allclose(
        functrans.grad(lambda a: fnp.sum(fnp.abs(a + 2j) ** 2))(x), 2 * x, rtol=1e-15)
    assert functrans.grad(lambda a: fnp.sum(fnp.real(fnp.exp(1j * a))))(x).dtype == np.float64


def test_check_grads_on_complex_functions():
    check_grads(lambda z: fnp.sum(fnp.abs(fnp.sin(z)) ** 2), (Z,), order=2)
    check_grads(lambda z, w: fnp.tanh(z * fnp.conj(w)), (Z / 4, Z[::-1] / 4), order=2)
    check_grads(lambda x: fnp.exp(1j * x) * x, (np.array([0.5, -1.5]),), order=2)


def test_wrong_derivatives_fail_the_complex_check():
    @functrans.custom_jvp
    def conjugate_wrongly(z):
        return fnp.conj(z)

    conjugate_wrongly.defjvp(lambda primals, tangents: (fnp.conj(primals[0]), tangents[0]))
    with pytest.raises(AssertionError):
        check_grads(conjugate_wrongly, (Z,), order=1, modes=("fwd",))


@pytest.mark.parametrize("call, message", [
    (lambda: functrans.grad(fnp.sin)(1.0 + 1.0j), "holomorphic=True"),
    (lambda: functrans.grad(lambda x: x * 1j)(1.0), "grad needs real outputs"),
    (lambda: functrans.grad(lambda z: z * z, holomorphic=True)(1.0), "needs complex inputs"),
    (lambda: functrans.grad(fnp.abs, holomorphic=True)(1.0j), "needs complex outputs"),
    (lambda: functrans.jacfwd(fnp.sin)(Z), "jacfwd needs real inputs"),
    (lambda: functrans.jacrev(fnp.sin)(Z), "jacrev needs real outputs"),
    (lambda: functrans.jacfwd(fnp.abs, holomorphic=True)(Z), "needs complex outputs"),
    (lambda: functrans.jacrev(fnp.sin, holomorphic=True)(Z.real), "needs complex inputs"),
])
def test_convention_errors(call, message):
    with pytest.raises(TypeError, match=message):
        call()


PROMOTED = [lambda a, b: a * 1j, lambda a, b: a + b, lambda a, b: b * 2.0, lambda a, b: a / b,
            lambda a, b: fnp.abs(b) + a, lambda a, b: fnp.real(b) * a, lambda a, b: b ** 2,
            lambda a, b: a - 1j * b]
PAIRS = [(np.ones(2, np.float32), np.ones(2, np.complex64)),
         (np.ones(2, np.float32), np.ones(2, np.complex128)),
         (np.ones(2), np.ones(2, np.complex64)), (np.ones(2, np.int32), np.ones(2, np.complex64)),
         (np.ones(2, np.complex64), np.ones(2, np.complex64))]


def every_promotion(pairs):
    return [function(a, b) for a, b in pairs for function in PROMOTED]


def test_promotion_with_complex_follows_numpy():
    """Python complex scalars are weak: float32 * 1j is complex64, as in NumPy 2."""
    traced_results = eval_ir(functrans.make_jaxpr(every_promotion)(PAIRS),
                             *[x for pair in PAIRS for x in pair])
    for expected, traced in zip(every_promotion(PAIRS), traced_results):
        assert traced.dtype == expected.dtype
        np.testing.assert_allclose(traced, expected, rtol=1e-6)


def test_numpy_functions_traced_match_numpy():
    values = [Z, Z.astype(np.complex64), np.array([1.0, -2.0]), np.array([3, -4]),
              np.array([1.0 + 0j, 2.0 + 1e-20j])]
    functions = [fnp.real, fnp.imag, fnp.conj, fnp.conjugate, fnp.angle,
                 lambda a: fnp.angle(a, deg=True), fnp.iscomplex, fnp.isreal, fnp.abs,
                 lambda a: a.real, lambda a: a.imag, lambda a: a.conj(), fnp.sign,
                 lambda a: fnp.var(a), lambda a: fnp.std(a), lambda a: fnp.vdot(a, a),
                 lambda a: fnp.rint(a * 3), lambda a: fnp.round(a * 3, 1)]
    for value in values:
        for function in functions:
            expected = function(value)
            got = functrans.vmap(function, in_axes=None, axis_size=1)(value)[0]
            assert np.asarray(got).dtype == np.asarray(expected).dtype
            np.testing.assert_allclose(got, expected, rtol=1e-6)
        assert fnp.iscomplexobj(value) == np.iscomplexobj(value)
        assert fnp.isrealobj(value) == np.isrealobj(value)
        traced_test = functrans.vmap(lambda a: fnp.zeros(()) + fnp.iscomplexobj(a), in_axes=None,
                                     axis_size=1)(value)
        assert traced_test[0] == np.iscomplexobj(value)


def test_real_if_close():
    nearly_real = np.array([1.0 + 1e-15j, 2.0 - 1e-16j])
    assert fnp.real_if_close(nearly_real).dtype == np.float64
    _, derivative = functrans.jvp(fnp.real_if_close, (nearly_real,), (np.ones(2, complex),))
    np.testing.assert_array_equal(derivative, np.ones(2))
    _, derivative = functrans.jvp(fnp.real_if_close, (Z,), (np.ones(3, complex),))
    assert derivative.dtype == np.complex128
    with pytest.raises(TypeError, match="real_if_close"):
        functrans.jit(fnp.real_if_close)(nearly_real)


def test_vmap_and_jit_of_complex_gradients():
    batch = np.stack([Z, Z * 0.5j, Z + 1])
    gradient = functrans.grad(lambda z: fnp.sum(fnp.abs(fnp.exp(z) - z) ** 2))
    expected = np.stack([gradient(z) for z in batch])
    np.testing.assert_allclose(functrans.vmap(gradient)(batch), expected, rtol=1e-13)
    np.testing.assert_allclose(functrans.jit(functrans.vmap(gradient))(batch), expected,
                               rtol=1e-12)
    holomorphic = functrans.jit(functrans.vmap(functrans.grad(fnp.tanh, holomorphic=True)))
    np.testing.assert_allclose(holomorphic(Z / 4), 1 - np.tanh(Z / 4) ** 2, rtol=1e-13)


def test_complex_construction_keeps_infinite_parts():
    parts = (np.array([0.0, np.inf, -1.0]), np.array([np.inf, 0.0, np.nan]))
    expected = np.array([complex(0, np.inf), complex(np.inf, 0), complex(-1, np.nan)])
    for got in (lax.complex(*parts), functrans.jit(lax.complex)(*parts)):
        np.testing.assert_array_equal(got.real, expected.real)
        np.testing.assert_array_equal(got.imag, expected.imag)
