"""functrans.scipy.special against SciPy: values, dtypes, broadcasting, derivatives, vmap, jit.

The primitives themselves go through every transform in the systematic tests
(primitive_cases.py); here the public functions are checked against SciPy, traced
(where they bind primitives) as well as eager, and the compiled kernels against SciPy's
ufuncs. The jitted functions evaluate many special functions at once, to share compiles.
"""
import numpy as np
import pytest
import scipy.special as sp
from scipy.integrate import quad

import functrans
from functrans import core
from functrans.lax.special import NonDifferentiableArgument
from functrans.scipy import special as fs
from functrans.testing import check_grads

pytestmark = pytest.mark.filterwarnings("ignore::numba.NumbaPerformanceWarning")

RNG = np.random.default_rng(20261203)
X = RNG.uniform(0.2, 4.0, 12)  # positive arguments
A = RNG.uniform(0.5, 3.0, 12)  # shape parameters and orders
P = RNG.uniform(0.05, 0.95, 12)  # probabilities
Z = RNG.uniform(-3.0, 3.0, 12)  # real line
N = np.array([0, 1, 2, 3] * 3)  # integer orders

#: name -> (functrans function of the arrays, SciPy function of the same arrays, arguments)
FUNCTIONS = {
    "gamma": (fs.gamma, sp.gamma, (X,)), "gammaln": (fs.gammaln, sp.gammaln, (X,)),
    "digamma": (fs.digamma, sp.digamma, (X,)), "psi": (fs.psi, sp.psi, (X,)),
    "rgamma": (fs.rgamma, sp.rgamma, (Z,)), "gammasgn": (fs.gammasgn, sp.gammasgn, (Z,)),
    "polygamma": (fs.polygamma, sp.polygamma, (N, X)),
    "multigammaln": (lambda a: fs.multigammaln(a + 2, 3), lambda a: sp.multigammaln(a + 2, 3),
                     (A,)),
    "beta": (fs.beta, sp.beta, (A, X)), "betaln": (fs.betaln, sp.betaln, (A, X)),
    "betainc": (fs.betainc, sp.betainc, (A, X, P)),
    "gammaincinv": (fs.gammaincinv, sp.gammaincinv, (A, P)),
    "gammainccinv": (fs.gammainccinv, sp.gammainccinv, (A, P)),
    "betaincinv": (fs.betaincinv, sp.betaincinv, (A, X, P)),
    "betainccinv": (fs.betainccinv, sp.betainccinv, (A, X, P)),
    "stdtrit": (fs.stdtrit, sp.stdtrit, (X, P)),
    "gammainc": (fs.gammainc, sp.gammainc, (A, X)),
    "gammaincc": (fs.gammaincc, sp.gammaincc, (A, X)),
    "erf": (fs.erf, sp.erf, (Z,)), "erfc": (fs.erfc, sp.erfc, (Z,)),
    "erfinv": (fs.erfinv, sp.erfinv, (P * 2 - 1,)), "erfcinv": (fs.erfcinv, sp.erfcinv, (P * 2,)),
    "ndtr": (fs.ndtr, sp.ndtr, (Z,)), "ndtri": (fs.ndtri, sp.ndtri, (P,)),
    "log_ndtr": (fs.log_ndtr, sp.log_ndtr, (Z * 4,)),
    "expit": (fs.expit, sp.expit, (Z,)), "logit": (fs.logit, sp.logit, (P,)),
    "xlogy": (fs.xlogy, sp.xlogy, (np.where(N == 0, 0.0, Z), X)),
    "xlog1py": (fs.xlog1py, sp.xlog1py, (np.where(N == 0, 0.0, Z), P)),
    "entr": (fs.entr, sp.entr, (np.where(N == 1, 0.0, Z),)),
    "kl_div": (fs.kl_div, sp.kl_div, (np.where(N == 1, 0.0, Z), X)),
    "rel_entr": (fs.rel_entr, sp.rel_entr, (np.where(N == 1, 0.0, Z), X)),
    "i0": (fs.i0, sp.i0, (Z,)), "i1": (fs.i1, sp.i1, (Z,)), "i0e": (fs.i0e, sp.i0e, (Z,)),
    "i1e": (fs.i1e, sp.i1e, (Z,)), "iv": (fs.iv, sp.iv, (A, X)), "ive": (fs.ive, sp.ive, (A, Z)),
    "j0": (fs.j0, sp.j0, (Z,)), "j1": (fs.j1, sp.j1, (Z,)), "jv": (fs.jv, sp.jv, (A, X)),
    "jn": (fs.jn, sp.jn, (N, Z)), "y0": (fs.y0, sp.y0, (X,)), "y1": (fs.y1, sp.y1, (X,)),
    "yv": (fs.yv, sp.yv, (A, X)), "yn": (fs.yn, sp.yn, (N, X)),
    "zeta": (fs.zeta, sp.zeta, (A + 1, X)), "riemann_zeta": (fs.zeta, sp.zeta, (A + 1,)),
    "spence": (fs.spence, sp.spence, (X,)),
    "exp1": (fs.exp1, sp.exp1, (X,)), "expi": (fs.expi, sp.expi, (Z,)),
    "expn": (fs.expn, sp.expn, (N + 1, X)), "poch": (fs.poch, sp.poch, (X, A - 1)),
    "hyp1f1": (fs.hyp1f1, sp.hyp1f1, (A - 1, X, Z)),
    "hyp2f1": (fs.hyp2f1, sp.hyp2f1, (A - 1, X / 2, A + 1, P - 0.5)),
    "factorial": (fs.factorial, sp.factorial, (Z * 2,)),
    "comb": (lambda k: fs.comb(7.0, k), lambda k: sp.comb(7.0, k), (X * 2,)),
}
NAMES = sorted(FUNCTIONS)


