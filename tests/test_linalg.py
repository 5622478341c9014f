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


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_gradients_match_finite_differences(name):
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


def _eigenvalue_order(got, expected):
    """For each matrix, the indices into ``got`` of the eigenvalue nearest each of ``expected``."""
    return np.argmin(np.abs(got[..., None, :] - expected[..., :, None]), axis=-1)


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
        # Compiled, complex eigenvalues of a real matrix come from the complex routine, whose
        # order may differ from the real one's; its eigenvectors are the same unit vectors
        # with their largest component real, that component's sign LAPACK's choice.
        order = _eigenvalue_order(np.asarray(got[0]), w)
        np.testing.assert_allclose(np.take_along_axis(got[0], order, -1), w, rtol=tolerance,
                                   atol=tolerance)
        vectors = np.take_along_axis(got[1], order[..., None, :], -1)
        np.testing.assert_allclose(_largest_positive(vectors), _largest_positive(v),
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


def _complex(*shape, dtype=np.complex128):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)


def _complex_general(dtype=np.complex128, batch=(2,)):
    return (_complex(*batch, N, N) + (N + 1) * np.eye(N)).astype(dtype)


def _complex_hermitian(dtype=np.complex128, batch=(2,)):
    a = _complex(*batch, N, N)
    return (a @ np.conj(np.swapaxes(a, -1, -2)) + N * np.eye(N)).astype(dtype)


def _complex_rectangular(dtype=np.complex128, m=4, n=3, batch=(2,)):
    """Singular values kept apart (1, 2.5, 4) under random unitary matrices."""
    unitary = [np.linalg.qr(_complex(*batch, k, k))[0] for k in (m, n)]
    return (unitary[0] @ (np.eye(m, n) * (1.0 + 1.5 * np.arange(n))) @ unitary[1]).astype(dtype)


def _complex_vectors(dtype=np.complex128, shape=(2, N, 2)):
    return _complex(*shape, dtype=dtype)


def _gauge_invariant_eigh(xp):
    # Complex eigenvectors are defined up to a phase each: compare what does not depend on it.
    def eigh(a):
        w, v = xp.linalg.eigh(a)
        return w, xp.abs(v) ** 2
    return eigh


def _gauge_invariant_svd(xp):
    def svd(a):
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        return s, xp.abs(u) ** 2, xp.abs(vh) ** 2
    return svd


def _slogdet_parts_of(xp):
    def slogdet(a):
        sign, logabsdet = xp.linalg.slogdet(a)
        return xp.real(sign), xp.imag(sign), logabsdet
    return slogdet


_eigh_gauge_invariant, _numpy_eigh_gauge_invariant = map(_gauge_invariant_eigh, (fnp, np))
_svd_gauge_invariant, _numpy_svd_gauge_invariant = map(_gauge_invariant_svd, (fnp, np))
_slogdet_parts, _numpy_slogdet_parts = map(_slogdet_parts_of, (fnp, np))


def _unbatched(build):
    return lambda dtype: build(dtype, batch=())


