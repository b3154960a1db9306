"""Early stopping of bad trials: asynchronous successive halving.

Successive halving (Jamieson & Talwalkar, 2016) gives every trial a small
budget, keeps the best ``1 / reduction_factor`` of them, multiplies their
budget by ``reduction_factor``, and repeats. The asynchronous version (ASHA,
Li et al., 2018, "A System for Massively Parallel Hyperparameter Tuning") fits
trials that run in parallel and finish at different times: *rungs* sit at
``grace_period * reduction_factor**k`` epochs; when a trial reaches a rung its
metric is recorded there, and the trial continues only if it is in the top
``1 / reduction_factor`` of all values recorded at that rung so far.

The scheduler's state is one small object; the executors host it where their
workers can reach it (in-process for ``serial``, a manager process for
``local``, a Ray actor for ``ray``).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["SuccessiveHalving"]


class SuccessiveHalving:
    """Asynchronous successive halving of trials that report per epoch.

    Args:
        grace_period: epochs every trial gets before it can be stopped (the first rung).
        reduction_factor: ``eta``; rungs at ``grace_period * eta**k`` and only the best ``1/eta``
            at each rung continue.
        max_t: no rungs at or beyond this many epochs (``None``: no limit).
        metric: the metric name (set by the search).
        mode: ``"min"`` or ``"max"`` (set by the search).
        rungs: recorded state ``{milestone: {trial_id: score}}`` to continue from (e.g. when resuming).

    Raises:
        ValueError: for ``grace_period < 1`` or ``reduction_factor <= 1``.

    Examples:
        >>> sh = SuccessiveHalving(grace_period=1, reduction_factor=2, metric="loss", mode="min")
        >>> sh.should_stop("a", 1, 0.5), sh.should_stop("b", 1, 0.9), sh.should_stop("c", 1, 0.1)
        (False, True, False)
    """

    def __init__(self, grace_period: int = 1, reduction_factor: float = 3, max_t: int | None = None,
                 metric: str | None = None, mode: str = "min", rungs: dict | None = None):
        if int(grace_period) < 1:
            raise ValueError(f"SuccessiveHalving: grace_period must be >= 1 epoch, got {grace_period}")
        if not reduction_factor > 1:
            raise ValueError(f"SuccessiveHalving: reduction_factor must be > 1, got {reduction_factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"SuccessiveHalving: mode must be 'min' or 'max', got {mode!r}")
        self.grace_period = int(grace_period)
        self.reduction_factor = float(reduction_factor)
        self.max_t = max_t
        self.metric = metric
        self.mode = mode
        self.rungs: dict[int, dict[str, float]] = {int(m): dict(r) for m, r in (rungs or {}).items()}

    def config(self) -> dict:
        """The settings (to rebuild a fresh scheduler, e.g. inside a Ray actor)."""
        return {"grace_period": self.grace_period, "reduction_factor": self.reduction_factor,
                "max_t": self.max_t, "metric": self.metric, "mode": self.mode}

    def milestones(self, upto: int) -> list[int]:
        """Rung epochs ``<= upto``."""
        out, m = [], self.grace_period
        while m <= upto and (self.max_t is None or m < self.max_t):
            out.append(int(m))
            m = math.ceil(m * self.reduction_factor)
        return out

    def should_stop(self, trial_id: str, iteration: int, value: float) -> bool:
        """Record ``value`` at every rung ``trial_id`` just reached; True when it should stop.

        Args:
            trial_id: the trial.
            iteration: how many epochs it has reported so far (1-based).
            value: its metric now (NaN counts as the worst value).
        """
        score = -float(value) if self.mode == "min" else float(value)
        if not math.isfinite(score):  # NaN/diverged is the worst; finite so percentiles stay finite
            score = -1e300 if math.isnan(score) or score < 0 else 1e300
        stop = False
        for m in self.milestones(int(iteration)):
            rung = self.rungs.setdefault(m, {})
            if trial_id in rung:
                continue
            rung[trial_id] = score
            cutoff = np.percentile(np.array(list(rung.values())), (1 - 1 / self.reduction_factor) * 100)
            if score < cutoff:
                stop = True
        return stop
