"""Elementwise functions beyond basic arithmetic: rounding, exponentials and logarithms, special functions, and the
binary helpers of PyTorch's pointwise API (remainder, fmod, lerp, addcmul, addcdiv, nan_to_num).

Integer and bool inputs of a floating function (exp2, erf, logit...) become the default float dtype,
as in torch; rounding functions keep integer dtypes. The rounding functions are differentiable with
a zero gradient (torch's convention: they stay in the graph). Trigonometric and hyperbolic
functions are in :mod:`gradkit.ops.trig`.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from ..backend import get_array_module
from ..tensor import Tensor
from . import _special
from ._util import QuietOp, coerce, const, ensure_tensor, floating
from .elementwise import ZeroGrad, _binary, add, div, exp, mul, where
from .logic import isfinite
from .shape import sum_to

__all__ = [  # gk.<name>
    "addcdiv", "addcmul", "ceil", "erf", "erfc", "erfinv", "exp2", "expm1", "fix", "floor", "fmod", "frac", "lerp",
    "log10", "log1p", "log2", "logit", "nan_to_num", "reciprocal", "remainder", "round", "rsqrt", "sgn", "trunc",
    "xlogy",
]


def _xp(x):
    return get_array_module(x)


# --------------------------------------------------------------------- rounding (zero gradient)
def _rounding(fn, input, name) -> Tensor:
    input = ensure_tensor(input)
    if input.array.dtype.kind == "b":
        raise NotImplementedError(f"{name} is not implemented for bool tensors")
    if input.array.dtype.kind in "iu":
        return ZeroGrad(lambda a: a.copy())(input)
    return ZeroGrad(fn)(input)


def floor(input) -> Tensor:
    """Round down elementwise (integers unchanged); zero gradient.

    Examples:
        >>> import gradkit as gk
        >>> gk.floor(gk.tensor([-1.5, 1.5]))
        tensor([-2.,  1.])
    """
    return _rounding(lambda a: _xp(a).floor(a), input, "floor")


def ceil(input) -> Tensor:
    """Round up elementwise (integers unchanged); zero gradient."""
    return _rounding(lambda a: _xp(a).ceil(a), input, "ceil")


def trunc(input) -> Tensor:
    """Round toward zero elementwise (integers unchanged); zero gradient."""
    return _rounding(lambda a: _xp(a).trunc(a), input, "trunc")


fix = trunc


def round(input, decimals=0) -> Tensor:
    """Round half to even elementwise, to ``decimals`` decimal places (as torch.round); zero gradient.

    ``gk.*`` names shadow Python's ``round`` after ``from gradkit import *`` (and inside gradkit's
    own doctests), so a plain Python number is rounded by the builtin, and ``decimals`` may also
    be given by position as the builtin's ``ndigits``.

    Args:
        input: the tensor (or a Python number).
        decimals: decimal places; negative values round to tens, hundreds...

    Returns:
        The rounded tensor, in ``input``'s dtype.

    Examples:
        >>> import gradkit as gk
        >>> gk.round(gk.tensor([0.5, 1.5, 2.5])), gk.round(gk.tensor([1.2345]), decimals=2)
        (tensor([0., 2., 2.]), tensor([1.23]))
    """
    if isinstance(input, (int, float)):
        return builtins.round(input, decimals) if decimals else builtins.round(input)
    if decimals == 0:
        return _rounding(lambda a: _xp(a).rint(a), input, "round")
    return _rounding(lambda a: _xp(a).round(a, decimals), input, "round")


def sgn(input) -> Tensor:
    """The sign of real tensors (:func:`gradkit.ops.sign`); ``x / |x|`` for complex ones."""
    from .elementwise import sign

    input = ensure_tensor(input)
    if input.array.dtype.kind == "c":  # forward only for complex tensors
        a = input.array
        with np.errstate(all="ignore"):
            return const(_xp(a).where(a == 0, 0, a / _xp(a).abs(a)))
    return sign(input)


class Frac(QuietOp):
    def forward(self, x):
        return x - _xp(x).trunc(x)

    def backward(self, gy):
        return gy


def frac(input) -> Tensor:
    """The fractional part ``x - trunc(x)`` (its sign is ``x``'s); gradient 1.

    Examples:
        >>> import gradkit as gk
        >>> gk.frac(gk.tensor([-1.25, 2.5]))
        tensor([-0.25,  0.5 ])
    """
    input = ensure_tensor(input)
    if input.array.dtype.kind not in "fc":
        raise NotImplementedError(f"frac is defined for floating tensors, got dtype {input.array.dtype}")
    return Frac()(input)


# --------------------------------------------------------------------- powers, exponentials and logarithms
class Reciprocal(QuietOp):
    saves_output = True

    def forward(self, x):
        return 1 / x

    def backward(self, gy):
        y = self.output()
        return -gy * (y * y)


class Rsqrt(QuietOp):
    saves_output = True

    def forward(self, x):
        return 1 / _xp(x).sqrt(x)

    def backward(self, gy):
        y = self.output()
        return gy * (y * y * y) * -0.5


class Exp2(QuietOp):
    saves_output = True

    def forward(self, x):
        return _xp(x).exp2(x)

    def backward(self, gy):
        return gy * self.output() * math.log(2.0)


class Expm1(QuietOp):
    saves_output = True

    def forward(self, x):
        return _xp(x).expm1(x)

    def backward(self, gy):
        return gy * (self.output() + 1)


class LogBase(QuietOp):
    """``log(x) / log(base)`` for base 2 or 10."""

    def __init__(self, base):
        self.base = base

    def forward(self, x):
        return _xp(x).log2(x) if self.base == 2 else _xp(x).log10(x)

    def backward(self, gy):
        return gy / (self.inputs[0] * math.log(self.base))


class Log1p(QuietOp):
    def forward(self, x):
        return _xp(x).log1p(x)

    def backward(self, gy):
        return gy / (self.inputs[0] + 1)


def reciprocal(input) -> Tensor:
    """``1 / x`` elementwise (integers give the default float dtype).

    Examples:
        >>> import gradkit as gk
        >>> gk.reciprocal(gk.tensor([2, 4]))
        tensor([0.5 , 0.25])
    """
    return Reciprocal()(floating(input))


def rsqrt(input) -> Tensor:
    """``1 / sqrt(x)`` elementwise."""
    return Rsqrt()(floating(input))


def exp2(input) -> Tensor:
    """``2 ** x`` elementwise."""
    return Exp2()(floating(input))


def expm1(input) -> Tensor:
    """``exp(x) - 1``, accurate for small ``x``."""
    return Expm1()(floating(input))


def log2(input) -> Tensor:
    """Base-2 logarithm elementwise."""
    return LogBase(2)(floating(input))


def log10(input) -> Tensor:
    """Base-10 logarithm elementwise."""
    return LogBase(10)(floating(input))


def log1p(input) -> Tensor:
    """``log(1 + x)``, accurate for small ``x``.

    Examples:
        >>> import gradkit as gk
        >>> gk.log1p(gk.tensor([0.0, 1e-10], dtype="float64")).tolist()
        [0.0, 9.999999999500001e-11]
    """
    return Log1p()(floating(input))


# --------------------------------------------------------------------- special functions
class Erf(QuietOp):
    def __init__(self, which):
        self.which = which

    def forward(self, x):
        return _special.erf_erfc(x, self.which)

    def backward(self, gy):
        x = self.inputs[0]
        d = exp(-(x * x)) * _special.TWO_OVER_SQRT_PI
        return gy * d if self.which == "erf" else -gy * d


class Erfinv(QuietOp):
    saves_output = True

    def forward(self, x):
        return _special.erfinv(x)

    def backward(self, gy):
        y = self.output()
        return gy * exp(y * y) * (math.sqrt(math.pi) / 2)


def erf(input) -> Tensor:
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt``, to float64 precision.

    Examples:
        >>> import gradkit as gk
        >>> f"{gk.erf(gk.tensor(1.0, dtype='float64')).item():.12f}"
        '0.842700792950'
    """
    return Erf("erf")(floating(input))


def erfc(input) -> Tensor:
    """The complementary error function ``1 - erf(x)``, accurate in the tail."""
    return Erf("erfc")(floating(input))


def erfinv(input) -> Tensor:
    """The inverse error function on [-1, 1] (+-inf at +-1, NaN outside).

    Examples:
        >>> import gradkit as gk
        >>> f"{gk.erfinv(gk.erf(gk.tensor(0.3, dtype='float64'))).item():.12f}"
        '0.300000000000'
    """
    return Erfinv()(floating(input))


class Logit(QuietOp):
    """``log(x / (1 - x))``, ``x`` first clamped to ``[eps, 1 - eps]`` when ``eps`` is given."""

    def __init__(self, eps):
        self.eps = eps

    def forward(self, x):
        xp = _xp(x)
        if self.eps is not None:
            x = xp.clip(x, self.eps, 1 - self.eps)
        return xp.log(x / (1 - x))

    def backward(self, gy):
        x = self.inputs[0]
        a = x.array
        xp = _xp(a)
        if self.eps is None:
            outside, fill = (a < 0) | (a > 1), xp.nan
        else:
            outside, fill = (a < self.eps) | (a > 1 - self.eps), 0
        return where(const(outside), const(xp.asarray(fill, dtype=gy.dtype)), gy / (x * (1 - x)))


def logit(input, eps=None) -> Tensor:
    """The log-odds ``log(p / (1 - p))``, inverse of :func:`gradkit.ops.sigmoid`.

    Args:
        input: probabilities.
        eps: when given, ``input`` is clamped to ``[eps, 1 - eps]`` first (zero gradient outside).

    Returns:
        The log-odds (+-inf at 0 and 1 without ``eps``).

    Examples:
        >>> import gradkit as gk
        >>> gk.logit(gk.tensor([0.5, 0.0], dtype="float64"), eps=0.1).tolist()
        [0.0, -2.197224577336219]
    """
    return Logit(eps)(floating(input))


class XLogY(QuietOp):
    def forward(self, x, y):
        xp = get_array_module(x, y)
        out = xp.where(x == 0, xp.zeros((), dtype=x.dtype), x * xp.log(y))
        return xp.where(xp.isnan(y), y, out)

    def backward(self, gy):
        x, y = self.inputs
        nx, ny = self.needs_input_grad
        gx = sum_to(gy * xlogy(const((x.array != 0).astype(gy.dtype)), y), x.shape) if nx else None
        gyy = sum_to(gy * x / y, y.shape) if ny else None
        return gx, gyy


def xlogy(input, other) -> Tensor:
    """``input * log(other)``, 0 where ``input`` is 0 (unless ``other`` is NaN).

    Examples:
        >>> import gradkit as gk
        >>> gk.xlogy(gk.tensor([0.0, 2.0]), gk.tensor([0.0, 1.0]))
        tensor([0., 0.])
    """
    return _binary(XLogY, "xlogy", input, other, floating=True)


# --------------------------------------------------------------------- remainders
class Remainder(QuietOp):
    """``a - b * floor(a / b)`` (``how='floor'``, Python's %) or C's fmod (``how='trunc'``)."""

    def __init__(self, how):
        self.how = how

    def forward(self, a, b):
        xp = get_array_module(a, b)
        return xp.remainder(a, b) if self.how == "floor" else xp.fmod(a, b)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = sum_to(gy, a.shape) if na else None
        gb = sum_to(-gy * div(a, b, rounding_mode=self.how), b.shape) if nb else None
        return ga, gb


def _remainder(name, how, a, b):
    a, b = coerce(a, b)
    kind = a.array.dtype.kind
    if kind == "b":
        raise NotImplementedError(f"{name} is not implemented for bool tensors")
    if kind in "iu" and bool((b.array == 0).any()):
        raise RuntimeError(f"ZeroDivisionError: {name} of integers by zero")
    return _binary(lambda: Remainder(how), name, a, b)


def remainder(input, other) -> Tensor:
    """Python's modulus ``input % other``: the result has the divisor's sign.

    Examples:
        >>> import gradkit as gk
        >>> gk.remainder(gk.tensor([-3, 3]), 2), gk.remainder(gk.tensor([-3.5]), -2)
        (tensor([1, 1], dtype=int64), tensor([-1.5]))
    """
    return _remainder("remainder", "floor", input, other)


def fmod(input, other) -> Tensor:
    """C's ``fmod``: the remainder of truncated division; the result has the dividend's sign.

    Examples:
        >>> import gradkit as gk
        >>> gk.fmod(gk.tensor([-3, 3]), 2)
        tensor([-1,  1], dtype=int64)
    """
    return _remainder("fmod", "trunc", input, other)


# --------------------------------------------------------------------- interpolation and fused updates
class Lerp(QuietOp):
    """``start + weight * (end - start)``, in torch's two-sided form (exact at both ends)."""

    def forward(self, start, end, weight):
        xp = get_array_module(start, end, weight)
        diff = end - start
        return xp.where(xp.abs(weight) < 0.5, start + weight * diff, end - diff * (1 - weight))

    def backward(self, gy):
        start, end, weight = self.inputs
        ns, ne, nw = self.needs_input_grad
        gs = sum_to(gy * (1 - weight), start.shape) if ns else None
        ge = sum_to(gy * weight, end.shape) if ne else None
        gw = sum_to(gy * (end - start), weight.shape) if nw else None
        return gs, ge, gw


def lerp(input, end, weight) -> Tensor:
    """Linear interpolation ``input + weight * (end - input)``.

    Args:
        input: start points (a floating tensor).
        end: end points.
        weight: a number or a tensor, broadcastable.

    Returns:
        The interpolated tensor; gradients flow to all three.

    Examples:
        >>> import gradkit as gk
        >>> gk.lerp(gk.tensor([0.0, 10.0]), gk.tensor([1.0, 20.0]), 0.25)
        tensor([ 0.25, 12.5 ])
    """
    input = ensure_tensor(input)
    start, end = coerce(input, end)
    if not isinstance(weight, Tensor):
        weight = const(_xp(start.array).asarray(weight, dtype=start.dtype))
    start, weight = coerce(start, weight)
    end, weight = coerce(end, weight)
    return Lerp()(start, end, weight)


def addcmul(input, tensor1, tensor2, *, value=1) -> Tensor:
    """``input + value * tensor1 * tensor2`` (as torch.addcmul).

    Examples:
        >>> import gradkit as gk
        >>> gk.addcmul(gk.tensor([1.0]), gk.tensor([2.0]), gk.tensor([3.0]), value=0.5)
        tensor([4.])
    """
    prod = mul(tensor1, tensor2) if value == 1 else mul(mul(tensor1, value), tensor2)
    return add(input, prod)


def addcdiv(input, tensor1, tensor2, *, value=1) -> Tensor:
    """``input + value * tensor1 / tensor2`` (as torch.addcdiv; integer division is refused, as in torch).

    Examples:
        >>> import gradkit as gk
        >>> gk.addcdiv(gk.tensor([1.0]), gk.tensor([2.0]), gk.tensor([4.0]), value=2)
        tensor([2.])
    """
    t1, t2 = ensure_tensor(tensor1), ensure_tensor(tensor2)
    if t1.array.dtype.kind in "iub" and t2.array.dtype.kind in "iub":
        raise RuntimeError("addcdiv: integer division is not supported; cast tensor1 or tensor2 to a float dtype")
    quot = div(t1, t2) if value == 1 else div(mul(t1, value), t2)
    return add(input, quot)


class NanToNum(QuietOp):
    def __init__(self, nan, posinf, neginf):
        self.nan, self.posinf, self.neginf = nan, posinf, neginf

    def forward(self, x):
        return _xp(x).nan_to_num(x, nan=self.nan, posinf=self.posinf, neginf=self.neginf)

    def backward(self, gy):
        return gy * const(isfinite(self.inputs[0]).array.astype(gy.dtype))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None) -> Tensor:
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (default: 0 and the dtype's extremes).

    The gradient is 1 at finite values and 0 at the replaced ones.

    Examples:
        >>> import gradkit as gk
        >>> gk.nan_to_num(gk.tensor([float("nan"), 1.0, float("-inf")]), neginf=-5.0)
        tensor([ 0.,  1., -5.])
    """
    input = ensure_tensor(input)
    if input.array.dtype.kind not in "fc":
        return ZeroGrad(lambda a: a.copy())(input)
    return NanToNum(nan, posinf, neginf)(input)
