"""Tools for users' own gradient checks: ``check_grads`` and hypothesis strategies.

>>> import numpy as np, functrans.numpy as fnp
>>> check_grads(lambda x: fnp.sum(fnp.tanh(x) ** 2), (np.array([0.3, -1.2]),), order=2)
"""
import numpy as np

from functrans import core, tree
from functrans.transforms.differentiation import jvp, vjp


def _wide(x):
    """``x`` in float64, or complex128 if it is complex."""
    x = np.asarray(x)
    return x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)


def _inner(xs, ys):
    # The pairing under which JAX's transposes are transposes: Re(sum(x * y)), no conjugation.
    return sum(float(np.real(np.sum(_wide(x) * _wide(y))))
               for x, y in zip(tree.leaves(xs), tree.leaves(ys)))


def _random_array(x, rng):
    dtype = core.get_aval(x).dtype
    values = rng.standard_normal(np.shape(x))
    if dtype.kind == "c":
        values = values + 1j * rng.standard_normal(np.shape(x))
    return values.astype(dtype)[()]


def _random_like(values, rng):
    return tree.map(lambda x: _random_array(x, rng), values)


def _add_scaled(values, direction, scale):
    return tree.map(lambda x, d: (np.asarray(x) + scale * np.asarray(d)).astype(
        core.get_aval(x).dtype)[()], values, direction)


def _assert_close(what, expected, got, atol, rtol):
    for index, (e, g) in enumerate(zip(tree.leaves(expected), tree.leaves(got))):
        if not np.allclose(np.asarray(g), np.asarray(e), atol=atol, rtol=rtol, equal_nan=True):
            raise AssertionError(
                f"check_grads: {what} disagree in output leaf {index}:\n  expected {e!r}\n  got      {g!r}")


def check_grads(function, args, order=1, modes=("fwd", "rev"), eps=None, atol=None, rtol=None,
                seed=0):
    """Check derivatives of ``function`` at ``args`` up to ``order``, in float64 arithmetic.

    ``"fwd"`` compares ``jvp`` along a random direction with a central finite
    difference; ``"rev"`` compares ``vjp`` with ``jvp`` through the identity
    ``<u, J v> = <Jᵀ u, v>``, where ``<a, b> = Re(sum(a * b))`` (JAX's convention for
    complex values: directions of complex inputs have random real and imaginary parts). With ``order`` 2 or more the same checks run on
    the derivative functions themselves. Raises ``AssertionError`` naming the
    disagreeing output. The finite-difference step ``eps`` defaults to 1e-6,
    or 1e-3 when an input is float32 (a smaller step drowns in its rounding).
    """
    args = tuple(args)
    dtype_is_single = any(core.get_aval(x).dtype in (np.float32, np.complex64)
                          for x in tree.leaves(args))
    eps = eps if eps is not None else (1e-3 if dtype_is_single else 1e-6)
    atol = atol if atol is not None else (1e-2 if dtype_is_single else 1e-5)
    rtol = rtol if rtol is not None else (1e-2 if dtype_is_single else 1e-5)
    rng = np.random.default_rng(seed)

    def check(function, args, order):
        direction = _random_like(args, rng)
        if "fwd" in modes:
            outputs, tangent = jvp(function, args, direction)
            plus = function(*_add_scaled(args, direction, eps))
            minus = function(*_add_scaled(args, direction, -eps))
            finite_difference = tree.map(
                lambda p, m: (_wide(p) - _wide(m)) / (2 * eps),
                plus, minus)
            _assert_close("jvp and finite differences", finite_difference, tangent, atol, rtol)
        if "rev" in modes:
            outputs, pullback = vjp(function, *args)
            cotangent = _random_like(outputs, rng)
            _, tangent = jvp(function, args, direction)
            forward = _inner(cotangent, tangent)
            reverse = _inner(pullback(cotangent), direction)
            _assert_close("vjp and jvp (<u, J v> vs <J^T u, v>)", forward, reverse, atol, rtol)
        if order > 1:
            if "fwd" in modes:
                check(lambda *a: jvp(function, a, direction)[1], args, order - 1)
            if "rev" in modes:
                cotangent = _random_like(function(*args), rng)
                check(lambda *a: vjp(function, *a)[1](cotangent), args, order - 1)

    check(function, args, order)


def arrays(shape, dtype=np.float64, low=-3.0, high=3.0):
    """A hypothesis strategy of arrays of ``shape`` with values in ``[low, high]``.

    For property-based gradient checks: pick the domain of your function,
    e.g. ``arrays((3,), low=0.1, high=5.0)`` for a logarithm.
    """
    from hypothesis import strategies
    from hypothesis.extra import numpy as hypothesis_numpy
    width = 32 if np.dtype(dtype) == np.float32 else 64
    elements = strategies.floats(low, high, allow_nan=False, allow_infinity=False, width=width)
    return hypothesis_numpy.arrays(np.dtype(dtype), shape, elements=elements)


def shapes(max_dims=3, max_side=4, min_dims=0):
    """A hypothesis strategy of array shapes small enough for finite differences."""
    from hypothesis.extra import numpy as hypothesis_numpy
    return hypothesis_numpy.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1,
                                         max_side=max_side)


def differentiable_arrays(max_dims=3, max_side=4, low=-3.0, high=3.0, dtype=np.float64):
    """A hypothesis strategy of float arrays of any small shape with values in ``[low, high]``."""
    return shapes(max_dims, max_side).flatmap(lambda shape: arrays(shape, dtype, low, high))
