"""The training loop: ``fit``, ``evaluate``, ``predict`` (Keras-like), on a :class:`Trainer`.

One epoch: the model in training mode, for each mini-batch of the training loader:
optional augmentation, forward, loss (+ L1/L2 penalties), ``zero_grad``, ``backward``,
optional gradient clipping, ``optimizer.step()``; then the dev set in eval mode under
``no_grad``, the logs (``loss``, metrics, ``val_loss``, ``val_<metric>``, ``lr``), the
schedule step, callbacks, and a checkpoint.

Exact resume: with ``checkpoint=path`` the trainer writes (atomically) after every epoch,
and on Ctrl-C mid-epoch, everything the rest of the run depends on: weights and buffers,
optimizer moments, schedule, callbacks' state, the loader's position and shuffling state,
gradkit's global RNG, the epoch's running sums and the history. ``fit(..., resume=path)``
continues so that the final weights equal those of the uninterrupted run bit for bit.
Changing a hyperparameter while babysitting a run is explicit: ``fit(..., resume=path,
lr=1e-4)`` or ``optimizer_overrides={"weight_decay": 0.0, ...}`` sets it on every param group
after the restore and records it in ``history.overrides``.

Optimizers whose ``step`` takes a closure (``gk.optim.LBFGS``, ``gk.optim.Newton``) get one
that recomputes the batch's loss (with the L1/L2 terms); ``batch_size=None`` (or ``"full"``)
trains on the whole training set per step; ``l1_mode="proximal"`` soft-thresholds the weights
after each step so the L1 penalty produces exact zeros.

Multi-task training: a model returning a dict ``{task: output}`` (``gk.nn.MultiTaskModel``)
with a ``gk.nn.MultiTaskLoss`` (or a dict ``{task: loss}``, wrapped in one), and targets as
a dict: ``train_data=(X, {"digit": y1, "parity": y2})`` or a Dataset whose samples are
``(x, {task: y})``. Heads and losses are matched before training. The logs gain
``loss_<task>`` (each task's mean loss over its labelled examples) and per-task metrics
``<task>_<metric>`` (``metrics={"digit": ["accuracy"]}``, or a list applied to every task),
with ``val_`` versions; early stopping can monitor any of them (``"val_digit_accuracy"``).

Examples:
    >>> import numpy as np, gradkit as gk
    >>> _ = gk.manual_seed(0)
    >>> X = np.random.default_rng(0).standard_normal((64, 2)).astype(np.float32)
    >>> y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    >>> net = gk.nn.Sequential(gk.nn.Linear(2, 8), gk.nn.ReLU(), gk.nn.Linear(8, 2))
    >>> hist = gk.train.fit(net, "cross_entropy", gk.optim.Adam(net.parameters(), lr=0.05),
    ...                     (X, y), epochs=30, batch_size=16, metrics=["accuracy"], verbose=0)
    >>> hist["accuracy"][-1] > 0.9
    True
"""

from __future__ import annotations

import os
import sys

import numpy as np

from ..autograd.grad_mode import no_grad
from ..nn.loss import resolve_loss
from ..nn.module import Module
from ..tensor import Tensor
from . import _guard
from . import metrics as metrics_mod
from . import _keras
from ._loaders import _as_loader, _as_tensor, _batch_len, _model_device, _raw, _resolve_batch_size, _split_batch
from ._multitask import _add_task_losses, _task_loss_logs, _TaskMetric
from ._overrides import apply_overrides, check_optimizer_overrides  # noqa: F401 (re-exported)
from .callbacks import CallbackList, LearningRateScheduler, ProgressBar
from .history import History


def _expects_logits(loss) -> bool:
    """Whether ``loss`` takes raw scores (its ``expects_logits``; a callable without one: yes)."""
    return bool(getattr(loss, "expects_logits", True))


def _is_multi_task(obj) -> bool:
    """Whether a loss or model declares the multi-task protocol (``is_multi_task``, as gk.nn.MultiTaskLoss)."""
    return bool(getattr(obj, "is_multi_task", False))


def resolve_optimizer(optimizer, model, lr=None, extra_params=()):
    """An optimizer from an instance, a name (``'adam'``, ``'sgd'``...) or ``None`` (Adam, lr 1e-3).

    Args:
        optimizer: a ``gk.optim`` optimizer (returned as is), a name from ``gk.optim.OPTIMIZERS``
            or ``None`` for Adam.
        model: the model whose parameters that require grad a named optimizer trains.
        lr: the learning rate of a named optimizer (``None``: the optimizer's default).
        extra_params: more parameters for a named optimizer (e.g. a loss's learned task weights).

    Returns:
        The optimizer.

    Raises:
        ValueError: for an unknown name, listing the valid ones.
        TypeError: for an object without ``step`` and ``zero_grad``.
    """
    from ..optim import optimizer_class

    if optimizer is None:
        optimizer = "adam"
    if isinstance(optimizer, str):
        cls = optimizer_class(optimizer)
        params = [p for p in model.parameters() if p.requires_grad]
        seen = {id(p) for p in params}
        params += [p for p in extra_params if p.requires_grad and id(p) not in seen]
        return cls(params, lr=lr) if lr is not None else cls(params)
    if not hasattr(optimizer, "step") or not hasattr(optimizer, "zero_grad"):
        raise TypeError(f"optimizer must be a gk.optim optimizer or a name, got {type(optimizer).__name__}")
    return optimizer


