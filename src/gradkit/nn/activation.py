"""Activation layers (``torch.nn`` names): thin modules over :mod:`gradkit.nn.functional`.

Only :class:`PReLU` has parameters (its learnable slopes); the rest are stateless.
:class:`Step` and :class:`Sign` are forward-only: their gradient is zero, which is why
threshold units cannot be trained by backpropagation (see :func:`~gradkit.nn.functional.step`).

Example:
    >>> import gradkit as gk
    >>> net = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.ReLU(), gk.nn.Linear(8, 3), gk.nn.Softmax(dim=1))
    >>> round(net(gk.ones(2, 4)).sum().item(), 5)
    2.0
"""

from __future__ import annotations

import numpy as np

from ..backend import get_default_dtype
from . import functional as F
from .module import Module, Parameter

__all__ = [
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "PReLU", "ELU", "SELU", "Softplus", "GELU", "Softmax",
    "LogSoftmax", "Threshold", "Step", "Sign",
]


class Sigmoid(Module):
    """Logistic function ``1 / (1 + exp(-x))`` elementwise (stable for any ``|x|``).

    Example:
        >>> gk.nn.Sigmoid()(gk.tensor([0.0])).item()
        0.5
    """

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """Hyperbolic tangent elementwise.

    Example:
        >>> gk.nn.Tanh()(gk.tensor([0.0])).item()
        0.0
    """

    def forward(self, x):
        return F.tanh(x)


class ReLU(Module):
    """Rectified linear unit ``max(0, x)``.

    Args:
        inplace: accepted for PyTorch compatibility; gradkit always returns a new tensor.

    Example:
        >>> gk.nn.ReLU()(gk.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0]
        True
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(Module):
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise.

    Args:
        negative_slope: slope for negative inputs (default 0.01).
        inplace: accepted for PyTorch compatibility (ignored).

    Example:
        >>> round(gk.nn.LeakyReLU(0.1)(gk.tensor([-2.0])).item(), 4)
        -0.2
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = float(negative_slope)
        self.inplace = inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class PReLU(Module):
    """Parametric ReLU (He et al., 2015): ``max(0, x) + a * min(0, x)`` with learnable ``a``.

    Args:
        num_parameters: 1 (one slope shared by all channels) or the number of channels
            ``C`` of an ``(N, C, ...)`` input.
        init: initial slope (default 0.25).
        device: where the slopes live.
        dtype: parameter dtype (default ``gk.get_default_dtype()``).

    Attributes:
        weight: Parameter of shape ``(num_parameters,)``.
        num_slopes: the ``num_parameters`` argument. (PyTorch stores it as
            ``num_parameters``; here that name is :meth:`Module.num_parameters`, the
            parameter count every module has.)

    Example:
        >>> gk.nn.PReLU()(gk.tensor([-4.0, 1.0])).tolist()
        [-1.0, 1.0]
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        if num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be >= 1, got {num_parameters}")
        self.num_slopes = int(num_parameters)
        self.init = float(init)
        self.weight = Parameter(np.full((self.num_slopes,), self.init, dtype=dtype or get_default_dtype()))
        if device is not None:
            self.to(device=device)

    def reset_parameters(self) -> None:
        """Set every slope back to ``init``."""
        from ..autograd.grad_mode import no_grad

        with no_grad():
            self.weight.fill_(self.init)

    def forward(self, x):
        return F.prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_slopes}"


class ELU(Module):
    """Exponential linear unit: ``x`` if ``x > 0`` else ``alpha (exp(x) - 1)``.

    Args:
        alpha: the saturation value for very negative inputs is ``-alpha`` (default 1).
        inplace: accepted for PyTorch compatibility (ignored).

    Example:
        >>> round(gk.nn.ELU()(gk.tensor([-100.0])).item(), 4)
        -1.0
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = float(alpha)
        self.inplace = inplace

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class SELU(Module):
    """Scaled ELU with the self-normalizing constants (see :func:`~gradkit.nn.functional.selu`).

    Pair it with ``gk.nn.init.lecun_normal_`` weights and ``AlphaDropout``.

    Args:
        inplace: accepted for PyTorch compatibility (ignored).

    Example:
        >>> round(gk.nn.SELU()(gk.tensor([1.0])).item(), 4)
        1.0507
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.selu(x)


class Softplus(Module):
    """Smooth ReLU ``(1/beta) log(1 + exp(beta x))``, linear above ``threshold``.

    Args:
        beta: sharpness (default 1).
        threshold: ``beta x`` above which the output is ``x`` (default 20).

    Example:
        >>> round(gk.nn.Softplus()(gk.tensor([0.0])).item(), 4)
        0.6931
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = float(beta)
        self.threshold = float(threshold)

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class GELU(Module):
    """Gaussian error linear unit ``x * Phi(x)`` (exact, or ``approximate='tanh'``).

    Example:
        >>> round(gk.nn.GELU()(gk.tensor([1.0])).item(), 4)
        0.8413
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    """Softmax along ``dim``: each slice is a probability distribution (sums to 1).

    Args:
        dim: the dimension to normalize (``None`` uses PyTorch's deprecated implicit choice).

    Example:
        >>> gk.nn.Softmax(dim=1)(gk.zeros(1, 4)).tolist()
        [[0.25, 0.25, 0.25, 0.25]]
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """``log(softmax(x))`` along ``dim``, computed stably (pair it with ``NLLLoss``).

    Example:
        >>> round(gk.nn.LogSoftmax(dim=0)(gk.zeros(2))[0].item(), 4)
        -0.6931
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.log_softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Threshold(Module):
    """``x`` where ``x > threshold``, else ``value`` (``torch.nn.Threshold``).

    Args:
        threshold: the value to threshold at.
        value: the replacement for inputs at or below it.
        inplace: accepted for PyTorch compatibility (ignored).

    Example:
        >>> gk.nn.Threshold(0.5, -1.0)(gk.tensor([0.2, 0.75])).tolist()
        [-1.0, 0.75]
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold = float(threshold)
        self.value = float(value)
        self.inplace = inplace

    def forward(self, x):
        return F.threshold(x, self.threshold, self.value)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}"


class Step(Module):
    """Heaviside step unit (the classic perceptron's threshold activation). Forward only.

    Its gradient is zero, so nothing before it learns by gradient descent; see
    :func:`~gradkit.nn.functional.step`.

    Args:
        value_at_zero: the output at ``x == 0`` (default 1).

    Example:
        >>> gk.nn.Step()(gk.tensor([-1.0, 0.0, 2.0])).tolist()
        [0.0, 1.0, 1.0]
    """

    def __init__(self, value_at_zero: float = 1.0):
        super().__init__()
        self.value_at_zero = float(value_at_zero)

    def forward(self, x):
        return F.step(x, self.value_at_zero)


class Sign(Module):
    """Elementwise sign (-1, 0, 1). Forward only: its gradient is zero.

    Example:
        >>> gk.nn.Sign()(gk.tensor([-3.0, 0.0, 2.0])).tolist()
        [-1.0, 0.0, 1.0]
    """

    def forward(self, x):
        return F.sign(x)
