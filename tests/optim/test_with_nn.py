"""Optimizers on a real gk.nn model: training lowers the loss, and checkpoint loading keeps working."""

import numpy as np
import pytest

import gradkit as gk


def _mlp():
    nn = gk.nn
    if not hasattr(nn, "Sequential") or not hasattr(nn, "Linear"):
        pytest.skip("gk.nn layers not available")
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))


def test_adam_trains_an_mlp_and_survives_model_reload():
    rng = np.random.default_rng(0)
    x = gk.tensor(rng.standard_normal((64, 4)).astype(np.float32))
    y = gk.tensor((rng.standard_normal((64, 1)) * 0.1 + 1.0).astype(np.float32))
    net = _mlp()
    opt = gk.optim.Adam(net.parameters(), lr=0.01)

    def train(steps):
        for _ in range(steps):
            opt.zero_grad()
            loss = ((net(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
        return loss.item()

    first = ((net(x) - y) ** 2).mean().item()
    after = train(50)
    assert after < first * 0.5
    # the parameters are views of the optimizer's flat buffer, and the model still owns them
    snapshot = {k: gk.tensor(v.numpy().copy()) for k, v in net.state_dict().items()}
    train(5)
    net.load_state_dict(snapshot)  # copies into the parameters' arrays
    np.testing.assert_array_equal(next(iter(net.parameters())).numpy(), next(iter(snapshot.values())).numpy())
    for p in net.parameters():  # a reassigned array (as .to() does) is picked up too
        p.array = p.array.copy()
    before = [p.numpy().copy() for p in net.parameters()]
    train(1)
    assert all(not np.array_equal(b, p.numpy()) for b, p in zip(before, net.parameters()))
