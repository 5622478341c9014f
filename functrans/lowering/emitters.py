"""Emitters for primitives that do not fuse: each writes the statements that fill its outputs.

Matrix products go to BLAS (functrans.lowering.blas); the rest are explicit loops,
which numba compiles to plain machine code.
"""
import numpy as np

from functrans.lax import control_flow, linalg, reductions, shapes
from functrans.lowering import rules
from functrans.lowering.codegen import dtype_expression, literal_expression


def _as_contiguous(name, permutation):
    """``name`` permuted by ``permutation`` as a C-contiguous array (no transpose if identity)."""
    if permutation == tuple(range(len(permutation))):
        return f"np.ascontiguousarray({name})"
    return f"np.ascontiguousarray(np.transpose({name}, {permutation!r}))"


def _slice_text(rank, dimension, text):
    parts = [":"] * rank
    parts[dimension] = text
    return "[" + ", ".join(parts) + "]"


def emit_dot_general(writer, equation, operands, outputs):
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
    writer.line(f"{lhs3} = {_as_contiguous(x, tuple(lhs_batch) + tuple(lhs_free) + tuple(lhs_contracting))}"
                f".reshape(({batch}, {rows}, {inner}))")
    writer.line(f"{rhs3} = {_as_contiguous(y, tuple(rhs_batch) + tuple(rhs_contracting) + tuple(rhs_free))}"
                f".reshape(({batch}, {inner}, {columns}))")
    writer.line(f"{out3} = np.empty(({batch}, {rows}, {columns}), "
                f"dtype={dtype_expression(out_aval.dtype)})")
    b = writer.fresh("b")
    with writer.block(f"for {b} in range({batch}):"):
        if floating and inner > 1:
            writer.line(f"{out3}[{b}] = matmul({lhs3}[{b}], {rhs3}[{b}])")
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
        writer.line(f"{out} = {out3}.reshape({tuple(out_aval.shape)!r})")
    else:
        writer.line(f"{out} = {out3}[0, 0, 0]")


def emit_gather(writer, equation, operands, outputs):
    x_aval, index_aval = (a.aval for a in equation.inputs)
    axis = equation.params["axis"]
    x, indices = operands
    (out,) = outputs
    out_aval = equation.outputs[0].aval
    length = x_aval.shape[axis]
    if out_aval.shape:
        writer.allocate(out, out_aval)
    loop = writer.loops(out_aval.shape)
    operand_index = _indexed_position(writer, loop, indices, index_aval.ndim, axis, length)
    target = f"{out}[{', '.join(loop)}]" if loop else out  # 0-d values are scalars
    writer.line(f"{target} = {x}[{operand_index}]")
    writer.close(len(loop))


def _indexed_position(writer, loop, indices, index_ndim, axis, length):
    """The operand index a gather or scatter reaches from loop indices ``loop``.

    Reads the index array and wraps negative indices as NumPy does; an index still out of
    range raises IndexError, as eager mode (NumPy) does, so no access leaves the buffer.
    (An empty indexed axis never gets here: the shape rule rejects it when tracing.)
    """
    index_part = loop[axis:axis + index_ndim]
    position = writer.fresh("j")
    writer.line(f"{position} = {indices}[{', '.join(index_part)}]" if index_part
                else f"{position} = {indices}")
    writer.line(f"{position} = {position} + {length} if {position} < 0 else {position}")
    with writer.block(f"if {position} < 0 or {position} >= {length}:"):
        writer.line(f"raise IndexError('an index is out of bounds for an axis of size {length}')")
    return ", ".join(loop[:axis] + [position] + loop[axis + index_ndim:])


def emit_scatter_add(writer, equation, operands, outputs):
    x_aval, index_aval, update_aval = (a.aval for a in equation.inputs)
    axis = equation.params["axis"]
    x, indices, updates = operands
    (out,) = outputs
    length = x_aval.shape[axis]
    writer.line(f"{out} = np.copy({x})")
    loop = writer.loops(update_aval.shape)
    operand_index = _indexed_position(writer, loop, indices, index_aval.ndim, axis, length)
    source = f"{updates}[{', '.join(loop)}]" if loop else updates  # 0-d values are scalars
    writer.line(f"{out}[{operand_index}] += {source}")
    writer.close(len(loop))