def _model_and_loss(model, loss):
    """The loss module and the task names (None unless multi-task), checked against ``model``."""
    if not isinstance(model, Module):
        raise TypeError(f"model must be a gk.nn.Module, got {type(model).__name__}")
    loss_fn = resolve_loss(_keras.resolve_keras_loss(loss))
    tasks = list(loss_fn.tasks) if _is_multi_task(loss_fn) else None
    if tasks is not None and _is_multi_task(model):
        loss_fn.check_tasks(model)  # heads without a loss / losses without a head: refused now
    return loss_fn, tasks


def _build_metrics(loss_fn, tasks, metrics) -> list:
    """Fresh metric objects for a run, told whether the outputs are logits (the loss says)."""
    built = []
    if tasks is None:
        if isinstance(metrics, dict):
            raise TypeError("metrics as a dict {task: [...]} needs a multi-task loss (gk.nn.MultiTaskLoss)")
        logits = _expects_logits(loss_fn)
        for m in metrics or []:
            mm = metrics_mod.get(m)
            mm.logits = logits
            built.append(mm)
    else:
        per_task = metrics if isinstance(metrics, dict) else {t: list(metrics or []) for t in tasks}
        unknown = [t for t in per_task if t not in tasks]
        if unknown:
            raise ValueError(f"metrics name unknown task(s) {unknown}; tasks: {tasks}")
        for task, ms in per_task.items():
            fn = loss_fn.loss_for(task)
            for m in [ms] if isinstance(ms, (str, metrics_mod.Metric)) else ms:
                mm = _TaskMetric(task, metrics_mod.get(m if isinstance(m, str) else m), loss_fn.ignore_index_for(task))
                mm.logits = _expects_logits(fn)
                built.append(mm)
    names = [m.name for m in built]
    if len(set(names)) != len(names):
        raise ValueError(f"metrics must have distinct names, got {names}")
    return built


def _evaluate(model, loss_fn, tasks, metrics, data, batch_size: int) -> dict:
    """Loss and metrics of ``model`` on ``data`` in eval mode, without gradients (``metrics`` are copied)."""
    loader = _as_loader(data, batch_size, False, "data")
    was_training = model.training
    model.eval()
    ms = [_fresh(m) for m in metrics]
    keys = getattr(loader.dataset, "target_keys", None)
    device = _model_device(model)
    loss_sum, count = 0.0, 0
    task_sums: dict = {}
    try:
        with no_grad():
            for batch in loader:
                xb, yb = _split_batch(batch, keys, device)
                out = model(xb)
                n = _batch_len(xb, yb)
                loss_sum += float(loss_fn(out, yb).array) * n
                count += n
                if tasks is not None:
                    _add_task_losses(task_sums, loss_fn)
                metrics_mod.update_all(ms, _raw(out), _raw(yb))
    finally:
        model.train(was_training)
    res = {"loss": loss_sum / count if count else float("nan")}
    if tasks is not None:
        res.update(_task_loss_logs(task_sums, tasks))
    for m in ms:
        if isinstance(m, _TaskMetric) and not m.seen:
            continue  # an auxiliary task (no output in eval mode) or no labelled example
        res[m.name] = float(m.result())
    return res


