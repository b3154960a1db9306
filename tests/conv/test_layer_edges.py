"""Constructor errors, reprs and shape helpers of the conv and pooling layers."""

import pytest

import gradkit as gk
from gradkit import nn


def test_conv_layer_argument_errors():
    with pytest.raises(TypeError, match=r"Conv2d: stride must be an int or a tuple of 2 ints, got 'a'"):
        nn.Conv2d(1, 2, 3, stride="a")
    with pytest.raises(ValueError, match="Conv2d: out_channels must be a positive int, got 0"):
        nn.Conv2d(1, 0, 3)
    with pytest.raises(ValueError, match=r"out_channels \(3\) must be divisible by groups \(2\)"):
        nn.Conv2d(2, 3, 3, groups=2)
    with pytest.raises(ValueError, match="dilation must be positive, got 0"):
        nn.Conv1d(1, 2, 3, dilation=0)
    with pytest.raises(ValueError, match="padding must be an int, a tuple, 'same' or 'valid', got 'full'"):
        nn.Conv1d(1, 2, 3, padding="full")


def test_conv_layer_repr_and_same_output_shape():
    conv = nn.Conv2d(4, 4, 3, padding="same", dilation=2, groups=2)
    assert repr(conv) == "Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), padding='same', dilation=(2, 2), groups=2)"
    assert conv.output_shape((1, 4, 7, 9)) == (1, 4, 7, 9) == conv(gk.zeros(1, 4, 7, 9)).shape


@pytest.mark.parametrize(
    "layer, text",
    [
        (nn.MaxPool2d(2), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
        (nn.AvgPool2d((3, 2), 1, (1, 0)), "AvgPool2d(kernel_size=(3, 2), stride=1, padding=(1, 0))"),
        (nn.AvgPool1d(2), "AvgPool1d(kernel_size=2, stride=2, padding=0)"),
        (nn.AdaptiveAvgPool2d((2, 3)), "AdaptiveAvgPool2d(output_size=(2, 3))"),
        (nn.AdaptiveAvgPool1d(4), "AdaptiveAvgPool1d(output_size=4)"),
        (nn.GlobalAvgPool2d(keepdim=True), "GlobalAvgPool2d(keepdim=True)"),
        (nn.GlobalAvgPool2d(), "GlobalAvgPool2d()"),
    ],
)
def test_pooling_layer_reprs(layer, text):
    assert repr(layer) == text
