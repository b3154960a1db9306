"""Optimizers by name: the one table behind ``fit(optimizer="adam")``, ``gradkit train --optimizer``
and ``gradkit tune``'s ``optimizer`` hyperparameter.

Example:
    >>> import gradkit as gk
    >>> gk.optim.optimizer_class("AdamW") is gk.optim.AdamW
    True
"""

from __future__ import annotations

from .adadelta import Adadelta
from .adagrad import Adagrad
from .adahessian import AdaHessian
from .adam import Adam, AdamW, NAdam
from .adamax import Adamax, RAdam
from .lbfgs import LBFGS
from .momentum import Momentum
from .newton import Newton
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["OPTIMIZERS", "optimizer_class"]

#: Optimizer name -> class. Owned here so that the training loop, the command line and the tuner
#: accept exactly the same names (in this order in help texts); read it, do not extend it at run time.
OPTIMIZERS = {"adam": Adam, "adamw": AdamW, "sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad, "nadam": NAdam,
              "momentum": Momentum, "adahessian": AdaHessian, "lbfgs": LBFGS, "newton": Newton,
              "adadelta": Adadelta, "adamax": Adamax, "radam": RAdam, "rprop": Rprop}


def optimizer_class(name: str) -> type:
    """The optimizer class called ``name`` (any case) in :data:`OPTIMIZERS`.

    Args:
        name: an optimizer name such as ``'adam'``, ``'sgd'`` or ``'rmsprop'``.

    Returns:
        The class, e.g. :class:`~gradkit.optim.Adam`.

    Raises:
        ValueError: for an unknown name, listing the valid ones.
        TypeError: when ``name`` is not a string.
    """
    if not isinstance(name, str):
        raise TypeError(f"an optimizer name must be a string, got {type(name).__name__}")
    cls = OPTIMIZERS.get(name.lower())
    if cls is None:
        raise ValueError(f"unknown optimizer {name!r}; valid names: {', '.join(sorted(OPTIMIZERS))}")
    return cls
