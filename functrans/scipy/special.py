"""``scipy.special``, traceable: SciPy's functions, dtypes and broadcasting, with derivatives.

On concrete inputs with no transform active each function is SciPy's own ufunc. Traced,
it broadcasts its arguments, converts them to the dtype SciPy's ufunc computes in for
their dtypes (float32 stays float32 where SciPy has a float32 loop; integers become
float64) and binds the primitives of :mod:`functrans.lax.special`, which ``jit`` lowers to
SciPy's compiled kernels.

>>> import functrans
>>> float(functrans.grad(gammaln)(3.0))  # digamma(3) = 3/2 - Euler's gamma
0.9227843350984671
"""
import functools
import math

import numpy as np
import scipy.special as _scipy

from functrans import core, lax
from functrans.lax import special as _special
import functrans.numpy as fnp
from functrans.numpy._dispatch import is_eager_all, operand
from functrans.numpy._promotion import broadcast_shapes, materialize

__all__ = [
    "bernoulli", "bessel_jn", "beta", "boxcox", "boxcox1p", "dawsn", "erfcx", "fresnel",
    "loggamma", "owens_t", "sici", "sph_harm_y", "wofz", "betainc", "betainccinv", "betaincinv", "betaln", "binom",
    "comb", "digamma", "entr", "erf", "erfc", "erfcinv", "erfinv", "exp1", "expi", "expit", "expn",
    "factorial", "gamma", "gammainc", "gammaincc", "gammainccinv", "gammaincinv", "gammaln",
    "gammasgn", "hyp1f1", "hyp2f1", "i0", "i0e", "i1", "i1e", "iv", "ive", "j0", "j1", "jn", "jv",
    "kl_div", "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri",
    "poch", "polygamma", "psi", "rel_entr", "rgamma", "softmax", "spence", "stdtrit", "xlog1py",
    "xlogy", "y0", "y1", "yn", "yv", "zeta",
]


_PYTHON_TYPES = {"b": bool, "i": int, "u": int, "f": float}


@functools.lru_cache(maxsize=1024)
def _result_dtype(ufunc, kinds):
    """The dtype ``ufunc`` returns for operands of ``kinds`` (a dtype, or a Python type
    standing for a weak scalar, which NumPy 2 lets take the other operands' dtype)."""
    samples = [kind(1) if isinstance(kind, type) else np.ones((), kind) for kind in kinds]
    with np.errstate(all="ignore"):
        return np.asarray(ufunc(*samples)).dtype


def _prepared(name, ufunc, arguments):
    """``arguments`` broadcast to one shape and converted to the dtype SciPy's ``ufunc``
    returns for them (the dtype its loop computes in)."""
    arguments = [operand(x) for x in arguments]
    avals = [core.get_aval(x) for x in arguments]
    kinds = tuple(_PYTHON_TYPES.get(a.dtype.kind, float) if a.weak_type else a.dtype
                  for a in avals)
    dtype = _result_dtype(ufunc, kinds)
    if dtype.kind != "f":
        raise TypeError(f"{name}: functrans supports real floating-point arguments; got "
                        f"{', '.join(a.str_short() for a in avals)}")
    shape = broadcast_shapes(name, *[a.shape for a in avals])
    return [materialize(x, dtype, shape) for x in arguments]


def _elementwise(ufunc, traced, name=None):
    """A function that is SciPy's ``ufunc`` on concrete values and ``traced(*operands)``
    (operands of one shape and SciPy's dtype) otherwise."""
    name = name or ufunc.__name__

    def function(*arguments):
        if is_eager_all(arguments):
            return ufunc(*arguments)
        return traced(*_prepared(name, ufunc, arguments))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"SciPy's ``scipy.special.{name}``, traceable and differentiable."
    return function


# --- primitives of functrans.lax.special, and compositions of them ------------------------

