"""More loss modules with PyTorch's names and constructor arguments (over :mod:`gradkit.nn.functional`).

``KLDivLoss, PoissonNLLLoss, GaussianNLLLoss, SmoothL1Loss, SoftMarginLoss,
MultiLabelSoftMarginLoss, CosineEmbeddingLoss, MarginRankingLoss, TripletMarginLoss`` and
``CTCLoss``. The deprecated ``size_average``/``reduce`` arguments are accepted and mapped to
``reduction`` as PyTorch does.

Example:
    >>> import gradkit as gk
    >>> crit = gk.nn.KLDivLoss(reduction="batchmean")
    >>> p = gk.tensor([[0.25, 0.75]])
    >>> crit(p.log(), p).item()
    0.0
"""

from __future__ import annotations

from . import functional as F
from .functional.loss import legacy_reduction
from .loss import _as_buffer, _Loss

__all__ = [
    "KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss", "SmoothL1Loss", "SoftMarginLoss", "MultiLabelSoftMarginLoss",
    "CosineEmbeddingLoss", "MarginRankingLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss", "CTCLoss",
]


class _LegacyLoss(_Loss):
    """A loss whose constructor starts with PyTorch's deprecated ``size_average, reduce``."""


class KLDivLoss(_LegacyLoss):
    """Kullback-Leibler divergence (see :func:`~gradkit.nn.functional.kl_div`); input in log space.

    Args:
        size_average: deprecated.
        reduce: deprecated.
        reduction: ``'mean'`` (every element), ``'batchmean'`` (the true KL per example), ``'sum'``, ``'none'``.
        log_target: the target is given in log space.

    Example:
        >>> gk.nn.KLDivLoss(reduction="sum")(gk.tensor([0.0]), gk.tensor([1.0])).item()
        0.0
    """

    expects_logits = False
    _reductions = ("mean", "sum", "none", "batchmean")

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = bool(log_target)

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(_LegacyLoss):
    """Poisson negative log-likelihood (see :func:`~gradkit.nn.functional.poisson_nll_loss`).

    Args:
        log_input: the input is a log-rate (default True).
        full: add Stirling's term.
        size_average: deprecated.
        eps: for ``log(input + eps)`` without ``log_input`` (default 1e-8).
        reduce: deprecated.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Example:
        >>> gk.nn.PoissonNLLLoss()(gk.tensor([0.0]), gk.tensor([1.0])).item()
        1.0
    """

    expects_logits = False

    def __init__(self, log_input: bool = True, full: bool = False, size_average=None, eps: float = 1e-8, reduce=None,
                 reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = bool(log_input), bool(full), float(eps)

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, self.log_input, self.full, eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood, called as ``loss(input, target, var)``.

    Args:
        full: add ``0.5 log(2 pi)``.
        eps: the smallest variance used (default 1e-6).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Example:
        >>> gk.nn.GaussianNLLLoss()(gk.zeros(2), gk.zeros(2), gk.ones(2)).item()
        0.0
    """

    expects_logits = False

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = bool(full), float(eps)

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


class SmoothL1Loss(_LegacyLoss):
    """Smooth L1 loss (see :func:`~gradkit.nn.functional.smooth_l1_loss`).

    Args:
        size_average: deprecated.
        reduce: deprecated.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        beta: where it turns linear (default 1).

    Example:
        >>> gk.nn.SmoothL1Loss()(gk.tensor([3.0]), gk.tensor([0.0])).item()
        2.5
    """

    expects_logits = False

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        if beta < 0:
            raise ValueError(f"SmoothL1Loss: beta must be >= 0, got {beta}")
        self.beta = float(beta)

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class SoftMarginLoss(_LegacyLoss):
    """``log(1 + exp(-y x))`` with labels in {-1, 1}.

    Args:
        size_average: deprecated.
        reduce: deprecated.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Example:
        >>> round(gk.nn.SoftMarginLoss()(gk.tensor([0.0]), gk.tensor([1.0])).item(), 4)
        0.6931
    """

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_LegacyLoss):
    """Multi-label one-versus-all logistic loss (see :func:`~gradkit.nn.functional.multilabel_soft_margin_loss`).

    Args:
        weight: optional (C,) class weights (kept as a buffer).
        size_average: deprecated.
        reduce: deprecated.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Example:
        >>> round(gk.nn.MultiLabelSoftMarginLoss()(gk.zeros(1, 2), gk.tensor([[1.0, 0.0]])).item(), 4)
        0.6931
    """

    _tensor_args = ("weight",)

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_buffer(weight))

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class CosineEmbeddingLoss(_LegacyLoss):
    """``1 - cos`` for similar pairs (``y = 1``), ``max(0, cos - margin)`` for dissimilar ones (``y = -1``).

    Args:
        margin: for dissimilar pairs (default 0).
        size_average: deprecated.
        reduce: deprecated.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Example:
        >>> gk.nn.CosineEmbeddingLoss()(gk.ones(1, 2), gk.ones(1, 2), gk.tensor([1])).item()
        0.0
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = float(margin)

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, self.margin, reduction=self.reduction)


