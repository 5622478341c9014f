"""``scipy.stats``, traceable: one module per distribution, as ``jax.scipy.stats`` has them.

>>> from functrans.scipy import stats
>>> float(stats.norm.cdf(0.0))
0.5

Each module's functions (``logpdf``, ``pdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``,
``ppf``, ``pmf``, ``logpmf`` where SciPy has them and a closed form exists) take SciPy's
arguments (shape parameters, ``loc``, ``scale``) and broadcast like SciPy's, and
differentiate, batch and compile with functrans's transforms.
"""
from functrans.scipy.stats import (
    bernoulli, beta, betabinom, binom, cauchy, chi2, dirichlet, expon, gamma, gennorm, geom,
    laplace, logistic, multinomial, multivariate_normal, nbinom, norm, pareto, poisson, t,
    truncnorm, uniform, vonmises, wrapcauchy,
)

__all__ = ["bernoulli", "beta", "betabinom", "binom", "cauchy", "chi2", "dirichlet", "expon",
           "gamma", "gennorm", "geom", "laplace", "logistic", "multinomial",
           "multivariate_normal", "nbinom", "norm", "pareto", "poisson", "t", "truncnorm",
           "uniform", "vonmises", "wrapcauchy"]
