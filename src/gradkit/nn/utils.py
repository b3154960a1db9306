"""``gk.nn.utils``: gradient clipping in place, by total norm and by value (``torch.nn.utils.clip_grad_*``).

Clipping is part of training a network, not of any one optimizer, so it lives here
(as in PyTorch); ``gk.optim.clip_grad_norm_`` and ``gk.optim.clip_grad_value_`` are the same
functions, re-exported.

Example:
    >>> import gradkit as gk
    >>> w = gk.tensor([0.0, 0.0], requires_grad=True)
    >>> (w * gk.tensor([3.0, 4.0])).sum().backward()
    >>> round(gk.nn.utils.clip_grad_norm_([w], max_norm=1.0).item(), 4)
    5.0
"""

from __future__ import annotations

import math

from ..backend import get_array_module
from ..tensor import Tensor, _make

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    r"""Rescale the gradients in place so that their joint norm is at most ``max_norm``.

    The total norm is that of all gradients concatenated into one vector; when it exceeds
    ``max_norm`` every gradient is multiplied by ``max_norm / (total_norm + 1e-6)``
    (Pascanu, Mikolov & Bengio, 2013, "On the difficulty of training recurrent neural networks").

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped (``None`` grads are skipped).
        max_norm: the largest allowed norm, >= 0.
        norm_type: p of the p-norm; ``float('inf')`` for the largest absolute value.
        error_if_nonfinite: raise when the total norm is nan or inf instead of scaling by it.

    Returns:
        The total norm of the gradients before clipping, as a 0-d Tensor.

    Raises:
        ValueError: for a negative ``max_norm`` or a ``norm_type`` <= 0.
        RuntimeError: with ``error_if_nonfinite`` when the norm is nan or inf.

    Example:
        >>> import gradkit as gk
        >>> w = gk.tensor([0.0, 0.0], requires_grad=True)
        >>> (w * gk.tensor([3.0, 4.0])).sum().backward()
        >>> gk.nn.utils.clip_grad_norm_([w], max_norm=1.0).item()
        5.0
        >>> [round(v, 3) for v in w.grad.tolist()]
        [0.6, 0.8]
    """
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    if not max_norm >= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm}")
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 (or inf), got {norm_type}")
    grads = _grads(parameters)
    if not grads:
        import numpy as np

        return _make(np.asarray(0.0, dtype="float32"), False, None)
    xp = get_array_module(grads[0].data)
    dtype = grads[0].data.dtype
    if norm_type == math.inf:
        norms = [xp.max(xp.abs(g.data)) if g.data.size else xp.zeros((), dtype) for g in grads]
        total = xp.max(xp.stack(norms))
    else:
        norms = [_pnorm(xp, g.data, norm_type) for g in grads]
        total = _pnorm(xp, xp.stack(norms).astype(dtype, copy=False), norm_type)
    total = xp.asarray(total, dtype=dtype)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is non-finite ({float(total)}), so it cannot be "
            "clipped; set error_if_nonfinite=False to scale by it anyway"
        )
    coef = max_norm / (float(total) + 1e-6)
    if coef < 1.0:
        for g in grads:
            g.data *= xp.asarray(coef, dtype=g.data.dtype)
    return _make(total, False, None)


def _pnorm(xp, a, p):
    if p == 2.0:
        return xp.sqrt(xp.sum(a * a))
    if p == 1.0:
        return xp.sum(xp.abs(a))
    return xp.sum(xp.abs(a) ** p) ** (1.0 / p)


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient element in place to ``[-clip_value, clip_value]``.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped.
        clip_value: the largest allowed absolute value, >= 0.

    Raises:
        ValueError: for a negative ``clip_value``.

    Example:
        >>> import gradkit as gk
        >>> w = gk.tensor([0.0, 0.0], requires_grad=True)
        >>> (w * gk.tensor([3.0, -0.5])).sum().backward()
        >>> gk.nn.utils.clip_grad_value_([w], 1.0)
        >>> w.grad.numpy().tolist()
        [1.0, -0.5]
    """
    clip_value = float(clip_value)
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for g in _grads(parameters):
        xp = get_array_module(g.data)
        xp.clip(g.data, -clip_value, clip_value, out=g.data)
