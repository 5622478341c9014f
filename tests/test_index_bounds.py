"""Traced scalar indices out of range: IndexError under jit as in NumPy and eager mode, never a
clamped (silently wrong) element; the explicit out-of-bounds modes of ``take`` (NumPy's) and
``x.at[i]`` (JAX's) against references written with NumPy.

The lax-level ``dynamic_slice``/``dynamic_update_slice`` keep clamping, as JAX documents.
"""
import numpy as np
import pytest

import functrans
import functrans.numpy as fnp
from functrans import config, grad, jit, lax, vmap

X = np.arange(4.0) + 1.0
M = np.arange(6.0).reshape(2, 3)


@pytest.fixture(scope="module")
def kernels():
    """A few jitted functions, compiled once (with numba's boundscheck: an access outside a
    buffer would raise there rather than read memory)."""
    with config.override(jit_boundscheck=True):
        yield {
            "scalar": jit(lambda x, i: (x[i], x.at[i].get(), x.at[i].set(-1.0),
                                        x.at[i].add(10.0), grad(lambda x: x[i] ** 2)(x))),
            "matrix": jit(lambda m, i, j: (m[i], m[:, j], m[i, j], m[1, j], m[i, -1])),
            "rows": jit(lambda m, i, index: (vmap(lambda row, k: row[k])(m, i),
                                             fnp.take_along_axis(m, index, 1))),
            "modes": jit(_moded),
            "wrap": jit(lambda x, i: fnp.take(x, i, mode="wrap")),
        }


@pytest.mark.parametrize("i", [4, -5, 100, -2**40])
def test_an_out_of_range_traced_scalar_index_raises_under_jit(kernels, i):
    with pytest.raises(IndexError):
        X[i]
    with pytest.raises(IndexError, match="out of bounds"):
        kernels["scalar"](X, np.int64(i))


@pytest.mark.parametrize("i", [0, 3, -1, -4])
def test_in_range_traced_scalar_indices_agree_with_numpy(kernels, i):
    expected_set, expected_add = X.copy(), X.copy()
    expected_set[i] = -1.0
    expected_add[i] += 10.0
    value, got, updated, added, derivative = kernels["scalar"](X, np.int64(i))
    assert value == X[i] and got == X[i]
    np.testing.assert_array_equal(updated, expected_set)
    np.testing.assert_array_equal(added, expected_add)
    gradient = np.zeros_like(X)
    gradient[i] = 2 * X[i]
    np.testing.assert_array_equal(derivative, gradient)


@pytest.mark.parametrize("i, j", [(2, 0), (-3, 0), (0, 3), (1, -4)])
def test_out_of_range_scalar_indices_of_a_matrix_raise(kernels, i, j):
    with pytest.raises(IndexError, match="out of bounds"):
        kernels["matrix"](M, np.int64(i), np.int64(j))


def test_in_range_scalar_indices_of_a_matrix_agree_with_numpy(kernels):
    for i, j in [(0, 0), (1, 2), (-1, -3), (-2, 1)]:
        got = kernels["matrix"](M, np.int64(i), np.int64(j))
        for value, expected in zip(got, (M[i], M[:, j], M[i, j], M[1, j], M[i, -1])):
            np.testing.assert_array_equal(value, expected)


def test_traced_scalar_indices_raise_without_jit_too():
    with pytest.raises(IndexError, match="out of bounds"):
        grad(lambda x, i: x[i])(X, 4)


def test_a_batched_index_out_of_its_row_never_reads_a_neighbouring_row(kernels):
    # Merged into one axis, (row 0, index 3) would be row 1's element 0.
    index = np.array([[2], [-1]])
    picked, along = kernels["rows"](M, np.array([2, -3]), index)
    np.testing.assert_array_equal(picked, [M[0, 2], M[1, 0]])
    np.testing.assert_array_equal(along, np.take_along_axis(M, index, 1))
    for bad in ([3, 0], [0, -4], [-4, 1]):
        with pytest.raises(IndexError):
            kernels["rows"](M, np.array(bad), index)


def test_take_along_axis_out_of_range_raises_rather_than_reading_the_next_row(kernels):
    with pytest.raises(IndexError):
        np.take_along_axis(M, np.array([[3], [0]]), 1)
    with pytest.raises(IndexError):
        kernels["rows"](M, np.array([0, 0]), np.array([[3], [0]]))


