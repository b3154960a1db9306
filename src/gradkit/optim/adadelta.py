"""Adadelta (``torch.optim.Adadelta``)."""

from __future__ import annotations

from ..backend import get_array_module
from ._torch_options import check_torch_only_options
from .optimizer import FlatOptimizer, _check_nonneg


class Adadelta(FlatOptimizer):
    r"""Adadelta: a per-coordinate step from running averages of squared gradients and of
    squared updates (Zeiler, 2012, "ADADELTA: An Adaptive Learning Rate Method").

    Per step, with gradient g (plus ``weight_decay * p``, the coupled L2 form)::

        v <- rho v + (1 - rho) g^2                       (square_avg)
        delta = sqrt(u + eps) / sqrt(v + eps) * g        (u: acc_delta)
        u <- rho u + (1 - rho) delta^2
        p <- p - lr delta

    The ratio of the two root-mean-squares gives the update the parameter's units, so the
    paper uses no learning rate; PyTorch keeps ``lr`` (default 1.0) as a plain multiplier.

    Args:
        params: tensors or parameter groups.
        lr: the multiplier of the update (default 1.0).
        rho: smoothing constant of both averages, in [0, 1] (default 0.9).
        eps: term inside the square roots (default 1e-6).
        weight_decay: L2 penalty added to the gradient.
        foreach, capturable, differentiable: PyTorch's implementation switches (see
            :func:`~gradkit.optim._torch_options.check_torch_only_options`).
        maximize: ascend instead of descend.

    Raises:
        ValueError: for a negative ``lr``/``eps``/``weight_decay`` or ``rho`` outside [0, 1].

    Example:
        >>> import gradkit as gk
        >>> w = gk.tensor([1.0], requires_grad=True)
        >>> opt = gk.optim.Adadelta([w])
        >>> (w * w).sum().backward(); opt.step()   # 1 - sqrt(1e-6) / sqrt(0.4 + 1e-6) * 2
        >>> round(w.item(), 5)
        0.99684
    """

    _n_tmp = 2

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_torch_only_options("Adadelta", foreach=foreach, capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        rho = group["rho"]
        if not isinstance(rho, (int, float)) or isinstance(rho, bool) or not 0.0 <= rho <= 1.0:
            raise ValueError(f"invalid rho: expected a number in [0, 1], got {rho!r}")
        _check_nonneg("epsilon (eps)", group["eps"])
        _check_nonneg("weight_decay", group["weight_decay"])

    def _array_state(self, group):
        return {"square_avg": 0.0, "acc_delta": 0.0}

    def _scalar_state(self, group):
        return {"step": 0.0}

    def _update(self, group, p, g, bufs, scalars, tmp, fresh):
        xp = get_array_module(p)
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        t, std = tmp
        self._prep_grad(xp, group, p, g, t)
        v, u = bufs["square_avg"], bufs["acc_delta"]
        v *= rho
        xp.multiply(g, g, out=t)
        t *= 1 - rho
        v += t
        xp.add(v, eps, out=std)
        xp.sqrt(std, out=std)
        xp.add(u, eps, out=t)
        xp.sqrt(t, out=t)
        t /= std
        t *= g                      # t = delta
        u *= rho
        xp.multiply(t, t, out=std)
        std *= 1 - rho
        u += std
        t *= -lr
        p += t
        return {"step": scalars["step"] + 1.0}
