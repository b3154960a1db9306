"""Comparisons, logic, bitwise ops, floating-point tests, and the ops that select by comparing (clamp, fmax).

Comparisons and tests return bool tensors and carry no gradient. Operands are promoted as in
PyTorch before comparing (an integer tensor against 0.5 compares as floats). Bitwise ops take
integer or bool tensors (on bool they are the logical ops); shifts by at least the bit width give
0 (or -1 for a negative value shifted right), as torch.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..autograd.function import Op
from ..backend import get_array_module
from ..tensor import Tensor
from ._util import _as_dtype, coerce, const, ensure_tensor, result_type
from .elementwise import MaskMul, _bcast_error, _binary, where
from .shape import sum_to

__all__ = [  # gk.<name>
    "allclose", "bitwise_and", "bitwise_left_shift", "bitwise_not", "bitwise_or", "bitwise_right_shift",
    "bitwise_xor", "clamp", "clip", "eq", "equal", "fmax", "fmin", "ge", "greater", "greater_equal", "gt",
    "isclose", "isfinite", "isinf", "isnan", "isneginf", "isposinf", "le", "less", "less_equal", "logical_and",
    "logical_not", "logical_or", "logical_xor", "lt", "ne", "not_equal",
]


# --------------------------------------------------------------------- comparisons
_CMP = {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal", "eq": "equal", "ne": "not_equal"}


def compare(a, b, how: str) -> Tensor:
    """Elementwise comparison ``how`` (lt, le, gt, ge, eq, ne) after promotion; a bool tensor, no gradient."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    if how in ("eq", "ne") and not isinstance(b, Tensor) and not _array_like(b):
        return NotImplemented if b is None else const(get_array_module(a.array).full(a.shape, how == "ne"))
    a, b = coerce(a, b)
    xp = get_array_module(a.array, b.array)
    try:
        return const(getattr(xp, _CMP[how])(a.array, b.array))
    except ValueError:
        raise _bcast_error(_CMP[how], a, b) from None


def _array_like(x):
    from ..backend import is_cupy_array

    return isinstance(x, (numbers.Number, np.ndarray, np.generic, list, tuple)) or is_cupy_array(x)


def eq(input, other) -> Tensor:
    """``input == other`` elementwise (bool).

    Example:
        >>> import gradkit as gk
        >>> gk.eq(gk.tensor([1, 2]), 2.0).tolist()
        [False, True]
    """
    return compare(input, other, "eq")


def ne(input, other) -> Tensor:
    """``input != other`` elementwise (bool)."""
    return compare(input, other, "ne")


def lt(input, other) -> Tensor:
    """``input < other`` elementwise (bool)."""
    return compare(input, other, "lt")


def le(input, other) -> Tensor:
    """``input <= other`` elementwise (bool)."""
    return compare(input, other, "le")


def gt(input, other) -> Tensor:
    """``input > other`` elementwise (bool)."""
    return compare(input, other, "gt")


