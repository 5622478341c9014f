"""Loop shapes: an elementwise root (or a reduction to a scalar) over several dimensions is one
flat loop over its elements when every array it reads is read at its own index, and keeps its
nested loops when a read broadcasts, transposes or uses the index itself; a reduction that
keeps the last axis (a column sum) runs in the operand's order, adding into the output.

One kernel holds every case (each output is its own loop), compiled for C-contiguous
arguments and again for Fortran-ordered and strided ones, whose flat views are copies.
"""
import re

import numpy as np
import pytest

import functrans.numpy as fnp
from functrans import lax
from functrans.transforms.jit import jit


def _cases(x, y, b, s, z, w):
    return (0.9 * x + 0.1 * y * y,                        # identity reads: flat
            x * b,                                        # b broadcast along rows: nested
            s + s.T,                                      # a transposed read: nested
            fnp.sum(x * y),                               # a full reduction: flat
            fnp.exp(z) * z,                               # three dimensions: flat
            z + lax.iota(np.float64, (5, 4, 3), 2),       # the index itself: nested
            fnp.exp(w),                                   # vector math, in blocks: flat
            fnp.sum(x - y, axis=0),                       # column sums: along rows
            fnp.max(z, axis=(0, 1)))                      # the same, a NaN in one column


def _expected(x, y, b, s, z, w):
    return (0.9 * x + 0.1 * y * y, x * b, s + s.T, np.sum(x * y), np.exp(z) * z,
            z + np.arange(3.0), np.exp(w), np.sum(x - y, axis=0), np.max(z, axis=(0, 1)))


cases_jit = jit(_cases)


def _arguments(layout):
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((7, 10)), rng.standard_normal((7, 10))
    b, s = rng.standard_normal(10), rng.standard_normal((6, 6))
    z, w = rng.standard_normal((5, 4, 3)), rng.standard_normal((4, 5000))
    z[1, 2, 0] = np.nan
    if layout == "contiguous":
        return x, y, b, s, z, w
    # x Fortran-ordered, y and w strided views, z a transposed view: none C-contiguous
    wide = rng.standard_normal((7, 20))
    wide[:, ::2] = y
    return (np.asfortranarray(x), wide[:, ::2], b, s,
            np.ascontiguousarray(z.transpose(2, 1, 0)).transpose(2, 1, 0),
            np.repeat(w, 2, axis=1)[:, ::2])


@pytest.mark.parametrize("layout", ["contiguous", "non-contiguous"])
def test_flat_and_nested_loops_equal_numpy(layout):
    arguments = _arguments(layout)
    if layout != "contiguous":
        assert not any(a.flags.c_contiguous for a in arguments[:1] + arguments[1:2] +
                       arguments[4:])
    got = cases_jit(*arguments)
    expected = _expected(*arguments)
    assert np.isnan(expected[-1][0]) and not np.isnan(expected[-1][1:]).any()
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-13, atol=1e-13)


def test_only_loops_reading_at_their_own_index_are_flat():
    source = cases_jit.lower(*_arguments("contiguous")).source
    loops = re.findall(r"for \w+ in (?:p?range)\((\d+)\)", source)
    # flat: the (7, 10) update and the sum of (7, 10), the (5, 4, 3) product
    assert loops.count("70") == 2, source
    assert "60" in loops, source
    # nested: the broadcast (7 rows of 10), the transpose (6 by 6), the iota (5, 4, 3)
    assert loops.count("7") >= 1 and loops.count("6") == 2 and "36" not in loops, source
    assert loops.count("5") >= 1 and loops.count("4") >= 1, source
    # the vector-math loop runs over blocks of the 20,000 elements, not rows of 5,000
    assert "exp_f64(" in source and "5000" not in loops, source
    assert "20000 - " in source, source
    # every flat loop reads flat views
    assert source.count(".ravel()") == 3 + 2 + 2 + 2, source
    # the column sums and maxima add each row into the output, no accumulator per column
    assert re.search(r"\w+\[\w+\] \+= ", source), source
    assert re.search(r"(\w+\[\w+\]) = np\.maximum\(\1, ", source), source