def all_functions(*arrays, names=NAMES):
    """The functions ``names`` of FUNCTIONS, each on its own slice of the flat ``arrays``."""
    results, position = {}, 0
    for name in names:
        function, _, arguments = FUNCTIONS[name]
        results[name] = function(*arrays[position:position + len(arguments)])
        position += len(arguments)
    return results


#: the functions checked in float32 too: SciPy's float32 loops, and integer orders
FLOAT32_NAMES = ["betainc", "comb", "erfinv", "expit", "factorial", "gammaln", "iv", "logit",
                 "ndtr", "polygamma", "xlogy", "yn", "zeta"]


def float32_functions(*arrays):
    return all_functions(*arrays, names=FLOAT32_NAMES)


def all_arguments(dtype=None, names=NAMES):
    flat = [x for name in names for x in FUNCTIONS[name][2]]
    return flat if dtype is None else [x.astype(dtype) if x.dtype.kind == "f" else x for x in flat]


def scipy_values(arrays, names=NAMES):
    expected, position = {}, 0
    for name in names:
        _, reference, arguments = FUNCTIONS[name]
        expected[name] = reference(*arrays[position:position + len(arguments)])
        position += len(arguments)
    return expected


def _compare(got, expected, rtol):
    for name in expected:
        g, e = np.asarray(got[name]), np.asarray(expected[name])
        assert g.dtype == e.dtype, (name, g.dtype, e.dtype)
        assert g.shape == e.shape, (name, g.shape, e.shape)
        np.testing.assert_allclose(g, e, rtol=rtol, atol=0, equal_nan=True, err_msg=name)


def test_traced_functions_match_scipy():
    # vmap over a batch of one traces every function into primitives and evaluates them.
    arrays = all_arguments()
    batched = functrans.vmap(all_functions)(*[x[None] for x in arrays])
    got = {name: value[0] for name, value in batched.items()}
    _compare(got, scipy_values(arrays), rtol=1e-13)


def test_eager_functions_are_scipy():
    arrays = all_arguments()
    _compare(all_functions(*arrays), scipy_values(arrays), rtol=0)


@pytest.mark.slow
def test_jit_matches_scipy_in_float64():
    arrays = all_arguments()
    _compare(functrans.jit(all_functions)(*arrays), scipy_values(arrays), rtol=1e-13)


