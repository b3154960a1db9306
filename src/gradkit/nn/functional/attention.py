"""Attention: ``scaled_dot_product_attention`` and the multi-head attention forward.

Both are compositions of gradkit ops (matmul, softmax, where, dropout), so every derivative, of
any order, follows from the primitives' rules: nothing here has a backward of its own.

Mask conventions are PyTorch's, and they differ between the two functions, as in PyTorch:

* ``scaled_dot_product_attention``: a boolean ``attn_mask`` is True where a query MAY attend; a
  float mask is added to the scores.
* ``multi_head_attention_forward`` / ``nn.MultiheadAttention``: a boolean ``attn_mask`` or
  ``key_padding_mask`` is True where attention is NOT allowed (a padded key); float masks are added.

A query whose every key is masked gets NaN, as in PyTorch.
"""

from __future__ import annotations

import math

import numpy as np

from ... import ops
from ...backend import get_array_module
from ...tensor import Tensor
from .activation import softmax
from .layers import dropout as _dropout

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _as_mask(mask, where: str):
    """``mask`` as (array, is_bool); a float mask stays a Tensor (it may carry a gradient)."""
    if mask is None:
        return None, False
    if isinstance(mask, Tensor):
        if mask.dtype == np.bool_:
            return mask.array, True
        return mask, False
    arr = np.asarray(mask)
    if arr.dtype == np.bool_:
        return arr, True
    if arr.dtype.kind != "f":
        raise TypeError(f"{where}: a mask must be boolean or floating point, got dtype {arr.dtype}")
    return Tensor(arr), False


def _causal(L: int, S: int, like):
    xp = get_array_module(like.array)
    return xp.tril(xp.ones((L, S), dtype=bool))


