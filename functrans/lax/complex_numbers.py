"""Complex numbers: ``real``, ``imag``, ``conj``, ``complex``, and the derivative of ``abs``.

Derivatives follow JAX's conventions. A complex value's tangent is a complex number of its
dtype, and a JVP is the real-linear map it is in R^2. Transpose rules are transposes under
the *bilinear* form ``<a, b> = Re(sum(a * b))`` (no conjugation), so a primitive's transpose
is linear, not conjugate-linear: ``mul``'s transpose multiplies by the other factor, not its
conjugate, and ``grad`` of a real function ``f(x + iy)`` is ``df/dx - i df/dy``.
"""
import numpy as np

from functrans import core
from functrans.lax import elementwise as ew
from functrans.lax._util import match_scalar, shape_error
from functrans.lowering import rules as lowering_rules
from functrans.transforms import ad, vmap


def real_dtype(dtype):
    """complex64 -> float32, complex128 -> float64; real dtypes are their own."""
    return np.empty((), dtype).real.dtype


def complex_dtype(dtype):
    """float32 -> complex64, float64 -> complex128 (smaller floats: complex64), as NumPy."""
    return np.result_type(dtype, np.complex64)


def _check_complex(name, aval):
    if aval.dtype.kind != "c":
        raise shape_error(f"{name} takes a complex input, got {aval.str_short()}; "
                          "functrans.numpy's real/imag/conj accept real arrays too")


def _part_primitive(name, numpy_part):
    primitive = core.Primitive(name)
    primitive.def_impl(lambda x: np.array(numpy_part(x))[()])  # a copy: NumPy's is a strided view

    @primitive.def_abstract_eval
    def abstract_eval(x):
        _check_complex(name, x)
        return core.ShapedArray(x.shape, real_dtype(x.dtype), x.weak_type)

    return primitive


real_p = _part_primitive("real", np.real)
imag_p = _part_primitive("imag", np.imag)

conj_p = core.Primitive("conj")
conj_p.def_impl(np.conjugate)


@conj_p.def_abstract_eval
def _conj_abstract_eval(x):
    _check_complex("conj", x)
    return x


complex_p = core.Primitive("complex")


@complex_p.def_impl
def _complex_impl(x, y):
    x = np.asarray(x)
    out = np.empty(x.shape, complex_dtype(x.dtype))
    out.real, out.imag = x, y  # not x + 1j * y, which turns an infinite y into a NaN real part
    return out[()]


@complex_p.def_abstract_eval
def _complex_abstract_eval(x, y):
    if x.shape != y.shape or x.dtype != y.dtype or x.dtype.kind != "f" or \
            x.dtype not in (np.float32, np.float64):
        raise shape_error(
            f"complex takes real and imaginary parts of one shape and dtype (float32 or "
            f"float64), got {x.str_short()} and {y.str_short()}")
    return core.ShapedArray(x.shape, complex_dtype(x.dtype), x.weak_type and y.weak_type)


def real(x):
    """The real part of a complex ``x``, as a real array (``x.real``)."""
    return real_p.bind(x)


def imag(x):
    """The imaginary part of a complex ``x``, as a real array (``x.imag``)."""
    return imag_p.bind(x)


def conj(x):
    """The complex conjugate of a complex ``x``."""
    return conj_p.bind(x)


def complex(x, y):  # noqa: A001 (lax's name)
    """``x + 1j * y`` from real parts of one shape and dtype: float64 -> complex128.

    >>> complex(np.float32(1), np.float32(2))
    np.complex64(1+2j)
    """
    if core.is_python_scalar(x) and not core.is_python_scalar(y):
        x = match_scalar(x, y)
    elif core.is_python_scalar(y) and not core.is_python_scalar(x):
        y = match_scalar(y, x)
    return complex_p.bind(x, y)


def _as_complex(x, dtype):
    """A real cotangent as the complex one of ``dtype`` with zero imaginary part."""
    return ew.convert_element_type(x, dtype)


# real, imag, conj and complex are linear. Their transposes under <a, b> = Re(sum(a * b)):
#   Re(c * Re(t)) = Re((c + 0i) * t)          real^T(c) = c + 0i
#   Re(c * Im(t)) = Re((-ic) * t)             imag^T(c) = -ic
#   Re(c * conj(t)) = Re(conj(c) * t)         conj^T(c) = conj(c)
#   Re(c * (x + iy)) = Re(c) x - Im(c) y      complex^T(c) = (Re c, -Im c)
ad.deflinear(real_p, lambda cotangent, x: [_as_complex(cotangent, x.aval.dtype)])
ad.deflinear(imag_p, lambda cotangent, x: [complex(0.0, ew.neg(cotangent))])
ad.deflinear(conj_p, lambda cotangent, x: [conj(cotangent)])


def _complex_transpose(cotangent, x, y):
    return [real(cotangent) if ad.is_undefined(x) else None,
            ew.neg(imag(cotangent)) if ad.is_undefined(y) else None]


ad.deflinear(complex_p, _complex_transpose)

for _primitive in (real_p, imag_p, conj_p):
    vmap.defvectorized(_primitive)
vmap.defbroadcasting(complex_p)

lowering_rules.defscalar(real_p, "{0}.real")
lowering_rules.defscalar(imag_p, "{0}.imag")
lowering_rules.defscalar(conj_p, "{0}.conjugate()")
lowering_rules.defscalar(complex_p, "complex({0}, {1})")


# --- abs: |x| for real x, the modulus (a real value) for complex x ------------------------

def _abs_jvp(tangent, modulus, x):
    aval = core.get_aval(x)
    if aval.dtype.kind != "c":
        return ew.select(ew.ge(x, match_scalar(0, x)), tangent, ew.neg(tangent))
    # d|z| = Re(conj(z) dz) / |z|, and 0 at z = 0 (JAX's choice: the modulus there is 1).
    modulus = _as_complex(modulus, aval.dtype)
    modulus = ew.select(ew.eq(modulus, match_scalar(0, modulus)),
                        match_scalar(1, modulus), modulus)
    return real(ew.mul(tangent, ew.div(conj(x), modulus)))


ad.defjvp_with_output(ew.abs_p, _abs_jvp)
