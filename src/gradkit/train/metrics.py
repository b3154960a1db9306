"""Metrics for classification and regression, as functions and as streaming objects.

A streaming :class:`Metric` accumulates over the batches of an epoch (``update``) and
reports at the end (``result``), as Keras' metrics do, so epoch values are exact (not
averages of per-batch values). Classification metrics take model outputs as scores:
logits or probabilities for several classes (argmax), or one column for a binary task
(threshold 0 on logits, 0.5 on probabilities; the fit loop tells which).

Examples:
    >>> import numpy as np
    >>> from gradkit.train import metrics
    >>> metrics.accuracy(np.array([[2.0, 0.1], [0.3, 0.9]]), np.array([0, 0]))
    0.5
    >>> m = metrics.get("f1")
    >>> m.update(np.array([0.9, -1.0, 2.0]), np.array([1, 0, 0]))
    >>> round(m.result(), 4)
    0.6667
"""

from __future__ import annotations

import numpy as np

from ..backend import to_numpy

def higher_is_better(metric, metrics=()) -> bool:
    """Whether a metric, or a logged value named after one, improves upward (accuracy, F1, R^2)
    rather than downward (losses, errors). Used by callbacks (``mode='auto'``) and the diagnostics.

    The answer is the metric object's :attr:`Metric.higher_is_better`. A name is first matched
    against ``metrics`` (e.g. a trainer's metric objects), then against the names :func:`get`
    knows; ``val_`` and a task prefix (``digit_accuracy``) are allowed. Any other name (``loss``,
    ``val_loss``, ``loss_<task>``, ``lr``) is minimized.

    Args:
        metric: a :class:`Metric` or a name (``'val_accuracy'``, ``'rmse'``...).
        metrics: :class:`Metric` objects to look the name up in first.

    Returns:
        True when larger values are better.

    Raises:
        TypeError: when ``metric`` is neither a :class:`Metric` nor a string.

    Examples:
        >>> higher_is_better("val_accuracy"), higher_is_better("val_loss"), higher_is_better(RMSE())
        (True, False, False)
    """
    if isinstance(metric, Metric):
        return bool(metric.higher_is_better)
    if not isinstance(metric, str):
        raise TypeError(f"higher_is_better: expected a Metric or a metric name, got {type(metric).__name__}")
    name = metric[len("val_"):] if metric.startswith("val_") else metric
    for m in metrics:
        if m.name == name:
            return bool(m.higher_is_better)
    parts = name.lower().split("_")
    for i in range(len(parts)):  # "digit_f1_macro" -> "f1_macro": a task's metric
        factory = _BY_NAME.get("_".join(parts[i:]))
        if factory is not None:
            return bool(factory().higher_is_better)
    return False


def _np(a):
    if hasattr(a, "data") and not isinstance(a, np.ndarray):
        a = a.array
    return to_numpy(a)


def predicted_labels(scores, logits: bool = True) -> np.ndarray:
    """Class predictions from scores: argmax over the last axis, or a threshold for one column."""
    s = _np(scores)
    if s.ndim >= 2 and s.shape[-1] > 1:
        return s.argmax(-1)
    s = s.reshape(s.shape[0], -1)[:, 0] if s.ndim >= 2 else s
    return (s > (0.0 if logits else 0.5)).astype(np.int64)


def _targets(y, like=None) -> np.ndarray:
    """Class indices from ``y``: indices as given, or the argmax of one-hot / probability targets
    (floating point, or of any dtype when shaped like the scores ``like``, as ``one_hot`` makes them)."""
    t = _np(y)
    if t.ndim >= 2 and t.shape[-1] > 1 and (t.dtype.kind == "f" or (like is not None and t.shape == like.shape)):
        return t.argmax(-1)
    return t.reshape(-1).astype(np.int64) if t.ndim >= 2 and t.shape[-1] == 1 else t.astype(np.int64)


# ---------------------------------------------------------------------------- functions
def accuracy(scores, target, logits: bool = True) -> float:
    """Fraction of correct class predictions."""
    p, t = predicted_labels(scores, logits), _targets(target, _np(scores))
    _check_len(p, t, "accuracy")
    return float((p == t).mean()) if len(t) else 0.0


