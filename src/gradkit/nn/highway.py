"""Highway networks (Srivastava, Greff & Schmidhuber, 2015): ``Highway``.

Each highway layer mixes a nonlinear transform of its input with the input itself,
weighted per unit by a learned gate::

    H = activation(x W_H^T + b_H)        the transform (a Linear then the activation)
    T = sigmoid(x W_T^T + b_T)           the transform gate, in (0, 1)
    y = T * H + (1 - T) * x              the carry gate is C = 1 - T

The gate's bias starts negative (-2 here; the paper recommends -1 to -3), so at
initialisation ``T ~ sigmoid(-2) ~ 0.12`` and the layer mostly *carries* its input:
gradients flow through many layers as through a residual stack.

Examples:
    >>> import gradkit as gk
    >>> hw = gk.nn.Highway(8, num_layers=2, activation="relu")
    >>> hw(gk.zeros(4, 8)).shape
    (4, 8)
    >>> [k for k in hw.state_dict()][:4]
    ['layers.0.hidden.weight', 'layers.0.hidden.bias', 'layers.0.transform.weight', 'layers.0.transform.bias']
"""

from __future__ import annotations

from .. import ops
from ..ops._util import ensure_tensor
from . import activation as _act
from . import init
from .containers import ModuleDict, ModuleList
from .layers import Linear, _feature_error
from .module import Module

__all__ = ["Highway"]

#: The initial bias of every transform gate (Srivastava et al., 2015, suggest -1 to -3).
GATE_BIAS_INIT = -2.0

_ACTIVATIONS = {
    "relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "selu": "SELU", "elu": "ELU", "gelu": "GELU",
    "leaky_relu": "LeakyReLU", "softplus": "Softplus", "identity": "Identity", "linear": "Identity",
}


def _activation(name):
    if not isinstance(name, str) or name.lower() not in _ACTIVATIONS:
        raise ValueError(f"Highway: unknown activation {name!r}; expected one of {sorted(_ACTIVATIONS)}")
    cls_name = _ACTIVATIONS[name.lower()]
    if cls_name == "Identity":
        from .layers import Identity

        return Identity()
    return getattr(_act, cls_name)()


class Highway(Module):
    """A stack of highway layers (Srivastava et al., 2015, "Highway Networks").

    Per layer, with ``x`` the layer's input::

        H = activation(W_H x + b_H),   T = sigmoid(W_T x + b_T),   y = T * H + (1 - T) * x

    ``T`` is the *transform gate* and ``1 - T`` the *carry gate*. The weights are
    initialised as ``Linear``'s (PyTorch's default); every transform-gate bias ``b_T``
    starts at **-2** (the paper advises -1 to -3), so a fresh network mostly carries its
    input and trains at depth. The width never changes (``features`` in and out).

    Args:
        features: the size of the input's last dimension (and of the output's).
        num_layers: the number of highway layers (default 1).
        activation: H's nonlinearity by name: ``'relu'`` (default), ``'tanh'``,
            ``'sigmoid'``, ``'selu'``, ``'elu'``, ``'gelu'``, ``'leaky_relu'``,
            ``'softplus'`` or ``'identity'``.

    Shape:
        input ``(*, features)`` -> output ``(*, features)``.

    Attributes:
        layers: a ``ModuleList`` of ``ModuleDict``; layer ``i`` holds ``hidden`` (the Linear
            of H) and ``transform`` (the Linear of the gate T), so parameters are named
            ``layers.0.hidden.weight``, ``layers.0.transform.bias``, ...
        act: H's activation module (shared by the layers; it holds no parameters).

    Raises:
        ValueError: for a non-positive ``features``/``num_layers`` or an unknown activation;
            in forward, when the input's last dimension is not ``features``.

    Examples:
        >>> import gradkit as gk
        >>> hw = gk.nn.Highway(3)
        >>> hw.layers[0]["transform"].bias.tolist()
        [-2.0, -2.0, -2.0]
        >>> hw(gk.ones(2, 3)).shape
        (2, 3)
    """

    def __init__(self, features: int, num_layers: int = 1, activation: str = "relu"):
        super().__init__()
        if int(features) <= 0 or int(num_layers) <= 0:
            raise ValueError(f"Highway needs positive sizes, got features={features}, num_layers={num_layers}")
        _activation(activation)
        self.features = int(features)
        self.num_layers = int(num_layers)
        self.activation = activation
        self.act = _activation(activation)
        self.layers = ModuleList([
            ModuleDict({"hidden": Linear(self.features, self.features),
                        "transform": Linear(self.features, self.features)})
            for _ in range(self.num_layers)
        ])
        for layer in self.layers:
            init.constant_(layer["transform"].bias, GATE_BIAS_INIT)

    def reset_parameters(self) -> None:
        """Re-draw the Linear weights (PyTorch's default) and set every gate bias to -2."""
        for layer in self.layers:
            layer["hidden"].reset_parameters()
            layer["transform"].reset_parameters()
            init.constant_(layer["transform"].bias, GATE_BIAS_INIT)

    def forward(self, x):
        x = ensure_tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.features:
            raise _feature_error(f"Highway(features={self.features})", self.features, x.shape)
        for layer in self.layers:
            h = self.act(layer["hidden"](x))
            t = ops.sigmoid(layer["transform"](x))
            x = x + t * (h - x)  # = T * H + (1 - T) * x
        return x

    def extra_repr(self) -> str:
        return f"features={self.features}, num_layers={self.num_layers}, activation={self.activation!r}"
