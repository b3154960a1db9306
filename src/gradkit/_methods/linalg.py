"""Linear algebra as Tensor methods.

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


class LinalgMethods:
    """``x.matmul(y)``..."""

    __slots__ = ()
    array: Any  # the Tensor's storage (a slot of Tensor)

    def matmul(self, b) -> "Tensor":
        """Matrix product with ``b`` (``self @ b``); see :func:`gradkit.ops.matmul`."""
        return ops.matmul(self, b)

    # shape, layout, linear algebra (h3)
    def mm(self, mat2) -> "Tensor":
        """The product of two matrices ``(n, k) @ (k, m)`` (no broadcasting); see :func:`gradkit.ops.mm`."""
        return ops.mm(self, mat2)

    def bmm(self, mat2) -> "Tensor":
        """Batched matrix product ``(B, n, k) @ (B, k, m)`` (no broadcasting); see :func:`gradkit.ops.bmm`."""
        return ops.bmm(self, mat2)

    def mv(self, vec) -> "Tensor":
        """Matrix times vector ``(n, m) @ (m,)``; see :func:`gradkit.ops.mv`."""
        return ops.mv(self, vec)

    def dot(self, tensor) -> "Tensor":
        """The inner product of two 1-D tensors of equal length; see :func:`gradkit.ops.dot`."""
        return ops.dot(self, tensor)

    def vdot(self, other) -> "Tensor":
        """``dot`` with the first argument conjugated (the same for real tensors); see :func:`gradkit.ops.vdot`."""
        return ops.vdot(self, other)

    def outer(self, vec2) -> "Tensor":
        """The outer product of two 1-D tensors; see :func:`gradkit.ops.outer`."""
        return ops.outer(self, vec2)

    def ger(self, vec2) -> "Tensor":
        """The outer product of two 1-D tensors; see :func:`gradkit.ops.ger`."""
        return ops.ger(self, vec2)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1) -> "Tensor":
        """``beta * self + alpha * (mat1 @ mat2)``; see :func:`gradkit.ops.addmm`."""
        return ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1) -> "Tensor":
        """``beta * input + alpha * (mat @ vec)``; see :func:`gradkit.ops.addmv`."""
        return ops.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1) -> "Tensor":
        """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``; see :func:`gradkit.ops.addbmm`."""
        return ops.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1) -> "Tensor":
        """``beta * input + alpha * bmm(batch1, batch2)``; see :func:`gradkit.ops.baddbmm`."""
        return ops.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1) -> "Tensor":
        """``beta * input + alpha * outer(vec1, vec2)``; see :func:`gradkit.ops.addr`."""
        return ops.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def inner(self, other) -> "Tensor":
        """The sum of products over the last dimensions; see :func:`gradkit.ops.inner`."""
        return ops.inner(self, other)

    def kron(self, other) -> "Tensor":
        """The Kronecker product; see :func:`gradkit.ops.kron`."""
        return ops.kron(self, other)

    def trace(self) -> "Tensor":
        """The sum of the main diagonal of a matrix; see :func:`gradkit.ops.trace`."""
        return ops.trace(self)

    def cross(self, other, dim=None) -> "Tensor":
        """The cross product of 3-vectors along ``dim``; see :func:`gradkit.ops.cross`."""
        return ops.cross(self, other, dim)

    def matrix_power(self, n) -> "Tensor":
        """The matrix multiplied by itself ``n`` times; see :func:`gradkit.ops.matrix_power`."""
        return ops.matrix_power(self, n)

    def det(self) -> "Tensor":
        """The determinant of square matrices; see :func:`gradkit.ops.det`."""
        return ops.det(self)

    def slogdet(self) -> tuple:
        """``(sign, log|det|)`` of square matrices; see :func:`gradkit.ops.slogdet`."""
        return ops.slogdet(self)

    def logdet(self) -> "Tensor":
        """``log(det)`` of square matrices; see :func:`gradkit.ops.logdet`."""
        return ops.logdet(self)

    def inverse(self) -> "Tensor":
        """The inverse of square matrices; see :func:`gradkit.ops.inverse`."""
        return ops.inverse(self)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None) -> "Tensor":
        """A vector norm (``p``) or the nuclear norm, as ``torch.norm``; see :func:`gradkit.ops.norm`."""
        return ops.norm(self, p, dim, keepdim, dtype)

    def dist(self, other, p=2) -> "Tensor":
        """The ``p``-norm of ``self - other``; see :func:`gradkit.ops.dist`."""
        return ops.dist(self, other, p)
