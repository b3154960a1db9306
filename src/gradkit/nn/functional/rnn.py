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
  ``dW_hh`` and the input gradient. It is once-differentiable.

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

Example:
    >>> import gradkit as gk
    >>> from gradkit.nn.functional import rnn as F
    >>> x, h = gk.randn(3, 4), gk.zeros(3, 5)
    >>> w_ih, w_hh = gk.randn(15, 4), gk.randn(15, 5)
    >>> F.gru_cell(x, h, w_ih, w_hh).shape
    (3, 5)
"""

from __future__ import annotations

import numpy as np

from ...autograd.function import Op, once_differentiable
from ...autograd.grad_mode import is_grad_enabled
from ...backend import get_array_module
from ...ops import linear, relu, sigmoid, stack, tanh, where
from ...ops._util import const, shape_str
from ...parallel import matmul as _matmul, parallel_for
from ...tensor import Tensor

#: Number of stacked gate blocks in ``W_ih`` / ``W_hh`` per mode.
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


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


# --------------------------------------------------------------------------- fused sequence op
def _sigmoid_(a, xp):
    """In-place logistic sigmoid via ``0.5 * tanh(0.5 a) + 0.5`` (no overflow, three passes)."""
    a *= 0.5
    xp.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


class _ignore_overflow:
    """``numpy.errstate(over='ignore')`` for NumPy arrays: exp(large) -> inf gives the right sigmoid limit."""

    def __init__(self, xp):
        import numpy as np

        self.ctx = np.errstate(over="ignore") if xp is np else None

    def __enter__(self):
        if self.ctx is not None:
            self.ctx.__enter__()
        return self

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)
        return False


class _Workspace:
    """A small free list of large scratch arrays, reused across calls of the fused LSTM.

    Fresh multi-megabyte NumPy arrays come from ``mmap`` and cost a page fault per 4 KiB on
    first touch (several milliseconds per training step at the benchmark sizes); reusing them
    avoids that. An array comes back only when its owner lets go of it: the scratch saved for
    the backward through a :class:`_Lease` (when the engine frees the op), and the state buffer
    whose view is the output through :class:`_Returned` (when the last view of it dies).
    At most ``per_key`` arrays are kept per (shape, dtype); CuPy has its own memory pool, so
    only NumPy arrays are kept. :func:`release_workspace` empties it.
    """

    def __init__(self, per_key: int = 4):
        self.per_key = per_key
        self.free: dict = {}

    def take(self, xp, shape, dtype):
        import numpy as np

        if xp is np:
            lst = self.free.get((shape, np.dtype(dtype)))
            if lst:
                try:
                    return lst.pop()
                except IndexError:  # another thread took the last one first
                    pass
        return xp.empty(shape, dtype=dtype)

    def take_shared(self, xp, shape, dtype):
        """Like :meth:`take`, for an array whose views may leave the op (an output): it comes
        back to the pool only once the last view of it is gone."""
        a = self.take(xp, shape, dtype)
        import numpy as np

        return np.asarray(_Returned(a)) if xp is np else a

    def give(self, *arrays):
        import numpy as np

        for a in arrays:
            if type(a) is np.ndarray and a.base is None:
                lst = self.free.setdefault((a.shape, a.dtype), [])
                if len(lst) < self.per_key:
                    lst.append(a)

    def clear(self):
        self.free.clear()


_WORKSPACE = _Workspace()


def release_workspace() -> None:
    """Drop the scratch arrays the fused LSTM keeps for reuse (frees their memory)."""
    _WORKSPACE.clear()


class _Returned:
    """Exports a workspace array through ``__array_interface__`` so that arrays made from it keep
    this object as their ``base``; when the last of them dies the array goes back to the pool."""

    def __init__(self, arr):
        self.arr = arr
        self.__array_interface__ = arr.__array_interface__

    def __del__(self):
        try:
            _WORKSPACE.give(self.arr)
        except Exception:  # pragma: no cover - interpreter shutdown
            pass


class _Lease:
    """Holds workspace arrays saved for the backward; returns them to the pool when released
    (the engine drops an op's saved state after its backward unless ``retain_graph``)."""

    __slots__ = ("arrays",)

    def __init__(self, *arrays):
        self.arrays = arrays

    def __del__(self):
        try:
            _WORKSPACE.give(*self.arrays)
        except Exception:  # pragma: no cover - interpreter shutdown
            pass


class RecurrentSequence(Op):
    """One layer and direction of an RNN/LSTM/GRU over a whole sequence, fused.

    Called as ``RecurrentSequence(mode, reverse, mask, has_bias)(x, h0[, c0], w_ih, w_hh[, b_ih, b_hh])``
    with ``x`` (T, B, in) time-major. Returns ``(y, h_n)`` or, for LSTM, ``(y, h_n, c_n)`` with
    ``y`` (T, B, H). See the module docstring for the equations and the mask semantics.

    Args:
        mode: ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``.
        reverse: run from the last step to the first.
        mask: a boolean array (T, B), true at real steps, or None (all real).
        has_bias: whether ``b_ih`` and ``b_hh`` are passed.
    """

    def __init__(self, mode: str, reverse: bool = False, mask=None, has_bias: bool = True):
        if mode not in GATES:
            raise ValueError(f"unknown recurrent mode {mode!r}: expected one of {sorted(GATES)}")
        self.mode, self.reverse, self.mask, self.has_bias = mode, reverse, mask, has_bias

    @property
    def name(self) -> str:
        return f"RecurrentSequence[{self.mode}]"

    # ------------------------------------------------------------------ forward
    def forward(self, x, h0, *rest):
        mode = self.mode
        xp = get_array_module(x)
        lstm = mode == "LSTM"
        if lstm:
            return self._lstm_forward(xp, x, h0, *rest)
        if lstm:
            c0, rest = rest[0], rest[1:]
        w_ih, w_hh = rest[0], rest[1]
        b_ih, b_hh = (rest[2], rest[3]) if self.has_bias else (None, None)
        T, B, _ = x.shape
        H = w_hh.shape[1]
        G = w_hh.shape[0]
        dt = x.dtype
        # all input projections in one GEMM; b_hh folds in too, except for the GRU, whose
        # n block needs h W_hn^T + b_hn on its own (it sits inside r * (...))
        gi = (x.reshape(T * B, -1) @ w_ih.T).reshape(T, B, G)
        if b_ih is not None:
            gi += b_ih if mode == "GRU" else b_ih + b_hh
        whhT = xp.ascontiguousarray(w_hh.T)
        mask = self.mask
        steps = range(T - 1, -1, -1) if self.reverse else range(T)
        y = xp.empty((T, B, H), dtype=dt)
        hprev = xp.empty((T, B, H), dtype=dt)  # state before the step at each time index
        acts = gi  # activated gates are written over the projections in place
        h = h0
        if lstm:
            cprev = xp.empty((T, B, H), dtype=dt)
            tanh_c = xp.empty((T, B, H), dtype=dt)
            c = c0
        if mode == "GRU":
            ghn = xp.empty((T, B, H), dtype=dt)  # h W_hn^T + b_hn, needed for dr
        for t in steps:
            hprev[t] = h
            a = acts[t]
            if mode == "GRU":
                gh = h @ whhT
                if b_hh is not None:
                    gh += b_hh
                rz = a[:, : 2 * H]
                rz += gh[:, : 2 * H]
                _sigmoid_(rz, xp)
                ghn[t] = gh[:, 2 * H :]
                n = a[:, 2 * H :]
                n += rz[:, :H] * gh[:, 2 * H :]
                xp.tanh(n, out=n)
                z = rz[:, H:]
                hn = n + z * (h - n)
            else:
                a += h @ whhT
                if lstm:
                    _sigmoid_(a[:, : 2 * H], xp)
                    xp.tanh(a[:, 2 * H : 3 * H], out=a[:, 2 * H : 3 * H])
                    _sigmoid_(a[:, 3 * H :], xp)
                    cprev[t] = c
                    cn = a[:, H : 2 * H] * c
                    cn += a[:, :H] * a[:, 2 * H : 3 * H]
                    tc = xp.tanh(cn, out=tanh_c[t])
                    hn = a[:, 3 * H :] * tc
                elif mode == "RNN_TANH":
                    hn = xp.tanh(a, out=a)
                else:
                    hn = xp.maximum(a, 0, out=a)
            if mask is None:
                y[t] = hn
                h = y[t]
                if lstm:
                    c = cn
            else:
                m = mask[t][:, None]
                xp.multiply(hn, m, out=y[t])
                h = xp.where(m, hn, h)
                if lstm:
                    c = xp.where(m, cn, c)
        self.saved = (x, w_ih, w_hh, acts, hprev, y)
        if lstm:
            self.saved_lstm = (cprev, tanh_c)
            return y, xp.array(h, copy=True), xp.array(c, copy=True)
        if mode == "GRU":
            self.saved_gru = ghn
        return y, xp.array(h, copy=True)

    # ------------------------------------------------------------------ backward
    @once_differentiable
    def backward(self, gy, ghn_out, *gc):
        mode = self.mode
        if mode == "LSTM":
            return self._lstm_backward(gy.data, ghn_out.data, gc[0].data)
        x, w_ih, w_hh, acts, hprev, y = self.saved
        xp = get_array_module(x)
        lstm = mode == "LSTM"
        T, B, _ = x.shape
        H = w_hh.shape[1]
        G = w_hh.shape[0]
        mask = self.mask
        gy = gy.data
        dh = xp.array(ghn_out.data, copy=True)
        if lstm:
            cprev, tanh_c = self.saved_lstm
            dc = xp.array(gc[0].data, copy=True)
        if mode == "GRU":
            ghn = self.saved_gru
        dgi = xp.empty((T, B, G), dtype=x.dtype)  # gradient of the input-side pre-activations
        dgh = dgi if mode != "GRU" else xp.empty((T, B, G), dtype=x.dtype)  # hidden side (differs for GRU n)
        steps = range(T) if self.reverse else range(T - 1, -1, -1)
        for t in steps:
            a = acts[t]
            if mask is None:
                dcand = dh + gy[t]
            else:
                m = mask[t][:, None]
                dcand = (dh + gy[t]) * m
                carry = dh * ~m  # gradient passing straight to the previous state at padded steps
            if mode == "GRU":
                r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
                hp = hprev[t]
                dn = dcand * (1 - z)
                dz = dcand * (hp - n)
                dan = dn * (1 - n * n)
                d = dgi[t]
                d[:, 2 * H :] = dan
                d[:, :H] = dan * ghn[t] * r * (1 - r)
                d[:, H : 2 * H] = dz * z * (1 - z)
                e = dgh[t]
                e[:, : 2 * H] = d[:, : 2 * H]
                e[:, 2 * H :] = dan * r
                dh = e @ w_hh
                dh += dcand * z
            elif lstm:
                i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
                tc = tanh_c[t]
                if mask is None:
                    dct = dc + dcand * o * (1 - tc * tc)
                else:
                    dct = dc * m + dcand * o * (1 - tc * tc)
                d = dgi[t]
                xp.multiply(dcand * tc, o * (1 - o), out=d[:, 3 * H :])
                xp.multiply(dct * g, i * (1 - i), out=d[:, :H])
                xp.multiply(dct * cprev[t], f * (1 - f), out=d[:, H : 2 * H])
                xp.multiply(dct * i, 1 - g * g, out=d[:, 2 * H : 3 * H])
                dh = d @ w_hh
                if mask is None:
                    dc = dct * f
                else:
                    dc = dct * f + dc * ~m
            else:
                d = dgi[t]
                if mode == "RNN_TANH":
                    xp.multiply(dcand, 1 - a * a, out=d)
                else:
                    xp.multiply(dcand, a > 0, out=d)
                dh = d @ w_hh
            if mask is not None:
                dh += carry
        need = self.needs_input_grad
        k = 3 if lstm else 2
        out = [None] * len(need)
        if need[0]:
            out[0] = const((dgi.reshape(T * B, G) @ w_ih).reshape(x.shape))
        if need[1]:
            out[1] = const(dh)
        if lstm and need[2]:
            out[2] = const(dc)
        if need[k]:
            out[k] = const(dgi.reshape(T * B, G).T @ x.reshape(T * B, -1))
        if need[k + 1]:
            out[k + 1] = const(dgh.reshape(T * B, G).T @ hprev.reshape(T * B, H))
        if self.has_bias:
            if need[k + 2]:
                out[k + 2] = const(dgi.sum(axis=(0, 1)))
            if need[k + 3]:
                out[k + 3] = const(dgh.sum(axis=(0, 1)))
        return tuple(out)


    # ------------------------------------------------------------------ LSTM, specialised
    # Internally the gate blocks are reordered to (o, i, f, g) (rows of the weights permuted once
    # per call, gradients permuted back at the end): the three sigmoid gates are then contiguous,
    # and so are the three gates whose gradient is scaled by dc (i, f, g). Every gate goes through
    # one exp: the o, i, f pre-activations are negated and g's is scaled by -2 (folded into the
    # weights), so sigmoid(a) = 1 / (1 + exp(-a)) and tanh(a) = 2 / (1 + exp(-2a)) - 1 share one
    # exp over the whole (B, 4H) block, about half the cost of tanh-based sigmoids on NumPy.
    #
    # Each step is ONE GEMM: the rows of XH are [x_t, 1, h_prev] and the matching weight matrix
    # stacks W_ih^T, the bias row and W_hh^T, so the input projection, the biases and the
    # recurrent product come out together and the new state is written straight into the next
    # row of XH. The backward's weight gradients are then one GEMM too, dA^T @ XH, giving
    # [dW_ih | db | dW_hh] at once. The step loops keep only what the recurrence needs (the
    # gates and tanh(c)); the local derivatives the backward uses (P, F, D below) are computed
    # afterwards in bulk, split over time (inside the split step loop their nine extra NumPy
    # calls per step cost more in GIL hand-offs than the bulk passes: measured 40 % slower).
    # Both step loops split the batch over the intra-op threads (gradkit.parallel): every
    # batch row's recurrence is independent of the others.
    _GRAIN = 16  # the fewest batch rows worth a thread of their own

    @staticmethod
    def _lstm_perm(H, xp):
        """Row indices taking PyTorch's gate order (i, f, g, o) to the internal (o, i, f, g), and back."""
        perm = xp.concatenate([xp.arange(3 * H, 4 * H), xp.arange(0, 3 * H)])
        inv = xp.concatenate([xp.arange(H, 4 * H), xp.arange(0, H)])
        return perm, inv

    def __call__(self, *inputs):
        # whether the forward must keep what the backward needs (skipped for inference)
        self._keep = is_grad_enabled() and any(t.requires_grad for t in inputs)
        return super().__call__(*inputs)

    def _lstm_forward(self, xp, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None):
        T, B, I = x.shape
        H = w_hh.shape[1]
        G = 4 * H
        H3 = 3 * H
        dt = x.dtype
        keep = getattr(self, "_keep", True)
        perm, _ = self._lstm_perm(H, xp)
        scale = xp.full((G, 1), -1.0, dtype=dt)
        scale[H3:] = -2.0
        nb = 1 if b_ih is not None else 0
        K = I + nb + H
        rev = 1 if self.reverse else 0
        # XH[t + rev] = [x_t, 1, state before step t]; the state column block is S (all states)
        XH = _WORKSPACE.take_shared(xp, (T + 1, B, K), dt)
        XH[rev: rev + T, :, :I] = x
        if nb:
            XH[:, :, I] = 1.0
        S = XH[:, :, I + nb:]
        W = xp.empty((K, G), dtype=dt)
        W[:I] = (w_ih[perm] * scale).T
        if nb:
            W[I] = (b_ih + b_hh)[perm] * scale[:, 0]
        W[I + nb:] = (w_hh[perm] * scale).T
        C = _WORKSPACE.take(xp, (T + 1, B, H), dt)
        S[T if rev else 0] = h0
        C[T if rev else 0] = c0
        # the gates, sigmoid(o, i, f) and r = sigmoid(2 a_g), stored gate-major (T, 4, B, H): each
        # gate of a step is then one contiguous block, for the step's math and the bulk passes
        SG = _WORKSPACE.take(xp, (T, 4, B, H), dt)
        TC = _WORKSPACE.take(xp, (T, B, H), dt)  # tanh(c) after each step
        mask = self.mask
        y = S[:T] if rev else S[1:]  # the outputs are the new states (a view), unless masked
        if mask is not None:
            y = xp.empty((T, B, H), dtype=dt)
        steps = range(T - 1, -1, -1) if rev else range(T)

        def run(b0, b1):
            nbat = b1 - b0
            buf = xp.empty((nbat, G), dtype=dt)
            g = xp.empty((nbat, H), dtype=dt)
            ig = xp.empty((nbat, H), dtype=dt)
            if mask is not None:
                hn = xp.empty((nbat, H), dtype=dt)
                cn = xp.empty((nbat, H), dtype=dt)
            for t in steps:
                sg = SG[t, :, b0:b1]
                xp.matmul(XH[t + rev, b0:b1], W, out=buf)
                xp.exp(buf, out=buf)
                buf += 1.0
                xp.divide(1.0, buf.reshape(nbat, 4, H), out=sg.transpose(1, 0, 2))
                o, i, f, r = sg
                xp.multiply(r, 2.0, out=g)
                g -= 1.0  # tanh(a_g) = 2 r - 1
                c = C[t + rev, b0:b1]
                if mask is None:
                    hn, cn = S[t + 1 - rev, b0:b1], C[t + 1 - rev, b0:b1]
                xp.multiply(f, c, out=cn)
                xp.multiply(i, g, out=ig)
                cn += ig
                tc = TC[t, b0:b1]
                xp.tanh(cn, out=tc)
                xp.multiply(o, tc, out=hn)
                if mask is not None:
                    m = mask[t, b0:b1, None]
                    xp.multiply(hn, m, out=y[t, b0:b1])
                    s_new, c_new = S[t + 1 - rev, b0:b1], C[t + 1 - rev, b0:b1]
                    s_new[...] = S[t + rev, b0:b1]
                    c_new[...] = c
                    xp.copyto(s_new, hn, where=m)
                    xp.copyto(c_new, cn, where=m)

        with _ignore_overflow(xp):
            if xp is np:
                parallel_for(B, run, grain=self._GRAIN)
            else:
                run(0, B)
        h_n = xp.array(S[0] if rev else S[T], copy=True)
        c_n = xp.array(C[0] if rev else C[T], copy=True)
        if keep:
            P, F, D = self._lstm_derivatives(xp, SG, TC, C, S, T, H, rev)
            self.saved = (x.shape, w_ih, w_hh, XH, _Lease(P, F, D))
        else:
            _WORKSPACE.give(SG)
        _WORKSPACE.give(C, TC)
        return y, h_n, c_n

    def _lstm_derivatives(self, xp, SG, TC, C, S, T, H, rev):
        """The local derivatives the backward needs, from the saved gates, in bulk over time.

        ``P`` (written over the gates ``SG``) holds ``s (1 - s)`` times the factor each gate meets:
        tanh(c) for o, g for i, c_prev for f, and i for the g block (whose ``1 - g^2`` is
        ``4 r (1 - r)``; the 4 is applied to the weights in the backward); ``F`` is the forget
        gate (the path dc -> dc_prev) and ``D = o (1 - tanh(c)^2) = o - h tanh(c)`` (dh -> dc).
        At padded steps P and D are zero and F is one: the state passes through unchanged.
        """
        dt = SG.dtype
        F = _WORKSPACE.take(xp, (T, SG.shape[2], H), dt)
        D = _WORKSPACE.take(xp, (T, SG.shape[2], H), dt)
        mask = self.mask
        H3 = 3 * H

        def run(t0, t1):
            sg = SG[t0:t1]
            o, i, f, r = sg[:, 0], sg[:, 1], sg[:, 2], sg[:, 3]
            tc = TC[t0:t1]
            h_new = S[t0 + 1 - rev: t1 + 1 - rev]
            c_prev = C[t0 + rev: t1 + rev]
            d = D[t0:t1]
            xp.multiply(h_new, tc, out=d)
            xp.subtract(o, d, out=d)
            xp.copyto(F[t0:t1], f)
            gfac = xp.multiply(r, 2.0)  # g = 2 r - 1, for the i block
            gfac -= 1.0
            one_minus = xp.subtract(1.0, sg)
            r *= one_minus[:, 3]
            r *= i  # the g block: r (1 - r) i
            i *= one_minus[:, 1]
            i *= gfac  # the i block: i (1 - i) g
            f *= one_minus[:, 2]
            f *= c_prev  # the f block: f (1 - f) c_prev
            o *= one_minus[:, 0]
            o *= tc  # the o block: o (1 - o) tanh(c)
            if mask is not None:
                m = mask[t0:t1, :, None]
                sg *= m[:, None]
                d *= m
                F[t0:t1] *= m
                F[t0:t1] += ~m  # f acts as 1 at padded steps (a masked copy is far slower)

        if xp is np:
            parallel_for(T, run, grain=2)
        else:
            run(0, T)
        return SG, F, D

    def _lstm_backward(self, gy, dh_n, dc_n):
        xshape, w_ih, w_hh, XH, lease = self.saved
        P, F, D = lease.arrays
        xp = get_array_module(P)
        T, B, I = xshape
        H = w_hh.shape[1]
        G = 4 * H
        dt = P.dtype
        nb = 1 if self.has_bias else 0
        K = I + nb + H
        perm, inv = self._lstm_perm(H, xp)
        # P holds a quarter of the g block's derivative: scale g's rows of the weights by 4 instead
        gscale = xp.ones((G, 1), dtype=dt)
        gscale[3 * H:] = 4.0
        whh = xp.ascontiguousarray(w_hh[perm] * gscale)
        mask = self.mask
        rev = 1 if self.reverse else 0
        dA = _WORKSPACE.take(xp, (T, B, G), dt)
        dh_0 = xp.empty((B, H), dtype=dt)
        dc_0 = xp.empty((B, H), dtype=dt)
        if mask is not None:
            carry = (~mask).astype(dt)[:, :, None]
        steps = range(T) if rev else range(T - 1, -1, -1)

        def run(b0, b1):
            nbat = b1 - b0
            dh = xp.array(dh_n[b0:b1], dtype=dt, copy=True)
            dc = xp.array(dc_n[b0:b1], dtype=dt, copy=True)
            dh2 = xp.empty((nbat, H), dtype=dt)
            dct = xp.empty((nbat, H), dtype=dt)
            dcand = xp.empty((nbat, H), dtype=dt)
            for t in steps:
                d, p = dA[t, b0:b1], P[t, :, b0:b1]
                xp.add(dh, gy[t, b0:b1], out=dcand)
                xp.multiply(dcand, D[t, b0:b1], out=dct)
                dct += dc
                xp.multiply(dcand, p[0], out=d[:, :H])
                xp.multiply(dct, p[1:], out=d.reshape(nbat, 4, H)[:, 1:].transpose(1, 0, 2))  # i, f, g
                xp.multiply(dct, F[t, b0:b1], out=dc)
                xp.matmul(d, whh, out=dh2)
                if mask is not None:
                    dh *= carry[t, b0:b1]
                    dh2 += dh
                dh, dh2 = dh2, dh
            dh_0[b0:b1] = dh
            dc_0[b0:b1] = dc

        if xp is np:
            parallel_for(B, run, grain=self._GRAIN)
        else:
            run(0, B)
        dA2 = dA.reshape(T * B, G)
        need = self.needs_input_grad
        out = [None] * len(need)
        if need[0]:
            out[0] = const(_matmul(dA2, xp.ascontiguousarray(w_ih[perm] * gscale)).reshape(xshape))
        if need[1]:
            out[1] = const(dh_0)
        if need[2]:
            out[2] = const(dc_0)
        if need[3] or need[4] or (nb and (need[5] or need[6])):
            # [dW_ih | db | dW_hh] in one GEMM over the rows [x_t, 1, h_prev] of every step
            dW = _matmul(dA2.T, XH[rev: rev + T].reshape(T * B, K))
            dW *= gscale
            dW = dW[inv]
            if need[3]:
                out[3] = const(xp.ascontiguousarray(dW[:, :I]))
            if need[4]:
                out[4] = const(xp.ascontiguousarray(dW[:, I + nb:]))
            if nb:
                out[5] = const(dW[:, I].copy()) if need[5] else None
                out[6] = const(dW[:, I].copy()) if need[6] else None
        _WORKSPACE.give(dA)
        return tuple(out)


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

    Example:
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
        m = mask.data if isinstance(mask, Tensor) else mask
        xp = get_array_module(input.data)
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
    zero = const(get_array_module(input.data).zeros((), dtype=input.dtype))
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
    y = stack(outs, 0) if T else const(get_array_module(input.data).zeros((0, input.shape[1], H), dtype=input.dtype))
    return (y, (h, c)) if lstm else (y, h)


def lengths_to_mask(lengths, T: int, xp=None):
    """A (T, B) boolean mask, true where ``t < lengths[b]``.

    Args:
        lengths: integer array, list or Tensor of shape (B,).
        T: the padded sequence length.

    Raises:
        ValueError: when a length is negative or longer than ``T``, naming both.
    """
    import numpy as np

    arr = lengths.data if isinstance(lengths, Tensor) else lengths
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
    if xp is not None and xp is not np:
        mask = xp.asarray(mask)
    return mask


__all__ = [
    "GATES", "RecurrentSequence", "gru_cell", "lengths_to_mask", "lstm_cell", "release_workspace", "rnn_relu_cell",
    "rnn_sequence", "rnn_tanh_cell",
]
