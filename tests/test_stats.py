"""functrans.scipy.stats against scipy.stats: values (inside and outside the support,
invalid parameters), broadcasting, derivatives against finite differences, vmap, jit."""
import numpy as np
import pytest
import scipy.stats as st

import functrans
from functrans.scipy import stats
from functrans.testing import check_grads

pytestmark = pytest.mark.filterwarnings("ignore::numba.NumbaPerformanceWarning",
                                        "ignore::RuntimeWarning")

RNG = np.random.default_rng(7)
N = 10


def _uniform(low, high, size=N):
    return RNG.uniform(low, high, size)


REAL = np.concatenate([_uniform(-3, 3, N - 2), [-0.5, 0.0]])
POSITIVE = _uniform(0.3, 4.0)
UNIT = _uniform(0.02, 0.98)
COUNTS = np.array([0, 1, 2, 3, 5, 8, 2, 1, 0, 4], dtype=np.float64)
#: some points outside the support, and one invalid scale
LOC = np.linspace(-1.0, 1.0, N)
SCALE = np.concatenate([_uniform(0.5, 2.0, N - 1), [-1.0]])

#: name -> (functrans module, scipy.stats distribution, parameters, points of its methods)
CONTINUOUS = {
    "norm": (stats.norm, st.norm, (), REAL),
    "t": (stats.t, st.t, (POSITIVE + 1,), REAL),
    "gamma": (stats.gamma, st.gamma, (POSITIVE,), REAL + 1),
    "chi2": (stats.chi2, st.chi2, (POSITIVE * 2,), REAL + 1.5),
    "beta": (stats.beta, st.beta, (POSITIVE, POSITIVE[::-1]), REAL / 3 + 0.3),
    "expon": (stats.expon, st.expon, (), REAL + 1),
    "uniform": (stats.uniform, st.uniform, (), REAL / 2),
    "laplace": (stats.laplace, st.laplace, (), REAL),
    "logistic": (stats.logistic, st.logistic, (), REAL * 5),
    "cauchy": (stats.cauchy, st.cauchy, (), REAL),
    "truncnorm": (stats.truncnorm, st.truncnorm, (-POSITIVE / 2, POSITIVE), REAL),
    "pareto": (stats.pareto, st.pareto, (POSITIVE,), REAL + 2),
    "vonmises": (stats.vonmises, st.vonmises, (POSITIVE,), REAL),
    "wrapcauchy": (stats.wrapcauchy, st.wrapcauchy, (UNIT,), REAL + 3),
    "gennorm": (stats.gennorm, st.gennorm, (POSITIVE,), REAL),
}
DISCRETE = {
    "poisson": (stats.poisson, st.poisson, (POSITIVE * 2,), COUNTS),
    "bernoulli": (stats.bernoulli, st.bernoulli, (UNIT,),
                  np.array([-1.0, 0.0, 1.0, 0.0, 1.0, 0.5, 2.0, 1.0, 0.0, 1.0])),
    "binom": (stats.binom, st.binom, (np.full(N, 6.0), UNIT), COUNTS),
    "geom": (stats.geom, st.geom, (UNIT,), COUNTS),
    "nbinom": (stats.nbinom, st.nbinom, (POSITIVE + 1, UNIT), COUNTS),
    "betabinom": (stats.betabinom, st.betabinom, (np.full(N, 6.0), POSITIVE, UNIT + 0.5), COUNTS),
}
CONTINUOUS_METHODS = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]
DISCRETE_METHODS = ["logpmf", "pmf", "cdf", "logcdf", "sf", "logsf"]
QUANTILES = {"norm", "expon", "uniform", "laplace", "logistic", "cauchy", "truncnorm", "pareto",
             "gamma", "chi2", "beta", "t"}


def _cases():
    for name, (module, _, _, _) in CONTINUOUS.items():
        for method in CONTINUOUS_METHODS + (["ppf"] if name in QUANTILES else []):
            if hasattr(module, method):
                yield name, method
    for name, (module, _, _, _) in DISCRETE.items():
        for method in DISCRETE_METHODS:
            if hasattr(module, method):
                yield name, method


CASES = list(_cases())


def _arguments(name, method, loc_scale=True):
    table = CONTINUOUS if name in CONTINUOUS else DISCRETE
    module, reference, parameters, points = table[name]
    if method == "ppf":
        points = UNIT
    if not loc_scale:
        extra = ()
    else:
        extra = (LOC, SCALE) if name in CONTINUOUS else (LOC.round(),)
    return getattr(module, method), getattr(reference, method), (points,) + parameters + extra


