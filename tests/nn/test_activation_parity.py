"""The activations PyTorch has beyond the classic ones: gradcheck, torch parity (values and grads), layer contract."""

import numpy as np
import pytest

import gradkit as gk
import gradkit.nn.functional as F
from gradkit.diagnose import gradcheck
from gradkit.testing import check_layer

from .parity_helpers import compare, rand

# name -> (gradkit fn, torch fn name, kwargs); evaluated away from the kinks
CASES = {
    "silu": (F.silu, "silu", {}),
    "mish": (F.mish, "mish", {}),
    "hardtanh": (lambda x: F.hardtanh(x, -0.7, 1.2), "hardtanh", {"min_val": -0.7, "max_val": 1.2}),
    "relu6": (F.relu6, "relu6", {}),
    "hardswish": (F.hardswish, "hardswish", {}),
    "hardsigmoid": (F.hardsigmoid, "hardsigmoid", {}),
    "softsign": (F.softsign, "softsign", {}),
    "logsigmoid": (F.logsigmoid, "logsigmoid", {}),
    "celu": (lambda x: F.celu(x, alpha=0.6), "celu", {"alpha": 0.6}),
    "celu1": (F.celu, "celu", {}),
    "softmin": (lambda x: F.softmin(x, dim=-1), "softmin", {"dim": -1}),
    "tanhshrink": (F.tanhshrink, "tanhshrink", {}),
    "softshrink": (lambda x: F.softshrink(x, 0.3), "softshrink", {"lambd": 0.3}),
    "hardshrink": (lambda x: F.hardshrink(x, 0.3), "hardshrink", {"lambd": 0.3}),
    "glu": (lambda x: F.glu(x, dim=-1), "glu", {"dim": -1}),
    "rrelu_eval": (lambda x: F.rrelu(x, 0.1, 0.3), "rrelu", {"lower": 0.1, "upper": 0.3}),
}


def _kink_free(name, shape, seed=0):
    a = rand(shape, seed=seed, scale=2.5)
    # keep 0.05 away from every kink: 0, +-lambd (0.3), +-3, 6, -0.7, 1.2
    for k in (0.0, 0.3, -0.3, 3.0, -3.0, 6.0, -0.7, 1.2):
        a = np.where(np.abs(a - k) < 0.05, k + 0.1, a)
    return a


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck_float64(name):
    fn = CASES[name][0]
    x = gk.tensor(_kink_free(name, (3, 4)), requires_grad=True)
    report = gradcheck(fn, [x])
    assert report.passed, str(report)


@pytest.mark.parametrize("shape", [(), (0,), (5,), (2, 3, 4)])
@pytest.mark.parametrize("name", sorted(CASES))
def test_against_torch(name, shape):
    torch = pytest.importorskip("torch")
    fn, tname, kw = CASES[name]
    if name == "glu" and (shape == () or shape[-1] % 2):
        pytest.skip("glu needs an even last dimension")
    if name == "softmin" and shape == ():
        kw = {"dim": 0}
        fn = lambda x: F.softmin(x, dim=0)  # noqa: E731
    a = _kink_free(name, shape)
    compare(torch, fn, lambda t: getattr(torch.nn.functional, tname)(t, **kw), [a])


def test_extreme_values_are_finite():
    x = gk.tensor([-1e4, -50.0, 0.0, 50.0, 1e4])
    for fn in (F.silu, F.mish, F.logsigmoid, F.softsign, F.celu, F.hardswish, F.tanhshrink):
        y = fn(x)
        assert np.isfinite(y.numpy()).all(), fn.__name__
    assert F.logsigmoid(gk.tensor([-1e4])).item() == -1e4


def test_glu_odd_raises_and_rrelu_training_is_seeded():
    with pytest.raises(ValueError, match="even"):
        F.glu(gk.ones(2, 3))
    x = gk.tensor(-np.ones((4, 5)), requires_grad=True)
    gk.manual_seed(3)
    a = F.rrelu(x, 0.1, 0.3, training=True)
    gk.manual_seed(3)
    b = F.rrelu(x, 0.1, 0.3, training=True)
    assert np.array_equal(a.numpy(), b.numpy())
    assert ((-a.numpy() >= 0.1) & (-a.numpy() <= 0.3)).all() and len(np.unique(a.numpy())) > 1
    a.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), a.numpy() / x.numpy())
    pos = F.rrelu(gk.ones(3), training=True)
    assert pos.tolist() == [1.0, 1.0, 1.0]


def test_inplace_is_accepted():
    x = gk.tensor([-1.0, 2.0])
    for fn in (F.relu, F.relu6, F.silu, F.mish, F.hardswish, F.hardsigmoid, F.elu, F.selu, F.celu):
        fn(x, inplace=True)
    F.hardtanh(x, -1.0, 1.0, True)
    F.leaky_relu(x, 0.1, True)
    assert x.tolist() == [-1.0, 2.0]


MODULES = {
    "SiLU": lambda: gk.nn.SiLU(),
    "Mish": lambda: gk.nn.Mish(inplace=False),
    "ReLU6": lambda: gk.nn.ReLU6(inplace=True),
    "Hardtanh": lambda: gk.nn.Hardtanh(-2.0, 2.0),
    "Hardswish": lambda: gk.nn.Hardswish(),
    "Hardsigmoid": lambda: gk.nn.Hardsigmoid(),
    "Softsign": lambda: gk.nn.Softsign(),
    "LogSigmoid": lambda: gk.nn.LogSigmoid(),
    "CELU": lambda: gk.nn.CELU(0.5),
    "Softmin": lambda: gk.nn.Softmin(dim=1),
    "Tanhshrink": lambda: gk.nn.Tanhshrink(),
    "Softshrink": lambda: gk.nn.Softshrink(0.3),
    "Hardshrink": lambda: gk.nn.Hardshrink(0.3),
    "GLU": lambda: gk.nn.GLU(),
    "RReLU": lambda: gk.nn.RReLU(),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_layer_contract(name):
    check_layer(MODULES[name], (4, 6), stochastic=(name == "RReLU"))


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_match_torch(name):
    torch = pytest.importorskip("torch")
    ours = MODULES[name]()
    args = {"Hardtanh": (-2.0, 2.0), "CELU": (0.5,), "Softshrink": (0.3,), "Hardshrink": (0.3,)}.get(name, ())
    kw = {"dim": 1} if name == "Softmin" else {}
    theirs = getattr(torch.nn, name)(*args, **kw)
    ours.eval(), theirs.eval()
    a = _kink_free(name, (4, 6), seed=5)
    compare(torch, ours, theirs, [a])
    assert not list(ours.parameters()) and ours.state_dict() == {}


@pytest.mark.parametrize("name", ["silu", "mish", "softsign", "logsigmoid", "celu", "softmin", "tanhshrink", "glu",
                                  "hardswish", "softshrink"])
def test_second_order(name):
    from gradkit.diagnose import gradgradcheck

    x = gk.tensor(_kink_free(name, (2, 4), seed=3), requires_grad=True)
    report = gradgradcheck(CASES[name][0], [x])
    assert report.passed, str(report)


def test_softmax2d_matches_torch():
    torch = pytest.importorskip("torch")
    for shape in ((2, 3, 4, 5), (3, 2, 2)):
        compare(torch, gk.nn.Softmax2d(), torch.nn.Softmax2d(), [rand(shape, 1)])
    check_layer(lambda: gk.nn.Softmax2d(), (2, 3, 2, 2))
