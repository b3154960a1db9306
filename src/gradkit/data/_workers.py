"""Parallel loading for ``DataLoader(num_workers=N)``: worker processes (or threads), the
``get_worker_info()`` they see, and the seeds they draw from.

Protocol. The main process decides every epoch's batches (indices) itself, so the order never
depends on the workers; batch ``b`` goes to worker ``b % N`` through that worker's task queue,
results come back on one result queue and are handed out in batch order. At most
``prefetch_factor * N`` batches are in flight. Data travels through multiprocessing pipes
(pickled in memory, never written to a file); Tensors travel as their arrays.

Randomness. Before each batch a worker process reseeds gradkit's global generator (and
Python's ``random`` and NumPy's legacy global RNG, which a user's augmentation may use) with a
seed derived from the epoch's base seed and the batch's index. A batch's random augmentation
therefore depends only on (base seed, batch index): the same for any number of workers, and
the same when an interrupted epoch is resumed. ``get_worker_info().seed`` is ``base_seed +
worker id``, as in PyTorch.

Lifetime. Workers are daemons; each also watches its parent and exits when the parent is gone
(no orphans after a crash or ``kill -9``); the main side notices a dead worker and raises.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import random
import sys
import threading
import time
import traceback

import numpy as np

from ..random import default_generator
from ..tensor import Tensor

_local = threading.local()
_POLL = 0.25  # seconds between liveness checks while waiting
END_OF_STREAM = "__gradkit_end_of_stream__"  # what a worker sends when its IterableDataset is exhausted


class WorkerInfo:
    """What a worker knows about itself (``torch.utils.data.get_worker_info()``).

    Attributes:
        id: the worker's index in ``[0, num_workers)``.
        num_workers: the number of workers.
        seed: ``base_seed + id``, the seed the worker's generators started from.
        dataset: the worker's copy of the dataset (shard an IterableDataset with ``id``).
    """

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, id: int, num_workers: int, seed: int, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self) -> str:
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker, its :class:`WorkerInfo`; in the main process, ``None``.

    Example:
        >>> get_worker_info() is None
        True
    """
    return getattr(_local, "info", None)


def batch_seed(base_seed: int, index: int) -> int:
    """The seed of batch ``index`` of an epoch whose base seed is ``base_seed`` (a 63-bit int).

    Example:
        >>> batch_seed(1, 2) == batch_seed(1, 2) != batch_seed(1, 3)
        True
    """
    return int(np.random.SeedSequence([int(base_seed), int(index)]).generate_state(1, np.uint64)[0] >> np.uint64(1))


def _seed_process_rngs(seed: int) -> None:
    default_generator.manual_seed(int(seed))
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)


class _WireTensor:
    """A Tensor on its way through a pipe: its array only."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array


def to_wire(obj):
    """``obj`` with every Tensor replaced by its array (for a pipe)."""
    if isinstance(obj, Tensor):
        return _WireTensor(obj.array)
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(to_wire(x) for x in obj)
    if isinstance(obj, list):
        return [to_wire(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_wire(v) for k, v in obj.items()}
    return obj


def from_wire(obj):
    """Undo :func:`to_wire`."""
    if isinstance(obj, _WireTensor):
        return Tensor(obj.array)
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(from_wire(x) for x in obj)
    if isinstance(obj, list):
        return [from_wire(x) for x in obj]
    if isinstance(obj, dict):
        return {k: from_wire(v) for k, v in obj.items()}
    return obj


def _worker_loop(fetcher, tasks, results, wid, nworkers, base_seed, init_fn, parent_pid, is_process):
    """A worker's life: set its info and seeds, run ``worker_init_fn``, then fetch batches until told to stop."""
    _local.info = WorkerInfo(wid, nworkers, base_seed + wid, fetcher.dataset)
    if is_process:
        _seed_process_rngs(base_seed + wid)
    try:
        if init_fn is not None:
            init_fn(wid)
    except Exception:  # noqa: BLE001 - reported to the main process
        results.put((None, (wid, -1), False, f"worker_init_fn failed in worker {wid}:\n{traceback.format_exc()}"))
        return
    streams = {}  # an IterableDataset's iterator per epoch tag
    while True:
        try:
            task = tasks.get(timeout=_POLL)
        except queue.Empty:
            if is_process and os.getppid() != parent_pid:
                return  # the parent is gone: do not linger as an orphan
            continue
        if task is None:
            return
        tag, key, indices, seed = task
        try:
            if is_process and seed is not None:
                _seed_process_rngs(seed)
            if indices is None:  # the next batch of an IterableDataset
                if tag not in streams:
                    streams.clear()
                    streams[tag] = iter(fetcher.dataset)
                payload = fetcher.next_from(streams[tag])
            else:
                payload = fetcher.fetch(indices)
            results.put((tag, key, True, to_wire(payload)))
        except Exception:  # noqa: BLE001 - reported to the main process
            results.put((tag, key, False, f"in DataLoader worker {wid}:\n{traceback.format_exc()}"))


