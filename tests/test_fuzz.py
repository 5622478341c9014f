"""A differential fuzz test: random small programs, run eagerly, under jit, vmap and grad.

hypothesis builds programs from the operations of functrans.numpy (elementwise, binary
with broadcasting, reductions, index maps, where) on random shapes (0-d arrays and
size-0 axes included), dtypes and values (0, -0, ±inf, nan, huge and tiny numbers). For
each program it checks that

* ``jit(f)`` gives eager ``f``'s results, or raises the same class of error;
* ``vmap(f)`` gives the loop over the batch;
* ``grad`` agrees with central finite differences, where the program is smooth.

Many programs go into one jitted function, so one numba compile checks a whole example.
``FUNCTRANS_FUZZ_EXAMPLES`` sets the number of examples (CI runs a few hundred programs).
"""
import os
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functrans
import functrans.numpy as fnp

PROGRAMS_PER_EXAMPLE = 16
EXAMPLES = int(os.environ.get("FUNCTRANS_FUZZ_EXAMPLES", "20"))

UNARY_FLOAT = {
    "sin": fnp.sin, "cos": fnp.cos, "exp": fnp.exp, "log": fnp.log, "sqrt": fnp.sqrt,
    "tanh": fnp.tanh, "arctan": fnp.arctan, "log1p": fnp.log1p, "expm1": fnp.expm1,
    "arctanh": fnp.arctanh, "reciprocal": fnp.reciprocal, "square": fnp.square,
    "negative": fnp.negative, "abs": fnp.abs, "floor": fnp.floor, "sign": fnp.sign,
}
BINARY = {
    "add": fnp.add, "subtract": fnp.subtract, "multiply": fnp.multiply, "maximum": fnp.maximum,
    "minimum": fnp.minimum, "floor_divide": fnp.floor_divide, "remainder": fnp.remainder,
}
BINARY_FLOAT = {"divide": fnp.divide, "power": fnp.power, "arctan2": fnp.arctan2}
REDUCTIONS = {
    "sum": lambda x: fnp.sum(x, axis=0) if x.ndim else x,
    "total": fnp.sum, "mean": fnp.mean, "max": fnp.max, "prod": fnp.prod,
    "cumsum": lambda x: fnp.cumsum(x, axis=0) if x.ndim else x,
}
INDEX_MAPS = {
    "transpose": fnp.transpose, "reverse": lambda x: x[::-1] if x.ndim else x,
    "ravel": fnp.ravel, "first": lambda x: x[0] if x.ndim else x,
    "tail": lambda x: x[1:] if x.ndim else x,
}
#: operations whose derivative exists everywhere the values are finite and moderate
SMOOTH = {"sin", "cos", "exp", "tanh", "arctan", "square", "negative", "add", "subtract",
          "multiply", "sum", "total", "mean", "cumsum", "transpose", "reverse", "ravel",
          "first", "tail", "where"}

SPECIAL_FLOATS = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e300, -1e300, 1e-310, 0.5, 2.0]


def _operations(dtype):
    table = dict(BINARY, **REDUCTIONS, **INDEX_MAPS)
    if dtype.kind == "f":
        table.update(UNARY_FLOAT, **BINARY_FLOAT)
    return table


@st.composite
def programs(draw):
    dtype = np.dtype(draw(st.sampled_from([np.float64, np.float32, np.int64, np.int32])))
    shape = draw(st.sampled_from([(), (0,), (1,), (3,), (2, 3), (2, 0), (0, 2)]))
    size = int(np.prod(shape, dtype=np.int64))
    if dtype.kind == "f":
        element = st.one_of(st.sampled_from(SPECIAL_FLOATS),
                            st.floats(-5, 5, width=32 if dtype == np.float32 else 64))
    else:
        element = st.one_of(st.sampled_from([0, 1, -1, 2, -7]),
                            st.integers(int(np.iinfo(dtype).min), int(np.iinfo(dtype).max)))
    inputs = [np.array(draw(st.lists(element, min_size=size, max_size=size)),
                       dtype=dtype).reshape(shape) for _ in range(2)]
    table = _operations(dtype)
    steps = []
    for count in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(sorted(table) + ["where"]))
        operands = [draw(st.integers(0, count + 1)) for _ in range(2)]
        steps.append((name, operands))
    return steps, inputs


