"""``Embedding``: a lookup table from integer ids to learned vectors (``torch.nn.Embedding``).

The forward is an index ``weight[ids]``; the backward scatters the output gradient back
into the rows that were used, *adding* the contributions of repeated ids. The row
``padding_idx`` (if given) starts at zero and never receives a gradient, so it stays
zero through training.

Example:
    >>> import gradkit as gk
    >>> emb = gk.nn.Embedding(10, 3, padding_idx=0)
    >>> emb(gk.tensor([[1, 2, 0], [4, 0, 0]])).shape
    (2, 3, 3)
    >>> float(emb.weight[0].abs().sum())
    0.0
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import get_array_module, get_default_dtype
from ..ops._util import shape_str
from ..ops.elementwise import MaskMul
from ..ops.shape import IndexAdd
from ..tensor import Tensor
from . import init
from .module import Module, Parameter

__all__ = ["Embedding", "embedding"]


class EmbeddingLookup(Op):
    """``weight[ids]`` whose gradient accumulates repeated ids and skips ``padding_idx``.

    The backward is written with gradkit ops (a mask over the looked-up rows, then an
    index-add), so it can be differentiated again. The mask is batch-sized: masking the
    gradient table instead would cost a pass over the whole (vocabulary, dim) table per step.
    """

    def __init__(self, ids, padding_idx=None):
        self.ids, self.padding_idx = ids, padding_idx

    def forward(self, weight):
        return weight[self.ids]

    def backward(self, gy):
        w = self.inputs[0]
        if self.padding_idx is not None:
            gy = MaskMul((self.ids != self.padding_idx)[..., None])(gy)
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


def embedding(input, weight, padding_idx=None) -> Tensor:
    """Look up rows of ``weight`` (``torch.nn.functional.embedding``).

    Args:
        input: integer ids of any shape.
        weight: (num_embeddings, embedding_dim).
        padding_idx: a row that receives no gradient (negative counts from the end).

    Returns:
        A tensor of shape ``input.shape + (embedding_dim,)``.

    Raises:
        TypeError: for non-integer ids. IndexError: for ids outside ``[0, num_embeddings)``.
    """
    n = weight.shape[0]
    arr = _check_ids(input, n, f"embedding(num_embeddings={n})")
    xp = get_array_module(weight.array)
    if xp is not np and isinstance(arr, np.ndarray):
        arr = xp.asarray(arr)
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    return EmbeddingLookup(arr, padding_idx)(weight)


class Embedding(Module):
    """A table of ``num_embeddings`` learned vectors of size ``embedding_dim``, indexed by integer ids.

    Initialised ``N(0, 1)`` as in PyTorch; the ``padding_idx`` row is zero and gets no
    gradient. Gradients of repeated ids accumulate.

    Args:
        num_embeddings: size of the vocabulary.
        embedding_dim: size of each vector.
        padding_idx: optional id of the padding token (negative counts from the end).
        dtype: parameter dtype (default ``gk.get_default_dtype()``).

    Shape:
        ids of any shape ``(*)`` -> ``(*, embedding_dim)``.

    Raises:
        ValueError: for non-positive sizes or a ``padding_idx`` outside the table.
        IndexError: in forward, for ids outside ``[0, num_embeddings)``.

    Example:
        >>> import gradkit as gk
        >>> emb = gk.nn.Embedding(100, 8)
        >>> emb(gk.tensor([3, 3, 7])).shape
        (3, 8)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx=None, dtype=None):
        super().__init__()
        if num_embeddings <= 0 or embedding_dim <= 0:
            raise ValueError(
                f"Embedding needs positive sizes, got num_embeddings={num_embeddings}, embedding_dim={embedding_dim}"
            )
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx must lie in [-{num_embeddings}, {num_embeddings - 1}], got {padding_idx}"
                )
            if padding_idx < 0:
                padding_idx += num_embeddings
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        self.padding_idx = padding_idx
        dt = np.dtype(dtype) if dtype is not None else get_default_dtype()
        self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype=dt))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the table from ``N(0, 1)`` and zero the padding row."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            from ..autograd.grad_mode import no_grad

            with no_grad():
                self.weight.array[self.padding_idx] = 0

    def forward(self, input) -> Tensor:
        """Return ``weight[input]``, shape ``input.shape + (embedding_dim,)``."""
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx=None) -> "Embedding":
        """An Embedding holding a copy of ``embeddings`` (num_embeddings, embedding_dim).

        Args:
            embeddings: 2-D Tensor or array of vectors (e.g. word2vec/GloVe).
            freeze: keep the table fixed (``requires_grad=False``), the default as in PyTorch.
            padding_idx: as in the constructor (the row is kept as given, not zeroed).

        Raises:
            ValueError: when ``embeddings`` is not 2-D.
        """
        arr = embeddings.array if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if arr.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained expects a 2-D table, got shape {shape_str(arr.shape)}")
        if arr.dtype.kind != "f":
            arr = arr.astype(get_default_dtype())
        emb = cls(arr.shape[0], arr.shape[1], padding_idx=padding_idx, dtype=arr.dtype)
        emb.weight.array[...] = arr
        emb.weight.requires_grad = not freeze
        return emb

