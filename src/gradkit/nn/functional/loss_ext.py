"""More losses with PyTorch's names and arguments: divergences, likelihoods, ranking and embedding losses.

``kl_div``, ``poisson_nll_loss``, ``gaussian_nll_loss``, ``smooth_l1_loss``, ``soft_margin_loss``,
``multilabel_soft_margin_loss``, ``cosine_embedding_loss``, ``margin_ranking_loss`` and
``triplet_margin_loss``. Each is composed from gradkit's primitives (its derivative comes
from rules written once) and takes ``reduction='mean' | 'sum' | 'none'`` (``kl_div`` also
``'batchmean'``, the true KL divergence per example). PyTorch's deprecated ``size_average``
and ``reduce`` are accepted and mapped to ``reduction`` as PyTorch does.

Example:
    >>> import gradkit as gk
    >>> import gradkit.nn.functional as F
    >>> F.smooth_l1_loss(gk.tensor([0.5, 3.0]), gk.zeros(2), reduction="none").tolist()
    [0.125, 2.5]
"""

from __future__ import annotations

import math

from ... import ops
from ...backend import get_array_module
from ...ops._util import const, ensure_tensor, shape_str
from ...tensor import Tensor
from .activation import _Softplus
from .distance import pairwise_distance
from .loss import _check_float, _pair, _reduce, legacy_reduction

