"""More activations with PyTorch's names: SiLU, Mish, the hard and shrink families, GLU, RReLU.

Each is composed from gradkit's primitives (or one small op with a mask), so its derivative
comes from rules already written once. Where PyTorch's gradient differs at a kink from what
a composition would give, the mask is chosen to match PyTorch's (``hardtanh``'s gradient is
0 at both ends, ``hardswish``'s is ``x/3 + 1/2`` on the closed interval ``[-3, 3]``).

PyTorch's ``inplace=`` is accepted everywhere for source compatibility; gradkit always
returns a new tensor (an in-place activation would overwrite what backward needs).

Example:
    >>> import gradkit as gk
    >>> import gradkit.nn.functional as F
    >>> F.relu6(gk.tensor([-1.0, 3.0, 9.0])).tolist()
    [0.0, 3.0, 6.0]
    >>> round(F.silu(gk.tensor([1.0])).item(), 6)
    0.731059
"""

from __future__ import annotations

from ... import backend, ops
from ...autograd.function import Op
from ...backend import get_array_module
from ...ops._util import const
from ...ops.elementwise import MaskMul
from ...random import get_generator
from ...tensor import Tensor
from .activation import _ELU, _Softmax, _Softplus, _float_input, _softmax_dim

__all__ = [
    "silu", "mish", "hardtanh", "relu6", "hardswish", "hardsigmoid", "softsign", "logsigmoid", "celu",
    "softmin", "tanhshrink", "softshrink", "hardshrink", "glu", "rrelu",
]


def silu(x, inplace: bool = False) -> Tensor:
    """Sigmoid-weighted linear unit (swish) ``x * sigmoid(x)`` (Elfwing et al., 2017).

    Args:
        x: floating-point input.
        inplace: accepted for PyTorch compatibility (a new tensor is returned).

    Returns:
        A tensor of ``x``'s shape and dtype.

    Example:
        >>> silu(gk.tensor([0.0])).item()
        0.0
    """
    x = _float_input(x, "silu")
    return x * ops.sigmoid(x)


def mish(x, inplace: bool = False) -> Tensor:
    """Mish ``x * tanh(softplus(x))`` (Misra, 2019); the softplus never overflows.

    Args:
        x: floating-point input.
        inplace: accepted for PyTorch compatibility.

    Returns:
        A tensor of ``x``'s shape and dtype.

    Example:
        >>> round(mish(gk.tensor([1.0])).item(), 6)
        0.865098
    """
    x = _float_input(x, "mish")
    return x * ops.tanh(_Softplus(1.0, None)(x))


class _Hardtanh(Op):
    """``clamp(x, lo, hi)`` with PyTorch's gradient: 1 strictly inside ``(lo, hi)``, 0 elsewhere."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        xp = get_array_module(x)
        t = x.dtype.type
        self.mask = (x > t(self.lo)) & (x < t(self.hi))
        return xp.clip(x, t(self.lo), t(self.hi))

    def backward(self, gy):
        return MaskMul(self.mask)(gy)


def hardtanh(x, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` clamped to ``[min_val, max_val]``; gradient 1 strictly inside, 0 outside and at the ends.

    Args:
        x: floating-point input.
        min_val: the lower bound (default -1).
        max_val: the upper bound (default 1).
        inplace: accepted for PyTorch compatibility.

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        ValueError: when ``max_val < min_val``.

    Example:
        >>> hardtanh(gk.tensor([-3.0, 0.5, 2.0])).tolist()
        [-1.0, 0.5, 1.0]
    """
    if max_val < min_val:
        raise ValueError(f"hardtanh: max_val ({max_val}) cannot be less than min_val ({min_val})")
    return _Hardtanh(float(min_val), float(max_val))(_float_input(x, "hardtanh"))


