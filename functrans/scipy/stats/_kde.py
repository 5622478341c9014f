"""``gaussian_kde``: kernel density estimation with Gaussian kernels, as ``scipy.stats`` has
it, on a dataset that may be traced (differentiate a density in the data, batch over
datasets, compile).
"""
import math

import numpy as np

import functrans.numpy as fnp
from functrans import tree
from functrans.numpy._dispatch import operand
from functrans.scipy import special
from functrans.scipy.linalg import solve_triangular
from functrans.scipy.stats._common import promote


class gaussian_kde:  # noqa: N801 (SciPy's name)
    """A Gaussian kernel density estimate of the ``dataset`` (``(d, n)``: n points in d
    dimensions; a 1-D array is n points in one dimension), as ``scipy.stats.gaussian_kde``.

    ``bw_method`` is ``'scott'`` (the default), ``'silverman'``, a number (the bandwidth
    factor itself) or a function of the estimate returning it; ``weights`` weigh the points.
    The kernel covariance is the (weighted) data covariance times ``factor**2``.

    >>> kde = gaussian_kde(np.array([0.0, 1.0, 3.0]), bw_method=0.5)
    >>> round(float(kde.integrate_box_1d(-np.inf, np.inf)), 12)
    1.0
    """

    def __init__(self, dataset, bw_method=None, weights=None):
        dataset = fnp.atleast_2d(promote(operand(dataset))[0])
        if dataset.size <= 1:
            raise ValueError("gaussian_kde: `dataset` input should have multiple elements.")
        self.dataset = dataset
        self.d, self.n = dataset.shape
        if weights is None:
            weights = fnp.full((self.n,), 1.0 / self.n, dtype=dataset.dtype)
        else:
            weights = fnp.atleast_1d(fnp.asarray(weights, dtype=dataset.dtype))
            if weights.ndim != 1 or weights.shape[0] != self.n:
                raise ValueError(f"gaussian_kde: `weights` must have one entry per point "
                                 f"({self.n}), got shape {weights.shape}")
            weights = weights / fnp.sum(weights)
        self.weights = weights
        self.neff = 1.0 / fnp.sum(weights * weights)
        self.factor = self._factor(bw_method)
        self.covariance = self._data_covariance() * self.factor ** 2

    def _factor(self, bw_method):
        if bw_method is None or (isinstance(bw_method, str) and bw_method == "scott"):
            return self.scotts_factor()
        if isinstance(bw_method, str) and bw_method == "silverman":
            return self.silverman_factor()
        if callable(bw_method):
            return bw_method(self)
        if isinstance(bw_method, str):
            raise ValueError("gaussian_kde: `bw_method` should be 'scott', 'silverman', a "
                             f"scalar or a callable, got {bw_method!r}")
        return fnp.asarray(bw_method, dtype=self.dataset.dtype)

    def scotts_factor(self):
        """Scott's bandwidth factor, ``neff**(-1/(d+4))``."""
        return self.neff ** (-1.0 / (self.d + 4))

    def silverman_factor(self):
        """Silverman's bandwidth factor, ``(neff (d+2) / 4)**(-1/(d+4))``."""
        return (self.neff * (self.d + 2) / 4.0) ** (-1.0 / (self.d + 4))

    covariance_factor = scotts_factor

    def _data_covariance(self):
        """The weighted, bias-corrected covariance of the dataset (NumPy's ``cov`` with
        ``aweights``)."""
        mean = fnp.sum(self.dataset * self.weights, axis=1, keepdims=True)
        centred = self.dataset - mean
        unbiased = 1.0 - fnp.sum(self.weights * self.weights)
        return (centred * self.weights) @ centred.T / unbiased

    @property
    def inv_cov(self):
        return fnp.linalg.inv(self.covariance)

    def _points(self, points):
        points = fnp.atleast_2d(fnp.asarray(operand(points), dtype=self.dataset.dtype))
        d, m = points.shape
        if d != self.d:
            if d == 1 and m == self.d:
                return fnp.reshape(points, (self.d, 1))
            raise ValueError(f"gaussian_kde: points have dimension {d}, dataset has "
                             f"dimension {self.d}")
        return points

    def _log_mixture(self, points, covariance, centres, weights):
        """``log sum_i weights_i N(points; centres_i, covariance)`` for each point."""
        lower = fnp.linalg.cholesky(covariance)
        white_points = solve_triangular(lower, points, lower=True)
        white_centres = solve_triangular(lower, centres, lower=True)
        differences = white_points[:, :, None] - white_centres[:, None, :]
        exponents = -0.5 * fnp.sum(differences * differences, axis=0) + fnp.log(weights)
        log_norm = (0.5 * self.d * math.log(2 * math.pi)
                    + fnp.sum(fnp.log(fnp.diagonal(lower))))
        return special.logsumexp(exponents, axis=1) - log_norm

    def logpdf(self, points):
        """The log of the estimated density at ``points`` (``(d, m)``), shape ``(m,)``."""
        return self._log_mixture(self._points(points), self.covariance, self.dataset,
                                 self.weights)

    def evaluate(self, points):
        """The estimated density at ``points`` (``(d, m)``), shape ``(m,)``."""
        return fnp.exp(self.logpdf(points))

    __call__ = pdf = evaluate

    def integrate_gaussian(self, mean, cov):
        """The integral of the estimate times the normal density ``N(mean, cov)``."""
        mean = fnp.reshape(fnp.asarray(operand(mean), dtype=self.dataset.dtype), (self.d, 1))
        cov = fnp.atleast_2d(fnp.asarray(operand(cov), dtype=self.dataset.dtype))
        if cov.shape != (self.d, self.d):
            raise ValueError(f"gaussian_kde: cov must be {self.d}x{self.d}, got {cov.shape}")
        return fnp.exp(self._log_mixture(mean, self.covariance + cov, self.dataset,
                                         self.weights))[0]

    def integrate_box_1d(self, low, high):
        """The estimate's mass between ``low`` and ``high`` (one-dimensional data only)."""
        if self.d != 1:
            raise ValueError("gaussian_kde: integrate_box_1d() only handles 1D pdfs")
        spread = fnp.sqrt(self.covariance[0, 0])
        upper = special.ndtr((high - self.dataset[0]) / spread)
        lower = special.ndtr((low - self.dataset[0]) / spread)
        return fnp.sum(self.weights * (upper - lower))

    def integrate_kde(self, other):
        """The integral of the product of this estimate and ``other`` (same dimension)."""
        if other.d != self.d:
            raise ValueError("gaussian_kde: KDEs are not the same dimensionality")
        densities = fnp.exp(self._log_mixture(other.dataset, self.covariance + other.covariance,
                                              self.dataset, self.weights))
        return fnp.sum(other.weights * densities)


def _flatten(kde):
    return (kde.dataset, kde.weights, kde.factor), None


def _unflatten(_, children):
    dataset, weights, factor = children
    kde = object.__new__(gaussian_kde)
    kde.dataset, kde.weights, kde.factor = dataset, weights, factor
    kde.d, kde.n = fnp.shape(dataset)
    kde.neff = 1.0 / fnp.sum(weights * weights)
    kde.covariance = kde._data_covariance() * factor ** 2
    return kde


tree.register_pytree_node(gaussian_kde, _flatten, _unflatten)