#: name -> (function, NumPy/SciPy function, argument builders(dtype))
COMPLEX_CASES = {
    "solve": (fnp.linalg.solve, np.linalg.solve, (_complex_general, _complex_vectors)),
    "inv": (fnp.linalg.inv, np.linalg.inv, (_complex_general,)),
    "det": (fnp.linalg.det, np.linalg.det, (_complex_general,)),
    "slogdet": (_slogdet_parts, _numpy_slogdet_parts, (_complex_general,)),
    "cholesky": (fnp.linalg.cholesky, np.linalg.cholesky, (_complex_hermitian,)),
    "cholesky (upper)": (lambda a: fnp.linalg.cholesky(a, upper=True),
                         lambda a: np.linalg.cholesky(a, upper=True), (_complex_hermitian,)),
    "eigh": (_eigh_gauge_invariant, _numpy_eigh_gauge_invariant, (_complex_hermitian,)),
    "eigvalsh (U)": (lambda a: fnp.linalg.eigvalsh(a, "U"), lambda a: np.linalg.eigvalsh(a, "U"),
                     (_complex_hermitian,)),
    "svd": (_svd_gauge_invariant, _numpy_svd_gauge_invariant, (_complex_rectangular,)),
    "svd (values)": (lambda a: fnp.linalg.svd(a, compute_uv=False),
                     lambda a: np.linalg.svd(a, compute_uv=False), (_complex_rectangular,)),
    "qr": (fnp.linalg.qr, np.linalg.qr, (_complex_rectangular,)),
    "qr (r, wide)": (lambda a: fnp.linalg.qr(a, "r"), lambda a: np.linalg.qr(a, "r"),
                     (lambda d: _complex_rectangular(d, 2, 3),)),
    "pinv": (fnp.linalg.pinv, np.linalg.pinv, (_complex_rectangular,)),
    "lstsq": (lambda a, b: fnp.linalg.lstsq(a, b)[0], lambda a, b: np.linalg.lstsq(a, b)[0],
              (_unbatched(_complex_rectangular), lambda d: _complex_vectors(d, (4, 2)))),
    "matrix_power 3": (lambda a: fnp.linalg.matrix_power(a, 3),
                       lambda a: np.linalg.matrix_power(a, 3), (_complex_general,)),
    "matrix_power -2": (lambda a: fnp.linalg.matrix_power(a, -2),
                        lambda a: np.linalg.matrix_power(a, -2), (_complex_general,)),
    "norm (fro)": (lambda a: fnp.linalg.norm(a, "fro", axis=(1, 2)),
                   lambda a: np.linalg.norm(a, "fro", axis=(1, 2)), (_complex_rectangular,)),
    "norm (nuc)": (lambda a: fnp.linalg.norm(a, "nuc", axis=(1, 2)),
                   lambda a: np.linalg.norm(a, "nuc", axis=(1, 2)), (_complex_rectangular,)),
    "norm (2)": (lambda a: fnp.linalg.norm(a, 2, axis=(1, 2)),
                 lambda a: np.linalg.norm(a, 2, axis=(1, 2)), (_complex_rectangular,)),
    "expm": (fsl.expm, scipy.linalg.expm, (lambda d: (0.5 * _complex_general(d, ())).astype(d),)),
    "sqrtm": (fsl.sqrtm, scipy.linalg.sqrtm, (lambda d: _complex(N, N, dtype=d),)),
    "solve_triangular": (lambda a, b: fsl.solve_triangular(a, b, lower=True),
                         lambda a, b: scipy.linalg.solve_triangular(a, b, lower=True),
                         (_unbatched(_complex_general), lambda d: _complex_vectors(d, (N, 2)))),
    "solve_triangular (T, upper)": (
        lambda a, b: fsl.solve_triangular(a, b, trans=1),
        lambda a, b: scipy.linalg.solve_triangular(a, b, trans=1),
        (_unbatched(_complex_general), lambda d: _complex_vectors(d, (N,)))),
    "solve_triangular (C)": (lambda a, b: fsl.solve_triangular(a, b, trans=2, lower=True),
                             lambda a, b: scipy.linalg.solve_triangular(a, b, trans=2, lower=True),
                             (_unbatched(_complex_general), lambda d: _complex_vectors(d, (N, 2)))),
    "lu_factor": (fsl.lu_factor, scipy.linalg.lu_factor, (_unbatched(_complex_general),)),
    "lu_solve": (lambda a, b: fsl.lu_solve(fsl.lu_factor(a), b),
                 lambda a, b: scipy.linalg.lu_solve(scipy.linalg.lu_factor(a), b),
                 (_unbatched(_complex_general), lambda d: _complex_vectors(d, (N, 2)))),
    "lu_solve (C)": (lambda a, b: fsl.lu_solve(fsl.lu_factor(a), b, trans=2),
                     lambda a, b: scipy.linalg.lu_solve(scipy.linalg.lu_factor(a), b, trans=2),
                     (_unbatched(_complex_general), lambda d: _complex_vectors(d, (N, 2)))),
    "cho_factor": (lambda a: fsl.cho_factor(a)[0], lambda a: scipy.linalg.cho_factor(a)[0],
                   (_unbatched(_complex_hermitian),)),
    "cho_solve": (lambda a, b: fsl.cho_solve(fsl.cho_factor(a), b),
                  lambda a, b: scipy.linalg.cho_solve(scipy.linalg.cho_factor(a), b),
                  (_unbatched(_complex_hermitian), lambda d: _complex_vectors(d, (N, 2)))),
    "cho_solve (lower)": (lambda a, b: fsl.cho_solve(fsl.cho_factor(a, lower=True), b),
                          lambda a, b: scipy.linalg.cho_solve(
                              scipy.linalg.cho_factor(a, lower=True), b),
                          (_unbatched(_complex_hermitian), lambda d: _complex_vectors(d, (N,)))),
}