gamma = _elementwise(_scipy.gamma, _special.gamma)
gammaln = _elementwise(_scipy.gammaln, _special.gammaln)
digamma = psi = _elementwise(_scipy.psi, _special.digamma, "digamma")
rgamma = _elementwise(_scipy.rgamma, _special.rgamma)
gammasgn = _elementwise(_scipy.gammasgn, _special.gammasgn)
beta = _elementwise(_scipy.beta, _special.beta)
betaln = _elementwise(_scipy.betaln, _special.betaln)
binom = _elementwise(_scipy.binom, _special.binom)
betainc = _elementwise(_scipy.betainc, _special.betainc)
gammainc = _elementwise(_scipy.gammainc, _special.gammainc)
gammaincc = _elementwise(_scipy.gammaincc, _special.gammaincc)
gammaincinv = _elementwise(_scipy.gammaincinv, _special.gammaincinv)
gammainccinv = _elementwise(_scipy.gammainccinv, _special.gammainccinv)
betaincinv = _elementwise(_scipy.betaincinv, _special.betaincinv)
betainccinv = _elementwise(_scipy.betainccinv, _special.betainccinv)
stdtrit = _elementwise(_scipy.stdtrit, _special.stdtrit)
erf = _elementwise(_scipy.erf, lax.erf)
erfc = _elementwise(_scipy.erfc, lax.erfc)
erfinv = _elementwise(_scipy.erfinv, _special.erfinv)
erfcinv = _elementwise(_scipy.erfcinv, _special.erfcinv)
ndtr = _elementwise(_scipy.ndtr, _special.ndtr)
ndtri = _elementwise(_scipy.ndtri, _special.ndtri)
log_ndtr = _elementwise(_scipy.log_ndtr, _special.log_ndtr)
expit = _elementwise(_scipy.expit, lax.logistic)
logit = _elementwise(_scipy.logit, lambda p: fnp.log(p / (1 - p)))
spence = _elementwise(_scipy.spence, _special.spence)
exp1 = _elementwise(_scipy.exp1, _special.exp1)
expi = _elementwise(_scipy.expi, _special.expi)
expn = _elementwise(_scipy.expn, _special.expn)
poch = _elementwise(_scipy.poch, _special.poch)
hyp1f1 = _elementwise(_scipy.hyp1f1, _special.hyp1f1)
hyp2f1 = _elementwise(_scipy.hyp2f1, _special.hyp2f1)
i0 = _elementwise(_scipy.i0, _special.i0)
i1 = _elementwise(_scipy.i1, _special.i1)
i0e = _elementwise(_scipy.i0e, _special.i0e)
i1e = _elementwise(_scipy.i1e, _special.i1e)
iv = _elementwise(_scipy.iv, _special.iv)
ive = _elementwise(_scipy.ive, _special.ive)
j0 = _elementwise(_scipy.j0, _special.j0)
j1 = _elementwise(_scipy.j1, _special.j1)
jv = jn = _elementwise(_scipy.jv, _special.jv)
y0 = _elementwise(_scipy.y0, _special.y0)
y1 = _elementwise(_scipy.y1, _special.y1)
yv = _elementwise(_scipy.yv, _special.yv)
yn = _elementwise(_scipy.yn, _special.yn)
erfcx = _elementwise(_scipy.erfcx, _special.erfcx)
dawsn = _elementwise(_scipy.dawsn, _special.dawsn)
owens_t = _elementwise(_scipy.owens_t, _special.owens_t)
loggamma = _elementwise(_scipy.loggamma, _special.loggamma)
loggamma.__doc__ = ("SciPy's ``scipy.special.loggamma`` for real arguments (nan below 0, as "
                    "SciPy's real loop), traceable and differentiable.")
fresnel = _elementwise(_scipy.fresnel, lambda x: (_special.fresnel_s(x), _special.fresnel_c(x)))
fresnel.__doc__ = "SciPy's ``scipy.special.fresnel``: the pair ``(S(x), C(x))``, traceable."
sici = _elementwise(_scipy.sici, lambda x: (_special.sici_si(x), _special.sici_ci(x)))
sici.__doc__ = "SciPy's ``scipy.special.sici``: the pair ``(Si(x), Ci(x))``, traceable."


def wofz(z):
    """SciPy's ``scipy.special.wofz``, the Faddeeva function ``exp(-z**2) erfc(-iz)``:
    complex in, complex out (real arguments become complex128 and complex64 stays complex64,
    as SciPy's loops), holomorphic, so ``jvp`` and ``grad(..., holomorphic=True)`` apply.

    >>> complex(wofz(1j))  # erfcx(1)
    (0.427583576155807+0j)
    """
    if is_eager_all((z,)):
        return _scipy.wofz(z)
    z = operand(z)
    aval = core.get_aval(z)
    kind = complex if aval.weak_type else aval.dtype
    return _special.wofz(materialize(z, _result_dtype(_scipy.wofz, (kind,)), aval.shape))


