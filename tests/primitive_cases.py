"""One case per primitive of the table: how to draw its inputs and how to call it.

The systematic tests in test_primitives.py run every case through every
transform. A primitive without a case must be listed in ``COVERED_ELSEWHERE``
with the reason.
"""
import dataclasses

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from functrans import lax


@dataclasses.dataclass
class Case:
    name: str
    draw: object  # data -> tuple of arguments
    function: object  # *arguments -> output
    float_argnums: tuple = (0,)  # arguments differentiated and checked by finite differences
    linear: bool = False  # linear in float_argnums jointly: check the transpose identity
    finite_differences: bool = True  # False where the derivative is zero by definition
    tolerance: float = 1e-6  # for finite differences; a thousandth of it for exact identities


def is_array(x):
    return isinstance(x, (np.ndarray, np.generic))


def array_positions(args):
    """The positions of a case's array arguments (the rest are static parameters)."""
    return [i for i, a in enumerate(args) if is_array(a)]


def array_function(case, args, positions):
    """``case.function`` as a function of the arguments at ``positions``, the rest fixed."""
    def function(*chosen):
        full = list(args)
        for position, value in zip(positions, chosen):
            full[position] = value
        return case.function(*full)
    return function


def floats(data, shape, low=-2.0, high=2.0):
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False)
    return data.draw(hnp.arrays(np.float64, shape, elements=elements))


def away_from_zero(data, shape, magnitude=0.2, high=2.0):
    values = floats(data, shape, magnitude, high)
    signs = data.draw(hnp.arrays(np.bool_, shape))
    return np.where(signs, values, -values)


def shape(data, min_dims=0, max_dims=3):
    return data.draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=4))


def unary(name, op, low=-2.0, high=2.0, finite_differences=True, draw=None):
    def draw_args(data):
        if draw is not None:
            return (draw(data, shape(data)),)
        return (floats(data, shape(data), low, high),)
    return Case(name, draw_args, op, finite_differences=finite_differences)


def not_near_integers(data, shape_):
    whole = data.draw(hnp.arrays(np.int64, shape_, elements=st.integers(-3, 3)))
    return whole + floats(data, shape_, 0.1, 0.9)


def not_near_half_integers(data, shape_):
    whole = data.draw(hnp.arrays(np.int64, shape_, elements=st.integers(-3, 3)))
    return whole + floats(data, shape_, -0.4, 0.4)


def binary(name, op, draw_x=None, draw_y=None, **flags):
    def draw_args(data):
        s = shape(data)
        x = draw_x(data, s) if draw_x else floats(data, s)
        y = draw_y(data, s) if draw_y else floats(data, s)
        return (x, y)
    return Case(name, draw_args, op, float_argnums=(0, 1), **flags)


def distinct_pair(data):
    s = shape(data)
    x = floats(data, s)
    gap = away_from_zero(data, s, 0.05, 1.0)
    return (x, x + gap)


def remainder_pair(data):
    s = shape(data)
    y = away_from_zero(data, s, 0.5, 2.0)
    quotient = not_near_integers(data, s)
    return (quotient * y, y)


def comparison(name, op):
    def draw_args(data):
        s = shape(data)
        x = data.draw(hnp.arrays(np.float64, s, elements=st.sampled_from([-1.0, 0.0, 1.0, 2.5])))
        y = data.draw(hnp.arrays(np.float64, s, elements=st.sampled_from([-1.0, 0.0, 1.0, 2.5])))
        return (x, y)
    return Case(name, draw_args, op, float_argnums=(0, 1), finite_differences=False)


def boolean(name, op, arity):
    def draw_args(data):
        s = shape(data)
        return tuple(data.draw(hnp.arrays(np.bool_, s)) for _ in range(arity))
    return Case(name, draw_args, op, float_argnums=())


def axes_of(data, ndim):
    return tuple(sorted(data.draw(st.sets(st.integers(0, ndim - 1), max_size=ndim)))) if ndim else ()


def reduction(name, op, draw_values=floats, **flags):
    def draw_args(data):
        x = draw_values(data, shape(data, min_dims=1))
        return (x, axes_of(data, x.ndim))
    return Case(name, lambda data: draw_args(data),
                lambda x, axes: op(x, axes), **flags)


def _distinct_values(data, shape_):
    count = int(np.prod(shape_))
    values = np.arange(count, dtype=np.float64) * 0.37 - 1.0
    permutation = data.draw(st.permutations(range(count)))
    return values[list(permutation)].reshape(shape_)


def _axis_case(name, op, draw_values=floats, **flags):
    def draw_args(data):
        x = draw_values(data, shape(data, min_dims=1))
        return (x, data.draw(st.integers(0, x.ndim - 1)))
    return Case(name, draw_args, op, **flags)


def _slice_args(data):
    x = floats(data, shape(data, min_dims=1))
    starts, limits, strides = [], [], []
    for n in x.shape:
        start = data.draw(st.integers(0, n))
        starts.append(start)
        limits.append(data.draw(st.integers(start, n)))
        strides.append(data.draw(st.integers(1, 3)))
    return (x, tuple(starts), tuple(limits), tuple(strides))


