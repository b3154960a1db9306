"""Convolutional networks: LeNet-5, a small ResNet, a fully convolutional classifier, the
MNIST-1D CNN and a small CNN for the 8x8 scikit-learn digits.

Each is an ordinary :class:`gradkit.nn.Module` built from gradkit layers (``Conv2d``,
``BatchNorm2d``, pooling, ``Linear``), so ``state_dict``, ``summary`` and the JSON config
work as for any layer.

Examples:
    >>> import gradkit as gk
    >>> net = gk.models.SmallResNet(in_channels=3, num_classes=10)
    >>> net(gk.zeros(2, 3, 32, 32)).shape
    (2, 10)
"""

from __future__ import annotations

from ._init import apply_init
from .. import nn
from ..nn.layers import _columns_hint
from ..ops import relu
from ..ops._util import shape_str
from ..tensor import Tensor

__all__ = ["LeNet5", "BasicBlock", "SmallResNet", "FullyConvNet", "MNIST1DCNN", "DigitsCNN"]


def _activation(name: str, who: str) -> nn.Module:
    if name == "tanh":
        return nn.Tanh()
    if name == "relu":
        return nn.ReLU()
    raise ValueError(f"{who}: activation must be 'tanh' or 'relu', got {name!r}")


def _check_image(x: Tensor, channels: int, who: str, sizes=None) -> None:
    if x.ndim != 4 or x.shape[1] != channels or (sizes is not None and tuple(x.shape[2:]) not in sizes):
        want = " or ".join(f"(N, {channels}, {h}, {w})" for h, w in sizes) if sizes else f"(N, {channels}, H, W)"
        raise ValueError(f"{who} expected input of shape {want}, got {shape_str(x.shape)}")


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al., 1998, "Gradient-based learning applied to document recognition").

    C1 conv 5x5 (6 maps) -> S2 2x2 subsampling -> C3 conv 5x5 (16 maps) -> S4 2x2 subsampling
    -> F5 120 -> F6 84 -> 10 outputs. The original takes 32x32 inputs; for 28x28 (MNIST) C1
    pads by 2 so the feature maps have the classic sizes 28 -> 14 -> 10 -> 5. The classic
    variant uses tanh and average pooling; ``activation='relu'`` and ``pooling='max'`` give
    the modern one. (C3 connects to all S2 maps, as in most re-implementations.)

    Args:
        num_classes: outputs (default 10).
        in_channels: input channels (default 1).
        input_size: 28 or 32 (default 28).
        activation: ``'tanh'`` (default) or ``'relu'``.
        pooling: ``'avg'`` (default) or ``'max'``.
        init: weight initialisation of the Linear and convolution layers: ``"torch"``
            (default, PyTorch's), ``"he"``, ``"xavier"``, ``"lecun"`` or ``"zeros"``
            (biases 0 for all but ``"torch"``; see :class:`MLP`).

    Shape:
        (N, in_channels, input_size, input_size) -> (N, num_classes) logits.

    Raises:
        ValueError: an unsupported ``input_size``/``activation``/``pooling``, or an input of another shape.

    Examples:
        >>> import gradkit as gk
        >>> LeNet5()(gk.zeros(2, 1, 28, 28)).shape
        (2, 10)
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, input_size: int = 28,
                 activation: str = "tanh", pooling: str = "avg", init: str = "torch"):
        super().__init__()
        if input_size not in (28, 32):
            raise ValueError(f"LeNet5: input_size must be 28 or 32, got {input_size!r}")
        if pooling not in ("avg", "max"):
            raise ValueError(f"LeNet5: pooling must be 'avg' or 'max', got {pooling!r}")
        self.in_channels = in_channels
        self.input_size = input_size
        pool = nn.AvgPool2d if pooling == "avg" else nn.MaxPool2d
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=2 if input_size == 28 else 0),
            _activation(activation, "LeNet5"),
            pool(2),
            nn.Conv2d(6, 16, 5),
            _activation(activation, "LeNet5"),
            pool(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120),
            _activation(activation, "LeNet5"),
            nn.Linear(120, 84),
            _activation(activation, "LeNet5"),
            nn.Linear(84, num_classes),
        )
        apply_init(self, init, "LeNet5")

    def forward(self, x: Tensor) -> Tensor:
        _check_image(x, self.in_channels, "LeNet5", [(self.input_size, self.input_size)])
        return self.classifier(self.features(x))


