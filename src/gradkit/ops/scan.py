"""Cumulative scans along one dim: cumsum, cumprod, cummax, cummin, logcumsumexp.

A 0-d tensor scans as one element (``dim`` 0 or -1). Integer and bool inputs of cumsum and
cumprod give int64, as in PyTorch. ``cummax``/``cummin`` return ``(values, indices)``; at
ties the index is the latest position, and after a NaN the NaN's (PyTorch's CPU behaviour);
the values' gradient goes to the element at the index.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import FusedOp, Op
from ..backend import get_array_module
from ..tensor import Tensor
from ._arrays import accumulate
from ._checks import one_dim
from ._util import const, ensure_tensor
from .elementwise import exp, log, where
from .reduce import ValuesIndices, sum as _sum
from .select import gather, write_out
from .shape import cat, getitem, reshape

__all__ = ["cummax", "cummin", "cumprod", "cumsum", "logcumsumexp"]


def _flip(t: Tensor, dim: int) -> Tensor:
    return getitem(t, (slice(None),) * dim + (slice(None, None, -1),))


def _scan_args(input, dim, name, dtype=None, int64=True):
    x = ensure_tensor(input)
    d = one_dim(dim, x.ndim, name)
    if dtype is not None:
        x = x.to(dtype)
    elif int64 and x.dtype.kind in "biu" and x.dtype != np.int64:
        x = x.to("int64")
    return x, d


def _on_1d(x, fn):
    """Run ``fn`` on ``x`` seen as 1-D when it is 0-d (PyTorch scans a 0-d tensor as one element)."""
    if x.ndim:
        return fn(x)
    out = fn(reshape(x, (1,)))
    if isinstance(out, tuple):
        return ValuesIndices(*(reshape(o, ()) for o in out))
    return reshape(out, ())


class CumSum(Op):
    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        return x.cumsum(axis=self.dim, dtype=x.dtype)

    def backward(self, gy):
        # the reversed cumulative sum: total - cumsum + gy
        return _sum(gy, self.dim, True) - CumSum(self.dim)(gy) + gy


class CumProd(FusedOp):
    """Cumulative product; the rule is exact with zeros (a higher derivative goes through :meth:`composite`)."""

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        return x.cumprod(axis=self.dim, dtype=x.dtype)

    def backward_arrays(self, g):
        x = self.inputs[0].array
        xp = get_array_module(x)
        x, g = xp.moveaxis(x, self.dim, -1), xp.moveaxis(g, self.dim, -1)
        n = x.shape[-1]
        if n == 0:
            return xp.moveaxis(xp.zeros_like(g), -1, self.dim)
        pos = xp.arange(n)
        is0 = x == 0
        z = xp.where(is0.any(-1, keepdims=True), is0.argmax(-1)[..., None], n)  # first zero (n: none)
        before = pos < z
        one = x.dtype.type(1)
        y = x.cumprod(-1)
        # k < z: dy_j/dx_k = y_j / x_k for k <= j < z, and 0 from the first zero on
        r = xp.where(before, g * y, 0)[..., ::-1].cumsum(-1)[..., ::-1]
        gx = xp.where(before, r / xp.where(before, x, one), 0).astype(x.dtype)
        # k == z: dy_j/dx_z = prod of x_i, i <= j, i != z (the product with x_z replaced by 1)
        at_z = pos == z
        y1 = xp.where(at_z, one, x).cumprod(-1)
        bz = xp.where(pos >= z, g * y1, 0).sum(-1, keepdims=True)
        gx = xp.where(at_z, bz, gx)
        return xp.moveaxis(gx, -1, self.dim)

    def composite(self, x):
        """The same scan as ``log2(n)`` rounds of shifted products (Hillis-Steele), for higher derivatives."""
        d, n = self.dim, x.shape[self.dim]
        y, s = x, 1
        pre = (slice(None),) * d
        while s < n:
            ones = const(get_array_module(x.array).ones(
                tuple(s if k == d else v for k, v in enumerate(x.shape)), dtype=x.dtype))
            y = y * cat([ones, getitem(y, pre + (slice(0, n - s),))], d)
            s *= 2
        return y


class LogCumSumExp(Op):
    saves_output = True

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        with np.errstate(invalid="ignore", divide="ignore"):
            return accumulate("logaddexp", x, self.dim)

    def backward(self, gy):
        # dx_k = exp(x_k) * sum_{j >= k} gy_j exp(-y_j), summed in log space for the positive
        # and negative parts of gy separately (stable for large |x|)
        x, y, d = self.inputs[0], self.output(), self.dim
        xp = get_array_module(gy.array)
        neg_inf = const(gy.array.dtype.type(-np.inf))
        with np.errstate(invalid="ignore", divide="ignore"):
            out = None
            for sign in (1, -1):
                part = gy.array * sign > 0
                if not bool(part.any()):
                    continue
                one = const(xp.ones((), dtype=gy.dtype))
                # log(gy_j) - y_j where gy_j > 0, else -inf (no term, whatever y_j is)
                z = where(part, log(where(part, gy * sign, one)) - y, neg_inf)
                acc = _flip(LogCumSumExp(d)(_flip(z, d)), d)
                term = exp(acc + x) * sign
                out = term if out is None else out + term
        return out if out is not None else gy * 0.0


def cumsum(input, dim, *, dtype=None, out=None) -> Tensor:
    """Cumulative sum along ``dim``; the gradient is the reversed cumulative sum.

    Examples:
        >>> import gradkit as gk
        >>> gk.cumsum(gk.tensor([[1, 2, 3], [4, 5, 6]]), 1).tolist()
        [[1, 3, 6], [4, 9, 15]]
    """
    x, d = _scan_args(input, dim, "cumsum", dtype)
    return write_out(_on_1d(x, lambda t: CumSum(d)(t)), out)


def cumprod(input, dim, *, dtype=None, out=None) -> Tensor:
    """Cumulative product along ``dim``; the gradient is right with zeros in the input.

    Examples:
        >>> import gradkit as gk
        >>> x = gk.tensor([2.0, 0.0, 3.0], requires_grad=True)
        >>> x.cumprod(0).sum().backward()
        >>> x.cumprod(0).tolist(), x.grad.tolist()
        ([2.0, 0.0, 0.0], [1.0, 8.0, 0.0])
    """
    x, d = _scan_args(input, dim, "cumprod", dtype)
    return write_out(_on_1d(x, lambda t: CumProd(d)(t)), out)


def logcumsumexp(input, dim, *, out=None) -> Tensor:
    """``log(cumsum(exp(x)))`` along ``dim``, computed stably (``-inf`` entries are fine).

    Examples:
        >>> import gradkit as gk
        >>> [round(v, 4) for v in gk.logcumsumexp(gk.tensor([0.0, 0.0, 0.0]), 0).tolist()]
        [0.0, 0.6931, 1.0986]
    """
    x, d = _scan_args(input, dim, "logcumsumexp", int64=False)
    if x.dtype.kind != "f":
        from ..backend import get_default_dtype

        x = x.to(get_default_dtype())
    return write_out(_on_1d(x, lambda t: LogCumSumExp(d)(t)), out)


def _cum_index(a, dim, minimum):
    """Indices of the running max (min) along ``dim``: the latest tie; a NaN holds from its first place."""
    xp = get_array_module(a)
    a = xp.moveaxis(a, dim, -1)
    acc = accumulate("minimum" if minimum else "maximum", a, -1)
    pos = xp.arange(a.shape[-1])
    cand = xp.where(a == acc, pos, 0)
    if a.dtype.kind == "f":
        nan = xp.isnan(a)
        first_nan = nan & (nan.cumsum(-1) == 1)
        cand = xp.where(first_nan, pos, cand)
    idx = accumulate("maximum", cand, -1)
    return xp.moveaxis(idx, -1, dim).astype(np.int64)


def _cummaxmin(input, dim, name, minimum):
    x = ensure_tensor(input)
    d = one_dim(dim, x.ndim, name)

    def run(t):
        if t.array.size == 0:
            return ValuesIndices(t * 1 if t.requires_grad else t, const(get_array_module(t.array).zeros(t.shape, "int64")))
        idx = const(_cum_index(t.array, d, minimum))
        return ValuesIndices(gather(t, d, idx), idx)

    return _on_1d(x, run)


def cummax(input, dim) -> ValuesIndices:
    """Running maximum along ``dim`` and its indices (the latest at ties), as ``(values, indices)``.

    Examples:
        >>> import gradkit as gk
        >>> v, i = gk.cummax(gk.tensor([1.0, 3.0, 2.0, 3.0]), 0)
        >>> v.tolist(), i.tolist()
        ([1.0, 3.0, 3.0, 3.0], [0, 1, 1, 3])
    """
    return _cummaxmin(input, dim, "cummax", False)


def cummin(input, dim) -> ValuesIndices:
    """Running minimum along ``dim`` and its indices (the latest at ties), as ``(values, indices)``.

    Examples:
        >>> import gradkit as gk
        >>> gk.cummin(gk.tensor([3.0, 1.0, 2.0]), 0).indices.tolist()
        [0, 1, 1]
    """
    return _cummaxmin(input, dim, "cummin", True)
