"""The everyday NumPy names built from existing primitives (issue 14): each traced
function against NumPy on the same inputs (values, dtype, shape), gradients against
finite differences, vmap against a loop, jit against eager."""
import warnings

import numpy as np
import pytest

import functrans
import functrans.numpy as fnp
from functrans import tree
from functrans.testing import check_grads

rng = np.random.default_rng(0)
A = rng.standard_normal((4, 5))
B = rng.standard_normal((3, 4, 5))
V = rng.standard_normal(6)
XP = np.sort(rng.standard_normal(6))
V3 = rng.standard_normal((4, 3))
V2 = rng.standard_normal((4, 2))
INTS = rng.integers(-3, 4, (3, 4))
WITH_NAN = B.copy()
WITH_NAN[rng.random(B.shape) < 0.3] = np.nan
WITH_NAN[1, 2, :] = np.nan
SPECIAL = np.array([-2.0, -0.0, 0.0, 1.5, np.inf, -np.inf, np.nan])
OTHER = np.array([1.0, -1.0, 2.0, -3.0, 1.0, 2.0, 0.5])


def traced(function):
    """``function`` run on its traced path (its arguments become IR constants)."""
    def run(*args, **kwargs):
        return functrans.jvp(lambda _: function(*args, **kwargs), (0.0,), (1.0,))[0]
    return run


