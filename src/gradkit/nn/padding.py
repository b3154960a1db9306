"""Padding layers (``torch.nn`` names): constant, zero, reflection, replication and circular, in 1-3 dimensions.

Each is :func:`gradkit.nn.functional.pad` with a fixed ``padding``: an int pads every side of the
last ``n`` dimensions by that much; a tuple lists ``(left, right)`` for the last dimension first,
then ``(top, bottom)`` and ``(front, back)``. Negative widths crop. No parameters.

Example:
    >>> import gradkit as gk
    >>> gk.nn.ReflectionPad2d(1)(gk.ones(1, 1, 3, 3)).shape
    (1, 1, 5, 5)
    >>> gk.nn.ConstantPad1d((2, 0), 3.5)(gk.zeros(1, 2)).tolist()
    [[3.5, 3.5, 0.0, 0.0]]
"""

from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = [
    "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
    "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
]


def _widths(padding, n, name):
    if isinstance(padding, int):
        return (int(padding),) * (2 * n)
    padding = tuple(int(p) for p in padding)
    if len(padding) != 2 * n:
        raise ValueError(f"{name}: padding must be an int or a tuple of {2 * n} ints, got {padding}")
    return padding


class _PadNd(Module):
    _n = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _widths(padding, self._n, type(self).__name__)

    def forward(self, x):
        if x.ndim not in (self._n + 1, self._n + 2):
            raise ValueError(
                f"{type(self).__name__}: expected a {self._n + 1}-D (unbatched) or {self._n + 2}-D (batched) input, "
                f"got shape {tuple(x.shape)}"
            )
        return F.pad(x, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = float(value)

    def forward(self, x):
        if x.ndim not in (self._n + 1, self._n + 2):
            raise ValueError(
                f"{type(self).__name__}: expected a {self._n + 1}-D (unbatched) or {self._n + 2}-D (batched) input, "
                f"got shape {tuple(x.shape)}"
            )
        return F.pad(x, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


def _make(name, base, n, mode, what):
    doc = f"""{what} padding of the last {n} dimension{'s' if n > 1 else ''} (``torch.nn.{name}``).

    Args:
        padding: an int (every side) or a tuple of {2 * n} widths, last dimension first.{'''
        value: the fill value.''' if base is _ConstantPadNd else ''}

    Example:
        >>> gk.nn.{name}(1{', 0.0' if base is _ConstantPadNd else ''})(gk.ones({', '.join(['1', '1'] + ['3'] * n)})).shape
        ({', '.join(['1', '1'] + ['5'] * n)})
    """
    return type(name, (base,), {"__doc__": doc, "_n": n, "_mode": mode, "__module__": __name__})


ConstantPad1d = _make("ConstantPad1d", _ConstantPadNd, 1, "constant", "Constant")
ConstantPad2d = _make("ConstantPad2d", _ConstantPadNd, 2, "constant", "Constant")
ConstantPad3d = _make("ConstantPad3d", _ConstantPadNd, 3, "constant", "Constant")
ZeroPad1d = _make("ZeroPad1d", _ZeroPadNd, 1, "constant", "Zero")
ZeroPad2d = _make("ZeroPad2d", _ZeroPadNd, 2, "constant", "Zero")
ZeroPad3d = _make("ZeroPad3d", _ZeroPadNd, 3, "constant", "Zero")
ReflectionPad1d = _make("ReflectionPad1d", _PadNd, 1, "reflect", "Reflection")
ReflectionPad2d = _make("ReflectionPad2d", _PadNd, 2, "reflect", "Reflection")
ReflectionPad3d = _make("ReflectionPad3d", _PadNd, 3, "reflect", "Reflection")
ReplicationPad1d = _make("ReplicationPad1d", _PadNd, 1, "replicate", "Replication")
ReplicationPad2d = _make("ReplicationPad2d", _PadNd, 2, "replicate", "Replication")
ReplicationPad3d = _make("ReplicationPad3d", _PadNd, 3, "replicate", "Replication")
CircularPad1d = _make("CircularPad1d", _PadNd, 1, "circular", "Circular")
CircularPad2d = _make("CircularPad2d", _PadNd, 2, "circular", "Circular")
CircularPad3d = _make("CircularPad3d", _PadNd, 3, "circular", "Circular")
