"""functrans.scipy.stats' sample summaries (mode, rankdata, sem), gaussian_kde and the
Gumbel distributions' tails, against SciPy: eager, traced (vmap), compiled, differentiated."""
import numpy as np
import pytest
import scipy.stats as st

import functrans
from functrans.scipy import stats
from functrans.testing import check_grads

RNG = np.random.default_rng(14)
TIES = RNG.integers(0, 4, (3, 6)).astype(np.float64)  # many ties
WITH_NAN = np.where(RNG.uniform(size=(3, 6)) < 0.2, np.nan, TIES)
WITH_NAN[0] = TIES[0]  # one slice without nan
INTEGERS = RNG.integers(-2, 3, (4, 5))
METHODS = ("average", "min", "max", "dense", "ordinal")
DATA = RNG.standard_normal((2, 25))
WEIGHTS = RNG.uniform(0.2, 1.0, 25)
POINTS = RNG.standard_normal((2, 6))


def summaries(ties, with_nan, integers):
    """Every summary of the three samples, along each axis: one function, compiled once."""
    out = {}
    for axis in (0, 1, None):
        for method in METHODS:
            out[f"rank {method} {axis}"] = stats.rankdata(ties, method, axis=axis)
            out[f"rank nan {method} {axis}"] = stats.rankdata(with_nan, method, axis=axis)
            out[f"rank omit {method} {axis}"] = stats.rankdata(with_nan, method, axis=axis,
                                                               nan_policy="omit")
            out[f"rank int {method} {axis}"] = stats.rankdata(integers, method, axis=axis)
        for name, sample in (("ties", ties), ("nan", with_nan), ("int", integers)):
            out[f"mode {name} {axis}"] = tuple(stats.mode(sample, axis=axis))
            out[f"sem {name} {axis}"] = stats.sem(sample, axis=axis)
        out[f"mode omit {axis}"] = tuple(stats.mode(with_nan, axis, nan_policy="omit"))
        out[f"sem omit {axis}"] = stats.sem(with_nan, axis, nan_policy="omit")
    out["mode keepdims"] = tuple(stats.mode(ties, axis=1, keepdims=True))
    out["sem ddof keepdims"] = stats.sem(ties, axis=1, ddof=0, keepdims=True)
    return out


def scipy_summaries(ties, with_nan, integers):
    out = {}
    for axis in (0, 1, None):
        for method in METHODS:
            out[f"rank {method} {axis}"] = st.rankdata(ties, method, axis=axis)
            out[f"rank nan {method} {axis}"] = st.rankdata(with_nan, method, axis=axis)
            out[f"rank omit {method} {axis}"] = st.rankdata(with_nan, method, axis=axis,
                                                            nan_policy="omit")
            out[f"rank int {method} {axis}"] = st.rankdata(integers, method, axis=axis)
        for name, sample in (("ties", ties), ("nan", with_nan), ("int", integers)):
            out[f"mode {name} {axis}"] = tuple(st.mode(sample, axis=axis))
            out[f"sem {name} {axis}"] = st.sem(sample, axis=axis)
        out[f"mode omit {axis}"] = tuple(st.mode(with_nan, axis, nan_policy="omit"))
        out[f"sem omit {axis}"] = st.sem(with_nan, axis, nan_policy="omit")
    out["mode keepdims"] = tuple(st.mode(ties, axis=1, keepdims=True))
    out["sem ddof keepdims"] = st.sem(ties, axis=1, ddof=0, keepdims=True)
    return out


EXPECTED = scipy_summaries(TIES, WITH_NAN, INTEGERS)


def _compare(got, traced):
    for key, expected in EXPECTED.items():
        for g, e in zip(*(functrans.tree.leaves(v) for v in (got[key], expected))):
            g, e = np.asarray(g), np.asarray(e)
            assert g.shape == e.shape, key
            np.testing.assert_allclose(g, e, rtol=1e-13, equal_nan=True, err_msg=key)
            # Traced ranks are float64 for floating-point input (a slice may hold nan);
            # otherwise the dtype is SciPy's (mode's count: an integer, also for 'omit').
            if not (traced and key.startswith("rank") and "int" not in key) \
                    and "omit" not in key:
                assert g.dtype == e.dtype, (key, g.dtype, e.dtype)


def test_eager_summaries_are_scipy():
    _compare(summaries(TIES, WITH_NAN, INTEGERS), traced=False)


def compiled_summaries(with_nan, integers):
    """A few summaries, to keep the compile short: ranks along one axis, mode, sem."""
    return {"rank omit average 1": stats.rankdata(with_nan, axis=1, nan_policy="omit"),
            "rank int dense 0": stats.rankdata(integers, "dense", axis=0),
            "rank nan min 1": stats.rankdata(with_nan, "min", axis=1),
            "mode nan 0": tuple(stats.mode(with_nan, axis=0)),
            "sem omit 1": stats.sem(with_nan, 1, nan_policy="omit")}


@pytest.mark.slow
def test_compiled_summaries_match_scipy():
    got = functrans.jit(compiled_summaries)(WITH_NAN, INTEGERS)
    for key, value in got.items():
        np.testing.assert_allclose(value, EXPECTED[key], rtol=1e-13, equal_nan=True,
                                   err_msg=key)


