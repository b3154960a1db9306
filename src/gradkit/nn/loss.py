"""Loss modules (``torch.nn`` names): ``loss = criterion(prediction, target)``.

Each is a thin module over the function of the same name in
:mod:`gradkit.nn.functional`, with ``reduction='mean' | 'sum' | 'none'``. Class weights
and ``pos_weight`` are kept as buffers (saved in ``state_dict``, moved by ``to()``).

Example:
    >>> import gradkit as gk
    >>> criterion = gk.nn.CrossEntropyLoss(label_smoothing=0.1)
    >>> logits = gk.zeros(4, 3, requires_grad=True)
    >>> loss = criterion(logits, gk.tensor([0, 1, 2, 1]))
    >>> round(loss.item(), 4)  # log 3
    1.0986
    >>> loss.backward()
"""

from __future__ import annotations

from ..ops._util import const
from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = [
    "MSELoss", "L1Loss", "RMSELoss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
    "NLLLoss", "HingeLoss", "PerceptronLoss", "HingeEmbeddingLoss", "MultiMarginLoss",
]


def _as_buffer(value):
    if value is None or isinstance(value, Tensor):
        return value if value is None else const(value.array)
    return Tensor(value)


class _Loss(Module):
    #: What the loss expects as its input, for whoever reads the outputs (``gk.train``'s metrics):
    #: True for raw scores (logits; cross-entropy, BCE-with-logits, margin losses), False for
    #: probabilities or log-probabilities (BCE, NLL) and for regression losses. Custom losses
    #: (any callable) that set no such attribute are read as taking logits.
    expects_logits: bool = True

    #: the reductions this loss accepts (KLDivLoss adds 'batchmean')
    _reductions: tuple = ("mean", "sum", "none")

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        self.reduction = F.loss.legacy_reduction(size_average, reduce, reduction, self._reductions)


    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"

    #: constructor arguments that may be tensors (class weights): recorded as lists.
    _tensor_args: tuple = ()

    #: PyTorch's deprecated flags are folded into ``reduction`` (recorded resolved)
    _config_skip = ("device", "size_average", "reduce")

    def _config_value(self, name: str, value):
        """Weight tensors (``_tensor_args``) are recorded as nested lists of their current values;
        ``reduction`` as resolved from PyTorch's deprecated ``size_average``/``reduce``."""
        if name in self._tensor_args and value is not None:
            return getattr(self, name).numpy().tolist()
        if name == "reduction":
            return self.reduction
        return super()._config_value(name, value)