def _clamped_starts(writer, starts, operand_shape, sizes):
    names = []
    for start, n, size in zip(starts, operand_shape, sizes):
        name = writer.fresh("start")
        writer.line(f"{name} = min(max(int({start}), 0), {n - size})")
        names.append(name)
    return names


def emit_dynamic_slice(writer, equation, operands, outputs):
    x, *starts = operands
    (out,) = outputs
    sizes = equation.params["slice_sizes"]
    names = _clamped_starts(writer, starts, equation.inputs[0].aval.shape, sizes)
    window = ", ".join(f"{s}:{s} + {n}" for s, n in zip(names, sizes))
    writer.line(f"{out} = np.copy({x}[{window}])")


def emit_dynamic_update_slice(writer, equation, operands, outputs):
    x, update, *starts = operands
    (out,) = outputs
    sizes = equation.inputs[1].aval.shape
    names = _clamped_starts(writer, starts, equation.inputs[0].aval.shape, sizes)
    window = ", ".join(f"{s}:{s} + {n}" for s, n in zip(names, sizes))
    writer.line(f"{out} = np.copy({x})")
    writer.line(f"{out}[{window}] = {update}")


def emit_concatenate(writer, equation, operands, outputs):
    dimension = equation.params["dimension"]
    (out,) = outputs
    out_aval = equation.outputs[0].aval
    writer.allocate(out, out_aval)
    offset = 0
    for operand, atom in zip(operands, equation.inputs):
        width = atom.aval.shape[dimension]
        if width:
            window = _slice_text(out_aval.ndim, dimension, f"{offset}:{offset + width}")
            writer.line(f"{out}{window} = {operand}")
        offset += width


def emit_pad(writer, equation, operands, outputs):
    x, padding_value = operands
    (out,) = outputs
    x_aval = equation.inputs[0].aval
    writer.allocate(out, equation.outputs[0].aval)
    writer.line(f"{out}[...] = {padding_value}")
    if x_aval.size == 0:
        return
    window = ", ".join(f"{lo}:{lo + (n - 1) * (interior + 1) + 1}:{interior + 1}"
                       for n, (lo, _, interior) in zip(x_aval.shape, equation.params["padding_config"]))
    writer.line(f"{out}[{window}] = {x}")


def _cumulative(update):
    def emit(writer, equation, operands, outputs):
        (x,), (out,) = operands, outputs
        aval = equation.inputs[0].aval
        axis, reverse = equation.params["axis"], equation.params["reverse"]
        writer.allocate(out, aval)
        others = [d for d in range(aval.ndim) if d != axis]
        outer = writer.loops([aval.shape[d] for d in others])
        total = writer.fresh("running")
        writer.line(f"{total} = {literal_expression(0 if update == '+' else 1, aval.dtype)}")
        step = writer.fresh("k")
        length = aval.shape[axis]
        order = f"range({length} - 1, -1, -1)" if reverse else f"range({length})"
        with writer.block(f"for {step} in {order}:"):
            index = list(outer)
            index.insert(axis, step)
            position = ", ".join(index)
            writer.line(f"{total} {update}= {x}[{position}]")
            writer.line(f"{out}[{position}] = {total}")
        writer.close(len(outer))
    return emit


def emit_sort(writer, equation, operands, outputs):
    dimension = equation.params["dimension"]
    num_keys = equation.params["num_keys"]
    aval = equation.inputs[0].aval
    for out, atom in zip(outputs, equation.outputs):
        writer.allocate(out, atom.aval)
    others = [d for d in range(aval.ndim) if d != dimension]
    outer = writer.loops([aval.shape[d] for d in others])

    def line_of(name):
        index = list(outer)
        index.insert(dimension, ":")
        return f"{name}[{', '.join(index)}]"

    order = writer.fresh("order")
    writer.line(f"{order} = np.arange({aval.shape[dimension]})")
    # Stable sorts from the last key to the first give lexicographic order.
    for key in reversed(operands[:num_keys]):
        writer.line(f"{order} = {order}[np.argsort({line_of(key)}[{order}], kind='mergesort')]")
    for operand, out in zip(operands, outputs):
        writer.line(f"{line_of(out)} = {line_of(operand)}[{order}]")
    writer.close(len(outer))


