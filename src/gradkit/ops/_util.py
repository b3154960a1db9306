"""Shared helpers for ops: operand coercion, dim/axis arguments, constants."""

from __future__ import annotations

import functools
import numbers

import numpy as np

from ..autograd.function import Op
from ..backend import get_array_module, get_default_dtype
from ..tensor import Tensor, _make, _to_array


def const(array) -> Tensor:
    """Wrap an array as a constant (no grad) tensor."""
    return _make(array, False, None)


def _quiet(method):
    @functools.wraps(method)
    def wrapper(self, *args):
        with np.errstate(all="ignore"):
            return method(self, *args)

    return wrapper


class QuietOp(Op):
    """An op whose forward and backward meet log(0), 0/0 or 1/0 by design: inf and NaN come silently, as in torch.

    Both the forward and the subclass's ``backward`` run under ``np.errstate(all="ignore")``
    (NumPy would warn; pytest here turns warnings into errors).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "backward" in vars(cls):
            cls.backward = _quiet(vars(cls)["backward"])

    __call__ = _quiet(Op.__call__)


# ----------------------------------------------------------------- type promotion (PyTorch's rules)
# Categories: bool < integer < floating < complex. Dimensioned tensors decide the result inside their
# category; a 0-d tensor or a Python number only moves the result up a category (int32 tensor + 0-d
# int64 tensor is int32; int tensor + 2.5 is the default float dtype; float32 tensor + 0-d float64
# tensor stays float32), as in torch.result_type.
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_BOOL, _INT64 = np.dtype(bool), np.dtype(np.int64)


def promote_types(d1, d2) -> np.dtype:
    """torch.promote_types on NumPy dtypes: the lower category yields (int64 + float32 is float32)."""
    if d1 == d2:
        return d1
    c1, c2 = _CATEGORY[d1.kind], _CATEGORY[d2.kind]
    if c1 != c2 and not (c1 >= 2 and c2 >= 2):
        return d1 if c1 > c2 else d2
    return np.promote_types(d1, d2)


def _combine(higher, lower):
    """Merge the result of a higher-priority group of operands with a lower one (torch's rule)."""
    if higher is None:
        return lower
    if lower is None or higher.kind == "c":
        return higher
    if lower.kind == "c":
        return np.promote_types(higher, np.complex64) if higher.kind == "f" else lower
    if higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return promote_types(higher, lower)
    return higher


def _number_dtype(x):
    if isinstance(x, (bool, np.bool_)):
        return _BOOL
    if isinstance(x, numbers.Integral):
        return _INT64
    if isinstance(x, numbers.Real):
        return get_default_dtype()
    if isinstance(x, numbers.Complex):
        return np.dtype(np.complex128 if get_default_dtype() == np.float64 else np.complex64)
    return None


def result_type(*operands) -> np.dtype:
    """The dtype PyTorch gives an elementwise op of ``operands`` (Tensors, arrays or Python numbers).

    Examples:
        >>> import gradkit as gk
        >>> from gradkit.ops._util import result_type
        >>> result_type(gk.tensor([1, 2]), 2.5), result_type(gk.tensor([1.0]), gk.tensor(2.0, dtype="float64"))
        (dtype('float32'), dtype('float32'))
    """
    dim = zero = wrapped = None
    for x in operands:
        if isinstance(x, Tensor):
            d, nd = x.array.dtype, x.array.ndim
        elif isinstance(x, numbers.Number):  # Python and NumPy scalars count as Python numbers
            d = _number_dtype(x)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
            continue
        else:
            arr = _to_array(x, None, None)
            d, nd = arr.dtype, arr.ndim
        if nd:
            dim = d if dim is None else promote_types(dim, d)
        else:
            zero = d if zero is None else promote_types(zero, d)
    return _combine(dim, _combine(zero, wrapped))


def _as_dtype(x, dtype, like) -> Tensor:
    """``x`` (a Tensor, number or array) as a tensor of ``dtype`` on ``like``'s device.

    A tensor that requires grad is cast by the differentiable cast op, so its gradient flows back
    in its own dtype.
    """
    if isinstance(x, Tensor):
        if x.array.dtype == dtype:
            return x
        if x.requires_grad and dtype.kind in "fc":
            from .elementwise import cast  # elementwise imports this module

            return cast(x, dtype)
        return _make(x.array.astype(dtype), False, None)
    xp = get_array_module(like.array)
    if isinstance(x, numbers.Number):
        arr = np.asarray(x)
        if dtype.kind in "iu" and arr.dtype.kind in "iu" and arr.dtype != dtype:
            arr = arr.astype(np.int64).astype(dtype)  # wraps out-of-range ints as torch does (uint8 + 300)
        else:
            arr = arr.astype(dtype)
    else:
        arr = _to_array(x, None, None).astype(dtype, copy=False)
    if xp is not np and isinstance(arr, np.ndarray):
        arr = xp.asarray(arr)
    return _make(arr, False, None)


def as_operand(x, like: Tensor) -> Tensor:
    """Turn a Python scalar, list or array into a constant tensor of the dtype it takes next to ``like``."""
    return _as_dtype(x, result_type(like, x), like)


def coerce(a, b, floating=False):
    """Two operands as tensors of their common dtype (:func:`result_type`, PyTorch's promotion).

    With ``floating=True`` an integer or bool result becomes the default float dtype (true
    division, atan2, hypot...). Two tensors of one dtype are returned as they are (the hot path).
    """
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        da = a.array.dtype
        if da == b.array.dtype and (da.kind in "fc" or not floating):
            return a, b
    elif not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError("at least one operand must be a Tensor")
    dtype = result_type(a, b)
    if floating and dtype.kind not in "fc":
        dtype = get_default_dtype()
    like = a if isinstance(a, Tensor) else b
    return _as_dtype(a, dtype, like), _as_dtype(b, dtype, like)


def floating(x) -> Tensor:
    """``x`` as a tensor, integer and bool ones cast to the default float dtype (for exp, sqrt, ...)."""
    x = ensure_tensor(x)
    if x.array.dtype.kind not in "fc":
        return _make(x.array.astype(get_default_dtype()), False, None)
    return x


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
