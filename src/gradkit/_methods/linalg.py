"""Linear algebra as Tensor methods.

Mixed into :class:`gradkit.Tensor`. Each method is one plain call of the function of the same name
in :mod:`gradkit.ops`, with the same signature (``x.sum(1)`` is ``gk.sum(x, 1)``);
tests/core/test_tensor_methods.py checks that the signatures match.
"""

from __future__ import annotations

# gradkit.ops imports Tensor, which is built from this class, so the module is bound here by
# gradkit.tensor once both exist (see _methods.bind_ops); methods look it up when called.
ops = None


class LinalgMethods:
    """``x.matmul(y)``..."""

    __slots__ = ()

    def matmul(self, b) -> "Tensor":
        """Matrix product with ``b`` (``self @ b``); see :func:`gradkit.ops.matmul`."""
        return ops.matmul(self, b)