def relu6(x, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)`` (``hardtanh(x, 0, 6)``), as in MobileNet.

    Args:
        x: floating-point input.
        inplace: accepted for PyTorch compatibility.

    Returns:
        A tensor of ``x``'s shape and dtype.

    Example:
        >>> relu6(gk.tensor([7.0])).item()
        6.0
    """
    return _Hardtanh(0.0, 6.0)(_float_input(x, "relu6"))


def hardsigmoid(x, inplace: bool = False) -> Tensor:
    """Piecewise-linear sigmoid: 0 for ``x <= -3``, 1 for ``x >= 3``, ``x/6 + 1/2`` between.

    Args:
        x: floating-point input.
        inplace: accepted for PyTorch compatibility.

    Returns:
        Values in [0, 1], in ``x``'s shape and dtype.

    Example:
        >>> hardsigmoid(gk.tensor([-4.0, 0.0, 4.0])).tolist()
        [0.0, 0.5, 1.0]
    """
    x = _float_input(x, "hardsigmoid")
    return _Hardtanh(-3.0, 3.0)(x) * (1.0 / 6.0) + 0.5


def hardswish(x, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6`` (Howard et al., 2019, MobileNetV3).

    The gradient is PyTorch's: 0 below -3, ``x/3 + 1/2`` on ``[-3, 3]``, 1 above 3.

    Args:
        x: floating-point input.
        inplace: accepted for PyTorch compatibility.

    Returns:
        A tensor of ``x``'s shape and dtype.

    Example:
        >>> hardswish(gk.tensor([-4.0, 0.0, 4.0])).tolist()
        [-0.0, 0.0, 4.0]
    """
    x = _float_input(x, "hardswish")
    a = x.array
    mid = const((a >= -3) & (a <= 3))
    hi = const(a > 3)
    return ops.where(mid, x * (x + 3.0) * (1.0 / 6.0), ops.where(hi, x, x * 0.0))


def softsign(x) -> Tensor:
    """``x / (1 + |x|)``.

    Args:
        x: floating-point input.

    Returns:
        Values in (-1, 1), in ``x``'s shape and dtype.

    Example:
        >>> softsign(gk.tensor([1.0, -3.0])).tolist()
        [0.5, -0.75]
    """
    x = _float_input(x, "softsign")
    return x / (ops.abs(x) + 1.0)


def logsigmoid(x) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, computed without overflow for any ``|x|``.

    Args:
        x: floating-point input.

    Returns:
        Non-positive values, in ``x``'s shape and dtype.

    Example:
        >>> round(logsigmoid(gk.tensor([0.0])).item(), 6)
        -0.693147
    """
    x = _float_input(x, "logsigmoid")
    return -_Softplus(1.0, None)(-x)


def celu(x, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """Continuously differentiable ELU (Barron, 2017): ``max(0, x) + min(0, alpha (exp(x/alpha) - 1))``.

    Args:
        x: floating-point input.
        alpha: the negative saturation value is ``-alpha`` (default 1; must not be 0).
        inplace: accepted for PyTorch compatibility.

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        ValueError: for ``alpha == 0``.

    Example:
        >>> round(celu(gk.tensor([-1.0]), alpha=2.0).item(), 6)
        -0.786939
    """
    x = _float_input(x, "celu")
    alpha = float(alpha)
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (it divides the input)")
    if alpha == 1.0:
        return _ELU(1.0)(x)
    return _ELU(1.0)(x * (1.0 / alpha)) * alpha


def softmin(x, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``softmax(-x, dim)``: small inputs get large probabilities.

    Args:
        x: floating-point input.
        dim: the dimension that sums to 1 (``None``: PyTorch's deprecated implicit choice, with a warning).
        _stacklevel: accepted for PyTorch compatibility.
        dtype: cast the input to this dtype first (as PyTorch).

    Returns:
        Probabilities of ``x``'s shape.

    Example:
        >>> softmin(gk.tensor([0.0, 0.0]), dim=0).tolist()
        [0.5, 0.5]
    """
    x = _float_input(x, "softmin")
    if dtype is not None:
        x = x.to(dtype)
    return _Softmax(_softmax_dim("softmin", x.ndim, dim))(-x)


def tanhshrink(x) -> Tensor:
    """``x - tanh(x)``.

    Args:
        x: floating-point input.

    Returns:
        A tensor of ``x``'s shape and dtype.

    Example:
        >>> tanhshrink(gk.tensor([0.0])).item()
        0.0
    """
    x = _float_input(x, "tanhshrink")
    return x - ops.tanh(x)


