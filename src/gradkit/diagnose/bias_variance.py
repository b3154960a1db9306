"""Bias and variance: the verdict and the recipe for improving a network.

The seed method compares three (or four) error rates:

* **base error** ``e_base``: the best achievable error (Bayes error, approximated by
  human-level performance); 0 for tasks people solve perfectly;
* **training error** ``e_train``; **dev error** ``e_dev``;
* optionally a **train-dev error** ``e_td``: the error on held-out examples drawn from the
  *training* distribution, which separates variance from a train/dev distribution mismatch.

From them

.. math::

    \\text{avoidable bias} = e_{train} - e_{base}, \\qquad
    \\text{variance} = e_{dev} - e_{train} \\;\\;(\\text{or } e_{td} - e_{train}), \\qquad
    \\text{data mismatch} = e_{dev} - e_{td}.

A component counts as *high* when it exceeds its threshold (default 2 percentage points
each, adjustable). The verdict is one of ``"high bias"``, ``"high variance"``,
``"high bias and high variance"`` or ``"good fit"``, and the recipe follows (the "basic
recipe for machine learning"): fix high bias first (bigger network, train longer or with a
better optimizer, another architecture), then high variance (more data, regularization,
another architecture); a data mismatch calls for error analysis and more dev-like
training data.

The defaults reproduce the classic cases (errors in percent, base 0 %): train 1 / dev 11
is high variance, 15 / 16 high bias, 15 / 30 both, 0.5 / 1 a good fit; with a base error
of 15 %, 15 / 16 is a good fit.

Example:
    >>> from gradkit.diagnose import bias_variance
    >>> r = bias_variance(0.01, 0.11)
    >>> r.verdict
    'high variance'
    >>> bias_variance(15, 30).verdict  # percentages are accepted when all are percentages
    'high bias and high variance'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..train.callbacks import Callback

__all__ = ["VERDICTS", "BiasVarianceReport", "BiasVarianceVerdict", "bias_variance", "bias_variance_from_history",
           "model_kind", "ARCHITECTURE_ADVICE"]

VERDICTS = ("high bias", "high variance", "high bias and high variance", "good fit")
_SCALES = ("auto", "fraction", "percent", "raw")

ADVICE_BIAS = [
    "Bigger network: more hidden units or more layers (gk.diagnose.capacity_curve shows the effect).",
    "Train longer (more epochs) or with a better optimizer / tuned learning rate (Adam, momentum, schedules).",
    "Try another architecture better suited to the data (e.g. a CNN for images); reduce regularization if any.",
]
ADVICE_VARIANCE = [
    "More training data (gk.diagnose.learning_curve shows whether more data still helps).",
    "Regularization: L2 (fit(..., l2=...)), dropout (gk.nn.Dropout), data augmentation, early stopping.",
    "Try another architecture (one with fewer parameters or better inductive bias).",
]
#: The "another architecture" line of the recipe, by the kind of model being diagnosed
#: (:func:`model_kind`): the advice names the next step for *this* model, never "try a CNN" for a CNN.
ARCHITECTURE_ADVICE = {
    "cnn": ("Make the CNN stronger: more channels or blocks, batch normalization, residual connections, or a "
            "pretrained backbone (gk.train.transfer); reduce regularization if any.",
            "Lean on the CNN's inductive bias: data augmentation (gk.data.augmentation), fewer parameters (global "
            "average pooling instead of large dense layers), or a pretrained backbone (gk.train.transfer)."),
    "rnn": ("Make the recurrent model stronger: more hidden units or layers, a bidirectional layer, or attention; "
            "reduce regularization if any.",
            "Make the recurrent model smaller: fewer hidden units or layers, dropout between layers (dropout=), a "
            "smaller embedding."),
    "transformer": ("Make the transformer larger (width, layers, heads) or train longer with a learning-rate warm-up; "
                    "reduce regularization if any.",
                    "Make the transformer smaller (fewer layers or heads), raise its dropout, or start from a "
                    "pretrained model."),
    "mlp": ("Try an architecture suited to the data: a CNN for images, an RNN or a transformer for sequences; "
            "reduce regularization if any.",
            "Try an architecture with fewer parameters or a better inductive bias for the data (a CNN for images, "
            "an RNN for sequences)."),
}


def model_kind(model) -> str | None:
    """``"transformer"``, ``"rnn"``, ``"cnn"``, ``"mlp"`` (dense layers only) or ``None`` (no model,
    or none of these), from the model's layer types.

    Example:
        >>> import gradkit as gk
        >>> model_kind(gk.nn.Sequential(gk.nn.Conv2d(1, 4, 3), gk.nn.Flatten(), gk.nn.Linear(4 * 26 * 26, 2)))
        'cnn'
    """
    if model is None or not hasattr(model, "modules"):
        return None
    names = [type(m).__name__ for m in model.modules()]
    if any("Transformer" in n or n == "MultiheadAttention" for n in names):
        return "transformer"
    if any((n[:-4] if n.endswith("Cell") else n).endswith(("RNN", "LSTM", "GRU")) for n in names):
        return "rnn"
    if any(n.startswith("Conv") for n in names):
        return "cnn"
    if any("Linear" in n for n in names):
        return "mlp"
    return None


ADVICE_MISMATCH = [
    ("Data mismatch: the dev distribution differs from the training distribution. Do manual error analysis "
    "on dev examples, make the training data more like the dev data (collect or synthesize dev-like examples)."),
]
ADVICE_GOOD = [
    "Good fit: errors are close to the base error and to each other; confirm once on the test set.",
]


@dataclass
class BiasVarianceReport:
    """The bias/variance analysis of a model's error rates.

    All errors and components are fractions (0.05 = 5 %), whatever scale they were given in
    (``scale`` says which was assumed), except with ``scale='raw'`` (losses, used as given).

    Attributes:
        train_error, dev_error, base_error: the error rates.
        train_dev_error: the train-dev error, or ``None``.
        avoidable_bias: ``train_error - base_error``.
        variance: ``dev_error - train_error``, or ``train_dev_error - train_error`` with a train-dev set.
        data_mismatch: ``dev_error - train_dev_error`` with a train-dev set, else ``None``.
        high_bias, high_variance, high_mismatch: the components above their thresholds.
        verdict: one of :data:`VERDICTS`.
        advice: the recipe's next steps, one line each.
        notes: remarks on the input (the scale assumed, unusual orderings).
        scale: ``'fraction'``, ``'percent'`` (converted to fractions) or ``'raw'``.
        bias_threshold, variance_threshold, mismatch_threshold: the thresholds used (fractions).
    """

    train_error: float
    dev_error: float
    base_error: float
    train_dev_error: float | None
    avoidable_bias: float
    variance: float
    data_mismatch: float | None
    high_bias: bool
    high_variance: bool
    high_mismatch: bool
    verdict: str
    advice: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    scale: str = "fraction"
    bias_threshold: float = 0.02
    variance_threshold: float = 0.02
    mismatch_threshold: float = 0.02

    def _fmt(self, v) -> str:
        if v is None:
            return "-"
        return f"{v:.4g}" if self.scale == "raw" else f"{100 * v:.2f}%"

    def __str__(self) -> str:
        f = self._fmt
        lines = [f"bias/variance: {self.verdict}"]
        errs = f"  train error {f(self.train_error)}"
        if self.train_dev_error is not None:
            errs += f", train-dev error {f(self.train_dev_error)}"
        errs += f", dev error {f(self.dev_error)}, base error {f(self.base_error)}"
        lines.append(errs)
        lines.append(f"  avoidable bias {f(self.avoidable_bias)} (high above {f(self.bias_threshold)})"
                     f"{'  <- high' if self.high_bias else ''}")
        lines.append(f"  variance       {f(self.variance)} (high above {f(self.variance_threshold)})"
                     f"{'  <- high' if self.high_variance else ''}")
        if self.data_mismatch is not None:
            lines.append(f"  data mismatch  {f(self.data_mismatch)} (high above {f(self.mismatch_threshold)})"
                         f"{'  <- high' if self.high_mismatch else ''}")
        lines.append("  next steps:")
        lines.extend(f"    - {a}" for a in self.advice)
        if self.notes:
            lines.append("  notes:")
            lines.extend(f"    - {n}" for n in self.notes)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The verdict, the components (high ones marked) and the next steps (Jupyter's rich display)."""
        from .._html import block, esc, items, table

        f = self._fmt
        rows = [["avoidable bias", f(self.avoidable_bias), f(self.bias_threshold), "high" if self.high_bias else ""],
                ["variance", f(self.variance), f(self.variance_threshold), "high" if self.high_variance else ""]]
        if self.data_mismatch is not None:
            rows.append(["data mismatch", f(self.data_mismatch), f(self.mismatch_threshold),
                         "high" if self.high_mismatch else ""])
        marked = [i for i, r in enumerate(rows) if r[3]]
        errs = [["train", f(self.train_error)], ["dev", f(self.dev_error)], ["base", f(self.base_error)]]
        if self.train_dev_error is not None:
            errs.insert(1, ["train-dev", f(self.train_dev_error)])
        parts = [f"<b>bias/variance: {esc(self.verdict)}</b>", table(["set", "error"], errs),
                 table(["component", "value", "high above", ""], rows, marked_rows=marked),
                 items(self.advice, "next steps")]
        if self.notes:
            parts.append(items(self.notes, "notes"))
        return block(*parts)

    def to_dict(self) -> dict:
        """The report as plain JSON-able values."""
        return {
            "verdict": self.verdict, "train_error": self.train_error, "dev_error": self.dev_error,
            "base_error": self.base_error, "train_dev_error": self.train_dev_error,
            "avoidable_bias": self.avoidable_bias, "variance": self.variance, "data_mismatch": self.data_mismatch,
            "high_bias": self.high_bias, "high_variance": self.high_variance, "high_mismatch": self.high_mismatch,
            "advice": list(self.advice), "notes": list(self.notes), "scale": self.scale,
            "bias_threshold": self.bias_threshold, "variance_threshold": self.variance_threshold,
            "mismatch_threshold": self.mismatch_threshold,
        }


