r"""Proximal steps: in-place operators applied to the parameters after an optimizer step.

**L1 (soft-thresholding).** The proximal operator of ``t * ||w||_1`` is

.. math:: \operatorname{prox}_{t\|\cdot\|_1}(w) = \operatorname{sign}(w) \max(|w| - t, 0),

elementwise. A gradient step on the smooth loss followed by it, with ``t = lr * lambda`` for
the penalty ``lambda ||w||_1``, is proximal gradient descent (ISTA; Beck & Teboulle, 2009,
"A Fast Iterative Shrinkage-Thresholding Algorithm for Linear Inverse Problems"). Unlike the
subgradient of the penalty, which makes small weights oscillate around zero, it sets every
weight with ``|w| <= t`` to exactly 0, so the weights become sparse.

Examples:
    >>> import gradkit as gk
    >>> w = gk.tensor([0.5, -0.05, -2.0, 0.1])
    >>> gk.optim.prox_l1_(w, 0.1)
    2
    >>> [round(v, 4) for v in w.tolist()]
    [0.4, 0.0, -1.9, 0.0]
"""

from __future__ import annotations

import math
import numbers

from ..autograd.grad_mode import no_grad
from ..backend import get_array_module
from ..nn.regularization import _params

__all__ = ["prox_l1_"]


def prox_l1_(params, threshold: float) -> int:
    """Soft-threshold in place: ``w <- sign(w) * max(|w| - threshold, 0)`` for every element.

    Run under ``no_grad`` on the tensors' data, so it is not recorded; call it after
    ``optimizer.step()``. ``gk.train.fit(..., l1=lam, l1_mode="proximal")`` calls it with
    ``threshold = lr * lam / m`` on the model's weights.

    Args:
        params: a Module (its weights, as ``gk.nn.weight_parameters``: biases and
            normalization parameters are left alone), a Tensor, or an iterable of Tensors
            (or ``(name, tensor)`` pairs), used as given.
        threshold: ``t >= 0``, finite; ``lr * lambda`` for the penalty ``lambda * ||w||_1``.

    Returns:
        The number of elements that are exactly 0 after the step.

    Raises:
        ValueError: for a negative or non-finite ``threshold``.
        TypeError: for params that are not tensors.

    Examples:
        >>> import gradkit as gk
        >>> lin = gk.nn.Linear(3, 1)
        >>> _ = gk.optim.prox_l1_(lin, 10.0)  # the weight only: the bias is not thresholded
        >>> lin.weight.tolist(), lin.bias.item() != 0.0
        ([[0.0, 0.0, 0.0]], True)
    """
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not math.isfinite(threshold) \
            or threshold < 0:
        raise ValueError(f"prox_l1_: threshold must be a finite number >= 0, got {threshold!r}")
    zeros = 0
    with no_grad():
        for p in _params(params, "prox_l1_"):
            a = p.array
            xp = get_array_module(a)
            t = a.dtype.type(threshold)
            # |w| <= t becomes +0.0 (not -0.0); the others move t towards zero
            a[...] = xp.where(xp.abs(a) > t, a - xp.sign(a) * t, a.dtype.type(0))
            zeros += int((a == 0).sum())
    return zeros
