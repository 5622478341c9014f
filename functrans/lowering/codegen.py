"""Python source for numba from an optimised IR, elementwise chains fused into loops.

The plan: every equation that is elementwise or an index map (broadcast,
transpose, slice, ...) joins the loop of the group that consumes it, when
all its consumers lie in one group (index maps may be recomputed in several).
Reductions and materialized values are the roots of groups: one loop nest
each, in which the members are computed per element with no array
temporaries. Everything else is emitted by its own emitter into arrays.

A loop nest reading every array at its own index is one flat loop over
the elements (small trailing dimensions vectorize then); a reduction that
keeps the last axis loops in the operand's order, adding into its output.
"""
import contextlib
import keyword
import re

import numpy as np

from functrans.errors import MissingRuleError
from functrans.ir import IR, IRPrinter, Literal, Var
from functrans.lowering import rules

#: Names the generated code refers to, which the IR's variables must not shadow.
_RESERVED = {"np", "math", "njit", "prange", "range", "min", "max", "int", "float", "bool",
             "abs", "len", "print", "type", "object", "list", "tuple", "matmul", "complex"}

#: A loop runs in parallel from this much work: its elements, each weighted by 1 plus
#: COSTLY_WEIGHT per costly operation (rules.COSTLY) fused into it. Below it, threads save
#: less than they cost: a parallel loop adds about a second to numba's compile, and its
#: threads compete with BLAS's in the matrix products next to it. (A memory-bound update of
#: 400,000 elements stays serial; tanh, sin, exp... over a million run on every core.)
PARALLEL_WORK = 1 << 21
COSTLY_WEIGHT = 8
#: Loops over fewer elements than this call libm rather than functrans.lowering.vecmath
VECTOR_MATH_SIZE = 1 << 14
#: the dtypes functrans.lowering.vecmath computes in
_VECTOR_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
#: A sum over a vector of at least two blocks is computed block by block (emit_blocked_sum)
SUM_BLOCK = 1024


def dtype_expression(dtype):
    return "np.bool_" if dtype == np.bool_ else f"np.{dtype.name}"


def _float_text(number):
    if np.isnan(number):
        return "np.nan"
    if np.isinf(number):
        return "np.inf" if number > 0 else "-np.inf"
    return repr(number)


def literal_expression(value, dtype):
    value = np.asarray(value)[()]
    if dtype.kind == "b":
        return repr(bool(value))
    if dtype.kind == "f":
        text = _float_text(float(value))
        return text if dtype == np.float64 else f"np.{dtype.name}({text})"
    if dtype.kind in "iu":
        return repr(int(value)) if dtype == np.int64 else f"np.{dtype.name}({int(value)})"
    # complex: built from its parts, so infinite and NaN parts have a spelling numba reads
    value = complex(value)
    return f"np.{dtype.name}(complex({_float_text(value.real)}, {_float_text(value.imag)}))"


def cast(expression, dtype):
    """``expression`` typed as ``dtype`` (numba would widen float32 and small ints otherwise)."""
    if dtype in (np.float64, np.int64, np.bool_):
        return expression
    return f"{dtype_expression(dtype)}({expression})"


