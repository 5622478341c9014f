"""functrans: composable transformations of NumPy programs (grad, vmap, jit)."""
from functrans.config import config
from functrans.tracing import make_jaxpr

__version__ = "0.1.0"