def _dynamic_slice_args(data):
    x = floats(data, shape(data, min_dims=1))
    sizes = tuple(data.draw(st.integers(0, n)) for n in x.shape)
    starts = tuple(np.int64(data.draw(st.integers(-2, n + 2))) for n in x.shape)
    return (x, sizes) + starts


def _dynamic_update_slice_args(data):
    x = floats(data, shape(data, min_dims=1))
    update = floats(data, tuple(data.draw(st.integers(0, n)) for n in x.shape))
    starts = tuple(np.int64(data.draw(st.integers(-2, n + 2))) for n in x.shape)
    return (x, update) + starts


def _gather_args(data):
    x = floats(data, shape(data, min_dims=1))
    axis = data.draw(st.integers(0, x.ndim - 1))
    n = x.shape[axis]
    indices = data.draw(hnp.arrays(np.int64, shape(data, max_dims=2), elements=st.integers(-n, n - 1)))
    return (x, indices, axis)


def _scatter_add_args(data):
    x, indices, axis = _gather_args(data)
    updates = floats(data, x.shape[:axis] + indices.shape + x.shape[axis + 1:])
    return (x, updates, indices, axis)


def _concatenate_args(data):
    base = shape(data, min_dims=1)
    axis = data.draw(st.integers(0, len(base) - 1))
    pieces = []
    for _ in range(2):
        piece_shape = list(base)
        piece_shape[axis] = data.draw(st.integers(0, 3))
        pieces.append(floats(data, tuple(piece_shape)))
    return tuple(pieces) + (axis,)


def _pad_args(data):
    x = floats(data, shape(data, min_dims=1))
    config = tuple((data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2)),
                    data.draw(st.integers(0, 2))) for _ in x.shape)
    return (x, floats(data, ()), config)


def _transpose_args(data):
    x = floats(data, shape(data))
    return (x, tuple(data.draw(st.permutations(range(x.ndim)))))


def _broadcast_args(data):
    x = floats(data, shape(data, max_dims=2))
    extra = data.draw(st.integers(0, 2))
    out_ndim = x.ndim + extra
    dims = tuple(sorted(data.draw(st.sets(st.integers(0, max(out_ndim - 1, 0)), min_size=x.ndim,
                                          max_size=x.ndim))))
    out_shape = [data.draw(st.integers(1, 3)) for _ in range(out_ndim)]
    for i, d in enumerate(dims):
        out_shape[d] = x.shape[i]
    if x.ndim and data.draw(st.booleans()):  # a size-1 dimension that broadcasts
        x = x[:1] if x.shape[0] else x
        out_shape[dims[0]] = data.draw(st.integers(1, 3))
    return (x, tuple(out_shape), dims)


DOT_CASES = [
    ((2, 3), (3, 4), (((1,), (0,)), ((), ()))),  # matrix product
    ((3,), (3,), (((0,), (0,)), ((), ()))),  # inner product
    ((2,), (3,), (((), ()), ((), ()))),  # outer product
    ((2, 3, 4), (2, 4, 5), (((2,), (1,)), ((0,), (0,)))),  # batched matrix product
    ((4, 2, 3), (3, 4), (((0, 2), (1, 0)), ((), ()))),  # several contracted dims, out of order
    ((3, 2, 5), (5, 2, 4), (((2,), (0,)), ((1,), (1,)))),  # batch dimension not first
]


def _dot_args(data):
    lhs_shape, rhs_shape, numbers = data.draw(st.sampled_from(DOT_CASES))
    return (floats(data, lhs_shape), floats(data, rhs_shape), numbers)


def _sort_args(data):
    x = _distinct_values(data, shape(data, min_dims=1))
    return (x, floats(data, x.shape), data.draw(st.integers(0, x.ndim - 1)))


def _select_args(data):
    s = shape(data)
    return (data.draw(hnp.arrays(np.bool_, s)), floats(data, s), floats(data, s))