def run(program, *inputs):
    """The program's values after each step (the inputs are values 0 and 1)."""
    steps, _ = program
    values = list(inputs)
    table = dict(BINARY, **BINARY_FLOAT, **UNARY_FLOAT, **REDUCTIONS, **INDEX_MAPS)
    for name, (first, second) in steps:
        a, b = values[first], values[second]
        if name == "where":
            values.append(fnp.where(a > b, a, b))
        elif name in BINARY or name in BINARY_FLOAT:
            values.append(table[name](a, b))
        else:
            values.append(table[name](a))
    return values[2:]


def _eager(program):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return run(program, *program[1]), None
    except Exception as error:  # noqa: BLE001  (the class is what is compared)
        return None, type(error)


def _assert_same(expected, got, dtype, what):
    for index, (e, g) in enumerate(zip(expected, got)):
        e, g = np.asarray(e), np.asarray(g)
        label = f"{what}, value {index}"
        assert e.shape == g.shape and e.dtype == g.dtype, (label, e, g)
        if e.dtype.kind == "f":
            finite = np.isfinite(e)
            np.testing.assert_array_equal(np.isnan(e), np.isnan(g), err_msg=label)
            np.testing.assert_array_equal(e[~finite & ~np.isnan(e)], g[~finite & ~np.isnan(e)],
                                          err_msg=label)
            # libm and NumPy's SIMD functions may differ by an ulp, and an ill-conditioned
            # next step (log near 1) turns that into a few eps absolute.
            single = dtype == np.float32
            np.testing.assert_allclose(g[finite], e[finite], err_msg=label,
                                       atol=1e-6 if single else 1e-13,
                                       rtol=2e-6 if single else 1e-13)
        else:
            np.testing.assert_array_equal(g, e, err_msg=label)


def check_jit(batch):
    """All programs of ``batch`` that run eagerly, in one jitted function; the others one
    by one, for the same class of error."""
    results = [_eager(program) for program in batch]
    good = [i for i, (_, error) in enumerate(results) if error is None]

    def all_programs(inputs):
        return [run(batch[i], *inputs[k]) for k, i in enumerate(good)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = functrans.jit(all_programs)([batch[i][1] for i in good])
    for k, i in enumerate(good):
        _assert_same(results[i][0], got[k], batch[i][1][0].dtype, f"jit of program {batch[i][0]}")
    for i, (_, error) in enumerate(results):
        if error is not None:
            with pytest.raises(error), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                functrans.jit(lambda *inputs: run(batch[i], *inputs))(*batch[i][1])


def check_vmap(program):
    steps, inputs = program
    if _eager(program)[1] is not None:
        return
    batched = [np.stack([x, x[::-1] if x.ndim else -x]) for x in inputs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        looped = [run(program, *(b[k] for b in batched)) for k in range(2)]
        got = functrans.vmap(lambda *xs: run(program, *xs))(*batched)
    expected = [np.stack([looped[0][v], looped[1][v]]) for v in range(len(looped[0]))]
    _assert_same(expected, got, inputs[0].dtype, f"vmap of program {steps}")


def check_grad(program):
    steps, inputs = program
    x, y = inputs
    if x.dtype != np.float64 or x.size == 0 or any(name not in SMOOTH for name, _ in steps):
        return
    if not (np.all(np.abs(x) < 4) and np.all(np.abs(y) < 4)):
        return

    def loss(x):
        return fnp.sum(run(program, x, y)[-1])
    gradient = functrans.grad(loss)(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = 1e-6
        difference = (loss(x + step) - loss(x - step)) / 2e-6
        np.testing.assert_allclose(gradient[index], difference, rtol=1e-5, atol=1e-6,
                                   err_msg=f"grad of program {steps} at {index}")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(max_examples=EXAMPLES)
@given(st.lists(programs(), min_size=PROGRAMS_PER_EXAMPLE, max_size=PROGRAMS_PER_EXAMPLE))
def test_jit_vmap_and_grad_agree_with_eager_mode_on_random_programs(batch):
    check_jit(batch)
    for program in batch:
        check_vmap(program)
        check_grad(program)
