"""More convolution and pooling layers: ``ConvTranspose1d/2d``, ``Conv3d``, ``MaxPool3d``,
``AvgPool3d``, ``AdaptiveMaxPool1d/2d`` (PyTorch's names, arguments, parameter shapes and
initialization). The computations are in :mod:`gradkit.nn.functional.conv_more`.

Examples:
    >>> import gradkit as gk
    >>> up = gk.nn.ConvTranspose2d(8, 4, kernel_size=4, stride=2, padding=1)
    >>> up(gk.randn(2, 8, 7, 7)).shape
    (2, 4, 14, 14)
"""

from __future__ import annotations

import numpy as np

from ..ops._util import ensure_tensor, shape_str
from ..tensor import Tensor
from .conv import _ConvNd
from .functional import conv_more as FC
from .functional._im2col import _tuple as _ntuple
from .module import Module, Parameter

__all__ = ["ConvTranspose1d", "ConvTranspose2d", "Conv3d", "MaxPool3d", "AvgPool3d", "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d", "MaxUnpool2d"]


class Conv3d(_ConvNd):
    """3-D convolution over (N, C, D, H, W) (``torch.nn.Conv3d``); weight (out, in/groups, kd, kh, kw).

    Examples:
        >>> import gradkit as gk
        >>> gk.nn.Conv3d(2, 4, 3, padding=1)(gk.randn(1, 2, 4, 5, 5)).shape
        (1, 4, 4, 5, 5)
    """

    _nd = 3
    _layout = "(N, C, D, H, W)"

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        if isinstance(padding, str):
            raise ValueError("Conv3d: padding must be an int or a triple (string padding is not supported)")
        if padding_mode != "zeros":
            raise ValueError("Conv3d: only padding_mode='zeros' is supported")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device=device, dtype=dtype)

    def forward(self, x):
        x = ensure_tensor(x)
        self._check_input(x)
        return FC.conv3d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class _ConvTransposeNd(_ConvNd):
    """Shared parts of the transposed convolutions: weight (in, out/groups, kernel...)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        name = type(self).__name__
        if isinstance(padding, str):
            raise ValueError(f"{name}: padding must be an int or a tuple (PyTorch has no string padding here)")
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported, as in PyTorch")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype=dtype)
        self.output_padding = _ntuple(output_padding, self._nd, "output_padding", name)
        if any(o >= max(s, d) for o, s, d in zip(self.output_padding, self.stride, self.dilation)):
            raise ValueError(f"{name}: output_padding {self.output_padding} must be smaller than the stride "
                             f"{self.stride} or the dilation {self.dilation}")
        shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=self.weight.dtype))
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def _output_padding(self, x, output_size):
        if output_size is None:
            return self.output_padding
        nd = self._nd
        want = tuple(int(v) for v in list(output_size)[-nd:])
        op = []
        for i in range(nd):
            n = x.shape[-nd + i]
            smallest = (n - 1) * self.stride[i] - 2 * self.padding[i] + self.dilation[i] * (self.kernel_size[i] - 1) + 1
            extra = want[i] - smallest
            if not 0 <= extra < max(self.stride[i], self.dilation[i]):
                raise ValueError(f"{type(self).__name__}: output_size {want} is not reachable from input "
                                 f"{shape_str(x.shape)}; sizes from {smallest} to "
                                 f"{smallest + max(self.stride[i], self.dilation[i]) - 1} are in dimension {i}")
            op.append(extra)
        return tuple(op)

    def output_shape(self, input_shape) -> tuple:
        spatial = tuple(input_shape[-self._nd:])
        out = tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, s, p, d, k, o in
                    zip(spatial, self.stride, self.padding, self.dilation, self.kernel_size, self.output_padding))
        return tuple(input_shape[: -self._nd - 1]) + (self.out_channels,) + out


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution (``torch.nn.ConvTranspose2d``): the gradient of a ``Conv2d`` in its
    input, used to upsample (decoders, segmentation, GAN generators).

    Examples:
        >>> import gradkit as gk
        >>> gk.nn.ConvTranspose2d(3, 2, 3, stride=2)(gk.randn(1, 3, 4, 4)).shape
        (1, 2, 9, 9)
    """

    _nd = 2

    def forward(self, x, output_size=None):
        x = ensure_tensor(x)
        self._check_input(x)
        return FC.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                   self._output_padding(x, output_size), self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution over (N, C, L) (``torch.nn.ConvTranspose1d``).

    Examples:
        >>> import gradkit as gk
        >>> gk.nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1)(gk.randn(1, 3, 8)).shape
        (1, 2, 16)
    """

    _nd = 1
    _layout = "(N, C, L)"

    def forward(self, x, output_size=None):
        x = ensure_tensor(x)
        self._check_input(x)
        return FC.conv_transpose1d(x, self.weight, self.bias, self.stride, self.padding,
                                   self._output_padding(x, output_size), self.groups, self.dilation)


class _Pool3d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = _ntuple(kernel_size, 3, "kernel_size", name)
        self.stride = _ntuple(stride, 3, "stride", name) if stride is not None else self.kernel_size
        self.padding = _ntuple(padding, 3, "padding", name)
        self.ceil_mode = bool(ceil_mode)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool3d(_Pool3d):
    """3-D max pooling (``torch.nn.MaxPool3d``; dilation 1, no indices).

    Examples:
        >>> import gradkit as gk
        >>> gk.nn.MaxPool3d(2)(gk.randn(1, 1, 4, 4, 4)).shape
        (1, 1, 2, 2, 2)
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        if return_indices or _ntuple(dilation, 3, "dilation", "MaxPool3d") != (1, 1, 1):
            raise ValueError("MaxPool3d: return_indices and dilation > 1 are not supported")

    def forward(self, x: Tensor) -> Tensor:
        return FC.max_pool3d(x, self.kernel_size, self.stride, self.padding, 1, self.ceil_mode)


