"""Basic layers: ``Linear``, ``Identity``, ``Flatten``, ``RBF`` and ``Residual``.

Example:
    >>> import gradkit as gk
    >>> fc = gk.nn.Linear(784, 256)
    >>> fc.weight.shape, fc.bias.shape
    ((256, 784), (256,))
    >>> fc(gk.zeros(32, 784)).shape
    (32, 256)
"""

from __future__ import annotations

import math

from .. import ops
from ..backend import get_default_dtype
from ..ops._util import ensure_tensor, shape_str
from ..tensor import Tensor
from . import init
from .module import Module, Parameter

__all__ = ["Linear", "Identity", "Flatten", "Unflatten", "RBF", "Residual"]


def _columns_hint(shape, n: int) -> str:
    """``": did you pass examples as columns? use X.T ..."`` for a 2-d ``(n, m)`` shape, else ``""``.

    A 2-d input ``(n, m)`` with ``m != n`` meeting a layer that wants ``n`` features is
    most likely the course's layout (one example per *column*, ``X`` of shape
    ``(n_x, m)``); gradkit, like PyTorch, takes one example per row.
    """
    shape = tuple(shape)
    if len(shape) == 2 and shape[0] == n and shape[1] != n:
        return f": did you pass examples as columns? use X.T (gradkit takes one example per row: ({shape[1]}, {n}))"
    return ""


def _feature_error(layer: str, n: int, shape) -> ValueError:
    """The error for an input whose last dimension is not ``n`` features (with the columns hint)."""
    hint = _columns_hint(shape, n)
    if hint:
        return ValueError(f"{layer} expected input (..., {n}), got {shape_str(tuple(shape))}{hint}")
    return ValueError(f"{layer} expected input with last dimension {n}, got shape {shape_str(tuple(shape))}")


def _empty(*shape, dtype=None):
    import numpy as np

    return np.empty(shape, dtype=dtype or get_default_dtype())


class Linear(Module):
    """Fully connected layer ``y = x W^T + b`` (``torch.nn.Linear``).

    The forward is one GEMM plus a bias add (the fused ``gk.linear`` op); its backward
    two GEMMs and a reduction.

    Default initialization equals PyTorch's: ``W ~ kaiming_uniform_(a=sqrt(5))``, i.e.
    ``U(-1/sqrt(in), 1/sqrt(in))``, and ``b ~ U(-1/sqrt(in), 1/sqrt(in))``.

    Args:
        in_features: size of each input's last dimension.
        out_features: size of each output's last dimension.
        bias: learn an additive bias (default True).
        device: where the parameters live (``'cpu'`` or ``'cuda'``; default the CPU).
        dtype: parameter dtype (default ``gk.get_default_dtype()``).

    Shape:
        input ``(*, in_features)`` -> output ``(*, out_features)``.

    Attributes:
        weight: Parameter of shape ``(out_features, in_features)``.
        bias: Parameter of shape ``(out_features,)`` or None.

    Raises:
        ValueError: in forward, when the input's last dimension is not ``in_features``:
            ``"Linear(in_features=784) expected input with last dimension 784, got shape (32, 783)"``;
            for a 2-d input laid out as the course's ``(n_x, m)`` (examples in columns)
            the message says so: ``"Linear(in_features=5) expected input (..., 5), got
            (5, 100): did you pass examples as columns? use X.T ..."``.

    Example:
        >>> import gradkit as gk
        >>> gk.nn.Linear(3, 2)(gk.ones(4, 3)).shape
        (4, 2)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        if in_features <= 0 or out_features <= 0:
            raise ValueError(f"Linear needs positive sizes, got in_features={in_features}, out_features={out_features}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.weight = Parameter(_empty(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(_empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        if device is not None:
            self.to(device=device)

    def reset_parameters(self) -> None:
        """Re-draw the weights with PyTorch's default initialization."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        x = ensure_tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise _feature_error(f"Linear(in_features={self.in_features})", self.in_features, x.shape)
        return ops.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. to remove a layer). Accepts and ignores any arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x

    def get_config(self) -> dict:
        return {}


