"""The fused whole-sequence recurrence, :class:`RecurrentSequence` (private; public through
:mod:`gradkit.nn.functional.rnn`, whose docstring gives the equations and the mask semantics).

One op per layer and direction. Its forward projects the inputs of *all* time steps in one
GEMM, then loops over time on raw arrays (one GEMM ``h @ W_hh^T`` plus in-place gate math per
step) and saves the activated gates; its backward loops back over time (one GEMM per step for
the gradient flowing to the previous state) and finishes with one GEMM each for ``dW_ih``,
``dW_hh`` and the input gradient. The LSTM has its own kernel (:mod:`._lstm`).

It is a :class:`~gradkit.autograd.function.FusedOp` without a composite: the derivative is
written once, on raw arrays, and the op is once-differentiable (a second derivative through it
raises a clear error); ``rnn_sequence(..., fused=False)`` builds the same recurrence from
differentiable ops when higher derivatives are needed.
"""

from __future__ import annotations

from ...autograd.function import FusedOp
from ...backend import get_array_module
from ._lstm import lstm_backward, lstm_forward

#: Number of stacked gate blocks in ``W_ih`` / ``W_hh`` per mode.
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _sigmoid_(a, xp):
    """In-place logistic sigmoid via ``0.5 * tanh(0.5 a) + 0.5`` (no overflow, three passes)."""
    a *= 0.5
    xp.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def _gru_gates(xp, a, h, whhT, b_hh, ghn_t, H):
    """One GRU step on raw arrays: activates the gates in ``a`` (the input projections of the
    step, overwritten with ``r, z, n``), stores ``h W_hn^T + b_hn`` in ``ghn_t`` and returns h'."""
    gh = h @ whhT
    if b_hh is not None:
        gh += b_hh
    rz = a[:, : 2 * H]
    rz += gh[:, : 2 * H]
    _sigmoid_(rz, xp)
    ghn_t[...] = gh[:, 2 * H:]
    n = a[:, 2 * H:]
    n += rz[:, :H] * gh[:, 2 * H:]
    xp.tanh(n, out=n)
    z = rz[:, H:]
    return n + z * (h - n)


def _gru_grads(a, hp, ghn_t, dcand, d, e, w_hh, H):
    """Backward of one GRU step: fills ``d`` (input-side pre-activation gradients) and ``e``
    (hidden side, which differs in the n block) and returns the gradient of the previous state."""
    r, z, n = a[:, :H], a[:, H: 2 * H], a[:, 2 * H:]
    dn = dcand * (1 - z)
    dz = dcand * (hp - n)
    dan = dn * (1 - n * n)
    d[:, 2 * H:] = dan
    d[:, :H] = dan * ghn_t * r * (1 - r)
    d[:, H: 2 * H] = dz * z * (1 - z)
    e[:, : 2 * H] = d[:, : 2 * H]
    e[:, 2 * H:] = dan * r
    dh = e @ w_hh
    dh += dcand * z
    return dh