CASES = [
    unary("neg", lax.neg),
    unary("sin", lax.sin), unary("cos", lax.cos), unary("tan", lax.tan, -1.2, 1.2),
    unary("tanh", lax.tanh), unary("exp", lax.exp), unary("expm1", lax.expm1),
    unary("log", lax.log, 0.1, 4.0), unary("log1p", lax.log1p, -0.8, 4.0),
    unary("sqrt", lax.sqrt, 0.1, 4.0), unary("rsqrt", lax.rsqrt, 0.1, 4.0),
    unary("abs", lax.abs, draw=away_from_zero), unary("sign", lax.sign, draw=away_from_zero),
    unary("floor", lax.floor, draw=not_near_integers), unary("ceil", lax.ceil, draw=not_near_integers),
    unary("round", lax.round, draw=not_near_half_integers),
    unary("logistic", lax.logistic, -5.0, 5.0), unary("erf", lax.erf), unary("erfc", lax.erfc),
    unary("asin", lax.asin, -0.9, 0.9), unary("acos", lax.acos, -0.9, 0.9),
    unary("atan", lax.atan), unary("sinh", lax.sinh), unary("cosh", lax.cosh),
    unary("asinh", lax.asinh), unary("acosh", lax.acosh, 1.1, 4.0),
    unary("atanh", lax.atanh, -0.9, 0.9),
    unary("is_finite", lax.is_finite, finite_differences=False),
    unary("stop_gradient", lax.stop_gradient, finite_differences=False),
    Case("integer_pow", lambda data: (away_from_zero(data, shape(data)), data.draw(st.integers(-3, 4))),
         lax.integer_pow),
    boolean("not", lax.logical_not, 1),
    binary("add", lax.add, linear=True), binary("sub", lax.sub, linear=True),
    binary("mul", lax.mul), binary("div", lax.div, draw_y=away_from_zero),
    binary("pow", lax.pow, draw_x=lambda data, s: floats(data, s, 0.2, 3.0)),
    Case("max", distinct_pair, lax.max, float_argnums=(0, 1)),
    Case("min", distinct_pair, lax.min, float_argnums=(0, 1)),
    binary("atan2", lax.atan2, draw_y=lambda data, s: floats(data, s, 0.2, 2.0)),
    Case("rem", remainder_pair, lax.rem, float_argnums=(0, 1)),
    comparison("eq", lax.eq), comparison("ne", lax.ne), comparison("lt", lax.lt),
    comparison("le", lax.le), comparison("gt", lax.gt), comparison("ge", lax.ge),
    boolean("and", lax.logical_and, 2), boolean("or", lax.logical_or, 2),
    boolean("xor", lax.logical_xor, 2),
    Case("select", _select_args, lax.select, float_argnums=(1, 2), linear=True),
    Case("convert_element_type",
         lambda data: (floats(data, shape(data)).astype(np.float32),),
         lambda x: lax.convert_element_type(x, np.float64),
         linear=True, tolerance=1e-3),  # float32 input: derivatives agree to its precision
    reduction("reduce_sum", lax.reduce_sum, linear=True),
    reduction("reduce_max", lax.reduce_max, draw_values=_distinct_values),
    reduction("reduce_min", lax.reduce_min, draw_values=_distinct_values),
    reduction("reduce_prod", lax.reduce_prod),
    reduction("reduce_and", lax.reduce_and, draw_values=lambda d, s: d.draw(hnp.arrays(np.bool_, s)),
              float_argnums=()),
    reduction("reduce_or", lax.reduce_or, draw_values=lambda d, s: d.draw(hnp.arrays(np.bool_, s)),
              float_argnums=()),
    _axis_case("argmax", lambda x, axis: lax.argmax(x, axis), finite_differences=False),
    _axis_case("argmin", lambda x, axis: lax.argmin(x, axis), finite_differences=False),
    Case("cumsum", lambda data: (floats(data, shape(data, min_dims=1)), data.draw(st.booleans())),
         lambda x, reverse: lax.cumsum(x, x.ndim - 1, reverse), linear=True),
    Case("cumprod", lambda data: (floats(data, shape(data, min_dims=1)), data.draw(st.booleans())),
         lambda x, reverse: lax.cumprod(x, 0, reverse)),
    Case("sort", _sort_args, lambda keys, values, axis: lax.sort((keys, values), axis),
         float_argnums=(0, 1)),
    Case("broadcast_in_dim", _broadcast_args, lax.broadcast_in_dim, linear=True),
    Case("reshape", lambda data: (floats(data, (2, 3, 2)),
                                  data.draw(st.sampled_from([(12,), (3, 4), (2, 6, 1), (1, 12)]))),
         lax.reshape, linear=True),
    Case("transpose", _transpose_args, lax.transpose, linear=True),
    Case("squeeze", lambda data: (floats(data, (2, 1, 3, 1)),
                                  data.draw(st.sampled_from([(1,), (3,), (1, 3), (-1,)]))),
         lax.squeeze, linear=True),
    Case("expand_dims", lambda data: (floats(data, shape(data, min_dims=1)),
                                      data.draw(st.sampled_from([(0,), (-1,), (0, 2)]))),
         lax.expand_dims, linear=True),
    Case("rev", lambda data: (lambda x: (x, axes_of(data, x.ndim)))(floats(data, shape(data))),
         lax.rev, linear=True),
    Case("slice", _slice_args, lax.slice, linear=True),
    Case("dynamic_slice", _dynamic_slice_args,
         lambda x, sizes, *starts: lax.dynamic_slice(x, starts, sizes), linear=True),
    Case("dynamic_update_slice", _dynamic_update_slice_args,
         lambda x, update, *starts: lax.dynamic_update_slice(x, update, starts),
         float_argnums=(0, 1), linear=True),
    Case("gather", _gather_args, lax.gather, linear=True),
    Case("scatter_add", _scatter_add_args,
         lambda x, updates, indices, axis: lax.scatter_add(x, indices, updates, axis),
         float_argnums=(0, 1), linear=True),
    Case("concatenate", _concatenate_args, lambda *args: lax.concatenate(args[:-1], args[-1]),
         float_argnums=(0, 1), linear=True),
    Case("pad", _pad_args, lax.pad, float_argnums=(0, 1), linear=True),
    Case("iota", lambda data: (shape(data, min_dims=1),),
         lambda s: lax.iota(np.int32, s, len(s) - 1), float_argnums=()),
    Case("dot_general", _dot_args, lax.dot_general, float_argnums=(0, 1)),
]

