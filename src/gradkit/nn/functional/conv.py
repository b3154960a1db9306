"""Convolution and pooling as differentiable ops (NCHW / NCL layouts, PyTorch semantics).

Public functions: :func:`conv1d`, :func:`conv2d`, :func:`max_pool1d`, :func:`max_pool2d`,
:func:`avg_pool1d`, :func:`avg_pool2d`, :func:`adaptive_avg_pool1d`, :func:`adaptive_avg_pool2d`
and :func:`global_avg_pool2d`.

How convolution is computed (im2col + one GEMM)
------------------------------------------------
A 2-D convolution (cross-correlation, as in every deep-learning library) is

    y[n, o, p, q] = b[o] + sum_{c, i, j} W[o, c, i, j] * x_pad[n, c, p*sh + i*dh, q*sw + j*dw]

Gathering every receptive field into a matrix ("im2col", Chellapilla et al. 2006) turns it
into one matrix product. Here the column matrix has rows ``(c, i, j)`` and columns
``(n, p, q)``:

    col[(c, i, j), (n, p, q)] = x_pad[n, c, p*sh + i*dh, q*sw + j*dw]
    y[o, (n, p, q)] = W.reshape(O, C*kh*kw) @ col                (one GEMM; one per group)

``col`` is a single copy of a zero-copy strided window view of the padded input
(``as_strided``); no Python loop touches pixels. The product comes out as (O, N, P, Q) and is
returned as an (N, O, P, Q) *view* of that memory, so no transpose is copied: elementwise ops
(ReLU) and pooling keep that channel-major layout and the next layer's im2col and the backward
GEMMs read it without copies. Backward is two GEMMs on the same ``col`` (kept from forward):

    dW = dy2 @ col.T            dcol = W2.T @ dy2           dx = col2im(dcol)

where ``dy2`` is ``dy`` as an (O, N*P*Q) matrix (free when ``dy`` has the channel-major layout).
``col2im`` adds the kh*kw kernel-offset slices of ``dcol`` into the strided positions they came
from: kh*kw vectorised slice adds instead of a scatter with ``np.add.at``.

Higher-order gradients: the three linear maps conv(x, W), its input gradient
``conv_grad_input(dy, W)`` and its weight gradient ``conv_grad_weight(x, dy)`` are each an
:class:`~gradkit.autograd.function.Op` whose backward is written with the other two, so
``create_graph=True`` (Hessians, gradient penalties) works through convolutions. When no graph
is asked for (the common path) the conv backward runs fused on raw arrays, sharing ``dy2``.

Pooling works the same way on kernel-offset slices: max pooling keeps a running maximum over
the kh*kw strided slices and saves the winning offset (argmax, one small integer per output) for
the backward scatter; average pooling sums the slices. Their backward maps are again ops whose
backward is the forward gather, so they are differentiable to any order.

Example:
    >>> import gradkit as gk
    >>> from gradkit.nn.functional import conv2d, max_pool2d
    >>> x = gk.randn(2, 3, 8, 8)
    >>> w = gk.randn(4, 3, 3, 3, requires_grad=True)
    >>> y = max_pool2d(conv2d(x, w, padding=1), 2)
    >>> y.shape
    (2, 4, 4, 4)
"""

from __future__ import annotations

import numbers
import threading

import numpy as np

from ...autograd.function import Op
from ...backend import get_array_module
from ...ops import mean, squeeze, sum as _sum, unsqueeze
from ...ops._util import const, ensure_tensor, shape_str
from ...ops.linalg import matmul
from ...parallel import matmul as _gemm, parallel_for, parallel_pieces
from ...tensor import Tensor

__all__ = [
    "conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "global_avg_pool2d", "conv_output_size",
]


