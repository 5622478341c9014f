"""``scipy_when_eager``: a traceable function that is ``scipy.signal``'s own on concrete
inputs (SciPy is imported on the first such call, not by ``import functrans``)."""
from functrans.numpy._eager import numpy_when_eager


def scipy_when_eager(name):
    """Decorate the traced version of ``scipy.signal.<name>``."""
    def call_scipy(*args, **kwargs):
        import scipy.signal
        return getattr(scipy.signal, name)(*args, **kwargs)

    return numpy_when_eager(call_scipy)