def test_vmap_of_summaries_matches_a_loop():
    def function(x):
        return (stats.rankdata(x, axis=0), stats.mode(x, axis=1).mode, stats.sem(x, axis=0))
    batch = np.stack([TIES, TIES[::-1], TIES * 2])
    got = functrans.vmap(function)(batch)
    for i, sample in enumerate(batch):
        for g, e in zip(got, (st.rankdata(sample, axis=0), st.mode(sample, axis=1).mode,
                              st.sem(sample, axis=0))):
            np.testing.assert_allclose(g[i], e, rtol=1e-13)


def test_summary_errors_are_clear():
    with pytest.raises(ValueError, match="unknown method"):
        stats.rankdata(TIES, "first")
    with pytest.raises(ValueError, match="contains nan"):
        stats.sem(WITH_NAN, nan_policy="raise")
    with pytest.raises(ValueError, match="concrete values"):
        functrans.jit(lambda x: stats.mode(x, nan_policy="raise"))(TIES)


def test_sem_differentiates():
    check_grads(lambda x: stats.sem(x, axis=1), (DATA,), order=2, atol=1e-6, rtol=1e-6)


# --- gaussian_kde ---------------------------------------------------------------------------

BANDWIDTHS = (None, "silverman", 0.4, lambda kde: kde.scotts_factor() / 2)


def kde_values(data, weights, points):
    out = []
    for bw_method in BANDWIDTHS:
        for w in (None, weights):
            kde = stats.gaussian_kde(data, bw_method, w)
            out += [kde(points), kde.logpdf(points), kde.pdf(points[:, :1]),
                    kde.integrate_gaussian(points[:, 0], np.diag([0.5, 2.0])),
                    kde.integrate_kde(stats.gaussian_kde(points))]
    one_dimensional = stats.gaussian_kde(data[0], weights=weights)
    out += [one_dimensional(points[0]), one_dimensional.evaluate(0.25),
            one_dimensional.integrate_box_1d(-0.5, 1.0), one_dimensional.covariance]
    return out


def scipy_kde_values(data, weights, points):
    out = []
    for bw_method in BANDWIDTHS:
        for w in (None, weights):
            kde = st.gaussian_kde(data, bw_method, w)
            out += [kde(points), kde.logpdf(points), kde.pdf(points[:, :1]),
                    kde.integrate_gaussian(points[:, 0], np.diag([0.5, 2.0])),
                    kde.integrate_kde(st.gaussian_kde(points))]
    one_dimensional = st.gaussian_kde(data[0], weights=weights)
    out += [one_dimensional(points[0]), one_dimensional.evaluate(0.25),
            one_dimensional.integrate_box_1d(-0.5, 1.0), one_dimensional.covariance]
    return out


def test_gaussian_kde_matches_scipy():
    got = kde_values(DATA, WEIGHTS, POINTS)
    for g, e in zip(got, scipy_kde_values(DATA, WEIGHTS, POINTS)):
        assert np.shape(g) == np.shape(e)
        np.testing.assert_allclose(g, e, rtol=1e-12)


def test_compiled_gaussian_kde_matches_eager():
    def function(data, weights, points):
        kde = stats.gaussian_kde(data, weights=weights)
        return kde.logpdf(points), kde.integrate_gaussian(points[:, 0], np.eye(2))
    got = functrans.jit(function)(DATA, WEIGHTS, POINTS)
    for g, e in zip(got, function(DATA, WEIGHTS, POINTS)):
        np.testing.assert_allclose(g, e, rtol=1e-12)


def test_gaussian_kde_is_a_pytree_and_differentiates_in_its_data():
    kde = stats.gaussian_kde(DATA, weights=WEIGHTS)
    got = functrans.vmap(lambda k, x: k.logpdf(x[:, None]), in_axes=(None, 1))(kde, POINTS)
    np.testing.assert_allclose(got[:, 0], st.gaussian_kde(DATA, weights=WEIGHTS).logpdf(POINTS),
                               rtol=1e-12)
    batch = np.stack([DATA, DATA * 1.5])
    got = functrans.vmap(lambda d: stats.gaussian_kde(d)(POINTS))(batch)
    for g, d in zip(got, batch):
        np.testing.assert_allclose(g, st.gaussian_kde(d)(POINTS), rtol=1e-12)
    check_grads(lambda d, x: stats.gaussian_kde(d, weights=WEIGHTS).logpdf(x),
                (DATA, POINTS), order=1, atol=1e-6, rtol=1e-6)
    with pytest.raises(ValueError, match="dimension"):
        kde(np.ones((3, 2)))


# --- Gumbel tails ---------------------------------------------------------------------------

def test_gumbel_log_tails_keep_their_precision():
    x = np.array([-30.0, -5.0, 0.0, 2.0, 20.0, 60.0])
    np.testing.assert_allclose(stats.gumbel_r.logsf(x), st.gumbel_r.logsf(x), rtol=1e-13)
    np.testing.assert_allclose(stats.gumbel_l.logcdf(-x), st.gumbel_l.logcdf(-x), rtol=1e-13)
    np.testing.assert_allclose(stats.gumbel_r.logcdf(x), st.gumbel_r.logcdf(x), rtol=1e-13)
