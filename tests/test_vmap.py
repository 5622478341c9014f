"""vmap: batched functions equal a Python loop, over many primitives and axis choices.

Each case pairs a function written with ``functrans.lax`` with a NumPy
reference of one example; the oracle for ``vmap(f)`` is the NumPy reference
applied example by example and stacked. Hypothesis picks the batch size,
which arguments are batched and along which axis, and the output axis.
"""
import math
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functrans import grad, jacfwd, jvp, lax, vmap

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)
DIMS = (((1,), (0,)), ((), ()))  # matrix-vector / matrix-matrix product


# --- NumPy references ------------------------------------------------------------------

def np_dynamic_slice(x, starts, sizes):
    starts = [int(np.clip(s, 0, n - k)) for s, n, k in zip(starts, x.shape, sizes)]
    return x[tuple(slice(s, s + k) for s, k in zip(starts, sizes))]


def np_dynamic_update_slice(x, update, starts):
    out = x.copy()
    starts = [int(np.clip(s, 0, n - k)) for s, n, k in zip(starts, x.shape, update.shape)]
    out[tuple(slice(s, s + k) for s, k in zip(starts, update.shape))] = update
    return out


def np_pad(x, value, config):
    shape = [lo + hi + n + (n - 1) * interior for n, (lo, hi, interior) in zip(x.shape, config)]
    out = np.full(shape, value, dtype=x.dtype)
    out[tuple(slice(lo, lo + (n - 1) * (interior + 1) + 1, interior + 1)
              for n, (lo, _, interior) in zip(x.shape, config))] = x
    return out


def np_scatter_add(x, indices, updates, axis):
    out = x.copy()
    np.add.at(out, (slice(None),) * axis + (indices,), updates)
    return out


def np_sort_pair(keys, values):
    order = np.argsort(keys, kind="stable")
    return keys[order], values[order]


# --- the cases -------------------------------------------------------------------------

@dataclass
class Arg:
    shape: tuple
    kind: str = "f"       # "f": float64 normal; "i": integer in [low, high); "p": positive float
    low: int = 0
    high: int = 1

    def sample(self, rng):
        if self.kind == "i":
            return rng.integers(self.low, self.high, self.shape)
        if self.kind == "p":
            return rng.uniform(0.5, 2.0, self.shape)
        return rng.standard_normal(self.shape)


@dataclass
class Case:
    f: object
    ref: object
    args: list


def _scalar(value, like):
    return lax.broadcast_in_dim(np.float64(value), np.shape(like), ())