def top_k_accuracy(scores, target, k: int = 5) -> float:
    """Fraction of samples whose true class is among the ``k`` highest scores."""
    s = _np(scores)
    t = _targets(target, s)
    if s.ndim != 2:
        raise ValueError(f"top_k_accuracy expects scores of shape (N, classes), got {s.shape}")
    k = min(k, s.shape[1])
    top = np.argpartition(-s, k - 1, axis=1)[:, :k]
    return float((top == t[:, None]).any(1).mean()) if len(t) else 0.0


def confusion_matrix(scores_or_labels, target, num_classes: int | None = None, logits: bool = True) -> np.ndarray:
    """``C[i, j]`` = number of samples of true class ``i`` predicted as ``j``."""
    a = _np(scores_or_labels)
    p = a.astype(np.int64) if a.dtype.kind in "iub" and a.ndim == 1 else predicted_labels(a, logits)
    return _confusion(p, _targets(target), num_classes)


def _confusion(p, t, num_classes=None) -> np.ndarray:
    """The confusion matrix of predicted labels ``p`` against target labels ``t``."""
    _check_len(p, t, "confusion_matrix")
    n = int(num_classes or max(p.max(initial=0), t.max(initial=0)) + 1)
    return np.bincount(t * n + p, minlength=n * n).reshape(n, n)


def precision_recall_f1(scores, target, average: str = "binary", num_classes: int | None = None,
                        logits: bool = True, pos_label: int = 1) -> tuple:
    """Precision, recall and F1: ``'binary'`` (for ``pos_label``) or ``'macro'`` (unweighted class mean)."""
    cm = confusion_matrix(scores, target, num_classes, logits)
    return _prf_from_cm(cm, average, pos_label)


