"""functrans.numpy.linalg and functrans.scipy.linalg against NumPy and SciPy.

Each function runs traced (through its IR, on the decomposition primitives) on stacks of
well-conditioned matrices in float32 and float64 and is compared with NumPy/SciPy on the
same input; gradients are checked against finite differences (first and second order),
vmap against a loop, jit against eager (one compiled function per dtype for many
functions, as each compile costs seconds).
"""
import numpy as np
import pytest
import scipy.linalg

import functrans
import functrans.numpy as fnp
import functrans.scipy.linalg as fsl
from functrans import tree
from functrans.ir import eval_ir
from functrans.testing import check_grads

RNG = np.random.default_rng(20261203)
BATCH = (2,)
N = 3


def _general(dtype, batch=BATCH, n=N):
    """Diagonally dominant, so solves and LU are well conditioned."""
    return (RNG.uniform(-1, 1, batch + (n, n)) + (n + 1) * np.eye(n)).astype(dtype)


def _positive_definite(dtype, batch=BATCH, n=N):
    x = RNG.uniform(-1, 1, batch + (n, n))
    return (x @ np.swapaxes(x, -1, -2) + n * np.eye(n)).astype(dtype)


def _rectangular(dtype, m=4, n=3, batch=BATCH):
    """Singular values kept apart (1, 2.5, 4, ...) under random rotations."""
    rotations = [np.linalg.qr(RNG.standard_normal(batch + (k, k)))[0] for k in (m, n)]
    spread = np.eye(m, n) * (1.0 + 1.5 * np.arange(n))
    return (rotations[0] @ spread @ rotations[1]).astype(dtype)


def _matrix(dtype, batch=BATCH, n=N):
    return RNG.uniform(-1, 1, batch + (n, n)).astype(dtype)


def _vectors(dtype, shape=BATCH + (N, 2)):
    return RNG.uniform(-1, 1, shape).astype(dtype)


def traced(function, *args):
    """``function``'s output leaves computed through its IR, not NumPy's eager path."""
    return eval_ir(functrans.make_jaxpr(function)(*args), *args)


