"""``Bilinear``, ``CosineSimilarity`` and ``PairwiseDistance`` (``torch.nn`` names and parameters).

Example:
    >>> import gradkit as gk
    >>> gk.nn.Bilinear(3, 4, 2)(gk.ones(5, 3), gk.ones(5, 4)).shape
    (5, 2)
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import get_default_dtype
from . import functional as F
from . import init
from .module import Module, Parameter

__all__ = ["Bilinear", "CosineSimilarity", "PairwiseDistance"]


class Bilinear(Module):
    """``y = x1^T A x2 + b`` (``torch.nn.Bilinear``), weight ``(out, in1, in2)``, bias ``(out,)``.

    Both start as ``U(-1/sqrt(in1), 1/sqrt(in1))``, as in PyTorch.

    Args:
        in1_features: size of the first input's last dimension.
        in2_features: size of the second input's last dimension.
        out_features: size of the output's last dimension.
        bias: learn an additive bias (default True).
        device: where the parameters live.
        dtype: parameter dtype (default ``gk.get_default_dtype()``).

    Example:
        >>> m = gk.nn.Bilinear(2, 3, 4)
        >>> [tuple(p.shape) for p in m.parameters()]
        [(4, 2, 3), (4,)]
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__()
        if min(in1_features, in2_features, out_features) <= 0:
            raise ValueError(
                f"Bilinear needs positive sizes, got {in1_features}, {in2_features}, {out_features}"
            )
        self.in1_features, self.in2_features, self.out_features = int(in1_features), int(in2_features), int(out_features)
        dt = np.dtype(dtype) if dtype is not None else get_default_dtype()
        self.weight = Parameter(np.empty((self.out_features, self.in1_features, self.in2_features), dtype=dt))
        if bias:
            self.bias = Parameter(np.empty((self.out_features,), dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        if device is not None:
            self.to(device=device)

    def reset_parameters(self) -> None:
        """Re-draw the parameters from ``U(-1/sqrt(in1), 1/sqrt(in1))``."""
        bound = 1.0 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class CosineSimilarity(Module):
    """Cosine similarity of two inputs along ``dim`` (see :func:`~gradkit.nn.functional.cosine_similarity`).

    Args:
        dim: the dimension of the vectors (default 1).
        eps: the smallest norm (default 1e-8).

    Example:
        >>> gk.nn.CosineSimilarity()(gk.ones(2, 3), gk.ones(2, 3)).shape
        (2,)
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim, self.eps = int(dim), float(eps)

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, eps={self.eps}"


class PairwiseDistance(Module):
    """``||x1 - x2 + eps||_p`` along the last dimension (see :func:`~gradkit.nn.functional.pairwise_distance`).

    Args:
        p: the norm's order (default 2).
        eps: added to the difference (default 1e-6).
        keepdim: keep the last dimension.

    Example:
        >>> gk.nn.PairwiseDistance()(gk.ones(2, 3), gk.zeros(2, 3)).shape
        (2,)
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        self.norm, self.eps, self.keepdim = float(p), float(eps), bool(keepdim)

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)

    def extra_repr(self) -> str:
        return f"p={self.norm}, eps={self.eps}, keepdim={self.keepdim}"
