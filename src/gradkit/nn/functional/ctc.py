"""Connectionist temporal classification (Graves et al., 2006): ``ctc_loss``, as ``torch.nn.functional.ctc_loss``.

The loss is ``-log p(target | input)``, summed over every alignment of the target to the
input frames. An alignment is a frame-by-frame path through the *extended* target
``l' = (blank, l_1, blank, l_2, ..., l_S, blank)`` of length ``2S + 1``: a path may stay on a
symbol, step to the next one, or skip a blank between two different labels.

Forward variables (in log space, one time loop vectorized over the batch and over ``s``)::

    alpha_0(0) = y_0(blank),  alpha_0(1) = y_0(l_1)
    alpha_t(s) = y_t(l'_s) * (alpha_{t-1}(s) + alpha_{t-1}(s-1) + [l'_s != blank and l'_s != l'_{s-2}] alpha_{t-1}(s-2))

and the backward variables ``beta_t(s)`` mirror them from the last frame. Then
``p = alpha_{T-1}(2S) + alpha_{T-1}(2S-1)`` and, for every frame ``t`` and class ``k``,

    d(-log p) / d log y_t(k) = -(1 / p) * sum_{s: l'_s = k} alpha_t(s) beta_t(s) / y_t(k)

the exact derivative with respect to the given log-probabilities (it passes a float64 numerical
gradient check). PyTorch's kernel returns this plus ``exp(log_probs)``, a term that vanishes
once the gradient goes back through the ``log_softmax`` that produced ``log_probs``; through that
``log_softmax`` the two agree. The op is fused (NumPy forward-backward) and once-differentiable.

Example:
    >>> import gradkit as gk
    >>> import gradkit.nn.functional as F
    >>> lp = F.log_softmax(gk.zeros(3, 1, 2), 2)      # T=3, N=1, C=2 (blank 0, label 1)
    >>> round(F.ctc_loss(lp, gk.tensor([[1]]), [3], [1], reduction="sum").item(), 4)
    0.2877
"""

from __future__ import annotations

import numpy as np

from ... import backend, ops
from ...autograd.function import FusedOp
from ...backend import get_array_module
from ...ops._util import ensure_tensor, shape_str
from ...tensor import Tensor

__all__ = ["ctc_loss"]

_NEG = -np.inf


def _ints(x, name):
    a = x.array if isinstance(x, Tensor) else x
    a = backend.to_numpy(a) if not isinstance(a, (list, tuple, int)) else np.asarray(a)
    a = np.asarray(a)
    if a.dtype.kind not in "iu":
        raise TypeError(f"ctc_loss: {name} must hold integers, got dtype {a.dtype}")
    return a.astype(np.int64).reshape(-1)


def _lse(*terms):
    out = terms[0]
    for t in terms[1:]:
        out = np.logaddexp(out, t)
    return out


