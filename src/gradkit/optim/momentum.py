"""Gradient descent with momentum in the course's form: an exponentially weighted average of gradients."""

from __future__ import annotations

from ..backend import get_array_module
from .optimizer import FlatOptimizer, _check_beta, _check_nonneg


class Momentum(FlatOptimizer):
    r"""Gradient descent with momentum as the course writes it (Ng, "gradient descent with
    momentum"): the step follows ``v``, an exponentially weighted average of the gradients.

    With gradient :math:`g_t` (plus ``weight_decay * p`` when set), ``v_0 = 0``::

        v_t = beta * v_{t-1} + (1 - beta) * g_t
        p  <- p - lr * v_t                                (bias_correction=False, the course's default)
        p  <- p - lr * v_t / (1 - beta^t)                 (bias_correction=True)

    ``v`` averages roughly the last ``1 / (1 - beta)`` gradients, so oscillating components
    cancel and the consistent direction builds up. Because ``v_0 = 0`` the first steps are
    short (``v_1 = (1 - beta) g_1``); bias correction divides that warm-up away.

    How it relates to :class:`SGD`: PyTorch's ``SGD(momentum=beta)`` keeps
    ``b_t = beta * b_{t-1} + g_t`` with ``b_1 = g_1``, which is ``v_t / (1 - beta)`` exactly,
    so ``Momentum(lr=a, beta=b)`` takes the same steps as ``SGD(lr=a * (1 - b), momentum=b)``
    (up to rounding). ``SGD(momentum=beta, dampening=beta)`` is *not* this form: its first
    buffer is the full gradient ``g_1``, not ``(1 - beta) g_1``.

    Args:
        params: tensors or parameter groups.
        lr: learning rate alpha (default 0.01).
        beta: momentum coefficient in [0, 1) (the course's 0.9); ``beta=0`` is plain gradient descent.
        bias_correction: divide ``v_t`` by ``1 - beta^t``.
        weight_decay: L2 penalty coefficient added to the gradient, >= 0.
        maximize: ascend instead of descend.

    Raises:
        ValueError: for a negative ``lr``/``weight_decay`` or ``beta`` outside [0, 1).

    Examples:
        >>> import gradkit as gk
        >>> w = gk.tensor(1.0, requires_grad=True)
        >>> opt = gk.optim.Momentum([w], lr=0.1, beta=0.9)
        >>> iterates = []
        >>> for _ in range(3):
        ...     opt.zero_grad(); (w ** 2).backward(); opt.step(); iterates.append(round(w.item(), 6))
        >>> iterates
        [0.98, 0.9424, 0.889712]
    """

    def __init__(self, params, lr=1e-2, beta=0.9, bias_correction=False, weight_decay=0.0, *, maximize=False):
        defaults = dict(lr=lr, beta=beta, bias_correction=bias_correction, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        group["beta"] = _check_beta("beta", group["beta"])
        _check_nonneg("weight_decay", group["weight_decay"])
        if not isinstance(group["bias_correction"], bool):
            raise ValueError(f"invalid bias_correction: expected True or False, got {group['bias_correction']!r}")

    def _array_state(self, group):
        return {"velocity": 0.0}

    def _scalar_state(self, group):
        return {"step": 0.0}

    def _update(self, group, p, g, bufs, scalars, tmp, fresh):
        xp = get_array_module(p)
        lr, beta = group["lr"], group["beta"]
        t = tmp[0]
        step = scalars["step"] + 1.0
        self._prep_grad(xp, group, p, g, t)
        v = bufs["velocity"]
        v *= beta
        xp.multiply(g, 1 - beta, out=t)
        v += t
        scale = -lr / (1 - beta**step) if group["bias_correction"] else -lr
        xp.multiply(v, scale, out=t)
        p += t
        return {"step": step}
