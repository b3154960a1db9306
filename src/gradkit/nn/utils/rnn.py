"""Variable-length sequences for the recurrent layers (``torch.nn.utils.rnn``).

A :class:`PackedSequence` stores a batch of sequences of different lengths without padding:
sorted by decreasing length, ``data`` holds time step 0 of every sequence, then step 1 of
every sequence still running, and so on; ``batch_sizes[t]`` says how many sequences run at
step ``t``. ``sorted_indices`` maps the sorted order to the caller's batch order
(``unsorted_indices`` back). :class:`~gradkit.nn.RNN`, :class:`~gradkit.nn.LSTM` and
:class:`~gradkit.nn.GRU` accept one and return the output packed the same way, with final
states in the caller's batch order (what PyTorch returns).

Every conversion is an index into its input, so gradients flow through packing and padding.

Example:
    >>> import gradkit as gk
    >>> from gradkit.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    >>> x = gk.randn(2, 3, 4)                       # batch 2, time 3, 4 features
    >>> packed = pack_padded_sequence(x, [3, 1], batch_first=True)
    >>> packed.data.shape, packed.batch_sizes.tolist()
    ((4, 4), [2, 1, 1])
    >>> padded, lengths = pad_packed_sequence(packed, batch_first=True)
    >>> padded.shape, lengths.tolist()
    ((2, 3, 4), [3, 1])
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from ... import backend, ops
from ...ops._util import const, ensure_tensor, shape_str
from ...tensor import Tensor

__all__ = [
    "PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence",
    "unpad_sequence", "unpack_sequence",
]


class PackedSequence(NamedTuple):
    """A batch of variable-length sequences packed time step by time step (see the module docstring).

    Attributes:
        data: ``(sum(lengths), *)`` the packed steps.
        batch_sizes: int64 ``(max_length,)``, the number of sequences running at each step.
        sorted_indices: int64 ``(batch,)`` or None (the input was already sorted).
        unsorted_indices: int64 ``(batch,)`` or None, the inverse permutation.
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Optional[Tensor] = None
    unsorted_indices: Optional[Tensor] = None

    def to(self, *args, **kwargs) -> "PackedSequence":
        """``data`` moved/cast with ``Tensor.to``; the index tensors stay as they are."""
        return self._replace(data=self.data.to(*args, **kwargs))

    @property
    def is_cuda(self) -> bool:
        """Whether ``data`` lives on the GPU."""
        return self.data.device != "cpu"


def _lengths_array(lengths, where):
    a = lengths.array if isinstance(lengths, Tensor) else lengths
    a = np.asarray(backend.to_numpy(a) if not isinstance(a, (list, tuple)) else a)
    if a.dtype.kind not in "iu" or a.ndim != 1:
        raise TypeError(f"{where}: lengths must be a 1-D sequence of integers, got {a!r}")
    return a.astype(np.int64)


def _pack_index(batch_sizes):
    """(time, batch) positions of the packed rows, in packed order."""
    t_idx = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    b_idx = np.concatenate([np.arange(n) for n in batch_sizes]) if len(batch_sizes) else np.zeros(0, np.int64)
    return t_idx, b_idx


def _pack(x_tm, batch_sizes, sorted_indices):
    """Pack a time-major padded tensor whose batch is in the caller's order."""
    xp = backend.get_array_module(x_tm.array)
    t_idx, b_idx = _pack_index(batch_sizes)
    if sorted_indices is not None:
        b_idx = backend.to_numpy(sorted_indices.array)[b_idx]
    return ops.getitem(x_tm, (xp.asarray(t_idx), xp.asarray(b_idx)))


