"""Recurrent cells and whole-sequence recurrences: the math behind ``RNN``, ``LSTM`` and ``GRU``.

Two paths compute the same thing:

* **Composable** (:func:`rnn_tanh_cell`, :func:`rnn_relu_cell`, :func:`lstm_cell`,
  :func:`gru_cell` and :func:`rnn_sequence` with ``fused=False``): every step is built from
  gradkit ops, so gradients of any order flow through it (Hessians, gradient penalties).
* **Fused** (:class:`RecurrentSequence`, :func:`rnn_sequence` with ``fused=True``, the default):
  one op per layer and direction. Its forward projects the inputs of *all* time steps in one
  GEMM, then loops over time on raw arrays (one GEMM ``h @ W_hh^T`` plus in-place gate math per
  step) and saves the gates; its backward loops back over time (one GEMM per step for the
  gradient flowing to the previous state) and finishes with one GEMM each for ``dW_ih``,
  ``dW_hh`` and the input gradient. It is a :class:`~gradkit.autograd.function.FusedOp` whose
  derivative is written once on raw arrays, without a composite: once-differentiable (see
  :mod:`gradkit.nn.functional._recurrent` and, for the LSTM kernel, ``_lstm``).

Equations (PyTorch's, so weights trained there load unchanged; ``W_ih`` is (gates*H, in),
``W_hh`` is (gates*H, H), gates stacked in the order given):

* RNN: ``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)`` with ``act`` = tanh or relu (Elman, 1990).
* LSTM (Hochreiter & Schmidhuber, 1997; gates ``i, f, g, o``)::

      i = sigmoid(x W_ii^T + b_ii + h W_hi^T + b_hi)      f = sigmoid(... f ...)
      g = tanh(x W_ig^T + b_ig + h W_hg^T + b_hg)          o = sigmoid(... o ...)
      c' = f * c + i * g                                   h' = o * tanh(c')

* GRU (Cho et al., 2014; gates ``r, z, n``)::

      r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)      z = sigmoid(... z ...)
      n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))    h' = (1 - z) * n + z * h

Variable-length batches use a ``mask`` of shape (T, B) (true where a step is real): at a masked
step the state is carried over unchanged and the output is zero, so ``h_n`` is the state after
each sequence's last valid step. Running with ``reverse=True`` visits the steps from last to
first and skips the padding, so the reverse direction starts at each sequence's own end.

Examples:
    >>> import gradkit as gk
    >>> from gradkit.nn.functional import rnn as F
    >>> x, h = gk.randn(3, 4), gk.zeros(3, 5)
    >>> w_ih, w_hh = gk.randn(15, 4), gk.randn(15, 5)
    >>> F.gru_cell(x, h, w_ih, w_hh).shape
    (3, 5)
"""

from __future__ import annotations

import numpy as np

from ...backend import get_array_module
from ...ops import linear, relu, sigmoid, stack, tanh, where
from ...ops._util import const, shape_str
from ...tensor import Tensor
from ._recurrent import GATES, RecurrentSequence
from ._workspace import release_workspace


# --------------------------------------------------------------------------- composable cells
def _split3(t, h):
    return t[:, :h], t[:, h : 2 * h], t[:, 2 * h :]


def _rnn_step(gi, h, w_hh, b_hh, nonlinearity):
    a = gi + linear(h, w_hh, b_hh)
    return tanh(a) if nonlinearity == "tanh" else relu(a)


def _lstm_step(gi, h, c, w_hh, b_hh):
    hs = h.shape[-1]
    g = gi + linear(h, w_hh, b_hh)
    i = sigmoid(g[:, :hs])
    f = sigmoid(g[:, hs : 2 * hs])
    gg = tanh(g[:, 2 * hs : 3 * hs])
    o = sigmoid(g[:, 3 * hs :])
    c2 = f * c + i * gg
    return o * tanh(c2), c2


def _gru_step(gi, h, w_hh, b_hh):
    hs = h.shape[-1]
    gh = linear(h, w_hh, b_hh)
    ir, iz, in_ = _split3(gi, hs)
    hr, hz, hn = _split3(gh, hs)
    r = sigmoid(ir + hr)
    z = sigmoid(iz + hz)
    n = tanh(in_ + r * hn)
    return (1 - z) * n + z * h