def _box_cox_of(log):
    """The Box-Cox transform ``((1 + y)**lmbda - 1) / lmbda`` with ``log(1 + y) = log(x)``:
    ``expm1(lmbda log) / lmbda``, and at ``lmbda = 0`` its limit ``log`` (written as the
    first terms of its series in lmbda, so the derivative in lmbda is right there too)."""
    def transform(x, lmbda):
        logarithm = log(x)
        at_zero = lmbda == 0
        safe = fnp.where(at_zero, fnp.ones_like(lmbda), lmbda)
        # At x = 0 the log is -inf: lmbda * log**2 would make the series nan.
        square = fnp.where(fnp.isfinite(logarithm), logarithm * logarithm, fnp.zeros_like(logarithm))
        series = logarithm + lmbda * square / 2
        return fnp.where(at_zero, series, fnp.expm1(safe * logarithm) / safe)
    return transform


boxcox = _elementwise(_scipy.boxcox, _box_cox_of(fnp.log), "boxcox")
boxcox1p = _elementwise(_scipy.boxcox1p, _box_cox_of(fnp.log1p), "boxcox1p")
_hurwitz_zeta = _elementwise(_scipy.zeta, _special.zeta)


def bessel_jn(z, *, v, n_iter=50):
    """The Bessel functions of the first kind of orders 0 to ``v`` (a Python int) at ``z``,
    stacked on a new first axis: ``jax.scipy.special.bessel_jn`` (``n_iter`` is accepted for
    JAX's signature; SciPy's kernels need no iteration count)."""
    del n_iter
    return fnp.stack([jv(float(order), z) for order in range(int(v) + 1)])


def zeta(x, q=None):
    """The Riemann zeta function ``zeta(x)``, or Hurwitz's ``zeta(x, q) = sum((k + q) ** -x)``
    (differentiable in ``q``)."""
    if q is None:
        return _hurwitz_zeta(x, 1.0) if not is_eager_all((x,)) else _scipy.zeta(x)
    return _hurwitz_zeta(x, q)


def polygamma(n, x):
    """The ``n``-th derivative of digamma: ``(-1)**(n+1) n! zeta(n+1, x)``, digamma for n = 0.

    >>> round(float(polygamma(1, 1.0)), 12)  # pi**2 / 6
    1.644934066848
    """
    if is_eager_all((n, x)):
        return _scipy.polygamma(n, x)
    n, x = fnp.asarray(n), fnp.asarray(x)
    # SciPy converts n to an array: a float32 x with integer orders gives float64.
    dtype = _result_dtype(_scipy.psi, (np.result_type(n.dtype, x.dtype),))
    order_zero = digamma(x)  # in x's own dtype, as SciPy's
    x = x.astype(dtype) if x.dtype != dtype else x
    order = n.astype(dtype)
    sign = fnp.where(fnp.equal(fnp.remainder(order, 2), 0), -1.0, 1.0).astype(dtype)
    higher = sign * gamma(order + 1) * zeta(order + 1, x)
    result = fnp.where(fnp.equal(order, 0), order_zero.astype(dtype), higher)
    # SciPy: nan for an order that is not a non-negative integer.
    return fnp.where(fnp.logical_and(fnp.equal(fnp.floor(order), order),
                                     fnp.greater_equal(order, 0)), result, np.nan)


def multigammaln(a, d):
    """The log of the multivariate gamma function of dimension ``d`` (a Python int)."""
    d = int(d)
    if is_eager_all((a,)):
        return _scipy.multigammaln(a, d)
    a = fnp.asarray(a)
    a = a.astype(np.float64) if a.dtype != np.float64 else a  # as SciPy's
    terms = [gammaln(a - j / 2.0) for j in range(d)]
    if not terms:  # d = 0: the empty product, log 1
        return fnp.zeros_like(a)
    return sum(terms[1:], terms[0]) + d * (d - 1) / 4 * math.log(math.pi)


def _xlog(name, ufunc, log):
    def traced(x, y):
        # 0 wherever x is 0 (y not nan), with a zero derivative there in y as well.
        zero = fnp.logical_and(fnp.equal(x, 0), fnp.logical_not(fnp.isnan(y)))
        safe_y = fnp.where(zero, fnp.ones_like(y), y)
        return fnp.where(zero, fnp.zeros_like(x), x * log(safe_y))
    return _elementwise(ufunc, traced, name)


