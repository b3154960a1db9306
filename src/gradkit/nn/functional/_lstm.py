"""The fused LSTM kernel of :class:`~gradkit.nn.functional._recurrent.RecurrentSequence` (private).

Equations (Hochreiter & Schmidhuber, 1997; PyTorch's gate order ``i, f, g, o``)::

    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)      g = tanh(a_g)
    a = x W_ih^T + b_ih + h W_hh^T + b_hh                   c' = f * c + i * g      h' = o * tanh(c')

Internally the gate blocks are reordered to (o, i, f, g) (rows of the weights permuted once per
call, gradients permuted back at the end): the three sigmoid gates are then contiguous, and so
are the three gates whose gradient is scaled by dc (i, f, g). Every gate goes through one exp:
the o, i, f pre-activations are negated and g's is scaled by -2 (folded into the weights), so
``sigmoid(a) = 1 / (1 + exp(-a))`` and ``tanh(a) = 2 / (1 + exp(-2a)) - 1`` share one exp over
the whole (B, 4H) block, cheaper than tanh-based sigmoids on NumPy.

Each step is ONE GEMM: the rows of ``XH`` are ``[x_t, 1, h_prev]`` and the matching weight
matrix stacks ``W_ih^T``, the bias row and ``W_hh^T``, so the input projection, the biases and
the recurrent product come out together and the new state is written straight into the next
row of ``XH``. The backward's weight gradients are then one GEMM too, ``dA^T @ XH``, giving
``[dW_ih | db | dW_hh]`` at once. The step loops keep only what the recurrence needs (the gates
and tanh(c)); the local derivatives the backward uses (``P, F, D``, see
:func:`_lstm_derivatives`) are computed in bulk at the start of the backward, split over time:
inside the split step loop their nine extra NumPy calls per step cost more in GIL hand-offs
than the bulk passes (timings in ``benchmarks/NOTES.md``). Both step loops split the batch over
the intra-op threads (:mod:`gradkit.parallel`): every batch row's recurrence is independent of
the others.

The derivative is written once, on raw arrays (:func:`lstm_backward`); the op is
once-differentiable (``rnn_sequence(..., fused=False)`` builds the same recurrence from
differentiable ops for higher derivatives).
"""

from __future__ import annotations

import numpy as np

from ...backend import get_array_module
from ...parallel import matmul as _matmul, parallel_for
from ._workspace import _WORKSPACE, _Lease

_GRAIN = 16  # the fewest batch rows worth a thread of their own


class _ignore_overflow:
    """``numpy.errstate(over='ignore')`` for NumPy arrays: exp(large) -> inf gives the right sigmoid limit."""

    def __init__(self, xp):
        self.ctx = np.errstate(over="ignore") if xp is np else None

    def __enter__(self):
        if self.ctx is not None:
            self.ctx.__enter__()
        return self

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)
        return False


def _lstm_perm(H, xp):
    """Row indices taking PyTorch's gate order (i, f, g, o) to the internal (o, i, f, g), and back."""
    perm = xp.concatenate([xp.arange(3 * H, 4 * H), xp.arange(0, 3 * H)])
    inv = xp.concatenate([xp.arange(H, 4 * H), xp.arange(0, H)])
    return perm, inv


def _lstm_steps(xp, XH, W, C, SG, TC, y, mask, rev, H, b0, b1):
    """The forward recurrence for batch rows ``b0:b1`` (one thread's piece).

    Writes the gates of every step into ``SG``, tanh(c) into ``TC``, the states into the state
    block of ``XH`` and ``C``, and (with a mask) the outputs into ``y``.
    """
    T = SG.shape[0]
    G = 4 * H
    S = XH[:, :, XH.shape[2] - H:]
    nbat = b1 - b0
    dt = XH.dtype
    buf = xp.empty((nbat, G), dtype=dt)
    g = xp.empty((nbat, H), dtype=dt)
    ig = xp.empty((nbat, H), dtype=dt)
    if mask is not None:
        hn = xp.empty((nbat, H), dtype=dt)
        cn = xp.empty((nbat, H), dtype=dt)
    for t in range(T - 1, -1, -1) if rev else range(T):
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


