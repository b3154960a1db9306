"""Matrix products: ``matmul`` (batched, broadcasting) and ``linear`` (one fused layer op)."""

from __future__ import annotations

from ..autograd.function import FusedOp, Op
from ..errors import ShapeError
from ..parallel import blas_matmul as _mm
from ..tensor import Tensor
from ._util import coerce, ensure_tensor, shape_str
from .shape import reshape, sum_to, transpose


__all__ = [  # gk.<name>; the other functions here are gradkit-internal
    "linear", "matmul",
]


class MatMul(Op):
    """``a @ b`` for operands with at least two dimensions (batch dimensions broadcast)."""

    def forward(self, a, b):
        return _mm(a, b)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = sum_to(gy @ transpose(b), a.shape) if na else None
        gb = sum_to(transpose(a) @ gy, b.shape) if nb else None
        return ga, gb


class Linear(FusedOp):
    """``x @ W.T + b`` in one op: forward one GEMM, backward two GEMMs and a reduction on arrays.

    Every dense layer runs it twice a step, so its derivative is written on raw arrays (a
    chain of gradkit ops cost several percent of an MLP's training step); a recorded
    backward (``create_graph=True``) differentiates :meth:`composite` instead.
    """

    def forward(self, x, w, b=None):
        y = _mm(x, w.T)
        if b is not None:
            y += b
        return y

    def backward_arrays(self, g):
        x, w = self.inputs[0].array, self.inputs[1].array
        need = self.needs_input_grad
        gx = _mm(g, w) if need[0] else None
        gw = None
        if need[1]:
            if x.ndim == 2:
                gw = _mm(g.T, x)
            else:
                gw = _mm(g.reshape(-1, g.shape[-1]).T, x.reshape(-1, x.shape[-1]))
        if len(need) == 2:
            return gx, gw
        gb = g.reshape(-1, g.shape[-1]).sum(0) if need[2] else None
        return gx, gw, gb

    def composite(self, x, w, b=None):
        y = matmul(x, transpose(w))
        return y if b is None else y + b


def matmul(a, b) -> Tensor:
    """Matrix product with NumPy/PyTorch semantics (1-D operands, batched broadcasting).

    Raises:
        ValueError: when the inner dimensions differ, naming both shapes.
    """
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        a, b = coerce(a, b) if isinstance(a, Tensor) or isinstance(b, Tensor) else (ensure_tensor(a), ensure_tensor(b))
    elif a.array.dtype != b.array.dtype:
        a, b = coerce(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes {shape_str(a.shape)} and {shape_str(b.shape)}")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        raise ShapeError(
            f"matmul: cannot multiply shapes {shape_str(a.shape)} and {shape_str(b.shape)}: "
            f"inner dimensions {ka} and {kb} differ"
        )
    squeeze_a = a.ndim == 1
    squeeze_b = b.ndim == 1
    if squeeze_a:
        a = reshape(a, (1, ka))
    if squeeze_b:
        b = reshape(b, (kb, 1))
    try:
        y = MatMul()(a, b)
    except ValueError:
        raise ShapeError(
            f"matmul: batch dimensions of shapes {shape_str(a.shape)} and {shape_str(b.shape)} cannot be broadcast"
        ) from None
    if squeeze_a and squeeze_b:
        return reshape(y, ())
    if squeeze_a:
        return reshape(y, y.shape[:-2] + y.shape[-1:])
    if squeeze_b:
        return reshape(y, y.shape[:-1])
    return y


def linear(x, weight, bias=None) -> Tensor:
    """``x @ weight.T + bias`` with ``weight`` of shape (out_features, in_features).

    Raises:
        ValueError: when ``x``'s last dimension is not ``in_features``.
    """
    x = ensure_tensor(x)
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear expected input with last dimension {weight.shape[1]}, got shape {shape_str(x.shape)}"
        )
    if x.array.dtype != weight.array.dtype:
        x = x.to(weight.dtype)
    if bias is None:
        return Linear()(x, weight)
    return Linear()(x, weight, bias)
