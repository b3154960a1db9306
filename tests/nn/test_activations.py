"""Activations (functional and modules): gradients, known values, stability, torch parity."""

import math

import numpy as np
import pytest

import gradkit as gk
import gradkit.nn.functional as F
from gradkit.diagnose import gradcheck, gradgradcheck


def _x(shape=(3, 4), seed=0, scale=1.5):
    """float64 values kept at least 0.1 away from 0 (the kink of relu-like functions)."""
    a = np.random.default_rng(seed).standard_normal(shape) * scale
    a = np.where(np.abs(a) < 0.1, 0.3 * np.sign(a) + (a == 0) * 0.3, a)
    return gk.tensor(a, requires_grad=True)


SMOOTH = {
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "elu": lambda x: F.elu(x, alpha=0.7),
    "selu": F.selu,
    "softplus": F.softplus,
    "softplus_beta_threshold": lambda x: F.softplus(x, beta=2.0, threshold=3.0),
    "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "softmax_dim1": lambda x: F.softmax(x, dim=1),
    "softmax_dim0": lambda x: F.softmax(x, dim=0),
    "log_softmax": lambda x: F.log_softmax(x, dim=-1),
}
PIECEWISE = {
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "threshold": lambda x: F.threshold(x, 0.05, -3.0),
}


@pytest.mark.parametrize("name", sorted(SMOOTH) + sorted(PIECEWISE))
def test_gradcheck(name):
    fn = SMOOTH.get(name) or PIECEWISE[name]
    report = gradcheck(fn, [_x()])
    assert report.passed, str(report)


@pytest.mark.parametrize("name", sorted(SMOOTH))
def test_second_order(name):
    report = gradgradcheck(SMOOTH[name], [_x((2, 3))])
    assert report.passed, str(report)


def test_softmax_3d_and_prelu_gradcheck():
    assert gradcheck(lambda x: F.softmax(x, dim=1), [_x((2, 3, 4))]).passed
    w = gk.tensor(np.array([0.1, 0.3, -0.2]), requires_grad=True)
    assert gradcheck(lambda x, w: F.prelu(x, w), [_x((2, 3, 4)), w]).passed
    w1 = gk.tensor(np.array([0.25]), requires_grad=True)
    assert gradcheck(lambda x, w: F.prelu(x, w), [_x((5,)), w1]).passed


def test_prelu_module_is_learnable():
    m = gk.nn.PReLU(num_parameters=3)
    assert m.weight.shape == (3,) and np.allclose(m.weight.numpy(), 0.25)
    x = gk.tensor([[[-2.0], [-4.0], [1.0]]])
    y = m(x)
    assert np.allclose(y.numpy().ravel(), [-0.5, -1.0, 1.0])
    y.sum().backward()
    assert np.allclose(m.weight.grad.numpy(), [-2.0, -4.0, 0.0])
    assert list(m.state_dict()) == ["weight"]
    with pytest.raises(ValueError, match=r"3 slopes.*\(2, 5\)"):
        m(gk.zeros(2, 5))


def test_step_and_sign_are_forward_only():
    x = gk.tensor([-2.0, -0.5, 0.0, 0.5, 3.0], requires_grad=True)
    s = F.step(x)
    assert s.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]
    assert F.step(x, value_at_zero=0.0).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert F.sign(x).tolist() == [-1.0, -1.0, 0.0, 1.0, 1.0]
    (s * 3 + F.sign(x)).sum().backward()
    assert x.grad is not None and not np.any(x.grad.numpy())  # zero gradient: nothing to learn
    assert gk.nn.Step()(x).tolist() == s.tolist()
    assert gk.nn.Sign()(x).tolist() == F.sign(x).tolist()


def test_threshold_semantics():
    x = gk.tensor([-1.0, 0.5, 1.0, 2.0], requires_grad=True)
    y = F.threshold(x, 1.0, -7.0)
    assert y.tolist() == [-7.0, -7.0, -7.0, 2.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 1.0]
    assert gk.nn.Threshold(1.0, -7.0)(x).tolist() == y.tolist()


