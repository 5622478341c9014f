"""Special functions for generated kernels: SciPy's compiled kernels, and what SciPy lacks.

SciPy publishes the C functions behind ``scipy.special``'s ufuncs in
``scipy.special.cython_special``. A kernel calls one through a numba
``ExternalFunction`` that names a symbol (``functrans_sc_gammaln_f64``), and
:func:`register` tells LLVM that symbol's address when the kernel is generated. Calls by
symbol name, unlike calls through ctypes pointers, keep the machine code cacheable on
disk: a new process registers the symbols again (code generation always precedes
loading) and the cached code links to them.

Two functions have no kernel in ``cython_special`` and are written here: the Hurwitz zeta
function (``scipy.special.zeta(s, q)``, which polygamma and digamma's derivative need)
and the derivative of the regularized incomplete gamma function in its shape parameter
(which SciPy does not have at all). Both are plain numba code, compiled once per machine.
"""
import math
import platform
import sys
from fractions import Fraction

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from functrans.lowering.disk_cache import caches_machine_code

_compile = njit(cache=caches_machine_code(__name__), nogil=True)

#: function name -> (its name in scipy.special.cython_special, number of arguments). Every
#: argument and the result are double, or float in the float32 variant where SciPy has one.
CYTHON_KERNELS = {
    "gammaln": ("gammaln", 1), "psi": ("psi", 1), "gamma": ("gamma", 1),
    "rgamma": ("rgamma", 1), "gammasgn": ("gammasgn", 1), "beta": ("beta", 2),
    "betaln": ("betaln", 2), "binom": ("binom", 2), "betainc": ("betainc", 3),
    "gammainc": ("gammainc", 2),
    "gammaincc": ("gammaincc", 2), "gammaincinv": ("gammaincinv", 2),
    "gammainccinv": ("gammainccinv", 2), "betaincinv": ("betaincinv", 3),
    "betainccinv": ("betainccinv", 3), "stdtrit": ("stdtrit", 2), "erfc": ("erfc", 1), "erfinv": ("erfinv", 1),
    "erfcinv": ("erfcinv", 1), "ndtr": ("ndtr", 1), "ndtri": ("ndtri", 1),
    "log_ndtr": ("log_ndtr", 1), "i0": ("i0", 1), "i1": ("i1", 1), "i0e": ("i0e", 1),
    "i1e": ("i1e", 1), "iv": ("iv", 2), "ive": ("ive", 2), "j0": ("j0", 1), "j1": ("j1", 1),
    "jv": ("jv", 2), "y0": ("y0", 1), "y1": ("y1", 1), "yv": ("yv", 2), "yn": ("yn", 2),
    "spence": ("spence", 1), "exp1": ("exp1", 1), "expi": ("expi", 1), "expn": ("expn", 2),
    "poch": ("poch", 2), "hyp1f1": ("hyp1f1", 3), "hyp2f1": ("hyp2f1", 4),
    "erfcx": ("erfcx", 1), "dawsn": ("dawsn", 1), "loggamma": ("loggamma", 1),
    "owens_t": ("owens_t", 2),
}

#: Kernels of one double returning two doubles through pointers: ``fresnel(x, &s, &c)``,
#: ``sici(x, &si, &ci)``. Kernels call them through :func:`fresnel` and :func:`sici` below.
PAIR_KERNELS = ("fresnel", "sici")

_SYMBOL = "functrans_sc_{}_{}"


def _external(name, arity, scalar):
    signature = scalar(*([scalar] * arity), types.intc)
    return types.ExternalFunction(_SYMBOL.format(name, scalar.name), signature)


# One ExternalFunction per kernel and precision: sc_gammaln_float64(x, 0), ...; the last
# argument is Cython's skip_dispatch flag.
_externals = {f"sc_{name}_{scalar.name}": _external(name, arity, scalar)
              for name, (_, arity) in CYTHON_KERNELS.items()
              for scalar in (types.float64, types.float32)}
