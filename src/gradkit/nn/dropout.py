"""Dropout layers: ``Dropout``, ``AlphaDropout``, ``Dropout2d`` and ``DropConnect``.

All are active only in training mode (``module.train()``) and the identity (or the
plain wrapped layer) in evaluation mode. Masks come from gradkit's seeded generator.

Example:
    >>> import gradkit as gk
    >>> drop = gk.nn.Dropout(p=0.2)        # keep_prob = 0.8
    >>> y = drop(gk.ones(1000))
    >>> sorted(set(y.numpy().round(4).tolist()))
    [0.0, 1.25]
    >>> drop.eval()(gk.ones(3)).tolist()
    [1.0, 1.0, 1.0]
"""

from __future__ import annotations

from .functional.layers import _check_p, alpha_dropout, dropout, dropout2d
from .module import Module, functional_call

__all__ = ["Dropout", "AlphaDropout", "Dropout2d", "DropConnect"]


class Dropout(Module):
    """Inverted dropout (Srivastava et al., 2014): zero elements with probability ``p``.

    In training the survivors are scaled by ``1 / (1 - p)`` so the expected activation
    is unchanged; in evaluation it is the identity. In the course seeds' notation
    ``keep_prob = 1 - p`` (the probability of keeping a unit).

    Args:
        p: drop probability (default 0.5).

    Raises:
        ValueError: when ``p`` is not in [0, 1].
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        _check_p(p, "dropout")
        self.p = float(p)

    @property
    def keep_prob(self) -> float:
        """The probability of keeping a unit, ``1 - p``."""
        return 1.0 - self.p

    def forward(self, x):
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Dropout2d(Module):
    """Channel dropout: zero whole channels of an ``(N, C, H, W)`` input with probability ``p``.

    See :func:`gradkit.nn.functional.layers.dropout2d`.

    Args:
        p: drop probability (default 0.5).
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        _check_p(p, "dropout2d")
        self.p = float(p)

    def forward(self, x):
        return dropout2d(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class AlphaDropout(Module):
    """Dropout that keeps SELU activations at mean 0 / variance 1 (Klambauer et al., 2017).

    See :func:`gradkit.nn.functional.layers.alpha_dropout` for the formula.

    Args:
        p: drop probability (default 0.5).
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        _check_p(p, "alpha_dropout")
        self.p = float(p)

    def forward(self, x):
        return alpha_dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class DropConnect(Module):
    """DropConnect (Wan et al., 2013): drop *weights* of a wrapped layer, not units.

    In training each forward draws a fresh mask over the wrapped layer's ``weight``
    (drop probability ``p``, survivors scaled by ``1 / (1 - p)``) and calls the layer with
    the masked weight; in evaluation the layer runs with its full weight. The state_dict
    keys are the wrapped layer's under ``module.``.

    Args:
        module: a layer with a ``weight`` parameter (``Linear``, a convolution...).
        p: weight drop probability (default 0.5).

    Raises:
        TypeError: when ``module`` has no ``weight`` parameter.

    Example:
        >>> import gradkit as gk
        >>> layer = gk.nn.DropConnect(gk.nn.Linear(4, 3), p=0.5)
        >>> layer(gk.ones(2, 4)).shape
        (2, 3)
    """

    def __init__(self, module: Module, p: float = 0.5):
        super().__init__()
        _check_p(p, "DropConnect")
        if not isinstance(module, Module) or module._parameters.get("weight") is None:
            raise TypeError(f"DropConnect wraps a layer with a 'weight' parameter, got {type(module).__name__}")
        self.module = module
        self.p = float(p)

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return self.module(x)
        w = dropout(self.module.weight, self.p, True)
        return functional_call(self.module, {"weight": w}, (x,))

    def extra_repr(self) -> str:
        return f"p={self.p}"