xlogy = _xlog("xlogy", _scipy.xlogy, fnp.log)
xlog1py = _xlog("xlog1py", _scipy.xlog1py, fnp.log1p)


def _entr(x):
    positive = fnp.greater(x, 0)
    safe = fnp.where(positive, x, fnp.ones_like(x))
    outside = fnp.where(fnp.equal(x, 0), fnp.zeros_like(x), fnp.full_like(x, -np.inf))
    return fnp.where(positive, -safe * fnp.log(safe), fnp.where(fnp.isnan(x), x, outside))


def _relative_entropy(extra_terms):
    def traced(x, y):
        inside = fnp.logical_and(fnp.greater(x, 0), fnp.greater(y, 0))
        safe_x = fnp.where(inside, x, fnp.ones_like(x))
        safe_y = fnp.where(inside, y, fnp.ones_like(y))
        value = safe_x * fnp.log(safe_x / safe_y)
        if extra_terms:
            value = value - safe_x + safe_y
        at_zero = fnp.logical_and(fnp.equal(x, 0), fnp.greater_equal(y, 0))
        edge = y if extra_terms else fnp.zeros_like(y)
        outside = fnp.where(at_zero, edge, fnp.full_like(x, np.inf))
        missing = fnp.logical_or(fnp.isnan(x), fnp.isnan(y))
        return fnp.where(inside, value, fnp.where(missing, x + y, outside))
    return traced


entr = _elementwise(_scipy.entr, _entr)
kl_div = _elementwise(_scipy.kl_div, _relative_entropy(True), "kl_div")
rel_entr = _elementwise(_scipy.rel_entr, _relative_entropy(False), "rel_entr")


def factorial(n, exact=False):
    """``gamma(n + 1)``, 0 for negative ``n`` (as SciPy's ``exact=False``); ``exact=True``
    needs concrete integers and returns SciPy's exact result."""
    if exact or is_eager_all((n,)):
        return _scipy.factorial(n, exact=exact)
    n = fnp.asarray(n)
    value = gamma(n + 1)  # in n's float dtype, as SciPy computes it; returned as float64
    value = value.astype(np.float64) if value.dtype != np.float64 else value
    return fnp.where(fnp.less(n, 0), fnp.zeros_like(value), value)


def comb(N, k, *, exact=False, repetition=False):  # noqa: N803 (SciPy's name)
    """The number of combinations of ``N`` things taken ``k`` at a time, as a float (SciPy's
    ``exact=False``: ``binom(N, k)``, 0 outside ``0 <= k <= N``)."""
    if exact or is_eager_all((N, k)):
        return _scipy.comb(N, k, exact=exact, repetition=repetition)
    N, k = fnp.asarray(N), fnp.asarray(k)  # SciPy's comb makes arrays of Python numbers too
    if repetition:
        N = N + k - 1
    N, k = _prepared("comb", _scipy.binom, (N, k))
    value = _special.binom(N, k)
    valid = fnp.logical_and(fnp.logical_and(fnp.greater_equal(k, 0), fnp.greater_equal(N, 0)),
                            fnp.less_equal(k, N))
    return fnp.where(valid, value, fnp.zeros_like(value))


def bernoulli(n):
    """The Bernoulli numbers ``B(0) ... B(n)`` (``n`` a Python int): SciPy's, a constant."""
    return _scipy.bernoulli(n)


# --- reductions along axes ------------------------------------------------------------------

