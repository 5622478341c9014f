"""Special-function primitives: gamma and beta families, error functions, Bessel functions.

Each primitive is SciPy's: its implementation is the ``scipy.special`` ufunc, and under
``jit`` the generated kernel calls the same compiled C function through
``scipy.special.cython_special`` (functrans.lowering.special_kernels). One call of
:func:`special_primitive` declares a primitive with every rule: its derivative as a scale
factor per argument (written with these primitives, so derivatives of every order work),
its batching, its numba lowering and its cost.

Operands share one shape and one float dtype, and the result has that dtype:
``functrans.scipy.special`` broadcasts and picks the dtype SciPy computes in (float32
stays float32 where SciPy has a float32 loop). An argument SciPy's definition makes
differentiable but whose derivative functrans does not compute (the order of a Bessel
function, the shape parameters of ``betainc``) raises :class:`NonDifferentiableArgument`
when a tangent reaches it, never a silent zero.
"""
import math

import numpy as np

from functrans import core
from functrans.lax import elementwise as ew
from functrans.lax._util import match_scalar, shape_error
from functrans.lowering import rules as lowering_rules
from functrans.transforms import ad, vmap


class NonDifferentiableArgument(NotImplementedError):
    """A derivative functrans does not compute was asked for."""


def not_differentiable(function, argument, advice=""):
    """A scale factor that raises when a tangent reaches ``argument`` of ``function``."""
    def factor(ans, *primals):
        raise NonDifferentiableArgument(
            f"functrans does not differentiate {function} with respect to its argument "
            f"'{argument}'{advice}; differentiate with respect to the other arguments only "
            f"(pass '{argument}' as a constant, e.g. through functrans.lax.stop_gradient)")
    return factor


def _same_dtype_impl(function):
    def impl(*operands):
        return np.asarray(function(*operands), dtype=np.result_type(*operands))[()]
    return impl


def _abstract_eval_for(name):
    def abstract_eval(*operands):
        first = operands[0]
        if any(x.shape != first.shape or x.dtype != first.dtype for x in operands):
            raise shape_error(
                f"{name} takes operands of one shape and dtype, got "
                f"{', '.join(x.str_short() for x in operands)}; functrans.scipy.special "
                "broadcasts and promotes for you")
        if first.dtype.kind != "f":
            raise shape_error(f"{name} takes floating-point operands, got {first.str_short()}")
        return core.ShapedArray(first.shape, first.dtype, all(x.weak_type for x in operands))
    return abstract_eval


def _cython_call(kernel):
    """The lowering of a primitive to SciPy's compiled kernel ``kernel``."""
    def rule(params, *operands, operand_avals):
        from functrans.lowering import special_kernels
        function = special_kernels.register(kernel, operand_avals[0].dtype)
        return f"{function}({', '.join(operands)}, 0)"
    return rule


def _in_float64(function):
    """``function`` computed in float64 (as the lowering computes it; rounded once after)."""
    return lambda *operands: function(*(np.asarray(x, np.float64) for x in operands))


def _support_call(function, *constants):
    """The lowering of a primitive to a function of functrans.lowering.special_kernels,
    computed in float64 (the kernel rounds a float32 result once); ``constants`` are
    passed after the operands."""
    def rule(params, *operands, operand_avals):
        arguments = [f"np.float64({x})" for x in operands] + [repr(c) for c in constants]
        return f"{function}({', '.join(arguments)})"
    return rule


def _support_function(name, *constants):
    """A function of functrans.lowering.special_kernels (numba code) as a NumPy ufunc-like
    implementation, computed in float64 as its lowering is."""
    def compute(*operands):
        from functrans.lowering import special_kernels
        function = getattr(special_kernels, name)
        return function(*operands, *constants)
    return _in_float64(np.vectorize(compute, otypes=[np.float64]))


def special_primitive(name, implementation, lowering_rule, *factors, arity=1):
    """A primitive ``name`` with all its rules: NumPy/SciPy ``implementation``; a
    derivative made of one scale factor per argument (``factor(output, *operands)``,
    ``None`` for an argument with no derivative, or a :func:`not_differentiable` marker;
    no factors at all for a piecewise-constant function); elementwise batching; the
    numba ``lowering_rule``; costly in the choice of parallel loops."""
    primitive = core.Primitive(name)
    primitive.def_impl(_same_dtype_impl(implementation))
    primitive.def_abstract_eval(_abstract_eval_for(name))
    if factors:
        ad.defscaled(primitive, *factors)
    else:
        ad.defzero(primitive)
    (vmap.defvectorized if arity == 1 else vmap.defbroadcasting)(primitive)
    lowering_rules.scalar_rules[primitive] = lowering_rule
    lowering_rules.COSTLY.add(primitive)
    return primitive