CASES = {
    "elementwise": Case(
        lambda x, y: lax.add(lax.mul(lax.sin(x), y),
                             lax.div(lax.exp(lax.neg(x)), lax.add(lax.mul(y, y), _scalar(1.0, y)))),
        lambda x, y: np.sin(x) * y + np.exp(-x) / (y * y + 1),
        [Arg((3, 4)), Arg((3, 4))]),
    "unary_chain": Case(
        lambda x: lax.sub(lax.tanh(lax.log1p(lax.abs(x))), lax.integer_pow(lax.cos(x), 3)),
        lambda x: np.tanh(np.log1p(np.abs(x))) - np.cos(x) ** 3,
        [Arg((5,))]),
    "select_max_min": Case(
        lambda x, y: lax.select(lax.gt(x, y), lax.max(x, lax.sqrt(lax.abs(y))), lax.min(x, y)),
        lambda x, y: np.where(x > y, np.maximum(x, np.sqrt(np.abs(y))), np.minimum(x, y)),
        [Arg((2, 3)), Arg((2, 3))]),
    "scalar_broadcast": Case(
        lambda s, x: lax.mul(lax.broadcast_in_dim(s, (3, 4), ()), x),
        lambda s, x: s * x,
        [Arg(()), Arg((3, 4))]),
    "broadcast_in_dim": Case(
        lambda v, x: lax.add(lax.broadcast_in_dim(v, (2, 3, 4), (1,)), x),
        lambda v, x: v[None, :, None] + x,
        [Arg((3,)), Arg((2, 3, 4))]),
    "reduce_sum": Case(
        lambda x: (lax.reduce_sum(x, (0, 2)), lax.reduce_sum(x, (1,))),
        lambda x: (x.sum((0, 2)), x.sum(1)),
        [Arg((2, 3, 4))]),
    "reduce_max_min_prod": Case(
        lambda x: (lax.reduce_max(x, (1,)), lax.reduce_min(x, (0,)), lax.reduce_prod(x, (0, 1))),
        lambda x: (x.max(1), x.min(0), x.prod()),
        [Arg((3, 4))]),
    "argmax_argmin": Case(
        lambda x: (lax.argmax(x, 1), lax.argmin(x, 0)),
        lambda x: (np.argmax(x, 1), np.argmin(x, 0)),
        [Arg((3, 4))]),
    "dot_matmul": Case(
        lambda a, b: lax.dot_general(a, b, DIMS),
        lambda a, b: a @ b,
        [Arg((3, 4)), Arg((4, 2))]),
    "dot_vector": Case(
        lambda v, a: lax.dot_general(v, a, (((0,), (0,)), ((), ()))),
        lambda v, a: v @ a,
        [Arg((4,)), Arg((4, 3))]),
    "dot_batch_dims": Case(
        lambda a, b: lax.dot_general(a, b, (((2,), (1,)), ((0,), (0,)))),
        lambda a, b: np.einsum("bij,bjk->bik", a, b),
        [Arg((2, 3, 4)), Arg((2, 4, 5))]),
    "dot_contract_first": Case(
        lambda a, b: lax.dot_general(a, b, (((0,), (1,)), ((), ()))),
        lambda a, b: np.einsum("ji,kj->ik", a, b),
        [Arg((3, 2)), Arg((4, 3))]),
    "reshape_transpose": Case(
        lambda x: lax.reshape(lax.transpose(x, (2, 0, 1)), (4, 6)),
        lambda x: np.transpose(x, (2, 0, 1)).reshape(4, 6),
        [Arg((2, 3, 4))]),
    "slice": Case(
        lambda x: lax.slice(x, (1, 0), (4, 6), (1, 2)),
        lambda x: x[1:4, 0:6:2],
        [Arg((5, 6))]),
    "rev_squeeze_expand": Case(
        lambda x: (lax.rev(x, (1,)), lax.squeeze(lax.expand_dims(x, (1,)), (1,)),
                   lax.expand_dims(x, (0,))),
        lambda x: (x[:, ::-1], x, x[None]),
        [Arg((2, 3))]),
    "gather": Case(
        lambda x, i: lax.gather(x, i, 1),
        lambda x, i: np.take(x, i, axis=1),
        [Arg((3, 5)), Arg((4,), "i", -5, 5)]),
    "gather_2d_indices": Case(
        lambda x, i: lax.gather(x, i, 0),
        lambda x, i: np.take(x, i, axis=0),
        [Arg((5, 2)), Arg((2, 3), "i", 0, 5)]),
    "scatter_add": Case(
        lambda x, i, u: lax.scatter_add(x, i, u, 0),
        lambda x, i, u: np_scatter_add(x, i, u, 0),
        [Arg((5, 3)), Arg((4,), "i", 0, 5), Arg((4, 3))]),
    "scatter_add_axis1_negative": Case(
        lambda x, i, u: lax.scatter_add(x, i, u, 1),
        lambda x, i, u: np_scatter_add(x, i, u, 1),
        [Arg((2, 5)), Arg((6,), "i", -5, 5), Arg((2, 6))]),
    "take_along_axis": Case(
        lambda x, i: lax.take_along_axis(x, i, 1),
        lambda x, i: np.take_along_axis(x, i, 1),
        [Arg((3, 4)), Arg((3, 2), "i", 0, 4)]),
    "dynamic_slice": Case(
        lambda x, s0, s1: lax.dynamic_slice(x, (s0, s1), (2, 3)),
        lambda x, s0, s1: np_dynamic_slice(x, (s0, s1), (2, 3)),
        [Arg((5, 6)), Arg((), "i", -2, 7), Arg((), "i", -2, 7)]),
    "dynamic_update_slice": Case(
        lambda x, u, s0, s1: lax.dynamic_update_slice(x, u, (s0, s1)),
        lambda x, u, s0, s1: np_dynamic_update_slice(x, u, (s0, s1)),
        [Arg((5, 6)), Arg((2, 3)), Arg((), "i", -2, 7), Arg((), "i", -2, 7)]),
    "concatenate": Case(
        lambda x, y, z: lax.concatenate([x, y, z], 1),
        lambda x, y, z: np.concatenate([x, y, z], 1),
        [Arg((2, 3)), Arg((2, 1)), Arg((2, 2))]),
    "pad": Case(
        lambda x, v: lax.pad(x, v, ((1, 2, 0), (0, 1, 1))),
        lambda x, v: np_pad(x, v, ((1, 2, 0), (0, 1, 1))),
        [Arg((3, 4)), Arg(())]),
    "cumsum_cumprod": Case(
        lambda x: (lax.cumsum(x, 1), lax.cumsum(x, 0, reverse=True), lax.cumprod(x, 1)),
        lambda x: (np.cumsum(x, 1), np.flip(np.cumsum(np.flip(x, 0), 0), 0), np.cumprod(x, 1)),
        [Arg((3, 4))]),
    "sort": Case(
        lambda x: lax.sort((x,), 1)[0],
        lambda x: np.sort(x, 1),
        [Arg((3, 5))]),
    "sort_key_value": Case(
        lambda k, v: lax.sort((k, v), 0, num_keys=1),
        np_sort_pair,
        [Arg((6,)), Arg((6,))]),
    "convert_and_compare": Case(
        lambda x, y: (lax.convert_element_type(x, np.float32), lax.le(x, y)),
        lambda x, y: (x.astype(np.float32), x <= y),
        [Arg((4,)), Arg((4,))]),
    "mlp": Case(
        lambda w, b, x: lax.tanh(lax.add(lax.dot_general(w, x, DIMS), b)),
        lambda w, b, x: np.tanh(w @ x + b),
        [Arg((3, 4)), Arg((3,)), Arg((4,))]),
}


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def _axis_choices(ndim):
    """Axes at which a per-example array of ``ndim`` dims can carry the batch (None: unbatched)."""
    return [None, 0, -1] + ([1] if ndim >= 1 else [])


