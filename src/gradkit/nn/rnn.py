"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU``, their single-step cells (and ``pad_sequence``, re-exported).

Names, shapes, defaults, parameter names and gate orders are PyTorch's, so a ``state_dict``
trained there loads directly: for layer ``k`` (and ``_reverse`` for the backward direction)
``weight_ih_l{k}`` is (gates*H, in), ``weight_hh_l{k}`` (gates*H, H), ``bias_ih_l{k}`` and
``bias_hh_l{k}`` (gates*H,), with gates ``i, f, g, o`` for the LSTM and ``r, z, n`` for the GRU.
All weights start as ``U(-1/sqrt(H), 1/sqrt(H))``. The equations are in
:mod:`gradkit.nn.functional.rnn`.

Speed: each layer and direction is one fused op (all input projections in one GEMM, the gate
math of a step fused, backward through time as a loop of GEMMs). Set ``fused=False`` to build
every step from gradkit ops instead, for higher-order gradients.

Variable-length batches: pass ``lengths`` (one per sequence) or a boolean ``mask`` to
``forward``. Outputs past a sequence's end are zero, ``h_n`` is the state at its last valid
step, and the reverse direction of a bidirectional layer starts at each sequence's own end
(what PyTorch computes with packed sequences).

Example:
    >>> import gradkit as gk
    >>> lstm = gk.nn.LSTM(input_size=8, hidden_size=16, num_layers=2, batch_first=True)
    >>> x = gk.randn(4, 10, 8)                      # (batch, time, features)
    >>> out, (h_n, c_n) = lstm(x, lengths=[10, 7, 3, 1])
    >>> out.shape, h_n.shape
    ((4, 10, 16), (2, 4, 16))
