"""The op methods of :class:`gradkit.Tensor`, one mixin class per group of ops.

``x.sum(1)`` is ``gk.sum(x, 1)``: each method here is one call of the :mod:`gradkit.ops` function
of the same name. They live outside ``tensor.py`` so that the Tensor's own file keeps what a
tensor *is* (storage, grad, conversion, in-place updates, operators) and stays short.
"""

from . import convert, linalg, math, reduce, select, shape
from .convert import ConvertMethods
from .linalg import LinalgMethods
from .math import MathMethods
from .reduce import ReduceMethods
from .select import SelectMethods
from .shape import ShapeMethods

_MODULES = (convert, linalg, math, reduce, select, shape)


def bind_ops(ops_module) -> None:
    """Give every mixin module the :mod:`gradkit.ops` module (called once by gradkit.tensor)."""
    for m in _MODULES:
        setattr(m, "ops", ops_module)  # a module attribute each mixin reads when a method runs


__all__ = [
    "ConvertMethods", "LinalgMethods", "MathMethods", "ReduceMethods", "SelectMethods", "ShapeMethods", "bind_ops",
]
