"""Order statistics: sort, argsort, topk, kthvalue, median, mode, quantile; and searchsorted, bucketize.

The values these return are ``gather(input, dim, indices)``, so the gradient goes to the
selected elements (and ``create_graph=True`` works through them). Sorting is stable here
(ties keep their order, descending too) and NaN sorts as the largest value, as in PyTorch.
Where PyTorch leaves the index of tied values unspecified (``topk``, ``kthvalue``, ``median``
with ``dim``, ``sort`` without ``stable``), this module picks the first of the tied elements in
sorted order; the values always agree.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import get_array_module, get_default_dtype
from ..tensor import Tensor
from ._arrays import accumulate
from ._checks import OpArgumentError, one_dim, resolve_dim
from ._util import const, ensure_tensor, keep_shape, shape_str
from .reduce import ValuesIndices
from .select import gather, write_out
from .shape import reshape, squeeze

__all__ = [
    "argsort", "bucketize", "kthvalue", "median", "mode", "msort", "nanmedian", "nanquantile", "quantile",
    "searchsorted", "sort", "topk", "bincount", "unique", "unique_consecutive",
]


def _argsort(a, axis, descending):
    """Stable argsort of a raw array along ``axis`` (NaN largest); descending keeps ties in order."""
    xp = get_array_module(a)
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable")
    n = a.shape[axis]
    rev = xp.flip(a, axis)
    return (n - 1) - xp.flip(xp.argsort(rev, axis=axis, kind="stable"), axis)


def _sorted_idx(x, d, descending):
    if x.ndim == 0:
        return const(get_array_module(x.array).zeros((), dtype=np.int64))
    return const(_argsort(x.array, d, descending).astype(np.int64))


def sort(input, dim=-1, descending=False, stable=False, *, out=None) -> ValuesIndices:
    """Sorted values along ``dim`` and the indices they came from, as ``(values, indices)``.

    Always stable (``stable`` is accepted for PyTorch); NaN sorts as the largest value.

    Examples:
        >>> import gradkit as gk
        >>> v, i = gk.sort(gk.tensor([3.0, 1.0, 2.0]), descending=True)
        >>> v.tolist(), i.tolist()
        ([3.0, 2.0, 1.0], [0, 2, 1])
    """
    x = ensure_tensor(input)
    d = one_dim(dim, x.ndim, "sort")
    idx = _sorted_idx(x, d, descending)
    return _write_pair(ValuesIndices(gather(x, d, idx), idx), out)


def _write_pair(res, out):
    """PyTorch's ``out=(values, indices)``."""
    if out is None:
        return res
    write_out(res.values, out[0])
    write_out(res.indices, out[1])
    return ValuesIndices(out[0], out[1])


