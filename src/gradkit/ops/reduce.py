"""Reductions: sum, mean, prod, var/std, max/min, argmax/argmin, logsumexp, any/all and friends.

``dim`` is PyTorch's (an int, a tuple or list of ints, or None for every dimension; NumPy's
``axis`` is accepted too); a 0-d tensor accepts ``dim=0`` and ``dim=-1``. On empty or tiny
inputs the values are PyTorch's, with no RuntimeWarning: the sum of nothing is 0, the mean of
nothing NaN, the variance with ``correction >= n`` NaN (or inf). Norms are in :mod:`.norms`.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from ..autograd.function import FusedOp, Op
from ..backend import get_array_module, get_default_dtype
from ..tensor import Tensor
from ._checks import OpArgumentError, one_dim, reduce_axes, resolve_dim
from ._softmax import softmax_parts
from ._util import const, ensure_tensor, keep_shape
from .elementwise import exp, mul, where
from .logic import isnan
from .select import Gather, gather
from .shape import broadcast_to, getitem, reshape, squeeze

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])
ValuesIndices.__doc__ = "``(values, indices)``, as PyTorch's torch.return_types (``.values``, ``.indices``, unpacking)."
MinMax = namedtuple("MinMax", ["min", "max"])
MinMax.__doc__ = "``(min, max)`` as returned by :func:`aminmax`."


__all__ = [  # gk.<name>; the other functions here are gradkit-internal
    "all", "amax", "amin", "aminmax", "any", "argmax", "argmin", "count_nonzero", "logsumexp", "max", "mean",
    "min", "nanmean", "nansum", "prod", "std", "std_mean", "sum", "var", "var_mean",
]


def _drop(shape, axes):
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def _unkeep(gy, shape, axes, keepdims):
    """A reduced gradient reshaped with the reduced axes as size 1 (ready to broadcast)."""
    return gy if keepdims else reshape(gy, keep_shape(shape, axes))


class Sum(Op):
    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        out = x.sum(axis=self.axes, keepdims=self.keepdims)
        return np.asarray(out) if isinstance(out, np.generic) else out  # NumPy gives a scalar for 0-d

    def backward(self, gy):
        shape = self.inputs[0].shape
        return broadcast_to(_unkeep(gy, shape, self.axes, self.keepdims), shape)


class AMax(Op):
    """Maximum (or minimum) over axes; the gradient is shared equally among ties (as PyTorch).

    A NaN result: ``amax``/``amin`` (``to_nan=False``) give the reduced slice a NaN gradient, as
    PyTorch's; ``max()``/``min()`` without dim (``to_nan=True``) give it to the NaN elements.
    """

    def __init__(self, axes, keepdims, minimum=False, to_nan=False):
        self.axes, self.keepdims, self.minimum, self.to_nan = axes, keepdims, minimum, to_nan

    def forward(self, x):
        xp = get_array_module(x)
        f = x.min if self.minimum else x.max
        self.yk = xp.asarray(f(axis=self.axes, keepdims=True))
        return self.yk if self.keepdims else self.yk.reshape(_drop(x.shape, self.axes))

    def backward(self, gy):
        x = self.inputs[0]
        xp = get_array_module(x.array)
        hit = x.array == self.yk
        if self.to_nan and x.array.dtype.kind == "f":
            hit |= xp.isnan(x.array) & xp.isnan(self.yk)
        mask = hit.astype(gy.dtype)
        n = mask.sum(axis=self.axes, keepdims=True)
        with np.errstate(invalid="ignore"):
            mask /= n  # 0/0 = NaN where the result is NaN and no element equals it (PyTorch's amax)
        return _unkeep(gy, x.shape, self.axes, self.keepdims) * const(mask)


class LogSumExp(Op):
    saves_output = True

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        xp = get_array_module(x)
        if x.size == 0:
            shape = keep_shape(x.shape, self.axes) if self.keepdims else _drop(x.shape, self.axes)
            return xp.full(shape, -np.inf, dtype=x.dtype)
        if not self.axes:
            return x.copy()
        m, _, _, log_s = softmax_parts(x, self.axes, shifted=False, probs=False)
        yk = log_s + m
        return yk if self.keepdims else yk.reshape(_drop(x.shape, self.axes))

    def backward(self, gy):
        x = self.inputs[0]
        y = _unkeep(self.output(), x.shape, self.axes, self.keepdims)
        gy = _unkeep(gy, x.shape, self.axes, self.keepdims)
        if not bool(get_array_module(y.array).isfinite(y.array).all()):
            # a row of -inf: every exp(x - y) is 0/0; PyTorch gives NaN, so does this, silently
            with np.errstate(invalid="ignore"):
                return gy * exp(x - y)
        return gy * exp(x - y)


class NanSum(Op):
    """Sum with NaN read as 0; the rule multiplies by the not-NaN mask (as PyTorch: NaN * 0 stays NaN)."""

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        xp = get_array_module(x)
        self.keep = ~xp.isnan(x)
        return xp.asarray(xp.where(self.keep, x, 0).sum(axis=self.axes, keepdims=self.keepdims), dtype=x.dtype)

    def backward(self, gy):
        shape = self.inputs[0].shape
        return broadcast_to(_unkeep(gy, shape, self.axes, self.keepdims), shape) * const(self.keep.astype(gy.dtype))


class Var(Op):
    """Variance (``root``: standard deviation) with ``correction``; divides by ``max(0, n - correction)``."""

    saves_output = True

    def __init__(self, axes, keepdims, correction, root, clamp_grad=False):
        self.axes, self.keepdims, self.correction, self.root = axes, keepdims, correction, root
        self.clamp_grad = clamp_grad  # PyTorch clamps n - correction at 0 in the rule only without a dim
        self.n = None

    def forward(self, x):
        xp = get_array_module(x)
        n = 1
        for a in self.axes:
            n *= x.shape[a]
        self.n = n
        with np.errstate(divide="ignore", invalid="ignore"):
            mu = x.sum(axis=self.axes, keepdims=True) / x.dtype.type(n) if n else x.sum(axis=self.axes, keepdims=True) * np.nan
            d = x - mu
            v = (d * d).sum(axis=self.axes, keepdims=self.keepdims) / x.dtype.type(builtins.max(0, n - self.correction))
            if self.root:
                v = xp.sqrt(v)
        return xp.asarray(v, dtype=x.dtype)

    def backward(self, gy):
        # PyTorch's rule: 2 (x - mean) / (n - correction); with a dim n - correction is not clamped
        x = self.inputs[0]
        denom = self.n - self.correction
        if self.clamp_grad:
            denom = builtins.max(0, denom)
        with np.errstate(divide="ignore", invalid="ignore"):
            gy = _unkeep(gy, x.shape, self.axes, self.keepdims)
            d = x - mean(x, self.axes, True)
            if self.root:
                if not denom:
                    return gy * d * float("nan")
                y = _unkeep(self.output(), x.shape, self.axes, self.keepdims)
                zero = y.array == 0  # every value equal: PyTorch's gradient there is 0
                return gy * d / (where(zero, const(y.array.dtype.type(1)), y) * float(denom))
            return gy * d * (2.0 / denom if denom else float("inf"))


class Prod(FusedOp):
    """Product along one axis (``None``: of everything); the rule divides out each factor, zero-safe."""

    saves_output = True

    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        xp = get_array_module(x)
        return xp.asarray(x.prod(axis=self.axis, keepdims=self.keepdims))

    def backward_arrays(self, g):
        x = self.inputs[0].array
        xp = get_array_module(x)
        ax = tuple(range(x.ndim)) if self.axis is None else self.axis
        if not self.keepdims:
            g = g.reshape(keep_shape(x.shape, ax if isinstance(ax, tuple) else (ax,)))
        zeros = x == 0
        nz = zeros.sum(axis=ax, keepdims=True)
        safe = xp.where(zeros, x.dtype.type(1), x)
        p = safe.prod(axis=ax, keepdims=True)
        one_zero = xp.where(zeros, p, x.dtype.type(0))
        return g * xp.where(nz == 0, p / safe, xp.where(nz == 1, one_zero, x.dtype.type(0)))

    def composite(self, x):
        """The same product as a tree of multiplications (for higher derivatives)."""
        t = reshape(x, (-1,)) if self.axis is None else x
        ax = 0 if self.axis is None else self.axis
        n = t.shape[ax] if t.ndim else 1
        if t.ndim == 0:
            return t
        if n == 0:
            return const(self.forward(x.array))
        pre = (slice(None),) * ax
        while n > 1:
            half = n // 2
            prod_ = getitem(t, pre + (slice(0, 2 * half, 2),)) * getitem(t, pre + (slice(1, 2 * half, 2),))
            if n % 2:
                from .shape import cat

                prod_ = cat([prod_, getitem(t, pre + (slice(n - 1, n),))], ax)
            t, n = prod_, half + n % 2
        out = squeeze(t, ax)
        if self.keepdims:
            out = reshape(out, keep_shape(x.shape, tuple(range(x.ndim)) if self.axis is None else (ax,)))
        return out


# --------------------------------------------------------------------- sum, mean, prod
def _reduce_args(x, dim, axis, keepdim, keepdims, name):
    if type(x) is not Tensor:
        x = ensure_tensor(x)
    if axis is not None or type(dim) is list:
        dim = resolve_dim(dim, axis, name)
    return x, reduce_axes(dim, x.array.ndim, name), bool(keepdim or keepdims)


def _count(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _float_input(x, dtype, name):
    if dtype is not None:
        return x.to(dtype)
    if x.dtype.kind not in "fc":
        return x.to(get_default_dtype())
    return x


def sum(x, dim=None, keepdim=False, *, axis=None, keepdims=False, dtype=None) -> Tensor:
    """Sum over ``dim`` (every dimension by default); the sum of nothing is 0.

    Integer and bool inputs sum to int64, as in PyTorch.

    Examples:
        >>> import gradkit as gk
        >>> x = gk.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> x.sum().item(), x.sum(1).tolist(), x.sum((0, 1), keepdim=True).shape
        (10.0, [3.0, 7.0], (1, 1))
    """
    x, axes, keep = _reduce_args(x, dim, axis, keepdim, keepdims, "sum")
    if dtype is not None:
        x = x.to(dtype)
    elif x.array.dtype.kind in "biu" and x.array.dtype != np.int64:
        x = x.to("int64")
    return Sum(axes, keep)(x)


def mean(x, dim=None, keepdim=False, *, axis=None, keepdims=False, dtype=None) -> Tensor:
    """Arithmetic mean over ``dim`` (every dimension by default); the mean of nothing is NaN.

    Integer and bool inputs are averaged in the default float dtype (PyTorch asks for ``dtype=``).

    Examples:
        >>> import gradkit as gk
        >>> gk.tensor([[1.0, 2.0], [3.0, 5.0]]).mean(0).tolist()
        [2.0, 3.5]
    """
    x, axes, keep = _reduce_args(x, dim, axis, keepdim, keepdims, "mean")
    if dtype is not None or x.array.dtype.kind not in "fc":
        x = _float_input(x, dtype, "mean")
    n = _count(x.array.shape, axes)
    return Sum(axes, keep)(x) * (1.0 / n if n else float("nan"))


def nansum(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` treating NaN as zero (no gradient reaches the NaNs).

    Examples:
        >>> import gradkit as gk
        >>> gk.nansum(gk.tensor([1.0, float("nan"), 2.0])).item()
        3.0
    """
    x = ensure_tensor(input)
    if x.dtype.kind != "f":
        return sum(x, dim, keepdim, dtype=dtype)
    if dtype is not None:
        x = x.to(dtype)
    return NanSum(reduce_axes(resolve_dim(dim, None, "nansum"), x.ndim, "nansum"), bool(keepdim))(x)