# --- matrix decompositions (functrans.lax.decompositions) ---------------------------------
# The cases build a well-conditioned matrix from the drawn one inside the function (a
# multiple of the identity added, a fixed permutation for lu), so the inputs stay well
# conditioned when the vmap test shuffles the entries of a drawn array.

def _stack_shape(data, max_batch=2, min_side=1, max_side=4):
    batch = data.draw(hnp.array_shapes(min_dims=0, max_dims=max_batch, min_side=1, max_side=2))
    n = data.draw(st.integers(min_side, max_side))
    return batch, n


def _dominant(x):
    """``x`` plus a multiple of the identity that makes it diagonally dominant."""
    n = x.shape[-1]
    return x + np.eye(n) * (2.0 * n + 1.0)


def _triangular_solve_args(data):
    batch, n = _stack_shape(data)
    k = data.draw(st.integers(1, 3))
    flags = [data.draw(st.booleans()) for _ in range(3)]
    return (floats(data, batch + (n, n), -1.0, 1.0), floats(data, batch + (n, k)), *flags)


def _triangular_solve(a, b, lower, transpose_a, unit_diagonal):
    return lax.triangular_solve(_dominant(a), b, lower=lower, transpose_a=transpose_a,
                                unit_diagonal=unit_diagonal)


def _square_args(data, **flags):
    batch, n = _stack_shape(data)
    return (floats(data, batch + (n, n), -1.0, 1.0),) + tuple(
        data.draw(st.booleans()) for _ in flags)


def _lu_args(data):
    batch, n = _stack_shape(data)
    m = data.draw(st.integers(max(n - 1, 1), n + 1))
    permutation = data.draw(st.permutations(range(m)))
    return (floats(data, batch + (m, n), -1.0, 1.0), tuple(permutation))


def _lu_of(x, permutation):
    """LU of x plus a scaled permutation, so each pivot is clearly the largest (8 against
    at most 4 entries of |x| <= 1 in its row: never singular, even at hypothesis's ±1)."""
    m, n = x.shape[-2:]
    return lax.lu(x + 8.0 * np.eye(m, n)[list(permutation)])


def _rotation(n, seed):
    """A fixed orthogonal matrix: decompositions of a rotated diagonal matrix have
    eigenvectors with no zero entries, whose signs LAPACK chooses the same way nearby."""
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))[0]


def _spread_eigenvalues(x, lower):
    """eigh of a matrix whose eigenvalues stay apart: 0, 3, 6, ... plus a small part."""
    n = x.shape[-1]
    q = _rotation(n, 0)
    return lax.eigh(0.3 * x + q @ np.diag(3.0 * np.arange(n)) @ q.T, lower=lower)


def _matrix_args(data, tall=None):
    batch, n = _stack_shape(data)
    m = data.draw(st.integers(n, n + 2) if tall else st.integers(1, 4))
    return (floats(data, batch + (m, n), -1.0, 1.0),)


def _spread_singular_values(x, full_matrices=False, compute_uv=True):
    """svd of a matrix whose singular values stay apart and away from zero."""
    m, n = x.shape[-2:]
    spread = _rotation(m, 1) @ (np.eye(m, n) * (1.0 + 2.0 * np.arange(n))) @ _rotation(n, 2)
    return lax.svd(0.3 * x + spread,
                   full_matrices=full_matrices, compute_uv=compute_uv)


def _qr_of(x, full_matrices):
    m, n = x.shape[-2:]
    return lax.qr(x + 3.0 * np.eye(m, n), full_matrices=full_matrices and m == n)


DECOMPOSITION_CASES = [
    Case("triangular_solve", _triangular_solve_args, _triangular_solve, float_argnums=(1,),
         linear=True),
    Case("triangular_solve (matrix)", _triangular_solve_args, _triangular_solve,
         float_argnums=(0, 1)),
    Case("cholesky", lambda data: _square_args(data), lambda x: lax.cholesky(_dominant(x))),
    Case("lu", _lu_args, lambda x, p: _lu_of(x, p)[0]),
    Case("lu (pivots)", _lu_args, _lu_of, float_argnums=()),
    Case("eigh", lambda data: _square_args(data, lower=True), _spread_eigenvalues,
         tolerance=1e-5),
    Case("svd", lambda data: _matrix_args(data) + (False, data.draw(st.booleans())),
         _spread_singular_values, tolerance=1e-5),
    Case("svd (square, full)", lambda data: _square_args(data) + (True, True),
         _spread_singular_values, tolerance=1e-5),
    Case("qr", lambda data: _matrix_args(data, tall=True) + (data.draw(st.booleans()),), _qr_of),
]
CASES += DECOMPOSITION_CASES

