"""One background thread that compiles kernels, in the order they were asked for.

jit's tiered execution hands numba's work to this thread (see functrans.transforms.jit).
One thread, not one per kernel: numba compiles under a global lock anyway, so more
threads would only wait, and a queue compiles first what was called first.

The thread is a daemon: a process that ends while a kernel is compiling does not wait for
it (the interpreter tier served its calls). It runs at the process's priority: at the
lowest (``nice`` 19, which Linux applies per thread) a compile on a busy shared machine
did not finish in two minutes, while the calls it would have sped up ran on.
"""
import atexit
import collections
import logging
import sys
import threading

_jobs = collections.deque()
_idle_jobs = collections.deque()
_condition = threading.Condition()
_worker = None
_stopping = False


def submit(job):
    """Run ``job()`` on the compile thread, after the jobs submitted before it."""
    _add(_jobs, [job])


def submit_when_idle(jobs):
    """Run each of ``jobs`` on the compile thread when no job of :func:`submit` waits: a
    kernel asked for meanwhile waits for one of them at most."""
    _add(_idle_jobs, jobs)


def _add(queue, jobs):
    global _worker
    with _condition:
        queue.extend(jobs)
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="functrans-compile", daemon=True)
            _worker.start()
        _condition.notify()


#: The interpreter's GIL switch interval while the compile thread works (Python's default is
#: 5 ms). numba's type inference holds the GIL; every NumPy call of the caller's thread
#: releases it and then waits up to the interval to get it back, so an interpreted training
#: step of ~100 primitives took 200-350 ms instead of 1 ms beside a compile. With 0.1 ms
#: the caller waits a twentieth as long; the compile yields more often.
SWITCH_INTERVAL = 1e-4


def _work():
    saved_interval = None
    while True:
        with _condition:
            if not _jobs and not _idle_jobs and saved_interval is not None:
                sys.setswitchinterval(saved_interval)  # idle: give back Python's setting
                saved_interval = None
            while not _jobs and not _idle_jobs and not _stopping:
                _condition.wait()
            if _stopping:
                return
            job = (_jobs or _idle_jobs).popleft()
        if saved_interval is None:
            saved_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(saved_interval, SWITCH_INTERVAL))
        try:
            job()
        except Exception:  # a job reports its own errors; the thread serves the next one
            logging.getLogger("functrans.jit").exception("functrans: a background job failed")


@atexit.register
def _stop():
    """At exit, start no further compiles (the one running, if any, is abandoned)."""
    global _stopping
    with _condition:
        _stopping = True
        _jobs.clear()
        _idle_jobs.clear()
        _condition.notify_all()
