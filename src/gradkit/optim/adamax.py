"""Adamax and RAdam (``torch.optim.Adamax`` / ``torch.optim.RAdam`` formulas and defaults)."""

from __future__ import annotations

import math

from ..backend import get_array_module
from ._torch_options import check_torch_only_options
from .adam import _check_adam_options, _update_moments
from .optimizer import FlatOptimizer


class Adamax(FlatOptimizer):
    r"""Adamax: Adam with the infinity norm in place of the root-mean-square (Kingma & Ba, 2015,
    "Adam: A Method for Stochastic Optimization", section 7.1).

    Per step t, with gradient g (plus ``weight_decay * p``)::

        m <- beta1 m + (1 - beta1) g
        u <- max(beta2 u, |g| + eps)                        (exp_inf)
        p <- p - lr / (1 - beta1^t) * m / u

    Args:
        params: tensors or parameter groups.
        lr: learning rate (default 2e-3).
        betas: (beta1, beta2), each in [0, 1).
        eps: term added to ``|g|`` (default 1e-8).
        weight_decay: L2 penalty added to the gradient.
        foreach, capturable, differentiable: PyTorch's implementation switches (accepted).
        maximize: ascend instead of descend.

    Raises:
        ValueError: for a negative ``lr``/``eps``/``weight_decay`` or betas outside [0, 1).

    Example:
        >>> import gradkit as gk
        >>> w = gk.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = gk.optim.Adamax([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.9, -1.9]
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_torch_only_options("Adamax", foreach=foreach, capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        _check_adam_options(group)

    def _array_state(self, group):
        return {"exp_avg": 0.0, "exp_inf": 0.0}

    def _scalar_state(self, group):
        return {"step": 0.0}

    def _update(self, group, p, g, bufs, scalars, tmp, fresh):
        xp = get_array_module(p)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        t = tmp[0]
        step = scalars["step"] + 1.0
        self._prep_grad(xp, group, p, g, t)
        m, u = bufs["exp_avg"], bufs["exp_inf"]
        xp.subtract(g, m, out=t)    # m lerps towards g (PyTorch's lerp_)
        t *= 1 - beta1
        m += t
        u *= beta2
        xp.abs(g, out=t)
        t += eps
        xp.maximum(u, t, out=u)
        xp.divide(m, u, out=t)
        t *= -(lr / (1 - beta1**step))
        p += t
        return {"step": step}


class RAdam(FlatOptimizer):
    r"""Rectified Adam (Liu et al., 2020, "On the Variance of the Adaptive Learning Rate and
    Beyond"): plain momentum SGD while the variance estimate is unreliable, then Adam scaled
    by a rectification factor.

    Per step t, with gradient g (plus ``weight_decay * p``, or decoupled as AdamW)::

        m <- beta1 m + (1 - beta1) g,   v <- beta2 v + (1 - beta2) g^2
        rho_inf = 2 / (1 - beta2) - 1,   rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        rho_t > 5:  r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                    p <- p - lr m / (1 - beta1^t) * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r
        otherwise:  p <- p - lr m / (1 - beta1^t)

    Args:
        params: tensors or parameter groups.
        lr: learning rate (default 1e-3).
        betas: (beta1, beta2), each in [0, 1).
        eps: term added to the denominator (default 1e-8).
        weight_decay: weight decay coefficient.
        decoupled_weight_decay: shrink the parameter as AdamW does instead of L2.
        foreach, capturable, differentiable: PyTorch's implementation switches (accepted).
        maximize: ascend instead of descend.

    Raises:
        ValueError: for a negative ``lr``/``eps``/``weight_decay`` or betas outside [0, 1).

    Example:
        >>> import gradkit as gk
        >>> w = gk.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = gk.optim.RAdam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()   # rho_1 < 5: a plain momentum step of lr * g
        >>> [round(v, 4) for v in w.tolist()]
        [0.8, -1.6]
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_torch_only_options("RAdam", foreach=foreach, capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        _check_adam_options(group)

    def _array_state(self, group):
        return {"exp_avg": 0.0, "exp_avg_sq": 0.0}

    def _scalar_state(self, group):
        return {"step": 0.0}

    def _update(self, group, p, g, bufs, scalars, tmp, fresh):
        xp = get_array_module(p)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        t = tmp[0]
        step = scalars["step"] + 1.0
        self._prep_grad(xp, group, p, g, t, group["decoupled_weight_decay"])
        m, v = bufs["exp_avg"], bufs["exp_avg_sq"]
        _update_moments(xp, g, m, v, t, beta1, beta2)
        bc1 = 1 - beta1**step
        bc2 = 1 - beta2**step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bc2
        xp.divide(m, bc1, out=g)    # the bias-corrected first moment (g is scratch now)
        g *= lr
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            xp.sqrt(v, out=t)
            t += eps
            xp.divide(bc2**0.5, t, out=t)
            g *= t
            g *= rect
        p -= g
        return {"step": step}
