"""One background thread that compiles kernels, in the order they were asked for.

jit's tiered execution hands numba's work to this thread (see functrans.transforms.jit).
One thread, not one per kernel: numba compiles under a global lock anyway, so more
threads would only wait, and a queue compiles first what was called first.

The thread is a daemon: a process that ends while a kernel is compiling does not wait for
it (the interpreter tier served its calls). It runs at the lowest scheduling priority
(Linux applies ``nice`` per thread), so that on a small machine the user's own work and
its BLAS threads keep the cores; the compile takes what they leave.
"""
import atexit
import collections
import os
import threading

_jobs = collections.deque()
_condition = threading.Condition()
_worker = None
_stopping = False


def submit(job):
    """Run ``job()`` on the compile thread, after the jobs submitted before it."""
    global _worker
    with _condition:
        _jobs.append(job)
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="functrans-compile", daemon=True)
            _worker.start()
        _condition.notify()


def _work():
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):  # not Linux, or not permitted: the default priority
        pass
    while True:
        with _condition:
            while not _jobs and not _stopping:
                _condition.wait()
            if _stopping:
                return
            job = _jobs.popleft()
        job()


@atexit.register
def _stop():
    """At exit, start no further compiles (the one running, if any, is abandoned)."""
    global _stopping
    with _condition:
        _stopping = True
        _jobs.clear()
        _condition.notify_all()