def nanmean(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """Mean over ``dim`` of the values that are not NaN (NaN where there are none).

    Examples:
        >>> import gradkit as gk
        >>> gk.nanmean(gk.tensor([1.0, float("nan"), 2.0])).item()
        1.5
    """
    x = _float_input(ensure_tensor(input), dtype, "nanmean")
    axes = reduce_axes(resolve_dim(dim, None, "nanmean"), x.ndim, "nanmean")
    nan = isnan(x).array
    n = (~nan).sum(axis=axes, keepdims=bool(keepdim))
    xp = get_array_module(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = xp.asarray(xp.where(n > 0, 1.0 / xp.where(n > 0, n, 1), np.nan), dtype=x.dtype)
        return mul(nansum(x, axes, keepdim), const(inv))


def prod(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """Product over ``dim`` (one int) or of every element; the gradient is right with zeros in the input.

    Integer and bool inputs multiply in int64, as in PyTorch.

    Examples:
        >>> import gradkit as gk
        >>> x = gk.tensor([[1.0, 2.0], [0.0, 4.0]], requires_grad=True)
        >>> x.prod(1).sum().backward()
        >>> x.prod(1).tolist(), x.grad.tolist()
        ([2.0, 0.0], [[2.0, 1.0], [4.0, 0.0]])
    """
    x = ensure_tensor(input)
    if dtype is not None:
        x = x.to(dtype)
    elif x.dtype.kind in "biu" and x.dtype != np.int64:
        x = x.to("int64")
    if dim is None:
        out = Prod(None, False)(x)
        return out
    if isinstance(dim, (tuple, list)):
        raise TypeError("prod(): dim must be one int (PyTorch's prod reduces one dimension or all)")
    d = one_dim(dim, x.ndim, "prod")
    if x.ndim == 0:
        return Prod(None, False)(x)
    return Prod(d, bool(keepdim))(x)


# --------------------------------------------------------------------- variance
def _correction(name, correction, unbiased, ddof):
    given = [v for v in (correction, ddof) if v is not None]
    if len(given) > 1 or (given and unbiased is not None):
        raise TypeError(f"{name}(): give one of correction, unbiased or ddof")
    if given:
        return given[0]
    return 1 if unbiased is None or unbiased else 0


def var(x, dim=None, unbiased=None, keepdim=False, *, axis=None, keepdims=False, correction=None, ddof=None) -> Tensor:
    """Variance over ``dim``, dividing by ``max(0, n - correction)``.

    Like PyTorch: unbiased (``correction=1``) by default, and the third positional argument is
    ``unbiased`` (``x.var(0, False)``); ``unbiased=False``, ``correction=0`` or NumPy's ``ddof=0``
    give the population variance. One element with ``correction=1`` gives NaN, silently.

    Examples:
        >>> import gradkit as gk
        >>> x = gk.tensor([1.0, 2.0, 3.0, 4.0])
        >>> x.var().item(), x.var(correction=0).item(), gk.tensor([1.0]).var().isnan().item()
        (1.6666666269302368, 1.25, True)
    """
    if isinstance(dim, bool):  # PyTorch's x.var(False): unbiased given first
        dim, unbiased = None, dim
    x, axes, keep = _reduce_args(x, dim, axis, keepdim, keepdims, "var")
    x = _float_input(x, None, "var")
    return Var(axes, keep, _correction("var", correction, unbiased, ddof), False, dim is None and axis is None)(x)


def std(x, dim=None, unbiased=None, keepdim=False, *, axis=None, keepdims=False, correction=None, ddof=None) -> Tensor:
    """Standard deviation: the square root of :func:`var` with the same arguments.

    Examples:
        >>> import gradkit as gk
        >>> gk.tensor([1.0, 3.0]).std(correction=0).item()
        1.0
    """
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    x, axes, keep = _reduce_args(x, dim, axis, keepdim, keepdims, "std")
    x = _float_input(x, None, "std")
    return Var(axes, keep, _correction("std", correction, unbiased, ddof), True, dim is None and axis is None)(x)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None) -> tuple:
    """``(var, mean)`` over ``dim`` (see :func:`var`).

    Examples:
        >>> import gradkit as gk
        >>> v, m = gk.var_mean(gk.tensor([1.0, 3.0]))
        >>> v.item(), m.item()
        (2.0, 2.0)
    """
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, _plain_dim(dim), keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None) -> tuple:
    """``(std, mean)`` over ``dim`` (see :func:`std`).

    Examples:
        >>> import gradkit as gk
        >>> s, m = gk.std_mean(gk.tensor([1.0, 3.0]), correction=0)
        >>> s.item(), m.item()
        (1.0, 2.0)
    """
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, _plain_dim(dim), keepdim))


