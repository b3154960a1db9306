"""gk.optim.prox_l1_: in-place soft-thresholding (the proximal step of the L1 penalty)."""

import numpy as np
import pytest

import gradkit as gk


def test_prox_l1_is_soft_thresholding_in_place():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 7)).astype(np.float32)
    w = gk.tensor(a.copy(), requires_grad=True)
    data = w.array
    zeros = gk.optim.prox_l1_([w], 0.5)
    expected = np.sign(a) * np.maximum(np.abs(a) - np.float32(0.5), 0)
    np.testing.assert_allclose(w.numpy(), expected, rtol=0, atol=1e-7)
    assert w.array is data and w.grad_fn is None and w.dtype == gk.float32  # in place, not recorded
    assert zeros == int((np.abs(a) <= 0.5).sum()) > 0
    assert not np.signbit(w.numpy()[w.numpy() == 0]).any()  # exact +0.0, no -0.0


def test_prox_l1_threshold_zero_is_identity_and_float64_is_kept():
    a = np.array([[1e-300, -3.0], [0.25, 0.0]])
    w = gk.tensor(a.copy())
    assert gk.optim.prox_l1_(w, 0.0) == 1
    np.testing.assert_array_equal(w.numpy(), a)
    assert w.dtype == gk.float64


def test_prox_l1_on_a_module_thresholds_the_weights_only():
    net = gk.nn.Sequential(gk.nn.Linear(3, 4), gk.nn.BatchNorm1d(4), gk.nn.Linear(4, 2))
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    gk.optim.prox_l1_(net, 100.0)
    after = net.state_dict()
    for k in ("0.weight", "2.weight"):
        assert (after[k].numpy() == 0).all(), k
    for k in ("0.bias", "1.weight", "1.bias", "2.bias"):
        np.testing.assert_array_equal(after[k].numpy(), before[k], err_msg=k)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), True, "0.1"])
def test_prox_l1_refuses_bad_thresholds(bad):
    with pytest.raises(ValueError, match="threshold must be a finite number >= 0"):
        gk.optim.prox_l1_([gk.zeros(3)], bad)


def test_prox_l1_refuses_non_tensors():
    with pytest.raises(TypeError, match=r"params\[1\] must be a Tensor"):
        gk.optim.prox_l1_([gk.zeros(2), np.zeros(2)], 0.1)


def test_prox_l1_matches_torch_softshrink():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(1).standard_normal((4, 6))
    w = gk.tensor(a.copy())
    gk.optim.prox_l1_(w, 0.3)
    ref = torch.nn.functional.softshrink(torch.from_numpy(a), 0.3).numpy()
    np.testing.assert_array_equal(w.numpy(), ref)
