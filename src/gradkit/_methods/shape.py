"""Shape functions as Tensor methods.

Mixed into :class:`gradkit.Tensor`. Each method is one plain call of the function of the same name
in :mod:`gradkit.ops`, with the same signature (``x.sum(1)`` is ``gk.sum(x, 1)``);
tests/core/test_tensor_methods.py checks that the signatures match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for the annotations only: Tensor is built from these mixins
    from ..tensor import Tensor

# gradkit.ops imports Tensor, which is built from this class, so the module is bound here by
# gradkit.tensor once both exist (see _methods.bind_ops); methods look it up when called.
ops: Any = None


class ShapeMethods:
    """``x.reshape(...)``, ``x.permute(...)``, ``x.split(...)``..."""

    __slots__ = ()
    array: Any  # the Tensor's storage (a slot of Tensor)

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

    # shape, layout, linear algebra (h3)
    def t(self) -> "Tensor":
        """Transpose a matrix (0-d and 1-d come back as they are); see :func:`gradkit.ops.t`."""
        return ops.t(self)

    def narrow(self, dim, start, length) -> "Tensor":
        """The slice ``start:start+length`` of dimension ``dim``; see :func:`gradkit.ops.narrow`."""
        return ops.narrow(self, dim, start, length)

    def contiguous(self) -> "Tensor":
        """Self if C-contiguous, else a contiguous copy; see :func:`gradkit.ops.contiguous`."""
        return ops.contiguous(self)

    def is_contiguous(self) -> bool:
        """Whether the storage is C-contiguous; see :func:`gradkit.ops.is_contiguous`."""
        return ops.is_contiguous(self)

    def view_as(self, other) -> "Tensor":
        """Reshaped to ``other``'s shape; see :func:`gradkit.ops.view_as`."""
        return ops.view_as(self, other)

    def reshape_as(self, other) -> "Tensor":
        """``x`` reshaped to ``other``'s shape; see :func:`gradkit.ops.reshape_as`."""
        return ops.reshape_as(self, other)

    def expand_as(self, other) -> "Tensor":
        """``x`` broadcast to ``other``'s shape; see :func:`gradkit.ops.expand_as`."""
        return ops.expand_as(self, other)

    def repeat(self, *sizes) -> "Tensor":
        """Repeat the whole tensor ``sizes[i]`` times along dimension ``i``; see :func:`gradkit.ops.repeat`."""
        return ops.repeat(self, *sizes)

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None) -> "Tensor":
        """Repeat each element ``repeats`` times along ``dim``; see :func:`gradkit.ops.repeat_interleave`."""
        return ops.repeat_interleave(self, repeats, dim, output_size=output_size)

    def tile(self, dims) -> "Tensor":
        """Repeat ``dims[i]`` times along each dimension; see :func:`gradkit.ops.tile`."""
        return ops.tile(self, dims)

    def flip(self, dims) -> "Tensor":
        """Reverse the order of elements along ``dims`` (a copy, as in PyTorch); see :func:`gradkit.ops.flip`."""
        return ops.flip(self, dims)

    def fliplr(self) -> "Tensor":
        """Flip left-right (dimension 1); needs at least 2 dimensions; see :func:`gradkit.ops.fliplr`."""
        return ops.fliplr(self)

    def flipud(self) -> "Tensor":
        """Flip up-down (dimension 0); needs at least 1 dimension; see :func:`gradkit.ops.flipud`."""
        return ops.flipud(self)

    def roll(self, shifts, dims=None) -> "Tensor":
        """Shift elements cyclically along ``dims``; see :func:`gradkit.ops.roll`."""
        return ops.roll(self, shifts, dims)

    def rot90(self, k=1, dims=(0, 1)) -> "Tensor":
        """Rotate by 90 degrees ``k`` times in the plane ``dims``; see :func:`gradkit.ops.rot90`."""
        return ops.rot90(self, k, dims)

    def tril(self, diagonal=0) -> "Tensor":
        """The lower triangle of the last two dimensions; see :func:`gradkit.ops.tril`."""
        return ops.tril(self, diagonal)

    def triu(self, diagonal=0) -> "Tensor":
        """The upper triangle of the last two dimensions; see :func:`gradkit.ops.triu`."""
        return ops.triu(self, diagonal)

    def diag(self, diagonal=0) -> "Tensor":
        """1-D to a diagonal matrix, or a matrix's diagonal; see :func:`gradkit.ops.diag`."""
        return ops.diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1) -> "Tensor":
        """The diagonal of the planes ``(dim1, dim2)``, as the last dimension; see :func:`gradkit.ops.diagonal`."""
        return ops.diagonal(self, offset, dim1, dim2)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1) -> "Tensor":
        """Matrices with the last dimension on their diagonal; see :func:`gradkit.ops.diag_embed`."""
        return ops.diag_embed(self, offset, dim1, dim2)

    def diagflat(self, offset=0) -> "Tensor":
        """The flattened input on diagonal ``offset`` of a square matrix; see :func:`gradkit.ops.diagflat`."""
        return ops.diagflat(self, offset)

    def unflatten(self, dim, sizes) -> "Tensor":
        """Split dimension ``dim`` into ``sizes`` (one entry may be -1); see :func:`gradkit.ops.unflatten`."""
        return ops.unflatten(self, dim, sizes)

    def unfold(self, dimension, size, step) -> "Tensor":
        """Windows of ``size`` every ``step``, as a new last dimension; see :func:`gradkit.ops.unfold`."""
        return ops.unfold(self, dimension, size, step)

    def movedim(self, source, destination) -> "Tensor":
        """Move dimension(s) ``source`` to ``destination``; see :func:`gradkit.ops.movedim`."""
        return ops.movedim(self, source, destination)

    def moveaxis(self, source, destination) -> "Tensor":
        """Move dimension(s) ``source`` to ``destination``; see :func:`gradkit.ops.moveaxis`."""
        return ops.moveaxis(self, source, destination)

    def swapaxes(self, axis0, axis1) -> "Tensor":
        """Swap two dimensions; see :func:`gradkit.ops.swapaxes`."""
        return ops.swapaxes(self, axis0, axis1)

    def swapdims(self, dim0, dim1) -> "Tensor":
        """Swap two dimensions (an alias of ``swapaxes``); see :func:`gradkit.ops.swapdims`."""
        return ops.swapdims(self, dim0, dim1)

    def tensor_split(self, indices_or_sections, dim=0) -> tuple:
        """Split into nearly equal sections or at indices; see :func:`gradkit.ops.tensor_split`."""
        return ops.tensor_split(self, indices_or_sections, dim)

    def hsplit(self, indices_or_sections) -> tuple:
        """Split along dimension 1 (0 for 1-D); see :func:`gradkit.ops.hsplit`."""
        return ops.hsplit(self, indices_or_sections)

    def vsplit(self, indices_or_sections) -> tuple:
        """Split along dimension 0 of an input with at least 2 dimensions; see :func:`gradkit.ops.vsplit`."""
        return ops.vsplit(self, indices_or_sections)

    def dsplit(self, indices_or_sections) -> tuple:
        """Split along dimension 2 of an input with at least 3 dimensions; see :func:`gradkit.ops.dsplit`."""
        return ops.dsplit(self, indices_or_sections)

    def unbind(self, dim=0) -> tuple:
        """The slices along ``dim``, each without that dimension; see :func:`gradkit.ops.unbind`."""
        return ops.unbind(self, dim)
