"""Dropout layers: ``Dropout``, ``AlphaDropout``, ``Dropout2d`` and ``DropConnect``.

All are active only in training mode (``module.train()``) and the identity (or the
plain wrapped layer) in evaluation mode. Masks come from gradkit's seeded generator.

Examples:
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
    """Dropout (Srivastava et al., 2014): zero elements with probability ``p``.

    Give the drop probability ``p`` (PyTorch's name) *or* the keep probability
    ``keep_prob = 1 - p`` (the course's name), not both; with neither, ``p = 0.5``.

    * ``inverted=True`` (default, PyTorch's form): in training the survivors are scaled
      by ``1 / keep_prob`` so the expected activation is unchanged; evaluation is the
      identity.
    * ``inverted=False`` (the classic form): in training ``y = mask * x`` with no
      scaling; in evaluation ``y = keep_prob * x`` (the weights are in effect scaled by
      the keep probability at test time, as in the paper).

    In both forms the evaluation output equals the expectation of the training output
    (``keep_prob * x`` classic, ``x`` inverted); the inverted form makes evaluation free.

    Args:
        p: drop probability, in [0, 1] (default 0.5 when ``keep_prob`` is not given).
        keep_prob: keep probability, in [0, 1]; an alternative to ``p`` (keyword only).
        inverted: scale in training (True, default) or at test time (False) (keyword only).

    Raises:
        ValueError: when both ``p`` and ``keep_prob`` are given, or the one given is not
            in [0, 1].

    Examples:
        >>> import gradkit as gk
        >>> drop = gk.nn.Dropout(keep_prob=0.8, inverted=False)
        >>> sorted(set(drop(gk.ones(1000)).tolist()))
        [0.0, 1.0]
        >>> [round(v, 6) for v in drop.eval()(gk.ones(2)).tolist()]
        [0.8, 0.8]
    """

    def __init__(self, p: float | None = None, *, keep_prob: float | None = None, inverted: bool = True):
        super().__init__()
        if p is not None and keep_prob is not None:
            raise ValueError(
                f"Dropout takes p (drop probability) or keep_prob (= 1 - p), not both; got p={p}, keep_prob={keep_prob}"
            )
        if keep_prob is not None:
            if isinstance(keep_prob, bool) or not 0.0 <= keep_prob <= 1.0:
                raise ValueError(f"Dropout keep_prob has to be between 0 and 1, but got {keep_prob}")
            self._keep_prob = float(keep_prob)
            self.p = 1.0 - self._keep_prob
        else:
            p = 0.5 if p is None else p
            if isinstance(p, bool):
                raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
            _check_p(p, "dropout")
            self._keep_prob = None
            self.p = float(p)
        self.inverted = bool(inverted)

    @property
    def keep_prob(self) -> float:
        """The probability of keeping a unit, ``1 - p`` (exactly the value given, if given)."""
        return self._keep_prob if self._keep_prob is not None else 1.0 - self.p

    def forward(self, x):
        if not self.training and not self.inverted and self.p != 0.0:
            return x * self.keep_prob  # the exact keep_prob given, not 1 - (1 - keep_prob)
        return dropout(x, self.p, self.training, inverted=self.inverted)

    def get_config(self) -> dict:
        """``{"p": p}`` or ``{"keep_prob": keep_prob}`` (whichever was given), plus ``inverted`` when False."""
        config = {"p": self.p} if self._keep_prob is None else {"keep_prob": self._keep_prob}
        if not self.inverted:
            config["inverted"] = False
        return config

    def extra_repr(self) -> str:
        s = f"p={self.p}" if self._keep_prob is None else f"keep_prob={self._keep_prob}"
        return s if self.inverted else s + ", inverted=False"


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

    Examples:
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
