"""Recurrent models: a many-to-one classifier, a many-to-many tagger, and the MNIST-1D GRU.

* :class:`SequenceClassifier` reads a whole sequence and predicts one label from the final
  state (sentiment of a sentence, the class of a time series).
* :class:`SequenceTagger` predicts a label at every time step (part-of-speech tags, per-frame
  events); padded steps of variable-length batches are zero and should be masked in the loss.
* :class:`MNIST1DGRU` is the small bidirectional GRU for MNIST-1D (40 steps of one feature,
  hidden size 6, all 40 x 12 outputs flattened into ``Linear(480, 10)``).

All take (batch, time, ...) inputs (``batch_first``) and optional ``lengths``.

Examples:
    >>> import gradkit as gk
    >>> clf = gk.models.SequenceClassifier(input_size=3, hidden_size=8, num_classes=2)
    >>> clf(gk.randn(4, 10, 3), lengths=[10, 9, 5, 2]).shape
    (4, 2)
    >>> tagger = gk.models.SequenceTagger(vocab_size=50, embedding_dim=8, hidden_size=8, num_tags=5)
    >>> tagger(gk.tensor([[3, 4, 0], [7, 0, 0]]), lengths=[3, 1]).shape
    (2, 3, 5)
"""

from __future__ import annotations

from ._init import apply_init
from .. import ops
from ..nn.embedding import Embedding
from ..nn.layers import Linear
from ..nn.module import Module
from ..nn.rnn import GRU, LSTM, RNN

__all__ = ["SequenceClassifier", "SequenceTagger", "MNIST1DGRU"]

_CELLS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}


def _recurrent(cell, input_size, hidden_size, num_layers, bidirectional, dropout):
    key = str(cell).lower()
    if key not in _CELLS:
        raise ValueError(f"cell must be one of {sorted(_CELLS)}, got {cell!r}")
    return _CELLS[key](input_size, hidden_size, num_layers=num_layers, batch_first=True, dropout=dropout,
                       bidirectional=bidirectional)


class _SequenceModel(Module):
    def _build(self, input_size, hidden_size, num_out, cell, num_layers, bidirectional, dropout, vocab_size,
               embedding_dim, padding_idx):
        """An optional embedding (for integer inputs), the recurrent layers and a linear head."""
        if vocab_size is not None:
            embedding_dim = embedding_dim or hidden_size
            self.embedding = Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
            input_size = embedding_dim
        else:
            self.embedding = None
        self.rnn = _recurrent(cell, input_size, hidden_size, num_layers, bidirectional, dropout)
        self.head = Linear(hidden_size * (2 if bidirectional else 1), num_out)

    def _embed_and_run(self, x, lengths):
        if self.embedding is not None:
            x = self.embedding(x)
        elif x.ndim == 2:  # (batch, time) of scalars -> one feature per step
            x = ops.unsqueeze(x, -1)
        out, state = self.rnn(x, lengths=lengths)
        h_n = state[0] if isinstance(state, tuple) else state
        return out, h_n


class SequenceClassifier(_SequenceModel):
    """Many-to-one: an (optional) embedding, a recurrent encoder, and a linear head on the final state.

    The final state of the last layer (both directions concatenated when bidirectional) is
    each sequence's state at its own last valid step when ``lengths`` are given.

    Args:
        input_size: features per step (ignored when ``vocab_size`` is given).
        hidden_size: recurrent state size.
        num_classes: number of output logits.
        cell: ``'lstm'`` (default), ``'gru'`` or ``'rnn'``.
        num_layers, bidirectional, dropout: as the recurrent layers.
        vocab_size: when given, inputs are integer ids fed through ``Embedding(vocab_size, embedding_dim)``.
        embedding_dim: embedding size (default ``hidden_size``).
        padding_idx: the padding id of the embedding.
        init: weight initialisation of the Linear and convolution layers: ``"torch"``
            (default, PyTorch's), ``"he"``, ``"xavier"``, ``"lecun"`` or ``"zeros"``
            (biases 0 for all but ``"torch"``; see :class:`MLP`).

    Shape:
        (batch, time, input_size), (batch, time) scalars, or (batch, time) ids -> logits (batch, num_classes).

    Examples:
        >>> import gradkit as gk
        >>> m = gk.models.SequenceClassifier(vocab_size=100, hidden_size=16, num_classes=3, padding_idx=0)
        >>> m(gk.tensor([[5, 6, 7], [8, 0, 0]]), lengths=[3, 1]).shape
        (2, 3)
    """

    def __init__(self, input_size: int = 1, hidden_size: int = 32, num_classes: int = 2, cell: str = "lstm",
                 num_layers: int = 1, bidirectional: bool = False, dropout: float = 0.0, vocab_size=None,
                 embedding_dim=None, padding_idx=None, init: str = "torch"):
        super().__init__()
        self._build(input_size, hidden_size, num_classes, cell, num_layers, bidirectional, dropout, vocab_size,
                    embedding_dim, padding_idx)
        apply_init(self, init, "SequenceClassifier")

    def forward(self, x, lengths=None):
        """Logits (batch, num_classes) from each sequence's final state."""
        _, h_n = self._embed_and_run(x, lengths)
        if self.rnn.bidirectional:
            last = ops.cat([h_n[-2], h_n[-1]], -1)
        else:
            last = h_n[-1]
        return self.head(last)


