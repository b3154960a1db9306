"""Training health: vanishing/exploding gradients, dead ReLUs, saturated units, off-centre activations.

:func:`health_report` runs one forward and backward pass on a batch with forward hooks on
the layers and reports, per layer:

* **weighted layers** (``Linear``, ``Conv1d/2d``: any module owning a weight of two or more
  dimensions): the gradient norm ``||dW||_F``, the weight norm ``||W||_F`` and their ratio
  ``||dW|| / ||W||`` (how far one step of size ``lr`` moves the weights, relatively), and
  the mean/std of the layer's output (pre-activations);
* **activation modules** (``ReLU``, ``Sigmoid``, ``Tanh``, ...): the mean and std of the
  activations, the fraction of **dead ReLU units** (units never positive on the batch: they
  pass no gradient, so they never recover), and the fraction of **saturated** sigmoid/tanh
  outputs (``|tanh| > 0.99``, sigmoid outside ``(0.01, 0.99)``: the derivative is nearly 0).

Warnings (thresholds in :class:`HealthThresholds`, all adjustable):

==================  =====================================================================
``vanishing``       ``||dW||/||W|| < vanishing_ratio`` (1e-5), or below ``vanishing_spread``
                    (1e-4) times the largest ratio among the layers (deep nets whose early
                    layers barely learn)
``exploding``       ``||dW||/||W|| > exploding_ratio`` (10), or a non-finite gradient
``zero_weights``    a weight tensor that is all zeros (symmetry is never broken)
``dead_relu``       more than ``dead_threshold`` (50 %) of a ReLU's units dead on the batch
``saturated``       more than ``saturation_threshold`` (25 %) of sigmoid/tanh outputs saturated
``collapsed``       activation std below ``collapse_std`` (1e-3): the signal dies going forward
``not_centered``    (info) a sigmoid-like activation with ``|mean| > center_threshold`` (0.25):
                    not zero-centred, which slows the next layer's learning (tanh is better
                    for hidden layers)
==================  =====================================================================

Each warning carries the standard remedies (He/Xavier initialization, batch norm, a lower
learning rate, leaky ReLU, gradient clipping, input standardization). :class:`TrainingHealth`
is a ``fit`` callback that records all this per epoch and plots the gradient norm per layer.

Only activations used as modules are seen (``gk.nn.ReLU()``, not ``x.relu()`` inside a
``forward``); the report runs in training mode with dropout switched off, and leaves the
model's gradients, buffers and modes as it found them.

Examples:
    >>> import gradkit as gk
    >>> net = gk.nn.Sequential(gk.nn.Linear(4, 16), gk.nn.ReLU(), gk.nn.Linear(16, 3))
    >>> with gk.no_grad():
    ...     _ = net[0].bias.fill_(-100.0)  # every ReLU unit dead
    >>> rep = gk.diagnose.health_report(net, "cross_entropy", gk.randn(32, 4), gk.zeros(32, dtype="int64"))
    >>> [w.kind for w in rep.warnings if w.layer == "1"]
    ['dead_relu', 'collapsed']
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..backend import get_array_module
from ..tensor import Tensor
from ..train.callbacks import Callback
from .model_check import DROPOUT_TYPES

__all__ = [
    "REMEDIES",
    "HealthReport",
    "HealthThresholds",
    "HealthWarning",
    "LayerHealth",
    "TrainingHealth",
    "health_report",
]

RELU_TYPES = ("ReLU", "ReLU6")
SIGMOID_TYPES = ("Sigmoid", "Hardsigmoid")
TANH_TYPES = ("Tanh", "Hardtanh")
_NOT_ACTIVATIONS = ("Softmax", "LogSoftmax")

REMEDIES = {
    "vanishing": [("He initialization for ReLU layers, Xavier/Glorot for tanh (gk.nn.init.kaiming_normal_, "
                  "xavier_normal_)"), "batch normalization (gk.nn.BatchNorm1d/2d)",
                  "ReLU or leaky ReLU instead of sigmoid/tanh in hidden layers",
                  "a shallower network or residual connections"],
    "exploding": ["gradient clipping (fit(..., clip_grad_norm=1.0) or gk.optim.clip_grad_norm_)",
                  "a lower learning rate", "He/Xavier initialization instead of large random weights",
                  "batch normalization"],
    "zero_weights": [("random initialization (He/Xavier): zero weights make every unit of a layer compute "
                     "the same thing forever (symmetry is never broken)")],
    "dead_relu": ["leaky ReLU (gk.nn.LeakyReLU) or ELU", "a lower learning rate",
                  "He initialization and biases at 0 (not large negative)", "batch normalization before the ReLU"],
    "saturated": ["standardize the inputs (gk.data.Standardize)", "Xavier initialization (smaller weights)",
                  "batch normalization", "ReLU / leaky ReLU in hidden layers"],
    "collapsed": ["He/Xavier initialization (weights too small or zero)", "batch normalization",
                  "check for dead units upstream"],
    "not_centered": ["tanh instead of sigmoid in hidden layers (zero-centred outputs)",
                     "standardize the inputs", "batch normalization"],
}


@dataclass
class HealthThresholds:
    """The documented thresholds of the health checks (see the module docs)."""

    vanishing_ratio: float = 1e-5
    vanishing_spread: float = 1e-4
    exploding_ratio: float = 10.0
    dead_threshold: float = 0.5
    saturation_threshold: float = 0.25
    collapse_std: float = 1e-3
    center_threshold: float = 0.25


@dataclass
class LayerHealth:
    """Measurements of one layer on the batch (``None`` where a measure does not apply)."""

    name: str
    type: str
    kind: str  # "weighted" or "activation"
    weight_norm: float | None = None
    grad_norm: float | None = None
    ratio: float | None = None
    act_mean: float | None = None
    act_std: float | None = None
    dead_fraction: float | None = None
    saturated_fraction: float | None = None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.type})"


@dataclass
class HealthWarning:
    """A problem found in one layer, with its standard remedies."""

    layer: str
    kind: str
    message: str
    remedies: list = field(default_factory=list)
    severity: str = "warning"  # or "info"

    def __str__(self) -> str:
        return f"[{self.severity}] {self.layer}: {self.message}\n      try: " + "; ".join(self.remedies)


@dataclass
class HealthReport:
    """What :func:`health_report` found: a :class:`LayerHealth` per layer and the warnings.

    ``report.ok`` is True when there is no warning (infos allowed).
    """

    layers: list
    warnings: list
    loss: float
    thresholds: HealthThresholds

    @property
    def ok(self) -> bool:
        return not any(w.severity == "warning" for w in self.warnings)

    def layer(self, name: str) -> LayerHealth:
        """The row of the layer with this module name."""
        for r in self.layers:
            if r.name == name:
                return r
        raise KeyError(f"no layer {name!r} in the health report; layers: {', '.join(r.name for r in self.layers)}")

    def warnings_for(self, name: str) -> list:
        """The warning kinds of one layer."""
        return [w.kind for w in self.warnings if w.layer == name]

    def __str__(self) -> str:
        def f(v, spec=".3g"):
            return "-" if v is None else format(v, spec)

        lines = [f"training health (loss {self.loss:.4g}): "
                 + ("no problems found" if self.ok else f"{sum(w.severity == 'warning' for w in self.warnings)} "
                    "warning(s)")]
        lines.append(f"  {'layer':<24} {'|dW|':>9} {'|W|':>9} {'|dW|/|W|':>9} {'mean':>8} {'std':>8} "
                     f"{'dead':>6} {'satur.':>6}")
        for r in self.layers:
            pct = (lambda v: "-" if v is None else f"{100 * v:.0f}%")
            lines.append(f"  {r.label[:24]:<24} {f(r.grad_norm):>9} {f(r.weight_norm):>9} {f(r.ratio):>9} "
                         f"{f(r.act_mean, '.3f'):>8} {f(r.act_std, '.3f'):>8} {pct(r.dead_fraction):>6} "
                         f"{pct(r.saturated_fraction):>6}")
        for w in self.warnings:
            lines.append("  " + str(w))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The per-layer table (layers with a warning marked) and the warnings (Jupyter's rich display)."""
        from .._html import block, items, table

        def f(v, spec=".3g"):
            return "-" if v is None else format(v, spec)

        def pct(v):
            return "-" if v is None else f"{100 * v:.0f}%"

        bad = {w.layer for w in self.warnings if w.severity == "warning"}
        rows = [[r.label, f(r.grad_norm), f(r.weight_norm), f(r.ratio), f(r.act_mean, ".3f"), f(r.act_std, ".3f"),
                 pct(r.dead_fraction), pct(r.saturated_fraction)] for r in self.layers]
        marked = [i for i, r in enumerate(self.layers) if r.name in bad]
        head = (f"training health (loss {self.loss:.4g}): "
                + ("no problems found" if self.ok else f"{sum(w.severity == 'warning' for w in self.warnings)} warning(s)"))
        parts = [table(["layer", "|dW|", "|W|", "|dW|/|W|", "mean", "std", "dead", "satur."], rows,
                       marked_rows=marked, caption=head)]
        if self.warnings:
            parts.append(items([str(w) for w in self.warnings]))
        return block(*parts)

    def to_dict(self) -> dict:
        """The report as plain JSON-able values."""
        return {"loss": self.loss, "ok": self.ok, "layers": [asdict(r) for r in self.layers],
                "warnings": [asdict(w) for w in self.warnings], "thresholds": asdict(self.thresholds)}