def _insert_batch(stacked, axis):
    """``stacked`` has the batch first; move it to ``axis`` (an in_axes value)."""
    return np.moveaxis(stacked, 0, axis % stacked.ndim)


def _expected(case, examples, in_axes, size, out_axis):
    """Per-example NumPy results stacked, the batch moved to ``out_axis``."""
    per_example = []
    for b in range(size):
        args = [example if axis is None else example[b] for example, axis in zip(examples, in_axes)]
        per_example.append(_as_tuple(case.ref(*args)))
    outputs = []
    for k in range(len(per_example[0])):
        stacked = np.stack([np.asarray(r[k]) for r in per_example])
        outputs.append(np.moveaxis(stacked, 0, out_axis % stacked.ndim))
    return outputs


def _check_outputs(got, expected):
    got = _as_tuple(got)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        g = np.asarray(g)
        assert g.shape == e.shape, (g.shape, e.shape)
        assert g.dtype == e.dtype, (g.dtype, e.dtype)
        if e.dtype.kind in "biu":
            np.testing.assert_array_equal(g, e)
        else:
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
@SETTINGS
@given(data=st.data())
def test_vmap_equals_loop(name, data):
    case = CASES[name]
    size = data.draw(st.sampled_from([1, 2, 3, 5]), label="size")
    seed = data.draw(st.integers(0, 2 ** 32 - 1), label="seed")
    in_axes = [data.draw(st.sampled_from(_axis_choices(len(arg.shape))), label=f"in_axis{i}")
               for i, arg in enumerate(case.args)]
    rng = np.random.default_rng(seed)
    # Unbatched arguments are one example; batched ones are `size` examples stacked at the axis.
    per_arg = []
    batched_args = []
    for arg, axis in zip(case.args, in_axes):
        if axis is None:
            value = arg.sample(rng)
            per_arg.append(value)
            batched_args.append(value)
        else:
            stacked = np.stack([arg.sample(rng) for _ in range(size)])
            per_arg.append(stacked)
            batched_args.append(_insert_batch(stacked, axis))
    out_ndims = [np.ndim(o) for o in _as_tuple(case.ref(*[a.sample(rng) for a in case.args]))]
    out_axis = data.draw(st.sampled_from([0, -1] + ([1] if min(out_ndims) >= 1 else [])),
                         label="out_axes")
    expected = _expected(case, per_arg, in_axes, size, out_axis)
    axis_size = size if all(a is None for a in in_axes) else None
    got = vmap(case.f, in_axes=tuple(in_axes), out_axes=out_axis, axis_size=axis_size)(*batched_args)
    _check_outputs(got, expected)


@pytest.mark.parametrize("name", ["elementwise", "dot_matmul", "gather", "dynamic_slice",
                                  "scatter_add", "pad", "sort_key_value", "mlp"])