#: cases without a gradient check: lu_factor returns integer pivots (lu's tangent is checked
#: above); qr of a wide matrix has no derivative (as in JAX)
NO_COMPLEX_GRADIENT = {"lu_factor", "qr (r, wide)"}
COMPLEX_DTYPES = [np.complex128, np.complex64]


def _complex_args(name, dtype):
    return [np.asarray(build(dtype)) for build in COMPLEX_CASES[name][2]]


@pytest.mark.parametrize("dtype", COMPLEX_DTYPES, ids=["complex128", "complex64"])
@pytest.mark.parametrize("name", sorted(COMPLEX_CASES))
def test_complex_inputs_match_numpy(name, dtype):
    function, reference, _ = COMPLEX_CASES[name]
    args = _complex_args(name, dtype)
    expected = reference(*args)
    _compare(function(*args), expected, np.float64 if dtype == np.complex128 else np.float32)
    _compare(traced(function, *args), expected,
             np.float64 if dtype == np.complex128 else np.float32)


@pytest.mark.parametrize("name", sorted(set(COMPLEX_CASES) - NO_COMPLEX_GRADIENT))
def test_complex_input_gradients_match_finite_differences(name):
    # JAX's convention: complex directions, and the reverse mode checked against the
    # forward one under <a, b> = Re(sum(a * b)); a real-valued function of the outputs
    # (the sum of their squared moduli) is differentiated by grad as well.
    function = COMPLEX_CASES[name][0]
    args = _complex_args(name, np.complex128)
    check_grads(function, args, order=1, modes=("fwd", "rev"))

    def loss(*args):
        return sum(fnp.sum(fnp.abs(leaf) ** 2) for leaf in tree.leaves(function(*args)))
    gradient = functrans.grad(loss, argnums=0)(*args)
    direction = _complex(*args[0].shape)
    step = 1e-6
    finite_difference = (loss(args[0] + step * direction, *args[1:])
                         - loss(args[0] - step * direction, *args[1:])) / (2 * step)
    # grad of a real function of z is ∂f/∂x - i ∂f/∂y (JAX's convention: grad of |z|² is
    # 2 conj(z)), so the directional derivative is Re(sum(grad * direction)).
    np.testing.assert_allclose(np.real(np.sum(gradient * direction)),
                               finite_difference, rtol=1e-6, atol=1e-8)


# --- eig with complex eigenvalues, and of complex matrices ---------------------------------

def _with_eigenvalues(values, dtype=np.float64):
    """``q diag(values) q⁻¹`` made real by pairing conjugate values in 2×2 rotation blocks."""
    q = _rectangular(np.float64, 3, 3, ()) + np.eye(3)
    blocks = np.zeros((3, 3))
    w = values[0]
    blocks[:2, :2] = [[w.real, -w.imag], [w.imag, w.real]]
    blocks[2, 2] = values[2].real
    return (q @ blocks @ np.linalg.inv(q)).astype(dtype)


def _eig_phase_free(a):
    # Each eigenvector is defined up to a phase (LAPACK makes its largest component real,
    # which is not differentiated): its moduli are.
    w, v = fnp.linalg.eig(a)
    return w, fnp.abs(v) ** 2


EIG_MATRICES = {
    "real, complex-conjugate eigenvalues": lambda: _with_eigenvalues([1 + 2j, 1 - 2j, 3]),
    "complex": lambda: _complex(N, N) + np.diag([0.0, 3.0, 6.0j]),
}