@pytest.mark.parametrize("name,method", CASES)
def test_matches_scipy_eager_and_traced(name, method):
    function, reference, arguments = _arguments(name, method)
    expected = reference(*arguments)
    np.testing.assert_allclose(function(*arguments), expected, rtol=1e-11, atol=1e-300,
                               equal_nan=True)
    traced = functrans.vmap(function)(*[a[None] for a in arguments])[0]
    np.testing.assert_allclose(traced, expected, rtol=1e-11, atol=1e-300, equal_nan=True)


def test_all_covered_methods_exist():
    assert len(CASES) >= 90
    for module in (stats.norm, stats.logistic, stats.expon):
        for method in ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf"):
            assert callable(getattr(module, method))


def test_broadcasting_like_scipy():
    x = REAL[:, None]
    loc, scale = LOC[None, :3], np.abs(SCALE[:4, None, None])
    got = functrans.vmap(lambda x: stats.norm.logcdf(x, loc, scale))(x[None])[0]
    np.testing.assert_allclose(got, st.norm.logcdf(x, loc, scale), rtol=1e-12)
    got = functrans.vmap(lambda x: stats.gamma.cdf(x, 2.0))(np.abs(x)[None])[0]
    np.testing.assert_allclose(got, st.gamma.cdf(np.abs(x), 2.0), rtol=1e-12)


def test_float32_stays_float32_and_integers_become_float64():
    x32 = REAL.astype(np.float32)
    assert stats.norm.logpdf(x32).dtype == np.float32
    assert functrans.make_jaxpr(lambda x: stats.norm.logpdf(x, 0.0, 2.0))(x32).out_avals[0].dtype \
        == np.float32
    assert stats.poisson.logpmf(np.arange(3), 2).dtype == np.float64


# --- derivatives ----------------------------------------------------------------------------

GRADIENTS = {
    "norm.logpdf": (stats.norm.logpdf, (REAL, LOC, np.abs(SCALE))),
    "norm.logcdf": (stats.norm.logcdf, (REAL, LOC, np.abs(SCALE))),
    "norm.ppf": (stats.norm.ppf, (UNIT, LOC, np.abs(SCALE))),
    "t.logpdf": (stats.t.logpdf, (REAL, POSITIVE + 1, LOC, np.abs(SCALE))),
    "t.cdf": (lambda x, loc: stats.t.cdf(x, 3.5, loc, 2.0), (REAL, LOC)),
    "gamma.logpdf": (stats.gamma.logpdf, (POSITIVE, POSITIVE[::-1])),
    "gamma.cdf": (stats.gamma.cdf, (POSITIVE, POSITIVE[::-1])),
    "chi2.logsf": (lambda x, df: stats.chi2.logsf(x, df), (POSITIVE, POSITIVE + 1)),
    "beta.logpdf": (stats.beta.logpdf, (UNIT, POSITIVE, POSITIVE[::-1])),
    "beta.cdf": (lambda x: stats.beta.cdf(x, 2.5, 1.5), (UNIT,)),
    "gamma.ppf": (stats.gamma.ppf, (UNIT, POSITIVE, LOC, np.abs(SCALE))),
    "beta.ppf": (stats.beta.ppf, (UNIT, POSITIVE, POSITIVE[::-1])),
    "chi2.isf": (stats.chi2.isf, (UNIT, POSITIVE + 1)),
    "t.ppf": (stats.t.ppf, (UNIT, POSITIVE + 1, LOC, np.abs(SCALE))),
    "expon.logcdf": (stats.expon.logcdf, (POSITIVE, LOC - 2, np.abs(SCALE))),
    "laplace.logpdf": (stats.laplace.logpdf, (REAL + 0.05, LOC, np.abs(SCALE))),
    "logistic.logcdf": (stats.logistic.logcdf, (REAL, LOC, np.abs(SCALE))),
    "cauchy.cdf": (stats.cauchy.cdf, (REAL, LOC, np.abs(SCALE))),
    "truncnorm.logpdf": (lambda x, a, b: stats.truncnorm.logpdf(x, a, b),
                         (REAL / 4, -POSITIVE - 1, POSITIVE + 1)),
    "poisson.logpmf": (lambda mu: stats.poisson.logpmf(COUNTS, mu), (POSITIVE,)),
    "poisson.cdf": (lambda mu: stats.poisson.cdf(COUNTS, mu), (POSITIVE,)),
    "binom.logpmf": (lambda p: stats.binom.logpmf(COUNTS, 9, p), (UNIT,)),
    "binom.cdf": (lambda p: stats.binom.cdf(COUNTS, 9, p), (UNIT,)),
    "nbinom.logpmf": (lambda n, p: stats.nbinom.logpmf(COUNTS, n, p), (POSITIVE, UNIT)),
    "geom.logsf": (lambda p: stats.geom.logsf(COUNTS + 1, p), (UNIT,)),
    "bernoulli.logpmf": (lambda p: stats.bernoulli.logpmf(COUNTS % 2, p), (UNIT,)),
    "pareto.logpdf": (stats.pareto.logpdf, (POSITIVE + 1.5, POSITIVE, LOC / 2)),
    "vonmises.logpdf": (stats.vonmises.logpdf, (REAL, POSITIVE, LOC)),
    "wrapcauchy.logpdf": (stats.wrapcauchy.logpdf, (UNIT * 6, UNIT[::-1])),
    "gennorm.logpdf": (stats.gennorm.logpdf, (REAL + 3.1, POSITIVE + 0.5)),
    "gennorm.cdf": (stats.gennorm.cdf, (REAL + 3.1, POSITIVE + 0.5)),
    "betabinom.logpmf": (lambda a, b: stats.betabinom.logpmf(COUNTS, 9, a, b), (POSITIVE, UNIT)),
}


