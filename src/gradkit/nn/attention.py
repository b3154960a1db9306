"""``nn.MultiheadAttention``: PyTorch's module, parameter layout and mask conventions.

Parameters, as in PyTorch (so ``state_dict`` files trade both ways): ``in_proj_weight`` (3E, E) and
``in_proj_bias`` (3E,) packing the query, key and value projections (or ``q_proj_weight``,
``k_proj_weight``, ``v_proj_weight`` when ``kdim``/``vdim`` differ from E), ``out_proj.weight``
(E, E) and ``out_proj.bias``, and ``bias_k``/``bias_v`` (1, 1, E) with ``add_bias_kv``. Initial
values as PyTorch's: Xavier-uniform projections, zero biases, ``out_proj`` a Linear's default weights.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ..backend import get_default_dtype
from ..tensor import Tensor
from . import init
from .functional.attention import multi_head_attention_forward
from .layers import Linear
from .module import Module, Parameter

__all__ = ["MultiheadAttention"]


class MultiheadAttention(Module):
    """Multi-head attention (``torch.nn.MultiheadAttention``, Vaswani et al., 2017).

    Args:
        embed_dim: E, the model size; num_heads: H (E must be divisible by H).
        dropout: dropout on the attention weights while training.
        bias: biases on the input and output projections.
        add_bias_kv: learn a bias step appended to the keys and values.
        add_zero_attn: append a zero step to the keys and values.
        kdim, vdim: the key and value feature sizes (default E).
        batch_first: inputs (batch, seq, feature) instead of (seq, batch, feature).
        dtype: parameter dtype.

    Examples:
        >>> import gradkit as gk
        >>> mha = gk.nn.MultiheadAttention(16, 4, batch_first=True)
        >>> x = gk.randn(2, 5, 16)
        >>> out, w = mha(x, x, x)
        >>> out.shape, w.shape
        ((2, 5, 16), (2, 5, 5))
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be positive, got {embed_dim}, {num_heads}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim {embed_dim} must be divisible by num_heads {num_heads}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1), got {dropout}")
        E = int(embed_dim)
        self.embed_dim, self.num_heads, self.dropout = E, int(num_heads), float(dropout)
        self.head_dim = E // self.num_heads
        self.kdim = int(kdim) if kdim is not None else E
        self.vdim = int(vdim) if vdim is not None else E
        self._qkv_same_embed_dim = self.kdim == E and self.vdim == E
        self.batch_first = bool(batch_first)
        self.add_zero_attn = bool(add_zero_attn)
        dt = np.dtype(dtype) if dtype is not None else get_default_dtype()
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * E, E), dtype=dt))
            for n in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(n, None)
        else:
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight = Parameter(np.empty((E, E), dtype=dt))
            self.k_proj_weight = Parameter(np.empty((E, self.kdim), dtype=dt))
            self.v_proj_weight = Parameter(np.empty((E, self.vdim), dtype=dt))
        if bias:
            self.in_proj_bias = Parameter(np.empty(3 * E, dtype=dt))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(E, E, bias=bias, dtype=dt)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, E), dtype=dt))
            self.bias_v = Parameter(np.empty((1, 1, E), dtype=dt))
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self._reset_parameters()
        if device is not None:
            self.to(device)

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _check(self, query, key, value):
        q, k, v = (x if isinstance(x, Tensor) else Tensor(x) for x in (query, key, value))
        if q.ndim not in (2, 3) or k.ndim != q.ndim or v.ndim != q.ndim:
            raise ValueError(f"MultiheadAttention: query, key and value must all be 3-d (batched) or 2-d "
                             f"(unbatched), got shapes {q.shape}, {k.shape}, {v.shape}")
        for name, t, size in (("query", q, self.embed_dim), ("key", k, self.kdim), ("value", v, self.vdim)):
            if t.shape[-1] != size:
                raise ValueError(f"MultiheadAttention(embed_dim={self.embed_dim}): {name} must have {size} "
                                 f"features, got shape {t.shape}")
        return q, k, v

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True, attn_mask=None,
                average_attn_weights: bool = True, is_causal: bool = False):
        """Attend from ``query`` to ``key``/``value``.

        Args:
            query: (L, N, E), or (N, L, E) with ``batch_first``, or (L, E) unbatched.
            key, value: (S, N, kdim/vdim) likewise.
            key_padding_mask: (N, S); True (or -inf) at keys to ignore.
            need_weights: also return the attention weights.
            attn_mask: (L, S) or (N * num_heads, L, S); True (or -inf) where attention is not allowed.
            average_attn_weights: average the weights over the heads.
            is_causal: a causal mask when ``attn_mask`` is None.

        Returns:
            ``(attn_output, attn_weights)``: the output in the query's layout and the weights
            (N, L, S) averaged or (N, H, L, S) per head, or None without ``need_weights``.
        """
        q, k, v = self._check(query, key, value)
        unbatched = q.ndim == 2
        if unbatched:
            q, k, v = (ops.unsqueeze(t, 0) for t in (q, k, v))
            if key_padding_mask is not None:
                key_padding_mask = ops.unsqueeze(key_padding_mask if isinstance(key_padding_mask, Tensor)
                                                 else Tensor(key_padding_mask), 0)
        elif not self.batch_first:
            q, k, v = (ops.transpose(t, 0, 1) for t in (q, k, v))
        out, weights = multi_head_attention_forward(
            q, k, v, self.num_heads, self.in_proj_weight, self.in_proj_bias, self.out_proj.weight, self.out_proj.bias,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            bias_k=self.bias_k, bias_v=self.bias_v, add_zero_attn=self.add_zero_attn, dropout_p=self.dropout,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, average_attn_weights=average_attn_weights, is_causal=is_causal)
        if unbatched:
            out = ops.squeeze(out, 0)
            weights = ops.squeeze(weights, 0) if weights is not None else None
        elif not self.batch_first:
            out = ops.transpose(out, 0, 1)
        return out, weights

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, batch_first={self.batch_first}"