# ----------------------------------------------------------------------------- argument helpers
def _tuple(value, n: int, what: str, name: str) -> tuple:
    """An int or a length-n sequence of ints as an n-tuple of Python ints."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and len(value) == n and all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value
    ):
        return tuple(int(v) for v in value)
    raise TypeError(f"{name}: {what} must be an int or a tuple of {n} ints, got {value!r}")


def _check_positive(values: tuple, what: str, name: str) -> None:
    if any(v <= 0 for v in values):
        raise ValueError(f"{name}: {what} must be positive, got {values if len(values) > 1 else values[0]}")


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length of a convolution or pooling along one dimension (floor mode).

    ``floor((size + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1``

    Args:
        size: input length.
        kernel: kernel length.
        stride: step between windows.
        padding: zeros added on each side.
        dilation: spacing between kernel taps.

    Returns:
        The output length (may be <= 0 when the kernel does not fit).

    Example:
        >>> conv_output_size(28, 3, padding=1)
        28
    """
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


class _Geom:
    """Everything about one windowed op over (N, C, H, W): kernel, strides, pads, output size."""

    __slots__ = ("N", "C", "H", "W", "kh", "kw", "sh", "sw", "dh", "dw", "pt", "pb", "pl", "pr", "Ho", "Wo", "groups", "flat")

    def __init__(self, shape, kernel, stride, dilation, pads, out=None, groups=1):
        self.N, self.C, self.H, self.W = shape
        self.kh, self.kw = kernel
        self.sh, self.sw = stride
        self.dh, self.dw = dilation
        self.pt, self.pb, self.pl, self.pr = pads
        self.groups = groups
        self.flat = False  # stride-1 padded-width convolution layout (set by _conv_nd, see _use_flat)
        if out is None:
            out = (
                (self.H + self.pt + self.pb - self.dh * (self.kh - 1) - 1) // self.sh + 1,
                (self.W + self.pl + self.pr - self.dw * (self.kw - 1) - 1) // self.sw + 1,
            )
        self.Ho, self.Wo = out

    @property
    def Hp(self) -> int:
        return self.H + self.pt + self.pb

    @property
    def Wp(self) -> int:
        return self.W + self.pl + self.pr

    @property
    def padded(self) -> bool:
        return bool(self.pt or self.pb or self.pl or self.pr)

    def offsets(self):
        """For every kernel offset (i, j): its flat index and the (rows, cols) slices of the
        padded input that the offset reads at all output positions."""
        hspan = self.sh * (self.Ho - 1) + 1
        wspan = self.sw * (self.Wo - 1) + 1
        k = 0
        for i in range(self.kh):
            r = slice(i * self.dh, i * self.dh + hspan, self.sh)
            for j in range(self.kw):
                yield k, r, slice(j * self.dw, j * self.dw + wspan, self.sw)
                k += 1

    def overlapping(self) -> bool:
        """True when two windows can share an input position."""
        return self.sh < self.dh * (self.kh - 1) + 1 or self.sw < self.dw * (self.kw - 1) + 1


def _cn_buffer(xp, g: _Geom, dtype, fill=None):
    """An (N, C, Hp, Wp) array whose memory is laid out channel-major (C, N, Hp, Wp)."""
    shape = (g.C, g.N, g.Hp, g.Wp)
    buf = xp.zeros(shape, dtype=dtype) if fill is None or fill == 0 else xp.full(shape, fill, dtype=dtype)
    return buf.transpose(1, 0, 2, 3)


def _pad(x, g: _Geom, value=0):
    """``x`` padded by ``g``'s pads with ``value`` (``x`` itself when there is no padding)."""
    if not g.padded:
        return x
    xp = get_array_module(x)
    buf = xp.empty((g.C, g.N, g.Hp, g.Wp), dtype=x.dtype).transpose(1, 0, 2, 3)
    Hp, Wp = g.Hp, g.Wp
    if g.pt:
        buf[:, :, : g.pt] = value
    if g.pb:
        buf[:, :, Hp - g.pb:] = value
    if g.pl:
        buf[:, :, :, : g.pl] = value
    if g.pr:
        buf[:, :, :, Wp - g.pr:] = value
    parallel_pieces(xp.copyto, (buf[:, :, g.pt: g.pt + g.H, g.pl: g.pl + g.W], x), (0, 0))
    return buf


