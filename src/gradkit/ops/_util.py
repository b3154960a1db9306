"""Shared helpers for ops: operand coercion, dim/axis arguments, constants."""

from __future__ import annotations

import numbers

import numpy as np

from ..backend import get_array_module, get_default_dtype
from ..tensor import Tensor, _make, _to_array


def const(array) -> Tensor:
    """Wrap an array as a constant (no grad) tensor."""
    return _make(array, False, None)


def _scalar_dtype(x, ld):
    if ld.kind in "fc":
        return ld
    if isinstance(x, bool):
        return ld if ld.kind == "b" else (np.dtype(np.int64) if ld.kind not in "iu" else ld)
    if isinstance(x, numbers.Integral):
        return ld if ld.kind in "iu" else np.dtype(np.int64)
    return get_default_dtype()


def as_operand(x, like: Tensor) -> Tensor:
    """Turn a Python scalar, list or array into a constant tensor that fits ``like``.

    A Python scalar takes ``like``'s floating dtype (no upcast of float32); an integer or
    bool array next to a float tensor is cast to that float dtype.
    """
    ld = like.array.dtype
    xp = get_array_module(like.array)
    if isinstance(x, numbers.Number) and not isinstance(x, np.ndarray):
        return _make(xp.asarray(x, dtype=_scalar_dtype(x, ld)), False, None)
    if isinstance(x, np.generic):
        arr = np.asarray(x)
    else:
        arr = _to_array(x, None, None)
    if ld.kind == "f" and arr.dtype.kind in "iub":
        arr = arr.astype(ld)
    if xp is not np and isinstance(arr, np.ndarray):
        arr = xp.asarray(arr)
    return _make(arr, False, None)


def coerce(a, b):
    """Two operands as tensors of compatible dtypes (int next to float becomes that float)."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError("at least one operand must be a Tensor")
        a = as_operand(a, b)
    elif not isinstance(b, Tensor):
        b = as_operand(b, a)
    # a float scalar next to an integer tensor is a 0-d array of the default dtype: NumPy
    # would promote int64 with it to float64, so the integer side is cast here as well
    ka, kb = a.array.dtype.kind, b.array.dtype.kind
    if ka == "f" and kb != "f":
        b = _make(b.array.astype(a.array.dtype), False, None)
    elif kb == "f" and ka != "f":
        a = _make(a.array.astype(b.array.dtype), False, None)
    return a, b


def dim_arg(dim, axis, name):
    """Resolve torch's ``dim`` and NumPy's ``axis`` (either may be given, not both)."""
    if axis is not None:
        if dim is not None and dim != axis:
            raise TypeError(f"{name}() got both dim={dim!r} and axis={axis!r}; give one")
        dim = axis
    if isinstance(dim, list):
        dim = tuple(dim)
    return dim


def norm_axes(dim, ndim):
    """``dim`` (None, int or tuple) as a tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        dim = (int(dim),)
    out = []
    for d in dim:
        if not -ndim <= d < max(ndim, 1):
            raise IndexError(f"dimension {d} is out of range for a tensor with {ndim} dimensions")
        out.append(d % ndim if ndim else 0)
    return tuple(out)


def keep_shape(shape, axes):
    """``shape`` with the reduced ``axes`` kept as size 1."""
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def ensure_tensor(x, name="input") -> Tensor:
    if isinstance(x, Tensor):
        return x
    return Tensor(x)


def shape_str(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
