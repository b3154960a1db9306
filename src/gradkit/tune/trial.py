"""One trial: the reporter handed to ``train_fn`` and the wrapper that runs it anywhere.

``run_trial(job)`` is what every executor calls (in-process, in a worker
process, or as a Ray task). It never raises for a failing ``train_fn``: the
error text and traceback go into the returned record, so one crashing trial
never stops the others.
"""

from __future__ import annotations

import math
import numbers
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["Reporter", "TrialStopped", "TrialTimeout", "TrialJob", "run_trial", "trial_record"]


class TrialStopped(BaseException):
    """Raised by the reporter inside ``train_fn`` when the scheduler stops the trial.

    It derives from ``BaseException`` so that a ``train_fn`` with a broad
    ``except Exception`` does not swallow it by accident.
    """


class TrialTimeout(BaseException):
    """Raised inside ``train_fn`` when the trial runs past its ``trial_timeout`` (recorded as ``"timeout"``).

    A ``BaseException``, like :class:`TrialStopped`, so a broad ``except Exception`` in
    ``train_fn`` does not swallow it.
    """


class MetricNotReported(ValueError):
    """The searched metric is missing from what ``train_fn`` reports."""


def _number(name: str, v: Any):
    """A reported value as a plain Python number (accepts NumPy scalars, 0-d arrays, Tensors)."""
    if hasattr(v, "item") and not isinstance(v, (numbers.Number, str)):
        try:
            v = v.item()
        except (ValueError, TypeError, AttributeError):
            pass
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        return float(v)
    raise TypeError(f"reporter: metric {name!r} must be a number, got {type(v).__name__} {v!r}")


class Reporter:
    """Collects a trial's per-epoch metrics; ``train_fn`` calls it once per epoch.

    Call it as ``reporter(epoch=3, val_loss=0.41, val_acc=0.88)`` or
    ``reporter.report(...)``. ``epoch`` defaults to the number of earlier reports
    (0-based, like Keras' ``on_epoch_end(epoch, logs)``). When early stopping is
    on and the scheduler decides the trial is bad, the call raises
    :class:`TrialStopped`; let it propagate (the trial is recorded as
    ``"stopped"`` with the epochs it reported).

    Args:
        metric: the searched metric; the first report must contain it.
        trial_id: the trial's id.
        scheduler: an object with ``should_stop(trial_id, iteration, value) -> bool``, or None.
    """

    def __init__(self, metric: str, trial_id: str = "", scheduler=None):
        self.metric = metric
        self.trial_id = trial_id
        self.scheduler = scheduler
        self.reports: list[dict] = []
        self.stopped = False

    def __call__(self, epoch: int | None = None, **metrics) -> None:
        if self.stopped:
            raise TrialStopped(f"trial {self.trial_id} was stopped early")
        if not metrics:
            raise ValueError("reporter: no metrics given; call e.g. reporter(epoch=e, val_loss=0.3)")
        row = {"epoch": len(self.reports) if epoch is None else _number("epoch", epoch)}
        for k, v in metrics.items():
            row[k] = _number(k, v)
        if not self.reports and self.metric not in row:
            raise MetricNotReported(
                f"unknown metric {self.metric!r}: the first report of trial {self.trial_id} has "
                f"{sorted(metrics)}; pass metric= one of these or report {self.metric!r}")
        self.reports.append(row)
        if self.scheduler is not None and self.metric in row:
            if self.scheduler.should_stop(self.trial_id, len(self.reports), row[self.metric]):
                self.stopped = True
                raise TrialStopped(f"trial {self.trial_id} stopped by successive halving at report "
                                   f"{len(self.reports)}")

    report = __call__


@dataclass
class TrialJob:
    """Everything a worker needs to run one trial (picklable when ``train_fn`` is importable)."""

    trial_id: str
    round: int
    index: int
    config: dict
    train_fn: Callable
    metric: str
    scheduler: Any = None
    extra: dict = field(default_factory=dict)
    timeout: float | None = None


def _final_metrics(out, metric: str) -> dict:
    if out is None:
        return {}
    if isinstance(out, dict):
        return {k: _number(k, v) for k, v in out.items()}
    return {metric: _number(metric, out)}