@pytest.mark.parametrize("kind", sorted(EIG_MATRICES))
def test_eig_derivatives_match_finite_differences(kind):
    a = EIG_MATRICES[kind]()
    np.testing.assert_allclose(np.sort_complex(traced(fnp.linalg.eigvals, a)[0]),
                               np.sort_complex(np.linalg.eigvals(a)), rtol=1e-12)
    check_grads(fnp.linalg.eigvals, [a], order=2, modes=("fwd", "rev"))
    check_grads(_eig_phase_free, [a], order=2, modes=("fwd", "rev"))
    # the eigenvectors' own tangents (phase included) against the reverse mode
    check_grads(lambda a: fnp.linalg.eig(a)[1], [a], order=1, modes=("rev",))


@pytest.mark.parametrize("kind", sorted(EIG_MATRICES))
def test_eig_tangent_solves_the_differentiated_eigen_equation(kind):
    # d(a v = v diag(w)): (a - w_k) dv_k = (dw_k - da) v_k, whatever the phase convention;
    # and dw_k = (uᴴ da v)_k / (uᴴ v)_k with u the left eigenvectors (a closed form).
    a = EIG_MATRICES[kind]()
    da = _complex(N, N) if a.dtype.kind == "c" else RNG.standard_normal((N, N))
    (w, v), (dw, dv) = functrans.jvp(fnp.linalg.eig, (a,), (da,))
    residual = a @ dv - dv * w + (da @ v) - v * dw
    np.testing.assert_allclose(residual, 0, atol=1e-12)
    left = np.linalg.inv(v).conj().T  # columns: left eigenvectors, uᴴ v = I
    np.testing.assert_allclose(dw, np.diag(left.conj().T @ da @ v), rtol=1e-12)
    # unit norm is kept: Re(vᴴ dv) = 0 on each eigenvector
    np.testing.assert_allclose(np.real(np.sum(v.conj() * dv, axis=0)), 0, atol=1e-12)


def test_grad_of_eigenvalue_moduli_of_a_complex_matrix():
    # grad of Σ|w|² (real-valued, of complex input) against central differences along the
    # real and imaginary part of each entry: ∂f/∂x - i ∂f/∂y (JAX's convention).
    a = EIG_MATRICES["complex"]()

    def loss(a):
        return fnp.sum(fnp.abs(fnp.linalg.eigvals(a)) ** 2)
    gradient = functrans.grad(loss)(a)
    step = 1e-6
    expected = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        for unit in (1, 1j):
            e = np.zeros_like(a)
            e[index] = unit * step
            partial = (loss(a + e) - loss(a - e)) / (2 * step)
            expected[index] += partial if unit == 1 else -1j * partial
    np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-8)


# --- qr(mode='complete') of tall matrices under jit ------------------------------------------

def _complete_qr_of_each(a, b, c, d):
    return [tuple(fnp.linalg.qr(x, "complete")) for x in (a, b, c, d)]


@pytest.mark.slow  # one compile for four LAPACK types
def test_jit_of_complete_qr_of_tall_stacks():
    args = [_rectangular(np.float64, 5, 3), _rectangular(np.float32, 4, 2, ()),
            _complex_rectangular(np.complex128, 4, 3), _complex_rectangular(np.complex64, 3, 1)]
    got = functrans.jit(_complete_qr_of_each)(*args)
    for (q, r), a in zip(got, args):
        expected_q, expected_r = np.linalg.qr(a, "complete")
        tolerance = 1e-12 if a.dtype in (np.float64, np.complex128) else 1e-5
        assert q.dtype == r.dtype == a.dtype
        assert q.shape == expected_q.shape and r.shape == expected_r.shape
        np.testing.assert_allclose(q, expected_q, rtol=tolerance, atol=tolerance)
        np.testing.assert_allclose(r, expected_r, rtol=tolerance, atol=tolerance)


# --- sqrtm: complex roots, complex input, derivatives ------------------------------------------