def test_known_values():
    assert F.sigmoid(gk.tensor([0.0])).item() == 0.5
    assert math.isclose(F.tanh(gk.tensor([0.5], dtype="float64")).item(), math.tanh(0.5))
    assert F.leaky_relu(gk.tensor([-100.0])).item() == pytest.approx(-1.0)
    assert F.elu(gk.tensor([-1.0], dtype="float64")).item() == pytest.approx(math.exp(-1) - 1)
    assert F.softplus(gk.tensor([0.0], dtype="float64")).item() == pytest.approx(math.log(2))
    assert F.softplus(gk.tensor([30.0], dtype="float64")).item() == 30.0  # linear above the threshold
    phi1 = 0.5 * (1 + math.erf(1 / math.sqrt(2)))
    assert F.gelu(gk.tensor([1.0], dtype="float64")).item() == pytest.approx(phi1, rel=1e-12)
    u = math.sqrt(2 / math.pi) * (1 + 0.044715)
    assert F.gelu(gk.tensor([1.0], dtype="float64"), approximate="tanh").item() == pytest.approx(0.5 * (1 + math.tanh(u)))
    lsm = F.log_softmax(gk.tensor([1.0, 2.0, 3.0], dtype="float64"), dim=0).numpy()
    expected = np.array([1.0, 2.0, 3.0]) - math.log(math.e + math.e**2 + math.e**3)
    assert np.allclose(lsm, expected, atol=1e-14)


def test_selu_constants():
    assert F.SELU_ALPHA == 1.6732632423543772848170429916717
    assert F.SELU_SCALE == 1.0507009873554804934193349852946
    y = F.selu(gk.tensor([1.0, -1.0, -50.0], dtype="float64")).numpy()
    assert y[0] == pytest.approx(1.0507009873554805)
    assert y[1] == pytest.approx(1.0507009873554805 * 1.6732632423543772 * (math.exp(-1) - 1))
    assert y[2] == pytest.approx(-1.0507009873554805 * 1.6732632423543772)  # saturation -scale*alpha


def test_softmax_sums_to_one():
    x = gk.randn(5, 7, 3)
    for d in (0, 1, 2, -1):
        s = F.softmax(x, dim=d).sum(d).numpy()
        assert np.allclose(s, 1.0, atol=1e-6)
        assert np.allclose(F.log_softmax(x, dim=d).exp().sum(d).numpy(), 1.0, atol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_stability_at_1e4(dtype):
    # RuntimeWarning is an error in this test suite: overflow would fail the test.
    big = gk.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype, requires_grad=True)
    for fn in (F.sigmoid, F.softplus, F.gelu, F.elu, F.selu, F.tanh, lambda t: F.softmax(t, 1), lambda t: F.log_softmax(t, 1)):
        y = fn(big)
        assert not np.any(np.isnan(y.numpy())), fn
        y.sum().backward()
        assert np.all(np.isfinite(big.grad.numpy())), fn
        big.grad = None
    assert F.sigmoid(big).numpy()[0].tolist() == [1.0, 0.0, 0.5]
    assert F.softmax(big, 1).numpy()[0].tolist() == [1.0, 0.0, 0.0]
    assert np.allclose(F.softmax(big, 1).numpy()[1], 1 / 3)
    assert F.log_softmax(big, 1).numpy()[0].tolist() == [0.0, -2e4, -1e4]
    assert np.allclose(F.softplus(big).numpy()[0], [1e4, 0.0, math.log(2)])


def test_no_float64_upcast():
    x = gk.randn(4, 5, requires_grad=True)
    outs = [F.sigmoid(x), F.relu(x), F.leaky_relu(x), F.elu(x), F.selu(x), F.softplus(x), F.gelu(x),
            F.gelu(x, approximate="tanh"), F.softmax(x, 1), F.log_softmax(x, 1), F.threshold(x, 0.1, 2.0),
            F.step(x), F.sign(x), F.prelu(x, gk.tensor([0.25]))]
    for y in outs:
        assert y.dtype == np.float32
    sum(y.sum() for y in outs[:-3]).backward()
    assert x.grad.dtype == np.float32


def test_softmax_implicit_dim_warns_like_torch():
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = F.softmax(gk.zeros(2, 3))
    assert np.allclose(y.numpy().sum(1), 1.0)  # 2-D: dim=1, as PyTorch


def test_modules_match_functional_and_have_configs():
    x = gk.randn(3, 4)
    cases = [
        (gk.nn.Sigmoid(), F.sigmoid(x)), (gk.nn.Tanh(), F.tanh(x)), (gk.nn.ReLU(), F.relu(x)),
        (gk.nn.LeakyReLU(0.2), F.leaky_relu(x, 0.2)), (gk.nn.ELU(0.5), F.elu(x, 0.5)), (gk.nn.SELU(), F.selu(x)),
        (gk.nn.Softplus(2.0, 10.0), F.softplus(x, 2.0, 10.0)), (gk.nn.GELU("tanh"), F.gelu(x, "tanh")),
        (gk.nn.Softmax(dim=1), F.softmax(x, 1)), (gk.nn.LogSoftmax(dim=0), F.log_softmax(x, 0)),
    ]
    for m, expected in cases:
        assert np.array_equal(m(x).numpy(), expected.numpy()), type(m).__name__
        rebuilt = type(m).from_config(m.get_config())
        assert np.array_equal(rebuilt(x).numpy(), expected.numpy())
    assert "negative_slope=0.2" in repr(gk.nn.LeakyReLU(0.2))


