"""Pooling as differentiable ops (NCHW / NCL layouts, PyTorch semantics).

Public functions: :func:`max_pool1d`, :func:`max_pool2d`, :func:`avg_pool1d`,
:func:`avg_pool2d`, :func:`adaptive_avg_pool1d`, :func:`adaptive_avg_pool2d` and
:func:`global_avg_pool2d`.

Pooling works on the kh*kw kernel-offset slices of the padded input (the windows' geometry is
the convolution's, see :mod:`gradkit.nn.functional._im2col`):

    max:  y[n, c, p, q] = max_{i, j} x_pad[n, c, p*sh + i*dh, q*sw + j*dw]    (-inf padding)
    avg:  y[n, c, p, q] = (1 / |window|) sum_{i, j} x_pad[n, c, p*sh + i, q*sw + j]

Max pooling keeps a running maximum over the slices and saves the winning offset (argmax, one
small integer per output) for the backward scatter; average pooling sums the slices.

One derivative per op: every op here is a plain :class:`~gradkit.autograd.function.Op` whose
backward is one rule written with another op on Tensors. The backward maps are linear in the
incoming gradient and each other's adjoints (:class:`MaxPool2dOp` -> :class:`_MaxPoolScatter`
<-> :class:`_MaxPoolGather`; :class:`AvgPool2dOp` <-> :class:`_AvgPoolScatter`), so the ops
are differentiable to any order. Adaptive and global average pooling are composed from
differentiable ops (matmul with constant averaging matrices, mean).

Example:
    >>> import gradkit as gk
    >>> from gradkit.nn.functional import max_pool2d
    >>> max_pool2d(gk.arange(16.0).reshape(1, 1, 4, 4), 2).shape
    (1, 1, 2, 2)
"""

from __future__ import annotations

import numbers

import numpy as np

from ...autograd.function import Op
from ...backend import get_array_module
from ...ops import mean, squeeze, unsqueeze
from ...ops._util import const, ensure_tensor, shape_str
from ...ops.linalg import matmul
from ...parallel import parallel_pieces
from ...tensor import Tensor
from ._im2col import _check_positive, _cn_buffer, _Geom, _pad, _tuple, _unpad

__all__ = [
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "global_avg_pool2d",
]


