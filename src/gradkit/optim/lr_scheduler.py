"""Learning-rate schedules (``torch.optim.lr_scheduler`` semantics).

A scheduler rewrites ``group["lr"]`` of its optimizer's groups. Build it after the optimizer
(it records each group's ``initial_lr`` and sets the epoch-0 value), call ``optimizer.step()``
then ``scheduler.step()`` once per epoch or once per iteration, read ``get_last_lr()``.
``last_epoch`` counts the ``step()`` calls. Each schedule here is a closed-form function of
``last_epoch`` and the base learning rates (the values PyTorch's recursive forms produce,
up to rounding), so ``step(epoch)`` can jump anywhere and ``state_dict()`` is a few numbers.

Schedules compose as in PyTorch. When something else has changed a group's ``lr`` since a
scheduler last wrote it (a second scheduler stepped on the same optimizer, ``ReduceLROnPlateau``,
a hand-set rate, ``fit(..., lr=...)`` on a resumed run), the scheduler switches for good to
PyTorch's chainable form and multiplies the current rate by its own factor
``lr_at(epoch) / lr_at(epoch - 1)``; so ``ExponentialLR`` and ``MultiStepLR`` stepped one after
the other give the product of both, as the PyTorch documentation's example does. Schedules
that set absolute rates (``LambdaLR``, ``CyclicLR``, ``OneCycleLR``,
``CosineAnnealingWarmRestarts``) always do, as in PyTorch.

Example:
    >>> import gradkit as gk
    >>> w = gk.tensor([1.0], requires_grad=True)
    >>> opt = gk.optim.SGD([w], lr=0.1)
    >>> sched = gk.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step(); sched.step()
    >>> lrs
    [0.1, 0.1, 0.05, 0.05, 0.025]
"""

from __future__ import annotations

import math
from bisect import bisect_right

import numpy as np

from . import _validate
from .optimizer import Optimizer, _check_nonneg

__all__ = [
    "LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "LinearWarmup",
    "ExponentialLR", "InverseTimeDecay", "PolynomialLR", "CosineAnnealingLR", "SequentialLR", "ReduceLROnPlateau",
    "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "ChainedScheduler",
]


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"invalid {name}: expected a positive integer, got {value!r}")
    return int(value)


class LRScheduler:
    """Base class: subclasses implement :meth:`_lr_at` (the closed-form lr at an epoch).

    Args:
        optimizer: the wrapped optimizer.
        last_epoch: the index of the last epoch when resuming (-1 starts fresh).

    Raises:
        TypeError: when ``optimizer`` is not a gradkit Optimizer.
        ValueError: when resuming (``last_epoch >= 0``) and a group lacks ``initial_lr``.
    """

    #: Whether the schedule has PyTorch's chainable (multiplicative) form; see the module docstring.
    _chainable = True

    def __init__(self, optimizer, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} needs a gradkit Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        _validate.check_scheduler_options(self)
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for k, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ValueError(
                        f"param_groups[{k}] has no 'initial_lr' but last_epoch={last_epoch} asks to resume; "
                        "load the optimizer's state_dict first or start with last_epoch=-1"
                    )
        self.base_lrs = [float(g["initial_lr"]) for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        # what a lone scheduler expects the groups to hold; a difference means another one acts too
        self._last_lr = list(self.base_lrs) if last_epoch == -1 else [float(g["lr"]) for g in optimizer.param_groups]
        self._chained = False
        self._closed_lr = list(self.base_lrs) if last_epoch == -1 else None  # closed-form lrs at last_epoch
        self.step()

    def _lr_at(self, base_lr: float, epoch: int, k: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_lr(self) -> list:
        """The learning rates of all groups at ``last_epoch``."""
        return [self._lr_at(b, self.last_epoch, k) for k, b in enumerate(self.base_lrs)]

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (or jump to ``epoch``) and write the new rates into the optimizer."""
        self._step_count += 1
        self.last_epoch = self.last_epoch + 1 if epoch is None else int(epoch)
        closed = _validate.checked_lrs(self)
        lrs = closed
        groups = self.optimizer.param_groups
        if epoch is None and self._chainable and self._closed_lr is not None:
            if not self._chained and any(float(g["lr"]) != last for g, last in zip(groups, self._last_lr)):
                self._chained = True
            if self._chained:
                lrs = [float(g["lr"]) * (new / old) if old != 0 else new
                       for g, new, old in zip(groups, closed, self._closed_lr)]
        self._closed_lr = [float(lr) for lr in closed]
        if lrs is not closed:
            _validate.check_lrs(self, lrs, self.last_epoch)
        for group, lr in zip(groups, lrs):
            group["lr"] = lr
        self._last_lr = [float(lr) for lr in lrs]

    def get_last_lr(self) -> list:
        """The learning rates the last :meth:`step` set, one per group."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """The scheduler's plain-number state (functions such as LambdaLR's lambdas are left out)."""
        return {
            k: (list(v) if isinstance(v, (list, tuple)) else v)
            for k, v in self.__dict__.items()
            if k != "optimizer" and not callable(v) and not k.startswith("_fn")
            and not (isinstance(v, (list, tuple)) and any(callable(x) or isinstance(x, LRScheduler) for x in v))
        }

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a state produced by :meth:`state_dict`; a schedule that acts alone (not chained
        with another) also sets its last rates in the optimizer's groups, so that loading the
        schedule without the optimizer continues the same sequence."""
        for k, v in state_dict.items():
            self.__dict__[k] = list(v) if isinstance(v, tuple) else v
        if not self.__dict__.get("_chained", False) and "_last_lr" in state_dict:
            for group, lr in zip(self.optimizer.param_groups, self._last_lr):
                group["lr"] = lr

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self._last_lr})"


