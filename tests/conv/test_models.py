"""CNN models: shapes, the layer contract, learning, and the digits accuracy target."""

import math

import numpy as np
import pytest

import gradkit as gk
import gradkit.nn.functional as F
from gradkit import models
from gradkit.testing import check_layer


@pytest.mark.parametrize(
    "make,shape,n_params",
    [
        (lambda: models.LeNet5(), (2, 1, 28, 28), 61706),
        (lambda: models.LeNet5(input_size=32, activation="relu", pooling="max"), (2, 1, 32, 32), 61706),
        (lambda: models.SmallResNet(3, 10), (2, 3, 32, 32), None),
        (lambda: models.SmallResNet(1, 10, widths=(8, 16)), (2, 1, 28, 28), None),
        (lambda: models.FullyConvNet(1, 10), (2, 1, 28, 28), None),
        (lambda: models.MNIST1DCNN(), (3, 40), 5210),
        (lambda: models.DigitsCNN(), (2, 1, 8, 8), None),
    ],
)
def test_model_shapes(make, shape, n_params):
    net = make()
    y = net(gk.randn(*shape))
    assert y.shape == (shape[0], 10) and y.dtype == np.float32
    if n_params is not None:
        assert net.num_parameters() == n_params


def test_fully_conv_net_has_no_dense_layer_and_any_input_size():
    net = models.FullyConvNet(3, 5, widths=(4, 8))
    assert not any(isinstance(m, gk.nn.Linear) for m in net.modules())
    assert isinstance(net.head, gk.nn.Conv2d) and net.head.kernel_size == (1, 1)
    assert net(gk.randn(2, 3, 12, 20)).shape == (2, 5)


def test_resnet_blocks_use_projection_only_when_shapes_change():
    net = models.SmallResNet(1, 10, widths=(8, 16), blocks_per_stage=2)
    blocks = list(net.layers)
    assert isinstance(blocks[0].shortcut, gk.nn.Identity)
    assert isinstance(blocks[2].shortcut, gk.nn.Sequential)  # stride 2, 8 -> 16 channels
    assert blocks[2].shortcut[0].kernel_size == (1, 1) and blocks[2].shortcut[0].stride == (2, 2)
    assert isinstance(blocks[3].shortcut, gk.nn.Identity)


def test_basic_block_skip_connection_is_identity_plus_residual():
    block = models.BasicBlock(4, 4).eval()
    with gk.no_grad():
        for p in block.conv2.parameters():
            p.zero_()
    x = gk.randn(2, 4, 5, 5).relu()
    # with the second conv zeroed, bn2 outputs its (eval) bias = 0, so the block is relu(x) = x
    np.testing.assert_allclose(block(x).numpy(), x.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "make,shape",
    [
        (lambda: models.BasicBlock(2, 3, stride=2), (2, 2, 6, 6)),
        (lambda: models.MNIST1DCNN(num_classes=3, length=20, channels=3), (2, 1, 20)),
        (lambda: models.FullyConvNet(1, 3, widths=(2,)), (2, 1, 6, 6)),
    ],
)
def test_model_contract(make, shape):
    check_layer(make, shape, gradcheck_max_elements=24)


def test_models_reject_wrong_inputs():
    with pytest.raises(ValueError, match=r"LeNet5 expected input of shape \(N, 1, 28, 28\)"):
        models.LeNet5()(gk.zeros(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"MNIST1DCNN expected input of shape \(N, 40\)"):
        models.MNIST1DCNN()(gk.zeros(2, 41))
    with pytest.raises(ValueError, match="activation must be 'tanh' or 'relu'"):
        models.LeNet5(activation="gelu")


def test_lenet_learns_a_fixed_batch():
    net = models.LeNet5(activation="relu", pooling="max")
    opt = gk.optim.Adam(net.parameters(), lr=2e-3)
    x = gk.randn(16, 1, 28, 28)
    y = gk.tensor(np.arange(16) % 10)
    first = None
    for _ in range(40):
        loss = F.cross_entropy(net(x), y)
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.2 * first


@pytest.mark.slow
def test_digits_cnn_reaches_98_percent():
    """DigitsCNN + shift/rotation augmentation + Adam on the 8x8 digits (a held-out 20 % test split)."""
    from gradkit import data as D

    d = D.datasets.digits(as_images=True)
    s = D.train_dev_test_split((d.X / 16.0).astype(np.float32), d.y, sizes=(0.8, 0.0, 0.2), seed=0)
    net = models.DigitsCNN()
    opt = gk.optim.Adam(net.parameters(), lr=3e-3)
    aug = D.Compose([D.RandomRotation(10), D.RandomCrop(8, padding=1)])
    loader = D.DataLoader(D.TensorDataset(s.X_train, s.y_train), batch_size=64, shuffle=True)
    epochs = 25
    for epoch in range(epochs):
        for group in opt.param_groups:  # cosine decay to 0 (a stable final accuracy)
            group["lr"] = 3e-3 * 0.5 * (1 + math.cos(math.pi * epoch / epochs))
        for xb, yb in loader:
            loss = F.cross_entropy(net(aug(xb)), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    with gk.no_grad():
        acc = (net(gk.tensor(s.X_test)).numpy().argmax(1) == s.y_test).mean()
    assert acc >= 0.98, acc