def _inexact(x):
    x = fnp.asarray(x)
    return x if x.dtype.kind in "fc" else x.astype(np.float64)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """``log(sum(b * exp(a), axis))``, computed without overflow, as SciPy's.

    With ``return_sign`` the result is ``(log|s|, sign(s))`` for the sum ``s``; without it a
    negative sum gives nan. Where ``b`` is 0 the element of ``a`` is ignored.

    >>> float(logsumexp(np.array([1000.0, 1000.0])))
    1000.6931471805599
    """
    if is_eager_all((a, b)):
        return _scipy.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    a = _inexact(a)
    if b is not None:
        a, b = fnp.broadcast_arrays(a, fnp.asarray(b))
        a = fnp.where(fnp.equal(b, 0), fnp.full_like(a, -np.inf), a)
    if fnp.size(a) == 0:  # SciPy: the log of an empty sum, -inf
        largest = fnp.zeros(np.empty(fnp.shape(a)).sum(axis=axis, keepdims=True).shape, a.dtype)
    else:
        largest = fnp.max(a, axis=axis, keepdims=True)
    largest = fnp.where(fnp.isfinite(largest), largest, fnp.zeros_like(largest))
    largest = lax.stop_gradient(largest) if isinstance(largest, core.Tracer) else largest
    terms = fnp.exp(a - largest)
    if b is not None:
        terms = terms * b
    total = fnp.sum(terms, axis=axis, keepdims=True)
    sign = fnp.sign(total)
    result = fnp.log(fnp.abs(total)) + largest
    if not return_sign:
        result = fnp.where(fnp.less(sign, 0), fnp.full_like(result, np.nan), result)
    if not keepdims:
        axes = tuple(range(a.ndim)) if axis is None else axis
        result = fnp.squeeze(result, axis=axes)
        sign = fnp.squeeze(sign, axis=axes)
    return (result, sign) if return_sign else result


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x), axis)`` (over every element when ``axis`` is None, as SciPy's)."""
    if is_eager_all((x,)):
        return _scipy.softmax(x, axis=axis)
    x = _inexact(x)
    shifted = x - lax.stop_gradient(fnp.max(x, axis=axis, keepdims=True))
    exponentials = fnp.exp(shifted)
    return exponentials / fnp.sum(exponentials, axis=axis, keepdims=True)


def log_softmax(x, axis=None):
    """``x - logsumexp(x, axis)``, computed stably (``axis=None``: every element, as SciPy's)."""
    if is_eager_all((x,)):
        return _scipy.log_softmax(x, axis=axis)
    x = _inexact(x)
    shifted = x - lax.stop_gradient(fnp.max(x, axis=axis, keepdims=True))
    return shifted - fnp.log(fnp.sum(fnp.exp(shifted), axis=axis, keepdims=True))



def sph_harm_y(n, m, theta, phi, *, n_max=None):
    """SciPy's ``scipy.special.sph_harm_y``: the spherical harmonic of degree ``n`` and order
    ``m`` at polar angle ``theta`` and azimuth ``phi`` (complex, Condon-Shortley phase),
    differentiable in the angles. ``n_max`` bounds the degrees (needed when ``n`` is traced).

    Computed by the stable recurrence of normalized associated Legendre functions in the
    degree, from ``|m|`` up to ``n_max``.

    >>> round(float(sph_harm_y(1, 0, 0.0, 0.0).real), 12)  # sqrt(3 / (4 pi))
    0.488602511903
    """
    if n_max is None:
        if isinstance(n, core.Tracer):
            raise ValueError("sph_harm_y: with a traced degree n, pass n_max (an int bounding n)")
        n_max = int(np.max(n)) if np.size(n) else 0
    n, m = fnp.asarray(n), fnp.asarray(m)
    theta, phi = fnp.asarray(theta, dtype=float), fnp.asarray(phi, dtype=float)
    order = fnp.abs(m).astype(float)
    degree = n.astype(float)
    x, s = fnp.cos(theta), fnp.sin(theta)
    shape = np.broadcast_shapes(*(fnp.shape(v) for v in (n, m, theta, phi)))
    current = fnp.broadcast_to(fnp.full_like(x, 1 / math.sqrt(4 * math.pi)), shape)
    for k in range(1, n_max + 1):  # p_mm = p_00 prod_k (-sqrt((2k+1)/(2k)) sin(theta))
        current = fnp.where(k <= order, current * (-math.sqrt((2 * k + 1) / (2 * k))) * s,
                            current)
    previous = fnp.zeros_like(current)
    result = fnp.where(degree == order, current, 0.0)
    for degree_l in range(1, n_max + 1):
        active = degree_l > order
        step = fnp.sqrt((4 * degree_l ** 2 - 1)
                        / fnp.where(active, degree_l ** 2 - order ** 2, 1.0))
        has_previous = degree_l - 1 > order
        previous_step = fnp.sqrt(max(4 * (degree_l - 1) ** 2 - 1, 1)
                                 / fnp.where(has_previous, (degree_l - 1) ** 2 - order ** 2, 1.0))
        new = step * (x * current - fnp.where(has_previous, previous / previous_step, 0.0))
        previous, current = fnp.where(active, current, previous), fnp.where(active, new, current)
        result = fnp.where(fnp.logical_and(active, degree == degree_l), new, result)
    sign = fnp.where(fnp.logical_and(m < 0, fnp.remainder(order, 2) == 1), -1.0, 1.0)
    return result * sign * fnp.exp(1j * m * phi)