def _prf_from_cm(cm, average, pos_label=1):
    tp = np.diag(cm).astype(np.float64)
    pred = cm.sum(0).astype(np.float64)
    true = cm.sum(1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        prec = np.where(pred > 0, tp / pred, 0.0)
        rec = np.where(true > 0, tp / true, 0.0)
        f1 = np.where(prec + rec > 0, 2 * prec * rec / (prec + rec), 0.0)
    if average == "binary":
        if cm.shape[0] > 2:
            raise ValueError(f"average='binary' needs 2 classes, found {cm.shape[0]}; use average='macro'")
        k = pos_label if pos_label < cm.shape[0] else cm.shape[0] - 1
        return float(prec[k]), float(rec[k]), float(f1[k])
    if average == "macro":
        return float(prec.mean()), float(rec.mean()), float(f1.mean())
    raise ValueError(f"average must be 'binary' or 'macro', got {average!r}")


def mae(pred, target) -> float:
    """Mean absolute error."""
    p, t = _reg(pred, target, "mae")
    return float(np.abs(p - t).mean())


def rmse(pred, target) -> float:
    """Root mean squared error."""
    p, t = _reg(pred, target, "rmse")
    return float(np.sqrt(((p - t) ** 2).mean()))


def r2_score(pred, target) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot`` (over all outputs together)."""
    p, t = _reg(pred, target, "r2")
    ss_tot = ((t - t.mean(0)) ** 2).sum()
    return float(1 - ((t - p) ** 2).sum() / ss_tot) if ss_tot > 0 else 0.0


def _reg(pred, target, name):
    p = _np(pred).astype(np.float64)
    t = _np(target).astype(np.float64)
    if p.shape != t.shape:
        if p.size == t.size:
            t = t.reshape(p.shape)
        else:
            raise ValueError(f"{name}: prediction shape {p.shape} does not match target shape {t.shape}")
    return p, t


def _check_len(p, t, name):
    if len(p) != len(t):
        raise ValueError(f"{name}: {len(p)} predictions but {len(t)} targets")


# ---------------------------------------------------------------------------- streaming metrics
class BatchOutputs:
    """One batch's outputs and targets, shared by every metric updated on it.

    What several metrics need is computed once per batch and kept: the host (NumPy) copies
    of the outputs and targets, the class predictions (argmax, or a threshold for one column)
    for logits and for probabilities, and the target class labels. :func:`update_all` makes
    one per batch; a metric reads it in :meth:`Metric.update_batch`.

    Args:
        scores: the model's outputs for the batch (array or Tensor; a dict for a multi-task model).
        target: the targets (array or Tensor; a dict for multi-task data).

    Examples:
        >>> b = BatchOutputs(np.array([[2.0, 0.1], [0.3, 0.9]]), np.array([0, 0]))
        >>> b.labels().tolist(), b.labels() is b.labels()
        ([0, 1], True)
    """

    def __init__(self, scores, target):
        self.scores = scores
        self.target = target
        self._cache: dict = {}

    def cached(self, key, compute):
        """``compute()``, computed on the first call with ``key`` and kept for the batch."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    @property
    def scores_np(self) -> np.ndarray:
        """The outputs as a NumPy array."""
        return self.cached("scores_np", lambda: _np(self.scores))

    @property
    def target_np(self) -> np.ndarray:
        """The targets as a NumPy array."""
        return self.cached("target_np", lambda: _np(self.target))

    def labels(self, logits: bool = True) -> np.ndarray:
        """The predicted classes (:func:`predicted_labels`), for logits or for probabilities."""
        return self.cached(("labels", bool(logits)), lambda: predicted_labels(self.scores_np, logits))

    @property
    def target_labels(self) -> np.ndarray:
        """The target classes (class indices, or the argmax of one-hot/probability targets)."""
        return self.cached("target_labels", lambda: _targets(self.target_np, self.scores_np))


def update_all(metrics, scores, target) -> BatchOutputs:
    """Update every metric in ``metrics`` with one batch, sharing its predictions among them.

    Args:
        metrics: :class:`Metric` objects.
        scores: the model's outputs for the batch.
        target: the batch's targets.

    Returns:
        The batch's :class:`BatchOutputs`.
    """
    batch = BatchOutputs(scores, target)
    for m in metrics:
        m.update_batch(batch)
    return batch


class Metric:
    """A metric accumulated over batches: ``reset()``, ``update(scores, target)``, ``result()``.

    ``update_batch(batch)`` is what the training loop calls, with a :class:`BatchOutputs`
    shared by all the metrics of the batch; by default it calls ``update``. Built-in metrics
    override it to reuse the batch's predictions; a custom metric needs only ``update``.
    """

    name = "metric"
    logits = True
    #: The direction of improvement, read by ``mode='auto'`` callbacks, ``History.best`` and the
    #: diagnostics: True when larger is better (accuracy), False when smaller is (errors, the default).
    higher_is_better = False

    def reset(self) -> None:
        raise NotImplementedError

    def update(self, scores, target) -> None:
        raise NotImplementedError

    def update_batch(self, batch: BatchOutputs) -> None:
        """Accumulate one batch given as a shared :class:`BatchOutputs` (default: ``update``)."""
        self.update(batch.scores, batch.target)

    def result(self) -> float:
        raise NotImplementedError

    def state_dict(self) -> dict:
        """Accumulated state as plain numbers/lists (for exact mid-epoch resume)."""
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in vars(self).items() if k.startswith("_")}

    def load_state_dict(self, state: dict) -> None:
        for k, v in state.items():
            cur = getattr(self, k, None)
            setattr(self, k, np.asarray(v, dtype=cur.dtype) if isinstance(cur, np.ndarray) else v)


class Accuracy(Metric):
    name = "accuracy"
    higher_is_better = True

    def reset(self):
        self._correct = 0
        self._count = 0

    def update(self, scores, target):
        self.update_batch(BatchOutputs(scores, target))

    def update_batch(self, batch):
        p, t = batch.labels(self.logits), batch.target_labels
        _check_len(p, t, "accuracy")
        self._correct += int((p == t).sum())
        self._count += len(t)

    def result(self):
        return self._correct / self._count if self._count else 0.0


class TopKAccuracy(Metric):
    higher_is_better = True

    def __init__(self, k: int = 5):
        self.k = k
        self.name = f"top{k}_accuracy"

    def reset(self):
        self._hits = 0
        self._count = 0

    def update(self, scores, target):
        self.update_batch(BatchOutputs(scores, target))

    def update_batch(self, batch):
        t = batch.target_labels
        self._hits += int(round(top_k_accuracy(batch.scores_np, t, self.k) * len(t)))
        self._count += len(t)

    def result(self):
        return self._hits / self._count if self._count else 0.0


