"""Which Dask cluster functrans works on, and closing the clusters it started.

``client()`` answers, in this order: the client given; the current ``dask.distributed``
client (one the user made, or one made by ``connect`` or ``local_cluster``); a scheduler
named by Dask's configuration (``scheduler-address``, or the ``DASK_SCHEDULER_ADDRESS``
environment variable); else a new ``LocalCluster`` of worker processes, one per core,
announced once on stderr. Everything functrans starts is closed at interpreter exit, by
``shutdown()``, or at the end of a ``with local_cluster(...)`` block.
"""
import atexit
import os
import sys

import dask
import distributed
from dask.utils import parse_timedelta

from functrans.config import config

__all__ = ["client", "connect", "direct", "local_cluster", "shutdown", "worker_count"]

#: the clients functrans made (each owning its LocalCluster, if it started one)
_started = []


def shutdown():
    """Close every client and local cluster functrans started (it happens at exit too)."""
    while _started:
        started_client = _started.pop()
        try:
            started_client.close()
        except Exception:       # closed already, or its cluster died: nothing left to close
            pass


atexit.register(shutdown)


def _track(started_client):
    _started.append(started_client)
    return started_client


def local_cluster(n_workers=None, threads_per_worker=1, **cluster_options):
    """A ``Client`` on a new ``LocalCluster`` of worker processes (default: one per core).

    The workers inherit this process's environment, and get functrans' current cache
    directory (``functrans.config.cache_dir``), so they share compiled kernels. Each
    worker runs numba's parallel loops on ``threads_per_worker`` threads
    (``NUMBA_NUM_THREADS``), as Dask already limits BLAS and OpenMP to one thread per
    worker thread: one process per core, none oversubscribing the cores. The cluster
    closes with the client: at the end of a ``with`` block, on ``client.close()``, or at
    exit. Other keywords go to ``dask.distributed.LocalCluster``.

    >>> with local_cluster(2) as client:                          # doctest: +SKIP
    ...     squares = dmap(lambda x: x * x)(np.arange(10.0))
    """
    n_workers = n_workers or os.cpu_count() or 1
    environment = dict(cluster_options.pop("env", {}))
    environment.setdefault("FUNCTRANS_CACHE_DIR", str(config.cache_dir))
    environment.setdefault("NUMBA_NUM_THREADS", str(threads_per_worker))
    cluster_options.setdefault("dashboard_address", None)
    cluster_options.setdefault("processes", True)
    started_client = distributed.Client(
        n_workers=n_workers, threads_per_worker=threads_per_worker, env=environment,
        **cluster_options)
    return _track(started_client)


def _default_timeout():
    return parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), default="s")


def connect(address, timeout=None):
    """A ``Client`` of the Dask scheduler at ``address`` (``"tcp://host:8786"``), made the
    current client so that ``dmap`` and friends run there.

    ``timeout`` (seconds, or a string such as ``"30s"``) bounds the wait for the scheduler;
    the default is Dask's ``distributed.comm.timeouts.connect``.

    >>> client = connect("tcp://scheduler.example.org:8786", timeout=10)  # doctest: +SKIP
    """
    seconds = _default_timeout() if timeout is None else parse_timedelta(timeout, default="s")
    try:
        connected = distributed.Client(address, timeout=seconds)
    except (OSError, TimeoutError) as error:
        raise ConnectionError(
            f"functrans.distributed.connect: no Dask scheduler answered at {address!r} within "
            f"{seconds:g} s ({type(error).__name__}: {error}). Check the address, start a "
            f"scheduler there (`dask scheduler`, then `dask worker {address}` on each "
            "machine), or wait longer with connect(address, timeout=...)") from None
    return _track(connected)


def client(given=None):
    """The ``dask.distributed.Client`` to run on; see the module docstring."""
    if given is not None:
        return given
    try:
        return distributed.default_client()
    except ValueError:
        pass
    address = dask.config.get("scheduler-address", None)
    if address:
        return connect(address)
    started = local_cluster()
    workers = len(started.nthreads())
    print(f"functrans.distributed: no Dask client was found, so it started a LocalCluster of "
          f"{workers} worker process{'es' if workers != 1 else ''} (one per core), closed at "
          "exit; use functrans.distributed.connect('tcp://host:8786') for a real cluster",
          file=sys.stderr)
    return started


def worker_count(current):
    """How many tasks ``current``'s cluster runs at once (its workers' threads)."""
    return sum(current.nthreads().values())


def direct(current):
    """Whether data moves between ``current`` and the workers directly, not through the
    scheduler: the client's ``direct_to_workers`` if it was set
    (``Client(direct_to_workers=False)`` when the client cannot reach the workers), else yes."""
    return current.direct_to_workers is not False
