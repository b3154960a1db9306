"""Vector norms and distances, one-hot codes, bilinear maps and padding (``torch.nn.functional`` names).

``normalize``, ``cosine_similarity`` and ``pairwise_distance`` rest on one op, a p-norm along a
dimension whose derivative is written once with gradkit ops and is 0 (not NaN) where the norm
is 0, as PyTorch's. ``pad`` extends :func:`gradkit.ops.pad` with PyTorch's ``reflect``,
``replicate`` and ``circular`` modes and with negative widths (which crop); each mode is an
index into the input, so its gradient is the scatter-add of that index.

Example:
    >>> import gradkit as gk
    >>> import gradkit.nn.functional as F
    >>> F.normalize(gk.tensor([[3.0, 4.0]])).tolist()
    [[0.6000000238418579, 0.800000011920929]]
    >>> F.pad(gk.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect").tolist()
    [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
"""

from __future__ import annotations

import math

import numpy as np

from ... import ops
from ...autograd.function import Op
from ...backend import get_array_module
from ...ops._util import const, ensure_tensor, norm_axes, shape_str
from ...tensor import Tensor

__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "one_hot", "linear", "bilinear",
           "pad"]


class _VectorNorm(Op):
    """``||x||_p`` along ``axis`` (kept): ``(sum |x|^p)^(1/p)``, ``max |x|`` for ``p = inf``.

    Derivative ``sign(x) |x|^(p-1) / ||x||^(p-1)`` (``x / ||x||`` for p = 2), 0 where the norm
    is 0; for ``p = inf`` the gradient is shared among the entries that reach the maximum.
    """

    saves_output = True

    def __init__(self, p, axis):
        self.p, self.axis = p, axis

    def forward(self, x):
        xp = get_array_module(x)
        p, ax = self.p, self.axis
        a = xp.abs(x)
        if p == math.inf:
            if x.shape[ax] == 0:
                return xp.zeros(x.shape[:ax] + (1,) + x.shape[ax + 1:], dtype=x.dtype)
            return a.max(axis=ax, keepdims=True)
        if p == 2:
            return xp.sqrt((x * x).sum(axis=ax, keepdims=True))
        if p == 1:
            return a.sum(axis=ax, keepdims=True)
        return ((a ** p).sum(axis=ax, keepdims=True)) ** (1.0 / p)

    def backward(self, gy):
        x = self.inputs[0]
        n = self.output()
        live = const(n.array > 0)
        safe = ops.where(live, n, 1.0)
        p = self.p
        if p == 2:
            return gy * x / safe
        s = ops.sign(x)
        if p == 1:
            return gy * s
        if p == math.inf:
            hit = const((get_array_module(x.array).abs(x.array) == n.array) & (n.array > 0))
            count = ops.sum(ops.where(hit, 1.0, 0.0 * x), self.axis, keepdim=True)
            return gy * ops.where(hit, s, 0.0) / ops.where(live, count, 1.0)
        return gy * s * ops.abs(x) ** (p - 1) / safe ** (p - 1)


