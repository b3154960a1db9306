"""Functional forms of gradkit's layers: ``rbf`` (more are added below as layers land).

These are the stateless counterparts of the layer modules; ``gk.nn.functional``
re-exports them.
"""

from __future__ import annotations

from .. import ops
from ..tensor import Tensor

__all__ = ["rbf"]


def rbf(x: Tensor, centres: Tensor, log_sigma: Tensor) -> Tensor:
    """Gaussian radial-basis responses ``exp(-||x - c_j||^2 / (2 exp(log_sigma_j)^2))``.

    Args:
        x: input ``(*, in_features)``.
        centres: ``(out_features, in_features)``.
        log_sigma: ``(out_features,)``, the log of each unit's width.

    Returns:
        ``(*, out_features)`` responses in (0, 1].
    """
    x2 = (x * x).sum(-1, keepdim=True)
    c2 = (centres * centres).sum(-1)
    d2 = ops.clamp(x2 - 2.0 * ops.matmul(x, centres.T) + c2, min=0.0)
    inv_two_var = 0.5 * ops.exp(-2.0 * log_sigma)
    return ops.exp(-d2 * inv_two_var)
