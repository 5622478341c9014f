"""``vectorize``: NumPy's signature-based vectorize, built on vmap."""
import functools
import re

import numpy as np

from functrans import core
from functrans.errors import at_user_line
from functrans.numpy._creation import asarray
from functrans.numpy._shapes import broadcast_to, reshape
from functrans.transforms.vmap import vmap

_DIMENSIONS = r"\(([\w,\s]*)\)"


def _parse_signature(signature):
    """``"(n),(n)->()"`` -> ``([("n",), ("n",)], [()])``."""
    match = re.fullmatch(rf"\s*({_DIMENSIONS}(?:\s*,\s*{_DIMENSIONS})*)\s*->\s*"
                         rf"({_DIMENSIONS}(?:\s*,\s*{_DIMENSIONS})*)\s*", signature)
    if match is None:
        raise ValueError(f"vectorize: cannot read the signature {signature!r}; write it as "
                         "NumPy does, e.g. '(n),(n)->()' or '(m,n),(n)->(m)'")
    inputs, outputs = signature.split("->")

    def groups(text):
        return [tuple(d.strip() for d in group.split(",") if d.strip())
                for group in re.findall(_DIMENSIONS, text)]

    return groups(inputs), groups(outputs)


def vectorize(function, *, excluded=frozenset(), signature=None):
    """``function`` applied over the leading (loop) dimensions of its arguments, via vmap.

    >>> import numpy as np
    >>> inner = vectorize(lambda a, b: (a * b).sum(), signature="(n),(n)->()")
    >>> inner(np.ones((4, 3)), np.arange(3.0))
    array([3., 3., 3., 3.])

    Without ``signature`` the function is applied elementwise. Arguments whose positions are
    in ``excluded`` are passed through unchanged.
    """
    core_dimensions = _parse_signature(signature)[0] if signature else None

    @functools.wraps(function)
    def vectorized(*args):
        positions = [i for i in range(len(args)) if i not in excluded]
        arrays = [asarray(args[i]) if not isinstance(args[i], core.Tracer) else args[i]
                  for i in positions]
        cores = core_dimensions or [()] * len(arrays)
        if len(cores) != len(arrays):
            raise TypeError(at_user_line(
                f"vectorize: the signature {signature!r} describes {len(cores)} arguments, "
                f"but {len(arrays)} were given"))
        sizes = {}
        loop_shapes = []
        for number, (array, names) in enumerate(zip(arrays, cores)):
            shape = tuple(core.get_aval(array).shape)
            if len(shape) < len(names):
                raise ValueError(at_user_line(
                    f"vectorize: argument {positions[number]} has shape {shape}, fewer "
                    f"dimensions than its core dimensions {names} in {signature!r}"))
            for name, size in zip(names, shape[len(shape) - len(names):]):
                if sizes.setdefault(name, size) != size:
                    raise ValueError(at_user_line(
                        f"vectorize: core dimension {name!r} has size {sizes[name]} in one "
                        f"argument and {size} in argument {positions[number]}"))
            loop_shapes.append(shape[:len(shape) - len(names)])
        loop_shape = np.broadcast_shapes(*loop_shapes) if loop_shapes else ()
        count = int(np.prod(loop_shape, dtype=np.int64))
        flat = []
        for array, names in zip(arrays, cores):
            core_shape = tuple(core.get_aval(array).shape[core.get_aval(array).ndim - len(names):])
            full = broadcast_to(array, loop_shape + core_shape)
            flat.append(reshape(full, (count,) + core_shape))

        def on_one(*values):
            full_args = list(args)
            for position, value in zip(positions, values):
                full_args[position] = value
            return function(*full_args)

        results = vmap(on_one, axis_size=count)(*flat)
        if isinstance(results, tuple):
            return tuple(reshape(r, loop_shape + tuple(core.get_aval(r).shape[1:])) for r in results)
        return reshape(results, loop_shape + tuple(core.get_aval(results).shape[1:]))

    return vectorized
