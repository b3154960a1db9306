"""Loss functions (``torch.nn.functional`` names): regression, binary and margin losses.

Each takes a prediction and a target of the same shape and returns the loss reduced by
``reduction`` (``'mean'``, ``'sum'`` or ``'none'``). ``binary_cross_entropy_with_logits``
uses ``log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|))``, so it never overflows at
``|x| = 1e4``. The multi-class losses (``cross_entropy``, ``nll_loss``,
``multi_margin_loss``) are in :mod:`.multiclass`.

Example:
    >>> import gradkit as gk
    >>> import gradkit.nn.functional as F
    >>> F.mse_loss(gk.tensor([1.0, 2.0]), gk.tensor([0.0, 0.0])).item()
    2.5
"""

from __future__ import annotations

import numpy as np

from ... import ops
from ...autograd.function import Op
from ...backend import get_array_module
from ...ops._util import const, ensure_tensor, shape_str
from ...tensor import Tensor
from .activation import _Softplus

__all__ = [
    "mse_loss", "l1_loss", "rmse_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "hinge_loss", "perceptron_loss", "hinge_embedding_loss",
]

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction!r} is not a valid value for reduction: expected 'mean', 'sum' or 'none'")


def legacy_reduction(size_average, reduce, reduction, allowed=_REDUCTIONS):
    """``reduction`` after PyTorch's mapping of the deprecated ``size_average``/``reduce`` flags.

    Either flag given (not None): ``reduce=False`` gives ``'none'``, else ``size_average=False``
    gives ``'sum'``, else ``'mean'`` (PyTorch's rule); both None: ``reduction`` itself, checked.

    Args:
        size_average: deprecated; None, True or False.
        reduce: deprecated; None, True or False.
        reduction: the reduction asked for.
        allowed: the valid reductions.

    Returns:
        The reduction.

    Raises:
        ValueError: for a reduction that is not in ``allowed``.

    Example:
        >>> legacy_reduction(None, False, "mean")
        'none'
    """
    if size_average is None and reduce is None:
        if reduction not in allowed:
            raise ValueError(f"{reduction!r} is not a valid value for reduction: expected one of {', '.join(map(repr, allowed))}")
        return reduction
    if reduce is not None and not reduce:
        return "none"
    return "sum" if size_average is not None and not size_average else "mean"


def _reduce(loss, reduction):
    if reduction == "mean":
        return ops.mean(loss)
    if reduction == "sum":
        return ops.sum(loss)
    return loss


def _pair(input, target, name):
    """Check a prediction/target pair of equal shapes; integer targets take the input's dtype."""
    _check_float(input, name)
    target = ensure_tensor(target)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"{name}: prediction shape {shape_str(input.shape)} and target shape {shape_str(target.shape)} "
            "differ; they must match (reshape one, e.g. target.reshape(-1, 1) or input.squeeze(-1))"
        )
    if target.dtype != input.dtype:
        if target.requires_grad and target.dtype.kind == "f":
            target = target.to(input.dtype)
        else:
            target = const(target.array.astype(input.dtype))
    return input, target


