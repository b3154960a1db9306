"""Selection and indexing as Tensor methods.

Mixed into :class:`gradkit.Tensor`. Each method that has a function of the same name in
:mod:`gradkit.ops` is one plain call of it, with the same signature;
tests/core/test_tensor_methods.py checks that the signatures match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for the annotations only: Tensor is built from these mixins
    from ..tensor import Tensor
    from ..ops.reduce import ValuesIndices

# gradkit.ops imports Tensor, which is built from this class, so the module is bound here by
# gradkit.tensor once both exist (see _methods.bind_ops); methods look it up when called.
ops: Any = None


class SelectMethods:
    """``x.gather(dim, index)``, ``x.scatter_(dim, index, src)``, ``x.sort()``, ``x.topk(k)``..."""

    __slots__ = ()
    array: Any  # the Tensor's storage (a slot of Tensor)

    def gather(self, dim, index, *, sparse_grad=False, out=None) -> "Tensor":
        """Values picked along ``dim`` at ``index``; see :func:`gradkit.ops.gather`."""
        return ops.gather(self, dim, index, sparse_grad=sparse_grad, out=out)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None) -> "Tensor":
        """A copy with ``src`` written at ``index``; see :func:`gradkit.ops.scatter`."""
        return ops.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None) -> "Tensor":
        """In-place :meth:`scatter` (``self`` holds the result); see :func:`gradkit.ops.scatter`."""
        return ops.select.apply_inplace(self, ops.scatter, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim, index, src) -> "Tensor":
        """A copy with ``src`` added at ``index``; see :func:`gradkit.ops.scatter_add`."""
        return ops.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim, index, src) -> "Tensor":
        """In-place :meth:`scatter_add` (``self`` holds the result); see :func:`gradkit.ops.scatter_add`."""
        return ops.select.apply_inplace(self, ops.scatter_add, dim, index, src)

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True) -> "Tensor":
        """A copy combined with ``src`` at ``index`` by ``reduce``; see :func:`gradkit.ops.scatter_reduce`."""
        return ops.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True) -> "Tensor":
        """In-place :meth:`scatter_reduce` (``self`` holds the result); see :func:`gradkit.ops.scatter_reduce`."""
        return ops.select.apply_inplace(self, ops.scatter_reduce, dim, index, src, reduce, include_self=include_self)

    def index_select(self, dim, index, *, out=None) -> "Tensor":
        """The slices at ``index`` along ``dim``; see :func:`gradkit.ops.index_select`."""
        return ops.index_select(self, dim, index, out=out)

    def index_add(self, dim, index, source, *, alpha=1) -> "Tensor":
        """A copy with ``alpha * source`` added at ``index``; see :func:`gradkit.ops.index_add`."""
        return ops.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1) -> "Tensor":
        """In-place :meth:`index_add` (``self`` holds the result); see :func:`gradkit.ops.index_add`."""
        return ops.select.apply_inplace(self, ops.index_add, dim, index, source, alpha=alpha)

    def index_copy(self, dim, index, source) -> "Tensor":
        """A copy with ``source`` written at ``index``; see :func:`gradkit.ops.index_copy`."""
        return ops.index_copy(self, dim, index, source)

    def index_copy_(self, dim, index, source) -> "Tensor":
        """In-place :meth:`index_copy` (``self`` holds the result); see :func:`gradkit.ops.index_copy`."""
        return ops.select.apply_inplace(self, ops.index_copy, dim, index, source)

    def index_fill(self, dim, index, value) -> "Tensor":
        """A copy with ``value`` at ``index`` along ``dim``; see :func:`gradkit.ops.index_fill`."""
        return ops.index_fill(self, dim, index, value)

    def index_fill_(self, dim, index, value) -> "Tensor":
        """In-place :meth:`index_fill` (``self`` holds the result); see :func:`gradkit.ops.index_fill`."""
        return ops.select.apply_inplace(self, ops.index_fill, dim, index, value)

    def masked_fill(self, mask, value) -> "Tensor":
        """A copy with ``value`` where ``mask`` is true; see :func:`gradkit.ops.masked_fill`."""
        return ops.masked_fill(self, mask, value)

    def masked_fill_(self, mask, value) -> "Tensor":
        """In-place :meth:`masked_fill` (``self`` holds the result); see :func:`gradkit.ops.masked_fill`."""
        return ops.select.apply_inplace(self, ops.masked_fill, mask, value)

    def masked_scatter(self, mask, source) -> "Tensor":
        """A copy with ``source`` written where ``mask`` is true; see :func:`gradkit.ops.masked_scatter`."""
        return ops.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask, source) -> "Tensor":
        """In-place :meth:`masked_scatter` (``self`` holds the result); see :func:`gradkit.ops.masked_scatter`."""
        return ops.select.apply_inplace(self, ops.masked_scatter, mask, source)

    def masked_select(self, mask, *, out=None) -> "Tensor":
        """The elements where ``mask`` is true (1-D); see :func:`gradkit.ops.masked_select`."""
        return ops.masked_select(self, mask, out=out)

    def take(self, index) -> "Tensor":
        """Elements read as if flattened, at ``index``; see :func:`gradkit.ops.take`."""
        return ops.take(self, index)

    def take_along_dim(self, indices, dim=None, *, out=None) -> "Tensor":
        """``gather`` with broadcasting; see :func:`gradkit.ops.take_along_dim`."""
        return ops.take_along_dim(self, indices, dim, out=out)

    def sort(self, dim=-1, descending=False, stable=False, *, out=None) -> "ValuesIndices":
        """Sorted values and their indices along ``dim``; see :func:`gradkit.ops.sort`."""
        return ops.sort(self, dim, descending, stable, out=out)

    def argsort(self, dim=-1, descending=False, stable=False) -> "Tensor":
        """Indices that sort along ``dim``; see :func:`gradkit.ops.argsort`."""
        return ops.argsort(self, dim, descending, stable)

    def msort(self) -> "Tensor":
        """Sorted along the first dim; see :func:`gradkit.ops.msort`."""
        return ops.msort(self)

    def topk(self, k, dim=-1, largest=True, sorted=True, *, out=None) -> "ValuesIndices":
        """The ``k`` largest (smallest) values and indices; see :func:`gradkit.ops.topk`."""
        return ops.topk(self, k, dim, largest, sorted, out=out)

    def kthvalue(self, k, dim=-1, keepdim=False, *, out=None) -> "ValuesIndices":
        """The ``k``-th smallest value and its index; see :func:`gradkit.ops.kthvalue`."""
        return ops.kthvalue(self, k, dim, keepdim, out=out)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (sorted); see :func:`gradkit.ops.unique`."""
        return ops.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        """Runs of equal consecutive values kept once; see :func:`gradkit.ops.unique_consecutive`."""
        return ops.unique_consecutive(self, return_inverse, return_counts, dim)

    def bincount(self, weights=None, minlength=0) -> "Tensor":
        """Counts of each non-negative integer; see :func:`gradkit.ops.bincount`."""
        return ops.bincount(self, weights, minlength)

    def where(self, condition, other) -> "Tensor":
        """``self`` where ``condition`` is true, else ``other`` (``gk.where(condition, self, other)``); see :func:`gradkit.ops.where`."""
        return ops.where(condition, self, other)
