"""Stateless neural-network functions, as ``torch.nn.functional``.

A package of modules, one per family; this hub lists every public name statically, so
``gk.nn.functional.X`` is the one place users look:

* :mod:`.activation`: ``relu``, ``gelu``, ``softmax``, ``log_softmax``, ...;
* :mod:`.loss`: ``mse_loss``, ``binary_cross_entropy``, ``hinge_loss``, ...;
* :mod:`.multiclass`: ``cross_entropy``, ``nll_loss``, ``multi_margin_loss``;
* :mod:`.layers`: ``dropout`` and its kin, ``batch_norm``, ``layer_norm``, ``rbf`` (and SELU's constants);
* :mod:`.distance`: ``normalize``, ``cosine_similarity``, ``pairwise_distance``, ``one_hot``,
  ``linear``, ``bilinear``, ``pad``; :mod:`.sparse`: ``embedding``;
* :mod:`.conv`: convolutions and pooling; :mod:`.rnn`: recurrent cells and sequences.

Example:
    >>> import gradkit as gk
    >>> import gradkit.nn.functional as F
    >>> logits = gk.tensor([[2.0, 0.0, -1.0]])
    >>> round(F.softmax(logits, dim=1).sum().item(), 6)
    1.0
    >>> round(F.cross_entropy(logits, gk.tensor([0])).item(), 4)
    0.1698
"""

from __future__ import annotations

from .activation import (
    elu, gelu, leaky_relu, log_softmax, prelu, relu, selu, sigmoid, sign, softmax, softplus, step, tanh,
    threshold,
)
from .activation_ext import (
    celu, glu, hardshrink, hardsigmoid, hardswish, hardtanh, logsigmoid, mish, relu6, rrelu, silu, softmin,
    softshrink, softsign, tanhshrink,
)
from .layers import SELU_ALPHA, SELU_SCALE  # SELU's constants, public here too
from .loss import (
    binary_cross_entropy, binary_cross_entropy_with_logits, hinge_embedding_loss, hinge_loss, huber_loss, l1_loss,
    mse_loss, perceptron_loss, rmse_loss,
)
from .multiclass import cross_entropy, multi_margin_loss, nll_loss
from .loss_ext import (
    cosine_embedding_loss, gaussian_nll_loss, kl_div, margin_ranking_loss, multilabel_soft_margin_loss,
    poisson_nll_loss, smooth_l1_loss, soft_margin_loss, triplet_margin_loss, triplet_margin_with_distance_loss,
)
from .ctc import ctc_loss

__all__ = [
    # activations
    "threshold", "step", "sign", "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "selu",
    "softplus", "gelu", "softmax", "log_softmax", "silu", "mish", "hardtanh", "relu6", "hardswish",
    "hardsigmoid", "softsign", "logsigmoid", "celu", "softmin", "tanhshrink", "softshrink", "hardshrink", "glu",
    "rrelu",
    # losses
    "mse_loss", "l1_loss", "rmse_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "hinge_loss", "perceptron_loss",
    "hinge_embedding_loss", "multi_margin_loss", "kl_div", "poisson_nll_loss", "gaussian_nll_loss", "smooth_l1_loss",
    "soft_margin_loss", "multilabel_soft_margin_loss", "cosine_embedding_loss", "margin_ranking_loss",
    "triplet_margin_loss", "triplet_margin_with_distance_loss", "ctc_loss",
]


# ===================================================================== the other functional families
# Layers written elsewhere in gk.nn keep their stateless forms in sibling modules;
# ``gk.nn.functional`` is the one place users look, so their public names are re-exported here.
from .layers import alpha_dropout, batch_norm, dropout, dropout2d, layer_norm, rbf  # noqa: E402
from .conv import conv1d, conv2d, conv_output_size  # noqa: E402
from .pool import (  # noqa: E402
    adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d, global_avg_pool2d, max_pool1d, max_pool2d,
)
from .attention import multi_head_attention_forward, scaled_dot_product_attention  # noqa: E402
from .conv_more import (  # noqa: E402
    adaptive_max_pool1d, adaptive_max_pool2d, avg_pool3d, conv3d, conv_transpose1d, conv_transpose2d, max_pool3d,
    max_unpool2d,
)
from .resample import fold, interpolate, pixel_shuffle, pixel_unshuffle, unfold, upsample  # noqa: E402
from .distance import (  # noqa: E402
    bilinear, cosine_similarity, linear, normalize, one_hot, pad, pairwise_distance,
)
from .sparse import embedding  # noqa: E402
from .norm import group_norm, instance_norm, local_response_norm  # noqa: E402
from .rnn import (  # noqa: E402
    GATES, RecurrentSequence, gru_cell, lengths_to_mask, lstm_cell, release_workspace, rnn_relu_cell,
    rnn_sequence, rnn_tanh_cell,
)

__all__ += [
    "rbf", "dropout", "alpha_dropout", "dropout2d", "batch_norm", "layer_norm",
    "conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "global_avg_pool2d", "conv_output_size", "conv_transpose1d", "conv_transpose2d",
    "conv3d", "max_pool3d", "avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d", "max_unpool2d",
    "interpolate", "upsample", "pixel_shuffle", "pixel_unshuffle", "unfold", "fold",
    "normalize", "cosine_similarity", "pairwise_distance", "one_hot", "linear", "bilinear", "pad",
    "embedding", "group_norm", "instance_norm", "local_response_norm",
    "GATES", "RecurrentSequence", "gru_cell", "lengths_to_mask", "lstm_cell", "release_workspace",
    "rnn_relu_cell", "rnn_sequence", "rnn_tanh_cell", "scaled_dot_product_attention", "multi_head_attention_forward",
]