@pytest.mark.parametrize("name", sorted(GRADIENTS))
def test_derivatives_match_finite_differences(name):
    function, arguments = GRADIENTS[name]
    order = 1 if name.endswith(("cdf", "sf", "ppf", "isf")) else 2
    check_grads(function, arguments, order=order, atol=1e-6, rtol=1e-6)


def test_cdfs_differentiate_in_their_shape_parameters():
    check_grads(lambda df: stats.t.cdf(REAL, df), (POSITIVE + 1,), order=1, atol=1e-6, rtol=1e-6)
    check_grads(lambda a, b: stats.beta.cdf(UNIT, a, b), (POSITIVE, POSITIVE[::-1]), order=1,
                atol=1e-6, rtol=1e-6)
    check_grads(lambda a: stats.gamma.sf(POSITIVE, a), (POSITIVE[::-1],), order=1, atol=1e-6,
                rtol=1e-6)
    check_grads(lambda n: stats.nbinom.cdf(COUNTS, n, 0.4), (POSITIVE,), order=1, atol=1e-6,
                rtol=1e-6)


# --- multivariate ---------------------------------------------------------------------------

COV = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]])
MEAN = np.array([0.5, -1.0, 0.2])
POINTS = RNG.standard_normal((5, 3))


@pytest.mark.parametrize("cov", [COV, np.array([1.0, 2.0, 0.5]), 1.7])
def test_multivariate_normal_matches_scipy(cov):
    expected = st.multivariate_normal.logpdf(POINTS, MEAN, cov)
    np.testing.assert_allclose(stats.multivariate_normal.logpdf(POINTS, MEAN, cov), expected,
                               rtol=1e-12)
    traced = functrans.vmap(lambda x, m: stats.multivariate_normal.logpdf(x, m, cov),
                            in_axes=(0, None))(POINTS, MEAN)
    np.testing.assert_allclose(traced, expected, rtol=1e-12)
    np.testing.assert_allclose(stats.multivariate_normal.pdf(POINTS[0], MEAN, cov),
                               st.multivariate_normal.pdf(POINTS[0], MEAN, cov), rtol=1e-12)
    np.testing.assert_allclose(stats.multivariate_normal.entropy(MEAN, cov),
                               st.multivariate_normal.entropy(MEAN, cov), rtol=1e-12)


def test_multivariate_normal_with_a_traced_covariance():
    def logpdf(cov):
        return stats.multivariate_normal.logpdf(POINTS, MEAN, cov)
    got = functrans.vmap(logpdf)(np.stack([COV, COV * 2]))
    np.testing.assert_allclose(got[1], st.multivariate_normal.logpdf(POINTS, MEAN, COV * 2),
                               rtol=1e-12)
    np.testing.assert_allclose(functrans.vmap(stats.multivariate_normal.entropy, in_axes=(None, 0))(
        MEAN, np.stack([COV, COV * 2]))[1], st.multivariate_normal.entropy(MEAN, COV * 2),
        rtol=1e-12)
    # the gradient in cov, symmetrized, and second order in x and the mean
    check_grads(lambda cov: logpdf((cov + cov.T) / 2).sum(), (COV,), order=2, atol=1e-6,
                rtol=1e-6)
    check_grads(lambda x, m: stats.multivariate_normal.logpdf(x, m, COV), (POINTS, MEAN),
                order=2, atol=1e-6, rtol=1e-6)


