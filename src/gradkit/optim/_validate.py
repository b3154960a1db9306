"""One place for the checks on hyperparameters where they enter an optimizer or a schedule.

Called from three spots with one line each: :meth:`Optimizer.add_param_group` (every group's
options, at construction and for each group added later), :meth:`Optimizer.load_state_dict`
(a state dict from a checkpoint, checked before anything is changed) and the schedules
(their own numeric options when built, and every learning rate a ``step()`` produces).

The rules: every number among a group's options is finite; the options gradkit knows have
their range (``lr``, ``weight_decay``, ``eps`` >= 0; ``momentum`` and each of ``betas`` in
[0, 1); ``dampening``, ``alpha``, ``rho`` in [0, 1]); an option that must be a number is a
number. Errors are ``ValueError`` s naming the optimizer (or schedule), the group and the option.

Examples:
    >>> from gradkit.optim._validate import check_group
    >>> check_group("SGD", {"params": [], "lr": 0.1, "momentum": 0.9})
    >>> check_group("SGD", {"params": [], "lr": float("inf")})
    Traceback (most recent call last):
    ...
    ValueError: SGD: invalid lr: expected a finite number >= 0, got inf
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["check_group", "check_state_dict", "check_lrs", "checked_lrs", "check_scheduler_options"]

# option -> (low, high, high_inclusive, description)
_RANGES = {
    "lr": (0.0, math.inf, False, "a finite number >= 0"),
    "initial_lr": (0.0, math.inf, False, "a finite number >= 0"),
    "weight_decay": (0.0, math.inf, False, "a finite number >= 0"),
    "eps": (0.0, math.inf, False, "a finite number >= 0"),
    "lr_decay": (0.0, math.inf, False, "a finite number >= 0"),
    "initial_accumulator_value": (0.0, math.inf, False, "a finite number >= 0"),
    "momentum": (0.0, 1.0, False, "a number in [0, 1)"),
    "dampening": (0.0, 1.0, True, "a number in [0, 1]"),
    "alpha": (0.0, 1.0, True, "a number in [0, 1]"),
    "rho": (0.0, 1.0, True, "a number in [0, 1]"),
}


def _number(value):
    """``value`` as a Python float when it is a real number (or a one-element tensor), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if hasattr(value, "item") and getattr(value, "size", None) == 1:
        try:
            v = value.item()
        except (TypeError, ValueError):
            return None
        return float(v) if isinstance(v, numbers.Real) and not isinstance(v, bool) else None
    return None


def _check_option(where: str, name: str, value) -> None:
    if name in _RANGES:
        low, high, inclusive, what = _RANGES[name]
        v = _number(value)
        ok = v is not None and math.isfinite(v) and v >= low and (v <= high if inclusive else v < high)
        if not ok:
            raise ValueError(f"{where}: invalid {name}: expected {what}, got {value!r}")
        return
    if name == "betas":
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise ValueError(f"{where}: invalid betas: expected a pair of numbers in [0, 1), got {value!r}")
        for i, b in enumerate(value):
            v = _number(b)
            if v is None or not 0.0 <= v < 1.0:
                raise ValueError(f"{where}: invalid betas[{i}]: expected a number in [0, 1), got {b!r}")
        return
    v = _number(value)
    if v is not None and not math.isfinite(v):
        raise ValueError(f"{where}: invalid {name}: expected a finite number, got {value!r}")


def check_group(optimizer_name: str, group: dict, index=None) -> None:
    """Check every option of one param group (``params`` excepted).

    Args:
        optimizer_name: for the message (``"SGD"``).
        group: the param group.
        index: the group's index, named in the message when given.

    Raises:
        ValueError: naming the optimizer, the group and the option.
    """
    where = optimizer_name if index is None else f"{optimizer_name} param_groups[{index}]"
    for name, value in group.items():
        if name != "params":
            _check_option(where, name, value)


