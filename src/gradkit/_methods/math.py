"""Elementwise functions as Tensor methods.

Mixed into :class:`gradkit.Tensor`. Each method is one plain call of the function of the same name
in :mod:`gradkit.ops`, with the same signature (``x.sum(1)`` is ``gk.sum(x, 1)``);
tests/core/test_tensor_methods.py checks that the signatures match.
"""

from __future__ import annotations

# gradkit.ops imports Tensor, which is built from this class, so the module is bound here by
# gradkit.tensor once both exist (see _methods.bind_ops); methods look it up when called.
ops = None


class MathMethods:
    """``x.exp()``, ``x.clamp(min, max)``, ``x.sigmoid()``..."""

    __slots__ = ()

    def exp(self) -> "Tensor":
        """Elementwise ``e ** x``; see :func:`gradkit.ops.exp`."""
        return ops.exp(self)

    def log(self) -> "Tensor":
        """Elementwise natural logarithm; see :func:`gradkit.ops.log`."""
        return ops.log(self)

    def sqrt(self) -> "Tensor":
        """Elementwise square root; see :func:`gradkit.ops.sqrt`."""
        return ops.sqrt(self)

    def abs(self) -> "Tensor":
        """Elementwise absolute value; see :func:`gradkit.ops.abs`."""
        return ops.abs(self)

    def pow(self, exponent) -> "Tensor":
        """``self ** exponent``; see :func:`gradkit.ops.pow`."""
        return ops.pow(self, exponent)

    def square(self) -> "Tensor":
        """``self * self``; see :func:`gradkit.ops.square`."""
        return ops.square(self)

    def clamp(self, min=None, max=None) -> "Tensor":
        """Limit values to ``[min, max]``; see :func:`gradkit.ops.clamp`."""
        return ops.clamp(self, min, max)

    def clip(self, min=None, max=None) -> "Tensor":
        """Limit values to ``[min, max]`` (alias of clamp); see :func:`gradkit.ops.clip`."""
        return ops.clip(self, min, max)

    def maximum(self, b) -> "Tensor":
        """Elementwise maximum with ``b``; see :func:`gradkit.ops.maximum`."""
        return ops.maximum(self, b)

    def minimum(self, b) -> "Tensor":
        """Elementwise minimum with ``b``; see :func:`gradkit.ops.minimum`."""
        return ops.minimum(self, b)

    def tanh(self) -> "Tensor":
        """Hyperbolic tangent; see :func:`gradkit.ops.tanh`."""
        return ops.tanh(self)

    def sigmoid(self) -> "Tensor":
        """Logistic function ``1 / (1 + exp(-x))``; see :func:`gradkit.ops.sigmoid`."""
        return ops.sigmoid(self)

    def relu(self) -> "Tensor":
        """``max(x, 0)``; see :func:`gradkit.ops.relu`."""
        return ops.relu(self)

    def sin(self) -> "Tensor":
        """Elementwise sine; see :func:`gradkit.ops.sin`."""
        return ops.sin(self)

    def cos(self) -> "Tensor":
        """Elementwise cosine; see :func:`gradkit.ops.cos`."""
        return ops.cos(self)

    def sign(self) -> "Tensor":
        """Elementwise sign (-1, 0, 1; no gradient); see :func:`gradkit.ops.sign`."""
        return ops.sign(self)

    def isnan(self) -> "Tensor":
        """Elementwise NaN test (bool); see :func:`gradkit.ops.isnan`."""
        return ops.isnan(self)

    def isfinite(self) -> "Tensor":
        """Elementwise finiteness test (bool); see :func:`gradkit.ops.isfinite`."""
        return ops.isfinite(self)

    def nonzero(self, as_tuple=False):
        """Indices of the non-zero elements (int64, no gradient); see :func:`gradkit.ops.nonzero`."""
        return ops.nonzero(self, as_tuple)

    def argwhere(self) -> "Tensor":
        """Indices of the non-zero elements as ``(n, ndim)`` int64; see :func:`gradkit.ops.argwhere`."""
        return ops.argwhere(self)
