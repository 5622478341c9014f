"""SciPy's names on functrans: ``functrans.scipy.special``."""
from functrans.scipy import special