# ---------------------------------------------------------------------------- inspection
def _weights(mod) -> list:
    return [p for p in mod._parameters.values() if p is not None and p.ndim >= 2]


def _kind(mod):
    name = type(mod).__name__
    if _weights(mod):
        return "weighted"
    if type(mod).__module__.endswith("nn.activation") and name not in _NOT_ACTIVATIONS:
        return "activation"
    return None


def _watch(model, store: dict) -> list:
    """Forward hooks keeping each watched module's latest training-mode output in ``store``."""
    handles = []
    for name, mod in model.named_modules():
        if _kind(mod) is None:
            continue

        def hook(m, inputs, out, name=name):
            if m.training and isinstance(out, Tensor):
                store[name] = out.array

        handles.append(mod.register_forward_hook(hook))
    return handles


def _f(v) -> float:
    return float(v.item() if hasattr(v, "item") else v)


def unit_fractions(type_name: str, a) -> tuple:
    """``(dead_fraction, saturated_fraction)`` of one activation layer's output ``a`` (an array).

    Dead: ReLU units (columns after the batch axis) never positive on the batch; saturated:
    sigmoid outputs outside ``(0.01, 0.99)``, ``|tanh| > 0.99``. ``None`` where it does not apply.
    """
    xp = get_array_module(a)
    if type_name in RELU_TYPES:
        flat = a.reshape(a.shape[0], -1) if a.ndim > 1 else a.reshape(-1, 1)
        return _f((~(flat > 0).any(axis=0)).mean()), None
    if type_name in SIGMOID_TYPES:
        return None, _f(((a < 0.01) | (a > 0.99)).mean())
    if type_name in TANH_TYPES:
        return None, _f((xp.abs(a) > 0.99).mean())
    return None, None