def _plain_dim(dim):
    return None if isinstance(dim, bool) else dim


# --------------------------------------------------------------------- max, min
def _nonempty(x, axes, name):
    if x.array.size == 0:
        if not axes or len(axes) == x.ndim:
            raise OpArgumentError(
                f"{name}(): expected a non-empty input or a reduction dim whose size is not zero, got shape {x.shape}"
            )
        for a in axes:
            if x.shape[a] == 0:
                raise OpArgumentError(f"{name}(): expected reduction dim {a} to have non-zero size (shape {x.shape})")


def amax(x, dim=None, keepdim=False, *, axis=None, keepdims=False) -> Tensor:
    """Maximum values over ``dim`` (a tuple allowed); ties share the gradient equally, as in PyTorch.

    Examples:
        >>> import gradkit as gk
        >>> gk.tensor([[1.0, 5.0], [7.0, 2.0]]).amax(1).tolist()
        [5.0, 7.0]
    """
    x, axes, keep = _reduce_args(x, dim, axis, keepdim, keepdims, "amax")
    _nonempty(x, axes, "amax")
    return AMax(axes, keep)(x)


def amin(x, dim=None, keepdim=False, *, axis=None, keepdims=False) -> Tensor:
    """Minimum values over ``dim``; ties share the gradient equally.

    Examples:
        >>> import gradkit as gk
        >>> gk.tensor([[1.0, 5.0], [7.0, 2.0]]).amin(0).tolist()
        [1.0, 2.0]
    """
    x, axes, keep = _reduce_args(x, dim, axis, keepdim, keepdims, "amin")
    _nonempty(x, axes, "amin")
    return AMax(axes, keep, minimum=True)(x)