def lstm_forward(op, xp, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None):
    """The fused LSTM forward of ``op`` (a ``RecurrentSequence``): returns ``(y, h_n, c_n)``.

    Saves on ``op`` what :func:`lstm_backward` needs: the step inputs ``XH`` and a lease on the
    gates, tanh(c) and the cell states (back to the workspace when the op is freed, at once
    when the call is not recorded).
    """
    T, B, I = x.shape
    H = w_hh.shape[1]
    G = 4 * H
    dt = x.dtype
    perm, _ = _lstm_perm(H, xp)
    scale = xp.full((G, 1), -1.0, dtype=dt)
    scale[3 * H:] = -2.0
    nb = 1 if b_ih is not None else 0
    K = I + nb + H
    rev = 1 if op.reverse else 0
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
    mask = op.mask
    y = S[:T] if rev else S[1:]  # the outputs are the new states (a view), unless masked
    if mask is not None:
        y = xp.empty((T, B, H), dtype=dt)

    def run(b0, b1):
        _lstm_steps(xp, XH, W, C, SG, TC, y, mask, rev, H, b0, b1)

    with _ignore_overflow(xp):
        if xp is np:
            parallel_for(B, run, grain=_GRAIN)
        else:  # pragma: no cover - CuPy only
            run(0, B)
    h_n = xp.array(S[0] if rev else S[T], copy=True)
    c_n = xp.array(C[0] if rev else C[T], copy=True)
    op.saved = (x.shape, w_ih, w_hh, XH, _Lease(SG, TC, C))
    op.derived = False
    return y, h_n, c_n


def _lstm_derivatives(xp, SG, TC, C, S, mask, rev):
    """The local derivatives the backward needs, from the saved gates, in bulk over time.

    ``P`` (written over the gates ``SG``) holds ``s (1 - s)`` times the factor each gate meets:
    tanh(c) for o, g for i, c_prev for f, and i for the g block (whose ``1 - g^2`` is
    ``4 r (1 - r)``; the 4 is applied to the weights in the backward); ``F`` is the forget
    gate (the path dc -> dc_prev) and ``D = o (1 - tanh(c)^2) = o - h tanh(c)`` (dh -> dc).
    At padded steps P and D are zero and F is one: the state passes through unchanged.

    Returns:
        ``(P, F, D)``; ``P`` is ``SG`` itself, ``F`` and ``D`` come from the workspace.
    """
    T, _, B, H = SG.shape
    F = _WORKSPACE.take(xp, (T, B, H), SG.dtype)
    D = _WORKSPACE.take(xp, (T, B, H), SG.dtype)

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
    else:  # pragma: no cover - CuPy only
        run(0, T)
    return SG, F, D


def _derived(op, xp):
    """``(P, F, D)`` of ``op``, computed from the saved gates on the first backward (and kept for
    another one with ``retain_graph``)."""
    xshape, _, w_hh, XH, lease = op.saved
    if not op.derived:
        SG, TC, C = lease.arrays
        H = w_hh.shape[1]
        P, F, D = _lstm_derivatives(xp, SG, TC, C, XH[:, :, XH.shape[2] - H:], op.mask, 1 if op.reverse else 0)
        lease.arrays = (P, F, D)  # P is SG, overwritten; tanh(c) and the cell states are done
        _WORKSPACE.give(TC, C)
        op.derived = True
    return lease.arrays