def _operation(primitive):
    def operation(*operands):
        return primitive.bind(*operands)
    operation.__name__ = primitive.name
    operation.__doc__ = f"The ``{primitive.name}`` primitive (``scipy.special``), elementwise."
    return operation


def _full_like(value, x):
    return match_scalar(value, x)


def _square(x):
    return ew.mul(x, x)


def _scipy(name):
    """The primitive's SciPy ufunc and its lowering to the kernel of the same name."""
    return ew.scipy_special(name), _cython_call(name)


_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)

# --- the gamma family --------------------------------------------------------------------

zeta_p = special_primitive(
    "zeta", _in_float64(ew.scipy_special("zeta")), _support_call("hurwitz_zeta"),
    not_differentiable("zeta", "s", ", the exponent"),
    lambda ans, s, q: ew.neg(ew.mul(s, zeta(ew.add(s, 1.0), q))), arity=2)
gammaln_p = special_primitive("gammaln", *_scipy("gammaln"), lambda ans, x: digamma(x))
digamma_p = special_primitive("digamma", ew.scipy_special("psi"), _cython_call("psi"),
                              lambda ans, x: zeta(_full_like(2.0, x), x))
gamma_p = special_primitive("gamma", *_scipy("gamma"), lambda ans, x: ew.mul(ans, digamma(x)))
rgamma_p = special_primitive("rgamma", *_scipy("rgamma"),
                             lambda ans, x: ew.neg(ew.mul(ans, digamma(x))))
gammasgn_p = special_primitive("gammasgn", *_scipy("gammasgn"))
beta_p = special_primitive(
    "beta", *_scipy("beta"),
    lambda ans, a, b: ew.mul(ans, ew.sub(digamma(a), digamma(ew.add(a, b)))),
    lambda ans, a, b: ew.mul(ans, ew.sub(digamma(b), digamma(ew.add(a, b)))), arity=2)
betaln_p = special_primitive(
    "betaln", *_scipy("betaln"),
    lambda ans, a, b: ew.sub(digamma(a), digamma(ew.add(a, b))),
    lambda ans, a, b: ew.sub(digamma(b), digamma(ew.add(a, b))), arity=2)


def _gamma_density(a, x):
    """``x**(a-1) e**-x / gamma(a)``: the derivative of gammainc in x."""
    return ew.exp(ew.sub(ew.sub(ew.mul(ew.sub(a, 1.0), ew.log(x)), x), gammaln(a)))


def _digamma_of_sum(*terms):
    total = terms[0]
    for term in terms[1:]:
        total = ew.add(total, term)
    return digamma(total)


binom_p = special_primitive(
    "binom", *_scipy("binom"),
    lambda ans, n, k: ew.mul(ans, ew.sub(_digamma_of_sum(n, 1.0),
                                         _digamma_of_sum(ew.sub(n, k), 1.0))),
    lambda ans, n, k: ew.mul(ans, ew.sub(_digamma_of_sum(ew.sub(n, k), 1.0),
                                         _digamma_of_sum(k, 1.0))),
    arity=2)


gammainc_grad_a_p = special_primitive(
    "gammainc_grad_a", _support_function("gammainc_da"), _support_call("gammainc_da"),
    not_differentiable("the derivative of gammainc in a", "a",
                       " (gammainc's second derivative in its shape parameter)"),
    lambda ans, a, x: ew.mul(_gamma_density(a, x), ew.sub(ew.log(x), digamma(a))), arity=2)
gammainc_p = special_primitive(
    "gammainc", *_scipy("gammainc"),
    lambda ans, a, x: gammainc_grad_a(a, x),
    lambda ans, a, x: _gamma_density(a, x), arity=2)
gammaincc_p = special_primitive(
    "gammaincc", *_scipy("gammaincc"),
    lambda ans, a, x: ew.neg(gammainc_grad_a(a, x)),
    lambda ans, a, x: ew.neg(_gamma_density(a, x)), arity=2)


def _beta_density(a, b, x):
    """``x**(a-1) (1-x)**(b-1) / beta(a, b)``: the derivative of betainc in x."""
    return ew.exp(ew.sub(ew.add(ew.mul(ew.sub(a, 1.0), ew.log(x)),
                                ew.mul(ew.sub(b, 1.0), ew.log1p(ew.neg(x)))), betaln(a, b)))


