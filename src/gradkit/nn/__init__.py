"""``gk.nn``: modules, parameters, layers, initializers (and activations, losses, functional).

Example:
    >>> import gradkit as gk
    >>> net = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.Linear(8, 2))
    >>> net(gk.zeros(3, 4)).shape
    (3, 2)
"""

from __future__ import annotations

import importlib.util as _ilu

from . import init, utils  # noqa: F401
from .containers import ModuleDict, ModuleList, Sequential  # noqa: F401
from .dropout import AlphaDropout, DropConnect, Dropout, Dropout2d  # noqa: F401
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm  # noqa: F401
from .layers import RBF, Flatten, Identity, Linear, Residual, Unflatten  # noqa: F401
from .module import (  # noqa: F401
    MODULE_REGISTRY, Module, Parameter, functional_call, module_from_config, register_serializable,
)


def _optional(name):
    """Import a sibling module written by another part of the project, once it exists."""
    return _ilu.find_spec(f"{__name__}.{name}") is not None


for _mod in ("activation", "loss", "regularization"):
    if _optional(_mod):
        _m = __import__(f"{__name__}.{_mod}", fromlist=["*"])
        for _n in getattr(_m, "__all__", [n for n in dir(_m) if not n.startswith("_")]):
            globals()[_n] = getattr(_m, _n)
if _optional("functional"):
    from . import functional  # noqa: F401,E402
from .conv import Conv1d, Conv2d  # noqa: F401,E402
from .pooling import AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, GlobalAvgPool2d, MaxPool1d, MaxPool2d  # noqa: F401,E402
from .embedding import Embedding  # noqa: F401,E402
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase, pad_sequence  # noqa: F401,E402
from .multitask import MultiTaskLoss, MultiTaskModel, labelled_mask, nuclear_norm, soft_sharing_penalty  # noqa: F401,E402