def _lstm_back_steps(xp, dA, P, F, D, whh, gy, dh_n, dc_n, dh_0, dc_0, carry, rev, b0, b1):
    """The backward recurrence for batch rows ``b0:b1``: fills ``dA`` (gradients of the gate
    pre-activations) and the gradients of the initial state ``dh_0``, ``dc_0``."""
    T, B, G = dA.shape
    H = G // 4
    dt = dA.dtype
    nbat = b1 - b0
    dh = xp.array(dh_n[b0:b1], dtype=dt, copy=True)
    dc = xp.array(dc_n[b0:b1], dtype=dt, copy=True)
    dh2 = xp.empty((nbat, H), dtype=dt)
    dct = xp.empty((nbat, H), dtype=dt)
    dcand = xp.empty((nbat, H), dtype=dt)
    for t in range(T) if rev else range(T - 1, -1, -1):
        d, p = dA[t, b0:b1], P[t, :, b0:b1]
        xp.add(dh, gy[t, b0:b1], out=dcand)
        xp.multiply(dcand, D[t, b0:b1], out=dct)
        dct += dc
        xp.multiply(dcand, p[0], out=d[:, :H])
        xp.multiply(dct, p[1:], out=d.reshape(nbat, 4, H)[:, 1:].transpose(1, 0, 2))  # i, f, g
        xp.multiply(dct, F[t, b0:b1], out=dc)
        xp.matmul(d, whh, out=dh2)
        if carry is not None:
            dh *= carry[t, b0:b1]
            dh2 += dh
        dh, dh2 = dh2, dh
    dh_0[b0:b1] = dh
    dc_0[b0:b1] = dc


def lstm_backward(op, gy, dh_n, dc_n):
    """The fused LSTM backward of ``op`` on raw arrays: one gradient (or None) per input
    ``(x, h0, c0, w_ih, w_hh[, b_ih, b_hh])``."""
    xp = get_array_module(gy)
    xshape, w_ih, w_hh, XH, _ = op.saved
    P, F, D = _derived(op, xp)
    T, B, I = xshape
    H = w_hh.shape[1]
    G = 4 * H
    dt = P.dtype
    nb = 1 if op.has_bias else 0
    perm, inv = _lstm_perm(H, xp)
    # P holds a quarter of the g block's derivative: scale g's rows of the weights by 4 instead
    gscale = xp.ones((G, 1), dtype=dt)
    gscale[3 * H:] = 4.0
    whh = xp.ascontiguousarray(w_hh[perm] * gscale)
    rev = 1 if op.reverse else 0
    dA = _WORKSPACE.take(xp, (T, B, G), dt)
    dh_0 = xp.empty((B, H), dtype=dt)
    dc_0 = xp.empty((B, H), dtype=dt)
    carry = None if op.mask is None else (~op.mask).astype(dt)[:, :, None]

    def run(b0, b1):
        _lstm_back_steps(xp, dA, P, F, D, whh, gy, dh_n, dc_n, dh_0, dc_0, carry, rev, b0, b1)

    if xp is np:
        parallel_for(B, run, grain=_GRAIN)
    else:  # pragma: no cover - CuPy only
        run(0, B)
    dA2 = dA.reshape(T * B, G)
    need = op.needs_input_grad
    out = [None] * len(need)
    if need[0]:
        out[0] = _matmul(dA2, xp.ascontiguousarray(w_ih[perm] * gscale)).reshape(xshape)
    if need[1]:
        out[1] = dh_0
    if need[2]:
        out[2] = dc_0
    if need[3] or need[4] or (nb and (need[5] or need[6])):
        # [dW_ih | db | dW_hh] in one GEMM over the rows [x_t, 1, h_prev] of every step
        dW = _matmul(dA2.T, XH[rev: rev + T].reshape(T * B, I + nb + H))
        dW *= gscale
        dW = dW[inv]
        if need[3]:
            out[3] = xp.ascontiguousarray(dW[:, :I])
        if need[4]:
            out[4] = xp.ascontiguousarray(dW[:, I + nb:])
        if nb:
            out[5] = dW[:, I].copy() if need[5] else None
            out[6] = dW[:, I].copy() if need[6] else None
    _WORKSPACE.give(dA)
    return tuple(out)