#: name -> (functrans function, NumPy/SciPy function, argument builders(dtype))
NUMPY_CASES = {
    "solve": (fnp.linalg.solve, np.linalg.solve, (_general, _vectors)),
    "solve (vector)": (fnp.linalg.solve, np.linalg.solve,
                       (lambda d: _general(d, ()), lambda d: _vectors(d, (N,)))),
    "inv": (fnp.linalg.inv, np.linalg.inv, (_general,)),
    "det": (fnp.linalg.det, np.linalg.det, (_matrix,)),
    "slogdet": (fnp.linalg.slogdet, np.linalg.slogdet, (_matrix,)),
    "cholesky": (fnp.linalg.cholesky, np.linalg.cholesky, (_positive_definite,)),
    "cholesky (upper)": (lambda a: fnp.linalg.cholesky(a, upper=True),
                         lambda a: np.linalg.cholesky(a, upper=True), (_positive_definite,)),
    "eigh": (fnp.linalg.eigh, np.linalg.eigh, (_positive_definite,)),
    "eigvalsh (U)": (lambda a: fnp.linalg.eigvalsh(a, "U"), lambda a: np.linalg.eigvalsh(a, "U"),
                     (_matrix,)),
    "svd": (fnp.linalg.svd, np.linalg.svd, (_matrix,)),
    "svd (reduced)": (lambda a: fnp.linalg.svd(a, full_matrices=False),
                      lambda a: np.linalg.svd(a, full_matrices=False), (_rectangular,)),
    "svd (values)": (lambda a: fnp.linalg.svd(a, compute_uv=False),
                     lambda a: np.linalg.svd(a, compute_uv=False), (_rectangular,)),
    "svd (hermitian)": (lambda a: fnp.linalg.svd(a, hermitian=True),
                        lambda a: np.linalg.svd(a, hermitian=True), (_positive_definite,)),
    "svdvals": (fnp.linalg.svdvals, np.linalg.svdvals, (_rectangular,)),
    "qr": (fnp.linalg.qr, np.linalg.qr, (_rectangular,)),
    "qr (complete)": (lambda a: fnp.linalg.qr(a, "complete"), lambda a: np.linalg.qr(a, "complete"),
                      (_rectangular,)),
    "qr (r)": (lambda a: fnp.linalg.qr(a, "r"), lambda a: np.linalg.qr(a, "r"), (_rectangular,)),
    "pinv": (fnp.linalg.pinv, np.linalg.pinv, (_rectangular,)),
    "pinv (hermitian)": (lambda a: fnp.linalg.pinv(a, hermitian=True),
                         lambda a: np.linalg.pinv(a, hermitian=True), (_positive_definite,)),
    "matrix_power 3": (lambda a: fnp.linalg.matrix_power(a, 3),
                       lambda a: np.linalg.matrix_power(a, 3), (_matrix,)),
    "matrix_power -2": (lambda a: fnp.linalg.matrix_power(a, -2),
                        lambda a: np.linalg.matrix_power(a, -2), (_general,)),
    "matrix_power 0": (lambda a: fnp.linalg.matrix_power(a, 0),
                       lambda a: np.linalg.matrix_power(a, 0), (_general,)),
    "matrix_rank": (fnp.linalg.matrix_rank, np.linalg.matrix_rank,
                    (lambda d: np.stack([_matrix(d, ()), np.outer([1, 2, 3], [1, 0, 1]).astype(d)]),)),
    "lstsq": (lambda a, b: fnp.linalg.lstsq(a, b), lambda a, b: np.linalg.lstsq(a, b),
              (lambda d: _rectangular(d, batch=()), lambda d: _vectors(d, (4, 2)))),
    "lstsq (vector, wide)": (lambda a, b: fnp.linalg.lstsq(a, b), lambda a, b: np.linalg.lstsq(a, b),
                             (lambda d: _rectangular(d, 2, 3, ()), lambda d: _vectors(d, (2,)))),
    "multi_dot": (lambda a, b, c: fnp.linalg.multi_dot([a, b, c]),
                  lambda a, b, c: np.linalg.multi_dot([a, b, c]),
                  (lambda d: _vectors(d, (3,)), lambda d: _matrix(d, ()), lambda d: _vectors(d, (3, 2)))),
    "tensorinv": (lambda a: fnp.linalg.tensorinv(a, 1), lambda a: np.linalg.tensorinv(a, 1),
                  (lambda d: _general(d, (), 6).reshape(6, 2, 3),)),
    "tensorsolve": (fnp.linalg.tensorsolve, np.linalg.tensorsolve,
                    (lambda d: _general(d, (), 6).reshape(2, 3, 2, 3), lambda d: _vectors(d, (2, 3)))),
    "cond": (fnp.linalg.cond, np.linalg.cond, (_general,)),
    "cond (-2)": (lambda a: fnp.linalg.cond(a, -2), lambda a: np.linalg.cond(a, -2), (_general,)),
    "cond (1)": (lambda a: fnp.linalg.cond(a, 1), lambda a: np.linalg.cond(a, 1), (_general,)),
    "matrix_norm (nuc)": (lambda a: fnp.linalg.matrix_norm(a, ord="nuc"),
                          lambda a: np.linalg.matrix_norm(a, ord="nuc"), (_rectangular,)),
    "vector_norm (3, axes)": (lambda a: fnp.linalg.vector_norm(a, ord=3, axis=(0, 2), keepdims=True),
                              lambda a: np.linalg.vector_norm(a, ord=3, axis=(0, 2), keepdims=True),
                              (_matrix,)),
    "vector_norm (all)": (fnp.linalg.vector_norm, np.linalg.vector_norm, (_matrix,)),
    "vecdot": (fnp.linalg.vecdot, np.linalg.vecdot, (_matrix, _matrix)),
    "cross": (lambda a, b: fnp.linalg.cross(a, b, axis=1), lambda a, b: np.linalg.cross(a, b, axis=1),
              (_matrix, _matrix)),
    "outer": (fnp.linalg.outer, np.linalg.outer, (lambda d: _vectors(d, (3,)),) * 2),
    "trace": (lambda a: fnp.linalg.trace(a, offset=1), lambda a: np.linalg.trace(a, offset=1),
              (_matrix,)),
    "diagonal": (fnp.linalg.diagonal, np.linalg.diagonal, (_matrix,)),
    "matrix_transpose": (fnp.linalg.matrix_transpose, np.linalg.matrix_transpose, (_rectangular,)),
    "tensordot": (lambda a, b: fnp.linalg.tensordot(a, b, axes=([2], [1])),
                  lambda a, b: np.linalg.tensordot(a, b, axes=([2], [1])), (_matrix, _matrix)),
    "norm (integers)": (fnp.linalg.norm, np.linalg.norm, (lambda d: np.arange(6).reshape(2, 3),)),
}
for _ord in [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]:
    NUMPY_CASES[f"norm (matrix, {_ord})"] = (
        (lambda o: lambda a: fnp.linalg.norm(a, o, axis=(2, 1), keepdims=True))(_ord),
        (lambda o: lambda a: np.linalg.norm(a, o, axis=(2, 1), keepdims=True))(_ord), (_matrix,))
