"""Freezing, replacing heads, fine-tuning parameter groups, gradual unfreezing, weight transfer."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.train.transfer import GradualUnfreezing, param_groups_for_finetuning, replace_head


def _net():
    return gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.ReLU(), gk.nn.Linear(8, 8), gk.nn.ReLU(), gk.nn.Linear(8, 3))


def _data(n=64):
    r = np.random.default_rng(0)
    X = r.standard_normal((n, 4)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0).astype(np.int64)


def _snap(m):
    return {k: v.numpy().copy() for k, v in m.state_dict().items()}


@pytest.mark.parametrize("opt_name", ["adam", "sgd_all", "adamw_all"])
def test_frozen_parameters_do_not_change_during_fit(opt_name):
    net = _net()
    net[0].freeze()
    before = _snap(net)
    if opt_name == "adam":
        opt = "adam"
    elif opt_name == "sgd_all":
        opt = gk.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1)
    else:
        opt = gk.optim.AdamW(net.parameters(), lr=0.01, weight_decay=0.1)
    hist = gk.train.fit(net, "cross_entropy", opt, _data(), epochs=3, batch_size=16, verbose=0)
    after = _snap(net)
    for k in ("0.weight", "0.bias"):
        np.testing.assert_array_equal(after[k], before[k])
        assert net.get_parameter(k).grad is None
    assert not np.array_equal(after["2.weight"], before["2.weight"])
    trainer = hist.trainer
    in_opt = {id(p) for g in trainer.optimizer.param_groups for p in g["params"]}
    if opt_name == "adam":  # a named optimizer is built over the trainable parameters only
        assert id(net[0].weight) not in in_opt and id(net[2].weight) in in_opt
    else:  # kept in the optimizer, skipped: no state is created for them
        assert id(net[0].weight) in in_opt and net[0].weight not in trainer.optimizer.state


def test_summary_shows_frozen_as_non_trainable():
    net = _net()
    net[0].freeze()
    from gradkit.nn.summary import summary, summary_rows

    text = summary(net, (4,), print_fn=None, use_rich=False)
    rows, totals = summary_rows(net, (4,))
    by = {r["name"]: r for r in rows}
    assert by["0"]["trainable"] == "no" and by["2"]["trainable"] == "yes"
    assert totals["non_trainable"] == 4 * 8 + 8 and totals["trainable"] == net.num_parameters(trainable_only=True)
    assert "40" in text


def test_replace_head_and_param_groups():
    net = _net()
    old = replace_head(net, "4", 5)
    assert old.out_features == 3 and net[4].out_features == 5 and net(gk.zeros(2, 4)).shape == (2, 5)
    net64 = _net().double()
    replace_head(net64, "4", gk.nn.Linear(8, 2))
    assert net64[4].weight.dtype == np.float64
    with pytest.raises(ValueError, match="no submodule 'head'"):
        replace_head(net, "head", 3)
    with pytest.raises(TypeError, match="Linear"):
        replace_head(net, "1", 3)
    groups = param_groups_for_finetuning(net, head="4", head_lr=0.1, body_lr=0.01, weight_decay=0.0)
    assert [g["name"] for g in groups] == ["body", "head"]
    assert [id(p) for p in groups[1]["params"]] == [id(net[4].weight), id(net[4].bias)]
    assert len(groups[0]["params"]) == 4
    opt = gk.optim.SGD(groups, lr=0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.1]
    # the body moves 10x less than the head for the same gradient scale
    X, y = _data()
    w0, h0 = net[2].weight.numpy().copy(), net[4].weight.numpy().copy()
    opt.zero_grad()
    gk.nn.CrossEntropyLoss()(net(gk.tensor(X)), gk.tensor(y)).backward()
    g_body, g_head = net[2].weight.grad.numpy().copy(), net[4].weight.grad.numpy().copy()
    opt.step()
    np.testing.assert_allclose(net[2].weight.numpy(), w0 - 0.01 * g_body, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(net[4].weight.numpy(), h0 - 0.1 * g_head, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("all_in_optimizer", [True, False])
def test_gradual_unfreezing(all_in_optimizer):
    net = _net()
    snaps = []

    class Snap(gk.train.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snaps.append(_snap(net))

    cb = GradualUnfreezing(["2", "0"], start=1, lr=0.01)
    if all_in_optimizer:
        opt = gk.optim.Adam(net.parameters(), lr=0.01)
    else:
        opt = gk.optim.Adam(net[4].parameters(), lr=0.01)
    before = _snap(net)
    hist = gk.train.fit(net, "cross_entropy", opt, _data(), epochs=3, batch_size=16, callbacks=[cb, Snap()], verbose=0)
    assert len(hist) == 3
    # epoch 0: only the head trains; epoch 1: + layer "2"; epoch 2: + layer "0"
    np.testing.assert_array_equal(snaps[0]["2.weight"], before["2.weight"])
    np.testing.assert_array_equal(snaps[0]["0.weight"], before["0.weight"])
    assert not np.array_equal(snaps[0]["4.weight"], before["4.weight"])
    assert not np.array_equal(snaps[1]["2.weight"], snaps[0]["2.weight"])
    np.testing.assert_array_equal(snaps[1]["0.weight"], before["0.weight"])
    assert not np.array_equal(snaps[2]["0.weight"], snaps[1]["0.weight"])
    assert all(p.requires_grad for p in net.parameters())
    in_opt = [id(p) for g in opt.param_groups for p in g["params"]]
    assert sorted(in_opt) == sorted(id(p) for p in net.parameters())
    assert len(opt.param_groups) == (1 if all_in_optimizer else 3)
    with pytest.raises(ValueError, match="non-decreasing"):
        GradualUnfreezing(["a", "b"], unfreeze_at=[2, 1])


def test_state_dict_saved_from_gradkit_reloads_bit_exact(tmp_path):
    net = gk.nn.Sequential(gk.nn.Conv2d(1, 3, 3), gk.nn.BatchNorm2d(3), gk.nn.Flatten(), gk.nn.Linear(3 * 6 * 6, 4))
    gk.train.fit(net, "cross_entropy", "adam",
                 (np.random.default_rng(0).standard_normal((16, 1, 8, 8)).astype(np.float32),
                  np.arange(16) % 4), epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "w.safetensors"
    gk.save(net, path)
    loaded = gk.load(path)
    fresh = gk.nn.Sequential(gk.nn.Conv2d(1, 3, 3), gk.nn.BatchNorm2d(3), gk.nn.Flatten(), gk.nn.Linear(3 * 6 * 6, 4))
    fresh.load_state_dict(loaded)
    for (k, a), (k2, b) in zip(net.state_dict().items(), fresh.state_dict().items()):
        assert k == k2 and a.dtype == b.dtype
        assert a.numpy().tobytes() == b.numpy().tobytes(), k


def test_load_weights_report_and_mismatch():
    src = gk.models.DigitsCNN(num_classes=5, width=8)
    dst = gk.models.DigitsCNN(num_classes=3, width=8)
    report = gk.io.load_weights(dst, src.state_dict(), prefix="features.")
    assert report.loaded == [k for k in dst.state_dict() if k.startswith("features.")]
    assert set(report.skipped) == {"classifier.2.weight", "classifier.2.bias"}
    assert report.skip_reasons["classifier.2.weight"].startswith("outside prefix")
    assert report.missing == []
    np.testing.assert_array_equal(dst.features[0].weight.numpy(), src.features[0].weight.numpy())
    before = _snap(dst)
    with pytest.raises(ValueError, match=r"classifier.2.weight: source shape \(5, 64\), model shape \(3, 64\)"):
        gk.io.load_weights(dst, gk.models.DigitsCNN(num_classes=5, width=8).state_dict())
    for k, v in dst.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])  # nothing loaded
    r = gk.io.load_weights(dst, src.state_dict(), key_map=lambda k: None if k.startswith("classifier") else k)
    assert r.skip_reasons["classifier.2.bias"] == "dropped by key_map" and r.missing == ["classifier.2.weight",
                                                                                          "classifier.2.bias"]