def gradient_status(grad_norm, ratio, top: float, th: HealthThresholds):
    """The gradient verdict of one weight: ``'exploding'``, ``'vanishing'`` or ``None`` (healthy).

    ``ratio`` is ``||dW|| / ||W||``, ``top`` the largest finite ratio among the layers compared;
    the thresholds are ``th``'s (see the module docs).
    """
    if grad_norm is not None and not math.isfinite(grad_norm):
        return "exploding"
    if ratio is None:
        return None
    if ratio > th.exploding_ratio:
        return "exploding"
    if ratio < th.vanishing_ratio or (top > 0 and ratio < th.vanishing_spread * top):
        return "vanishing"
    return None


def _analyze(model, acts: dict, loss: float, th: HealthThresholds) -> HealthReport:
    rows, warns = [], []
    for name, mod in model.named_modules():
        kind = _kind(mod)
        if kind is None:
            continue
        tname = type(mod).__name__
        row = LayerHealth(name or "<model>", tname, kind)
        out = acts.get(name)
        if out is not None and out.size:
            xp = get_array_module(out)
            a = out.astype(xp.float64) if out.dtype != xp.float64 else out
            row.act_mean, row.act_std = _f(a.mean()), _f(a.std())
            row.dead_fraction, row.saturated_fraction = unit_fractions(tname, a)
        if kind == "weighted":
            ws = _weights(mod)
            wn = math.sqrt(sum(_f((p.array.astype(np.float64) ** 2).sum()) for p in ws))
            gs = [p.grad.array for p in ws if p.grad is not None]
            gn = math.sqrt(sum(_f((g.astype(np.float64) ** 2).sum()) for g in gs)) if gs else None
            row.weight_norm, row.grad_norm = wn, gn
            if gn is not None and wn > 0:
                row.ratio = gn / wn
        rows.append(row)

    def warn(r, kind, msg, severity="warning"):
        warns.append(HealthWarning(r.name, kind, f"{r.type}: {msg}", list(REMEDIES[kind]), severity))

    ratios = [r.ratio for r in rows if r.ratio is not None and math.isfinite(r.ratio)]
    top = max(ratios, default=0.0)
    for r in rows:
        if r.kind == "weighted":
            if r.weight_norm == 0:
                warn(r, "zero_weights", "all weights are zero")
            status = gradient_status(r.grad_norm, r.ratio, top, th)  # shared with plot_grad_flow
            if status == "exploding" and not math.isfinite(r.grad_norm):
                warn(r, "exploding", f"non-finite gradient norm ({r.grad_norm})")
            elif status == "exploding":
                warn(r, "exploding", f"gradient/weight norm ratio {r.ratio:.3g} > {th.exploding_ratio:g} "
                                     "(exploding gradients)")
            elif status == "vanishing" and r.ratio < th.vanishing_ratio:
                warn(r, "vanishing", f"gradient/weight norm ratio {r.ratio:.3g} < {th.vanishing_ratio:g} "
                                     "(vanishing gradients: this layer barely learns)")
            elif status == "vanishing":
                warn(r, "vanishing", f"gradient/weight norm ratio {r.ratio:.3g} is below {th.vanishing_spread:g}"
                                     f" x the largest layer's ({top:.3g}) (vanishing gradients)")
        if r.dead_fraction is not None and r.dead_fraction > th.dead_threshold:
            warn(r, "dead_relu", f"{100 * r.dead_fraction:.0f}% of the units are dead (never positive on the batch)")
        if r.saturated_fraction is not None and r.saturated_fraction > th.saturation_threshold:
            warn(r, "saturated", f"{100 * r.saturated_fraction:.0f}% of the outputs are saturated "
                                 "(derivative nearly 0)")
        if r.kind == "activation" and r.act_std is not None and r.act_std < th.collapse_std:
            warn(r, "collapsed", f"activation std {r.act_std:.3g} < {th.collapse_std:g} (the signal has collapsed)")
        if (r.type in SIGMOID_TYPES + ("Softplus",) and r.act_mean is not None
                and abs(r.act_mean) > th.center_threshold):
            warn(r, "not_centered", f"activations not zero-centred (mean {r.act_mean:.3f})", severity="info")
    return HealthReport(rows, warns, float(loss) if loss is not None else float("nan"), th)