for _ord in [None, 0, 1, 2, 3, 0.5, -1, np.inf, -np.inf]:
    NUMPY_CASES[f"norm (vector, {_ord})"] = (
        (lambda o: lambda a: fnp.linalg.norm(a, o, axis=-1))(_ord),
        (lambda o: lambda a: np.linalg.norm(a, o, axis=-1))(_ord), (_matrix,))
NUMPY_CASES["norm (flattened)"] = (fnp.linalg.norm, np.linalg.norm, (_matrix,))
NUMPY_CASES["norm (2-d fro, keepdims)"] = (lambda a: fnp.linalg.norm(a, "fro", keepdims=True),
                                           lambda a: np.linalg.norm(a, "fro", keepdims=True),
                                           (lambda d: _matrix(d, ()),))


def _upper(dtype):
    return np.triu(_general(dtype, ()))


SCIPY_CASES = {
    "solve_triangular": (lambda a, b: fsl.solve_triangular(a, b, trans=1, lower=True),
                         lambda a, b: scipy.linalg.solve_triangular(a, b, trans=1, lower=True),
                         (lambda d: _general(d, ()), lambda d: _vectors(d, (N, 2)))),
    "solve_triangular (vector, unit)": (
        lambda a, b: fsl.solve_triangular(a, b, unit_diagonal=True),
        lambda a, b: scipy.linalg.solve_triangular(a, b, unit_diagonal=True),
        (lambda d: _general(d, ()), lambda d: _vectors(d, (N,)))),
    "cho_factor": (lambda a: fsl.cho_factor(a)[0], lambda a: scipy.linalg.cho_factor(a)[0],
                   (lambda d: _positive_definite(d, ()),)),
    "cho_solve": (lambda a, b: fsl.cho_solve(fsl.cho_factor(a), b),
                  lambda a, b: scipy.linalg.cho_solve(scipy.linalg.cho_factor(a), b),
                  (lambda d: _positive_definite(d, ()), lambda d: _vectors(d, (N, 2)))),
    "cho_solve (lower)": (lambda a, b: fsl.cho_solve(fsl.cho_factor(a, lower=True), b),
                          lambda a, b: scipy.linalg.cho_solve(scipy.linalg.cho_factor(a, lower=True), b),
                          (lambda d: _positive_definite(d, ()), lambda d: _vectors(d, (N,)))),
    "lu_factor": (fsl.lu_factor, scipy.linalg.lu_factor, (lambda d: _matrix(d, ()),)),
    "lu_solve": (lambda a, b: fsl.lu_solve(fsl.lu_factor(a), b),
                 lambda a, b: scipy.linalg.lu_solve(scipy.linalg.lu_factor(a), b),
                 (lambda d: _matrix(d, (), 4), lambda d: _vectors(d, (4, 2)))),
    "lu_solve (transposed)": (lambda a, b: fsl.lu_solve(fsl.lu_factor(a), b, trans=1),
                              lambda a, b: scipy.linalg.lu_solve(scipy.linalg.lu_factor(a), b, trans=1),
                              (lambda d: _matrix(d, (), 4), lambda d: _vectors(d, (4,)))),
    "lu": (fsl.lu, scipy.linalg.lu, (lambda d: _rectangular(d, 4, 3, ()),)),
    "lu (wide, p_indices)": (lambda a: fsl.lu(a, p_indices=True),
                             lambda a: scipy.linalg.lu(a, p_indices=True),
                             (lambda d: _rectangular(d, 2, 3, ()),)),
    "lu (permute_l)": (lambda a: fsl.lu(a, permute_l=True),
                       lambda a: scipy.linalg.lu(a, permute_l=True), (lambda d: _matrix(d, ()),)),
    "expm": (fsl.expm, scipy.linalg.expm, (_matrix,)),
    "expm (scaled)": (lambda a: fsl.expm(8 * a), lambda a: scipy.linalg.expm(8 * a), (_matrix,)),
    "sqrtm": (fsl.sqrtm, scipy.linalg.sqrtm, (lambda d: _positive_definite(d, ()),)),
    "sqrtm (triangular)": (fsl.sqrtm, scipy.linalg.sqrtm, (_upper,)),
    "solve (pos)": (lambda a, b: fsl.solve(a, b, assume_a="pos"),
                    lambda a, b: scipy.linalg.solve(a, b, assume_a="pos"),
                    (lambda d: _positive_definite(d, ()), lambda d: _vectors(d, (N, 2)))),
    "cholesky": (fsl.cholesky, scipy.linalg.cholesky, (lambda d: _positive_definite(d, ()),)),
    # SciPy computes expm_frechet in float64 whatever the input; functrans keeps float32.
    "expm_frechet": (fsl.expm_frechet,
                     lambda a, e: [x.astype(a.dtype) for x in scipy.linalg.expm_frechet(a, e)],
                     (lambda d: _matrix(d, ()), lambda d: _matrix(d, ()))),
    "polar": (fsl.polar, scipy.linalg.polar, (lambda d: _rectangular(d, batch=()),)),
    "polar (left)": (lambda a: fsl.polar(a, "left"), lambda a: scipy.linalg.polar(a, "left"),
                     (lambda d: _rectangular(d, 2, 3, ()),)),
    "block_diag": (fsl.block_diag, scipy.linalg.block_diag,
                   (lambda d: _matrix(d, ()), lambda d: _vectors(d, (2,)), lambda d: _vectors(d, (4, 2)))),
    "toeplitz": (fsl.toeplitz, scipy.linalg.toeplitz,
                 (lambda d: _vectors(d, (3,)), lambda d: _vectors(d, (4,)))),
    "qr (economic)": (lambda a: fsl.qr(a, mode="economic"),
                      lambda a: scipy.linalg.qr(a, mode="economic"), (lambda d: _rectangular(d, batch=()),)),
}