def _check_number(name, v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"bias_variance: {name} must be a number, got {type(v).__name__}") from None
    if not math.isfinite(f):
        raise ValueError(f"bias_variance: {name} must be finite, got {f}")
    return f


def _resolve_scale(values: dict, scale: str, notes: list) -> float:
    """The divisor that turns the given errors into fractions (1 or 100)."""
    if scale not in _SCALES:
        raise ValueError(f"bias_variance: scale must be one of {', '.join(_SCALES)}, got {scale!r}")
    if scale == "raw":
        notes.append("errors used as given (scale 'raw', e.g. losses): thresholds are in the same units")
        return 1.0
    for k, v in values.items():
        if v < 0:
            raise ValueError(f"bias_variance: {k} must be >= 0, got {v}")
    big = {k: v for k, v in values.items() if v > 1}
    if scale == "fraction":
        if big:
            raise ValueError(f"bias_variance: scale='fraction' but {', '.join(f'{k}={v:g}' for k, v in big.items())} "
                             "is above 1; give errors as fractions in [0, 1] or pass scale='percent'")
        return 1.0
    if scale == "auto" and not big:
        notes.append("errors read as fractions in [0, 1] (none is above 1); pass scale='percent' if they are percentages")
        return 1.0
    over = {k: v for k, v in values.items() if v > 100}
    if over:
        raise ValueError(f"bias_variance: percentages must be in [0, 100], got "
                         f"{', '.join(f'{k}={v:g}' for k, v in over.items())}")
    if scale == "auto":
        small = {k: v for k, v in values.items() if 0 < v < 1}
        if small:
            raise ValueError(
                "bias_variance: mixed scales: " + ", ".join(f"{k}={v:g}" for k, v in big.items())
                + " look like percentages but " + ", ".join(f"{k}={v:g}" for k, v in small.items())
                + " look like fractions; give all errors on one scale (or pass scale='percent' if "
                "the small values really are percentages below 1%)")
        notes.append("errors read as percentages (" + ", ".join(f"{k}={v:g}" for k, v in big.items())
                     + " above 1) and converted to fractions")
    else:
        notes.append("errors given as percentages (scale='percent') and converted to fractions")
    return 100.0