"""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..backend import get_array_module, get_default_dtype
from ..ops._util import const, shape_str
from ..tensor import Tensor
from .functional import rnn as FR
from . import init
from .functional.layers import dropout as _dropout
from .module import Module, Parameter
from .utils.rnn import PackedSequence, pack_like, pad_packed_sequence, pad_sequence  # noqa: F401 - re-exported

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell", "pad_sequence"]


def _empty(shape, dtype):
    return np.empty(shape, dtype=np.dtype(dtype) if dtype is not None else get_default_dtype())


def _as_tensor(x, name, where):
    if isinstance(x, Tensor):
        return x
    try:
        return Tensor(x)
    except Exception as exc:  # noqa: BLE001 - re-raised with context
        raise TypeError(f"{where}: expected {name} as a Tensor or array, got {type(x).__name__}") from exc


class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrence shared by :class:`RNN`, :class:`LSTM`, :class:`GRU`.

    Args:
        mode: ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``.
        input_size: features per time step of the input.
        hidden_size: features of the hidden state ``H``.
        num_layers: stacked recurrent layers (default 1).
        bias: learn ``b_ih`` and ``b_hh`` (default True).
        batch_first: input and output are (batch, time, features) instead of (time, batch, features).
        dropout: dropout probability on the outputs of every layer except the last (training only).
        bidirectional: add a layer running backwards in time; outputs are concatenated (2*H).
        device: where the parameters live (default the CPU).
        dtype: parameter dtype (default ``gk.get_default_dtype()``).
        fused: use the fused whole-sequence op (default). ``False`` composes every step from
            gradkit ops, which supports gradients of gradients.

    Raises:
        ValueError: for non-positive sizes, a dropout outside [0, 1], or an unknown mode.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None,
                 *, fused: bool = True):
        super().__init__()
        if mode not in FR.GATES:
            raise ValueError(f"unknown RNN mode {mode!r}: expected one of {sorted(FR.GATES)}")
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"{type(self).__name__}: {name} must be a positive integer, got {v!r}")
        if not 0.0 <= float(dropout) <= 1.0:
            raise ValueError(f"{type(self).__name__}: dropout must be a probability in [0, 1], got {dropout}")
        self.mode = mode
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.fused = bool(fused)
        gates = FR.GATES[mode] * self.hidden_size
        dirs = 2 if self.bidirectional else 1
        self._flat_names = []
        for layer in range(self.num_layers):
            in_size = self.input_size if layer == 0 else self.hidden_size * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                names = [f"weight_ih{sfx}", f"weight_hh{sfx}"]
                setattr(self, names[0], Parameter(_empty((gates, in_size), dtype)))
                setattr(self, names[1], Parameter(_empty((gates, self.hidden_size), dtype)))
                if self.bias:
                    names += [f"bias_ih{sfx}", f"bias_hh{sfx}"]
                    setattr(self, names[2], Parameter(_empty((gates,), dtype)))
                    setattr(self, names[3], Parameter(_empty((gates,), dtype)))
                self._flat_names.append(names)
        self.reset_parameters()
        if device is not None:
            self.to(device=device)

    def reset_parameters(self) -> None:
        """Draw every weight and bias from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))`` (PyTorch's default)."""
        k = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -k, k)

    @property
    def all_weights(self):
        """Per layer and direction, the list ``[w_ih, w_hh, b_ih, b_hh]`` (PyTorch's ``all_weights``)."""
        return [[getattr(self, n) for n in names] for names in self._flat_names]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s

    def _name(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    # ------------------------------------------------------------------ input checks
    def _check_input(self, x):
        if x.ndim not in (2, 3):
            raise ValueError(
                f"{self._name()}: expected a 3-D input {'(batch, time, features)' if self.batch_first else '(time, batch, features)'}"
                f" or a 2-D unbatched (time, features), got shape {shape_str(x.shape)}"
            )
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{self._name()}: expected input with {self.input_size} features in the last dimension, "
                f"got input of shape {shape_str(x.shape)}"
            )
        if x.dtype.kind != "f":
            raise TypeError(f"{self._name()}: expected a floating-point input, got dtype {x.dtype}")

    def _check_state(self, h, expected, what):
        if tuple(h.shape) != tuple(expected):
            raise ValueError(
                f"{self._name()}: expected {what} of shape {shape_str(expected)} "
                f"(num_layers * num_directions, batch, hidden_size), got {shape_str(h.shape)}"
            )

    def _make_mask(self, lengths, mask, T, B, xp):
        if lengths is not None and mask is not None:
            raise ValueError(f"{self._name()}: give lengths or mask, not both")
        if lengths is not None:
            arr = lengths.array if isinstance(lengths, Tensor) else lengths
            arr = np.asarray(arr.get() if hasattr(arr, "get") else arr)
            if arr.shape != (B,):
                raise ValueError(
                    f"{self._name()}: expected lengths of shape {shape_str((B,))} (one per sequence), got {shape_str(arr.shape)}"
                )
            if arr.size and arr.max() > T:
                raise ValueError(
                    f"{self._name()}: lengths must not exceed the sequence length {T} of the input, got a length of "
                    f"{int(arr.max())} (lengths {arr.tolist()}, input has {T} time steps)"
                )
            return FR.lengths_to_mask(arr, T, xp)
        if mask is not None:
            m = mask.array if isinstance(mask, Tensor) else mask
            m = xp.asarray(m).astype(bool)
            want = (B, T) if self.batch_first else (T, B)
            if m.shape != want:
                raise ValueError(
                    f"{self._name()}: expected a mask of shape {shape_str(want)} "
                    f"({'batch, time' if self.batch_first else 'time, batch'}), got {shape_str(m.shape)}"
                )
            return m.T if self.batch_first else m
        return None

    def _initial_state(self, hx, x, batched: bool):
        """``(h0, c0)`` as (layers * directions, B, H) Tensors of ``x``'s dtype (``c0`` None but
        for LSTM), from ``hx`` (zeros when None), ``x`` being the time-major batched input.

        Raises:
            TypeError: an LSTM ``hx`` that is not a pair.
            ValueError: a state of the wrong shape.
        """
        lstm = self.mode == "LSTM"
        dirs = 2 if self.bidirectional else 1
        B, H = x.shape[1], self.hidden_size
        if hx is None:
            zeros = const(get_array_module(x.array).zeros((self.num_layers * dirs, B, H), dtype=x.dtype))
            return zeros, (zeros if lstm else None)
        want = (self.num_layers * dirs, B, H) if batched else (self.num_layers * dirs, H)
        if lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{self._name()}: expected hx as a pair (h_0, c_0), got {type(hx).__name__}")
            h0 = _as_tensor(hx[0], "h_0", self._name())
            c0 = _as_tensor(hx[1], "c_0", self._name())
            self._check_state(h0, want, "h_0")
            self._check_state(c0, want, "c_0")
        else:
            h0, c0 = _as_tensor(hx, "hx", self._name()), None
            self._check_state(h0, want, "hx")
        if not batched:
            h0 = ops.unsqueeze(h0, 1)
            c0 = ops.unsqueeze(c0, 1) if lstm else None
        if h0.dtype != x.dtype:
            h0 = h0.to(x.dtype)
        if lstm and c0.dtype != x.dtype:
            c0 = c0.to(x.dtype)
        return h0, c0

    def flatten_parameters(self) -> None:
        """A no-op kept for PyTorch compatibility (cuDNN's weight-compaction step; gradkit has nothing to compact)."""

    def _forward_packed(self, packed, hx, lengths, mask):
        """Run on a :class:`~gradkit.nn.utils.rnn.PackedSequence`: pad, run with lengths, pack the output alike."""
        if lengths is not None or mask is not None:
            raise ValueError(f"{self._name()}: a PackedSequence carries its lengths; do not pass lengths or mask too")
        padded, lens = pad_packed_sequence(packed, batch_first=self.batch_first)  # the caller's batch order
        out, h = self.forward(padded, hx, lengths=lens)
        return pack_like(ops.transpose(out, 0, 1) if self.batch_first else out, packed), h

    # ------------------------------------------------------------------ forward
    def forward(self, input, hx=None, lengths=None, mask=None):
        """Run the recurrence over a whole sequence.

        Args:
            input: (time, batch, input_size), (batch, time, input_size) when ``batch_first``,
                or unbatched (time, input_size); or a :class:`~gradkit.nn.utils.rnn.PackedSequence`
                (then ``output`` is packed the same way and the final states are each sequence's last step).
            hx: initial hidden state (num_layers * num_directions, batch, hidden_size) (no batch
                dimension when unbatched); for :class:`LSTM` the pair ``(h_0, c_0)``. Zeros if None.
            lengths: optional (batch,) integers, the real length of each padded sequence.
            mask: optional boolean (batch, time) with ``batch_first`` else (time, batch), true at
                real steps; padded steps keep the state and output zeros.

        Returns:
            ``(output, h_n)`` (``(output, (h_n, c_n))`` for LSTM): ``output`` has the input's layout
            with num_directions * hidden_size features; ``h_n`` has hx's shape.

        Raises:
            ValueError: for a wrong feature size, a wrong initial-state shape, or lengths longer
                than the sequence (each naming the expected and the received shape).
        """
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx, lengths, mask)
        x = _as_tensor(input, "input", self._name())
        self._check_input(x)
        lstm = self.mode == "LSTM"
        batched = x.ndim == 3
        if not batched:
            x = ops.unsqueeze(x, 1)
        elif self.batch_first:
            x = ops.transpose(x, 0, 1)
        T, B = x.shape[0], x.shape[1]
        dirs = 2 if self.bidirectional else 1
        xp = get_array_module(x.array)
        h0, c0 = self._initial_state(hx, x, batched)
        m = self._make_mask(lengths, mask, T, B, xp) if batched else None
        if not batched and (lengths is not None or mask is not None):
            raise ValueError(f"{self._name()}: lengths and mask need a batched 3-D input")
        if m is not None and bool(m.all()):
            m = None
        layer_in = x
        h_out, c_out = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                idx = layer * dirs + d
                w = [getattr(self, n) for n in self._flat_names[idx]]
                if x.dtype != w[0].dtype:
                    raise TypeError(
                        f"{self._name()}: input dtype {x.dtype} differs from the parameters' dtype {w[0].dtype}; "
                        "convert one of them (x.to(...) or module.to(dtype=...))"
                    )
                hx_i = (h0[idx], c0[idx]) if lstm else h0[idx]
                y, hn = FR.rnn_sequence(self.mode, layer_in, hx_i, *w, mask=m, reverse=d == 1, fused=self.fused)
                outs.append(y)
                if lstm:
                    h_out.append(hn[0])
                    c_out.append(hn[1])
                else:
                    h_out.append(hn)
            layer_in = outs[0] if dirs == 1 else ops.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = _dropout(layer_in, self.dropout, True)
        out = layer_in
        h_n = ops.stack(h_out, 0)
        c_n = ops.stack(c_out, 0) if lstm else None
        if not batched:
            out = ops.squeeze(out, 1)
            h_n = ops.squeeze(h_n, 1)
            c_n = ops.squeeze(c_n, 1) if lstm else None
        elif self.batch_first:
            out = ops.transpose(out, 0, 1)
        return (out, (h_n, c_n)) if lstm else (out, h_n)


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` with act = tanh or relu.

    The plain recurrent network of the notes: the same weights (``U`` = W_ih, ``W`` = W_hh) are
    shared across time; its gradients through long sequences vanish or explode (see
    ``examples/rnn_vanishing_gradients.py``).

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype, fused:
            as :class:`RNNBase`.
        nonlinearity: ``'tanh'`` (default) or ``'relu'``.

    Example:
        >>> import gradkit as gk
        >>> rnn = gk.nn.RNN(3, 5, nonlinearity="relu")
        >>> out, h_n = rnn(gk.randn(7, 2, 3))
        >>> out.shape, h_n.shape
        ((7, 2, 5), (1, 2, 5))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None, *, fused: bool = True):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, device, dtype, fused=fused)


class LSTM(RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), gates ``i, f, g, o`` as PyTorch.

    ``c_t = f * c_{t-1} + i * g`` carries memory additively, so gradients survive many steps;
    ``h_t = o * tanh(c_t)``. ``forward`` returns ``(output, (h_n, c_n))``.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype, fused:
            as :class:`RNNBase`.

    Example:
        >>> import gradkit as gk
        >>> lstm = gk.nn.LSTM(3, 4, bidirectional=True)
        >>> out, (h, c) = lstm(gk.randn(6, 2, 3))
        >>> out.shape, h.shape, c.shape
        ((6, 2, 8), (2, 2, 4), (2, 2, 4))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None,
                 *, fused: bool = True):
        if proj_size:
            raise NotImplementedError(f"LSTM: proj_size={proj_size} (projected hidden states) is not supported; use proj_size=0")
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device, dtype, fused=fused)


class GRU(RNNBase):
    """Gated recurrent unit (Cho et al., 2014), gates ``r, z, n`` with PyTorch's
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`` and ``h' = (1 - z) * n + z * h``.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype, fused:
            as :class:`RNNBase`.

    Example:
        >>> import gradkit as gk
        >>> gru = gk.nn.GRU(1, 6, batch_first=True, bidirectional=True)
        >>> out, h_n = gru(gk.randn(32, 40, 1))
        >>> out.shape, h_n.shape
        ((32, 40, 12), (2, 32, 6))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None,
                 *, fused: bool = True):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device, dtype, fused=fused)


# --------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """One time step of a recurrent layer, built from gradkit ops (any order of gradients).

    Parameters ``weight_ih`` (gates*H, in), ``weight_hh`` (gates*H, H), ``bias_ih``, ``bias_hh``
    (gates*H,), initialised ``U(-1/sqrt(H), 1/sqrt(H))`` as in PyTorch.
    """

    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"{type(self).__name__}: {name} must be a positive integer, got {v!r}")
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.bias = bool(bias)
        g = self._gates * self.hidden_size
        self.weight_ih = Parameter(_empty((g, self.input_size), dtype))
        self.weight_hh = Parameter(_empty((g, self.hidden_size), dtype))
        if self.bias:
            self.bias_ih = Parameter(_empty((g,), dtype))
            self.bias_hh = Parameter(_empty((g,), dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()
        if device is not None:
            self.to(device=device)

    def reset_parameters(self) -> None:
        """Draw every weight and bias from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        k = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -k, k)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        return s

    def _name(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def _prep(self, input, hx, what="hx"):
        x = _as_tensor(input, "input", self._name())
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{self._name()}: expected input of shape (batch, {self.input_size}) or ({self.input_size},), "
                f"got {shape_str(x.shape)}"
            )
        batched = x.ndim == 2
        if not batched:
            x = ops.unsqueeze(x, 0)
        B = x.shape[0]
        want = (B, self.hidden_size) if batched else (self.hidden_size,)
        states = []
        hxs = hx if isinstance(hx, (tuple, list)) else (hx,)
        names = ("h_0", "c_0") if len(hxs) == 2 else (what,)
        for name, h in zip(names, hxs):
            if h is None:
                h = const(get_array_module(x.array).zeros((B, self.hidden_size), dtype=x.dtype))
            else:
                h = _as_tensor(h, name, self._name())
                if tuple(h.shape) != want:
                    raise ValueError(f"{self._name()}: expected {name} of shape {shape_str(want)}, got {shape_str(h.shape)}")
                if not batched:
                    h = ops.unsqueeze(h, 0)
            states.append(h)
        return x, states, batched


class RNNCell(RNNCellBase):
    """One Elman RNN step ``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (``torch.nn.RNNCell``).

    Args:
        input_size: features of ``x``.
        hidden_size: features of ``h``.
        bias: learn the biases (default True).
        nonlinearity: ``'tanh'`` (default) or ``'relu'``.
        dtype: parameter dtype.

    Example:
        >>> import gradkit as gk
        >>> cell = gk.nn.RNNCell(3, 4)
        >>> cell(gk.randn(2, 3)).shape
        (2, 4)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        """Args: input (batch, input_size) or (input_size,); hx (batch, hidden_size) or None (zeros).

        Returns: the next hidden state ``h'``.
        """
        x, (h,), batched = self._prep(input, hx)
        f = FR.rnn_tanh_cell if self.nonlinearity == "tanh" else FR.rnn_relu_cell
        out = f(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if batched else ops.squeeze(out, 0)


class LSTMCell(RNNCellBase):
    """One LSTM step (``torch.nn.LSTMCell``): returns ``(h', c')``; gates ``i, f, g, o``.

    Example:
        >>> import gradkit as gk
        >>> cell = gk.nn.LSTMCell(3, 4)
        >>> h, c = cell(gk.randn(2, 3))
        >>> h.shape, c.shape
        ((2, 4), (2, 4))
    """

    _gates = 4

    def forward(self, input, hx=None):
        """Args: input (batch, input_size); hx the pair (h, c) of (batch, hidden_size), or None (zeros).

        Returns: ``(h', c')``.
        """
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"{self._name()}: expected hx as a pair (h_0, c_0), got {type(hx).__name__}")
        x, (h, c), batched = self._prep(input, hx if hx is not None else (None, None))
        h2, c2 = FR.lstm_cell(x, (h, c), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        if not batched:
            return ops.squeeze(h2, 0), ops.squeeze(c2, 0)
        return h2, c2


class GRUCell(RNNCellBase):
    """One GRU step (``torch.nn.GRUCell``), gates ``r, z, n``.

    Example:
        >>> import gradkit as gk
        >>> gk.nn.GRUCell(3, 4)(gk.randn(2, 3)).shape
        (2, 4)
    """

    _gates = 3

    def forward(self, input, hx=None):
        """Args: input (batch, input_size); hx (batch, hidden_size) or None (zeros).

        Returns: the next hidden state ``h'``.
        """
        x, (h,), batched = self._prep(input, hx)
        out = FR.gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if batched else ops.squeeze(out, 0)
