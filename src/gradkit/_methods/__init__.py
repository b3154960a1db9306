"""The op methods of :class:`gradkit.Tensor`, one mixin class per group of ops.

``x.sum(1)`` is ``gk.sum(x, 1)``: each method here is one call of the :mod:`gradkit.ops` function
of the same name. They live outside ``tensor.py`` so that the Tensor's own file keeps what a
tensor *is* (storage, grad, conversion, in-place updates, operators) and stays short.
"""

from . import linalg, math, reduce, shape
from .linalg import LinalgMethods
from .math import MathMethods
from .reduce import ReduceMethods
from .shape import ShapeMethods

_MODULES = (linalg, math, reduce, shape)


def bind_ops(ops_module) -> None:
    """Give every mixin module the :mod:`gradkit.ops` module (called once by gradkit.tensor)."""
    for m in _MODULES:
        m.ops = ops_module


__all__ = ["LinalgMethods", "MathMethods", "ReduceMethods", "ShapeMethods", "bind_ops"]