class BasicBlock(nn.Module):
    """The ResNet basic block (He et al., 2016, "Deep residual learning for image recognition").

    ``out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`` with two 3x3 convolutions.
    The skip connection is the identity when shapes agree; when the block changes the
    channel count or downsamples (stride 2), the shortcut is a 1x1 convolution with that
    stride followed by batch norm (the "projection shortcut", option B of the paper).

    Args:
        in_channels: input channels.
        out_channels: output channels.
        stride: stride of the first convolution (2 halves H and W).

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, H/stride, W/stride).

    Examples:
        >>> import gradkit as gk
        >>> BasicBlock(16, 32, stride=2)(gk.zeros(2, 16, 8, 8)).shape
        (2, 32, 4, 4)
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
            )
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        out = relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return relu(out + self.shortcut(x))


class SmallResNet(nn.Module):
    """A small ResNet for 28x28 or 32x32 images (CIFAR-style, He et al. 2016, section 4.2).

    Stem: 3x3 conv (``widths[0]`` channels) + batch norm + ReLU. Then one stage per width of
    ``blocks_per_stage`` :class:`BasicBlock` s; every stage after the first starts with stride 2
    (halving H and W, projection shortcut). Head: global average pooling + a linear layer.

    Args:
        in_channels: 1 (MNIST-like) or 3 (CIFAR-like), or any other.
        num_classes: outputs (default 10).
        widths: channels per stage (default ``(16, 32, 64)``).
        blocks_per_stage: basic blocks per stage (default 1; ``3`` gives ResNet-20).
        init: weight initialisation of the Linear and convolution layers: ``"torch"``
            (default, PyTorch's), ``"he"``, ``"xavier"``, ``"lecun"`` or ``"zeros"``
            (biases 0 for all but ``"torch"``; see :class:`MLP`).

    Shape:
        (N, in_channels, H, W) -> (N, num_classes) logits.

    Examples:
        >>> import gradkit as gk
        >>> SmallResNet(1, 10)(gk.zeros(2, 1, 28, 28)).shape
        (2, 10)
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10, widths=(16, 32, 64), blocks_per_stage: int = 1,
                 init: str = "torch"):
        super().__init__()
        widths = tuple(int(w) for w in widths)
        if not widths or blocks_per_stage < 1:
            raise ValueError(f"SmallResNet needs at least one width and one block per stage, got {widths}, {blocks_per_stage}")
        self.in_channels = in_channels
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()
        )
        blocks = []
        prev = widths[0]
        for s, w in enumerate(widths):
            for b in range(blocks_per_stage):
                blocks.append(BasicBlock(prev, w, stride=2 if (s > 0 and b == 0) else 1))
                prev = w
        self.layers = nn.Sequential(*blocks)
        self.pool = nn.GlobalAvgPool2d()
        self.fc = nn.Linear(prev, num_classes)
        apply_init(self, init, "SmallResNet")

    def forward(self, x: Tensor) -> Tensor:
        _check_image(x, self.in_channels, "SmallResNet")
        return self.fc(self.pool(self.layers(self.stem(x))))


