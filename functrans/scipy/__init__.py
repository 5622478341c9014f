"""SciPy's names on functrans: ``functrans.scipy.special``, ``functrans.scipy.linalg``."""
from functrans.scipy import linalg, special
