"""Selection ops: gather, scatter, index_*, masked_*, take, take_along_dim (PyTorch's forms).

Gradients flow to the selected elements: ``gather``'s rule is a scatter-add of the incoming
gradient into zeros, whose own rule is a gather again, so every derivative is written once
and ``create_graph=True`` gives higher orders. ``scatter``'s gradient to ``self`` is the
incoming gradient with the overwritten places zeroed, and to ``src`` the gradient gathered at
``index`` (as PyTorch; with repeated indices, which ``src`` element wins is unspecified in
PyTorch and is the last one here).

Index tensors are integer (int64 as PyTorch; int32 is accepted). An index out of range
raises :class:`~gradkit.ops._checks.IndexOutOfRange` naming the op, the dim and its size.

The in-place forms (``x.scatter_(...)``, ``x.index_add_(...)``...) are Tensor methods built on
:func:`apply_inplace`.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op, once_differentiable
from ..autograd.grad_mode import _mode
from ..backend import get_array_module
from ..tensor import Tensor, _make
from ._arrays import ufunc_at
from ._checks import IndexOutOfRange, OpArgumentError, as_index, check_bounds, check_nonneg_bounds, one_dim
from ._util import as_operand, const, ensure_tensor, shape_str
from .elementwise import where
from .shape import broadcast_to, getitem, pad, reshape

__all__ = [  # gk.<name>; the other functions here are gradkit-internal
    "gather", "index_add", "index_copy", "index_fill", "index_select", "masked_fill", "masked_scatter",
    "masked_select", "scatter", "scatter_add", "scatter_reduce", "take", "take_along_dim",
]


# --------------------------------------------------------------------- raw helpers
def _grid(idx, dim):
    """The full NumPy index that puts ``idx`` along ``dim`` and ranges along every other dim."""
    xp = get_array_module(idx)
    nd = idx.ndim
    return tuple(
        idx if d == dim else xp.arange(s).reshape(tuple(-1 if k == d else 1 for k in range(nd)))
        for d, s in enumerate(idx.shape)
    )


def _head(arr, shape):
    """``arr``'s leading corner of ``shape`` (PyTorch reads src/input only where index reaches)."""
    if arr.shape == tuple(shape):
        return arr
    return arr[tuple(slice(0, s) for s in shape)]


def _dim_slice(ndim, dim, idx):
    return (slice(None),) * dim + (idx,)


def _zeros(shape, like):
    return get_array_module(like).zeros(shape, dtype=like.dtype)


def _pad_to(g: Tensor, shape) -> Tensor:
    """``g`` padded with zeros at the end of each dim up to ``shape`` (a gradient of a read corner)."""
    if g.shape == tuple(shape):
        return g
    return pad(g, tuple((0, s - t) for s, t in zip(shape, g.shape)))


def _check_index_shape(name, x, index, dim, src=None):
    if index.ndim != max(x.ndim, 1) and not (x.ndim == 0 and index.ndim == 0):
        raise OpArgumentError(
            f"{name}(): index must have as many dimensions as the input ({x.ndim}), got index of shape "
            f"{shape_str(index.shape)}"
        )
    xs = x.shape if x.ndim else (1,)
    ishape = index.shape if index.ndim else (1,)
    for d, (i, s) in enumerate(zip(ishape, xs)):
        if d != dim and i > s:
            raise OpArgumentError(
                f"{name}(): index has size {i} in dimension {d}, larger than the input's {s} "
                f"(input {shape_str(x.shape)}, index {shape_str(index.shape)}, dim={dim})"
            )
    if src is not None:
        ss = src.shape if src.ndim else (1,)
        if len(ss) != len(ishape) or any(i > s for i, s in zip(ishape, ss)):
            raise OpArgumentError(
                f"{name}(): index {shape_str(index.shape)} must be no larger than src {shape_str(src.shape)} "
                "in every dimension"
            )


