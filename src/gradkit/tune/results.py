"""Trial records, the ``results.jsonl`` file, and :class:`SearchResult`.

Each finished trial is one JSON line in ``<run_dir>/results.jsonl``, appended,
flushed and fsync'ed as soon as the trial ends, so a search killed at any
moment loses at most the trials that were running. Resuming reads the file back
and skips every trial already recorded (matched by round, index and config).

A line holds: ``trial_id``, ``round``, ``index``, ``config``, ``reports`` (one
dict per epoch), ``metrics`` (what ``train_fn`` returned), ``value`` (the
ranked metric), ``status`` (``completed`` / ``failed`` / ``stopped``),
``error``, ``traceback``, ``start_time``, ``end_time`` (Unix seconds) and
``duration`` (seconds). Non-finite metrics are written as ``NaN`` /
``Infinity`` as Python's ``json`` does.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Trial", "ResultsStore", "SearchResult", "config_key"]

RESULTS_FILE = "results.jsonl"


def config_key(round_: int, index: int, config: dict) -> str:
    """The identity of a trial for resuming: its round, index and (canonical JSON) config."""
    return json.dumps([int(round_), int(index), config], sort_keys=True)


@dataclass
class Trial:
    """One finished trial.

    Attributes:
        trial_id: ``"r<round>-<index>"``.
        round: the coarse-to-fine round (0 for random search).
        index: position within its round (the same seed regenerates the same config at each index).
        config: the hyperparameters.
        reports: per-epoch metric dicts, in order (each with ``"epoch"``).
        metrics: the final metrics ``train_fn`` returned (may be empty).
        value: the searched metric's value (returned, else last reported; NaN if none).
        status: ``"completed"``, ``"failed"`` or ``"stopped"``.
        error: ``"ExceptionType: message"`` for a failed trial.
        traceback: the worker's traceback for a failed trial.
        start_time: Unix time the trial started.
        end_time: Unix time it ended.
        duration: seconds.
    """

    trial_id: str
    round: int
    index: int
    config: dict
    reports: list = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    value: float = math.nan
    status: str = "completed"
    error: str | None = None
    traceback: str | None = None
    start_time: float = 0.0
    end_time: float = 0.0
    duration: float = 0.0

    @classmethod
    def from_dict(cls, d: dict) -> "Trial":
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in names})

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def key(self) -> str:
        return config_key(self.round, self.index, self.config)

    def history(self, metric: str) -> list:
        """The per-epoch values of ``metric``."""
        return [r[metric] for r in self.reports if metric in r]


class ResultsStore:
    """Appends trials to ``results.jsonl`` durably and reads them back.

    Args:
        path: the JSON Lines file.
    """

    def __init__(self, path):
        self.path = os.fspath(path)

    def load(self) -> list[Trial]:
        """All recorded trials; a torn last line (a kill mid-write) is cut off and bad lines skipped, with a warning."""
        if not os.path.exists(self.path):
            return []
        self._drop_torn_tail()
        out = []
        with open(self.path, "rb") as f:
            for n, raw in enumerate(f, 1):
                if not raw.strip():
                    continue
                try:
                    d = json.loads(raw.decode("utf-8"))
                    if not isinstance(d, dict):
                        raise TypeError(f"a JSON {type(d).__name__}, expected an object")
                    out.append(Trial.from_dict(d))
                except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as e:
                    warnings.warn(f"{self.path}:{n}: skipping an unreadable trial record ({type(e).__name__}: {e})",
                                  stacklevel=2)
        return out

    def _drop_torn_tail(self) -> None:
        """Cut a last line that has no newline (a kill mid-write), so later appends start on a fresh line."""
        with open(self.path, "rb+") as f:
            data = f.read()
            if not data or data.endswith(b"\n"):
                return
            keep = data.rfind(b"\n") + 1
            warnings.warn(f"{self.path}: dropping an incomplete last trial record ({len(data) - keep} bytes, "
                          f"written when the search was killed); that trial will run again", stacklevel=3)
            f.truncate(keep)
            f.flush()
            os.fsync(f.fileno())

    def append(self, trial: Trial) -> None:
        """Write one trial as a line, then flush and fsync so it survives a kill."""
        line = json.dumps(trial.to_dict(), sort_keys=False)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())


def _better(a: float, b: float, mode: str) -> bool:
    return a < b if mode == "min" else a > b


class SearchResult:
    """The outcome of a search: every trial, the best one, a table and plots.

    Args:
        trials: the finished trials.
        metric: the searched metric.
        mode: ``"min"`` or ``"max"``.
        run_dir: the run folder (results.jsonl, plots).
        spaces: the space searched in each round (one for random search).
        space: the original space.

    Examples:
        >>> res = SearchResult([Trial("r0-0", 0, 0, {"lr": 0.1}, value=0.3)], "loss", "min")
        >>> res.best.config
        {'lr': 0.1}
    """

    def __init__(self, trials: list[Trial], metric: str, mode: str = "min", run_dir: str | None = None,
                 spaces: list[dict] | None = None, space: dict | None = None):
        self.trials = sorted(trials, key=lambda t: (t.round, t.index))
        self.metric = metric
        self.mode = mode
        self.run_dir = run_dir
        self.spaces = list(spaces or [])
        self.space = space if space is not None else (self.spaces[0] if self.spaces else None)

    @classmethod
    def load(cls, run_dir) -> "SearchResult":
        """Read a (finished or interrupted) search back from its run folder.

        Args:
            run_dir: the folder holding ``search.json`` and ``results.jsonl``.

        Raises:
            FileNotFoundError: when ``search.json`` is missing (not a search run folder).
        """
        from .space import space_from_dict
        run_dir = os.fspath(run_dir)
        path = os.path.join(run_dir, "search.json")
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} not found: {run_dir} is not the run folder of a search")
        with open(path, encoding="utf-8") as f:
            settings = json.load(f)
        spaces = [space_from_dict(s, source=path) for s in settings.get("round_spaces", [])]
        return cls(ResultsStore(os.path.join(run_dir, RESULTS_FILE)).load(), settings["metric"], settings["mode"],
                   run_dir=run_dir, spaces=spaces, space=space_from_dict(settings["space"], source=path))

    def by_status(self, status: str) -> list[Trial]:
        """Trials with ``status`` (``"completed"``, ``"failed"``, ``"stopped"``)."""
        return [t for t in self.trials if t.status == status]

    @property
    def completed(self) -> list[Trial]:
        return self.by_status("completed")

    @property
    def failed(self) -> list[Trial]:
        return self.by_status("failed")

    @property
    def stopped(self) -> list[Trial]:
        return self.by_status("stopped")

    def ranked(self, include_stopped: bool = False) -> list[Trial]:
        """Trials with a finite value, best first (completed ones; stopped ones too if asked)."""
        ok = ("completed", "stopped") if include_stopped else ("completed",)
        pool = [t for t in self.trials if t.status in ok and math.isfinite(t.value)]
        return sorted(pool, key=lambda t: t.value, reverse=self.mode == "max")

    @property
    def best(self) -> Trial | None:
        """The best completed trial (a stopped one if none completed; None if no trial has a value)."""
        ranked = self.ranked() or self.ranked(include_stopped=True)
        return ranked[0] if ranked else None

    @property
    def best_config(self) -> dict | None:
        """The best trial's config."""
        return None if self.best is None else dict(self.best.config)

    @property
    def best_value(self) -> float:
        """The best trial's metric value (NaN when there is none)."""
        return math.nan if self.best is None else self.best.value

    def to_table(self, k: int = 10, title: str | None = None):
        """A ``rich`` table of the ``k`` best trials (completed, then stopped), plus a failed count.

        Returns:
            rich.table.Table: print it with ``rich.print(table)``.
        """
        from .report import results_table
        return results_table(self, k=k, title=title)

    def plot(self, directory: str | None = None) -> list[str]:
        """Save ``<metric>_vs_<param>.png`` for each searched hyperparameter (needs matplotlib).

        Args:
            directory: where to save (default: the run folder).

        Returns:
            list[str]: the PNG paths.
        """
        from .report import plot_results
        return plot_results(self, directory or self.run_dir)

    def __len__(self):
        return len(self.trials)

    def __repr__(self):
        best = self.best
        b = "none" if best is None else f"{best.trial_id} {self.metric}={best.value:.6g} {best.config}"
        return (f"SearchResult({len(self.completed)} completed, {len(self.stopped)} stopped, "
                f"{len(self.failed)} failed; best: {b})")


def jsonable(x: Any) -> Any:
    """Round-trip a value through JSON (what resuming will see)."""
    return json.loads(json.dumps(x))