def test_nested_vmap_equals_double_loop(name):
    case = CASES[name]
    rng = np.random.default_rng(7)
    outer, inner = 3, 2
    # every argument batched by both maps: outer at axis 0, inner at the last axis
    examples = [np.stack([np.stack([arg.sample(rng) for _ in range(inner)])
                          for _ in range(outer)]) for arg in case.args]   # (outer, inner, ...)
    batched = [np.moveaxis(e, 1, -1) for e in examples]                   # (outer, ..., inner)
    f = vmap(vmap(case.f, in_axes=-1, out_axes=0), in_axes=0, out_axes=0)
    got = _as_tuple(f(*batched))
    for i in range(outer):
        for j in range(inner):
            expected = _as_tuple(case.ref(*[e[i, j] for e in examples]))
            for g, e in zip(got, expected):
                np.testing.assert_allclose(np.asarray(g)[i, j], e, rtol=1e-12, atol=1e-12)


def test_nested_vmap_outer_product_with_unbatched_inner_arguments():
    # vmap over rows of x, inner vmap over rows of y: all pairwise dot products
    x = np.arange(6.0).reshape(3, 2)
    y = np.arange(8.0).reshape(4, 2) - 3
    dot = lambda a, b: lax.dot_general(a, b, (((0,), (0,)), ((), ())))  # noqa: E731
    pairwise = vmap(lambda a: vmap(lambda b: dot(a, b))(y))(x)
    np.testing.assert_allclose(pairwise, x @ y.T)
    pairwise_t = vmap(lambda a: vmap(lambda b: dot(a, b), out_axes=0)(y), out_axes=1)(x)
    np.testing.assert_allclose(pairwise_t, y @ x.T)


# --- pytrees in in_axes and out_axes, axis_size ----------------------------------------

def test_in_axes_with_dict_and_tuple():
    def f(params, pair):
        w, b = params["w"], params["b"]
        x, scale = pair
        return {"out": lax.mul(lax.add(lax.dot_general(w, x, DIMS), b), scale)}

    rng = np.random.default_rng(3)
    w = rng.standard_normal((3, 4))
    bs = rng.standard_normal((5, 3))           # batched along 0
    xs = rng.standard_normal((4, 5))           # batched along 1
    scale = rng.standard_normal(3)             # unbatched
    out = vmap(f, in_axes=({"w": None, "b": 0}, (1, None)))({"w": w, "b": bs}, (xs, scale))
    assert set(out) == {"out"}
    expected = np.stack([(w @ xs[:, k] + bs[k]) * scale for k in range(5)])
    np.testing.assert_allclose(out["out"], expected, rtol=1e-12)
    # a single int for a whole dict argument applies to every leaf
    out2 = vmap(f, in_axes=(0, (1, None)))({"w": np.stack([w] * 5), "b": bs}, (xs, scale))
    np.testing.assert_allclose(out2["out"], expected, rtol=1e-12)
    # in_axes given as a list behaves like a tuple
    out3 = vmap(f, in_axes=[{"w": None, "b": 0}, (1, None)])({"w": w, "b": bs}, (xs, scale))
    np.testing.assert_allclose(out3["out"], expected, rtol=1e-12)


def test_out_axes_pytree_and_none():
    def f(x, c):
        return {"row": lax.mul(x, c), "const": lax.exp(c)}, lax.reduce_sum(x, (0,))

    xs = np.arange(12.0).reshape(3, 4)
    c = np.linspace(0.1, 0.4, 4)
    (d, sums) = vmap(f, in_axes=(0, None), out_axes=({"row": 1, "const": None}, 0))(xs, c)
    np.testing.assert_allclose(d["row"], (xs * c).T)
    np.testing.assert_allclose(d["const"], np.exp(c))
    assert d["const"].shape == (4,)
    np.testing.assert_allclose(sums, xs.sum(1))
    # an unbatched output with an int out axis is broadcast along the batch
    (d2, _) = vmap(f, in_axes=(0, None))(xs, c)
    np.testing.assert_allclose(d2["const"], np.broadcast_to(np.exp(c), (3, 4)))


def test_axis_size_with_no_batched_inputs():
    x = np.array([0.1, 0.2])
    out = vmap(lambda x: lax.sin(x), in_axes=None, axis_size=4)(x)
    np.testing.assert_allclose(out, np.broadcast_to(np.sin(x), (4, 2)))
    out = vmap(lambda x: lax.sin(x), in_axes=None, axis_size=3, out_axes=1)(x)
    np.testing.assert_allclose(out, np.broadcast_to(np.sin(x)[:, None], (2, 3)))
    # axis_size agreeing with the batched inputs is fine
    np.testing.assert_allclose(vmap(lax.sin, axis_size=2)(x), np.sin(x))


