"""Callbacks for the training loop, with Keras' names and semantics.

A callback's hooks are ``on_train_begin/end(logs)``, ``on_epoch_begin/end(epoch, logs)``
and ``on_batch_begin/end(batch, logs)``; ``self.trainer`` and ``self.model`` are set by the
loop. Every callback resets its state in ``on_train_begin``, so one instance can serve
several ``fit`` calls. Callbacks with state that matters for an exact resume
(:class:`EarlyStopping`, ...) expose ``state_dict()`` / ``load_state_dict()``.

Examples:
    >>> from gradkit.train.callbacks import EarlyStopping
    >>> es = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    >>> es.mode
    'min'
"""

from __future__ import annotations

import csv
import math
import os
import sys
import time
import warnings

import numpy as np

from .metrics import higher_is_better


def _infer_mode(monitor: str, mode: str, metrics=()) -> str:
    """``mode``, or for ``'auto'`` the direction of the metric ``monitor`` names (see ``higher_is_better``)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    return "max" if higher_is_better(monitor, metrics) else "min"


def _trainer_metrics(trainer) -> list:
    """The metric objects of the run (empty before a trainer is set)."""
    return list(getattr(trainer, "metrics", None) or [])


class Callback:
    """Base class: override the hooks you need."""

    trainer = None

    @property
    def model(self):
        return None if self.trainer is None else self.trainer.model

    def set_trainer(self, trainer) -> None:
        self.trainer = trainer

    def on_train_begin(self, logs=None): ...

    def on_train_end(self, logs=None): ...

    def on_epoch_begin(self, epoch, logs=None): ...

    def on_epoch_end(self, epoch, logs=None): ...

    def on_batch_begin(self, batch, logs=None): ...

    def on_batch_end(self, batch, logs=None): ...

    def state_dict(self) -> dict:
        """State needed for an exact resume (plain numbers and arrays)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class CallbackList:
    """Dispatches each hook to the callbacks that override it (so unused hooks cost nothing)."""

    def __init__(self, callbacks, trainer):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be gradkit.train.Callback instances, got {type(cb).__name__}")
            cb.set_trainer(trainer)
        self._hooks = {}
        for name in ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end"):
            base = getattr(Callback, name)
            # a hook counts when the callback's class overrides it or the instance sets its own
            # (LambdaCallback): anything but the base class's do-nothing method
            hooks = (getattr(cb, name) for cb in self.callbacks)
            self._hooks[name] = [fn for fn in hooks if getattr(fn, "__func__", None) is not base]

    def has(self, hook: str) -> bool:
        return bool(self._hooks[hook])

    def call(self, hook: str, *args) -> None:
        for fn in self._hooks[hook]:
            fn(*args)