def _unpad(buf, g: _Geom):
    if not g.padded:
        return buf
    return buf[:, :, g.pt: g.pt + g.H, g.pl: g.pl + g.W]


# ----------------------------------------------------------------------------- convolution kernels
_scratch_local = threading.local()


def _scratch(xp, name: str, shape, dtype):
    """A reusable NumPy work array for a temporary that never leaves the function using it.

    Fresh multi-megabyte arrays cost a page fault per 4 KiB on first touch whenever the C
    allocator has handed the memory back to the OS (glibc trims the heap top on free), which
    on the benchmark CNN was milliseconds per step; reusing the big temporaries of the conv
    GEMMs avoids that. One array per (name, shape, dtype) and thread; CuPy arrays are not kept
    (CuPy has its own memory pool).
    """
    if xp is not np:
        return xp.empty(shape, dtype=dtype)
    cache = getattr(_scratch_local, "arrays", None)
    if cache is None:
        cache = _scratch_local.arrays = {}
    key = (name, tuple(shape), np.dtype(dtype))
    arr = cache.get(key)
    if arr is None:
        if len(cache) >= 16:  # many geometries in turn: start over rather than grow without bound
            cache.clear()
        arr = cache[key] = np.empty(shape, dtype=dtype)
    return arr


def _use_flat(g: _Geom, out_channels: int) -> bool:
    """Whether a convolution uses the stride-1 "padded-width" layout (see :func:`_im2col_flat`).

    That layout computes ``Wp - Wo`` junk columns per output row (the output is a strided view
    that skips them, so the next op reads a little more memory) and pays a padded copy of ``dy``
    in backward; in exchange im2col and col2im move long contiguous runs. Measured on the benchmark CNN it wins when the column matrix is large
    next to the output (C*kh*kw >= 2*out_channels: 16->32 channels, 3x3) and loses for a
    1-channel input layer, so it is used only there, and only when the junk columns are at most
    half as many as the real ones.
    """
    return (g.sh == 1 and g.sw == 1 and 2 * (g.Wp - g.Wo) <= g.Wo
            and g.C * g.kh * g.kw >= 2 * out_channels)


def _flat(g: _Geom) -> bool:
    return g.flat


def _col_matrix(xp, rows: int, cols: int, dtype, ones: bool):
    """An empty (rows, cols) column matrix, or with ``ones`` a (rows + 1, cols) one whose last
    row is ones (the bias rides in the GEMM; see :func:`_conv_forward`)."""
    col = xp.empty((rows + 1 if ones else rows, cols), dtype=dtype)
    if ones:
        col[rows] = 1
    return col


def _im2col(x, g: _Geom, ones: bool = False):
    """(C*kh*kw, N*Ho*Wo) column matrix of the receptive fields of ``x`` (one copy of a strided
    view); with ``ones`` a last row of ones is added."""
    xp = get_array_module(x)
    xpad = _pad(x, g)
    sN, sC, sH, sW = xpad.strides
    view = xp.lib.stride_tricks.as_strided(
        xpad,
        shape=(g.C, g.kh, g.kw, g.N, g.Ho, g.Wo),
        strides=(sC, sH * g.dh, sW * g.dw, sN, sH * g.sh, sW * g.sw),
    )
    colx = _col_matrix(xp, g.C * g.kh * g.kw, g.N * g.Ho * g.Wo, x.dtype, ones)
    col = colx[: g.C * g.kh * g.kw].reshape(view.shape)
    parallel_pieces(xp.copyto, (col, view), (3, 3))  # split over the batch
    return colx


