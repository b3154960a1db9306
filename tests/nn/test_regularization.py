"""Regularization: L1/L2 penalties, the weight-decay equivalence, weight selection, max-norm."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.diagnose import gradcheck
from gradkit.nn.regularization import (
    apply_max_norm_, l1_penalty, l2_penalty, named_weight_parameters, weight_decay_param_groups, weight_parameters,
)


def _net():
    return gk.nn.Sequential(gk.nn.Linear(3, 5), gk.nn.BatchNorm1d(5), gk.nn.PReLU(), gk.nn.Linear(5, 2))


def test_weight_selection_excludes_biases_and_norm_parameters():
    names = [n for n, _ in named_weight_parameters(_net())]
    assert names == ["0.weight", "3.weight"]
    assert [tuple(p.shape) for p in weight_parameters(_net())] == [(5, 3), (2, 5)]
    groups = weight_decay_param_groups(_net(), 0.01)
    assert [len(g["params"]) for g in groups] == [2, 5]  # 2 weights; 2 biases + BN gamma/beta + PReLU slope
    assert [g["weight_decay"] for g in groups] == [0.01, 0.0]
    with pytest.raises(TypeError, match="Module"):
        named_weight_parameters([gk.zeros(2, 2)])


def test_l2_penalty_course_form_value_and_gradient():
    w1 = gk.tensor([[1.0, 2.0], [3.0, 4.0]], dtype="float64", requires_grad=True)
    w2 = gk.tensor([[0.5, -1.5]], dtype="float64", requires_grad=True)
    lam, m = 0.3, 6
    pen = l2_penalty([w1, w2], lam, m)
    # (lam / 2m) * (||w1||^2 + ||w2||^2) = 0.025 * (30 + 2.5)
    assert pen.item() == pytest.approx(0.8125)
    pen.backward()
    assert np.allclose(w1.grad.numpy(), lam / m * w1.numpy())
    assert np.allclose(w2.grad.numpy(), lam / m * w2.numpy())
    assert gradcheck(lambda a, b: l2_penalty([a, b], lam, m), [w1, w2]).passed


def test_l1_penalty_value_and_gradient():
    w = gk.tensor([[1.0, -2.0], [0.5, -0.25]], dtype="float64", requires_grad=True)
    pen = l1_penalty([w], lam=0.4, m=2)
    assert pen.item() == pytest.approx(0.2 * 3.75)
    pen.backward()
    assert np.allclose(w.grad.numpy(), 0.2 * np.sign(w.numpy()))
    assert gradcheck(lambda a: l1_penalty([a], 0.4, 2), [w]).passed


def test_penalty_of_module_uses_weights_only():
    net = _net()
    expected = sum(float((p.numpy().astype(np.float64) ** 2).sum()) for p in weight_parameters(net)) * 0.5
    assert l2_penalty(net, lam=1.0).item() == pytest.approx(expected, rel=1e-6)
    # named pairs and dicts are accepted too
    assert l2_penalty(dict(net.named_parameters()), 1.0).item() > l2_penalty(net, 1.0).item()
    assert l1_penalty(list(net.named_parameters()), 1.0).item() > 0
    assert l2_penalty([], 1.0).item() == 0.0
    with pytest.raises(ValueError, match="lam"):
        l2_penalty(net, -1.0)
    with pytest.raises(ValueError, match="m "):
        l1_penalty(net, 1.0, m=0)


def test_l2_penalty_equals_weight_decay_update():
    """A plain gradient step on loss + (lam/2m)||W||^2 shrinks W by (1 - lr*lam/m) before the loss step."""
    lam, m, lr = 0.5, 10, 0.1
    x, y = gk.randn(10, 3), gk.randn(10, 2)
    lin = gk.nn.Linear(3, 2, bias=False)
    w0 = lin.weight.numpy().copy()
    gk.nn.functional.mse_loss(lin(x), y).backward()
    g_loss = lin.weight.grad.numpy().copy()
    lin.zero_grad()
    (gk.nn.functional.mse_loss(lin(x), y) + l2_penalty(lin, lam, m)).backward()
    stepped = w0 - lr * lin.weight.grad.numpy()
    assert np.allclose(stepped, (1 - lr * lam / m) * w0 - lr * g_loss, atol=1e-7)


def test_l2_penalty_equals_sgd_weight_decay():
    """loss + (lam/2m)||W||^2 under SGD(lr) == SGD(lr, weight_decay=lam/m) on the bare loss."""
    optim = pytest.importorskip("gradkit.optim", exc_type=ImportError)
    lam, m, lr = 0.5, 10, 0.1
    x, y = gk.randn(10, 3), gk.randn(10, 2)
    gk.manual_seed(1)
    a = gk.nn.Linear(3, 2, bias=False)
    b = gk.nn.Linear(3, 2, bias=False)
    b.load_state_dict(a.state_dict())
    opt_a = optim.SGD(a.parameters(), lr=lr, momentum=0.9)
    opt_b = optim.SGD(b.parameters(), lr=lr, momentum=0.9, weight_decay=lam / m)
    for _ in range(5):
        opt_a.zero_grad()
        (gk.nn.functional.mse_loss(a(x), y) + l2_penalty(a, lam, m)).backward()
        opt_a.step()
        opt_b.zero_grad()
        gk.nn.functional.mse_loss(b(x), y).backward()
        opt_b.step()
    assert np.allclose(a.weight.numpy(), b.weight.numpy(), atol=1e-6)


def test_max_norm_rescales_only_long_rows():
    w = gk.tensor([[3.0, 4.0], [0.3, 0.4], [0.0, 2.0]], dtype="float64")
    n = apply_max_norm_(w, max_norm=2.0)
    assert n == 1  # the row of norm exactly 2 is within the limit
    assert np.allclose(np.linalg.norm(w.numpy(), axis=1), [2.0, 0.5, 2.0], atol=1e-6)
    assert np.allclose(w.numpy()[1], [0.3, 0.4])  # untouched
    assert np.allclose(w.numpy()[0], [1.2, 1.6], atol=1e-6)  # direction kept
    # dim=1 constrains columns instead
    v = gk.tensor([[3.0, 0.1], [4.0, 0.1]], dtype="float64")
    assert apply_max_norm_(v, 1.0, dim=1) == 1
    assert np.allclose(np.linalg.norm(v.numpy(), axis=0), [1.0, np.sqrt(0.02)], atol=1e-6)


def test_max_norm_on_module_parameters_in_place_under_no_grad():
    net = gk.nn.Sequential(gk.nn.Linear(4, 6), gk.nn.ReLU(), gk.nn.Linear(6, 2))
    with gk.no_grad():
        net[0].weight.mul_(10.0)
        net[0].bias.mul_(100.0)
    bias_before = net[0].bias.numpy().copy()
    w_id = id(net[0].weight.array)
    n = apply_max_norm_(net, max_norm=0.5)  # parameters require grad: must still work
    assert n >= 6
    assert id(net[0].weight.array) == w_id  # in place
    assert np.all(np.linalg.norm(net[0].weight.numpy(), axis=1) <= 0.5 + 1e-6)
    assert np.all(np.linalg.norm(net[2].weight.numpy(), axis=1) <= 0.5 + 1e-6)
    assert np.array_equal(net[0].bias.numpy(), bias_before)  # biases are not constrained
    assert net[0].weight.dtype == np.float32
    with pytest.raises(ValueError, match="max_norm"):
        apply_max_norm_(net, 0.0)
    with pytest.raises(ValueError, match=r"dim 3 is out of range.*\(6, 4\)"):
        apply_max_norm_(net, 1.0, dim=3)
