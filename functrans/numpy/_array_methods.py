"""Operators, methods and NumPy protocols for tracers, so a tracer reads like an ndarray.

:func:`install` attaches them to ``core.Tracer`` when functrans.numpy is imported.
``__array_ufunc__`` sends ``np.sin(tracer)`` and ``ndarray + tracer`` to the
functrans.numpy function of the same name; ``__array_function__`` does the
same for NumPy functions such as ``np.sum`` and ``np.concatenate``.
"""
import numpy as np

from functrans import core, lax
from functrans.numpy._indexing import IndexUpdateHelper, getitem
from functrans.numpy._shapes import reshape, transpose


def _is_array_like(value):
    return isinstance(value, (core.Tracer, np.ndarray, np.generic, list, tuple)) or \
        type(value) in core.PYTHON_SCALAR_TYPES


def _operator(function, reflected=False):
    """A binary operator method; NotImplemented for operands that are not arrays, so
    Python can try the other operand's method."""
    if reflected:
        def method(self, other):
            return function(other, self) if _is_array_like(other) else NotImplemented
    else:
        def method(self, other):
            return function(self, other) if _is_array_like(other) else NotImplemented
    return method


def _binary_operators(fnp):
    table = {
        "add": fnp.add, "sub": fnp.subtract, "mul": fnp.multiply, "truediv": fnp.divide,
        "floordiv": fnp.floor_divide, "mod": fnp.remainder, "pow": fnp.power,
        "matmul": fnp.matmul, "and": fnp.bitwise_and, "or": fnp.bitwise_or,
        "xor": fnp.bitwise_xor, "lshift": fnp.left_shift, "rshift": fnp.right_shift,
    }
    methods = {}
    for name, function in table.items():
        methods[f"__{name}__"] = _operator(function)
        methods[f"__r{name}__"] = _operator(function, reflected=True)
    comparisons = {"lt": fnp.less, "le": fnp.less_equal, "gt": fnp.greater,
                   "ge": fnp.greater_equal, "eq": fnp.equal, "ne": fnp.not_equal}
    for name, function in comparisons.items():
        methods[f"__{name}__"] = _operator(function)
    methods["__divmod__"] = _operator(lambda x, y: (fnp.floor_divide(x, y), fnp.remainder(x, y)))
    methods["__rdivmod__"] = _operator(
        lambda x, y: (fnp.floor_divide(x, y), fnp.remainder(x, y)), reflected=True)
    return methods


def _unary_operators(fnp):
    return {
        "__neg__": fnp.negative,
        "__pos__": fnp.positive,
        "__abs__": fnp.absolute,
        "__invert__": fnp.invert,
        "__round__": lambda self, ndigits=None: fnp.round(self, 0 if ndigits is None else ndigits),
        "__getitem__": getitem,
    }


def _reshape(self, *shape, order="C"):
    return reshape(self, shape[0] if len(shape) == 1 else shape, order)


def _transpose(self, *axes):
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    return transpose(self, axes or None)


def _astype(self, dtype, copy=True):
    return lax.convert_element_type(self, np.dtype(dtype))


def _item(self, *args):
    return np.asarray(self.concrete_value()).item(*args)


def _methods(fnp):
    # Plain functions become methods: the tracer is their first argument. (No ``sort``
    # method: NumPy's sorts in place, which a tracer cannot do.)
    methods = {name: getattr(fnp, name) for name in (
        "sum", "mean", "var", "std", "max", "min", "prod", "argmax", "argmin", "all", "any",
        "cumsum", "cumprod", "ravel", "squeeze", "dot", "clip", "round", "swapaxes", "repeat",
        "diagonal", "trace", "take", "argsort", "conj", "conjugate")}
    methods.update(
        reshape=_reshape,
        transpose=_transpose,
        astype=_astype,
        flatten=fnp.ravel,
        item=_item,
        copy=lambda self: self,
        T=property(lambda self: fnp.transpose(self)),
        mT=property(lambda self: fnp.swapaxes(self, -1, -2)),
        at=property(IndexUpdateHelper),
        real=property(fnp.real),
        imag=property(fnp.imag),
    )
    return methods


# --- NumPy protocols ---------------------------------------------------------------------

_REDUCE = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min",
           "logical_and": "all", "logical_or": "any"}
_ACCUMULATE = {"add": "cumsum", "multiply": "cumprod"}


def _protocols(fnp):
    """``__array_ufunc__`` and ``__array_function__``, answering with ``fnp``'s functions."""

    def array_ufunc(self, ufunc, method, *inputs, **kwargs):
        name = ufunc.__name__
        if kwargs.get("out") is not None:
            raise TypeError(
                f"numpy.{name}(..., out=...) cannot store a traced result in an existing array "
                "(in-place operators such as += on a NumPy array do this); functrans values "
                "are immutable, so write x = x + y instead")
        kwargs.pop("out", None)
        if method == "__call__":
            function = getattr(fnp, name, None)
            if function is not None and getattr(np, name, None) is ufunc and not kwargs:
                return function(*inputs)
        elif method == "reduce" and name in _REDUCE:
            (array,) = inputs
            return getattr(fnp, _REDUCE[name])(array, axis=kwargs.pop("axis", 0), **kwargs)
        elif method == "accumulate" and name in _ACCUMULATE:
            (array,) = inputs
            return getattr(fnp, _ACCUMULATE[name])(array, axis=kwargs.pop("axis", 0), **kwargs)
        call = name if method == "__call__" else f"{name}.{method}"
        extra = f" with arguments {sorted(kwargs)}" if kwargs else ""
        raise TypeError(f"numpy.{call}{extra} is not supported on traced arrays; use the "
                        "functrans.numpy function of the same name, or an equivalent expression")

    def array_function(self, func, types, args, kwargs):
        name = func.__name__
        function = getattr(fnp, name, None)
        # functrans.numpy re-exports a few NumPy functions unchanged (result_type): calling
        # those would come straight back here.
        if function is None or function is func or getattr(np, name, None) is not func:
            raise TypeError(f"{func.__module__}.{name} cannot take a traced array, and "
                            f"functrans.numpy has no traceable {name}; write it with "
                            "functrans.numpy functions")
        return function(*args, **kwargs)

    return {"__array_ufunc__": array_ufunc, "__array_function__": array_function}


def install(fnp):
    """Attach the operators and methods (written on the module ``fnp``) to ``core.Tracer``."""
    for table in (_binary_operators(fnp), _unary_operators(fnp), _methods(fnp), _protocols(fnp)):
        for name, method in table.items():
            setattr(core.Tracer, name, method)