class EarlyStopping(Callback):
    """Stop training when a monitored value has stopped improving.

    Args:
        monitor: the log key to watch (``'val_loss'``, ``'val_accuracy'``, ``'loss'``...).
        min_delta: the smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        mode: ``'min'``, ``'max'`` or ``'auto'``: the direction the monitored metric declares
            (``Metric.higher_is_better``, looked up among the trainer's metrics when training
            starts); losses and other logs are minimized.
        baseline: stop if the value does not beat this within ``patience`` epochs.
        restore_best_weights: put back the weights of the best epoch when training ends,
            whether it stopped early or ran all its epochs.
        start_from_epoch: epochs of warm-up before improvements are tracked.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, mode: str = "auto",
                 baseline: float | None = None, restore_best_weights: bool = False, start_from_epoch: int = 0,
                 verbose: int = 0):
        if patience < 0:
            raise ValueError(f"EarlyStopping patience must be >= 0, got {patience}")
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self._mode_setting = mode
        self.mode = _infer_mode(monitor, mode)
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.verbose = verbose
        self.on_train_begin()

    def _better(self, current, reference) -> bool:
        if reference is None:
            return True
        if self.mode == "min":
            return current < reference - self.min_delta
        return current > reference + self.min_delta

    def on_train_begin(self, logs=None):
        self.mode = _infer_mode(self.monitor, self._mode_setting, _trainer_metrics(self.trainer))
        self.wait = 0
        self.stopped_epoch = None
        self.best = None
        self.best_epoch = None
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"EarlyStopping is watching {self.monitor!r}, which is not in the logs "
                f"(available: {', '.join(sorted(logs))}); pass dev data for val_* metrics",
                stacklevel=2,
            )
            return
        if epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self._better(current, self.best):
            self.best, self.best_epoch = float(current), epoch
            if self.restore_best_weights:
                self.best_weights = {k: v.numpy().copy() for k, v in self.model.state_dict().items()}
            if self.baseline is None or self._better(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)
            if self.verbose:
                print(f"EarlyStopping: restored the weights of epoch {self.best_epoch + 1} ({self.monitor}={self.best:.6g})")
        if self.stopped_epoch is not None and self.verbose:
            print(f"EarlyStopping: stopped after epoch {self.stopped_epoch + 1}")

    def state_dict(self):
        return {"wait": self.wait, "best": self.best, "best_epoch": self.best_epoch, "stopped_epoch": self.stopped_epoch,
                "best_weights": self.best_weights}

    def load_state_dict(self, state):
        self.wait, self.best = state["wait"], state["best"]
        self.best_epoch, self.stopped_epoch = state["best_epoch"], state["stopped_epoch"]
        bw = state.get("best_weights")
        self.best_weights = None if bw is None else {k: np.asarray(v) for k, v in bw.items()}


class ModelCheckpoint(Callback):
    """Save the model at the end of epochs: every epoch (``last``) or only improvements (``best``).

    Args:
        filepath: a ``.safetensors`` path; may hold ``{epoch}`` and log keys (``{val_loss:.4f}``).
        monitor: the log key deciding what is best.
        save_best_only: save only when ``monitor`` improves.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (the monitored metric's declared direction, as
            for :class:`EarlyStopping`).
    """

    def __init__(self, filepath, monitor: str = "val_loss", save_best_only: bool = False, mode: str = "auto",
                 verbose: int = 0):
        self.filepath = str(filepath)
        self.monitor = monitor
        self.save_best_only = save_best_only
        self._mode_setting = mode
        self.mode = _infer_mode(monitor, mode)
        self.verbose = verbose
        self.best = None

    def on_train_begin(self, logs=None):
        self.mode = _infer_mode(self.monitor, self._mode_setting, _trainer_metrics(self.trainer))
        self.best = None

    def on_epoch_end(self, epoch, logs=None):
        from .. import io

        logs = logs or {}
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"ModelCheckpoint is watching {self.monitor!r}, which is not in the logs", stacklevel=2)
                return
            improved = self.best is None or (current < self.best if self.mode == "min" else current > self.best)
            if not improved:
                return
            self.best = float(current)
        path = self.filepath.format(epoch=epoch + 1, **logs)
        from ._guard import weights_finite

        bad = weights_finite(self.model)
        if bad is not None:  # never replace a good file with nan/inf weights
            print(f"ModelCheckpoint: not saving {path}: the weight {bad!r} holds nan or inf", file=sys.stderr)
            return
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        io.save(self.model, path, metadata={"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}})
        if self.verbose:
            print(f"ModelCheckpoint: saved {path}")

    def state_dict(self):
        return {"best": self.best}

    def load_state_dict(self, state):
        self.best = state["best"]


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch.

    Args:
        schedule: a function ``(epoch, lr) -> new_lr`` (Keras) or ``epoch -> lr``, or a
            ``gk.optim.lr_scheduler`` scheduler (stepped at each epoch end; ``ReduceLROnPlateau``
            is given ``monitor``'s value).
        monitor: the log key for ``ReduceLROnPlateau``.
    """

    def __init__(self, schedule, monitor: str = "val_loss", verbose: int = 0):
        self.schedule = schedule
        self.monitor = monitor
        self.verbose = verbose

    def _is_scheduler(self):
        return hasattr(self.schedule, "step") and hasattr(self.schedule, "state_dict")

    def on_epoch_begin(self, epoch, logs=None):
        if self._is_scheduler():
            return
        opt = self.trainer.optimizer
        lr = opt.param_groups[0]["lr"]
        try:
            new = self.schedule(epoch, lr)
        except TypeError:
            new = self.schedule(epoch)
        if not isinstance(new, (int, float)) or not math.isfinite(new) or new < 0:
            raise ValueError(f"LearningRateScheduler: schedule returned {new!r} for epoch {epoch}; expected a number >= 0")
        for g in opt.param_groups:
            g["lr"] = float(new)
        if self.verbose:
            print(f"LearningRateScheduler: epoch {epoch + 1} lr = {new:.6g}")

    def on_epoch_end(self, epoch, logs=None):
        if not self._is_scheduler():
            return
        from ..optim.lr_scheduler import ReduceLROnPlateau

        if isinstance(self.schedule, ReduceLROnPlateau):
            value = (logs or {}).get(self.monitor)
            if value is None:
                raise ValueError(f"ReduceLROnPlateau needs {self.monitor!r} in the logs; available: {sorted(logs or {})}")
            self.schedule.step(value)
        else:
            self.schedule.step()

    def state_dict(self):
        return {"scheduler": self.schedule.state_dict()} if self._is_scheduler() else {}

    def load_state_dict(self, state):
        if self._is_scheduler() and "scheduler" in state:
            self.schedule.load_state_dict(state["scheduler"])