def test_identity_moves_the_batch_axis_to_out_axes():
    x = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(vmap(lambda a: a, in_axes=1)(x), np.moveaxis(x, 1, 0))
    np.testing.assert_array_equal(vmap(lambda a: a, in_axes=2, out_axes=1)(x),
                                  np.moveaxis(x, 2, 1))
    np.testing.assert_array_equal(vmap(lambda a: a, in_axes=-1, out_axes=-1)(x), x)
    # a Python scalar result is broadcast along the batch
    np.testing.assert_array_equal(vmap(lambda a: 1.0)(np.arange(3.0)), np.ones(3))


def test_unbatched_output_stays_unbatched_until_the_end():
    # a closed-over constant result is broadcast only at the output
    c = np.array([1.0, 2.0])
    out = vmap(lambda x: (lax.mul(x, x), lax.exp(c)), out_axes=(0, None))(np.arange(3.0))
    np.testing.assert_allclose(out[0], np.arange(3.0) ** 2)
    np.testing.assert_allclose(out[1], np.exp(c))


# --- per-example gradients and composition with grad ------------------------------------

def _logistic_loss(w, x, y):
    margin = lax.mul(lax.neg(y), lax.dot_general(x, w, (((0,), (0,)), ((), ()))))
    return lax.log1p(lax.exp(margin))


def test_per_example_gradients_of_logistic_regression():
    rng = np.random.default_rng(11)
    n, d = 256, 5
    w = rng.standard_normal(d) * 0.5
    xs = rng.standard_normal((n, d))
    ys = rng.choice([-1.0, 1.0], n)
    per_example = vmap(grad(_logistic_loss), in_axes=(None, 0, 0))(w, xs, ys)
    assert per_example.shape == (n, d)
    # closed form: d/dw log(1 + exp(-y x.w)) = -y x / (1 + exp(y x.w))
    closed = (-ys / (1 + np.exp(ys * (xs @ w))))[:, None] * xs
    np.testing.assert_allclose(per_example, closed, rtol=1e-12, atol=1e-14)
    loop = np.stack([grad(_logistic_loss)(w, xs[i], ys[i]) for i in range(n)])
    np.testing.assert_allclose(per_example, loop, rtol=1e-13, atol=1e-15)
    # gradient of the mean loss = mean of the per-example gradients
    mean_loss = lambda w: lax.div(  # noqa: E731
        lax.reduce_sum(vmap(_logistic_loss, in_axes=(None, 0, 0))(w, xs, ys), (0,)), np.float64(n))
    np.testing.assert_allclose(grad(mean_loss)(w), closed.mean(0), rtol=1e-12, atol=1e-14)
    # and with the batch along axis 1 of x, out_axes=1
    per_example_t = vmap(grad(_logistic_loss), in_axes=(None, 1, 0), out_axes=1)(w, xs.T, ys)
    np.testing.assert_allclose(per_example_t, closed.T, rtol=1e-12, atol=1e-14)


def test_grad_of_a_function_that_calls_vmap():
    rng = np.random.default_rng(5)
    xs = rng.standard_normal((6, 3))
    w = rng.standard_normal(3)

    def f(w):
        return lax.reduce_sum(vmap(lambda x: lax.sin(lax.dot_general(x, w, (((0,), (0,)), ((), ())))))
                              (xs), (0,))

    np.testing.assert_allclose(f(w), np.sin(xs @ w).sum(), rtol=1e-13)
    np.testing.assert_allclose(grad(f)(w), (np.cos(xs @ w)[:, None] * xs).sum(0), rtol=1e-12)


def _numerical_jacobian(f, x, eps=1e-6):
    columns = []
    for k in range(x.size):
        step = np.zeros_like(x)
        step.flat[k] = eps
        columns.append((f(x + step) - f(x - step)) / (2 * eps))
    return np.stack(columns, -1)


