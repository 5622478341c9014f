"""SciPy's names on functrans: ``functrans.scipy.special``, ``linalg``, ``signal``, ``stats``."""
from functrans.scipy import linalg, signal, special, stats
