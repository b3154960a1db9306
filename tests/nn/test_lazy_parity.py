"""Lazy modules: shape inference at the first call, clear errors before it, torch's state_dict, optimizer, to()."""

import json

import numpy as np
import pytest

import gradkit as gk
from gradkit.testing import check_layer

from .parity_helpers import compare, rand

CASES = {
    "LazyLinear": (lambda lib: lib.nn.LazyLinear(4), (3, 5)),
    "LazyLinear_nobias": (lambda lib: lib.nn.LazyLinear(2, bias=False), (2, 3, 6)),
    "LazyConv1d": (lambda lib: lib.nn.LazyConv1d(4, 3, stride=2, padding=1), (2, 3, 9)),
    "LazyConv2d": (lambda lib: lib.nn.LazyConv2d(4, 3, padding=1, groups=1), (2, 3, 5, 5)),
    "LazyBatchNorm1d": (lambda lib: lib.nn.LazyBatchNorm1d(momentum=0.3), (6, 4)),
    "LazyBatchNorm2d": (lambda lib: lib.nn.LazyBatchNorm2d(affine=False), (3, 2, 4, 4)),
}
BECOMES = {"LazyLinear": "Linear", "LazyConv1d": "Conv1d", "LazyConv2d": "Conv2d", "LazyBatchNorm1d": "BatchNorm1d",
           "LazyBatchNorm2d": "BatchNorm2d"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_becomes_the_ordinary_layer_with_torchs_state(name):
    torch = pytest.importorskip("torch")
    make, shape = CASES[name]
    ours, theirs = make(gk), make(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.to(dtype="float64")
    theirs.double()
    assert ours.weight is None or ours.weight.placeholder.dtype == np.float64
    params_before = [id(p) for p in ours.parameters()]
    x = rand(shape, 1)
    ours(gk.tensor(x))
    theirs(torch.tensor(x))
    assert type(ours).__name__ == BECOMES[name.split("_")[0]] == type(theirs).__name__
    assert [id(p) for p in ours.parameters()] == params_before  # the same objects, now filled
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert all(p.dtype == np.float64 for p in ours.parameters())
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    compare(torch, ours, theirs, [rand(shape, 2)])
    spec = {"class": type(ours).__name__, "config": json.loads(json.dumps(ours.get_config()))}
    rebuilt = gk.nn.module_from_config(spec)
    assert [tuple(p.shape) for p in rebuilt.parameters()] == [tuple(p.shape) for p in ours.parameters()]


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_contract_after_first_call(name):
    make, shape = CASES[name]

    def built():
        m = make(gk)
        m(gk.randn(*shape))
        return m

    check_layer(built, shape)


def test_clear_errors_before_the_first_call():
    lin = gk.nn.LazyLinear(3)
    with pytest.raises(RuntimeError, match="uninitialized.*first call"):
        lin.weight.shape
    with pytest.raises(RuntimeError, match="dry run"):
        lin.num_parameters()
    with pytest.raises(RuntimeError, match="uninitialized"):
        lin.weight.numpy()
    assert repr(lin.weight) == "<UninitializedParameter>"
    assert "in_features=0" in repr(lin)
    assert lin.has_uninitialized_params()
    assert lin.weight.dtype == np.float32 and lin.weight.device == "cpu"
    lin.requires_grad_(False)
    assert not lin.weight.requires_grad
    lin.requires_grad_(True)
    with pytest.raises(ValueError, match="at least one dimension"):
        lin(gk.tensor(1.0))


def test_optimizer_built_before_the_first_call_trains_like_torch():
    torch = pytest.importorskip("torch")
    gk.manual_seed(0)
    ours = gk.nn.LazyLinear(2).double()
    opt = gk.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    theirs = torch.nn.LazyLinear(2).double()
    t_opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    x = rand((4, 3), 1)
    ours(gk.tensor(x))
    theirs(torch.tensor(x))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for step in range(3):
        opt.zero_grad()
        t_opt.zero_grad()
        (ours(gk.tensor(x)) ** 2).sum().backward()
        (theirs(torch.tensor(x)) ** 2).sum().backward()
        opt.step()
        t_opt.step()
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-10)


def test_load_state_dict_into_a_lazy_module_keeps_the_values():
    src = gk.nn.Linear(5, 3)
    lazy = gk.nn.LazyLinear(3)
    lazy.load_state_dict(src.state_dict())
    assert lazy.weight.shape == (3, 5)
    x = gk.randn(2, 5)
    np.testing.assert_array_equal(lazy(x).numpy(), src(x).numpy())
    assert type(lazy) is gk.nn.Linear
    bad = gk.nn.LazyLinear(3)
    bad.load_state_dict(src.state_dict())
    with pytest.raises(RuntimeError, match="first input"):
        bad(gk.randn(2, 4))


def test_lazy_inside_a_model_and_summary():
    net = gk.nn.Sequential(gk.nn.LazyConv2d(4, 3), gk.nn.LazyBatchNorm2d(), gk.nn.ReLU(), gk.nn.Flatten(),
                           gk.nn.LazyLinear(2))
    out = net(gk.randn(2, 3, 6, 6))
    assert out.shape == (2, 2)
    assert net.num_parameters() == (4 * 3 * 9 + 4) + 8 + (4 * 16 * 2 + 2)
    rows = net.summary((3, 6, 6), print_fn=lambda *a, **k: None)
    assert rows is not None
