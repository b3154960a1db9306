"""Convolution as a differentiable op (NCHW / NCL layouts, PyTorch semantics).

Public functions: :func:`conv1d`, :func:`conv2d` and :func:`conv_output_size`. The pooling
functions that used to live here are in :mod:`gradkit.nn.functional.pool` and stay importable
from this module.

A convolution is computed as im2col + one GEMM per group; the kernels (geometry, padding,
im2col / col2im, the two backward GEMMs, the stride-1 padded-width layout) are in
:mod:`gradkit.nn.functional._im2col`, whose docstring gives the math (Chellapilla et al. 2006).

One derivative per op:

* :class:`Conv2dOp` is a :class:`~gradkit.autograd.function.FusedOp`. Its first derivative is
  written once on raw arrays (``backward_arrays``: ``dW = dy2 @ col.T``,
  ``dx = col2im(W2.T @ dy2)``, ``db`` from the same GEMM as ``dW`` when the bias rides in it,
  all sharing ``dy2``). Its ``composite`` is the same convolution from differentiable
  primitives, ``ConvLinear(x, W, b)``, so with ``create_graph=True`` (Hessians, gradient
  penalties) every higher derivative comes from the primitives' rules.
* The primitives are the three linear maps of a convolution, each a plain op whose one rule
  is written with the other two: :class:`ConvLinear` ``conv(x, W)``, :class:`ConvGradInput`
  ``col2im(W2^T @ dy2)`` (its adjoint in ``x``) and :class:`ConvGradWeight`
  ``dy2 @ im2col(x)^T`` (its adjoint in ``W``). They run the same im2col / col2im / GEMM kernels
  as the fused op, in either column layout.

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
import weakref

import numpy as np

from ...autograd.function import FusedOp, Op
from ...backend import get_array_module
from ...ops import squeeze, sum as _sum, unsqueeze
from ...ops._util import ensure_tensor, shape_str
from ...parallel import matmul as _gemm
from ...tensor import Tensor
from . import _cudnn
from ._im2col import (
    _check_positive, _cols, _conv_forward, _conv_grad_input, _conv_grad_weight, _dy_matrix, _Geom, _tuple, _use_flat,
)
from .pool import (  # noqa: F401  (kept importable from here, where they used to live)
    adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d, global_avg_pool2d, max_pool1d, max_pool2d,
)

__all__ = ["conv1d", "conv2d", "conv_output_size"]


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


# ----------------------------------------------------------------------------- the ops
def _gone():  # pragma: no cover - for array types without weak references (see Conv2dOp.forward)
    """A dead weak reference."""
    return None


class Conv2dOp(FusedOp):
    """``conv2d(x, W, b)`` fused: im2col + one GEMM forward, two GEMMs + col2im backward.

    The column matrix is kept from forward for the weight gradient. The first derivative is
    :meth:`backward_arrays` on raw arrays; a graph of the backward (``create_graph=True``) is the
    derivative of :meth:`composite`, so higher derivatives come from the primitives' rules.

    Args:
        geom: the convolution geometry (groups and layout included).
    """

    def __init__(self, geom: _Geom):
        self.g = geom

    def forward(self, x, w, b=None):
        xp = get_array_module(x)
        self.cudnn = None if xp is np else _cudnn.cudnn_for(xp, self.g, x.dtype)
        if self.cudnn is not None:  # pragma: no cover - CuPy with cuDNN on a GPU
            self.col, self.ones = None, False
            self.x = x  # cuDNN's weight gradient reads the input itself (no column matrix)
            y = _cudnn.forward(self.cudnn, xp, x, w, b, self.g)
        else:
            y, self.col = _conv_forward(x, w, self.g, b)
            # with one group and a bias, the column matrix ends with the row of ones of the bias
            self.ones = b is not None and self.g.groups == 1
        try:
            self.out = weakref.ref(y)  # for the composite, while the output is alive
        except TypeError:  # pragma: no cover - an array type without weak references
            self.out = _gone
        return y

    def backward_arrays(self, gy):
        """``(dx, dW[, db])`` on raw arrays, sharing ``dy2`` (``dy`` as an (O, columns) matrix)."""
        w = self.inputs[1].array
        need = self.needs_input_grad
        has_b = len(need) > 2
        if self.cudnn is not None:  # pragma: no cover - CuPy with cuDNN on a GPU
            gx, gw, gb = _cudnn.backward(self.cudnn, get_array_module(gy), self.x, w, gy, self.g, need)
            return (gx, gw, gb) if has_b else (gx, gw)
        gy2 = _dy_matrix(gy, self.g)
        gx = _conv_grad_input(w, gy2, self.g) if need[0] else None
        gw = gb = None
        if need[1] and self.ones:  # [dW | db] in one GEMM, over the row of ones too
            full = _gemm(gy2, self.col.T)
            gw = full[:, :-1].reshape(w.shape)
            gb = full[:, -1].copy() if need[2] else None
        elif need[1]:
            col = self.col[:-1] if self.ones else self.col  # the receptive fields alone
            gw = _conv_grad_weight(col, gy2, w.shape, self.g.groups)
        if has_b and need[2] and gb is None:
            gb = gy2.sum(axis=1)
        return (gx, gw, gb) if has_b else (gx, gw)

    def composite(self, x, w, b=None):
        """The same convolution from differentiable primitives, :class:`ConvLinear`.

        It reuses the forward's column matrix and, while it is alive, the forward's output
        array (the composite's value then costs nothing; only its graph is new).
        """
        if self.col is None:  # pragma: no cover - the forward ran in cuDNN: make the column matrix now
            self.col = _conv_forward(x.array, w.array, self.g)[1]
        col = self.col[:-1] if self.ones else self.col
        args = (x, w) if b is None else (x, w, b)
        return ConvLinear(self.g, col, self.out())(*args)


class ConvLinear(Op):
    """``y = conv(x, W) (+ b)`` as a plain op: bilinear in ``(x, W)`` (plus the bias).

    Its backward is one rule, ``(dx, dW, db) = (ConvGradInput(dy, W), ConvGradWeight(x, dy),
    sum(dy))``, and the rules of the three linear maps are written with each other (each is
    linear in each argument), so they are differentiable to any order. It is the composite of
    :class:`Conv2dOp`.

    Args:
        geom: the convolution geometry.
        col: the column matrix of ``x`` when the caller has it (skips the im2col).
        out: the output when the caller has it (skips the whole forward; :class:`Conv2dOp`
            passes its own, which is this op's value on the same inputs).
    """

    def __init__(self, geom: _Geom, col=None, out=None):
        self.g = geom
        self.col = col
        self.out = out

    def forward(self, x, w, b=None):
        y, self.out = self.out, None
        if y is None:
            y, self.col = _conv_forward(x, w, self.g, col=self.col)
            if b is not None:
                y = y + b.reshape(1, -1, 1, 1)
        return y

    def backward(self, gy):
        x, w = self.inputs[:2]
        need = self.needs_input_grad
        gx = ConvGradInput(self.g)(gy, w) if need[0] else None
        gw = ConvGradWeight(self.g, self.col)(x, gy) if need[1] else None
        if len(need) == 2:
            return gx, gw
        return gx, gw, (_sum(gy, dim=(0, 2, 3)) if need[2] else None)


class ConvGradInput(Op):
    """``dx = conv_grad_input(dy, W) = col2im(W2^T @ dy2)``: the adjoint of conv in ``x`` (a
    transposed convolution), linear in ``dy`` and in ``W``.

    Args:
        geom: the convolution geometry.
    """

    def __init__(self, geom: _Geom):
        self.g = geom

    def forward(self, gy, w):
        return _conv_grad_input(w, _dy_matrix(gy, self.g), self.g)

    def backward(self, ggx):
        gy, w = self.inputs
        need = self.needs_input_grad
        d_gy = ConvLinear(self.g)(ggx, w) if need[0] else None
        d_w = ConvGradWeight(self.g)(ggx, gy) if need[1] else None
        return d_gy, d_w


class ConvGradWeight(Op):
    """``dW = conv_grad_weight(x, dy) = dy2 @ im2col(x)^T``: the gradient of conv in its weight,
    linear in ``x`` and in ``dy``.

    Args:
        geom: the convolution geometry.
        col: the column matrix of ``x`` when the caller has it (skips the im2col).
    """

    def __init__(self, geom: _Geom, col=None):
        self.g = geom
        self.col = col

    def forward(self, x, gy):
        g = self.g
        col = self.col if self.col is not None else _cols(x, g)
        self.col = None
        wshape = (gy.shape[1], g.C // g.groups, g.kh, g.kw)
        return _conv_grad_weight(col, _dy_matrix(gy, g), wshape, g.groups)

    def backward(self, ggw):
        x, gy = self.inputs
        need = self.needs_input_grad
        d_x = ConvGradInput(self.g)(gy, ggw) if need[0] else None
        d_gy = ConvLinear(self.g)(x, ggw) if need[1] else None
        return d_x, d_gy


# ----------------------------------------------------------------------------- argument checks
def _same_pads(kernel, dilation):
    """Per-side pads for padding='same' (stride 1): the odd extra zero goes to the end, as in PyTorch."""
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return pads


def _check_shapes(input, x, weight, bias, groups, nd: int, name: str):
    """Validate the input, weight, bias and groups of a convolution.

    Returns:
        ``(groups, bias)``: groups as an int, the bias as a Tensor (or None).

    Raises:
        ValueError: a wrong number of dimensions or channels, or a wrong bias shape.
    """
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
    if not isinstance(groups, numbers.Integral) or groups <= 0:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
    groups = int(groups)
    O, Cg = weight.shape[0], weight.shape[1]
    C = x.shape[-nd - 1]
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
    return groups, bias


def _conv_pads(padding, stride, dilation, kernel, spatial, input_shape, nd: int, name: str):
    """Per-side pads ``[(before, after)] * nd`` from ``padding`` (int, tuple, 'same' or 'valid').

    Raises:
        ValueError: negative padding, an unknown string, 'same' with a stride, or a (dilated)
            kernel larger than the padded input.
    """
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
    for d in range(nd):
        eff = dilation[d] * (kernel[d] - 1) + 1
        padded = spatial[d] + pads[d][0] + pads[d][1]
        if eff > padded:
            raise ValueError(
                f"{name}: kernel size {kernel if nd > 1 else kernel[0]} (dilated extent {eff}) is larger than the "
                f"padded input size {padded} in spatial dimension {d} (input shape {shape_str(tuple(input_shape))}, "
                f"padding {tuple(pads[d])})"
            )
    return pads


def _conv_nd(input, weight, bias, stride, padding, dilation, groups, nd: int, name: str) -> Tensor:
    x = ensure_tensor(input)
    if not isinstance(weight, Tensor):
        weight = ensure_tensor(weight)
    groups, bias = _check_shapes(input, x, weight, bias, groups, nd, name)
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = unsqueeze(x, 0)
    stride = _tuple(stride, nd, "stride", name)
    dilation = _tuple(dilation, nd, "dilation", name)
    _check_positive(stride, "stride", name)
    _check_positive(dilation, "dilation", name)
    kernel = tuple(weight.shape[2:])
    spatial = tuple(x.shape[2:])
    pads = _conv_pads(padding, stride, dilation, kernel, spatial, input.shape, nd, name)
    if weight.dtype != x.dtype:
        x = x.to(weight.dtype)
    if bias is not None and bias.dtype != weight.dtype:
        bias = bias.to(weight.dtype)
    if nd == 1:
        x4 = unsqueeze(x, 2)
        w4 = unsqueeze(weight, 2)
        geom = _Geom((x.shape[0], x.shape[1], 1, spatial[0]), (1, kernel[0]), (1, stride[0]), (1, dilation[0]),
                     (0, 0) + tuple(pads[0]), groups=groups)
    else:
        x4, w4 = x, weight
        geom = _Geom(tuple(x.shape), kernel, stride, dilation, tuple(pads[0]) + tuple(pads[1]), groups=groups)
    geom.flat = _use_flat(geom, weight.shape[0])
    args = (x4, w4) if bias is None else (x4, w4, bias)
    y = Conv2dOp(geom)(*args)
    if nd == 1:
        y = squeeze(y, 2)
    if unbatched:
        y = squeeze(y, 0)
    return y


# ----------------------------------------------------------------------------- public functions
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-D convolution (cross-correlation) over an (N, C, H, W) input, as ``torch.nn.functional.conv2d``.

    ``y[n, o] = b[o] + sum_c W[o, c] (*) x_pad[n, g(o)*C/groups + c]`` with stride and dilation,
    computed as im2col + one GEMM per group (see :mod:`gradkit.nn.functional._im2col`).

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