def _col2im_add(buf, gcol, g: _Geom):
    """Add the column rows ``gcol`` ((c*kh*kw, N*Ho*Wo), for c channels) back where
    :func:`_im2col` read them, into ``buf`` ((c, N, Hp, Wp), padded planes of those channels):
    kh*kw vectorised slice adds instead of a scatter with ``np.add.at``."""
    gcol6 = gcol.reshape(buf.shape[0], g.kh, g.kw, g.N, g.Ho, g.Wo)
    hspan = g.sh * (g.Ho - 1) + 1
    wspan = g.sw * (g.Wo - 1) + 1
    for i in range(g.kh):
        r = slice(i * g.dh, i * g.dh + hspan, g.sh)
        for j in range(g.kw):
            buf[:, :, r, j * g.dw: j * g.dw + wspan: g.sw] += gcol6[:, i, j]


# Stride-1 convolutions in the "padded-width" layout. Each padded plane is a flat vector of
# Hp*Wp values; output position (p, q) and kernel offset (i, j) read flat element
# p*Wp + q + (i*dh*Wp + j*dw). Letting q run over the whole padded width Wp (the last Wp - Wo
# columns of every output row are junk, dropped afterwards) makes the column of offset (i, j)
# for image n ONE contiguous run of Ho*Wp values starting at i*dh*Wp + j*dw, so im2col copies
# C*kh*kw*N long runs instead of C*kh*kw*N*Ho rows of Wo values, and col2im adds long runs.
def _flat_buffer(xp, g: _Geom, dtype):
    """A zeroed (C, N*Hp*Wp + tail) buffer: padded planes, channel-major, plus room for the
    last plane's junk reads."""
    return xp.zeros((g.C, g.N * g.Hp * g.Wp + (g.kw - 1) * g.dw), dtype=dtype)


def _flat_planes(buf, g: _Geom):
    """The (C, N, Hp, Wp) padded planes of a flat buffer (a view)."""
    return buf[:, : g.N * g.Hp * g.Wp].reshape(-1, g.N, g.Hp, g.Wp)


def _im2col_flat(x, g: _Geom, ones: bool = False):
    """(C*kh*kw, N*Ho*Wp) column matrix in the padded-width layout (stride 1); with ``ones`` a
    last row of ones is added."""
    xp = get_array_module(x)
    buf = xp.empty((g.C, g.N * g.Hp * g.Wp + (g.kw - 1) * g.dw), dtype=x.dtype)
    it = buf.itemsize
    L = g.Ho * g.Wp
    view = xp.lib.stride_tricks.as_strided(
        buf,
        shape=(g.C, g.kh, g.kw, g.N, L),
        strides=(buf.strides[0], g.dh * g.Wp * it, g.dw * it, g.Hp * g.Wp * it, it),
    )
    colx = _col_matrix(xp, g.C * g.kh * g.kw, g.N * L, x.dtype, ones)
    col = colx[: g.C * g.kh * g.kw].reshape(view.shape)

    def fill(buf, x_cn, view, col):  # one piece of the channels: pad, then gather the columns
        buf[...] = 0
        _flat_planes(buf, g)[:, :, g.pt: g.pt + g.H, g.pl: g.pl + g.W] = x_cn
        col[...] = view

    parallel_pieces(fill, (buf, x.transpose(1, 0, 2, 3), view, col), (0, 0, 0, 0), min_size=1 << 13)
    return colx


def _col2im_flat_add(buf, gcol, g: _Geom):
    """Adjoint of :func:`_im2col_flat` for c channels: add the column rows ``gcol``
    ((c*kh*kw, N*Ho*Wp), junk columns zero) into the flat buffer rows ``buf`` of those channels."""
    xp = get_array_module(gcol)
    L = g.Ho * g.Wp
    gcol5 = gcol.reshape(buf.shape[0], g.kh, g.kw, g.N, L)
    it = buf.itemsize
    shape = (buf.shape[0], g.N, L)
    strides = (buf.strides[0], g.Hp * g.Wp * it, it)
    for i in range(g.kh):
        for j in range(g.kw):
            s = i * g.dh * g.Wp + j * g.dw
            run = xp.lib.stride_tricks.as_strided(buf[:, s:], shape=shape, strides=strides)
            run += gcol5[:, i, j]