class SequenceTagger(_SequenceModel):
    """Many-to-many: a label for every time step from the recurrent outputs.

    Args:
        input_size: features per step (ignored when ``vocab_size`` is given).
        hidden_size: recurrent state size.
        num_tags: logits per step.
        cell: ``'lstm'``, ``'gru'`` (default ``'lstm'``) or ``'rnn'``.
        num_layers, dropout: as the recurrent layers.
        bidirectional: read both directions (default True: a tag may depend on what follows).
        vocab_size, embedding_dim, padding_idx: an embedding for integer inputs.
        init: weight initialisation of the Linear and convolution layers: ``"torch"``
            (default, PyTorch's), ``"he"``, ``"xavier"``, ``"lecun"`` or ``"zeros"``
            (biases 0 for all but ``"torch"``; see :class:`MLP`).

    Shape:
        (batch, time, ...) -> logits (batch, time, num_tags).
    """

    def __init__(self, input_size: int = 1, hidden_size: int = 32, num_tags: int = 2, cell: str = "lstm",
                 num_layers: int = 1, bidirectional: bool = True, dropout: float = 0.0, vocab_size=None,
                 embedding_dim=None, padding_idx=None, init: str = "torch"):
        super().__init__()
        self._build(input_size, hidden_size, num_tags, cell, num_layers, bidirectional, dropout, vocab_size,
                    embedding_dim, padding_idx)
        apply_init(self, init, "SequenceTagger")

    def forward(self, x, lengths=None):
        """Logits (batch, time, num_tags); rows past a sequence's length come from zero outputs."""
        out, _ = self._embed_and_run(x, lengths)
        return self.head(out)


class MNIST1DGRU(Module):
    """The MNIST-1D recurrent baseline: a bidirectional GRU (hidden 6) read over 40 steps of one
    feature, every step's 12 outputs flattened into ``Linear(480, 10)``.

    Args:
        hidden_size: GRU state size (default 6).
        seq_len: steps per signal (default 40, MNIST-1D's length).
        num_classes: logits (default 10).
        init: weight initialisation of the Linear and convolution layers: ``"torch"``
            (default, PyTorch's), ``"he"``, ``"xavier"``, ``"lecun"`` or ``"zeros"``
            (biases 0 for all but ``"torch"``; see :class:`MLP`).

    Shape:
        (batch, 40) or (batch, 40, 1) -> (batch, 10).

    Raises:
        ValueError: when the input does not have ``seq_len`` steps.

    Examples:
        >>> import gradkit as gk
        >>> gk.models.MNIST1DGRU()(gk.randn(8, 40)).shape
        (8, 10)
    """

    def __init__(self, hidden_size: int = 6, seq_len: int = 40, num_classes: int = 10, init: str = "torch"):
        super().__init__()
        self.seq_len = int(seq_len)
        self.rnn = GRU(1, hidden_size, batch_first=True, bidirectional=True)
        self.fc = Linear(2 * hidden_size * self.seq_len, num_classes)
        apply_init(self, init, "MNIST1DGRU")

    def forward(self, x):
        """Logits (batch, num_classes)."""
        if x.ndim not in (2, 3) or x.shape[1] != self.seq_len or (x.ndim == 3 and x.shape[2] != 1):
            raise ValueError(
                f"MNIST1DGRU expects input of shape (batch, {self.seq_len}) or (batch, {self.seq_len}, 1), "
                f"got {tuple(x.shape)}"
            )
        if x.ndim == 2:
            x = ops.unsqueeze(x, -1)
        out, _ = self.rnn(x)
        return self.fc(ops.flatten(out, 1))