class RecurrentSequence(FusedOp):
    """One layer and direction of an RNN/LSTM/GRU over a whole sequence, fused.

    Called as ``RecurrentSequence(mode, reverse, mask, has_bias)(x, h0[, c0], w_ih, w_hh[, b_ih, b_hh])``
    with ``x`` (T, B, in) time-major. Returns ``(y, h_n)`` or, for LSTM, ``(y, h_n, c_n)`` with
    ``y`` (T, B, H). See :mod:`gradkit.nn.functional.rnn` for the equations and the mask semantics.

    Args:
        mode: ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``.
        reverse: run from the last step to the first.
        mask: a boolean array (T, B), true at real steps, or None (all real).
        has_bias: whether ``b_ih`` and ``b_hh`` are passed.

    Raises:
        ValueError: for an unknown mode.
    """

    def __init__(self, mode: str, reverse: bool = False, mask=None, has_bias: bool = True):
        if mode not in GATES:
            raise ValueError(f"unknown recurrent mode {mode!r}: expected one of {sorted(GATES)}")
        self.mode, self.reverse, self.mask, self.has_bias = mode, reverse, mask, has_bias

    @property
    def name(self) -> str:
        return f"RecurrentSequence[{self.mode}]"

    def _steps(self, T: int) -> range:
        """The time indices in the order the forward visits them."""
        return range(T - 1, -1, -1) if self.reverse else range(T)

    def forward(self, x, h0, *rest):
        xp = get_array_module(x)
        if self.mode == "LSTM":
            return lstm_forward(self, xp, x, h0, *rest)
        return self._forward(xp, x, h0, *rest)

    def backward_arrays(self, gy, dh_n, *dc_n):
        if self.mode == "LSTM":
            return lstm_backward(self, gy, dh_n, dc_n[0])
        return self._backward(gy, dh_n)

    def _forward(self, xp, x, h0, w_ih, w_hh, b_ih=None, b_hh=None):
        """RNN (tanh or relu) and GRU: returns ``(y, h_n)``; saves the activated gates."""
        gru = self.mode == "GRU"
        T, B, _ = x.shape
        H = w_hh.shape[1]
        G = w_hh.shape[0]
        dt = x.dtype
        # all input projections in one GEMM; b_hh folds in too, except for the GRU, whose
        # n block needs h W_hn^T + b_hn on its own (it sits inside r * (...))
        acts = (x.reshape(T * B, -1) @ w_ih.T).reshape(T, B, G)  # activated in place, step by step
        if b_ih is not None:
            acts += b_ih if gru else b_ih + b_hh
        whhT = xp.ascontiguousarray(w_hh.T)
        mask = self.mask
        y = xp.empty((T, B, H), dtype=dt)
        hprev = xp.empty((T, B, H), dtype=dt)  # state before the step at each time index
        ghn = xp.empty((T, B, H), dtype=dt) if gru else None  # h W_hn^T + b_hn, needed for dr
        h = h0
        for t in self._steps(T):
            hprev[t] = h
            a = acts[t]
            if gru:
                hn = _gru_gates(xp, a, h, whhT, b_hh, ghn[t], H)
            else:
                a += h @ whhT
                hn = xp.tanh(a, out=a) if self.mode == "RNN_TANH" else xp.maximum(a, 0, out=a)
            if mask is None:
                y[t] = hn
                h = y[t]
            else:
                m = mask[t][:, None]
                xp.multiply(hn, m, out=y[t])
                h = xp.where(m, hn, h)
        self.saved = (x, w_ih, w_hh, acts, hprev, ghn)
        return y, xp.array(h, copy=True)

    def _backward(self, gy, dh_n):
        """RNN and GRU backward on raw arrays: one gradient (or None) per input
        ``(x, h0, w_ih, w_hh[, b_ih, b_hh])``."""
        x, w_ih, w_hh, acts, hprev, ghn = self.saved
        xp = get_array_module(x)
        gru = self.mode == "GRU"
        T, B, _ = x.shape
        H, G = w_hh.shape[1], w_hh.shape[0]
        mask = self.mask
        dh = xp.array(dh_n, copy=True)
        dgi = xp.empty((T, B, G), dtype=x.dtype)  # gradient of the input-side pre-activations
        dgh = xp.empty((T, B, G), dtype=x.dtype) if gru else dgi  # hidden side (differs for GRU n)
        for t in reversed(self._steps(T)):
            a = acts[t]
            if mask is None:
                dcand = dh + gy[t]
            else:
                m = mask[t][:, None]
                dcand = (dh + gy[t]) * m
                carry = dh * ~m  # gradient passing straight to the previous state at padded steps
            if gru:
                dh = _gru_grads(a, hprev[t], ghn[t], dcand, dgi[t], dgh[t], w_hh, H)
            else:
                d = dgi[t]
                if self.mode == "RNN_TANH":
                    xp.multiply(dcand, 1 - a * a, out=d)
                else:
                    xp.multiply(dcand, a > 0, out=d)
                dh = d @ w_hh
            if mask is not None:
                dh += carry
        need = self.needs_input_grad
        out = [None] * len(need)
        dgi2 = dgi.reshape(T * B, G)
        if need[0]:
            out[0] = (dgi2 @ w_ih).reshape(x.shape)
        if need[1]:
            out[1] = dh
        if need[2]:
            out[2] = dgi2.T @ x.reshape(T * B, -1)
        if need[3]:
            out[3] = dgh.reshape(T * B, G).T @ hprev.reshape(T * B, H)
        if self.has_bias:
            out[4] = dgi.sum(axis=(0, 1)) if need[4] else None
            out[5] = dgh.sum(axis=(0, 1)) if need[5] else None
        return tuple(out)
