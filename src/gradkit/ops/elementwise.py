"""Elementwise ops: arithmetic with broadcasting, and unary functions.

Each binary op's backward sums its gradient back to each input's shape (``sum_to``).
Backward rules use gradkit ops, so they can be differentiated again; where a rule
needs the forward's output it calls ``self.output()`` (see :class:`~gradkit.autograd.function.Op`).
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import get_array_module, get_default_dtype
from ..parallel import ELEMENTWISE_MIN, outer_axis, parallel_pieces
from ..errors import ShapeError
from ..tensor import Tensor
from ._util import QuietOp, coerce, const, ensure_tensor, floating, shape_str
from .shape import sum_to


__all__ = [  # gk.<name>; the other functions here are gradkit-internal
    "abs", "add", "clone", "cos", "div", "exp", "floor_divide", "log", "maximum", "minimum",
    "mul", "neg", "pow", "relu", "sigmoid", "sign", "sin", "sqrt", "square", "sub", "tanh", "true_divide", "where",
]


def _bcast_error(name, a, b):
    return ShapeError(
        f"{name}: shapes {shape_str(a.shape)} and {shape_str(b.shape)} cannot be broadcast together"
    )


def _binary(op_cls, name, a, b, floating=False):
    a, b = coerce(a, b, floating)
    try:
        return op_cls()(a, b)
    except ValueError as exc:
        if "broadcast" in str(exc):
            raise _bcast_error(name, a, b) from None
        raise


# --------------------------------------------------------------------- arithmetic
class Add(Op):
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (sum_to(gy, a.shape) if na else None, sum_to(gy, b.shape) if nb else None)


class Sub(Op):
    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (sum_to(gy, a.shape) if na else None, sum_to(-gy, b.shape) if nb else None)


class Mul(Op):
    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (sum_to(gy * b, a.shape) if na else None, sum_to(gy * a, b.shape) if nb else None)


class Div(Op):
    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = gy / b
        gb = sum_to(-ga * a / b, b.shape) if nb else None
        return (sum_to(ga, a.shape) if na else None, gb)


class Neg(Op):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class PowScalar(Op):
    """``x ** c`` for a constant Python exponent ``c`` (zero gradient for ``c == 0``, as torch)."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        c = self.c
        if c < 0 or c != int(c):  # 0 ** -1 is inf, (-1) ** 0.5 NaN: silently, as torch
            with np.errstate(divide="ignore", invalid="ignore"):
                return x**c
        return x**c

    def backward(self, gy):
        (x,) = self.inputs
        c = self.c
        if c == 0:
            return zeros_like(gy)
        if c == 1:
            return gy
        if c == 2:
            return gy * (x * 2)
        return gy * (pow(x, c - 1) * c)


class Pow(QuietOp):
    """``a ** b`` with a tensor exponent.

    As torch: the base's gradient is 0 where the exponent is 0; the exponent's gradient
    ``a**b * log(a)`` is 0 where the base is 0 and the exponent >= 0 (NaN for a negative base).
    """

    saves_output = True

    def forward(self, a, b):
        out = a**b
        return out if out.dtype == a.dtype else out.astype(a.dtype)  # NumPy gives bool ** bool as int8

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        zero = const(get_array_module(gy.array).zeros((), dtype=gy.dtype))
        ga = gb = None
        if na:
            ga = sum_to(where(const(b.array == 0), zero, gy * (b * pow(a, b - 1))), a.shape)
        if nb:
            cond = const((a.array == 0) & (b.array >= 0))
            gb = sum_to(where(cond, zero, gy * (self.output() * log(a))), b.shape)
        return ga, gb


class ZeroGrad(Op):
    """A function whose derivative is 0 wherever it exists (sign, floor, round, rounded division).

    It stays in the graph, as in torch: its inputs receive a zero gradient rather than none.
    """

    def __init__(self, fn):
        self.fn = fn

    def forward(self, *arrays):
        return self.fn(*arrays)

    def backward(self, gy):
        z = zeros_like(gy)
        return tuple(sum_to(z, x.shape) if need else None for x, need in zip(self.inputs, self.needs_input_grad))