globals().update(_externals)
_pair_externals = {
    f"sc_{name}_pair": types.ExternalFunction(
        _SYMBOL.format(name, "pair"),
        types.void(types.float64, types.CPointer(types.float64), types.CPointer(types.float64)))
    for name in PAIR_KERNELS}
globals().update(_pair_externals)

_registered = {}


def register(name, dtype):
    """Make SciPy's kernel for ``name`` callable from kernels; the name of the function a
    kernel calls for operands of ``dtype`` (float32 computes in float64 when SciPy has no
    float variant: the kernel then rounds the result once)."""
    key = (name, np.dtype(dtype).name)
    if key not in _registered:
        _registered[key] = _register(name, np.dtype(dtype))
    return _registered[key]


def _register(name, dtype):
    import llvmlite.binding
    from numba.extending import get_cython_function_address
    from scipy.special import cython_special
    cython_name, arity = CYTHON_KERNELS[name]
    capsules = cython_special.__pyx_capi__
    candidates = [cython_name] + [f"__pyx_fuse_{n}{cython_name}" for n in range(4)]
    for precision, c_type in (("float32", "float"), ("float64", "double")):
        if precision == "float32" and dtype != np.float32:
            continue
        wanted = f'"{c_type} (' + ", ".join([c_type] * arity) + ", int __pyx_skip_dispatch)"
        for candidate in candidates:
            if candidate in capsules and wanted in repr(capsules[candidate]):
                address = get_cython_function_address("scipy.special.cython_special", candidate)
                llvmlite.binding.add_symbol(_SYMBOL.format(name, precision), address)
                return f"sc_{name}_{precision}"
    raise LookupError(f"scipy.special.cython_special has no double kernel for {cython_name}")


def register_pair(name):
    """Make SciPy's two-result kernel ``name`` (one of PAIR_KERNELS) callable from kernels."""
    if (name, "pair") not in _registered:
        import llvmlite.binding
        from numba.extending import get_cython_function_address
        from scipy.special import cython_special
        capsules = cython_special.__pyx_capi__
        wanted = '"void (double, double *, double *)"'
        candidate = next(f"__pyx_fuse_{n}{name}" for n in range(4)
                         if wanted in repr(capsules.get(f"__pyx_fuse_{n}{name}")))
        address = get_cython_function_address("scipy.special.cython_special", candidate)
        llvmlite.binding.add_symbol(_SYMBOL.format(name, "pair"), address)
        _registered[(name, "pair")] = candidate


_WOFZ_SYMBOL = "functrans_sc_wofz_complex128"


def register_wofz():
    """Make SciPy's complex kernel ``wofz`` callable from kernels (see :func:`wofz`).

    The call is written for the x86-64 System V convention: elsewhere it is an error at
    compile time, never a wrong value."""
    if platform.machine().lower() not in ("x86_64", "amd64") or sys.platform == "win32":
        raise NotImplementedError(
            "jit of scipy.special.wofz calls SciPy's kernel with the x86-64 System V calling "
            f"convention, and this machine is {platform.machine()} on {sys.platform}; call "
            "functrans.scipy.special.wofz outside jit here (eager, grad and vmap work)")
    if ("wofz", "complex128") not in _registered:
        import llvmlite.binding
        from numba.extending import get_cython_function_address
        address = get_cython_function_address("scipy.special.cython_special", "wofz")
        llvmlite.binding.add_symbol(_WOFZ_SYMBOL, address)
        _registered[("wofz", "complex128")] = "wofz"


