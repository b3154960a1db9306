"""gradcheck_model: passes on correct models, names the parameter whose backward is wrong."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.diagnose import gradcheck_model


def _batch(n=8, d=6, k=3):
    x = gk.randn(n, d)
    y = gk.tensor(np.arange(n) % k)
    return x, y


class WrongScale(gk.autograd.Function):
    """y = x * w with a deliberately wrong gradient for w (twice the true one)."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x * w

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g * w, (g * x).sum(0) * 2.0


class Scale(gk.nn.Module):
    def __init__(self, n, wrong=True):
        super().__init__()
        self.weight = gk.nn.Parameter(np.linspace(0.5, 1.5, n).astype(np.float32))
        self.wrong = wrong

    def forward(self, x):
        return WrongScale.apply(x, self.weight) if self.wrong else x * self.weight


def test_mlp_with_dropout_and_regularization_passes():
    x, y = _batch()
    net = gk.models.MLP([6, 16, 8, 3], dropout=0.5)
    rep = gradcheck_model(net, "cross_entropy", x, y, l1=0.1, l2=0.5)
    assert rep.passed, str(rep)
    assert rep.max_rel_error < 1e-7 and rep.rel_error < 1e-7
    assert rep.dropout_disabled == ["2 (Dropout)", "5 (Dropout)"]
    assert [r.name for r in rep.rows] == [n for n, _ in net.named_parameters()]
    assert [lc.layer for lc in rep.layers] == ["0 (Linear)", "3 (Linear)", "6 (Linear)"]
    assert "passed" in str(rep) and "L2 0.5" in str(rep)


def test_regularization_term_enters_J():
    x, y = _batch()
    net = gk.models.MLP([6, 8, 3])
    plain = gradcheck_model(net, "cross_entropy", x, y)
    reg = gradcheck_model(net, "cross_entropy", x, y, l2=4.0)
    w = net[0].weight.array.astype(np.float64)
    w2 = net[2].weight.array.astype(np.float64)
    expected = 4.0 / (2 * 8) * ((w ** 2).sum() + (w2 ** 2).sum())
    assert reg.loss - plain.loss == pytest.approx(expected, rel=1e-6)
    assert reg.passed


def test_cnn_with_batchnorm_passes():
    net = gk.nn.Sequential(gk.nn.Conv2d(1, 3, 3, padding=1), gk.nn.BatchNorm2d(3), gk.nn.ReLU(),
                           gk.nn.MaxPool2d(2), gk.nn.Flatten(), gk.nn.Linear(3 * 3 * 3, 3))
    x = gk.randn(4, 1, 6, 6)
    y = gk.tensor(np.array([0, 1, 2, 0]))
    rep = gradcheck_model(net, "cross_entropy", x, y)
    assert rep.passed, str(rep)
    # the conv bias feeds batch norm: its true gradient is 0, accepted through atol
    assert any(r.name == "0.bias" for r in rep.rows)


def test_names_the_parameter_with_a_wrong_backward():
    x, y = _batch()
    net = gk.nn.Sequential(gk.nn.Linear(6, 5), Scale(5), gk.nn.Tanh(), gk.nn.Linear(5, 3))
    rep = gradcheck_model(net, "cross_entropy", x, y)
    assert not rep.passed
    assert rep.failing == ["1.weight"]
    assert rep.failing_layers == ["1 (Scale)"]
    bad = next(r for r in rep.rows if r.name == "1.weight")
    assert bad.rel_error > 0.1  # 2g vs g: relative error 1/3
    assert all(r.passed for r in rep.rows if r.name != "1.weight")
    text = str(rep)
    assert "FAIL" in text and "1 (Scale)" in text and "look at their backward" in text
    assert "per layer: 0 (Linear)" in text and "1 (Scale) " in text
    assert not bool(rep)
    ok = gk.nn.Sequential(gk.nn.Linear(6, 5), Scale(5, wrong=False), gk.nn.Tanh(), gk.nn.Linear(5, 3))
    assert gradcheck_model(ok, "cross_entropy", x, y).passed


def test_samples_large_tensors_and_leaves_the_model_alone():
    x, y = _batch(d=40)
    net = gk.models.MLP([40, 30, 3], batchnorm=True)
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    rep = gradcheck_model(net, "cross_entropy", x, y, max_elements_per_tensor=10, seed=3)
    big = rep.rows[0]
    assert big.checked == 10 and big.size == 1200
    assert all(r.checked == min(10, r.size) for r in rep.rows)
    assert rep.passed
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    assert net[0].weight.dtype == np.float32 and net[0].weight.grad is None


def test_mse_regression_and_errors():
    net = gk.nn.Sequential(gk.nn.Linear(3, 4), gk.nn.Sigmoid(), gk.nn.Linear(4, 2))
    x, y = gk.randn(5, 3), gk.randn(5, 2)
    assert gradcheck_model(net, "mse", x, y).passed
    with pytest.raises(TypeError, match="Module"):
        gradcheck_model(lambda t: t, "mse", x, y)

    class Noisy(gk.nn.Module):
        def forward(self, x):
            return x + gk.randn(*x.shape, dtype=x.dtype)

    noisy = gk.nn.Sequential(gk.nn.Linear(3, 2), Noisy())
    with pytest.raises(ValueError, match="random"):
        gradcheck_model(noisy, "mse", x, y)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_bias_before_batchnorm_is_a_zero_gradient_not_a_failure(seed):
    gk.manual_seed(seed)
    net = gk.models.MLP([6, 16, 3], batchnorm=True)
    rep = gradcheck_model(net, "cross_entropy", gk.randn(4, 6), gk.tensor(np.arange(4) % 3))
    assert rep.passed, str(rep)
    assert "zero gradient" in str(rep)
