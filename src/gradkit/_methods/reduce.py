"""Reductions as Tensor methods.

Mixed into :class:`gradkit.Tensor`. Each method is one plain call of the function of the same name
in :mod:`gradkit.ops`, with the same signature (``x.sum(1)`` is ``gk.sum(x, 1)``);
tests/core/test_tensor_methods.py checks that the signatures match.
"""

from __future__ import annotations

# gradkit.ops imports Tensor, which is built from this class, so the module is bound here by
# gradkit.tensor once both exist (see _methods.bind_ops); methods look it up when called.
ops = None


class ReduceMethods:
    """``x.sum()``, ``x.max(dim)``, ``x.logsumexp(dim)``..."""

    __slots__ = ()

    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=False, dtype=None) -> "Tensor":
        """Sum over ``dim`` (all dimensions by default); see :func:`gradkit.ops.sum`."""
        return ops.sum(self, dim, keepdim, axis=axis, keepdims=keepdims, dtype=dtype)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=False) -> "Tensor":
        """Mean over ``dim`` (all dimensions by default); see :func:`gradkit.ops.mean`."""
        return ops.mean(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def var(self, dim=None, keepdim=False, *, axis=None, keepdims=False,
            correction=None, unbiased=None, ddof=None) -> "Tensor":
        """Variance over ``dim`` (unbiased by default); see :func:`gradkit.ops.var`."""
        return ops.var(self, dim, keepdim, axis=axis, keepdims=keepdims,
                       correction=correction, unbiased=unbiased, ddof=ddof)

    def std(self, dim=None, keepdim=False, *, axis=None, keepdims=False,
            correction=None, unbiased=None, ddof=None) -> "Tensor":
        """Standard deviation over ``dim`` (unbiased by default); see :func:`gradkit.ops.std`."""
        return ops.std(self, dim, keepdim, axis=axis, keepdims=keepdims,
                       correction=correction, unbiased=unbiased, ddof=ddof)

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