def pack_padded_sequence(input, lengths, batch_first: bool = False, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (``torch.nn.utils.rnn.pack_padded_sequence``).

    Args:
        input: ``(T, B, *)``, or ``(B, T, *)`` with ``batch_first``.
        lengths: the ``B`` lengths (a list or an integer tensor), each in ``[1, T]``.
        batch_first: the layout of ``input``.
        enforce_sorted: require lengths in decreasing order (else they are sorted here and the
            permutation is kept in ``sorted_indices``).

    Returns:
        A :class:`PackedSequence`.

    Raises:
        RuntimeError: for unsorted lengths with ``enforce_sorted``, or a length of 0.
        ValueError: for lengths that do not fit the input.

    Example:
        >>> pack_padded_sequence(gk.zeros(3, 2, 1), [2, 3], enforce_sorted=False).sorted_indices.tolist()
        [1, 0]
    """
    x = ensure_tensor(input)
    lens = _lengths_array(lengths, "pack_padded_sequence")
    if x.ndim < 2:
        raise ValueError(f"pack_padded_sequence: expected an input (T, B, *) or (B, T, *), got {shape_str(x.shape)}")
    if batch_first:
        x = ops.transpose(x, 0, 1)
    T, B = x.shape[0], x.shape[1]
    if lens.size != B:
        raise ValueError(f"pack_padded_sequence: expected {B} lengths (one per sequence), got {lens.size}")
    if lens.size and (lens.min() <= 0):
        raise RuntimeError("pack_padded_sequence: every length must be at least 1 (got a length of 0)")
    if lens.size and lens.max() > T:
        raise ValueError(f"pack_padded_sequence: a length of {int(lens.max())} exceeds the {T} time steps of the input")
    if enforce_sorted:
        if (np.diff(lens) > 0).any():
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
                "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement "
                "if you do not need ONNX exportability."
            )
        sorted_idx = unsorted_idx = None
        sorted_lens = lens
    else:
        order = np.argsort(-lens, kind="stable")
        sorted_idx, unsorted_idx = const(order.astype(np.int64)), const(np.argsort(order).astype(np.int64))
        sorted_lens = lens[order]
    max_len = int(sorted_lens[0]) if sorted_lens.size else 0
    batch_sizes = (sorted_lens[None, :] > np.arange(max_len)[:, None]).sum(1).astype(np.int64)
    data = _pack(x, batch_sizes, sorted_idx)
    return PackedSequence(data, const(batch_sizes), sorted_idx, unsorted_idx)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length=None):
    """Undo :func:`pack_padded_sequence` (``torch.nn.utils.rnn.pad_packed_sequence``).

    Args:
        sequence: a :class:`PackedSequence`.
        batch_first: return ``(B, T, *)`` instead of ``(T, B, *)``.
        padding_value: the value of the padded steps.
        total_length: pad to this many steps (at least the longest sequence).

    Returns:
        ``(padded, lengths)``: the batch in the caller's order and its int64 lengths.

    Raises:
        ValueError: when ``total_length`` is shorter than the longest sequence.

    Example:
        >>> p = pack_sequence([gk.ones(2, 1), gk.ones(1, 1)])
        >>> pad_packed_sequence(p, padding_value=-1.0)[0].reshape(-1).tolist()
        [1.0, 1.0, 1.0, -1.0]
    """
    data = ensure_tensor(sequence.data)
    bs = backend.to_numpy(sequence.batch_sizes.array).astype(np.int64)
    T = len(bs)
    B = int(bs[0]) if T else 0
    if total_length is not None:
        if total_length < T:
            raise ValueError(
                f"pad_packed_sequence: expected total_length to be at least the length of the longest sequence "
                f"({T}), got {total_length}"
            )
        T = int(total_length)
    xp = backend.get_array_module(data.array)
    pos = np.full((T, B), data.shape[0], np.int64)  # the padding row by default
    t_idx, b_idx = _pack_index(bs)
    pos[t_idx, b_idx] = np.arange(data.shape[0])
    pad_row = const(xp.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype))
    padded = ops.getitem(ops.cat([data, pad_row], 0), xp.asarray(pos))  # (T, B_sorted, *)
    lengths = (bs[None, :] > np.arange(B)[:, None]).sum(1).astype(np.int64)  # sorted order
    if sequence.unsorted_indices is not None:
        un = backend.to_numpy(sequence.unsorted_indices.array)
        padded = ops.getitem(padded, (slice(None), xp.asarray(un)))
        lengths = lengths[un]
    if batch_first:
        padded = ops.transpose(padded, 0, 1)
    return padded, const(lengths)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0, padding_side: str = "right"):
    """Stack variable-length sequences into one padded tensor (``torch.nn.utils.rnn.pad_sequence``).

    Differentiable: gradients flow back into each sequence. Pair it with the lengths
    ``[len(s) for s in sequences]`` to run an RNN on the batch.

    Args:
        sequences: a list of tensors of shape (L_i, *) with the same trailing dimensions.
        batch_first: return (B, L_max, *) instead of (L_max, B, *).
        padding_value: the value of the padded elements.
        padding_side: ``'right'`` (default) or ``'left'``.

    Returns:
        The padded tensor.

    Raises:
        ValueError: for an empty list, or trailing shapes that differ (listing them).

    Example:
        >>> import gradkit as gk
        >>> seqs = [gk.ones(3, 2), gk.ones(1, 2)]
        >>> gk.nn.utils.rnn.pad_sequence(seqs, batch_first=True).shape
        (2, 3, 2)
    """
    seqs = [ensure_tensor(s) for s in sequences]
    if not seqs:
        raise ValueError("pad_sequence: expected a non-empty list of sequences")
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'right' or 'left', got {padding_side!r}")
    trail = seqs[0].shape[1:]
    for s in seqs:
        if s.ndim == 0 or s.shape[1:] != trail:
            raise ValueError(
                "pad_sequence: every sequence needs shape (length, *same trailing dims), got "
                + ", ".join(shape_str(s.shape) for s in seqs)
            )
    L = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        extra = L - s.shape[0]
        widths = ((0, extra) if padding_side == "right" else (extra, 0),) + ((0, 0),) * (s.ndim - 1)
        padded.append(ops.pad(s, widths, value=padding_value) if extra else s)
    return ops.stack(padded, 0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of ``(L_i, *)`` tensors (``torch.nn.utils.rnn.pack_sequence``).

    Args:
        sequences: the sequences (by decreasing length unless ``enforce_sorted=False``).
        enforce_sorted: as in :func:`pack_padded_sequence`.

    Returns:
        A :class:`PackedSequence`.

    Example:
        >>> pack_sequence([gk.ones(3), gk.ones(2)]).batch_sizes.tolist()
        [2, 2, 1]
    """
    seqs = [ensure_tensor(s) for s in sequences]
    return pack_padded_sequence(pad_sequence(seqs), [s.shape[0] for s in seqs], enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first: bool = False) -> list:
    """Split a padded batch back into its sequences (``torch.nn.utils.rnn.unpad_sequence``).

    Args:
        padded_sequences: ``(T, B, *)`` or ``(B, T, *)`` with ``batch_first``.
        lengths: the ``B`` lengths.
        batch_first: the layout.

    Returns:
        A list of ``B`` tensors ``(L_i, *)``.

    Example:
        >>> [s.shape for s in unpad_sequence(gk.zeros(3, 2, 4), [3, 1])]
        [(3, 4), (1, 4)]
    """
    x = ensure_tensor(padded_sequences)
    if not batch_first:
        x = ops.transpose(x, 0, 1)
    lens = _lengths_array(lengths, "unpad_sequence")
    return [x[i, : int(n)] for i, n in enumerate(lens)]


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences in a :class:`PackedSequence`, in the caller's order.

    Args:
        packed_sequences: a :class:`PackedSequence`.

    Returns:
        A list of tensors ``(L_i, *)``.

    Example:
        >>> [s.shape for s in unpack_sequence(pack_sequence([gk.ones(2, 3), gk.ones(4, 3)], enforce_sorted=False))]
        [(2, 3), (4, 3)]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


def pack_like(output_tm, packed: PackedSequence) -> PackedSequence:
    """Pack a time-major ``(T, B, *)`` tensor (batch in the caller's order) with ``packed``'s layout."""
    bs = backend.to_numpy(packed.batch_sizes.array).astype(np.int64)
    return PackedSequence(_pack(output_tm, bs, packed.sorted_indices), packed.batch_sizes, packed.sorted_indices,
                          packed.unsorted_indices)
