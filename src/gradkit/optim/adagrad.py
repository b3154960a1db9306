"""Adagrad (``torch.optim.Adagrad``)."""

from __future__ import annotations

from ..backend import get_array_module
from ._torch_options import check_torch_only_options
from .optimizer import FlatOptimizer, _check_nonneg


class Adagrad(FlatOptimizer):
    r"""Adagrad: per-coordinate steps scaled by the root of the summed squared gradients
    (Duchi, Hazan & Singer, 2011, "Adaptive Subgradient Methods for Online Learning and
    Stochastic Optimization").

    Per step t, with gradient g (plus ``weight_decay * p``)::

        clr = lr / (1 + (t - 1) * lr_decay)
        s <- s + g^2                      (s starts at initial_accumulator_value)
        p <- p - clr * g / (sqrt(s) + eps)

    Args:
        params: tensors or parameter groups.
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay per step.
        weight_decay: L2 penalty added to the gradient.
        initial_accumulator_value: starting value of the squared-gradient sum.
        eps: term added to the denominator (default 1e-10).
        maximize: ascend instead of descend.

    Raises:
        ValueError: for a negative ``lr``/``lr_decay``/``weight_decay``/``initial_accumulator_value``/``eps``.

    Example:
        >>> import gradkit as gk
        >>> w = gk.tensor([2.0], requires_grad=True)
        >>> opt = gk.optim.Adagrad([w], lr=0.5)
        >>> (w * w).sum().backward(); opt.step()   # first step: lr * g / |g| = lr * sign(g)
        >>> round(w.item(), 4)
        1.5
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_torch_only_options("Adagrad", foreach=foreach, fused=fused, differentiable=differentiable)
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        _check_nonneg("lr_decay", group["lr_decay"])
        _check_nonneg("weight_decay", group["weight_decay"])
        _check_nonneg("initial_accumulator_value", group["initial_accumulator_value"])
        _check_nonneg("epsilon (eps)", group["eps"])

    def _array_state(self, group):
        return {"sum": float(group["initial_accumulator_value"])}

    def _scalar_state(self, group):
        return {"step": 0.0}

    def _update(self, group, p, g, bufs, scalars, tmp, fresh):
        xp = get_array_module(p)
        t = tmp[0]
        step = scalars["step"] + 1.0
        self._prep_grad(xp, group, p, g, t)
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        s = bufs["sum"]
        xp.multiply(g, g, out=t)
        s += t
        xp.sqrt(s, out=t)
        t += group["eps"]
        xp.divide(g, t, out=t)
        t *= -clr
        p += t
        return {"step": step}
