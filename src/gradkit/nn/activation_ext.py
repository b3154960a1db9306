"""More activation layers with PyTorch's names and arguments, over :mod:`gradkit.nn.functional`.

``SiLU, Mish, ReLU6, Hardtanh, Hardswish, Hardsigmoid, Softsign, LogSigmoid, CELU, Softmin,
Tanhshrink, Softshrink, Hardshrink, GLU, RReLU``. None has parameters; ``inplace=`` is accepted
for source compatibility and a new tensor is returned. :class:`RReLU` draws its random slopes
in training mode from gradkit's seeded generator and uses their mean in evaluation mode.

Example:
    >>> import gradkit as gk
    >>> net = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.SiLU(), gk.nn.Linear(8, 2), gk.nn.Hardtanh())
    >>> net(gk.ones(3, 4)).shape
    (3, 2)
"""

from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = [
    "SiLU", "Mish", "ReLU6", "Hardtanh", "Hardswish", "Hardsigmoid", "Softsign", "LogSigmoid", "CELU",
    "Softmin", "Softmax2d", "Tanhshrink", "Softshrink", "Hardshrink", "GLU", "RReLU",
]


class _Inplace(Module):
    """An activation that takes (and ignores) PyTorch's ``inplace`` flag."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = bool(inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class SiLU(_Inplace):
    """``x * sigmoid(x)`` (see :func:`~gradkit.nn.functional.silu`).

    Example:
        >>> gk.nn.SiLU()(gk.tensor([0.0])).item()
        0.0
    """

    def forward(self, x):
        return F.silu(x)


class Mish(_Inplace):
    """``x * tanh(softplus(x))`` (see :func:`~gradkit.nn.functional.mish`).

    Example:
        >>> gk.nn.Mish()(gk.tensor([0.0])).item()
        0.0
    """

    def forward(self, x):
        return F.mish(x)


class Hardtanh(Module):
    """``x`` clamped to ``[min_val, max_val]`` (see :func:`~gradkit.nn.functional.hardtanh`).

    Args:
        min_val: lower bound (default -1).
        max_val: upper bound (default 1).
        inplace: accepted for PyTorch compatibility.

    Example:
        >>> gk.nn.Hardtanh(-2.0, 2.0)(gk.tensor([3.0])).item()
        2.0
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if max_val < min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) cannot be less than min_val ({min_val})")
        self.min_val, self.max_val, self.inplace = float(min_val), float(max_val), bool(inplace)

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class ReLU6(_Inplace):
    """``min(max(x, 0), 6)``.

    Example:
        >>> gk.nn.ReLU6()(gk.tensor([8.0])).item()
        6.0
    """

    def forward(self, x):
        return F.relu6(x)


class Hardswish(_Inplace):
    """``x * relu6(x + 3) / 6`` (MobileNetV3).

    Example:
        >>> gk.nn.Hardswish()(gk.tensor([4.0])).item()
        4.0
    """

    def forward(self, x):
        return F.hardswish(x)


class Hardsigmoid(_Inplace):
    """``relu6(x + 3) / 6``.

    Example:
        >>> gk.nn.Hardsigmoid()(gk.tensor([0.0])).item()
        0.5
    """

    def forward(self, x):
        return F.hardsigmoid(x)


class Softsign(Module):
    """``x / (1 + |x|)``.

    Example:
        >>> gk.nn.Softsign()(gk.tensor([1.0])).item()
        0.5
    """

    def forward(self, x):
        return F.softsign(x)


class LogSigmoid(Module):
    """``log(sigmoid(x))``, stable for any ``|x|``.

    Example:
        >>> round(gk.nn.LogSigmoid()(gk.tensor([0.0])).item(), 4)
        -0.6931
    """

    def forward(self, x):
        return F.logsigmoid(x)


class CELU(Module):
    """Continuously differentiable ELU (see :func:`~gradkit.nn.functional.celu`).

    Args:
        alpha: negative saturation ``-alpha`` (default 1).
        inplace: accepted for PyTorch compatibility.

    Example:
        >>> gk.nn.CELU()(gk.tensor([2.0])).item()
        2.0
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        if alpha == 0:
            raise ValueError("CELU: alpha must not be 0")
        self.alpha, self.inplace = float(alpha), bool(inplace)

    def forward(self, x):
        return F.celu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softmin(Module):
    """``softmax(-x)`` along ``dim``.

    Args:
        dim: the dimension that sums to 1.

    Example:
        >>> gk.nn.Softmin(dim=0)(gk.tensor([1.0, 1.0])).tolist()
        [0.5, 0.5]
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmin(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels of each pixel: dimension -3 of ``(N, C, H, W)`` or ``(C, H, W)``.

    Example:
        >>> gk.nn.Softmax2d()(gk.zeros(1, 4, 2, 2)).sum(1).tolist()
        [[[1.0, 1.0], [1.0, 1.0]]]
    """

    def forward(self, x):
        if x.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected a 3-D or 4-D input, got shape {tuple(x.shape)}")
        return F.softmax(x, -3)


class Tanhshrink(Module):
    """``x - tanh(x)``.

    Example:
        >>> gk.nn.Tanhshrink()(gk.tensor([0.0])).item()
        0.0
    """

    def forward(self, x):
        return F.tanhshrink(x)


class _Shrink(Module):
    def __init__(self, lambd: float = 0.5):
        super().__init__()
        if lambd < 0:
            raise ValueError(f"{type(self).__name__}: lambd must be >= 0, got {lambd}")
        self.lambd = float(lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(_Shrink):
    """Soft thresholding by ``lambd`` (default 0.5).

    Example:
        >>> gk.nn.Softshrink()(gk.tensor([1.0])).item()
        0.5
    """

    def forward(self, x):
        return F.softshrink(x, self.lambd)


class Hardshrink(_Shrink):
    """Hard thresholding by ``lambd`` (default 0.5).

    Example:
        >>> gk.nn.Hardshrink()(gk.tensor([0.25, 1.0])).tolist()
        [0.0, 1.0]
    """

    def forward(self, x):
        return F.hardshrink(x, self.lambd)


class GLU(Module):
    """Gated linear unit: halves ``a, b`` of ``dim``; ``a * sigmoid(b)``.

    Args:
        dim: the dimension to split (default -1).

    Example:
        >>> gk.nn.GLU()(gk.ones(2, 6)).shape
        (2, 3)
    """

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = int(dim)

    def forward(self, x):
        return F.glu(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class RReLU(Module):
    """Randomized leaky ReLU: slopes ``U(lower, upper)`` in training, their mean in evaluation.

    Args:
        lower: smallest slope (default 1/8).
        upper: largest slope (default 1/3).
        inplace: accepted for PyTorch compatibility.

    Example:
        >>> m = gk.nn.RReLU(0.1, 0.3).eval()
        >>> round(m(gk.tensor([-1.0])).item(), 4)
        -0.2
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        if lower > upper:
            raise ValueError(f"RReLU: lower ({lower}) must not exceed upper ({upper})")
        self.lower, self.upper, self.inplace = float(lower), float(upper), bool(inplace)

    def forward(self, x):
        return F.rrelu(x, self.lower, self.upper, self.training)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")