_SECOND_IN_SHAPES = " (betainc's second derivative in its shape parameters)"
betainc_grad_a_p = special_primitive(
    "betainc_grad_a", _support_function("betainc_grad", 0), _support_call("betainc_grad", 0),
    not_differentiable("the derivative of betainc in a", "a", _SECOND_IN_SHAPES),
    not_differentiable("the derivative of betainc in a", "b", _SECOND_IN_SHAPES),
    lambda ans, a, b, x: ew.mul(_beta_density(a, b, x),
                                ew.add(ew.sub(ew.log(x), digamma(a)), digamma(ew.add(a, b)))),
    arity=3)
betainc_grad_b_p = special_primitive(
    "betainc_grad_b", _support_function("betainc_grad", 1), _support_call("betainc_grad", 1),
    not_differentiable("the derivative of betainc in b", "a", _SECOND_IN_SHAPES),
    not_differentiable("the derivative of betainc in b", "b", _SECOND_IN_SHAPES),
    lambda ans, a, b, x: ew.mul(_beta_density(a, b, x),
                                ew.add(ew.sub(ew.log1p(ew.neg(x)), digamma(b)),
                                       digamma(ew.add(a, b)))),
    arity=3)
betainc_p = special_primitive(
    "betainc", *_scipy("betainc"),
    lambda ans, a, b, x: betainc_grad_a(a, b, x),
    lambda ans, a, b, x: betainc_grad_b(a, b, x),
    lambda ans, a, b, x: _beta_density(a, b, x), arity=3)


# The inverses in their last argument y: x with gammainc(a, x) = y, ... Their derivatives are
# the implicit function theorem's: dx/dy = 1 / (dF/dx), dx/dshape = -(dF/dshape) / (dF/dx).
gammaincinv_p = special_primitive(
    "gammaincinv", *_scipy("gammaincinv"),
    lambda ans, a, y: ew.neg(ew.div(gammainc_grad_a(a, ans), _gamma_density(a, ans))),
    lambda ans, a, y: ew.div(1.0, _gamma_density(a, ans)), arity=2)
gammainccinv_p = special_primitive(
    "gammainccinv", *_scipy("gammainccinv"),
    lambda ans, a, y: ew.neg(ew.div(gammainc_grad_a(a, ans), _gamma_density(a, ans))),
    lambda ans, a, y: ew.div(-1.0, _gamma_density(a, ans)), arity=2)
betaincinv_p = special_primitive(
    "betaincinv", *_scipy("betaincinv"),
    lambda ans, a, b, y: ew.neg(ew.div(betainc_grad_a(a, b, ans), _beta_density(a, b, ans))),
    lambda ans, a, b, y: ew.neg(ew.div(betainc_grad_b(a, b, ans), _beta_density(a, b, ans))),
    lambda ans, a, b, y: ew.div(1.0, _beta_density(a, b, ans)), arity=3)
betainccinv_p = special_primitive(
    "betainccinv", *_scipy("betainccinv"),
    lambda ans, a, b, y: ew.neg(ew.div(betainc_grad_a(a, b, ans), _beta_density(a, b, ans))),
    lambda ans, a, b, y: ew.neg(ew.div(betainc_grad_b(a, b, ans), _beta_density(a, b, ans))),
    lambda ans, a, b, y: ew.div(-1.0, _beta_density(a, b, ans)), arity=3)


def _student_density(df, t):
    """The density of Student's t distribution with ``df`` degrees of freedom at ``t``."""
    half_df = ew.mul(df, 0.5)
    log_density = ew.sub(
        ew.sub(ew.sub(gammaln(ew.add(half_df, 0.5)), gammaln(half_df)),
               ew.mul(ew.log(ew.mul(df, math.pi)), 0.5)),
        ew.mul(ew.add(half_df, 0.5), ew.log1p(ew.div(_square(t), df))))
    return ew.exp(log_density)


def _student_cdf_derivative_in_df(df, t):
    """d/ddf of P(T <= t): the lower tail is betainc(df/2, 1/2, w) / 2 with w = df/(df + t**2)
    (its derivative in w times dw/ddf written as one finite product, also at t = 0)."""
    half_df, half = ew.mul(df, 0.5), _full_like(0.5, df)
    spread = ew.add(df, _square(t))
    w = ew.div(df, spread)
    through_a = ew.mul(betainc_grad_a(half_df, half, w), 0.5)
    through_w = ew.mul(
        ew.exp(ew.sub(ew.mul(ew.sub(half_df, 1.0), ew.log(w)), betaln(half_df, half))),
        ew.div(ew.abs(t), ew.mul(spread, ew.sqrt(spread))))
    tail = ew.mul(ew.add(through_a, through_w), 0.5)
    return ew.select(ew.lt(t, _full_like(0.0, t)), tail, ew.neg(tail))