def test_jit_matches_scipy_in_float32_with_scipy_dtypes():
    # SciPy keeps float32 where it has float32 loops, and computes in float64 elsewhere
    # (e.g. yn of an integer order): the dtypes must be SciPy's, the values within a few ulps.
    arrays = all_arguments(np.float32, FLOAT32_NAMES)
    expected = scipy_values(arrays, FLOAT32_NAMES)
    got = functrans.jit(float32_functions)(*arrays)
    assert {np.asarray(v).dtype for v in expected.values()} == {np.dtype(np.float32),
                                                                 np.dtype(np.float64)}
    for name in FLOAT32_NAMES:
        e = np.asarray(expected[name])
        tolerance = 4 * np.finfo(e.dtype).eps if e.dtype == np.float32 else 1e-13
        assert np.asarray(got[name]).dtype == e.dtype, name
        np.testing.assert_allclose(got[name], e, rtol=tolerance, atol=1e-37, equal_nan=True,
                                   err_msg=name)


@pytest.mark.parametrize("arguments", [
    (np.float32(2.0), np.float64(1.0)), (np.arange(1, 4), 2.0), (2, np.float32(1.5)),
    (np.float32(2.0), 1.5), (np.array([1.0, 2.0], np.float16), np.float32(3.0)),
])
def test_traced_dtypes_follow_scipy(arguments):
    ir = functrans.make_jaxpr(lambda a, x: fs.gammainc(a, x))(*arguments)
    assert ir.out_avals[0].dtype == sp.gammainc(*arguments).dtype
    ir = functrans.make_jaxpr(lambda n, x: fs.yn(n, x))(*arguments)
    assert ir.out_avals[0].dtype == sp.yn(*arguments).dtype


def test_broadcasting_matches_scipy():
    a, x = A[:3, None], X[None, :5]
    got = functrans.vmap(lambda a, x: fs.betainc(a, 2.0, x / 5), in_axes=(None, 0))(a, x[None])
    np.testing.assert_allclose(got[0], sp.betainc(a, 2.0, x / 5), rtol=1e-14)
    with pytest.raises(ValueError, match="broadcast"):
        functrans.jvp(lambda x: fs.gammainc(np.ones(3), x), (np.ones(4),), (np.ones(4),))


# --- derivatives --------------------------------------------------------------------------

DERIVATIVES = {
    "gammaln": (lambda x: fs.gammaln(x), (X,)),
    "polygamma": (lambda x: fs.polygamma(N, x), (X,)),
    "multigammaln": (lambda a: fs.multigammaln(a + 2, 4), (A,)),
    "beta": (fs.beta, (A, X)),
    "gammainc": (fs.gammainc, (A, X)),
    "gammaincc": (fs.gammaincc, (A, X)),
    "betainc": (fs.betainc, (A, X, P)),
    "gammaincinv": (fs.gammaincinv, (A, P)),
    "betaincinv": (fs.betaincinv, (A, X, P)),
    "betainccinv": (fs.betainccinv, (A, X, P)),
    "stdtrit": (fs.stdtrit, (X + 1, P)),
    "xlogy": (fs.xlogy, (Z, X)),
    "xlog1py": (fs.xlog1py, (Z, P)),
    "entr": (fs.entr, (X,)),
    "kl_div": (fs.kl_div, (X, A)),
    "logit": (fs.logit, (P,)),
    "comb": (lambda n, k: fs.comb(n + 5, k), (X, A)),
    "zeta_q": (lambda q: fs.zeta(A + 1, q), (X,)),
    "exponential_integrals": (lambda x: fs.exp1(x) + fs.expi(x) + fs.expn(N, x), (X,)),
    "poch": (fs.poch, (X + 0.5, A - 1)),
    "hyp1f1_x": (lambda x: fs.hyp1f1(A - 1, X, x), (Z,)),
    "hyp2f1_x": (lambda x: fs.hyp2f1(A - 1, X / 2, A + 1, x), (P - 0.5,)),
    "bessel_jn": (lambda z: fs.bessel_jn(z, v=3), (Z,)),
    "bessel_orders": (lambda x: fs.iv(A, x) + fs.ive(A, x) + fs.jv(A, x) + fs.yv(A, x)
                      + fs.yn(N, x), (X,)),
    "logsumexp_b": (lambda a, b: fs.logsumexp(a, b=b), (Z, X)),
    "logsumexp_axis": (lambda a: fs.logsumexp(a.reshape(3, 4), axis=1, keepdims=True), (Z,)),
    "softmax": (lambda a: fs.softmax(a.reshape(3, 4), axis=0), (Z,)),
    "log_softmax": (lambda a: fs.log_softmax(a), (Z,)),
}