def _check_lambd(lambd, name):
    if lambd < 0:
        raise ValueError(f"{name}: lambd must be >= 0, got {lambd}")
    return float(lambd)


def softshrink(x, lambd: float = 0.5) -> Tensor:
    """Soft thresholding: ``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between.

    Args:
        x: floating-point input.
        lambd: the threshold (default 0.5, >= 0).

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        ValueError: for a negative ``lambd``.

    Example:
        >>> softshrink(gk.tensor([-2.0, 0.2, 1.0])).tolist()
        [-1.5, 0.0, 0.5]
    """
    x = _float_input(x, "softshrink")
    lambd = _check_lambd(lambd, "softshrink")
    a = x.array
    return ops.where(const(a > lambd), x - lambd, ops.where(const(a < -lambd), x + lambd, x * 0.0))


def hardshrink(x, lambd: float = 0.5) -> Tensor:
    """Hard thresholding: ``x`` where ``|x| > lambd``, else 0.

    Args:
        x: floating-point input.
        lambd: the threshold (default 0.5).

    Returns:
        A tensor of ``x``'s shape and dtype.

    Example:
        >>> hardshrink(gk.tensor([-2.0, 0.2, 1.0])).tolist()
        [-2.0, 0.0, 1.0]
    """
    x = _float_input(x, "hardshrink")
    lambd = float(lambd)
    return MaskMul(get_array_module(x.array).abs(x.array) > lambd)(x)


def glu(x, dim: int = -1) -> Tensor:
    """Gated linear unit (Dauphin et al., 2017): split ``x`` in halves ``a, b`` along ``dim``; ``a * sigmoid(b)``.

    Args:
        x: floating-point input whose size along ``dim`` is even.
        dim: the dimension to split (default -1).

    Returns:
        A tensor with half the size along ``dim``.

    Raises:
        ValueError: when the size along ``dim`` is odd, or for a 0-d input.

    Example:
        >>> glu(gk.tensor([[1.0, 2.0, 0.0, 0.0]])).tolist()
        [[0.5, 1.0]]
    """
    x = _float_input(x, "glu")
    if x.ndim == 0:
        raise ValueError("glu does not support scalars because halving size must be even")
    n = x.shape[dim]
    if n % 2:
        raise ValueError(f"glu: halving dimension {dim} must be even, but it has size {n} (input shape {tuple(x.shape)})")
    a, b = ops.split(x, [n // 2, n // 2], dim=dim)
    return a * ops.sigmoid(b)


def rrelu(x, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False, inplace: bool = False,
          generator=None) -> Tensor:
    """Randomized leaky ReLU (Xu et al., 2015).

    In training each negative element gets its own slope drawn from ``U(lower, upper)``
    (gradkit's generator, so ``gk.manual_seed`` reproduces it); in evaluation the slope is
    the fixed ``(lower + upper) / 2``.

    Args:
        x: floating-point input.
        lower: the smallest slope (default 1/8).
        upper: the largest slope (default 1/3).
        training: draw random slopes (default False, as PyTorch's functional form).
        inplace: accepted for PyTorch compatibility.
        generator: a :class:`gradkit.random.Generator` (default: the global one).

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        ValueError: when ``lower > upper``.

    Example:
        >>> rrelu(gk.tensor([-1.0, 2.0]), 0.2, 0.4).tolist()
        [-0.30000001192092896, 2.0]
    """
    x = _float_input(x, "rrelu")
    if lower > upper:
        raise ValueError(f"rrelu: lower bound ({lower}) must not exceed the upper bound ({upper})")
    xp = get_array_module(x.array)
    neg = x.array <= 0
    if training:
        u = get_generator(generator).uniform(lower, upper, size=x.shape)  # seeded, as dropout's masks
        slopes = backend.to_device(u.astype(x.dtype), x.device)
    else:
        slopes = xp.asarray((lower + upper) / 2.0, dtype=x.dtype)
    scale = xp.where(neg, slopes, x.dtype.type(1))
    return x * const(scale)