class _CTC(FusedOp):
    """Per-example ``-log p(target | log_probs)`` for a (T, N, C) input; gradient as in the module docstring."""

    def __init__(self, ext, ext_len, in_len, blank, zero_infinity):
        self.ext, self.ext_len, self.in_len = ext, ext_len, in_len  # (N, L) extended labels, (N,), (N,)
        self.blank, self.zero_infinity = blank, zero_infinity

    def _skip(self):
        ext = self.ext
        prev2 = np.full_like(ext, -1)
        prev2[:, 2:] = ext[:, :-2]
        return (ext != self.blank) & (ext != prev2)  # may come from s - 2

    def forward(self, lp):
        xp = get_array_module(lp)
        lp = backend.to_numpy(lp).astype(np.float64)
        T, N, _ = lp.shape
        ext, L = self.ext, self.ext.shape[1]
        s_idx = np.arange(L)
        valid_s = s_idx[None, :] < self.ext_len[:, None]
        skip = self._skip()
        emit = np.take_along_axis(lp, np.broadcast_to(ext[None], (T, N, L)), axis=2)  # (T, N, L)
        emit = np.where(valid_s[None], emit, _NEG)
        alpha = np.full((T, N, L), _NEG)
        if T:
            alpha[0, :, :2] = emit[0, :, :2]
            alpha[0] = np.where(self.in_len[:, None] > 0, alpha[0], _NEG)
        with np.errstate(invalid="ignore"):
            for t in range(1, T):
                a = alpha[t - 1]
                a1 = np.concatenate([np.full((N, 1), _NEG), a[:, :-1]], 1)
                a2 = np.where(skip, np.concatenate([np.full((N, 2), _NEG), a[:, :-2]], 1), _NEG)
                new = _lse(a, a1, a2) + emit[t]
                alpha[t] = np.where((t < self.in_len)[:, None], new, a)  # frozen after each input's end
            beta = np.full((T, N, L), _NEG)
            last = self.in_len - 1
            end = np.full((N, L), _NEG)
            rows = np.arange(N)
            for t in range(T - 1, -1, -1):
                b = beta[t + 1] if t + 1 < T else end
                b1 = np.concatenate([b[:, 1:], np.full((N, 1), _NEG)], 1)
                skip_next = np.concatenate([skip[:, 2:], np.zeros((N, 2), bool)], 1)
                b2 = np.where(skip_next, np.concatenate([b[:, 2:], np.full((N, 2), _NEG)], 1), _NEG)
                rec = _lse(b, b1, b2) + emit[t]
                init = np.full((N, L), _NEG)
                ends = self.ext_len - 1
                init[rows, ends] = emit[t, rows, ends]
                init[rows, np.maximum(ends - 1, 0)] = np.where(ends >= 1, emit[t, rows, np.maximum(ends - 1, 0)],
                                                               init[rows, np.maximum(ends - 1, 0)])
                beta[t] = np.where((t == last)[:, None], init, np.where((t < last)[:, None], rec, _NEG))
        fin = alpha[np.maximum(last, 0), rows]  # (N, L) at each input's last frame
        ends = self.ext_len - 1
        ll = fin[rows, ends]
        ll = np.where(ends >= 1, np.logaddexp(ll, fin[rows, np.maximum(ends - 1, 0)]), ll)
        ll = np.where(self.in_len > 0, ll, np.where(self.ext_len == 1, 0.0, _NEG))
        nll = -ll
        self.saved = (lp, alpha, beta, nll)
        out = nll
        if self.zero_infinity:
            out = np.where(np.isinf(nll), 0.0, nll)
        return xp.asarray(out.astype(self.out_dtype))

    def backward_arrays(self, gy):
        xp = get_array_module(gy)
        lp, alpha, beta, nll = self.saved
        T, N, C = lp.shape
        fin = np.isfinite(nll)
        with np.errstate(invalid="ignore", over="ignore"):
            occ = np.exp(alpha + beta + np.where(fin, nll, 0.0)[None, :, None])  # posterior of (t, s)
            occ = np.where(fin[None, :, None], occ, 0.0)
            occ_k = np.zeros((T, N, C))
            idx = np.broadcast_to(self.ext[None], occ.shape)
            tt, nn = np.meshgrid(np.arange(T), np.arange(N), indexing="ij")
            np.add.at(occ_k, (tt[..., None].repeat(occ.shape[2], 2), nn[..., None].repeat(occ.shape[2], 2), idx), occ)
            g = -occ_k * np.exp(-lp)
        g = np.where(np.isfinite(g), g, 0.0)
        if not self.zero_infinity:
            g = np.where(fin[None, :, None], g, np.nan)
        g = g * backend.to_numpy(gy).astype(np.float64)[None, :, None]
        return xp.asarray(g.astype(self.out_dtype))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0, reduction: str = "mean",
             zero_infinity: bool = False) -> Tensor:
    """The CTC loss of unsegmented sequences (see the module docstring for the algorithm).

    Args:
        log_probs: (T, N, C) log-probabilities (``log_softmax`` over C), or (T, C) for one sequence.
        targets: (N, S) padded label ids, or the (sum of target_lengths,) concatenated labels.
            Labels lie in [0, C) and are never ``blank``.
        input_lengths: (N,) frames used per sequence (each <= T).
        target_lengths: (N,) labels per sequence.
        blank: the blank class (default 0).
        reduction: ``'mean'`` (each loss divided by its target length, then the batch mean),
            ``'sum'`` or ``'none'`` ((N,) losses).
        zero_infinity: give 0 (and a zero gradient) for impossible alignments (an input too short
            for its target) instead of ``inf``.

    Returns:
        The loss.

    Raises:
        ValueError: for inconsistent shapes or lengths, or an unknown reduction.

    Example:
        >>> lp = gk.nn.functional.log_softmax(gk.zeros(4, 2, 3), 2)
        >>> ctc_loss(lp, gk.tensor([[1, 2], [1, 1]]), [4, 4], [2, 2], reduction="none").shape
        (2,)
    """
    lp = ensure_tensor(log_probs)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"ctc_loss: {reduction!r} is not a valid value for reduction")
    unbatched = lp.ndim == 2
    if unbatched:
        lp = ops.unsqueeze(lp, 1)
    if lp.ndim != 3 or lp.dtype.kind != "f":
        raise ValueError(f"ctc_loss: log_probs must be a floating (T, N, C) or (T, C) tensor, got {shape_str(lp.shape)}")
    T, N, C = lp.shape
    in_len, tg_len = _ints(input_lengths, "input_lengths"), _ints(target_lengths, "target_lengths")
    tg = _ints(targets, "targets").reshape(ensure_tensor(targets).shape)
    if unbatched and tg.ndim == 1 and tg_len.size == 1 and tg.size == tg_len[0]:
        tg = tg[None]
    if in_len.size != N or tg_len.size != N:
        raise ValueError(f"ctc_loss: expected {N} input_lengths and target_lengths, got {in_len.size} and {tg_len.size}")
    if (in_len > T).any() or (in_len < 0).any() or (tg_len < 0).any():
        raise ValueError(f"ctc_loss: input_lengths must lie in [0, {T}], got {in_len.tolist()}")
    S = int(tg_len.max()) if N else 0
    if tg.ndim == 1:  # concatenated
        if tg.size != int(tg_len.sum()):
            raise ValueError(f"ctc_loss: {tg.size} concatenated targets but target_lengths sum to {int(tg_len.sum())}")
        padded = np.full((N, S), blank, np.int64)
        off = np.concatenate([[0], np.cumsum(tg_len)])
        for i in range(N):
            padded[i, :tg_len[i]] = tg[off[i]:off[i + 1]]
        tg = padded
    elif tg.ndim != 2 or tg.shape[0] != N or tg.shape[1] < S:
        raise ValueError(f"ctc_loss: targets must be (N, S >= max target length) or 1-D, got {shape_str(tg.shape)}")
    ext = np.full((N, 2 * S + 1), blank, np.int64)
    ext[:, 1::2] = tg[:, :S]
    ext_len = 2 * tg_len + 1
    op = _CTC(ext, ext_len, in_len, int(blank), bool(zero_infinity))
    op.out_dtype = lp.dtype
    loss = op(lp)
    if reduction == "none":
        return loss[0] if unbatched else loss
    if reduction == "sum":
        return ops.sum(loss)
    div = ensure_tensor(np.maximum(tg_len, 1).astype(lp.dtype))
    return ops.mean(loss / div.to(device=lp.device))
