"""functrans.scipy.signal convolve/correlate against scipy.signal on the same inputs, with
gradients against finite differences, vmap against a loop and jit against eager."""
import numpy as np
import pytest
import scipy.signal

import functrans
from functrans import tree
from functrans.scipy import signal
from functrans.testing import check_grads

rng = np.random.default_rng(1)
IMAGE = rng.standard_normal((5, 6))
KERNEL = rng.standard_normal((2, 3))
VOLUME = rng.standard_normal((3, 4, 5))
SMALL = rng.standard_normal((2, 2, 3))
SIGNAL = rng.standard_normal(7)
FILTER = rng.standard_normal(3)


def traced(function):
    def run(*args):
        return functrans.jvp(lambda _: function(*args), (0.0,), (1.0,))[0]
    return run


CASES = [(name, mode, a, b)
         for name in ("convolve", "correlate")
         for mode in ("full", "same", "valid")
         for a, b in ((SIGNAL, FILTER), (FILTER, SIGNAL), (IMAGE, KERNEL), (KERNEL, IMAGE),
                      (VOLUME, SMALL))]


@pytest.mark.parametrize("name, mode, a, b", CASES)
def test_matches_scipy(name, mode, a, b):
    expected = getattr(scipy.signal, name)(a, b, mode=mode, method="direct")
    got = traced(lambda x, y: getattr(signal, name)(x, y, mode=mode))(a, b)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_dtypes_and_two_dimensional_forms_match_scipy():
    ints = np.arange(12).reshape(3, 4)
    got = traced(lambda x: signal.convolve(x, x[:2, :2]))(ints)
    expected = scipy.signal.convolve(ints, ints[:2, :2])
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    singles = IMAGE.astype(np.float32)
    assert traced(lambda x: signal.correlate(x, x))(singles).dtype == np.float32
    for name in ("convolve2d", "correlate2d"):
        for mode in ("full", "same", "valid"):
            for a, b in ((IMAGE, KERNEL), (IMAGE, IMAGE[:3, :4]), (IMAGE[:3, :3], IMAGE)):
                if mode == "valid" and a.shape[0] < b.shape[0]:
                    continue
                np.testing.assert_allclose(
                    traced(lambda x, y: getattr(signal, name)(x, y, mode))(a, b),
                    getattr(scipy.signal, name)(a, b, mode), rtol=1e-12)


def test_bad_input_errors():
    with pytest.raises(ValueError, match="same dimensionality"):
        traced(lambda x: signal.convolve(x, FILTER))(IMAGE)
    with pytest.raises(ValueError, match="at least as large"):
        traced(lambda x: signal.convolve(x, np.ones((1, 7)), mode="valid"))(IMAGE)
    with pytest.raises(ValueError, match="mode"):
        traced(lambda x: signal.convolve(x, x, mode="middle"))(IMAGE)


def test_gradients_against_finite_differences():
    for mode in ("full", "same", "valid"):
        check_grads(lambda x, y: (signal.convolve(x, y, mode) ** 2).sum()
                    + (signal.correlate(x, y, mode) ** 3).sum(), (IMAGE, KERNEL), order=2)


def test_vmap_matches_a_loop():
    batch = rng.standard_normal((3, 5, 6))
    batched = functrans.vmap(lambda x: signal.correlate(x, KERNEL, "same"))(batch)
    for index, image in enumerate(batch):
        np.testing.assert_allclose(batched[index],
                                   scipy.signal.correlate(image, KERNEL, "same"), rtol=1e-12)
    kernels = rng.standard_normal((3, 2, 3))
    batched = functrans.vmap(lambda k: signal.convolve(IMAGE, k, "valid"))(kernels)
    for index, kernel in enumerate(kernels):
        np.testing.assert_allclose(batched[index],
                                   scipy.signal.convolve(IMAGE, kernel, "valid"), rtol=1e-12)


def test_jit_matches_eager():
    def function(x, y):
        return (signal.convolve(x, y), signal.correlate(x, y, "same"),
                signal.convolve(x, y, "valid"))

    got = functrans.jit(function)(IMAGE, KERNEL)
    for g, e in zip(tree.leaves(got), tree.leaves(function(IMAGE, KERNEL))):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-13)
