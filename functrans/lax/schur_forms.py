"""The Schur and Hessenberg decompositions: the primitives under scipy.linalg's schur,
hessenberg, rsf2csf and funm.

Both work on stacks of square matrices (``...×n×n``), batch by moving the batch axis to the
front, and compute with SciPy (LAPACK's gees and gehrd/orghr) one matrix at a time.

Neither has a derivative, as in JAX: the Schur form is not unique (the order of the
eigenvalues, the phases of the Schur vectors, 2×2 blocks of a real form) and LAPACK's
choice is not a differentiable function of the matrix. Differentiating them raises
``MissingRuleError`` naming the primitive.

Their numba lowering calls the same LAPACK routines through ``scipy.linalg.cython_lapack``
(functrans.lowering.lapack's schur_stack and hessenberg_stack, compiled once per machine),
so jit gives SciPy's values.
"""
import numpy as np

from functrans import core
from functrans.errors import MissingRuleError
from functrans.lax._util import shape_error
from functrans.lowering import rules as lowering_rules
from functrans.lowering.codegen import dtype_expression
from functrans.transforms import ad, vmap


def _check_square(name, a):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2] or a.dtype.kind not in "fc":
        raise shape_error(f"{name} takes a stack of square matrices (...×n×n) of "
                          f"floating-point or complex dtype, got {a.str_short()}")


def _each_matrix(function, a, outputs):
    """``function`` (matrix -> tuple of ``outputs`` matrices) over a stack of matrices."""
    a = np.asarray(a)
    flat = a.reshape((int(np.prod(a.shape[:-2], dtype=np.int64)),) + a.shape[-2:])  # -1 fails on size 0
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


def _flat_stack(writer, name, aval, dtype):
    """Source lines making ``name`` a C-contiguous ``batch×n×n`` stack of ``dtype``; the
    stack's name and LAPACK's kind for ``dtype``."""
    from functrans.lowering import lapack
    lapack.register_lapack_symbols()
    batch = int(np.prod(aval.shape[:-2], dtype=np.int64))
    n = aval.shape[-1]
    flat = writer.fresh("stack")
    writer.line(f"{flat} = np.ascontiguousarray({name}).astype({dtype_expression(dtype)})"
                f".reshape(({batch}, {n}, {n}))")
    return flat, lapack.KINDS[np.dtype(dtype)]


def _allocate_like(writer, flat, stem):
    name = writer.fresh(stem)
    writer.line(f"{name} = np.empty_like({flat})")
    return name


def _restore(writer, outputs, flats, equation):
    for out, flat, var in zip(outputs, flats, equation.outputs):
        writer.line(f"{out} = {flat}.reshape({tuple(var.aval.shape)!r})")


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
def _emit_schur(writer, equation, operands, outputs):
    dtype = equation.outputs[0].aval.dtype
    a, kind = _flat_stack(writer, operands[0], equation.inputs[0].aval, dtype)
    vectors, form = _allocate_like(writer, a, "vectors"), writer.fresh("form")
    writer.line(f"{form} = schur_stack({a}, {kind}, {vectors})")
    _restore(writer, outputs, (form, vectors), equation)


lowering_rules.emit_rules[schur_p] = _emit_schur


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
def _emit_hessenberg(writer, equation, operands, outputs):
    a, kind = _flat_stack(writer, operands[0], equation.inputs[0].aval,
                             equation.inputs[0].aval.dtype)
    q, form = _allocate_like(writer, a, "q"), writer.fresh("form")
    writer.line(f"{form} = hessenberg_stack({a}, {kind}, {equation.params['calc_q']}, {q})")
    _restore(writer, outputs, (form, q), equation)


lowering_rules.emit_rules[hessenberg_p] = _emit_hessenberg
