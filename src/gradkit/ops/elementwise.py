"""Elementwise ops: arithmetic with broadcasting, and unary functions.

Each binary op's backward sums its gradient back to each input's shape (``sum_to``).
Backward rules use gradkit ops, so they can be differentiated again; where a rule
needs the forward's output it calls ``self.output()`` (see :class:`~gradkit.autograd.function.Op`).
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import get_array_module
from ..parallel import ELEMENTWISE_MIN, outer_axis, parallel_pieces
from ..tensor import Tensor
from ._util import coerce, const, ensure_tensor, shape_str
from .shape import sum_to


__all__ = [  # gk.<name>; the other functions here are gradkit-internal
    "abs", "add", "allclose", "clamp", "clip", "clone", "cos", "div", "eq", "exp", "ge", "gt", "isfinite",
    "isnan", "le", "log", "logical_and", "logical_not", "logical_or", "lt", "maximum", "minimum", "mul", "ne",
    "neg", "pow", "relu", "sigmoid", "sign", "sin", "sqrt", "square", "sub", "tanh", "where",
]


def _bcast_error(name, a, b):
    return ValueError(
        f"{name}: shapes {shape_str(a.shape)} and {shape_str(b.shape)} cannot be broadcast together"
    )


def _binary(op_cls, name, a, b):
    a, b = coerce(a, b)
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
    """``x ** c`` for a constant Python exponent ``c``."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x**self.c

    def backward(self, gy):
        (x,) = self.inputs
        c = self.c
        if c == 0:
            return gy * 0
        if c == 1:
            return gy
        if c == 2:
            return gy * (x * 2)
        return gy * (pow(x, c - 1) * c)


class Pow(Op):
    """``a ** b`` with a tensor exponent."""

    def forward(self, a, b):
        return a**b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = sum_to(gy * b * pow(a, b - 1), a.shape) if na else None
        gb = None
        if nb:
            xp = get_array_module(a.array)
            safe = where(const(a.array > 0), a, const(xp.ones((), dtype=a.dtype)))
            gb = sum_to(gy * pow(a, b) * log(safe), b.shape)
        return ga, gb


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


def add(a, b) -> Tensor:
    """``a + b`` with broadcasting."""
    if type(b) in _PY_NUMBERS and _float_tensor(a):
        return AddScalar(b)(a)
    if type(a) in _PY_NUMBERS and _float_tensor(b):
        return AddScalar(a)(b)
    return _binary(Add, "add", a, b)


def sub(a, b) -> Tensor:
    """``a - b`` with broadcasting."""
    if type(b) in _PY_NUMBERS and _float_tensor(a):
        return AddScalar(-b)(a)
    if type(a) in _PY_NUMBERS and _float_tensor(b):
        return RSubScalar(a)(b)
    return _binary(Sub, "sub", a, b)


def mul(a, b) -> Tensor:
    """``a * b`` elementwise with broadcasting."""
    if type(b) in _PY_NUMBERS and _float_tensor(a):
        return MulScalar(b)(a)
    if type(a) in _PY_NUMBERS and _float_tensor(b):
        return MulScalar(a)(b)
    return _binary(Mul, "mul", a, b)


def div(a, b) -> Tensor:
    """``a / b`` elementwise with broadcasting (true division)."""
    if type(b) in _PY_NUMBERS and _float_tensor(a):
        return DivScalar(b)(a)
    if type(a) in _PY_NUMBERS and _float_tensor(b):
        return RDivScalar(a)(b)
    a, b = coerce(a, b)
    if a.array.dtype.kind != "f" and b.array.dtype.kind != "f":
        from ..backend import get_default_dtype

        a = const(a.array.astype(get_default_dtype()))
        b = const(b.array.astype(get_default_dtype()))
    return _binary(Div, "div", a, b)


def neg(x) -> Tensor:
    """``-x``."""
    return Neg()(ensure_tensor(x))


def pow(x, exponent) -> Tensor:
    """``x ** exponent``; a Python-number exponent keeps the rule simple and cheap."""
    if isinstance(exponent, (int, float)) and not isinstance(exponent, bool) and isinstance(x, Tensor):
        if x.array.dtype.kind != "f" and (isinstance(exponent, float) or exponent < 0):
            from ..backend import get_default_dtype

            x = const(x.array.astype(get_default_dtype()))
        return PowScalar(exponent)(x)
    return _binary(Pow, "pow", x, exponent)