DTYPES = [np.float64, np.float32]


def _compare(got, expected, dtype):
    got, expected = tree.leaves(got), tree.leaves(expected)
    assert len(got) == len(expected)
    tolerance = 1e-9 if dtype == np.float64 else 2e-4
    for g, e in zip(got, expected):
        e = np.asarray(e)
        assert np.shape(g) == e.shape and np.asarray(g).dtype == e.dtype, (
            np.shape(g), e.shape, np.asarray(g).dtype, e.dtype)
        np.testing.assert_allclose(np.asarray(g), e, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", sorted(NUMPY_CASES))
def test_numpy_linalg_traced_matches_numpy(name, dtype):
    function, reference, builders = NUMPY_CASES[name]
    args = [build(dtype) for build in builders]
    expected = reference(*args)
    _compare(function(*args), expected, dtype)  # eager: NumPy itself
    _compare(traced(function, *args), expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", sorted(SCIPY_CASES))
def test_scipy_linalg_traced_matches_scipy(name, dtype):
    function, reference, builders = SCIPY_CASES[name]
    args = [build(dtype) for build in builders]
    expected = reference(*args)
    if name.startswith(("expm", "sqrtm")) and name != "expm_frechet":
        # Different algorithms from SciPy's (no Schur form): equal to rounding of the result.
        got = traced(function, *args)
        np.testing.assert_allclose(got[0], expected, rtol=1e-6 if dtype == np.float64 else 1e-3,
                                   atol=1e-6 if dtype == np.float64 else 1e-3)
        assert got[0].dtype == expected.dtype
        return
    _compare(traced(function, *args), expected, dtype)


def test_scipy_eigh_is_an_eigendecomposition():
    # SciPy's default driver chooses other signs for the eigenvectors than NumPy's.
    a = _positive_definite(np.float64, ())
    w, v = traced(fsl.eigh, a)
    np.testing.assert_allclose(w, scipy.linalg.eigh(a, eigvals_only=True), rtol=1e-12)
    np.testing.assert_allclose(v @ np.diag(w) @ v.T, a, rtol=1e-12, atol=1e-12)


#: name -> (function, argument builders): gradients checked at first and second order
GRADIENT_CASES = {
    "solve": (fnp.linalg.solve, (_general, _vectors)),
    "inv": (fnp.linalg.inv, (_general,)),
    "det": (fnp.linalg.det, (_general,)),
    "slogdet": (lambda a: fnp.linalg.slogdet(a)[1], (_general,)),
    "cholesky": (fnp.linalg.cholesky, (_positive_definite,)),
    "eigh": (lambda a: tuple(fnp.linalg.eigh(a)), (lambda d: _rectangular(d, 3, 3)
                                                     @ np.swapaxes(_rectangular(d, 3, 3), -1, -2),)),
    "svd": (lambda a: tuple(fnp.linalg.svd(a, full_matrices=False)), (_rectangular,)),
    "svd (wide)": (lambda a: tuple(fnp.linalg.svd(a, full_matrices=False)),
                   (lambda d: _rectangular(d, 2, 3),)),
    "qr": (lambda a: tuple(fnp.linalg.qr(a)), (_rectangular,)),
    "pinv": (fnp.linalg.pinv, (_rectangular,)),
    "lstsq": (lambda a, b: fnp.linalg.lstsq(a, b)[0], (lambda d: _rectangular(d, batch=()),
                                                       lambda d: _vectors(d, (4,)))),
    "norm (nuc)": (lambda a: fnp.linalg.norm(a, "nuc", axis=(1, 2)), (_rectangular,)),
    "norm (2)": (lambda a: fnp.linalg.norm(a, 2, axis=(1, 2)), (_rectangular,)),
    "norm (3, vector)": (lambda a: fnp.linalg.norm(a, 3, axis=1), (_general,)),
    "matrix_power": (lambda a: fnp.linalg.matrix_power(a, -3), (_general,)),
    "solve_triangular": (lambda a, b: fsl.solve_triangular(a, b, lower=True), (_general, _vectors)),
    "cho_solve": (lambda a, b: fsl.cho_solve(fsl.cho_factor(a), b), (_positive_definite, _vectors)),
    "lu_solve": (lambda a, b: fsl.lu_solve(fsl.lu_factor(a), b, trans=1), (_matrix, _vectors)),
    "lu": (lambda a: fsl.lu(a)[1:], (_matrix,)),
    "expm": (fsl.expm, (lambda d: 3 * _matrix(d),)),
    "expm_frechet": (lambda a, e: fsl.expm_frechet(a, e)[1], (lambda d: _matrix(d, ()),) * 2),
    "polar": (lambda a: fsl.polar(a)[0] + fsl.polar(a, "left")[1][..., :3], (_rectangular,)),
    "sqrtm": (fsl.sqrtm, (lambda d: _positive_definite(d, ()),)),
}


#: second derivatives through many iterations, checked with the slow tests
SLOW_SECOND_ORDER = {"sqrtm"}


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_gradients_match_finite_differences(name):
    function, builders = GRADIENT_CASES[name]
    args = [build(np.float64) for build in builders]
    order = 1 if name in SLOW_SECOND_ORDER else 2
    check_grads(function, args, order=order, modes=("fwd", "rev"), atol=1e-5, rtol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SLOW_SECOND_ORDER))
def test_second_derivatives_through_iterations(name):
    function, builders = GRADIENT_CASES[name]
    args = [build(np.float64) for build in builders]
    check_grads(function, args, order=2, modes=("fwd", "rev"), atol=1e-5, rtol=1e-5)


def test_expm_gradient_is_the_frechet_derivative():
    # d/dt expm(a + t e) at 0 is the upper right block of expm([[a, e], [0, a]]).
    a, e = 0.5 * _matrix(np.float64, ()), _matrix(np.float64, ())
    _, tangent = functrans.jvp(fsl.expm, (a,), (e,))
    block = scipy.linalg.expm(np.block([[a, e], [np.zeros_like(a), a]]))
    np.testing.assert_allclose(tangent, block[:N, N:], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["solve", "det", "eigh", "svd", "qr", "norm (nuc)", "expm"])
def test_vmap_matches_loop(name):
    function, builders = GRADIENT_CASES[name]
    args = [np.stack([build(np.float64) for _ in range(3)], axis=1) for build in builders]
    batched = functrans.vmap(function, in_axes=1)(*args)
    for i in range(3):
        expected = function(*[x[:, i] for x in args])
        for got, want in zip(tree.leaves(batched), tree.leaves(expected)):
            np.testing.assert_allclose(np.asarray(got)[i], want, rtol=1e-12, atol=1e-12)


def _many(a, s, r, b):
    """Many linalg functions in one jitted function, so they share one compile."""
    linalg = fnp.linalg
    # Eigenvectors and singular vectors are compared squared: their signs are LAPACK's
    # choice, which differs between NumPy's routine and numba's in float32.
    w, v = linalg.eigh(s)
    u, singular_values, vh = linalg.svd(r, full_matrices=False)
    return (linalg.solve(a, b), linalg.inv(a), linalg.det(a), tuple(linalg.slogdet(a)),
            linalg.cholesky(s), w, v ** 2, u ** 2, singular_values, vh ** 2,
            linalg.svd(a)[1], linalg.svd(r, compute_uv=False), tuple(linalg.qr(r)), linalg.pinv(r),
            linalg.norm(r, 2, axis=(1, 2)), linalg.norm(a, "nuc", axis=(1, 2)),
            linalg.matrix_rank(r), linalg.lstsq(r[0], r[1, :, 0])[0],
            fsl.solve_triangular(a, b, lower=True, trans=1), fsl.cho_solve(fsl.cho_factor(s), b),
            fsl.lu_solve(fsl.lu_factor(a), b), fsl.lu(r), fsl.expm(a))


@pytest.mark.slow
@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_jit_matches_eager(dtype):
    args = (_general(dtype), _positive_definite(dtype), _rectangular(dtype), _vectors(dtype))
    expected = _many(*args)
    got = functrans.jit(_many)(*args)
    tolerance = 1e-9 if dtype == np.float64 else 1e-3
    for g, e in zip(tree.leaves(got), tree.leaves(expected)):
        assert np.asarray(g).dtype == np.asarray(e).dtype
        np.testing.assert_allclose(g, e, rtol=tolerance, atol=tolerance)


@pytest.mark.slow
def test_jit_of_gradient_matches_eager():
    def loss(a, b):
        return fnp.sum(fnp.linalg.solve(a, b) ** 2) + fnp.linalg.slogdet(a)[1].sum() + \
            fnp.linalg.norm(a, "nuc", axis=(1, 2)).sum()
    args = (_general(np.float64), _vectors(np.float64))
    expected = functrans.grad(loss, argnums=(0, 1))(*args)
    got = functrans.jit(functrans.grad(loss, argnums=(0, 1)))(*args)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)