# (label, call(module, *args), args): call(np, ...) is the reference.
CASES = [
    ("isclose", lambda m, x, y: m.isclose(x, y), (SPECIAL, SPECIAL + 1e-9)),
    ("isclose_nan", lambda m, x: m.isclose(x, x, equal_nan=True, atol=0.1), (SPECIAL,)),
    ("allclose", lambda m, x, y: m.allclose(x, y, rtol=0.1), (A, A * 1.05)),
    ("array_equal", lambda m, x: (m.array_equal(x, x), m.array_equal(x, x[:2]),
                                  m.array_equal(x, x, equal_nan=True)), (SPECIAL,)),
    ("array_equiv", lambda m, x: (m.array_equiv(x, x[:1]), m.array_equiv(x[0], x)), (A,)),
    ("r_", lambda m, x: (m.r_[x, 1, 2.5, x], m.r_["0,2", x, x], m.r_["1,2,0", x, x],
                         m.r_[0:3, x], m.r_[-1:1:5j, x]), (V,)),
    ("c_", lambda m, x, y: (m.c_[x, x], m.c_[x[:4], y]), (V, A)),
    ("append", lambda m, x, y: (m.append(x, y), m.append(x, x, axis=1)), (A, V)),
    ("stacks", lambda m, x: (m.column_stack([x, x]), m.row_stack([x, x]), m.dstack([x, x]),
                             m.block([[x, x], [x, x]])), (V,)),
    ("splits", lambda m, x: (m.hsplit(x, 5), m.vsplit(x, [1, 3]), m.dsplit(x[None], [2])), (A,)),
    ("atleast_3d", lambda m, x: (m.atleast_3d(x), m.atleast_3d(x[0]), m.atleast_3d(x[0, 0])), (A,)),
    ("flips", lambda m, x: (m.fliplr(x), m.flipud(x)), (B,)),
    ("rot90", lambda m, x: (m.rot90(x), m.rot90(x, 2), m.rot90(x, 3, (2, 0)), m.rot90(x, -1)), (B,)),
    ("rollaxis", lambda m, x: (m.rollaxis(x, 2), m.rollaxis(x, 0, 3), m.rollaxis(x, -1, 1)), (B,)),
    ("delete_insert", lambda m, x: (m.delete(x, 1, axis=1), m.delete(x, [0, 2]),
                                    m.insert(x, 1, 7.0, axis=1), m.insert(x, [0, 2], [5.0, 6.0]),
                                    m.resize(x, (5, 7))), (A,)),
    ("pad", lambda m, x: (m.pad(x, 2), m.pad(x, ((1, 2), (3, 0)), constant_values=((1, 2), (3, 4))),
                          m.pad(x, (2, 3), "edge"), m.pad(x, 5, "reflect"),
                          m.pad(x, 5, "symmetric"), m.pad(x, (7, 2), "wrap"),
                          m.pad(x, 4, "reflect", reflect_type="odd"),
                          m.pad(x, 3, "linear_ramp", end_values=(5, -1)), m.pad(x, 3, "mean"),
                          m.pad(x, 2, "maximum", stat_length=2),
                          m.pad(x, ((1, 2), (0, 3)), "minimum"), m.pad(x, 2, "median")), (A,)),
    ("pad_int", lambda m, x: (m.pad(x, 2, "linear_ramp", end_values=7), m.pad(x, 2, "mean"),
                              m.pad(x, 1, constant_values=2.6)), (INTS,)),
    ("angles", lambda m, x: (m.deg2rad(x), m.rad2deg(x), m.degrees(x), m.radians(x)), (SPECIAL,)),
    ("angles_int", lambda m, x: (m.deg2rad(x), m.fabs(x), m.cbrt(x)), (INTS,)),
    ("float_unary", lambda m, x: (m.fabs(x), m.nan_to_num(x), m.nan_to_num(x, nan=-1.0, posinf=9.0),
                                  m.signbit(x), m.cbrt(x), m.isposinf(x), m.isneginf(x)), (SPECIAL,)),
    ("float_binary", lambda m, x, y: (m.logaddexp2(x, y), m.copysign(x, y), m.heaviside(x, y),
                                      m.float_power(x, y), m.fmod(x, y), m.divmod(x, y)),
     (SPECIAL, OTHER)),
    ("ldexp", lambda m, x: m.ldexp(x, np.arange(7)), (SPECIAL,)),
    ("fmod_int", lambda m, x: m.fmod(x, 3), (INTS,)),
    ("diff", lambda m, x: (m.diff(x), m.diff(x, 2, axis=0), m.diff(x, prepend=0, append=x[:, :1]),
                           m.ediff1d(x, to_begin=[1, 2], to_end=3), m.diff(x > 0)), (A,)),
    ("gradient", lambda m, x, s: (m.gradient(x), m.gradient(x, 2.0, axis=1),
                                  m.gradient(x, s, axis=1), m.gradient(x, s, axis=1, edge_order=2),
                                  m.gradient(x, edge_order=2)), (A, np.cumsum(V[:5] ** 2) + 0.1)),
    ("trapezoid", lambda m, x, s: (m.trapezoid(x), m.trapezoid(x, s), m.trapezoid(x, dx=0.3, axis=0)),
     (A, np.cumsum(V[:5] ** 2))),
    ("cumulative", lambda m, x: (m.cumulative_sum(x, axis=1, include_initial=True),
                                 m.cumulative_prod(x[0])), (A,)),
    ("cross", lambda m, x, y: (m.cross(x, x[::-1]), m.cross(y, x), m.cross(y, y[::-1]),
                               m.cross(x.T, y, axisa=0)), (V3, V2)),
    ("kron_vander", lambda m, x, y: (m.kron(x, y), m.kron(y[0], x[:2]), m.vander(y[0]),
                                     m.vander(y[0], 3, increasing=True)), (A, V2)),
    ("select", lambda m, x: (m.select([x < -0.5, x > 0.5], [x, x ** 2], -1.0),
                             m.piecewise(x, [x < 0, x > 1], [lambda v: -v, 3.0, lambda v: 2 * v]),
                             m.choose(np.array([0, 1, 2, 1]), [x[0, :4], x[1, :4], x[2, :4]])),
     (A,)),
    ("search", lambda m, x, p: (m.searchsorted(p, x), m.searchsorted(p, x, side="right"),
                                m.digitize(x, p), m.digitize(x, p[::-1], right=True)), (A, XP)),
    ("interp", lambda m, x, p: (m.interp(x, p, p ** 2), m.interp(x, p, p ** 2, left=-1, right=7.0),
                                m.interp(x, p, np.sin(p), period=2.0), m.interp(p, p, p ** 3)),
     (A, XP)),
    ("histogram", lambda m, x, p: (m.histogram(x, 4), m.histogram(x, p, weights=x ** 2, density=True),
                                   m.histogram(x, 3, range=(-1, 1))), (A, XP)),
    ("histogramdd", lambda m, s: (m.histogramdd(s, 4), m.histogramdd(s, [2, 3, 4], density=True),
                                  m.histogramdd(s, (np.linspace(-1, 1, 5),) * 3, weights=s[:, 0] ** 2),
                                  m.histogram2d(s[:, 0], s[:, 1], 5),
                                  m.histogram2d(s[:, 0], s[:, 1], [3, 4], range=[[-1, 1], [-2, 2]],
                                                density=True)), (rng.standard_normal((50, 3)),)),
    ("quantile", lambda m, x: (m.quantile(x, 0.3), m.quantile(x, [0.1, 0.9], axis=1),
                               m.quantile(x, np.array([[0.0, 1.0], [0.5, 0.25]]), axis=(0, 2),
                                          keepdims=True),
                               m.percentile(x, 40, axis=-1), m.median(x), m.median(x, axis=(1, 2)),
                               m.median(x[:, :, :4], axis=2, keepdims=True)), (B,)),
    ("quantile_methods", lambda m, x: tuple(
        m.quantile(x, [0.0, 0.37, 1.0], axis=1, method=method)
        for method in ("linear", "lower", "higher", "nearest", "midpoint", "weibull", "hazen",
                       "median_unbiased", "normal_unbiased", "interpolated_inverted_cdf")), (B,)),
    ("quantile_dtypes", lambda m, x: (m.quantile(x, 0.3), m.quantile(x, np.array(0.3)),
                                      m.quantile(x, 0.3, method="nearest"), m.median(x)),
     (V.astype(np.float32),)),
    ("quantile_ints", lambda m, x: (m.quantile(x, 0.3), m.quantile(x, 0.5, method="lower"),
                                    m.median(x)), (INTS,)),
    ("quantile_nan", lambda m, x: (m.quantile(x, 0.5, axis=2), m.median(x, axis=0)), (WITH_NAN,)),
    ("moments", lambda m, x, w: (m.average(x, axis=1, weights=np.arange(4.0)),
                                 m.average(x, weights=w, returned=True), m.ptp(x, axis=0),
                                 m.count_nonzero(x > 0, axis=1), m.cov(x[0]),
                                 m.cov(x[0], x[1], rowvar=False),
                                 m.cov(x[0], fweights=np.arange(5), aweights=np.arange(5.0) + 1, ddof=2),
                                 m.corrcoef(x[0]), m.cov(x[0, 0])), (B, B ** 2)),
    ("nan_reductions", lambda m, x: tuple(
        getattr(m, name)(x, axis=axis, **keyword)
        for name in ("nansum", "nanprod", "nanmax", "nanmin", "nanmean", "nanvar", "nanstd",
                     "nanmedian")
        for axis, keyword in ((2, {}), ((0, 1), {"keepdims": True}))), (WITH_NAN,)),
    ("nan_others", lambda m, x: (m.nanargmax(x[0], axis=1), m.nanargmin(x[0], axis=0),
                                 m.nancumsum(x, axis=1), m.nancumprod(x),
                                 m.nanquantile(x, [0.2, 0.7], axis=2),
                                 m.nanpercentile(x, 30, axis=(0, 2), method="nearest"),
                                 m.nanquantile(x, 0.4, axis=0, method="midpoint"),
                                 m.nanvar(x, ddof=1, axis=0)), (WITH_NAN,)),
    ("nan_on_ints", lambda m, x: (m.nansum(x), m.nanmax(x, axis=0), m.nanmean(x)), (INTS,)),
    ("grids", lambda m, x, y: (m.meshgrid(x, y), m.meshgrid(x, y, indexing="ij", sparse=True),
                               m.meshgrid(x, y, x), m.logspace(0.0, x[1], 5),
                               m.geomspace(x[0] + 3, x[3] + 9, 4), m.diagflat(y, 1),
                               m.unravel_index(np.array([3, 7, 11]), (3, 4)),
                               m.ravel_multi_index((np.array([1, 2]), np.array([3, 0])), (3, 4))),
     (V[:4], V[:3])),
    ("convolve", lambda m, x, v: tuple(m.convolve(x, v, mode) for mode in ("full", "same", "valid"))
     + tuple(m.correlate(x, v, mode) for mode in ("full", "same", "valid"))
     + (m.convolve(v, x, "same"), m.correlate(v, x, "valid")), (V, V[:3])),
    ("einsum_interleaved", lambda m, x, y: (m.einsum(x, [0, 1], y, [1, 2], [2, 0]),
                                            m.einsum(x, [Ellipsis, 1]),
                                            m.einsum(x, [0, 1], x, [0, 1])), (A, A.T)),
    ("einsum_empty", lambda m, x, y: (m.einsum("ij,jk->ik", x[:0], y), m.einsum("ij,jk->ik", x[:, :0], y[:0]),
                                      m.einsum("ii", np.zeros((0, 0)) + x[0, 0])), (A, A.T)),
    ("clip_keywords", lambda m, x: (m.clip(x, a_min=0.5, a_max=None), m.clip(x, max=0.2), m.clip(x, min=-0.1, max=0.1),
                                    m.clip(x, None, 0.3)), (A,)),
]


