"""Checks on what users pass to the transforms, each raising an error that says the fix.

They sit in one place so every transform words the same mistake the same way.
"""
import operator

import numpy as np

from functrans.errors import at_user_line

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


def check_argnums(argnums, where):
    """``(single, numbers)`` for an ``argnums`` of an int or a sequence of ints.

    >>> check_argnums((0, 2), "grad")
    (False, (0, 2))
    """
    if _is_integer(argnums):
        return True, (operator.index(argnums),)
    if isinstance(argnums, (tuple, list)) and all(_is_integer(n) for n in argnums):
        return False, tuple(operator.index(n) for n in argnums)
    raise TypeError(at_user_line(
        f"{where}: argnums must be an int or a tuple of ints, got {argnums!r} "
        f"({type(argnums).__name__}); write argnums=1 or argnums=(0, 1)"))


def check_axes(axes, what):
    """Raise if ``axes`` (vmap's ``in_axes``/``out_axes``) holds anything but ints and None."""
    if axes is None or _is_integer(axes):
        return
    if isinstance(axes, (tuple, list)):
        for axis in axes:
            check_axes(axis, what)
        return
    if isinstance(axes, dict):
        for axis in axes.values():
            check_axes(axis, what)
        return
    raise TypeError(at_user_line(
        f"vmap {what} must be ints, None, or tuples/lists/dicts of them; got {axes!r} "
        f"({type(axes).__name__}): write {what}=0, or None for an argument that is not batched"))


def _is_integer(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_python_int(value, label):
    """Raise OverflowError if the Python int ``value`` does not fit functrans's int64."""
    if not INT64_MIN <= value <= INT64_MAX:
        raise OverflowError(at_user_line(
            f"{label} is the Python int {value}, outside the int64 range functrans computes "
            f"in ([-2**63, 2**63 - 1]); pass it as a float ({float(value)!r}) or as a NumPy "
            "array of the dtype you mean"))


def check_indexed_axis_not_empty(what, x_aval, index_aval, axis):
    """Raise IndexError, as NumPy does, for indices into an axis of size 0.

    Shapes are static, so this is known when tracing; a compiled kernel would otherwise
    read or write outside the buffer (no index can be clamped into an empty range).
    """
    if x_aval.shape[axis] == 0 and index_aval.size > 0:
        raise IndexError(at_user_line(
            f"{what}: index into axis {axis} of {x_aval.str_short()}, which is empty (size 0), "
            f"with {index_aval.size} indices; no index is in bounds: check the shapes, or "
            "select nothing (an empty index array)"))


def check_reduced_axes_not_empty(what, x_aval, axes):
    """Raise ValueError, as NumPy does, for a maximum, minimum or arg-reduction over nothing."""
    if any(x_aval.shape[axis] == 0 for axis in axes) and x_aval.size == 0:
        raise ValueError(at_user_line(
            f"{what} over axes {tuple(axes)} of {x_aval.str_short()}: a zero-size reduction "
            "has no identity; pass an `initial=` value (max/min) or check the shape first"))


def array_leaf(leaf, label):
    """``leaf`` as a value functrans computes with, or a TypeError naming ``label``.

    An ndarray subclass that only stores data differently (``np.memmap``) is viewed as a
    plain array, and an array of the other byte order is converted to this machine's (numba
    computes with native numbers only); a masked array is refused (its mask would be
    silently dropped), as is an array of Python objects, strings or records.
    """
    if isinstance(leaf, np.ma.MaskedArray):
        raise TypeError(at_user_line(
            f"{label} is a masked array (numpy.ma); functrans would silently drop its mask. "
            "Pass x.filled(value) for a value at the masked places, or np.ma.getdata(x) and "
            "the mask (np.ma.getmaskarray(x)) as two arrays and use functrans.numpy.where"))
    if type(leaf) is not np.ndarray and isinstance(leaf, np.ndarray):
        leaf = leaf.view(np.ndarray)
    dtype = getattr(leaf, "dtype", None)
    if dtype is not None and dtype.kind not in "biufc":
        raise TypeError(at_user_line(
            f"{label} is an array of dtype {dtype}; functrans computes with booleans, "
            "integers, floats and complex numbers: convert it (x.astype(np.float64)), or "
            "mark it static (jit's static_argnums) if it is not data"))
    if dtype is not None and not dtype.isnative:
        leaf = leaf.astype(dtype.newbyteorder("="))
    return leaf


def check_compilable_dtypes(ir, name):
    """Raise a clear error if ``ir`` computes in a dtype numba cannot compile (float16)."""
    avals = [v.aval for v in ir.in_vars] + [v.aval for v in ir.out_vars]
    avals += [v.aval for equation in ir.equations for v in equation.outputs]
    if any(aval.dtype == np.float16 for aval in avals):
        raise NotImplementedError(at_user_line(
            f"jit of {name}: the function computes in float16, which numba cannot compile. "
            "Call it on float32 arrays and cast the result back "
            "(f(x.astype(np.float32)).astype(np.float16)), or call it without jit "
            "(eager mode, grad and vmap support float16)"))
