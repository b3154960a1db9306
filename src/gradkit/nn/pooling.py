"""Pooling layers: max, average, adaptive average and global average pooling (PyTorch names).

Pooling summarises each local window by one number: the max keeps the strongest response
(a little translation invariance), the average smooths. Global average pooling (Lin et al.,
"Network In Network", 2013) averages each whole feature map, so a fully convolutional network
can end in ``conv 1x1 -> global average`` instead of a large dense head.

Examples:
    >>> import gradkit as gk
    >>> gk.nn.MaxPool2d(2)(gk.zeros(8, 16, 28, 28)).shape
    (8, 16, 14, 14)
    >>> gk.nn.GlobalAvgPool2d()(gk.zeros(8, 16, 7, 7)).shape
    (8, 16)
"""

from __future__ import annotations

from ..tensor import Tensor
from .functional import pool as F
from .module import Module

__all__ = [
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
    "GlobalAvgPool2d",
]


def _as_tuple(v):
    return tuple(v) if isinstance(v, list) else v


class _MaxPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = _as_tuple(kernel_size)
        self.stride = _as_tuple(stride) if stride is not None else self.kernel_size
        self.padding = _as_tuple(padding)
        self.dilation = _as_tuple(dilation)
        self.return_indices = bool(return_indices)
        self.ceil_mode = bool(ceil_mode)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling (``torch.nn.MaxPool2d``): the maximum of every window.

    The argmax of each window is saved in forward; backward routes each gradient to it.

    Args:
        kernel_size: int or (kh, kw).
        stride: defaults to ``kernel_size`` (non-overlapping windows).
        padding: implicit ``-inf`` padding, at most half the kernel.
        dilation: spacing of window elements.
        return_indices: also return the argmax (flat index into each H*W plane).
        ceil_mode: round the output size up.

    Shape:
        (N, C, H, W) -> (N, C, Ho, Wo), ``Ho = floor((H + 2p - d(k-1) - 1)/s) + 1``.

    Raises:
        ValueError: a window larger than the padded input, non-positive sizes, padding > kernel/2.

    Examples:
        >>> import gradkit as gk
        >>> gk.nn.MaxPool2d(3, stride=2, padding=1)(gk.zeros(1, 4, 9, 9)).shape
        (1, 4, 5, 5)
    """

    def forward(self, x: Tensor):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling over (N, C, L) (``torch.nn.MaxPool1d``).

    Args:
        kernel_size: window length.
        stride: defaults to ``kernel_size``.
        padding: implicit ``-inf`` padding, at most half the kernel.
        dilation: spacing of window elements.
        return_indices: also return the argmax positions.
        ceil_mode: round the output length up.

    Shape:
        (N, C, L) -> (N, C, Lo).

    Examples:
        >>> import gradkit as gk
        >>> gk.nn.MaxPool1d(2)(gk.zeros(2, 3, 10)).shape
        (2, 3, 5)
    """

    def forward(self, x: Tensor):
        return F.max_pool1d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)


class AvgPool2d(Module):
    """2-D average pooling (``torch.nn.AvgPool2d``).

    Args:
        kernel_size: int or (kh, kw).
        stride: defaults to ``kernel_size``.
        padding: zero padding, at most half the kernel.
        ceil_mode: round the output size up.
        count_include_pad: count padded zeros in the divisor (default True, as PyTorch).
        divisor_override: divide by this number instead of the window size.

    Shape:
        (N, C, H, W) -> (N, C, Ho, Wo).

    Examples:
        >>> import gradkit as gk
        >>> gk.nn.AvgPool2d(2)(gk.ones(1, 1, 4, 4)).sum().item()
        4.0
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = _as_tuple(kernel_size)
        self.stride = _as_tuple(stride) if stride is not None else self.kernel_size
        self.padding = _as_tuple(padding)
        self.ceil_mode = bool(ceil_mode)
        self.count_include_pad = bool(count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(Module):
    """1-D average pooling over (N, C, L) (``torch.nn.AvgPool1d``).

    Args:
        kernel_size: window length.
        stride: defaults to ``kernel_size``.
        padding: zero padding, at most half the kernel.
        ceil_mode: round the output length up.
        count_include_pad: count padded zeros in the divisor.

    Shape:
        (N, C, L) -> (N, C, Lo).

    Examples:
        >>> import gradkit as gk
        >>> gk.nn.AvgPool1d(3, stride=1)(gk.zeros(2, 3, 10)).shape
        (2, 3, 8)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = _as_tuple(kernel_size)
        self.stride = _as_tuple(stride) if stride is not None else self.kernel_size
        self.padding = _as_tuple(padding)
        self.ceil_mode = bool(ceil_mode)
        self.count_include_pad = bool(count_include_pad)

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size whatever the input size (``torch.nn.AdaptiveAvgPool2d``).

    Output cell i averages input rows ``floor(i*H/oh) .. ceil((i+1)*H/oh) - 1`` (and likewise
    for columns); ``output_size=1`` is global average pooling with the (1, 1) kept.

    Args:
        output_size: int or (oh, ow); ``None`` keeps that input size.

    Shape:
        (N, C, H, W) -> (N, C, oh, ow).

    Examples:
        >>> import gradkit as gk
        >>> gk.nn.AdaptiveAvgPool2d((2, 3))(gk.zeros(1, 5, 9, 10)).shape
        (1, 5, 2, 3)
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = _as_tuple(output_size)

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(Module):
    """Average pooling of (N, C, L) to ``output_size`` bins (``torch.nn.AdaptiveAvgPool1d``).

    Args:
        output_size: the output length.

    Examples:
        >>> import gradkit as gk
        >>> gk.nn.AdaptiveAvgPool1d(4)(gk.zeros(2, 3, 10)).shape
        (2, 3, 4)
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = _as_tuple(output_size)

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class GlobalAvgPool2d(Module):
    """Global average pooling: the mean of each feature map, (N, C, H, W) -> (N, C).

    The same as ``AdaptiveAvgPool2d(1)`` followed by ``Flatten()`` (Keras' ``GlobalAveragePooling2D``);
    ``keepdim=True`` keeps the (N, C, 1, 1) shape.

    Args:
        keepdim: keep H and W as size 1 (default False).

    Raises:
        ValueError: when the input is not 4-D.

    Examples:
        >>> import gradkit as gk
        >>> gk.nn.GlobalAvgPool2d()(gk.ones(2, 3, 5, 5)).tolist()
        [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    def __init__(self, keepdim: bool = False):
        super().__init__()
        self.keepdim = bool(keepdim)

    def forward(self, x: Tensor) -> Tensor:
        return F.global_avg_pool2d(x, self.keepdim)

    def extra_repr(self) -> str:
        return f"keepdim={self.keepdim}" if self.keepdim else ""