@pytest.mark.parametrize("label, call, args", CASES, ids=[c[0] for c in CASES])
def test_traced_matches_numpy(label, call, args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = call(np, *args)
        got = traced(lambda *a: call(fnp, *a))(*args)
    expected_leaves, got_leaves = tree.leaves(expected), tree.leaves(got)
    assert len(expected_leaves) == len(got_leaves)
    for index, (e, g) in enumerate(zip(expected_leaves, got_leaves)):
        e, g = np.asarray(e), np.asarray(g)
        assert g.shape == e.shape, (index, g.shape, e.shape)
        assert g.dtype == e.dtype, (index, g.dtype, e.dtype)
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12, err_msg=f"output {index}")


def test_eager_calls_are_numpy_results():
    # On concrete arrays every new name is NumPy's own function (same values, same types).
    assert fnp.allclose(A, A) is np.allclose(A, A)
    np.testing.assert_array_equal(fnp.pad(A, 1, "wrap"), np.pad(A, 1, "wrap"))
    np.testing.assert_array_equal(fnp.r_[V, 1.0], np.r_[V, 1.0])
    assert fnp.__version__ == np.__version__


def test_partition_contract():
    # NumPy's partition only promises the kth element's place; check that contract.
    for kth in (0, 2, 4):
        result = traced(lambda x: fnp.partition(x, kth))(A)
        np.testing.assert_allclose(result[:, kth], np.partition(A, kth)[:, kth])
        assert (result[:, :kth] <= result[:, kth:kth + 1]).all()
        assert (result[:, kth + 1:] >= result[:, kth:kth + 1]).all()
        indices = traced(lambda x: fnp.argpartition(x, kth))(A)
        np.testing.assert_allclose(np.take_along_axis(A, indices, 1)[:, kth], result[:, kth])


