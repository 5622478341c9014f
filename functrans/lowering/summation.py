"""Summation for generated kernels: a fixed order of additions that LLVM can vectorize.

A loop ``total += value`` adds one value after another: LLVM may not reorder floating-point
additions, so the loop cannot use vector instructions, and its rounding error grows with
the number of terms. Summing in eight interleaved partial sums fixes another order, one
that vector units can follow and that rounds less; the kernel (not the compiler) chooses
it, so results do not depend on compiler flags.
"""
from numba import njit

from functrans.lowering.disk_cache import caches_machine_code

__all__ = ["sum_block"]


@njit(cache=caches_machine_code(__name__), nogil=True)
def sum_block(values, count, zero):
    """The sum of ``values[:count]``: eight partial sums combined pairwise, then the tail.

    ``zero`` is the accumulators' start, of the dtype to sum in.
    """
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = zero
    whole = count - count % 8
    for i in range(0, whole, 8):
        s0 += values[i]
        s1 += values[i + 1]
        s2 += values[i + 2]
        s3 += values[i + 3]
        s4 += values[i + 4]
        s5 += values[i + 5]
        s6 += values[i + 6]
        s7 += values[i + 7]
    total = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    for i in range(whole, count):
        total += values[i]
    return total
