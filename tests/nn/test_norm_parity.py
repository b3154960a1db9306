"""GroupNorm, InstanceNorm1d/2d, LocalResponseNorm: layer contract, gradcheck, torch parity incl. running stats."""

import numpy as np
import pytest

import gradkit as gk
import gradkit.nn.functional as F
from gradkit.diagnose import gradcheck
from gradkit.testing import check_layer

from .parity_helpers import compare, rand


def _g(a):
    return gk.tensor(a, requires_grad=True)


def test_functional_gradcheck():
    x = _g(rand((2, 4, 3), 1))
    w, b = _g(rand((4,), 2)), _g(rand((4,), 3))
    assert gradcheck(lambda a, w, b: F.group_norm(a, 2, w, b), [x, w, b]).passed
    assert gradcheck(lambda a, w, b: F.instance_norm(a, weight=w, bias=b), [x, w, b]).passed
    assert gradcheck(lambda a: F.local_response_norm(a, 3, alpha=0.5, beta=0.75, k=1.0), [x]).passed


@pytest.mark.parametrize("shape,groups", [((2, 6, 5), 3), ((3, 4, 2, 3), 2), ((2, 4), 4), ((2, 6, 5), 1), ((0, 4, 3), 2)])
def test_group_norm_matches_torch(shape, groups):
    torch = pytest.importorskip("torch")
    C = shape[1]
    compare(torch, lambda x, w, b: F.group_norm(x, groups, w, b, 1e-3),
            lambda x, w, b: torch.nn.functional.group_norm(x, groups, w, b, 1e-3),
            [rand(shape, 1), rand((C,), 2), rand((C,), 3)])


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 4), (1, 2, 3, 2, 2)])
def test_instance_norm_functional_matches_torch(shape):
    torch = pytest.importorskip("torch")
    C = shape[1]
    rm, rv = rand((C,), 4), np.exp(rand((C,), 5))
    compare(torch, lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
            lambda x, w, b: torch.nn.functional.instance_norm(x, weight=w, bias=b), [rand(shape, 1), rand((C,), 2), rand((C,), 3)])
    ours_rm, ours_rv = gk.tensor(rm.copy()), gk.tensor(rv.copy())
    t_rm, t_rv = torch.tensor(rm.copy()), torch.tensor(rv.copy())
    x = rand(shape, 6)
    F.instance_norm(gk.tensor(x), ours_rm, ours_rv, momentum=0.3)
    torch.nn.functional.instance_norm(torch.tensor(x), t_rm, t_rv, momentum=0.3)
    np.testing.assert_allclose(ours_rm.numpy(), t_rm.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours_rv.numpy(), t_rv.numpy(), rtol=1e-10)
    compare(torch, lambda x: F.instance_norm(x, ours_rm, ours_rv, use_input_stats=False),
            lambda x: torch.nn.functional.instance_norm(x, t_rm, t_rv, use_input_stats=False), [x])


@pytest.mark.parametrize("size", [1, 2, 3, 5])
@pytest.mark.parametrize("shape", [(2, 6, 3), (2, 4, 3, 3), (1, 3, 2, 2, 2)])
def test_local_response_norm_matches_torch(size, shape):
    torch = pytest.importorskip("torch")
    compare(torch, lambda x: F.local_response_norm(x, size, 0.3, 0.6, 2.0),
            lambda x: torch.nn.functional.local_response_norm(x, size, 0.3, 0.6, 2.0), [rand(shape, 1)])


LAYERS = {
    "GroupNorm": (lambda: gk.nn.GroupNorm(2, 4), (3, 4, 5)),
    "GroupNorm_noaffine": (lambda: gk.nn.GroupNorm(4, 4, affine=False), (3, 4, 2, 2)),
    "InstanceNorm1d": (lambda: gk.nn.InstanceNorm1d(4), (3, 4, 5)),
    "InstanceNorm1d_track": (lambda: gk.nn.InstanceNorm1d(4, affine=True, track_running_stats=True), (3, 4, 5)),
    "InstanceNorm2d": (lambda: gk.nn.InstanceNorm2d(3, affine=True), (2, 3, 3, 4)),
    "InstanceNorm2d_track": (lambda: gk.nn.InstanceNorm2d(3, track_running_stats=True, momentum=None), (2, 3, 3, 4)),
    "LocalResponseNorm": (lambda: gk.nn.LocalResponseNorm(3, alpha=0.2), (2, 5, 3, 3)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_contract(name):
    make, shape = LAYERS[name]
    check_layer(make, shape, expected_output_shape=shape)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_modules_match_torch_in_train_and_eval(name):
    torch = pytest.importorskip("torch")
    make, shape = LAYERS[name]
    ours = make().double()
    cls = name.split("_")[0]
    kw = {k: v for k, v in ours.get_config().items()}
    theirs = getattr(torch.nn, cls)(**kw).double()
    ours_keys = [(k, tuple(v.shape)) for k, v in ours.state_dict().items()]
    assert ours_keys == [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    sd = {k: rand(tuple(v.shape), i) if v.dtype.is_floating_point else v.numpy() for i, (k, v) in enumerate(theirs.state_dict().items())}
    sd = {k: (np.abs(v) + 0.5 if "var" in k else v) for k, v in sd.items()}
    theirs.load_state_dict({k: torch.tensor(v) for k, v in sd.items()})
    ours.load_state_dict(sd)
    for step in range(2):
        compare(torch, ours, theirs, [rand(shape, 10 + step)])
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, err_msg=k)
    ours.eval(), theirs.eval()
    compare(torch, ours, theirs, [rand(shape, 20)])


def test_instance_norm_unbatched_and_errors():
    torch = pytest.importorskip("torch")
    m, t = gk.nn.InstanceNorm1d(3, affine=True).double(), torch.nn.InstanceNorm1d(3, affine=True).double()
    compare(torch, m, t, [rand((3, 7), 1)])
    with pytest.raises(ValueError, match="divisible"):
        gk.nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match="expected"):
        gk.nn.GroupNorm(2, 4)(gk.ones(2, 6, 3))
    with pytest.raises(ValueError, match="more than 1 spatial"):
        gk.nn.InstanceNorm1d(3)(gk.ones(2, 3, 1))
