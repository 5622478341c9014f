"""functrans beyond one machine: data-parallel map and training on Dask.

Installed with ``pip install "functrans[distributed]"`` (it pulls ``dask[distributed]``);
``import functrans`` alone never imports Dask.

- ``dmap(f, in_axes=0, out_axes=0)``: ``vmap``'s contract, each shard of the mapped axis
  one Dask task running ``jit(vmap(f))`` on a worker; NumPy or ``dask.array`` inputs.
- ``value_and_grad(loss, reduce="mean")``: the loss and gradient of a batch-averaged loss,
  computed shard by shard on the workers and tree-reduced there.
- ``minimize(loss, params, optimizer, steps, data=...)``: training with the data
  persisted on the workers; each step ships the parameters and brings back the gradient.
- ``client()``, ``connect(address, timeout=...)``, ``local_cluster(n_workers)``,
  ``shutdown()``: which cluster runs the work.

Workers compile through functrans' disk cache. Every worker process of one machine
compiles a kernel only once (a file lock in the cache directory lets one compile while
the others wait and then load it). Point ``FUNCTRANS_CACHE_DIR`` (set before the workers
start) at a directory local to each machine, or at one shared directory (NFS) so that a
kernel compiled anywhere is loaded everywhere.

>>> import numpy as np, functrans, functrans.numpy as fnp        # doctest: +SKIP
>>> from functrans import distributed
>>> with distributed.local_cluster(2):
...     norms = distributed.dmap(lambda x: fnp.sqrt(fnp.sum(x * x)))(np.ones((1000, 3)))
"""
from functrans.distributed.cluster import client, connect, local_cluster, shutdown
from functrans.distributed.dmap import dmap
from functrans.distributed.gradients import value_and_grad
from functrans.distributed.training import minimize

__all__ = ["client", "connect", "dmap", "local_cluster", "minimize", "shutdown",
           "value_and_grad"]