class FullyConvNet(nn.Module):
    """A fully convolutional classifier: no dense layer at all (Lin et al. 2013; Springenberg et al. 2015).

    Feature stages of ``conv 3x3 -> BN -> ReLU -> conv 3x3 -> BN -> ReLU -> max pool 2``, then a
    1x1 convolution maps the channels to one score map per class, and global average pooling
    turns each map into the class logit. It accepts any input size (>= 2**len(widths)) and
    has far fewer parameters than a dense head.

    Args:
        in_channels: input channels.
        num_classes: outputs (default 10).
        widths: channels of the feature stages (default ``(32, 64)``).
        init: weight initialisation of the Linear and convolution layers: ``"torch"``
            (default, PyTorch's), ``"he"``, ``"xavier"``, ``"lecun"`` or ``"zeros"``
            (biases 0 for all but ``"torch"``; see :class:`MLP`).

    Shape:
        (N, in_channels, H, W) -> (N, num_classes) logits.

    Examples:
        >>> import gradkit as gk
        >>> FullyConvNet(1, 10)(gk.zeros(2, 1, 28, 28)).shape
        (2, 10)
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, widths=(32, 64), init: str = "torch"):
        super().__init__()
        self.in_channels = in_channels
        layers = []
        prev = in_channels
        for w in widths:
            layers += [
                nn.Conv2d(prev, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
                nn.Conv2d(w, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
                nn.MaxPool2d(2),
            ]
            prev = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Conv2d(prev, num_classes, 1)  # 1x1 conv: a per-pixel linear classifier
        self.pool = nn.GlobalAvgPool2d()
        apply_init(self, init, "FullyConvNet")

    def forward(self, x: Tensor) -> Tensor:
        _check_image(x, self.in_channels, "FullyConvNet")
        return self.pool(self.head(self.features(x)))


class MNIST1DCNN(nn.Module):
    """The MNIST-1D convolutional baseline (Greydanus, 2020, "Scaling down deep learning", ``ConvBase``).

    ``conv(1->25, k5, s2, p1) - ReLU - conv(25->25, k3, s2, p1) - ReLU - conv(25->25, k3, s2, p1)
    - flatten - linear``. For the standard length 40 the lengths are 40 -> 19 -> 10 -> 5, so the
    linear layer sees 125 features. Inputs of shape (N, L) are treated as (N, 1, L).

    Args:
        num_classes: outputs (default 10).
        length: input length (default 40).
        channels: channels of the three convolutions (default 25).
        init: weight initialisation of the Linear and convolution layers: ``"torch"``
            (default, PyTorch's), ``"he"``, ``"xavier"``, ``"lecun"`` or ``"zeros"``
            (biases 0 for all but ``"torch"``; see :class:`MLP`).

    Shape:
        (N, length) or (N, 1, length) -> (N, num_classes) logits.

    Examples:
        >>> import gradkit as gk
        >>> MNIST1DCNN()(gk.zeros(4, 40)).shape
        (4, 10)
    """

    def __init__(self, num_classes: int = 10, length: int = 40, channels: int = 25, init: str = "torch"):
        super().__init__()
        self.length = length
        self.conv1 = nn.Conv1d(1, channels, 5, stride=2, padding=1)
        self.conv2 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        n = length
        for conv in (self.conv1, self.conv2, self.conv3):
            n = conv.output_shape((1, 1, n))[-1]
        if n <= 0:
            raise ValueError(f"MNIST1DCNN: length {length} is too short for three stride-2 convolutions")
        self.linear = nn.Linear(channels * n, num_classes)
        apply_init(self, init, "MNIST1DCNN")

    def forward(self, x: Tensor) -> Tensor:
        given = tuple(x.shape)
        if x.ndim == 2:
            x = x.reshape(x.shape[0], 1, x.shape[1])
        if x.ndim != 3 or x.shape[1] != 1 or x.shape[2] != self.length:
            raise ValueError(
                f"MNIST1DCNN expected input of shape (N, {self.length}) or (N, 1, {self.length}), got {shape_str(given)}"
                f"{_columns_hint(given, self.length)}"
            )
        h = relu(self.conv1(x))
        h = relu(self.conv2(h))
        h = relu(self.conv3(h))
        return self.linear(h.reshape(h.shape[0], -1))


class DigitsCNN(nn.Module):
    """A small CNN for the 1x8x8 scikit-learn digits.

    ``[conv 3x3 -> BN -> ReLU] x2 -> max pool 2 (4x4) -> conv 3x3 -> BN -> ReLU -> max pool 2 (2x2)
    -> flatten -> dropout -> linear``. With shift/rotation augmentation and Adam it reaches about
    98-99 % test accuracy on digits within a minute on two CPU cores.

    Args:
        num_classes: outputs (default 10).
        width: channels of the first two convolutions; the third has ``2 * width`` (default 32).
        dropout: dropout before the classifier (default 0.25).
        init: weight initialisation of the Linear and convolution layers: ``"torch"``
            (default, PyTorch's), ``"he"``, ``"xavier"``, ``"lecun"`` or ``"zeros"``
            (biases 0 for all but ``"torch"``; see :class:`MLP`).

    Shape:
        (N, 1, 8, 8) (or (N, 64), reshaped) -> (N, num_classes) logits.

    Examples:
        >>> import gradkit as gk
        >>> DigitsCNN()(gk.zeros(2, 1, 8, 8)).shape
        (2, 10)
    """

    def __init__(self, num_classes: int = 10, width: int = 32, dropout: float = 0.25, init: str = "torch"):
        super().__init__()
        w = int(width)
        self.features = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(w, 2 * w, 3, padding=1, bias=False), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(2 * w * 2 * 2, num_classes))
        apply_init(self, init, "DigitsCNN")

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 2 and x.shape[1] == 64:
            x = x.reshape(x.shape[0], 1, 8, 8)
        _check_image(x, 1, "DigitsCNN", [(8, 8)])
        return self.classifier(self.features(x))