def zeros_like(t) -> Tensor:
    """A constant zero tensor shaped and typed like ``t``."""
    return const(get_array_module(t.array).zeros(t.shape, dtype=t.dtype))


# Ops with a Python-number operand: one input, no constant tensor, no coercion.
# Only for floating tensors, where NumPy keeps the tensor's dtype for a Python scalar.
class AddScalar(Op):
    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x + self.c

    def backward(self, gy):
        return gy


class MulScalar(Op):
    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x * self.c

    def backward(self, gy):
        return MulScalar(self.c)(gy)


class RSubScalar(Op):
    """``c - x``."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return self.c - x

    def backward(self, gy):
        return -gy


class DivScalar(Op):
    """``x / c``."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x / self.c

    def backward(self, gy):
        return DivScalar(self.c)(gy)


class RDivScalar(Op):
    """``c / x``."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return self.c / x

    def backward(self, gy):
        x = self.inputs[0]
        return MulScalar(-self.c)(gy) / (x * x)


_PY_NUMBERS = (int, float)


def _float_tensor(t) -> bool:
    return isinstance(t, Tensor) and t.array.dtype.kind == "f"


def _no_bool(t, what):
    if isinstance(t, Tensor) and t.array.dtype.kind == "b":
        raise RuntimeError(f"{what} with a bool tensor is not supported; use logical_not() or ~ for bool tensors")


def _alpha_other(b, alpha, a):
    if isinstance(a, Tensor) and a.array.dtype.kind in "iub" and isinstance(alpha, float):
        raise RuntimeError(f"for integral input tensors, argument alpha must not be a floating point number, got {alpha}")
    return mul(b, alpha) if isinstance(b, Tensor) else b * alpha


def add(input, other, *, alpha=1) -> Tensor:
    """``input + alpha * other`` with broadcasting and PyTorch's type promotion.

    Args:
        input: a tensor or number.
        other: a tensor or number.
        alpha: multiplier of ``other``.

    Returns:
        The sum, in the promoted dtype (int + int stays int, bool + bool is logical or).

    Example:
        >>> import gradkit as gk
        >>> gk.add(gk.tensor([1.0, 2.0]), gk.tensor([1.0, 1.0]), alpha=10)
        tensor([11., 12.])
    """
    if alpha != 1:
        other = _alpha_other(other, alpha, input)
    if type(other) in _PY_NUMBERS and _float_tensor(input):
        return AddScalar(other)(input)
    if type(input) in _PY_NUMBERS and _float_tensor(other):
        return AddScalar(input)(other)
    return _binary(Add, "add", input, other)


def sub(input, other, *, alpha=1) -> Tensor:
    """``input - alpha * other`` with broadcasting (not defined for bool tensors, as in torch).

    Example:
        >>> import gradkit as gk
        >>> gk.sub(gk.tensor([5, 6]), 1, alpha=2)
        tensor([3, 4], dtype=int64)
    """
    if alpha != 1:
        other = _alpha_other(other, alpha, input)
    if type(other) in _PY_NUMBERS and _float_tensor(input):
        return AddScalar(-other)(input)
    if type(input) in _PY_NUMBERS and _float_tensor(other):
        return RSubScalar(input)(other)
    _no_bool(input, "subtraction (the - operator)")
    _no_bool(other, "subtraction (the - operator)")
    return _binary(Sub, "sub", input, other)


def mul(input, other) -> Tensor:
    """``input * other`` elementwise with broadcasting (bool * bool is logical and).

    Example:
        >>> import gradkit as gk
        >>> gk.mul(gk.tensor([1, 2]), 0.5)
        tensor([0.5, 1. ])
    """
    if type(other) in _PY_NUMBERS and _float_tensor(input):
        return MulScalar(other)(input)
    if type(input) in _PY_NUMBERS and _float_tensor(other):
        return MulScalar(input)(other)
    return _binary(Mul, "mul", input, other)


def div(input, other, *, rounding_mode=None) -> Tensor:
    """``input / other`` with broadcasting: true division, or rounded as torch.div.

    Args:
        input: dividend (tensor or number).
        other: divisor (tensor or number).
        rounding_mode: None (true division; integers give the default float dtype),
            ``'trunc'`` (round toward zero) or ``'floor'`` (round down, Python's ``//``); the
            rounded forms keep integer dtypes and have a zero gradient.

    Returns:
        The quotient.

    Raises:
        ValueError: for an unknown ``rounding_mode``.
        RuntimeError: for an integer rounded division by zero.

    Example:
        >>> import gradkit as gk
        >>> gk.div(gk.tensor([7, -7]), 2), gk.div(gk.tensor([7, -7]), 2, rounding_mode="trunc")
        (tensor([ 3.5, -3.5]), tensor([ 3, -3], dtype=int64))
    """
    if rounding_mode is not None:
        return _div_rounded(input, other, rounding_mode)
    if type(other) in _PY_NUMBERS and _float_tensor(input):
        return DivScalar(other)(input)
    if type(input) in _PY_NUMBERS and _float_tensor(other):
        return RDivScalar(input)(other)
    return _binary(Div, "div", input, other, floating=True)


def true_divide(input, other) -> Tensor:
    """True division (alias of :func:`div` without rounding).

    Example:
        >>> import gradkit as gk
        >>> gk.true_divide(gk.tensor([3]), 2)
        tensor([1.5])
    """
    return div(input, other)


def floor_divide(input, other) -> Tensor:
    """``input // other``: division rounded down (Python's ``//``), zero gradient.

    Example:
        >>> import gradkit as gk
        >>> gk.floor_divide(gk.tensor([7, -7]), 2)
        tensor([ 3, -4], dtype=int64)
    """
    return _div_rounded(input, other, "floor")


def _div_rounded(a, b, mode):
    if mode not in ("trunc", "floor"):
        raise ValueError(f"div expected rounding_mode None, 'trunc' or 'floor', got {mode!r}")
    a, b = coerce(a, b)
    kind = a.array.dtype.kind
    if kind == "b":
        raise NotImplementedError(f"div with rounding_mode={mode!r} is not implemented for bool tensors")
    if kind in "iu" and bool((b.array == 0).any()):
        raise RuntimeError("ZeroDivisionError: integer division by zero")
    fn = _floor_div if mode == "floor" else _trunc_div
    try:
        return ZeroGrad(fn)(a, b)
    except ValueError as exc:
        if "broadcast" in str(exc):
            raise _bcast_error("div", a, b) from None
        raise


def _floor_div(a, b):
    xp = get_array_module(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):  # x // 0.0 is +-inf or nan, silently (torch)
        return xp.floor_divide(a, b)


def _trunc_div(a, b):
    xp = get_array_module(a, b)
    if a.dtype.kind == "f":
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.trunc(a / b)
    q = xp.floor_divide(a, b)
    return q + ((q < 0) & (q * b != a)).astype(q.dtype)


def neg(input) -> Tensor:
    """``-input`` (not defined for bool tensors, as in torch).

    Example:
        >>> import gradkit as gk
        >>> gk.neg(gk.tensor([1, -2]))
        tensor([-1,  2], dtype=int64)
    """
    input = ensure_tensor(input)
    _no_bool(input, "negation (the - operator)")
    return Neg()(input)


def pow(input, exponent) -> Tensor:
    """``input ** exponent`` with PyTorch's promotion and gradients.

    A Python-number exponent keeps the rule simple and cheap. Integer tensors keep their dtype
    for non-negative integer exponents; a float or negative exponent gives the default float
    dtype (torch raises for an integer tensor to a negative integer power).

    Example:
        >>> import gradkit as gk
        >>> gk.pow(gk.tensor([2, 3]), 2), gk.pow(2, gk.tensor([1.0, 3.0]))
        (tensor([4, 9], dtype=int64), tensor([2., 8.]))
    """
    if isinstance(exponent, (int, float)) and not isinstance(exponent, bool) and isinstance(input, Tensor):
        kind = input.array.dtype.kind
        if kind not in "fc":
            if isinstance(exponent, float) or exponent < 0:  # torch raises for a negative one; gradkit gives floats
                input = const(input.array.astype(get_default_dtype()))
            elif kind == "b":
                input = const(input.array.astype(np.int64))
        return PowScalar(exponent)(input)
    return _binary(Pow, "pow", input, exponent)


def square(input) -> Tensor:
    """``input * input`` (bool tensors give int64, as in torch).

    Example:
        >>> import gradkit as gk
        >>> gk.square(gk.tensor([-2.0, 3.0]))
        tensor([4., 9.])
    """
    input = ensure_tensor(input)
    if input.array.dtype.kind == "b":
        input = const(input.array.astype(np.int64))
    return PowScalar(2)(input)


# --------------------------------------------------------------------- unary functions
class Exp(Op):
    saves_output = True

    def forward(self, x):
        return get_array_module(x).exp(x)

    def backward(self, gy):
        return gy * self.output()


class Log(QuietOp):
    def forward(self, x):
        return get_array_module(x).log(x)

    def backward(self, gy):
        return gy / self.inputs[0]


class Sqrt(QuietOp):
    saves_output = True

    def forward(self, x):
        return get_array_module(x).sqrt(x)

    def backward(self, gy):
        return gy / (self.output() * 2)


class Abs(Op):
    def forward(self, x):
        return get_array_module(x).abs(x)

    def backward(self, gy):
        x = self.inputs[0].array
        return gy * const(get_array_module(x).sign(x))


class Sin(Op):
    def forward(self, x):
        return get_array_module(x).sin(x)

    def backward(self, gy):
        return gy * cos(self.inputs[0])


class Cos(Op):
    def forward(self, x):
        return get_array_module(x).cos(x)

    def backward(self, gy):
        return -gy * sin(self.inputs[0])


class Tanh(Op):
    saves_output = True

    def forward(self, x):
        return get_array_module(x).tanh(x)

    def backward(self, gy):
        y = self.output()
        return gy * (1 - y * y)


def _sigmoid_array(x):
    """Logistic function without overflow: exp is only taken of -|x|."""
    xp = get_array_module(x)
    z = xp.exp(-xp.abs(x))
    r = 1 / (1 + z)
    return xp.where(x >= 0, r, z * r)


class Sigmoid(Op):
    saves_output = True

    def forward(self, x):
        return _sigmoid_array(x)

    def backward(self, gy):
        y = self.output()
        return gy * (y * (1 - y))


class MaskMul(Op):
    """``x * mask`` for a constant boolean mask (the backward of relu, clamp, dropout)."""

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x):
        mask = self.mask
        if x.size >= ELEMENTWISE_MIN and getattr(mask, "shape", None) == x.shape:  # same-shape mask: split
            y = get_array_module(x).empty_like(x)
            parallel_pieces(_mask_mul, (x, mask, y), (outer_axis(x),) * 3)
            return y
        return x * mask

    def backward(self, gy):
        return MaskMul(self.mask)(gy)


def _mask_mul(x, mask, y):
    get_array_module(x).multiply(x, mask, out=y)


def _relu_into(x, mask, y):
    xp = get_array_module(x)
    xp.greater(x, 0, out=mask)
    xp.multiply(x, mask, out=y)  # twice as fast as maximum(x, 0) in NumPy
    y += 0  # turns the -0.0 of negative inputs into +0.0


class ReLU(Op):
    def forward(self, x):
        xp = get_array_module(x)
        y = xp.empty_like(x)
        self.mask = xp.empty_like(x, dtype=bool)
        if x.size >= ELEMENTWISE_MIN:  # split over the intra-op threads (NumPy arrays)
            parallel_pieces(_relu_into, (x, self.mask, y), (outer_axis(x),) * 3)
        else:
            _relu_into(x, self.mask, y)
        return y

    def backward(self, gy):
        return MaskMul(self.mask)(gy)


class Maximum(Op):
    """Elementwise maximum; on ties the gradient is split evenly between the two inputs."""

    _pick, _wins = "maximum", "greater"

    def forward(self, a, b):
        return getattr(get_array_module(a, b), self._pick)(a, b)

    def backward(self, gy):
        a, b = self.inputs
        xp = get_array_module(gy.array)
        dt = gy.dtype
        wa = getattr(xp, self._wins)(a.array, b.array).astype(dt)  # 1 where a won, in gy's dtype
        wa += (a.array == b.array) * dt.type(0.5)
        wa = const(wa)
        ga = sum_to(gy * wa, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(gy * (1 - wa), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Minimum(Maximum):
    _pick, _wins = "minimum", "less"


class Where(Op):
    def __init__(self, cond):
        self.cond = cond

    def forward(self, a, b):
        return get_array_module(a, b).where(self.cond, a, b)

    def backward(self, gy):
        a, b = self.inputs
        zero = const(get_array_module(gy.array).zeros((), dtype=gy.dtype))
        ga = sum_to(where(const(self.cond), gy, zero), a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(where(const(self.cond), zero, gy), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Cast(Op):
    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, gy):
        return cast(gy, self.inputs[0].dtype)


class ToDevice(Op):
    def __init__(self, device):
        self.device = device

    def forward(self, x):
        from ..backend import to_device

        from ..backend import device_of

        self.src = device_of(x)
        return to_device(x, self.device)

    def backward(self, gy):
        return to_device(gy, self.src)


class Clone(Op):
    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


def exp(input) -> Tensor:
    """Elementwise ``e ** input`` (integers give the default float dtype)."""
    return Exp()(floating(input))


def log(input) -> Tensor:
    """Elementwise natural logarithm (NaN below 0, -inf at 0, silently as torch)."""
    return Log()(floating(input))


def sqrt(input) -> Tensor:
    """Elementwise square root (gradient inf at 0, as torch)."""
    return Sqrt()(floating(input))


def abs(input) -> Tensor:
    """Elementwise absolute value (gradient ``sign(x)``, 0 at 0)."""
    input = ensure_tensor(input)
    if input.array.dtype.kind == "b":
        raise NotImplementedError("abs is not implemented for bool tensors")
    return Abs()(input)


def sin(input) -> Tensor:
    """Elementwise sine."""
    return Sin()(floating(input))


def cos(input) -> Tensor:
    """Elementwise cosine."""
    return Cos()(floating(input))


def tanh(input) -> Tensor:
    """Hyperbolic tangent; derivative ``1 - tanh(x)**2``."""
    return Tanh()(floating(input))


def sigmoid(input) -> Tensor:
    """Logistic function ``1 / (1 + exp(-x))``, stable for any |x| (no overflow)."""
    return Sigmoid()(floating(input))


def relu(input) -> Tensor:
    """``max(x, 0)``; gradient 1 where x > 0, else 0."""
    return ReLU()(ensure_tensor(input))


def maximum(input, other) -> Tensor:
    """Elementwise maximum (NaN propagates); at ties the gradient is split equally, as torch."""
    return _binary(Maximum, "maximum", input, other)


def minimum(input, other) -> Tensor:
    """Elementwise minimum (NaN propagates); at ties the gradient is split equally, as torch."""
    return _binary(Minimum, "minimum", input, other)


def where(condition, a, b) -> Tensor:
    """Pick from ``a`` where ``condition`` is true, else from ``b`` (broadcasting all three)."""
    if isinstance(condition, Tensor):
        cond = condition.array
    elif hasattr(condition, "dtype") and hasattr(condition, "shape"):  # a NumPy or CuPy array
        cond = condition
    else:
        cond = np.asarray(condition)
    if cond.dtype != bool:
        cond = cond.astype(bool)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    a, b = coerce(a, b)
    return Where(cond)(a, b)


def cast(x, dtype) -> Tensor:
    """``x`` converted to ``dtype``; the gradient is cast back."""
    x = ensure_tensor(x)
    dtype = np.dtype(dtype)
    if x.array.dtype == dtype:
        return x
    out = Cast(dtype)(x)
    if dtype.kind not in "fc" and out.requires_grad:
        out = out.detach()
    return out


def to_device(x, device) -> Tensor:
    """``x`` copied to ``device``; the gradient is copied back."""
    return ToDevice(device)(ensure_tensor(x))


def clone(x) -> Tensor:
    """A copy of ``x`` that stays in the graph."""
    return Clone()(ensure_tensor(x))


def _sign_array(x):
    if x.dtype.kind == "b":
        return x.copy()
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)  # as torch: sign(nan) is 0


def sign(input) -> Tensor:
    """Elementwise sign (-1, 0, 1); differentiable with a zero gradient, as torch."""
    return ZeroGrad(_sign_array)(ensure_tensor(input))
