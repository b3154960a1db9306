"""plot_grad_flow and plot_activations: the numbers they show and the pictures they draw."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.diagnose import HealthThresholds, plot_activations, plot_grad_flow


def _data(n=64, d=10, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    return X, (np.abs(X[:, :k]).argmax(1)).astype(np.int64)


def _net(std=None, act=gk.nn.ReLU, depth=3, width=32, d=10, k=3):
    sizes = [d] + [width] * depth + [k]
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(gk.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(act())
    net = gk.nn.Sequential(*layers)
    for m in net.modules():
        if isinstance(m, gk.nn.Linear):
            if std is None:
                gk.nn.init.kaiming_normal_(m.weight)
            else:
                gk.nn.init.normal_(m.weight, mean=0.0, std=std)
            gk.nn.init.zeros_(m.bias)
    return net


def _backward(net, X, y):
    net.zero_grad()
    gk.nn.functional.cross_entropy(net(gk.tensor(X)), gk.tensor(y)).backward()


def _pixels(path):
    from matplotlib.image import imread

    return imread(str(path))


def test_rows_equal_the_parameters_grad_statistics(tmp_path):
    gk.manual_seed(0)
    X, y = _data()
    net = _net()
    _backward(net, X, y)
    path = tmp_path / "flow.png"
    fig, rows = plot_grad_flow(net, path)
    weights = [(n, p) for n, p in net.named_parameters() if p.ndim >= 2]
    assert [r.name for r in rows] == [n for n, _ in weights] == ["0.weight", "2.weight", "4.weight", "6.weight"]
    for r, (_, p) in zip(rows, weights):
        g = np.abs(p.grad.numpy().astype(np.float64))
        assert r.mean_abs == pytest.approx(g.mean(), rel=1e-12)
        assert r.max_abs == pytest.approx(g.max(), rel=1e-12)
        assert r.grad_norm == pytest.approx(np.sqrt((g ** 2).sum()), rel=1e-12)
        assert r.ratio == pytest.approx(r.grad_norm / np.linalg.norm(p.numpy().astype(np.float64)), rel=1e-9)
        assert r.shape == tuple(p.shape) and r.status == "ok"
    assert fig.axes and fig.axes[0].get_yscale() == "log"
    img = _pixels(path)
    assert img.ndim == 3 and img[..., :3].var() > 0
    all_rows = plot_grad_flow(net, weights_only=False).rows
    assert [r.name for r in all_rows] == [n for n, _ in net.named_parameters()]


def test_a_vanishing_net_is_flagged_with_the_health_thresholds():
    gk.manual_seed(0)
    X, y = _data()
    net = _net(std=1e-3, act=gk.nn.Sigmoid, depth=4)
    _backward(net, X, y)
    fig, rows = plot_grad_flow(net)
    status = {r.name: r.status for r in rows}
    assert status["0.weight"] == "vanishing", rows
    assert status["8.weight"] != "vanishing"  # the output layer still learns (tiny weights: a large ratio)
    th = HealthThresholds()
    top = max(r.ratio for r in rows)
    for r in rows:
        flagged = r.ratio <= th.exploding_ratio and (r.ratio < th.vanishing_ratio
                                                      or r.ratio < th.vanishing_spread * top)
        assert (r.status == "vanishing") == flagged
        assert (r.status == "exploding") == (r.ratio > th.exploding_ratio)
    assert "flagged" in fig.axes[0].get_title()
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert any("vanishing" in t for t in labels)
    # the same verdict as health_report's on the same batch
    rep = gk.diagnose.health_report(net, "cross_entropy", X, y)
    assert "vanishing" in rep.warnings_for("0")


def test_exploding_and_missing_grads_are_marked(tmp_path):
    gk.manual_seed(0)
    X, y = _data()
    net = _net()
    _backward(net, X, y)
    with gk.no_grad():
        net[0].weight.grad.mul_(1e6)
    net[6].weight.grad = None
    rows = {r.name: r for r in plot_grad_flow(net, ax=gk.train.plots.new_figure(figsize=(4, 3))[1]).rows}
    assert rows["0.weight"].status == "exploding"
    assert rows["6.weight"].status == "no_grad" and rows["6.weight"].mean_abs is None
    assert plot_grad_flow(net, exploding_ratio=1e12).rows[0].status == "ok"  # thresholds are adjustable


def test_given_axes_is_drawn_into():
    gk.manual_seed(0)
    X, y = _data()
    net = _net()
    _backward(net, X, y)
    fig, ax = gk.train.plots.new_figure(figsize=(4, 3))
    out, _ = plot_grad_flow(net, ax=ax)
    assert out is fig and ax.patches


def test_dead_relu_units_are_reported(tmp_path):
    gk.manual_seed(0)
    X, _ = _data()
    net = _net()
    with gk.no_grad():
        net[2].bias.fill_(-100.0)
    net.eval()
    path = tmp_path / "acts.png"
    fig, stats = plot_activations(net, X, path)
    assert not net.training and not any(m.training for m in net.modules())  # mode kept
    by = {s.name: s for s in stats}
    assert list(by) == ["1", "3", "5"]
    assert by["3"].dead_fraction == 1.0 and by["3"].status == "dead"
    assert by["1"].dead_fraction < 0.5 and by["1"].status == "ok"
    assert "dead 100%" in fig.axes[1].get_title()
    assert _pixels(path)[..., :3].var() > 0
    assert all(p.grad is None for p in net.parameters())  # no backward, no graph


def test_saturated_sigmoid_and_tanh_are_reported():
    gk.manual_seed(0)
    X, _ = _data()
    for act, scale in ((gk.nn.Sigmoid, 50.0), (gk.nn.Tanh, 50.0)):
        net = _net(std=1.0, act=act, depth=2)
        net.train()
        _, stats = plot_activations(net, X * scale)
        assert net.training
        s = stats[0]
        assert s.saturated_fraction > HealthThresholds().saturation_threshold and s.status == "saturated"
        a = s.values
        expect = ((a < 0.01) | (a > 0.99)).mean() if act is gk.nn.Sigmoid else (np.abs(a) > 0.99).mean()
        assert s.saturated_fraction == pytest.approx(expect)


def test_a_model_without_activation_modules_shows_its_leaves():
    net = gk.nn.Sequential(gk.nn.Linear(3, 4), gk.nn.Linear(4, 2))
    _, stats = plot_activations(net, np.ones((5, 3), np.float32))
    assert [s.name for s in stats] == ["0", "1"] and stats[0].dead_fraction is None


@pytest.mark.parametrize("with_probe", [False, True])
def test_training_health_saves_the_pictures_every_n_epochs(tmp_path, with_probe):
    gk.manual_seed(0)
    X, y = _data()
    net = _net()
    folder = tmp_path / "pics"
    th = gk.diagnose.TrainingHealth((X[:32], y[:32]) if with_probe else None, verbose=False, plot_every=2,
                                    plot_dir=str(folder))
    gk.train.fit(net, "cross_entropy", "adam", (X, y), epochs=5, batch_size=16, callbacks=[th], verbose=0)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["activations_epoch002.png", "activations_epoch004.png",
                     "grad_flow_epoch002.png", "grad_flow_epoch004.png"]
    assert sorted(str(p) for p in folder.iterdir()) == sorted(th.plots)
    assert _pixels(folder / "grad_flow_epoch004.png")[..., :3].var() > 0
    assert len(th.records) == 5
    with pytest.raises(ValueError, match="plot_every"):
        gk.diagnose.TrainingHealth(plot_every=0)


def test_activation_plot_leaves_batch_norm_buffers_alone():
    net = gk.nn.Sequential(gk.nn.Linear(10, 8), gk.nn.BatchNorm1d(8), gk.nn.ReLU())
    net.train()
    before = [b.numpy().copy() for b in net.buffers()]
    plot_activations(net, _data()[0] * 5 + 3)
    for a, b in zip(before, net.buffers()):
        np.testing.assert_array_equal(a, b.numpy())
