"""Optimizers, learning-rate schedules, gradient clipping and ``minimize()`` (``torch.optim`` semantics).

Example:
    >>> import gradkit as gk
    >>> w = gk.tensor(0.0, requires_grad=True)
    >>> opt = gk.optim.Adam([w], lr=0.1)
    >>> cost = gk.optim.minimize(lambda: w ** 2 - 10 * w + 25, [w], opt, steps=1000)
    >>> round(w.item(), 3)
    5.0
"""

from . import lr_scheduler  # noqa: F401
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adahessian import AdaHessian
from .adam import Adam, AdamW, NAdam
from .adamax import Adamax, RAdam
from .clip import clip_grad_norm_, clip_grad_value_
from .ewa import ExponentialMovingAverage, ExponentiallyWeightedAverage, ewa
from .lbfgs import LBFGS
from .minimize import minimize
from .momentum import Momentum
from .newton import Newton
from .optimizer import FlatOptimizer, Optimizer, get_num_threads, set_num_threads
from .prox import prox_l1_
from .registry import OPTIMIZERS, optimizer_class
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = [
    "Optimizer", "FlatOptimizer", "SGD", "Momentum", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "AdaHessian", "Newton", "LBFGS",
    "lr_scheduler", "clip_grad_norm_", "clip_grad_value_", "minimize", "ExponentiallyWeightedAverage",
    "ExponentialMovingAverage", "ewa", "set_num_threads", "get_num_threads", "OPTIMIZERS", "optimizer_class",
]
__all__ += ["prox_l1_", "Adadelta", "Adamax", "RAdam", "Rprop"]