def test_jacfwd_via_vmap_of_jvp_equals_finite_differences():
    def f(x):
        return lax.mul(lax.sin(lax.cumsum(x, 0)), lax.rev(x, (0,)))

    def f_np(x):
        return np.sin(np.cumsum(x)) * x[::-1]

    x = np.array([0.2, -0.4, 1.1, 0.7])
    numerical = _numerical_jacobian(f_np, x)
    # push each basis vector through jvp, batched by vmap: column k is J e_k
    columns = vmap(lambda t: jvp(f, (x,), (t,))[1], out_axes=1)(np.eye(4))
    np.testing.assert_allclose(columns, numerical, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(jacfwd(f)(x), numerical, rtol=1e-7, atol=1e-8)
    # rows by vmap over the pullback: row i is e_i^T J
    rows = vmap(grad(lambda x, e: lax.reduce_sum(lax.mul(f(x), e), (0,)), argnums=0),
                in_axes=(None, 0))(x, np.eye(4))
    np.testing.assert_allclose(rows, numerical, rtol=1e-7, atol=1e-8)


def test_vmap_of_jacfwd_and_hessian_per_example():
    xs = np.array([[0.1, 0.2], [0.5, -0.3], [1.0, 2.0]])
    f = lambda x: lax.reduce_sum(lax.mul(lax.sin(x), lax.exp(x)), (0,))  # noqa: E731
    # Hessian of sum(sin(x) e^x) is diagonal with 2 e^x cos(x)
    hessians = vmap(jacfwd(grad(f)))(xs)
    expected = np.stack([np.diag(2 * np.exp(x) * np.cos(x)) for x in xs])
    np.testing.assert_allclose(hessians, expected, rtol=1e-12, atol=1e-14)


# --- errors ----------------------------------------------------------------------------

def test_inconsistent_batch_sizes_names_arguments_and_sizes():
    def f(first, second):
        return lax.add(first, second)

    with pytest.raises(ValueError, match="inconsistent sizes") as info:
        vmap(f)(np.ones((3, 2)), np.ones((4, 2)))
    message = str(info.value)
    assert "'first'" in message and "'second'" in message
    assert "size 3" in message and "size 4" in message
    with pytest.raises(ValueError, match=r"size 2: .*'second'"):
        vmap(f, in_axes=(0, 1))(np.ones((3, 2)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="axis_size"):
        vmap(lax.sin, axis_size=5)(np.ones(3))


def test_in_axes_structure_mismatch():
    f = lambda x, y: lax.add(x, y)  # noqa: E731
    with pytest.raises(ValueError, match="does not match the structure"):
        vmap(f, in_axes=(0,))(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="does not match the structure"):
        vmap(lambda d: d["a"], in_axes=({"b": 0},))({"a": np.ones(3)})
    with pytest.raises(ValueError, match="does not match the structure"):
        vmap(lambda t: t[0], in_axes=((0, 0),))((np.ones(3),))


def test_in_axes_out_of_range():
    with pytest.raises(ValueError, match=r"in_axes=2 is out of range.*shape \(3, 4\)"):
        vmap(lax.sin, in_axes=2)(np.ones((3, 4)))
    with pytest.raises(ValueError, match="out of range"):
        vmap(lax.sin, in_axes=-3)(np.ones((3, 4)))
    with pytest.raises(ValueError, match="out of range"):
        vmap(lax.sin)(np.float64(1.0))


def test_out_axes_errors():
    with pytest.raises(ValueError, match="out_axes=None"):
        vmap(lax.sin, out_axes=None)(np.ones(3))
    with pytest.raises(ValueError, match="out_axes=2 is out of range"):
        vmap(lax.sin, out_axes=2)(np.ones(3))


def test_no_batched_argument_and_no_axis_size():
    with pytest.raises(ValueError, match="at least one argument with a batch axis"):
        vmap(lax.sin, in_axes=None)(np.ones(3))
    with pytest.raises(ValueError, match="at least one argument with a batch axis"):
        vmap(lambda: np.float64(1.0))()


def test_errors_point_at_the_users_line():
    with pytest.raises(ValueError, match=r"test_vmap\.py:\d+"):
        vmap(lax.add)(np.ones(3), np.ones(4))


def test_integer_and_boolean_inputs_are_batched_too():
    xs = np.array([[1, 2, 3], [4, 5, 6]])
    out = vmap(lambda x: lax.reduce_sum(x, (0,)))(xs)
    np.testing.assert_array_equal(out, [6, 15])
    assert out.dtype == xs.dtype
    flags = np.array([[True, False], [True, True]])
    np.testing.assert_array_equal(vmap(lambda b: lax.reduce_and(b, (0,)))(flags), [False, True])


def test_vmap_preserves_float32():
    xs = np.ones((3, 2), np.float32)
    out = vmap(lambda x: lax.mul(lax.sin(x), 2.0))(xs)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 2 * np.sin(xs), rtol=1e-6)
    assert math.isclose(float(out[0, 0]), 2 * math.sin(1.0), rel_tol=1e-6)