def test_bad_arguments():
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(gk.zeros(2), approximate="fast")
    with pytest.raises(IndexError, match="dim 2"):
        F.softmax(gk.zeros(2, 3), dim=2)
    with pytest.raises(TypeError, match="floating"):
        F.sigmoid(gk.tensor([1, 2]))


def test_against_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = np.random.default_rng(1).standard_normal((4, 3, 5)) * 3
    pairs = {
        "elu": (lambda a: F.elu(a, 0.7), lambda a: tf.elu(a, 0.7)),
        "selu": (F.selu, tf.selu),
        "softplus": (lambda a: F.softplus(a, 2.0, 5.0), lambda a: tf.softplus(a, 2.0, 5.0)),
        "gelu": (F.gelu, tf.gelu),
        "gelu_tanh": (lambda a: F.gelu(a, approximate="tanh"), lambda a: tf.gelu(a, approximate="tanh")),
        "leaky_relu": (F.leaky_relu, tf.leaky_relu),
        "softmax": (lambda a: F.softmax(a, 1), lambda a: tf.softmax(a, 1)),
        "log_softmax": (lambda a: F.log_softmax(a, -1), lambda a: tf.log_softmax(a, -1)),
        "prelu": (lambda a: F.prelu(a, gk.tensor(np.array([0.1, 0.2, 0.3]))),
                  lambda a: tf.prelu(a, torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64))),
    }
    w = np.random.default_rng(2).standard_normal(x.shape)
    for name, (ours, theirs) in pairs.items():
        a = gk.tensor(x, requires_grad=True)
        y = ours(a)
        (y * gk.tensor(w)).sum().backward()
        t = torch.tensor(x, requires_grad=True)
        yt = theirs(t)
        (yt * torch.tensor(w)).sum().backward()
        assert np.allclose(y.numpy(), yt.detach().numpy(), atol=1e-12), name
        assert np.allclose(a.grad.numpy(), t.grad.numpy(), atol=1e-12), name


CONTRACT = {
    "Sigmoid": lambda: gk.nn.Sigmoid(),
    "Tanh": lambda: gk.nn.Tanh(),
    "ReLU": lambda: gk.nn.ReLU(),
    "LeakyReLU": lambda: gk.nn.LeakyReLU(0.1),
    "PReLU": lambda: gk.nn.PReLU(num_parameters=3, init=0.1),
    "ELU": lambda: gk.nn.ELU(alpha=0.5),
    "SELU": lambda: gk.nn.SELU(),
    "Softplus": lambda: gk.nn.Softplus(beta=2.0),
    "GELU": lambda: gk.nn.GELU(),
    "GELU_tanh": lambda: gk.nn.GELU(approximate="tanh"),
    "Softmax": lambda: gk.nn.Softmax(dim=1),
    "LogSoftmax": lambda: gk.nn.LogSoftmax(dim=-1),
    "Threshold": lambda: gk.nn.Threshold(0.2, -1.0),
    "Step": lambda: gk.nn.Step(),
    "Sign": lambda: gk.nn.Sign(),
}


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_layer_contract(name):
    from gradkit.testing import check_layer

    check_layer(CONTRACT[name], (4, 3, 5), expected_output_shape=(4, 3, 5))


@pytest.mark.parametrize("fn", [F.step, F.sign], ids=["step", "sign"])
def test_step_sign_zero_gradient_matches_numerical(fn):
    report = gradcheck(fn, [_x()])
    assert report.passed and report.max_rel_error == 0.0


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gelu_composite_matches_forward(approximate, dtype):
    # gelu is a fused op: its composite (the same function on primitives) gives higher derivatives
    x = gk.tensor(np.random.default_rng(4).standard_normal((5, 6)) * 3, dtype=dtype, requires_grad=True)
    y = F.gelu(x, approximate=approximate)
    again = y._ctx.composite(x)
    tol = 1e-6 if dtype == "float32" else 1e-14
    np.testing.assert_allclose(again.numpy(), y.numpy(), rtol=tol, atol=tol)
    assert again.dtype == y.dtype


@pytest.mark.parametrize("name", ["elu", "softplus_beta_threshold", "gelu", "gelu_tanh", "softmax_dim1", "log_softmax"])
def test_third_order(name):
    # the second derivative's own rule is differentiable too: gradgradcheck of the gradient
    fn = SMOOTH[name]
    proj = gk.tensor(np.random.default_rng(9).standard_normal((2, 3)))

    def grad_of(x):
        with gk.enable_grad():
            (g,) = gk.grad((fn(x) * proj).sum(), x, create_graph=True)
        return g

    report = gradgradcheck(grad_of, [_x((2, 3))])
    assert report.passed, str(report)
