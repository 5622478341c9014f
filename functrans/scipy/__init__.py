"""SciPy's names on functrans: ``functrans.scipy.special``, ``functrans.scipy.signal``."""
from functrans.scipy import signal, special