@pytest.mark.parametrize("name", sorted(DERIVATIVES))
def test_derivatives_match_finite_differences(name):
    function, arguments = DERIVATIVES[name]
    # Second order except for the shape parameters of the incomplete gamma and beta
    # functions and what is made of them (first order only, see below).
    order = 1 if name.startswith(("gammainc", "betainc", "stdtrit")) else 2
    check_grads(function, arguments, order=order, modes=("fwd", "rev"), atol=1e-6, rtol=1e-6)


def test_second_derivatives_of_gammainc_and_betainc_in_x():
    check_grads(lambda x: fs.gammainc(A, x), (X,), order=2, atol=1e-6, rtol=1e-6)
    check_grads(lambda x: fs.betainc(A, X, x), (P,), order=2, atol=1e-6, rtol=1e-6)
    # the mixed derivatives: d/dx of the derivatives in the shape parameters
    check_grads(lambda x: functrans.vmap(functrans.grad(fs.betainc, argnums=(0, 1)))(A, X, x),
                (P,), order=1, atol=1e-6, rtol=1e-6)
    check_grads(lambda x: functrans.vmap(functrans.grad(fs.gammainc))(A, x), (X,), order=1,
                atol=1e-6, rtol=1e-6)


def _gammainc_da_by_quadrature(a, x):
    """d/da gammainc(a, x) from its integral: the lower integral below a + 1, the upper one
    above (each free of cancellation there)."""
    if x < a + 1:
        def integrand(u):
            return np.log(x * u ** (1 / a)) * np.exp(-x * u ** (1 / a)) if u > 0 else 0.0
        moment = quad(integrand, 0, 1, epsabs=0, epsrel=1e-13, limit=200)[0] * x ** a / a
        return moment / sp.gamma(a) - sp.gammainc(a, x) * sp.psi(a)
    scale = np.exp(-x + (a - 1) * np.log(x) - sp.gammaln(a))
    def upper_integrand(s):
        return np.log(x + s) * np.exp(-s + (a - 1) * np.log1p(s / x))
    moment = quad(upper_integrand, 0, np.inf, epsabs=0, epsrel=1e-13, limit=200)[0] * scale
    return sp.gammaincc(a, x) * sp.psi(a) - moment


@pytest.mark.parametrize("a", [0.1, 0.5, 1.0, 2.5, 7.0, 30.0])
def test_gammainc_derivative_in_a_to_1e_10(a):
    x = np.array([1e-3, 0.1, 0.9, 1.5, 3.0, 8.0, 29.0, 31.0, 60.0])
    got = functrans.vmap(functrans.grad(fs.gammainc), in_axes=(None, 0))(a, x)
    expected = [_gammainc_da_by_quadrature(a, value) for value in x]
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-300)


def _betainc_shape_derivative_by_quadrature(a, b, x, argument):
    """d/da (``argument`` 0) or d/db (1) of betainc from the integral of the density times
    log(t) or log(1 - t), over whichever side of x holds less than half the mass; the
    logarithmic endpoint singularities are quad's algebraic-logarithmic weights."""
    shape_term = (sp.psi(a) if argument == 0 else sp.psi(b)) - sp.psi(a + b)
    if sp.betainc(a, b, x) < 0.5:
        low, high, mass, sign = 0.0, x, sp.betainc(a, b, x), 1.0
    else:
        low, high, mass, sign = x, 1.0, sp.betainc(b, a, 1 - x), -1.0
    if argument == 0:  # log(t) * t**(a-1) (1-t)**(b-1): weight log(t - 0) at the left end
        moment = quad(lambda t: (1 - t) ** (b - 1), low, high, weight="alg-loga",
                      wvar=(a - 1, 0), epsabs=0, epsrel=1e-13)[0] if low == 0 else \
            quad(lambda t: np.log(t) * t ** (a - 1) * (1 - t) ** (b - 1), low, high,
                 epsabs=0, epsrel=1e-13)[0]
    else:  # log(1 - t) (1-t)**(b-1): weight log(1 - t) at the right end
        moment = quad(lambda t: t ** (a - 1), low, high, weight="alg-logb",
                      wvar=(0, b - 1), epsabs=0, epsrel=1e-13)[0] if high == 1 else \
            quad(lambda t: np.log1p(-t) * t ** (a - 1) * (1 - t) ** (b - 1), low, high,
                 epsabs=0, epsrel=1e-13)[0]
    return sign * (moment / sp.beta(a, b) - mass * shape_term)


