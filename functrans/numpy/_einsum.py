"""``einsum``: subscripts parsed at trace time into diagonals, sums, dot_generals
and one final transpose.

Operands are contracted left to right. Before each contraction, labels no
later operand and not the output needs are summed out; labels shared by the
two sides become batch dimensions if still needed, else contracted ones.
"""
import string

import numpy as np

from functrans import lax
from functrans.errors import at_user_line
from functrans.numpy._diagonals import diagonal
from functrans.numpy._dispatch import array_operand, is_eager_all
from functrans.numpy._promotion import aval, cast, promoted_dtype
from functrans.numpy._shapes import transpose

# Labels standing for the axes an ellipsis covers: characters no subscript can contain.
_ELLIPSIS_LABELS = "".join(chr(0x2460 + i) for i in range(32))


def _parse(subscripts, operands):
    """``(input_terms, output_term)`` with every ellipsis expanded into labels."""
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        inputs, output = subscripts.split("->")
    else:
        inputs, output = subscripts, None
    terms = inputs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"einsum: {len(terms)} operands in the subscripts {subscripts!r}, "
                         f"but {len(operands)} arrays were given")
    ellipsis_ndim = 0
    expanded_terms = []
    for term, operand in zip(terms, operands):
        ndim = aval(operand).ndim
        if "..." in term:
            covered = ndim - (len(term) - 3)
            if covered < 0:
                raise ValueError(f"einsum: the subscripts {term!r} have more labels than the "
                                 f"operand's {ndim} dimensions")
            ellipsis_ndim = max(ellipsis_ndim, covered)
            term = term.replace("...", _ellipsis(covered))
        expanded_terms.append(term)
    for term, operand in zip(expanded_terms, operands):
        invalid = set(term) - set(string.ascii_letters) - set(_ELLIPSIS_LABELS)
        if invalid:
            raise ValueError(f"einsum: invalid subscript characters {''.join(sorted(invalid))!r}")
        if len(term) != aval(operand).ndim:
            raise ValueError(at_user_line(
                f"einsum: the subscripts {term!r} name {len(term)} dimensions, but the operand "
                f"has shape {aval(operand).shape}"))
    if output is None:
        counts = {}
        for label in "".join(expanded_terms):
            counts[label] = counts.get(label, 0) + 1
        singles = sorted(label for label, count in counts.items()
                         if count == 1 and label not in _ELLIPSIS_LABELS)
        output = _ellipsis(ellipsis_ndim) + "".join(singles)
    else:
        if ellipsis_ndim and "..." not in output:
            raise ValueError("einsum: the inputs' ellipsis covers dimensions, so the output "
                             "subscripts need an ellipsis too")
        output = output.replace("...", _ellipsis(ellipsis_ndim))
        used = set("".join(expanded_terms))
        for label in output:
            if label not in used:
                raise ValueError(f"einsum: output subscript {label!r} does not appear in the inputs")
        if len(set(output)) != len(output):
            raise ValueError(f"einsum: output subscripts {output!r} repeat a label")
    return expanded_terms, output


def _ellipsis(count):
    """Labels for ``count`` ellipsis axes; operands with fewer take the trailing ones."""
    return _ELLIPSIS_LABELS[len(_ELLIPSIS_LABELS) - count:]


def _label_sizes(terms, operands):
    sizes = {}
    for term, operand in zip(terms, operands):
        for label, size in zip(term, aval(operand).shape):
            known = sizes.get(label)
            if known is None or known == 1:
                sizes[label] = size  # a size-1 axis broadcasts, and a size-0 one is kept
            elif size != known and size != 1:
                raise ValueError(at_user_line(
                    f"einsum: subscript {label!r} has size {known} in one operand and {size} in "
                    f"another (operand shapes {[aval(op).shape for op in operands]})"))
    return sizes


def _take_diagonals(operand, term):
    """Merge repeated labels of one term into one axis (``ii -> i``)."""
    while len(set(term)) != len(term):
        label = next(label for label in term if term.count(label) > 1)
        first = term.index(label)
        second = term.index(label, first + 1)
        operand = diagonal(operand, 0, first, second)
        term = "".join(c for i, c in enumerate(term) if i not in (first, second)) + label
    return operand, term


