"""SciPy's names on functrans: ``functrans.scipy.special``, ``linalg``, ``stats``."""
from functrans.scipy import linalg, special, stats