rules.emit_rules[linalg.dot_general_p] = emit_dot_general
rules.emit_rules[shapes.gather_p] = emit_gather
rules.emit_rules[shapes.scatter_add_p] = emit_scatter_add
rules.emit_rules[shapes.dynamic_slice_p] = emit_dynamic_slice
rules.emit_rules[shapes.dynamic_update_slice_p] = emit_dynamic_update_slice
rules.emit_rules[shapes.concatenate_p] = emit_concatenate
rules.emit_rules[shapes.pad_p] = emit_pad
rules.emit_rules[reductions.cumsum_p] = _cumulative("+")
rules.emit_rules[reductions.cumprod_p] = _cumulative("*")
rules.emit_rules[reductions.sort_p] = emit_sort


# --- control flow: sub-IRs become functions of the module, called from real loops ---------

def _unpack(writer, call, outputs):
    """``outputs = call`` for a call returning a tuple."""
    results = writer.fresh("results")
    writer.line(f"{results} = {call}")
    for position, out in enumerate(outputs):
        writer.line(f"{out} = {results}[{position}]")


def emit_cond(writer, equation, operands, outputs):
    index, *arguments = operands
    branches = equation.params["branches"]
    names = [writer.subfunction(branch, "branch") for branch in branches]
    arguments = ", ".join(arguments)
    if len(names) == 1:
        _unpack(writer, f"{names[0]}({arguments})", outputs)
        return
    chosen = writer.fresh("chosen")
    writer.line(f"{chosen} = min(max({index}, 0), {len(names) - 1})")
    for number, name in enumerate(names):
        header = ("if" if number == 0 else "elif") + f" {chosen} == {number}:"
        if number == len(names) - 1:
            header = "else:"
        with writer.block(header):
            _unpack(writer, f"{name}({arguments})", outputs)


def emit_while(writer, equation, operands, outputs):
    params = equation.params
    cond_count, body_count = params["cond_consts"], params["body_consts"]
    cond_constants = operands[:cond_count]
    body_constants = operands[cond_count:cond_count + body_count]
    initial = operands[cond_count + body_count:]
    condition = writer.subfunction(params["cond_ir"], "condition")
    body = writer.subfunction(params["body_ir"], "body")
    for out, value in zip(outputs, initial):
        writer.line(f"{out} = {value}")
    with writer.block(f"while {condition}({', '.join(cond_constants + outputs)})[0]:"):
        _unpack(writer, f"{body}({', '.join(body_constants + outputs)})", outputs)


def emit_scan(writer, equation, operands, outputs):
    params = equation.params
    consts_count, carry_count, length = params["num_consts"], params["num_carry"], params["length"]
    consts = operands[:consts_count]
    initial = operands[consts_count:consts_count + carry_count]
    xs = operands[consts_count + carry_count:]
    carry, ys = outputs[:carry_count], outputs[carry_count:]
    body = writer.subfunction(params["body"], "step")
    for out, value in zip(carry, initial):
        writer.line(f"{out} = {value}")
    for out, var in zip(ys, equation.outputs[carry_count:]):
        writer.allocate(out, var.aval)
    step = writer.fresh("step")
    order = f"range({length} - 1, -1, -1)" if params["reverse"] else f"range({length})"
    with writer.block(f"for {step} in {order}:"):
        results = writer.fresh("results")
        arguments = consts + carry + [f"{x}[{step}]" for x in xs]
        writer.line(f"{results} = {body}({', '.join(arguments)})")
        for position, out in enumerate(carry):
            writer.line(f"{out} = {results}[{position}]")
        for position, out in enumerate(ys, start=carry_count):
            writer.line(f"{out}[{step}] = {results}[{position}]")


rules.emit_rules[control_flow.cond_p] = emit_cond
rules.emit_rules[control_flow.while_p] = emit_while
rules.emit_rules[control_flow.scan_p] = emit_scan
