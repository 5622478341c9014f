"""Keep the memory that jitted steps free inside the process (glibc's malloc).

A jitted training step allocates its outputs and temporaries afresh on every call, and
frees the previous step's. glibc hands freed memory back to the operating system as soon
as more than twice the largest recently freed block lies free at the top of the heap, and
serves blocks of 32 MiB and more by mmap, unmapped again at free. A step whose arrays are a
few megabytes then faults every page of them back in on the next call: W3's float64 step
(two 3.2 MB gradients and updates) faulted 8 MB per step, and on a virtual machine that
returns freed pages to its host it took 7.4–10 ms instead of 3.6 ms.

:func:`retain` raises glibc's thresholds once per process (``mallopt``), on the first call
of a jitted function: blocks under 32 MiB come from the heap, and up to 128 MiB of freed
memory stays mapped for the next step. That is what glibc converges to by itself for a
program that frees large blocks, set from the start. It holds for the whole process (the
user's NumPy code runs faster for it too), and only where the C library is glibc. The
option ``retain_freed_memory`` (``FUNCTRANS_RETAIN_FREED_MEMORY=0``) leaves malloc as it is.
"""
import ctypes
import functools
import sys

#: glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: blocks below this size come from the heap (glibc's largest allowed value on 64 bits)
MMAP_THRESHOLD = 32 << 20
#: freed memory at the top of the heap beyond this goes back to the operating system
TRIM_THRESHOLD = 128 << 20


@functools.cache
def retain():
    """Raise glibc's trim and mmap thresholds (once); whether they were set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # glibc only: other C libraries take mallopt differently
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
