"""``ravel_pytree``: a pytree of arrays as one flat vector, and the way back, as in JAX.

For optimizers and solvers written for a single vector (``scipy.optimize``,
``functrans.experimental.ode.odeint``'s state) applied to structured parameters.
"""
import numpy as np

from functrans import core, dtypes, tree


def ravel_pytree(pytree):
    """``(flat, unravel)``: the leaves of ``pytree`` raveled and concatenated in tree order,
    and a function taking such a vector back to a pytree of the original structure, shapes
    and dtypes.

    Leaves of different dtypes are promoted to their common dtype (NumPy 2's promotion,
    Python scalars weak); ``unravel`` converts each piece back. Both directions are built
    from functrans.numpy, so they differentiate, batch and compile.

    >>> flat, unravel = ravel_pytree({"w": np.ones((2, 2)), "b": np.zeros(2)})
    >>> flat
    array([0., 0., 1., 1., 1., 1.])
    >>> unravel(flat)["w"].shape
    (2, 2)
    """
    import functrans.numpy as fnp

    leaves, treedef = tree.flatten(pytree)
    avals = [core.get_aval(leaf) for leaf in leaves]
    if not leaves:
        flat_dtype = np.dtype(np.float64)
    else:
        flat_dtype = dtypes.result_type(*[(a.dtype, a.weak_type) for a in avals])[0]
    sizes = [a.size for a in avals]
    pieces = [fnp.ravel(fnp.asarray(leaf)).astype(flat_dtype) for leaf in leaves]
    flat = fnp.concatenate(pieces) if pieces else np.zeros(0, flat_dtype)
    boundaries = np.cumsum(sizes)[:-1].tolist()

    def unravel(flat_vector):
        flat_aval = core.get_aval(flat_vector)
        if flat_aval.shape != (sum(sizes),):
            raise ValueError(f"unravel: expected a vector of shape {(sum(sizes),)} (the raveled "
                             f"pytree's), got shape {flat_aval.shape}")
        if flat_aval.dtype != flat_dtype and not flat_aval.weak_type:
            raise TypeError(f"unravel: expected a vector of dtype {flat_dtype.name} (the "
                            f"raveled pytree's), got {flat_aval.dtype.name}")
        chunks = fnp.split(flat_vector, boundaries) if leaves else []
        return tree.unflatten(treedef, [
            fnp.reshape(chunk, a.shape).astype(a.dtype)
            for chunk, a in zip(chunks, avals)])

    return flat, unravel