stdtrit_p = special_primitive(
    "stdtrit", *_scipy("stdtrit"),
    lambda ans, df, p: ew.neg(ew.div(_student_cdf_derivative_in_df(df, ans),
                                     _student_density(df, ans))),
    lambda ans, df, p: ew.div(1.0, _student_density(df, ans)), arity=2)

# --- error functions and the normal distribution ---------------------------------------------

erfinv_p = special_primitive("erfinv", *_scipy("erfinv"),
                             lambda ans, x: ew.mul(ew.exp(_square(ans)), _SQRT_PI / 2))
erfcinv_p = special_primitive("erfcinv", *_scipy("erfcinv"),
                              lambda ans, x: ew.mul(ew.exp(_square(ans)), -_SQRT_PI / 2))
ndtr_p = special_primitive("ndtr", *_scipy("ndtr"),
                           lambda ans, x: ew.div(ew.exp(ew.mul(_square(x), -0.5)), _SQRT_2PI))
ndtri_p = special_primitive("ndtri", *_scipy("ndtri"),
                            lambda ans, x: ew.mul(ew.exp(ew.mul(_square(ans), 0.5)), _SQRT_2PI))
log_ndtr_p = special_primitive(
    "log_ndtr", *_scipy("log_ndtr"),
    lambda ans, x: ew.div(ew.exp(ew.sub(ew.mul(_square(x), -0.5), ans)), _SQRT_2PI))


def _spence_derivative(ans, x):
    # log(x) / (1 - x), whose limit at x = 1 is -1.
    at_one = ew.eq(x, _full_like(1.0, x))
    safe = ew.select(at_one, _full_like(2.0, x), x)
    return ew.select(at_one, _full_like(-1.0, x), ew.div(ew.log(safe), ew.sub(1.0, safe)))


spence_p = special_primitive("spence", *_scipy("spence"), _spence_derivative)

# --- exponential integrals, Pochhammer's symbol, the confluent hypergeometric function -------

exp1_p = special_primitive("exp1", *_scipy("exp1"),
                           lambda ans, x: ew.neg(ew.div(ew.exp(ew.neg(x)), x)))
expi_p = special_primitive("expi", *_scipy("expi"), lambda ans, x: ew.div(ew.exp(x), x))
def _expn_derivative(ans, n, x):
    # -E_(n-1)(x); for n = 0, E_0(x) = exp(-x) / x has no E_-1: -E_0(x) (1 + 1/x).
    order_zero = ew.eq(n, _full_like(0.0, n))
    lower = expn(ew.max(_order(n, -1.0), _full_like(0.0, n)), x)
    return ew.select(order_zero, ew.neg(ew.mul(ans, ew.add(ew.div(1.0, x), 1.0))), ew.neg(lower))


expn_p = special_primitive("expn", *_scipy("expn"), None, _expn_derivative, arity=2)  # n: integer
poch_p = special_primitive(
    "poch", *_scipy("poch"),
    lambda ans, z, m: ew.mul(ans, ew.sub(digamma(ew.add(z, m)), digamma(z))),
    lambda ans, z, m: ew.mul(ans, digamma(ew.add(z, m))), arity=2)
hyp1f1_p = special_primitive(
    "hyp1f1", *_scipy("hyp1f1"),
    not_differentiable("hyp1f1", "a"), not_differentiable("hyp1f1", "b"),
    lambda ans, a, b, x: ew.mul(ew.div(a, b), hyp1f1(ew.add(a, 1.0), ew.add(b, 1.0), x)),
    arity=3)
hyp2f1_p = special_primitive(
    "hyp2f1", *_scipy("hyp2f1"), not_differentiable("hyp2f1", "a"),
    not_differentiable("hyp2f1", "b"), not_differentiable("hyp2f1", "c"),
    lambda ans, a, b, c, x: ew.mul(ew.div(ew.mul(a, b), c),
                                   hyp2f1(ew.add(a, 1.0), ew.add(b, 1.0), ew.add(c, 1.0), x)),
    arity=4)

# --- Bessel functions -----------------------------------------------------------------------


def _order(v, shift):
    return ew.add(v, _full_like(shift, v))


def _sign(x):
    return ew.sign(x)


