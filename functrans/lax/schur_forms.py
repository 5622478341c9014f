"""The Schur and Hessenberg decompositions: the primitives under scipy.linalg's schur,
hessenberg, rsf2csf and funm.

Both work on stacks of square matrices (``...×n×n``), batch by moving the batch axis to the
front, and compute with SciPy (LAPACK's gees and gehrd/orghr) one matrix at a time.

Neither has a derivative, as in JAX: the Schur form is not unique (the order of the
eigenvalues, the phases of the Schur vectors, 2×2 blocks of a real form) and LAPACK's
choice is not a differentiable function of the matrix. Differentiating them raises
``MissingRuleError`` naming the primitive.

Neither has a numba lowering yet: it would call LAPACK's gees/gehrd/orghr through
``scipy.linalg.cython_lapack`` (numba's ``np.linalg`` has no Schur or Hessenberg routine).
Until then, ``jit`` of a function using them raises ``NotImplementedError`` at compile
time naming the primitive; their eager and traced (grad-free) use is unaffected.
"""
import numpy as np

from functrans import core
from functrans.errors import MissingRuleError
from functrans.lax._util import shape_error
from functrans.lowering import rules as lowering_rules
from functrans.transforms import ad, vmap


def _check_square(name, a):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2] or a.dtype.kind not in "fc":
        raise shape_error(f"{name} takes a stack of square matrices (...×n×n) of "
                          f"floating-point or complex dtype, got {a.str_short()}")


def _each_matrix(function, a, outputs):
    """``function`` (matrix -> tuple of ``outputs`` matrices) over a stack of matrices."""
    a = np.asarray(a)
    flat = a.reshape((-1,) + a.shape[-2:])
    results = [function(matrix) for matrix in flat]
    return [np.stack([r[k] for r in results]).reshape(a.shape[:-2] + results[0][k].shape)
            if results else np.empty(a.shape, a.dtype) for k in range(outputs)]


def _no_derivative(name):
    def rule(primals, tangents, **params):
        raise MissingRuleError(name, "jvp", (
            f"{name} has no derivative (JAX defines none either): the decomposition is not "
            f"unique and LAPACK's choice is not differentiable. Differentiate a function of "
            f"the matrix that does not depend on that choice instead (e.g. expm, eigh)."))
    return rule


def _no_lowering(name, routines):
    def emit(writer, equation, operands, outputs):
        raise NotImplementedError(
            f"jit of {name} is not supported yet: numba's np.linalg has no {name} routine and "
            f"the lowering through scipy.linalg.cython_lapack ({routines}) is not written; "
            f"call the function outside jit")
    return emit


# --- schur -------------------------------------------------------------------------------

schur_p = core.Primitive("schur", multiple_results=True)


def _schur_dtype(dtype, output):
    return np.result_type(dtype, np.complex64) if output == "complex" else dtype


@schur_p.def_impl
def _schur_impl(a, *, output):
    from scipy.linalg import schur as scipy_schur
    dtype = _schur_dtype(np.asarray(a).dtype, output)
    t, z = _each_matrix(lambda m: scipy_schur(m, output=output, check_finite=False), a, 2)
    return [t.astype(dtype, copy=False), z.astype(dtype, copy=False)]


@schur_p.def_abstract_eval
def _schur_abstract_eval(a, *, output):
    _check_square("schur", a)
    aval = core.ShapedArray(a.shape, _schur_dtype(a.dtype, output))
    return [aval, aval]


def schur(a, output="real"):
    """``[t, z]`` with ``a = z @ t @ zᴴ``, ``z`` unitary and ``t`` quasi upper triangular
    (``output='real'``, 2×2 blocks for complex pairs of a real matrix) or upper triangular
    (``output='complex'``), as ``scipy.linalg.schur`` computes them."""
    if output not in ("real", "complex"):
        raise ValueError(f"schur: output must be 'real' or 'complex', got {output!r}")
    return schur_p.bind(a, output=output)


ad.jvp_rules[schur_p] = _no_derivative("schur")
vmap.defaxes_shifted(schur_p)
lowering_rules.emit_rules[schur_p] = _no_lowering("schur", "gees")


# --- hessenberg --------------------------------------------------------------------------

hessenberg_p = core.Primitive("hessenberg", multiple_results=True)


@hessenberg_p.def_impl
def _hessenberg_impl(a, *, calc_q):
    from scipy.linalg import hessenberg as scipy_hessenberg
    dtype = np.asarray(a).dtype
    if calc_q:
        h, q = _each_matrix(lambda m: scipy_hessenberg(m, calc_q=True, check_finite=False), a, 2)
        return [h.astype(dtype, copy=False), q.astype(dtype, copy=False)]
    (h,) = _each_matrix(lambda m: (scipy_hessenberg(m, check_finite=False),), a, 1)
    return [h.astype(dtype, copy=False)]


@hessenberg_p.def_abstract_eval
def _hessenberg_abstract_eval(a, *, calc_q):
    _check_square("hessenberg", a)
    aval = core.ShapedArray(a.shape, a.dtype)
    return [aval, aval] if calc_q else [aval]


def hessenberg(a, calc_q=False):
    """``[h, q]`` with ``a = q @ h @ qᴴ``, ``h`` zero below its first subdiagonal and ``q``
    unitary (``[h]`` without ``calc_q``), as ``scipy.linalg.hessenberg`` computes them."""
    return hessenberg_p.bind(a, calc_q=bool(calc_q))


ad.jvp_rules[hessenberg_p] = _no_derivative("hessenberg")
vmap.defaxes_shifted(hessenberg_p)
lowering_rules.emit_rules[hessenberg_p] = _no_lowering("hessenberg", "gehrd and orghr/unghr")