def check_state_dict(optimizer, state_dict) -> None:
    """Check an optimizer state dict's structure and values before it is loaded.

    A checkpoint's optimizer state that is not a dict of the right shape, holds a
    non-numeric or non-finite hyperparameter, or a non-finite moment is refused here, when it
    is loaded, not later inside ``step()``.

    Raises:
        ValueError: naming the entry (``"param_groups[0]['lr']"``, ``"state[3]['exp_avg']"``).
    """
    name = type(optimizer).__name__
    where = f"{name}.load_state_dict"
    if not isinstance(state_dict, dict) or "param_groups" not in state_dict or "state" not in state_dict:
        raise ValueError(f"{where}: expected a dict with 'state' and 'param_groups', got "
                         f"{type(state_dict).__name__}{'' if not isinstance(state_dict, dict) else ' with keys ' + str(sorted(map(str, state_dict)))}")
    groups, state = state_dict["param_groups"], state_dict["state"]
    if not isinstance(groups, (list, tuple)):
        raise ValueError(f"{where}: 'param_groups' must be a list, got {type(groups).__name__}")
    for k, g in enumerate(groups):
        if not isinstance(g, dict) or not isinstance(g.get("params"), (list, tuple)):
            raise ValueError(f"{where}: param_groups[{k}] must be a dict with a 'params' list of indices")
        if not all(isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in g["params"]):
            raise ValueError(f"{where}: param_groups[{k}]['params'] must hold integer indices")
        for opt_name, value in g.items():
            if opt_name != "params":
                _check_option(f"{where}: param_groups[{k}]", opt_name, value)
    if not isinstance(state, dict):
        raise ValueError(f"{where}: 'state' must be a dict index -> state, got {type(state).__name__}")
    for key, st in state.items():
        if not isinstance(st, dict):
            raise ValueError(f"{where}: state[{key!r}] must be a dict, got {type(st).__name__}")
        for entry, value in st.items():
            arr = getattr(value, "array", value)
            if hasattr(arr, "dtype") and getattr(arr.dtype, "kind", "") == "f":
                from ..backend import to_numpy

                if not np.isfinite(to_numpy(arr)).all():
                    raise ValueError(f"{where}: state[{key!r}][{entry!r}] holds non-finite values (nan or inf)")
            else:
                v = _number(value)
                if v is not None and not math.isfinite(v):
                    raise ValueError(f"{where}: state[{key!r}][{entry!r}] is {value!r}, expected a finite number")


def checked_lrs(scheduler) -> list:
    """``scheduler.get_lr()``, refused (ValueError) when a rate is not a finite number >= 0 or overflows."""
    try:
        lrs = scheduler.get_lr()
    except OverflowError:
        lrs = [math.inf]
    check_lrs(scheduler, lrs, scheduler.last_epoch)
    return lrs


def check_lrs(scheduler, lrs, epoch) -> None:
    """Refuse a learning rate a schedule produced that is not a finite number >= 0.

    Raises:
        ValueError: naming the schedule, the epoch and the group.
    """
    for k, lr in enumerate(lrs):
        v = _number(lr)
        if v is None or not math.isfinite(v) or v < 0:
            raise ValueError(
                f"{type(scheduler).__name__}: step {epoch} produced learning rate {lr!r} for param_groups[{k}]; "
                "expected a finite number >= 0 (check the schedule's factors and function)"
            )


def check_scheduler_options(scheduler) -> None:
    """Refuse a schedule built with a non-finite numeric option (``gamma=inf``, ``eta_min=nan``).

    Raises:
        ValueError: naming the schedule and the option.
    """
    for name, value in vars(scheduler).items():
        if name.startswith("_") or name == "optimizer":
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            f = _number(v)
            if f is not None and not math.isfinite(f):
                raise ValueError(f"{type(scheduler).__name__}: invalid {name}: expected a finite number, got {value!r}")