def _vector_norm(x, p: float = 2.0, dim: int = -1, keepdim: bool = False) -> Tensor:
    """The p-norm of ``x`` along one dimension, with a gradient that is 0 (not NaN) at a zero vector.

    The public form is ``gk.linalg.vector_norm``; this one (one dimension, ``p >= 1``) serves
    :func:`normalize`, :func:`cosine_similarity` and :func:`pairwise_distance`.

    Args:
        x: floating-point input.
        p: the order (``>= 1``, or ``math.inf``; default 2).
        dim: the dimension reduced (default -1).
        keepdim: keep it with size 1.

    Returns:
        The norms.

    Raises:
        ValueError: for ``p < 1`` (not a norm).

    Example:
        >>> _vector_norm(gk.tensor([[3.0, 4.0]])).tolist()
        [5.0]
    """
    x = ensure_tensor(x)
    p = float(p)
    if p < 1:
        raise ValueError(f"vector_norm: p must be >= 1 (or inf), got {p}")
    if x.ndim == 0:
        x = ops.reshape(x, (1,))
        dim = 0
    ax = norm_axes(dim, x.ndim)[0]
    y = _VectorNorm(p, ax)(x)
    return y if keepdim else ops.squeeze(y, ax)


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``: unit vectors (``torch.nn.functional.normalize``).

    Args:
        input: floating-point tensor.
        p: the norm's order (default 2).
        dim: the dimension normalized (default 1).
        eps: the smallest divisor, so a zero vector stays zero (default 1e-12).
        out: not supported (must be None).

    Returns:
        A tensor of ``input``'s shape.

    Example:
        >>> normalize(gk.tensor([0.0, 2.0]), dim=0).tolist()
        [0.0, 1.0]
    """
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    x = ensure_tensor(input)
    if x.ndim == 0:
        return x / ops.clamp(_vector_norm(x, p, 0), min=eps)
    n = _vector_norm(x, p, dim, keepdim=True)
    return x / ops.clamp(n, min=eps)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim`` (inputs broadcast).

    Args:
        x1: first input.
        x2: second input, broadcastable with ``x1``.
        dim: the dimension of the vectors (default 1).
        eps: the smallest norm (default 1e-8).

    Returns:
        The similarities, with ``dim`` removed.

    Example:
        >>> cosine_similarity(gk.tensor([[1.0, 0.0]]), gk.tensor([[1.0, 1.0]])).tolist()
        [0.7071067690849304]
    """
    x1, x2 = ensure_tensor(x1), ensure_tensor(x2)
    shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    x1, x2 = ops.broadcast_to(x1, shape), ops.broadcast_to(x2, shape)
    n1 = ops.clamp(_vector_norm(x1, 2.0, dim, keepdim=True), min=eps)
    n2 = ops.clamp(_vector_norm(x2, 2.0, dim, keepdim=True), min=eps)
    return ops.sum((x1 / n1) * (x2 / n2), dim)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` along the last dimension (``torch.nn.functional.pairwise_distance``).

    Args:
        x1: (N, D) or (D,) input.
        x2: broadcastable with ``x1``.
        p: the norm's order (default 2).
        eps: added to the difference, keeping the gradient finite at zero distance (default 1e-6).
        keepdim: keep the last dimension with size 1.

    Returns:
        The distances.

    Example:
        >>> round(pairwise_distance(gk.tensor([[0.0, 0.0]]), gk.tensor([[3.0, 4.0]]), eps=0.0).item(), 4)
        5.0
    """
    x1, x2 = ensure_tensor(x1), ensure_tensor(x2)
    return _vector_norm(x1 - x2 + eps, p, -1, keepdim)


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """One-hot codes of integer class ids: shape ``tensor.shape + (num_classes,)``, dtype int64.

    Args:
        tensor: integer class ids of any shape.
        num_classes: the number of classes (-1: one more than the largest id).

    Returns:
        An int64 tensor of 0s and 1s (no gradient).

    Raises:
        TypeError: for non-integer ids. RuntimeError: for a negative id or one ``>= num_classes``.

    Example:
        >>> one_hot(gk.tensor([0, 2])).tolist()
        [[1, 0, 0], [0, 0, 1]]
    """
    t = ensure_tensor(tensor)
    a = t.array
    if a.dtype.kind not in "iu":
        raise TypeError(f"one_hot is only applicable to index tensors (int64), got dtype {a.dtype}")
    xp = get_array_module(a)
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("one_hot: can not infer the number of classes of an empty tensor; pass num_classes")
        num_classes = int(a.max()) + 1
    if a.size and int(a.min()) < 0:
        raise RuntimeError("one_hot: class values must be non-negative")
    if a.size and int(a.max()) >= num_classes:
        raise RuntimeError(f"one_hot: class values must be smaller than num_classes ({num_classes}), got {int(a.max())}")
    out = (a[..., None] == xp.arange(num_classes)).astype(np.int64)
    return const(out)


def linear(input, weight, bias=None) -> Tensor:
    """``input @ weight.T + bias`` (``torch.nn.functional.linear``; see :func:`gradkit.ops.linear`).

    Args:
        input: ``(*, in_features)``.
        weight: ``(out_features, in_features)``.
        bias: ``(out_features,)`` or None.

    Returns:
        ``(*, out_features)``.

    Example:
        >>> linear(gk.ones(2, 3), gk.ones(4, 3)).shape
        (2, 4)
    """
    return ops.linear(input, ensure_tensor(weight), None if bias is None else ensure_tensor(bias))


def bilinear(input1, input2, weight, bias=None) -> Tensor:
    """``y_k = x1^T A_k x2 + b_k`` (``torch.nn.functional.bilinear``).

    Args:
        input1: ``(*, in1_features)``.
        input2: ``(*, in2_features)`` with the same leading dimensions.
        weight: ``(out_features, in1_features, in2_features)``.
        bias: ``(out_features,)`` or None.

    Returns:
        ``(*, out_features)``.

    Raises:
        ValueError: when the shapes do not fit together.

    Example:
        >>> bilinear(gk.ones(5, 2), gk.ones(5, 3), gk.ones(4, 2, 3)).shape
        (5, 4)
    """
    x1, x2, w = ensure_tensor(input1), ensure_tensor(input2), ensure_tensor(weight)
    if w.ndim != 3 or x1.ndim == 0 or x2.ndim == 0 or x1.shape[-1] != w.shape[1] or x2.shape[-1] != w.shape[2] \
            or x1.shape[:-1] != x2.shape[:-1]:
        raise ValueError(
            f"bilinear: expected input1 (*, {w.shape[1] if w.ndim == 3 else 'in1'}) and input2 "
            f"(*, {w.shape[2] if w.ndim == 3 else 'in2'}) with equal leading dimensions and weight "
            f"(out, in1, in2); got {shape_str(x1.shape)}, {shape_str(x2.shape)} and {shape_str(w.shape)}"
        )
    out, n1, n2 = w.shape
    wm = ops.reshape(ops.permute(w, (1, 0, 2)), (n1, out * n2))  # (in1, out * in2)
    t = ops.reshape(ops.matmul(x1, wm), tuple(x1.shape[:-1]) + (out, n2))
    y = ops.sum(t * ops.unsqueeze(x2, -2), -1)
    return y if bias is None else y + bias


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _source_index(n, before, after, mode, dim):
    j = np.arange(-before, n + after)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    if mode == "circular":
        if before > n or after > n:
            raise ValueError(f"pad: circular padding of {before, after} is larger than dimension {dim} of size {n}")
        return j % n
    if before >= n or after >= n:  # reflect
        raise ValueError(
            f"pad: reflect padding {before, after} must be smaller than dimension {dim} of the input, which has size {n}"
        )
    j = np.abs(j)
    return np.where(j > n - 1, 2 * (n - 1) - j, j)


def pad(input, pad, mode: str = "constant", value=None) -> Tensor:
    """Pad (or, with negative widths, crop) the last dimensions (``torch.nn.functional.pad``).

    ``pad`` lists widths from the last dimension backwards: ``(left, right)`` pads the last,
    ``(left, right, top, bottom)`` the last two, and so on. Modes: ``'constant'`` (``value``,
    default 0), ``'reflect'`` (mirror without repeating the edge: ``[1 2 3]`` -> ``3 2 [1 2 3] 2``),
    ``'replicate'`` (repeat the edge), ``'circular'`` (wrap around). A negative width removes
    that many elements.

    Args:
        input: the tensor.
        pad: an even-length sequence of integers.
        mode: ``'constant'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
        value: the fill value of constant mode (default 0).

    Returns:
        The padded tensor; its gradient is that of the index (crop/copy) it is.

    Raises:
        ValueError: for an odd-length ``pad``, too many dimensions, an unknown mode, a
            reflect width not smaller than the dimension, or a crop that removes everything.

    Example:
        >>> pad(gk.tensor([1.0, 2.0, 3.0]), (1, -1), mode="replicate").tolist()
        [1.0, 1.0, 2.0]
    """
    x = ensure_tensor(input)
    widths = [int(w) for w in pad]
    if len(widths) % 2 or len(widths) // 2 > x.ndim:
        raise ValueError(f"pad: padding length must be even and cover at most {x.ndim} dimensions, got {tuple(widths)}")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {_PAD_MODES}, got {mode!r}")
    if mode != "constant" and value not in (None, 0, 0.0):
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in a value argument")
    for k in range(len(widths) // 2):
        d = x.ndim - 1 - k
        before, after = widths[2 * k], widths[2 * k + 1]
        n = x.shape[d]
        if n + before + after < 0 or (n + before + after == 0 and n > 0 and mode != "constant"):
            raise ValueError(f"pad: widths {before, after} leave no elements of dimension {d} (size {n})")
        if mode in ("constant", "circular"):  # crop first (circular then wraps the cropped tensor, as PyTorch)
            if before < 0 or after < 0:
                sl = [slice(None)] * x.ndim
                sl[d] = slice(max(-before, 0), n - max(-after, 0))
                x = x[tuple(sl)]
                n, before, after = x.shape[d], max(before, 0), max(after, 0)
            if mode == "constant" and (before > 0 or after > 0):
                w = [(0, 0)] * x.ndim
                w[d] = (max(before, 0), max(after, 0))
                x = ops.pad(x, tuple(w), value=0.0 if value is None else float(value))
            if mode == "constant":
                continue
        if before == 0 and after == 0:
            continue
        if n == 0:
            raise ValueError(f"pad: cannot {mode}-pad dimension {d} of size 0")
        idx = _source_index(n, before, after, mode, d)
        xp = get_array_module(x.array)
        x = ops.getitem(x, (slice(None),) * d + (xp.asarray(idx),))
    return x