# ----------------------------------------------------------------------------- geometry
def _pool_out(size, k, s, p, d, ceil_mode):
    """PyTorch's pooling output size, with the rule that the last window starts inside the input."""
    eff = d * (k - 1) + 1
    num = size + 2 * p - eff
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_geom(x: Tensor, kernel_size, stride, padding, dilation, ceil_mode, nd: int, name: str) -> _Geom:
    kernel = _tuple(kernel_size, nd, "kernel_size", name)
    _check_positive(kernel, "kernel_size", name)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else _tuple(
        stride, nd, "stride", name)
    _check_positive(stride, "stride", name)
    pad = _tuple(padding, nd, "padding", name)
    dil = _tuple(dilation, nd, "dilation", name)
    _check_positive(dil, "dilation", name)
    if any(p < 0 for p in pad):
        raise ValueError(f"{name}: padding must be non-negative, got {pad if nd > 1 else pad[0]}")
    if any(p > k // 2 for p, k in zip(pad, kernel)):
        raise ValueError(
            f"{name}: padding should be at most half of the kernel size, got padding "
            f"{pad if nd > 1 else pad[0]} for kernel_size {kernel if nd > 1 else kernel[0]}"
        )
    spatial = tuple(x.shape[2:])
    outs, pads = [], []
    for d in range(nd):
        o = _pool_out(spatial[d], kernel[d], stride[d], pad[d], dil[d], ceil_mode)
        if o <= 0:
            raise ValueError(
                f"{name}: kernel size {kernel if nd > 1 else kernel[0]} (dilated extent {dil[d] * (kernel[d] - 1) + 1}) "
                f"is larger than the padded input size {spatial[d] + 2 * pad[d]} in spatial dimension {d} "
                f"(input shape {shape_str(tuple(x.shape))}, padding {pad[d]})"
            )
        extra = max(0, (o - 1) * stride[d] + dil[d] * (kernel[d] - 1) + 1 - (spatial[d] + 2 * pad[d]))
        outs.append(o)
        pads.append((pad[d], pad[d] + extra))
    if nd == 1:
        return _Geom((x.shape[0], x.shape[1], 1, spatial[0]), (1, kernel[0]), (1, stride[0]), (1, dil[0]),
                     (0, 0) + pads[0], out=(1, outs[0]))
    return _Geom(tuple(x.shape), kernel, stride, dil, pads[0] + pads[1], out=tuple(outs))


def _outer_nc_axis(a) -> int:
    """0 or 1: the one of the batch and channel axes of an (N, C, H, W) array that is outer in memory."""
    return 1 if a.shape[0] < 2 or (a.shape[1] > 1 and abs(a.strides[1]) > abs(a.strides[0])) else 0


def _index_dtype(k: int):
    return np.uint8 if k <= 255 else np.int32


def _low_value(dtype):
    return -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


class MaxPool2dOp(Op):
    """Max pooling: a running maximum over the kh*kw kernel-offset slices; saves the argmax offset.

    NaN propagates (a NaN in a window makes its output NaN, and the NaN's position is the argmax).
    Ties go to the first offset in row-major window order, as in PyTorch.
    """

    def __init__(self, geom: _Geom):
        self.g = geom

    def forward(self, x):
        g = self.g
        xp = get_array_module(x)
        xpad = _pad(x, g, _low_value(x.dtype))
        K = g.kh * g.kw
        first = xpad[:, :, : g.sh * (g.Ho - 1) + 1: g.sh, : g.sw * (g.Wo - 1) + 1: g.sw]
        m = xp.empty_like(first)  # the layout of the input (channel-major stays channel-major)
        idx = xp.empty_like(first, dtype=_index_dtype(K))
        offsets = list(g.offsets())

        def pool(xpad, m, idx):  # one piece of the channels (or of the batch)
            # The running maximum alternates between m and a scratch array so that each strided
            # slice is read once: new = max(old, v), and v won where new > old (ties keep the
            # first offset). The start is chosen so that the last maximum lands in m.
            other = xp.empty_like(m)
            cur, nxt = (m, other) if (K - 1) % 2 == 0 else (other, m)
            take = xp.empty(m.shape, dtype=bool)
            for k, r, c in offsets:
                v = xpad[:, :, r, c]
                if k == 0:
                    xp.copyto(cur, v)
                    idx[...] = 0
                    continue
                xp.maximum(cur, v, out=nxt)  # NaN propagates
                xp.greater(nxt, cur, out=take)
                # offsets come in increasing k, so "idx = k where v won" is a maximum (a masked
                # copy, copyto(where=), is far slower in NumPy)
                xp.maximum(idx, take.view(xp.uint8) * idx.dtype.type(k), out=idx)
                cur, nxt = nxt, cur
            if m.dtype.kind == "f" and K > 1 and (xp is not np or bool(xp.isnan(m).any())):  # GPU: no sync
                # rare: the argmax of a window holding a NaN is its first NaN, as in PyTorch
                nan_out = xp.isnan(m)
                for k, r, c in reversed(offsets):
                    xp.copyto(idx, idx.dtype.type(k), where=nan_out & xp.isnan(xpad[:, :, r, c]))

        ax = _outer_nc_axis(xpad)
        parallel_pieces(pool, (xpad, m, idx), (ax, ax, ax))
        self.idx = idx
        return m

    def backward(self, gy):
        return _MaxPoolScatter(self.g, self.idx)(gy)

    def flat_indices(self):
        """The argmax as a flat index into each input plane (H*W), as ``return_indices=True`` gives."""
        g = self.g
        xp = get_array_module(self.idx)
        ki = self.idx.astype(np.int64)
        ii, jj = ki // g.kw, ki % g.kw
        rows = xp.arange(g.Ho).reshape(-1, 1) * g.sh - g.pt + ii * g.dh
        cols = xp.arange(g.Wo).reshape(1, -1) * g.sw - g.pl + jj * g.dw
        return rows * g.W + cols


class _MaxPoolScatter(Op):
    """Backward of max pooling: route each output gradient to its argmax (linear in gy)."""

    def __init__(self, geom: _Geom, idx):
        self.g, self.idx = geom, idx

    def forward(self, gy):
        g = self.g
        xp = get_array_module(gy)
        overlap = g.overlapping()
        # windows that tile the input exactly write every position once: no zero fill needed
        tiled = (not overlap and not g.padded and g.kh == g.sh and g.kw == g.sw and g.dh == g.dw == 1
                 and g.Ho * g.sh == g.H and g.Wo * g.sw == g.W)
        if tiled:
            buf = xp.empty((g.C, g.N, g.Hp, g.Wp), dtype=gy.dtype).transpose(1, 0, 2, 3)
        else:
            buf = _cn_buffer(xp, g, gy.dtype)
        offsets = list(g.offsets())
        if _outer_nc_axis(gy) != _outer_nc_axis(self.idx):
            # gy in another memory layout than the saved argmax (a batch-major gradient from a
            # Flatten + Linear head): one copy into that layout first, or every pass below would
            # walk both layouts at once (much slower; see benchmarks/NOTES.md)
            same = xp.empty_like(self.idx, dtype=gy.dtype)
            xp.copyto(same, gy)
            gy = same

        def scatter(buf, gy, idx):  # one piece of the channels
            sel = None
            for k, r, c in offsets:
                sel = xp.equal(idx, k, out=sel)
                if overlap:
                    buf[:, :, r, c] += gy * sel
                else:  # disjoint windows: every position is written once, no accumulation needed
                    xp.multiply(gy, sel, out=buf[:, :, r, c])

        parallel_pieces(scatter, (buf, gy, self.idx), (1, 1, 1))
        return _unpad(buf, g)

    def backward(self, ggx):
        return _MaxPoolGather(self.g, self.idx)(ggx)


class _MaxPoolGather(Op):
    """Pick, per window, the element at the saved argmax (the adjoint of :class:`_MaxPoolScatter`)."""

    def __init__(self, geom: _Geom, idx):
        self.g, self.idx = geom, idx

    def forward(self, x):
        xp = get_array_module(x)
        xpad = _pad(x, self.g, 0)
        out = None
        for k, r, c in self.g.offsets():
            v = xpad[:, :, r, c]
            if out is None:
                out = xp.zeros_like(v, order="K")
            out = xp.where(self.idx == k, v, out)
        return out

    def backward(self, gy):
        return _MaxPoolScatter(self.g, self.idx)(gy)


def _avg_divisor(xp, g: _Geom, dtype, count_include_pad: bool, divisor_override):
    """The divisor of every window: a scalar, or an (Ho, Wo) array at the borders (PyTorch's rules)."""
    if divisor_override is not None:
        return float(divisor_override)
    K = g.kh * g.kw
    # The real padding is symmetric; anything beyond it on the bottom/right comes from ceil_mode.
    ph, pw = g.pt, g.pl
    extra = g.pb - ph or g.pr - pw
    if not extra and (count_include_pad or not g.padded):
        return float(K)
    mask = xp.zeros((g.Hp, g.Wp), dtype=dtype)
    if count_include_pad:
        mask[: g.H + 2 * ph, : g.W + 2 * pw] = 1
    else:
        mask[ph: ph + g.H, pw: pw + g.W] = 1
    div = xp.zeros((g.Ho, g.Wo), dtype=dtype)
    for _, r, c in g.offsets():
        div += mask[r, c]
    return div


class AvgPool2dOp(Op):
    """Average pooling: the sum of the kh*kw kernel-offset slices divided by the window size."""

    def __init__(self, geom: _Geom, div):
        self.g, self.div = geom, div

    def forward(self, x):
        xpad = _pad(x, self.g, 0)
        out = None
        for _, r, c in self.g.offsets():
            v = xpad[:, :, r, c]
            if out is None:
                out = v.copy(order="K")
            else:
                out += v
        if isinstance(self.div, float):
            out *= 1.0 / self.div
        else:
            out /= self.div
        return out

    def backward(self, gy):
        return _AvgPoolScatter(self.g, self.div)(gy)


class _AvgPoolScatter(Op):
    """Backward of average pooling: spread gy / divisor over each window (linear in gy)."""

    def __init__(self, geom: _Geom, div):
        self.g, self.div = geom, div

    def forward(self, gy):
        g = self.g
        xp = get_array_module(gy)
        share = gy * (1.0 / self.div) if isinstance(self.div, float) else gy / self.div
        buf = _cn_buffer(xp, g, gy.dtype)
        overlap = g.overlapping()
        for _, r, c in g.offsets():
            if overlap:
                buf[:, :, r, c] += share
            else:
                buf[:, :, r, c] = share
        return _unpad(buf, g)

    def backward(self, ggx):
        return AvgPool2dOp(self.g, self.div)(ggx)


def _pool_input(input, nd: int, name: str):
    x = ensure_tensor(input)
    layout = "(N, C, L)" if nd == 1 else "(N, C, H, W)"
    if x.ndim not in (nd + 1, nd + 2):
        raise ValueError(
            f"{name} expected a {nd + 2}-D input {layout} (or {nd + 1}-D without the batch), got shape {shape_str(x.shape)}"
        )
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = unsqueeze(x, 0)
    return x, unbatched


def _pool_output(y, nd, unbatched):
    if nd == 1:
        y = squeeze(y, 2)
    if unbatched:
        y = squeeze(y, 0)
    return y


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd, name):
    x, unbatched = _pool_input(input, nd, name)
    g = _pool_geom(x, kernel_size, stride, padding, dilation, ceil_mode, nd, name)
    x4 = unsqueeze(x, 2) if nd == 1 else x
    op = MaxPool2dOp(g)
    y = _pool_output(op(x4), nd, unbatched)
    if not return_indices:
        return y
    idx = op.flat_indices() if nd == 2 else op.flat_indices()[:, :, 0, :]
    if unbatched:
        idx = idx[0]
    return y, const(idx)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling over (N, C, H, W), as ``torch.nn.functional.max_pool2d``.

    ``y[n, c, p, q] = max_{i, j} x_pad[n, c, p*sh + i*dh, q*sw + j*dw]`` with ``-inf`` padding.
    The argmax of every window is saved for backward, which routes each gradient to it.

    Args:
        input: (N, C, H, W) tensor, or (C, H, W).
        kernel_size: int or (kh, kw).
        stride: int or (sh, sw); defaults to ``kernel_size`` (non-overlapping windows).
        padding: implicit ``-inf`` padding on both sides, at most half the kernel.
        dilation: spacing between window elements.
        ceil_mode: round the output size up (a last partial window), as PyTorch.
        return_indices: also return the argmax as flat indices into each H*W plane (int64).

    Returns:
        The pooled tensor, or ``(pooled, indices)`` with ``return_indices=True``.

    Raises:
        ValueError: a window larger than the padded input, a non-positive kernel size or stride,
            or padding more than half the kernel.

    Example:
        >>> import gradkit as gk
        >>> x = gk.arange(16.0).reshape(1, 1, 4, 4)
        >>> max_pool2d(x, 2).reshape(-1).tolist()
        [5.0, 7.0, 13.0, 15.0]
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2, "max_pool2d")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-D max pooling over (N, C, L), as ``torch.nn.functional.max_pool1d``.

    Args:
        input: (N, C, L) tensor, or (C, L).
        kernel_size: window length.
        stride: step between windows; defaults to ``kernel_size``.
        padding: implicit ``-inf`` padding, at most half the kernel.
        dilation: spacing between window elements.
        ceil_mode: round the output length up.
        return_indices: also return the argmax positions along L (int64).

    Returns:
        (N, C, Lo), or ``(pooled, indices)``.

    Raises:
        ValueError: as :func:`max_pool2d`.

    Example:
        >>> import gradkit as gk
        >>> max_pool1d(gk.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2).tolist()
        [[[3.0, 2.0]]]
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1, "max_pool1d")


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd, name):
    x, unbatched = _pool_input(input, nd, name)
    if divisor_override is not None and (not isinstance(divisor_override, numbers.Real) or divisor_override <= 0):
        raise ValueError(f"{name}: divisor_override must be a positive number, got {divisor_override!r}")
    g = _pool_geom(x, kernel_size, stride, padding, 1, ceil_mode, nd, name)
    div = _avg_divisor(get_array_module(x.array), g, x.dtype, count_include_pad, divisor_override)
    x4 = unsqueeze(x, 2) if nd == 1 else x
    return _pool_output(AvgPool2dOp(g, div)(x4), nd, unbatched)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """2-D average pooling over (N, C, H, W), as ``torch.nn.functional.avg_pool2d``.

    ``y[n, c, p, q] = (1/|window|) sum_{i, j} x_pad[n, c, p*sh + i, q*sw + j]``.

    Args:
        input: (N, C, H, W) tensor, or (C, H, W).
        kernel_size: int or (kh, kw).
        stride: defaults to ``kernel_size``.
        padding: zero padding on both sides, at most half the kernel.
        ceil_mode: round the output size up.
        count_include_pad: count the zero padding in the divisor (PyTorch's default True).
        divisor_override: divide every window by this number instead.

    Returns:
        The pooled tensor.

    Raises:
        ValueError: as :func:`max_pool2d`.

    Example:
        >>> import gradkit as gk
        >>> avg_pool2d(gk.arange(16.0).reshape(1, 1, 4, 4), 2).reshape(-1).tolist()
        [2.5, 4.5, 10.5, 12.5]
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2, "avg_pool2d")


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over (N, C, L), as ``torch.nn.functional.avg_pool1d``.

    Args:
        input: (N, C, L) tensor, or (C, L).
        kernel_size: window length.
        stride: defaults to ``kernel_size``.
        padding: zero padding on both sides, at most half the kernel.
        ceil_mode: round the output length up.
        count_include_pad: count the zero padding in the divisor.

    Returns:
        (N, C, Lo).

    Raises:
        ValueError: as :func:`max_pool2d`.

    Example:
        >>> import gradkit as gk
        >>> avg_pool1d(gk.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2).tolist()
        [[[2.0, 1.0]]]
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1, "avg_pool1d")


def _adaptive_matrix(xp, n_in: int, n_out: int, dtype):
    """(n_out, n_in) averaging matrix of adaptive pooling: bin i covers
    [floor(i*n_in/n_out), ceil((i+1)*n_in/n_out)), as PyTorch."""
    a = np.zeros((n_out, n_in), dtype=dtype)
    for i in range(n_out):
        start = (i * n_in) // n_out
        end = -(-((i + 1) * n_in) // n_out)
        a[i, start:end] = 1.0 / (end - start)
    return const(xp.asarray(a))


def _adaptive_sizes(output_size, spatial, name):
    nd = len(spatial)
    if isinstance(output_size, numbers.Integral) and not isinstance(output_size, bool):
        output_size = (int(output_size),) * nd
    if not isinstance(output_size, (tuple, list)) or len(output_size) != nd:
        raise TypeError(f"{name}: output_size must be an int or a tuple of {nd} ints (or None), got {output_size!r}")
    out = tuple(s if o is None else int(o) for o, s in zip(output_size, spatial))
    if any(o <= 0 for o in out):
        raise ValueError(f"{name}: output_size must be positive, got {tuple(output_size)}")
    return out


def adaptive_avg_pool2d(input, output_size) -> Tensor:
    """Adaptive average pooling to a fixed (oh, ow) output, as ``torch.nn.functional.adaptive_avg_pool2d``.

    Output cell i averages input rows ``floor(i*H/oh) .. ceil((i+1)*H/oh) - 1`` (and likewise
    for columns). The bins are separable, so the op is ``A_h @ x @ A_w.T`` with two small
    constant averaging matrices, composed from differentiable ops. ``output_size=1`` is global
    average pooling (a mean over H and W).

    Args:
        input: (N, C, H, W) tensor, or (C, H, W).
        output_size: int or (oh, ow); ``None`` in either keeps that input size.

    Returns:
        (N, C, oh, ow).

    Raises:
        ValueError: a non-positive output size or a wrong number of dimensions.

    Example:
        >>> import gradkit as gk
        >>> adaptive_avg_pool2d(gk.ones(2, 3, 5, 7), 1).shape
        (2, 3, 1, 1)
    """
    x = ensure_tensor(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"adaptive_avg_pool2d expected a 4-D input (N, C, H, W) (or 3-D), got shape {shape_str(x.shape)}")
    H, W = x.shape[-2:]
    oh, ow = _adaptive_sizes(output_size, (H, W), "adaptive_avg_pool2d")
    if (oh, ow) == (1, 1):
        return mean(x, dim=(-2, -1), keepdim=True)
    xp = get_array_module(x.array)
    y = x
    if ow != W:
        y = matmul(y, _adaptive_matrix(xp, W, ow, x.dtype).T)
    if oh != H:
        y = matmul(_adaptive_matrix(xp, H, oh, x.dtype), y)
    return y


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    """Adaptive average pooling over (N, C, L) to ``output_size`` bins, as PyTorch.

    Args:
        input: (N, C, L) tensor, or (C, L).
        output_size: the output length.

    Returns:
        (N, C, output_size).

    Raises:
        ValueError: a non-positive output size or a wrong number of dimensions.

    Example:
        >>> import gradkit as gk
        >>> adaptive_avg_pool1d(gk.tensor([[[1.0, 2.0, 3.0, 4.0]]]), 2).tolist()
        [[[1.5, 3.5]]]
    """
    x = ensure_tensor(input)
    if x.ndim not in (2, 3):
        raise ValueError(f"adaptive_avg_pool1d expected a 3-D input (N, C, L) (or 2-D), got shape {shape_str(x.shape)}")
    L = x.shape[-1]
    (o,) = _adaptive_sizes(output_size, (L,), "adaptive_avg_pool1d")
    if o == 1:
        return mean(x, dim=-1, keepdim=True)
    if o == L:
        return x
    return matmul(x, _adaptive_matrix(get_array_module(x.array), L, o, x.dtype).T)


def global_avg_pool2d(input, keepdim: bool = False) -> Tensor:
    """Global average pooling: the mean over H and W of an (N, C, H, W) input.

    (Lin et al., "Network In Network", 2013: one number per feature map replaces a dense head.)

    Args:
        input: (N, C, H, W) tensor.
        keepdim: keep H and W as size 1 (as ``adaptive_avg_pool2d(x, 1)``); default returns (N, C).

    Returns:
        (N, C), or (N, C, 1, 1) with ``keepdim=True``.

    Raises:
        ValueError: when the input is not 4-D.

    Example:
        >>> import gradkit as gk
        >>> global_avg_pool2d(gk.ones(2, 3, 4, 4)).shape
        (2, 3)
    """
    x = ensure_tensor(input)
    if x.ndim != 4:
        raise ValueError(f"global_avg_pool2d expected a 4-D input (N, C, H, W), got shape {shape_str(x.shape)}")
    return mean(x, dim=(2, 3), keepdim=keepdim)
