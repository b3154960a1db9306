"""health_report and the TrainingHealth callback."""

import json

import numpy as np
import pytest

import gradkit as gk
from gradkit.diagnose import TrainingHealth, health_report


def _data(n=64, d=10, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    y = (np.abs(X[:, :k]).argmax(1)).astype(np.int64)
    return X, y


def _he_net(d=10, k=3, act=gk.nn.ReLU):
    net = gk.nn.Sequential(gk.nn.Linear(d, 64), act(), gk.nn.Linear(64, 32), act(), gk.nn.Linear(32, k))
    for m in net.modules():
        if isinstance(m, gk.nn.Linear):
            gk.nn.init.kaiming_normal_(m.weight)
            gk.nn.init.zeros_(m.bias)
    return net


def test_quiet_on_a_healthy_he_network():
    X, y = _data()
    rep = health_report(_he_net(), "cross_entropy", X, y)
    assert rep.ok and rep.warnings == [], str(rep)
    assert [r.name for r in rep.layers] == ["0", "1", "2", "3", "4"]
    lin = rep.layer("0")
    assert lin.kind == "weighted" and lin.grad_norm > 0 and lin.weight_norm > 0
    assert lin.ratio == pytest.approx(lin.grad_norm / lin.weight_norm)
    relu = rep.layer("1")
    assert relu.dead_fraction == 0.0 and relu.act_mean > 0 and relu.act_std > 0.1
    assert "no problems found" in str(rep)


def test_flags_dead_relus():
    X, y = _data()
    net = _he_net()
    with gk.no_grad():
        net[2].bias.fill_(-100.0)
    rep = health_report(net, "cross_entropy", X, y)
    assert rep.layer("3").dead_fraction == 1.0
    assert "dead_relu" in rep.warnings_for("3")
    assert rep.warnings_for("1") == []  # the first ReLU is fine
    w = next(w for w in rep.warnings if w.kind == "dead_relu")
    assert any("leaky" in r.lower() for r in w.remedies)
    assert not rep.ok and "dead" in str(rep)


def test_flags_saturated_sigmoids():
    X, y = _data()
    net = gk.models.MLP([10, 32, 32, 3], activation="sigmoid")
    rep = health_report(net, "cross_entropy", X * 1e3, y)
    first = rep.layer("1")
    assert first.saturated_fraction > 0.9
    assert "saturated" in rep.warnings_for("1")
    assert health_report(net, "cross_entropy", X, y).layer("1").saturated_fraction < 0.25
    kinds = {w.kind for w in rep.warnings}
    assert "not_centered" in kinds  # sigmoid means near 0.5 (info)
    assert all(w.severity == "info" for w in rep.warnings if w.kind == "not_centered")


def test_flags_saturated_tanh_and_exploding_and_vanishing():
    X, y = _data()
    big = gk.models.MLP([10] + [32] * 6 + [3], activation="relu")
    for m in big.modules():
        if isinstance(m, gk.nn.Linear):
            with gk.no_grad():
                m.weight.mul_(6.0)
    rep = health_report(big, "cross_entropy", X, y)
    assert any(w.kind == "exploding" for w in rep.warnings), str(rep)
    small = gk.models.MLP([10] + [32] * 8 + [3], activation="tanh")
    for m in small.modules():
        if isinstance(m, gk.nn.Linear):
            with gk.no_grad():
                m.weight.mul_(0.1)
    rep = health_report(small, "cross_entropy", X, y)
    assert "vanishing" in rep.warnings_for("0")
    assert "vanishing" not in rep.warnings_for("16")  # the last layer still learns
    tanh = gk.models.MLP([10, 16, 3], activation="tanh")
    assert "saturated" in health_report(tanh, "cross_entropy", X * 100, y).warnings_for("1")


def test_zero_weights_and_thresholds():
    X, y = _data()
    net = _he_net()
    with gk.no_grad():
        net[0].weight.zero_()
    rep = health_report(net, "cross_entropy", X, y)
    assert "zero_weights" in rep.warnings_for("0")
    assert "collapsed" in rep.warnings_for("1")
    dead = _he_net()
    with gk.no_grad():
        dead[0].bias.fill_(-0.5)
    loose = health_report(dead, "cross_entropy", X, y, dead_threshold=1.0)
    assert "dead_relu" not in loose.warnings_for("1")
    with pytest.raises(TypeError):
        health_report(net, "cross_entropy", X, y, no_such_threshold=1)
    with pytest.raises(TypeError, match="Module"):
        health_report(lambda t: t, "cross_entropy", X, y)


def test_leaves_the_model_as_it_found_it():
    X, y = _data()
    net = gk.models.MLP([10, 16, 3], dropout=0.5, batchnorm=True)
    net.eval()
    rm = net[1].running_mean.numpy().copy()
    state = gk.random.get_rng_state()
    rep = health_report(net, "cross_entropy", X, y)
    assert rep.layer("0").grad_norm > 0
    assert not net.training and not net[1].training
    np.testing.assert_array_equal(net[1].running_mean.numpy(), rm)
    assert all(p.grad is None for p in net.parameters())
    assert json.dumps(gk.random.get_rng_state(), default=str) == json.dumps(state, default=str)  # dropout off
    json.dumps(rep.to_dict())


def test_training_health_callback_in_fit(tmp_path, capsys):
    X, y = _data(n=96)
    net = _he_net()
    with gk.no_grad():
        net[2].bias.fill_(-100.0)
    cb = TrainingHealth()
    gk.train.fit(net, "cross_entropy", "adam", (X, y), epochs=3, batch_size=32, callbacks=[cb], verbose=0, lr=1e-3)
    assert len(cb.records) == 3 and [r["epoch"] for r in cb.records] == [0, 1, 2]
    norms = cb.grad_norms()
    assert sorted(norms) == ["0", "2", "4"] and all(len(v) == 3 for v in norms.values())
    assert norms["0"][0] == 0.0  # no gradient reaches the first layer through the dead units
    assert any(w["kind"] == "dead_relu" for w in cb.records[0]["warnings"])
    out = capsys.readouterr().out
    assert out.count("units are dead") == 1  # printed once, not every epoch
    cb.plot(tmp_path / "health.png")
    assert (tmp_path / "health.png").stat().st_size > 1000
    assert all(not h for m in net.modules() for h in [m._forward_hooks])  # hooks removed


def test_training_health_with_probe_and_every():
    X, y = _data(n=64)
    net = _he_net()
    cb = TrainingHealth(probe=(X[:16], y[:16]), every=2, verbose=False)
    hist = gk.train.fit(net, "cross_entropy", "adam", (X, y), (X, y), epochs=4, callbacks=[cb], verbose=0)
    assert [r["epoch"] for r in cb.records] == [0, 2]
    assert len(cb.reports) == 2 and all(rep.ok for rep in cb.reports)
    assert len(hist) == 4
    with pytest.raises(TypeError):
        TrainingHealth(probe=X)
    with pytest.raises(ValueError, match="nothing recorded"):
        TrainingHealth().plot("unused.png")


def test_training_health_survives_a_resume(tmp_path):
    X, y = _data(n=64)
    ck = tmp_path / "ck.safetensors"
    first = TrainingHealth(verbose=False)
    gk.train.fit(_he_net(), "cross_entropy", "adam", (X, y), epochs=2, callbacks=[first], verbose=0, checkpoint=ck)
    again = TrainingHealth(verbose=False)
    gk.train.fit(_he_net(), "cross_entropy", "adam", (X, y), epochs=4, callbacks=[again], verbose=0, resume=ck)
    assert [r["epoch"] for r in again.records] == [0, 1, 2, 3]
    assert again.records[0]["layers"]["0"]["grad_norm"] == pytest.approx(first.records[0]["layers"]["0"]["grad_norm"])
