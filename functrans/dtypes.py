"""Dtypes and NumPy 2 type promotion, with Python scalars as weak types.

A value's abstract type carries a ``weak_type`` flag: Python ``int``, ``float``
and ``complex`` literals are weak, so ``x * 2.0`` keeps ``x``'s float32 just as
NumPy 2 does. Promotion asks NumPy itself (with Python scalars standing in for
weak types), so functrans follows NumPy's table exactly instead of copying it.
"""
import functools

import numpy as np

#: The dtype of tangents and cotangents of integer and boolean values: they
#: have no derivative, so their tangent space holds a single point.
float0 = np.dtype([("float0", np.void, 0)])

_SHORT_NAMES = {
    "float64": "f64", "float32": "f32", "float16": "f16",
    "int64": "i64", "int32": "i32", "int16": "i16", "int8": "i8",
    "uint64": "u64", "uint32": "u32", "uint16": "u16", "uint8": "u8",
    "bool": "bool", "complex128": "c128", "complex64": "c64",
}

# A Python scalar of each kind stands for a weak type when asking NumPy.
_WEAK_STAND_INS = {"b": False, "i": 1, "u": 1, "f": 1.0, "c": 1j}


#: NumPy's float scalar types whose arithmetic functrans does with Python's operators (the
#: same IEEE operation as the ufunc, without its dispatch).
FLOAT_SCALAR_TYPES = (np.float64, np.float32)


def short_name(dtype):
    """``float64`` -> ``f64``, as the IR printer shows types."""
    if dtype == float0:
        return "float0"
    return _SHORT_NAMES.get(dtype.name, dtype.name)


def is_inexact(dtype):
    return dtype.kind in "fc"


def tangent_dtype(dtype):
    """The dtype of a tangent of a value of ``dtype`` (float0 for integers)."""
    return dtype if dtype.kind in "fc" else float0


@functools.lru_cache(maxsize=4096)
def result_type(*dtypes_and_weakness):
    """The promoted ``(dtype, weak_type)`` of ``(dtype, weak)`` pairs, as NumPy 2 has it."""
    stand_ins = [
        _WEAK_STAND_INS[dtype.kind] if weak else dtype
        for dtype, weak in dtypes_and_weakness
    ]
    all_weak = all(weak for _, weak in dtypes_and_weakness)
    if all_weak:
        # NumPy's default types for Python scalars: int64, float64, complex128.
        return np.result_type(*stand_ins), True
    return np.result_type(*stand_ins), False


@functools.lru_cache(maxsize=4096)
def ufunc_result_dtype(ufunc, *dtypes):
    """The dtype NumPy's ``ufunc`` gives for inputs of ``dtypes`` (e.g. sin(int8) -> float16)."""
    samples = [np.ones((), dtype) for dtype in dtypes]
    with np.errstate(all="ignore"):
        return ufunc(*samples).dtype

