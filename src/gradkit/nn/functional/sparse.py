"""``embedding`` and ``one_hot``'s sibling lookups (``torch.nn.functional.embedding``).

The forward is an index ``weight[ids]``; the backward scatters the output gradient back
into the rows that were used, *adding* the contributions of repeated ids. The row
``padding_idx`` (if given) never receives a gradient.

Example:
    >>> import gradkit as gk
    >>> import gradkit.nn.functional as F
    >>> F.embedding(gk.tensor([1, 1]), gk.eye(3)).tolist()
    [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
"""

from __future__ import annotations

import numpy as np

from ...autograd.function import Op
from ...autograd.grad_mode import no_grad
from ...backend import get_array_module
from ...ops._util import const, shape_str
from ...ops.elementwise import MaskMul
from ...ops.shape import IndexAdd
from ...tensor import Tensor

__all__ = ["embedding"]


class EmbeddingLookup(Op):
    """``weight[ids]`` whose gradient accumulates repeated ids and skips ``padding_idx``.

    The backward is written with gradkit ops (a mask over the looked-up rows, then an
    index-add), so it can be differentiated again. The mask is batch-sized: masking the
    gradient table instead would cost a pass over the whole (vocabulary, dim) table per step.
    With ``scale_grad_by_freq`` each row's gradient is divided by how often its id occurs.
    """

    def __init__(self, ids, padding_idx=None, scale_grad_by_freq=False):
        self.ids, self.padding_idx, self.scale = ids, padding_idx, scale_grad_by_freq

    def forward(self, weight):
        return weight[self.ids]

    def backward(self, gy):
        w = self.inputs[0]
        if self.padding_idx is not None:
            gy = MaskMul((self.ids != self.padding_idx)[..., None])(gy)
        if self.scale:
            xp = get_array_module(self.ids)
            counts = xp.bincount(self.ids.ravel(), minlength=w.shape[0])
            inv = (1.0 / xp.maximum(counts[self.ids], 1)).astype(gy.dtype)[..., None]
            gy = gy * const(inv)
        return IndexAdd(self.ids, w.shape)(gy)


def _check_ids(ids, num_embeddings, where):
    arr = ids.array if isinstance(ids, Tensor) else ids
    if not hasattr(arr, "dtype"):
        arr = np.asarray(arr)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{where}: expected integer ids (int64 or int32), got dtype {arr.dtype}")
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= num_embeddings:
            raise IndexError(
                f"{where}: ids must lie in [0, {num_embeddings - 1}] (num_embeddings={num_embeddings}), "
                f"got ids from {lo} to {hi} in an input of shape {shape_str(arr.shape)}"
            )
    return arr


def _renorm_(weight, ids, max_norm, norm_type):
    """Rescale, in place and outside the graph, the used rows whose norm exceeds ``max_norm`` (as PyTorch)."""
    xp = get_array_module(weight.array)
    rows = xp.unique(ids.ravel())
    w = weight.array[rows]
    if norm_type == np.inf:
        n = xp.abs(w).max(axis=1)
    else:
        n = (xp.abs(w) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    big = n > max_norm
    if big.any():
        with no_grad():
            scale = (max_norm / (n[big] + 1e-7)).astype(w.dtype)
            weight.array[rows[big]] = w[big] * scale[:, None]


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of ``weight`` (``torch.nn.functional.embedding``).

    Args:
        input: integer ids of any shape.
        weight: (num_embeddings, embedding_dim).
        padding_idx: a row that receives no gradient (negative counts from the end).
        max_norm: if given, each looked-up row whose ``norm_type``-norm exceeds it is rescaled
            to that norm *in place* in ``weight`` before the lookup (as PyTorch).
        norm_type: the norm of ``max_norm`` (default 2).
        scale_grad_by_freq: divide each row's gradient by the frequency of its id in the batch.
        sparse: accepted for PyTorch compatibility; the gradient is always a dense table.

    Returns:
        A tensor of shape ``input.shape + (embedding_dim,)``.

    Raises:
        TypeError: for non-integer ids. IndexError: for ids outside ``[0, num_embeddings)``.

    Example:
        >>> embedding(gk.tensor([[0, 2]]), gk.ones(3, 4)).shape
        (1, 2, 4)
    """
    n = weight.shape[0]
    arr = _check_ids(input, n, f"embedding(num_embeddings={n})")
    xp = get_array_module(weight.array)
    if xp is not np and isinstance(arr, np.ndarray):
        arr = xp.asarray(arr)
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    if max_norm is not None and arr.size:
        _renorm_(weight, arr, float(max_norm), float(norm_type))
    return EmbeddingLookup(arr, padding_idx, bool(scale_grad_by_freq))(weight)