def _cols(x, g: _Geom, ones: bool = False):
    """The column matrix of ``x`` in the layout this geometry uses (``ones``: plus a row of ones)."""
    return _im2col_flat(x, g, ones) if _flat(g) else _im2col(x, g, ones)


def _dy_matrix(gy, g: _Geom):
    """``gy`` (N, O, Ho, Wo) as an (O, columns) matrix in the layout of :func:`_cols`: a free view
    for channel-major memory, or (padded-width layout) a copy with zeroed junk columns."""
    O = gy.shape[1]
    if not _flat(g):
        return gy.transpose(1, 0, 2, 3).reshape(O, -1)
    xp = get_array_module(gy)
    ext = _scratch(xp, "dy", (O, g.N, g.Ho, g.Wp), gy.dtype)

    def fill(ext, gy_cn):
        ext[..., : g.Wo] = gy_cn
        ext[..., g.Wo:] = 0

    parallel_pieces(fill, (ext, gy.transpose(1, 0, 2, 3)), (0, 0))
    return ext.reshape(O, -1)


def _conv_forward(x, w, g: _Geom, b=None):
    """``conv(x, W) + b`` and the column matrix kept for the weight gradient.

    With one group the bias rides in the GEMM: the column matrix gets a last row of ones and
    ``W`` a last column ``b`` (the backward then reads ``db`` off the weight-gradient GEMM's
    last column), which saves a pass over the output. In the padded-width layout the result
    is returned as a strided view that skips the junk columns, instead of being compacted
    (the next op reads it once anyway; a pass saved again).
    """
    xp = get_array_module(x)
    O = w.shape[0]
    G = g.groups
    ones = G == 1 and b is not None
    col = _cols(x, g, ones)
    if G == 1:
        w2 = w.reshape(O, -1)
        if ones:
            w2 = xp.concatenate([w2, b.reshape(O, 1).astype(w2.dtype, copy=False)], axis=1)
        y = _gemm(w2, col)
    else:
        y = (w.reshape(G, O // G, -1) @ col.reshape(G, -1, col.shape[1])).reshape(O, -1)
        if b is not None:
            parallel_pieces(xp.add, (y, b.reshape(O, 1), y), (0, 0, 0))
    if _flat(g):
        return y.reshape(O, g.N, g.Ho, g.Wp)[..., : g.Wo].transpose(1, 0, 2, 3), col
    return y.reshape(O, g.N, g.Ho, g.Wo).transpose(1, 0, 2, 3), col


def _conv_grad_weight(col, gy2, wshape, G: int):
    if G == 1:
        return _gemm(gy2, col.T).reshape(wshape)
    O = wshape[0]
    npix = gy2.shape[1]
    gw = gy2.reshape(G, O // G, npix) @ col.reshape(G, -1, npix).transpose(0, 2, 1)
    return gw.reshape(wshape)


def _conv_grad_input(w, gy2, g: _Geom):
    """``dx`` from ``dy`` (as the (O, columns) matrix ``gy2``): ``col2im(W^T @ dy)``.

    With one group the channels are split over the intra-op threads, and each thread makes its
    channels' rows of ``W^T @ dy`` (a few megabytes at a time) and adds them back at once: the
    product and the col2im run in parallel, with no shared column matrix in between.
    """
    xp = get_array_module(gy2)
    O = w.shape[0]
    G = g.groups
    flat = _flat(g)
    add = _col2im_flat_add if flat else _col2im_add
    buf = _flat_buffer(xp, g, gy2.dtype) if flat else xp.zeros((g.C, g.N, g.Hp, g.Wp), dtype=gy2.dtype)
    kk = g.kh * g.kw
    if G == 1:
        w2t = w.reshape(O, -1).T
        if w2t.dtype != gy2.dtype:
            w2t = w2t.astype(gy2.dtype)
        chunk = max(1, (1 << 20) // max(1, kk * gy2.shape[1]))  # channels per ~4 MB of float32

        def piece(c0, c1):
            for c in range(c0, c1, chunk):
                ce = min(c1, c + chunk)
                add(buf[c:ce], xp.matmul(w2t[c * kk: ce * kk], gy2), g)

        if xp is np:
            parallel_for(g.C, piece)
        else:
            add(buf, xp.matmul(w2t, gy2), g)
    else:
        gcol = (w.reshape(G, O // G, -1).transpose(0, 2, 1) @ gy2.reshape(G, O // G, -1)).reshape(-1, gy2.shape[1])
        add(buf, gcol, g)
    if flat:
        planes = _flat_planes(buf, g)[:, :, g.pt: g.pt + g.H, g.pl: g.pl + g.W]
        return planes.transpose(1, 0, 2, 3)
    return _unpad(buf.transpose(1, 0, 2, 3), g)


class Conv2dOp(Op):
    """``conv2d(x, W, b)`` as one op: im2col + one GEMM forward, two GEMMs + col2im backward.

    The column matrix is kept from forward for the weight gradient. With
    ``create_graph=True`` backward is built from :class:`Conv2dGradInput` and
    :class:`Conv2dGradWeight`, so it can be differentiated again.
    """

    def __init__(self, geom: _Geom):
        self.g = geom

    def forward(self, x, w, b=None):
        y, self.col = _conv_forward(x, w, self.g, b)
        # with one group and a bias, the column matrix ends with the row of ones of the bias
        self.ones = b is not None and self.g.groups == 1
        return y

    def backward(self, gy):
        x, w = self.inputs[0], self.inputs[1]
        need = self.needs_input_grad
        has_b = len(self.inputs) > 2
        col = self.col[:-1] if self.ones else self.col  # the receptive fields alone
        if self.create_graph:  # a graph of the backward is asked for: differentiable pieces
            gx = Conv2dGradInput(self.g)(gy, w) if need[0] else None
            gw = Conv2dGradWeight(self.g, col)(x, gy) if need[1] else None
            gb = _sum(gy, dim=(0, 2, 3)) if has_b and need[2] else None
        else:  # fused on raw arrays, sharing dy2
            gy2 = _dy_matrix(gy.data, self.g)
            gx = const(_conv_grad_input(w.data, gy2, self.g)) if need[0] else None
            gw = gb = None
            if need[1] and self.ones:  # [dW | db] in one GEMM, over the row of ones too
                full = _gemm(gy2, self.col.T)
                gw = const(full[:, :-1].reshape(w.shape))
                gb = const(full[:, -1].copy()) if need[2] else None
            elif need[1]:
                gw = const(_conv_grad_weight(col, gy2, w.shape, self.g.groups))
            if has_b and need[2] and gb is None:
                gb = const(gy2.sum(axis=1))
        return (gx, gw, gb) if has_b else (gx, gw)


class Conv2dGradInput(Op):
    """``dx = conv_grad_input(dy, W)``: the adjoint of conv2d in ``x`` (a transposed convolution)."""

    def __init__(self, geom: _Geom):
        self.g = geom

    def forward(self, gy, w):
        return _conv_grad_input(w, _dy_matrix(gy, self.g), self.g)

    def backward(self, ggx):
        gy, w = self.inputs
        need = self.needs_input_grad
        d_gy = Conv2dOp(self.g)(ggx, w) if need[0] else None
        d_w = Conv2dGradWeight(self.g)(ggx, gy) if need[1] else None
        return d_gy, d_w


class Conv2dGradWeight(Op):
    """``dW = conv_grad_weight(x, dy)``: the gradient of conv2d in its weight (bilinear in x, dy)."""

    def __init__(self, geom: _Geom, col=None):
        self.g = geom
        self.col = col

    def forward(self, x, gy):
        col = self.col if self.col is not None else _cols(x, self.g)
        self.col = None
        O = gy.shape[1]
        wshape = (O, self.g.C // self.g.groups, self.g.kh, self.g.kw)
        return _conv_grad_weight(col, _dy_matrix(gy, self.g), wshape, self.g.groups)

    def backward(self, ggw):
        x, gy = self.inputs
        need = self.needs_input_grad
        d_x = Conv2dGradInput(self.g)(gy, ggw) if need[0] else None
        d_gy = Conv2dOp(self.g)(x, ggw) if need[1] else None
        return d_x, d_gy


def _same_pads(kernel, dilation):
    """Per-side pads for padding='same' (stride 1): the odd extra zero goes to the end, as in PyTorch."""
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return pads


def _conv_nd(input, weight, bias, stride, padding, dilation, groups, nd: int, name: str) -> Tensor:
    x = ensure_tensor(input)
    if not isinstance(weight, Tensor):
        weight = ensure_tensor(weight)
    layout = "(N, C, L)" if nd == 1 else "(N, C, H, W)"
    if weight.ndim != nd + 2:
        raise ValueError(
            f"{name}: weight must have {nd + 2} dimensions (out_channels, in_channels/groups, "
            f"{'kernel' if nd == 1 else 'kh, kw'}), got shape {shape_str(weight.shape)}"
        )
    if x.ndim not in (nd + 1, nd + 2):
        raise ValueError(
            f"{name} expected a {nd + 2}-D input {layout} (or {nd + 1}-D without the batch), "
            f"got shape {shape_str(x.shape)}"
        )
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = unsqueeze(x, 0)
    if not isinstance(groups, numbers.Integral) or groups <= 0:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
    groups = int(groups)
    O, Cg = weight.shape[0], weight.shape[1]
    C = x.shape[1]
    if O % groups:
        raise ValueError(f"{name}: out_channels ({O}) must be divisible by groups ({groups})")
    if C != Cg * groups:
        raise ValueError(
            f"{name} expected {Cg * groups} input channels, got {C} (input shape {shape_str(tuple(input.shape))}; "
            f"weight shape {shape_str(weight.shape)}, groups={groups})"
        )
    if bias is not None:
        bias = ensure_tensor(bias)
        if bias.shape != (O,):
            raise ValueError(f"{name}: bias must have shape ({O},), got {shape_str(bias.shape)}")
    stride = _tuple(stride, nd, "stride", name)
    dilation = _tuple(dilation, nd, "dilation", name)
    _check_positive(stride, "stride", name)
    _check_positive(dilation, "dilation", name)
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions (stride={stride})")
            pads = _same_pads(kernel, dilation)
        else:
            raise ValueError(f"{name}: padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
    else:
        p = _tuple(padding, nd, "padding", name)
        if any(v < 0 for v in p):
            raise ValueError(f"{name}: padding must be non-negative, got {p if nd > 1 else p[0]}")
        pads = [(v, v) for v in p]
    spatial = tuple(x.shape[2:])
    for d in range(nd):
        eff = dilation[d] * (kernel[d] - 1) + 1
        padded = spatial[d] + pads[d][0] + pads[d][1]
        if eff > padded:
            raise ValueError(
                f"{name}: kernel size {kernel if nd > 1 else kernel[0]} (dilated extent {eff}) is larger than the "
                f"padded input size {padded} in spatial dimension {d} (input shape {shape_str(tuple(input.shape))}, "
                f"padding {tuple(pads[d])})"
            )
    if weight.dtype != x.dtype:
        x = x.to(weight.dtype)
    if bias is not None and bias.dtype != weight.dtype:
        bias = bias.to(weight.dtype)
    if nd == 1:
        x4 = unsqueeze(x, 2)
        w4 = unsqueeze(weight, 2)
        geom = _Geom((x.shape[0], C, 1, spatial[0]), (1, kernel[0]), (1, stride[0]), (1, dilation[0]),
                     (0, 0) + tuple(pads[0]), groups=groups)
    else:
        x4, w4 = x, weight
        geom = _Geom(tuple(x.shape), kernel, stride, dilation, tuple(pads[0]) + tuple(pads[1]), groups=groups)
    geom.flat = _use_flat(geom, O)
    args = (x4, w4) if bias is None else (x4, w4, bias)
    y = Conv2dOp(geom)(*args)
    if nd == 1:
        y = squeeze(y, 2)
    if unbatched:
        y = squeeze(y, 0)
    return y


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-D convolution (cross-correlation) over an (N, C, H, W) input, as ``torch.nn.functional.conv2d``.

    ``y[n, o] = b[o] + sum_c W[o, c] (*) x_pad[n, g(o)*C/groups + c]`` with stride and dilation,
    computed as im2col + one GEMM per group (see the module docstring).

    Args:
        input: (N, C, H, W) tensor, or (C, H, W) for a single image.
        weight: (out_channels, C/groups, kh, kw) tensor.
        bias: optional (out_channels,) tensor.
        stride: int or (sh, sw), positive.
        padding: int, (ph, pw), ``'valid'`` (no padding) or ``'same'`` (output size = input size,
            stride 1 only; an odd total pad puts the extra zero at the bottom/right, as PyTorch).
        dilation: int or (dh, dw): spacing between kernel taps.
        groups: split the channels into this many independent convolutions
            (``groups == C`` is a depthwise convolution).

    Returns:
        (N, out_channels, Ho, Wo) with ``Ho = floor((H + 2ph - dh(kh-1) - 1)/sh) + 1``.

    Raises:
        ValueError: wrong number of input channels (naming the input shape), a kernel larger
            than the padded input, a non-positive stride/dilation, negative padding, channels not
            divisible by ``groups``, or padding='same' with a stride.

    Example:
        >>> import gradkit as gk
        >>> conv2d(gk.ones(1, 1, 4, 4), gk.ones(1, 1, 3, 3), padding=1)[0, 0, 0].tolist()
        [4.0, 6.0, 6.0, 4.0]
    """
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-D convolution over an (N, C, L) input, as ``torch.nn.functional.conv1d``.

    Runs the 2-D convolution kernel with a height of 1.

    Args:
        input: (N, C, L) tensor, or (C, L) for a single sequence.
        weight: (out_channels, C/groups, k) tensor.
        bias: optional (out_channels,) tensor.
        stride: positive int (or 1-tuple).
        padding: int, ``'valid'`` or ``'same'`` (stride 1 only).
        dilation: positive int.
        groups: number of channel groups.

    Returns:
        (N, out_channels, Lo) with ``Lo = floor((L + 2p - d(k-1) - 1)/s) + 1``.

    Raises:
        ValueError: as :func:`conv2d`.

    Example:
        >>> import gradkit as gk
        >>> conv1d(gk.ones(1, 1, 5), gk.ones(1, 1, 3)).tolist()
        [[[3.0, 3.0, 3.0]]]
    """
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


# ----------------------------------------------------------------------------- pooling
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
                # copy, copyto(where=), is ~40x slower in NumPy)
                xp.maximum(idx, take.view(xp.uint8) * idx.dtype.type(k), out=idx)
                cur, nxt = nxt, cur
            if m.dtype.kind == "f" and K > 1 and bool(xp.isnan(m).any()):
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
            # walk both layouts at once (measured 3x slower)
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
    div = _avg_divisor(get_array_module(x.data), g, x.dtype, count_include_pad, divisor_override)
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
    xp = get_array_module(x.data)
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
    return matmul(x, _adaptive_matrix(get_array_module(x.data), L, o, x.dtype).T)


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

