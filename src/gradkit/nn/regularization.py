"""Explicit regularization: L1/L2 penalties, picking the weights to regularize, max-norm.

**L2 (weight decay).** The course form of the regularized cost over ``m`` training
examples is

.. math:: J = \\frac{1}{m} \\sum_i \\mathcal{L}(\\hat y_i, y_i) + \\frac{\\lambda}{2m} \\sum_l \\|W^{[l]}\\|_F^2

(:func:`l2_penalty` with ``m``). Its gradient adds ``(lambda / m) W`` to each weight's
gradient, so a gradient-descent step becomes
``W <- W - lr * (dL/dW + (lambda/m) W) = (1 - lr * lambda / m) W - lr * dL/dW``: the
weights *decay* by a constant factor each step. Hence the exact mapping to an optimizer:

* ``loss + l2_penalty(weights, lam, m)`` with ``SGD(lr)`` (with or without momentum,
  which PyTorch applies after adding the decay) equals ``SGD(weights, lr,
  weight_decay=lam / m)`` on the bare loss, step for step; the same holds for ``Adam``'s
  (coupled) ``weight_decay``.
* ``AdamW``'s *decoupled* weight decay is not an L2 penalty: it shrinks
  ``W <- W - lr * weight_decay * W`` outside the adaptive scaling (Loshchilov & Hutter, 2019).

With minibatches, keep ``m`` the size of the whole training set (the minibatch mean loss
estimates ``(1/m) sum_i L``), so the strength does not depend on the batch size.
Biases and normalization parameters are conventionally not regularized: pass
:func:`weight_parameters` (or a Module, which does that for you), or build optimizer
groups with :func:`weight_decay_param_groups`.

**L1** (:func:`l1_penalty`) adds ``(lambda / m) sum |W|``; its subgradient
``(lambda / m) sign(W)`` pushes every weight towards zero by a constant amount per step,
which drives the weights of unhelpful inputs *close to* zero, but a gradient step on it
overshoots zero and oscillates around it, so in floating point a weight essentially never
becomes exactly 0. For exactly sparse weights use the proximal step instead:
``gk.optim.prox_l1_`` after each optimizer step (soft-thresholding, which sets every weight
with ``|w| <= lr * lambda / m`` to 0), or ``gk.train.fit(..., l1=lam, l1_mode="proximal")``,
which does that on the weights.

**Max-norm** (:func:`apply_max_norm_`, Srebro et al. 2005; used with dropout by
Srivastava et al. 2014) rescales each unit's incoming weight vector after every step so
its Euclidean norm is at most ``c``.

Examples:
    >>> import gradkit as gk
    >>> net = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.ReLU(), gk.nn.Linear(8, 1))
    >>> x, y = gk.randn(16, 4), gk.randn(16, 1)
    >>> loss = gk.nn.functional.mse_loss(net(x), y) + gk.nn.l2_penalty(net, lam=0.1, m=16)
    >>> loss.backward()
    >>> gk.nn.apply_max_norm_(net, max_norm=3.0) >= 0
    True
"""

from __future__ import annotations

from .. import ops
from ..autograd.grad_mode import no_grad
from ..backend import get_array_module
from ..tensor import Tensor
from .module import Module

__all__ = [
    "l1_penalty", "l2_penalty", "weight_parameters", "named_weight_parameters", "weight_decay_param_groups",
    "apply_max_norm_",
]


def _is_norm_layer(module) -> bool:
    name = type(module).__name__
    return "Norm" in name  # BatchNorm1d/2d, LayerNorm, GroupNorm, InstanceNorm, RMSNorm


def _is_weight(module, pname, p) -> bool:
    return "bias" not in pname.lower() and not _is_norm_layer(module) and p.ndim >= 2


