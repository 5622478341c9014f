"""scipy.linalg's special matrices and Schur-form functions against SciPy.

Traced values and dtypes against SciPy's, gradients against finite differences (float64),
vmap against a loop, jit against eager (one compiled function for the special matrices and
the functions over them, one for schur and hessenberg in every LAPACK type; both slow, as
their first compile costs tens of seconds). schur and hessenberg have no derivative (as in
JAX): differentiating them is an error naming them.
"""
import numpy as np
import pytest
import scipy.linalg

import functrans
import functrans.numpy as fnp
import functrans.scipy.linalg as fsl
from functrans import tree
from functrans.errors import MissingRuleError
from functrans.ir import eval_ir
from functrans.testing import check_grads

RNG = np.random.default_rng(20261203)


def traced(function, *args):
    """``function``'s output leaves computed through its IR, not SciPy's eager path."""
    return eval_ir(functrans.make_jaxpr(function)(*args), *args)


def _compare(got, expected, tolerance=1e-10):
    got, expected = tree.leaves(got), tree.leaves(tuple(expected) if isinstance(
        expected, (tuple, list)) else expected)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        e = np.asarray(e)
        assert np.shape(g) == e.shape and np.asarray(g).dtype == e.dtype, (
            np.shape(g), e.shape, np.asarray(g).dtype, e.dtype)
        np.testing.assert_allclose(np.asarray(g), e, rtol=tolerance, atol=tolerance)


def _vector(n, dtype=np.float64, batch=()):
    return RNG.uniform(-2, 2, batch + (n,)).astype(dtype)


def _real_schur_with_pairs(n=5, seed=0):
    """A real Schur form with complex pairs (a random matrix has some)."""
    return scipy.linalg.schur(np.random.default_rng(seed).standard_normal((n, n)))


#: name -> (function of the arrays, argument builders)
CONSTRUCTOR_CASES = {
    "circulant": ("circulant", lambda c: (c,), [lambda: _vector(4)]),
    "circulant (batch)": ("circulant", lambda c: (c,), [lambda: _vector(3, batch=(2,))]),
    "circulant (float32)": ("circulant", lambda c: (c,), [lambda: _vector(3, np.float32)]),
    "hankel": ("hankel", lambda c, r: (c, r), [lambda: _vector(4), lambda: _vector(3)]),
    "hankel (no r)": ("hankel", lambda c: (c,), [lambda: _vector(3)]),
    "leslie": ("leslie", lambda f, s: (f, s), [lambda: _vector(4), lambda: _vector(3)]),
    "leslie (batch)": ("leslie", lambda f, s: (f, s),
                       [lambda: _vector(3, batch=(2,)), lambda: _vector(2, batch=(2,))]),
    "companion": ("companion", lambda a: (a,), [lambda: _vector(4) + 3.0]),
    "companion (float32)": ("companion", lambda a: (a,),
                            [lambda: _vector(3, np.float32) + 3.0]),
    "companion (int)": ("companion", lambda a: (a,), [lambda: np.array([1, 2, 3])]),
    "fiedler": ("fiedler", lambda a: (a,), [lambda: _vector(4)]),
    "fiedler_companion (2)": ("fiedler_companion", lambda a: (a,), [lambda: _vector(2) + 3.0]),
    "fiedler_companion (5)": ("fiedler_companion", lambda a: (a,), [lambda: _vector(5) + 3.0]),
    "fiedler_companion (8)": ("fiedler_companion", lambda a: (a,), [lambda: _vector(8) + 3.0]),
}
for _mode in ("full", "same", "valid"):
    for _m, _n in ((4, 3), (3, 5), (2, 6)):
        CONSTRUCTOR_CASES[f"convolution_matrix ({_mode}, {_m}, {_n})"] = (
            "convolution_matrix", lambda a, n=_n, mode=_mode: (a, n, mode),
            [lambda m=_m: _vector(m)])


@pytest.mark.parametrize("name", sorted(CONSTRUCTOR_CASES))
def test_special_matrices_traced_match_scipy(name):
    function_name, arguments, builders = CONSTRUCTOR_CASES[name]
    args = [build() for build in builders]
    ours, theirs = getattr(fsl, function_name), getattr(scipy.linalg, function_name)
    expected = theirs(*arguments(*args))
    _compare(ours(*arguments(*args)), expected)  # eager: SciPy itself
    _compare(traced(lambda *xs: ours(*arguments(*xs)), *args), expected, 1e-6)


