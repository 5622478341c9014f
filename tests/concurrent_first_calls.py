"""Run by test_bad_input: 8 threads make the first calls of new jitted functions at once.

Prints "ok" if every thread got NumPy's answer; exits non-zero otherwise.
"""
import sys
import threading

import numpy as np

import functrans
import functrans.numpy as fnp

THREADS = 8
x = np.linspace(-2.0, 2.0, 20000)  # long enough for the vector math support module
shared = functrans.jit(lambda x: fnp.sum(fnp.exp(x) * fnp.tanh(x)))
own = [functrans.jit(lambda x, k=k: fnp.sin(x) * k + fnp.log1p(x * x)) for k in range(THREADS)]
barrier = threading.Barrier(THREADS)
failures = []


def work(k):
    try:
        barrier.wait()
        np.testing.assert_allclose(shared(x), np.sum(np.exp(x) * np.tanh(x)), rtol=1e-12)
        np.testing.assert_allclose(own[k](x), np.sin(x) * k + np.log1p(x * x), rtol=1e-12)
    except BaseException as error:  # noqa: BLE001  (reported to the parent test)
        failures.append(f"thread {k}: {type(error).__name__}: {error}")


threads = [threading.Thread(target=work, args=(k,)) for k in range(THREADS)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