class LambdaLR(LRScheduler):
    """``lr = base_lr * lr_lambda(epoch)``: any manual schedule.

    Args:
        optimizer: the wrapped optimizer.
        lr_lambda: a function of the epoch, or one per group.
        last_epoch: index of the last epoch when resuming.

    Raises:
        ValueError: when the number of lambdas differs from the number of groups.

    Example:
        >>> import gradkit as gk
        >>> opt = gk.optim.SGD([gk.tensor([1.0], requires_grad=True)], lr=1.0)
        >>> s = LambdaLR(opt, lambda e: 0.5 ** e)
        >>> s.step(); s.step(); s.get_last_lr()
        [0.25]
    """

    _chainable = False

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        n = len(optimizer.param_groups)
        fns = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        if len(fns) != n:
            raise ValueError(f"{type(self).__name__} expected {n} lr_lambdas (one per group), got {len(fns)}")
        self._fn_lambdas = fns
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, base_lr, epoch, k):
        return base_lr * self._fn_lambdas[k](epoch)


class MultiplicativeLR(LambdaLR):
    """Multiply the current lr by ``lr_lambda(epoch)`` at every step after the first.

    ``lr = base_lr * lr_lambda(1) * ... * lr_lambda(epoch)``; the running value is kept, so a
    step costs one call of ``lr_lambda`` (it is recomputed only after a jump back, e.g. a resume).

    Args:
        optimizer: the wrapped optimizer.
        lr_lambda: a function of the epoch giving the factor, or one per group.
        last_epoch: index of the last epoch when resuming.
    """

    _chainable = True

    def _lr_at(self, base_lr, epoch, k):
        cache = self.__dict__.setdefault("_running", {})  # group -> (epoch, base_lr, lr at that epoch)
        done, base, lr = cache.get(k, (0, base_lr, base_lr))
        if done > epoch or base != base_lr:
            done, lr = 0, base_lr
        for e in range(done + 1, epoch + 1):
            lr *= self._fn_lambdas[k](e)  # the order PyTorch multiplies in: lr_t = lr_{t-1} * f(t)
        cache[k] = (epoch, base_lr, lr)
        return lr