class FusionPlan:
    """Which equations are group roots, which are members of which groups, what is stored."""

    def __init__(self, ir):
        self.producer = {}
        consumers = {}
        for equation in ir.equations:
            for var in equation.outputs:
                self.producer[var] = equation
            for atom in equation.inputs:
                if type(atom) is Var:
                    consumers.setdefault(atom, []).append(equation)
        outputs = {v for v in ir.out_vars if type(v) is Var}
        self.groups = {}  # member equation -> set of root equations
        self.roots = set()
        self._members = None
        for equation in reversed(ir.equations):
            primitive = equation.primitive
            if not rules.has_rule(primitive):
                raise MissingRuleError(primitive, "jit (numba lowering)")
            if primitive in rules.reduction_rules:
                self._make_root(equation)
                continue
            fusible = primitive in rules.scalar_rules or primitive in rules.index_rules
            if not fusible:
                self.roots.add(equation)
                continue
            var = equation.outputs[0]
            users = consumers.get(var, [])
            user_groups = [self.groups.get(u) for u in users]
            if var in outputs or not users or any(g is None for g in user_groups) or (
                    primitive in rules.scalar_rules and any(
                        u.primitive in rules.index_rules and u.outputs[0].aval.size > var.aval.size
                        for u in users)):
                # Stored rather than fused: it is an output, or read outside any loop, or it
                # would be recomputed for every element of a broadcast to a larger loop.
                self._make_root(equation)
                continue
            joined = set().union(*user_groups)
            if len(joined) == 1 or primitive in rules.DUPLICABLE:
                self.groups[equation] = joined
            else:
                self._make_root(equation)

    def _make_root(self, equation):
        self.roots.add(equation)
        self.groups[equation] = {equation}

    def is_member(self, equation):
        return equation not in self.roots

    def members(self, root):
        """The equations computed in ``root``'s loop, ``root`` included."""
        if self._members is None:
            self._members = {r: [r] for r in self.roots}
            for equation, roots in self.groups.items():
                for r in roots:
                    if r is not equation:
                        self._members[r].append(equation)
        return self._members[root]


class Module:
    """The functions of one generated module: sub-IRs (loop bodies, branches) and the main one."""

    def __init__(self):
        self.functions = []  # (name, source, uses_prange), callees before callers
        self.names = set()

    def fresh_name(self, stem):
        number = len(self.names)
        while f"{stem}_{number}" in self.names:
            number += 1
        self.names.add(f"{stem}_{number}")
        return f"{stem}_{number}"


