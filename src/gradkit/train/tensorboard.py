"""The ``TensorBoard`` callback: scalars, histograms, figures and the model as text, Keras' way.

Event files are written with ``tensorboardX`` (the ``tensorboard`` extra: ``pip install
'gradkit[tensorboard]'``), the lighter of the two writers: about 1 MB with protobuf, against
about 28 MB for the ``tensorboard`` package and its server dependencies. TensorBoard itself
reads them: ``tensorboard --logdir logs``.

Layout (Keras'): ``log_dir/train`` and ``log_dir/validation`` runs, tags ``epoch_loss``,
``epoch_<metric>`` and ``epoch_learning_rate``; ``batch_loss`` per batch with
``update_freq='batch'`` (or every N batches); weight histograms ``<param>`` and gradient
histograms ``<param>/gradient`` every ``histogram_freq`` epochs; the model's structure under
the text tag ``model``; the figures of callbacks that draw (``TrainingHealth``) as images at the end.
"""

from __future__ import annotations

import os

import numpy as np

from .callbacks import Callback


def _writer_class():
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ImportError("the TensorBoard callback needs tensorboardX: pip install 'gradkit[tensorboard]'") from None
    return SummaryWriter


class TensorBoard(Callback):
    """Log training to TensorBoard event files (``keras.callbacks.TensorBoard``).

    Args:
        log_dir: the folder of the runs (created if missing).
        histogram_freq: write weight and gradient histograms every this many epochs (0: never).
        write_graph: write the model's structure (its printed form and parameter counts) as text.
        update_freq: ``'epoch'``, ``'batch'`` or an int N (the training loss every N batches).
        write_figures: at the end, write the figures of callbacks that have a ``figure()`` method
            (the training-health monitor's gradient norms) as images.

    Examples:
        >>> import os, tempfile, gradkit as gk
        >>> net = gk.nn.Linear(3, 1)
        >>> x, y = gk.randn(32, 3), gk.randn(32, 1)
        >>> with tempfile.TemporaryDirectory() as d:
        ...     h = gk.train.fit(net, "mse", "sgd", (x, y), epochs=2, verbose=0,
        ...                      callbacks=[gk.train.TensorBoard(d, histogram_freq=1)])
        ...     sorted(os.listdir(d))
        ['train']
    """

    def __init__(self, log_dir: str = "logs", histogram_freq: int = 0, write_graph: bool = True,
                 update_freq="epoch", write_figures: bool = True):
        super().__init__()
        if not isinstance(histogram_freq, int) or histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be an int >= 0, got {histogram_freq!r}")
        if update_freq not in ("epoch", "batch") and not (isinstance(update_freq, int) and update_freq > 0):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive int, got {update_freq!r}")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.write_figures = write_figures
        self._writers: dict = {}
        self._step = 0

    def _writer(self, run: str):
        if run not in self._writers:
            self._writers[run] = _writer_class()(os.path.join(self.log_dir, run))
        return self._writers[run]

    def on_train_begin(self, logs=None):
        _writer_class()  # fail before training when tensorboardX is missing
        os.makedirs(self.log_dir, exist_ok=True)
        model = self.model
        if self.write_graph and model is not None:
            n = sum(int(p.numel()) for p in model.parameters())
            trainable = sum(int(p.numel()) for p in model.parameters() if p.requires_grad)
            text = f"{model!r}\n\nparameters: {n:,} ({trainable:,} trainable)"
            self._writer("train").add_text("model", "    " + text.replace("\n", "\n    "), 0)

    def on_batch_end(self, batch, logs=None):
        self._step += 1
        if self.update_freq != "epoch" and logs and "loss" in logs and self._step % self.update_freq == 0:
            self._writer("train").add_scalar("batch_loss", float(logs["loss"]), self._step)

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            if not isinstance(value, (int, float, np.floating, np.integer)) or isinstance(value, bool):
                continue
            if key == "lr":
                self._writer("train").add_scalar("epoch_learning_rate", float(value), epoch)
            elif key.startswith("val_"):
                self._writer("validation").add_scalar(f"epoch_{key[4:]}", float(value), epoch)
            else:
                self._writer("train").add_scalar(f"epoch_{key}", float(value), epoch)
        if self.histogram_freq and (epoch + 1) % self.histogram_freq == 0 and self.model is not None:
            w = self._writer("train")
            for name, p in self.model.named_parameters():
                w.add_histogram(name, p.numpy().astype(np.float64), epoch)
                if p.grad is not None:
                    w.add_histogram(f"{name}/gradient", p.grad.numpy().astype(np.float64), epoch)
        for w in self._writers.values():
            w.flush()

    def on_train_end(self, logs=None):
        if self.write_figures and self.trainer is not None:
            for cb in getattr(self.trainer, "user_callbacks", ()):
                make = getattr(cb, "figure", None)
                if cb is not self and callable(make):
                    try:
                        fig = make()
                    except ValueError:  # nothing recorded
                        continue
                    self._writer("train").add_figure(type(cb).__name__, fig, self._step)
        self.close()

    def close(self) -> None:
        """Flush and close the event files (done at the end of training)."""
        for w in self._writers.values():
            w.close()
        self._writers = {}