class AvgPool3d(_Pool3d):
    """3-D average pooling (``torch.nn.AvgPool3d``).

    Examples:
        >>> import gradkit as gk
        >>> gk.nn.AvgPool3d(2)(gk.ones(1, 1, 2, 2, 2)).item()
        1.0
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad = bool(count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return FC.avg_pool3d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                             self.divisor_override)


class AdaptiveMaxPool2d(Module):
    """Max over adaptive windows to a fixed output size (``torch.nn.AdaptiveMaxPool2d``).

    Examples:
        >>> import gradkit as gk
        >>> gk.nn.AdaptiveMaxPool2d((2, 3))(gk.randn(1, 4, 9, 10)).shape
        (1, 4, 2, 3)
    """

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        if return_indices:
            raise ValueError("AdaptiveMaxPool2d: return_indices is not supported")
        self.output_size = tuple(output_size) if isinstance(output_size, (tuple, list)) else output_size

    def forward(self, x: Tensor) -> Tensor:
        return FC.adaptive_max_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(Module):
    """Max over adaptive windows of (N, C, L) (``torch.nn.AdaptiveMaxPool1d``).

    Examples:
        >>> import gradkit as gk
        >>> gk.nn.AdaptiveMaxPool1d(3)(gk.randn(2, 4, 10)).shape
        (2, 4, 3)
    """

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        if return_indices:
            raise ValueError("AdaptiveMaxPool1d: return_indices is not supported")
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return FC.adaptive_max_pool1d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class MaxUnpool2d(Module):
    """The partial inverse of ``MaxPool2d(return_indices=True)`` (``torch.nn.MaxUnpool2d``).

    Examples:
        >>> import gradkit as gk
        >>> pool, unpool = gk.nn.MaxPool2d(2, return_indices=True), gk.nn.MaxUnpool2d(2)
        >>> y, idx = pool(gk.randn(1, 1, 4, 4))
        >>> unpool(y, idx).shape
        (1, 1, 4, 4)
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, 2, "kernel_size", "MaxUnpool2d")
        self.stride = _ntuple(stride, 2, "stride", "MaxUnpool2d") if stride is not None else self.kernel_size
        self.padding = _ntuple(padding, 2, "padding", "MaxUnpool2d")

    def forward(self, x, indices, output_size=None):
        return FC.max_unpool2d(x, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