def test_constant_matrices_are_scipys_with_its_keywords():
    for got, expected in [
            (fsl.dft(4, scale="sqrtn"), scipy.linalg.dft(4, scale="sqrtn")),
            (fsl.hadamard(4, dtype=np.float32), scipy.linalg.hadamard(4, np.float32)),
            (fsl.helmert(4, full=True), scipy.linalg.helmert(4, full=True)),
            (fsl.invhilbert(4, exact=True), scipy.linalg.invhilbert(4, exact=True)),
            (fsl.pascal(4, kind="lower"), scipy.linalg.pascal(4, kind="lower")),
            (fsl.invpascal(4, kind="upper", exact=False),
             scipy.linalg.invpascal(4, kind="upper", exact=False))]:
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


def test_schur_and_hessenberg_traced_match_scipy():
    a = RNG.standard_normal((2, 4, 4))
    complex_a = a[0] + 1j * RNG.standard_normal((4, 4))
    cases = [
        (lambda x: fsl.schur(x), a[0], scipy.linalg.schur(a[0]), 1e-10),
        (lambda x: fsl.schur(x, output="complex"), a[0],
         scipy.linalg.schur(a[0], output="complex"), 1e-10),
        (lambda x: fsl.schur(x), a[0].astype(np.float32),
         scipy.linalg.schur(a[0].astype(np.float32)), 1e-4),
        (lambda x: fsl.schur(x), complex_a, scipy.linalg.schur(complex_a), 1e-10),
        (lambda x: fsl.hessenberg(x), a[0], scipy.linalg.hessenberg(a[0]), 1e-10),
        (lambda x: fsl.hessenberg(x, calc_q=True), complex_a,
         scipy.linalg.hessenberg(complex_a, calc_q=True), 1e-10),
        (lambda x: fsl.schur(x), a, [np.stack(parts) for parts in
                                     zip(*(scipy.linalg.schur(m) for m in a))], 1e-10),
    ]
    for function, x, expected, tolerance in cases:
        _compare(traced(function, x), expected, tolerance)


def test_rsf2csf_and_funm_traced_match_scipy():
    for seed in range(4):
        t, z = _real_schur_with_pairs(5, seed)
        _compare(traced(fsl.rsf2csf, t, z), scipy.linalg.rsf2csf(t, z), 1e-9)
    a = RNG.standard_normal((4, 4))
    # Traced, funm is complex (as JAX's); SciPy returns the real part when it can.
    got = traced(lambda x: fsl.funm(x, fnp.exp), a)[0]
    assert got.dtype == np.complex128
    np.testing.assert_allclose(got, scipy.linalg.funm(a, np.exp), atol=1e-10)
    np.testing.assert_allclose(got, scipy.linalg.expm(a), atol=1e-10)
    value, error = traced(lambda x: fsl.funm(x, fnp.sin, disp=False), a)
    expected_value, expected_error = scipy.linalg.funm(a, np.sin, disp=False)
    np.testing.assert_allclose(value, expected_value, atol=1e-10)
    np.testing.assert_allclose(error, expected_error, rtol=1e-6)


def _squared_vectors(values_and_vectors):
    w, v = values_and_vectors
    return w, v ** 2


def test_solve_sylvester_qr_multiply_eigh_tridiagonal_traced_match_scipy():
    a, b = RNG.standard_normal((4, 4)), RNG.standard_normal((3, 3))
    q = RNG.standard_normal((4, 3))
    tall, wide = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 5))
    d, e = _vector(5), _vector(4)
    cases = [
        (fsl.solve_sylvester, (a, b, q), 1e-9),
        (fsl.solve_sylvester, (a.astype(np.float32), b.astype(np.float32),
                               q.astype(np.float32)), 1e-3),
        (fsl.solve_sylvester, (a + 1j * a.T, b, q), 1e-9),
        (lambda x, c: fsl.qr_multiply(x, c, "left"), (tall, RNG.standard_normal((3, 2))), 1e-10),
        (lambda x, c: fsl.qr_multiply(x, c), (tall, RNG.standard_normal((2, 4))), 1e-10),
        (lambda x, c: fsl.qr_multiply(x, c), (wide, RNG.standard_normal((2, 3))), 1e-10),
        (lambda x, c: fsl.qr_multiply(x, c, conjugate=True), (tall, _vector(4)), 1e-10),
        (lambda x, c: fsl.qr_multiply(x, c, "left"), (tall.astype(np.float32), _vector(3)),
         1e-4),
        (lambda d, e: fsl.eigh_tridiagonal(d, e), (d, e), 1e-10),
        (lambda d, e: fsl.eigh_tridiagonal(d, e, eigvals_only=True), (d, e), 1e-10),
        # The eigenvectors squared: their signs are LAPACK's choice (SciPy's stemr here).
        (lambda d, e: _squared_vectors(fsl.eigh_tridiagonal(d, e, select="i",
                                                            select_range=(1, 3))), (d, e), 1e-9),
    ]
    references = [scipy.linalg.solve_sylvester] * 3 + [
        lambda x, c: scipy.linalg.qr_multiply(x, c, "left"), scipy.linalg.qr_multiply,
        scipy.linalg.qr_multiply,
        lambda x, c: scipy.linalg.qr_multiply(x, c, conjugate=True),
        lambda x, c: scipy.linalg.qr_multiply(x, c, "left"), scipy.linalg.eigh_tridiagonal,
        lambda d, e: scipy.linalg.eigh_tridiagonal(d, e, eigvals_only=True),
        lambda d, e: _squared_vectors(scipy.linalg.eigh_tridiagonal(d, e, select="i",
                                                                    select_range=(1, 3)))]
    for (function, args, tolerance), reference in zip(cases, references):
        _compare(traced(function, *args), reference(*args), tolerance)