def _check_float(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: the prediction must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: the prediction must be floating point, got dtype {input.dtype}")


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Mean squared error ``mean((input - target)**2)`` (``torch.nn.functional.mse_loss``).

    Args:
        input: predictions.
        target: targets of the same shape.
        size_average: deprecated (PyTorch's); see :func:`legacy_reduction`.
        reduce: deprecated (PyTorch's).
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'`` (elementwise).

    Returns:
        The loss in the input's dtype: 0-d for ``'mean'`` and ``'sum'``, elementwise for ``'none'``.

    Raises:
        ValueError: when the shapes differ (both are named) or ``reduction`` is unknown.

    Example:
        >>> mse_loss(gk.tensor([1.0, 2.0]), gk.tensor([0.0, 0.0])).item()
        2.5
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    input, target = _pair(input, target, "mse_loss")
    d = input - target
    return _reduce(d * d, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Mean absolute error ``mean(|input - target|)`` (MAE; gradient ``sign(input - target)``).

    Args:
        input: predictions.
        target: targets of the same shape.
        size_average: deprecated (PyTorch's); see :func:`legacy_reduction`.
        reduce: deprecated (PyTorch's).
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Returns:
        The loss in the input's dtype: 0-d for ``'mean'`` and ``'sum'``, elementwise for ``'none'``.

    Raises:
        ValueError: when the shapes differ or ``reduction`` is unknown.

    Example:
        >>> l1_loss(gk.tensor([1.0, -2.0]), gk.tensor([0.0, 0.0])).item()
        1.5
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    input, target = _pair(input, target, "l1_loss")
    return _reduce(ops.abs(input - target), reduction)


def rmse_loss(input, target, reduction: str = "mean", eps: float = 1e-8) -> Tensor:
    """Root mean squared error ``sqrt(mean((input - target)**2) + eps)``.

    ``eps`` keeps the gradient ``(input - target) / (N * RMSE)`` finite when the error is
    exactly zero (the derivative of ``sqrt`` at 0 is infinite); it shifts the value by at
    most ``sqrt(eps) = 1e-4``. ``reduction='sum'`` gives ``sqrt(sum(d**2) + eps)`` (the
    Euclidean norm of the error) and ``'none'`` the elementwise ``sqrt(d**2 + eps)``.

    Args:
        input: predictions.
        target: targets of the same shape.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.
        eps: added under the square root (default 1e-8).

    Returns:
        The RMSE in the input's dtype (0-d, or elementwise for ``'none'``).

    Raises:
        ValueError: when the shapes differ or ``reduction`` is unknown.

    Example:
        >>> round(rmse_loss(gk.tensor([3.0, 4.0]), gk.tensor([0.0, 0.0])).item(), 4)
        3.5355
    """
    _check_reduction(reduction)
    input, target = _pair(input, target, "rmse_loss")
    d = input - target
    return ops.sqrt(_reduce(d * d, reduction) + eps)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """Huber loss (Huber, 1964): quadratic for small errors, linear for large ones.

    .. math:: \\ell = 0.5 d^2 \\text{ if } |d| < \\delta, \\text{ else } \\delta (|d| - 0.5 \\delta)

    Computed as ``0.5 q**2 + delta * (|d| - q)`` with ``q = min(|d|, delta)``.

    Args:
        input: predictions.
        target: targets of the same shape.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.
        delta: where the quadratic part turns linear (default 1).

    Returns:
        The loss in the input's dtype: 0-d for ``'mean'`` and ``'sum'``, elementwise for ``'none'``.

    Raises:
        ValueError: for ``delta <= 0``, mismatched shapes or an unknown reduction.

    Example:
        >>> huber_loss(gk.tensor([0.5, 3.0]), gk.tensor([0.0, 0.0]), reduction='none').tolist()
        [0.125, 2.5]
    """
    _check_reduction(reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    input, target = _pair(input, target, "huber_loss")
    a = ops.abs(input - target)
    q = ops.minimum(a, float(delta))
    return _reduce(q * q * 0.5 + (a - q) * float(delta), reduction)


class _ClampedLog(Op):
    """``max(log(x), -100)`` without a divide-by-zero warning at ``x = 0`` (as PyTorch's BCE).

    Derivative ``1 / x`` where the log is above -100, else 0, written with gradkit ops.
    """

    def forward(self, x):
        xp = get_array_module(x)
        with np.errstate(divide="ignore"):
            y = xp.log(x)
        self.live = live = y > -100
        return xp.where(live, y, x.dtype.type(-100))

    def backward(self, gy):
        live = const(self.live)
        safe = ops.where(live, self.inputs[0], 1.0)  # no division by the clamped zeros
        return ops.where(live, gy / safe, 0.0)


def _weighted(loss, weight, name):
    if weight is None:
        return loss
    weight = ensure_tensor(weight)
    try:
        np.broadcast_shapes(tuple(weight.shape), tuple(loss.shape))
    except ValueError:
        raise ValueError(
            f"{name}: weight of shape {shape_str(weight.shape)} does not broadcast to the loss of shape "
            f"{shape_str(loss.shape)}"
        ) from None
    if weight.dtype != loss.dtype and not weight.requires_grad:
        weight = const(weight.array.astype(loss.dtype))
    if weight.device != loss.device and not weight.requires_grad:  # a constant weight follows the input, as in CE
        weight = weight.to(loss.device)
    return loss * weight


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy on probabilities: ``-(t log p + (1 - t) log(1 - p))``.

    As in PyTorch, each log is clamped at -100 so that ``p = 0`` or ``p = 1`` gives a
    finite loss (100 per element at most) instead of ``inf``. Prefer
    :func:`binary_cross_entropy_with_logits` on raw scores: it is stabler and faster.

    Args:
        input: probabilities in ``[0, 1]``.
        target: targets in ``[0, 1]`` of the same shape.
        weight: optional rescaling weight broadcast against the elementwise loss.
        size_average: deprecated (PyTorch's); see :func:`legacy_reduction`.
        reduce: deprecated (PyTorch's).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Returns:
        The loss in the input's dtype: 0-d for ``'mean'`` and ``'sum'``, elementwise for ``'none'``.

    Raises:
        ValueError: mismatched shapes (both named) or probabilities outside ``[0, 1]``.

    Example:
        >>> round(binary_cross_entropy(gk.tensor([0.8]), gk.tensor([1.0])).item(), 4)
        0.2231
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    input, target = _pair(input, target, "binary_cross_entropy")
    p = input.array
    if p.size and (bool((p < 0).any()) or bool((p > 1).any()) or bool(get_array_module(p).isnan(p).any())):
        raise ValueError(
            f"binary_cross_entropy: input must hold probabilities in [0, 1], got values from {float(p.min()):g} "
            f"to {float(p.max()):g}; apply sigmoid first or use binary_cross_entropy_with_logits on raw scores"
        )
    loss = -(target * _ClampedLog()(input) + (1.0 - target) * _ClampedLog()(1.0 - input))
    return _reduce(_weighted(loss, weight, "binary_cross_entropy"), reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    """Sigmoid and binary cross-entropy in one stable expression.

    .. math:: \\ell = (1 - t)\\,x + (1 + (w_p - 1)\\,t)\\,\\mathrm{softplus}(-x)

    which equals ``-(w_p t log sigmoid(x) + (1 - t) log(1 - sigmoid(x)))`` but never
    computes ``exp`` of a large positive number. The gradient is
    ``sigmoid(x) - t`` (for ``w_p = 1``).

    Args:
        input: raw scores (logits).
        target: targets in ``[0, 1]`` of the same shape.
        weight: optional rescaling weight broadcast against the elementwise loss.
        size_average: deprecated (PyTorch's); see :func:`legacy_reduction`.
        reduce: deprecated (PyTorch's).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        pos_weight: weight of positive examples, broadcast over the last (class)
            dimension; ``> 1`` raises recall, ``< 1`` precision.

    Returns:
        The loss in the input's dtype: 0-d for ``'mean'`` and ``'sum'``, elementwise for ``'none'``.

    Raises:
        ValueError: mismatched shapes, or a weight that does not broadcast to the loss.

    Example:
        >>> round(binary_cross_entropy_with_logits(gk.tensor([0.0]), gk.tensor([1.0])).item(), 4)
        0.6931
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    input, target = _pair(input, target, "binary_cross_entropy_with_logits")
    sp = _Softplus(1.0, None)(-input)
    if pos_weight is None:
        loss = (1.0 - target) * input + sp
    else:
        pw = ensure_tensor(pos_weight)
        if pw.dtype != input.dtype and not pw.requires_grad:
            pw = const(pw.array.astype(input.dtype))
        if pw.device != input.device and not pw.requires_grad:
            pw = pw.to(input.device)
        loss = (1.0 - target) * input + (1.0 + (pw - 1.0) * target) * sp
    return _reduce(_weighted(loss, weight, "binary_cross_entropy_with_logits"), reduction)


def _pm1_target(input, target, name):
    input, target = _pair(input, target, name)
    v = target.array
    if v.size and not bool(((v == 1) | (v == -1)).all()):
        bad = float(v[(v != 1) & (v != -1)].reshape(-1)[0])
        raise ValueError(f"{name}: targets must be -1 or +1, got {bad:g}; map 0/1 labels with 2 * y - 1")
    return input, target


def hinge_loss(input, target, margin: float = 1.0, reduction: str = "mean") -> Tensor:
    """The SVM hinge loss for labels ``y`` in ``{-1, +1}``: ``max(0, margin - y f(x))``.

    Zero once an example is on the right side with at least ``margin`` to spare; its
    subgradient ``-y`` inside the margin pushes the score outward (soft-margin SVM,
    Cortes & Vapnik, 1995).

    Args:
        input: scores ``f(x)``.
        target: labels in ``{-1, +1}`` of the same shape.
        margin: the margin (default 1).
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Returns:
        The loss in the input's dtype: 0-d for ``'mean'`` and ``'sum'``, elementwise for ``'none'``.

    Raises:
        ValueError: targets other than -1 and +1, mismatched shapes.

    Example:
        >>> hinge_loss(gk.tensor([2.0, 0.5, -1.0]), gk.tensor([1.0, 1.0, 1.0]), reduction='none').tolist() == [0, 0.5, 2]
        True
    """
    _check_reduction(reduction)
    input, target = _pm1_target(input, target, "hinge_loss")
    return _reduce(ops.relu(float(margin) - target * input), reduction)


def perceptron_loss(input, target, reduction: str = "mean") -> Tensor:
    """Rosenblatt's perceptron criterion ``max(0, -y f(x))`` for labels in ``{-1, +1}``.

    It is zero on correctly classified examples and ``|f(x)|`` on misclassified ones, so
    stochastic gradient descent on it with step 1 is exactly the perceptron update
    ``w += y x`` on mistakes. It is the hinge loss with margin 0.

    Args:
        input: scores ``f(x)``.
        target: labels in ``{-1, +1}`` of the same shape.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Returns:
        The loss in the input's dtype: 0-d for ``'mean'`` and ``'sum'``, elementwise for ``'none'``.

    Raises:
        ValueError: targets other than -1 and +1, mismatched shapes.

    Example:
        >>> perceptron_loss(gk.tensor([2.0, -0.5]), gk.tensor([1.0, 1.0]), reduction='none').tolist() == [0, 0.5]
        True
    """
    _check_reduction(reduction)
    input, target = _pm1_target(input, target, "perceptron_loss")
    return _reduce(ops.relu(-(target * input)), reduction)


def hinge_embedding_loss(input, target, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """``torch.nn.HingeEmbeddingLoss``: ``x`` where ``y = 1``, ``max(0, margin - x)`` where ``y = -1``.

    Used when ``input`` is a distance (e.g. ``|a - b|``) and ``y`` says whether the pair is
    similar (+1: pull together) or dissimilar (-1: push at least ``margin`` apart).
    For the SVM hinge ``max(0, margin - y f(x))`` on scores use :func:`hinge_loss`.

    Args:
        input: distances (or any scores).
        target: labels in ``{-1, +1}`` of the same shape.
        margin: the margin for ``y = -1`` (default 1).
        size_average: deprecated (PyTorch's); see :func:`legacy_reduction`.
        reduce: deprecated (PyTorch's).
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Returns:
        The loss in the input's dtype: 0-d for ``'mean'`` and ``'sum'``, elementwise for ``'none'``.

    Raises:
        ValueError: targets other than -1 and +1, mismatched shapes.

    Example:
        >>> hinge_embedding_loss(gk.tensor([0.3, 0.4]), gk.tensor([1.0, -1.0]), reduction='none').tolist()
        [0.30000001192092896, 0.6000000238418579]
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    input, target = _pm1_target(input, target, "hinge_embedding_loss")
    pos = const(target.array > 0)
    loss = ops.where(pos, input, ops.relu(float(margin) - input))
    return _reduce(loss, reduction)
