"""Rprop (``torch.optim.Rprop``)."""

from __future__ import annotations

from ..backend import get_array_module
from ._torch_options import check_torch_only_options
from .optimizer import FlatOptimizer, _check_nonneg


class Rprop(FlatOptimizer):
    r"""Resilient backpropagation: each coordinate moves by its own step size, grown while the
    gradient keeps its sign and shrunk when it flips (Riedmiller & Braun, 1993, "A Direct
    Adaptive Method for Faster Backpropagation Learning: The RPROP Algorithm").

    Per step, per coordinate, with ``s = sign(g * g_prev)``::

        s > 0:  step_size <- min(step_size * eta_plus, step_size_max)
        s < 0:  step_size <- max(step_size * eta_minus, step_size_min),  g <- 0 (no move, forget g)
        p <- p - sign(g) * step_size,    g_prev <- g

    Only the gradient's sign is used, so Rprop suits full-batch training (mini-batch noise
    flips signs at random). Step sizes start at ``lr``.

    Args:
        params: tensors or parameter groups.
        lr: the initial step size (default 1e-2).
        etas: ``(eta_minus, eta_plus)`` with ``0 < eta_minus < 1 < eta_plus`` (default (0.5, 1.2)).
        step_sizes: ``(step_size_min, step_size_max)`` (default (1e-6, 50)).
        capturable, foreach, differentiable: PyTorch's implementation switches (accepted).
        maximize: ascend instead of descend.

    Raises:
        ValueError: for a negative ``lr``, etas outside their ranges or bad step-size bounds.

    Example:
        >>> import gradkit as gk
        >>> w = gk.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = gk.optim.Rprop([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.9, -0.9]
    """

    _n_tmp = 1

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_torch_only_options("Rprop", foreach=foreach, capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        etas, sizes = group["etas"], group["step_sizes"]
        if not isinstance(etas, (tuple, list)) or len(etas) != 2 or not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"invalid etas: expected (eta_minus, eta_plus) with 0 < eta_minus < 1 < eta_plus, "
                             f"got {etas!r}")
        if not isinstance(sizes, (tuple, list)) or len(sizes) != 2:
            raise ValueError(f"invalid step_sizes: expected a pair (min, max), got {sizes!r}")
        lo = _check_nonneg("step_sizes[0] (minimum step size)", sizes[0])
        hi = _check_nonneg("step_sizes[1] (maximum step size)", sizes[1])
        if lo > hi:
            raise ValueError(f"invalid step_sizes: the minimum {lo} is larger than the maximum {hi}")
        group["etas"], group["step_sizes"] = tuple(etas), tuple(sizes)

    def _array_state(self, group):
        return {"prev": 0.0, "step_size": group["lr"]}

    def _scalar_state(self, group):
        return {"step": 0.0}

    def _update(self, group, p, g, bufs, scalars, tmp, fresh):
        xp = get_array_module(p)
        eta_minus, eta_plus = group["etas"]
        lo, hi = group["step_sizes"]
        if group["maximize"]:
            g *= -1
        prev, size = bufs["prev"], bufs["step_size"]
        t = tmp[0]
        xp.multiply(g, prev, out=t)
        grow, shrink = t > 0, t < 0
        t.fill(1)
        t[grow] = eta_plus
        t[shrink] = eta_minus
        size *= t
        xp.clip(size, lo, hi, out=size)
        g[t == t.dtype.type(eta_minus)] = 0   # as PyTorch: where the factor equals eta_minus
        prev[...] = g
        xp.sign(g, out=g)
        g *= size
        p -= g
        return {"step": scalars["step"] + 1.0}
