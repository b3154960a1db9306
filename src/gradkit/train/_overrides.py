"""Explicit optimizer hyperparameter overrides for ``fit`` (``lr=``, ``optimizer_overrides=``).

:func:`check_optimizer_overrides` validates them against the optimizer's param groups before
training; :func:`apply_overrides` sets them on every group after a resume's restore and records
the changes in the history (``history.overrides``).
"""

from __future__ import annotations

import sys


def check_optimizer_overrides(optimizer, overrides) -> dict:
    """Validate explicit hyperparameter overrides for ``optimizer``'s param groups.

    Args:
        optimizer: a ``gk.optim`` optimizer (anything with ``param_groups``).
        overrides: ``{name: value}``, e.g. ``{"lr": 1e-3, "weight_decay": 0.0, "betas": (0.9, 0.99)}``.

    Returns:
        The overrides with values in the type the groups hold (float, int, bool or tuple).

    Raises:
        TypeError: when ``overrides`` is not a dict, the optimizer has no ``param_groups``, or a
            value has the wrong kind (a number for a tuple option, a non-bool for a flag).
        ValueError: for an option no group has (the valid ones are listed), ``params``, a
            non-finite number, or a value the optimizer's own checks refuse.
    """
    import math
    import numbers

    if not overrides:
        return {}
    if not isinstance(overrides, dict):
        raise TypeError(f"optimizer_overrides must be a dict {{name: value}}, got {type(overrides).__name__}")
    groups = getattr(optimizer, "param_groups", None)
    if not groups:
        raise TypeError(f"optimizer_overrides: {type(optimizer).__name__} has no param_groups to override")
    known = sorted(k for k in groups[0] if k != "params")
    out = {}
    for name, value in overrides.items():
        if name == "params" or not all(name in g for g in groups):
            raise ValueError(f"optimizer_overrides: {type(optimizer).__name__} has no hyperparameter {name!r}; "
                             f"its hyperparameters: {', '.join(known)}")
        current = groups[0][name]

        def number(v, what=name, like=None):
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise TypeError(f"optimizer_overrides[{what!r}] must be a real number, got {v!r}")
            if not math.isfinite(float(v)):
                raise ValueError(f"optimizer_overrides[{what!r}] must be finite, got {v!r}")
            if isinstance(like, numbers.Integral) and not isinstance(like, bool) and float(v).is_integer():
                return int(v)
            return float(v)

        if isinstance(current, bool):
            if not isinstance(value, bool):
                raise TypeError(f"optimizer_overrides[{name!r}] must be True or False, got {value!r}")
            out[name] = value
        elif isinstance(current, (tuple, list)):
            if not isinstance(value, (tuple, list)) or len(value) != len(current):
                raise TypeError(f"optimizer_overrides[{name!r}] must be a sequence of {len(current)} numbers "
                                f"(as the optimizer's {tuple(current)}), got {value!r}")
            out[name] = type(current)(number(v, like=c) for v, c in zip(value, current))
        elif isinstance(current, numbers.Real) or current is None:
            out[name] = number(value, like=current)
        else:
            raise TypeError(f"optimizer_overrides: {name!r} holds a {type(current).__name__}, which fit does not "
                            "override; set it on the optimizer yourself")
    validate = getattr(optimizer, "_validate_group", None)
    if validate is not None:
        for g in groups:  # the optimizer's own range checks, on a copy
            trial = dict(g)
            trial.update(out)
            validate(trial)
    return out


def apply_overrides(optimizer, history, overrides, epoch, batch, verbose) -> None:
    """Set each overridden hyperparameter on every param group; record the changes in the history."""
    if not overrides:
        return
    changes = {}
    for name, new in overrides.items():
        olds = [g[name] for g in optimizer.param_groups]
        for g in optimizer.param_groups:
            g[name] = new
        if any(o != new for o in olds):
            old = olds[0] if all(o == olds[0] for o in olds) else olds
            changes[name] = [list(old) if isinstance(old, tuple) else old,
                             list(new) if isinstance(new, tuple) else new]
    if changes:
        history.overrides.append({"epoch": epoch, "batch": int(batch), "changes": changes})
        if verbose not in (0, "0", False):
            said = ", ".join(f"{k} {o} -> {n}" for k, (o, n) in changes.items())
            print(f"fit: optimizer override at epoch {epoch + 1}: {said}", file=sys.stderr)