class StepLR(LRScheduler):
    """``lr = base_lr * gamma ** (epoch // step_size)``: decay every ``step_size`` epochs.

    Args:
        optimizer: the wrapped optimizer.
        step_size: epochs between decays (positive).
        gamma: multiplicative factor (default 0.1).
        last_epoch: index of the last epoch when resuming.
    """

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        self.step_size = _positive_int("step_size", step_size)
        self.gamma = _check_nonneg("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, base_lr, epoch, k):
        return base_lr * self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    """``lr = base_lr * gamma ** (number of milestones <= epoch)``.

    Args:
        optimizer: the wrapped optimizer.
        milestones: epochs at which to decay (a repeated milestone decays twice).
        gamma: multiplicative factor (default 0.1).
        last_epoch: index of the last epoch when resuming.
    """

    def __init__(self, optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1):
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = _check_nonneg("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, base_lr, epoch, k):
        return base_lr * self.gamma ** bisect_right(self.milestones, epoch)


class ConstantLR(LRScheduler):
    """``lr = base_lr * factor`` for the first ``total_iters`` epochs, then ``base_lr``.

    Args:
        optimizer: the wrapped optimizer.
        factor: the factor, in [0, 1] (default 1/3).
        total_iters: how many epochs it applies (default 5).
        last_epoch: index of the last epoch when resuming.
    """

    def __init__(self, optimizer, factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1):
        if not 0 <= factor <= 1:
            raise ValueError(f"invalid factor: expected a number in [0, 1], got {factor!r}")
        self.factor = float(factor)
        self.total_iters = int(total_iters)
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, base_lr, epoch, k):
        return base_lr * (self.factor if epoch < self.total_iters else 1.0)


class LinearLR(LRScheduler):
    """Linear change of the factor from ``start_factor`` to ``end_factor`` over ``total_iters`` epochs:
    ``lr = base_lr * (start + (end - start) * min(epoch, total_iters) / total_iters)``.

    Args:
        optimizer: the wrapped optimizer.
        start_factor: factor at epoch 0, in (0, 1] (default 1/3).
        end_factor: factor from ``total_iters`` on, in [0, 1] (default 1).
        total_iters: length of the ramp (default 5).
        last_epoch: index of the last epoch when resuming.

    Raises:
        ValueError: for factors outside their ranges.
    """

    def __init__(self, optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5,
                 last_epoch: int = -1):
        if not 0 < start_factor <= 1:
            raise ValueError(f"invalid start_factor: expected a number in (0, 1], got {start_factor!r}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"invalid end_factor: expected a number in [0, 1], got {end_factor!r}")
        self.start_factor = float(start_factor)
        self.end_factor = float(end_factor)
        self.total_iters = _positive_int("total_iters", total_iters)
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, base_lr, epoch, k):
        frac = min(epoch, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * frac)


class LinearWarmup(LRScheduler):
    """Linear warm-up: ``lr = base_lr * min(1, (epoch + 1) / warmup_steps)``.

    The first step trains at ``base_lr / warmup_steps``; after ``warmup_steps`` steps the rate
    is ``base_lr`` (Goyal et al., 2017, "Accurate, Large Minibatch SGD"). Step it per
    iteration; follow it with another schedule through :class:`SequentialLR`.

    Args:
        optimizer: the wrapped optimizer.
        warmup_steps: length of the warm-up (positive).
        last_epoch: index of the last step when resuming.
    """

    def __init__(self, optimizer, warmup_steps: int, last_epoch: int = -1):
        self.warmup_steps = _positive_int("warmup_steps", warmup_steps)
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, base_lr, epoch, k):
        return base_lr * min(1.0, (epoch + 1) / self.warmup_steps)