def _moded(x, i):
    return (fnp.take(x, i, mode="clip"), fnp.take(x, i, mode="wrap"),
            x.at[i].get(mode="clip"), x.at[i].get(mode="fill"),
            x.at[i].get(mode="fill", fill_value=-5.0), x.at[i].get(mode="drop"),
            x.at[i].set(0.0, mode="clip"), x.at[i].set(0.0, mode="drop"),
            x.at[i].add(1.0, mode="drop"), x.at[i].add(1.0, mode="fill"))


def _references(x, i):
    """NumPy's take modes, and JAX's documented .at modes: negative indices counted from
    the end once, then clipped, filled (NaN or fill_value) or dropped ('fill' and 'drop'
    are one mode)."""
    n = len(x)
    wrapped = i + n if i < 0 else i
    inside = 0 <= wrapped < n
    clipped = min(max(wrapped, 0), n - 1)
    set_clip, set_drop, add_drop = x.copy(), x.copy(), x.copy()
    set_clip[clipped] = 0.0
    if inside:
        set_drop[wrapped] = 0.0
        add_drop[wrapped] += 1.0
    return (np.take(x, i, mode="clip"), np.take(x, i, mode="wrap"), x[clipped],
            x[wrapped] if inside else np.nan, x[wrapped] if inside else -5.0,
            x[wrapped] if inside else np.nan, set_clip, set_drop, add_drop, add_drop)


@pytest.mark.parametrize("i", [-9, -5, -4, -1, 0, 3, 4, 11])
def test_out_of_bounds_modes_of_take_and_at_follow_numpy_and_jax(kernels, i):
    got = kernels["modes"](X, np.int64(i))
    for k, (value, want) in enumerate(zip(got, _references(X, i))):
        np.testing.assert_array_equal(value, want, err_msg=f"output {k}")


def test_take_wraps_huge_indices_at_once_eagerly_traced_and_under_jit(kernels):
    # NumPy's own mode='wrap' steps such an index back one axis length at a time (minutes).
    indices = np.array([2**40, -(2**40) - 1, 2**62, 7], np.int64)
    want = X[[int(i) % len(X) for i in indices]]  # Python's modulo is NumPy's wrap
    np.testing.assert_array_equal(fnp.take(X, indices, mode="wrap"), want)
    np.testing.assert_array_equal(kernels["wrap"](X, indices), want)


def test_fill_and_drop_modes_with_index_arrays_and_slices():
    i = np.array([0, 5, -1])
    got = fnp.at(M)[:, i].get(mode="fill", fill_value=-1.0)
    expected = np.where(np.array([True, False, True]), M[:, [0, 0, 2]], -1.0)
    np.testing.assert_array_equal(got, expected)
    expected_set = M.copy()
    expected_set[[0, 1], 1:] = 7.0
    got = jit(lambda m, i: m.at[i, 1:].set(7.0, mode="drop"))(M, np.array([0, 5, -1]))
    np.testing.assert_array_equal(got, expected_set)
    # Filled entries have no derivative; the others are the gather's.
    gradient = grad(lambda x: fnp.sum(x.at[np.array([0, 9, 2])].get(mode="fill", fill_value=0.0)))(X)
    np.testing.assert_array_equal(gradient, [1.0, 0.0, 1.0, 0.0])
    clipped = jit(lambda x, i: (x.at[i].get(mode="clip"), x.at[i].add(1.0, mode="clip")))
    got, added = clipped(X, np.array([-9, 2, 7]))
    np.testing.assert_array_equal(got, X[[0, 2, 3]])
    np.testing.assert_array_equal(added, X + [1.0, 0.0, 1.0, 1.0])
    ints = fnp.at(np.arange(3))[np.array([5])].get(mode="fill")
    assert ints.tolist() == [np.iinfo(np.int64).min]


def test_unknown_modes_are_value_errors():
    with pytest.raises(ValueError, match="mode"):
        functrans.make_jaxpr(lambda x, i: x.at[i].get(mode="wrap"))(X, 1)
    with pytest.raises(ValueError, match="mode"):
        functrans.make_jaxpr(lambda x, i: fnp.take(x, i, mode="fill"))(X, 1)


def test_lax_dynamic_slice_still_clamps_as_jax_documents():
    sliced = jit(lambda x, i: (lax.dynamic_slice(x, (i,), (2,)),
                               lax.dynamic_update_slice(x, np.zeros(2), (i,))))
    block, updated = sliced(X, np.int64(7))
    np.testing.assert_array_equal(block, X[2:])
    np.testing.assert_array_equal(updated, np.concatenate([X[:2], np.zeros(2)]))