def aminmax(input, *, dim=None, keepdim=False) -> MinMax:
    """``(min, max)`` over ``dim`` (one int) or everything, as a pair with ``.min`` and ``.max``.

    Examples:
        >>> import gradkit as gk
        >>> r = gk.aminmax(gk.tensor([3.0, 1.0, 2.0]))
        >>> r.min.item(), r.max.item()
        (1.0, 3.0)
    """
    if dim is not None:
        one_dim(dim, ensure_tensor(input).ndim, "aminmax")
    return MinMax(amin(input, dim, keepdim), amax(input, dim, keepdim))


def _max_min(x, dim, keepdim, axis, keepdims, minimum):
    from .elementwise import maximum, minimum as _minimum

    name = "min" if minimum else "max"
    if isinstance(dim, Tensor):
        return (_minimum if minimum else maximum)(x, dim)
    x = ensure_tensor(x)
    d = resolve_dim(dim, axis, name)
    keep = bool(keepdim or keepdims)
    if d is None or isinstance(d, tuple):
        axes = reduce_axes(d, x.ndim, name)
        _nonempty(x, axes, name)
        return AMax(axes, keep if d is not None else False, minimum, to_nan=d is None)(x)
    d = one_dim(d, x.ndim, name)
    _nonempty(x, (d,) if x.ndim else (), name)
    idx = (argmin if minimum else argmax)(x, d, True)
    values = Gather(d, idx.array)(x) if x.ndim else gather(x, d, idx)  # indices of our own: no checks
    if not keep and x.ndim:
        values, idx = squeeze(values, d), squeeze(idx, d)
    return ValuesIndices(values, idx)