def test_static_size_forms_match_numpy():
    x = np.array([[0.0, 3.0, 0.0], [1.0, 0.0, 2.0]])
    rows, columns = traced(lambda v: fnp.nonzero(v, size=5, fill_value=-1))(x)
    np.testing.assert_array_equal(rows[:3], np.nonzero(x)[0])
    np.testing.assert_array_equal(columns[:3], np.nonzero(x)[1])
    np.testing.assert_array_equal(rows[3:], [-1, -1])
    np.testing.assert_array_equal(traced(lambda v: fnp.argwhere(v, size=3))(x), np.argwhere(x))
    np.testing.assert_array_equal(traced(lambda v: fnp.flatnonzero(v, size=3))(x), np.flatnonzero(x))
    y = np.array([3.0, 1.0, 3.0, 2.0, np.nan, 1.0, np.nan])
    values, index, inverse, counts = traced(lambda v: fnp.unique(
        v, return_index=True, return_inverse=True, return_counts=True, size=5, fill_value=0))(y)
    expected = np.unique(y, return_index=True, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(values[:4], expected[0])
    np.testing.assert_array_equal(index[:4], expected[1])
    np.testing.assert_array_equal(inverse, expected[2])
    np.testing.assert_array_equal(counts[:4], expected[3])
    assert values[4] == 0 and counts[4] == 0
    np.testing.assert_array_equal(traced(lambda v: fnp.bincount(v, length=6))(np.array([0, 2, 2, 5])),
                                  np.bincount([0, 2, 2, 5], minlength=6))
    with pytest.raises(TypeError, match="size="):
        functrans.jit(fnp.nonzero)(x)


DIFFERENTIABLE = [
    ("pad_modes", lambda x: sum(fnp.sum(fnp.pad(x, w, mode, **k) ** 2) for w, mode, k in (
        (2, "constant", {}), (3, "reflect", {}), (2, "symmetric", {"reflect_type": "odd"}),
        ((1, 3), "wrap", {}), (2, "edge", {}), (2, "linear_ramp", {"end_values": 1.0}),
        (2, "mean", {}), (2, "maximum", {}))), A),
    ("rearranging", lambda x: fnp.sum(fnp.rot90(x) * fnp.arange(20.0).reshape(5, 4))
     + fnp.sum(fnp.r_[x[0], 2.0, x[1]] ** 3) + fnp.sum(fnp.append(x, x[0]) ** 2), A),
    ("elementwise", lambda x: fnp.sum(fnp.logaddexp2(x, 0.3 * x) + fnp.deg2rad(x) ** 2
                                      + fnp.cbrt(x + 3.0) + fnp.copysign(x, -1.0)), A),
    ("differences", lambda x: fnp.sum(fnp.gradient(x, edge_order=2)[1] ** 2)
     + fnp.sum(fnp.diff(x, 2) ** 2) + fnp.trapezoid(x ** 2, axis=0).sum()
     + fnp.sum(fnp.cross(x[:, :3], x[:, 1:4]) ** 2) + fnp.sum(fnp.kron(x[:2, :2], x[2:, 3:]) ** 2), A),
    ("interp", lambda x: fnp.sum(fnp.interp(x, XP, XP ** 2 + 1.0)), A * 0.7),
    ("statistics", lambda x: fnp.sum(fnp.quantile(x, [0.25, 0.6], axis=1) ** 2)
     + fnp.median(x) + fnp.sum(fnp.percentile(x, 30, axis=0, method="midpoint"))
     + fnp.sum(fnp.cov(x)) + fnp.sum(fnp.average(x, axis=0, weights=fnp.arange(1.0, 5.0))), A),
    ("nan_reductions", lambda x: fnp.nansum(x ** 2) + fnp.sum(fnp.nanmean(x, axis=0))
     + fnp.sum(fnp.nanvar(x, axis=1)) + fnp.sum(fnp.nanmax(x, axis=0))
     + fnp.sum(fnp.nanmedian(x, axis=1)) + fnp.sum(fnp.nanquantile(x, 0.3, axis=0)),
     np.where(np.abs(A) > 1.3, np.nan, A)),
    ("einsum_convolve", lambda x: fnp.sum(fnp.einsum(x, [0, 1], x, [2, 1], [0, 2]) ** 2)
     + fnp.sum(fnp.convolve(x[0], x[1], "same") ** 2), A),
]


@pytest.mark.parametrize("label, function, x", DIFFERENTIABLE, ids=[c[0] for c in DIFFERENTIABLE])
def test_gradients_against_finite_differences(label, function, x):
    if np.isnan(x).any():
        # Finite differences over the non-NaN entries only: NaNs stay where they are.
        mask = np.isnan(x)
        values = np.where(mask, 0.0, x)
        check_grads(lambda v: function(fnp.where(mask, np.nan, v)), (values,), order=2)
    else:
        check_grads(function, (x,), order=2)


def test_vmap_matches_a_loop():
    def function(x):
        return (fnp.pad(x, (1, 2), "reflect"), fnp.quantile(x, [0.2, 0.8]), fnp.nanmedian(x),
                fnp.gradient(x), fnp.interp(x, XP, XP ** 2), fnp.r_[x, 0.0, x], fnp.diff(x, 2),
                fnp.select([x > 0.5], [x], default=-x), fnp.unique(x > 0, size=2))

    batch = np.where(rng.random((3, 6)) < 0.2, np.nan, rng.standard_normal((3, 6)))
    batched = functrans.vmap(function)(batch)
    for index, row in enumerate(batch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = traced(function)(row)
        for b, e in zip(tree.leaves(batched), tree.leaves(expected)):
            np.testing.assert_allclose(b[index], e, rtol=1e-12)


@pytest.mark.slow
def test_jit_matches_eager():
    # One compiled function covers many names (each compile costs seconds; this one ~30 s).
    def function(x, w):
        return (fnp.pad(x, 2, "symmetric"), fnp.rot90(x), fnp.r_[x[0], 1.0], fnp.isclose(x, w),
                fnp.nan_to_num(w), fnp.quantile(x, [0.1, 0.5], axis=0), fnp.nanmean(w, axis=1),
                fnp.nanargmax(w, axis=1), fnp.median(x, axis=1), fnp.gradient(x, axis=1),
                fnp.cross(x[:, :3], x[:, 2:]), fnp.kron(x[:2, :2], x[:2, :2]),
                fnp.interp(x, XP, XP ** 2), fnp.histogram(x, 4), fnp.logaddexp2(x, 0.5 * x),
                fnp.convolve(x[0], x[1]), fnp.signbit(w), fnp.einsum(x, [0, 1], x, [0, 1], []))

    w = np.where(np.abs(A) > 1.3, np.nan, A)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = function(A, w)
    got = functrans.jit(function)(A, w)
    for index, (g, e) in enumerate(zip(tree.leaves(got), tree.leaves(expected))):
        assert np.shape(g) == np.shape(e) and np.asarray(g).dtype == np.asarray(e).dtype, index
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14, err_msg=f"output {index}")


def test_more_names_match_numpy():
    a = A
    phases = np.cumsum(V * 3)
    polynomial = np.array([1.0, -2.0, 3.0])

    def call(m, a):
        return (m.polyval(polynomial, a), m.polyadd(polynomial, a[0, :2]),
                m.polysub(a[0, :2], polynomial), m.polymul(polynomial, a[0]), m.polyder(a[0], 2),
                m.polyint(a[0], 2, k=[1, 2]), m.poly(a[0, :3]), m.vecdot(a, a),
                m.matvec(a.T, a[:, 0]), m.vecmat(a[:, 0], a), m.matrix_transpose(a),
                m.unwrap(phases), m.unwrap(phases, period=5.0),
                m.lexsort((a[0], np.array([1, 0, 1, 0, 1]))),
                m.compress([True, False, True, False], a, axis=0), m.extract(a > 0, a),
                m.modf(a * 3), m.isin(a, a[0]), m.apply_along_axis(lambda r: m.cumsum(r)[::2], 1, a),
                m.apply_over_axes(m.sum, a, [0, 1]), m.fromfunction(lambda i, j: i * 2.0 + j, (3, 4)))

    for index, (g, e) in enumerate(zip(tree.leaves(traced(lambda x: call(fnp, x))(a)),
                                       tree.leaves(call(np, a)))):
        assert np.shape(g) == np.shape(e) and np.asarray(g).dtype == np.asarray(e).dtype, index
        np.testing.assert_allclose(g, e, rtol=1e-12, err_msg=f"output {index}")
    expected = a.copy()
    np.put(expected, [1, 7], [9.0, 8.0])
    np.testing.assert_array_equal(
        traced(lambda x: fnp.put(x, np.array([1, 7]), np.array([9.0, 8.0]), inplace=False))(a),
        expected)
    np.testing.assert_array_equal(traced(lambda x: fnp.union1d(x[0], x[1], size=10))(a),
                                  np.union1d(a[0], a[1]))


def test_set_operations_and_integer_functions_match_numpy():
    a = np.array([3, 1, 4, 1, 5, 9, 2, 6])
    b = np.array([2, 7, 1, 8, 2, 8])
    for name in ("intersect1d", "setdiff1d", "setxor1d", "union1d"):
        expected = getattr(np, name)(a, b)
        got = traced(lambda x, y: getattr(fnp, name)(x, y, size=9, fill_value=-1))(a, b)
        np.testing.assert_array_equal(got[:len(expected)], expected)
        assert (got[len(expected):] == -1).all()
    x, y = np.array([12, -18, 0, 7, 0]), np.array([8, 27, 5, 0, 0])
    gcd, lcm = traced(lambda p, q: (fnp.gcd(p, q), fnp.lcm(p, q)))(x, y)
    np.testing.assert_array_equal(gcd, np.gcd(x, y))
    np.testing.assert_array_equal(lcm, np.lcm(x, y))
    assert gcd.dtype == np.gcd(x, y).dtype


def test_numpy_calls_on_tracers_reach_the_new_functions():
    # NumPy's __array_function__/__array_ufunc__ protocols send np.<name>(tracer) here.
    def function(x):
        return (np.pad(x, 1, "edge"), np.quantile(x, 0.25), np.nanmean(x), np.deg2rad(x),
                np.ix_(np.array([0, 2]), np.array([1]))[0], np.gcd(np.arange(4), 2))

    got = functrans.vmap(function)(A[None])
    expected = function(A)
    for g, e in zip(tree.leaves(got), tree.leaves(expected)):
        g = g[0] if np.ndim(g) > np.ndim(e) else g
        np.testing.assert_allclose(g, e, rtol=1e-12)
    with pytest.raises(TypeError, match="size="):
        functrans.make_jaxpr(lambda x: np.unique_values(x))(A)


def test_polyfit_roots_i0_and_sort_complex_match_numpy():
    x = np.linspace(0.0, 1.0, 8)
    y = np.sin(3 * x) + 0.1 * rng.standard_normal(8)
    weights = rng.random(8) + 0.5
    np.testing.assert_allclose(traced(lambda a, b: fnp.polyfit(a, b, 3))(x, y),
                               np.polyfit(x, y, 3), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(traced(lambda a, b: fnp.polyfit(a, b, 2, w=weights))(x, y),
                               np.polyfit(x, y, 2, w=weights), rtol=1e-10, atol=1e-12)
    check_grads(lambda b: fnp.sum(fnp.polyfit(x, b, 2) ** 2), (y,), order=1)
    cubic = np.array([1.0, -6.0, 11.0, -6.0])
    np.testing.assert_allclose(
        np.sort_complex(traced(lambda p: fnp.roots(p, strip_zeros=False))(cubic)),
        np.sort_complex(np.roots(cubic)), atol=1e-10)
    values = np.array([3 + 1j, 1 + 2j, 1 + 1j])
    np.testing.assert_array_equal(traced(fnp.sort_complex)(values), np.sort_complex(values))
    for argument in (np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0], np.float32)):
        got, expected = traced(fnp.i0)(argument), np.i0(argument)
        assert got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    check_grads(lambda v: fnp.sum(fnp.i0(v)), (np.array([0.3, 1.2]),), order=2)