def named_weight_parameters(module: Module) -> list:
    """``(name, parameter)`` pairs of the weights to regularize, in ``named_parameters()`` order.

    A parameter counts as a weight when it has at least two dimensions (a matrix or a
    convolution kernel), its name does not contain ``bias``, and it does not belong to
    a normalization layer (a class whose name contains ``Norm``: batch/layer norm's
    gamma and beta). So biases, norm scales/shifts and per-channel slopes (PReLU) are
    left out, as is conventional for weight decay.

    Args:
        module: the model.

    Returns:
        A list of ``(qualified_name, Parameter)``.

    Raises:
        TypeError: when ``module`` is not a Module.

    Examples:
        >>> [n for n, _ in named_weight_parameters(gk.nn.Linear(3, 2))]
        ['weight']
    """
    if not isinstance(module, Module):
        raise TypeError(f"named_weight_parameters expects a Module, got {type(module).__name__}")
    chosen = {}
    for mname, sub in module.named_modules():
        for pname, p in sub.named_parameters(recurse=False):
            if _is_weight(sub, pname, p):
                chosen[id(p)] = True
    return [(n, p) for n, p in module.named_parameters() if id(p) in chosen]


def weight_parameters(module: Module) -> list:
    """The weights of ``module`` to regularize (see :func:`named_weight_parameters`).

    Examples:
        >>> net = gk.nn.Sequential(gk.nn.Linear(3, 4), gk.nn.Linear(4, 1))
        >>> [tuple(p.shape) for p in weight_parameters(net)]
        [(4, 3), (1, 4)]
    """
    return [p for _, p in named_weight_parameters(module)]


def weight_decay_param_groups(module: Module, weight_decay: float) -> list:
    """Optimizer parameter groups: decay on the weights, none on biases and norm parameters.

    Args:
        module: the model.
        weight_decay: the decay for the weight group (``lambda / m`` to match
            :func:`l2_penalty`).

    Returns:
        ``[{'params': weights, 'weight_decay': weight_decay}, {'params': others, 'weight_decay': 0.0}]``
        (the second group is omitted when empty), ready for ``gk.optim.SGD(groups, lr=...)``.

    Examples:
        >>> groups = weight_decay_param_groups(gk.nn.Linear(3, 2), 1e-4)
        >>> [len(g['params']) for g in groups]
        [1, 1]
    """
    weights = weight_parameters(module)
    ids = {id(p) for p in weights}
    others = [p for p in module.parameters() if id(p) not in ids]
    groups = [{"params": weights, "weight_decay": float(weight_decay)}]
    if others:
        groups.append({"params": others, "weight_decay": 0.0})
    return groups


def _params(params, name) -> list:
    """The tensors of ``params``: a Module's weights, a Tensor, or an iterable (or dict) of
    Tensors or ``(name, Tensor)`` pairs; ``name`` is the caller, for the errors."""
    if isinstance(params, Module):
        return weight_parameters(params)
    if isinstance(params, Tensor):
        return [params]
    if isinstance(params, dict):
        params = params.values()
    try:
        items = list(params)
    except TypeError:
        raise TypeError(f"{name}: params must be a Module, a Tensor or an iterable of Tensors, "
                        f"got {type(params).__name__}") from None
    out = []
    for i, p in enumerate(items):
        if isinstance(p, tuple) and len(p) == 2 and isinstance(p[1], Tensor):
            p = p[1]  # (name, parameter) pairs from named_parameters()
        if not isinstance(p, Tensor):
            raise TypeError(f"{name}: params[{i}] must be a Tensor (a Module or an iterable of tensors is "
                            f"expected), got {type(p).__name__}")
        out.append(p)
    return out


def _check(lam, m, name):
    if lam < 0:
        raise ValueError(f"{name}: lam must be >= 0, got {lam}")
    if m <= 0:
        raise ValueError(f"{name}: m (the number of training examples) must be positive, got {m}")


def l2_penalty(params, lam: float, m: int = 1) -> Tensor:
    """The L2 (Frobenius) penalty ``(lam / (2 m)) * sum_W ||W||_F^2``, differentiable.

    Add it to the loss in any training loop. Equivalent to SGD's
    ``weight_decay = lam / m`` (see the module docs for the exact mapping).

    Args:
        params: a Module (its weights only: biases and norm parameters excluded), or an
            iterable of tensors / ``(name, tensor)`` pairs (used as given).
        lam: the regularization strength ``lambda >= 0``.
        m: the number of training examples (1 gives ``(lam / 2) sum ||W||^2``).

    Returns:
        A 0-d tensor (0 when there are no parameters).

    Raises:
        ValueError: for ``lam < 0`` or ``m <= 0``.

    Examples:
        >>> w = gk.tensor([[1.0, 2.0]], requires_grad=True)
        >>> l2_penalty([w], lam=1.0, m=5).item()  # 1/(2*5) * 5
        0.5
    """
    _check(lam, m, "l2_penalty")
    ps = _params(params, "l2_penalty")
    if not ps:
        return Tensor(0.0)
    total = None
    for p in ps:
        s = ops.sum(p * p)
        total = s if total is None else total + s
    return total * (float(lam) / (2.0 * m))


