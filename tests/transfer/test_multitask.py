"""Multi-task models and losses, masks, uncertainty weights, soft sharing, and multi-task fit."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.nn.module import module_from_config


def _model(aux=None):
    heads = {"cls": gk.nn.Linear(8, 3), "reg": gk.nn.Linear(8, 1)}
    if aux:
        heads["aux"] = gk.nn.Linear(8, 2)
    return gk.nn.MultiTaskModel(gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.Tanh()), heads,
                                auxiliary={"aux"} if aux else None)


def _data(n=96, seed=0):
    r = np.random.default_rng(seed)
    X = r.standard_normal((n, 4)).astype(np.float32)
    cls = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5).astype(np.int64)
    reg = (X[:, :2].sum(1, keepdims=True) + 0.05 * r.standard_normal((n, 1))).astype(np.float32)
    return X, {"cls": cls, "reg": reg}


# ---------------------------------------------------------------------------- model
def test_model_outputs_dict_and_aux_dropped_in_eval():
    m = _model(aux=True)
    x = gk.zeros(5, 4)
    out = m(x)
    assert list(out) == ["cls", "reg", "aux"] and out["cls"].shape == (5, 3) and out["aux"].shape == (5, 2)
    m.eval()
    assert list(m(x)) == ["cls", "reg"]
    inf = m.inference()
    assert list(inf(x)) == ["cls", "reg"]
    assert not any(k.startswith("heads.aux") for k in inf.state_dict())
    assert inf.heads["cls"] is m.heads["cls"] and inf.shared_trunk is m.shared_trunk


def test_model_config_roundtrip_and_errors():
    m = _model(aux=True)
    spec = {"class": "MultiTaskModel", "config": m.get_config()}
    m2 = module_from_config(spec)
    assert list(m2.state_dict()) == list(m.state_dict()) and m2.auxiliary == {"aux"}
    m2.load_state_dict(m.state_dict())
    with gk.no_grad():
        np.testing.assert_array_equal(m2(gk.ones(2, 4))["reg"].numpy(), m(gk.ones(2, 4))["reg"].numpy())
    with pytest.raises(ValueError, match="not heads"):
        gk.nn.MultiTaskModel(gk.nn.Identity(), {"a": gk.nn.Linear(2, 1)}, auxiliary={"b"})
    with pytest.raises(TypeError, match="head 'a'"):
        gk.nn.MultiTaskModel(gk.nn.Identity(), {"a": lambda z: z})


# ---------------------------------------------------------------------------- loss values
def test_fixed_weights_and_masks_give_hand_computed_loss():
    out = {"cls": gk.tensor(np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0], [0.0, 1.0, 3.0], [1.0, 0.0, 0.0]])),
           "reg": gk.tensor(np.array([[1.0], [2.0], [3.0], [4.0]]))}
    tgt = {"cls": np.array([0, -100, 2, 1]), "reg": np.array([[0.0], [np.nan], [1.0], [np.nan]])}
    crit = gk.nn.MultiTaskLoss({"cls": gk.nn.CrossEntropyLoss(), "reg": gk.nn.MSELoss()},
                               weights={"cls": 0.3, "reg": 2.0})
    total = crit(out, tgt)
    logits = out["cls"].numpy()
    lse = np.log(np.exp(logits).sum(1))
    ce = np.mean([lse[0] - logits[0, 0], lse[2] - logits[2, 2], lse[3] - logits[3, 1]])
    mse = np.mean([(1.0 - 0.0) ** 2, (3.0 - 1.0) ** 2])
    np.testing.assert_allclose(total.item(), 0.3 * ce + 2.0 * mse, rtol=1e-12)
    assert crit.last_counts == {"cls": 3, "reg": 2}
    np.testing.assert_allclose(crit.last_losses["reg"].item(), mse)
    # explicit masks: also drop example 0 of "reg" and example 3 of "cls"
    total = crit(out, tgt, masks={"reg": np.array([False, True, True, True]), "cls": np.array([1, 1, 1, 0], bool)})
    ce2 = np.mean([lse[0] - logits[0, 0], lse[2] - logits[2, 2]])
    np.testing.assert_allclose(total.item(), 0.3 * ce2 + 2.0 * 4.0, rtol=1e-12)
    # no labelled example of a task: it contributes nothing
    total = crit(out, {"cls": np.full(4, -100), "reg": np.array([[0.0], [1.0], [1.0], [1.0]])})
    assert crit.last_losses["cls"] is None and crit.last_counts["cls"] == 0
    np.testing.assert_allclose(total.item(), 2.0 * np.mean([1.0, 1.0, 4.0, 9.0]))


def test_masked_gradient_ignores_unlabelled_rows():
    pred = gk.tensor(np.array([[1.0], [5.0], [2.0]]), requires_grad=True)
    crit = gk.nn.MultiTaskLoss({"y": "mse"})
    crit({"y": pred}, {"y": np.array([[0.0], [np.nan], [0.0]])}).backward()
    np.testing.assert_allclose(pred.grad.numpy().ravel(), [1.0, 0.0, 2.0])  # d/dp mean((p-0)^2) over 2 rows


def test_uncertainty_weights_value_and_gradients():
    crit = gk.nn.MultiTaskLoss({"a": "mse", "b": "mse"}, weights="uncertainty")
    with gk.no_grad():
        crit.log_vars.copy_(gk.tensor(np.array([0.5, -1.0], dtype=np.float32)))
    out = {"a": gk.tensor(np.array([[1.0], [3.0]], dtype=np.float32), requires_grad=True),
           "b": gk.tensor(np.array([[2.0], [0.0]], dtype=np.float32), requires_grad=True)}
    tgt = {"a": np.zeros((2, 1), np.float32), "b": np.zeros((2, 1), np.float32)}
    total = crit(out, tgt)
    La, Lb = 5.0, 2.0
    np.testing.assert_allclose(total.item(), np.exp(-0.5) * La + 0.5 + np.exp(1.0) * Lb - 1.0, rtol=1e-6)
    assert total.dtype == np.float32
    total.backward()
    # dL/ds_i = 1 - exp(-s_i) L_i
    np.testing.assert_allclose(crit.log_vars.grad.numpy(), [1 - np.exp(-0.5) * La, 1 - np.exp(1.0) * Lb], rtol=1e-5)
    assert list(crit.parameters()) == [crit.log_vars]
    np.testing.assert_allclose(crit.task_weights()["b"], np.exp(1.0), rtol=1e-6)


def test_uncertainty_weights_gradcheck():
    gk.set_default_dtype("float64")
    crit = gk.nn.MultiTaskLoss({"a": "mse", "b": "cross_entropy"}, weights="uncertainty")
    r = np.random.default_rng(1)
    ya, yb = r.standard_normal((5, 2)), np.array([0, 2, 1, -100, 2])
    pa, pb = gk.tensor(r.standard_normal((5, 2)), requires_grad=True), gk.tensor(r.standard_normal((5, 3)),
                                                                                requires_grad=True)

    def f(pa, pb, s):
        crit.log_vars.array[...] = s.array  # the value; the graph below uses s itself
        return gk.nn.functional_call(crit, {"log_vars": s}, ({"a": pa, "b": pb}, {"a": ya, "b": yb}))

    s = gk.tensor(np.array([0.3, -0.2]), requires_grad=True)
    assert gk.diagnose.gradcheck(f, [pa, pb, s]).passed


def test_loss_refuses_mismatched_tasks():
    crit = gk.nn.MultiTaskLoss({"cls": "cross_entropy", "other": "mse"})
    with pytest.raises(ValueError, match=r"head\(s\) without a loss: \['reg'\].*loss\(es\) without a head: \['other'\]"):
        crit.check_tasks(_model())
    with pytest.raises(ValueError, match="without an output"):
        crit({"cls": gk.zeros(2, 3)}, {"cls": np.zeros(2, np.int64)})
    with pytest.raises(ValueError, match="unknown task"):
        gk.nn.MultiTaskLoss({"a": "mse"}, weights={"b": 1.0})


def test_fit_refuses_head_loss_mismatch_before_training():
    m = _model()
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    X, y = _data()
    with pytest.raises(ValueError, match="without a loss: \\['reg'\\]"):
        gk.train.fit(m, {"cls": "cross_entropy"}, "adam", (X, y), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="without a head: \\['extra'\\]"):
        gk.train.fit(m, {"cls": "cross_entropy", "reg": "mse", "extra": "mse"}, "adam", (X, y), verbose=0)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


# ---------------------------------------------------------------------------- fit
def test_fit_logs_per_task_losses_and_metrics():
    X, y = _data(128)
    y["reg"][::4] = np.nan       # missing labels
    y["cls"][1::5] = -100
    Xv, yv = _data(64, seed=1)
    m = _model(aux=True)
    y["aux"] = (X[:, 2] > 0).astype(np.int64)
    yv["aux"] = (Xv[:, 2] > 0).astype(np.int64)
    loss = gk.nn.MultiTaskLoss({"cls": "cross_entropy", "reg": "mse", "aux": "cross_entropy"}, weights={"aux": 0.5})
    hist = gk.train.fit(m, loss, gk.optim.Adam(m.parameters(), lr=0.02), (X, y), (Xv, yv), epochs=15, batch_size=32,
                        metrics={"cls": ["accuracy"], "reg": ["rmse"], "aux": ["accuracy"]}, verbose=0)
    for k in ("loss", "loss_cls", "loss_reg", "loss_aux", "cls_accuracy", "reg_rmse", "aux_accuracy",
              "val_loss", "val_loss_cls", "val_loss_reg", "val_cls_accuracy", "val_reg_rmse"):
        assert k in hist, k
    assert "val_aux_accuracy" not in hist and "val_loss_aux" not in hist  # auxiliary: dropped at inference
    assert hist["loss_reg"][-1] < hist["loss_reg"][0] and hist["val_cls_accuracy"][-1] > 0.7
    ev = gk.train.evaluate(m, loss, (Xv, yv), metrics={"cls": "accuracy"})
    assert ev["cls_accuracy"] == pytest.approx(hist["val_cls_accuracy"][-1])
    # the per-task metric counts labelled examples only
    mm = gk.train.Trainer(m, loss, "sgd", metrics={"cls": ["accuracy"]}, verbose=0).metrics[0]
    mm.reset()
    mm.update({"cls": np.array([[1.0, 0, 0], [0, 1.0, 0]])}, {"cls": np.array([0, -100])})
    assert mm.seen == 1 and mm.result() == 1.0
    pred = gk.train.predict(m, Xv)
    assert sorted(pred) == ["cls", "reg"] and pred["cls"].shape == (64, 3)


def test_fit_with_dataset_of_dicts_and_uncertainty_by_name():
    X, y = _data(64)

    class DS(gk.data.Dataset):
        def __len__(self):
            return len(X)

        def __getitem__(self, i):
            return X[i], {"cls": y["cls"][i], "reg": y["reg"][i]}

    m = _model()
    loss = gk.nn.MultiTaskLoss({"cls": "cross_entropy", "reg": "mse"}, weights="uncertainty")
    s0 = loss.log_vars.numpy().copy()
    hist = gk.train.fit(m, loss, "adam", DS(), epochs=3, batch_size=16, lr=0.05, metrics=["accuracy"], verbose=0)
    assert "cls_accuracy" in hist and "loss_reg" in hist
    assert not np.array_equal(loss.log_vars.numpy(), s0)  # the task weights were trained (named optimizer)
    with pytest.warns(UserWarning, match="not in the optimizer"):
        gk.train.Trainer(m, loss, gk.optim.SGD(m.parameters(), lr=0.1), verbose=0)


def test_early_stopping_on_one_tasks_metric():
    X, y = _data(96)
    Xv, yv = _data(48, seed=2)
    m = _model()
    es = gk.train.EarlyStopping(monitor="val_cls_accuracy", patience=1, restore_best_weights=True)
    assert es.mode == "max"
    hist = gk.train.fit(m, {"cls": "cross_entropy", "reg": "mse"}, gk.optim.SGD(m.parameters(), lr=0.0), (X, y),
                        (Xv, yv), epochs=10, metrics={"cls": "accuracy"}, callbacks=[es], verbose=0)
    assert len(hist) == 2  # lr 0: no improvement after the first epoch, patience 1


# ---------------------------------------------------------------------------- soft sharing
def _nets(k=3, dtype="float64"):
    gk.set_default_dtype(dtype)
    return [gk.nn.Sequential(gk.nn.Linear(3, 4), gk.nn.Tanh(), gk.nn.Linear(4, 2)) for _ in range(k)]


@pytest.mark.parametrize("norm", ["l2", "trace"])
def test_soft_sharing_gradcheck(norm):
    nets = _nets()
    names = [n for n, _ in nets[0].named_parameters()]
    params = [p for net in nets for _, p in net.named_parameters()]

    def f(*ps):
        it = iter(ps)
        replaced = [{n: next(it) for n in names} for _ in nets]
        from gradkit.nn.multitask import _param_sets  # noqa: F401 - the penalty reads named_parameters
        saved = [dict(net.named_parameters()) for net in nets]
        try:
            for net, rep in zip(nets, replaced):
                for n, t in rep.items():
                    mod, _, leaf = n.rpartition(".")
                    net.get_submodule(mod)._parameters[leaf] = t
            return gk.nn.soft_sharing_penalty(nets, lam=0.7, norm=norm)
        finally:
            for net, s in zip(nets, saved):
                for n, t in s.items():
                    mod, _, leaf = n.rpartition(".")
                    net.get_submodule(mod)._parameters[leaf] = t

    inputs = [gk.tensor(p.numpy().copy(), requires_grad=True) for p in params]
    assert gk.diagnose.gradcheck(f, inputs).passed


def test_soft_sharing_values():
    nets = _nets(2)
    pen = gk.nn.soft_sharing_penalty(nets, lam=2.0, norm="l2", prefix="0.")
    a, b = nets[0][0], nets[1][0]
    expect = sum(0.5 * ((pa.numpy() - pb.numpy()) ** 2).sum() for pa, pb in
                 [(a.weight, b.weight), (a.bias, b.bias)])
    np.testing.assert_allclose(pen.item(), 2.0 * expect, rtol=1e-12)
    tr = gk.nn.soft_sharing_penalty(nets, lam=1.0, norm="trace")
    expect = sum(np.linalg.svd(np.stack([p.numpy().ravel() for p in ps]), compute_uv=False).sum()
                 for ps in zip(nets[0].parameters(), nets[1].parameters()))
    np.testing.assert_allclose(tr.item(), expect, rtol=1e-10)
    pen.backward()
    assert nets[0][0].weight.grad is not None and nets[0][2].weight.grad is None  # prefix "0." only


def test_soft_sharing_pulls_models_together_and_errors():
    nets = _nets(2, "float32")
    opt = gk.optim.SGD([p for n in nets for p in n.parameters()], lr=0.1)
    d0 = gk.nn.soft_sharing_penalty(nets, 1.0).item()
    for _ in range(20):
        opt.zero_grad()
        gk.nn.soft_sharing_penalty(nets, 1.0).backward()
        opt.step()
    assert gk.nn.soft_sharing_penalty(nets, 1.0).item() < 0.1 * d0
    with pytest.raises(ValueError, match="do not correspond"):
        gk.nn.soft_sharing_penalty([gk.nn.Linear(2, 3), gk.nn.Linear(3, 3)], 1.0)
    with pytest.raises(ValueError, match="at least two"):
        gk.nn.soft_sharing_penalty([gk.nn.Linear(2, 3)], 1.0)
    with pytest.raises(ValueError, match="norm"):
        gk.nn.soft_sharing_penalty(nets, 1.0, norm="l1")


def test_nuclear_norm_gradcheck_rectangular():
    gk.set_default_dtype("float64")
    x = gk.tensor(np.random.default_rng(3).standard_normal((3, 5)), requires_grad=True)
    assert gk.diagnose.gradcheck(gk.nn.nuclear_norm, [x]).passed
    y = gk.tensor(np.random.default_rng(4).standard_normal((6, 2)), requires_grad=True)
    assert gk.diagnose.gradcheck(gk.nn.nuclear_norm, [y]).passed
