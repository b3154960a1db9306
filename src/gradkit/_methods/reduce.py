"""Reductions, norms and scans as Tensor methods.

Mixed into :class:`gradkit.Tensor`. Each method is one plain call of the function of the same name
in :mod:`gradkit.ops`, with the same signature (``x.sum(1)`` is ``gk.sum(x, 1)``);
tests/core/test_tensor_methods.py checks that the signatures match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for the annotations only: Tensor is built from these mixins
    from ..tensor import Tensor
    from ..ops.reduce import MinMax, ValuesIndices

# gradkit.ops imports Tensor, which is built from this class, so the module is bound here by
# gradkit.tensor once both exist (see _methods.bind_ops); methods look it up when called.
ops: Any = None


class ReduceMethods:
    """``x.sum()``, ``x.max(dim)``, ``x.logsumexp(dim)``..."""

    __slots__ = ()
    array: Any  # the Tensor's storage (a slot of Tensor)

    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=False, dtype=None) -> "Tensor":
        """Sum over ``dim`` (all dimensions by default); see :func:`gradkit.ops.sum`."""
        return ops.sum(self, dim, keepdim, axis=axis, keepdims=keepdims, dtype=dtype)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        """Maximum; with an integer ``dim``, ``(values, indices)``; see :func:`gradkit.ops.max`."""
        return ops.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        """Minimum; with an integer ``dim``, ``(values, indices)``; see :func:`gradkit.ops.min`."""
        return ops.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(self, dim=None, keepdim=False, *, axis=None, keepdims=False) -> "Tensor":
        """Maximum values over ``dim``; see :func:`gradkit.ops.amax`."""
        return ops.amax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amin(self, dim=None, keepdim=False, *, axis=None, keepdims=False) -> "Tensor":
        """Minimum values over ``dim``; see :func:`gradkit.ops.amin`."""
        return ops.amin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=False) -> "Tensor":
        """Index of the maximum (no gradient); see :func:`gradkit.ops.argmax`."""
        return ops.argmax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=False) -> "Tensor":
        """Index of the minimum (no gradient); see :func:`gradkit.ops.argmin`."""
        return ops.argmin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def logsumexp(self, dim=None, keepdim=False, *, axis=None, keepdims=False) -> "Tensor":
        """``log(sum(exp(x)))`` over ``dim``, computed stably; see :func:`gradkit.ops.logsumexp`."""
        return ops.logsumexp(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def any(self, dim=None, keepdim=False, *, axis=None) -> "Tensor":
        """Whether any element is true (over ``dim``); see :func:`gradkit.ops.any`."""
        return ops.any(self, dim, keepdim, axis=axis)

    def all(self, dim=None, keepdim=False, *, axis=None) -> "Tensor":
        """Whether all elements are true (over ``dim``); see :func:`gradkit.ops.all`."""
        return ops.all(self, dim, keepdim, axis=axis)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=False, dtype=None) -> "Tensor":
        """Mean over ``dim`` (all dimensions by default); see :func:`gradkit.ops.mean`."""
        return ops.mean(self, dim, keepdim, axis=axis, keepdims=keepdims, dtype=dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, axis=None, keepdims=False,
            correction=None, ddof=None) -> "Tensor":
        """Variance over ``dim`` (unbiased by default); see :func:`gradkit.ops.var`."""
        return ops.var(self, dim, unbiased, keepdim, axis=axis, keepdims=keepdims, correction=correction, ddof=ddof)

    def std(self, dim=None, unbiased=None, keepdim=False, *, axis=None, keepdims=False,
            correction=None, ddof=None) -> "Tensor":
        """Standard deviation over ``dim`` (unbiased by default); see :func:`gradkit.ops.std`."""
        return ops.std(self, dim, unbiased, keepdim, axis=axis, keepdims=keepdims, correction=correction, ddof=ddof)

    def prod(self, dim=None, keepdim=False, *, dtype=None) -> "Tensor":
        """Product over ``dim`` or of everything (zero-safe gradient); see :func:`gradkit.ops.prod`."""
        return ops.prod(self, dim, keepdim, dtype=dtype)

    def nansum(self, dim=None, keepdim=False, *, dtype=None) -> "Tensor":
        """Sum treating NaN as zero; see :func:`gradkit.ops.nansum`."""
        return ops.nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None) -> "Tensor":
        """Mean of the values that are not NaN; see :func:`gradkit.ops.nanmean`."""
        return ops.nanmean(self, dim, keepdim, dtype=dtype)

    def aminmax(self, *, dim=None, keepdim=False) -> "MinMax":
        """``(min, max)`` over ``dim`` or everything; see :func:`gradkit.ops.aminmax`."""
        return ops.aminmax(self, dim=dim, keepdim=keepdim)

    def count_nonzero(self, dim=None) -> "Tensor":
        """Number of non-zero elements (int64); see :func:`gradkit.ops.count_nonzero`."""
        return ops.count_nonzero(self, dim)

    def cumsum(self, dim, *, dtype=None, out=None) -> "Tensor":
        """Cumulative sum along ``dim``; see :func:`gradkit.ops.cumsum`."""
        return ops.cumsum(self, dim, dtype=dtype, out=out)

    def cumprod(self, dim, *, dtype=None, out=None) -> "Tensor":
        """Cumulative product along ``dim``; see :func:`gradkit.ops.cumprod`."""
        return ops.cumprod(self, dim, dtype=dtype, out=out)

    def cummax(self, dim) -> "ValuesIndices":
        """Running maximum and its indices along ``dim``; see :func:`gradkit.ops.cummax`."""
        return ops.cummax(self, dim)

    def cummin(self, dim) -> "ValuesIndices":
        """Running minimum and its indices along ``dim``; see :func:`gradkit.ops.cummin`."""
        return ops.cummin(self, dim)

    def logcumsumexp(self, dim, *, out=None) -> "Tensor":
        """``log(cumsum(exp(x)))`` along ``dim``, stably; see :func:`gradkit.ops.logcumsumexp`."""
        return ops.logcumsumexp(self, dim, out=out)

    def median(self, dim=None, keepdim=False):
        """Lower median (with ``dim``: values and indices); see :func:`gradkit.ops.median`."""
        return ops.median(self, dim, keepdim)

    def nanmedian(self, dim=None, keepdim=False):
        """Median ignoring NaN; see :func:`gradkit.ops.nanmedian`."""
        return ops.nanmedian(self, dim, keepdim)

    def mode(self, dim=-1, keepdim=False) -> "ValuesIndices":
        """Most frequent value along ``dim`` and its index; see :func:`gradkit.ops.mode`."""
        return ops.mode(self, dim, keepdim)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear") -> "Tensor":
        """The ``q``-th quantiles; see :func:`gradkit.ops.quantile`."""
        return ops.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear") -> "Tensor":
        """The ``q``-th quantiles ignoring NaN; see :func:`gradkit.ops.nanquantile`."""
        return ops.nanquantile(self, q, dim, keepdim, interpolation=interpolation)
