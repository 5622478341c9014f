"""Edge cases of the NumPy/SciPy surface found by a user's tour of unusual inputs (issue 15):
each traced result against NumPy's or SciPy's own, or the same class of error.

The functions run traced (``make_jaxpr`` and the IR interpreter), where the lax rules
answer; NumPy inputs alone would go to NumPy itself.
"""
import warnings

import numpy as np
import pytest
import scipy.special
import scipy.stats

import functrans
import functrans.numpy as fnp
import functrans.numpy.fft as ffft
import functrans.numpy.linalg as fla
import functrans.scipy.special as fsp
import functrans.scipy.stats as fst

F = np.array([0.5, -1.5, 2.0])
SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e300, -1e-310, 1.0, 2.5])


def traced(function, *args):
    """``function`` traced on ``args`` and run by the IR interpreter, its outputs as NumPy's."""
    outputs = functrans.ir.eval_ir(functrans.make_jaxpr(function)(*args), *args)
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def quietly(function, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args)


CASES = {
    "median of nothing is nan": (fnp.median, np.median, np.zeros(0)),
    "nanmedian of nothing is nan": (fnp.nanmedian, np.nanmedian, np.zeros((2, 0))),
    "searchsorted places nan last (left)": (
        lambda v: fnp.searchsorted(np.array([1.0, 2.0, np.nan]), v),
        lambda v: np.searchsorted(np.array([1.0, 2.0, np.nan]), v), SPECIAL),
    "searchsorted places nan last (right)": (
        lambda v: fnp.searchsorted(np.array([1.0, np.nan, np.nan]), v, side="right"),
        lambda v: np.searchsorted(np.array([1.0, np.nan, np.nan]), v, side="right"), SPECIAL),
    "inv of 0x0": (fla.inv, np.linalg.inv, np.zeros((0, 0))),
    "det of 0x0 is 1": (fla.det, np.linalg.det, np.zeros((0, 0))),
    "det of an empty stack": (fla.det, np.linalg.det, np.zeros((0, 2, 2))),
    "fftfreq of 0 samples": (lambda d: ffft.fftfreq(0, d), lambda d: np.fft.fftfreq(0, d),
                             np.float64(1.0)),
    "rfftfreq of 0 samples": (lambda d: ffft.rfftfreq(0, d), lambda d: np.fft.rfftfreq(0, d),
                              np.float64(1.0)),
    "logsumexp of nothing is -inf": (fsp.logsumexp, scipy.special.logsumexp, np.zeros(0)),
    "logsumexp over an empty axis": (lambda a: fsp.logsumexp(a, axis=1),
                                     lambda a: scipy.special.logsumexp(a, axis=1), np.zeros((2, 0))),
    "polygamma of a non-integer order is nan": (
        lambda x: fsp.polygamma(np.array([1.5, -1.0, 1.0]), x),
        lambda x: scipy.special.polygamma(np.array([1.5, -1.0, 1.0]), x), np.array([0.5, 2.0, 3.0])),
    "boxcox at 0 with lambda 0 is -inf": (lambda x: fsp.boxcox(x, 0.0),
                                          lambda x: scipy.special.boxcox(x, 0.0),
                                          np.array([0.0, 1.0, 2.0])),
    "multigammaln of dimension 0 is 0": (lambda a: fsp.multigammaln(a, 0),
                                         lambda a: scipy.special.multigammaln(a, 0), np.float64(3.0)),
    "t with infinite df is the normal": (
        lambda x: (fst.t.logpdf(x, np.inf), fst.t.cdf(x, np.inf), fst.t.sf(x, np.inf)),
        lambda x: (scipy.stats.t.logpdf(x, np.inf), scipy.stats.t.cdf(x, np.inf),
                   scipy.stats.t.sf(x, np.inf)), F),
    "cauchy logpdf far out does not overflow": (fst.cauchy.logpdf, scipy.stats.cauchy.logpdf,
                                                SPECIAL),
    "vonmises with kappa 0 is uniform": (lambda x: fst.vonmises.logpdf(x, 0.0),
                                         lambda x: scipy.stats.vonmises.logpdf(x, 0.0), F),
    "mode of nothing is nan, counted 0 times": (
        lambda a: tuple(fst.mode(a)), lambda a: tuple(scipy.stats.mode(a)), np.zeros((0, 3))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_traced_edge_cases_agree_with_numpy_and_scipy(name):
    function, reference, argument = CASES[name]
    expected = quietly(reference, argument)
    got = quietly(traced, function, argument)
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        g, e = np.asarray(g), np.asarray(e)
        assert g.shape == e.shape and g.dtype == e.dtype, (g, e)
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-300)


ERRORS = {
    "percentile above 100": (lambda x: fnp.percentile(x, 150), lambda x: np.percentile(x, 150),
                             ValueError, "range"),
    "quantile above 1": (lambda x: fnp.quantile(x, 1.5), lambda x: np.quantile(x, 1.5),
                         ValueError, "range"),
    "pad with an unknown mode": (lambda x: fnp.pad(x, 1, mode="nope"),
                                 lambda x: np.pad(x, 1, mode="nope"), ValueError, "nope"),
    "interp with no sample points": (
        lambda x: fnp.interp(x, np.zeros(0), np.zeros(0)),
        lambda x: np.interp(x, np.zeros(0), np.zeros(0)), ValueError, "empty"),
    "average with weights summing to zero": (
        lambda x: fnp.average(x, weights=np.array([1.0, -1.0, 0.0])),
        lambda x: np.average(x, weights=np.array([1.0, -1.0, 0.0])), ZeroDivisionError, "zero"),
    "geomspace from zero": (lambda x: fnp.geomspace(0.0, x[2], 3),
                            lambda x: np.geomspace(0.0, x[2], 3), ValueError, "zero"),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_traced_errors_are_numpys(name):
    function, reference, error, words = ERRORS[name]
    with pytest.raises(error):
        reference(F)
    with pytest.raises(error, match=words):
        traced(function, F)


def test_gradients_at_the_new_edges_are_finite_differences():
    x = np.array([0.7, 1.3])
    for function, reference in [
            (lambda x: fst.cauchy.logpdf(x * 1e3), lambda x: scipy.stats.cauchy.logpdf(x * 1e3)),
            (lambda x: fst.t.logpdf(x, np.inf), lambda x: scipy.stats.t.logpdf(x, np.inf)),
            (lambda x: fsp.boxcox(x, 0.0), lambda x: scipy.special.boxcox(x, 0.0))]:
        gradient = functrans.grad(lambda x: fnp.sum(function(x)))(x)
        for k in range(2):
            step = np.zeros(2)
            step[k] = 1e-6
            difference = (np.sum(reference(x + step)) - np.sum(reference(x - step))) / 2e-6
            np.testing.assert_allclose(gradient[k], difference, rtol=1e-6)


def test_scipy_signal_convolve_edges():
    import scipy.signal
    import functrans.scipy.signal as fsig
    for function in (fsig.convolve, fsig.correlate):
        with pytest.raises(ValueError):
            scipy.signal.convolve(F, np.zeros(0))
        with pytest.raises(ValueError, match="empty"):
            traced(lambda x: function(x, np.zeros(0)), F)
    z = np.complex128(2.0 + 1.0j)
    assert traced(lambda x: fsig.convolve(x, z), np.float64(3.0)) == scipy.signal.convolve(3.0, z)
    assert traced(lambda x: fsig.correlate(x, z), np.float64(3.0)) == scipy.signal.correlate(3.0, z)
    m = np.ones((2, 2))
    with pytest.raises(ValueError):
        scipy.signal.convolve2d(m, m, boundary="x")
    with pytest.raises(ValueError, match="boundary"):
        traced(lambda x: fsig.convolve2d(x, m, boundary="x"), m)


def test_integer_power_of_arrays_wraps_around_as_numpy_does():
    # Found by the fuzz test: computed through float64, 1392775 ** 1392775 gave INT_MIN
    # (and any result beyond 2**53 lost digits); NumPy squares and wraps around.
    x = np.array([1392775, 2, 3, -2, 0, 7, 5])
    y = np.array([1392775, 62, 40, 63, 0, 3, 27])
    expected = np.power(x, y)
    np.testing.assert_array_equal(traced(fnp.power, x, y), expected)
    got, batched = functrans.jit(lambda x, y: (fnp.power(x, y), functrans.vmap(fnp.power)(x, y)))(x, y)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(batched, expected)
    small = np.array([3, 250], np.uint8), np.array([7, 2], np.uint8)
    np.testing.assert_array_equal(traced(fnp.power, *small), np.power(*small))
    # A traced negative exponent (NumPy refuses concrete ones): the truncated quotient.
    x, y = np.array([2, 1, -1, -1, 0], np.int32), np.array([-1, -5, -3, -2, 5], np.int32)
    np.testing.assert_array_equal(traced(fnp.power, x, y), [0, 1, -1, 1, 0])


def test_jit_remainder_keeps_the_sign_of_a_zero_result_as_numpy_does():
    # found by the fuzz campaign: arctan2 of the remainder turned +0.0 into pi, -0.0 into -pi
    x = np.array([-0.0, 0.0, 6.0, -6.0, 5.0, -5.0, 0.0])
    y = np.array([3.0, -3.0, -3.0, 3.0, -3.0, 3.0, np.inf])
    remainder = functrans.jit(lambda a, b: fnp.remainder(a, b))
    for dtype in (np.float64, np.float32):
        got, want = remainder(x.astype(dtype), y.astype(dtype)), np.remainder(x.astype(dtype),
                                                                             y.astype(dtype))
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