def ge(input, other) -> Tensor:
    """``input >= other`` elementwise (bool)."""
    return compare(input, other, "ge")


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def equal(input, other) -> bool:
    """True when both tensors have the same shape and the same values (a Python bool, as torch.equal).

    Example:
        >>> import gradkit as gk
        >>> gk.equal(gk.tensor([1, 2]), gk.tensor([1.0, 2.0])), gk.equal(gk.tensor([1]), gk.tensor([1, 1]))
        (True, False)
    """
    input, other = ensure_tensor(input), ensure_tensor(other)
    if input.shape != other.shape:
        return False
    a, b = coerce(input, other)
    return bool(get_array_module(a.array).array_equal(a.array, b.array))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """``|input - other| <= atol + rtol * |other|`` elementwise (bool), as torch.isclose.

    Example:
        >>> import gradkit as gk
        >>> gk.isclose(gk.tensor([1.0, 2.0]), gk.tensor([1.0 + 1e-7, 2.1])).tolist()
        [True, False]
    """
    a, b = coerce(input, other)
    xp = get_array_module(a.array)
    return const(xp.isclose(a.array, b.array, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """True when :func:`isclose` holds everywhere (a Python bool).

    Example:
        >>> import gradkit as gk
        >>> gk.allclose(gk.tensor([1.0, 2.0]), gk.tensor([1.0, 2.0 + 1e-6]))
        True
    """
    return bool(isclose(input, other, rtol, atol, equal_nan).array.all())


# --------------------------------------------------------------------- logical and bitwise
def _logical(name, a, b):
    a, b = _truth_operands(a, b)
    xp = get_array_module(a.array, b.array)
    try:
        return const(getattr(xp, name)(a.array, b.array))
    except ValueError:
        raise _bcast_error(name, a, b) from None


def _truth_operands(a, b):
    """Operands for the logical ops: their truth values only, so no promotion is needed."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError("at least one operand must be a Tensor")
    a = a if isinstance(a, Tensor) else const(np.asarray(a))
    b = b if isinstance(b, Tensor) else const(np.asarray(b))
    return a, b


def logical_not(input) -> Tensor:
    """``not input`` elementwise (bool; any non-zero value is true)."""
    input = ensure_tensor(input)
    return const(get_array_module(input.array).logical_not(input.array))


def logical_and(input, other) -> Tensor:
    """``input and other`` elementwise (bool; any non-zero value is true)."""
    return _logical("logical_and", input, other)


def logical_or(input, other) -> Tensor:
    """``input or other`` elementwise (bool)."""
    return _logical("logical_or", input, other)


def logical_xor(input, other) -> Tensor:
    """``input xor other`` elementwise (bool).

    Example:
        >>> import gradkit as gk
        >>> gk.logical_xor(gk.tensor([0, 1, 2]), gk.tensor([True, True, False])).tolist()
        [True, False, True]
    """
    return _logical("logical_xor", input, other)


def _integral(name, a, b=None):
    if b is None:
        a = ensure_tensor(a)
    else:
        if not isinstance(a, Tensor) and not isinstance(b, Tensor):
            a = Tensor(a)
        a, b = coerce(a, b)
    if a.array.dtype.kind not in "iub":
        raise NotImplementedError(f"{name} is defined for integer and bool tensors, got dtype {a.array.dtype}")
    return a, b


def _bitwise(name, ufunc, a, b) -> Tensor:
    a, b = _integral(name, a, b)
    if name.endswith("shift") and a.array.dtype.kind == "b":
        raise NotImplementedError(f"{name} is not implemented for bool tensors")
    try:
        return const(ufunc(a.array, b.array))
    except ValueError:
        raise _bcast_error(name, a, b) from None


def _and(x, y):
    return get_array_module(x, y).bitwise_and(x, y)


def _or(x, y):
    return get_array_module(x, y).bitwise_or(x, y)


def _xor(x, y):
    return get_array_module(x, y).bitwise_xor(x, y)


def _lshift(x, s):
    xp = get_array_module(x, s)
    big = s >= x.dtype.itemsize * 8
    return xp.where(big, 0, xp.left_shift(x, xp.where(big, 0, s))).astype(x.dtype, copy=False)


def _rshift(x, s):
    xp = get_array_module(x, s)
    bits = x.dtype.itemsize * 8
    if x.dtype.kind == "i":  # an arithmetic shift by bits - 1 already gives 0 or -1
        return xp.right_shift(x, xp.minimum(s, bits - 1))
    big = s >= bits
    return xp.where(big, 0, xp.right_shift(x, xp.where(big, 0, s))).astype(x.dtype, copy=False)


def bitwise_and(input, other) -> Tensor:
    """``input & other`` on integer or bool tensors.

    Example:
        >>> import gradkit as gk
        >>> gk.bitwise_and(gk.tensor([12, 10]), 6)
        tensor([4, 2], dtype=int64)
    """
    return _bitwise("bitwise_and", _and, input, other)


def bitwise_or(input, other) -> Tensor:
    """``input | other`` on integer or bool tensors."""
    return _bitwise("bitwise_or", _or, input, other)


def bitwise_xor(input, other) -> Tensor:
    """``input ^ other`` on integer or bool tensors."""
    return _bitwise("bitwise_xor", _xor, input, other)


def bitwise_left_shift(input, other) -> Tensor:
    """``input << other`` on integer tensors (a shift by the bit width or more gives 0)."""
    return _bitwise("bitwise_left_shift", _lshift, input, other)


def bitwise_right_shift(input, other) -> Tensor:
    """``input >> other`` on integer tensors (arithmetic for signed integers)."""
    return _bitwise("bitwise_right_shift", _rshift, input, other)


def bitwise_not(input) -> Tensor:
    """``~input``: bitwise not of an integer tensor, logical not of a bool tensor.

    Example:
        >>> import gradkit as gk
        >>> gk.bitwise_not(gk.tensor([0, 5])).tolist(), gk.bitwise_not(gk.tensor([True, False])).tolist()
        ([-1, -6], [False, True])
    """
    a, _ = _integral("bitwise_not", input)
    return const(get_array_module(a.array).invert(a.array))


# --------------------------------------------------------------------- floating-point tests
def _test(x, fn, fill):
    """``fn(xp, array)`` for floating tensors; integers and bools are all ``fill`` (finite, never NaN)."""
    x = ensure_tensor(x)
    xp = get_array_module(x.array)
    if x.array.dtype.kind not in "fc":
        return const(xp.full(x.shape, fill))
    return const(fn(xp, x.array))


def isnan(input) -> Tensor:
    """Elementwise NaN test (bool)."""
    return _test(input, lambda xp, a: xp.isnan(a), False)


def isinf(input) -> Tensor:
    """Elementwise test for +-inf (bool)."""
    return _test(input, lambda xp, a: xp.isinf(a), False)


def isposinf(input) -> Tensor:
    """Elementwise test for +inf (bool)."""
    return _test(input, lambda xp, a: a == xp.inf, False)


def isneginf(input) -> Tensor:
    """Elementwise test for -inf (bool)."""
    return _test(input, lambda xp, a: a == -xp.inf, False)


def isfinite(input) -> Tensor:
    """Elementwise test for a finite value (bool; integers are always finite).

    Example:
        >>> import gradkit as gk
        >>> gk.isfinite(gk.tensor([1.0, float("inf"), float("nan")])).tolist()
        [True, False, False]
    """
    return _test(input, lambda xp, a: xp.isfinite(a), True)


# --------------------------------------------------------------------- selecting by comparison
class FMax(Op):
    """Elementwise maximum ignoring NaN; the gradient goes to ``a`` where ``a >= b`` or ``b`` is NaN (torch)."""

    _pick, _keep = "fmax", "greater_equal"

    def forward(self, a, b):
        return getattr(get_array_module(a, b), self._pick)(a, b)

    def backward(self, gy):
        a, b = self.inputs
        xp = get_array_module(gy.array)
        to_a = getattr(xp, self._keep)(a.array, b.array) | xp.isnan(b.array)
        zero = const(xp.zeros((), dtype=gy.dtype))
        ga = sum_to(where(const(to_a), gy, zero), a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(where(const(to_a), zero, gy), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class FMin(FMax):
    _pick, _keep = "fmin", "less_equal"


def fmax(input, other) -> Tensor:
    """Elementwise maximum where a NaN loses to a number (NumPy's and torch's fmax).

    Example:
        >>> import gradkit as gk
        >>> gk.fmax(gk.tensor([1.0, float("nan")]), gk.tensor([2.0, 0.5]))
        tensor([2. , 0.5])
    """
    return _binary(FMax, "fmax", input, other)


def fmin(input, other) -> Tensor:
    """Elementwise minimum where a NaN loses to a number."""
    return _binary(FMin, "fmin", input, other)


class Clamp(Op):
    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        return get_array_module(x).clip(x, self.lo, self.hi)

    def backward(self, gy):
        x = self.inputs[0].array
        mask = get_array_module(x).ones((), dtype=bool) if self.lo is None else x >= self.lo
        if self.hi is not None:
            mask = mask & (x <= self.hi)
        return MaskMul(mask)(gy)


class ClampTensor(Op):
    """``min(max(x, lo), hi)`` with tensor bounds; the gradient goes where torch sends it.

    To ``x`` where ``lo <= x <= hi``; to ``lo`` where ``x < lo`` (and ``lo < hi`` when both are
    given); to ``hi`` where ``x > hi`` (or everywhere ``hi < lo``, where the result is ``hi``).
    """

    def __init__(self, has_lo, has_hi):
        self.has_lo, self.has_hi = has_lo, has_hi

    def forward(self, x, *bounds):
        xp = get_array_module(x)
        bounds = list(bounds)
        y = xp.maximum(x, bounds.pop(0)) if self.has_lo else x
        return xp.minimum(y, bounds.pop(0)) if self.has_hi else y

    def backward(self, gy):
        x, *bounds = [t.array for t in self.inputs]
        lo = bounds.pop(0) if self.has_lo else None
        hi = bounds.pop(0) if self.has_hi else None
        xp = get_array_module(x)
        masks = [xp.ones((), dtype=bool)]
        if lo is not None:
            masks[0] = x >= lo
            masks.append((x < lo) & (lo < hi) if hi is not None else x < lo)
        if hi is not None:
            masks[0] = masks[0] & (x <= hi)
            masks.append((x > hi) | (hi < lo) if lo is not None else x > hi)
        zero = const(xp.zeros((), dtype=gy.dtype))
        return tuple(
            sum_to(where(const(m), gy, zero), t.shape) if need else None
            for m, t, need in zip(masks, self.inputs, self.needs_input_grad)
        )


def clamp(input, min=None, max=None) -> Tensor:
    """Limit values to ``[min, max]``; the gradient flows where ``min <= x <= max`` (as torch).

    Args:
        input: the tensor.
        min: lower bound: a number or a tensor broadcastable to ``input``.
        max: upper bound, likewise. Where ``min > max`` the result is ``max``.

    Returns:
        The clamped tensor, in the promoted dtype (an integer tensor with a float bound gives
        the default float dtype).

    Raises:
        ValueError: when neither bound is given.

    Example:
        >>> import gradkit as gk
        >>> gk.clamp(gk.tensor([-2.0, 0.5, 3.0]), min=0, max=1)
        tensor([0. , 0.5, 1. ])
    """
    if min is None and max is None:
        raise ValueError("clamp() needs at least one of min or max")
    input = ensure_tensor(input)
    bounds = [b for b in (min, max) if b is not None]
    dtype = result_type(input, *bounds)
    if dtype != input.array.dtype:
        input = _as_dtype(input, dtype, input)
    if not any(isinstance(b, Tensor) for b in bounds):
        return Clamp(min, max)(input)
    bounds = [_as_dtype(b, dtype, input) for b in bounds]
    return ClampTensor(min is not None, max is not None)(input, *bounds)


def clip(input, min=None, max=None) -> Tensor:
    """Alias of :func:`clamp`."""
    return clamp(input, min, max)