def _check_cell(name, x, h, w_ih, w_hh, gates):
    hs = w_hh.shape[1]
    if x.ndim != 2 or x.shape[1] != w_ih.shape[1]:
        raise ValueError(f"{name}: expected input of shape (batch, {w_ih.shape[1]}), got {shape_str(x.shape)}")
    if tuple(h.shape) != (x.shape[0], hs):
        raise ValueError(f"{name}: expected hidden state of shape {shape_str((x.shape[0], hs))}, got {shape_str(h.shape)}")
    if w_ih.shape[0] != gates * hs or w_hh.shape[0] != gates * hs:
        raise ValueError(
            f"{name}: expected weights with {gates}*hidden_size = {gates * hs} rows, got w_ih {shape_str(w_ih.shape)} "
            f"and w_hh {shape_str(w_hh.shape)}"
        )


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One Elman RNN step ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` from gradkit ops.

    Args:
        input: (batch, input_size).
        hx: (batch, hidden_size).
        w_ih: (hidden_size, input_size); w_hh: (hidden_size, hidden_size).
        b_ih, b_hh: (hidden_size,) or None.

    Returns:
        The next hidden state (batch, hidden_size).

    Raises:
        ValueError: when a shape does not fit, naming expected and received shapes.
    """
    _check_cell("rnn_tanh_cell", input, hx, w_ih, w_hh, 1)
    return _rnn_step(linear(input, w_ih, b_ih), hx, w_hh, b_hh, "tanh")


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One RNN step with ReLU: ``h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (see :func:`rnn_tanh_cell`)."""
    _check_cell("rnn_relu_cell", input, hx, w_ih, w_hh, 1)
    return _rnn_step(linear(input, w_ih, b_ih), hx, w_hh, b_hh, "relu")


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step (gates i, f, g, o as in PyTorch) from gradkit ops.

    Args:
        input: (batch, input_size).
        hx: the pair ``(h, c)``, each (batch, hidden_size).
        w_ih: (4*hidden_size, input_size); w_hh: (4*hidden_size, hidden_size).
        b_ih, b_hh: (4*hidden_size,) or None.

    Returns:
        ``(h', c')``.

    Raises:
        ValueError: when a shape does not fit.
    """
    h, c = hx
    _check_cell("lstm_cell", input, h, w_ih, w_hh, 4)
    if tuple(c.shape) != tuple(h.shape):
        raise ValueError(f"lstm_cell: expected cell state of shape {shape_str(h.shape)}, got {shape_str(c.shape)}")
    return _lstm_step(linear(input, w_ih, b_ih), h, c, w_hh, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One GRU step (gates r, z, n with PyTorch's ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``).

    Args:
        input: (batch, input_size).
        hx: (batch, hidden_size).
        w_ih: (3*hidden_size, input_size); w_hh: (3*hidden_size, hidden_size).
        b_ih, b_hh: (3*hidden_size,) or None.

    Returns:
        The next hidden state.

    Raises:
        ValueError: when a shape does not fit.
    """
    _check_cell("gru_cell", input, hx, w_ih, w_hh, 3)
    return _gru_step(linear(input, w_ih, b_ih), hx, w_hh, b_hh)


# --------------------------------------------------------------------------- sequence driver
def rnn_sequence(mode, input, hx, w_ih, w_hh, b_ih=None, b_hh=None, mask=None, reverse=False, fused=True):
    """Run one layer and direction of a recurrent network over a time-major sequence.

    Args:
        mode: ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``.
        input: (T, B, input_size).
        hx: the initial state (B, H); for LSTM the pair ``(h0, c0)``.
        w_ih, w_hh, b_ih, b_hh: the layer's weights in PyTorch's layout (biases optional).
        mask: boolean array or Tensor (T, B), true at real steps; padded steps keep the
            state and output zeros. None means every step is real.
        reverse: process the steps from last to first (the backward direction of a
            bidirectional layer).
        fused: use the fused :class:`RecurrentSequence` op (fast, once-differentiable);
            False builds each step from gradkit ops (any order of gradients).

    Returns:
        ``(output, h_n)``, or ``(output, (h_n, c_n))`` for LSTM; ``output`` is (T, B, H).

    Examples:
        >>> import gradkit as gk
        >>> x = gk.randn(5, 2, 3)
        >>> w_ih, w_hh = gk.randn(4, 3), gk.randn(4, 4)
        >>> y, h = rnn_sequence("RNN_TANH", x, gk.zeros(2, 4), w_ih, w_hh)
        >>> y.shape, h.shape
        ((5, 2, 4), (2, 4))
    """
    if mode not in GATES:
        raise ValueError(f"unknown recurrent mode {mode!r}: expected one of {sorted(GATES)}")
    lstm = mode == "LSTM"
    m = None
    if mask is not None:
        m = mask.array if isinstance(mask, Tensor) else mask
        xp = get_array_module(input.array)
        m = xp.asarray(m).astype(bool)
        if m.shape != input.shape[:2]:
            raise ValueError(f"rnn_sequence: expected a mask of shape {shape_str(input.shape[:2])}, got {shape_str(m.shape)}")
        if bool(m.all()):
            m = None
    has_bias = b_ih is not None
    if fused:
        args = [input, hx[0], hx[1]] if lstm else [input, hx]
        args += [w_ih, w_hh] + ([b_ih, b_hh] if has_bias else [])
        out = RecurrentSequence(mode, reverse, m, has_bias)(*args)
        return (out[0], (out[1], out[2])) if lstm else out
    T = input.shape[0]
    H = w_hh.shape[1]
    gi = linear(input, w_ih, b_ih)  # every time step's input projection in one GEMM
    h, c = (hx if lstm else (hx, None))
    outs = [None] * T
    zero = const(get_array_module(input.array).zeros((), dtype=input.dtype))
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        if mode == "LSTM":
            hn, cn = _lstm_step(gi[t], h, c, w_hh, b_hh)
        elif mode == "GRU":
            hn = _gru_step(gi[t], h, w_hh, b_hh)
        else:
            hn = _rnn_step(gi[t], h, w_hh, b_hh, "tanh" if mode == "RNN_TANH" else "relu")
        if m is None:
            h, c, outs[t] = hn, (cn if lstm else None), hn
        else:
            mt = m[t][:, None]
            outs[t] = where(mt, hn, zero)
            h = where(mt, hn, h)
            if lstm:
                c = where(mt, cn, c)
    y = stack(outs, 0) if T else const(get_array_module(input.array).zeros((0, input.shape[1], H), dtype=input.dtype))
    return (y, (h, c)) if lstm else (y, h)


def lengths_to_mask(lengths, T: int, xp=None):
    """A (T, B) boolean mask, true where ``t < lengths[b]``.

    Args:
        lengths: integer array, list or Tensor of shape (B,).
        T: the padded sequence length.

    Raises:
        ValueError: when a length is negative or longer than ``T``, naming both.
    """
    arr = lengths.array if isinstance(lengths, Tensor) else lengths
    arr = np.asarray(arr.get() if hasattr(arr, "get") else arr)
    if arr.ndim != 1:
        raise ValueError(f"lengths must be one-dimensional (batch,), got shape {shape_str(arr.shape)}")
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"lengths must be integers, got dtype {arr.dtype}")
    if arr.size and (arr.max() > T or arr.min() < 0):
        raise ValueError(
            f"lengths must lie in [0, {T}] for a sequence of length {T} (input shape has {T} steps), "
            f"got lengths with max {int(arr.max())} and min {int(arr.min())}"
        )
    mask = np.arange(T)[:, None] < arr[None, :]
    if xp is not None and xp is not np:  # pragma: no cover - CuPy only
        mask = xp.asarray(mask)
    return mask


__all__ = [
    "GATES", "RecurrentSequence", "gru_cell", "lengths_to_mask", "lstm_cell", "release_workspace", "rnn_relu_cell",
    "rnn_sequence", "rnn_tanh_cell",
]
