"""Shape functions as Tensor methods.

Mixed into :class:`gradkit.Tensor`. Each method is one plain call of the function of the same name
in :mod:`gradkit.ops`, with the same signature (``x.sum(1)`` is ``gk.sum(x, 1)``);
tests/core/test_tensor_methods.py checks that the signatures match.
"""

from __future__ import annotations

# gradkit.ops imports Tensor, which is built from this class, so the module is bound here by
# gradkit.tensor once both exist (see _methods.bind_ops); methods look it up when called.
ops = None


class ShapeMethods:
    """``x.reshape(...)``, ``x.permute(...)``, ``x.split(...)``..."""

    __slots__ = ()

    def reshape(self, *shape) -> "Tensor":
        """The same data in a new shape (-1 infers one dimension); see :func:`gradkit.ops.reshape`."""
        return ops.reshape(self, *shape)

    def view(self, *shape) -> "Tensor":
        """The same data in a new shape (alias of reshape); see :func:`gradkit.ops.view`."""
        return ops.view(self, *shape)

    def transpose(self, dim0=-2, dim1=-1) -> "Tensor":
        """Swap two dimensions (the last two by default); see :func:`gradkit.ops.transpose`."""
        return ops.transpose(self, dim0, dim1)

    def permute(self, *dims) -> "Tensor":
        """Reorder dimensions; see :func:`gradkit.ops.permute`."""
        return ops.permute(self, *dims)

    def flatten(self, start_dim=0, end_dim=-1) -> "Tensor":
        """Merge dimensions ``start_dim..end_dim`` into one; see :func:`gradkit.ops.flatten`."""
        return ops.flatten(self, start_dim, end_dim)

    def squeeze(self, dim=None, axis=None) -> "Tensor":
        """Remove size-1 dimensions (all, or ``dim``); see :func:`gradkit.ops.squeeze`."""
        return ops.squeeze(self, dim, axis)

    def unsqueeze(self, dim) -> "Tensor":
        """Insert a size-1 dimension at ``dim``; see :func:`gradkit.ops.unsqueeze`."""
        return ops.unsqueeze(self, dim)

    def expand(self, *sizes) -> "Tensor":
        """Broadcast to ``sizes`` (-1 keeps a dimension); see :func:`gradkit.ops.expand`."""
        return ops.expand(self, *sizes)

    def broadcast_to(self, *shape) -> "Tensor":
        """Broadcast to ``shape``; see :func:`gradkit.ops.broadcast_to`."""
        return ops.broadcast_to(self, *shape)

    def split(self, split_size_or_sections, dim=0, axis=None) -> tuple:
        """Split into pieces of a size, or of the given sizes; see :func:`gradkit.ops.split`."""
        return ops.split(self, split_size_or_sections, dim, axis)

    def chunk(self, chunks: int, dim=0) -> tuple:
        """Split into ``chunks`` nearly equal pieces; see :func:`gradkit.ops.chunk`."""
        return ops.chunk(self, chunks, dim)