class _ConfusionBased(Metric):
    higher_is_better = True

    def __init__(self, average: str = "binary", num_classes: int | None = None):
        self.average = average
        self.num_classes = num_classes

    def reset(self):
        self._cm = np.zeros((0, 0), dtype=np.int64)

    def update(self, scores, target):
        self.update_batch(BatchOutputs(scores, target))

    def update_batch(self, batch):
        a = batch.scores_np  # 1-D integer scores are class labels already (as confusion_matrix reads them)
        p = a.astype(np.int64) if a.dtype.kind in "iub" and a.ndim == 1 else batch.labels(self.logits)
        cm = _confusion(p, batch.target_labels, self.num_classes)
        n = max(cm.shape[0], self._cm.shape[0])
        grown = np.zeros((n, n), dtype=np.int64)
        grown[: cm.shape[0], : cm.shape[0]] += cm
        grown[: self._cm.shape[0], : self._cm.shape[0]] += self._cm
        self._cm = grown

    def load_state_dict(self, state):
        cm = np.asarray(state["_cm"], dtype=np.int64)
        self._cm = cm if cm.size else np.zeros((0, 0), dtype=np.int64)

    def _prf(self):
        if self._cm.size == 0:
            return 0.0, 0.0, 0.0
        cm = self._cm
        if self.average == "binary" and cm.shape[0] == 1:
            cm = np.pad(cm, ((0, 1), (0, 1)))
        return _prf_from_cm(cm, self.average)


class Precision(_ConfusionBased):
    @property
    def name(self):
        return "precision" if self.average == "binary" else f"precision_{self.average}"

    def result(self):
        return self._prf()[0]


class Recall(_ConfusionBased):
    @property
    def name(self):
        return "recall" if self.average == "binary" else f"recall_{self.average}"

    def result(self):
        return self._prf()[1]


class F1(_ConfusionBased):
    @property
    def name(self):
        return "f1" if self.average == "binary" else f"f1_{self.average}"

    def result(self):
        return self._prf()[2]


class _Regression(Metric):
    def reset(self):
        self._n = 0
        self._sum_abs = 0.0
        self._sum_sq = 0.0
        self._sum_t = 0.0
        self._sum_t2 = 0.0

    def update(self, pred, target):
        self.update_batch(BatchOutputs(pred, target))

    def update_batch(self, batch):
        p, t = _reg(batch.scores_np, batch.target_np, self.name)
        d = p - t
        self._n += d.size
        self._sum_abs += float(np.abs(d).sum())
        self._sum_sq += float((d * d).sum())
        self._sum_t += float(t.sum())
        self._sum_t2 += float((t * t).sum())


class MAE(_Regression):
    name = "mae"
    higher_is_better = False

    def result(self):
        return self._sum_abs / self._n if self._n else 0.0


class RMSE(_Regression):
    name = "rmse"
    higher_is_better = False

    def result(self):
        return float(np.sqrt(self._sum_sq / self._n)) if self._n else 0.0


class R2(_Regression):
    """R² over all outputs pooled: ``1 - SS_res / SS_tot`` with streaming sums."""

    name = "r2"
    higher_is_better = True

    def result(self):
        if not self._n:
            return 0.0
        ss_tot = self._sum_t2 - self._sum_t**2 / self._n
        return 1 - self._sum_sq / ss_tot if ss_tot > 0 else 0.0


#: Metric name -> factory of a fresh metric: the names ``fit``, ``evaluate`` (``metrics=[...]``), :func:`get`
#: and :func:`higher_is_better` accept. Owned by this module; read it, do not extend it at run time
#: (pass a :class:`Metric` object for a metric of your own).
_BY_NAME = {
    "accuracy": Accuracy, "acc": Accuracy,
    "top5": lambda: TopKAccuracy(5), "top_5_accuracy": lambda: TopKAccuracy(5), "top3": lambda: TopKAccuracy(3),
    "precision": Precision, "recall": Recall, "f1": F1,
    "precision_macro": lambda: Precision("macro"), "recall_macro": lambda: Recall("macro"),
    "f1_macro": lambda: F1("macro"),
    "mae": MAE, "rmse": RMSE, "r2": R2,
}


def get(metric) -> Metric:
    """A fresh :class:`Metric` from a name (``'accuracy'``, ``'f1_macro'``, ``'rmse'``, ...) or an instance.

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    if isinstance(metric, Metric):
        metric.reset()
        return metric
    if isinstance(metric, str):
        key = metric.lower()
        if key not in _BY_NAME:
            raise ValueError(f"unknown metric {metric!r}; valid names: {', '.join(sorted(_BY_NAME))}")
        m = _BY_NAME[key]()
        m.reset()
        return m
    raise TypeError(f"a metric is a name or a gradkit.train.metrics.Metric, got {type(metric).__name__}")
