"""Where trials run: in this process, in local worker processes, or on a Ray cluster.

Every executor takes a list of :class:`~gradkit.tune.trial.TrialJob` and yields
each trial's record *as it finishes* (so the search can append it to the
results file at once). The worker side is always
:func:`~gradkit.tune.trial.run_trial`, which turns a crashing ``train_fn`` into a
``"failed"`` record.

- :class:`SerialExecutor` (``executor="serial"``): one trial after another in
  this process; for debugging (breakpoints work, ``train_fn`` may be a lambda).
- :class:`LocalExecutor` (``executor="local"``, the default): a
  ``concurrent.futures.ProcessPoolExecutor`` on the ``spawn`` start method, one
  trial per CPU core by default. Because workers are spawned, ``train_fn`` must
  be importable (a module-level function) and a script must guard its entry
  point with ``if __name__ == "__main__":``: each worker runs the main script
  again (as module ``__mp_main__``) before its first trial, and a search
  called outside the guard would start again in every worker. The search
  checks this before any worker starts (it reads the script and finds the
  line that called it) and raises a :class:`RuntimeError` that says so; a
  worker that reaches the search anyway refuses to start it.
- :class:`RayExecutor` (``executor="ray"``): each trial is a Ray task
  (``num_cpus=1`` by default); Ray does the scheduling, on a local instance it
  starts (files under a temporary folder, shut down afterwards) or on an existing
  cluster given by ``address``. Needs ``pip install gradkit[ray]``.

The successive-halving scheduler's state is hosted where workers can reach it:
in-process, in a ``multiprocessing`` manager process, or in a Ray actor.
"""

from __future__ import annotations

import ast
import inspect
import multiprocessing as mp
import os
import secrets
import shutil
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.managers import BaseManager
from typing import Iterator

from .schedulers import SuccessiveHalving
from .trial import TrialJob, run_trial, trial_record

__all__ = ["Executor", "SerialExecutor", "LocalExecutor", "RayExecutor", "get_executor"]


def _crash_record(job: TrialJob, error: str, start: float) -> dict:
    """The "failed" record of a trial whose worker died before returning one."""
    return trial_record(job, "failed", start, error=error)


def _timeout_record(job: TrialJob, start: float) -> dict:
    """The "timeout" record of a trial its executor ended from outside (its own timer could not)."""
    return trial_record(job, "timeout", start, error=f"trial {job.trial_id} exceeded trial_timeout={job.timeout:g}s "
                                                      "and its process was ended")


def _backup_deadline(timeout: float) -> float:
    """Seconds after which the driver ends a trial whose in-worker timer did not fire (stuck in C code).

    Generous (twice the limit plus a grace), since a job can wait in the pool's queue behind a
    running one before it starts, and the in-worker timer is the primary limit.
    """
    return 2 * timeout + max(5.0, 0.25 * timeout)


def watch_parent() -> None:
    """Make this worker process exit when its parent (the search's driver) dies, even by SIGKILL.

    Runs in each worker (the process pool's and the scheduler manager's initializer): a daemon
    thread waits on the parent's sentinel (portable: a pipe on POSIX, a handle on Windows) and
    ends the process the moment the parent is gone, so no orphan keeps running a trial.
    """
    import threading
    from multiprocessing.connection import wait as mp_wait

    parent = mp.parent_process()
    if parent is None or getattr(parent, "sentinel", None) is None:
        return

    def watch():
        try:
            mp_wait([parent.sentinel])
        except (OSError, ValueError):
            pass
        os._exit(70)  # the driver is gone: stop at once, whatever the trial is doing

    threading.Thread(target=watch, name="gradkit-tune-parent-watch", daemon=True).start()