def bias_variance(train_error, dev_error, base_error=0.0, train_dev_error=None, *, bias_threshold: float = 0.02,
                  variance_threshold: float = 0.02, mismatch_threshold: float | None = None,
                  scale: str = "auto", model=None) -> BiasVarianceReport:
    """Diagnose avoidable bias and variance from error rates, with the recipe's next steps.

    Args:
        train_error: the training-set error (fraction in [0, 1], or percent).
        dev_error: the dev-set error.
        base_error: the base (Bayes / human-level) error; 0 by default.
        train_dev_error: the error on held-out training-distribution data (a "train-dev" set),
            to split the train-to-dev gap into variance and data mismatch.
        bias_threshold: avoidable bias above this is "high" (fraction; 0.02 = 2 points).
        variance_threshold: variance above this is "high".
        mismatch_threshold: data mismatch above this is "high" (default: ``variance_threshold``).
        scale: ``'auto'`` (percentages when any error is above 1, and then all must be
            percentages), ``'fraction'``, ``'percent'``, or ``'raw'`` (numbers such as losses used
            as given, no range checks). Thresholds are always fractions (or raw units).
        model: the model diagnosed (optional): the recipe's architecture advice then fits it
            (:data:`ARCHITECTURE_ADVICE`, by :func:`model_kind`).

    Returns:
        A :class:`BiasVarianceReport`; ``str(report)`` is a short readable report.

    Raises:
        ValueError: for negative or non-finite errors, percentages above 100, fractions above 1
            with ``scale='fraction'``, or a mix of percent-looking and fraction-looking errors.
        TypeError: for a non-numeric error.

    Example:
        >>> r = bias_variance(15, 16, base_error=15)
        >>> r.verdict, r.scale
        ('good fit', 'percent')
    """
    notes: list = []
    vals = {"train_error": _check_number("train_error", train_error),
            "dev_error": _check_number("dev_error", dev_error),
            "base_error": _check_number("base_error", base_error)}
    if train_dev_error is not None:
        vals["train_dev_error"] = _check_number("train_dev_error", train_dev_error)
    thresholds = {"bias_threshold": bias_threshold, "variance_threshold": variance_threshold}
    if mismatch_threshold is None:
        mismatch_threshold = variance_threshold
    thresholds["mismatch_threshold"] = mismatch_threshold
    for k, v in thresholds.items():
        if _check_number(k, v) < 0:
            raise ValueError(f"bias_variance: {k} must be >= 0, got {v}")
    div = _resolve_scale(vals, scale, notes)
    used_scale = "raw" if scale == "raw" else ("percent" if div == 100.0 else "fraction")
    v = {k: x / div for k, x in vals.items()}
    tr, dv, base = v["train_error"], v["dev_error"], v["base_error"]
    td = v.get("train_dev_error")
    bias = tr - base
    if td is None:
        var, mismatch = dv - tr, None
    else:
        var, mismatch = td - tr, dv - td
    tiny = 1e-12  # so that 0.22 - 0.20 is not "above" a threshold of 0.02 by round-off
    high_bias = bias > bias_threshold + tiny
    high_var = var > variance_threshold + tiny
    high_mis = mismatch is not None and mismatch > mismatch_threshold + tiny
    if high_bias and high_var:
        verdict = VERDICTS[2]
    elif high_bias:
        verdict = VERDICTS[0]
    elif high_var:
        verdict = VERDICTS[1]
    else:
        verdict = VERDICTS[3]
    advice: list = []
    arch = ARCHITECTURE_ADVICE.get(model_kind(model))
    if high_bias:
        advice += ADVICE_BIAS if arch is None else ADVICE_BIAS[:-1] + [arch[0]]
    if high_var:
        var_advice = ADVICE_VARIANCE if arch is None else ADVICE_VARIANCE[:-1] + [arch[1]]
        advice += [a for a in var_advice if a not in advice]
    if high_mis:
        advice += ADVICE_MISMATCH
    if not advice:
        advice += ADVICE_GOOD
    if high_bias and high_var:
        notes.append("fix the bias first (the training error), then the variance")
    if bias < 0:
        notes.append("unusual: training error is below the base error: the base (Bayes/human) error estimate "
                     "may be too high")
    if dv < tr and td is None:
        notes.append("unusual: dev error is below training error (a small or easier dev set, dropout/augmentation "
                     "active while measuring training error, or leakage from dev into training)")
    if td is not None and td < tr:
        notes.append("unusual: train-dev error is below training error")
    if td is not None and mismatch is not None and mismatch < 0:
        notes.append("unusual: dev error is below train-dev error (the dev data looks easier than the training data)")
    return BiasVarianceReport(
        train_error=tr, dev_error=dv, base_error=base, train_dev_error=td, avoidable_bias=bias, variance=var,
        data_mismatch=mismatch, high_bias=high_bias, high_variance=high_var, high_mismatch=high_mis, verdict=verdict,
        advice=advice, notes=notes, scale=used_scale, bias_threshold=float(bias_threshold),
        variance_threshold=float(variance_threshold), mismatch_threshold=float(mismatch_threshold))




