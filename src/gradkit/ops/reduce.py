"""Reductions: sum, mean, var, std, max/min, argmax/argmin, logsumexp."""

from __future__ import annotations

import builtins
from collections import namedtuple

from ..autograd.function import Op
from ..backend import get_array_module
from ..tensor import Tensor
from ._softmax import softmax_parts
from ._util import const, dim_arg, ensure_tensor, keep_shape, norm_axes
from .elementwise import exp, sqrt
from .shape import broadcast_to, reshape

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


__all__ = [  # gk.<name>; the other functions here are gradkit-internal
    "all", "amax", "amin", "any", "argmax", "argmin", "logsumexp", "max", "mean", "min", "std", "sum", "var",
]


class Sum(Op):
    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        shape = self.inputs[0].shape
        if not self.keepdims:
            gy = reshape(gy, keep_shape(shape, self.axes))
        return broadcast_to(gy, shape)


class AMax(Op):
    """Maximum (or minimum) over axes; the gradient is shared equally among ties."""

    def __init__(self, axes, keepdims, minimum=False):
        self.axes, self.keepdims, self.minimum = axes, keepdims, minimum

    def forward(self, x):
        f = x.min if self.minimum else x.max
        self.yk = f(axis=self.axes, keepdims=True)
        return self.yk if self.keepdims else self.yk.reshape(
            tuple(s for i, s in enumerate(x.shape) if i not in self.axes)
        )

    def backward(self, gy):
        x = self.inputs[0]
        mask = x.array == self.yk
        mask = mask.astype(gy.dtype)
        mask /= mask.sum(axis=self.axes, keepdims=True)
        if not self.keepdims:
            gy = reshape(gy, keep_shape(x.shape, self.axes))
        return gy * const(mask)


class LogSumExp(Op):
    saves_output = True

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        m, _, _, log_s = softmax_parts(x, self.axes, shifted=False, probs=False)
        yk = log_s + m
        return yk if self.keepdims else yk.reshape(tuple(d for i, d in enumerate(x.shape) if i not in self.axes))

    def backward(self, gy):
        x = self.inputs[0]
        y = self.output()
        if not self.keepdims:
            gy = reshape(gy, keep_shape(x.shape, self.axes))
            y = reshape(y, keep_shape(x.shape, self.axes))
        return gy * exp(x - y)


def _reduce_args(x, dim, axis, keepdim, keepdims, name):
    x = ensure_tensor(x)
    dim = dim_arg(dim, axis, name)
    keep = bool(keepdim or keepdims)
    return x, norm_axes(dim, x.ndim), keep


def sum(x, dim=None, keepdim=False, *, axis=None, keepdims=False, dtype=None) -> Tensor:
    """Sum over ``dim`` (all dimensions by default)."""
    x, axes, keep = _reduce_args(x, dim, axis, keepdim, keepdims, "sum")
    if dtype is not None:
        x = x.to(dtype)
    elif x.dtype.kind == "b":
        x = x.to("int64")
    return Sum(axes, keep)(x)


def mean(x, dim=None, keepdim=False, *, axis=None, keepdims=False) -> Tensor:
    """Arithmetic mean over ``dim`` (all dimensions by default)."""
    x, axes, keep = _reduce_args(x, dim, axis, keepdim, keepdims, "mean")
    if x.dtype.kind != "f":
        from ..backend import get_default_dtype

        x = x.to(get_default_dtype())
    n = 1
    for a in axes:
        n *= x.shape[a]
    return Sum(axes, keep)(x) * (1.0 / builtins.max(n, 1))


def var(x, dim=None, keepdim=False, *, axis=None, keepdims=False, correction=None, unbiased=None, ddof=None) -> Tensor:
    """Variance over ``dim``. Like PyTorch, unbiased (``correction=1``) by default;
    ``unbiased=False``, ``correction=0`` or NumPy's ``ddof=0`` give the population variance."""
    x, axes, keep = _reduce_args(x, dim, axis, keepdim, keepdims, "var")
    if sum_given := [v for v in (correction, ddof) if v is not None]:
        corr = sum_given[0]
    elif unbiased is not None:
        corr = 1 if unbiased else 0
    else:
        corr = 1
    n = 1
    for a in axes:
        n *= x.shape[a]
    mu = Sum(axes, True)(x) * (1.0 / builtins.max(n, 1))
    d = x - mu
    return Sum(axes, keep)(d * d) * (1.0 / builtins.max(n - corr, 1))