@intrinsic
def _call_wofz(typingctx, z):
    """A call of the C function ``double complex wofz(double complex, int)``.

    numba's ExternalFunction takes no complex arguments, so the call is written in LLVM IR
    as C compilers lower it on x86-64 (System V): the argument as two doubles, the result
    as a ``{double, double}`` pair (returned in two registers)."""
    def codegen(context, builder, signature, arguments):
        double = ir.DoubleType()
        function_type = ir.FunctionType(ir.LiteralStructType([double, double]),
                                        [double, double, ir.IntType(32)])
        function = cgutils.get_or_insert_function(builder.module, function_type, _WOFZ_SYMBOL)
        value = context.make_complex(builder, types.complex128, value=arguments[0])
        pair = builder.call(function, [value.real, value.imag, ir.Constant(ir.IntType(32), 0)])
        result = context.make_complex(builder, types.complex128)
        result.real = builder.extract_value(pair, 0)
        result.imag = builder.extract_value(pair, 1)
        return result._getvalue()
    return types.complex128(types.complex128), codegen


@_compile
def wofz(z):
    """``scipy.special.wofz(z)``, the Faddeeva function, by SciPy's kernel."""
    return _call_wofz(np.complex128(z))


# --- Bernoulli numbers for the asymptotic series below -------------------------------------

def _bernoulli_even(count):
    """B_2, B_4, ..., B_2count as Fractions (the Akiyama-Tanigawa algorithm)."""
    size = 2 * count + 1
    row, numbers = [Fraction(0)] * (size + 1), []
    for m in range(size + 1):
        row[m] = Fraction(1, m + 1)
        for j in range(m, 0, -1):
            row[j - 1] = j * (row[j - 1] - row[j])
        numbers.append(row[0])
    return [numbers[2 * k] for k in range(1, count + 1)]


_EVEN_BERNOULLI = _bernoulli_even(12)
#: (2k)! / B_2k for k = 1..12: the Euler-Maclaurin tail of the Hurwitz zeta function
_ZETA_TAIL = np.array([float(math.factorial(2 * k) / b)
                       for k, b in enumerate(_EVEN_BERNOULLI, start=1)])
#: B_2k / (2k) for k = 1..8: the asymptotic series of digamma
_DIGAMMA_TAIL = np.array([float(b / (2 * k)) for k, b in enumerate(_EVEN_BERNOULLI[:8], start=1)])
_EPSILON = np.finfo(np.float64).eps

__all__ = sorted(_externals) + sorted(_pair_externals) + [
    "hurwitz_zeta", "digamma", "gammainc_da", "betainc_grad", "fresnel", "sici", "wofz"]


@_compile
def hurwitz_zeta(s, q):
    """``sum((q + k) ** -s for k >= 0)`` as ``scipy.special.zeta(s, q)``: direct terms until
    ``q + k >= 9``, then the Euler-Maclaurin remainder."""
    if s == 1.0:
        return np.inf
    if s < 1.0 or np.isnan(s) or np.isnan(q):
        return np.nan
    if q <= 0.0:
        if q == math.floor(q):
            return np.inf
        if s != math.floor(s):
            return np.nan  # q ** -s is not real
    total = q ** -s
    a = q
    term = 0.0
    i = 0
    while i < 9 or a <= 9.0:
        i += 1
        a += 1.0
        term = a ** -s
        total += term
        if abs(term / total) < _EPSILON:
            return total
    w = a
    total += term * w / (s - 1.0) - 0.5 * term
    factor = 1.0
    k = 0.0
    for i in range(12):
        factor *= s + k
        term /= w
        correction = factor * term / _ZETA_TAIL[i]
        total += correction
        if abs(correction / total) < _EPSILON:
            break
        k += 1.0
        factor *= s + k
        term /= w
        k += 1.0
    return total


@_compile
def digamma(x):
    """The digamma function for ``x > 0``: recurrence up to 10, then the asymptotic series."""
    shift = 0.0
    while x < 10.0:
        shift -= 1.0 / x
        x += 1.0
    inverse_square = 1.0 / (x * x)
    series = 0.0
    power = inverse_square
    for coefficient in _DIGAMMA_TAIL:
        series += coefficient * power
        power *= inverse_square
    return shift + math.log(x) - 0.5 / x - series