class Flatten(Module):
    """Flatten dimensions ``start_dim..end_dim`` into one (``torch.nn.Flatten``).

    Args:
        start_dim: first dimension to flatten (default 1, keeping the batch).
        end_dim: last dimension to flatten (default -1).

    Example:
        >>> import gradkit as gk
        >>> gk.nn.Flatten()(gk.zeros(8, 3, 4, 4)).shape
        (8, 48)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x):
        return ops.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dimension ``dim`` into ``unflattened_size`` (``torch.nn.Unflatten``).

    Args:
        dim: the dimension to expand.
        unflattened_size: the new shape of that dimension (a tuple or list).

    Raises:
        ValueError: when the sizes do not multiply to the dimension's size.
    """

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, x):
        d = self.dim % x.ndim
        n = 1
        for s in self.unflattened_size:
            n *= s
        if n != x.shape[d] and -1 not in self.unflattened_size:
            raise ValueError(
                f"Unflatten(dim={self.dim}) cannot turn size {x.shape[d]} into {self.unflattened_size} "
                f"(input shape {shape_str(x.shape)})"
            )
        return ops.reshape(x, x.shape[:d] + self.unflattened_size + x.shape[d + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class RBF(Module):
    """Gaussian radial-basis-function units with learnable centres and widths.

    Unit ``j`` responds to how close the input is to its centre ``c_j``::

        y_j = exp(-||x - c_j||^2 / (2 sigma_j^2))

    The width is parametrized as ``log_sigma`` so it stays positive under gradient
    descent (``sigma = exp(log_sigma)``). ``||x - c||^2`` is computed as
    ``||x||^2 - 2 x.c + ||c||^2`` (one GEMM), clamped at 0 against rounding.
    RBF networks: Broomhead & Lowe (1988); Moody & Darken (1989).

    Args:
        in_features: input size.
        out_features: number of units (centres).
        sigma: initial width of every unit (default 1.0).
        dtype: parameter dtype (default ``gk.get_default_dtype()``).

    Attributes:
        centres: Parameter ``(out_features, in_features)``, initialized ``N(0, 1)``.
        log_sigma: Parameter ``(out_features,)``, initialized ``log(sigma)``.

    Example:
        >>> import gradkit as gk
        >>> rbf = gk.nn.RBF(2, 5)
        >>> y = rbf(rbf.centres.detach()[:1])   # an input at centre 0
        >>> round(y[0, 0].item(), 6)
        1.0
    """

    def __init__(self, in_features: int, out_features: int, sigma: float = 1.0, dtype=None):
        super().__init__()
        if sigma <= 0:
            raise ValueError(f"RBF sigma must be positive, got {sigma}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.sigma = float(sigma)
        self.centres = Parameter(_empty(out_features, in_features, dtype=dtype))
        self.log_sigma = Parameter(_empty(out_features, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Centres ~ N(0, 1); every width = ``sigma``."""
        init.normal_(self.centres)
        init.constant_(self.log_sigma, math.log(self.sigma))

    def forward(self, x):
        x = ensure_tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise _feature_error(f"RBF(in_features={self.in_features})", self.in_features, x.shape)
        from .functional.layers import rbf

        return rbf(x, self.centres, self.log_sigma)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, sigma={self.sigma}"


class Residual(Module):
    """Skip connection ``y = x + f(x)`` (He et al., 2016).

    Args:
        module: the residual branch ``f``; its output must have the input's shape.

    Raises:
        ValueError: in forward, when ``f(x)`` changes the shape.

    Example:
        >>> import gradkit as gk
        >>> block = gk.nn.Residual(gk.nn.Linear(4, 4))
        >>> block(gk.zeros(2, 4)).shape
        (2, 4)
    """

    def __init__(self, module: Module):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"Residual expects a Module, got {type(module).__name__}")
        self.module = module

    def forward(self, x):
        fx = self.module(x)
        if tuple(fx.shape) != tuple(x.shape):
            raise ValueError(
                f"Residual: the branch {type(self.module).__name__} changed the shape from "
                f"{shape_str(x.shape)} to {shape_str(fx.shape)}; x + f(x) needs equal shapes"
            )
        return x + fx
