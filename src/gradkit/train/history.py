"""``History``: what ``fit`` returns, one value per epoch for every logged quantity.

Keys follow Keras: ``loss`` and metric names for the training set, ``val_loss`` and
``val_<metric>`` for the dev (validation) set, and ``lr``.

Examples:
    >>> h = History()
    >>> h.append(0, {"loss": 0.9, "val_loss": 1.0})
    >>> h.append(1, {"loss": 0.5, "val_loss": 0.7})
    >>> h["val_loss"], h.best("val_loss")
    ([1.0, 0.7], (1, 0.7))
"""

from __future__ import annotations

import csv


class History:
    """Per-epoch logs: ``history.history[key]`` is a list with one value per epoch."""

    def __init__(self):
        self.history: dict = {}
        self.epoch: list = []
        self.interrupted = False
        self.diagnosis = None  # the bias/variance report a gk.diagnose.BiasVarianceVerdict callback attaches
        # explicit optimizer hyperparameter changes fit applied (``fit(..., resume=ckpt, lr=...)``), in order:
        # ``{"epoch": e, "batch": b, "changes": {name: [old, new]}}`` (the run continues from epoch e, batch b)
        self.overrides: list = []

    def append(self, epoch: int, logs: dict) -> None:
        n = len(self.epoch)
        self.epoch.append(int(epoch))
        for k, v in logs.items():
            col = self.history.setdefault(k, [None] * n)
            col.append(float(v) if isinstance(v, (int, float)) else v)
        for k, col in self.history.items():
            if len(col) < n + 1:
                col.append(None)

    def __getitem__(self, key: str) -> list:
        if key not in self.history:
            raise KeyError(f"no {key!r} in the history; logged: {', '.join(self.history) or 'nothing yet'}")
        return self.history[key]

    def __contains__(self, key) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return len(self.epoch)

    def keys(self):
        return self.history.keys()

    def last(self) -> dict:
        """The logs of the last epoch."""
        return {k: v[-1] for k, v in self.history.items()} if self.epoch else {}

    def best(self, key: str, mode: str = "auto") -> tuple:
        """``(epoch, value)`` of the best value of ``key``.

        ``mode='auto'`` takes the direction the metric declares (``Metric.higher_is_better``: max
        for accuracy, min for losses and errors), from the run's metric objects when ``fit``
        returned this history.
        """
        from .callbacks import _infer_mode, _trainer_metrics

        vals = [(e, v) for e, v in zip(self.epoch, self[key]) if v is not None]
        if not vals:
            raise ValueError(f"no values of {key!r} in the history")
        pick = max if _infer_mode(key, mode, _trainer_metrics(getattr(self, "trainer", None))) == "max" else min
        return pick(vals, key=lambda ev: ev[1])

    def to_csv(self, path) -> None:
        """Write one row per epoch (``epoch`` counted from 1) with every logged key."""
        keys = list(self.history)
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["epoch", *keys])
            for i, e in enumerate(self.epoch):
                w.writerow([e + 1, *(self.history[k][i] for k in keys)])

    def state_dict(self) -> dict:
        return {"epoch": list(self.epoch), "history": {k: list(v) for k, v in self.history.items()},
                "overrides": [dict(o) for o in self.overrides]}

    def load_state_dict(self, state: dict) -> None:
        self.epoch = [int(e) for e in state["epoch"]]
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.overrides = [dict(o) for o in state.get("overrides", [])]  # absent in checkpoints before it existed

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"

    def _repr_html_(self) -> str:
        """A table of the logged values per epoch (Jupyter's rich display)."""
        from .._html import table

        keys = list(self.history)

        def cell(v):
            return "-" if v is None else (f"{v:.4g}" if isinstance(v, float) else v)

        rows = [[e + 1, *(cell(self.history[k][i]) for k in keys)] for i, e in enumerate(self.epoch)]
        note = " (interrupted)" if self.interrupted else ""
        return table(["epoch", *keys], rows, caption=f"History: {len(self.epoch)} epoch(s){note}")
