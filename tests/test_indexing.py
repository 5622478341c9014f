"""Indexing tracers (``x[index]``, ``x.at[index]``, take) against NumPy on many index forms."""
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import functrans
import functrans.numpy as fnp
from test_numpy import arrays, check

small_shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4)


@settings(max_examples=50)
@given(data=st.data())
def test_basic_indices(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
    x = data.draw(arrays(np.float32, shape), label="x")
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True), label="index")
    check(lambda x: x[index], lambda x: x[index], x)


@st.composite
def mixed_indices(draw, shape):
    """Index tuples mixing ints, slices, integer arrays and lists, None and an ellipsis."""
    count = draw(st.integers(1, len(shape)))
    kinds = draw(st.lists(st.sampled_from(["int", "slice", "array", "list"]),
                          min_size=count, max_size=count))
    use_ellipsis = count < len(shape) and draw(st.booleans())
    ellipsis_at = draw(st.integers(0, count)) if use_ellipsis else count
    sizes = list(shape[:ellipsis_at]) + list(shape[len(shape) - (count - ellipsis_at):])
    array_count = sum(kind in ("array", "list") for kind in kinds)
    array_shapes = iter(draw(hnp.mutually_broadcastable_shapes(
        num_shapes=array_count, max_dims=2, max_side=3)).input_shapes) if array_count else iter(())
    entries = []
    for kind, size in zip(kinds, sizes):
        if kind == "int":
            entries.append(draw(st.integers(-size, size - 1)))
        elif kind == "slice":
            entries.append(draw(st.slices(size)))
        else:
            array = draw(hnp.arrays(np.int64, next(array_shapes), elements=st.integers(-size, size - 1)))
            entries.append(array.tolist() if kind == "list" and array.ndim == 1 else array)
    if use_ellipsis:
        entries.insert(ellipsis_at, Ellipsis)
    if draw(st.booleans()):
        entries.insert(draw(st.integers(0, len(entries))), None)
    return tuple(entries)


@settings(max_examples=50)
@given(data=st.data())
def test_advanced_and_mixed_indices(data):
    shape = data.draw(small_shapes)
    x = data.draw(arrays(np.int32, shape), label="x")
    index = data.draw(mixed_indices(shape), label="index")
    check(lambda x: x[index], lambda x: x[index], x)


@settings(max_examples=50)
@given(data=st.data())
def test_traced_integer_indices(data):
    """Index arrays and scalars that are arguments of the traced function (gather, dynamic_slice)."""
    shape = data.draw(small_shapes)
    x = data.draw(arrays(np.float64, shape), label="x")
    index = data.draw(mixed_indices(shape), label="index")
    positions = [i for i, e in enumerate(index) if isinstance(e, (int, np.ndarray))]
    as_arrays = tuple(np.asarray(e) if i in positions else e for i, e in enumerate(index))

    def indexed(x, *traced_entries):
        entries = list(as_arrays)
        for position, entry in zip(positions, traced_entries):
            entries[position] = entry
        return x[tuple(entries)]

    check(indexed, indexed, x, *[as_arrays[i] for i in positions])


@pytest.mark.parametrize("index", [
    (1, slice(None), [0, 2]),         # an int and an array separated by a slice: arrays first
    (slice(None), [0, 1], [1, 2]),   # adjacent arrays: result in place
    ([0, 1], None, [1, 2]),           # None separates like a slice
    (Ellipsis, [[0], [1]]),
    ([[0, 1]], slice(None), [[1], [2]]),
    (np.array([True, False]),),
    (slice(None), np.array([[True, False, True], [False, False, True]]).T[:, :1].ravel()),
    (np.array([[True, False, True], [False, True, True]]),),
    (np.array([[True, False, True], [False, True, True]]), 1),
    ([],),
    (slice(None, None, -2), [-1]),
    (np.int64(1), np.array(2)),
])
def test_index_forms(index):
    x = np.arange(24.0).reshape(2, 3, 4)
    check(lambda x: x[index], lambda x: x[index], x)


def test_static_indexing_errors_match_numpy():
    x = np.ones((3, 4))
    for index, message in [
        (5, "index 5 is out of bounds for axis 0 with size 3"),
        ((None, 0, 7), "index 7 is out of bounds for axis 1 with size 4"),
        ((None, [0], None, [9]), "index 9 is out of bounds for axis 1 with size 4"),
        ((0, -5), "index -5 is out of bounds for axis 1 with size 4"),
        (([0, 3],), "index 3 is out of bounds for axis 0 with size 3"),
        ((0, 0, 0), "too many indices for array: array is 2-dimensional, but 3 were indexed"),
        ((Ellipsis, Ellipsis), "an index can only have a single ellipsis"),
        (([0, 1], [0, 1, 2]), "shape mismatch: indexing arrays could not be broadcast"),
        (np.array([True, False]), "boolean index did not match indexed array along axis 0"),
        (np.array([0.5]), "arrays used as indices must be of integer"),
    ]:
        with pytest.raises(IndexError, match=re.escape(message)):
            x[index]
        with pytest.raises(IndexError, match=re.escape(message)):
            functrans.make_jaxpr(lambda x: x[index])(x)


def test_scalar_boolean_index_is_refused():
    with pytest.raises(IndexError, match="a single boolean"):
        functrans.make_jaxpr(lambda x: x[np.True_])(np.ones(3))


def test_traced_boolean_mask_is_a_clear_error():
    with pytest.raises(IndexError, match="traced boolean mask.*where") as info:
        functrans.make_jaxpr(lambda x: x[x > 0])(np.ones(3))
    assert "test_indexing.py" in str(info.value)


