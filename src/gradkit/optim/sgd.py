"""Stochastic gradient descent, with momentum and Nesterov momentum (``torch.optim.SGD``)."""

from __future__ import annotations

from ..backend import get_array_module
from ._torch_options import check_torch_only_options
from .optimizer import FlatOptimizer, _check_nonneg


class SGD(FlatOptimizer):
    r"""Gradient descent with optional (Nesterov) momentum and L2 weight decay.

    Batch, mini-batch and stochastic gradient descent are all this optimizer: which one you
    get depends only on the loader's batch size (the whole set, a mini-batch, or one example).

    With gradient :math:`g_t` (plus ``weight_decay * p`` when set) the update is, as in PyTorch::

        b_1 = g_1                                   (first step: the buffer is the gradient)
        b_t = momentum * b_{t-1} + (1 - dampening) * g_t
        d_t = g_t + momentum * b_t  if nesterov else  b_t
        p  <- p - lr * d_t

    With ``momentum=0`` it is plain ``p <- p - lr * g``. The course form of momentum,
    ``v = beta * v + (1 - beta) * dW`` with ``v_0 = 0`` (an exponentially weighted average of
    gradients, Ng's "gradient descent with momentum"), is :class:`Momentum`. PyTorch's buffer
    is that ``v`` divided by ``1 - beta``, so ``SGD(lr=a * (1 - beta), momentum=beta)`` takes the
    same steps as ``Momentum(lr=a, beta=beta)``; ``dampening=beta`` does not give the course form,
    because the first buffer is the full gradient ``g_1`` rather than ``(1 - beta) * g_1``.
    Nesterov momentum follows Sutskever et al., 2013, "On the importance of initialization
    and momentum in deep learning".

    Args:
        params: tensors or parameter groups.
        lr: learning rate (PyTorch's default 1e-3).
        momentum: momentum factor beta, >= 0.
        dampening: dampening for the momentum, >= 0.
        weight_decay: L2 penalty coefficient added to the gradient.
        nesterov: use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
        maximize: ascend instead of descend.

    Raises:
        ValueError: for a negative ``lr``/``momentum``/``weight_decay``/``dampening``, or
            ``nesterov`` without momentum or with dampening.

    Example:
        >>> import gradkit as gk
        >>> w = gk.tensor([1.0], requires_grad=True)
        >>> opt = gk.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).sum().backward(); opt.step()
        >>> round(w.item(), 4)
        0.8
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        check_torch_only_options("SGD", foreach=foreach, fused=fused, differentiable=differentiable)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        _check_nonneg("momentum", group["momentum"])
        _check_nonneg("dampening", group["dampening"])
        _check_nonneg("weight_decay", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"nesterov=True needs momentum > 0 and dampening == 0, got momentum={group['momentum']}, "
                f"dampening={group['dampening']}"
            )

    def _array_state(self, group):
        return {"momentum_buffer": 0.0} if group["momentum"] != 0 else {}

    def _update(self, group, p, g, bufs, scalars, tmp, fresh):
        xp = get_array_module(p)
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        t = tmp[0]
        self._prep_grad(xp, group, p, g, t)
        if momentum != 0:
            buf = bufs["momentum_buffer"]
            if fresh:
                buf[...] = g
            else:
                buf *= momentum
                if dampening != 0:
                    xp.multiply(g, 1 - dampening, out=t)
                    buf += t
                else:
                    buf += g
            if group["nesterov"]:
                xp.multiply(buf, momentum, out=t)
                g += t
            else:
                g = buf
        xp.multiply(g, -lr, out=t)
        p += t
        return {}