def _largest_positive(vectors):
    """Eigenvectors (columns) scaled so that each one's largest component is positive."""
    largest = np.take_along_axis(vectors, np.argmax(np.abs(vectors), axis=-2)[..., None, :], -2)
    return vectors / (largest / np.abs(largest))


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_eig_matches_numpy_traced_batched_and_compiled(dtype):
    # One matrix with complex eigenvalues, one (symmetric) with real ones.
    a = _matrix(dtype, ())
    a = np.stack([a, a + a.T])
    w, v = np.linalg.eig(a)
    tolerance = 1e-10 if dtype == np.float64 else 1e-4
    for got in (traced(fnp.linalg.eig, a), functrans.vmap(fnp.linalg.eig)(a),
                functrans.jit(fnp.linalg.eig)(a)):
        assert got[0].dtype == got[1].dtype == np.result_type(dtype, np.complex64)
        np.testing.assert_allclose(got[0], w, rtol=tolerance, atol=tolerance)
        # Compiled, complex eigenvectors of a real matrix come from the complex routine:
        # the same unit vectors with their largest component real, that component's sign
        # LAPACK's choice.
        np.testing.assert_allclose(_largest_positive(got[1]), _largest_positive(v),
                                   rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(traced(fnp.linalg.eigvals, a)[0], w, rtol=tolerance)


@pytest.mark.skipif(not hasattr(functrans.lax, "conj"), reason="needs complex primitives")
def test_eig_derivative_of_real_eigenvalues():
    # A real matrix with distinct real eigenvalues: the eigenvalues and unit eigenvectors
    # are differentiable real functions (their imaginary parts stay 0).
    q = _rectangular(np.float64, 3, 3, ())
    a = q @ np.diag([1.0, 2.0, 4.0]) @ np.linalg.inv(q)

    def real_parts(a):
        w, v = fnp.linalg.eig(a)
        return fnp.real(w), fnp.real(v)
    check_grads(real_parts, [a], order=2, modes=("fwd", "rev"))


def test_errors_are_numpys():
    singular = np.ones((2, 2))
    with pytest.raises(np.linalg.LinAlgError):
        traced(fnp.linalg.solve, singular, np.ones(2))
    with pytest.raises(np.linalg.LinAlgError):
        traced(fnp.linalg.inv, singular)
    with pytest.raises(np.linalg.LinAlgError):
        traced(fnp.linalg.cholesky, -np.eye(2))
    with pytest.raises(np.linalg.LinAlgError, match="square"):
        traced(fnp.linalg.inv, np.ones((2, 3)))
    with pytest.raises(np.linalg.LinAlgError, match="two-dimensional"):
        traced(fnp.linalg.det, np.ones(3))
    with pytest.raises(ValueError, match="Invalid norm order"):
        traced(lambda x: fnp.linalg.norm(x, "fro", axis=0), np.ones(3))
    # A singular matrix has determinant 0 and slogdet (0, -inf), as in NumPy.
    assert traced(fnp.linalg.det, singular)[0] == 0
    sign, logabsdet = traced(fnp.linalg.slogdet, singular)
    assert sign == 0 and logabsdet == -np.inf


def test_svd_derivative_with_full_matrices_of_a_rectangular_matrix_is_an_error():
    with pytest.raises(NotImplementedError, match="full_matrices"):
        functrans.jvp(lambda a: fnp.linalg.svd(a)[0], (np.ones((3, 2)),), (np.ones((3, 2)),))


def _complex(*shape):
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


def _complex_general():
    return _complex(2, N, N) + (N + 1) * np.eye(N)


def _complex_hermitian():
    a = _complex(2, N, N)
    return a @ np.conj(np.swapaxes(a, -1, -2)) + N * np.eye(N)


def _eigh_gauge_invariant(a):
    # Complex eigenvectors are defined up to a phase each: compare what does not depend on it.
    w, v = fnp.linalg.eigh(a)
    return w, fnp.abs(v) ** 2


def _svd_gauge_invariant(a):
    u, s, vh = fnp.linalg.svd(a, full_matrices=False)
    return s, fnp.abs(u) ** 2, fnp.abs(vh) ** 2


def _slogdet_parts(a):
    sign, logabsdet = fnp.linalg.slogdet(a)
    return fnp.real(sign), fnp.imag(sign), logabsdet


#: name -> (function, NumPy/SciPy function or None, argument builders)
COMPLEX_CASES = {
    "solve": (fnp.linalg.solve, np.linalg.solve, (_complex_general, lambda: _complex(2, N, 2))),
    "det": (fnp.linalg.det, np.linalg.det, (_complex_general,)),
    "slogdet": (_slogdet_parts, None, (_complex_general,)),
    "cholesky": (fnp.linalg.cholesky, np.linalg.cholesky, (_complex_hermitian,)),
    "eigh": (_eigh_gauge_invariant, None, (_complex_hermitian,)),
    "svd": (_svd_gauge_invariant, None, (lambda: _complex(2, 4, 3),)),
    "qr": (fnp.linalg.qr, np.linalg.qr, (lambda: _complex(2, 4, 3),)),
    "pinv": (fnp.linalg.pinv, np.linalg.pinv, (lambda: _complex(2, 4, 3),)),
    "norm (nuc)": (lambda a: fnp.linalg.norm(a, "nuc", axis=(1, 2)),
                   lambda a: np.linalg.norm(a, "nuc", axis=(1, 2)), (lambda: _complex(2, 4, 3),)),
    "solve_triangular (C)": (lambda a, b: fsl.solve_triangular(a, b, trans=2, lower=True),
                             lambda a, b: scipy.linalg.solve_triangular(a, b, trans=2, lower=True),
                             (lambda: _complex_general()[0], lambda: _complex(N, 2))),
    "lu_solve (C)": (lambda a, b: fsl.lu_solve(fsl.lu_factor(a), b, trans=2),
                     lambda a, b: scipy.linalg.lu_solve(scipy.linalg.lu_factor(a), b, trans=2),
                     (lambda: _complex_general()[0], lambda: _complex(N, 2))),
    "cho_solve": (lambda a, b: fsl.cho_solve(fsl.cho_factor(a), b),
                  lambda a, b: scipy.linalg.cho_solve(scipy.linalg.cho_factor(a), b),
                  (lambda: _complex_hermitian()[0], lambda: _complex(N, 2))),
    "expm": (fsl.expm, scipy.linalg.expm, (lambda: 0.5 * _complex_general()[0],)),
}


@pytest.mark.skipif(not hasattr(functrans.lax, "conj"), reason="needs complex primitives")
@pytest.mark.parametrize("name", sorted(COMPLEX_CASES))
def test_complex_inputs(name):
    function, reference, builders = COMPLEX_CASES[name]
    args = [build() for build in builders]
    if reference is not None:
        _compare(traced(function, *args), reference(*args), np.float64)
    check_grads(function, args, order=1, modes=("fwd", "rev"))