def argsort(input, dim=-1, descending=False, stable=False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (stable; int64).

    Examples:
        >>> import gradkit as gk
        >>> gk.argsort(gk.tensor([[2, 1, 2, 0]])).tolist()
        [[3, 1, 0, 2]]
    """
    x = ensure_tensor(input)
    return _sorted_idx(x, one_dim(dim, x.ndim, "argsort"), descending)


def msort(input) -> Tensor:
    """``input`` sorted along its first dim (``sort(input, 0).values``).

    Examples:
        >>> import gradkit as gk
        >>> gk.msort(gk.tensor([[2, 1], [0, 3]])).tolist()
        [[0, 1], [2, 3]]
    """
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None) -> ValuesIndices:
    """The ``k`` largest (or smallest) elements along ``dim``, as ``(values, indices)``.

    Among equal values the earlier element comes first. ``sorted`` is accepted: the result is
    always in sorted order.

    Examples:
        >>> import gradkit as gk
        >>> gk.topk(gk.tensor([1.0, 5.0, 3.0, 4.0]), 2).indices.tolist()
        [1, 3]
    """
    x = ensure_tensor(input)
    d = one_dim(dim, x.ndim, "topk")
    n = x.shape[d] if x.ndim else 1
    if not 0 <= int(k) <= n:
        raise OpArgumentError(f"topk(): k={k} is out of range for dimension {d} of size {n}")
    if x.ndim == 0:
        return sort(x) if k else ValuesIndices(reshape(x, (0,)), const(np.zeros(0, np.int64)))
    idx = _argsort(x.array, d, largest)
    idx = const(idx[(slice(None),) * d + (slice(0, int(k)),)].astype(np.int64))
    return _write_pair(ValuesIndices(gather(x, d, idx), idx), out)


def _pick(x, d, pos_of_row, keepdim):
    """Values and indices at one sorted position per row (``pos_of_row`` broadcasts over the rows)."""
    xp = get_array_module(x.array)
    order = _argsort(x.array, d, False)
    idx = xp.take_along_axis(order, xp.asarray(pos_of_row), d).astype(np.int64)
    idx = const(idx)
    values = gather(x, d, idx)
    if not keepdim:
        values, idx = squeeze(values, d), squeeze(idx, d)
    return ValuesIndices(values, idx)


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None) -> ValuesIndices:
    """The ``k``-th smallest element (1-based) along ``dim`` and its index.

    Examples:
        >>> import gradkit as gk
        >>> gk.kthvalue(gk.tensor([3.0, 1.0, 2.0]), 2).values.item()
        2.0
    """
    x = ensure_tensor(input)
    d = one_dim(dim, x.ndim, "kthvalue")
    n = x.shape[d] if x.ndim else 1
    if not 1 <= int(k) <= n:
        raise OpArgumentError(f"kthvalue(): k={k} is out of range for dimension {d} of size {n} (expected 1..{n})")
    if x.ndim == 0:
        return ValuesIndices(x * 1 if x.requires_grad else x, const(np.zeros((), np.int64)))
    pos = get_array_module(x.array).full(keep_shape(x.shape, (d,)), int(k) - 1)
    return _write_pair(_pick(x, d, pos, keepdim), out)


class _MedianAll(Op):
    """The lower median of every element; the gradient is shared by the elements equal to it (PyTorch)."""

    def __init__(self, ignore_nan):
        self.ignore_nan = ignore_nan

    def forward(self, x):
        xp = get_array_module(x)
        flat = x.reshape(-1)
        nan = xp.isnan(flat) if x.dtype.kind == "f" else None
        self.value = np.nan
        if nan is not None and bool(nan.any()):
            if not self.ignore_nan:
                return xp.asarray(np.nan, dtype=x.dtype)
            flat = flat[~nan]
        if flat.size == 0:
            return xp.asarray(np.nan, dtype=x.dtype)
        s = xp.sort(flat)
        self.value = s[(s.size - 1) // 2]
        return xp.asarray(self.value, dtype=x.dtype)

    def backward(self, gy):
        x = self.inputs[0].array
        v = self.value
        hit = get_array_module(x).isnan(x) if v != v else x == v  # a NaN median: the NaNs share it
        mask = hit.astype(gy.dtype)
        n = mask.sum()
        return gy * const(mask / (n if n else 1))


def _median(input, dim, keepdim, name, ignore_nan):
    x = ensure_tensor(input)
    if dim is None:
        if x.dtype.kind not in "f":
            x = x.to(get_default_dtype()) if name == "nanmedian" else x
        return _MedianAll(ignore_nan)(x)
    d = one_dim(dim, x.ndim, name)
    if x.ndim == 0:
        return ValuesIndices(x * 1 if x.requires_grad else x, const(np.zeros((), np.int64)))
    n = x.shape[d]
    if n == 0:
        raise OpArgumentError(f"{name}(): expected dimension {d} to have non-zero size, got shape {shape_str(x.shape)}")
    xp = get_array_module(x.array)
    if x.dtype.kind == "f":
        nan = xp.isnan(x.array)
        if ignore_nan:
            count = n - nan.sum(d, keepdims=True)
            pos = xp.maximum(count - 1, 0) // 2
        else:
            # a row with NaN has NaN for its median, at the first NaN (it sorts last, so at n - #nan)
            n_nan = nan.sum(d, keepdims=True)
            pos = xp.where(n_nan > 0, n - n_nan, (n - 1) // 2)
    else:
        pos = xp.full(keep_shape(x.shape, (d,)), (n - 1) // 2)
    return _pick(x, d, pos, keepdim)


def median(input, dim=None, keepdim=False):
    """The lower median (the smaller of the two middle values for an even count), as PyTorch.

    Without ``dim`` a 0-d tensor (NaN if any element is NaN; ties share the gradient); with
    ``dim`` a pair ``(values, indices)`` whose gradient goes to the element at the index.

    Examples:
        >>> import gradkit as gk
        >>> x = gk.tensor([[1.0, 4.0, 2.0, 3.0]])
        >>> x.median().item(), x.median(1).values.tolist(), x.median(1).indices.tolist()
        (2.0, [2.0], [2])
    """
    return _median(input, dim, keepdim, "median", False)


def nanmedian(input, dim=None, keepdim=False):
    """:func:`median` of the values that are not NaN (NaN where all are).

    Examples:
        >>> import gradkit as gk
        >>> gk.nanmedian(gk.tensor([1.0, float("nan"), 3.0, 2.0])).item()
        2.0
    """
    return _median(input, dim, keepdim, "nanmedian", True)


def mode(input, dim=-1, keepdim=False) -> ValuesIndices:
    """The most frequent value along ``dim`` (the smallest among equally frequent ones) and its last index.

    Examples:
        >>> import gradkit as gk
        >>> v, i = gk.mode(gk.tensor([1.0, 3.0, 3.0, 2.0, 3.0, 1.0]))
        >>> v.item(), i.item()
        (3.0, 4)
    """
    x = ensure_tensor(input)
    d = one_dim(dim, x.ndim, "mode")
    if x.ndim == 0:
        return ValuesIndices(x * 1 if x.requires_grad else x, const(np.zeros((), np.int64)))
    xp = get_array_module(x.array)
    a = xp.moveaxis(x.array, d, -1)
    n = a.shape[-1]
    if n == 0:
        raise OpArgumentError(f"mode(): expected dimension {d} to have non-zero size, got shape {shape_str(x.shape)}")
    s = xp.sort(a, axis=-1)
    pos = xp.arange(n)
    start = xp.ones(s.shape, dtype=bool)
    start[..., 1:] = s[..., 1:] != s[..., :-1]
    run = pos - accumulate("maximum", xp.where(start, pos, 0), -1) + 1  # length of the run so far
    best = xp.take_along_axis(s, run.argmax(-1)[..., None], -1)  # the first longest run: the smallest value
    hit = a == best
    last = (n - 1) - xp.flip(hit, -1).argmax(-1)
    idx = const(xp.moveaxis(last[..., None], -1, d).astype(np.int64))
    values = gather(x, d, idx)
    if not keepdim:
        values, idx = squeeze(values, d), squeeze(idx, d)
    return ValuesIndices(values, idx)


def _quantile(input, q, dim, keepdim, interpolation, name, ignore_nan):
    x = ensure_tensor(input)
    if x.dtype.kind != "f":
        raise OpArgumentError(f"{name}(): expected a floating-point input, got {x.dtype}")
    xp = get_array_module(x.array)
    qa = q.array if isinstance(q, Tensor) else xp.asarray(q, dtype=x.dtype)
    if qa.ndim > 1:
        raise OpArgumentError(f"{name}(): q must be a number or a 1-D tensor, got shape {qa.shape}")
    if qa.size and (float(qa.min()) < 0 or float(qa.max()) > 1):
        raise OpArgumentError(f"{name}(): q values must be in [0, 1]")
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise OpArgumentError(f"{name}(): interpolation must be linear, lower, higher, midpoint or nearest")
    d = resolve_dim(dim, None, name)
    if d is None:
        x, d = reshape(x, (-1,)), 0
    else:
        d = one_dim(d, x.ndim, name)
        if x.ndim == 0:
            x = reshape(x, (1,))
    a = x.array
    n = a.shape[d]
    if n == 0:
        raise OpArgumentError(f"{name}(): expected a non-empty input")
    nan = xp.isnan(a).sum(d, keepdims=True)
    count = (n - nan) if ignore_nan else xp.full(nan.shape, n)
    qs = qa.reshape(-1)
    order = _argsort(a, d, False)
    outs = []
    bad = (nan > 0) if not ignore_nan else (count == 0)
    for qv in qs.tolist():
        # a row with NaN (all NaN for nanquantile) reads its last sorted element, a NaN, as PyTorch
        rank = xp.where(bad, n - 1, qv * xp.maximum(count - 1, 0))
        lo, hi = xp.floor(rank).astype(np.int64), xp.ceil(rank).astype(np.int64)
        if interpolation == "nearest":
            lo = hi = xp.round(rank).astype(np.int64)  # half to even, as PyTorch
        elif interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi
        ilo = const(xp.take_along_axis(order, lo, d).astype(np.int64))
        ihi = const(xp.take_along_axis(order, hi, d).astype(np.int64))
        vlo, vhi = gather(x, d, ilo), gather(x, d, ihi)
        if interpolation == "midpoint":
            v = vlo + (vhi - vlo) * 0.5
        elif interpolation == "linear":
            v = vlo + (vhi - vlo) * const((rank - lo).astype(a.dtype))
        else:
            v = vlo
        outs.append(v if keepdim else squeeze(v, d))
    if dim is None and keepdim:
        shape = (1,) * ensure_tensor(input).ndim
        outs = [reshape(o, shape) for o in outs]
    if qa.ndim == 0:
        return outs[0]
    from .shape import stack

    return stack(outs, 0)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear") -> Tensor:
    """The ``q``-th quantiles (``q`` a number or 1-D tensor in [0, 1]) along ``dim`` or of everything.

    With a 1-D ``q`` the result has the quantiles along a new first dim. A NaN in a row makes
    its quantiles NaN. The gradient goes to the (one or two) elements each quantile lies between.

    Examples:
        >>> import gradkit as gk
        >>> gk.quantile(gk.tensor([1.0, 2.0, 3.0, 4.0]), 0.5).item()
        2.5
    """
    return _quantile(input, q, dim, keepdim, interpolation, "quantile", False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear") -> Tensor:
    """:func:`quantile` of the values that are not NaN.

    Examples:
        >>> import gradkit as gk
        >>> gk.nanquantile(gk.tensor([1.0, float("nan"), 3.0]), 0.5).item()
        2.0
    """
    return _quantile(input, q, dim, keepdim, interpolation, "nanquantile", True)


# --------------------------------------------------------------------- sorted search
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None) -> Tensor:
    """Where each value of ``input`` would go in ``sorted_sequence`` (along its last dim) to keep it sorted.

    ``right=True`` (or ``side='right'``) gives the place after equal values. A 1-D sequence
    serves every value; an N-d one has ``input``'s leading dims. No gradient.

    Examples:
        >>> import gradkit as gk
        >>> gk.searchsorted(gk.tensor([1, 3, 5, 7]), gk.tensor([3, 6, 9])).tolist()
        [1, 3, 4]
    """
    seq = ensure_tensor(sorted_sequence)
    scalar = not isinstance(input, Tensor) and np.ndim(input) == 0
    vals = ensure_tensor(input)
    xp = get_array_module(seq.array)
    if side is not None:
        if side not in ("left", "right"):
            raise OpArgumentError(f"searchsorted(): side must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise OpArgumentError("searchsorted(): side='left' contradicts right=True")
        right = side == "right"
    how = "right" if right else "left"
    s = seq.array
    srt = None if sorter is None else (sorter.array if isinstance(sorter, Tensor) else xp.asarray(sorter))
    if srt is not None:
        s = xp.take_along_axis(s, srt, -1)
    v = vals.array
    if s.ndim <= 1:
        res = xp.searchsorted(s.reshape(-1), v, side=how)
    else:
        if s.shape[:-1] != v.shape[:-1]:
            raise OpArgumentError(
                f"searchsorted(): sorted_sequence {shape_str(s.shape)} and input {shape_str(v.shape)} must have the "
                "same leading dims"
            )
        rows_s = s.reshape(-1, s.shape[-1])
        rows_v = v.reshape(-1, v.shape[-1])
        res = xp.stack([xp.searchsorted(rs, rv, side=how) for rs, rv in zip(rows_s, rows_v)]).reshape(v.shape)
    res = xp.asarray(res, dtype=np.int32 if out_int32 else np.int64)
    return const(res.reshape(()) if scalar else res)


def bucketize(input, boundaries, *, out_int32=False, right=False) -> Tensor:
    """The bucket of each value among the sorted 1-D ``boundaries`` (``right`` as in PyTorch).

    With ``right=False`` value ``v`` goes to ``i`` with ``boundaries[i-1] < v <= boundaries[i]``.

    Examples:
        >>> import gradkit as gk
        >>> gk.bucketize(gk.tensor([1, 5, 9]), gk.tensor([1, 3, 5, 7])).tolist()
        [0, 2, 4]
    """
    b = ensure_tensor(boundaries)
    if b.ndim != 1:
        raise OpArgumentError(f"bucketize(): boundaries must be 1-D, got shape {shape_str(b.shape)}")
    return searchsorted(b, input, out_int32=out_int32, right=right)


# --------------------------------------------------------------------- unique values, counts
def _unique_results(values, inverse, counts, return_inverse, return_counts):
    out = [const(values)]
    if return_inverse:
        out.append(const(inverse.astype(np.int64)))
    if return_counts:
        out.append(const(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values of ``input`` in ascending order (or distinct slices along ``dim``); no gradient.

    Args:
        input: a tensor.
        sorted: accepted for PyTorch (the result is always sorted).
        return_inverse: also return, for each element (slice), the index of its value in the result.
        return_counts: also return how often each distinct value occurs.
        dim: compare whole slices along this dim instead of single elements.

    Returns:
        The values, or a tuple ``(values[, inverse][, counts])``.

    Examples:
        >>> import gradkit as gk
        >>> v, inv, cnt = gk.unique(gk.tensor([3, 1, 3, 2]), return_inverse=True, return_counts=True)
        >>> v.tolist(), inv.tolist(), cnt.tolist()
        ([1, 2, 3], [2, 0, 2, 1], [1, 1, 2])
    """
    x = ensure_tensor(input)
    xp = get_array_module(x.array)
    if dim is None:
        vals, inv, cnt = xp.unique(x.array, return_inverse=True, return_counts=True)
        inv = inv.reshape(x.shape)
    else:
        d = one_dim(dim, x.ndim, "unique")
        vals, inv, cnt = np.unique(x.numpy(), return_inverse=True, return_counts=True, axis=d)
        vals, inv, cnt = xp.asarray(vals), xp.asarray(inv.reshape(-1)), xp.asarray(cnt)
    return _unique_results(vals, inv, cnt, return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """``input`` with each run of equal consecutive values (or slices along ``dim``) kept once.

    Examples:
        >>> import gradkit as gk
        >>> v, cnt = gk.unique_consecutive(gk.tensor([1, 1, 2, 2, 3, 1]), return_counts=True)
        >>> v.tolist(), cnt.tolist()
        ([1, 2, 3, 1], [2, 2, 1, 1])
    """
    x = ensure_tensor(input)
    xp = get_array_module(x.array)
    if dim is None:
        a = x.array.reshape(-1)
        change = a[1:] != a[:-1]
        lead, shape = a, x.shape
    else:
        d = one_dim(dim, x.ndim, "unique_consecutive")
        lead = xp.moveaxis(x.array, d, 0)
        flat = lead.reshape(lead.shape[0], -1)
        change = (flat[1:] != flat[:-1]).any(axis=1)
        shape = (x.shape[d],) if x.ndim else (1,)
    n = lead.shape[0] if lead.ndim else 1
    if n == 0:
        empty = xp.zeros(0, dtype=np.int64)
        return _unique_results(x.array, xp.zeros(shape, np.int64), empty, return_inverse, return_counts)
    start = xp.concatenate([xp.ones(1, dtype=bool), change])
    group = xp.cumsum(start) - 1
    firsts = xp.nonzero(start)[0]
    vals = lead.reshape(-1)[firsts] if dim is None else xp.moveaxis(lead[firsts], 0, d)
    counts = xp.diff(xp.concatenate([firsts, xp.asarray([n])]))
    return _unique_results(vals, group.reshape(shape), counts, return_inverse, return_counts)


def bincount(input, weights=None, minlength=0) -> Tensor:
    """How often each value ``0..max`` occurs in the 1-D non-negative integer ``input`` (or the sum of ``weights``).

    Examples:
        >>> import gradkit as gk
        >>> gk.bincount(gk.tensor([0, 2, 2]), minlength=4).tolist()
        [1, 0, 2, 0]
    """
    x = ensure_tensor(input)
    if x.ndim != 1 or x.dtype.kind not in "iub":
        raise OpArgumentError(
            f"bincount(): expected a 1-D integer tensor, got shape {shape_str(x.shape)} and dtype {x.dtype}"
        )
    xp = get_array_module(x.array)
    if x.array.size and int(x.array.min()) < 0:
        raise OpArgumentError("bincount(): input must be non-negative")
    if weights is None:
        return const(xp.bincount(x.array, minlength=int(minlength)).astype(np.int64))
    w = ensure_tensor(weights)
    if w.shape != x.shape:
        raise OpArgumentError(f"bincount(): weights {shape_str(w.shape)} must have the input's shape {shape_str(x.shape)}")
    dtype = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
    return const(xp.bincount(x.array, weights=w.array, minlength=int(minlength)).astype(dtype))
