"""Multi-task bookkeeping of the fit loop: per-task metrics on each task's labelled examples and
per-task loss logs (``loss_<task>``). Private to :mod:`gradkit.train`."""

from __future__ import annotations

from ..tensor import Tensor
from . import metrics as metrics_mod


def _task_batch(batch, task, ignore_index):
    """The :class:`~gradkit.train.metrics.BatchOutputs` of ``task``'s labelled examples, or None
    (no output for it, as an auxiliary head in eval mode, or no labelled example)."""
    from ..nn.multitask import labelled_mask

    s = batch.scores.get(task) if isinstance(batch.scores, dict) else None
    if s is None:  # an auxiliary head, dropped in eval mode
        return None
    t = batch.target[task]
    t = t.array if isinstance(t, Tensor) else t
    lab = labelled_mask(t, ignore_index)
    if not bool(lab.all()):
        s, t = s[lab], t[lab]
    return metrics_mod.BatchOutputs(s, t) if len(t) else None


class _TaskMetric(metrics_mod.Metric):
    """A metric on one task of a multi-task model (``<task>_<metric>``), on labelled examples only."""

    def __init__(self, task, inner, ignore_index=-100):
        self.task, self.inner, self.ignore_index = task, inner, int(ignore_index)
        self.name = f"{task}_{inner.name}"
        self.seen = 0

    @property
    def higher_is_better(self):
        return self.inner.higher_is_better

    @property
    def logits(self):
        return self.inner.logits

    @logits.setter
    def logits(self, value):
        self.inner.logits = value

    def reset(self):
        self.inner.reset()
        self.seen = 0

    def update(self, scores, target):
        self.update_batch(metrics_mod.BatchOutputs(scores, target))

    def update_batch(self, batch):
        # the task's labelled part of the batch, shared by every metric of this task
        sub = batch.cached(("task", self.task, self.ignore_index), lambda: _task_batch(batch, self.task,
                                                                                        self.ignore_index))
        if sub is not None:
            self.inner.update_batch(sub)
            self.seen += len(sub.target)

    def result(self):
        return self.inner.result()

    def state_dict(self):
        return {"inner": self.inner.state_dict(), "seen": self.seen}

    def load_state_dict(self, state):
        self.inner.load_state_dict(state["inner"])
        self.seen = int(state["seen"])

    def __copy__(self):
        import copy

        return _TaskMetric(self.task, copy.copy(self.inner), self.ignore_index)


def _add_task_losses(sums: dict, loss_fn) -> None:
    """Accumulate ``loss_<task>`` sums (weighted by labelled examples) from a multi-task loss's last call."""
    counts = loss_fn.last_counts
    for task, li in loss_fn.last_losses.items():
        if li is None:
            continue
        c = counts[task]
        sums[f"task_sum:{task}"] = sums.get(f"task_sum:{task}", 0.0) + float(li.array) * c
        sums[f"task_count:{task}"] = sums.get(f"task_count:{task}", 0) + c


def _task_loss_logs(sums: dict, tasks) -> dict:
    return {f"loss_{t}": sums[f"task_sum:{t}"] / sums[f"task_count:{t}"]
            for t in tasks if sums.get(f"task_count:{t}")}