def std(x, dim=None, keepdim=False, *, axis=None, keepdims=False, correction=None, unbiased=None, ddof=None) -> Tensor:
    """Standard deviation, ``sqrt(var(...))`` with the same arguments."""
    return sqrt(var(x, dim, keepdim, axis=axis, keepdims=keepdims, correction=correction, unbiased=unbiased, ddof=ddof))


def amax(x, dim=None, keepdim=False, *, axis=None, keepdims=False) -> Tensor:
    """Maximum values over ``dim`` (ties share the gradient)."""
    x, axes, keep = _reduce_args(x, dim, axis, keepdim, keepdims, "amax")
    return AMax(axes, keep)(x)


def amin(x, dim=None, keepdim=False, *, axis=None, keepdims=False) -> Tensor:
    """Minimum values over ``dim`` (ties share the gradient)."""
    x, axes, keep = _reduce_args(x, dim, axis, keepdim, keepdims, "amin")
    return AMax(axes, keep, minimum=True)(x)


def _max_min(x, dim, keepdim, axis, keepdims, minimum):
    from .elementwise import maximum, minimum as _minimum

    if isinstance(dim, Tensor):
        return (_minimum if minimum else maximum)(x, dim)
    x = ensure_tensor(x)
    d = dim_arg(dim, axis, "min" if minimum else "max")
    keep = bool(keepdim or keepdims)
    if d is None:
        return AMax(norm_axes(None, x.ndim), False, minimum)(x)
    if isinstance(d, tuple):
        return AMax(norm_axes(d, x.ndim), keep, minimum)(x)
    values = AMax(norm_axes(d, x.ndim), keep, minimum)(x)
    idx = (argmin if minimum else argmax)(x, d, keep)
    return ValuesIndices(values, idx)


def max(x, dim=None, keepdim=False, *, axis=None, keepdims=False):
    """Maximum. Like PyTorch: over everything a scalar; with an integer ``dim`` a
    ``(values, indices)`` pair; ``max(a, b)`` with a tensor ``b`` is ``maximum``."""
    return _max_min(x, dim, keepdim, axis, keepdims, False)


def min(x, dim=None, keepdim=False, *, axis=None, keepdims=False):
    """Minimum, with the same forms as :func:`max`."""
    return _max_min(x, dim, keepdim, axis, keepdims, True)


def argmax(x, dim=None, keepdim=False, *, axis=None, keepdims=False) -> Tensor:
    """Index of the maximum (over the flattened tensor when ``dim`` is None); no gradient."""
    x = ensure_tensor(x)
    d = dim_arg(dim, axis, "argmax")
    xp = get_array_module(x.array)
    if d is None:
        return const(xp.asarray(x.array.argmax(), dtype="int64"))
    out = x.array.argmax(axis=d, keepdims=bool(keepdim or keepdims))
    return const(out.astype("int64"))


def argmin(x, dim=None, keepdim=False, *, axis=None, keepdims=False) -> Tensor:
    """Index of the minimum; no gradient."""
    x = ensure_tensor(x)
    d = dim_arg(dim, axis, "argmin")
    xp = get_array_module(x.array)
    if d is None:
        return const(xp.asarray(x.array.argmin(), dtype="int64"))
    return const(x.array.argmin(axis=d, keepdims=bool(keepdim or keepdims)).astype("int64"))


def logsumexp(x, dim=None, keepdim=False, *, axis=None, keepdims=False) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, computed stably (shifted by the maximum)."""
    x, axes, keep = _reduce_args(x, dim, axis, keepdim, keepdims, "logsumexp")
    return LogSumExp(axes, keep)(x)


def any(x, dim=None, keepdim=False, *, axis=None) -> Tensor:
    x = ensure_tensor(x)
    return const(x.array.any(axis=dim_arg(dim, axis, "any"), keepdims=keepdim))


def all(x, dim=None, keepdim=False, *, axis=None) -> Tensor:
    x = ensure_tensor(x)
    return const(x.array.all(axis=dim_arg(dim, axis, "all"), keepdims=keepdim))