def bias_variance_from_history(history, base_error=0.0, metric: str = "accuracy", *, epoch="last",
                               **kwargs) -> BiasVarianceReport:
    """:func:`bias_variance` on a ``fit`` History (``history[metric]`` and ``history['val_' + metric]``).

    A metric that improves upward (its ``Metric.higher_is_better``: accuracy, F1, precision,
    recall, R^2; the run's own metric objects when ``fit`` returned the history) becomes an
    error ``1 - value``; another metric (an error rate) is used as is. When the history has no such
    metric, the training and dev *losses* are compared instead (``scale='raw'``; the base error
    is then a loss too).

    Args:
        history: a ``gk.train.History`` (what ``fit`` returns) with dev-set entries.
        base_error: the base error (same scale as the errors).
        metric: the metric name logged by ``fit`` (``'accuracy'`` by default).
        epoch: ``'last'``, ``'best'`` (the epoch with the best dev value) or an epoch index.
        **kwargs: passed to :func:`bias_variance` (thresholds, scale).

    Returns:
        A :class:`BiasVarianceReport` whose notes name the epoch and the quantity used.

    Raises:
        ValueError: when the history has no dev-set values or is empty.

    Example:
        >>> from gradkit.train import History
        >>> h = History(); h.append(0, {"accuracy": 0.99, "val_accuracy": 0.89})
        >>> bias_variance_from_history(h).verdict
        'high variance'
    """
    if len(history) == 0:
        raise ValueError("bias_variance_from_history: the history is empty (train for at least one epoch)")
    if metric in history and f"val_{metric}" in history:
        key = metric
    elif "loss" in history and "val_loss" in history:
        key = "loss"
        kwargs.setdefault("scale", "raw")
    else:
        raise ValueError(f"bias_variance_from_history: the history has no dev-set values (no 'val_{metric}' or "
                         f"'val_loss'); logged: {', '.join(history.keys())}. Pass dev_data to fit().")
    train_vals, dev_vals = history[key], history[f"val_{key}"]
    from ..train.metrics import higher_is_better

    run_metrics = getattr(getattr(history, "trainer", None), "metrics", None) or ()
    maximize = key != "loss" and higher_is_better(key, run_metrics)
    if epoch == "last":  # the last epoch that has a dev value (validation_freq may skip some)
        i = max((j for j, d in enumerate(dev_vals) if d is not None), default=len(train_vals) - 1)
    elif epoch == "best":
        valid = [(j, d) for j, d in enumerate(dev_vals) if d is not None]
        i = (max if maximize else min)(valid, key=lambda jd: jd[1])[0]
    elif isinstance(epoch, int):
        i = epoch if epoch >= 0 else len(train_vals) + epoch
        if not 0 <= i < len(train_vals):
            raise ValueError(f"bias_variance_from_history: epoch {epoch} out of range (0..{len(train_vals) - 1})")
    else:
        raise ValueError(f"bias_variance_from_history: epoch must be 'last', 'best' or an int, got {epoch!r}")
    tr, dv = train_vals[i], dev_vals[i]
    if maximize:
        tr, dv = 1.0 - tr, 1.0 - dv
    rep = bias_variance(tr, dv, base_error, **kwargs)
    what = f"1 - {key}" if maximize else key
    rep.notes.insert(0, f"from the history at epoch {history.epoch[i]} ({epoch}): errors are {what}"
                        + (" (training value averaged over the epoch's batches)" if key != "loss" else ""))
    return rep