class Trainer:
    """Trains ``model`` with ``loss`` and ``optimizer``; keeps the state of a run.

    Args:
        model: a ``gk.nn.Module``.
        loss: a loss module/callable ``loss(output, target)`` or a name (``'cross_entropy'``,
            ``'mse'``, ``'bce_with_logits'``...).
        optimizer: a ``gk.optim`` optimizer, a name (``'adam'``, ``'sgd'``...), or ``None`` for Adam.
        metrics: names or ``gk.train.metrics.Metric`` objects (``'accuracy'``, ``'f1_macro'``, ``'rmse'``...);
            with a multi-task loss, a dict ``{task: [metrics]}`` (logged as ``<task>_<metric>``) or a
            list applied to every task.
        callbacks: ``gk.train.callbacks.Callback`` objects.
        schedule: a ``gk.optim.lr_scheduler`` scheduler (stepped each epoch) or a function
            ``epoch -> lr`` / ``(epoch, lr) -> lr``.
        l1, l2: regularization strengths ``lambda`` in the course form: the loss gets
            ``(lambda / 2m) sum ||W||^2`` (L2) and ``(lambda / m) sum |W|`` (L1) over the weights
            (``gk.nn.weight_parameters``: parameters with >= 2 dimensions, not biases or
            normalization parameters), ``m`` the training-set size.
        l1_mode: how ``l1`` acts. ``"penalty"`` (default): the term above is added to the loss
            and differentiated; its subgradient makes weights hover around zero but, with
            floating-point steps, essentially never lands exactly on it. ``"proximal"``: the
            term is left out of the loss and after every ``optimizer.step()`` each weight is
            soft-thresholded in place, ``w <- sign(w) max(|w| - lr * lambda / m, 0)``
            (``gk.optim.prox_l1_``, ``lr`` the weight's param-group learning rate), the
            proximal step of the same objective: with SGD this is proximal gradient descent
            (ISTA; Beck & Teboulle, 2009) and small weights become exactly 0. Only the weights
            are thresholded (the same selection as the penalty: biases and normalization
            parameters never are). With adaptive optimizers (Adam...) it is the common heuristic,
            not an exact proximal method.
        clip_grad_norm: clip the global gradient norm to this value before each step (inside
            the closure for LBFGS; Newton forms its own gradient and Hessian, so not there).
        augment: a function applied to each training input batch (NumPy array in, array out);
            never applied to dev/test data.
        verbose: 0 silent, 1 progress bar, 2 one line per epoch, ``'auto'`` (bar in a terminal).
        lr: learning rate when ``optimizer`` is given by name.
        base_error: the base (e.g. human-level) error that a ``gk.diagnose.BiasVarianceVerdict``
            callback without its own uses for the end-of-training verdict (``history.diagnosis``).
    """

    def __init__(self, model, loss, optimizer=None, *, metrics=None, callbacks=None, schedule=None,
                 l1: float = 0.0, l2: float = 0.0, clip_grad_norm: float | None = None, augment=None,
                 verbose="auto", lr: float | None = None, base_error: float = 0.0, l1_mode: str = "penalty"):
        self._keys = None
        self.loss_fn, self.tasks = _model_and_loss(model, loss)
        if l1 < 0 or l2 < 0:
            raise ValueError(f"l1 and l2 must be >= 0, got l1={l1}, l2={l2}")
        if l1_mode not in ("penalty", "proximal"):
            raise ValueError(f"l1_mode must be 'penalty' or 'proximal', got {l1_mode!r}")
        self.l1_mode = l1_mode
        self.model = model
        if self.tasks is None:
            _keras.warn_probability_output(model, self.loss_fn)
        loss_params = list(self.loss_fn.parameters()) if isinstance(self.loss_fn, Module) else []
        self.optimizer = resolve_optimizer(optimizer, model, lr, loss_params)
        if loss_params and hasattr(self.optimizer, "param_groups"):
            in_opt = {id(p) for g in self.optimizer.param_groups for p in g.get("params", ())}
            if any(p.requires_grad and id(p) not in in_opt for p in loss_params):
                import warnings

                warnings.warn(f"the loss {type(self.loss_fn).__name__} has trainable parameters (e.g. learned task "
                              "weights) that are not in the optimizer; add loss.parameters() to it",
                              UserWarning, stacklevel=3)
        self.metrics = _build_metrics(self.loss_fn, self.tasks, metrics)
        self.user_callbacks = list(callbacks or [])
        self.schedule = schedule
        self.l1, self.l2 = float(l1), float(l2)
        self.clip_grad_norm = clip_grad_norm
        self.augment = augment
        self.verbose = verbose
        self.base_error = base_error
        self.history = History()
        self.epoch = 0
        self.epochs = 0
        self.steps_per_epoch = 0
        self.stop_training = False
        self.stop_now = False
        self._sched_cb = None
        self._prox_groups = None
        self._dev_loader = None
        self._loss_none = None     # the loss with reduction='none', for class/sample weights
        self._batch_w = None       # the current batch's sample weights (or None)
        self._spe = None           # Keras' steps_per_epoch (None: one pass over the loader)
        self._steps_done = 0
        self._stream = None
        if schedule is not None:
            monitor = "val_loss"
            self._sched_cb = LearningRateScheduler(schedule, monitor=monitor)

    # ------------------------------------------------------------------ helpers
    def _all_callbacks(self, has_dev):
        cbs = list(self.user_callbacks)
        if self._sched_cb is not None:
            if not has_dev:
                self._sched_cb.monitor = "loss"
            cbs.append(self._sched_cb)
        if self.verbose not in (0, "0", False):
            cbs.append(ProgressBar(self.verbose))
        return cbs

    def _penalty(self, m):
        from ..nn.regularization import l1_penalty, l2_penalty

        pen = None
        if self.l2:
            pen = l2_penalty(self.model, lam=self.l2, m=m)
        if self.l1 and self.l1_mode == "penalty":
            p1 = l1_penalty(self.model, lam=self.l1, m=m)
            pen = p1 if pen is None else pen + p1
        return pen

    def _has_penalty(self) -> bool:
        return bool(self.l2 or (self.l1 and self.l1_mode == "penalty"))

    def _prox_l1(self, m):
        """The proximal L1 step on the weights: threshold ``lr * l1 / m`` with each weight's group lr."""
        from ..nn.regularization import weight_parameters
        from ..optim.prox import prox_l1_

        groups = self.optimizer.param_groups
        key = tuple((id(g), len(g["params"])) for g in groups)  # a callback may add groups (gradual unfreezing)
        if self._prox_groups is None or self._prox_groups[0] != key:
            weights = {id(p) for p in weight_parameters(self.model)}  # grouped by the param group training them
            self._prox_groups = (key, [(g, [p for p in g["params"] if id(p) in weights]) for g in groups])
        for g, ws in self._prox_groups[1]:
            ws = [p for p in ws if p.requires_grad]  # frozen weights stay as they are, as with the penalty
            if ws:
                prox_l1_(ws, float(g["lr"]) * self.l1 / m)

    def _apply_overrides(self, overrides, batch):
        """Set each overridden hyperparameter on every param group; record the changes in the history."""
        apply_overrides(self.optimizer, self.history, overrides, self.epoch, batch, self.verbose)

    def _lr(self):
        return float(self.optimizer.param_groups[0]["lr"]) if hasattr(self.optimizer, "param_groups") else float("nan")

    def state_dict(self) -> dict:
        """The run's state beyond model/optimizer/loader: epoch, running sums, metrics, callbacks."""
        return {
            "epoch": self.epoch,
            "running": dict(self._running),
            "metrics": {m.name: m.state_dict() for m in self.metrics},
            "callbacks": [cb.state_dict() for cb in self._callbacks.callbacks],
            "steps_done": self._steps_done,
        }

    def save_checkpoint(self, path, rng=True) -> None:
        """Write a training checkpoint (atomic) that :meth:`fit` can resume from exactly."""
        from .. import io

        loader_state = self._loader.state_dict()
        if loader_state["in_epoch"]:
            # the loader counts a batch as soon as it hands it out; only finished batches count here
            loader_state["batch"] = self._batches_done
        io.save_checkpoint(path, model=self.model, optimizer=self.optimizer, loader=loader_state, rng=rng,
                           epoch=self.epoch, history=self.history, extra=self.state_dict())

    def _restore(self, path):
        from .. import io

        ck = io.restore_checkpoint(path, model=self.model, optimizer=self.optimizer, loader=self._loader, rng=True)
        self.history.load_state_dict(ck["history"])
        extra = ck["extra"]
        _guard.check_resume_extra(path, extra, self._callbacks.callbacks)
        self.epoch = int(extra["epoch"])
        running = extra["running"]
        self._steps_done = int(extra.get("steps_done", 0))
        for m in self.metrics:
            if m.name in extra["metrics"]:
                m.load_state_dict(extra["metrics"][m.name])
        saved_cbs = extra["callbacks"]
        for cb, st in zip(self._callbacks.callbacks, saved_cbs):
            if st:
                cb.load_state_dict(st)
        return running

    @property
    def train_loader(self):
        """The training-set DataLoader of the current (or last) :meth:`fit` call, or ``None``."""
        return getattr(self, "_loader", None)

    @property
    def dev_loader(self):
        """The dev-set DataLoader of the current (or last) :meth:`fit` call, or ``None`` (no dev data)."""
        return self._dev_loader

    # ------------------------------------------------------------------ fit
    def fit(self, train_data, dev_data=None, *, epochs: int = 1, batch_size: int | str | None = 32,
            shuffle: bool = True, resume=None, checkpoint=None, generator=None,
            optimizer_overrides: dict | None = None, stop_on_nonfinite: bool = True, validation_data=None,
            validation_split: float = 0.0, class_weight: dict | None = None, sample_weight=None,
            initial_epoch: int = 0, steps_per_epoch: int | None = None, validation_freq=1) -> History:
        """Train for ``epochs`` epochs; returns the :class:`History`.

        Args:
            train_data: a DataLoader, a Dataset, or a tuple ``(X, y)`` of arrays/tensors
                (checked for NaN/inf first).
            dev_data: the dev (validation) set, in the same forms; logged as ``val_*``.
            epochs: the total number of epochs (a resumed run counts the finished ones).
            batch_size: mini-batch size when the data is not already a DataLoader; ``None`` or
                ``"full"``: the whole training set in every step (batch gradient descent).
                The course's guidance: full batch for a small training set (``m`` below about
                2000), otherwise mini-batches of 64 to 512 (a power of 2 that fits in memory).
            shuffle: shuffle the training set every epoch (when not a DataLoader).
            resume: a checkpoint path written by this trainer (``checkpoint=``) to continue from.
                The checkpoint's optimizer state (moments and hyperparameters) is restored as
                saved; to change a hyperparameter while babysitting a run, pass it in
                ``optimizer_overrides``.
            checkpoint: a path to write a resumable checkpoint to after every epoch and on Ctrl-C.
            generator: a ``gk.Generator`` for shuffling (default: the global one).
            optimizer_overrides: ``{name: value}`` set on every param group of the optimizer
                at the start of training, after a resume's restore, e.g. ``{"lr": 1e-4}``,
                ``{"weight_decay": 0.0}``, ``{"momentum": 0.95}``, ``{"betas": (0.9, 0.99)}``.
                Each value that changes something is recorded in ``history.overrides``
                (``{"epoch", "batch", "changes": {name: [old, new]}}``, kept in checkpoints) and
                shows in the ``lr`` column; without overrides a resume stays bit-exact. A
                ``gk.optim.lr_scheduler`` schedule keeps running afterwards and scales the new
                rate by its own factors (PyTorch's chainable form); a schedule given as a
                function of the epoch sets the lr again at its next step.
            validation_data: Keras' name for ``dev_data``.
            validation_split: Keras' habit: the last fraction of ``train_data`` (arrays or a
                Dataset, taken before shuffling) becomes the dev set (``dev_data`` wins if given).
            class_weight: ``{class index: weight}``: each sample's loss is multiplied by the
                weight of its class (an imbalanced data set); as Keras, the batch loss is then
                ``sum(w_i l_i) / batch size`` and the logged ``loss`` is that weighted loss.
            sample_weight: one weight per training sample (with arrays ``(X, y)``), the same way
                (multiplied with ``class_weight`` when both are given).
            initial_epoch: the epoch to start at (Keras: to continue a run; ``epochs`` is the
                index of the last epoch + 1, so ``epochs - initial_epoch`` epochs run).
            steps_per_epoch: batches per epoch; the batches come from one continuing stream
                over the training set (an epoch may end inside a pass over the data and the next
                one continues there, as in Keras).
            validation_freq: evaluate the dev set every N-th epoch (an int), or on the listed
                1-based epochs (a list); other epochs log no ``val_*``.
            stop_on_nonfinite: stop at the first nan/inf batch loss (a warning names the epoch
                and batch; ``history.nonfinite`` records it) and write no checkpoint after it.
                A checkpoint is never written over with nan/inf weights. A second Ctrl-C in the
                middle of a step writes no checkpoint (the previous one stays); see
                :mod:`gradkit.train._guard`.

        Raises:
            ValueError: for non-finite input data (count and column named), bad arguments, an
                unknown, non-finite or out-of-range override.
            TypeError: for an override of the wrong kind.
        """
        _guard.check_fit_arguments(epochs, None, None)
        if epochs < 0:
            raise ValueError(f"epochs must be >= 0, got {epochs}")
        train_data, dev_data = self._keras_setup(train_data, dev_data, validation_data, validation_split,
                                                 class_weight, sample_weight, steps_per_epoch, validation_freq)
        if isinstance(initial_epoch, bool) or not isinstance(initial_epoch, int) or not 0 <= initial_epoch <= epochs:
            raise ValueError(f"fit: initial_epoch must be an integer in [0, epochs={epochs}], got {initial_epoch!r}")
        batch_size = _resolve_batch_size(batch_size)
        overrides = check_optimizer_overrides(self.optimizer, optimizer_overrides)
        self._loader = loader = _as_loader(train_data, batch_size, shuffle, "train_data", generator)
        _guard.check_fit_arguments(epochs, batch_size, len(loader.dataset))
        self.stop_on_nonfinite, self._guard = bool(stop_on_nonfinite), _guard.StepGuard()
        self._keys = getattr(loader.dataset, "target_keys", None)
        self._dev_loader = dev_loader = _as_loader(dev_data, max(batch_size or 0, 256), False, "dev_data")
        self._prox_groups = None
        self.epochs = epochs
        self.steps_per_epoch = len(loader) if self._spe is None else self._spe
        self._callbacks = cbs = CallbackList(self._all_callbacks(dev_loader is not None), self)
        self.stop_training = self.stop_now = False
        m_train = len(loader.dataset)
        self._running = {"loss_sum": 0.0, "count": 0}
        cbs.call("on_train_begin", {})
        start_epoch = initial_epoch
        resumed_mid_epoch = False
        self._steps_done, self._stream = 0, None
        if resume is not None and os.path.exists(str(resume)):
            self._running = self._restore(resume)
            start_epoch = self.epoch
            resumed_mid_epoch = bool(loader.state_dict()["in_epoch"]) if self._spe is None else self._steps_done > 0
        elif resume is not None:
            raise FileNotFoundError(f"fit(resume=...): no checkpoint at {resume}")
        else:
            self.history = History()
        self._apply_overrides(overrides, loader.state_dict()["batch"] if resumed_mid_epoch else 0)
        batch_hooks = cbs.has("on_batch_begin") or cbs.has("on_batch_end")
        self._device = _model_device(self.model)
        if isinstance(self.loss_fn, Module) and self._device != "cpu":  # a learned loss (uncertainty weights)
            self.loss_fn.to(self._device)
        interrupted = False
        self._sigint = False
        restore_sigint = self._install_sigint()
        try:
            for epoch in range(start_epoch, epochs):
                self.epoch = epoch
                self.model.train()
                if not resumed_mid_epoch:
                    self._running = {"loss_sum": 0.0, "count": 0}
                    for m in self.metrics:
                        m.reset()
                    cbs.call("on_epoch_begin", epoch, {})
                self._run_batches(loader, resumed_mid_epoch, m_train, batch_hooks, cbs)
                resumed_mid_epoch = False
                self._guard.enter()  # the end-of-epoch work: no checkpoint until it is complete
                logs = self._epoch_logs(dev_loader if _keras.validation_due(self._val_freq, epoch) else None)
                self.history.append(epoch, logs)
                cbs.call("on_epoch_end", epoch, logs)
                self.epoch = epoch + 1
                self._guard.leave()
                if checkpoint is not None and not self.stop_now and _guard.safe_to_write(self, checkpoint):
                    self.save_checkpoint(checkpoint)
                if self.stop_training:
                    break
        except KeyboardInterrupt:
            interrupted = True
            self.history.interrupted = True
            path = checkpoint or "gradkit-interrupted.safetensors"
            if self._guard.resumable and _guard.weights_finite(self.model) is None:
                self.save_checkpoint(path, rng=self._guard.checkpoint_rng())
                print(f"\ninterrupted: saved a resumable checkpoint to {path} "
                      f"(continue with fit(..., resume={str(path)!r}))", file=sys.stderr)
            else:
                print(f"\ninterrupted in the middle of a step: no checkpoint written (a previous one at {path}, "
                      "if any, is intact)", file=sys.stderr)
        finally:
            restore_sigint()
            if not interrupted:
                cbs.call("on_train_end", self.history.last())
            else:
                for cb in cbs.callbacks:
                    if isinstance(cb, ProgressBar):
                        cb.on_train_end()
        return self.history

    def _keras_setup(self, train_data, dev_data, validation_data, validation_split, class_weight, sample_weight,
                     steps_per_epoch, validation_freq):
        """Keras' fit arguments (:func:`gradkit.train._keras.setup`); returns ``(train_data, dev_data)``."""
        return _keras.setup(self, train_data, dev_data, validation_data, validation_split, class_weight,
                            sample_weight, steps_per_epoch, validation_freq)

    def _run_batches(self, loader, resumed_mid_epoch, m_train, batch_hooks, cbs):
        """One epoch's training steps: a pass over the loader, or ``steps_per_epoch`` steps of a continuing stream."""
        if self._spe is None:
            first_batch = loader.state_dict()["batch"] if resumed_mid_epoch else 0
            self._batches_done = first_batch
            for b, batch in enumerate(loader, start=first_batch):
                self._train_step(b, batch, m_train, batch_hooks, cbs)
                if self._sigint:
                    raise KeyboardInterrupt
                if self.stop_now:
                    break
            return
        _keras.run_stream(self, loader, resumed_mid_epoch, m_train, batch_hooks, cbs)

    def _train_step(self, b, batch, m_train, batch_hooks, cbs):
        xb, yb = _split_batch(batch, self._keys, getattr(self, "_device", None))
        if self._loss_none is not None:
            self._batch_w = _keras.batch_weights(self._cw_table, yb, batch[2] if self._weighted else None)
        if self.augment is not None:
            xb = _as_tensor(self.augment(xb.array))
        if batch_hooks:
            cbs.call("on_batch_begin", b, {})
        wants_closure = getattr(self.optimizer, "closure_calls_backward", None)
        self._guard.enter()
        if wants_closure is None:
            out, loss, total = self._forward(xb, yb, m_train)
            self.optimizer.zero_grad()
            # second-order optimizers (AdaHessian) read the gradients' graph
            total.backward(create_graph=getattr(self.optimizer, "needs_create_graph", False))
            self._clip()
            self.optimizer.step()
        else:
            out, loss = self._closure_step(xb, yb, m_train, wants_closure)
        lv = float(loss.array)
        _guard.check_loss(self, self.epoch, b, lv)
        if self.l1 and self.l1_mode == "proximal":
            self._prox_l1(m_train)
        n = _batch_len(xb, yb)
        self._running["loss_sum"] += lv * n
        self._running["count"] += n
        if self.tasks is not None:
            _add_task_losses(self._running, self.loss_fn)
        metrics_mod.update_all(self.metrics, _raw(out), _raw(yb))
        self._batches_done = b + 1
        if batch_hooks:
            cbs.call("on_batch_end", b, {"loss": lv, "size": n})
        self._guard.leave()

    def _forward(self, xb, yb, m_train):
        """Output, data loss and the loss to differentiate (with fit's regularization terms)."""
        out = self.model(xb)
        if self._batch_w is not None:
            loss = _keras.weighted_mean(self._loss_none(out, yb), self._batch_w)
        else:
            loss = self.loss_fn(out, yb)
        total = loss + self._penalty(m_train) if self._has_penalty() else loss
        return out, loss, total

    def _clip(self):
        if self.clip_grad_norm is not None:
            from ..optim import clip_grad_norm_

            clip_grad_norm_(self.model.parameters(), self.clip_grad_norm)

    def _closure_step(self, xb, yb, m_train, calls_backward):
        """One step of an optimizer that re-evaluates the loss itself (``closure_calls_backward``
        declared: ``True`` as LBFGS, the closure clears the grads, recomputes the batch's loss and
        backprops; ``False`` as Newton, the closure only returns the loss). Returns the output
        and data loss of the closure's first call (before the step), as the plain path logs."""
        first = []

        def closure():
            if calls_backward:
                self.optimizer.zero_grad()
            out, loss, total = self._forward(xb, yb, m_train)
            if not first:
                first.append((out, loss))
            if calls_backward:
                total.backward(create_graph=getattr(self.optimizer, "needs_create_graph", False))
                self._clip()
            return total

        self.optimizer.step(closure)
        if not first:
            raise RuntimeError(f"{type(self.optimizer).__name__}.step(closure) never called the closure")
        return first[0]

    def _install_sigint(self):
        """Turn the first Ctrl-C into a request honoured at the next batch boundary (so a
        checkpoint never holds a half-applied step); a second Ctrl-C interrupts at once."""
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = signal.getsignal(signal.SIGINT)

        def handler(signum, frame):
            if self._sigint:
                raise KeyboardInterrupt
            self._sigint = True
            print("\nCtrl-C: finishing this batch, then saving a checkpoint (press again to stop at once)",
                  file=sys.stderr)

        try:
            signal.signal(signal.SIGINT, handler)
        except ValueError:
            return lambda: None
        return lambda: signal.signal(signal.SIGINT, previous)

    def _epoch_logs(self, dev_loader) -> dict:
        count = self._running["count"]
        logs = {"loss": self._running["loss_sum"] / count if count else float("nan")}
        if self.tasks is not None:
            logs.update(_task_loss_logs(self._running, self.tasks))
        for m in self.metrics:
            logs[m.name] = float(m.result())
        if dev_loader is not None:
            for k, v in self.evaluate(dev_loader).items():
                logs[f"val_{k}"] = v
        logs["lr"] = self._lr()
        return logs

    # ------------------------------------------------------------------ evaluate / predict
    def evaluate(self, data, batch_size: int = 256) -> dict:
        """Loss and metrics on ``data`` (eval mode, no gradients); e.g. ``{'loss': ..., 'accuracy': ...}``."""
        return _evaluate(self.model, self.loss_fn, self.tasks, self.metrics, data, batch_size)

    def predict(self, X, batch_size: int = 256) -> np.ndarray:
        """Model outputs for ``X`` (eval mode, no gradients) as a NumPy array."""
        return predict(self.model, X, batch_size)