class KernelWriter:
    """Writes the source of one generated function."""

    def __init__(self, ir, module):
        self.ir = ir
        self.module = module
        self.plan = FusionPlan(ir)
        self.printer = IRPrinter()
        self.lines = []
        self.depth = 1
        self.temporaries = 0
        self.uses_prange = False

    # --- small utilities for emitters ---------------------------------------------------

    def name(self, atom):
        if type(atom) is Literal:
            return literal_expression(atom.value, atom.aval.dtype)
        name = self.printer.name(atom)
        # The IR's names (a, b, ..., as, ..., min, ...) must not be keywords or names the
        # generated code itself uses.
        return f"{name}_" if keyword.iskeyword(name) or name in _RESERVED else name

    def line(self, text):
        for part in text.split("\n"):
            self.lines.append("    " * self.depth + part)

    @contextlib.contextmanager
    def block(self, header):
        self.line(header)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def fresh(self, stem="t"):
        self.temporaries += 1
        return f"{stem}{self.temporaries}"

    def loops(self, shape, parallel_first=False, stem="i"):
        """Open loops over ``shape``; returns the index names. Close with :meth:`close`."""
        names = []
        for dimension, size in enumerate(shape):
            index = self.fresh(stem)
            parallel = parallel_first and dimension == 0
            self.uses_prange |= parallel
            self.line(f"for {index} in {'prange' if parallel else 'range'}({size}):")
            self.depth += 1
            names.append(index)
        return names

    @contextlib.contextmanager
    def blocks(self, length, parallel):
        """Open a loop over ``length`` elements in blocks of SUM_BLOCK; yields the names of
        the block number, its first element and its element count."""
        block, start, count = (self.fresh(stem) for stem in ("block", "start", "count"))
        self.uses_prange |= parallel
        blocks = -(-length // SUM_BLOCK)
        with self.block(f"for {block} in {'prange' if parallel else 'range'}({blocks}):"):
            self.line(f"{start} = {block} * {SUM_BLOCK}")
            self.line(f"{count} = min({SUM_BLOCK}, {length} - {start})")
            yield block, start, count

    def close(self, count):
        self.depth -= count

    def subfunction(self, ir, stem):
        """Generate ``ir`` (a loop body or branch) as a function of the module; its name."""
        from functrans.lowering.optimize import optimize
        name = self.module.fresh_name(stem)
        writer = KernelWriter(optimize(ir), self.module)
        source = writer.generate(name)
        self.module.functions.append((name, source, writer.uses_prange))
        return name

    def allocate(self, name, aval):
        self.line(f"{name} = np.empty({tuple(aval.shape)!r}, dtype={dtype_expression(aval.dtype)})")

    # --- the function -------------------------------------------------------------------

    def generate(self, function_name):
        parameters = [self.name(v) for v in self.ir.in_vars]
        header = f"def {function_name}({', '.join(parameters)}):"
        for equation in self.ir.equations:
            if equation in self.plan.roots:
                self.emit_root(equation)
        outputs = [self.name(v) for v in self.ir.out_vars]
        self.line(f"return ({', '.join(outputs)}{',' if len(outputs) == 1 else ''})")
        return "\n".join([header] + self.lines)

    def emit_root(self, equation):
        # Names the primitives of the code below it, so an error numba reports at a line
        # of the generated source can be traced back to them (see primitives_at_line).
        names = dict.fromkeys(e.primitive.name for e in self.plan.members(equation))
        self.line(f"{PRIMITIVES_COMMENT}{', '.join(names)}")
        primitive = equation.primitive
        if primitive in rules.reduction_rules:
            self.emit_reduction(equation)
        elif primitive in rules.scalar_rules or primitive in rules.index_rules:
            self.emit_elementwise(equation)
        else:
            operands = [self.name(a) for a in equation.inputs]
            outputs = [self.name(v) for v in equation.outputs]
            rules.emit_rules[primitive](self, equation, operands, outputs)

    def worth_parallel(self, root, size):
        costly = sum(e.primitive in rules.COSTLY for e in self.plan.members(root))
        return size * (1 + COSTLY_WEIGHT * costly) >= PARALLEL_WORK

    def uses_vector_math(self, root, size):
        """Whether ``root``'s loop of ``size`` elements computes its math with vecmath.

        Only loops of VECTOR_MATH_SIZE elements and more do: the functions are inlined into
        each loop, which costs compile time that small loops do not win back.
        """
        return size >= VECTOR_MATH_SIZE and any(
            e.primitive in rules.VECTOR_MATH and e.outputs[0].aval.dtype in _VECTOR_DTYPES
            for e in self.plan.members(root))

    def vectorized_loop(self, root, size, header, emit_body, flat=None):
        """A loop written by ``emit_body(loop_body)`` with vector math, and again with libm
        if a sin or cos argument was beyond the vector functions' range. (With libm alone
        if ``root``'s loops, ``size`` elements in all, are too small for vector math.)

        The second loop runs only when needed, and never inside the first: a libm call in
        a loop, even one not taken, stops LLVM from vectorizing it.
        """
        if not self.uses_vector_math(root, size):
            with self.block(header):
                emit_body(LoopBody(self, root, flat=flat))
            return
        limited = any(e.primitive in rules.RANGE_LIMITED and
                      e.outputs[0].aval.dtype in _VECTOR_DTYPES for e in self.plan.members(root))
        counter = self.fresh("beyond") if limited else None
        if counter:
            self.line(f"{counter} = 0")
        with self.block(header):
            emit_body(LoopBody(self, root, range_counter=counter or True, flat=flat))
        if counter:
            with self.block(f"if {counter}:"):
                with self.block(header):
                    emit_body(LoopBody(self, root, flat=flat))

    def emit_elementwise(self, equation):
        var = equation.outputs[0]
        shape = var.aval.shape
        name = self.name(var)
        if not shape:
            self.line(f"{name} = {LoopBody(self, equation).value(var, ())}")
            return
        self.allocate(name, var.aval)
        parallel = self.worth_parallel(equation, var.aval.size) and shape[0] > 1
        if len(shape) > 1 and self.emit_flat_elementwise(equation, name, parallel):
            return
        if self.uses_vector_math(equation, var.aval.size):
            self.emit_vectorized_elementwise(equation, name, shape, parallel)
            return
        index = self.loops(shape, parallel_first=parallel)
        value = LoopBody(self, equation).value(var, tuple(index))
        self.line(f"{name}[{', '.join(index)}] = {value}")
        self.close(len(shape))

    def emit_flat_elementwise(self, equation, name, parallel):
        """An elementwise root over several dimensions as one loop over its elements, when
        every array its loop reads has the root's shape and is read at the root's own index
        (no broadcast, transpose or other index map, no iota); returns whether it did.

        The inner loops of small trailing dimensions (a (784, 10) update) run a few
        iterations each, too few to vectorize; one flat loop over C-ordered views
        (``ravel``: a view of a C-contiguous array, a C-ordered copy of any other) runs
        them all. Whether it applies is seen in the flat loop's own code: it is kept only
        if no index of the nested loops occurs in it.
        """
        var = equation.outputs[0]
        size = var.aval.size
        saved = self._position()
        flat = FlatIndex(self, var.aval.shape)
        output = self.fresh("flat")
        if self.uses_vector_math(equation, size):
            self.emit_vectorized_elementwise(equation, output, (size,), parallel, flat)
        else:
            index = self.loops((size,), parallel_first=parallel and size > 1)
            flat.index = index[0]
            value = LoopBody(self, equation, flat=flat).value(var, flat.loop_index)
            self.line(f"{output}[{flat.index}] = {value}")
            self.close(1)
        return self._keep_flat(flat, saved, {name: output})

    def _position(self):
        """Where the code stands, for _keep_flat to go back to."""
        return len(self.lines), self.temporaries, self.uses_prange

    def _keep_flat(self, flat, saved, written=None):
        """Keep the flat loop written since ``saved`` (a _position) if it holds, preceded by
        the flat views of the arrays it reads (and of those it writes, ``written``: array
        name -> view name); else remove it. Whether it was kept."""
        start, temporaries, uses_prange = saved
        if not flat.holds(self.lines[start:]):
            del self.lines[start:]
            self.temporaries, self.uses_prange = temporaries, uses_prange
            return False
        views = {**(written or {}), **flat.views}
        self.lines[start:start] = ["    " * self.depth + f"{view} = {array}.ravel()"
                                   for array, view in views.items()]
        return True

    def emit_vectorized_elementwise(self, equation, name, shape, parallel, flat=None):
        """An elementwise root with vector math: its innermost loop (or, for a long vector,
        each block of it) is a vectorized_loop."""
        var = equation.outputs[0]
        if len(shape) == 1 and shape[0] >= 2 * SUM_BLOCK:
            j = self.fresh("j")
            with self.blocks(shape[0], parallel) as (_, start, count):
                position = f"{start} + {j}"
                if flat is not None:
                    flat.index = position
                value_index = flat.loop_index if flat is not None else (position,)

                def element(body):
                    self.line(f"{name}[{position}] = {body.value(var, value_index)}")
                self.vectorized_loop(equation, var.aval.size, f"for {j} in range({count}):",
                                     element, flat)
            return
        outer = self.loops(shape[:-1], parallel_first=parallel)
        inner = self.fresh("i")
        index = (*outer, inner)
        if flat is not None:
            flat.index = inner
        value_index = flat.loop_index if flat is not None else index

        def element(body):
            self.line(f"{name}[{', '.join(index)}] = {body.value(var, value_index)}")
        self.vectorized_loop(equation, var.aval.size, f"for {inner} in range({shape[-1]}):",
                             element, flat)
        self.close(len(outer))

    def emit_reduction(self, equation):
        operand = equation.inputs[0]
        var = equation.outputs[0]
        reducer = rules.reduction_rules[equation.primitive]
        axes = equation.params["axes"] if "axes" in equation.params else (equation.params["axis"],)
        shape = operand.aval.shape
        kept = [d for d in range(len(shape)) if d not in axes]
        if not kept and len(shape) == 1 and reducer.parallel_operator == "+" and \
                shape[0] >= 2 * SUM_BLOCK:
            self.emit_blocked_sum(equation)
            return
        if not kept and len(shape) > 1 and reducer.init is not None and \
                self.emit_flat_reduction(equation, reducer):
            return
        if kept and kept[-1] == len(shape) - 1 and reducer.init is not None and \
                var.aval.dtype == operand.aval.dtype and \
                not self.worth_parallel(equation, operand.aval.size):
            self.emit_reduction_along_rows(equation, reducer, kept)
            return
        name = self.name(var)
        dtype = var.aval.dtype
        if kept:
            self.allocate(name, var.aval)
            outer = self.loops([shape[d] for d in kept],
                               parallel_first=self.worth_parallel(equation, operand.aval.size))
        else:
            outer = []
        accumulator = self.fresh("acc")
        position = self.fresh("at") if reducer.init is None else None
        if reducer.init is None:  # argmax / argmin: the best value and where it was
            self.line(f"{accumulator} = {literal_expression(0, operand.aval.dtype)}")
            self.line(f"{position} = -1")
        else:
            self.line(f"{accumulator} = {reducer.init(operand.aval.dtype)}")
        parallel_inner = (not kept and reducer.parallel_operator is not None
                          and self.worth_parallel(equation, operand.aval.size) and len(axes) == 1)
        inner = self.loops([shape[d] for d in axes], parallel_first=parallel_inner)
        index = [None] * len(shape)
        for d, i in zip(kept, outer):
            index[d] = i
        for d, i in zip(axes, inner):
            index[d] = i
        value = LoopBody(self, equation).value(operand, tuple(index))
        if reducer.init is None:
            self.line(reducer.update(accumulator, value, position, inner[0]))
        else:
            self.line(reducer.update(accumulator, value))
        self.close(len(inner))
        result = position if reducer.init is None else accumulator
        if kept:
            self.line(f"{name}[{', '.join(outer)}] = {result}")
            self.close(len(outer))
        else:
            self.line(f"{name} = {cast(result, dtype)}")


    def emit_reduction_along_rows(self, equation, reducer, kept):
        """A reduction that keeps the operand's last axis (a column sum): loops in the
        operand's order, each element added into its place in the output.

        An accumulator per output element would make each a chain of dependent adds, one
        per reduced element, the reads striding across rows. In the operand's order the
        innermost loop runs along a row, contiguous and with independent updates, which
        LLVM vectorizes; each output element still sums its values in the same order.
        """
        operand = equation.inputs[0]
        var = equation.outputs[0]
        name = self.name(var)
        self.allocate(name, var.aval)
        output_index = self.loops(var.aval.shape)
        self.line(f"{name}[{', '.join(output_index)}] = {reducer.init(operand.aval.dtype)}")
        self.close(len(output_index))
        index = self.loops(operand.aval.shape)
        value = LoopBody(self, equation).value(operand, tuple(index))
        self.line(reducer.update(f"{name}[{', '.join(index[d] for d in kept)}]", value))
        self.close(len(index))

    def emit_flat_reduction(self, equation, reducer):
        """A reduction of a multidimensional operand to a scalar as one loop over its
        elements, when every array the loop reads is read at the operand's own index (as in
        emit_flat_elementwise); returns whether it did."""
        operand = equation.inputs[0]
        var = equation.outputs[0]
        size = operand.aval.size
        saved = self._position()
        flat = FlatIndex(self, operand.aval.shape)
        if reducer.parallel_operator == "+" and size >= 2 * SUM_BLOCK:
            self.emit_blocked_sum(equation, flat)
        else:
            accumulator = self.fresh("acc")
            self.line(f"{accumulator} = {reducer.init(operand.aval.dtype)}")
            parallel = (reducer.parallel_operator is not None
                        and self.worth_parallel(equation, size))
            (flat.index,) = self.loops((size,), parallel_first=parallel)
            value = LoopBody(self, equation, flat=flat).value(operand, flat.loop_index)
            self.line(reducer.update(accumulator, value))
            self.close(1)
            self.line(f"{self.name(var)} = {cast(accumulator, var.aval.dtype)}")
        return self._keep_flat(flat, saved)

    def emit_blocked_sum(self, equation, flat=None):
        """The sum of a long vector (or, with a FlatIndex ``flat``, of all elements of an
        array read by one flat index), in blocks of SUM_BLOCK.

        Each block's values are computed into a buffer (a loop with no reduction, which LLVM
        vectorizes) and summed in eight interleaved partial sums (summation.sum_block); the
        block sums are summed the same way. The blocks are what a parallel loop shares out.
        """
        operand = equation.inputs[0]
        var = equation.outputs[0]
        length = operand.aval.size
        dtype = operand.aval.dtype
        zero = literal_expression(0, dtype)
        blocks = -(-length // SUM_BLOCK)
        partial, buffer, j = (self.fresh(stem) for stem in ("partial", "buffer", "j"))
        self.line(f"{partial} = np.empty({blocks}, dtype={dtype_expression(dtype)})")
        with self.blocks(length, self.worth_parallel(equation, length)) as (block, start, count):
            self.line(f"{buffer} = np.empty({SUM_BLOCK}, dtype={dtype_expression(dtype)})")

            position = f"{start} + {j}"
            if flat is not None:
                flat.index = position
            value_index = flat.loop_index if flat is not None else (position,)

            def element(body):
                self.line(f"{buffer}[{j}] = {body.value(operand, value_index)}")
            self.vectorized_loop(equation, length, f"for {j} in range({count}):", element,
                                 flat)
            self.line(f"{partial}[{block}] = sum_block({buffer}, {count}, {zero})")
        total = f"sum_block({partial}, {blocks}, {zero})"
        self.line(f"{self.name(var)} = {cast(total, var.aval.dtype)}")


class FlatIndex:
    """A loop over all elements of ``shape`` by one flat index (see
    KernelWriter.emit_flat_elementwise).

    The loop body is written for ``loop_index``, names of the nested loops' indices that no
    loop defines; an array of ``shape`` read at exactly that index is read at ``index``, the
    flat loop's index expression, in a flat view of it. Any other use of ``loop_index``
    stays in the code, and :meth:`holds` then rejects the flat loop.
    """

    def __init__(self, writer, shape):
        self.writer = writer
        self.shape = tuple(shape)
        self.loop_index = tuple(writer.fresh("nested") for _ in shape)
        self.index = None
        self.views = {}  # array name -> the name of its flat view

    def read(self, name, shape, index):
        """The expression reading array ``name`` of ``shape`` at ``index`` in a flat
        view, or None if that read is not at the loop's own index."""
        if index != self.loop_index or tuple(shape) != self.shape:
            return None
        view = self.views.get(name)
        if view is None:
            view = self.views[name] = self.writer.fresh("flat")
        return f"{view}[{self.index}]"

    def holds(self, lines):
        """Whether the flat loop written as ``lines`` reads every value at its own index."""
        pattern = re.compile(r"\b(" + "|".join(self.loop_index) + r")\b")
        return not any(pattern.search(line) for line in lines)


class LoopBody:
    """The straight-line code of one loop body: each value computed once per index."""

    def __init__(self, writer, root, range_counter=None, flat=None):
        self.writer = writer
        self.root = root
        #: a FlatIndex when the loop is one flat loop over a multidimensional root
        self.flat = flat
        self.memo = {}
        #: None: math through libm (np.sin, ...). Else vector math (functrans.lowering.
        #: vecmath), sin and cos arguments beyond its range counted in the variable it names
        #: (True when the loop has no sin or cos).
        self.range_counter = range_counter
        self.range_checked = set()  # the expressions whose range is counted already

    def value(self, atom, index):
        if type(atom) is Literal:
            return literal_expression(atom.value, atom.aval.dtype)
        key = (atom, index)
        if key in self.memo:
            return self.memo[key]
        writer = self.writer
        equation = writer.plan.producer.get(atom)
        inside = equation is not None and (equation is self.root or (
            writer.plan.is_member(equation) and self.root in writer.plan.groups[equation]))
        if not inside:
            name = writer.name(atom)
            if not atom.aval.shape:
                result = name
            else:
                flat_read = self.flat and self.flat.read(name, atom.aval.shape, index)
                result = self._temporary(flat_read or f"{name}[{', '.join(index)}]")
        else:
            result = self._compute(equation, index)
        self.memo[key] = result
        return result

    def _temporary(self, expression):
        name = self.writer.fresh()
        self.writer.line(f"{name} = {expression}")
        return name

    def _compute(self, equation, index):
        primitive = equation.primitive
        params = equation.params
        out_aval = equation.outputs[0].aval
        if primitive in rules.index_rules:
            operand_indices = rules.index_rules[primitive](
                params, [a.aval for a in equation.inputs], out_aval, index)
            if not equation.inputs:  # iota: the value is the index itself
                return self._temporary(cast(operand_indices, out_aval.dtype))
            return self.value(equation.inputs[0], tuple(operand_indices))
        operands = [self.value(a, index if a.aval.shape else ()) for a in equation.inputs]
        if (self.range_counter is not None and primitive in rules.VECTOR_MATH
                and out_aval.dtype in _VECTOR_DTYPES):
            from functrans.lowering import vecmath
            (operand,) = operands
            if primitive in rules.RANGE_LIMITED and operand not in self.range_checked:
                check = vecmath.SINCOS_OUT_OF_RANGE[out_aval.dtype.name]
                self.writer.line(f"{self.range_counter} += {check}({operand})")
                self.range_checked.add(operand)
            function = vecmath.FUNCTIONS[rules.VECTOR_MATH[primitive], out_aval.dtype.name]
            return self._temporary(f"{function}({operand})")
        expression = rules.scalar_rules[primitive](
            params, *operands, operand_avals=[a.aval for a in equation.inputs])
        return self._temporary(cast(expression, out_aval.dtype))


#: The comment that precedes each root's code in generated source, naming its primitives
PRIMITIVES_COMMENT = "# primitives: "


def primitives_at_line(source, line_number):
    """The primitive names of the code at ``line_number`` (1-based) of generated ``source``,
    as the comment before that code lists them; None if there is none."""
    lines = source.split("\n")[:line_number]
    for line in reversed(lines):
        text = line.strip()
        if text.startswith(PRIMITIVES_COMMENT):
            return text.removeprefix(PRIMITIVES_COMMENT)
        if text.startswith("def "):
            return None
    return None


def check_rules(ir):
    """Raise MissingRuleError for the first primitive of ``ir`` or of its sub-IRs that has
    no numba lowering: the error is known before any code is generated."""
    for equation in ir.equations:
        if not rules.has_rule(equation.primitive):
            raise MissingRuleError(equation.primitive, "jit (numba lowering)")
        for value in equation.params.values():
            for sub in (value if isinstance(value, (tuple, list)) else (value,)):
                if isinstance(sub, IR):
                    check_rules(sub)


def generate_functions(ir, function_name="kernel"):
    """The functions ``(name, source, uses_prange)`` of the module for ``ir`` (already
    optimised): the functions of its sub-IRs first, ``function_name`` last."""
    if keyword.iskeyword(function_name) or function_name in _RESERVED:
        function_name = f"kernel_{function_name}"  # jit(lax.complex) must not hide complex()
    module = Module()
    module.names.add(function_name)
    writer = KernelWriter(ir, module)
    source = writer.generate(function_name)
    module.functions.append((function_name, source, writer.uses_prange))
    return module.functions