@pytest.mark.parametrize("a", [
    np.array([[0.0, 1.0], [-1.0, 0.0]]),  # eigenvalues ±i: a real root
    np.array([[4.0, 1.0, 0.5], [0.0, 9.0, 2.0], [0.0, 0.0, 1.0]]),  # triangular
    np.array([[1.0, 2.0], [3.0, 4.0]]).astype(np.complex128),  # complex root of a real matrix
    np.array([[-4.0, 1.0], [0.0, -1.0]]).astype(np.complex64),
    np.zeros((3, 3)),  # singular: SciPy's 0/0 is 0
    np.array([[1.0, 0.0], [0.0, 0.0]]),
], ids=["rotation", "triangular", "negative eigenvalue", "negative, complex64", "zero",
        "singular"])
@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
def test_sqrtm_matches_scipy(a):
    expected = scipy.linalg.sqrtm(a)
    got = traced(fsl.sqrtm, a)[0]
    assert got.dtype == expected.dtype
    tolerance = 1e-12 if a.dtype in (np.float64, np.complex128) else 1e-5
    np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)


def test_sqrtm_of_a_real_matrix_without_real_root_is_nan():
    # SciPy's root is complex there; a real traced result cannot hold it (the docstring says
    # to cast to complex), so it is NaN rather than a wrong real matrix.
    a = np.stack([np.array([[1.0, 2.0], [3.0, 4.0]]), np.eye(2)])
    assert scipy.linalg.sqrtm(a[0]).dtype == np.complex128
    got = traced(fsl.sqrtm, a)[0]
    assert np.isnan(got[0]).all()
    np.testing.assert_allclose(got[1], np.eye(2), rtol=1e-14)


def test_sqrtm_of_complex_matrices_gradients_and_vmap():
    a = _complex(2, N, N)
    check_grads(fsl.sqrtm, [a[0]], order=2, modes=("fwd", "rev"))
    batched = functrans.vmap(fsl.sqrtm)(a)
    for i in range(2):
        np.testing.assert_allclose(batched[i], scipy.linalg.sqrtm(a[i]), rtol=1e-12, atol=1e-12)


# --- jit of complex linear algebra: one program per complex dtype ------------------------------

def _many_complex(general, hermitian, rectangular, vectors):
    linalg = fnp.linalg
    matrix, rhs = general[0], vectors[0]
    return (linalg.solve(general, vectors), linalg.inv(general), linalg.det(general),
            _slogdet_parts(general), linalg.cholesky(hermitian), _eigh_gauge_invariant(hermitian),
            _svd_gauge_invariant(rectangular), tuple(linalg.qr(rectangular)),
            tuple(linalg.qr(rectangular, "complete")), linalg.pinv(rectangular),
            linalg.lstsq(rectangular[0], rectangular[1, :, 0])[0],
            linalg.matrix_power(general, 3), linalg.norm(rectangular, "fro", axis=(1, 2)),
            linalg.norm(rectangular, "nuc", axis=(1, 2)), linalg.norm(rectangular, 2, axis=(1, 2)),
            fsl.expm(0.5 * matrix), fsl.sqrtm(matrix),
            fsl.solve_triangular(matrix, rhs, trans=2, lower=True),
            fsl.lu_solve(fsl.lu_factor(matrix), rhs, trans=2),
            fsl.cho_solve(fsl.cho_factor(hermitian[0]), rhs), fnp.linalg.eigvals(general))


@pytest.mark.slow  # a large kernel per dtype
@pytest.mark.parametrize("dtype", COMPLEX_DTYPES, ids=["complex128", "complex64"])
def test_jit_of_complex_linalg_matches_eager(dtype):
    args = (_complex_general(dtype), _complex_hermitian(dtype), _complex_rectangular(dtype),
            _complex_vectors(dtype))
    expected = _many_complex(*args)
    got = functrans.jit(_many_complex)(*args)
    tolerance = 1e-10 if dtype == np.complex128 else 1e-3
    for index, (g, e) in enumerate(zip(tree.leaves(got), tree.leaves(expected))):
        e = np.asarray(e)
        if index == len(tree.leaves(expected)) - 1:  # eigenvalues: LAPACK's order may differ
            g, e = np.sort_complex(g), np.sort_complex(e)
        assert np.asarray(g).dtype == e.dtype, index
        np.testing.assert_allclose(g, e, rtol=tolerance, atol=tolerance, err_msg=str(index))