def test_multivariate_normal_one_dimensional_points_and_singular_covariance():
    x = np.array([0.5, 1.0, 2.0])
    np.testing.assert_allclose(stats.multivariate_normal.logpdf(x, 0.0, 2.0),
                               st.multivariate_normal.logpdf(x, 0.0, 2.0), rtol=1e-12)
    singular = np.array([[1.0, 1.0], [1.0, 1.0]])
    with pytest.raises(np.linalg.LinAlgError, match="positive definite"):
        stats.multivariate_normal.logpdf(np.zeros(2), cov=singular)
    with pytest.raises(np.linalg.LinAlgError, match="positive definite"):
        functrans.grad(lambda x: stats.multivariate_normal.logpdf(x, cov=singular))(np.zeros(2))
    points = np.array([[0.0, 0.0], [0.3, 0.3], [0.0, 1.0]])
    np.testing.assert_allclose(
        stats.multivariate_normal.logpdf(points, cov=singular, allow_singular=True),
        st.multivariate_normal.logpdf(points, cov=singular, allow_singular=True), rtol=1e-12)
    with pytest.raises(NotImplementedError, match="allow_singular"):
        functrans.grad(lambda c: stats.multivariate_normal.logpdf(
            np.zeros(2), cov=c, allow_singular=True))(np.eye(2))


def test_dirichlet_matches_scipy():
    alpha = np.array([1.5, 2.0, 3.0])
    x = np.array([[0.2, 0.3, 0.1], [0.3, 0.3, 0.6], [0.5, 0.4, 0.3]])
    np.testing.assert_allclose(stats.dirichlet.logpdf(x, alpha), st.dirichlet.logpdf(x, alpha),
                               rtol=1e-12)
    np.testing.assert_allclose(stats.dirichlet.pdf(x[:2, 0], alpha),
                               st.dirichlet.pdf(x[:2, 0], alpha), rtol=1e-12)
    traced = functrans.vmap(stats.dirichlet.logpdf, in_axes=(1, None))(x, alpha)
    np.testing.assert_allclose(traced, st.dirichlet.logpdf(x, alpha), rtol=1e-12)
    with pytest.raises(ValueError, match="simplex"):
        stats.dirichlet.logpdf(np.array([0.5, 0.6, 0.1]), alpha)
    check_grads(lambda a: stats.dirichlet.logpdf(x, a), (alpha,), order=2)


def test_multinomial_matches_scipy():
    p = np.array([0.2, 0.3, 0.5])
    x = np.array([[1, 2, 3], [1, 1, 1], [0, 0, 6]])
    np.testing.assert_allclose(stats.multinomial.logpmf(x, 6, p), st.multinomial.logpmf(x, 6, p),
                               rtol=1e-12)
    traced = functrans.vmap(lambda p: stats.multinomial.pmf(x, 6, p))(p[None])[0]
    np.testing.assert_allclose(traced, st.multinomial.pmf(x, 6, p), rtol=1e-12)
    check_grads(lambda p: stats.multinomial.logpmf(x[0], 6, p), (p,), order=2)


# --- vmap and jit ---------------------------------------------------------------------------

def many_densities(x, unit, positive, loc, scale):
    return (stats.norm.logpdf(x, loc, scale) + stats.t.logcdf(x, positive + 1, loc, scale)
            + stats.gamma.logpdf(positive, positive + 0.5) + stats.beta.cdf(unit, positive, 2.0)
            + stats.poisson.logpmf(COUNTS, positive) + stats.binom.logcdf(COUNTS, 9, unit)
            + stats.logistic.ppf(unit, loc, scale) + stats.truncnorm.logsf(x, -4.0, 3.5)
            + stats.multivariate_normal.logpdf(x[:, None] * MEAN, MEAN, COV))


ARGUMENTS = (REAL, UNIT, POSITIVE, LOC, np.abs(SCALE))


def test_vmap_matches_a_loop():
    batch = [np.stack([np.roll(a, shift) for shift in range(3)]) for a in ARGUMENTS]
    got = functrans.vmap(many_densities)(*batch)
    expected = np.stack([many_densities(*[b[i] for b in batch]) for i in range(3)])
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.slow
def test_jit_of_densities_and_their_gradient_matches_eager():
    def value_and_gradient(*arguments):
        return functrans.value_and_grad(lambda *a: many_densities(*a).sum(),
                                        argnums=(0, 2, 3, 4))(*arguments)
    got = functrans.jit(value_and_gradient)(*ARGUMENTS)
    expected = value_and_gradient(*ARGUMENTS)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-12)
    for g, e in zip(got[1], expected[1]):
        np.testing.assert_allclose(g, e, rtol=1e-11)
