"""``dot_general``: every matrix product, batched or not, as one primitive."""
import numpy as np

from functrans import core
from functrans.lax._util import shape_error
from functrans.lowering import rules as lowering_rules
from functrans.lowering.codegen import dtype_expression, literal_expression
from functrans.lax.shapes import transpose
from functrans.transforms import ad, vmap

dot_general_p = core.Primitive("dot_general")


def _free_dimensions(ndim, contracting, batch):
    return [d for d in range(ndim) if d not in contracting and d not in batch]


@dot_general_p.def_impl
def _dot_general_impl(x, y, *, dimension_numbers):
    (lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch) = dimension_numbers
    x, y = np.asarray(x), np.asarray(y)
    if not lhs_batch and x.ndim <= 2 and y.ndim <= 2 and lhs_contracting == (x.ndim - 1,) \
            and rhs_contracting == (0,):
        return np.dot(x, y)[()]
    lhs_free = _free_dimensions(x.ndim, lhs_contracting, lhs_batch)
    rhs_free = _free_dimensions(y.ndim, rhs_contracting, rhs_batch)
    batch_shape = [x.shape[d] for d in lhs_batch]
    lhs_free_shape = [x.shape[d] for d in lhs_free]
    rhs_free_shape = [y.shape[d] for d in rhs_free]
    contracted = int(np.prod([x.shape[d] for d in lhs_contracting], dtype=np.int64))
    batch = int(np.prod(batch_shape, dtype=np.int64))
    lhs = x.transpose(list(lhs_batch) + lhs_free + list(lhs_contracting)).reshape(
        batch, int(np.prod(lhs_free_shape, dtype=np.int64)), contracted)
    rhs = y.transpose(list(rhs_batch) + list(rhs_contracting) + rhs_free).reshape(
        batch, contracted, int(np.prod(rhs_free_shape, dtype=np.int64)))
    return np.matmul(lhs, rhs).reshape(batch_shape + lhs_free_shape + rhs_free_shape)[()]


@dot_general_p.def_abstract_eval
def _dot_general_abstract_eval(x, y, *, dimension_numbers):
    (lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch) = dimension_numbers
    if x.dtype != y.dtype or len(lhs_contracting) != len(rhs_contracting) or \
            len(lhs_batch) != len(rhs_batch) or \
            any(x.shape[a] != y.shape[b] for a, b in zip(lhs_contracting, rhs_contracting)) or \
            any(x.shape[a] != y.shape[b] for a, b in zip(lhs_batch, rhs_batch)):
        raise shape_error(
            f"dot_general cannot contract {x.str_short()} with {y.str_short()} along "
            f"{lhs_contracting} and {rhs_contracting} (batch {lhs_batch}, {rhs_batch}): "
            "contracted and batch sizes and the dtypes must agree")
    shape = ([x.shape[d] for d in lhs_batch]
             + [x.shape[d] for d in _free_dimensions(x.ndim, lhs_contracting, lhs_batch)]
             + [y.shape[d] for d in _free_dimensions(y.ndim, rhs_contracting, rhs_batch)])
    return core.ShapedArray(shape, x.dtype, x.weak_type and y.weak_type)


def dot_general(x, y, dimension_numbers):
    """Contract ``x`` and ``y``; the result's dimensions are batch, free of x, free of y.

    ``dimension_numbers = ((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch))``.
    """
    (lc, rc), (lb, rb) = dimension_numbers
    dimension_numbers = ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))
    return dot_general_p.bind(x, y, dimension_numbers=dimension_numbers)


