"""See inside a network: the gradient flow and the activation histograms as pictures.

* :func:`grad_flow` / :func:`plot_grad_flow`: after a ``backward()``, the mean and max ``|grad|``
  of each weight, layer by layer (the classic "gradient flow" plot, log scale). Weights whose
  gradient vanishes or explodes are marked with the thresholds of :class:`HealthThresholds`
  (the gradient/weight norm ratio ``||dW|| / ||W||``, as :func:`health_report` judges it);
  weights without a ``.grad`` are marked "no grad".
* :func:`activation_stats` / :func:`plot_activations`: one forward pass (no gradients, the
  model's modes kept) with hooks on each activation layer, and a histogram per layer with the
  fraction of dead ReLU units and of saturated sigmoid/tanh outputs in its title.

Both plots are drawn with matplotlib's object API (nothing global changes) and return a pair
``(figure, rows)``: the figure (saved when ``path`` is given) and the numbers it shows.

Examples:
    >>> import gradkit as gk
    >>> _ = gk.manual_seed(0)
    >>> net = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.ReLU(), gk.nn.Linear(8, 3))
    >>> gk.nn.functional.cross_entropy(net(gk.randn(16, 4)), gk.zeros(16, dtype="int64")).backward()
    >>> fig, rows = gk.diagnose.plot_grad_flow(net)
    >>> [(r.name, r.status) for r in rows]
    [('0.weight', 'ok'), ('2.weight', 'ok')]
    >>> with gk.no_grad():
    ...     _ = net[0].bias.fill_(-100.0)  # every ReLU unit dead
    >>> fig, stats = gk.diagnose.plot_activations(net, gk.randn(16, 4))
    >>> [(s.name, s.type, s.dead_fraction, s.status) for s in stats]
    [('1', 'ReLU', 1.0, 'dead')]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .health import HealthThresholds, _kind, gradient_status, unit_fractions

__all__ = ["ActivationStats", "GradFlowRow", "PlotResult", "activation_stats", "grad_flow", "plot_activations",
           "plot_grad_flow"]

_COLORS = {"ok": "tab:blue", "vanishing": "tab:red", "exploding": "tab:orange", "no_grad": "gray",
           "dead": "tab:red", "saturated": "tab:orange"}


class PlotResult(NamedTuple):
    """What the plots return: the matplotlib ``figure`` and the ``rows`` of numbers it shows."""

    figure: object
    rows: list


@dataclass
class GradFlowRow:
    """The gradient of one weight (``None`` where there is no ``.grad``).

    ``status`` is ``'ok'``, ``'vanishing'``, ``'exploding'`` or ``'no_grad'``.
    """

    name: str
    shape: tuple
    mean_abs: float | None
    max_abs: float | None
    grad_norm: float | None
    weight_norm: float
    ratio: float | None
    status: str


@dataclass
class ActivationStats:
    """One activation layer's output on the batch; ``status`` is ``'ok'``, ``'dead'`` or ``'saturated'``."""

    name: str
    type: str
    mean: float
    std: float
    min: float
    max: float
    dead_fraction: float | None
    saturated_fraction: float | None
    status: str
    values: np.ndarray  # the outputs, flattened (float64, on the host), for the histogram


def _host(a) -> np.ndarray:
    return np.asarray(a.get() if hasattr(a, "get") else a, dtype=np.float64)


def grad_flow(model, *, weights_only: bool = True, **thresholds) -> list:
    """The per-weight gradient statistics :func:`plot_grad_flow` draws (call after ``backward()``).

    Args:
        model: a ``gk.nn.Module``.
        weights_only: only parameters of two or more dimensions (weights, not biases or norm
            scales), as in the classic plot; ``False`` for every parameter.
        **thresholds: fields of :class:`HealthThresholds` (``vanishing_ratio``,
            ``vanishing_spread``, ``exploding_ratio``).

    Returns:
        A :class:`GradFlowRow` per parameter, in the model's order, named by module path.
    """
    th = HealthThresholds(**thresholds)
    rows = []
    for name, p in model.named_parameters():
        if weights_only and p.ndim < 2:
            continue
        w = _host(p.array)
        wn = float(np.sqrt((w ** 2).sum()))
        if p.grad is None:
            rows.append(GradFlowRow(name, tuple(p.shape), None, None, None, wn, None, "no_grad"))
            continue
        g = np.abs(_host(p.grad.array))
        gn = float(np.sqrt((g ** 2).sum()))
        ratio = gn / wn if wn > 0 else None
        rows.append(GradFlowRow(name, tuple(p.shape), float(g.mean()) if g.size else 0.0,
                                float(g.max()) if g.size else 0.0, gn, wn, ratio, "ok"))
    top = max((r.ratio for r in rows if r.ratio is not None and math.isfinite(r.ratio)), default=0.0)
    for r in rows:
        if r.status != "no_grad":
            r.status = gradient_status(r.grad_norm, r.ratio, top, th) or "ok"
    return rows