def run_trial(job: TrialJob) -> dict:
    """Run ``job.train_fn(config, reporter)`` and return the trial's record (never raises for its errors).

    Returns:
        dict: ``trial_id, round, index, config, reports, metrics, status ("completed" | "failed" |
        "stopped" | "invalid_metric"), error, traceback, start_time, end_time, duration``.
    """
    reporter = Reporter(job.metric, job.trial_id, job.scheduler)
    start = time.time()
    status, error, tb, final = "completed", None, None, {}
    try:
        final = _final_metrics(_call_with_time_limit(job, reporter), job.metric)
        if reporter.stopped:
            status = "stopped"
        elif not reporter.reports and job.metric not in final:
            raise MetricNotReported(
                f"unknown metric {job.metric!r}: trial {job.trial_id} reported nothing per epoch and returned "
                f"{sorted(final)}; pass metric= one of these or report {job.metric!r}")
    except TrialStopped:
        status = "stopped"
    except TrialTimeout as e:
        status, error = "timeout", str(e)
    except MetricNotReported as e:
        status, error = "invalid_metric", str(e)
    except Exception as e:  # noqa: BLE001 - a crashing trial is recorded, never fatal
        status, error, tb = "failed", f"{type(e).__name__}: {e}", traceback.format_exc()
    except (SystemExit, KeyboardInterrupt) as e:
        # sys.exit() in a train_fn fails its trial; so does a KeyboardInterrupt raised in a worker process.
        # In the driver's own process a KeyboardInterrupt is the user's Ctrl-C: it stops the search.
        import multiprocessing

        if isinstance(e, KeyboardInterrupt) and multiprocessing.parent_process() is None:
            raise
        status, error, tb = "failed", f"{type(e).__name__}: {e}", traceback.format_exc()
    return trial_record(job, status, start, reports=reporter.reports, metrics=final, error=error, traceback=tb)


def _call_with_time_limit(job: TrialJob, reporter):
    """``job.train_fn(config, reporter)``, stopped with :class:`TrialTimeout` after ``job.timeout`` seconds.

    The limit is a ``SIGALRM`` interval timer in the thread that runs the trial (a worker
    process's main thread, a Ray task's, or the driver's for ``executor="serial"``), restored
    afterwards. Where that is impossible (Windows, a non-main thread) the executor's own
    deadline applies (the local and Ray executors end the trial's process).
    """
    import signal
    import threading

    timeout = job.timeout
    if (not timeout or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()):
        return job.train_fn(dict(job.config), reporter)

    def on_alarm(signum, frame):
        raise TrialTimeout(f"trial {job.trial_id} exceeded trial_timeout={timeout:g}s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, float(timeout))
    try:
        return job.train_fn(dict(job.config), reporter)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def trial_record(job: TrialJob, status: str, start: float, *, reports=(), metrics=None, error: str | None = None,
                 traceback: str | None = None) -> dict:
    """The record of one trial as the results file stores it; ends now.

    The one builder of trial records: :func:`run_trial` uses it for every trial that ran, and
    the executors for a trial whose worker crashed before it could return one.

    Args:
        job: the trial's job.
        status: ``"completed"``, ``"failed"``, ``"stopped"``, ``"timeout"`` or ``"invalid_metric"``.
        start: when the trial started (``time.time()``).
        reports: the per-epoch reports.
        metrics: the final metrics (``{}`` when none).
        error: the error text of a failed or invalid trial.
        traceback: the formatted traceback of a failed trial.

    Returns:
        dict: ``trial_id, round, index, config, reports, metrics, status, error, traceback,
        start_time, end_time, duration``.
    """
    end = time.time()
    return {
        "trial_id": job.trial_id, "round": job.round, "index": job.index, "config": dict(job.config),
        "reports": list(reports), "metrics": dict(metrics or {}), "status": status, "error": error,
        "traceback": traceback, "start_time": start, "end_time": end, "duration": end - start,
    }


def trial_value(record: dict, metric: str) -> float:
    """The value a trial is ranked by: its returned ``metric`` or else its last reported one (NaN if none)."""
    if metric in (record.get("metrics") or {}):
        return float(record["metrics"][metric])
    for row in reversed(record.get("reports") or []):
        if metric in row:
            return float(row[metric])
    return math.nan