def _transpose_operand(cotangent, other, operand_aval, dimension_numbers, operand_is_lhs):
    """Cotangent of one operand: contract the cotangent with the other operand's free dims.

    The product can be formed as (cotangent, other) or as (other, cotangent); the order whose
    result already has the operand's layout is used, so no transpose follows (for x @ W the
    cotangent of W is x.T @ g, not (g.T @ x).T).
    """
    (own_contracting, other_contracting), (own_batch, other_batch) = dimension_numbers
    if not operand_is_lhs:
        own_contracting, other_contracting = other_contracting, own_contracting
        own_batch, other_batch = other_batch, own_batch
    own_free = _free_dimensions(operand_aval.ndim, own_contracting, own_batch)
    other_free = _free_dimensions(core.get_aval(other).ndim, other_contracting, other_batch)
    batch_count = len(own_batch)
    # The cotangent's dimensions: batch, free of lhs, free of rhs (of the original product).
    other_free_start = batch_count + len(own_free) if operand_is_lhs else batch_count
    other_free_positions = tuple(range(other_free_start, other_free_start + len(other_free)))
    cotangent_batch = tuple(range(batch_count))
    # The other operand's dimensions left after the contraction are its contracting ones, in
    # order; each stands for the operand's dimension it was contracted with.
    contracted = [own_contracting[list(other_contracting).index(d)] for d in sorted(other_contracting)]
    other_first = list(own_batch) + contracted + own_free
    if other_first == list(range(operand_aval.ndim)):
        return dot_general(other, cotangent, ((tuple(other_free), other_free_positions),
                                              (tuple(other_batch), cotangent_batch)))
    product = dot_general(cotangent, other, ((other_free_positions, tuple(other_free)),
                                             (cotangent_batch, tuple(other_batch))))
    result_to_operand = list(own_batch) + own_free + contracted
    return transpose(product, [result_to_operand.index(d) for d in range(operand_aval.ndim)])


ad.defbilinear(
    dot_general_p,
    lambda cotangent, y, x_aval, *, dimension_numbers:
        _transpose_operand(cotangent, y, x_aval, dimension_numbers, True),
    lambda cotangent, x, y_aval, *, dimension_numbers:
        _transpose_operand(cotangent, x, y_aval, dimension_numbers, False),
)


def _dot_general_batch(values, batch_axes, *, dimension_numbers):
    (lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch) = dimension_numbers
    x, y = values
    x_axis, y_axis = batch_axes
    shift = vmap.shift_axes
    if x_axis is not None and y_axis is not None:
        x, y = vmap.move_axis(x, x_axis, 0), vmap.move_axis(y, y_axis, 0)
        numbers = ((shift(lhs_contracting), shift(rhs_contracting)),
                   ((0,) + shift(lhs_batch), (0,) + shift(rhs_batch)))
        return dot_general(x, y, numbers), 0
    if x_axis is not None:
        # The batch axis becomes the first free dimension of the left operand.
        x = vmap.move_axis(x, x_axis, 0)
        numbers = ((shift(lhs_contracting), rhs_contracting), (shift(lhs_batch), rhs_batch))
        return dot_general(x, y, numbers), len(lhs_batch)
    y = vmap.move_axis(y, y_axis, 0)
    numbers = ((lhs_contracting, shift(rhs_contracting)), (lhs_batch, shift(rhs_batch)))
    x_aval = core.get_aval(x)
    lhs_free = len(_free_dimensions(x_aval.ndim, lhs_contracting, lhs_batch))
    return dot_general(x, y, numbers), len(lhs_batch) + lhs_free


def _as_contiguous(name, permutation):
    """``name`` permuted by ``permutation`` as a C-contiguous array, through
    functrans.lowering.blas (compiled once per machine: numba's own transpose and reshape
    cost seconds of compile in every kernel); reshape it with ``reshaped``."""
    if permutation == tuple(range(len(permutation))):
        return f"contiguous({name})"
    return f"permuted({name}, {permutation!r})"


def _slice_text(rank, dimension, text):
    parts = [":"] * rank
    parts[dimension] = text
    return "[" + ", ".join(parts) + "]"


