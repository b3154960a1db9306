"""Learning curves and capacity curves: where a model sits between bias and variance.

* :func:`learning_curve` trains the same model on growing subsets of the training set and
  measures the training and dev errors at each size. With high variance the two curves are
  far apart and the dev error still falls (more data helps); with high bias both plateau
  close together, above the base error (more data will not help: a bigger model will).
* :func:`capacity_curve` trains models of growing size (width or depth) on the whole
  training set. Training error falls with capacity (bias goes down); the dev error follows
  until the gap opens (variance goes up).

Each point is classified with :func:`~gradkit.diagnose.bias_variance` (``"high bias"``,
``"high variance"``, ``"high bias and high variance"`` or ``"good fit"``). Both functions
return a :class:`CurveResult` with the numbers and ``.plot(path)``.

Examples:
    >>> import numpy as np, gradkit as gk
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 2)).astype(np.float32); y = (X[:, 0] > 0).astype(np.int64)
    >>> data = ((X[:150], y[:150]), (X[150:], y[150:]))
    >>> make = lambda: gk.nn.Sequential(gk.nn.Linear(2, 8), gk.nn.ReLU(), gk.nn.Linear(8, 2))
    >>> res = gk.diagnose.learning_curve(make, data, [20, 150], epochs=5, lr=0.05)
    >>> res.train_error.shape, len(res.regimes)
    ((2,), 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..train.metrics import higher_is_better
from .bias_variance import bias_variance

__all__ = ["CurveResult", "capacity_curve", "learning_curve"]


@dataclass
class CurveResult:
    """The numbers of a learning or capacity curve.

    Attributes:
        kind: ``'learning'`` or ``'capacity'``.
        x: training-set sizes (learning) or parameter counts (capacity), as an array.
        labels: one label per point (the size, or the model's name).
        train_error, dev_error: arrays of errors (``1 - metric`` for metrics where higher is better,
            the metric itself for error-like ones, the loss when ``metric=None``).
        regimes: the bias/variance verdict of each point.
        metric: the metric used (``None``: the loss).
        base_error: the base error the verdicts used.
        reports: the :class:`~gradkit.diagnose.BiasVarianceReport` of each point.
    """

    kind: str
    x: np.ndarray
    labels: list
    train_error: np.ndarray
    dev_error: np.ndarray
    regimes: list
    metric: str | None
    base_error: float
    reports: list = field(default_factory=list, repr=False)

    @property
    def x_label(self) -> str:
        return "training examples" if self.kind == "learning" else "parameters"

    def __str__(self) -> str:
        if self.metric is None:
            what = "loss"
        elif higher_is_better(self.metric):
            what = f"error = 1 - {self.metric}"
        else:
            what = self.metric
        lines = [f"{self.kind} curve ({what}, base error {self.base_error:g})",
                 f"  {'point':<16} {self.x_label:>18} {'train':>9} {'dev':>9}  regime"]
        for lab, x, tr, dv, rg in zip(self.labels, self.x, self.train_error, self.dev_error, self.regimes):
            lines.append(f"  {str(lab)[:16]:<16} {int(x):>18} {tr:>9.4f} {dv:>9.4f}  {rg}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The numbers as plain JSON-able values."""
        return {"kind": self.kind, "x": [int(v) for v in self.x], "labels": [str(v) for v in self.labels],
                "train_error": [float(v) for v in self.train_error], "dev_error": [float(v) for v in self.dev_error],
                "regimes": list(self.regimes), "metric": self.metric, "base_error": self.base_error}

    def plot(self, path, title: str | None = None) -> None:
        """Save the curve (train and dev error against ``x``, regimes annotated) to ``path``."""
        from ..train.plots import new_figure

        fig, ax = new_figure(figsize=(7, 4.5))
        ax.plot(self.x, self.train_error, "o-", label="train error")
        ax.plot(self.x, self.dev_error, "s-", label="dev error")
        if self.metric is not None:
            ax.axhline(self.base_error, color="gray", ls="--", lw=1, label="base error")
        for x, dv, rg in zip(self.x, self.dev_error, self.regimes):
            ax.annotate(rg, (x, dv), textcoords="offset points", xytext=(0, 8), ha="center", fontsize=7)
        if self.kind == "capacity" or (len(self.x) > 1 and self.x.max() / max(self.x.min(), 1) > 20):
            ax.set_xscale("log")
        ax.set_xlabel(self.x_label)
        ax.set_ylabel("loss" if self.metric is None else "error")
        ax.set_title(title or f"{self.kind} curve")
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(path, dpi=100)


def _split(data):
    if not (isinstance(data, (tuple, list)) and len(data) == 2 and all(isinstance(d, (tuple, list)) and len(d) == 2
                                                                     for d in data)):
        raise TypeError("data must be ((X_train, y_train), (X_dev, y_dev))")
    (Xtr, ytr), (Xdv, ydv) = data
    from ..tensor import Tensor

    arr = [a.array if isinstance(a, Tensor) else np.asarray(a) for a in (Xtr, ytr, Xdv, ydv)]
    if len(arr[0]) != len(arr[1]) or len(arr[2]) != len(arr[3]):
        raise ValueError(f"data: X and y lengths differ (train {len(arr[0])} vs {len(arr[1])}, "
                         f"dev {len(arr[2])} vs {len(arr[3])})")
    return (arr[0], arr[1]), (arr[2], arr[3])


def _error(model, loss, data, metric):
    from ..train import evaluate

    res = evaluate(model, loss, data, metrics=[metric] if metric else None)
    if metric is None:
        return res["loss"]
    v = res[metric]
    return 1.0 - v if higher_is_better(metric) else v


def _train_point(model, train, dev, *, loss, optimizer, lr, epochs, batch_size, metric, min_steps, fit_kwargs):
    from ..nn import Module
    from ..train import fit
    from ..train.loop import resolve_optimizer

    if not isinstance(model, Module):
        raise TypeError(f"the model factory must return a gk.nn.Module, got {type(model).__name__}")
    n = len(train[0])
    steps_per_epoch = max(1, -(-n // batch_size))
    ep = max(int(epochs), -(-int(min_steps) // steps_per_epoch)) if min_steps else int(epochs)
    opt = resolve_optimizer(optimizer, model, lr)
    fit(model, loss, opt, train, epochs=ep, batch_size=batch_size, verbose=0, **fit_kwargs)
    return _error(model, loss, train, metric), _error(model, loss, dev, metric)


def _verdicts(train_err, dev_err, metric, base_error, thresholds):
    reports = []
    for tr, dv in zip(train_err, dev_err):
        scale = "raw" if metric is None else "fraction"
        reports.append(bias_variance(float(tr), float(dv), base_error, scale=scale, **thresholds))
    return reports


def learning_curve(make_model, data, sizes, *, loss="cross_entropy", optimizer="adam", lr: float | None = None,
                   epochs: int = 20, batch_size: int = 32, metric: str | None = "accuracy", base_error: float = 0.0,
                   min_steps: int = 0, seed: int = 0, bias_threshold: float = 0.02,
                   variance_threshold: float = 0.02, **fit_kwargs) -> CurveResult:
    """Train and dev error against training-set size.

    For each size ``n`` the first ``n`` examples of one fixed random permutation of the
    training set are used (so the subsets are nested), a fresh model comes from
    ``make_model()`` after ``gk.manual_seed(seed)`` (the same initialization at every point),
    and it is trained with ``gk.train.fit``; the training error is then measured on those
    ``n`` examples and the dev error on the whole dev set (eval mode).

    Args:
        make_model: a function returning a fresh ``gk.nn.Module``.
        data: ``((X_train, y_train), (X_dev, y_dev))``.
        sizes: training-set sizes: ints, or floats in (0, 1] as fractions of the training set.
        loss: the loss (name or callable), as for ``fit``.
        optimizer: an optimizer name (``'adam'``, ``'sgd'``...); a new one per point.
        lr: its learning rate (``None``: the optimizer's default).
        epochs: epochs per point.
        batch_size: mini-batch size.
        metric: the metric whose error is plotted (``'accuracy'`` gives ``1 - accuracy``);
            ``None`` uses the loss.
        base_error: the base error for the verdicts (a fraction).
        min_steps: train small subsets for more epochs so that every point gets at least
            this many updates (0: exactly ``epochs`` everywhere).
        seed: seeds the permutation and each model's initialization.
        bias_threshold, variance_threshold: passed to :func:`bias_variance`.
        **fit_kwargs: more ``fit`` arguments (``l2``, ``schedule``, ``clip_grad_norm``...).

    Returns:
        A :class:`CurveResult` with ``kind='learning'``.

    Raises:
        ValueError: for an empty or out-of-range size.
        TypeError: for malformed ``data`` or a factory that does not return a Module.
    """
    from ..random import manual_seed

    train, dev = _split(data)
    m = len(train[0])
    ns = []
    for s in sizes:
        n = round(s * m) if isinstance(s, float) and 0 < s <= 1 else int(s)
        if not 1 <= n <= m:
            raise ValueError(f"learning_curve: size {s!r} gives {n} examples; sizes must be in 1..{m} "
                             "(or fractions in (0, 1])")
        ns.append(n)
    if not ns:
        raise ValueError("learning_curve: sizes is empty")
    perm = np.random.default_rng([seed, 0x6C63]).permutation(m)
    tr_err, dv_err = [], []
    for n in ns:
        idx = perm[:n]
        manual_seed(seed)
        e_tr, e_dv = _train_point(make_model(), (train[0][idx], train[1][idx]), dev, loss=loss, optimizer=optimizer,
                                  lr=lr, epochs=epochs, batch_size=batch_size, metric=metric, min_steps=min_steps,
                                  fit_kwargs=fit_kwargs)
        tr_err.append(e_tr)
        dv_err.append(e_dv)
    reports = _verdicts(tr_err, dv_err, metric, base_error,
                        {"bias_threshold": bias_threshold, "variance_threshold": variance_threshold})
    return CurveResult("learning", np.asarray(ns), list(ns), np.asarray(tr_err), np.asarray(dv_err),
                       [r.verdict for r in reports], metric, float(base_error), reports)


def capacity_curve(make_models, data, *, loss="cross_entropy", optimizer="adam", lr: float | None = None,
                   epochs: int = 20, batch_size: int = 32, metric: str | None = "accuracy", base_error: float = 0.0,
                   seed: int = 0, bias_threshold: float = 0.02, variance_threshold: float = 0.02,
                   **fit_kwargs) -> CurveResult:
    """Train and dev error against model size (width or depth), on the whole training set.

    Args:
        make_models: model factories of growing capacity: a dict ``{label: factory}``, a list
            of ``(label, factory)`` pairs, or a list of factories (labelled by parameter count).
        data: ``((X_train, y_train), (X_dev, y_dev))``.
        **others: ``loss``, ``optimizer``, ``lr``, ``epochs``, ``batch_size``, ``metric``, ``base_error``,
            ``seed``, ``bias_threshold``, ``variance_threshold`` and fit's keywords, as in
            :func:`learning_curve`.

    Returns:
        A :class:`CurveResult` with ``kind='capacity'``; ``x`` holds the parameter counts.

    Raises:
        ValueError: when there are no factories.
        TypeError: for malformed ``data`` or a factory that does not return a Module.

    Examples:
        >>> import gradkit as gk
        >>> widths = {f"width {w}": (lambda w=w: gk.models.MLP([2, w, 2])) for w in (2, 32)}
        >>> # gk.diagnose.capacity_curve(widths, data).plot("capacity.png")
    """
    from ..random import manual_seed

    train, dev = _split(data)
    if isinstance(make_models, dict):
        items = list(make_models.items())
    else:
        items = [f if isinstance(f, tuple) else (None, f) for f in make_models]
    if not items:
        raise ValueError("capacity_curve: make_models is empty")
    labels, counts, tr_err, dv_err = [], [], [], []
    for label, factory in items:
        manual_seed(seed)
        model = factory()
        if not hasattr(model, "num_parameters"):
            raise TypeError(f"capacity_curve: a factory must return a gk.nn.Module, got {type(model).__name__}")
        count = model.num_parameters()
        e_tr, e_dv = _train_point(model, train, dev, loss=loss, optimizer=optimizer, lr=lr, epochs=epochs,
                                  batch_size=batch_size, metric=metric, min_steps=0, fit_kwargs=fit_kwargs)
        labels.append(label if label is not None else f"{count} params")
        counts.append(count)
        tr_err.append(e_tr)
        dv_err.append(e_dv)
    reports = _verdicts(tr_err, dv_err, metric, base_error,
                        {"bias_threshold": bias_threshold, "variance_threshold": variance_threshold})
    return CurveResult("capacity", np.asarray(counts), labels, np.asarray(tr_err), np.asarray(dv_err),
                       [r.verdict for r in reports], metric, float(base_error), reports)