def _fresh(m):
    import copy

    c = copy.copy(m)
    c.reset()
    return c


def fit(model, loss, optimizer=None, train_data=None, dev_data=None, *, epochs: int = 1,
        batch_size: int | str | None = 32, metrics=None, callbacks=None, schedule=None, l1: float = 0.0,
        l2: float = 0.0, clip_grad_norm: float | None = None, augment=None, shuffle: bool = True, verbose="auto",
        resume=None, checkpoint=None, lr: float | None = None, generator=None, base_error: float = 0.0,
        l1_mode: str = "penalty", optimizer_overrides: dict | None = None, stop_on_nonfinite: bool = True,
        validation_data=None, validation_split: float = 0.0, class_weight: dict | None = None, sample_weight=None,
        initial_epoch: int = 0, steps_per_epoch: int | None = None, validation_freq=1) -> History:
    """Train ``model`` (Keras' ``fit``); see :class:`Trainer` and :meth:`Trainer.fit` for every argument.

    Keras' habits work as in Keras: ``validation_split=0.1`` (the last tenth of the arrays, before
    shuffling), ``validation_data``, ``class_weight``, ``sample_weight``, ``initial_epoch``,
    ``steps_per_epoch``, ``validation_freq``, ``verbose=0/1/2``. A model ending in ``Softmax`` or
    ``Sigmoid`` trained with a loss on logits gets a warning naming the layer and the fix.

    ``batch_size=None`` (or ``"full"``) is batch gradient descent, the whole training set per
    step; the course's guidance: full batch when ``m`` is small (below about 2000 examples),
    otherwise mini-batches of 64 to 512. Optimizers whose ``step`` needs a closure
    (``gk.optim.LBFGS``, ``gk.optim.Newton``: they declare ``closure_calls_backward``) get one
    that recomputes the batch's loss with fit's regularization terms; use them full batch.

    ``lr`` is the learning rate of an optimizer given by name, and, as
    ``optimizer_overrides={"lr": lr}``, is set on every param group of an optimizer instance
    or of a resumed run (after the checkpoint's restore; recorded in ``history.overrides``):
    ``fit(..., resume="ckpt.safetensors", lr=1e-4)`` continues with the new rate.

    Raises:
        ValueError: when ``lr`` and ``optimizer_overrides["lr"]`` disagree, and see :meth:`Trainer.fit`.

    Returns:
        The :class:`History`: ``history["loss"]``, ``history["val_accuracy"]``, ``history["lr"]``...
    """
    if train_data is None:
        raise ValueError("fit needs train_data: a DataLoader, a Dataset or a tuple (X, y)")
    keras = dict(validation_data=validation_data, validation_split=validation_split, class_weight=class_weight,
                 sample_weight=sample_weight, initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch,
                 validation_freq=validation_freq)
    if optimizer_overrides is not None and not isinstance(optimizer_overrides, dict):
        raise TypeError(f"optimizer_overrides must be a dict {{name: value}}, got {type(optimizer_overrides).__name__}")
    overrides = dict(optimizer_overrides or {})
    if lr is not None:
        if "lr" in overrides and overrides["lr"] != lr:
            raise ValueError(f"fit: lr={lr!r} and optimizer_overrides['lr']={overrides['lr']!r} disagree; give one")
        overrides["lr"] = lr
    trainer = Trainer(model, loss, optimizer, metrics=metrics, callbacks=callbacks, schedule=schedule, l1=l1, l2=l2,
                      clip_grad_norm=clip_grad_norm, augment=augment, verbose=verbose, lr=lr, base_error=base_error,
                      l1_mode=l1_mode)
    hist = trainer.fit(train_data, dev_data, epochs=epochs, batch_size=batch_size, shuffle=shuffle, resume=resume,
                       checkpoint=checkpoint, generator=generator, optimizer_overrides=overrides,
                       stop_on_nonfinite=stop_on_nonfinite, **keras)
    hist.trainer = trainer
    return hist