def _over(first_order, x):
    """``f(x) / x`` for a first-order Bessel function ``f`` (i1, i1e, j1: ``f(x) ~ x/2``),
    the derivatives use it in ``f' = f_0 - f / x``. Near 0 it is 1/2 (to ``x**2 / 16``),
    which also holds where ``f(x)`` underflows."""
    at_zero = ew.lt(ew.abs(x), _full_like(1e-8, x))
    return ew.select(at_zero, _full_like(0.5, x),
                     ew.div(first_order, ew.select(at_zero, _full_like(1.0, x), x)))


iv_p = special_primitive(
    "iv", *_scipy("iv"), not_differentiable("iv", "v", ", the order"),
    lambda ans, v, x: ew.mul(ew.add(iv(_order(v, -1.0), x), iv(_order(v, 1.0), x)), 0.5),
    arity=2)
ive_p = special_primitive(
    "ive", *_scipy("ive"), not_differentiable("ive", "v", ", the order"),
    lambda ans, v, x: ew.sub(ew.mul(ew.add(ive(_order(v, -1.0), x), ive(_order(v, 1.0), x)), 0.5),
                             ew.mul(_sign(x), ans)), arity=2)
jv_p = special_primitive(
    "jv", *_scipy("jv"), not_differentiable("jv", "v", ", the order"),
    lambda ans, v, x: ew.mul(ew.sub(jv(_order(v, -1.0), x), jv(_order(v, 1.0), x)), 0.5),
    arity=2)
yv_p = special_primitive(
    "yv", *_scipy("yv"), not_differentiable("yv", "v", ", the order"),
    lambda ans, v, x: ew.mul(ew.sub(yv(_order(v, -1.0), x), yv(_order(v, 1.0), x)), 0.5),
    arity=2)
yn_p = special_primitive(
    "yn", *_scipy("yn"), None,  # the order of yn is an integer
    lambda ans, n, x: ew.mul(ew.sub(yn(_order(n, -1.0), x), yn(_order(n, 1.0), x)), 0.5),
    arity=2)
i0_p = special_primitive("i0", *_scipy("i0"), lambda ans, x: i1(x))
i1_p = special_primitive("i1", *_scipy("i1"), lambda ans, x: ew.sub(i0(x), _over(ans, x)))
i0e_p = special_primitive("i0e", *_scipy("i0e"),
                          lambda ans, x: ew.sub(i1e(x), ew.mul(_sign(x), ans)))
i1e_p = special_primitive(
    "i1e", *_scipy("i1e"),
    lambda ans, x: ew.sub(ew.sub(i0e(x), _over(ans, x)), ew.mul(_sign(x), ans)))
j0_p = special_primitive("j0", *_scipy("j0"), lambda ans, x: ew.neg(j1(x)))
j1_p = special_primitive("j1", *_scipy("j1"), lambda ans, x: ew.sub(j0(x), _over(ans, x)))
y0_p = special_primitive("y0", *_scipy("y0"), lambda ans, x: ew.neg(y1(x)))
y1_p = special_primitive("y1", *_scipy("y1"), lambda ans, x: ew.sub(y0(x), _over(ans, x)))

(zeta, gammaln, digamma, gamma, rgamma, gammasgn, beta, betaln, binom, gammainc_grad_a,
 gammainc, gammaincc, betainc_grad_a, betainc_grad_b, betainc, gammaincinv, gammainccinv,
 betaincinv, betainccinv, stdtrit, erfinv, erfcinv, ndtr, ndtri, log_ndtr, spence, exp1, expi,
 expn, poch, hyp1f1, hyp2f1, iv, ive, jv, yv, yn, i0, i1, i0e, i1e, j0, j1, y0, y1) = map(
    _operation, (
        zeta_p, gammaln_p, digamma_p, gamma_p, rgamma_p, gammasgn_p, beta_p, betaln_p, binom_p,
        gammainc_grad_a_p, gammainc_p, gammaincc_p, betainc_grad_a_p, betainc_grad_b_p,
        betainc_p, gammaincinv_p, gammainccinv_p, betaincinv_p, betainccinv_p, stdtrit_p,
        erfinv_p, erfcinv_p, ndtr_p, ndtri_p, log_ndtr_p, spence_p, exp1_p, expi_p, expn_p,
        poch_p, hyp1f1_p, hyp2f1_p, iv_p, ive_p, jv_p, yv_p, yn_p, i0_p, i1_p, i0e_p, i1e_p,
        j0_p, j1_p, y0_p, y1_p))
