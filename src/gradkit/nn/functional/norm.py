"""Group, instance and local-response normalization (``torch.nn.functional`` names).

All three are composed from differentiable primitives (so every derivative, to any order,
comes from rules written once) and follow PyTorch's definitions:

* ``group_norm``: the C channels split into G groups; each (sample, group) is normalized with
  its own mean and biased variance (Wu & He, 2018); then a per-channel affine map.
* ``instance_norm``: each (sample, channel) normalized over its spatial positions (Ulyanov et
  al., 2016); the running statistics, when kept, average the instance statistics over the
  batch (the unbiased variance, as PyTorch).
* ``local_response_norm``: ``x / (k + alpha/n * sum of x**2 over n neighbouring channels)**beta``
  (Krizhevsky et al., 2012), the window centred with ``n//2`` channels before and ``(n-1)//2``
  after, zero beyond the edges.

Example:
    >>> import gradkit as gk
    >>> import gradkit.nn.functional as F
    >>> y = F.group_norm(gk.randn(2, 4, 3), 2)
    >>> bool(abs(y.numpy().reshape(2, 2, -1).mean(-1)).max() < 1e-5)
    True
"""

from __future__ import annotations

from ... import ops
from ...ops._util import const, ensure_tensor, shape_str
from ...tensor import Tensor

__all__ = ["group_norm", "instance_norm", "local_response_norm"]


def _affine(y, weight, bias, ndim):
    shape = (1, -1) + (1,) * (ndim - 2)
    if weight is not None:
        y = y * ops.reshape(weight, shape)
    if bias is not None:
        y = y + ops.reshape(bias, shape)
    return y


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Group normalization of an ``(N, C, *)`` input (``torch.nn.functional.group_norm``).

    Args:
        input: ``(N, C, *)`` with C divisible by ``num_groups``.
        num_groups: the number of groups G.
        weight: ``(C,)`` scale or None.
        bias: ``(C,)`` shift or None.
        eps: added to the variance (default 1e-5).

    Returns:
        A tensor of ``input``'s shape.

    Raises:
        ValueError: for fewer than 2 dimensions or C not divisible by G.

    Example:
        >>> group_norm(gk.ones(1, 4, 2), 2).abs().sum().item()
        0.0
    """
    x = ensure_tensor(input)
    if x.ndim < 2 or num_groups <= 0 or x.shape[1] % num_groups:
        raise ValueError(
            f"group_norm: expected an input (N, C, *) with C divisible by num_groups={num_groups}, "
            f"got shape {shape_str(x.shape)}"
        )
    n = x.shape[0]
    g = ops.reshape(x, (n, num_groups, -1)) if x.size else ops.reshape(x, (n, num_groups, 0))
    mean = ops.mean(g, -1, keepdim=True)
    gc = g - mean
    var = ops.mean(gc * gc, -1, keepdim=True)
    y = ops.reshape(gc / ops.sqrt(var + eps), tuple(x.shape))
    return _affine(y, weight, bias, x.ndim)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Instance normalization of an ``(N, C, *)`` input (``torch.nn.functional.instance_norm``).

    Args:
        input: ``(N, C, *)``, at least one spatial dimension.
        running_mean: ``(C,)`` buffer updated in place when ``use_input_stats``, or None.
        running_var: ``(C,)`` buffer, likewise.
        weight: ``(C,)`` scale or None.
        bias: ``(C,)`` shift or None.
        use_input_stats: normalize with each instance's own statistics (else the running ones).
        momentum: the running average factor (default 0.1).
        eps: added to the variance (default 1e-5).

    Returns:
        A tensor of ``input``'s shape.

    Raises:
        ValueError: for an input without spatial dimensions, a single spatial value with
            ``use_input_stats``, or missing running statistics without it.

    Example:
        >>> y = instance_norm(gk.randn(2, 3, 5))
        >>> bool(abs(y.numpy().mean(-1)).max() < 1e-5)
        True
    """
    x = ensure_tensor(input)
    if x.ndim < 3:
        raise ValueError(f"instance_norm: expected an input (N, C, *spatial), got shape {shape_str(x.shape)}")
    axes = tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if use_input_stats:
        m = 1
        for a in axes:
            m *= x.shape[a]
        if m <= 1:
            raise ValueError(
                f"instance_norm: expected more than 1 spatial element when training, got input shape {shape_str(x.shape)}"
            )
        mean = ops.mean(x, axes, keepdim=True)
        xc = x - mean
        var = ops.mean(xc * xc, axes, keepdim=True)
        y = xc / ops.sqrt(var + eps)
        if running_mean is not None and running_var is not None:
            bm = mean.array.reshape(x.shape[:2]).mean(0)
            bv = (var.array.reshape(x.shape[:2]) * (m / (m - 1))).mean(0)
            rm, rv = running_mean.array, running_var.array
            rm[...] = (1.0 - momentum) * rm + momentum * bm.astype(rm.dtype, copy=False)
            rv[...] = (1.0 - momentum) * rv + momentum * bv.astype(rv.dtype, copy=False)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: expected running_mean and running_var when use_input_stats=False")
        rm = const(running_mean.array.reshape(shape).astype(x.dtype))
        rv = const(running_var.array.reshape(shape).astype(x.dtype))
        y = (x - rm) / ops.sqrt(rv + eps)
    return _affine(y, weight, bias, x.ndim)


def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """Local response normalization across channels (``torch.nn.functional.local_response_norm``).

    Args:
        input: ``(N, C, *)`` with at least one spatial dimension.
        size: the number of neighbouring channels n in the window.
        alpha: the multiplicative factor (default 1e-4).
        beta: the exponent (default 0.75).
        k: the additive constant (default 1).

    Returns:
        A tensor of ``input``'s shape.

    Raises:
        ValueError: for fewer than 3 dimensions or a non-positive size.

    Example:
        >>> round(local_response_norm(gk.ones(1, 3, 1), 3, alpha=3.0, beta=1.0).reshape(-1)[1].item(), 4)
        0.25
    """
    x = ensure_tensor(input)
    if x.ndim < 3:
        raise ValueError(f"local_response_norm: expected 3D or higher input (N, C, *), got shape {shape_str(x.shape)}")
    if size <= 0:
        raise ValueError(f"local_response_norm: size must be positive, got {size}")
    C = x.shape[1]
    sq = x * x
    widths = [(0, 0)] * x.ndim
    widths[1] = (size // 2, (size - 1) // 2)
    padded = ops.pad(sq, tuple(widths))
    total = None
    for j in range(size):
        piece = padded[(slice(None), slice(j, j + C))]
        total = piece if total is None else total + piece
    div = (total * (alpha / size) + k) ** beta
    return x / div