def _sum_out(operand, term, keep):
    """Sum over the labels of ``term`` not in ``keep``."""
    axes = tuple(i for i, label in enumerate(term) if label not in keep)
    if not axes:
        return operand, term
    return lax.reduce_sum(operand, axes), "".join(label for label in term if label in keep)


def _broadcast_labels(operand, term, sizes):
    """Size-1 axes stretched to a label's size elsewhere, so contractions line up."""
    target = tuple(sizes[label] for label in term)
    if aval(operand).shape == target:
        return operand
    return lax.broadcast_in_dim(operand, target, tuple(range(len(term))))


def einsum(subscripts, *operands, optimize=False):
    """NumPy's ``einsum``: subscript strings (with ``...``; implicit output allowed) or the
    interleaved form ``einsum(op0, sublist0, op1, sublist1, ..., [sublist_out])``, whose
    sublists hold integers (labels) and ``Ellipsis``.

    >>> import functrans
    >>> print(functrans.make_jaxpr(lambda a, b: einsum("ij,jk->ki", a, b))(
    ...     np.ones((2, 3)), np.ones((3, 4))))
    { lambda ; a:f64[2,3] b:f64[3,4]. let
        c:f64[2,4] = dot_general[dimension_numbers=(((1,), (0,)), ((), ()))] a b
        d:f64[4,2] = transpose[permutation=(1, 0)] c
      in (d,) }
    """
    if not isinstance(subscripts, str):
        return _interleaved_einsum(subscripts, operands, optimize)
    if is_eager_all(operands):
        return np.einsum(subscripts, *operands, optimize=optimize)
    operands = [array_operand(op) for op in operands]
    dtype = promoted_dtype(*operands)[0]
    operands = [cast(op, dtype) for op in operands]
    terms, output = _parse(subscripts, operands)
    sizes = _label_sizes(terms, operands)
    prepared = []
    for operand, term in zip(operands, terms):
        operand, term = _take_diagonals(operand, term)
        prepared.append((_broadcast_labels(operand, term, sizes), term))

    result, result_term = prepared[0]
    for index in range(1, len(prepared)):
        operand, term = prepared[index]
        needed_later = set(output).union(*[t for _, t in prepared[index + 1:]])
        result, result_term = _sum_out(result, result_term, needed_later | set(term))
        operand, term = _sum_out(operand, term, needed_later | set(result_term))
        shared = [label for label in result_term if label in term]
        batch = [label for label in shared if label in needed_later]
        contracted = [label for label in shared if label not in needed_later]
        dimension_numbers = (
            (tuple(result_term.index(c) for c in contracted), tuple(term.index(c) for c in contracted)),
            (tuple(result_term.index(b) for b in batch), tuple(term.index(b) for b in batch)))
        result = lax.dot_general(result, operand, dimension_numbers)
        result_term = ("".join(batch) + "".join(c for c in result_term if c not in shared)
                       + "".join(c for c in term if c not in shared))
    result, result_term = _sum_out(result, result_term, set(output))
    return transpose(result, [result_term.index(label) for label in output])


def _sublist_subscripts(sublist):
    """An interleaved-form sublist (ints and Ellipsis) as subscript letters."""
    letters = []
    for label in sublist:
        if label is Ellipsis:
            letters.append("...")
        elif isinstance(label, (int, np.integer)) and 0 <= label < len(string.ascii_letters):
            letters.append(string.ascii_letters[int(label)])
        else:
            raise ValueError(f"einsum: sublist labels must be integers in [0, 52) or Ellipsis, "
                             f"got {label!r}")
    return "".join(letters)


def _interleaved_einsum(first_operand, rest, optimize):
    """``einsum(op0, sublist0, op1, sublist1, ..., [sublist_out])`` as a subscripts string."""
    arguments = (first_operand,) + tuple(rest)
    if is_eager_all(arguments[0::2]):
        return np.einsum(*arguments, optimize=optimize)
    operands = arguments[0::2]
    sublists = arguments[1::2]
    output = None
    if len(arguments) % 2 == 1:
        operands, output = operands[:-1], arguments[-1]
    subscripts = ",".join(_sublist_subscripts(s) for s in sublists)
    if output is not None:
        subscripts += "->" + _sublist_subscripts(output)
    return einsum(subscripts, *operands, optimize=optimize)
