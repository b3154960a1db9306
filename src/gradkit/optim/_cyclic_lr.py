"""Cyclic schedules and chaining: ``CosineAnnealingWarmRestarts``, ``CyclicLR``, ``OneCycleLR`` and
``ChainedScheduler`` (``torch.optim.lr_scheduler`` semantics), re-exported by
:mod:`gradkit.optim.lr_scheduler`.

``CyclicLR`` and ``OneCycleLR`` also cycle the momentum (``momentum`` of SGD-like optimizers,
``betas[0]`` of Adam-like ones) opposite to the learning rate, as PyTorch does: a high rate
with a low momentum and the reverse (Smith, 2018, "A disciplined approach to neural network
hyper-parameters").
"""

from __future__ import annotations

import math

from .lr_scheduler import LRScheduler, _positive_int
from .optimizer import _check_nonneg

__all__ = ["CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "ChainedScheduler"]


def _per_group(name: str, optimizer, value) -> list:
    """``value`` once per param group (a list/tuple must have one entry per group)."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"expected {n} values of {name} (one per param group), got {len(value)}")
        return [float(v) for v in value]
    return [float(value)] * n


class _MomentumCycler:
    """Sets ``momentum`` (or ``betas[0]``) of each group, for the cyclic schedules."""

    def _init_momentum(self, optimizer, base_momentum, max_momentum, fresh: bool) -> None:
        if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
            raise ValueError(f"{type(self).__name__}(cycle_momentum=True): {type(optimizer).__name__} has neither "
                             "'momentum' nor 'betas'; pass cycle_momentum=False")
        self.use_beta1 = "betas" in optimizer.defaults
        self.base_momentums = _per_group("base_momentum", optimizer, base_momentum)
        self.max_momentums = _per_group("max_momentum", optimizer, max_momentum)
        if fresh:
            for m, b, group in zip(self.max_momentums, self.base_momentums, optimizer.param_groups):
                self._set_momentum(group, m)
                group["max_momentum"] = m
                group["base_momentum"] = b

    def _set_momentum(self, group, value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing with warm restarts (Loshchilov & Hutter, 2017, "SGDR").

    Within a cycle of ``T_i`` epochs, ``lr = eta_min + (base_lr - eta_min) (1 + cos(pi T_cur / T_i)) / 2``;
    at the end of a cycle the rate jumps back to ``base_lr`` and the next cycle is ``T_mult``
    times longer (``T_0``, ``T_0 T_mult``, ...). ``step(epoch)`` accepts a fractional epoch
    (``epoch + i / iters`` inside an epoch), as in PyTorch.

    Args:
        optimizer: the wrapped optimizer.
        T_0: length of the first cycle (positive).
        T_mult: growth factor of the cycle length (an integer >= 1, default 1).
        eta_min: the lowest rate (default 0).
        last_epoch: index of the last epoch when resuming.

    Raises:
        ValueError: for ``T_0 < 1``, ``T_mult < 1`` or a negative ``eta_min``.

    Example:
        >>> import gradkit as gk
        >>> opt = gk.optim.SGD([gk.tensor([1.0], requires_grad=True)], lr=1.0)
        >>> s = CosineAnnealingWarmRestarts(opt, T_0=2)
        >>> out = []
        >>> for _ in range(5):
        ...     out.append(round(s.get_last_lr()[0], 3)); s.step()
        >>> out
        [1.0, 0.5, 1.0, 0.5, 1.0]
    """

    _chainable = False

    def __init__(self, optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1):
        self.T_0 = _positive_int("T_0", T_0)
        self.T_mult = _positive_int("T_mult", T_mult)
        self.eta_min = _check_nonneg("eta_min", eta_min)
        self.T_i = self.T_0
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def _cycle(self, epoch: float) -> tuple:
        """``(T_cur, T_i)`` at a (possibly fractional) epoch."""
        if epoch < self.T_0:
            return epoch, self.T_0
        if self.T_mult == 1:
            return epoch % self.T_0, self.T_0
        n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
        return epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1), self.T_0 * self.T_mult**n

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or jump to ``epoch`` (a float inside an epoch is allowed)."""
        self._step_count += 1
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:  # PyTorch's incremental form (the same numbers for whole epochs)
                self.T_cur -= self.T_i
                self.T_i *= self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"CosineAnnealingWarmRestarts.step: expected a non-negative epoch, got {epoch}")
            self.T_cur, self.T_i = self._cycle(epoch)
        self.last_epoch = math.floor(epoch)
        lrs = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = [float(lr) for lr in lrs]
        self._closed_lr = list(self._last_lr)

    def _lr_at(self, base_lr, epoch, k):
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2


class CyclicLR(_MomentumCycler, LRScheduler):
    """Cyclical learning rates (Smith, 2017, "Cyclical Learning Rates for Training Neural
    Networks"): the rate goes linearly from ``base_lr`` up to ``max_lr`` in ``step_size_up``
    steps and back down in ``step_size_down``; step it after every batch.

    The amplitude is scaled per cycle by ``mode``: ``"triangular"`` (constant),
    ``"triangular2"`` (halved each cycle), ``"exp_range"`` (``gamma ** iteration``), or by a
    custom ``scale_fn`` of the cycle (``scale_mode="cycle"``) or of the iteration.
    With ``cycle_momentum`` the momentum moves the opposite way, from ``max_momentum`` down to
    ``base_momentum`` while the rate rises.

    Args:
        optimizer: the wrapped optimizer.
        base_lr: the lower rate (a number, or one per group); it is set at construction.
        max_lr: the upper rate (a number, or one per group).
        step_size_up: steps of the rising half (default 2000).
        step_size_down: steps of the falling half (default: ``step_size_up``).
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
        gamma: the factor of ``"exp_range"`` (default 1).
        scale_fn: a custom amplitude function (overrides ``mode``).
        scale_mode: ``"cycle"`` or ``"iterations"``: the argument of ``scale_fn``.
        cycle_momentum: cycle ``momentum`` / ``betas[0]`` too (default True).
        base_momentum, max_momentum: its range (defaults 0.8 and 0.9).
        last_epoch: index of the last step when resuming.

    Raises:
        ValueError: for an unknown mode, or ``cycle_momentum`` with an optimizer without momentum.

    Example:
        >>> import gradkit as gk
        >>> opt = gk.optim.SGD([gk.tensor([1.0], requires_grad=True)], lr=0.1, momentum=0.9)
        >>> s = CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2)
        >>> out = []
        >>> for _ in range(5):
        ...     out.append(round(s.get_last_lr()[0], 3)); s.step()
        >>> out
        [0.1, 0.3, 0.5, 0.3, 0.1]
    """

    _chainable = False

    def __init__(self, optimizer, base_lr, max_lr, step_size_up: int = 2000, step_size_down: int | None = None,
                 mode: str = "triangular", gamma: float = 1.0, scale_fn=None, scale_mode: str = "cycle",
                 cycle_momentum: bool = True, base_momentum=0.8, max_momentum=0.9, last_epoch: int = -1):
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        if up <= 0 or down < 0:
            raise ValueError(f"CyclicLR: step_size_up must be > 0 and step_size_down >= 0, got {up} and {down}")
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(f"CyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range', got {mode!r}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"CyclicLR: scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}")
        self.mode = mode
        self.gamma = float(gamma)
        self._fn_scale = scale_fn
        self.scale_mode = scale_mode if scale_fn is not None else ("iterations" if mode == "exp_range" else "cycle")
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            self._init_momentum(optimizer, base_momentum, max_momentum, last_epoch == -1)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x: float) -> float:
        """The amplitude factor at cycle (or iteration) ``x``."""
        if self._fn_scale is not None:
            return self._fn_scale(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def get_lr(self) -> list:
        """The rates at ``last_epoch`` (and, with ``cycle_momentum``, sets the groups' momentum)."""
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [b + (m - b) * scale_factor * scale for b, m in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, b, m in zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums):
                self._set_momentum(group, m - (m - b) * scale_factor * scale)
        return lrs


class OneCycleLR(_MomentumCycler, LRScheduler):
    """The 1cycle policy (Smith & Topin, 2017, "Super-Convergence"): warm up from
    ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start`` of the steps, then anneal
    to ``max_lr / (div_factor * final_div_factor)``; the momentum goes the opposite way
    (``max_momentum`` -> ``base_momentum`` -> ``max_momentum``). Step it after every batch,
    ``total_steps`` (or ``epochs * steps_per_epoch``) times in all.

    With ``three_phase`` the rate comes back down to the initial rate symmetrically before the
    final annealing (fast.ai's earlier form).

    Args:
        optimizer: the wrapped optimizer.
        max_lr: the peak rate (a number or one per group).
        total_steps: the number of steps in the cycle; or give ``epochs`` and ``steps_per_epoch``.
        epochs, steps_per_epoch: the cycle length as their product.
        pct_start: the fraction of the steps spent rising (default 0.3).
        anneal_strategy: ``"cos"`` (default) or ``"linear"``.
        cycle_momentum: cycle ``momentum`` / ``betas[0]`` (default True).
        base_momentum, max_momentum: the momentum range (defaults 0.85 and 0.95).
        div_factor: ``initial_lr = max_lr / div_factor`` (default 25).
        final_div_factor: ``min_lr = initial_lr / final_div_factor`` (default 1e4).
        three_phase: use the three-phase form.
        last_epoch: index of the last step when resuming.

    Raises:
        ValueError: for a missing or non-positive cycle length, ``pct_start`` outside [0, 1],
            an unknown ``anneal_strategy``, or stepping past ``total_steps``.

    Example:
        >>> import gradkit as gk
        >>> opt = gk.optim.SGD([gk.tensor([1.0], requires_grad=True)], lr=0.1, momentum=0.9)
        >>> s = OneCycleLR(opt, max_lr=1.0, total_steps=10)
        >>> lrs = []
        >>> for _ in range(10):
        ...     lrs.append(s.get_last_lr()[0]); opt.step(); s.step()
        >>> round(lrs[0], 3), round(max(lrs), 3), lrs[-1] < 1e-4
        (0.04, 1.0, True)
    """

    _chainable = False

    def __init__(self, optimizer, max_lr, total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3, anneal_strategy: str = "cos",
                 cycle_momentum: bool = True, base_momentum=0.85, max_momentum=0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False, last_epoch: int = -1):
        if total_steps is not None:
            self.total_steps = _positive_int("total_steps", total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = _positive_int("epochs", epochs) * _positive_int("steps_per_epoch", steps_per_epoch)
        else:
            raise ValueError("OneCycleLR needs total_steps, or both epochs and steps_per_epoch")
        if not 0 <= pct_start <= 1 or isinstance(pct_start, bool):
            raise ValueError(f"OneCycleLR: pct_start must be a number in [0, 1], got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        n = float(pct_start * self.total_steps)
        if three_phase:
            self._phases = [(n - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (2 * n - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                            (self.total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self._phases = [(n - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (self.total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for m, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = m / div_factor
                group["max_lr"] = m
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            self._init_momentum(optimizer, base_momentum, max_momentum, last_epoch == -1)
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list:
        """The rates at ``last_epoch`` (and, with ``cycle_momentum``, sets the groups' momentum)."""
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR stepped {step} times, more than total_steps={self.total_steps}; "
                             "give total_steps (or epochs * steps_per_epoch) for the whole run")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr0, lr1, m0, m1) in enumerate(self._phases):
                if step <= end or i == len(self._phases) - 1:
                    pct = (step - start) / (end - start)
                    lrs.append(self._anneal(group[lr0], group[lr1], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m0], group[m1], pct))
                    break
                start = end
        return lrs


class ChainedScheduler(LRScheduler):
    """Apply several schedules at once, in order, as PyTorch's chainable forms do: each step steps
    every one; a multiplicative schedule (``ExponentialLR``, ``StepLR``, ``ConstantLR``...) scales
    the rate the previous ones produced by its own step factor ``lr_at(epoch) / lr_at(epoch - 1)``,
    and a schedule that sets an absolute rate (``CyclicLR``, ``OneCycleLR``,
    ``CosineAnnealingWarmRestarts``, ``LambdaLR``) sets it. With multiplicative schedules only,
    ``lr = base_lr * prod_i (lr_i / base_lr)`` (e.g. a :class:`ConstantLR` warm-up times an
    :class:`ExponentialLR` decay).

    Args:
        schedulers: the schedulers, all wrapping one optimizer, built in this order.
        optimizer: that optimizer (optional; checked when given).

    Raises:
        ValueError: when the list is empty or the schedulers wrap different optimizers.
        TypeError: for a ReduceLROnPlateau (it needs the metric: step it on its own).

    Example:
        >>> import gradkit as gk
        >>> from gradkit.optim.lr_scheduler import ConstantLR, ExponentialLR
        >>> opt = gk.optim.SGD([gk.tensor([1.0], requires_grad=True)], lr=1.0)
        >>> s = ChainedScheduler([ConstantLR(opt, factor=0.1, total_iters=2), ExponentialLR(opt, gamma=0.9)])
        >>> out = []
        >>> for _ in range(4):
        ...     out.append(round(s.get_last_lr()[0], 4)); s.step()
        >>> out
        [0.1, 0.09, 0.81, 0.729]
    """

    _chainable = False

    def __init__(self, schedulers, optimizer=None):
        schedulers = list(schedulers)
        if not schedulers:
            raise ValueError("ChainedScheduler needs at least one scheduler")
        optimizer = optimizer if optimizer is not None else schedulers[0].optimizer
        for i, s in enumerate(schedulers):
            if not isinstance(s, LRScheduler):
                raise TypeError(f"ChainedScheduler: scheduler {i} is a {type(s).__name__}; ReduceLROnPlateau "
                                "needs the metric and cannot be chained, step it on its own")
            if s.optimizer is not optimizer:
                raise ValueError(f"ChainedScheduler: scheduler {i} wraps a different optimizer than the others")
        self._schedulers = schedulers
        self.optimizer = optimizer
        self.base_lrs = [float(g["initial_lr"]) for g in optimizer.param_groups]
        self.last_epoch = schedulers[0].last_epoch
        self._step_count = 0
        # building the schedulers one after the other already composed their epoch-0 rates
        self._last_lr = [float(g["lr"]) for g in optimizer.param_groups]

    @staticmethod
    def _closed(s) -> list:
        return list(s._closed_lr) if getattr(s, "_closed_lr", None) is not None else s.get_last_lr()

    def step(self, epoch=None) -> None:
        """Step every scheduler once and compose their rates in order."""
        if epoch is not None:
            raise TypeError("ChainedScheduler.step() takes no epoch (as in PyTorch)")
        self._step_count += 1
        self.last_epoch += 1
        olds = [self._closed(s) for s in self._schedulers]
        for s in self._schedulers:
            s.step()
        lrs = []
        for k, lr in enumerate(self._last_lr):
            for s, old in zip(self._schedulers, olds):
                new = self._closed(s)[k]
                lr = lr * (new / old[k]) if s._chainable and old[k] != 0 else new
            lrs.append(lr)
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = lrs

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
