"""functrans.numpy.fft against numpy.fft: values and dtypes traced, transposes, gradients,
vmap and jit."""
import numpy as np
import pytest

import functrans
import functrans.numpy as fnp
from functrans.ir import eval_ir
from functrans.testing import check_grads

RNG = np.random.default_rng(0)
REAL = RNG.standard_normal((4, 6, 5))
COMPLEX = RNG.standard_normal((4, 6, 5)) + 1j * RNG.standard_normal((4, 6, 5))

#: (function name, keyword arguments): 1-D forms with n and axis, n-D forms with s and axes.
CALLS = [
    ("fft", {}), ("fft", {"n": 8}), ("fft", {"n": 3, "axis": 1}), ("fft", {"axis": 0}),
    ("ifft", {}), ("ifft", {"n": 7, "axis": -2}),
    ("rfft", {}), ("rfft", {"n": 8, "axis": 0}), ("rfft", {"n": 3, "axis": 1}),
    ("irfft", {}), ("irfft", {"n": 9}), ("irfft", {"n": 4, "axis": 1}),
    ("hfft", {}), ("hfft", {"n": 7, "axis": 0}),
    ("ihfft", {}), ("ihfft", {"n": 4, "axis": 1}),
    ("fft2", {}), ("fft2", {"s": (3, 7), "axes": (0, 2)}),
    ("ifft2", {}), ("ifft2", {"axes": (2, 0)}),
    ("rfft2", {}), ("rfft2", {"s": (5, 4)}),
    ("irfft2", {}), ("irfft2", {"s": (3, 6), "axes": (0, 1)}),
    ("fftn", {}), ("fftn", {"axes": (1,)}), ("fftn", {"s": (2, 3, 4), "axes": (2, 0, 1)}),
    ("ifftn", {}), ("ifftn", {"s": (5, 5), "axes": (0, 1)}),
    ("rfftn", {}), ("rfftn", {"axes": (0, 2)}), ("rfftn", {"s": (3, 8), "axes": (1, 2)}),
    ("irfftn", {}), ("irfftn", {"s": (4, 3, 7), "axes": (0, 1, 2)}),
    ("fftshift", {}), ("fftshift", {"axes": 1}), ("ifftshift", {"axes": (0, 2)}),
]
REAL_ONLY = {"rfft", "rfft2", "rfftn", "ihfft"}
NORMS = (None, "ortho", "forward")


def call_id(call):
    name, kwargs = call
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


def inputs_for(name):
    """The inputs numpy.fft's function takes: real always; complex unless it is real-only."""
    values = [REAL, REAL.astype(np.float32)]
    if name not in REAL_ONLY:
        values += [COMPLEX, COMPLEX.astype(np.complex64)]
    return values


def with_norm(name, kwargs, norm):
    return kwargs if name.endswith("shift") else dict(kwargs, norm=norm)


@pytest.mark.parametrize("call", CALLS, ids=call_id)
def test_traced_matches_numpy(call):
    name, kwargs = call
    ours, numpys = getattr(fnp.fft, name), getattr(np.fft, name)
    for x in inputs_for(name):
        for norm in NORMS:
            options = with_norm(name, kwargs, norm)
            expected = numpys(x, **options)
            ir = functrans.make_jaxpr(lambda a: ours(a, **options))(x)
            got = eval_ir(ir, x)[0]
            assert got.dtype == expected.dtype, (x.dtype, norm)
            tolerance = 1e-4 if x.dtype in (np.float32, np.complex64) else 1e-12
            np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)


def pairing(xs, ys):
    return sum(np.real(np.sum(np.asarray(x, np.complex128) * np.asarray(y, np.complex128)))
               for x, y in zip(xs, ys))


def random_like(x):
    x = np.asarray(x)
    values = RNG.standard_normal(x.shape)
    if x.dtype.kind == "c":
        values = values + 1j * RNG.standard_normal(x.shape)
    return values.astype(x.dtype)


@pytest.mark.parametrize("call", CALLS, ids=call_id)
def test_transpose_identity(call):
    """<v, L u> = <L^T v, u> under Re(sum(a * b)), JAX's pairing for complex values."""
    name, kwargs = call
    ours = getattr(fnp.fft, name)
    for x in (REAL, COMPLEX) if name not in REAL_ONLY else (REAL,):
        for norm in NORMS:
            options = with_norm(name, kwargs, norm)

            def linear(a):
                return ours(a, **options)

            u = random_like(x)
            output = linear(u)
            v = random_like(output)
            (transposed,) = functrans.linear_transpose(linear, x)(v)
            assert transposed.dtype == x.dtype
            np.testing.assert_allclose(pairing([transposed], [u]), pairing([v], [output]),
                                       rtol=1e-10, atol=1e-10)