# --------------------------------------------------------------------- gather / scatter ops
class Gather(Op):
    """``out[i][j] = x[index[i][j]][j]`` for dim 0 (and so on); the rule scatters back."""

    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def forward(self, x):
        xp = get_array_module(x)
        return xp.take_along_axis(_head(x, _other_dims(x.shape, self.index.shape, self.dim)), self.index, self.dim)

    def backward(self, gy):
        return GatherGrad(self.dim, self.index, self.inputs[0].shape)(gy)


def _other_dims(xshape, ishape, dim):
    return tuple(s if d == dim else i for d, (s, i) in enumerate(zip(xshape, ishape)))


class GatherGrad(Op):
    """Zeros of ``shape`` with ``gy`` added at ``index`` along ``dim`` (repeats accumulate)."""

    def __init__(self, dim, index, shape):
        self.dim, self.index, self.shape = dim, index, shape

    def forward(self, gy):
        xp = get_array_module(gy)
        out = _zeros(self.shape, gy)
        ufunc_at("add", out, _grid(self.index, self.dim), gy)
        return out

    def backward(self, ggx):
        return Gather(self.dim, self.index)(ggx)


class Scatter(Op):
    """``x`` with ``src`` written (or added, ``accumulate``) at ``index`` along ``dim``."""

    def __init__(self, dim, index, accumulate=False):
        self.dim, self.index, self.accumulate = dim, index, accumulate

    def forward(self, x, src):
        xp = get_array_module(x)
        out = x.copy()
        vals = _head(src, self.index.shape)
        if self.accumulate:
            ufunc_at("add", out, _grid(self.index, self.dim), vals)
        else:
            out[_grid(self.index, self.dim)] = vals
        return out

    def backward(self, gy):
        x, src = self.inputs
        gx = gsrc = None
        if self.needs_input_grad[0]:
            gx = gy if self.accumulate else Scatter(self.dim, self.index)(gy, const(_zeros(self.index.shape, gy.array)))
        if self.needs_input_grad[1]:
            gsrc = _pad_to(Gather(self.dim, self.index)(gy), src.shape)
        return gx, gsrc


def _scatter_args(name, x, dim, index, src=None, value=None):
    x = ensure_tensor(x)
    d = one_dim(dim, x.ndim, name)
    index = as_index(index, name, like=x)
    if src is None:
        if value is None:
            raise TypeError(f"{name}(): give src (a tensor) or value (a number)")
        src = const(get_array_module(x.array).full(index.shape, value, dtype=x.dtype))
    elif not isinstance(src, Tensor):
        if np.ndim(src) == 0:
            src = const(get_array_module(x.array).full(index.shape, src, dtype=x.dtype))
        else:
            src = as_operand(src, x)
    if src.dtype != x.dtype:
        raise OpArgumentError(f"{name}(): expected src of the input's dtype {x.dtype}, got {src.dtype}")
    _check_index_shape(name, x, index, d, src)
    check_nonneg_bounds(index.array, x.shape[d] if x.ndim else 1, name, d)
    if x.ndim == 0:
        return x, 0, index, src, True
    return x, d, index, src, False


def _as_1d(t):
    return reshape(t, (1,)) if t.ndim == 0 else t


def _back_0d(out, was_0d):
    return reshape(out, ()) if was_0d else out


def gather(input, dim, index, *, sparse_grad=False, out=None) -> Tensor:
    """Values of ``input`` picked along ``dim`` at ``index``: ``out[i][j] = input[index[i][j]][j]`` (dim 0).

    ``index`` has ``input``'s number of dimensions and, outside ``dim``, sizes no larger than
    ``input``'s; the result has ``index``'s shape. The gradient is added back at ``index``.

    Args:
        input: the tensor to read.
        dim: the dimension indexed by ``index``.
        index: an integer tensor (int64).
        sparse_grad: accepted for PyTorch compatibility (gradients are dense).
        out: optional tensor to hold the result.

    Returns:
        A tensor of ``index``'s shape.

    Examples:
        >>> import gradkit as gk
        >>> gk.gather(gk.tensor([[1, 2], [3, 4]]), 1, gk.tensor([[0, 0], [1, 0]])).tolist()
        [[1, 1], [4, 3]]
    """
    x = ensure_tensor(input)
    d = one_dim(dim, x.ndim, "gather")
    index = as_index(index, "gather", like=x)
    _check_index_shape("gather", x, index, d)
    check_nonneg_bounds(index.array, x.shape[d] if x.ndim else 1, "gather", d)
    was_0d = x.ndim == 0
    res = _back_0d(Gather(d, _as_1d(index).array)(_as_1d(x)), was_0d)
    return write_out(res, out)


