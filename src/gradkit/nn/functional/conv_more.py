"""The rest of the convolution family: transposed convolutions, 3-D convolution and pooling,
adaptive max pooling.

All are built on the differentiable pieces that already exist, so each derivative is written
once, elsewhere:

* ``conv_transpose1d/2d`` is :class:`~gradkit.nn.functional.conv.ConvGradInput`, the adjoint of a
  convolution in its input, applied forward (PyTorch defines the transposed convolution as exactly
  that map); its rules are the convolution's own.
* ``conv3d`` adds ``kD`` 2-D convolutions, one per depth tap, with the depth folded into the batch.
* ``max_pool3d``/``avg_pool3d`` pool each depth window of 2-D-pooled planes.
* ``adaptive_max_pool1d/2d`` take the maximum of PyTorch's adaptive windows
  (``start = floor(i * n / out)``, ``end = ceil((i + 1) * n / out)``).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ... import ops
from ...ops._util import ensure_tensor, shape_str
from ...autograd.function import Op
from ...backend import get_array_module
from ...tensor import Tensor
from ._im2col import _Geom, _tuple
from .conv import ConvGradInput, conv2d
from .pool import avg_pool2d, max_pool2d

__all__ = ["conv_transpose1d", "conv_transpose2d", "conv3d", "max_pool3d", "avg_pool3d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "max_unpool2d"]


def _ints(v, n, what, name, minimum=None):
    t = _tuple(v, n, what, name)
    if minimum is not None and any(x < minimum for x in t):
        raise ValueError(f"{name}: {what} must be >= {minimum}, got {v!r}")
    return t


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1) -> Tensor:
    """2-D transposed convolution ("deconvolution"), as ``torch.nn.functional.conv_transpose2d``.

    The adjoint of ``conv2d`` in its input: each input pixel scatters ``W[c]`` (scaled by its
    value) into the output at ``stride`` spacing.

    Args:
        input: (N, C_in, H, W) or (C_in, H, W).
        weight: (C_in, C_out / groups, kh, kw).
        bias: optional (C_out,).
        stride, padding, output_padding, dilation: ints or pairs; ``output_padding`` (smaller than
            the stride or the dilation) adds rows/columns at the bottom/right to pick among the
            output sizes that map to the same input size.
        groups: independent groups of channels.

    Returns:
        (N, C_out, Ho, Wo) with ``Ho = (H - 1) sh - 2 ph + dh (kh - 1) + oph + 1``.

    Examples:
        >>> import gradkit as gk
        >>> x, w = gk.randn(1, 4, 5, 5), gk.randn(4, 2, 3, 3)
        >>> conv_transpose2d(x, w, stride=2, padding=1, output_padding=1).shape
        (1, 2, 10, 10)
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1) -> Tensor:
    """1-D transposed convolution over (N, C_in, L), as ``torch.nn.functional.conv_transpose1d``.

    Examples:
        >>> import gradkit as gk
        >>> conv_transpose1d(gk.randn(2, 3, 7), gk.randn(3, 5, 4), stride=3).shape
        (2, 5, 22)
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd, name):
    x, w = ensure_tensor(input), ensure_tensor(weight)
    if w.ndim != nd + 2:
        raise ValueError(f"{name}: weight must be (in_channels, out_channels/groups, kernel...) with {nd + 2} "
                         f"dimensions, got shape {shape_str(w.shape)}")
    if x.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{name}: expected a {nd + 2}-D input (or {nd + 1}-D without the batch), got shape "
                         f"{shape_str(x.shape)}")
    if not isinstance(groups, numbers.Integral) or groups <= 0:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = ops.unsqueeze(x, 0)
    cin = x.shape[1]
    if w.shape[0] != cin:
        raise ValueError(f"{name}: weight has {w.shape[0]} input channels (its first dimension), the input has {cin} "
                         f"(input shape {shape_str(x.shape)}, weight shape {shape_str(w.shape)})")
    if cin % groups:
        raise ValueError(f"{name}: in_channels ({cin}) must be divisible by groups ({groups})")
    s = _ints(stride, nd, "stride", name, 1)
    p = _ints(padding, nd, "padding", name, 0)
    op = _ints(output_padding, nd, "output_padding", name, 0)
    d = _ints(dilation, nd, "dilation", name, 1)
    k = tuple(w.shape[2:])
    if any(o >= max(si, di) for o, si, di in zip(op, s, d)):
        raise ValueError(f"{name}: output_padding {op} must be smaller than the stride {s} or the dilation {d}")
    cout = w.shape[1] * groups
    spatial = x.shape[2:]
    out = tuple((n - 1) * si - 2 * pi + di * (ki - 1) + oi + 1 for n, si, pi, di, ki, oi in zip(spatial, s, p, d, k, op))
    if any(o <= 0 for o in out):
        raise ValueError(f"{name}: the output size {out} is not positive (input {shape_str(x.shape)})")
    if w.dtype != x.dtype:
        x = x.to(w.dtype)
    if nd == 1:
        x4, w4 = ops.unsqueeze(x, 2), ops.unsqueeze(w, 2)
        geom = _Geom((x.shape[0], cout, 1, out[0]), (1, k[0]), (1, s[0]), (1, d[0]), (0, 0, p[0], p[0]),
                     out=(1, spatial[0]), groups=groups)
    else:
        x4, w4 = x, w
        geom = _Geom((x.shape[0], cout) + out, k, s, d, (p[0], p[0], p[1], p[1]), out=tuple(spatial), groups=groups)
    y = ConvGradInput(geom)(x4, w4)
    if nd == 1:
        y = ops.squeeze(y, 2)
    if bias is not None:
        b = ensure_tensor(bias)
        if b.shape != (cout,):
            raise ValueError(f"{name}: bias must have shape ({cout},), got {shape_str(b.shape)}")
        y = y + ops.reshape(b, (1, cout) + (1,) * nd)
    return ops.squeeze(y, 0) if unbatched else y


def _depth_slices(x, k, s, d, n_out):
    """For each depth tap ``i``: the (N * Do, C, H, W) stack of the planes that tap reads."""
    N, C = x.shape[:2]
    for i in range(k):
        start = i * d
        planes = ops.getitem(x, (slice(None), slice(None), slice(start, start + s * (n_out - 1) + 1, s)))
        yield ops.reshape(ops.permute(planes, (0, 2, 1, 3, 4)), (N * n_out, C) + tuple(x.shape[3:]))


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """3-D convolution over (N, C, D, H, W), as ``torch.nn.functional.conv3d``.

    Args:
        input: (N, C, D, H, W) or (C, D, H, W).
        weight: (out_channels, C / groups, kd, kh, kw).
        bias: optional (out_channels,).
        stride, padding, dilation: ints or triples (padding: ints only).
        groups: independent groups of channels.

    Examples:
        >>> import gradkit as gk
        >>> conv3d(gk.randn(2, 3, 5, 6, 6), gk.randn(4, 3, 3, 3, 3), padding=1).shape
        (2, 4, 5, 6, 6)
    """
    name = "conv3d"
    x, w = ensure_tensor(input), ensure_tensor(weight)
    if w.ndim != 5 or x.ndim not in (4, 5):
        raise ValueError(f"{name}: expected a 5-D input (N, C, D, H, W) (or 4-D) and a 5-D weight, got input "
                         f"{shape_str(x.shape)} and weight {shape_str(w.shape)}")
    unbatched = x.ndim == 4
    if unbatched:
        x = ops.unsqueeze(x, 0)
    s = _ints(stride, 3, "stride", name, 1)
    p = _ints(padding, 3, "padding", name, 0)
    d = _ints(dilation, 3, "dilation", name, 1)
    if p[0]:
        x = ops.pad(x, (0, 0, 0, 0, p[0], p[0]))
    kd = w.shape[2]
    D = x.shape[2]
    Do = (D - d[0] * (kd - 1) - 1) // s[0] + 1
    if Do <= 0:
        raise ValueError(f"{name}: the depth kernel ({kd}, dilation {d[0]}) is larger than the padded depth {D}")
    N = x.shape[0]
    y = None
    for i, planes in enumerate(_depth_slices(x, kd, s[0], d[0], Do)):
        part = conv2d(planes, ops.getitem(w, (slice(None), slice(None), i)), None, s[1:], p[1:], d[1:], groups)
        y = part if y is None else y + part
    O, Ho, Wo = y.shape[1:]
    y = ops.permute(ops.reshape(y, (N, Do, O, Ho, Wo)), (0, 2, 1, 3, 4))
    if bias is not None:
        b = ensure_tensor(bias)
        if b.shape != (O,):
            raise ValueError(f"{name}: bias must have shape ({O},), got {shape_str(b.shape)}")
        y = y + ops.reshape(b, (1, O, 1, 1, 1))
    return ops.squeeze(y, 0) if unbatched else y


def _pool3d(x, kernel, stride, padding, ceil_mode, name, pool2d, combine, finish, pad_value):
    x = ensure_tensor(x)
    if x.ndim not in (4, 5):
        raise ValueError(f"{name}: expected a 5-D input (N, C, D, H, W) (or 4-D), got {shape_str(x.shape)}")
    unbatched = x.ndim == 4
    if unbatched:
        x = ops.unsqueeze(x, 0)
    k = _ints(kernel, 3, "kernel_size", name, 1)
    s = _ints(stride if stride is not None else kernel, 3, "stride", name, 1)
    p = _ints(padding, 3, "padding", name, 0)
    if any(pi * 2 > ki for pi, ki in zip(p, k)):
        raise ValueError(f"{name}: padding {p} must be at most half the kernel size {k}")
    D = x.shape[2] + 2 * p[0]
    Do = (math.ceil if ceil_mode else math.floor)((D - k[0]) / s[0]) + 1
    if ceil_mode and (Do - 1) * s[0] >= x.shape[2] + p[0]:
        Do -= 1
    need = (Do - 1) * s[0] + k[0] - D  # extra depth a ceil-mode window reads past the end
    if p[0] or need > 0:
        x = ops.pad(x, (0, 0, 0, 0, p[0], p[0] + max(need, 0)), pad_value)
    N, C = x.shape[:2]
    y = None
    for planes in _depth_slices(x, k[0], s[0], 1, Do):
        part = pool2d(planes, k[1:], s[1:], p[1:], ceil_mode)
        y = part if y is None else combine(y, part)
    y = finish(y, k[0])
    y = ops.permute(ops.reshape(y, (N, Do, C) + tuple(y.shape[2:])), (0, 2, 1, 3, 4))
    return ops.squeeze(y, 0) if unbatched else y


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False) -> Tensor:
    """3-D max pooling over (N, C, D, H, W), as ``torch.nn.functional.max_pool3d`` (dilation 1).

    Examples:
        >>> import gradkit as gk
        >>> max_pool3d(gk.randn(1, 2, 4, 6, 6), 2).shape
        (1, 2, 2, 3, 3)
    """
    if return_indices or _ints(dilation, 3, "dilation", "max_pool3d", 1) != (1, 1, 1):
        raise NotImplementedError("max_pool3d: return_indices and dilation > 1 are not supported; "
                                  "use max_pool2d per depth slice for those")

    def pool2d(t, k, s, p, c):
        return max_pool2d(t, k, s, p, 1, c)

    return _pool3d(input, kernel_size, stride, padding, ceil_mode, "max_pool3d", pool2d, ops.maximum,
                   lambda y, kd: y, float("-inf"))


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None) -> Tensor:
    """3-D average pooling over (N, C, D, H, W), as ``torch.nn.functional.avg_pool3d``
    (``count_include_pad=True`` and no ``ceil_mode`` overhang, or no padding at all).

    Examples:
        >>> import gradkit as gk
        >>> avg_pool3d(gk.ones(1, 1, 4, 4, 4), 2).sum().item()
        8.0
    """
    k = _ints(kernel_size, 3, "kernel_size", "avg_pool3d", 1)
    p = _ints(padding, 3, "padding", "avg_pool3d", 0)
    if divisor_override is not None or (not count_include_pad and any(p)) or (ceil_mode and any(p)):
        raise NotImplementedError("avg_pool3d: divisor_override, and count_include_pad=False or ceil_mode with "
                                  "padding, are not supported")

    def pool2d(t, kk, s, pp, c):  # sums of the 2-D windows (the average times its count)
        return avg_pool2d(t, kk, s, pp, c, True) * float(kk[0] * kk[1])

    def finish(y, kd):
        return y * (1.0 / (kd * k[1] * k[2]))

    return _pool3d(input, kernel_size, stride, padding, ceil_mode, "avg_pool3d", pool2d, ops.add, finish, 0.0)


def _windows(n, out):
    return [(math.floor(i * n / out), math.ceil((i + 1) * n / out)) for i in range(out)]


def adaptive_max_pool2d(input, output_size, return_indices=False) -> Tensor:
    """Max over PyTorch's adaptive windows of an (N, C, H, W) input, as
    ``torch.nn.functional.adaptive_max_pool2d``.

    Examples:
        >>> import gradkit as gk
        >>> adaptive_max_pool2d(gk.randn(2, 3, 7, 5), (3, 2)).shape
        (2, 3, 3, 2)
    """
    if return_indices:
        raise NotImplementedError("adaptive_max_pool2d: return_indices is not supported")
    x = ensure_tensor(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"adaptive_max_pool2d: expected (N, C, H, W) or (C, H, W), got {shape_str(x.shape)}")
    size = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    H, W = x.shape[-2:]
    oh, ow = (H if size[0] is None else int(size[0])), (W if size[1] is None else int(size[1]))
    rows = []
    for r0, r1 in _windows(H, oh):
        cells = [ops.amax(x[..., r0:r1, c0:c1], (-2, -1), False) for c0, c1 in _windows(W, ow)]
        rows.append(ops.stack(cells, -1))
    return ops.stack(rows, -2)


def adaptive_max_pool1d(input, output_size, return_indices=False) -> Tensor:
    """Max over PyTorch's adaptive windows of an (N, C, L) input.

    Examples:
        >>> import gradkit as gk
        >>> adaptive_max_pool1d(gk.randn(2, 3, 10), 4).shape
        (2, 3, 4)
    """
    if return_indices:
        raise NotImplementedError("adaptive_max_pool1d: return_indices is not supported")
    x = ensure_tensor(input)
    n = x.shape[-1]
    out = int(output_size[0] if isinstance(output_size, (tuple, list)) else output_size)
    return ops.stack([ops.amax(x[..., a:b], -1, False) for a, b in _windows(n, out)], -1)


class _Unpool(Op):
    """``out[index] = x`` into zeros (a window's maximum found twice is written once, as in PyTorch);
    the gradient reads ``gy`` back at ``index``."""

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, x):
        xp = get_array_module(x)
        out = xp.zeros(self.shape, dtype=x.dtype)
        out[self.index] = x
        return out

    def backward(self, gy):
        return ops.getitem(gy, self.index)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Put each pooled maximum back where ``max_pool2d(..., return_indices=True)`` found it, zeros
    elsewhere (``torch.nn.functional.max_unpool2d``).

    Args:
        input: the pooled (N, C, Ho, Wo) values; indices: their flat positions in each (H, W) plane.
        kernel_size, stride, padding: the pooling's; output_size: (H, W) (or with N, C) when the
            default size ``(Ho - 1) * stride - 2 * padding + kernel`` is not the original one.

    Examples:
        >>> import gradkit as gk
        >>> F = gk.nn.functional
        >>> y, idx = F.max_pool2d(gk.tensor([[[[1.0, 2.0], [4.0, 3.0]]]]), 2, return_indices=True)
        >>> max_unpool2d(y, idx, 2)[0, 0].tolist()
        [[0.0, 0.0], [4.0, 0.0]]
    """
    name = "max_unpool2d"
    x = ensure_tensor(input)
    idx = np.asarray(indices.numpy() if isinstance(indices, Tensor) else indices)
    unbatched = x.ndim == 3
    if unbatched:
        x, idx = ops.unsqueeze(x, 0), idx[None]
    if x.ndim != 4 or idx.shape != tuple(x.shape):
        raise ValueError(f"{name}: input (N, C, Ho, Wo) and indices of the same shape expected, got "
                         f"{shape_str(x.shape)} and {shape_str(idx.shape)}")
    k = _ints(kernel_size, 2, "kernel_size", name, 1)
    s = _ints(stride if stride is not None else kernel_size, 2, "stride", name, 1)
    p = _ints(padding, 2, "padding", name, 0)
    if output_size is None:
        H, W = ((x.shape[2] - 1) * s[0] - 2 * p[0] + k[0], (x.shape[3] - 1) * s[1] - 2 * p[1] + k[1])
    else:
        H, W = (int(v) for v in list(output_size)[-2:])
    if idx.size and (idx.min() < 0 or idx.max() >= H * W):
        raise ValueError(f"{name}: an index is outside the {H}x{W} output (found {int(idx.min())}..{int(idx.max())})")
    N, C = x.shape[:2]
    n = np.broadcast_to(np.arange(N).reshape(N, 1, 1, 1), idx.shape)
    c = np.broadcast_to(np.arange(C).reshape(1, C, 1, 1), idx.shape)
    y = ops.reshape(_Unpool((n, c, idx.astype(np.int64)), (N, C, H * W))(x), (N, C, H, W))
    return ops.squeeze(y, 0) if unbatched else y
