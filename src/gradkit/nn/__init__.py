"""``gk.nn``: modules, parameters, layers, initializers (and activations, losses, functional).

Example:
    >>> import gradkit as gk
    >>> net = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.Linear(8, 2))
    >>> net(gk.zeros(3, 4)).shape
    (3, 2)
"""

from __future__ import annotations

from . import init, utils  # noqa: F401
from .containers import ModuleDict, ModuleList, Sequential  # noqa: F401
from .dropout import AlphaDropout, DropConnect, Dropout, Dropout2d  # noqa: F401
from .normalization import (  # noqa: F401
    BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm1d, InstanceNorm2d, LayerNorm, LocalResponseNorm,
)
from .layers import RBF, Flatten, Identity, Linear, Residual, Unflatten  # noqa: F401
from .highway import Highway  # noqa: F401
from .module import (  # noqa: F401
    MODULE_REGISTRY, Module, Parameter, functional_call, module_from_config, register_serializable,
)
from .activation import *  # noqa: F401,F403
from .activation_ext import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .loss_ext import *  # noqa: F401,F403
from .regularization import *  # noqa: F401,F403
from . import functional  # noqa: F401
from .conv import Conv1d, Conv2d  # noqa: F401
from .pooling import AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, GlobalAvgPool2d, MaxPool1d, MaxPool2d  # noqa: F401
from .embedding import Embedding  # noqa: F401
from .attention import MultiheadAttention  # noqa: F401
from .transformer import (  # noqa: F401
    Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer,
)
from .upsampling import (  # noqa: F401
    Fold, PixelShuffle, PixelUnshuffle, Unfold, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d,
)
from .conv_more import (  # noqa: F401
    AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool3d, Conv3d, ConvTranspose1d, ConvTranspose2d, MaxPool3d, MaxUnpool2d,
)
from .distance import Bilinear, CosineSimilarity, PairwiseDistance  # noqa: F401
from .padding import *  # noqa: F401,F403
from .lazy import (  # noqa: F401
    LazyBatchNorm1d, LazyBatchNorm2d, LazyConv1d, LazyConv2d, LazyLinear, UninitializedBuffer, UninitializedParameter,
)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase, pad_sequence  # noqa: F401
from .multitask import MultiTaskLoss, MultiTaskModel, labelled_mask, nuclear_norm, soft_sharing_penalty  # noqa: F401