def _attend(scores: Tensor, keep, add, dropout_p: float, training: bool, value: Tensor, generator=None):
    """softmax(scores masked) (dropout) @ value, with the weights returned too."""
    if keep is not None:
        scores = ops.where(keep, scores, float("-inf"))
    if add is not None:
        scores = scores + add
    with np.errstate(invalid="ignore"):  # an all-masked row is NaN, as in PyTorch
        weights = softmax(scores, dim=-1)
    if dropout_p > 0.0 and training:
        weights = _dropout(weights, dropout_p, training=True, generator=generator)
    return ops.matmul(weights, value), weights


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0, is_causal: bool = False,
                                 scale=None, enable_gqa: bool = False, *, generator=None) -> Tensor:
    """``softmax(Q K^T * scale + mask) V`` (``torch.nn.functional.scaled_dot_product_attention``).

    Args:
        query: (..., L, E); key: (..., S, E); value: (..., S, Ev). Leading dimensions broadcast.
        attn_mask: boolean (True: may attend) or float (added to the scores), broadcastable to (..., L, S).
        dropout_p: dropout on the attention weights (applied whenever > 0, as in PyTorch: pass 0 in eval).
        is_causal: mask the keys after each query (the top-right triangle); ``attn_mask`` must be None.
        scale: the factor on the scores (default ``1 / sqrt(E)``).
        enable_gqa: grouped-query attention: ``key``/``value`` with fewer heads (dimension -3)
            than ``query`` are repeated to match.
        generator: the generator of the dropout mask.

    Returns:
        (..., L, Ev).

    Raises:
        ValueError: for mismatched embedding sizes, or ``is_causal`` with an ``attn_mask``.

    Examples:
        >>> import gradkit as gk
        >>> q, k, v = gk.randn(2, 4, 8), gk.randn(2, 6, 8), gk.randn(2, 6, 3)
        >>> gk.nn.functional.scaled_dot_product_attention(q, k, v).shape
        (2, 4, 3)
    """
    q, k, v = (x if isinstance(x, Tensor) else Tensor(x) for x in (query, key, value))
    where = "scaled_dot_product_attention"
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ValueError(f"{where}: query, key and value need at least 2 dimensions (..., L, E)")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"{where}: query and key must share the embedding size, got {q.shape[-1]} and {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"{where}: key and value must have the same length S, got {k.shape[-2]} and {v.shape[-2]}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{where}: pass either is_causal=True or an attn_mask, not both")
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        hq, hk = q.shape[-3], k.shape[-3]
        if hq % hk:
            raise ValueError(f"{where}: enable_gqa needs the query heads ({hq}) to be a multiple of the key heads ({hk})")
        k = _repeat_heads(k, hq // hk)
        v = _repeat_heads(v, hq // hk)
    s = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    scores = ops.matmul(q, ops.transpose(k, -2, -1)) * s
    keep, add = None, None
    if is_causal:
        keep = _causal(q.shape[-2], k.shape[-2], q)
    else:
        m, is_bool = _as_mask(attn_mask, where)
        keep, add = (m, None) if is_bool else (None, m)
    out, _ = _attend(scores, keep, add, float(dropout_p), True, v, generator)
    return out


def _repeat_heads(x: Tensor, n: int) -> Tensor:
    shape = x.shape
    y = ops.unsqueeze(x, -3)  # (..., H, 1, S, E) -> (..., H, n, S, E): each key head serves n query heads
    y = ops.broadcast_to(y, shape[:-2] + (n,) + shape[-2:])
    return ops.reshape(y, shape[:-3] + (shape[-3] * n,) + shape[-2:])


def _merge_masks(attn_mask, key_padding_mask, B, H, L, S, where):
    """MHA's two masks as (keep-bool-array or None, additive Tensor or None), shaped to (B, H, L, S)."""
    keep, add = None, None
    if attn_mask is not None:
        m, is_bool = _as_mask(attn_mask, where)
        shape = m.shape
        if len(shape) == 3:  # (B * H, L, S)
            m = m.reshape(B, H, L, S) if is_bool else ops.reshape(m, (B, H, L, S))
        elif len(shape) != 2:
            raise ValueError(f"{where}: attn_mask must be (L, S) or (batch * num_heads, L, S), got {tuple(shape)}")
        if is_bool:
            keep = ~m
        else:
            add = m
    if key_padding_mask is not None:
        m, is_bool = _as_mask(key_padding_mask, where)
        if tuple(m.shape) != (B, S):
            raise ValueError(f"{where}: key_padding_mask must be (batch, S) = {(B, S)}, got {tuple(m.shape)}")
        if is_bool:
            kp = ~m.reshape(B, 1, 1, S)
            keep = kp if keep is None else (keep & kp)
        else:
            kp = ops.reshape(m, (B, 1, 1, S))
            add = kp if add is None else add + kp
    return keep, add


def multi_head_attention_forward(query, key, value, num_heads: int, in_proj_weight=None, in_proj_bias=None,
                                 out_proj_weight=None, out_proj_bias=None, *, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, bias_k=None, bias_v=None, add_zero_attn: bool = False,
                                 dropout_p: float = 0.0, training: bool = True, key_padding_mask=None,
                                 need_weights: bool = True, attn_mask=None, average_attn_weights: bool = True,
                                 is_causal: bool = False, generator=None):
    """Multi-head attention on batch-first inputs (the computation of ``nn.MultiheadAttention``).

    Args:
        query: (B, L, E); key: (B, S, kdim); value: (B, S, vdim).
        num_heads: H; E must be divisible by it.
        in_proj_weight / in_proj_bias: the packed (3E, E) projection and its (3E,) bias, or
            ``q_proj_weight``/``k_proj_weight``/``v_proj_weight`` when key/value sizes differ.
        out_proj_weight / out_proj_bias: the output projection (E, E) and (E,).
        bias_k / bias_v: (1, 1, E) appended to the key/value sequences (``add_bias_kv``).
        add_zero_attn: append a zero key/value step.
        dropout_p, training: dropout on the attention weights when training.
        key_padding_mask: (B, S), True (or -inf) at keys to ignore.
        need_weights: also return the attention weights.
        attn_mask: (L, S) or (B * H, L, S); True (or -inf) where attention is not allowed.
        average_attn_weights: average the returned weights over the heads.
        is_causal: a causal mask (when ``attn_mask`` is None).

    Returns:
        ``(output (B, L, E), weights)``: weights (B, L, S) averaged, (B, H, L, S) per head, or None.
    """
    where = "MultiheadAttention"
    B, L, E = query.shape
    if E % num_heads:
        raise ValueError(f"{where}: embed_dim {E} is not divisible by num_heads {num_heads}")
    Dh = E // num_heads
    if in_proj_weight is not None:
        wq, wk, wv = (ops.getitem(in_proj_weight, slice(i * E, (i + 1) * E)) for i in range(3))
    else:
        wq, wk, wv = q_proj_weight, k_proj_weight, v_proj_weight
    bq = bk = bv = None
    if in_proj_bias is not None:
        bq, bk, bv = (ops.getitem(in_proj_bias, slice(i * E, (i + 1) * E)) for i in range(3))
    q, k, v = ops.linear(query, wq, bq), ops.linear(key, wk, bk), ops.linear(value, wv, bv)
    if bias_k is not None:
        k = ops.cat([k, ops.broadcast_to(ops.reshape(bias_k, (1, 1, E)), (B, 1, E))], dim=1)
        v = ops.cat([v, ops.broadcast_to(ops.reshape(bias_v, (1, 1, E)), (B, 1, E))], dim=1)
        attn_mask = _pad_mask(attn_mask, 1)
        key_padding_mask = _pad_mask(key_padding_mask, 1)
    if add_zero_attn:
        zeros = Tensor(get_array_module(k.array).zeros((B, 1, E), dtype=k.dtype))
        k, v = ops.cat([k, zeros], dim=1), ops.cat([v, zeros], dim=1)
        attn_mask = _pad_mask(attn_mask, 1)
        key_padding_mask = _pad_mask(key_padding_mask, 1)
    S = k.shape[1]

    def heads(t, n):
        return ops.permute(ops.reshape(t, (B, n, num_heads, Dh)), (0, 2, 1, 3))

    qh, kh, vh = heads(q, L) * (1.0 / math.sqrt(Dh)), heads(k, S), heads(v, S)
    scores = ops.matmul(qh, ops.transpose(kh, -2, -1))  # (B, H, L, S)
    if is_causal and attn_mask is None:
        attn_mask = ~_causal(L, S, q)
    keep, add = _merge_masks(attn_mask, key_padding_mask, B, num_heads, L, S, where)
    out, weights = _attend(scores, keep, add, float(dropout_p), training, vh, generator)
    out = ops.reshape(ops.permute(out, (0, 2, 1, 3)), (B, L, E))
    out = ops.linear(out, out_proj_weight, out_proj_bias)
    if not need_weights:
        return out, None
    return out, (ops.mean(weights, 1) if average_attn_weights else weights)


def _pad_mask(mask, n):
    """Append ``n`` key columns (allowed) to a mask, for the extra bias/zero steps."""
    if mask is None:
        return None
    if isinstance(mask, Tensor) and mask.dtype != np.bool_:
        xp = get_array_module(mask.array)
        pad = Tensor(xp.zeros(mask.shape[:-1] + (n,), dtype=mask.dtype))
        return ops.cat([mask, pad], dim=-1)
    arr = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    xp = get_array_module(arr)
    fill = False if arr.dtype == np.bool_ else 0.0
    return xp.concatenate([arr, xp.full(arr.shape[:-1] + (n,), fill, dtype=arr.dtype)], axis=-1)