@pytest.mark.parametrize("a,b", [(0.3, 0.4), (1.0, 3.0), (2.5, 0.4), (8.0, 15.0)])
def test_betainc_derivatives_in_a_and_b_to_1e_10(a, b):
    x = np.array([0.01, 0.2, 0.5, 0.8, 0.97])
    got = functrans.vmap(functrans.grad(fs.betainc, argnums=(0, 1)), in_axes=(None, None, 0))(
        a, b, x)
    for argument in (0, 1):
        expected = [_betainc_shape_derivative_by_quadrature(a, b, value, argument) for value in x]
        np.testing.assert_allclose(got[argument], expected, rtol=1e-10, atol=1e-300)


def test_derivatives_not_computed_raise_naming_the_argument():
    with pytest.raises(NonDifferentiableArgument, match="'v'"):
        functrans.grad(fs.iv)(1.5, 2.0)
    with pytest.raises(NonDifferentiableArgument, match="'s'"):
        functrans.grad(fs.zeta)(2.5, 2.0)
    with pytest.raises(NonDifferentiableArgument, match="'a'.*second derivative"):
        functrans.grad(functrans.grad(fs.gammainc))(1.5, 2.0)
    with pytest.raises(NonDifferentiableArgument, match="'b'.*second derivative"):
        functrans.grad(functrans.grad(fs.betainc, argnums=1), argnums=1)(1.5, 2.0, 0.3)
    # The other arguments still differentiate.
    assert np.isclose(functrans.grad(fs.iv, argnums=1)(1.5, 2.0),
                      (sp.iv(0.5, 2.0) + sp.iv(2.5, 2.0)) / 2, rtol=1e-14)


def test_vmap_matches_a_loop():
    def function(a, x):
        return fs.gammainc(a, x) * fs.iv(a, x) + fs.logsumexp(x * a) + fs.polygamma(2, x)
    got = functrans.vmap(function, in_axes=(0, None))(A[:4], X)
    expected = np.stack([function(a, X) for a in A[:4]])
    np.testing.assert_allclose(got, expected, rtol=1e-13)


def test_jit_of_gradients_matches_eager():
    def loss(a, x):
        return (fs.gammaln(x) + fs.gammainc(a, x) + fs.log_ndtr(x - a) + fs.i1e(x) * fs.j1(x)
                + fs.zeta(3.0, x) + fs.erfcinv(x / 5)).sum()
    gradient = functrans.grad(loss, argnums=(0, 1))
    got = functrans.jit(gradient)(A, X)
    expected = gradient(A, X)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-13)


def test_logsumexp_follows_scipy_conventions():
    a = np.array([[0.0, 1.0, -np.inf], [2.0, 3.0, 4.0]])
    b = np.array([[1.0, -3.0, 1.0], [0.0, 1.0, 2.0]])
    for kwargs in [{}, {"axis": 1}, {"axis": 0, "b": b}, {"axis": 1, "b": b, "return_sign": True},
                   {"axis": (0, 1), "keepdims": True}]:
        traced = functrans.vmap(lambda a: fs.logsumexp(a, **kwargs))(a[None])
        expected = sp.logsumexp(a, **kwargs)
        for t, e in zip(traced if isinstance(traced, tuple) else (traced,),
                        expected if isinstance(expected, tuple) else (expected,)):
            np.testing.assert_allclose(np.asarray(t)[0], e, rtol=1e-14)


def test_bessel_jn_stacks_orders_as_jax():
    got = functrans.vmap(lambda z: fs.bessel_jn(z, v=3), out_axes=1)(Z[None])[:, 0]
    np.testing.assert_allclose(got, np.stack([sp.jv(n, Z) for n in range(4)]), rtol=1e-14)


def test_bernoulli_is_scipy():
    np.testing.assert_array_equal(fs.bernoulli(6), sp.bernoulli(6))


def test_riemann_zeta_is_traced_through_hurwitz():
    ir = functrans.make_jaxpr(fs.zeta)(np.float64(2.0))
    assert core.Primitive.registry["zeta"] in [e.primitive for e in ir.equations]