@_compile
def gammainc_da(a, x):
    """``d/da gammainc(a, x)``, the derivative of the regularized lower incomplete gamma
    function in its shape parameter, to about 1e-13 relative.

    Below ``x = a + 1`` it differentiates the series ``P = e^-x x^a sum x^n / (a)_(n+1)``
    term by term; above, the continued fraction of ``Q = 1 - P``, carrying the derivatives
    of the numerators and denominators of its convergents through their recurrence.
    """
    if np.isnan(a) or np.isnan(x) or a <= 0.0 or x < 0.0:
        return np.nan
    if x == 0.0 or np.isinf(x):
        return 0.0
    log_x = math.log(x)
    prefactor = math.exp(a * log_x - x - math.lgamma(a))
    if prefactor == 0.0:
        return 0.0
    log_derivative = log_x - digamma(a)
    if x < a + 1.0:
        term = 1.0 / a
        harmonic = 1.0 / a
        total = term
        total_derivative = -term * harmonic
        for n in range(1, 100000):
            term *= x / (a + n)
            harmonic += 1.0 / (a + n)
            total += term
            total_derivative -= term * harmonic
            if abs(term) <= 0.25 * _EPSILON * abs(total) and \
                    abs(term * harmonic) <= 0.25 * _EPSILON * abs(total_derivative):
                break
        return prefactor * (total * log_derivative + total_derivative)
    # Q = prefactor / K, K = b0 + a1 / (b1 + a2 / (b2 + ...)), b_n = x + 2n + 1 - a,
    # a_n = -n (n - a); convergents A_n / B_n, and their derivatives in a.
    a_previous, b_previous, da_previous, db_previous = 1.0, 0.0, 0.0, 0.0
    a_current, b_current, da_current, db_current = x + 1.0 - a, 1.0, -1.0, 0.0
    value = a_current
    derivative = -1.0
    for n in range(1, 100000):
        coefficient_b = x + 2.0 * n + 1.0 - a
        coefficient_a = -n * (n - a)
        a_next = coefficient_b * a_current + coefficient_a * a_previous
        b_next = coefficient_b * b_current + coefficient_a * b_previous
        da_next = (-a_current + coefficient_b * da_current + n * a_previous
                   + coefficient_a * da_previous)
        db_next = (-b_current + coefficient_b * db_current + n * b_previous
                   + coefficient_a * db_previous)
        scale = 1.0 / b_next
        a_previous, b_previous = a_current * scale, b_current * scale
        da_previous, db_previous = da_current * scale, db_current * scale
        a_current, b_current = a_next * scale, 1.0
        da_current, db_current = da_next * scale, db_next * scale
        new_value = a_current
        new_derivative = da_current - a_current * db_current
        if abs(new_value - value) <= 4 * _EPSILON * abs(new_value) and \
                abs(new_derivative - derivative) <= 4 * _EPSILON * abs(new_derivative):
            value, derivative = new_value, new_derivative
            break
        value, derivative = new_value, new_derivative
    # dP/da = -dQ/da = -prefactor * (log_derivative / K - K' / K^2)
    return -prefactor * (log_derivative - derivative / value) / value