def max(x, dim=None, keepdim=False, *, axis=None, keepdims=False):
    """Maximum, in PyTorch's three forms.

    ``max(x)``: the largest element (ties share the gradient). ``max(x, dim)``: a pair
    ``(values, indices)`` with ``.values``/``.indices``; the index is the first occurrence
    of the maximum and the gradient goes to that element. ``max(a, b)`` with a tensor ``b``
    is :func:`maximum`.

    Examples:
        >>> import gradkit as gk
        >>> values, indices = gk.tensor([[1.0, 5.0], [7.0, 2.0]]).max(1)
        >>> values.tolist(), indices.tolist()
        ([5.0, 7.0], [1, 0])
    """
    return _max_min(x, dim, keepdim, axis, keepdims, False)


def min(x, dim=None, keepdim=False, *, axis=None, keepdims=False):
    """Minimum, with the same forms as :func:`max`.

    Examples:
        >>> import gradkit as gk
        >>> gk.tensor([[1.0, 5.0], [7.0, 2.0]]).min(0).indices.tolist()
        [0, 1]
    """
    return _max_min(x, dim, keepdim, axis, keepdims, True)


def _arg(x, dim, keepdim, axis, keepdims, name):
    x = ensure_tensor(x)
    d = resolve_dim(dim, axis, name)
    xp = get_array_module(x.array)
    f = x.array.argmin if name == "argmin" else x.array.argmax
    keep = bool(keepdim or keepdims)
    if d is None:
        _nonempty(x, (), name)
        out = xp.asarray(f(), dtype="int64")
        return const(out.reshape((1,) * x.ndim) if keep else out)
    d = one_dim(d, x.ndim, name)
    if x.ndim == 0:
        return const(xp.zeros((), dtype="int64"))
    _nonempty(x, (d,), name)
    return const(f(axis=d, keepdims=keep).astype("int64"))


