"""Resampling and patch extraction: ``interpolate`` (nearest, linear, bilinear, trilinear),
``pixel_shuffle``/``pixel_unshuffle``, ``unfold`` (im2col) and ``fold`` (col2im).

All are compositions of indexing, reshapes and arithmetic on gradkit ops, so their gradients come
from those ops' rules: the gradient of a gather is a scatter-add (``ops.getitem``), and ``fold`` is
the scatter-add written forward (the adjoint of ``unfold``).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ... import ops
from ...ops._util import ensure_tensor, shape_str
from ...ops.shape import IndexAdd
from ...tensor import Tensor
from ._im2col import _tuple

__all__ = ["interpolate", "upsample", "pixel_shuffle", "pixel_unshuffle", "unfold", "fold"]

_MODES = {"nearest": 0, "nearest-exact": 0, "linear": 1, "bilinear": 2, "trilinear": 3}


def _sizes(x, size, scale_factor, nd, name):
    spatial = x.shape[2:]
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{name}: give exactly one of size and scale_factor")
    if size is not None:
        out = (size,) * nd if isinstance(size, numbers.Integral) else tuple(int(s) for s in size)
        scales = [None] * nd
    else:
        sf = (scale_factor,) * nd if isinstance(scale_factor, numbers.Number) else tuple(scale_factor)
        if len(sf) != nd:
            raise ValueError(f"{name}: scale_factor needs {nd} values for a {nd + 2}-D input, got {scale_factor!r}")
        out = tuple(int(math.floor(n * s)) for n, s in zip(spatial, sf))
        scales = [float(s) for s in sf]
    if len(out) != nd or any(o <= 0 for o in out):
        raise ValueError(f"{name}: the output size must have {nd} positive values, got {out}")
    return out, scales


def _nearest_index(n_in, n_out, scale, exact):
    """Source index of each output position (PyTorch's 'nearest' and 'nearest-exact')."""
    ratio = (1.0 / scale) if scale is not None else n_in / n_out
    pos = np.arange(n_out, dtype=np.float64)
    src = np.floor((pos + 0.5) * ratio) if exact else np.floor(pos * ratio)
    return np.minimum(src.astype(np.int64), n_in - 1)


def _linear_weights(n_in, n_out, scale, align_corners):
    """Left index, right index and the right weight of each output position (PyTorch's rules)."""
    pos = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = pos * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
    else:
        ratio = (1.0 / scale) if scale is not None else n_in / n_out
        src = np.maximum((pos + 0.5) * ratio - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, src - i0


def _take(x, axis, index):
    idx = [slice(None)] * x.ndim
    idx[axis] = index
    return ops.getitem(x, tuple(idx))


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resize (N, C, ...) inputs, as ``torch.nn.functional.interpolate``.

    Args:
        input: (N, C, L), (N, C, H, W) or (N, C, D, H, W).
        size: the output spatial size; or ``scale_factor`` (a number or one per dimension).
        mode: ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D input), ``'bilinear'`` (4-D) or
            ``'trilinear'`` (5-D).
        align_corners: for the linear modes: map the corner pixels' centres onto each other
            (default False, PyTorch's).
        recompute_scale_factor: True computes the scale from the output size (as with ``size``).
        antialias: not supported (an error), as for PyTorch's non-bilinear modes.

    Example:
        >>> import gradkit as gk
        >>> x = gk.tensor([[[1.0, 2.0]]])
        >>> interpolate(x, scale_factor=2, mode="linear").tolist()
        [[[1.0, 1.25, 1.75, 2.0]]]
    """
    name = "interpolate"
    x = ensure_tensor(input)
    nd = x.ndim - 2
    if nd not in (1, 2, 3):
        raise ValueError(f"{name}: expected a 3-, 4- or 5-D input (N, C, ...), got {shape_str(x.shape)}")
    if mode not in _MODES:
        raise ValueError(f"{name}: mode must be one of {sorted(_MODES)}, got {mode!r}")
    if _MODES[mode] and _MODES[mode] != nd:
        raise ValueError(f"{name}: mode {mode!r} needs a {_MODES[mode] + 2}-D input, got {shape_str(x.shape)}")
    if antialias:
        raise NotImplementedError(f"{name}: antialias=True is not supported")
    if not _MODES[mode] and align_corners is not None:
        raise ValueError(f"{name}: align_corners only applies to the linear modes")
    out, scales = _sizes(x, size, scale_factor, nd, name)
    if recompute_scale_factor:
        scales = [None] * nd
    y = x
    for d in range(nd):
        axis, n_in = 2 + d, x.shape[2 + d]
        if _MODES[mode] == 0:
            y = _take(y, axis, _nearest_index(n_in, out[d], scales[d], mode == "nearest-exact"))
        else:
            i0, i1, t = _linear_weights(n_in, out[d], scales[d], bool(align_corners))
            shape = [1] * y.ndim
            shape[axis] = out[d]
            w = Tensor(t.reshape(shape).astype(y.dtype), device=y.device)
            a, b = _take(y, axis, i0), _take(y, axis, i1)
            y = a + (b - a) * w
    return y


def upsample(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None) -> Tensor:
    """The deprecated alias of :func:`interpolate` PyTorch keeps."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def pixel_shuffle(input, upscale_factor: int) -> Tensor:
    """(N, C r^2, H, W) -> (N, C, H r, W r), as ``torch.nn.functional.pixel_shuffle``.

    Example:
        >>> import gradkit as gk
        >>> pixel_shuffle(gk.randn(1, 8, 3, 3), 2).shape
        (1, 2, 6, 6)
    """
    x = ensure_tensor(input)
    r = int(upscale_factor)
    if x.ndim < 3 or x.shape[-3] % (r * r):
        raise ValueError(f"pixel_shuffle: expected (..., C * {r}^2, H, W), got {shape_str(x.shape)}")
    *lead, C, H, W = x.shape
    c = C // (r * r)
    y = ops.reshape(x, (*lead, c, r, r, H, W))
    k = len(lead)
    y = ops.permute(y, tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return ops.reshape(y, (*lead, c, H * r, W * r))


def pixel_unshuffle(input, downscale_factor: int) -> Tensor:
    """(N, C, H r, W r) -> (N, C r^2, H, W), the inverse of :func:`pixel_shuffle`.

    Example:
        >>> import gradkit as gk
        >>> pixel_unshuffle(gk.randn(1, 2, 6, 6), 2).shape
        (1, 8, 3, 3)
    """
    x = ensure_tensor(input)
    r = int(downscale_factor)
    if x.ndim < 3 or x.shape[-1] % r or x.shape[-2] % r:
        raise ValueError(f"pixel_unshuffle: height and width must be multiples of {r}, got {shape_str(x.shape)}")
    *lead, C, H, W = x.shape
    k = len(lead)
    y = ops.reshape(x, (*lead, C, H // r, r, W // r, r))
    y = ops.permute(y, tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return ops.reshape(y, (*lead, C * r * r, H // r, W // r))


def _patch_geometry(spatial, kernel_size, dilation, padding, stride, name):
    k = _tuple(kernel_size, 2, "kernel_size", name)
    d = _tuple(dilation, 2, "dilation", name)
    p = _tuple(padding, 2, "padding", name)
    s = _tuple(stride, 2, "stride", name)
    if min(k + d + s) < 1 or min(p) < 0:
        raise ValueError(f"{name}: kernel_size, dilation and stride must be positive and padding >= 0")
    blocks = tuple((n + 2 * pi - di * (ki - 1) - 1) // si + 1 for n, ki, di, pi, si in zip(spatial, k, d, p, s))
    if min(blocks) < 1:
        raise ValueError(f"{name}: the kernel {k} (dilation {d}) does not fit the padded size of {tuple(spatial)}")
    return k, d, p, s, blocks


def _offset_index(i, j, d, s, blocks):
    return (slice(None), slice(None), slice(i * d[0], i * d[0] + s[0] * (blocks[0] - 1) + 1, s[0]),
            slice(j * d[1], j * d[1] + s[1] * (blocks[1] - 1) + 1, s[1]))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding blocks of an (N, C, H, W) input as columns: (N, C * kh * kw, L), as
    ``torch.nn.functional.unfold`` (im2col).

    Example:
        >>> import gradkit as gk
        >>> unfold(gk.randn(2, 3, 4, 5), 2).shape
        (2, 12, 12)
    """
    name = "unfold"
    x = ensure_tensor(input)
    unbatched = x.ndim == 3
    if unbatched:
        x = ops.unsqueeze(x, 0)
    if x.ndim != 4:
        raise ValueError(f"{name}: expected (N, C, H, W) or (C, H, W), got {shape_str(x.shape)}")
    k, d, p, s, blocks = _patch_geometry(x.shape[2:], kernel_size, dilation, padding, stride, name)
    if any(p):
        x = ops.pad(x, (p[1], p[1], p[0], p[0]))
    N, C = x.shape[:2]
    cols = [ops.getitem(x, _offset_index(i, j, d, s, blocks)) for i in range(k[0]) for j in range(k[1])]
    y = ops.reshape(ops.stack(cols, 2), (N, C * k[0] * k[1], blocks[0] * blocks[1]))
    return ops.squeeze(y, 0) if unbatched else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum columns (N, C * kh * kw, L) back into an (N, C, H, W) image, as ``torch.nn.functional.fold``
    (col2im; overlapping blocks add up). The adjoint of :func:`unfold`.

    Example:
        >>> import gradkit as gk
        >>> x = gk.ones(1, 1, 3, 3)
        >>> fold(unfold(x, 2), (3, 3), 2)[0, 0].tolist()
        [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    name = "fold"
    x = ensure_tensor(input)
    unbatched = x.ndim == 2
    if unbatched:
        x = ops.unsqueeze(x, 0)
    out = _tuple(output_size, 2, "output_size", name)
    k, d, p, s, blocks = _patch_geometry(out, kernel_size, dilation, padding, stride, name)
    kk = k[0] * k[1]
    if x.ndim != 3 or x.shape[1] % kk or x.shape[2] != blocks[0] * blocks[1]:
        raise ValueError(f"{name}: expected (N, C * {kk}, {blocks[0] * blocks[1]}) for output_size {out}, kernel "
                         f"{k}, got {shape_str(x.shape)}")
    N, C = x.shape[0], x.shape[1] // kk
    cols = ops.reshape(x, (N, C, kk, blocks[0], blocks[1]))
    padded = (N, C, out[0] + 2 * p[0], out[1] + 2 * p[1])
    y = None
    for n, (i, j) in enumerate((i, j) for i in range(k[0]) for j in range(k[1])):
        part = IndexAdd(_offset_index(i, j, d, s, blocks), padded)(ops.getitem(cols, (slice(None), slice(None), n)))
        y = part if y is None else y + part
    if any(p):
        y = ops.getitem(y, (slice(None), slice(None), slice(p[0], p[0] + out[0]), slice(p[1], p[1] + out[1])))
    return ops.squeeze(y, 0) if unbatched else y