class CSVLogger(Callback):
    """Write one row of logs per epoch to a CSV file (flushed each epoch).

    The columns are ``epoch`` (counted from 1) and the first epoch's log keys in sorted order
    (as Keras). When ``fit`` resumes from a checkpoint, a logger that does not append rewrites
    the file with the restored history's rows, so the file always matches the run.

    Args:
        filename: the CSV file.
        separator: the field separator.
        append: keep an existing file and add rows to it (its header decides the columns).
    """

    def __init__(self, filename, separator: str = ",", append: bool = False):
        self.filename = str(filename)
        self.separator = separator
        self.append = append
        self._keys = None

    def on_train_begin(self, logs=None):
        self._keys = None
        if self.append and os.path.exists(self.filename):
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, delimiter=self.separator), None)
            self._keys = header[1:] if header else None
        elif os.path.exists(self.filename):
            os.remove(self.filename)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        new_file = not os.path.exists(self.filename)
        if self._keys is None:
            self._keys = sorted(logs)
        os.makedirs(os.path.dirname(os.path.abspath(self.filename)), exist_ok=True)
        with open(self.filename, "a", newline="") as f:
            w = csv.writer(f, delimiter=self.separator)
            if new_file:
                w.writerow(["epoch", *self._keys])
            w.writerow([epoch + 1, *(logs.get(k, "") for k in self._keys)])

    def state_dict(self):
        return {"keys": self._keys}

    def load_state_dict(self, state):
        self._keys = state["keys"]
        if self.append or self._keys is None or self.trainer is None:
            return
        history = self.trainer.history  # restored before the callbacks
        os.makedirs(os.path.dirname(os.path.abspath(self.filename)), exist_ok=True)
        with open(self.filename, "w", newline="") as f:
            w = csv.writer(f, delimiter=self.separator)
            w.writerow(["epoch", *self._keys])
            for i, epoch in enumerate(history.epoch):
                row = [history.history[k][i] if k in history else None for k in self._keys]
                w.writerow([epoch + 1, *("" if v is None else v for v in row)])


class TerminateOnNaN(Callback):
    """Stop as soon as the loss is NaN or infinite, keeping the last weights that gave a finite loss."""

    def on_train_begin(self, logs=None):
        self._candidate = None
        self._good = None
        self.terminated_at = None

    def on_batch_begin(self, batch, logs=None):
        params = [p for p in self.model.parameters()]
        if self._candidate is None or len(self._candidate) != len(params):
            self._candidate = [p.array.copy() for p in params]
        else:
            for buf, p in zip(self._candidate, params):
                np.copyto(buf, p.array) if isinstance(buf, np.ndarray) else buf.__setitem__(Ellipsis, p.array)

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        if math.isfinite(loss):
            # the weights at the start of this batch produced a finite loss: keep them
            self._good, self._candidate = self._candidate, self._good
            return
        self.terminated_at = (self.trainer.epoch, batch)
        self.trainer.stop_training = True
        self.trainer.stop_now = True
        if self._good is not None:
            for p, buf in zip(self.model.parameters(), self._good):
                p.array[...] = buf
        print(f"TerminateOnNaN: loss is {loss} at epoch {self.trainer.epoch + 1}, batch {batch + 1}; "
              "stopped and restored the last weights with a finite loss", file=sys.stderr)


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    def __init__(self, **hooks):
        for name, fn in hooks.items():
            if not hasattr(Callback, name):
                raise ValueError(f"LambdaCallback: unknown hook {name!r}")
            setattr(self, name, fn)


class ProgressBar(Callback):
    """Show progress: a rich bar with loss, metrics and ETA in a terminal, one line per epoch otherwise.

    Args:
        verbose: 0 silent, 1 live bar (falls back to lines when not a terminal), 2 one line per epoch.
    """

    def __init__(self, verbose: int | str = "auto", stream=None):
        self.stream = stream or sys.stdout
        if verbose == "auto":
            verbose = 1 if getattr(self.stream, "isatty", lambda: False)() else 2
        self.verbose = int(verbose)
        self._progress = None

    def on_train_begin(self, logs=None):
        self._t0 = self._epoch_t0 = time.perf_counter()
        self._progress = None
        self._task = None
        if self.verbose == 1 and getattr(self.stream, "isatty", lambda: False)():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"), TimeRemainingColumn(), transient=False,
            )
            self._progress.start()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_t0 = time.perf_counter()
        if self._progress is not None:
            total = self.trainer.steps_per_epoch
            self._task = self._progress.add_task("", total=total, epoch=f"{epoch + 1}/{self.trainer.epochs}", info="")
            self._last = 0.0

    def on_batch_end(self, batch, logs=None):
        if self._progress is None or self._task is None:
            return
        now = time.perf_counter()
        if now - self._last > 0.1 or batch + 1 == self.trainer.steps_per_epoch:
            self._last = now
            self._progress.update(self._task, completed=batch + 1, info=f"loss {logs.get('loss', float('nan')):.4f}")

    def on_epoch_end(self, epoch, logs=None):
        if self.verbose == 0:
            return
        text = format_logs(logs)
        secs = time.perf_counter() - self._epoch_t0
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=self.trainer.steps_per_epoch, info=text)
        else:
            print(f"epoch {epoch + 1}/{self.trainer.epochs} - {secs:.1f}s - {text}", file=self.stream, flush=True)

    def on_train_end(self, logs=None):
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def format_logs(logs) -> str:
    parts = []
    for k, v in (logs or {}).items():
        if isinstance(v, float):
            parts.append(f"{k} {v:.3g}" if k == "lr" else f"{k} {v:.4f}")
        else:
            parts.append(f"{k} {v}")
    return " - ".join(parts)
