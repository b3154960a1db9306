"""RMSprop (``torch.optim.RMSprop``)."""

from __future__ import annotations

from ..backend import get_array_module
from ._torch_options import check_torch_only_options
from .optimizer import FlatOptimizer, _check_nonneg


class RMSprop(FlatOptimizer):
    r"""RMSprop: divide the gradient by a running root-mean-square of recent gradients
    (Hinton, Coursera lecture 6e, 2012).

    Per step, with gradient g (plus ``weight_decay * p``)::

        v <- alpha v + (1 - alpha) g^2             (exponentially weighted average of g^2)
        centered:  a <- alpha a + (1 - alpha) g,   d = sqrt(v - a^2) + eps
        otherwise: d = sqrt(v) + eps
        momentum > 0:  b <- momentum b + g / d,    p <- p - lr b
        otherwise:     p <- p - lr g / d

    The course writes ``beta`` for ``alpha``: ``S = beta S + (1 - beta) dW^2``,
    ``W -= lr dW / (sqrt(S) + eps)``.

    Args:
        params: tensors or parameter groups.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant, in [0, 1].
        eps: term added to the denominator (default 1e-8).
        weight_decay: L2 penalty added to the gradient.
        momentum: momentum factor.
        centered: normalise by an estimate of the gradient's variance.
        maximize: ascend instead of descend.

    Raises:
        ValueError: for a negative ``lr``/``eps``/``weight_decay``/``momentum`` or ``alpha`` outside [0, 1].

    Example:
        >>> import gradkit as gk
        >>> w = gk.tensor([1.0], requires_grad=True)
        >>> opt = gk.optim.RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward(); opt.step()   # 1 - 0.01 * 2 / sqrt(0.01 * 4)
        >>> round(w.item(), 4)
        0.9
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_torch_only_options("RMSprop", foreach=foreach, capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        a = group["alpha"]
        if not isinstance(a, (int, float)) or isinstance(a, bool) or not 0.0 <= a <= 1.0:
            raise ValueError(f"invalid alpha: expected a number in [0, 1], got {a!r}")
        _check_nonneg("epsilon (eps)", group["eps"])
        _check_nonneg("weight_decay", group["weight_decay"])
        _check_nonneg("momentum", group["momentum"])

    def _array_state(self, group):
        names = {"square_avg": 0.0}
        if group["momentum"] > 0:
            names["momentum_buffer"] = 0.0
        if group["centered"]:
            names["grad_avg"] = 0.0
        return names

    def _scalar_state(self, group):
        return {"step": 0.0}

    def _update(self, group, p, g, bufs, scalars, tmp, fresh):
        xp = get_array_module(p)
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        t = tmp[0]
        self._prep_grad(xp, group, p, g, t)
        v = bufs["square_avg"]
        v *= alpha
        xp.multiply(g, g, out=t)
        t *= 1 - alpha
        v += t
        if group["centered"]:
            a = bufs["grad_avg"]
            xp.subtract(g, a, out=t)
            t *= 1 - alpha
            a += t
            xp.multiply(a, a, out=t)
            xp.subtract(v, t, out=t)
            xp.sqrt(t, out=t)
        else:
            xp.sqrt(v, out=t)
        t += eps
        if momentum > 0:
            buf = bufs["momentum_buffer"]
            buf *= momentum
            xp.divide(g, t, out=g)
            buf += g
            xp.multiply(buf, -lr, out=t)
        else:
            xp.divide(g, t, out=t)
            t *= -lr
        p += t
        return {"step": scalars["step"] + 1.0}