class MSELoss(_Loss):
    """Mean squared error ``mean((prediction - target)**2)``.

    Example:
        >>> gk.nn.MSELoss()(gk.tensor([1.0, 3.0]), gk.tensor([1.0, 1.0])).item()
        2.0
    """

    expects_logits = False

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error (MAE) ``mean(|prediction - target|)``.

    Example:
        >>> gk.nn.L1Loss()(gk.tensor([1.0, 3.0]), gk.tensor([1.0, 1.0])).item()
        1.0
    """

    expects_logits = False

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class RMSELoss(_Loss):
    """Root mean squared error ``sqrt(mean((prediction - target)**2) + eps)``.

    Args:
        reduction: ``'mean'`` (the RMSE), ``'sum'`` (``sqrt`` of the summed squares) or
            ``'none'`` (elementwise ``sqrt(d**2 + eps)``).
        eps: keeps the gradient finite at zero error (default 1e-8; see
            :func:`~gradkit.nn.functional.rmse_loss`).

    Example:
        >>> round(gk.nn.RMSELoss()(gk.tensor([3.0, 4.0]), gk.zeros(2)).item(), 4)
        3.5355
    """

    expects_logits = False

    def __init__(self, reduction: str = "mean", eps: float = 1e-8):
        super().__init__(reduction=reduction)
        if eps < 0:
            raise ValueError(f"RMSELoss: eps must be >= 0, got {eps}")
        self.eps = float(eps)

    def forward(self, input, target):
        return F.rmse_loss(input, target, self.reduction, self.eps)


class HuberLoss(_Loss):
    """Huber loss: ``0.5 d**2`` for ``|d| < delta``, ``delta (|d| - delta/2)`` beyond.

    Args:
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        delta: where the loss turns from quadratic to linear (default 1).

    Example:
        >>> gk.nn.HuberLoss()(gk.tensor([3.0]), gk.tensor([0.0])).item()
        2.5
    """

    expects_logits = False

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        if delta <= 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta}")
        self.delta = float(delta)

    def forward(self, input, target):
        return F.huber_loss(input, target, self.reduction, self.delta)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, delta={self.delta}"


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities (each log clamped at -100, as PyTorch).

    Args:
        weight: optional rescaling weight, broadcast against the elementwise loss.
        size_average: deprecated (PyTorch's), folded into ``reduction``.
        reduce: deprecated (PyTorch's).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Example:
        >>> round(gk.nn.BCELoss()(gk.tensor([0.8, 0.2]), gk.tensor([1.0, 0.0])).item(), 4)
        0.2231
    """

    expects_logits = False

    _tensor_args = ("weight",)

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_buffer(weight))

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy in one stable expression (take raw scores).

    Args:
        weight: optional rescaling weight, broadcast against the elementwise loss.
        size_average: deprecated (PyTorch's), folded into ``reduction``.
        reduce: deprecated (PyTorch's).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        pos_weight: weight of positive examples per class (last dimension).

    Example:
        >>> round(gk.nn.BCEWithLogitsLoss()(gk.tensor([0.0]), gk.tensor([1.0])).item(), 4)
        0.6931
    """

    expects_logits = True

    _tensor_args = ("weight", "pos_weight")

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_buffer(weight))
        self.register_buffer("pos_weight", _as_buffer(pos_weight))

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits against class indices or class probabilities (one fused op).

    Args:
        weight: optional per-class weight of shape ``(C,)``.
        ignore_index: class-index targets with this value are skipped (default -100).
        size_average: deprecated (PyTorch's), folded into ``reduction``.
        reduce: deprecated (PyTorch's).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        label_smoothing: mix ``eps`` of the uniform distribution into the target.

    Shape:
        input ``(N, C)`` or ``(N, C, d1, ...)``; target ``(N,)`` / ``(N, d1, ...)`` of class
        indices, or the input's shape of probabilities.

    Example:
        >>> round(gk.nn.CrossEntropyLoss()(gk.zeros(2, 4), gk.tensor([0, 3])).item(), 4)  # log 4
        1.3863
    """

    expects_logits = True

    _tensor_args = ("weight",)

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(size_average, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing}")
        self.register_buffer("weight", _as_buffer(weight))
        self.ignore_index = int(ignore_index)
        self.label_smoothing = float(label_smoothing)

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        extra = f", label_smoothing={self.label_smoothing}" if self.label_smoothing else ""
        return f"reduction={self.reduction!r}{extra}"


class NLLLoss(_Loss):
    """Negative log-likelihood of class indices, given log-probabilities (after ``LogSoftmax``).

    Args:
        weight: optional per-class weight of shape ``(C,)``.
        ignore_index: targets with this value are skipped (default -100).
        size_average: deprecated (PyTorch's), folded into ``reduction``.
        reduce: deprecated (PyTorch's).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Example:
        >>> gk.nn.NLLLoss()(gk.tensor([[-0.5, -1.5]]), gk.tensor([1])).item()
        1.5
    """

    expects_logits = False

    _tensor_args = ("weight",)

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_buffer(weight))
        self.ignore_index = int(ignore_index)

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class HingeLoss(_Loss):
    """SVM hinge loss ``max(0, margin - y f(x))`` for labels ``y`` in ``{-1, +1}``.

    Args:
        margin: the required margin (default 1).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Example:
        >>> gk.nn.HingeLoss()(gk.tensor([0.5, 2.0]), gk.tensor([1.0, 1.0])).item()
        0.25
    """

    expects_logits = True

    def __init__(self, margin: float = 1.0, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        self.margin = float(margin)

    def forward(self, input, target):
        return F.hinge_loss(input, target, self.margin, self.reduction)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, reduction={self.reduction!r}"


class PerceptronLoss(_Loss):
    """Perceptron criterion ``max(0, -y f(x))`` for labels in ``{-1, +1}`` (hinge with margin 0).

    Example:
        >>> gk.nn.PerceptronLoss()(gk.tensor([-0.5, 2.0]), gk.tensor([1.0, 1.0])).item()
        0.25
    """

    expects_logits = True

    def forward(self, input, target):
        return F.perceptron_loss(input, target, self.reduction)


class HingeEmbeddingLoss(_Loss):
    """``x`` for similar pairs (``y = 1``), ``max(0, margin - x)`` for dissimilar ones (``y = -1``).

    Args:
        margin: how far apart dissimilar pairs must be (default 1).
        size_average: deprecated (PyTorch's), folded into ``reduction``.
        reduce: deprecated (PyTorch's).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Example:
        >>> gk.nn.HingeEmbeddingLoss()(gk.tensor([0.5, 0.5]), gk.tensor([1.0, -1.0])).item()
        0.5
    """

    expects_logits = True

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = float(margin)

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class MultiMarginLoss(_Loss):
    """Multi-class hinge loss ``sum_{j != y} max(0, margin - x_y + x_j)**p / C``.

    Args:
        p: 1 or 2.
        margin: the margin (default 1).
        weight: optional per-class weight ``(C,)``.
        size_average: deprecated (PyTorch's), folded into ``reduction``.
        reduce: deprecated (PyTorch's).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Example:
        >>> round(gk.nn.MultiMarginLoss()(gk.tensor([[0.1, 0.2, 0.4, 0.8]]), gk.tensor([3])).item(), 4)
        0.325
    """

    expects_logits = True

    _tensor_args = ("weight",)

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, size_average=None, reduce=None,
                 reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: p must be 1 or 2, got {p}")
        self.p = int(p)
        self.margin = float(margin)
        self.register_buffer("weight", _as_buffer(weight))

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, self.p, self.margin, self.weight, reduction=self.reduction)


# ---------------------------------------------------------------------------- losses by name
#: The one table of loss names (Keras' spellings and short ones) that ``gk.train.fit``,
#: ``evaluate``, the diagnostics and :class:`~gradkit.nn.MultiTaskLoss` accept for a loss.
#: Owned by this module; read it, do not extend it at run time.
LOSS_NAMES = {
    "cross_entropy": CrossEntropyLoss, "categorical_crossentropy": CrossEntropyLoss,
    "sparse_categorical_crossentropy": CrossEntropyLoss, "nll": NLLLoss,
    "mse": MSELoss, "mean_squared_error": MSELoss, "mae": L1Loss, "l1": L1Loss, "rmse": RMSELoss,
    "huber": HuberLoss, "bce": BCELoss, "bce_with_logits": BCEWithLogitsLoss,
    "binary_crossentropy": BCEWithLogitsLoss, "hinge": HingeLoss,
}


def resolve_loss(loss):
    """A loss module from a name, a callable or a dict of per-task losses.

    Args:
        loss: a name from :data:`LOSS_NAMES` (``'cross_entropy'``, ``'mse'``...; any case), a
            callable ``loss(output, target)`` (returned as is), or a dict ``{task: loss}``
            (wrapped in a :class:`~gradkit.nn.MultiTaskLoss`).

    Returns:
        The loss: a new loss module for a name or a dict, else ``loss`` itself.

    Raises:
        ValueError: for an unknown name, listing the valid ones.
        TypeError: when ``loss`` is neither a name, a dict nor a callable.

    Example:
        >>> resolve_loss("mse")
        MSELoss(reduction='mean')
    """
    if isinstance(loss, dict):
        from .multitask import MultiTaskLoss  # multitask builds on this module

        return MultiTaskLoss(loss)
    if isinstance(loss, str):
        cls = LOSS_NAMES.get(loss.lower())
        if cls is None:
            raise ValueError(f"unknown loss {loss!r}; valid names: {', '.join(sorted(LOSS_NAMES))}")
        return cls()
    if not callable(loss):
        raise TypeError(f"loss must be a name or a callable loss(output, target), got {type(loss).__name__}")
    return loss