def _target(ax, figsize):
    from ..train.plots import new_figure

    if ax is not None:
        return ax.figure, ax
    return new_figure(figsize=figsize)


def plot_grad_flow(model, path=None, ax=None, *, weights_only: bool = True, title: str = "gradient flow",
                   **thresholds) -> PlotResult:
    """The gradient flow after a ``backward()``: mean and max ``|grad|`` per weight, log scale.

    One pair of bars per weight (named by module path, input side on the left): max ``|grad|``
    light, mean ``|grad|`` dark. Bars of a weight whose gradient vanishes or explodes (the
    :class:`HealthThresholds` on ``||dW|| / ||W||``) are red or orange and its label says so;
    a weight without ``.grad`` is labelled "no grad".

    Args:
        model: a ``gk.nn.Module`` after ``loss.backward()``.
        path: save the picture there (PNG, SVG, PDF: by the extension) when given.
        ax: draw into this matplotlib axes instead of a new figure.
        weights_only: see :func:`grad_flow`.
        title: the axes' title.
        **thresholds: fields of :class:`HealthThresholds`.

    Returns:
        ``(figure, rows)``: the figure and the :class:`GradFlowRow` list it shows.
    """
    rows = grad_flow(model, weights_only=weights_only, **thresholds)
    if not rows:
        raise ValueError("plot_grad_flow: the model has no parameters to show")
    fig, ax = _target(ax, (max(5.0, 0.9 * len(rows) + 2), 4.2))
    x = np.arange(len(rows))
    pos = [v for r in rows for v in (r.mean_abs, r.max_abs) if v]
    floor = min(pos) / 10 if pos else 1e-12
    colors = [_COLORS[r.status] for r in rows]
    ax.bar(x, [r.max_abs or np.nan for r in rows], width=0.7, color=colors, alpha=0.35)
    ax.bar(x, [r.mean_abs or np.nan for r in rows], width=0.4, color=colors)
    for i, r in enumerate(rows):
        if r.status == "no_grad" or not r.max_abs:
            ax.text(i, floor * 3, "no grad" if r.status == "no_grad" else "|grad| = 0", rotation=90, ha="center",
                    va="bottom", color=_COLORS[r.status], fontsize=8)
    ax.set_yscale("log")
    ax.set_ylim(bottom=floor)
    labels = [r.name if r.status == "ok" else f"{r.name}\n({r.status.replace('_', ' ')})" for r in rows]
    ax.set_xticks(x, labels, rotation=30 if len(rows) > 4 else 0, ha="right" if len(rows) > 4 else "center",
                  fontsize=8)
    for tick, r in zip(ax.get_xticklabels(), rows):
        tick.set_color(_COLORS[r.status] if r.status != "ok" else "black")
    ax.set_ylabel("|grad| (log scale)")
    ax.set_xlabel("weights, input side first")
    bad = sum(r.status != "ok" for r in rows)
    ax.set_title(title + (f": {bad} flagged" if bad else ""))
    ax.grid(True, axis="y", which="both", alpha=0.3)
    from matplotlib.patches import Patch

    handles = [Patch(color="tab:blue", alpha=0.35, label="max |grad|"), Patch(color="tab:blue", label="mean |grad|")]
    handles += [Patch(color=_COLORS[k], label=k.replace("_", " ")) for k in ("vanishing", "exploding", "no_grad")
                if any(r.status == k for r in rows)]
    ax.legend(handles=handles, fontsize=8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return PlotResult(fig, rows)


def _watched(model) -> list:
    acts = [(n, m) for n, m in model.named_modules() if _kind(m) == "activation"]
    if acts:
        return acts
    return [(n, m) for n, m in model.named_modules() if n and not any(True for _ in m.children())]


def activation_stats(model, x, **thresholds) -> list:
    """One forward pass of ``x`` (no gradients, modes and buffers kept): an :class:`ActivationStats` per activation layer.

    Watches each activation module (``ReLU``, ``Sigmoid``, ``Tanh``, ...); a model without any
    gets every leaf module watched. Dead and saturated as in :func:`health_report`, flagged
    above ``dead_threshold`` / ``saturation_threshold`` of :class:`HealthThresholds`.
    """
    from ..nn import Module

    if not isinstance(model, Module):
        raise TypeError(f"activation_stats: model must be a gk.nn.Module, got {type(model).__name__}")
    th = HealthThresholds(**thresholds)
    if not isinstance(x, Tensor):
        x = Tensor(np.asarray(x))
    dt = next((p.dtype for p in model.parameters() if p.dtype.kind == "f"), None)
    if dt is not None and x.dtype.kind == "f" and x.dtype != dt:
        x = Tensor(x.array.astype(dt))
    store: dict = {}
    handles = []
    watched = _watched(model)
    for name, mod in watched:
        def hook(m, inputs, out, name=name):
            if isinstance(out, Tensor):
                store[name] = out.array

        handles.append(mod.register_forward_hook(hook))
    modes = [(m, m.training) for m in model.modules()]
    buffers = [(b, b.array.copy()) for b in model.buffers() if b is not None]  # batch norm in training mode
    try:
        with no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
        for m, t in modes:
            m.training = t
        for b, saved in buffers:
            b.array[...] = saved
    stats = []
    for name, mod in watched:
        if name not in store:
            continue
        a = _host(store[name])
        tname = type(mod).__name__
        dead, sat = unit_fractions(tname, a) if a.size else (None, None)
        status = "ok"
        if dead is not None and dead > th.dead_threshold:
            status = "dead"
        elif sat is not None and sat > th.saturation_threshold:
            status = "saturated"
        flat = a.reshape(-1)
        stats.append(ActivationStats(name or "<model>", tname, float(flat.mean()) if flat.size else float("nan"),
                                     float(flat.std()) if flat.size else float("nan"),
                                     float(flat.min()) if flat.size else float("nan"),
                                     float(flat.max()) if flat.size else float("nan"), dead, sat, status, flat))
    return stats


def plot_activations(model, x, path=None, *, bins: int = 50, **thresholds) -> PlotResult:
    """Histograms of each activation layer's outputs on ``x``, with dead/saturated fractions in the titles.

    Args:
        model: a ``gk.nn.Module``; its train/eval modes are kept and restored.
        x: a batch of inputs (array or Tensor).
        path: save the picture there when given.
        bins: histogram bins.
        **thresholds: fields of :class:`HealthThresholds` (``dead_threshold``, ``saturation_threshold``).

    Returns:
        ``(figure, stats)``: the figure and the :class:`ActivationStats` list it shows.
    """
    from ..train.plots import new_figure

    stats = activation_stats(model, x, **thresholds)
    if not stats:
        raise ValueError("plot_activations: no layer produced a Tensor output to show")
    ncols = min(4, len(stats))
    nrows = -(-len(stats) // ncols)
    fig, axes = new_figure(nrows, ncols, figsize=(3.6 * ncols, 2.8 * nrows), squeeze=False)
    flat_axes = list(axes.reshape(-1))
    for ax, s in zip(flat_axes, stats):
        vals = s.values[np.isfinite(s.values)]
        ax.hist(vals, bins=bins, color=_COLORS[s.status] if s.status != "ok" else "tab:blue", alpha=0.8)
        parts = [f"{s.name} ({s.type})"]
        if s.dead_fraction is not None:
            parts.append(f"dead {100 * s.dead_fraction:.0f}%")
        if s.saturated_fraction is not None:
            parts.append(f"saturated {100 * s.saturated_fraction:.0f}%")
        ax.set_title(", ".join(parts), fontsize=9, color="black" if s.status == "ok" else _COLORS[s.status])
        ax.set_xlabel(f"output (mean {s.mean:.3g}, std {s.std:.3g})", fontsize=8)
        ax.set_yscale("log")
        ax.set_ylim(bottom=0.5)
        ax.set_ylabel("count (log scale)", fontsize=8)
    for ax in flat_axes[len(stats):]:
        ax.set_visible(False)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return PlotResult(fig, stats)