def test_transpose_of_real_transforms_with_odd_and_even_lengths():
    """The Hermitian weighting of rfft's and irfft's transposes, for every small length."""
    for n in range(1, 8):
        for function, x in [(lambda a: fnp.fft.rfft(a), RNG.standard_normal((2, n))),
                            (lambda a: fnp.fft.irfft(a, n), random_like(
                                COMPLEX[:2, :n // 2 + 1, 0]))]:
            u = random_like(x)
            output = function(u)
            v = random_like(output)
            (transposed,) = functrans.linear_transpose(function, x)(v)
            np.testing.assert_allclose(pairing([transposed], [u]), pairing([v], [output]),
                                       rtol=1e-10, atol=1e-12)


def test_grad_matches_finite_differences():
    x = RNG.standard_normal((3, 6))
    z = x + 1j * RNG.standard_normal((3, 6))

    def power(a):  # a real loss through every kind of transform
        spectrum = fnp.fft.rfft2(a, norm="ortho")
        back = fnp.fft.irfft(spectrum * fnp.fft.fftfreq(3)[:, None], n=6)
        return fnp.sum(fnp.abs(fnp.fft.fftn(a + 1j * back, axes=(1,))) ** 2) + fnp.sum(
            fnp.sin(back))

    check_grads(power, (x,), order=2)
    check_grads(lambda w: fnp.sum(fnp.real(fnp.fft.ifft(w ** 2, n=8)) ** 3), (z,), order=2)
    check_grads(lambda w: fnp.fft.hfft(w, norm="forward") * 1.5, (z[0, :4],), order=1)


def test_grad_of_spectral_power_is_closed_form():
    """sum |fft(x)|^2 = n sum x^2 (Parseval), so its gradient is 2 n x."""
    x = RNG.standard_normal(7)
    gradient = functrans.grad(lambda a: fnp.sum(fnp.abs(fnp.fft.fft(a)) ** 2))(x)
    np.testing.assert_allclose(gradient, 2 * 7 * x, rtol=1e-12)
    z = x + 1j * RNG.standard_normal(7)
    gradient = functrans.grad(lambda a: fnp.sum(fnp.abs(fnp.fft.fft(a)) ** 2))(z)
    np.testing.assert_allclose(gradient, 2 * 7 * np.conj(z), rtol=1e-12)


def test_vmap_matches_loop():
    batch = RNG.standard_normal((3, 4, 5)) + 1j * RNG.standard_normal((3, 4, 5))
    functions = [lambda a: fnp.fft.fft(a, axis=0), lambda a: fnp.fft.irfft2(a, s=(3, 6)),
                 lambda a: fnp.fft.ifftn(a, axes=(1, 0), norm="ortho"),
                 lambda a: fnp.fft.rfft(fnp.real(a), n=6), lambda a: fnp.fft.fftshift(a)]
    for function in functions:
        for axis in (0, 1, 2):
            got = functrans.vmap(function, in_axes=axis)(batch)
            expected = np.stack([function(np.take(batch, i, axis)) for i in
                                 range(batch.shape[axis])])
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def every_transform(x64, x32, z128, z64):
    results = []
    for x in (x64, x32, z128, z64):
        results += [fnp.fft.fft(x, n=7), fnp.fft.ifft2(x, norm="ortho"),
                    fnp.fft.irfftn(x, s=(4, 6), axes=(0, 1)),
                    fnp.fft.hfft(x, axis=0, norm="forward"),
                    fnp.fft.fftshift(fnp.fft.fftn(x, axes=(1,)))]
    for x in (x64, x32):
        results += [fnp.fft.rfft(x, n=4, axis=0), fnp.fft.rfft2(x), fnp.fft.ihfft(x)]
    return results


@pytest.mark.slow  # one numba compile of a large kernel
def test_jit_matches_eager():
    arguments = (REAL[0], REAL[0].astype(np.float32), COMPLEX[0], COMPLEX[0].astype(np.complex64))
    compiled = functrans.jit(every_transform)(*arguments)
    for index, (expected, got) in enumerate(zip(every_transform(*arguments), compiled)):
        assert got.dtype == expected.dtype, index
        tolerance = 1e-4 if got.dtype in (np.float32, np.complex64) else 1e-12
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance,
                                   err_msg=str(index))
    gradient = functrans.jit(functrans.grad(
        lambda a: fnp.sum(fnp.abs(fnp.fft.rfft(a)) ** 2)))(REAL[0, 0])
    np.testing.assert_allclose(
        gradient, functrans.grad(lambda a: fnp.sum(fnp.abs(fnp.fft.rfft(a)) ** 2))(REAL[0, 0]),
        rtol=1e-12)


def test_frequencies_and_shifts():
    np.testing.assert_array_equal(fnp.fft.fftfreq(7, 0.5), np.fft.fftfreq(7, 0.5))
    np.testing.assert_array_equal(fnp.fft.rfftfreq(8, 0.1), np.fft.rfftfreq(8, 0.1))
    # d traced: the derivative of k / (n d) with respect to d is -k / (n d^2).
    derivative = functrans.jacfwd(lambda d: fnp.fft.rfftfreq(8, d))(0.1)
    np.testing.assert_allclose(derivative, -np.fft.rfftfreq(8) / 0.1 ** 2, rtol=1e-12)
    x = np.arange(10.0).reshape(2, 5)
    for function in (fnp.fft.fftshift, fnp.fft.ifftshift):
        numpy_function = getattr(np.fft, function.__name__)
        for axes in (None, 0, (1,), (0, 1)):
            traced = functrans.vmap(lambda a: function(a, axes), in_axes=None, axis_size=1)(x)
            np.testing.assert_array_equal(traced[0], numpy_function(x, axes))


def test_bad_arguments_are_errors_that_say_so():
    traced = functrans.jit(lambda a, **kw: fnp.fft.fft(a, **kw), static_argnames=("n", "norm"))
    with pytest.raises(ValueError, match="Invalid norm"):
        traced(REAL[0, 0], norm="sideways")
    with pytest.raises(ValueError, match="Invalid number of FFT data points"):
        traced(REAL[0, 0], n=0)
    with pytest.raises(TypeError, match="rfft takes real input"):
        functrans.jit(fnp.fft.rfft)(COMPLEX[0, 0])
    with pytest.raises(ValueError, match="Shape and axes have different lengths"):
        functrans.jit(lambda a: fnp.fft.fftn(a, s=(2, 3), axes=(0,)))(COMPLEX[0])
