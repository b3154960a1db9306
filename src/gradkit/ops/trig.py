"""Trigonometric and hyperbolic functions and their inverses, atan2 and hypot.

Integer and bool inputs become the default float dtype, as in torch. Each derivative is written
with gradkit ops (so it can be differentiated again); outside a function's domain the value and
the gradient are NaN, silently, as in torch. ``sin``, ``cos`` and ``tanh`` live in
:mod:`gradkit.ops.elementwise`.
"""

from __future__ import annotations

from ..backend import get_array_module
from ..tensor import Tensor
from ._util import QuietOp, const, floating
from .elementwise import _binary, sqrt, where
from .shape import sum_to

__all__ = [  # gk.<name>
    "acos", "acosh", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "asin", "asinh",
    "atan", "atan2", "atanh", "cosh", "hypot", "sinh", "tan",
]


def _xp(x):
    return get_array_module(x)


class Tan(QuietOp):
    saves_output = True

    def forward(self, x):
        return _xp(x).tan(x)

    def backward(self, gy):
        y = self.output()
        return gy * (1 + y * y)


class Asin(QuietOp):
    def forward(self, x):
        return _xp(x).arcsin(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy / sqrt(1 - x * x)


class Acos(QuietOp):
    def forward(self, x):
        return _xp(x).arccos(x)

    def backward(self, gy):
        x = self.inputs[0]
        return -gy / sqrt(1 - x * x)


class Atan(QuietOp):
    def forward(self, x):
        return _xp(x).arctan(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy / (1 + x * x)


class Sinh(QuietOp):
    def forward(self, x):
        return _xp(x).sinh(x)

    def backward(self, gy):
        return gy * cosh(self.inputs[0])


class Cosh(QuietOp):
    def forward(self, x):
        return _xp(x).cosh(x)

    def backward(self, gy):
        return gy * sinh(self.inputs[0])


class Asinh(QuietOp):
    def forward(self, x):
        return _xp(x).arcsinh(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy / sqrt(x * x + 1)


class Acosh(QuietOp):
    def forward(self, x):
        return _xp(x).arccosh(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy / sqrt(x * x - 1)


class Atanh(QuietOp):
    def forward(self, x):
        return _xp(x).arctanh(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy / (1 - x * x)


def tan(input) -> Tensor:
    """Elementwise tangent; derivative ``1 + tan(x)**2``.

    Examples:
        >>> import gradkit as gk
        >>> gk.tan(gk.tensor([0.0]))
        tensor([0.])
    """
    return Tan()(floating(input))


def asin(input) -> Tensor:
    """Elementwise arcsine (NaN outside [-1, 1])."""
    return Asin()(floating(input))


def acos(input) -> Tensor:
    """Elementwise arccosine (NaN outside [-1, 1])."""
    return Acos()(floating(input))


def atan(input) -> Tensor:
    """Elementwise arctangent."""
    return Atan()(floating(input))


def sinh(input) -> Tensor:
    """Elementwise hyperbolic sine."""
    return Sinh()(floating(input))


def cosh(input) -> Tensor:
    """Elementwise hyperbolic cosine."""
    return Cosh()(floating(input))


def asinh(input) -> Tensor:
    """Elementwise inverse hyperbolic sine."""
    return Asinh()(floating(input))


def acosh(input) -> Tensor:
    """Elementwise inverse hyperbolic cosine (NaN below 1)."""
    return Acosh()(floating(input))


def atanh(input) -> Tensor:
    """Elementwise inverse hyperbolic tangent (+-inf at +-1, NaN beyond)."""
    return Atanh()(floating(input))


arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


class Atan2(QuietOp):
    def forward(self, y, x):
        return get_array_module(y, x).arctan2(y, x)

    def backward(self, gy):
        y, x = self.inputs
        ny, nx = self.needs_input_grad
        r2 = y * y + x * x
        zero = const(get_array_module(gy.array).zeros((), dtype=gy.dtype))
        scale = where(const(r2.array == 0), zero, gy / r2)  # 0 at the origin, as torch
        return (sum_to(scale * x, y.shape) if ny else None, sum_to(-scale * y, x.shape) if nx else None)


def atan2(input, other) -> Tensor:
    """The angle of the point ``(other, input)``: ``atan(input / other)`` in the right quadrant.

    Args:
        input: the y coordinates.
        other: the x coordinates (broadcastable).

    Returns:
        Angles in ``[-pi, pi]``; integers give the default float dtype.

    Examples:
        >>> import gradkit as gk
        >>> gk.atan2(gk.tensor([1.0, -1.0]), gk.tensor([0.0, 0.0]))
        tensor([ 1.5707964, -1.5707964])
    """
    return _binary(Atan2, "atan2", input, other, floating=True)


arctan2 = atan2


class Hypot(QuietOp):
    saves_output = True

    def forward(self, a, b):
        return get_array_module(a, b).hypot(a, b)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        r = gy / self.output()
        return (sum_to(r * a, a.shape) if na else None, sum_to(r * b, b.shape) if nb else None)


def hypot(input, other) -> Tensor:
    """``sqrt(input**2 + other**2)`` elementwise, without overflow.

    Examples:
        >>> import gradkit as gk
        >>> gk.hypot(gk.tensor([3.0]), gk.tensor([4.0]))
        tensor([5.])
    """
    return _binary(Hypot, "hypot", input, other, floating=True)
