"""Argument checks shared by the reductions, scans and selection ops: dims, index tensors, errors.

Messages name the op, the argument and what was expected, in PyTorch's terms. Where PyTorch
raises ``RuntimeError`` for a misuse, these raise :class:`OpArgumentError` (a ``RuntimeError``);
an index out of range raises :class:`IndexOutOfRange`, which is both an ``IndexError`` and a
``RuntimeError`` (PyTorch raises one or the other depending on the op).

Examples:
    >>> from gradkit.ops._checks import reduce_axes
    >>> reduce_axes(-1, 2, "sum"), reduce_axes((0, -1), 3, "sum"), reduce_axes(-1, 0, "sum")
    ((1,), (0, 2), ())
"""

from __future__ import annotations

import numbers

import numpy as np

from ..backend import get_array_module
from ..tensor import Tensor, _to_array


class OpArgumentError(RuntimeError):
    """An op got an argument it cannot use (a RuntimeError, as in PyTorch)."""


class IndexOutOfRange(IndexError, RuntimeError):
    """An index is outside the size of the dimension it indexes."""


def one_dim(dim, ndim: int, name: str, arg: str = "dim") -> int:
    """One dimension as a non-negative int; a 0-d tensor accepts 0 and -1 (as PyTorch)."""
    if isinstance(dim, bool) or not isinstance(dim, (numbers.Integral, np.integer)):
        raise TypeError(f"{name}(): argument '{arg}' must be an int, got {type(dim).__name__}")
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    d = int(dim)
    if not lo <= d <= hi:
        raise IndexOutOfRange(
            f"{name}(): {arg}={d} is out of range for a tensor with {ndim} dimensions "
            f"(expected a dim in [{lo}, {hi}])"
        )
    return d % ndim if ndim else 0


def reduce_axes(dim, ndim: int, name: str) -> tuple:
    """``dim`` (None, an int, a tuple or list of ints) as a sorted tuple of distinct axes.

    None (or an empty tuple, as in PyTorch) means every axis; a 0-d tensor reduces over nothing
    for ``dim=0``/``-1``.
    """
    if dim is None or (isinstance(dim, (tuple, list)) and not dim):
        return tuple(range(ndim))
    if type(dim) is int and -ndim <= dim < ndim:  # the common case, without the checks below
        return (dim % ndim,)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    out = [one_dim(d, ndim, name) for d in dims]
    if len(set(out)) != len(out):
        raise OpArgumentError(f"{name}(): dim {tuple(dims)} names a dimension more than once")
    return tuple(sorted(set(out))) if ndim else ()


def resolve_dim(dim, axis, name: str):
    """PyTorch's ``dim`` or NumPy's ``axis`` (either may be given, not both)."""
    if axis is not None:
        if dim is not None and dim != axis:
            raise TypeError(f"{name}() got both dim={dim!r} and axis={axis!r}; give one")
        dim = axis
    return tuple(dim) if isinstance(dim, list) else dim


def as_index(index, name: str, arg: str = "index", like=None) -> Tensor:
    """An integer index tensor (int64 as PyTorch; int32 is accepted and kept)."""
    if not isinstance(index, Tensor):
        arr = _to_array(index, None, None)
        if like is not None:
            xp = get_array_module(like.array)
            if xp is not np:
                arr = xp.asarray(arr)
        index = Tensor(arr)
    if index.dtype.kind not in "iu":
        raise OpArgumentError(
            f"{name}(): expected {arg} to be an int64 tensor (torch.long), got dtype {index.dtype}"
        )
    return index


def check_bounds(idx_array, size: int, name: str, dim: int, arg: str = "index") -> None:
    """Raise :class:`IndexOutOfRange` when an entry of ``idx_array`` is outside ``[-size, size)``."""
    if idx_array.size == 0:
        return
    lo, hi = int(idx_array.min()), int(idx_array.max())
    if lo < -size or hi >= size:
        bad = hi if hi >= size else lo
        raise IndexOutOfRange(
            f"{name}(): {arg} {bad} is out of bounds for dimension {dim} with size {size}"
        )


def check_nonneg_bounds(idx_array, size: int, name: str, dim: int, arg: str = "index") -> None:
    """Like :func:`check_bounds`, for ops that (as PyTorch's gather/scatter) take no negative index."""
    if idx_array.size == 0:
        return
    lo, hi = int(idx_array.min()), int(idx_array.max())
    if lo < 0 or hi >= size:
        bad = hi if hi >= size else lo
        raise IndexOutOfRange(
            f"{name}(): {arg} {bad} is out of bounds for dimension {dim} with size {size}"
        )