def test_indexing_emits_few_primitives():
    ir = functrans.make_jaxpr(lambda x: x[1, ::-2, None])(np.ones((3, 4, 5)))
    assert [e.primitive.name for e in ir.equations] == ["expand_dims", "rev", "slice", "squeeze"]
    # A traced integer is one 0-d gather (which checks the index, as NumPy does).
    ir = functrans.make_jaxpr(lambda x, i: x[i])(np.ones((3, 4)), np.int64(1))
    assert [e.primitive.name for e in ir.equations][-1:] == ["gather"]


# --- x.at[index] -------------------------------------------------------------------------------

def numpy_set(x, index, values):
    y = x.copy()
    y[index] = values
    return y


def numpy_add(x, index, values):
    y = x.copy()
    np.add.at(y, index, values)
    return y


@settings(max_examples=50)
@given(data=st.data())
def test_at_set_and_add(data):
    shape = data.draw(small_shapes)
    x = data.draw(arrays(np.float64, shape), label="x")
    index = data.draw(st.one_of(hnp.basic_indices(shape, allow_newaxis=True), mixed_indices(shape)),
                      label="index")
    target_shape = x[index].shape
    values_shape = data.draw(st.sampled_from([(), target_shape[1:], target_shape]))
    values = data.draw(arrays(data.draw(st.sampled_from([np.float64, np.int8])), values_shape),
                       label="values")
    check(lambda x, v: x.at[index].set(v), lambda x, v: numpy_set(x, index, v), x, values,
          eager=False)
    check(lambda x, v: x.at[index].add(v), lambda x, v: numpy_add(x, index, v), x, values,
          eager=False)
    check(lambda x: x.at[index].get(), lambda x: x[index], x, eager=False)
    check(lambda x: x.at[index].set(2), lambda x: numpy_set(x, index, 2), x, eager=False)


@settings(max_examples=30)
@given(data=st.data())
def test_at_with_traced_indices(data):
    x = data.draw(arrays(np.float32, (5, 3)), label="x")
    rows = data.draw(hnp.arrays(np.int64, st.integers(1, 4), elements=st.integers(-5, 4)), label="rows")
    values = data.draw(arrays(np.float32, (len(rows), 3)), label="values")
    check(lambda x, i, v: x.at[i].add(v), lambda x, i, v: numpy_add(x, i, v), x, rows, values,
          eager=False)
    unique_rows = np.unique(rows % 5)
    check(lambda x, i: x.at[i, 1].set(-1.0), lambda x, i: numpy_set(x, (i, 1), -1.0), x,
          unique_rows, eager=False)
    check(lambda x, i: x.at[i].add(1.0), lambda x, i: numpy_add(x, i, 1.0), x, np.int64(rows[0]),
          eager=False)


def test_at_set_with_repeated_concrete_indices_keeps_the_last_write():
    x = np.zeros(4)
    check(lambda x: x.at[[1, 2, 1]].set(np.array([5.0, 6.0, 7.0])),
          lambda x: numpy_set(x, [1, 2, 1], np.array([5.0, 6.0, 7.0])), x, eager=False)


def test_at_rejects_values_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"shape \(3,\) to the indexed elements of shape \(2,\)"):
        functrans.make_jaxpr(lambda x: x.at[:2].set(np.ones(3)))(np.zeros(4))


# --- take and take_along_axis -------------------------------------------------------------------

@settings(max_examples=40)
@given(data=st.data())
def test_take(data):
    shape = data.draw(small_shapes)
    x = data.draw(arrays(np.float32, shape), label="x")
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1), label="axis")
    size = x.size if axis is None else shape[axis]
    index_shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    indices = data.draw(hnp.arrays(np.int64, index_shape, elements=st.integers(-size, size - 1)))
    check(lambda x: fnp.take(x, indices, axis), lambda x: np.take(x, indices, axis), x)
    check(lambda x, i: fnp.take(x, i, axis), lambda x, i: np.take(x, i, axis), x, indices)
    wild = data.draw(hnp.arrays(np.int64, index_shape, elements=st.integers(-10, 10)))
    for mode in ("wrap", "clip"):
        check(lambda x: fnp.take(x, wild, axis, mode=mode),
              lambda x: np.take(x, wild, axis, mode=mode), x)
        check(lambda x, i: fnp.take(x, i, axis, mode=mode),
              lambda x, i: np.take(x, i, axis, mode=mode), x, wild)


@settings(max_examples=40)
@given(data=st.data())
def test_take_along_axis(data):
    shape = data.draw(small_shapes)
    x = data.draw(arrays(np.float64, shape), label="x")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    index_shape = list(shape)
    for dimension in range(len(shape)):
        if data.draw(st.booleans()):
            index_shape[dimension] = 1  # broadcast against x
    index_shape[axis] = data.draw(st.integers(1, 4))
    size = shape[axis]
    indices = data.draw(hnp.arrays(np.int64, tuple(index_shape), elements=st.integers(-size, size - 1)))
    check(lambda x, i: fnp.take_along_axis(x, i, axis), lambda x, i: np.take_along_axis(x, i, axis),
          x, indices)
    order = np.argsort(x, axis=axis, kind="stable")
    check(lambda x: fnp.take_along_axis(x, fnp.argsort(x, axis), axis),
          lambda x: np.take_along_axis(x, order, axis), x)


def test_take_out_of_bounds_raises():
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 0 with size 3"):
        functrans.make_jaxpr(lambda x: fnp.take(x, np.array([3])))(np.ones(3))