def _emit_dot_general(writer, equation, operands, outputs):
    (lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch) = \
        equation.params["dimension_numbers"]
    x_aval, y_aval = (a.aval for a in equation.inputs)
    out_aval = equation.outputs[0].aval
    x, y = operands
    (out,) = outputs
    floating = x_aval.dtype.kind in "fc"
    simple = not lhs_batch and x_aval.ndim <= 2 and y_aval.ndim <= 2 and \
        len(lhs_contracting) == 1 and x_aval.ndim >= 1 and y_aval.ndim >= 1
    if floating and simple:
        # The products are compiled once per machine (functrans.lowering.blas); a
        # contraction over an operand's first axis uses it transposed, without a copy.
        transposed_lhs = x_aval.ndim == 2 and lhs_contracting == (0,)
        transposed_rhs = y_aval.ndim == 2 and rhs_contracting == (1,)
        suffix = "_" + "tn"[not transposed_lhs] + "tn"[not transposed_rhs]
        name = "matmul" + ("" if suffix == "_nn" else suffix)
        writer.line(f"{out} = {name}({x}, {y})")
        return
    lhs_free = [d for d in range(x_aval.ndim) if d not in lhs_contracting and d not in lhs_batch]
    rhs_free = [d for d in range(y_aval.ndim) if d not in rhs_contracting and d not in rhs_batch]
    size = lambda shape, dims: int(np.prod([shape[d] for d in dims], dtype=np.int64))  # noqa: E731
    batch = size(x_aval.shape, lhs_batch)
    rows, inner, columns = (size(x_aval.shape, lhs_free), size(x_aval.shape, lhs_contracting),
                            size(y_aval.shape, rhs_free))
    lhs3, rhs3, out3 = writer.fresh("lhs"), writer.fresh("rhs"), writer.fresh("product")
    writer.line(f"{lhs3} = reshaped({_as_contiguous(x, tuple(lhs_batch) + tuple(lhs_free) + tuple(lhs_contracting))}"
                f", ({batch}, {rows}, {inner}))")
    writer.line(f"{rhs3} = reshaped({_as_contiguous(y, tuple(rhs_batch) + tuple(rhs_contracting) + tuple(rhs_free))}"
                f", ({batch}, {inner}, {columns}))")
    writer.line(f"{out3} = np.empty(({batch}, {rows}, {columns}), "
                f"dtype={dtype_expression(out_aval.dtype)})")
    b = writer.fresh("b")
    with writer.block(f"for {b} in range({batch}):"):
        if floating and inner > 1:
            # Copied by loops: assigning an array to a slice compiles numba's shape-error
            # formatting (seconds) into the kernel.
            matrix, i, j = writer.fresh("matrix"), writer.fresh("i"), writer.fresh("j")
            writer.line(f"{matrix} = matmul({lhs3}[{b}], {rhs3}[{b}])")
            with writer.block(f"for {i} in range({rows}):"):
                with writer.block(f"for {j} in range({columns}):"):
                    writer.line(f"{out3}[{b}, {i}, {j}] = {matrix}[{i}, {j}]")
        else:
            # Integer products, and products with nothing to contract (outer products), as
            # loops: BLAS has no integer kernels, and numba compiles these far faster.
            i, j, k, total = writer.fresh("i"), writer.fresh("j"), writer.fresh("k"), writer.fresh("s")
            with writer.block(f"for {i} in range({rows}):"):
                with writer.block(f"for {j} in range({columns}):"):
                    writer.line(f"{total} = {literal_expression(0, out_aval.dtype)}")
                    with writer.block(f"for {k} in range({inner}):"):
                        writer.line(f"{total} += {lhs3}[{b}, {i}, {k}] * {rhs3}[{b}, {k}, {j}]")
                    writer.line(f"{out3}[{b}, {i}, {j}] = {total}")
    if out_aval.shape:
        writer.line(f"{out} = reshaped({out3}, {tuple(out_aval.shape)!r})")
    else:
        writer.line(f"{out} = {out3}[0, 0, 0]")


vmap.batch_rules[dot_general_p] = _dot_general_batch
lowering_rules.emit_rules[dot_general_p] = _emit_dot_general