class ExponentialLR(LRScheduler):
    """``lr = base_lr * gamma ** epoch`` (the course's exponential decay, e.g. 0.95 ** epoch).

    Args:
        optimizer: the wrapped optimizer.
        gamma: the decay factor per epoch.
        last_epoch: index of the last epoch when resuming.
    """

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = _check_nonneg("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, base_lr, epoch, k):
        return base_lr * self.gamma**epoch


class InverseTimeDecay(LRScheduler):
    """The course's learning-rate decay ``lr = lr0 / (1 + decay_rate * epoch)``
    (Keras' ``InverseTimeDecay``: ``epoch / decay_steps`` in place of ``epoch``, floored when
    ``staircase``).

    Args:
        optimizer: the wrapped optimizer.
        decay_rate: the rate, >= 0.
        decay_steps: epochs (or steps) per unit of decay (default 1).
        staircase: decay in discrete jumps.
        last_epoch: index of the last epoch when resuming.

    Example:
        >>> import gradkit as gk
        >>> opt = gk.optim.SGD([gk.tensor([1.0], requires_grad=True)], lr=0.2)
        >>> s = InverseTimeDecay(opt, decay_rate=1.0)
        >>> s.step(); s.step(); round(s.get_last_lr()[0], 6)   # 0.2 / (1 + 1 * 2)
        0.066667
    """

    def __init__(self, optimizer, decay_rate: float, decay_steps: int = 1, staircase: bool = False,
                 last_epoch: int = -1):
        self.decay_rate = _check_nonneg("decay_rate", decay_rate)
        self.decay_steps = _positive_int("decay_steps", decay_steps)
        self.staircase = bool(staircase)
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, base_lr, epoch, k):
        p = epoch / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return base_lr / (1.0 + self.decay_rate * p)


class PolynomialLR(LRScheduler):
    """``lr = base_lr * (1 - min(epoch, total_iters) / total_iters) ** power``.

    Args:
        optimizer: the wrapped optimizer.
        total_iters: epochs until the rate reaches 0 (default 5).
        power: the polynomial's power (default 1).
        last_epoch: index of the last epoch when resuming.
    """

    def __init__(self, optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1):
        self.total_iters = _positive_int("total_iters", total_iters)
        self.power = float(power)
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, base_lr, epoch, k):
        return base_lr * (1.0 - min(epoch, self.total_iters) / self.total_iters) ** self.power


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing (Loshchilov & Hutter, 2017, "SGDR"), without restarts:
    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``.

    Args:
        optimizer: the wrapped optimizer.
        T_max: half period in epochs (the rate reaches ``eta_min`` at ``T_max``).
        eta_min: the lowest rate (default 0).
        last_epoch: index of the last epoch when resuming.
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        self.T_max = _positive_int("T_max", T_max)
        self.eta_min = _check_nonneg("eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, base_lr, epoch, k):
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


class SequentialLR(LRScheduler):
    """Run schedulers one after another: ``schedulers[i]`` from ``milestones[i-1]`` on, each
    restarted at its own epoch 0 (e.g. a :class:`LinearWarmup` then a :class:`CosineAnnealingLR`).

    Args:
        optimizer: the wrapped optimizer (the same one the schedulers wrap).
        schedulers: the schedulers, in order.
        milestones: the epochs at which to switch (one fewer than schedulers, increasing).
        last_epoch: index of the last epoch when resuming.

    Raises:
        ValueError: when the counts do not match, or a scheduler wraps another optimizer.

    Example:
        >>> import gradkit as gk
        >>> opt = gk.optim.SGD([gk.tensor([1.0], requires_grad=True)], lr=1.0)
        >>> warm = LinearWarmup(opt, warmup_steps=2)
        >>> cos = CosineAnnealingLR(opt, T_max=2)
        >>> s = SequentialLR(opt, [warm, cos], milestones=[2])
        >>> out = []
        >>> for _ in range(5):
        ...     out.append(round(s.get_last_lr()[0], 3)); s.step()
        >>> out
        [0.5, 1.0, 1.0, 0.5, 0.0]
    """

    _chainable = False

    def __init__(self, optimizer, schedulers, milestones, last_epoch: int = -1):
        schedulers = list(schedulers)
        milestones = [int(m) for m in milestones]
        if len(schedulers) < 1:
            raise ValueError("SequentialLR needs at least one scheduler")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"SequentialLR expects len(milestones) == len(schedulers) - 1, got {len(milestones)} milestones "
                f"and {len(schedulers)} schedulers"
            )
        if any(b <= a for a, b in zip(milestones, milestones[1:])):
            raise ValueError(f"SequentialLR milestones must increase, got {milestones}")
        for i, s in enumerate(schedulers):
            if s.optimizer is not optimizer:
                raise ValueError(f"SequentialLR: scheduler {i} wraps a different optimizer than the one given")
        self._schedulers = schedulers
        self.milestones = milestones
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        super().__init__(optimizer, last_epoch)

    def step(self, epoch: int | None = None) -> None:
        self._step_count += 1
        self.last_epoch = self.last_epoch + 1 if epoch is None else int(epoch)
        idx = bisect_right(self.milestones, self.last_epoch)
        start = self.milestones[idx - 1] if idx > 0 else 0
        sched = self._schedulers[idx]
        sched.step(self.last_epoch - start)
        self._last_lr = sched.get_last_lr()

    def state_dict(self) -> dict:
        state = super().state_dict()
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state = dict(state_dict)
        subs = state.pop("_schedulers", None)
        super().load_state_dict(state)
        if subs is not None:
            for s, st in zip(self._schedulers, subs):
                s.load_state_dict(st)


