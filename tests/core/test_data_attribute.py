"""``Tensor.data`` as in PyTorch: a detached Tensor sharing storage; the raw array is ``.array``."""

import numpy as np
import pytest

import gradkit as gk


def test_data_is_a_detached_tensor_sharing_storage():
    p = gk.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = p.data
    assert isinstance(d, gk.Tensor) and not d.requires_grad and d.grad_fn is None
    assert d.array is p.array
    d[0] = 7.0
    assert p.tolist() == [7.0, 2.0, 3.0]


def test_torch_style_manual_sgd_update_through_data():
    p = gk.tensor([1.0, -2.0], requires_grad=True)
    (p * p).sum().backward()
    p.data.add_(p.grad, alpha=-0.1)  # torch's classic loop, outside no_grad
    np.testing.assert_allclose(p.numpy(), [0.8, -1.6], rtol=1e-6)
    assert p.requires_grad and p.is_leaf


def test_in_place_fills_through_data_change_the_parameter():
    w = gk.zeros(100, 10, requires_grad=True)
    w.data.normal_(0, 0.01)
    assert 0.005 < float(w.numpy().std()) < 0.02
    w.data.copy_(gk.ones(100, 10))
    assert float(w.numpy().sum()) == 1000.0
    w.data.zero_()
    assert float(w.numpy().sum()) == 0.0


def test_assigning_data_rebinds_the_storage_and_keeps_the_graph_leaf():
    p = gk.tensor([1.0, 2.0], requires_grad=True)
    t = gk.tensor([5.0, 6.0, 7.0])
    p.data = t
    assert p.array is t.array and p.shape == (3,) and p.requires_grad
    (p * 2).sum().backward()
    assert p.grad.tolist() == [2.0, 2.0, 2.0]


def test_assigning_a_non_tensor_to_data_names_the_fix():
    p = gk.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"\.array"):
        p.data = np.zeros(2)


def test_module_parameters_updated_through_data_in_a_torch_loop():
    net = gk.nn.Linear(3, 1)
    x, y = gk.randn(16, 3), gk.randn(16, 1)
    first = None
    for _ in range(50):
        loss = ((net(x) - y) ** 2).mean()
        first = first if first is not None else loss.item()
        net.zero_grad()
        loss.backward()
        for p in net.parameters():
            p.data.sub_(0.1 * p.grad.data)
    assert loss.item() < first
