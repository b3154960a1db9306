"""Private kernels of the windowed ops: geometry, padding, im2col / col2im and the conv GEMMs.

Everything here works on raw arrays (NumPy or CuPy); the differentiable ops that use it live in
:mod:`gradkit.nn.functional.conv` and :mod:`gradkit.nn.functional.pool`.

im2col (Chellapilla et al., "High Performance Convolutional Neural Networks for Document
Processing", 2006)
-------------------------------------------------------------------------------------------
A 2-D convolution (cross-correlation) is

    y[n, o, p, q] = b[o] + sum_{c, i, j} W[o, c, i, j] * x_pad[n, c, p*sh + i*dh, q*sw + j*dw]

Gathering every receptive field into a column matrix with rows ``(c, i, j)`` and columns
``(n, p, q)`` turns it into one matrix product per group:

    col[(c, i, j), (n, p, q)] = x_pad[n, c, p*sh + i*dh, q*sw + j*dw]
    y[o, (n, p, q)] = W.reshape(O, C*kh*kw) @ col

``col`` is one copy of a zero-copy strided window view of the padded input (``as_strided``).
The product comes out as (O, N, P, Q) and is handed on as an (N, O, P, Q) *view* of that memory
("channel-major"), so no transpose is copied. The backward is two GEMMs on the same ``col``:

    dW = dy2 @ col.T            dcol = W2.T @ dy2           dx = col2im(dcol)

with ``dy2`` the (O, N*P*Q) matrix of ``dy`` (free for channel-major memory). ``col2im`` is the
adjoint of im2col: it adds the kh*kw kernel-offset slices of ``dcol`` into the strided
positions they came from (kh*kw vectorised slice adds, not a scatter with ``np.add.at``).

The stride-1 "padded-width" layout (:func:`_im2col_flat`) and the reusable scratch arrays
(:func:`_scratch`) are described where they are defined.
"""

from __future__ import annotations

import numbers
import threading

import numpy as np

from ...backend import get_array_module
from ...parallel import matmul as _gemm, parallel_for, parallel_pieces


# ----------------------------------------------------------------------------- geometry
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


def _cn_buffer(xp, g: _Geom, dtype):
    """A zeroed (N, C, Hp, Wp) array whose memory is laid out channel-major (C, N, Hp, Wp)."""
    return xp.zeros((g.C, g.N, g.Hp, g.Wp), dtype=dtype).transpose(1, 0, 2, 3)


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
    allocator has handed the memory back to the OS (glibc trims the heap top on free); reusing
    the big temporaries of the conv GEMMs avoids that (see ``benchmarks/NOTES.md``). One array
    per (name, shape, dtype) and thread; CuPy arrays are not kept (CuPy has its own memory pool).
    """
    if xp is not np:  # pragma: no cover - CuPy only
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
    in backward; in exchange im2col and col2im move long contiguous runs. It pays off when the
    column matrix is large next to the output (C*kh*kw >= 2*out_channels, e.g. 16->32 channels
    with a 3x3 kernel) and not for a 1-channel input layer (timings in ``benchmarks/NOTES.md``),
    so it is used only there, and only when the junk columns are at most half as many as the
    real ones.
    """
    return (g.sh == 1 and g.sw == 1 and 2 * (g.Wp - g.Wo) <= g.Wo
            and g.C * g.kh * g.kw >= 2 * out_channels)


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
    return _im2col_flat(x, g, ones) if g.flat else _im2col(x, g, ones)


def _dy_matrix(gy, g: _Geom):
    """``gy`` (N, O, Ho, Wo) as an (O, columns) matrix in the layout of :func:`_cols`: a free view
    for channel-major memory, or (padded-width layout) a copy with zeroed junk columns."""
    O = gy.shape[1]
    if not g.flat:
        return gy.transpose(1, 0, 2, 3).reshape(O, -1)
    xp = get_array_module(gy)
    ext = _scratch(xp, "dy", (O, g.N, g.Ho, g.Wp), gy.dtype)

    def fill(ext, gy_cn):
        ext[..., : g.Wo] = gy_cn
        ext[..., g.Wo:] = 0

    parallel_pieces(fill, (ext, gy.transpose(1, 0, 2, 3)), (0, 0))
    return ext.reshape(O, -1)


def _conv_forward(x, w, g: _Geom, b=None, col=None):
    """``conv(x, W) + b`` and the column matrix kept for the weight gradient (``col``: that
    matrix already made for ``x``, without the row of ones; then there must be no bias).

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
    if col is None:
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
    if g.flat:
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
    flat = g.flat
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
        else:  # pragma: no cover - CuPy only
            add(buf, xp.matmul(w2t, gy2), g)
    else:
        gcol = (w.reshape(G, O // G, -1).transpose(0, 2, 1) @ gy2.reshape(G, O // G, -1)).reshape(-1, gy2.shape[1])
        add(buf, gcol, g)
    if flat:
        planes = _flat_planes(buf, g)[:, :, g.pt: g.pt + g.H, g.pl: g.pl + g.W]
        return planes.transpose(1, 0, 2, 3)
    return _unpad(buf.transpose(1, 0, 2, 3), g)


