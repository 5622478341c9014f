"""NumPy's own BLAS, bound for the matrix products of generated kernels.

numba's ``np.dot`` calls the BLAS that SciPy ships. NumPy's wheels ship another OpenBLAS,
built apart and often newer, and the products of the NumPy code a kernel replaces run on
that one. On this project's benchmark machine, its sgemm took 1.13 ms for a 128×784 by
784×512 float32 product on one thread where SciPy's took 1.29 ms (0.60 against 0.66 ms on
two threads): W3's float32 step lost its lead over hand-written NumPy there. Calling NumPy's
library also keeps one BLAS thread pool in the process: each OpenBLAS keeps its threads
spinning for a while after a call, so two of them alternating take the cores from each other.

:func:`bind` finds the ILP64 CBLAS ``?gemm`` and ``?gemv`` of the OpenBLAS in NumPy's wheel
and binds the external symbols ``functrans_cblas_?gemm`` and ``functrans_cblas_?gemv``
(declared in functrans.lowering.blas, called by its products) to them. With a NumPy built
against another BLAS (a conda MKL build, Accelerate) nothing is bound, and
functrans.lowering.blas uses numba's ``np.dot`` instead; :func:`provider` names which one a
process uses, and is part of every kernel's cache key.
"""
import ctypes
import functools
import glob
import os

import numpy as np

#: the routines kernels call, by BLAS name (type letter and routine): their symbol names
SYMBOLS = {letter + routine: f"functrans_cblas_{letter}{routine}"
           for letter in "sdcz" for routine in ("gemm", "gemv")}

#: the CBLAS names of NumPy's 64-bit-integer OpenBLAS builds, newest first ({} the routine)
_CBLAS_NAMES = ("scipy_cblas_{}64_", "cblas_{}64_")


def _bundled_libraries():
    """The OpenBLAS files of NumPy's wheel (Linux and Windows: ``numpy.libs`` beside the
    package; macOS: ``numpy/.dylibs``)."""
    package = os.path.dirname(np.__file__)
    directories = (os.path.join(os.path.dirname(package), "numpy.libs"),
                   os.path.join(package, ".dylibs"))
    return sorted(path for directory in directories
                  for path in glob.glob(os.path.join(directory, "*openblas*")))


def _routine_addresses(path):
    """The addresses of the ILP64 CBLAS routines of ``SYMBOLS`` in the library at ``path``,
    or None."""
    try:
        library = ctypes.CDLL(path)
    except OSError:
        return None
    for pattern in _CBLAS_NAMES:
        try:
            return {routine: ctypes.cast(getattr(library, pattern.format(routine)),
                                         ctypes.c_void_p).value
                    for routine in SYMBOLS}
        except AttributeError:
            continue
    return None


@functools.cache
def _found():
    """``(file name, addresses)`` of NumPy's OpenBLAS routines, or None."""
    for path in _bundled_libraries():
        addresses = _routine_addresses(path)
        if addresses is not None:
            return os.path.basename(path), addresses
    return None


def provider():
    """Which BLAS kernels' products call in this process: NumPy's OpenBLAS (by file), or
    numba's ``np.dot`` (SciPy's BLAS)."""
    found = _found()
    return f"numpy:{found[0]}" if found else "numba-np.dot"


@functools.cache
def bind():
    """Bind ``SYMBOLS`` to NumPy's OpenBLAS; whether it was found (once per process)."""
    found = _found()
    if found is None:
        return False
    import llvmlite.binding
    for routine, address in found[1].items():
        llvmlite.binding.add_symbol(SYMBOLS[routine], address)
    return True
