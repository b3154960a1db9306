"""``gk.nn.utils``: gradient clipping in place, by total norm and by value (``torch.nn.utils.clip_grad_*``),
and all parameters as one vector and back (``parameters_to_vector`` / ``vector_to_parameters``).

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

from ...autograd.grad_mode import no_grad
from ...backend import get_array_module
from ...tensor import Tensor, _make

from . import rnn  # noqa: E402,F401 - gk.nn.utils.rnn, as torch.nn.utils.rnn

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


def _grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    r"""Rescale the gradients in place so that their joint norm is at most ``max_norm``.

    The total norm is that of all gradients concatenated into one vector; when it exceeds
    ``max_norm`` every gradient is multiplied by ``max_norm / (total_norm + 1e-6)``
    (Pascanu, Mikolov & Bengio, 2013, "On the difficulty of training recurrent neural networks").

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped (``None`` grads are skipped).
        max_norm: the largest allowed norm, >= 0.
        norm_type: p of the p-norm; ``float('inf')`` for the largest absolute value.
        error_if_nonfinite: raise when the total norm is nan or inf instead of scaling by it.
        foreach: accepted for PyTorch compatibility (gradkit has one implementation).

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
    xp = get_array_module(grads[0].array)
    dtype = grads[0].array.dtype
    if norm_type == math.inf:
        norms = [xp.max(xp.abs(g.array)) if g.array.size else xp.zeros((), dtype) for g in grads]
        total = xp.max(xp.stack(norms))
    else:
        norms = [_pnorm(xp, g.array, norm_type) for g in grads]
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
            g.array *= xp.asarray(coef, dtype=g.array.dtype)
    return _make(total, False, None)


def _pnorm(xp, a, p):
    if p == 2.0:
        return xp.sqrt(xp.sum(a * a))
    if p == 1.0:
        return xp.sum(xp.abs(a))
    return xp.sum(xp.abs(a) ** p) ** (1.0 / p)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element in place to ``[-clip_value, clip_value]``.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped.
        clip_value: the largest allowed absolute value, >= 0.
        foreach: accepted for PyTorch compatibility.

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
        xp = get_array_module(g.array)
        xp.clip(g.array, -clip_value, clip_value, out=g.array)


def _param_list(parameters, where: str) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    params = list(parameters)
    if not params:
        raise ValueError(f"{where}: expected at least one parameter, got an empty iterable")
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{where}: expected Tensors, got {type(p).__name__} at position {i}")
    device = params[0].device
    for i, p in enumerate(params[1:], 1):
        if p.device != device:
            raise ValueError(
                f"{where}: all parameters must be on one device; position 0 is on {device}, position {i} on {p.device}"
            )
    return params


def parameters_to_vector(parameters) -> Tensor:
    r"""All parameters flattened and joined into one vector ``theta`` (``torch.nn.utils.parameters_to_vector``).

    The course's "reshape all parameters W1, b1, ..., WL, bL into one big vector theta" (used
    for gradient checking): each tensor is flattened in row-major order and the pieces are
    concatenated in the order given. The result is a new tensor connected to the parameters in
    the graph, so a loss of it can be differentiated back to them; pass the gradients
    (``[p.grad for p in params]``) to get the gradient vector ``d theta`` in the same layout.

    Args:
        parameters: a tensor or an iterable of tensors (``model.parameters()``), all on one device.

    Returns:
        A 1-d tensor of length ``sum(p.numel() for p in parameters)``.

    Raises:
        ValueError: for an empty iterable or tensors on different devices.
        TypeError: when an element is not a Tensor.

    Example:
        >>> import gradkit as gk
        >>> lin = gk.nn.Linear(2, 1)
        >>> theta = gk.nn.utils.parameters_to_vector(lin.parameters())
        >>> theta.shape
        (3,)
        >>> bool((theta[:2] == lin.weight.reshape(-1)).all())
        True
    """
    from ... import ops

    params = _param_list(parameters, "parameters_to_vector")
    return ops.cat([ops.reshape(p, (-1,)) for p in params])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    r"""Write the slices of a vector back into the parameters (``torch.nn.utils.vector_to_parameters``).

    The inverse of :func:`parameters_to_vector`: parameter k takes the next ``p.numel()``
    entries of ``vec``, reshaped to its shape. As in PyTorch each parameter's ``data`` becomes a
    view of the vector's slice (no gradient is recorded); a vector of another dtype is cast to
    each parameter's dtype (then the parameters hold copies). An optimizer over these
    parameters notices the new arrays before its next step.

    Args:
        vec: a 1-d Tensor with exactly as many entries as the parameters together.
        parameters: a tensor or an iterable of tensors, all on ``vec``'s device.

    Raises:
        TypeError: when ``vec`` is not a Tensor or an element of ``parameters`` is not one.
        ValueError: when ``vec`` is not 1-d, its length differs from the parameters' total
            size, or the devices differ.

    Example:
        >>> import gradkit as gk
        >>> lin = gk.nn.Linear(2, 1)
        >>> gk.nn.utils.vector_to_parameters(gk.tensor([1.0, 2.0, 3.0]), lin.parameters())
        >>> lin.weight.tolist(), lin.bias.tolist()
        ([[1.0, 2.0]], [3.0])
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, got {type(vec).__name__}")
    params = _param_list(parameters, "vector_to_parameters")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: expected a 1-d vector, got shape {tuple(vec.shape)}")
    total = sum(int(p.array.size) for p in params)
    if vec.shape[0] != total:
        raise ValueError(
            f"vector_to_parameters: the vector has {vec.shape[0]} entries, but the {len(params)} parameters "
            f"have {total} together"
        )
    if vec.device != params[0].device:
        raise ValueError(f"vector_to_parameters: vec is on {vec.device}, the parameters on {params[0].device}")
    data = vec.array
    lo = 0
    with no_grad():
        for p in params:
            n = int(p.array.size)
            piece = data[lo:lo + n].reshape(p.array.shape)
            if piece.dtype != p.array.dtype:
                piece = piece.astype(p.array.dtype)
            p.array = piece
            lo += n
