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

from ..backend import get_default_dtype
from ..ops._util import shape_str
from ..tensor import Tensor
from . import init
from .functional.sparse import EmbeddingLookup, _check_ids, embedding  # noqa: F401 - re-exported
from .module import Module, Parameter

__all__ = ["Embedding", "embedding"]


class Embedding(Module):
    """A table of ``num_embeddings`` learned vectors of size ``embedding_dim``, indexed by integer ids.

    Initialised ``N(0, 1)`` as in PyTorch; the ``padding_idx`` row is zero and gets no
    gradient. Gradients of repeated ids accumulate.

    Args:
        num_embeddings: size of the vocabulary.
        embedding_dim: size of each vector.
        padding_idx: optional id of the padding token (negative counts from the end).
        max_norm: rescale looked-up rows whose norm exceeds it, in place (see
            :func:`~gradkit.nn.functional.embedding`).
        norm_type: the norm of ``max_norm`` (default 2).
        scale_grad_by_freq: divide each row's gradient by its id's frequency in the batch.
        sparse: accepted for PyTorch compatibility (gradients are dense).
        _weight: an initial table (PyTorch's private argument, used by ``from_pretrained``).
        _freeze: start with ``requires_grad=False``.
        device: where the table lives (``'cpu'`` or ``'cuda'``).
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

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx=None, max_norm=None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False, _weight=None,
                 _freeze: bool = False, device=None, dtype=None):
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
        self.max_norm = None if max_norm is None else float(max_norm)
        self.norm_type = float(norm_type)
        self.scale_grad_by_freq = bool(scale_grad_by_freq)
        self.sparse = bool(sparse)
        dt = np.dtype(dtype) if dtype is not None else get_default_dtype()
        if _weight is None:
            self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype=dt), not _freeze)
            self.reset_parameters()
        else:
            w = _weight.array if isinstance(_weight, Tensor) else np.asarray(_weight)
            if tuple(w.shape) != (self.num_embeddings, self.embedding_dim):
                raise ValueError(
                    f"Embedding: _weight has shape {shape_str(w.shape)}, expected "
                    f"{shape_str((self.num_embeddings, self.embedding_dim))}"
                )
            self.weight = Parameter(w, not _freeze)
        if device is not None:
            self.to(device=device)

    def reset_parameters(self) -> None:
        """Draw the table from ``N(0, 1)`` and zero the padding row."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            from ..autograd.grad_mode import no_grad

            with no_grad():
                self.weight.array[self.padding_idx] = 0

    def forward(self, input) -> Tensor:
        """Return ``weight[input]``, shape ``input.shape + (embedding_dim,)``."""
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type, self.scale_grad_by_freq)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx=None, max_norm=None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> "Embedding":
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
        emb = cls(arr.shape[0], arr.shape[1], padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                  scale_grad_by_freq=scale_grad_by_freq, sparse=sparse, dtype=arr.dtype)
        emb.weight.array[...] = arr
        emb.weight.requires_grad = not freeze
        return emb

