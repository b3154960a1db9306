"""Vector norms as PyTorch's ``torch.norm`` / ``Tensor.norm`` and ``torch.dist``.

``p`` is a number (``inf``, ``-inf``, 0, 1, 2 or any other), ``'fro'`` (the 2-norm of the
elements), or ``'nuc'`` (the sum of singular values of a matrix). At a zero vector the
gradient is 0, as in PyTorch.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Op
from ..backend import get_array_module, get_default_dtype
from ..tensor import Tensor
from ._checks import OpArgumentError, reduce_axes, resolve_dim
from ._util import const, ensure_tensor, keep_shape
from .elementwise import abs as _abs, sign, where
from .reduce import amax, amin, count_nonzero, sum as _sum
from .shape import reshape

__all__ = ["dist", "norm"]


class PNorm(Op):
    """``(sum |x|^p)^(1/p)`` over ``axes``; gradient ``sign(x) |x|^(p-1) / y^(p-1)``, 0 where ``y`` is 0."""

    saves_output = True

    def __init__(self, p, axes, keepdims):
        self.p, self.axes, self.keepdims = p, axes, keepdims

    def forward(self, x):
        xp = get_array_module(x)
        a = xp.abs(x)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            if self.p == 2:
                y = xp.sqrt((a * a).sum(axis=self.axes, keepdims=self.keepdims))
            else:
                y = ((a ** self.p).sum(axis=self.axes, keepdims=self.keepdims)) ** (1.0 / self.p)
        return xp.asarray(y, dtype=x.dtype)

    def backward(self, gy):
        x = self.inputs[0]
        y = self.output()
        if not self.keepdims:
            shape = keep_shape(x.shape, self.axes)
            gy, y = reshape(gy, shape), reshape(y, shape)
        zero = y.array == 0
        one = const(y.array.dtype.type(1))
        y_safe = where(zero, one, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.p == 2:
                g = gy * x / y_safe
            else:
                g = gy * sign(x) * _abs(x) ** (self.p - 1) / y_safe ** (self.p - 1)
        if bool(zero.any()):
            g = where(zero, const(g.array.dtype.type(0)), g)
        return g


def _nuclear(x, axes, keepdim):
    from . import linalg as _linalg

    svdvals = getattr(_linalg, "svdvals", None)
    if svdvals is None:
        raise OpArgumentError("norm(): p='nuc' needs gk.linalg.svdvals, which this build does not have")
    if len(axes) != 2:
        raise OpArgumentError(f"norm(): p='nuc' needs a matrix (2 dims), got dims {axes}")
    from .shape import permute

    rest = [d for d in range(x.ndim) if d not in axes]
    s = _sum(svdvals(permute(x, *rest, *axes)), -1)
    return reshape(s, keep_shape(x.shape, axes)) if keepdim else s


def norm(input, p="fro", dim=None, keepdim=False, dtype=None) -> Tensor:
    """The ``p``-norm of ``input`` over ``dim`` (every element by default), as ``torch.norm``.

    Args:
        input: a tensor (integer input is converted to the default float dtype).
        p: ``'fro'`` or 2 (Euclidean), 1, ``inf`` (max ``|x|``), ``-inf`` (min ``|x|``), 0 (the
            number of non-zeros), any other number, or ``'nuc'`` (nuclear norm of a matrix).
        dim: an int or a tuple of ints; None for every element.
        keepdim: keep the reduced dims with size 1.
        dtype: compute in this dtype.

    Returns:
        The norm; the gradient at an all-zero input is 0.

    Example:
        >>> import gradkit as gk
        >>> x = gk.tensor([[3.0, -4.0], [0.0, 1.0]])
        >>> round(x.norm().item() ** 2, 4), x.norm(1, dim=1).tolist(), x.norm(float("inf")).item()
        (26.0, [7.0, 1.0], 4.0)
    """
    x = ensure_tensor(input)
    if dtype is not None:
        x = x.to(dtype)
    elif x.dtype.kind not in "fc":
        x = x.to(get_default_dtype())
    dim = resolve_dim(dim, None, "norm")
    axes = reduce_axes(dim, x.ndim, "norm")
    keep = bool(keepdim)
    if p is None or p == "fro":
        p = 2
    if p == "nuc":
        return _nuclear(x, axes if dim is not None else tuple(range(x.ndim)), keep)
    if isinstance(p, str) or not isinstance(p, (int, float, np.number)):
        raise OpArgumentError(f"norm(): p must be a number, 'fro' or 'nuc', got {p!r}")
    p = float(p)
    if math.isinf(p):
        if x.array.size == 0:
            raise OpArgumentError("norm(): the infinity norm of an empty tensor is undefined")
        return (amax if p > 0 else amin)(_abs(x), axes, keep)
    if p == 0:
        n = count_nonzero(x, axes)
        n = const(n.array.astype(x.dtype))
        return reshape(n, keep_shape(x.shape, axes)) if keep else n
    if p == 1:
        return _sum(_abs(x), axes, keep)
    return PNorm(p, axes, keep)(x)


def dist(input, other, p=2) -> Tensor:
    """The ``p``-norm of ``input - other`` (broadcast together), as ``torch.dist``.

    Example:
        >>> import gradkit as gk
        >>> gk.dist(gk.tensor([1.0, 1.0]), gk.tensor([4.0, 5.0])).item()
        5.0
    """
    a = ensure_tensor(input)
    diff = a - other if isinstance(a, Tensor) else ensure_tensor(other) - a
    return norm(diff, p)