@_compile
def _betainc_fraction_derivatives(a, b, x):
    """``(I, dI/da, dI/db)`` for the regularized incomplete beta function ``I_x(a, b)`` with
    ``x < (a + 1) / (a + b + 2)``, where its continued fraction converges fast.

    ``I = x^a (1-x)^b / (a B(a, b)) / K`` with ``K = 1 + d1 / (1 + d2 / (1 + ...))``; the
    convergents of ``K`` and their derivatives in ``a`` and ``b`` follow one recurrence.
    """
    log_prefactor = (a * math.log(x) + b * math.log1p(-x) - math.log(a)
                     - (math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)))
    prefactor = math.exp(log_prefactor)
    psi_sum = digamma(a + b)
    dlog_da = math.log(x) - 1.0 / a - digamma(a) + psi_sum
    dlog_db = math.log1p(-x) - digamma(b) + psi_sum
    # convergents A_n / B_n of K, and their derivatives in a (_a) and b (_b)
    a0, b0, a0_a, a0_b, b0_a, b0_b = 1.0, 0.0, 0.0, 0.0, 0.0, 0.0
    a1, b1, a1_a, a1_b, b1_a, b1_b = 1.0, 1.0, 0.0, 0.0, 0.0, 0.0
    value, value_a, value_b = 1.0, 0.0, 0.0
    for n in range(1, 100000):
        m = n // 2
        if n % 2:
            d = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d_a = d * (1 / (a + m) + 1 / (a + b + m) - 1 / (a + 2 * m) - 1 / (a + 2 * m + 1))
            d_b = d / (a + b + m)
        else:
            d = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d_a = -d * (1 / (a + 2 * m - 1) + 1 / (a + 2 * m))
            d_b = m * x / ((a + 2 * m - 1) * (a + 2 * m))
        a2 = a1 + d * a0
        b2 = b1 + d * b0
        a2_a = a1_a + d_a * a0 + d * a0_a
        a2_b = a1_b + d_b * a0 + d * a0_b
        b2_a = b1_a + d_a * b0 + d * b0_a
        b2_b = b1_b + d_b * b0 + d * b0_b
        scale = 1.0 / b2  # keep B_n = 1: the ratios and derivative formulas are unchanged
        a0, b0, a0_a, a0_b, b0_a, b0_b = (a1 * scale, b1 * scale, a1_a * scale, a1_b * scale,
                                          b1_a * scale, b1_b * scale)
        a1, b1, a1_a, a1_b, b1_a, b1_b = (a2 * scale, 1.0, a2_a * scale, a2_b * scale,
                                          b2_a * scale, b2_b * scale)
        new_value, new_a, new_b = a1, a1_a - a1 * b1_a, a1_b - a1 * b1_b
        converged = (abs(new_value - value) <= 4 * _EPSILON * abs(new_value)
                     and abs(new_a - value_a) <= 4 * _EPSILON * abs(new_a)
                     and abs(new_b - value_b) <= 4 * _EPSILON * abs(new_b))
        value, value_a, value_b = new_value, new_a, new_b
        if converged:
            break
    result = prefactor / value
    return (result, result * (dlog_da - value_a / value), result * (dlog_db - value_b / value))


@_compile
def betainc_grad(a, b, x, argument):
    """``d/da`` (``argument`` 0) or ``d/db`` (1) of ``betainc(a, b, x)``, to about 1e-13
    relative; by ``I_x(a, b) = 1 - I_(1-x)(b, a)`` where the fraction would converge slowly."""
    if np.isnan(a) or np.isnan(b) or np.isnan(x) or a <= 0.0 or b <= 0.0 or x < 0.0 or x > 1.0:
        return np.nan
    if x == 0.0 or x == 1.0:
        return 0.0
    if x < (a + 1.0) / (a + b + 2.0):
        _, derivative_a, derivative_b = _betainc_fraction_derivatives(a, b, x)
        return derivative_a if argument == 0 else derivative_b
    _, derivative_b, derivative_a = _betainc_fraction_derivatives(b, a, 1.0 - x)
    return -derivative_a if argument == 0 else -derivative_b


@_compile
def fresnel(x, index):
    """``scipy.special.fresnel(x)[index]``: S(x) for index 0, C(x) for index 1."""
    out = np.empty(2)
    sc_fresnel_pair(x, out[0:].ctypes, out[1:].ctypes)  # noqa: F821 (defined from PAIR_KERNELS)
    return out[index]


@_compile
def sici(x, index):
    """``scipy.special.sici(x)[index]``: Si(x) for index 0, Ci(x) for index 1."""
    out = np.empty(2)
    sc_sici_pair(x, out[0:].ctypes, out[1:].ctypes)  # noqa: F821 (defined from PAIR_KERNELS)
    return out[index]