def evaluate(model, loss, data, metrics=None, batch_size: int = 256) -> dict:
    """Loss and metrics of ``model`` on ``data``, in eval mode and without gradients.

    Args:
        model: a ``gk.nn.Module``.
        loss: a loss module/callable or a name, as for :func:`fit`.
        data: a DataLoader, a Dataset or a tuple ``(X, y)``.
        metrics: metric names or objects, as for :func:`fit`.
        batch_size: mini-batch size when ``data`` is not a DataLoader.

    Returns:
        ``{'loss': ..., <metric>: ...}`` (per-task entries for a multi-task loss).

    Raises:
        TypeError: when ``model`` is not a Module, or for malformed data or metrics.
        ValueError: for an unknown loss or metric name, or non-finite data.
    """
    loss_fn, tasks = _model_and_loss(model, loss)
    return _evaluate(model, loss_fn, tasks, _build_metrics(loss_fn, tasks, metrics), data, batch_size)


def predict(model, X, batch_size: int = 256) -> np.ndarray:
    """Outputs of ``model`` for inputs ``X`` (array or Tensor), in eval mode, batch by batch
    (a dict ``{task: array}`` for a model that returns a dict)."""
    from ..backend import to_numpy

    arr = X.array if isinstance(X, Tensor) else np.asarray(X)
    device = _model_device(model)
    was_training = model.training
    model.eval()
    outs = []
    try:
        with no_grad():
            for i in range(0, len(arr), batch_size):
                out = model(Tensor(arr[i:i + batch_size], device=device))
                outs.append({k: to_numpy(v.array) for k, v in out.items()} if isinstance(out, dict) else to_numpy(out.array))
    finally:
        model.train(was_training)
    if outs and isinstance(outs[0], dict):  # a multi-task model: {task: array}
        return {k: np.concatenate([o[k] for o in outs]) for k in outs[0]}
    return np.concatenate(outs) if outs else np.zeros((0,))
