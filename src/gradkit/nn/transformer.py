"""The Transformer (Vaswani et al., 2017) as PyTorch writes it: encoder and decoder layers, their
stacks, and ``nn.Transformer``.

Submodule and parameter names are PyTorch's (``self_attn``, ``multihead_attn``, ``linear1``,
``linear2``, ``norm1``..``norm3``, ``layers.0...``), so ``state_dict`` files trade both ways, and the
computation is PyTorch's, post-norm by default (``x = norm(x + sublayer(x))``) or pre-norm with
``norm_first=True`` (``x = x + sublayer(norm(x))``).
"""

from __future__ import annotations

import copy

import numpy as np

from ..backend import get_default_dtype
from ..tensor import Tensor
from . import init
from .attention import MultiheadAttention
from .containers import ModuleList
from .dropout import Dropout
from .functional.activation import gelu, relu
from .layers import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = ["TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer", "TransformerDecoder",
           "Transformer"]

_ACTIVATIONS = {"relu": relu, "gelu": gelu}


def _activation(activation, where):
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"{where}: activation must be 'relu', 'gelu' or a callable, got {activation!r}")
        return _ACTIVATIONS[activation]
    if not callable(activation):
        raise TypeError(f"{where}: activation must be 'relu', 'gelu' or a callable, got {type(activation).__name__}")
    return activation


def _check_sizes(d_model, nhead, dim_feedforward, dropout, where):
    if d_model <= 0 or nhead <= 0 or dim_feedforward <= 0:
        raise ValueError(f"{where}: d_model, nhead and dim_feedforward must be positive")
    if d_model % nhead:
        raise ValueError(f"{where}: d_model {d_model} must be divisible by nhead {nhead}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"{where}: dropout must be in [0, 1), got {dropout}")


class _TransformerLayer(Module):
    """The parts an encoder and a decoder layer share, under PyTorch's names: ``self_attn`` (and
    ``multihead_attn`` over the memory), the feed-forward ``linear1``/``dropout``/``linear2``, one
    ``normK``/``dropoutK`` per sublayer."""

    def _build(self, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first,
               bias, dtype, cross_attention):
        name = type(self).__name__
        _check_sizes(d_model, nhead, dim_feedforward, dropout, name)

        def attention():
            return MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, dtype=dtype)

        self.self_attn = attention()
        if cross_attention:
            self.multihead_attn = attention()
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = bool(norm_first)
        for k in range(1, 4 if cross_attention else 3):
            setattr(self, f"norm{k}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
            setattr(self, f"dropout{k}", Dropout(dropout))
        self.activation = _activation(activation, name)
        self.batch_first = bool(batch_first)

    def _sa(self, x, mask, padding, is_causal):
        """The self-attention sublayer (before its residual)."""
        y = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=padding, need_weights=False,
                           is_causal=is_causal and mask is None)[0]
        return self.dropout1(y)

    def _ff(self, x):
        """The feed-forward sublayer (before its residual); its dropout is the layer's last one."""
        last = self.dropout3 if "dropout3" in self._modules else self.dropout2
        return last(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention and a feed-forward block, each with a residual and layer norm
    (``torch.nn.TransformerEncoderLayer``).

    Args:
        d_model: the model size; nhead: attention heads.
        dim_feedforward: the hidden size of the feed-forward block.
        dropout: dropout after attention, inside and after the feed-forward block.
        activation: ``'relu'``, ``'gelu'`` or a callable.
        layer_norm_eps: LayerNorm's epsilon.
        batch_first: (batch, seq, feature) inputs instead of (seq, batch, feature).
        norm_first: pre-norm instead of post-norm.
        bias: biases in the linear layers and layer norms.

    Examples:
        >>> import gradkit as gk
        >>> layer = gk.nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True)
        >>> layer(gk.randn(2, 7, 16)).shape
        (2, 7, 16)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation="relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self._build(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first,
                    bias, dtype, cross_attention=False)
        if device is not None:
            self.to(device)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        """Args: src (S, N, E) or (N, S, E) with ``batch_first``; src_mask (S, S) or (N*nhead, S, S),
        True (or -inf) where attention is not allowed; src_key_padding_mask (N, S), True at padding.
        ``is_causal`` masks the future when ``src_mask`` is None."""
        x = src if isinstance(src, Tensor) else Tensor(src)
        if self.norm_first:
            x = x + self._sa(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff(self.norm2(x))
        x = self.norm1(x + self._sa(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff(x))


class TransformerDecoderLayer(_TransformerLayer):
    """Masked self-attention, attention over the encoder's output (``memory``) and a feed-forward
    block, each with a residual and layer norm (``torch.nn.TransformerDecoderLayer``).

    Args: as :class:`TransformerEncoderLayer`.

    Examples:
        >>> import gradkit as gk
        >>> layer = gk.nn.TransformerDecoderLayer(16, 4, dim_feedforward=32, batch_first=True)
        >>> layer(gk.randn(2, 5, 16), gk.randn(2, 7, 16)).shape
        (2, 5, 16)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation="relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self._build(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first,
                    bias, dtype, cross_attention=True)
        if device is not None:
            self.to(device)

    def _mha(self, x, mem, mask, padding, is_causal):
        y = self.multihead_attn(x, mem, mem, attn_mask=mask, key_padding_mask=padding, need_weights=False,
                                is_causal=is_causal and mask is None)[0]
        return self.dropout2(y)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool = False, memory_is_causal: bool = False):
        """Args: tgt (T, N, E) and memory (S, N, E) ((N, T, E), (N, S, E) with ``batch_first``); the
        masks as in :class:`MultiheadAttention` (True where attention is not allowed)."""
        x = tgt if isinstance(tgt, Tensor) else Tensor(tgt)
        if self.norm_first:
            x = x + self._sa(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            return x + self._ff(self.norm3(x))
        x = self.norm1(x + self._sa(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(x + self._mha(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
        return self.norm3(x + self._ff(x))


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer``, then an optional ``norm`` (``torch.nn.TransformerEncoder``).

    Examples:
        >>> import gradkit as gk
        >>> enc = gk.nn.TransformerEncoder(gk.nn.TransformerEncoderLayer(8, 2, 16), num_layers=2)
        >>> enc(gk.randn(5, 3, 8)).shape
        (5, 3, 8)
    """

    def __init__(self, encoder_layer, num_layers: int, norm=None, enable_nested_tensor: bool = True,
                 mask_check: bool = True):
        super().__init__()
        if not isinstance(encoder_layer, Module) or num_layers < 1:
            raise ValueError("TransformerEncoder: needs an encoder layer (a Module) and num_layers >= 1")
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(int(num_layers))])
        self.num_layers = int(num_layers)
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        return self.norm(x) if self.norm is not None else x