def square(x) -> Tensor:
    """``x * x``."""
    return PowScalar(2)(ensure_tensor(x))


# --------------------------------------------------------------------- unary functions
class Exp(Op):
    saves_output = True

    def forward(self, x):
        return get_array_module(x).exp(x)

    def backward(self, gy):
        return gy * self.output()


class Log(Op):
    def forward(self, x):
        return get_array_module(x).log(x)

    def backward(self, gy):
        return gy / self.inputs[0]


class Sqrt(Op):
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


def exp(x) -> Tensor:
    """Elementwise ``e ** x``."""
    return Exp()(ensure_tensor(x))


def log(x) -> Tensor:
    """Elementwise natural logarithm."""
    return Log()(ensure_tensor(x))


def sqrt(x) -> Tensor:
    """Elementwise square root."""
    return Sqrt()(ensure_tensor(x))


def abs(x) -> Tensor:
    """Elementwise absolute value (gradient ``sign(x)``, 0 at 0)."""
    return Abs()(ensure_tensor(x))


def sin(x) -> Tensor:
    """Elementwise sine."""
    return Sin()(ensure_tensor(x))


def cos(x) -> Tensor:
    """Elementwise cosine."""
    return Cos()(ensure_tensor(x))


def tanh(x) -> Tensor:
    """Hyperbolic tangent; derivative ``1 - tanh(x)**2``."""
    return Tanh()(ensure_tensor(x))


def sigmoid(x) -> Tensor:
    """Logistic function ``1 / (1 + exp(-x))``, stable for any |x| (no overflow)."""
    return Sigmoid()(ensure_tensor(x))


def relu(x) -> Tensor:
    """``max(x, 0)``; gradient 1 where x > 0, else 0."""
    return ReLU()(ensure_tensor(x))


def clamp(x, min=None, max=None) -> Tensor:
    """Limit values to ``[min, max]``; gradient 1 inside the range, 0 outside.

    Raises:
        ValueError: when neither bound is given.
    """
    if min is None and max is None:
        raise ValueError("clamp() needs at least one of min or max")
    return Clamp(min, max)(ensure_tensor(x))


clip = clamp


def maximum(a, b) -> Tensor:
    """Elementwise maximum; at ties the gradient is split equally."""
    return _binary(Maximum, "maximum", a, b)


def minimum(a, b) -> Tensor:
    """Elementwise minimum; at ties the gradient is split equally."""
    return _binary(Minimum, "minimum", a, b)


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


def sign(x) -> Tensor:
    """Elementwise sign (-1, 0, 1); not differentiable (no gradient flows)."""
    x = ensure_tensor(x)
    return const(get_array_module(x.array).sign(x.array))


# --------------------------------------------------------------------- comparisons and logic
_CMP = {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal", "eq": "equal", "ne": "not_equal"}


def compare(a, b, how: str) -> Tensor:
    """Elementwise comparison; returns a bool tensor that carries no gradient."""
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
    import numbers

    from ..backend import is_cupy_array

    return isinstance(x, (numbers.Number, np.ndarray, np.generic, list, tuple)) or is_cupy_array(x)


def eq(a, b) -> Tensor:
    return compare(a, b, "eq")


def ne(a, b) -> Tensor:
    return compare(a, b, "ne")


def lt(a, b) -> Tensor:
    return compare(a, b, "lt")


def le(a, b) -> Tensor:
    return compare(a, b, "le")


def gt(a, b) -> Tensor:
    return compare(a, b, "gt")


def ge(a, b) -> Tensor:
    return compare(a, b, "ge")


def logical_not(x) -> Tensor:
    x = ensure_tensor(x)
    return const(get_array_module(x.array).logical_not(x.array))


def logical_and(a, b) -> Tensor:
    a, b = coerce(a, b)
    return const(get_array_module(a.array).logical_and(a.array, b.array))


def logical_or(a, b) -> Tensor:
    a, b = coerce(a, b)
    return const(get_array_module(a.array).logical_or(a.array, b.array))


def isnan(x) -> Tensor:
    x = ensure_tensor(x)
    return const(get_array_module(x.array).isnan(x.array))


def isfinite(x) -> Tensor:
    x = ensure_tensor(x)
    return const(get_array_module(x.array).isfinite(x.array))


def allclose(a, b, rtol=1e-5, atol=1e-8) -> bool:
    a, b = coerce(a, b)
    return bool(get_array_module(a.array).allclose(a.array, b.array, rtol=rtol, atol=atol))