def l1_penalty(params, lam: float, m: int = 1) -> Tensor:
    """The L1 penalty ``(lam / m) * sum_W sum |w|``, differentiable (subgradient ``sign(w)``).

    Gradient steps on it make weights small but not exactly 0; ``gk.optim.prox_l1_`` (the
    proximal step, soft-thresholding) gives exact zeros.

    Args:
        params: a Module (its weights only) or an iterable of tensors / ``(name, tensor)`` pairs.
        lam: the regularization strength ``lambda >= 0``.
        m: the number of training examples.

    Returns:
        A 0-d tensor.

    Raises:
        ValueError: for ``lam < 0`` or ``m <= 0``.

    Examples:
        >>> w = gk.tensor([[1.0, -2.0]], requires_grad=True)
        >>> l1_penalty([w], lam=0.5).item()
        1.5
    """
    _check(lam, m, "l1_penalty")
    ps = _params(params, "l1_penalty")
    if not ps:
        return Tensor(0.0)
    total = None
    for p in ps:
        s = ops.sum(ops.abs(p))
        total = s if total is None else total + s
    return total * (float(lam) / m)


def apply_max_norm_(params, max_norm: float, dim: int = 0, eps: float = 1e-7) -> int:
    """Max-norm constraint, in place: rescale every slice along ``dim`` to L2 norm <= ``max_norm``.

    The slices follow ``torch.renorm``: with the default ``dim=0`` each ``W[i]`` is
    constrained, i.e. for a ``Linear`` weight ``(out, in)`` each output unit's incoming
    weight vector, and for a conv kernel ``(out, in, kh, kw)`` each filter. A slice
    with norm ``n > max_norm`` is multiplied by ``max_norm / (n + eps)``; the others are
    untouched. (Keras' ``MaxNorm(axis=0)`` names the axis the norm runs *over* for its
    ``(in, out)`` kernels, which is the same constraint.) Call it after each
    ``optimizer.step()``; it runs under ``no_grad``.

    Args:
        params: a Module (its weights only: biases and norm parameters excluded), a
            Tensor, or an iterable of tensors.
        max_norm: the largest allowed norm ``c > 0`` (3 or 4 are common with dropout).
        dim: the dimension indexing the constrained slices (default 0).
        eps: added to the norm before dividing, as ``torch.renorm``.

    Returns:
        The number of slices that were rescaled.

    Raises:
        ValueError: for ``max_norm <= 0`` or a ``dim`` out of range for a parameter.

    Examples:
        >>> w = gk.tensor([[3.0, 4.0], [0.3, 0.4]])
        >>> apply_max_norm_(w, max_norm=1.0)
        1
        >>> [round(v, 4) for v in w[0].tolist()]
        [0.6, 0.8]
    """
    if max_norm <= 0:
        raise ValueError(f"apply_max_norm_: max_norm must be positive, got {max_norm}")
    count = 0
    with no_grad():
        for p in _params(params, "apply_max_norm_"):
            a = p.array
            if a.ndim == 0:
                continue
            if not -a.ndim <= dim < a.ndim:
                raise ValueError(
                    f"apply_max_norm_: dim {dim} is out of range for a parameter of shape {tuple(a.shape)}"
                )
            d = dim % a.ndim
            xp = get_array_module(a)
            axes = tuple(i for i in range(a.ndim) if i != d)
            norms = xp.sqrt((a * a).sum(axis=axes, keepdims=True)) if axes else xp.abs(a)
            over = norms > max_norm
            n_over = int(over.sum())
            if n_over:
                t = a.dtype.type
                scale = xp.where(over, t(max_norm) / (norms + t(eps)), t(1))
                a *= scale
                count += n_over
    return count
