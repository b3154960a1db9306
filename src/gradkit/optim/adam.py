"""Adam, AdamW and NAdam (``torch.optim.Adam`` / ``AdamW`` / ``NAdam`` formulas and defaults)."""

from __future__ import annotations

import math

import numpy as np

from ..backend import get_array_module, get_default_dtype
from ._torch_options import check_torch_only_options
from .optimizer import FlatOptimizer, _check_betas, _check_nonneg


def _update_moments(xp, g, m, v, t, beta1, beta2) -> None:
    """In place: ``m <- m + (1 - beta1)(g - m)`` (torch's lerp) and ``v <- beta2 v + (1 - beta2) g^2``;
    ``t`` is scratch."""
    xp.subtract(g, m, out=t)
    t *= 1 - beta1
    m += t
    v *= beta2
    xp.multiply(g, g, out=t)
    t *= 1 - beta2
    v += t


def _check_adam_options(group) -> None:
    """Check (and normalise ``betas`` of) the options Adam, AdamW and NAdam share."""
    group["betas"] = _check_betas(group["betas"])
    _check_nonneg("epsilon (eps)", group["eps"])
    _check_nonneg("weight_decay", group["weight_decay"])


class Adam(FlatOptimizer):
    r"""Adam: momentum plus RMSprop with bias correction (Kingma & Ba, 2015, "Adam: A Method
    for Stochastic Optimization").

    Per step t, with gradient g (plus ``weight_decay * p``, the coupled L2 form)::

        m <- beta1 * m + (1 - beta1) * g          (exponentially weighted average of g)
        v <- beta2 * v + (1 - beta2) * g^2        (... of g^2)
        m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)      (bias correction)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    With ``amsgrad`` the running maximum of v replaces v (Reddi et al., 2018). The first
    update is therefore ``lr * sign(g)`` up to eps. The denominator is evaluated as
    ``(sqrt(v) + eps * sqrt(1 - beta2^t)) / sqrt(1 - beta2^t)``, the same number as PyTorch's
    form, folded so the step costs one array operation less.

    Args:
        params: tensors or parameter groups.
        lr: learning rate (default 1e-3).
        betas: (beta1, beta2), each in [0, 1).
        eps: term added to the denominator for stability.
        weight_decay: L2 penalty added to the gradient (see :class:`AdamW` for the decoupled form).
        amsgrad: use the AMSGrad variant.
        maximize: ascend instead of descend.

    Raises:
        ValueError: for a negative ``lr``/``eps``/``weight_decay`` or betas outside [0, 1).

    Example:
        >>> import gradkit as gk
        >>> w = gk.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = gk.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.9, -1.9]
    """

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        check_torch_only_options(type(self).__name__, foreach=foreach, fused=fused, capturable=capturable,
                                 differentiable=differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=bool(decoupled_weight_decay))
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        _check_adam_options(group)

    def _array_state(self, group):
        names = {"exp_avg": 0.0, "exp_avg_sq": 0.0}
        if group["amsgrad"]:
            names["max_exp_avg_sq"] = 0.0
        return names

    def _scalar_state(self, group):
        return {"step": 0.0}

    def _update(self, group, p, g, bufs, scalars, tmp, fresh):
        xp = get_array_module(p)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        t = tmp[0]
        step = scalars["step"] + 1.0
        self._prep_grad(xp, group, p, g, t, group.get("decoupled_weight_decay", self._decoupled))
        m, v = bufs["exp_avg"], bufs["exp_avg_sq"]
        _update_moments(xp, g, m, v, t, beta1, beta2)
        if group["amsgrad"]:
            vmax = bufs["max_exp_avg_sq"]
            xp.maximum(vmax, v, out=vmax)
            v = vmax
        bc1 = 1 - beta1**step
        bc2_sqrt = math.sqrt(1 - beta2**step)
        xp.sqrt(v, out=t)
        t += eps * bc2_sqrt
        xp.divide(m, t, out=t)
        t *= -lr * bc2_sqrt / bc1
        p += t
        return {"step": step}


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019, "Decoupled Weight Decay
    Regularization").

    Before the Adam update the parameter shrinks, ``p <- p * (1 - lr * weight_decay)``, instead of
    adding ``weight_decay * p`` to the gradient; the decay then does not pass through the
    adaptive scaling. Defaults as PyTorch: ``lr=1e-3``, ``weight_decay=1e-2``.

    Args:
        params: tensors or parameter groups.
        lr: learning rate.
        betas: (beta1, beta2), each in [0, 1).
        eps: term added to the denominator.
        weight_decay: decoupled decay coefficient.
        amsgrad: use the AMSGrad variant.
        maximize: ascend instead of descend.

    Raises:
        ValueError: for a negative ``lr``/``eps``/``weight_decay`` or betas outside [0, 1).

    Example:
        >>> import gradkit as gk
        >>> w = gk.tensor([1.0], requires_grad=True)
        >>> opt = gk.optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> (w * 0).sum().backward(); opt.step()   # zero gradient: only the decay acts
        >>> round(w.item(), 4)
        0.95
    """

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)


class NAdam(FlatOptimizer):
    r"""Adam with Nesterov momentum (Dozat, 2016, "Incorporating Nesterov Momentum into Adam"),
    in PyTorch's form with the momentum schedule ``mu_t = beta1 (1 - 0.5 * 0.96^(t * momentum_decay))``::

        m <- beta1 m + (1 - beta1) g,   v <- beta2 v + (1 - beta2) g^2
        prod_t = prod_{t-1} * mu_t
        denom = sqrt(v / (1 - beta2^t)) + eps
        p <- p - lr (1 - mu_t) / (1 - prod_t) * g / denom
               - lr mu_{t+1} / (1 - prod_t mu_{t+1}) * m / denom

    Args:
        params: tensors or parameter groups.
        lr: learning rate (default 2e-3).
        betas: (beta1, beta2), each in [0, 1).
        eps: term added to the denominator.
        weight_decay: weight decay coefficient (L2 on the gradient, or decoupled).
        momentum_decay: the ``psi`` of the momentum schedule (default 4e-3).
        decoupled_weight_decay: shrink the parameter as AdamW does instead of L2.
        maximize: ascend instead of descend.

    Raises:
        ValueError: for a negative ``lr``/``eps``/``weight_decay``/``momentum_decay`` or betas outside [0, 1).

    Example:
        >>> import gradkit as gk
        >>> w = gk.tensor([3.0], requires_grad=True)
        >>> opt = gk.optim.NAdam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> w.item() < 3.0
        True
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3, *,
                 decoupled_weight_decay=False, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_torch_only_options("NAdam", foreach=foreach, capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        _check_adam_options(group)
        _check_nonneg("momentum_decay", group["momentum_decay"])

    def _array_state(self, group):
        return {"exp_avg": 0.0, "exp_avg_sq": 0.0}

    def _scalar_state(self, group):
        return {"step": 0.0, "mu_product": 1.0}

    def _update(self, group, p, g, bufs, scalars, tmp, fresh):
        xp = get_array_module(p)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        psi = group["momentum_decay"]
        t = tmp[0]
        step = scalars["step"] + 1.0
        self._prep_grad(xp, group, p, g, t, group["decoupled_weight_decay"])
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
        # PyTorch keeps the product in a 0-d tensor of the default dtype (float32 unless changed)
        sdt = np.dtype(get_default_dtype()).type
        mu_product = float(sdt(scalars["mu_product"]) * sdt(mu))
        mu_product_next = mu_product * mu_next
        m, v = bufs["exp_avg"], bufs["exp_avg_sq"]
        _update_moments(xp, g, m, v, t, beta1, beta2)
        xp.divide(v, 1 - beta2**step, out=t)
        xp.sqrt(t, out=t)
        t += eps
        xp.divide(g, t, out=g)
        g *= -lr * (1.0 - mu) / (1.0 - mu_product)
        p += g
        xp.divide(m, t, out=t)
        t *= -lr * mu_next / (1.0 - mu_product_next)
        p += t
        return {"step": step, "mu_product": mu_product}