#: Primitives whose systematic checks live in another test file, with the reason.
COVERED_ELSEWHERE = {
    "custom_jvp_call": "holds a user function and rule: tests/test_custom_derivatives.py",
    "custom_vjp_call": "holds a user function and rule: tests/test_custom_derivatives.py",
    "custom_vjp_linear": "exists only inside linear IRs of custom_vjp: tests/test_custom_derivatives.py",
    "checkpoint": "holds a sub-IR: tests/test_custom_derivatives.py",
    "jit_call": "holds a sub-IR: tests/test_jit.py",
    "cond": "holds sub-IRs: tests/test_control_flow.py",
    "while": "holds sub-IRs: tests/test_control_flow.py",
    "scan": "holds a sub-IR: tests/test_control_flow.py",
    "eig": "complex outputs: complex inputs in COMPLEX_CASES, real ones in tests/test_linalg.py",
    "schur": "no derivative (as in JAX): values, vmap, jit and the error in "
             "tests/test_scipy_linalg_schur_and_special.py",
    "hessenberg": "no derivative (as in JAX): values, vmap, jit and the error in "
                  "tests/test_scipy_linalg_schur_and_special.py",
}


# --- complex numbers and Fourier transforms ------------------------------------------------
# The cases of the complex primitives take and return real arrays (the parts of complex
# values), so the systematic tests, written for real values, check them. COMPLEX_CASES below
# take complex values directly; tests/test_complex_primitives.py runs them.

def _parts(z):
    return (lax.real(z), lax.imag(z))


_ROTATION = complex(np.exp(0.7j))  # mixes the parts, so a sign error in one of them shows


def _pair_of_shape(data, shape_):
    return (floats(data, shape_), floats(data, shape_))


def _pair(data):
    return _pair_of_shape(data, shape(data))