class MarginRankingLoss(_LegacyLoss):
    """``max(0, -y (x1 - x2) + margin)``.

    Args:
        margin: the required gap (default 0).
        size_average: deprecated.
        reduce: deprecated.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Example:
        >>> gk.nn.MarginRankingLoss(0.5)(gk.tensor([2.0]), gk.tensor([1.0]), gk.tensor([1.0])).item()
        0.0
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = float(margin)

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)


class TripletMarginLoss(_LegacyLoss):
    """``max(d(a, p) - d(a, n) + margin, 0)`` (see :func:`~gradkit.nn.functional.triplet_margin_loss`).

    Args:
        margin: the required gap (default 1).
        p: the norm's order (default 2).
        eps: added to the differences (default 1e-6).
        swap: the distance swap of Balntas et al.
        size_average: deprecated.
        reduce: deprecated.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Example:
        >>> a = gk.zeros(1, 2)
        >>> gk.nn.TripletMarginLoss(eps=0.0)(a, a, a + 5.0).item()
        0.0
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False, size_average=None,
                 reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: margin must be greater than 0, got {margin}")
        self.margin, self.p, self.eps, self.swap = float(margin), float(p), float(eps), bool(swap)

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps, self.swap,
                                     reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """Triplet loss with any distance (see :func:`~gradkit.nn.functional.triplet_margin_with_distance_loss`).

    Args:
        distance_function: ``d(x1, x2)``, default the Euclidean :func:`~gradkit.nn.functional.pairwise_distance`.
        margin: the required gap (default 1).
        swap: the distance swap of Balntas et al.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Example:
        >>> a = gk.zeros(1, 2)
        >>> gk.nn.TripletMarginWithDistanceLoss()(a, a, a + 5.0).item()
        0.0
    """

    def __init__(self, *, distance_function=None, margin: float = 1.0, swap: bool = False, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: margin must be greater than 0, got {margin}")
        self.distance_function, self.margin, self.swap = distance_function, float(margin), bool(swap)

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(anchor, positive, negative, distance_function=self.distance_function,
                                                   margin=self.margin, swap=self.swap, reduction=self.reduction)


class CTCLoss(_Loss):
    """Connectionist temporal classification loss (see :func:`~gradkit.nn.functional.ctc_loss`).

    Args:
        blank: the blank label (default 0).
        reduction: ``'mean'`` (each loss divided by its target length, then averaged), ``'sum'`` or ``'none'``.
        zero_infinity: replace infinite losses (impossible alignments) and their gradients by 0.

    Example:
        >>> crit = gk.nn.CTCLoss()
        >>> lp = gk.nn.functional.log_softmax(gk.zeros(4, 1, 3), 2)
        >>> round(crit(lp, gk.tensor([[1, 2]]), [4], [2]).item(), 4)
        0.8432
    """

    expects_logits = False  # log-probabilities

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = int(blank), bool(zero_infinity)

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                          self.zero_infinity)

