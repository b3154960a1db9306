"""Weight transfer: load the matching part of a state dict (a pretrained body) into a model.

Fine-tuning reuses a network trained on one task for another: the body (feature layers)
keeps its learned weights, the head is new. :func:`load_weights` loads only the keys that
fit, optionally renamed (``key_map``) and restricted to a part of the model (``prefix``),
and reports what happened. Files written by PyTorch (``safetensors.torch.save_file`` of a
``state_dict``) load with no renaming when the gradkit model has the same architecture,
because gradkit's parameter names follow PyTorch's.

Examples:
    >>> import gradkit as gk
    >>> src = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.ReLU(), gk.nn.Linear(8, 3))
    >>> dst = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.ReLU(), gk.nn.Linear(8, 5))
    >>> report = gk.io.load_weights(dst, src.state_dict(), prefix="0.")
    >>> report.loaded
    ['0.weight', '0.bias']
    >>> report.missing
    []
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from . import _format
from .tree import unflatten_state

__all__ = ["load_weights", "LoadReport"]


@dataclass
class LoadReport:
    """What :func:`load_weights` did.

    Attributes:
        loaded: model keys that received a value.
        skipped: source keys that were not loaded (see ``skip_reasons``).
        skip_reasons: source key -> why it was skipped (``"dropped by key_map"``,
            ``"outside prefix '...'"``, ``"no such key in the model"``).
        mismatched: ``(model_key, source_shape, model_shape)`` for keys whose shapes differ
            (non-empty only on the exception raised for them).
        missing: model keys (under ``prefix``, when given) that received no value.
        renamed: source key -> model key, for keys that ``key_map`` changed.
    """

    loaded: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    skip_reasons: dict = field(default_factory=dict)
    mismatched: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    renamed: dict = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [
            f"loaded {len(self.loaded)}, skipped {len(self.skipped)}, mismatched {len(self.mismatched)}, "
            f"missing {len(self.missing)}"
        ]
        if self.skipped:
            lines.append("  skipped: " + ", ".join(f"{k} ({self.skip_reasons[k]})" for k in self.skipped))
        for k, src, dst in self.mismatched:
            lines.append(f"  mismatched: {k}: source {src}, model {dst}")
        if self.missing:
            lines.append("  missing: " + ", ".join(self.missing))
        return "\n".join(lines)


def _source_state(path_or_state) -> dict:
    """name -> array from a file (a checkpoint's model part), a dict or a Module."""
    from .checkpoint import _ordered_arrays, _read_json

    if isinstance(path_or_state, (str, os.PathLike)):
        raw = _format.read(path_or_state)
        if raw.metadata.get(_format.KEY_KIND) == "checkpoint":
            tree = _read_json(raw, _format.KEY_TREE)
            state = unflatten_state(tree, raw.arrays, as_numpy=True)
            if "model" not in state:
                raise _format.CheckpointError(raw.path, "no model in the checkpoint", "it holds no 'model' state")
            return dict(state["model"])
        return _ordered_arrays(raw)
    if isinstance(path_or_state, Mapping):
        return dict(path_or_state)
    if callable(getattr(path_or_state, "state_dict", None)):
        return dict(path_or_state.state_dict())
    raise TypeError(
        f"load_weights expects a file path, a state dict or a Module as its source, got {type(path_or_state).__name__}"
    )


def _shape(value) -> tuple:
    from ..tensor import Tensor

    return tuple(value.shape) if isinstance(value, Tensor) else tuple(np.shape(value))


def load_weights(model, path_or_state, key_map=None, prefix=None, strict: bool = False) -> LoadReport:
    """Load the matching keys of a state dict into ``model``; all-or-nothing on shape mismatches.

    Each source key ``k`` is first renamed by ``key_map`` (a dict ``{source: model}``
    renames the keys it lists and keeps the others, a value ``None`` drops a key; a
    callable returns the model key or ``None`` to drop it). Then only model keys starting
    with ``prefix`` (a string or tuple of strings) are considered, e.g. ``prefix="body."``
    to transfer the body and leave the head as initialized. Source keys the model does not
    have are skipped. Values are cast to the model's dtypes and copied (like PyTorch's
    ``load_state_dict``).

    Args:
        model: the :class:`~gradkit.nn.Module` to fill.
        path_or_state: a safetensors file (gradkit's or PyTorch's; for a training
            checkpoint its model part), a state dict, or a source Module.
        key_map: ``None``, a dict, or a callable ``str -> str | None`` (see above).
        prefix: restrict loading to model keys with this prefix (or any of these prefixes).
        strict: also refuse (loading nothing) when a model key under ``prefix`` gets no
            value or a selected source key has no place in the model.

    Returns:
        A :class:`LoadReport` (``loaded``, ``skipped``, ``mismatched``, ``missing``).

    Raises:
        ValueError: when any selected key's shape differs from the model's (each such key
            is named with both shapes and nothing is loaded), when two source keys map to
            the same model key, or with ``strict=True`` when keys are missing/unexpected.

    Examples:
        >>> import gradkit as gk
        >>> body = gk.nn.Linear(3, 3)
        >>> net = gk.nn.Sequential(gk.nn.Linear(3, 3), gk.nn.Linear(3, 1))
        >>> r = gk.io.load_weights(net, body.state_dict(), key_map=lambda k: "0." + k)
        >>> r.loaded, r.missing
        (['0.weight', '0.bias'], ['1.weight', '1.bias'])
    """
    source = _source_state(path_or_state)
    target = model.state_dict()
    prefixes = (prefix,) if isinstance(prefix, str) else tuple(prefix) if prefix is not None else None
    if key_map is not None and not (callable(key_map) or isinstance(key_map, Mapping)):
        raise TypeError(f"key_map must be None, a dict or a callable, got {type(key_map).__name__}")

    report = LoadReport()
    selected = {}  # model key -> (source key, value)
    for k, value in source.items():
        if key_map is None:
            t = k
        elif isinstance(key_map, Mapping):
            t = key_map.get(k, k)
        else:
            t = key_map(k)
        if t is None:
            report.skipped.append(k)
            report.skip_reasons[k] = "dropped by key_map"
            continue
        if not isinstance(t, str):
            raise TypeError(f"key_map must map {k!r} to a string or None, got {type(t).__name__}")
        if prefixes is not None and not t.startswith(prefixes):
            report.skipped.append(k)
            report.skip_reasons[k] = f"outside prefix {prefix!r}"
            continue
        if t not in target:
            report.skipped.append(k)
            report.skip_reasons[k] = "no such key in the model"
            continue
        if t in selected:
            raise ValueError(f"load_weights: source keys {selected[t][0]!r} and {k!r} both map to model key {t!r}")
        if t != k:
            report.renamed[k] = t
        selected[t] = (k, value)
        src_shape, dst_shape = _shape(value), tuple(target[t].shape)
        if src_shape != dst_shape:
            report.mismatched.append((t, src_shape, dst_shape))

    report.missing = [
        k for k in target if k not in selected and (prefixes is None or k.startswith(prefixes))
    ]
    if report.mismatched:
        lines = [
            f"{t}{'' if selected[t][0] == t else f' (from {selected[t][0]!r})'}: source shape {s}, model shape {d}"
            for t, s, d in report.mismatched
        ]
        raise ValueError(
            f"load_weights into {type(model).__name__}: {len(lines)} key(s) have mismatched shapes, nothing "
            "was loaded:\n  " + "\n  ".join(lines)
        )
    unexpected = [k for k in report.skipped if report.skip_reasons[k] == "no such key in the model"]
    if strict and (report.missing or unexpected):
        parts = []
        if report.missing:
            parts.append("missing in the source: " + ", ".join(report.missing))
        if unexpected:
            parts.append("not in the model: " + ", ".join(unexpected))
        raise ValueError(
            f"load_weights(strict=True) into {type(model).__name__}, nothing was loaded; " + "; ".join(parts)
        )
    model.load_state_dict({t: v for t, (_, v) in selected.items()}, strict=False)
    report.loaded = [k for k in target if k in selected]
    return report