def _default_context():
    if sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods():
        return mp.get_context("fork")  # the dataset is inherited, not pickled; scripts need no main guard
    return mp.get_context()


class WorkerPool:
    """``num_workers`` workers fetching batches for one DataLoader.

    Args:
        fetcher: an object with ``dataset``, ``fetch(indices)`` and ``next_from(iterator)``.
        num_workers: how many workers.
        base_seed: the seed base of the workers' generators.
        worker_init_fn: called in each worker with its id before any batch.
        context: ``"thread"`` for threads, a multiprocessing context or start-method name, or
            ``None`` (fork on Linux, the platform's default elsewhere).
        prefetch_factor: batches in flight per worker.
        timeout: seconds to wait for a batch before raising (0: wait as long as the workers live).
    """

    def __init__(self, fetcher, num_workers, base_seed, worker_init_fn, context, prefetch_factor, timeout):
        self.num_workers = num_workers
        self.inflight = max(1, prefetch_factor * num_workers)
        self.timeout = timeout
        self.threads = context == "thread"
        if self.threads:
            self.results = queue.Queue()
            self.tasks = [queue.Queue() for _ in range(num_workers)]
            self.workers = [threading.Thread(target=_worker_loop, daemon=True, name=f"gradkit-loader-{w}",
                                             args=(fetcher, self.tasks[w], self.results, w, num_workers, base_seed,
                                                   worker_init_fn, os.getpid(), False))
                            for w in range(num_workers)]
        else:
            ctx = mp.get_context(context) if isinstance(context, str) else (context or _default_context())
            self.results = ctx.Queue()
            self.tasks = [ctx.Queue() for _ in range(num_workers)]
            self.workers = [ctx.Process(target=_worker_loop, daemon=True, name=f"gradkit-loader-{w}",
                                        args=(fetcher, self.tasks[w], self.results, w, num_workers, base_seed,
                                              worker_init_fn, os.getpid(), True))
                            for w in range(num_workers)]
        for w in self.workers:
            w.start()
        self.closed = False

    def _get(self):
        start = time.monotonic()
        while True:
            try:
                return self.results.get(timeout=_POLL)
            except queue.Empty:
                dead = [w for w in self.workers if not w.is_alive()]
                if dead:
                    self.shutdown()
                    who = ", ".join(f"{w.name} (pid {getattr(w, 'pid', None)}, exit code {getattr(w, 'exitcode', None)})"
                                    for w in dead)
                    raise RuntimeError(f"DataLoader worker(s) exited unexpectedly: {who}") from None
                if self.timeout and time.monotonic() - start > self.timeout:
                    raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds waiting for a batch")

    def _check(self, item):
        tag, key, ok, payload = item
        if not ok:
            self.shutdown()
            raise RuntimeError(f"DataLoader worker error {payload}")
        return tag, key, payload

    def map(self, tag, jobs):
        """Yield ``(key, batch)`` for ``jobs`` (a list of ``(key, indices, seed)``) in their order."""
        n = len(jobs)
        buffer = {}
        sent = 0
        for k in range(n):
            while sent < n and sent < k + self.inflight:
                key, indices, seed = jobs[sent]
                self.tasks[sent % self.num_workers].put((tag, key, indices, seed))
                sent += 1
            want = jobs[k][0]
            while want not in buffer:
                t, key, payload = self._check(self._get())
                if t == tag:
                    buffer[key] = payload
            yield want, from_wire(buffer.pop(want))

    def stream(self, tag):
        """Yield the batches of an IterableDataset: one from each worker in turn until all are done."""
        credits = max(1, self.inflight // self.num_workers)
        sent = [0] * self.num_workers
        got = [0] * self.num_workers
        for w in range(self.num_workers):
            for _ in range(credits):
                self.tasks[w].put((tag, (w, sent[w]), None, None))
                sent[w] += 1
        buffer = {}
        order = list(range(self.num_workers))
        pos = 0
        while order:
            w = order[pos % len(order)]
            want = (w, got[w])
            while want not in buffer:
                t, key, payload = self._check(self._get())
                if t == tag:
                    buffer[key] = payload
            payload = buffer.pop(want)
            got[w] += 1
            if isinstance(payload, str) and payload == END_OF_STREAM:
                order.remove(w)
                continue
            self.tasks[w].put((tag, (w, sent[w]), None, None))
            sent[w] += 1
            pos = order.index(w) + 1
            yield from_wire(payload)

    def shutdown(self) -> None:
        """Stop the workers (idempotent)."""
        if self.closed:
            return
        self.closed = True
        for q in self.tasks:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for w in self.workers:
            w.join(timeout=2.0)
            if not self.threads and w.is_alive():
                w.terminate()
                w.join(timeout=1.0)
        if not self.threads:
            for q in (*self.tasks, self.results):
                q.cancel_join_thread()
                q.close()

    def __del__(self):
        try:
            self.shutdown()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