class TransformerDecoder(Module):
    """``num_layers`` copies of ``decoder_layer``, then an optional ``norm`` (``torch.nn.TransformerDecoder``).

    Examples:
        >>> import gradkit as gk
        >>> dec = gk.nn.TransformerDecoder(gk.nn.TransformerDecoderLayer(8, 2, 16), num_layers=2)
        >>> dec(gk.randn(4, 3, 8), gk.randn(6, 3, 8)).shape
        (4, 3, 8)
    """

    def __init__(self, decoder_layer, num_layers: int, norm=None):
        super().__init__()
        if not isinstance(decoder_layer, Module) or num_layers < 1:
            raise ValueError("TransformerDecoder: needs a decoder layer (a Module) and num_layers >= 1")
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(int(num_layers))])
        self.num_layers = int(num_layers)
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal: bool = False):
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask, tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=bool(tgt_is_causal),
                      memory_is_causal=memory_is_causal)
        return self.norm(x) if self.norm is not None else x


class Transformer(Module):
    """An encoder-decoder Transformer (``torch.nn.Transformer``): all weights with more than one
    dimension start Xavier-uniform, as in PyTorch.

    Examples:
        >>> import gradkit as gk
        >>> net = gk.nn.Transformer(d_model=16, nhead=4, num_encoder_layers=1, num_decoder_layers=1,
        ...                         dim_feedforward=32, batch_first=True)
        >>> src, tgt = gk.randn(2, 7, 16), gk.randn(2, 5, 16)
        >>> mask = gk.nn.Transformer.generate_square_subsequent_mask(5)
        >>> net(src, tgt, tgt_mask=mask).shape
        (2, 5, 16)
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6, num_decoder_layers: int = 6,
                 dim_feedforward: int = 2048, dropout: float = 0.1, activation="relu", custom_encoder=None,
                 custom_decoder=None, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None):
        super().__init__()
        kw = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                  layer_norm_eps=layer_norm_eps, batch_first=batch_first, norm_first=norm_first, bias=bias, dtype=dtype)
        self.encoder = custom_encoder if custom_encoder is not None else TransformerEncoder(
            TransformerEncoderLayer(d_model, nhead, **kw), num_encoder_layers,
            LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self.decoder = custom_decoder if custom_decoder is not None else TransformerDecoder(
            TransformerDecoderLayer(d_model, nhead, **kw), num_decoder_layers,
            LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self.d_model, self.nhead, self.batch_first = int(d_model), int(nhead), bool(batch_first)
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)
        if device is not None:
            self.to(device)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal: bool = False):
        b = 0 if self.batch_first else 1
        if src.shape[b] != tgt.shape[b] and src.ndim == 3:
            raise ValueError(f"Transformer: src and tgt must have the same batch size, got shapes {src.shape} and {tgt.shape}")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(f"Transformer(d_model={self.d_model}): src and tgt must have {self.d_model} features, "
                             f"got shapes {src.shape} and {tgt.shape}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """A float (sz, sz) mask: 0 on and below the diagonal, -inf above (each step sees only the past)."""
        dt = np.dtype(dtype) if dtype is not None else get_default_dtype()
        m = np.triu(np.full((sz, sz), -np.inf, dtype=dt), k=1)
        t = Tensor(m)
        return t if device is None else t.to(device)