class BiasVarianceVerdict(Callback):
    """A ``fit`` callback: the bias/variance verdict of the run when training ends.

    By default (``eval_train=True``) the errors are measured when training ends, with the
    final weights and the model in eval mode (dropout off, batch norm on its running
    statistics, no augmentation): one extra pass over the training set and one over the dev
    set (``Trainer.evaluate``). The training error the course's avoidable bias needs is the
    error of the trained model on the training set; the running mean that ``fit`` logs as
    ``accuracy``/``loss`` is measured batch by batch while the weights still move and with
    dropout and augmentation on, which overstates it (and can put it above the dev error).
    With ``eval_train=False`` the verdict comes from the last epoch's logged values instead
    (:func:`bias_variance_from_history`, no extra pass). Errors are ``1 - accuracy`` when the
    run logs ``accuracy`` on both sets, else the losses (``scale='raw'``). The report's first
    note says which measurement was used, and :attr:`measured` holds ``"eval"`` or ``"running"``.
    ``gradkit train`` adds this callback; add it to your own ``fit`` calls for the verdict.

    After training, :attr:`report` and the history's ``diagnosis`` hold the
    :class:`BiasVarianceReport`, or ``None`` when the run had no dev data. An interrupted run
    (Ctrl-C) gets no verdict.

    Args:
        base_error: the base (e.g. human-level) error, as a fraction for accuracy; ``None``
            uses the trainer's ``base_error`` (``fit(..., base_error=...)``, default 0).
        verbose: print the verdict; ``None`` follows the trainer (printed unless ``verbose=0``).
        eval_train: measure the training and dev errors in eval mode with the final weights
            (default); ``False`` uses the logged running training value of the last epoch.

    Example:
        >>> import numpy as np, gradkit as gk
        >>> X = np.random.default_rng(0).standard_normal((40, 2)).astype(np.float32)
        >>> y = (X[:, 0] > 0).astype(np.int64)
        >>> verdict = BiasVarianceVerdict(verbose=False)
        >>> hist = gk.train.fit(gk.nn.Linear(2, 2), "cross_entropy", "adam", (X[:30], y[:30]), (X[30:], y[30:]),
        ...                     metrics=["accuracy"], callbacks=[verdict], verbose=0)
        >>> hist.diagnosis is verdict.report and verdict.report.verdict in VERDICTS
        True
        >>> verdict.measured
        'eval'
    """

    def __init__(self, base_error: float | None = None, verbose: bool | None = None, eval_train: bool = True):
        if not isinstance(eval_train, bool):
            raise TypeError(f"BiasVarianceVerdict: eval_train must be True or False, got {eval_train!r}")
        self.base_error = base_error
        self.verbose = verbose
        self.eval_train = eval_train
        self.report = None
        self.measured = None

    def on_train_begin(self, logs=None):
        self.report = None
        self.measured = None

    def _eval_report(self, trainer, history, base, metric):
        """The verdict from eval-mode errors of the final model, or None without a dev set."""
        train_loader = getattr(trainer, "train_loader", None)
        dev_loader = getattr(trainer, "dev_loader", None)
        if train_loader is None or dev_loader is None or len(history) == 0:
            return None
        batch = max(int(getattr(train_loader, "batch_size", 256) or 256), 256)
        tr = trainer.evaluate(train_loader.dataset, batch_size=batch)
        dv = trainer.evaluate(dev_loader.dataset, batch_size=batch)
        if metric == "accuracy" and "accuracy" in tr and "accuracy" in dv:
            rep = bias_variance(1.0 - tr["accuracy"], 1.0 - dv["accuracy"], base, model=trainer.model)
            what = "1 - accuracy"
        else:
            rep = bias_variance(tr["loss"], dv["loss"], base, scale="raw", model=trainer.model)
            what = "the loss"
        rep.notes.insert(0, f"errors are {what} measured at the end of training in eval mode (dropout off, no "
                            f"augmentation) on the {len(train_loader.dataset)} training and "
                            f"{len(dev_loader.dataset)} dev examples")
        return rep

    def on_train_end(self, logs=None):
        trainer = self.trainer
        history = trainer.history
        base = self.base_error if self.base_error is not None else getattr(trainer, "base_error", 0.0)
        metric = "accuracy" if "accuracy" in history and "val_accuracy" in history else "loss"
        self.report, self.measured = None, None
        if self.eval_train:
            self.report = self._eval_report(trainer, history, base, metric)
            self.measured = "eval" if self.report is not None else None
        else:
            try:
                self.report = bias_variance_from_history(history, base_error=base, metric=metric,
                                                         model=getattr(trainer, "model", None))
                self.measured = "running"
            except ValueError:  # no dev data (no val_* values) or no epoch
                self.report = None
        history.diagnosis = self.report
        verbose = self.verbose if self.verbose is not None else trainer.verbose not in (0, "0", False)
        if self.report is not None and verbose:
            print(self.report)