__all__ = [
    "kl_div", "poisson_nll_loss", "gaussian_nll_loss", "smooth_l1_loss", "soft_margin_loss",
    "multilabel_soft_margin_loss", "cosine_embedding_loss", "margin_ranking_loss", "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]


def _red(loss, reduction, name):
    if reduction == "batchmean":
        raise ValueError(f"{name}: reduction='batchmean' is only for kl_div")
    return _reduce(loss, reduction)


def _log_pos(t):
    """``log(t)`` where ``t > 0``, 0 elsewhere (with a zero gradient there)."""
    pos = const(t.array > 0)
    return ops.where(pos, ops.log(ops.where(pos, t, 1.0)), 0.0)


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence ``KL(target || exp(input))``; ``input`` holds log-probabilities.

    Pointwise ``target * (log target - input)`` (0 where ``target == 0``), or with
    ``log_target=True`` ``exp(target) * (target - input)``. ``reduction='batchmean'`` divides
    the sum by the batch size (``input.shape[0]``) and is the mathematical KL divergence;
    ``'mean'`` averages over every element, as PyTorch's default.

    Args:
        input: log-probabilities (e.g. ``log_softmax`` output).
        target: probabilities (or log-probabilities with ``log_target``), same shape.
        size_average: deprecated (see module docstring).
        reduce: deprecated.
        reduction: ``'mean'``, ``'batchmean'``, ``'sum'`` or ``'none'``.
        log_target: ``target`` is given in log space.

    Returns:
        The loss.

    Example:
        >>> p = gk.tensor([[0.5, 0.5]])
        >>> kl_div(p.log(), p, reduction="batchmean").item()
        0.0
    """
    reduction = legacy_reduction(size_average, reduce, reduction, ("mean", "sum", "none", "batchmean"))
    input, target = _pair(input, target, "kl_div")
    if log_target:
        loss = ops.exp(target) * (target - input)
    else:
        loss = target * (_log_pos(target) - input)
    if reduction == "batchmean":
        return ops.sum(loss) / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target ~ Poisson(rate)``.

    ``exp(input) - target * input`` when ``input`` is the log-rate (``log_input``), else
    ``input - target * log(input + eps)``. ``full`` adds Stirling's approximation of
    ``log(target!)``, ``target log target - target + 0.5 log(2 pi target)``, where ``target > 1``.

    Args:
        input: log-rates (or rates without ``log_input``).
        target: counts, same shape.
        log_input: ``input`` is a log-rate (default True).
        full: add the Stirling term.
        size_average: deprecated.
        eps: keeps ``log`` finite for rate 0 (default 1e-8).
        reduce: deprecated.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Returns:
        The loss.

    Example:
        >>> poisson_nll_loss(gk.tensor([0.0]), gk.tensor([1.0])).item()
        1.0
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    input, target = _pair(input, target, "poisson_nll_loss")
    if log_input:
        loss = ops.exp(input) - target * input
    else:
        loss = input - target * ops.log(input + eps)
    if full:
        big = const(target.array > 1)
        t = ops.where(big, target, 2.0)
        stirling = t * ops.log(t) - t + 0.5 * ops.log(2 * math.pi * t)
        loss = loss + ops.where(big, stirling, 0.0)
    return _red(loss, reduction, "poisson_nll_loss")


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target ~ N(input, var)``: ``0.5 (log var + (input - target)**2 / var)``.

    ``var`` has ``input``'s shape, or lacks its last dimension, or has 1 there (one variance
    shared by the features). Values below ``eps`` are raised to ``eps`` for stability, with
    the gradient passing straight through, as PyTorch. ``full`` adds ``0.5 log(2 pi)``.

    Args:
        input: predicted means.
        target: observations (same shape as ``input``).
        var: predicted variances (non-negative).
        full: add the constant term.
        eps: the smallest variance used (default 1e-6).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Returns:
        The loss.

    Raises:
        ValueError: for a ``var`` of the wrong shape or with a negative value.

    Example:
        >>> gaussian_nll_loss(gk.zeros(2), gk.zeros(2), gk.ones(2)).item()
        0.0
    """
    input, target = _pair(input, target, "gaussian_nll_loss")
    var = ensure_tensor(var)
    vs, xs = tuple(var.shape), tuple(input.shape)
    if vs != xs:
        if xs[:-1] == vs:
            var = ops.unsqueeze(var, -1)
        elif not (xs[:-1] == vs[:-1] and vs and vs[-1] == 1):
            raise ValueError(f"gaussian_nll_loss: var is of incorrect size {shape_str(vs)} for input {shape_str(xs)}")
    if bool((var.array < 0).any()):
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    if var.dtype != input.dtype:
        var = var.to(input.dtype)
    xp = get_array_module(var.array)
    var = var + const(xp.maximum(var.array, eps) - var.array)  # clamp the value, keep the gradient (as torch)
    d = input - target
    loss = 0.5 * (ops.log(var) + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _red(loss, reduction, "gaussian_nll_loss")


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: ``0.5 d**2 / beta`` for ``|d| < beta``, ``|d| - 0.5 beta`` beyond (``huber_loss / beta``).

    Args:
        input: predictions.
        target: targets, same shape.
        size_average: deprecated.
        reduce: deprecated.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        beta: where it turns linear (default 1; 0 gives the L1 loss).

    Returns:
        The loss.

    Raises:
        ValueError: for a negative ``beta``.

    Example:
        >>> smooth_l1_loss(gk.tensor([3.0]), gk.tensor([0.0]), beta=2.0).item()
        2.0
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    input, target = _pair(input, target, "smooth_l1_loss")
    a = ops.abs(input - target)
    if beta == 0:
        return _red(a, reduction, "smooth_l1_loss")
    q = ops.minimum(a, float(beta))
    return _red(q * q * (0.5 / beta) + (a - q), reduction, "smooth_l1_loss")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-y x))`` with ``y`` in {-1, 1}.

    Args:
        input: scores.
        target: labels -1 or 1, same shape.
        size_average: deprecated.
        reduce: deprecated.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Returns:
        The loss.

    Example:
        >>> round(soft_margin_loss(gk.tensor([0.0]), gk.tensor([1.0])).item(), 6)
        0.693147
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    input, target = _pair(input, target, "soft_margin_loss")
    return _red(_Softplus(1.0, None)(-target * input), reduction, "soft_margin_loss")


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """Multi-label one-versus-all logistic loss, averaged over the ``C`` classes of each example.

    ``-(1/C) sum_c w_c [y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c)]``, one value per example.

    Args:
        input: (N, C) scores.
        target: (N, C) labels 0 or 1.
        weight: optional (C,) class weights.
        size_average: deprecated.
        reduce: deprecated.
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (per example).

    Returns:
        The loss.

    Example:
        >>> round(multilabel_soft_margin_loss(gk.zeros(1, 2), gk.tensor([[1.0, 0.0]])).item(), 6)
        0.693147
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    input, target = _pair(input, target, "multilabel_soft_margin_loss")
    loss = target * _Softplus(1.0, None)(-input) + (1.0 - target) * _Softplus(1.0, None)(input)  # one op per call
    if weight is not None:
        loss = loss * ensure_tensor(weight)
    loss = ops.mean(loss, -1) if input.ndim else loss
    return _red(loss, reduction, "multilabel_soft_margin_loss")


def _pm1(target, like, name):
    target = ensure_tensor(target)
    if target.dtype != like.dtype:
        target = const(target.array.astype(like.dtype))
    return target


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, size_average=None, reduce=None,
                          reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` for ``y = 1``, ``max(0, cos(x1, x2) - margin)`` for ``y = -1``.

    Args:
        input1: (N, D) or (D,).
        input2: same shape.
        target: (N,) or () labels 1 or -1.
        margin: for dissimilar pairs (default 0).
        size_average: deprecated.
        reduce: deprecated.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Returns:
        The loss.

    Example:
        >>> cosine_embedding_loss(gk.tensor([[1.0, 0.0]]), gk.tensor([[1.0, 0.0]]), gk.tensor([1])).item()
        0.0
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input1, "cosine_embedding_loss")
    x1, x2 = input1, ensure_tensor(input2)
    if tuple(x1.shape) != tuple(x2.shape) or x1.ndim not in (1, 2):
        raise ValueError(
            f"cosine_embedding_loss: expected two inputs of the same shape (N, D) or (D,), got "
            f"{shape_str(x1.shape)} and {shape_str(x2.shape)}"
        )
    y = _pm1(target, x1, "cosine_embedding_loss")
    eps = 1e-12
    num = ops.sum(x1 * x2, -1)
    den = ops.sqrt((ops.sum(x1 * x1, -1) + eps) * (ops.sum(x2 * x2, -1) + eps))
    cos = num / den
    pos = const(y.array == 1)
    neg = const(y.array == -1)
    loss = ops.where(pos, 1.0 - cos, 0.0) + ops.where(neg, ops.clamp(cos - margin, min=0.0), 0.0)
    return _red(loss, reduction, "cosine_embedding_loss")


def margin_ranking_loss(input1, input2, target, margin: float = 0.0, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, -y (x1 - x2) + margin)``: ``y = 1`` means ``x1`` should rank higher.

    Args:
        input1: scores.
        input2: scores, broadcastable with ``input1``.
        target: labels 1 or -1, broadcastable.
        margin: the required gap (default 0).
        size_average: deprecated.
        reduce: deprecated.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Returns:
        The loss.

    Example:
        >>> margin_ranking_loss(gk.tensor([1.0]), gk.tensor([2.0]), gk.tensor([1.0])).item()
        1.0
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input1, "margin_ranking_loss")
    x2 = ensure_tensor(input2)
    y = _pm1(target, input1, "margin_ranking_loss")
    return _red(ops.clamp(-y * (input1 - x2) + margin, min=0.0), reduction, "margin_ranking_loss")


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d`` the :func:`pairwise_distance` (Schroff et al., 2015).

    Args:
        anchor: (N, D) or (D,) embeddings.
        positive: same shape, of the anchor's class.
        negative: same shape, of another class.
        margin: the required gap (default 1).
        p: the norm's order (default 2).
        eps: added to the differences (default 1e-6).
        swap: use ``min(d(a, n), d(p, n))`` as the negative distance (Balntas et al., 2016).
        size_average: deprecated.
        reduce: deprecated.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Returns:
        The loss.

    Example:
        >>> a = gk.tensor([[0.0, 0.0]])
        >>> triplet_margin_loss(a, a, gk.tensor([[3.0, 4.0]]), eps=0.0).item()
        0.0
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(anchor, "triplet_margin_loss")
    shapes = [tuple(ensure_tensor(t).shape) for t in (anchor, positive, negative)]
    if len(set(shapes)) != 1 or len(shapes[0]) not in (1, 2):
        raise ValueError(
            "triplet_margin_loss: expected anchor, positive and negative of one shape (N, D) or (D,), got "
            + ", ".join(shape_str(s) for s in shapes)
        )
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ops.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _red(ops.clamp(d_pos - d_neg + margin, min=0.0), reduction, "triplet_margin_loss")


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` with any distance ``d`` (default :func:`pairwise_distance`).

    Args:
        anchor: embeddings (any shape ``distance_function`` accepts).
        positive: same shape, of the anchor's class.
        negative: same shape, of another class.
        distance_function: ``d(x1, x2)`` returning one non-negative value per example
            (e.g. ``lambda a, b: 1 - F.cosine_similarity(a, b)``).
        margin: the required gap (default 1).
        swap: use ``min(d(a, n), d(p, n))`` as the negative distance.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Returns:
        The loss.

    Raises:
        ValueError: for a non-positive margin.

    Example:
        >>> a = gk.tensor([[0.0, 0.0]])
        >>> triplet_margin_with_distance_loss(a, a, a + 3.0).item()
        0.0
    """
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: margin must be greater than 0, got {margin}")
    d = distance_function if distance_function is not None else pairwise_distance
    d_pos, d_neg = d(anchor, positive), d(anchor, negative)
    if swap:
        d_neg = ops.minimum(d_neg, d(positive, negative))
    return _red(ops.clamp(d_pos - d_neg + margin, min=0.0), reduction, "triplet_margin_with_distance_loss")