def _prepare(model, x, y):
    dt = next((p.dtype for p in model.parameters() if p.dtype.kind == "f"), None)

    def conv(a, cast):
        a = a if isinstance(a, Tensor) else Tensor(a)
        if cast and dt is not None and a.dtype.kind == "f" and a.dtype != dt:
            a = Tensor(a.array.astype(dt))
        return a

    return conv(x, True), conv(y, False)


def health_report(model, loss_fn, x, y, **thresholds) -> HealthReport:
    """One forward/backward pass on ``(x, y)`` with hooks; per-layer gradient and activation health.

    Args:
        model: a ``gk.nn.Module``.
        loss_fn: a loss module/callable ``loss(output, target)`` or a name (``'cross_entropy'``...).
        x: a batch of inputs (array or Tensor; floating inputs take the model's dtype).
        y: the batch's targets.
        **thresholds: any field of :class:`HealthThresholds` (``vanishing_ratio``,
            ``exploding_ratio``, ``dead_threshold``, ``saturation_threshold``, ``collapse_std``,
            ``center_threshold``, ``vanishing_spread``).

    Returns:
        A :class:`HealthReport` (print it; ``.ok``, ``.layers``, ``.warnings``).

    Raises:
        TypeError: for a model that is not a Module, or an unknown threshold name.
    """
    from ..nn import Module
    from ..nn.loss import resolve_loss

    if not isinstance(model, Module):
        raise TypeError(f"health_report: model must be a gk.nn.Module, got {type(model).__name__}")
    th = HealthThresholds(**thresholds)
    loss_mod = resolve_loss(loss_fn)
    xt, yt = _prepare(model, x, y)
    params = list(model.parameters())
    old_grads = [p.grad for p in params]
    buffers = [(b, b.array.copy()) for b in model.buffers() if b is not None]
    modes = [(m, m.training) for m in model.modules()]
    acts: dict = {}
    handles = _watch(model, acts)
    try:
        model.train()
        for m in model.modules():
            if type(m).__name__ in DROPOUT_TYPES:
                m.training = False
        for p in params:
            p.grad = None
        with enable_grad():
            loss = loss_mod(model(xt), yt)
            loss.backward()
        return _analyze(model, acts, _f(loss.array), th)
    finally:
        for h in handles:
            h.remove()
        for p, g in zip(params, old_grads):
            p.grad = g
        for b, saved in buffers:
            b.array[...] = saved
        for m, t in modes:
            m.training = t


