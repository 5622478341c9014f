"""Tasks over NumPy shards scattered straight to the workers, and shards lost with a worker.

Data that starts in the client's memory goes to the workers the way Dask recommends:
``client.scatter``, client to worker, rather than embedded in the task graph (which sends
it through the scheduler, a second copy and a second hop, and makes Dask warn about a
"large graph"). Results come back the same way, worker to client.

Scattered data has no recipe on the cluster: when a worker dies, the shards it held are
lost and the tasks that needed them are cancelled. The client still holds the arrays, so
it scatters such a shard again and resubmits its task; the tasks are pure, so the result is
the same bits as an undisturbed run. Results that were computed and then lost with a
worker are recomputed by Dask itself (their shard, scattered elsewhere, is still there).
"""
from concurrent.futures import CancelledError

import distributed

from functrans.distributed import cluster, failures

__all__ = ["ShardTasks"]

#: how many times lost shards are sent again before giving up (each round needs a worker
#: to die; a cluster losing workers this fast is failing)
_ROUNDS = 8


class ShardTasks:
    """One task per shard of NumPy arguments: ``task(program, number, count, shard,
    *extra[number])``, its shard scattered to a worker (round robin) beforehand."""

    def __init__(self, current, task, program, arguments, bounds, extra=None):
        self.current, self.task, self.program = current, task, program
        self.arguments, self.bounds = arguments, bounds
        self.extra = extra or [()] * len(bounds)
        self.futures = [None] * len(bounds)
        self._submit(range(len(bounds)))

    def _submit(self, numbers):
        numbers = list(numbers)
        shards = self.current.scatter([self.arguments.shard(*self.bounds[n]) for n in numbers],
                                      hash=False, direct=cluster.direct(self.current))
        for number, shard in zip(numbers, shards):
            self.futures[number] = self.current.submit(
                self.task, self.program, number, len(self.bounds), shard, *self.extra[number],
                pure=False)

    def settled(self, caller):
        """The shards' result futures, all done (finished, or failed with the user's
        error), after sending again the shards that were lost with a worker."""
        for _ in range(_ROUNDS):
            try:
                distributed.wait(self.futures)
            except CancelledError:      # shards lost with a worker: found below
                pass
            lost = [number for number, future in enumerate(self.futures) if future.cancelled()]
            if not lost:
                return self.futures
            self._submit(lost)
        raise _losing_workers(caller)

    def gather(self, caller, combine=None):
        """The shards' results on the client, or ``combine(futures)``'s (futures of tasks
        on the shards' results, such as a reduction tree)."""
        for _ in range(_ROUNDS):
            futures = self.settled(caller)
            try:
                return failures.gather(self.current, combine(futures) if combine else futures,
                                       caller)
            except CancelledError:      # a worker died after the wait: settle again
                continue
        raise _losing_workers(caller)


def _losing_workers(caller):
    return RuntimeError(f"{caller}: shards were lost with their workers {_ROUNDS} times in a "
                        "row; the cluster is losing workers (see the Dask scheduler's log)")