class ReduceLROnPlateau:
    """Multiply the learning rate by ``factor`` when a metric has stopped improving.

    After ``patience`` epochs without improvement (better than the best by more than
    ``threshold``, relative or absolute), ``lr = max(lr * factor, min_lr)``, then wait
    ``cooldown`` epochs before counting again. Changes smaller than ``eps`` are ignored.

    Args:
        optimizer: the wrapped optimizer.
        mode: ``"min"`` (loss) or ``"max"`` (accuracy).
        factor: the reduction factor, in [0, 1) (default 0.1).
        patience: epochs without improvement to tolerate (default 10).
        threshold: the least significant improvement (default 1e-4).
        threshold_mode: ``"rel"`` (``best * (1 -+ threshold)``) or ``"abs"`` (``best -+ threshold``).
        cooldown: epochs to wait after a reduction (default 0).
        min_lr: a lower bound, a number or one per group (default 0).
        eps: the smallest change applied (default 1e-8).

    Raises:
        ValueError: for an unknown mode/threshold_mode, ``factor >= 1``, or a wrong number of ``min_lr``.

    Example:
        >>> import gradkit as gk
        >>> opt = gk.optim.SGD([gk.tensor([1.0], requires_grad=True)], lr=1.0)
        >>> s = ReduceLROnPlateau(opt, patience=1, factor=0.5)
        >>> for loss in [1.0, 1.0, 1.0]:
        ...     s.step(loss)
        >>> s.get_last_lr()
        [0.5]
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0.0, eps=1e-8):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"ReduceLROnPlateau needs a gradkit Optimizer, got {type(optimizer).__name__}")
        if not 0 <= factor < 1.0:
            raise ValueError(f"invalid factor: expected a number in [0, 1), got {factor!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"invalid mode: expected 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"invalid threshold_mode: expected 'rel' or 'abs', got {threshold_mode!r}")
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"ReduceLROnPlateau expected {n} min_lr values (one per group), got {len(min_lr)}")
            self.min_lrs = [float(m) for m in min_lr]
        else:
            self.min_lrs = [float(min_lr)] * n
        self.factor = float(factor)
        self.patience = int(patience)
        self.threshold = float(threshold)
        self.threshold_mode = threshold_mode
        self.cooldown = int(cooldown)
        self.mode = mode
        self.eps = float(eps)
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = [float(g["lr"]) for g in optimizer.param_groups]

    def is_better(self, a: float, best: float) -> bool:
        """Whether metric ``a`` improves on ``best`` by more than the threshold."""
        if self.mode == "min":
            ref = best * (1.0 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold
            return a < ref
        ref = best * (1.0 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold
        return a > ref

    def step(self, metrics) -> None:
        """Record this epoch's metric (a number or 0-d Tensor) and reduce the rate if it stalled."""
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for k, group in enumerate(self.optimizer.param_groups):
                old = float(group["lr"])
                new = max(old * self.factor, self.min_lrs[k])
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [float(g["lr"]) for g in self.optimizer.param_groups]

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def get_last_lr(self) -> list:
        """The learning rates after the last :meth:`step`."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """Plain-number state (best, counters, settings)."""
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a state produced by :meth:`state_dict`."""
        self.__dict__.update({k: (list(v) if isinstance(v, tuple) else v) for k, v in state_dict.items()})


from ._cyclic_lr import ChainedScheduler, CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR  # noqa: E402