class TrainingHealth(Callback):
    """A ``fit`` callback that records the training health per epoch.

    With a ``probe`` batch ``(x, y)`` it runs :func:`health_report` on it at the end of every
    ``every``-th epoch (the same batch each time, so epochs compare). Without one it hooks the
    training forward passes and, at the end of the epoch, analyses the last training batch:
    its activations and the gradients the last step used (after any clipping).

    With ``plot_every=N`` it also saves pictures every ``N`` epochs into ``plot_dir``:
    ``grad_flow_epoch{E}.png`` (:func:`~gradkit.diagnose.plot_grad_flow` of the gradients the
    last step used) and ``activations_epoch{E}.png`` (:func:`~gradkit.diagnose.plot_activations`
    on the probe's inputs, or on the last training batch), ``E`` the epoch counted from 1.

    Args:
        probe: an optional fixed batch ``(x, y)``.
        every: record every ``every`` epochs.
        verbose: print each new warning (a layer and kind printed once per run).
        plot_every: save the pictures every this many epochs (``None``: never).
        plot_dir: the folder for them (created; default the working directory).
        **thresholds: fields of :class:`HealthThresholds`.

    Attributes:
        records: one dict per recorded epoch: ``{"epoch", "loss", "layers": {name: {...}},
            "warnings": [{"layer", "kind", "message"}]}``.
        reports: the :class:`HealthReport` of each recorded epoch (of this process: after a
            resume, only ``records`` holds the epochs before the checkpoint).
        plots: the paths of the pictures saved so far (``plot_every``).

    Examples:
        >>> import numpy as np, gradkit as gk
        >>> X = np.random.default_rng(0).standard_normal((64, 3)).astype(np.float32)
        >>> y = (X[:, 0] > 0).astype(np.int64)
        >>> net = gk.nn.Sequential(gk.nn.Linear(3, 8), gk.nn.ReLU(), gk.nn.Linear(8, 2))
        >>> th = gk.diagnose.TrainingHealth(verbose=False)
        >>> _ = gk.train.fit(net, "cross_entropy", "adam", (X, y), epochs=3, callbacks=[th], verbose=0)
        >>> len(th.records), sorted(th.grad_norms())
        (3, ['0', '2'])
    """

    def __init__(self, probe=None, *, every: int = 1, verbose: bool = True, plot_every: int | None = None,
                 plot_dir=None, **thresholds):
        if probe is not None and (not isinstance(probe, (tuple, list)) or len(probe) != 2):
            raise TypeError(f"TrainingHealth: probe must be a batch (x, y), got {type(probe).__name__}")
        if int(every) < 1:
            raise ValueError(f"TrainingHealth: every must be >= 1, got {every}")
        if plot_every is not None and int(plot_every) < 1:
            raise ValueError(f"TrainingHealth: plot_every must be >= 1 or None, got {plot_every}")
        self.plot_every = None if plot_every is None else int(plot_every)
        self.plot_dir = plot_dir
        self.plots: list = []
        self._last_input = None
        self.probe = probe
        self.every = int(every)
        self.verbose = verbose
        self.thresholds = HealthThresholds(**thresholds)
        self.records: list = []
        self.reports: list = []
        self._acts: dict = {}
        self._handles: list = []
        self._printed: set = set()

    def on_train_begin(self, logs=None):
        self.records, self.reports, self._printed = [], [], set()
        self._remove()
        self._acts = {}
        self.plots, self._last_input = [], None
        if self.probe is None:
            self._handles = _watch(self.model, self._acts)
            if self.plot_every is not None:
                self._handles.append(self.model.register_forward_hook(self._keep_input))

    def _keep_input(self, module, inputs, out):
        if module.training and inputs and isinstance(inputs[0], Tensor):
            self._last_input = inputs[0].array

    def _remove(self):
        for h in self._handles:
            h.remove()
        self._handles = []

    def on_epoch_end(self, epoch, logs=None):
        if self.plot_every is not None and (epoch + 1) % self.plot_every == 0:
            self._save_plots(epoch)
        if epoch % self.every:
            return
        logs = logs or {}
        if self.probe is not None:
            rep = health_report(self.model, self.trainer.loss_fn, *self.probe, **asdict(self.thresholds))
        else:
            rep = _analyze(self.model, self._acts, logs.get("loss"), self.thresholds)
        self.reports.append(rep)
        self.records.append({
            "epoch": int(epoch), "loss": rep.loss,
            "layers": {r.name: {k: v for k, v in asdict(r).items() if k != "name"} for r in rep.layers},
            "warnings": [{"layer": w.layer, "kind": w.kind, "message": w.message} for w in rep.warnings],
        })
        if self.verbose:
            for w in rep.warnings:
                if (w.layer, w.kind) not in self._printed:
                    self._printed.add((w.layer, w.kind))
                    print(f"epoch {epoch + 1}: {w}")

    def _save_plots(self, epoch):
        import os

        from .flow import plot_activations, plot_grad_flow

        folder = self.plot_dir if self.plot_dir is not None else "."
        os.makedirs(folder, exist_ok=True)
        th = {k: v for k, v in asdict(self.thresholds).items()}
        path = os.path.join(folder, f"grad_flow_epoch{epoch + 1:03d}.png")
        plot_grad_flow(self.model, path, title=f"gradient flow, epoch {epoch + 1}", **th)
        self.plots.append(path)
        x = self.probe[0] if self.probe is not None else self._last_input
        if x is not None:
            path = os.path.join(folder, f"activations_epoch{epoch + 1:03d}.png")
            plot_activations(self.model, x, path, **th)
            self.plots.append(path)

    def on_train_end(self, logs=None):
        self._remove()
        self._acts = {}
        self._last_input = None

    def state_dict(self) -> dict:
        """The records so far (plain values), so that a resumed ``fit`` keeps the earlier epochs."""
        return {"records": [dict(r) for r in self.records], "printed": [list(k) for k in sorted(self._printed)]}

    def load_state_dict(self, state: dict) -> None:
        """Restore the records of a checkpoint (the :class:`HealthReport` objects are not kept)."""
        self.records = [dict(r) for r in state.get("records", [])]
        self._printed = {tuple(k) for k in state.get("printed", [])}

    def grad_norms(self) -> dict:
        """``{layer name: [gradient norm per recorded epoch]}`` for the weighted layers."""
        out: dict = {}
        for rec in self.records:
            for name, row in rec["layers"].items():
                if row["kind"] == "weighted":
                    out.setdefault(name, []).append(row["grad_norm"])
        return out

    def figure(self, title: str = "gradient norm per layer"):
        """A matplotlib Figure of the gradient norm (log scale) and the gradient/weight ratio per layer.

        Raises:
            ValueError: when nothing was recorded yet.
        """
        from ..train.plots import new_figure

        if not self.records:
            raise ValueError("TrainingHealth.plot: nothing recorded yet (train with this callback first)")
        epochs = [r["epoch"] + 1 for r in self.records]
        fig, axes = new_figure(1, 2, figsize=(11, 4))
        for name in self.grad_norms():
            rows = [rec["layers"][name] for rec in self.records]
            label = f"{name} ({rows[0]['type']})"
            axes[0].plot(epochs, [r["grad_norm"] if r["grad_norm"] else np.nan for r in rows], marker="o", label=label)
            axes[1].plot(epochs, [r["ratio"] if r["ratio"] else np.nan for r in rows], marker="o", label=label)
        for ax, yl in zip(axes, ("||dW||", "||dW|| / ||W||")):
            ax.set_yscale("log")
            ax.set_xlabel("epoch")
            ax.set_ylabel(yl)
            ax.grid(True, which="both", alpha=0.3)
        axes[0].set_title(title)
        axes[1].axhline(self.thresholds.vanishing_ratio, color="gray", ls="--", lw=0.8)
        axes[1].set_title("gradient / weight norm ratio")
        axes[0].legend(fontsize=8)
        fig.tight_layout()
        return fig

    def plot(self, path, title: str = "gradient norm per layer") -> str:
        """Save :meth:`figure` to ``path``; returns ``path``."""
        self.figure(title).savefig(path, dpi=100)
        return str(path)