def _terminate_pool(pool) -> None:
    """End a process pool's workers now (the driver was interrupted or a trial overran its limit)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)


class Executor:
    """Base class: a context manager that runs trial jobs and yields records as they end."""

    name = "base"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self) -> None:
        """Release what :meth:`__enter__` or :meth:`host_scheduler` started."""

    def check_job(self, job: TrialJob) -> None:
        """Raise before any trial starts when ``job`` cannot run on this executor."""

    def host_scheduler(self, scheduler: SuccessiveHalving):
        """Return a handle with ``should_stop(...)`` that workers can call."""
        return scheduler

    def run(self, jobs: list[TrialJob]) -> Iterator[dict]:  # pragma: no cover - abstract
        raise NotImplementedError


class SerialExecutor(Executor):
    """Runs trials one after another in this process (debugging; any callable works)."""

    name = "serial"

    def run(self, jobs):
        for job in jobs:
            yield run_trial(job)


class _SchedulerManager(BaseManager):
    """A manager process holding the shared successive-halving state for local workers."""


_SchedulerManager.register("SuccessiveHalving", SuccessiveHalving, exposed=("should_stop", "config"))


_RAY_TOKEN = None


def _process_ray_token() -> str:
    """The auth token of the Ray instances this process starts (one per process, never on disk)."""
    global _RAY_TOKEN
    if _RAY_TOKEN is None:
        _RAY_TOKEN = secrets.token_hex(32)
    return _RAY_TOKEN


def _importable_by_name(fn) -> bool:
    """True when ``fn`` (or the function inside a ``functools.partial``) is reachable as
    ``module.qualname``: what a worker process needs to find it."""
    import functools

    if isinstance(fn, functools.partial):
        fn = fn.func
    mod, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if not mod or not qualname or "<" in qualname:
        return False
    obj = sys.modules.get(mod)
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    return obj is fn


def _workers_rerun_main() -> bool:
    """True when a ``spawn``/``forkserver`` worker runs this process's ``__main__`` again before its
    first task: the rule of :mod:`multiprocessing` (a script run by path or a module run with ``-m``;
    not an interactive session, ``python -c``, or a package's ``__main__.py``)."""
    main = sys.modules.get("__main__")
    if main is None:
        return False
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name is not None:
        return not (name == "__main__" or name.endswith(".__main__"))
    path = getattr(main, "__file__", None)
    return path is not None and os.path.splitext(os.path.basename(path))[0] != "ipython"


def _guard_kind(test) -> str | None:
    """``"eq"`` for ``__name__ == "__main__"`` (either order), ``"ne"`` for ``!=``, else None."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and len(test.comparators) == 1):
        return None
    a, b = test.left, test.comparators[0]

    def is_name(n):
        return isinstance(n, ast.Name) and n.id == "__name__"

    def is_main(n):
        return isinstance(n, ast.Constant) and n.value == "__main__"

    if not ((is_name(a) and is_main(b)) or (is_main(a) and is_name(b))):
        return None
    return {ast.Eq: "eq", ast.NotEq: "ne"}.get(type(test.ops[0]))


def _spans(stmts, lineno: int) -> bool:
    return any(s.lineno <= lineno <= (s.end_lineno or s.lineno) for s in stmts)


def _line_is_guarded(stmts, lineno: int) -> bool:
    """Whether the statement at ``lineno`` runs only when ``__name__ == "__main__"``."""
    for node in stmts:
        if not _spans([node], lineno):
            continue
        if isinstance(node, ast.If):
            kind = _guard_kind(node.test)
            if (kind == "eq" and _spans(node.body, lineno)) or (kind == "ne" and _spans(node.orelse, lineno)):
                return True
        inner = []
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, field, ()) or ():
                inner.extend(child.body if isinstance(child, (ast.excepthandler, ast.match_case)) else [child])
        return _line_is_guarded(inner, lineno)
    return False


def _unguarded_main_call() -> tuple[str, int] | None:
    """``(script, line)`` when this call comes from the top level of ``__main__`` outside an
    ``if __name__ == "__main__":`` block; None when it does not, or when the source cannot be read."""
    main = sys.modules.get("__main__")
    main_dict = getattr(main, "__dict__", None)
    frame = inspect.currentframe()
    try:
        while frame is not None:
            if frame.f_code.co_name == "<module>" and frame.f_globals is main_dict:
                path, lineno = getattr(main, "__file__", None), frame.f_lineno
                break
            frame = frame.f_back
        else:
            return None
    finally:
        del frame
    if not path or lineno is None:
        return None
    try:
        with open(path, "rb") as f:
            tree = ast.parse(f.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return None
    return None if _line_is_guarded(tree.body, lineno) else (path, lineno)


def _in_worker_rerunning_main() -> bool:
    """True inside a worker process that is running the main script again (module ``__mp_main__``)."""
    frame = inspect.currentframe()
    try:
        while frame is not None:
            if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == "__mp_main__":
                return True
            frame = frame.f_back
        return False
    finally:
        del frame


_GUARD_HOWTO = ('Put the script\'s entry point under the guard:\n\n    if __name__ == "__main__":\n        main()\n\n'
                "or use executor='serial' (one process).")


def _check_main_guard(start_method: str) -> None:
    """Refuse a search that workers would start again (see the module docstring)."""
    if _in_worker_rerunning_main():
        raise RuntimeError(
            "tune: this is a worker process of executor='local', running the main script again (as module "
            "'__mp_main__') to find train_fn, and the script called the search again: the call is not inside "
            "an `if __name__ == \"__main__\":` block. " + _GUARD_HOWTO)
    if start_method == "fork" or not _workers_rerun_main():
        return
    where = _unguarded_main_call()
    if where is not None:
        path, lineno = where
        raise RuntimeError(
            f"tune: executor='local' starts worker processes with the {start_method!r} method, and each worker "
            f"first runs the main script {os.path.basename(path)!r} again (as module '__mp_main__'). The search "
            f"is called from line {lineno} of that script outside an `if __name__ == \"__main__\":` block, so "
            f"every worker would run the script's top level and start the search again. " + _GUARD_HOWTO)


class LocalExecutor(Executor):
    """Runs trials in parallel worker processes on this machine.

    Args:
        max_workers: concurrent trials; default one per CPU core (``os.cpu_count()``).
        start_method: ``multiprocessing`` start method; ``"spawn"`` (default) is safe with threads
            and BLAS pools and works the same on Linux, macOS and Windows.
    """

    name = "local"

    def __init__(self, max_workers: int | None = None, start_method: str = "spawn"):
        if max_workers is not None and int(max_workers) < 1:
            raise ValueError(f"max_workers must be >= 1, got {max_workers}")
        self.max_workers = int(max_workers) if max_workers else (os.cpu_count() or 1)
        self.ctx = mp.get_context(start_method)
        self._manager = None

    def check_job(self, job):
        """Refuse, before any worker starts, a ``train_fn`` workers cannot import, and a search that
        spawned workers would start again.

        Raises:
            RuntimeError: when the search is called from the top level of the main script outside an
                ``if __name__ == "__main__":`` block (with a start method that runs the script again in
                each worker), or from a worker that is running the script again.
            TypeError: when ``train_fn`` is a lambda, a nested function, or defined interactively.
        """
        _check_main_guard(self.ctx.get_start_method())
        if not _importable_by_name(job.train_fn):
            raise TypeError(
                f"executor='local' runs trials in separate processes, which import train_fn by name, so it must "
                f"be a function defined at module level (not a lambda or nested function); got {job.train_fn!r}. "
                f"Use executor='serial' to run it in this process.")
        main = sys.modules.get("__main__")
        if getattr(job.train_fn, "__module__", None) == "__main__" and not getattr(main, "__file__", None):
            raise TypeError(
                f"executor='local' spawns worker processes that cannot import {job.train_fn.__qualname__!r} from "
                f"an interactive session; define train_fn in a module (or a script guarded by "
                f"if __name__ == '__main__':) or use executor='serial'")

    def host_scheduler(self, scheduler):
        self._manager = _SchedulerManager(ctx=self.ctx)
        self._manager.start(initializer=watch_parent)
        return self._manager.SuccessiveHalving(**scheduler.config(), rungs=scheduler.rungs)

    def close(self):
        if self._manager is not None:
            self._manager.shutdown()
            self._manager = None

    def _pool(self, n):
        return ProcessPoolExecutor(max_workers=n, mp_context=self.ctx, initializer=watch_parent)

    def run(self, jobs):
        queue = list(jobs)
        broken: list[tuple[TrialJob, float]] = []
        while queue:
            queue = yield from self._run_pool(queue, broken)
        yield from self._rerun_broken(broken)

    def _run_pool(self, jobs, broken):
        """Run ``jobs`` in one pool; returns the jobs to run again in a fresh pool (after a timeout kill).

        An exception in the driver (Ctrl-C) or the search closing this generator ends the workers at
        once instead of waiting for their trials.
        """
        pool = self._pool(min(self.max_workers, len(jobs)))
        t0 = time.time()
        futures = {pool.submit(run_trial, job): job for job in jobs}
        timeout = max((j.timeout or 0 for j in jobs), default=0)
        started: dict = {}
        again: list = []
        ended = False
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=1.0 if timeout else None, return_when=FIRST_COMPLETED)
                for fut in done:
                    job = futures[fut]
                    try:
                        yield fut.result()
                    except BrokenProcessPool:
                        broken.append((job, t0))
                    except Exception as e:  # noqa: BLE001 - e.g. the result could not be sent back
                        yield _crash_record(job, f"{type(e).__name__}: {e}", t0)
                if timeout and pending:
                    now = time.time()
                    for fut in pending:
                        if fut.running():
                            started.setdefault(fut, now)
                    overdue = [f for f in pending if f in started and futures[f].timeout
                               and now - started[f] > _backup_deadline(futures[f].timeout)]
                    if overdue:  # stuck where the in-worker timer cannot reach: end the pool
                        _terminate_pool(pool)
                        ended = True
                        for f in overdue:
                            yield _timeout_record(futures[f], started[f])
                        again = [futures[f] for f in pending if f not in overdue]
                        break
        except BaseException:
            _terminate_pool(pool)
            ended = True
            raise
        finally:
            if not ended:
                pool.shutdown(wait=True, cancel_futures=True)
        return again

    def _rerun_broken(self, broken):
        # A worker died abruptly (os._exit, segfault, out of memory): every trial running in the pool
        # was lost with it. Rerun each alone in a fresh process so only the culprit is marked failed.
        for job, _ in broken:
            start = time.time()
            with self._pool(1) as solo:
                try:
                    yield solo.submit(run_trial, job).result()
                except BrokenProcessPool:
                    yield _crash_record(job, "worker process died abruptly (killed, crashed or out of memory)",
                                        start)


class _RaySchedulerClient:
    """Worker-side handle: forwards ``should_stop`` to the scheduler's Ray actor."""

    def __init__(self, actor):
        self.actor = actor

    def should_stop(self, trial_id, iteration, value):
        import ray
        return ray.get(self.actor.should_stop.remote(trial_id, iteration, value))


def _import_ray():
    try:
        import ray
    except ImportError as e:
        raise ImportError(
            "executor='ray' needs Ray, an optional dependency: pip install \"gradkit[ray]\" "
            "(or pip install ray)") from e
    return ray


class RayExecutor(Executor):
    """Runs each trial as a Ray task, locally or on an existing cluster.

    Args:
        address: an existing cluster (``"auto"``, ``"ray://host:10001"``, ``"host:6379"``); ``None``
            uses an already-initialized Ray, or starts a local instance (``ray.init``) whose files go to
            a fresh temporary folder, and shuts it down at the end (nothing is written to the home folder:
            unless ``RAY_AUTH_*`` variables are set, the private instance gets a fresh auth token via the
            ``RAY_AUTH_TOKEN`` environment variable instead of Ray saving one under ``~/.ray``).
        max_workers: trials in flight at once (default: as many as the cluster has CPUs).
        num_cpus_per_trial: CPUs Ray reserves for each trial task.
        num_gpus_per_trial: GPUs Ray reserves for each trial task.
        ray_init_kwargs: extra arguments for ``ray.init`` when this executor starts Ray.

    Raises:
        ImportError: when Ray is not installed (the message says how to install it).
    """

    name = "ray"

    def __init__(self, address: str | None = None, max_workers: int | None = None, num_cpus_per_trial: float = 1,
                 num_gpus_per_trial: float = 0, ray_init_kwargs: dict | None = None):
        self.ray = _import_ray()
        self.address = address
        self.max_workers = max_workers
        self.num_cpus_per_trial = num_cpus_per_trial
        self.num_gpus_per_trial = num_gpus_per_trial
        self.ray_init_kwargs = dict(ray_init_kwargs or {})
        self._started = False
        self._temp_dir = None
        self._actor = None
        self._ray_env = None  # RAY_* variables before this executor started Ray (restored on close)

    def __enter__(self):
        ray = self.ray
        if self.address is not None:
            ray.init(address=self.address, **self.ray_init_kwargs)
            self._started = True
        elif not ray.is_initialized():
            kw = {"include_dashboard": False, "log_to_driver": True}
            if "_temp_dir" not in self.ray_init_kwargs:
                # Short path: Ray's unix sockets live under it (path length limit ~107 chars).
                self._temp_dir = tempfile.mkdtemp(prefix="gkray-")
                kw["_temp_dir"] = self._temp_dir
            # ray.init leaves RAY_* variables (RAY_AUTH_MODE=token, ...) in os.environ after shutdown;
            # a later private instance then found token mode set without a token and its GCS server
            # crashed ("Check failed: has_token"). Snapshot them now and restore them on close.
            self._ray_env = {k: v for k, v in os.environ.items() if k.startswith("RAY_")}
            if not any(v in os.environ for v in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")):
                # Recent Ray enables token auth for local instances and saves a token in the home folder;
                # give private instances a token in the environment instead (inherited by their workers).
                # One token per process: Ray's driver keeps the first token it loaded, so a fresh token
                # for a second instance in the same process would not match its GCS server.
                os.environ["RAY_AUTH_TOKEN"] = _process_ray_token()
            if self.max_workers and "num_cpus" not in self.ray_init_kwargs:
                kw["num_cpus"] = int(self.max_workers * self.num_cpus_per_trial + 0.999)
            kw.update(self.ray_init_kwargs)
            try:
                ray.init(**kw)
            except BaseException:
                self.close()
                raise
            self._started = True
        return self

    def close(self):
        ray = self.ray
        if self._actor is not None:
            try:
                ray.kill(self._actor)
            except Exception:  # noqa: BLE001 - the cluster may already be gone
                pass
            self._actor = None
        if self._started:
            ray.shutdown()
            self._started = False
        if self._ray_env is not None:
            for k in [k for k in os.environ if k.startswith("RAY_")]:
                if k not in self._ray_env:
                    del os.environ[k]
            os.environ.update(self._ray_env)
            self._ray_env = None
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def host_scheduler(self, scheduler):
        actor_cls = self.ray.remote(num_cpus=0)(SuccessiveHalving)
        self._actor = actor_cls.remote(**scheduler.config(), rungs=scheduler.rungs)
        return _RaySchedulerClient(self._actor)

    def run(self, jobs):
        ray = self.ray
        task = ray.remote(num_cpus=self.num_cpus_per_trial, num_gpus=self.num_gpus_per_trial, max_retries=0)(
            run_trial)
        limit = self.max_workers or max(1, int(ray.cluster_resources().get("CPU", 1) // self.num_cpus_per_trial))
        queue = list(jobs)
        in_flight: dict = {}
        try:
            while queue or in_flight:
                while queue and len(in_flight) < limit:
                    job = queue.pop(0)
                    in_flight[task.remote(job)] = (job, time.time())
                timeout = max((j.timeout or 0 for j, _ in in_flight.values()), default=0)
                ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=1.0 if timeout else None)
                for ref in ready:
                    job, start = in_flight.pop(ref)
                    try:
                        yield ray.get(ref)
                    except Exception as e:  # noqa: BLE001 - worker died, task error outside run_trial
                        yield _crash_record(job, f"{type(e).__name__}: {e}", start)
                now = time.time()
                for ref, (job, start) in list(in_flight.items()):
                    if job.timeout and now - start > _backup_deadline(job.timeout):
                        in_flight.pop(ref)
                        try:
                            ray.cancel(ref, force=True)
                        except Exception:  # noqa: BLE001 - already finished
                            pass
                        yield _timeout_record(job, start)
        finally:
            for ref in in_flight:
                try:
                    ray.cancel(ref, force=True)
                except Exception:  # noqa: BLE001
                    pass


def get_executor(executor="local", max_workers: int | None = None, address: str | None = None,
                 **kwargs) -> Executor:
    """An executor from its name (``"local"``, ``"serial"``, ``"ray"``) or pass an :class:`Executor` through.

    Raises:
        ValueError: for an unknown name. ImportError: for ``"ray"`` without Ray installed.
    """
    if isinstance(executor, Executor):
        return executor
    if executor == "serial":
        return SerialExecutor()
    if executor == "local":
        return LocalExecutor(max_workers=max_workers, **kwargs)
    if executor == "ray":
        return RayExecutor(address=address, max_workers=max_workers, **kwargs)
    raise ValueError(f"unknown executor {executor!r}; expected 'local', 'serial' or 'ray'")
