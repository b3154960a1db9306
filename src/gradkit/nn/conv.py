"""Convolution layers: ``Conv1d`` and ``Conv2d`` (``torch.nn.Conv1d`` / ``Conv2d``).

A convolution slides a small learned filter over the input and takes a dot product at every
position: the same weights everywhere (weight sharing) and each output sees only a local
window (sparse connectivity), which is what makes CNNs data-efficient on images and signals.
The computation is :func:`gradkit.nn.functional.conv.conv2d` (im2col + one GEMM per group).

Examples:
    >>> import gradkit as gk
    >>> conv = gk.nn.Conv2d(1, 16, 3, padding=1)
    >>> conv(gk.zeros(8, 1, 28, 28)).shape
    (8, 16, 28, 28)
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..backend import get_default_dtype
from ..ops._util import ensure_tensor, shape_str
from ..tensor import Tensor
from . import init
from .functional._im2col import _tuple as _ntuple  # an int or an n-tuple of ints, checked
from .functional.conv import conv_output_size, conv1d, conv2d
from .functional.distance import pad as _pad
from .module import Module, Parameter

__all__ = ["Conv1d", "Conv2d"]

# torch's padding_mode -> the mode of gk.nn.functional.pad
_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


class _ConvNd(Module):
    """Shared parameters, checks and initialization of :class:`Conv1d` and :class:`Conv2d`."""

    _nd = 2
    _layout = "(N, C, H, W)"

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        nd = self._nd
        for what, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"{name}: {what} must be a positive int, got {v!r}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) must be divisible by groups ({groups})")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by groups ({groups})")
        kernel = _ntuple(kernel_size, nd, "kernel_size", name)
        stride_t = _ntuple(stride, nd, "stride", name)
        dilation_t = _ntuple(dilation, nd, "dilation", name)
        if any(k <= 0 for k in kernel):
            raise ValueError(f"{name}: kernel_size must be positive, got {kernel_size!r}")
        if any(s <= 0 for s in stride_t):
            raise ValueError(f"{name}: stride must be positive, got {stride!r}")
        if any(d <= 0 for d in dilation_t):
            raise ValueError(f"{name}: dilation must be positive, got {dilation!r}")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
            if padding == "same" and any(s != 1 for s in stride_t):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions (stride={stride!r})")
            padding_v = padding
        else:
            padding_v = _ntuple(padding, nd, "padding", name)
            if any(p < 0 for p in padding_v):
                raise ValueError(f"{name}: padding must be non-negative, got {padding!r}")
        if padding_mode not in _PAD_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {sorted(_PAD_MODES)}, got {padding_mode!r}")
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = kernel
        self.stride = stride_t
        self.padding = padding_v
        self.dilation = dilation_t
        self.groups = int(groups)
        self.padding_mode = padding_mode
        shape = (self.out_channels, self.in_channels // self.groups) + kernel
        dt = np.dtype(dtype) if dtype is not None else get_default_dtype()
        self.weight = Parameter(np.empty(shape, dtype=dt))
        if bias:
            self.bias = Parameter(np.empty((self.out_channels,), dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def _pad_input(self, x):
        """``(x, padding)`` for the convolution: with a ``padding_mode`` other than zeros the input is
        padded here (reflect, replicate or circular, as PyTorch) and the convolution pads nothing."""
        if self.padding_mode == "zeros":
            return x, self.padding
        nd = self._nd
        if self.padding == "valid":
            return x, (0,) * nd
        if self.padding == "same":
            sides = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(self.kernel_size, self.dilation)]
        else:
            sides = [(p, p) for p in self.padding]
        flat = [v for before_after in reversed(sides) for v in before_after]  # last dimension first
        return _pad(x, tuple(flat), mode=_PAD_MODES[self.padding_mode]), (0,) * nd

    def reset_parameters(self) -> None:
        """PyTorch's default: ``kaiming_uniform_(W, a=sqrt(5))`` = ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``,
        and ``b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with ``fan_in = in_channels/groups * prod(kernel)``."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * int(np.prod(self.kernel_size))
            bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def _check_input(self, x: Tensor) -> None:
        name = type(self).__name__
        nd = self._nd
        if x.ndim not in (nd + 1, nd + 2):
            raise ValueError(
                f"{name} expected a {nd + 2}-D input {self._layout} (or {nd + 1}-D without the batch), "
                f"got shape {shape_str(x.shape)}"
            )
        c = x.shape[-nd - 1]
        if c != self.in_channels:
            raise ValueError(
                f"{name} expected {self.in_channels} input channels, got {c} (input shape {shape_str(x.shape)})"
            )

    def output_shape(self, input_shape) -> tuple:
        """The output shape for an input shape (batch included), without running the layer."""
        spatial = tuple(input_shape[-self._nd:])
        if self.padding == "same":
            out = spatial
        else:
            pads = (0,) * self._nd if self.padding == "valid" else self.padding
            out = tuple(
                conv_output_size(s, k, st, p, d)
                for s, k, st, p, d in zip(spatial, self.kernel_size, self.stride, pads, self.dilation)
            )
        return tuple(input_shape[: -self._nd - 1]) + (self.out_channels,) + out

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding not in ((0,) * self._nd, "valid"):
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W) images (``torch.nn.Conv2d``).

    ``y[n, o] = b[o] + sum_c W[o, c] (*) x[n, c]`` (cross-correlation), computed as im2col + one
    GEMM per group; backward is two GEMMs and a col2im (see :mod:`gradkit.nn.functional.conv`).

    Args:
        in_channels: channels C of the input.
        out_channels: number of filters (output channels).
        kernel_size: int or (kh, kw).
        stride: int or (sh, sw) (default 1).
        padding: int, (ph, pw), ``'valid'`` or ``'same'`` (stride 1; output keeps H and W).
        dilation: int or (dh, dw): spacing of the kernel taps (atrous convolution).
        groups: independent channel groups (``groups == in_channels`` is depthwise).
        bias: learn a per-filter bias (default True).
        padding_mode: only ``'zeros'``.
        dtype: parameter dtype (default ``gk.get_default_dtype()``).

    Shape:
        (N, C_in, H, W) -> (N, C_out, Ho, Wo), ``Ho = floor((H + 2ph - dh(kh-1) - 1)/sh) + 1``;
        a 3-D (C, H, W) input gives a 3-D output.

    Attributes:
        weight: Parameter (out_channels, in_channels/groups, kh, kw), ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``
            (PyTorch's ``kaiming_uniform_(a=sqrt(5))``).
        bias: Parameter (out_channels,), ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, or None.

    Raises:
        ValueError: at construction for bad sizes (non-positive kernel/stride, channels not divisible
            by groups, 'same' with a stride); in forward for the wrong channel count
            (``"Conv2d expected 3 input channels, got 1 (input shape (64, 1, 28, 28))"``) or a kernel
            larger than the padded input.

    Examples:
        >>> import gradkit as gk
        >>> gk.nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)(gk.zeros(2, 3, 32, 32)).shape
        (2, 8, 16, 16)
    """

    _nd = 2
    _layout = "(N, C, H, W)"

    def forward(self, x: Tensor) -> Tensor:
        x = ensure_tensor(x)
        self._check_input(x)
        x, padding = self._pad_input(x)
        return conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) sequences (``torch.nn.Conv1d``).

    The same computation as :class:`Conv2d` with a height of 1.

    Args:
        in_channels: channels C of the input.
        out_channels: number of filters.
        kernel_size: kernel length.
        stride: step (default 1).
        padding: int, ``'valid'`` or ``'same'`` (stride 1).
        dilation: spacing of the kernel taps.
        groups: independent channel groups.
        bias: learn a per-filter bias (default True).
        padding_mode: only ``'zeros'``.
        dtype: parameter dtype.

    Shape:
        (N, C_in, L) -> (N, C_out, Lo), ``Lo = floor((L + 2p - d(k-1) - 1)/s) + 1``.

    Attributes:
        weight: Parameter (out_channels, in_channels/groups, k).
        bias: Parameter (out_channels,) or None.

    Raises:
        ValueError: as :class:`Conv2d` (``"Conv1d expected 25 input channels, got 1 (input shape ...)"``).

    Examples:
        >>> import gradkit as gk
        >>> gk.nn.Conv1d(1, 25, 5, stride=2, padding=1)(gk.zeros(4, 1, 40)).shape
        (4, 25, 19)
    """

    _nd = 1
    _layout = "(N, C, L)"

    def forward(self, x: Tensor) -> Tensor:
        x = ensure_tensor(x)
        self._check_input(x)
        x, padding = self._pad_input(x)
        padding = padding if isinstance(padding, str) else padding[0]
        return conv1d(x, self.weight, self.bias, self.stride[0], padding, self.dilation[0], self.groups)
