"""What keeps ``fit``'s checkpoints honest: interrupts mid-step, non-finite losses and weights.

:class:`StepGuard` knows at every moment whether the trainer's state is one a resume can
continue from exactly. The state is *resumable* between two steps (after a batch's
``on_batch_end``, before the next forward) and *busy* during a step's forward, backward,
optimizer step and callbacks, and during the end-of-epoch work (dev evaluation, history,
``on_epoch_end``, the schedule). A Ctrl-C (or any ``KeyboardInterrupt``) that arrives while
busy leaves no new checkpoint: the previous one (the last epoch's) stays as it was. One that
arrives while resumable writes a checkpoint whose RNG state is the one recorded when the last
step finished, so a batch fetched (and augmented) since then is fetched again, identically,
on resume.

:func:`check_loss` stops training at the first non-finite loss (``stop_on_nonfinite``), and
:func:`weights_finite` keeps a checkpoint with nan/inf weights from overwriting a good one.

Examples:
    >>> g = StepGuard()
    >>> g.enter(); g.resumable
    False
    >>> g.leave(); g.resumable
    True
"""

from __future__ import annotations

import math
import sys

import numpy as np

__all__ = ["StepGuard", "check_loss", "weights_finite", "check_fit_arguments", "check_resume_extra"]


class StepGuard:
    """Tracks whether the training state may be written as a resumable checkpoint."""

    __slots__ = ("_busy", "rng")

    def __init__(self):
        self._busy = False
        self.rng = None  # the global RNG state when the state last became resumable (None: take the current one)

    def enter(self) -> None:
        """A step (or the end-of-epoch work) begins: the state is not resumable until :meth:`leave`."""
        self._busy = True

    def leave(self) -> None:
        """The step is complete: record the RNG state a resume must start from."""
        from ..random import get_rng_state

        self.rng = get_rng_state()
        self._busy = False

    @property
    def resumable(self) -> bool:
        return not self._busy

    def checkpoint_rng(self):
        """The RNG state to store in a checkpoint written now (``True``: the current one)."""
        return self.rng if self.rng is not None else True


def check_loss(trainer, epoch: int, batch: int, loss: float) -> None:
    """Stop ``trainer`` at a non-finite batch loss (its ``stop_on_nonfinite``), saying where.

    Sets ``stop_training`` and ``stop_now`` (so no checkpoint is written after this batch) and
    records ``history.nonfinite = {"epoch", "batch", "loss"}``.
    """
    if math.isfinite(loss) or not getattr(trainer, "stop_on_nonfinite", True):
        return
    from .callbacks import TerminateOnNaN

    if any(isinstance(cb, TerminateOnNaN) for cb in trainer.user_callbacks):
        return  # the user's TerminateOnNaN handles it (and restores the last good weights)
    trainer.stop_training = True
    trainer.stop_now = True
    trainer.history.nonfinite = {"epoch": epoch, "batch": batch, "loss": loss}
    print(
        f"fit: the training loss became {loss} at epoch {epoch + 1}, batch {batch + 1}; training stopped and no "
        "checkpoint was written after it (the last one is kept). Lower the learning rate, clip gradients "
        "(clip_grad_norm=...), check the data, or pass stop_on_nonfinite=False to go on",
        file=sys.stderr,
    )


def weights_finite(model) -> str | None:
    """``None`` when every floating parameter and buffer of ``model`` is finite, else the first bad name."""
    from ..backend import get_array_module

    for name, t in model.state_dict().items():
        arr = getattr(t, "array", t)
        if getattr(arr.dtype, "kind", "") == "f" and arr.size:
            xp = get_array_module(arr)
            if not bool(xp.isfinite(arr).all()):
                return name
    return None


def safe_to_write(trainer, path) -> bool:
    """Whether an epoch checkpoint may be written: refuse (with a warning) non-finite weights."""
    bad = weights_finite(trainer.model)
    if bad is None:
        return True
    print(f"fit: not writing the checkpoint {path}: the weight {bad!r} holds nan or inf (the last good "
          "checkpoint is kept)", file=sys.stderr)
    return False


def check_fit_arguments(epochs, batch_size, n_train) -> None:
    """Refuse ``epochs`` that is not an int >= 0, a batch size < 1 and an empty training set.

    Raises:
        TypeError: for ``epochs`` or ``batch_size`` of the wrong type.
        ValueError: for out-of-range values or an empty dataset.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)):
        raise TypeError(f"fit: epochs must be an int, got {type(epochs).__name__} {epochs!r}")
    if batch_size is not None and not isinstance(batch_size, str):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"fit: batch_size must be an int >= 1, None or 'full', got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"fit: batch_size must be >= 1, got {batch_size}")
    if n_train == 0:
        raise ValueError("fit: the training data is empty (0 examples); give at least one example")


def check_resume_extra(path, extra, callbacks=None) -> None:
    """Refuse a checkpoint whose trainer state (epoch, running sums, callbacks) is malformed, naming the key.

    Raises:
        CheckpointError: naming the key and what was expected.
    """
    from ..io import CheckpointError

    def bad(key, want):
        got = extra.get(key) if isinstance(extra, dict) else extra
        raise CheckpointError(path, "corrupt trainer state", f"extra[{key!r}] is {got!r}, expected {want}")

    if not isinstance(extra, dict):
        raise CheckpointError(path, "corrupt trainer state", "the checkpoint has no trainer state (extra)")
    e = extra.get("epoch")
    if isinstance(e, bool) or not isinstance(e, int) or e < 0:
        bad("epoch", "an int >= 0")
    running = extra.get("running")
    if not isinstance(running, dict) or not isinstance(running.get("count"), int) or not isinstance(
            running.get("loss_sum"), (int, float)):
        bad("running", "a dict with an int 'count' and a number 'loss_sum'")
    if not isinstance(extra.get("metrics"), dict):
        bad("metrics", "a dict")
    if not isinstance(extra.get("callbacks"), list):
        bad("callbacks", "a list")
    if callbacks is not None and len(callbacks) != len(extra["callbacks"]) and any(extra["callbacks"]):
        import warnings

        warnings.warn(
            f"fit(resume={str(path)!r}): the checkpoint holds the state of {len(extra['callbacks'])} callbacks, this "
            f"run has {len(callbacks)}; states are restored by position, so pass the same callbacks (in the same "
            "order) as the interrupted run", UserWarning, stacklevel=4)