def argmax(x, dim=None, keepdim=False, *, axis=None, keepdims=False) -> Tensor:
    """Index of the maximum (of the flattened tensor when ``dim`` is None); the first one at ties; no gradient.

    Examples:
        >>> import gradkit as gk
        >>> gk.tensor([[1.0, 5.0], [7.0, 2.0]]).argmax().item()
        2
    """
    return _arg(x, dim, keepdim, axis, keepdims, "argmax")


def argmin(x, dim=None, keepdim=False, *, axis=None, keepdims=False) -> Tensor:
    """Index of the minimum; the first one at ties; no gradient.

    Examples:
        >>> import gradkit as gk
        >>> gk.tensor([[1.0, 5.0], [7.0, 2.0]]).argmin(1).tolist()
        [0, 1]
    """
    return _arg(x, dim, keepdim, axis, keepdims, "argmin")


def logsumexp(x, dim=None, keepdim=False, *, axis=None, keepdims=False) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, computed stably (shifted by the maximum).

    A row of ``-inf`` gives ``-inf`` (and an empty one too), with no warning.

    Examples:
        >>> import gradkit as gk
        >>> round(gk.tensor([0.0, 0.0]).logsumexp(0).item(), 6)
        0.693147
    """
    x, axes, keep = _reduce_args(x, dim, axis, keepdim, keepdims, "logsumexp")
    return LogSumExp(axes, keep)(_float_input(x, None, "logsumexp"))


# --------------------------------------------------------------------- logic and counting
def _logical(x, dim, keepdim, axis, name):
    x = ensure_tensor(x)
    axes = reduce_axes(resolve_dim(dim, axis, name), x.ndim, name)
    f = x.array.any if name == "any" else x.array.all
    out = get_array_module(x.array).asarray(f(axis=axes, keepdims=bool(keepdim)))
    return const(out.astype(np.uint8) if x.dtype == np.uint8 else out)  # PyTorch keeps uint8


def any(x, dim=None, keepdim=False, *, axis=None) -> Tensor:
    """Whether any element is true (non-zero), over ``dim`` (an int, a tuple, or everything).

    Examples:
        >>> import gradkit as gk
        >>> gk.tensor([[0, 1], [0, 0]]).any(1).tolist()
        [True, False]
    """
    return _logical(x, dim, keepdim, axis, "any")


def all(x, dim=None, keepdim=False, *, axis=None) -> Tensor:
    """Whether every element is true (non-zero), over ``dim``; ``all`` of nothing is True.

    Examples:
        >>> import gradkit as gk
        >>> gk.tensor([[1, 1], [0, 1]]).all(0).tolist()
        [False, True]
    """
    return _logical(x, dim, keepdim, axis, "all")


def count_nonzero(input, dim=None) -> Tensor:
    """The number of non-zero elements over ``dim`` (int64, no gradient).

    Examples:
        >>> import gradkit as gk
        >>> gk.count_nonzero(gk.tensor([[0, 1], [2, 3]]), dim=0).tolist()
        [1, 2]
    """
    x = ensure_tensor(input)
    axes = reduce_axes(resolve_dim(dim, None, "count_nonzero"), x.ndim, "count_nonzero")
    xp = get_array_module(x.array)
    return const(xp.asarray((x.array != 0).sum(axis=axes), dtype="int64"))

