"""functrans.scipy.signal's fftconvolve, detrend, welch, csd, stft and istft against
scipy.signal on the same inputs. The functrans side runs under a transform, so its own
composition (not SciPy's, which concrete inputs get) is what is compared; then gradients
against finite differences, vmap against a loop and jit against eager."""
import warnings

import numpy as np
import pytest
import scipy.signal

import functrans
from functrans import numpy as fnp
from functrans import tree
from functrans.scipy import signal
from functrans.testing import check_grads

rng = np.random.default_rng(7)
SIGNAL = rng.standard_normal((3, 100))
COMPLEX = SIGNAL + 1j * rng.standard_normal((3, 100))
SHORTER = rng.standard_normal((3, 80))
ROW = rng.standard_normal((1, 100))
IMAGE = rng.standard_normal((6, 20))


def traced(function):
    """``function`` run under a JVP, so functrans computes it with primitives."""
    def run(*args):
        return functrans.jvp(lambda _: function(*args), (0.0,), (1.0,))[0]
    return run


def assert_matches(got, expected, rtol=1e-12):
    """Same structure, shapes and dtypes, and values within ``rtol`` of the largest."""
    got, expected = tree.leaves(got), tree.leaves(expected)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        g, e = np.asarray(g), np.asarray(e)
        assert g.shape == e.shape and g.dtype == e.dtype, (g.shape, g.dtype, e.shape, e.dtype)
        scale = np.abs(e).max() if e.size else 1.0
        np.testing.assert_allclose(g, e, rtol=rtol, atol=rtol * scale)


