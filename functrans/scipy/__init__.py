"""SciPy's names on functrans: ``functrans.scipy.special``, ``functrans.scipy.stats``."""
from functrans.scipy import special, stats