def _fft_args(data):
    fft_type = data.draw(st.sampled_from(["fft", "ifft", "rfft", "irfft"]))
    batch = shape(data, max_dims=1)
    lengths = tuple(data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=2)))
    trailing = lengths[:-1] + (lengths[-1] // 2 + 1,) if fft_type == "irfft" else lengths
    x, y = _pair_of_shape(data, batch + trailing)
    return (x, y, fft_type, lengths)


def _fft_of_parts(x, y, fft_type, lengths):
    operand = x if fft_type == "rfft" else lax.complex(x, y)
    out = lax.fft(operand, fft_type, lengths)
    return out if fft_type == "irfft" else _parts(out)


CASES += [
    Case("complex", _pair, lambda x, y: _parts(lax.complex(x, y)), float_argnums=(0, 1),
         linear=True),
    Case("real", _pair, lambda x, y: lax.real(lax.mul(lax.complex(x, y), _ROTATION)),
         float_argnums=(0, 1), linear=True),
    Case("imag", _pair, lambda x, y: lax.imag(lax.mul(lax.complex(x, y), _ROTATION)),
         float_argnums=(0, 1), linear=True),
    Case("conj", _pair, lambda x, y: _parts(lax.mul(lax.conj(lax.complex(x, y)), _ROTATION)),
         float_argnums=(0, 1), linear=True),
    Case("fft", _fft_args, _fft_of_parts, float_argnums=(0, 1), linear=True),
]


def complex_values(data, shape_, real=(-2.0, 2.0), imag=(-2.0, 2.0)):
    return floats(data, shape_, *real) + 1j * floats(data, shape_, *imag)


def complex_away_from_zero(data, shape_):
    magnitude = floats(data, shape_, 0.3, 2.0)
    phase = floats(data, shape_, -3.0, 3.0)
    return magnitude * np.exp(1j * phase)


def complex_unary(name, op, real=(-2.0, 2.0), imag=(-2.0, 2.0), draw=None, **flags):
    def draw_args(data):
        s = shape(data)
        return (draw(data, s) if draw else complex_values(data, s, real, imag),)
    return Case(name, draw_args, op, **flags)


def complex_binary(name, op, draw_y=None, **flags):
    def draw_args(data):
        s = shape(data)
        return (complex_values(data, s), draw_y(data, s) if draw_y else complex_values(data, s))
    return Case(name, draw_args, op, float_argnums=(0, 1), **flags)


def _complex_dot_args(data):
    lhs_shape, rhs_shape, numbers = data.draw(st.sampled_from(DOT_CASES))
    return (complex_values(data, lhs_shape), complex_values(data, rhs_shape), numbers)


def _complex_fft_args(data):
    fft_type = data.draw(st.sampled_from(["fft", "ifft", "rfft", "irfft"]))
    batch = shape(data, max_dims=1)
    lengths = tuple(data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=2)))
    trailing = lengths[:-1] + (lengths[-1] // 2 + 1,) if fft_type == "irfft" else lengths
    x = floats(data, batch + trailing) if fft_type == "rfft" else \
        complex_values(data, batch + trailing)
    return (x, fft_type, lengths)


def _complex_select_args(data):
    s = shape(data)
    return (data.draw(hnp.arrays(np.bool_, s)), complex_values(data, s), complex_values(data, s))


#: Complex inputs through the elementwise primitives (away from branch cuts and poles),
#: reductions, dot_general, the complex primitives and fft.
COMPLEX_CASES = [
    complex_unary("neg", lax.neg, linear=True),
    complex_unary("sin", lax.sin), complex_unary("cos", lax.cos),
    complex_unary("tan", lax.tan, (-1.0, 1.0), (-1.0, 1.0)),
    complex_unary("tanh", lax.tanh, (-1.0, 1.0), (-1.0, 1.0)),
    complex_unary("exp", lax.exp), complex_unary("expm1", lax.expm1),
    complex_unary("log", lax.log, (0.2, 2.0)), complex_unary("log1p", lax.log1p, (-0.7, 2.0)),
    complex_unary("sqrt", lax.sqrt, (0.2, 2.0)), complex_unary("rsqrt", lax.rsqrt, (0.2, 2.0)),
    complex_unary("sinh", lax.sinh), complex_unary("cosh", lax.cosh),
    complex_unary("asin", lax.asin, (-0.6, 0.6), (-0.6, 0.6)),
    complex_unary("acos", lax.acos, (-0.6, 0.6), (-0.6, 0.6)),
    complex_unary("atan", lax.atan, imag=(-0.6, 0.6)),
    complex_unary("asinh", lax.asinh, imag=(-0.6, 0.6)),
    complex_unary("acosh", lax.acosh, (1.2, 3.0)),
    complex_unary("atanh", lax.atanh, (-0.6, 0.6), (-0.6, 0.6)),
    complex_unary("abs", lax.abs, draw=complex_away_from_zero),
    complex_unary("sign", lax.sign, draw=complex_away_from_zero, finite_differences=False),
    complex_unary("is_finite", lax.is_finite, finite_differences=False),
    Case("integer_pow", lambda data: (complex_away_from_zero(data, shape(data)),
                                      data.draw(st.integers(-3, 4))), lax.integer_pow),
    complex_binary("add", lax.add, linear=True), complex_binary("sub", lax.sub, linear=True),
    complex_binary("mul", lax.mul), complex_binary("div", lax.div, draw_y=complex_away_from_zero),
    Case("pow", lambda data: (lambda s: (complex_values(data, s, (0.3, 2.0)),
                                         complex_values(data, s, (-1.0, 1.0), (-1.0, 1.0))))(
        shape(data)), lax.pow, float_argnums=(0, 1)),
    complex_binary("eq", lax.eq, finite_differences=False),
    Case("select", _complex_select_args, lax.select, float_argnums=(1, 2), linear=True),
    Case("convert_element_type",
         lambda data: (complex_values(data, shape(data)).astype(np.complex64),),
         lambda x: lax.convert_element_type(x, np.complex128), linear=True, tolerance=1e-3),
    Case("convert_element_type_to_real", lambda data: (complex_values(data, shape(data)),),
         lambda x: lax.convert_element_type(x, np.float64), linear=True),
    Case("convert_element_type_from_real", lambda data: (floats(data, shape(data)),),
         lambda x: lax.mul(lax.convert_element_type(x, np.complex128), _ROTATION), linear=True),
    reduction("reduce_sum", lax.reduce_sum, draw_values=complex_values, linear=True),
    reduction("reduce_prod", lax.reduce_prod, draw_values=complex_values),
    Case("cumsum", lambda data: (complex_values(data, shape(data, min_dims=1)),),
         lambda x: lax.cumsum(x, x.ndim - 1), linear=True),
    Case("cumprod", lambda data: (complex_values(data, shape(data, min_dims=1)),),
         lambda x: lax.cumprod(x, 0)),
    Case("dot_general", _complex_dot_args, lax.dot_general, float_argnums=(0, 1)),
    Case("transpose", lambda data: _transpose_args_complex(data), lax.transpose, linear=True),
    complex_unary("real", lax.real, linear=True), complex_unary("imag", lax.imag, linear=True),
    complex_unary("conj", lax.conj, linear=True),
    Case("complex", _pair, lax.complex, float_argnums=(0, 1), linear=True),
    Case("fft", _complex_fft_args, lax.fft, linear=True),
]


def _transpose_args_complex(data):
    x = complex_values(data, shape(data))
    return (x, tuple(data.draw(st.permutations(range(x.ndim)))))
# --- scipy.special primitives (functrans.lax.special) ---------------------------------------
from functrans.lax import special as lax_special  # noqa: E402  (registers the primitives)


def _positive(low, high):
    return lambda data, s: floats(data, s, low, high)


def _integers_as_floats(low, high):
    return lambda data, s: data.draw(hnp.arrays(np.int64, s, elements=st.integers(low, high))
                                     ).astype(np.float64)


def special(name, *draws, float_argnums=None, **flags):
    """A case for the special primitive ``name``: one draw per operand, all of one shape."""
    def draw_args(data):
        s = shape(data)
        return tuple(draw(data, s) for draw in draws)
    if float_argnums is None:
        float_argnums = tuple(range(len(draws)))
    return Case(name, draw_args, getattr(lax_special, name), float_argnums=float_argnums, **flags)


CASES += [
    special("gammaln", _positive(0.5, 4.0)), special("digamma", _positive(0.5, 4.0)),
    special("gamma", _positive(0.5, 3.0)), special("rgamma", _positive(0.5, 3.0)),
    special("gammasgn", not_near_integers, finite_differences=False),
    special("zeta", _positive(1.5, 4.0), _positive(0.5, 3.0), float_argnums=(1,)),
    special("beta", _positive(0.5, 3.0), _positive(0.5, 3.0)),
    special("betaln", _positive(0.5, 3.0), _positive(0.5, 3.0)),
    special("binom", _positive(2.5, 5.0), _positive(0.5, 2.0)),
    special("gammainc", _positive(0.5, 3.0), _positive(0.2, 4.0)),
    special("gammaincc", _positive(0.5, 3.0), _positive(0.2, 4.0)),
    special("gammainc_grad_a", _positive(0.5, 3.0), _positive(0.2, 4.0), float_argnums=(1,)),
    special("betainc", _positive(0.5, 3.0), _positive(0.5, 3.0), _positive(0.1, 0.9)),
    special("gammaincinv", _positive(0.5, 3.0), _positive(0.1, 0.9)),
    special("gammainccinv", _positive(0.5, 3.0), _positive(0.1, 0.9)),
    special("betaincinv", _positive(0.5, 3.0), _positive(0.5, 3.0), _positive(0.1, 0.9)),
    special("betainccinv", _positive(0.5, 3.0), _positive(0.5, 3.0), _positive(0.1, 0.9)),
    special("stdtrit", _positive(1.0, 6.0), _positive(0.05, 0.95)),
    special("betainc_grad_a", _positive(0.5, 3.0), _positive(0.5, 3.0), _positive(0.1, 0.9),
            float_argnums=(2,)),
    special("betainc_grad_b", _positive(0.5, 3.0), _positive(0.5, 3.0), _positive(0.1, 0.9),
            float_argnums=(2,)),
    special("erfinv", _positive(-0.9, 0.9)),
    special("erfcinv", _positive(0.1, 1.9)), special("ndtr", _positive(-3.0, 3.0)),
    special("ndtri", _positive(0.05, 0.95)), special("log_ndtr", _positive(-3.0, 3.0)),
    special("spence", _positive(0.1, 3.0)),
    special("exp1", _positive(0.2, 3.0)), special("expi", _positive(0.2, 3.0)),
    special("expn", _integers_as_floats(1, 4), _positive(0.2, 3.0), float_argnums=(1,)),
    special("poch", _positive(0.5, 3.0), _positive(-0.4, 2.0)),
    special("hyp1f1", _positive(-1.0, 2.0), _positive(0.5, 3.0), floats, float_argnums=(2,)),
    special("hyp2f1", _positive(-1.0, 2.0), _positive(0.5, 2.0), _positive(1.0, 3.0),
            _positive(-0.8, 0.8), float_argnums=(3,)),
    special("iv", _positive(-1.0, 3.0), _positive(0.2, 3.0), float_argnums=(1,)),
    special("ive", _positive(-1.0, 3.0), away_from_zero, float_argnums=(1,)),
    special("jv", _positive(-1.0, 3.0), _positive(0.2, 5.0), float_argnums=(1,)),
    special("yv", _positive(-1.0, 3.0), _positive(0.3, 5.0), float_argnums=(1,)),
    special("yn", _integers_as_floats(0, 3), _positive(0.3, 4.0), float_argnums=(1,)),
    special("i0", floats), special("i1", floats),
    special("i0e", away_from_zero), special("i1e", away_from_zero),
    special("j0", _positive(-5.0, 5.0)), special("j1", _positive(-5.0, 5.0)),
    special("y0", _positive(0.3, 5.0)), special("y1", _positive(0.3, 5.0)),
]

# --- w2sp: erfcx, dawsn, loggamma, owens_t, fresnel, sici (functrans.lax.special) -------------
CASES += [
    special("erfcx", _positive(-2.0, 3.0)), special("dawsn", _positive(-3.0, 3.0)),
    special("loggamma", _positive(0.5, 4.0)),
    special("owens_t", _positive(-2.0, 2.0), _positive(-2.0, 2.0)),
    special("fresnel_s", _positive(-2.0, 2.0)), special("fresnel_c", _positive(-2.0, 2.0)),
    special("sici_si", _positive(-4.0, 4.0)), special("sici_ci", _positive(0.3, 4.0)),
]

# the Faddeeva function: complex in, complex out (as parts here, complex in COMPLEX_CASES)
CASES += [Case("wofz", _pair, lambda x, y: _parts(lax_special.wofz(lax.complex(x, y))),
               float_argnums=(0, 1))]
COMPLEX_CASES += [complex_unary("wofz", lax_special.wofz)]

# --- bits: integer shifts, frexp, nextafter (functrans.lax.bits) -------------------------------
_SHIFT_DTYPES = [np.int8, np.uint8, np.int16, np.uint32, np.int64, np.uint64]


def _shift_args(data):
    """Integers of a drawn dtype, shifted by counts from -2 to 2 past the bit width."""
    s = shape(data)
    dtype = data.draw(st.sampled_from(_SHIFT_DTYPES))
    info = np.iinfo(dtype)
    values = data.draw(hnp.arrays(dtype, s, elements=st.integers(int(info.min), int(info.max))))
    counts = data.draw(hnp.arrays(dtype, s, elements=st.integers(max(int(info.min), -2),
                                                                 info.bits + 2)))
    return (values, counts)


def _away_from_powers_of_two(data, shape_):
    """Values whose frexp mantissa is in [0.55, 0.95] in magnitude: frexp is smooth there."""
    mantissa = away_from_zero(data, shape_, 0.55, 0.95)
    exponent = data.draw(hnp.arrays(np.int64, shape_, elements=st.integers(-3, 3)))
    return np.ldexp(mantissa, exponent)


CASES += [
    Case("shift_left", _shift_args, lax.shift_left, float_argnums=()),
    Case("shift_right", _shift_args, lax.shift_right, float_argnums=()),
    unary("frexp_mantissa", lax.frexp_mantissa, draw=_away_from_powers_of_two),
    unary("frexp_exponent", lax.frexp_exponent, finite_differences=False),
    binary("nextafter", lax.nextafter, finite_differences=False),
]

# --- lagaps: the decompositions on complex stacks -----------------------------------------------
# As in DECOMPOSITION_CASES, each function conditions its input (a shift by the identity or a
# spread spectrum added inside), so the vmap test's shuffled entries stay well conditioned.
# Eigen- and singular vectors are defined up to a phase each (LAPACK's choice, not
# differentiated): their cases return the moduli, which do not depend on it.

def _small_complex(data, shape_):
    return complex_values(data, shape_, (-1.0, 1.0), (-1.0, 1.0))


def _complex_triangular_solve_args(data):
    batch, n = _stack_shape(data)
    k = data.draw(st.integers(1, 3))
    flags = [data.draw(st.booleans()) for _ in range(4)]
    return (_small_complex(data, batch + (n, n)), complex_values(data, batch + (n, k)), *flags)


def _complex_triangular_solve(a, b, lower, transpose_a, conjugate_a, unit_diagonal):
    return lax.triangular_solve(_dominant(a), b, lower=lower, transpose_a=transpose_a,
                                conjugate_a=conjugate_a, unit_diagonal=unit_diagonal)


def _complex_square_args(data, *flags):
    batch, n = _stack_shape(data)
    return (_small_complex(data, batch + (n, n)),) + tuple(data.draw(st.booleans()) for _ in flags)


def _complex_lu_args(data):
    batch, n = _stack_shape(data)
    m = data.draw(st.integers(max(n - 1, 1), n + 1))
    return (_small_complex(data, batch + (m, n)), tuple(data.draw(st.permutations(range(m)))))


def _complex_eigh(x, lower):
    n = x.shape[-1]
    q = _rotation(n, 0)
    w, v = lax.eigh(0.3 * x + q @ np.diag(3.0 * np.arange(n)) @ q.T, lower=lower)
    return w, lax.abs(v) ** 2


def _complex_svd(x, compute_uv):
    outputs = _spread_singular_values(x, compute_uv=compute_uv)
    if not compute_uv:
        return outputs
    u, s, vh = outputs
    return lax.abs(u) ** 2, s, lax.abs(vh) ** 2


def _complex_matrix_args(data, tall=False):
    batch, n = _stack_shape(data)
    m = data.draw(st.integers(n, n + 2) if tall else st.integers(1, 4))
    return (_small_complex(data, batch + (m, n)),)


def _complex_qr(x, full_matrices):
    """qr of a matrix that is not real: at exactly real entries LAPACK's reflectors switch
    between the identity and a phase (zlarfg), so finite differences across them jump."""
    m, n = x.shape[-2:]
    return _qr_of(x + (0.3141 + 0.2718j) * np.ones((m, n)), full_matrices)


def _complex_eig(x):
    """eig of a matrix with eigenvalues 0, 3i, 6, 9i, ... plus a small part."""
    n = x.shape[-1]
    q = _rotation(n, 3)
    spread = q @ np.diag(3.0 * np.arange(n) * 1j ** np.arange(n)) @ q.T
    w, v = lax.eig(0.3 * x + spread)
    return w, lax.abs(v) ** 2


COMPLEX_CASES += [
    Case("triangular_solve", _complex_triangular_solve_args, _complex_triangular_solve,
         float_argnums=(1,), linear=True),
    Case("triangular_solve (matrix)", _complex_triangular_solve_args, _complex_triangular_solve,
         float_argnums=(0, 1)),
    Case("cholesky", _complex_square_args, lambda x: lax.cholesky(_dominant(x))),
    Case("lu", _complex_lu_args, lambda x, p: _lu_of(x, p)[0]),
    Case("eigh", lambda data: _complex_square_args(data, "lower"), _complex_eigh,
         tolerance=1e-5),
    Case("svd", lambda data: _complex_matrix_args(data) + (data.draw(st.booleans()),),
         _complex_svd, tolerance=1e-5),
    Case("qr", lambda data: _complex_matrix_args(data, tall=True) + (data.draw(st.booleans()),),
         _complex_qr),
    Case("eig", _complex_square_args, _complex_eig, tolerance=1e-5),
]
