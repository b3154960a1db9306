"""Conv and pooling modules: the shared layer contract, torch-compatible init and errors."""

import math

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn
from gradkit.diagnose import gradcheck
from gradkit.testing import check_layer


@pytest.mark.parametrize(
    "make,shape,out",
    [
        (lambda: nn.Conv2d(2, 3, 3, padding=1), (2, 2, 5, 5), (2, 3, 5, 5)),
        (lambda: nn.Conv2d(4, 4, (3, 2), stride=2, dilation=(1, 2), groups=2), (2, 4, 7, 7), (2, 4, 3, 3)),
        (lambda: nn.Conv2d(2, 3, 3, padding="same", bias=False), (1, 2, 4, 5), (1, 3, 4, 5)),
        (lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1), (2, 2, 9), (2, 3, 5)),
        (lambda: nn.Conv1d(1, 2, 4, padding="same"), (2, 1, 6), (2, 2, 6)),
        (lambda: nn.MaxPool2d(2), (2, 2, 6, 6), (2, 2, 3, 3)),
        (lambda: nn.MaxPool2d(3, stride=2, padding=1), (1, 2, 7, 7), (1, 2, 4, 4)),
        (lambda: nn.MaxPool1d(3, stride=2), (2, 2, 9), (2, 2, 4)),
        (lambda: nn.AvgPool2d(2, stride=1), (2, 2, 4, 4), (2, 2, 3, 3)),
        (lambda: nn.AvgPool1d(2), (2, 2, 8), (2, 2, 4)),
        (lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 2, 5, 7), (2, 2, 2, 3)),
        (lambda: nn.AdaptiveAvgPool1d(3), (2, 2, 7), (2, 2, 3)),
        (lambda: nn.GlobalAvgPool2d(), (2, 3, 4, 4), (2, 3)),
    ],
)
def test_layer_contract(make, shape, out):
    check_layer(make, shape, expected_output_shape=out)


def test_conv_init_matches_pytorch_bounds():
    conv = nn.Conv2d(16, 32, 3)
    fan_in = 16 * 9
    bound = 1.0 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) gives 1/sqrt(fan_in)
    w = conv.weight.numpy()
    assert w.shape == (32, 16, 3, 3) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    b = conv.bias.numpy()
    assert b.shape == (32,) and np.abs(b).max() <= bound
    g = nn.Conv2d(8, 8, 3, groups=4)
    assert g.weight.shape == (8, 2, 3, 3)
    assert np.abs(g.weight.numpy()).max() <= 1 / math.sqrt(2 * 9)
    assert nn.Conv1d(3, 5, 4).weight.shape == (5, 3, 4)
    assert nn.Conv2d(1, 2, 3, bias=False).bias is None


def test_init_is_seeded():
    gk.manual_seed(7)
    a = nn.Conv2d(3, 4, 3).weight.numpy().copy()
    gk.manual_seed(7)
    b = nn.Conv2d(3, 4, 3).weight.numpy()
    np.testing.assert_array_equal(a, b)


def test_conv2d_channel_error_message():
    conv = nn.Conv2d(3, 8, 3)
    with pytest.raises(ValueError) as e:
        conv(gk.zeros(4, 1, 28, 28))
    assert str(e.value) == "Conv2d expected 3 input channels, got 1 (input shape (4, 1, 28, 28))"
    with pytest.raises(ValueError, match=r"Conv1d expected 25 input channels, got 1"):
        nn.Conv1d(25, 25, 3)(gk.zeros(2, 1, 40))
    with pytest.raises(ValueError, match=r"Conv2d expected a 4-D input \(N, C, H, W\)"):
        conv(gk.zeros(28, 28))


def test_constructor_errors():
    with pytest.raises(ValueError, match="stride must be positive, got 0"):
        nn.Conv2d(1, 2, 3, stride=0)
    with pytest.raises(ValueError, match="padding must be non-negative"):
        nn.Conv2d(1, 2, 3, padding=-1)
    with pytest.raises(ValueError, match="kernel_size must be positive"):
        nn.Conv2d(1, 2, 0)
    with pytest.raises(ValueError, match=r"in_channels \(3\) must be divisible by groups \(2\)"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="not supported for strided"):
        nn.Conv2d(1, 2, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(1, 2, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match=r"kernel size \(5, 5\).*larger than the padded input size 3"):
        nn.Conv2d(1, 1, 5)(gk.zeros(1, 1, 3, 3))


def test_output_shape_helper():
    conv = nn.Conv2d(3, 8, 5, stride=2, padding=1)
    assert conv.output_shape((4, 3, 32, 32)) == conv(gk.zeros(4, 3, 32, 32)).shape
    assert nn.Conv1d(1, 25, 5, stride=2, padding=1).output_shape((2, 1, 40)) == (2, 25, 19)


def test_conv_module_gradcheck_with_stride_dilation_groups():
    conv = nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2).to(dtype="float64")
    x = gk.randn(2, 4, 7, 6, dtype="float64", requires_grad=True)
    params = [conv.weight, conv.bias]

    def f(x, w, b):
        return gk.nn.functional.conv.conv2d(x, w, b, conv.stride, conv.padding, conv.dilation, conv.groups)

    rep = gradcheck(f, [x] + params)
    assert rep.passed, str(rep)


def test_repr_and_config_round_trip():
    conv = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
    assert repr(conv) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)"
    cfg = conv.get_config()
    again = nn.Conv2d.from_config(cfg)
    assert again.kernel_size == (3, 3) and again.stride == (2, 2) and again.bias is None