def scatter(input, dim, index, src=None, *, value=None, reduce=None) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor, or a number) written at ``index`` along ``dim``.

    ``self[index[i][j]][j] = src[i][j]`` for dim 0. ``reduce='add'`` or ``'multiply'`` combine
    instead of overwrite. The gradient to ``input`` is zero where it was overwritten; to ``src``
    it is the incoming gradient gathered at ``index``.

    Args:
        input: the tensor to copy.
        dim: the dimension indexed by ``index``.
        index: an integer tensor (int64) of ``input``'s number of dimensions.
        src: a tensor at least as large as ``index``, or a number (PyTorch's ``value``).
        value: a number to write (keyword form).
        reduce: None, ``'add'`` or ``'multiply'``.

    Returns:
        A tensor of ``input``'s shape.

    Examples:
        >>> import gradkit as gk
        >>> gk.scatter(gk.zeros(3), 0, gk.tensor([2, 0]), gk.tensor([5.0, 7.0])).tolist()
        [7.0, 0.0, 5.0]
    """
    if reduce is not None:
        how = {"add": "sum", "multiply": "prod"}.get(reduce)
        if how is None:
            raise OpArgumentError(f"scatter(): reduce must be 'add' or 'multiply', got {reduce!r}")
        if src is None or np.ndim(src) == 0 and not isinstance(src, Tensor):
            x = ensure_tensor(input)
            v = value if src is None else src
            src = const(get_array_module(x.array).full(as_index(index, "scatter").shape, v, dtype=x.dtype))
        return scatter_reduce(input, dim, index, src, how)
    x, d, index, src, was_0d = _scatter_args("scatter", input, dim, index, src, value)
    return _back_0d(Scatter(d, _as_1d(index).array)(_as_1d(x), _as_1d(src)), was_0d)


def scatter_add(input, dim, index, src) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeated indices accumulate).

    Examples:
        >>> import gradkit as gk
        >>> gk.scatter_add(gk.zeros(3), 0, gk.tensor([2, 2, 0]), gk.tensor([1.0, 2.0, 4.0])).tolist()
        [4.0, 0.0, 3.0]
    """
    x, d, index, src, was_0d = _scatter_args("scatter_add", input, dim, index, src)
    return _back_0d(Scatter(d, _as_1d(index).array, accumulate=True)(_as_1d(x), _as_1d(src)), was_0d)


# --------------------------------------------------------------------- scatter_reduce
_REDUCE_UFUNC = {"sum": "add", "prod": "multiply", "mean": "add", "amax": "maximum", "amin": "minimum"}


def _identity(how, dtype):
    if how in ("sum", "mean"):
        return 0
    if how == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if how == "amax" else np.inf
    if dtype.kind == "b":
        return how == "amin"
    info = np.iinfo(dtype)
    return info.min if how == "amax" else info.max


class ScatterReduce(Op):
    """``input`` combined with ``src`` at ``index`` by sum, prod, mean, amax or amin."""

    saves_output = True

    def __init__(self, dim, index, how, include_self):
        self.dim, self.index, self.how, self.include_self = dim, index, how, include_self

    def counts(self, like):
        xp = get_array_module(like)
        c = xp.zeros(like.shape, dtype=like.dtype)
        ufunc_at("add", c, _grid(self.index, self.dim), 1)
        return c

    def forward(self, x, src):
        xp = get_array_module(x)
        grid = _grid(self.index, self.dim)
        vals = _head(src, self.index.shape)
        out = x.copy()
        if not self.include_self:
            out[grid] = _identity(self.how, x.dtype)
        ufunc_at(_REDUCE_UFUNC[self.how], out, grid, vals)
        if self.how == "mean":
            c = self.counts(x) + (1 if self.include_self else 0)
            hit = c > 0
            if x.dtype.kind == "f":
                out = xp.where(hit, out / xp.where(hit, c, 1), x)
            else:
                out = xp.where(hit, out // xp.where(hit, c, 1).astype(x.dtype), x)
        return out

    def backward(self, gy):
        x, src = self.inputs
        dim, index, how = self.dim, self.index, self.how
        scattered = self.counts(gy.array) > 0
        keep = const((~scattered).astype(gy.dtype)) if not self.include_self else None
        if how in ("sum", "mean"):
            gy_s = gy
            if how == "mean":
                xp = get_array_module(gy.array)
                c = self.counts(gy.array) + (1 if self.include_self else 0)
                gy_s = gy * const(1 / xp.maximum(c, 1))
            gx = gy_s if self.include_self else gy * keep
            return gx, _pad_to(Gather(dim, index)(gy_s), src.shape)
        # amax / amin: the gradient is shared equally by every value equal to the result
        y = self.output().array
        xa, sa = x.array, _head(src.array, index.shape)
        xp = get_array_module(xa)
        self_eq = (xa == y) if self.include_self else xp.zeros(xa.shape, dtype=bool)
        src_eq = sa == xp.take_along_axis(_head(y, _other_dims(y.shape, index.shape, dim)), index, dim)
        n = self_eq.astype(gy.dtype)
        ufunc_at("add", n, _grid(index, dim), src_eq.astype(gy.dtype))
        n_safe = xp.where(n > 0, n, 1)
        share = gy * const(1 / n_safe)
        gx = share * const(self_eq.astype(gy.dtype))
        if not self.include_self:
            gx = gx + gy * keep
        gsrc = _pad_to(Gather(dim, index)(share) * const(src_eq.astype(gy.dtype)), src.shape)
        return gx, gsrc


class ScatterReduceProd(ScatterReduce):
    """The product form: the rule divides out each factor safely where some are zero."""

    @once_differentiable
    def backward(self, gy):
        x, src = self.inputs
        dim, index = self.dim, self.index
        xp = get_array_module(gy.array)
        grid = _grid(index, dim)
        xa, sa = x.array, _head(src.array, index.shape)
        xin = xa if self.include_self else xp.ones_like(xa)
        zeros = (xin == 0).astype(np.int64)
        ufunc_at("add", zeros, grid, (sa == 0).astype(np.int64))
        prod_nz = xp.where(xin == 0, 1, xin).astype(gy.dtype)
        ufunc_at("multiply", prod_nz, grid, xp.where(sa == 0, 1, sa))

        def factor(v, nz, p):  # d(prod)/d(v) for each factor v of a product with nz zeros
            safe = xp.where(v == 0, 1, v)
            return xp.where(nz == 0, p / safe, xp.where((nz == 1) & (v == 0), p, 0))

        g = gy.array
        gx = g * factor(xin, zeros, prod_nz) if self.include_self else g * (self.counts(g) == 0)
        ga = xp.take_along_axis(_head(g, _other_dims(g.shape, index.shape, dim)), index, dim)
        at = lambda a: xp.take_along_axis(_head(a, _other_dims(a.shape, index.shape, dim)), index, dim)  # noqa: E731
        gs = xp.zeros(src.shape, dtype=g.dtype)
        gs[tuple(slice(0, s) for s in index.shape)] = ga * factor(sa, at(zeros), at(prod_nz))
        return const(gx.astype(g.dtype)), const(gs)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True) -> Tensor:
    """``input`` combined with ``src`` at ``index`` along ``dim`` by ``reduce``.

    Args:
        input: the tensor to copy.
        dim: the dimension indexed by ``index``.
        index: an integer tensor (int64) of ``input``'s number of dimensions.
        src: a tensor at least as large as ``index``.
        reduce: ``'sum'``, ``'prod'``, ``'mean'``, ``'amax'`` or ``'amin'``.
        include_self: whether ``input``'s own values at the scattered places take part.

    Returns:
        A tensor of ``input``'s shape. Gradients: sum and mean spread evenly, amax/amin share
        among the values equal to the result, prod divides out each factor (zero-safe; first
        derivatives only).

    Examples:
        >>> import gradkit as gk
        >>> x = gk.tensor([1.0, 2.0, 3.0])
        >>> gk.scatter_reduce(x, 0, gk.tensor([0, 0, 2]), gk.tensor([5.0, 6.0, 1.0]), "amax").tolist()
        [6.0, 2.0, 3.0]
    """
    if reduce not in _REDUCE_UFUNC:
        raise OpArgumentError(
            f"scatter_reduce(): reduce must be one of 'sum', 'prod', 'mean', 'amax', 'amin', got {reduce!r}"
        )
    x, d, index, src, was_0d = _scatter_args("scatter_reduce", input, dim, index, src)
    cls = ScatterReduceProd if reduce == "prod" else ScatterReduce
    return _back_0d(cls(d, _as_1d(index).array, reduce, bool(include_self))(_as_1d(x), _as_1d(src)), was_0d)


# --------------------------------------------------------------------- index_* along one dim
def _index_1d(name, x, dim, index, allow_negative=False):
    x = ensure_tensor(x)
    d = one_dim(dim, x.ndim, name)
    index = as_index(index, name, like=x)
    if index.ndim > 1:
        raise OpArgumentError(f"{name}(): index must be 1-D or 0-d, got shape {shape_str(index.shape)}")
    check = check_bounds if allow_negative else check_nonneg_bounds  # PyTorch: only index_fill counts from the end
    check(index.array, x.shape[d] if x.ndim else 1, name, d)
    return x, d, index.array.reshape(-1)


def index_select(input, dim, index, *, out=None) -> Tensor:
    """The slices of ``input`` at ``index`` (1-D integer) along ``dim``; the gradient adds back.

    Examples:
        >>> import gradkit as gk
        >>> gk.index_select(gk.tensor([[1, 2], [3, 4]]), 1, gk.tensor([1, 1, 0])).tolist()
        [[2, 2, 1], [4, 4, 3]]
    """
    x, d, idx = _index_1d("index_select", input, dim, index)
    if x.ndim == 0:
        res = getitem(reshape(x, (1,)), idx)
        return write_out(reshape(res, ()) if idx.size == 1 else res, out)
    return write_out(getitem(x, _dim_slice(x.ndim, d, idx)), out)


class IndexPut(Op):
    """``x`` with ``source`` added (``accumulate``) or copied at ``index`` along ``dim``."""

    def __init__(self, dim, index, accumulate, alpha=1):
        self.dim, self.index, self.accumulate, self.alpha = dim, index, accumulate, alpha

    def forward(self, x, source):
        xp = get_array_module(x)
        out = x.copy()
        where_ = _dim_slice(x.ndim, self.dim, self.index)
        if self.accumulate:
            ufunc_at("add", out, where_, source * self.alpha if self.alpha != 1 else source)
        else:
            out[where_] = source
        return out

    def backward(self, gy):
        gx = gs = None
        where_ = _dim_slice(gy.ndim, self.dim, self.index)
        if self.needs_input_grad[0]:
            gx = gy if self.accumulate else index_fill(gy, self.dim, const(self.index), 0)
        if self.needs_input_grad[1]:
            gs = getitem(gy, where_)
            if self.alpha != 1:
                gs = gs * self.alpha
        return gx, gs


def _index_put(name, input, dim, index, source, accumulate, alpha=1):
    x, d, idx = _index_1d(name, input, dim, index)
    source = source if isinstance(source, Tensor) else as_operand(source, x)
    xs = x if x.ndim else reshape(x, (1,))
    want = tuple(len(idx) if k == d else s for k, s in enumerate(xs.shape))
    src = source if source.ndim else reshape(source, (1,))
    if tuple(src.shape) != want:
        raise OpArgumentError(
            f"{name}(): source must have shape {shape_str(want)} (input {shape_str(x.shape)} with "
            f"dim {d} of size len(index)={len(idx)}), got {shape_str(source.shape)}"
        )
    if src.dtype != x.dtype:
        raise OpArgumentError(f"{name}(): expected source of the input's dtype {x.dtype}, got {src.dtype}")
    return _back_0d(IndexPut(d, idx, accumulate, alpha)(xs, src), x.ndim == 0)


def index_add(input, dim, index, source, *, alpha=1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added at ``index`` along ``dim`` (repeats accumulate).

    Examples:
        >>> import gradkit as gk
        >>> gk.index_add(gk.zeros(3), 0, gk.tensor([0, 0, 2]), gk.tensor([1.0, 2.0, 3.0]), alpha=2).tolist()
        [6.0, 0.0, 6.0]
    """
    return _index_put("index_add", input, dim, index, source, True, alpha)


def index_copy(input, dim, index, source) -> Tensor:
    """A copy of ``input`` with the slices of ``source`` written at ``index`` along ``dim``.

    Examples:
        >>> import gradkit as gk
        >>> gk.index_copy(gk.zeros(3), 0, gk.tensor([2, 0]), gk.tensor([1.0, 2.0])).tolist()
        [2.0, 0.0, 1.0]
    """
    return _index_put("index_copy", input, dim, index, source, False)


class IndexFill(Op):
    def __init__(self, dim, index, value):
        self.dim, self.index, self.value = dim, index, value

    def forward(self, x):
        out = x.copy()
        out[_dim_slice(x.ndim, self.dim, self.index)] = self.value
        return out

    def backward(self, gy):
        return IndexFill(self.dim, self.index, 0)(gy)


def index_fill(input, dim, index, value) -> Tensor:
    """A copy of ``input`` with ``value`` (a number or 0-d tensor) written at ``index`` along ``dim``.

    Examples:
        >>> import gradkit as gk
        >>> gk.index_fill(gk.ones(2, 2), 1, gk.tensor([0]), -1.0).tolist()
        [[-1.0, 1.0], [-1.0, 1.0]]
    """
    x, d, idx = _index_1d("index_fill", input, dim, index, allow_negative=True)
    if isinstance(value, Tensor):
        if value.ndim:
            raise OpArgumentError(f"index_fill(): value must be a number or a 0-d tensor, got shape {value.shape}")
        if value.requires_grad:  # the value gets the gradient of the places it fills
            xp = get_array_module(x.array)
            mask = xp.zeros(x.shape if x.ndim else (1,), dtype=bool)
            mask[_dim_slice(max(x.ndim, 1), d, idx)] = True
            return where(mask.reshape(x.shape), value.to(x.dtype), x)
        value = value.item()
    if x.ndim == 0:
        return reshape(IndexFill(0, idx, value)(reshape(x, (1,))), ())
    return IndexFill(d, idx, value)(x)


# --------------------------------------------------------------------- masks, take
def _mask(name, mask, x):
    m = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != bool:
        if m.dtype.kind == "u" and m.dtype.itemsize == 1:
            m = m.astype(bool)
        else:
            raise OpArgumentError(f"{name}(): expected mask of dtype bool, got {m.dtype}")
    xp = get_array_module(x.array)
    if xp is not np and isinstance(m, np.ndarray):
        m = xp.asarray(m)
    return m


def masked_fill(input, mask, value) -> Tensor:
    """A copy of ``input`` with ``value`` where ``mask`` (bool, broadcast to ``input``) is true.

    ``value`` may be a 0-d tensor, which then receives the gradient of the filled places.

    Examples:
        >>> import gradkit as gk
        >>> gk.masked_fill(gk.tensor([1.0, 2.0]), gk.tensor([True, False]), 0.0).tolist()
        [0.0, 2.0]
    """
    x = ensure_tensor(input)
    m = _mask("masked_fill", mask, x)
    try:
        mb = get_array_module(m).broadcast_to(m, x.shape)
    except ValueError:
        raise OpArgumentError(
            f"masked_fill(): mask of shape {shape_str(m.shape)} cannot be broadcast to the input's {shape_str(x.shape)}"
        ) from None
    if isinstance(value, Tensor):
        if value.ndim:
            raise OpArgumentError(f"masked_fill(): value must be a number or a 0-d tensor, got shape {value.shape}")
        if value.dtype != x.dtype:
            value = value.to(x.dtype)
    else:
        value = as_operand(value, x)
        if value.dtype != x.dtype:
            value = const(value.array.astype(x.dtype))
    return where(mb, value, x)


class MaskedScatter(Op):
    """``x`` with the first ``mask.sum()`` elements of ``source`` written where ``mask`` is true."""

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x, source):
        out = x.copy()
        n = int(self.mask.sum())
        out[self.mask] = source.reshape(-1)[:n]
        return out

    def backward(self, gy):
        x, source = self.inputs
        gx = gs = None
        if self.needs_input_grad[0]:
            gx = where(self.mask, const(_zeros((), gy.array)), gy)
        if self.needs_input_grad[1]:
            picked = getitem(gy, self.mask)
            gs = reshape(pad(picked, ((0, source.array.size - picked.shape[0]),)), source.shape)
        return gx, gs


def masked_scatter(input, mask, source) -> Tensor:
    """A copy of ``input`` with ``source``'s elements, in order, written where ``mask`` is true.

    Examples:
        >>> import gradkit as gk
        >>> gk.masked_scatter(gk.zeros(3), gk.tensor([True, False, True]), gk.tensor([1.0, 2.0, 3.0])).tolist()
        [1.0, 0.0, 2.0]
    """
    x = ensure_tensor(input)
    source = ensure_tensor(source)
    m = _mask("masked_scatter", mask, x)
    xp = get_array_module(x.array)
    try:
        mb = xp.ascontiguousarray(xp.broadcast_to(m, x.shape))
    except ValueError:
        raise OpArgumentError(
            f"masked_scatter(): mask of shape {shape_str(m.shape)} cannot be broadcast to the input's "
            f"{shape_str(x.shape)}"
        ) from None
    n = int(mb.sum())
    if source.array.size < n:
        raise OpArgumentError(f"masked_scatter(): source has {source.array.size} elements, the mask selects {n}")
    if source.dtype != x.dtype:
        raise OpArgumentError(f"masked_scatter(): expected source of the input's dtype {x.dtype}, got {source.dtype}")
    return MaskedScatter(mb)(x, source)


def masked_select(input, mask, *, out=None) -> Tensor:
    """The elements of ``input`` where ``mask`` is true, as a 1-D tensor (the two broadcast together).

    Examples:
        >>> import gradkit as gk
        >>> gk.masked_select(gk.tensor([[1, 2], [3, 4]]), gk.tensor([True, False])).tolist()
        [1, 3]
    """
    x = ensure_tensor(input)
    m = _mask("masked_select", mask, x)
    xp = get_array_module(x.array)
    try:
        shape = np.broadcast_shapes(x.shape, m.shape)
    except ValueError:
        raise OpArgumentError(
            f"masked_select(): mask {shape_str(m.shape)} and input {shape_str(x.shape)} cannot be broadcast together"
        ) from None
    xb = x if x.shape == shape else broadcast_to(x, shape)
    return write_out(getitem(xb, xp.broadcast_to(m, shape)), out)


def take(input, index) -> Tensor:
    """Elements of ``input`` read as if flattened, at ``index`` (any shape; negatives count from the end).

    Examples:
        >>> import gradkit as gk
        >>> gk.take(gk.tensor([[1, 2], [3, 4]]), gk.tensor([[0, 3], [-1, 1]])).tolist()
        [[1, 4], [4, 2]]
    """
    x = ensure_tensor(input)
    index = as_index(index, "take", like=x)
    n = x.array.size
    if index.array.size and n == 0:
        raise IndexOutOfRange("take(): cannot take from an empty tensor")
    check_bounds(index.array, n, "take", 0)
    return getitem(reshape(x, (-1,)), index.array)


def take_along_dim(input, indices, dim=None, *, out=None) -> Tensor:
    """``gather`` with broadcasting: ``input`` and ``indices`` broadcast outside ``dim``.

    With ``dim=None`` both are flattened first (``take`` of the flat input).

    Examples:
        >>> import gradkit as gk
        >>> x = gk.tensor([[10, 30, 20], [60, 40, 50]])
        >>> gk.take_along_dim(x, x.argmax(1, keepdim=True), 1).tolist()
        [[30], [60]]
    """
    x = ensure_tensor(input)
    indices = as_index(indices, "take_along_dim", "indices", like=x)
    if dim is None:
        return write_out(gather(reshape(x, (-1,)), 0, reshape(indices, (-1,))), out)
    d = one_dim(dim, x.ndim, "take_along_dim")
    if indices.ndim != x.ndim:
        raise OpArgumentError(
            f"take_along_dim(): indices must have as many dimensions as input ({x.ndim}), got "
            f"{shape_str(indices.shape)}"
        )
    try:
        xs = list(np.broadcast_shapes(tuple(s for k, s in enumerate(x.shape) if k != d),
                                      tuple(s for k, s in enumerate(indices.shape) if k != d)))
    except ValueError:
        raise OpArgumentError(
            f"take_along_dim(): input {shape_str(x.shape)} and indices {shape_str(indices.shape)} cannot be "
            f"broadcast outside dim {d}"
        ) from None
    x_shape = tuple(xs[:d] + [x.shape[d]] + xs[d:])
    i_shape = tuple(xs[:d] + [indices.shape[d]] + xs[d:])
    xb = x if x.shape == x_shape else broadcast_to(x, x_shape)
    ib = indices if indices.shape == i_shape else const(get_array_module(indices.array).broadcast_to(indices.array, i_shape))
    return write_out(gather(xb, d, ib), out)


# --------------------------------------------------------------------- out= and in-place forms
def write_out(result: Tensor, out) -> Tensor:
    """PyTorch's ``out=``: the result written into ``out`` (resized if its shape differs), returned."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"out= must be a Tensor, got {type(out).__name__}")
    if _mode.enabled and (out.requires_grad or result.requires_grad):
        raise OpArgumentError("out= does not support automatic differentiation; run it under gk.no_grad()")
    if out.shape == result.shape and out.dtype == result.dtype:
        out.array[...] = result.array
    else:
        out.array = result.array.astype(out.dtype, copy=False)
    return out


def apply_inplace(x: Tensor, fn, *args, **kwargs) -> Tensor:
    """Run the out-of-place ``fn(x, *args)`` and make ``x`` hold the result (PyTorch's ``x.op_(...)``).

    Without a graph the result is written into ``x``'s storage (views of it see the change).
    When the result is recorded, ``x`` takes its place in the graph (a leaf that requires grad
    cannot be changed in place, as in PyTorch).
    """
    name = getattr(fn, "__name__", "op") + "_"
    if _mode.enabled and x.requires_grad and x._ctx is None:
        raise RuntimeError(
            f"a leaf tensor that requires grad is used in an in-place operation ({name}); "
            "do it under `with gk.no_grad():` or on a clone"
        )
    alias = _make(x.array, x.requires_grad, x._ctx, x._out_index)
    res = fn(alias, *args, **kwargs)
    if res.dtype != x.dtype:
        raise OpArgumentError(f"{name}(): the result's dtype {res.dtype} does not fit the tensor's {x.dtype}")
    if res.requires_grad:
        x.array, x._ctx, x._out_index, x.requires_grad = res.array, res._ctx, res._out_index, True
    else:
        x.array[...] = res.array
    return x