def test_solve_sylvester_batches_as_scipy():
    a, b = RNG.standard_normal((2, 3, 3)), RNG.standard_normal((2, 2))
    q = RNG.standard_normal((3, 2))
    _compare(traced(fsl.solve_sylvester, a, b, q), scipy.linalg.solve_sylvester(a, b, q), 1e-9)


def _eigenvalue_gap_tridiagonal(d, e):
    w, v = fsl.eigh_tridiagonal(d + np.array([0.0, 3.0, 6.0, 9.0]), e)
    return w, v ** 2


def _rsf2csf_parts(t, z):
    """rsf2csf's outputs as real arrays, as a function of the entries of ``t`` its real
    Schur structure keeps (perturbing a zero below the diagonal would change the form)."""
    t0, _ = _real_schur_with_pairs(4, 1)
    t = fnp.where((np.abs(t0) > 0) | np.triu(np.ones((4, 4), bool)), t, t0)
    return [part(x) for part in (fnp.real, fnp.imag) for x in fsl.rsf2csf(t, z)]


#: name -> (function, arguments); derivatives checked against finite differences
GRADIENT_CASES = {
    "circulant": (fsl.circulant, (_vector(3),)),
    "hankel": (fsl.hankel, (_vector(3), _vector(4))),
    "leslie": (fsl.leslie, (_vector(3), _vector(2))),
    "companion": (fsl.companion, (_vector(4) + 4.0,)),
    "fiedler": (fsl.fiedler, (np.array([0.3, -1.2, 2.0]),)),
    "fiedler_companion": (fsl.fiedler_companion, (_vector(5) + 4.0,)),
    "convolution_matrix": (lambda a: fsl.convolution_matrix(a, 4, "same"), (_vector(3),)),
    "solve_sylvester": (fsl.solve_sylvester, (RNG.standard_normal((3, 3)) + 3 * np.eye(3),
                                              RNG.standard_normal((2, 2)) + 3 * np.eye(2),
                                              RNG.standard_normal((3, 2)))),
    "qr_multiply (left)": (lambda a, c: fsl.qr_multiply(a, c, "left"),
                           (RNG.standard_normal((4, 3)) + 2 * np.eye(4, 3),
                            RNG.standard_normal((3, 2)))),
    "qr_multiply (right)": (lambda a, c: fsl.qr_multiply(a, c),
                            (RNG.standard_normal((4, 3)) + 2 * np.eye(4, 3),
                             RNG.standard_normal((2, 4)))),
    "eigh_tridiagonal": (_eigenvalue_gap_tridiagonal, (0.3 * _vector(4), 0.3 * _vector(3))),
    "rsf2csf": (_rsf2csf_parts, _real_schur_with_pairs(4, 1)),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_gradients_match_finite_differences(name):
    function, args = GRADIENT_CASES[name]
    check_grads(function, args, order=1, modes=("fwd", "rev"), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ["schur", "hessenberg", "funm"])
def test_schur_forms_have_no_derivative_and_say_so(name):
    function = {"schur": lambda a: fsl.schur(a)[0],
                "hessenberg": fsl.hessenberg,
                "funm": lambda a: fnp.real(fsl.funm(a, fnp.exp))}[name]
    with pytest.raises(MissingRuleError, match="schur" if name == "funm" else name):
        functrans.grad(lambda a: fnp.sum(function(a)))(RNG.standard_normal((3, 3)))


def _schur_forms(a32, a64, c64, c128):
    """schur and hessenberg of every LAPACK type, in one function compiled once."""
    return (fsl.schur(a32), fsl.schur(a64), fsl.schur(a64, output="complex"), fsl.schur(c64),
            fsl.schur(c128), fsl.hessenberg(a32, calc_q=True), fsl.hessenberg(a64),
            fsl.hessenberg(c64, calc_q=True), fsl.hessenberg(c128, calc_q=True))


@pytest.mark.slow
def test_schur_forms_jit_matches_scipy():
    """The numba lowering calls SciPy's LAPACK (cython_lapack): SciPy's values exactly."""
    real = RNG.standard_normal((2, 4, 4))
    complex_ = real + 1j * RNG.standard_normal((2, 4, 4))
    args = (real.astype(np.float32), real, complex_.astype(np.complex64), complex_)
    got = tree.leaves(functrans.jit(_schur_forms)(*args))
    expected = []
    for function, x in [(scipy.linalg.schur, args[0]), (scipy.linalg.schur, args[1]),
                        (lambda m: scipy.linalg.schur(m, output="complex"), args[1]),
                        (scipy.linalg.schur, args[2]), (scipy.linalg.schur, args[3]),
                        (lambda m: scipy.linalg.hessenberg(m, calc_q=True), args[0]),
                        (lambda m: (scipy.linalg.hessenberg(m),), args[1]),
                        (lambda m: scipy.linalg.hessenberg(m, calc_q=True), args[2]),
                        (lambda m: scipy.linalg.hessenberg(m, calc_q=True), args[3])]:
        expected += [np.stack(parts) for parts in zip(*(function(m) for m in x))]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.dtype == e.dtype and g.shape == e.shape
        tolerance = 1e-4 if e.dtype in (np.float32, np.complex64) else 1e-12
        np.testing.assert_allclose(g, e, rtol=tolerance, atol=tolerance)


VMAP_CASES = {
    "schur": (lambda a: fsl.schur(a), (RNG.standard_normal((3, 4, 4)),)),
    "hessenberg": (lambda a: fsl.hessenberg(a, calc_q=True), (RNG.standard_normal((3, 4, 4)),)),
    "circulant": (fsl.circulant, (RNG.standard_normal((3, 4)),)),
    "solve_sylvester": (fsl.solve_sylvester, (RNG.standard_normal((3, 3, 3)),
                                              RNG.standard_normal((3, 2, 2)),
                                              RNG.standard_normal((3, 3, 2)))),
    "qr_multiply": (lambda a, c: fsl.qr_multiply(a, c, "left"),
                    (RNG.standard_normal((3, 4, 3)), RNG.standard_normal((3, 3, 2)))),
    "eigh_tridiagonal": (lambda d, e: fsl.eigh_tridiagonal(d, e, eigvals_only=True),
                         (RNG.standard_normal((3, 4)), RNG.standard_normal((3, 3)))),
    "rsf2csf": (fsl.rsf2csf, tuple(np.stack(x) for x in
                                   zip(*(_real_schur_with_pairs(4, s) for s in range(3))))),
}


@pytest.mark.parametrize("name", sorted(VMAP_CASES))
def test_vmap_matches_loop(name):
    function, args = VMAP_CASES[name]
    batched = functrans.vmap(function)(*args)
    for i in range(args[0].shape[0]):
        expected = traced(function, *[x[i] for x in args])
        for got, want in zip(tree.leaves(batched), tree.leaves(expected)):
            np.testing.assert_allclose(np.asarray(got)[i], want, rtol=1e-10, atol=1e-10)


def _many(c, a, b, q, t, z):
    """Everything here that jit lowers, in one function, so it compiles once."""
    w, v = fsl.eigh_tridiagonal(c, c[1:])
    return (fsl.circulant(c), fsl.hankel(c, c[::-1]), fsl.leslie(c, c[1:]),
            fsl.companion(c + 4.0), fsl.fiedler(c), fsl.fiedler_companion(c + 4.0),
            fsl.convolution_matrix(c, 3, "valid"), fsl.solve_sylvester(a, b, q),
            fsl.qr_multiply(a, q, "left"), w, v ** 2, fsl.rsf2csf(t, z))


@pytest.mark.slow
def test_jit_matches_eager():
    t, z = _real_schur_with_pairs(4, 2)
    args = (_vector(4), RNG.standard_normal((3, 3)) + 3 * np.eye(3),
            RNG.standard_normal((2, 2)) + 3 * np.eye(2), RNG.standard_normal((3, 2)), t, z)
    expected = traced(_many, *args)
    got = functrans.jit(_many)(*args)
    for g, e in zip(tree.leaves(got), expected):
        assert np.asarray(g).dtype == np.asarray(e).dtype
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-9)