def quietly(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


FFTCONVOLVE_CASES = [
    (SIGNAL[0], SIGNAL[1, :7], {}), (SIGNAL[1, :7], SIGNAL[0], {}),
    (IMAGE, IMAGE[:2, :5], {}), (IMAGE, rng.standard_normal((1, 4)), {"axes": 1}),
    (IMAGE[:1], IMAGE[:, :4], {"axes": -1}), (IMAGE[:, :5], IMAGE, {}),
    (COMPLEX[:, :9], IMAGE[:2, :3], {}), (np.arange(6), np.arange(3), {}),
]


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("index", range(len(FFTCONVOLVE_CASES)))
def test_fftconvolve_matches_scipy(index, mode):
    a, b, keywords = FFTCONVOLVE_CASES[index]
    expected = scipy.signal.fftconvolve(a, b, mode, **keywords)
    assert_matches(traced(lambda x, y: signal.fftconvolve(x, y, mode, **keywords))(a, b),
                   expected)


DETREND_CASES = [
    {}, {"type": "constant"}, {"type": "c", "axis": 0}, {"bp": [5, 12]}, {"axis": 0},
    {"bp": [0, 99, 100]}, {"bp": 40, "type": "l"},
]


@pytest.mark.parametrize("keywords", DETREND_CASES)
def test_detrend_matches_scipy(keywords):
    for data in (SIGNAL, COMPLEX, SIGNAL.astype(np.float32), rng.integers(0, 50, (3, 100))):
        rtol = 1e-5 if data.dtype == np.float32 else 1e-12
        assert_matches(traced(lambda x: signal.detrend(x, **keywords))(data),
                       scipy.signal.detrend(data, **keywords), rtol)


WELCH_CASES = [
    {"nperseg": 16},
    {"nperseg": 16, "detrend": "linear", "scaling": "spectrum"},
    {"nperseg": 20, "noverlap": 5, "nfft": 32, "average": "median"},
    {"window": ("tukey", 0.3), "nperseg": 17, "return_onesided": False},
    {"window": np.hanning(12), "fs": 3.0},
    {"nperseg": 16, "detrend": False},
    {"nperseg": 15, "detrend": lambda d: d - fnp.mean(d, axis=-1, keepdims=True)},
    {"nperseg": 200},
    {},
]


@pytest.mark.parametrize("keywords", WELCH_CASES, ids=range(len(WELCH_CASES)))
def test_welch_and_csd_match_scipy(keywords):
    for x in (SIGNAL, COMPLEX):
        assert_matches(quietly(traced(lambda v: signal.welch(v, **keywords)), x),
                       quietly(scipy.signal.welch, x, **keywords))
        for y in (SHORTER, ROW):
            assert_matches(quietly(traced(lambda u, v: signal.csd(u, v, **keywords)), x, y),
                           quietly(scipy.signal.csd, x, y, **keywords))


def test_welch_axis_positional_arguments_and_float32():
    assert_matches(traced(lambda v: signal.welch(v, 2.0, "hann", 16, 4, 20, "linear", True,
                                                 "density", 0))(SIGNAL.T),
                   scipy.signal.welch(SIGNAL.T, 2.0, "hann", 16, 4, 20, "linear", True,
                                      "density", 0))
    singles = SIGNAL.astype(np.float32)
    assert_matches(traced(lambda v: signal.welch(v, nperseg=16))(singles),
                   scipy.signal.welch(singles, nperseg=16), rtol=1e-5)
    assert_matches(traced(lambda u, v: signal.csd(u, v, nperseg=16, axis=0))(SIGNAL.T, ROW.T),
                   scipy.signal.csd(SIGNAL.T, ROW.T, nperseg=16, axis=0))
    assert_matches(traced(lambda u, v: signal.csd(u, v, nperseg=16))(SHORTER, SIGNAL),
                   scipy.signal.csd(SHORTER, SIGNAL, nperseg=16))


STFT_CASES = [
    {"nperseg": 16},
    {"nperseg": 16, "boundary": "even", "padded": False},
    {"nperseg": 15, "boundary": "odd", "noverlap": 3, "nfft": 20},
    {"nperseg": 16, "boundary": None, "detrend": "linear", "scaling": "psd", "fs": 2.0},
    {"nperseg": 16, "boundary": "constant", "window": ("kaiser", 4.0),
     "return_onesided": False},
    {"window": np.hanning(10), "nperseg": None, "detrend": "constant"},
    {"nperseg": 8, "detrend": lambda d: d - fnp.mean(d, axis=0), "axis": 0},
    {"nperseg": None, "window": "hamming", "noverlap": 30},
    {},
]


@pytest.mark.parametrize("keywords", STFT_CASES, ids=range(len(STFT_CASES)))
def test_stft_matches_scipy(keywords):
    axis = keywords.get("axis", -1)
    for x in (SIGNAL, COMPLEX):
        x = np.moveaxis(x, -1, axis)
        assert_matches(quietly(traced(lambda v: signal.stft(v, **keywords)), x),
                       quietly(scipy.signal.stft, x, **keywords))


def test_stft_warns_as_scipy_does_on_complex_input():
    with pytest.warns(UserWarning, match="switching to return_onesided=False"):
        traced(lambda v: signal.stft(v, nperseg=16))(COMPLEX)


ONESIDED = scipy.signal.stft(SIGNAL, nperseg=16)[2]
TWOSIDED = scipy.signal.stft(COMPLEX, nperseg=15, noverlap=10, return_onesided=False)[2]
ISTFT_CASES = [
    (ONESIDED, {"nperseg": 16}),
    (ONESIDED, {"nperseg": 16, "scaling": "psd", "fs": 3.0}),
    (ONESIDED, {}),
    (ONESIDED, {"window": np.hanning(16) + 0.1, "noverlap": 4}),
    (TWOSIDED, {"nperseg": 15, "noverlap": 10, "input_onesided": False}),
    (np.moveaxis(ONESIDED, -1, 0), {"nperseg": 16, "time_axis": 0, "freq_axis": -1}),
    (np.moveaxis(ONESIDED, 0, -1), {"nperseg": 16, "time_axis": 1, "freq_axis": 0}),
]


@pytest.mark.parametrize("transform, keywords", ISTFT_CASES)
def test_istft_matches_scipy(transform, keywords):
    assert_matches(traced(lambda z: signal.istft(z, **keywords))(transform),
                   scipy.signal.istft(transform, **keywords))


def test_istft_inverts_stft_and_warns_where_scipy_does():
    _, _, transform = traced(lambda v: signal.stft(v, nperseg=16))(SIGNAL)
    _, restored = traced(lambda z: signal.istft(z, nperseg=16))(transform)
    np.testing.assert_allclose(restored[:, :100], SIGNAL, atol=1e-12)
    with pytest.warns(UserWarning, match="NOLA condition failed"):
        traced(lambda z: signal.istft(z, nperseg=16, boundary=False))(ONESIDED)


def test_bad_input_errors_name_the_argument():
    with pytest.raises(TypeError, match="window"):
        traced(lambda v: signal.welch(v, window=np.hanning))(SIGNAL)
    with pytest.raises(TypeError, match="fs"):
        functrans.grad(lambda fs: signal.welch(SIGNAL[0], fs, nperseg=16)[1].sum())(2.0)
    with pytest.raises(TypeError, match="bp"):
        functrans.grad(lambda b: signal.detrend(SIGNAL[0] * b, bp=b).sum())(3.0)
    with pytest.raises(ValueError, match="noverlap"):
        traced(lambda v: signal.welch(v, nperseg=16, noverlap=16))(SIGNAL)
    with pytest.raises(ValueError, match="average"):
        traced(lambda v: signal.welch(v, nperseg=16, average="mode"))(SIGNAL)
    with pytest.raises(ValueError, match="scaling"):
        traced(lambda v: signal.stft(v, scaling="density"))(SIGNAL)
    with pytest.raises(ValueError, match="boundary"):
        traced(lambda v: signal.stft(v, boundary="wrap"))(SIGNAL)
    with pytest.raises(ValueError, match="y is complex"):
        traced(lambda u, v: signal.csd(u, v, nperseg=16))(SIGNAL, COMPLEX)
    with pytest.raises(ValueError, match="Trend type"):
        traced(lambda v: signal.detrend(v, type="quadratic"))(SIGNAL)
    with pytest.raises(ValueError, match="mode"):
        traced(lambda v: signal.fftconvolve(v, v, "middle"))(SIGNAL)
    with pytest.raises(ValueError, match="axes cannot be empty"):
        traced(lambda v: signal.fftconvolve(v, v, axes=[]))(SIGNAL)


def test_gradients_against_finite_differences():
    x, y = SIGNAL[0, :40], SIGNAL[1, :40]
    check_grads(lambda v: fnp.sum(signal.welch(v, nperseg=8, detrend="linear")[1] ** 0.5),
                (x,), order=2)
    check_grads(lambda u, v: fnp.sum(fnp.abs(signal.csd(u, v, nperseg=8,
                                                        average="median")[1])), (x, y))
    check_grads(lambda v: fnp.sum(fnp.abs(quietly(signal.stft, v, nperseg=8)[2]) ** 2),
                (x + 1j * y,), order=2)
    check_grads(lambda w: fnp.sum(signal.welch(x, window=w)[1]), (np.hanning(8) + 0.1,),
                order=2)
    transform = scipy.signal.stft(x, nperseg=8)[2]
    check_grads(lambda z: fnp.sum(signal.istft(z, nperseg=8)[1] ** 2), (transform,), order=2)
    check_grads(lambda w: fnp.sum(signal.istft(transform, window=w)[1] ** 2),
                (np.hanning(8) + 0.2,))
    check_grads(lambda a, b: fnp.sum(signal.fftconvolve(a, b, "same") ** 2), (x, y[:5]),
                order=2)
    check_grads(lambda a: fnp.sum(signal.detrend(a, bp=[10, 30]) ** 3), (x,), order=2)


def test_vmap_matches_a_loop():
    batch = rng.standard_normal((3, 2, 40))
    functions = [
        lambda v: signal.welch(v, nperseg=8, detrend="linear")[1],
        lambda v: signal.csd(v, SIGNAL[0, :40], nperseg=8, average="median")[1],
        lambda v: signal.stft(v, nperseg=8)[2],
        lambda v: signal.istft(signal.stft(v, nperseg=8)[2], nperseg=8)[1],
        lambda v: signal.fftconvolve(v, SIGNAL[:1, :5], "valid"),
        lambda v: signal.detrend(v, bp=5),
        lambda v: signal.welch(v, nperseg=8, detrend=lambda d: d - fnp.mean(d))[1],
    ]
    for function in functions:
        batched = functrans.vmap(function)(batch)
        for index, item in enumerate(batch):
            np.testing.assert_allclose(batched[index], function(item), rtol=1e-12,
                                       atol=1e-14)


def test_jit_of_welch_matches_eager_and_scipy():
    function = functrans.jit(lambda v: signal.welch(v, fs=2.0, nperseg=16))
    got = function(SIGNAL)
    assert_matches(got, traced(lambda v: signal.welch(v, fs=2.0, nperseg=16))(SIGNAL))
    assert_matches(got, scipy.signal.welch(SIGNAL, fs=2.0, nperseg=16))


def _analysis(x, y, window):
    return (signal.welch(x, nperseg=16, average="median")[1],
            signal.csd(x, y, window=window, detrend="linear", scaling="spectrum")[1],
            signal.stft(x, nperseg=16, boundary="even")[2])


def _synthesis(transform, x, kernel):
    return (signal.istft(transform, nperseg=16)[1], signal.fftconvolve(x, kernel, "same"),
            signal.detrend(x, bp=[30, 60]))


@pytest.mark.slow
def test_jit_matches_eager():
    window = np.hanning(12)
    got = functrans.jit(_analysis)(SIGNAL, SHORTER, window)
    expected = traced(_analysis)(SIGNAL, SHORTER, window)
    for g, e in zip(got, expected):
        assert_matches(g, e)
    got = functrans.jit(_synthesis)(ONESIDED, SIGNAL, SIGNAL[:, :7])
    expected = traced(_synthesis)(ONESIDED, SIGNAL, SIGNAL[:, :7])
    for g, e in zip(got, expected):
        assert_matches(g, e)
