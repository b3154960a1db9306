"""The fit loop, callbacks, exact resume, metrics and plots."""

import csv
import os

import numpy as np
import pytest

import gradkit as gk
from gradkit.train import callbacks as C
from gradkit.train import metrics as M


def _blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] + 0.5 * X[:, 2] > 0).astype(np.int64)
    return X, y


def _net(dropout=0.0):
    layers = [gk.nn.Linear(4, 16), gk.nn.ReLU()]
    if dropout:
        layers.append(gk.nn.Dropout(dropout))
    layers.append(gk.nn.Linear(16, 2))
    return gk.nn.Sequential(*layers)


def test_fit_learns_and_logs_keras_keys():
    X, y = _blobs()
    net = _net()
    hist = gk.train.fit(net, "cross_entropy", gk.optim.Adam(net.parameters(), lr=0.02), (X[:90], y[:90]),
                        (X[90:], y[90:]), epochs=15, batch_size=16, metrics=["accuracy", "f1"], verbose=0)
    assert set(hist.keys()) == {"loss", "accuracy", "f1", "val_loss", "val_accuracy", "val_f1", "lr"}
    assert len(hist) == 15 and hist.epoch == list(range(15))
    assert hist["loss"][-1] < hist["loss"][0]
    assert hist["accuracy"][-1] > 0.9 and hist["val_accuracy"][-1] > 0.8
    res = gk.train.evaluate(net, "cross_entropy", (X[90:], y[90:]), metrics=["accuracy"])
    assert res["accuracy"] == pytest.approx(hist["val_accuracy"][-1])
    assert gk.train.predict(net, X).shape == (120, 2)


def test_fit_by_names_and_default_optimizer():
    X, y = _blobs()
    hist = gk.train.fit(_net(), "cross_entropy", "sgd", (X, y), epochs=2, lr=0.1, verbose=0)
    assert hist["lr"] == [0.1, 0.1]
    with pytest.raises(ValueError, match="unknown loss 'crossentropy'.*cross_entropy"):
        gk.train.fit(_net(), "crossentropy", None, (X, y), verbose=0)
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'.*adam"):
        gk.train.fit(_net(), "mse", "adamm", (X, y), verbose=0)


def test_nan_inputs_are_reported_before_training():
    X, y = _blobs()
    X[3, 2] = np.nan
    X[7, 2] = np.inf
    with pytest.raises(ValueError, match=r"1 NaN and 1 infinite.*column 2"):
        gk.train.fit(_net(), "cross_entropy", None, (X, y), verbose=0)


def test_early_stopping_stops_and_restores_best_weights():
    X, y = _blobs()
    net = _net()
    seen = []

    class Spy(C.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append({k: v.numpy().copy() for k, v in self.model.state_dict().items()})

    # lr so large that training diverges after a few epochs: dev loss gets worse
    es = C.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    hist = gk.train.fit(net, "cross_entropy", gk.optim.SGD(net.parameters(), lr=0.5), (X, y), (X, y),
                        epochs=40, batch_size=8, callbacks=[Spy(), es], verbose=0)
    best_epoch, _ = hist.best("val_loss")
    assert es.best_epoch == best_epoch
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), seen[best_epoch][k])
    if es.stopped_epoch is not None:
        assert len(hist) == es.stopped_epoch + 1 and es.stopped_epoch - best_epoch == 2


def test_early_stopping_restores_best_even_when_all_epochs_ran():
    X, y = _blobs()
    net = _net()
    snaps = []

    class Spy(C.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snaps.append(self.model.state_dict()["0.weight"].numpy().copy())

    es = C.EarlyStopping(monitor="val_loss", patience=100, restore_best_weights=True)
    hist = gk.train.fit(net, "cross_entropy", gk.optim.SGD(net.parameters(), lr=2.0), (X, y), (X, y), epochs=8,
                        batch_size=8, callbacks=[Spy(), es], verbose=0)
    assert es.stopped_epoch is None and len(hist) == 8
    best_epoch, _ = hist.best("val_loss")
    np.testing.assert_array_equal(net.state_dict()["0.weight"].numpy(), snaps[best_epoch])


def test_early_stopping_patience_counts_epochs_without_improvement():
    es = C.EarlyStopping(monitor="val_loss", patience=2)

    class FakeTrainer:
        stop_training = False
        model = None

    es.set_trainer(FakeTrainer())
    es.on_train_begin()
    for epoch, v in enumerate([1.0, 0.9, 0.95, 0.97, 0.5]):
        es.on_epoch_end(epoch, {"val_loss": v})
        if es.trainer.stop_training:
            break
    assert es.stopped_epoch == 3 and es.best == 0.9
    es.on_train_begin()  # state resets between runs
    assert es.best is None and es.wait == 0
    assert C.EarlyStopping(monitor="val_accuracy").mode == "max"


def test_model_checkpoint_best_and_last(tmp_path):
    X, y = _blobs()
    net = _net()
    best = tmp_path / "best.safetensors"
    last = tmp_path / "last.safetensors"
    hist = gk.train.fit(net, "cross_entropy", gk.optim.Adam(net.parameters(), lr=0.01), (X, y), (X, y), epochs=4,
                        callbacks=[C.ModelCheckpoint(best, save_best_only=True), C.ModelCheckpoint(last)], verbose=0)
    twin = gk.load_model(last)
    x = gk.tensor(X[:5])
    np.testing.assert_array_equal(twin(x).numpy(), net(x).numpy())
    meta = gk.io.load_metadata(best)
    best_epoch, best_val = hist.best("val_loss")
    assert meta["epoch"] == best_epoch + 1 and meta["val_loss"] == pytest.approx(best_val)


def test_csv_logger_and_history_csv(tmp_path):
    X, y = _blobs()
    path = tmp_path / "log.csv"
    hist = gk.train.fit(_net(), "cross_entropy", None, (X, y), epochs=3, metrics=["accuracy"],
                        callbacks=[C.CSVLogger(path)], verbose=0)
    rows = list(csv.DictReader(open(path)))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert float(rows[-1]["loss"]) == pytest.approx(hist["loss"][-1])
    hist.to_csv(tmp_path / "h.csv")
    assert len(list(csv.reader(open(tmp_path / "h.csv")))) == 4


def test_terminate_on_nan_keeps_last_good_weights():
    X, y = _blobs()
    net = _net()
    good = []

    class Poison(C.Callback):
        def on_batch_begin(self, batch, logs=None):
            if self.trainer.epoch == 1 and batch == 1:
                good.append(self.model.state_dict()["0.weight"].numpy().copy())
            if self.trainer.epoch == 1 and batch == 2:
                with gk.no_grad():
                    self.model[0].weight.array[0, 0] = np.nan

    stop = C.TerminateOnNaN()
    hist = gk.train.fit(net, "cross_entropy", gk.optim.SGD(net.parameters(), lr=0.01), (X, y), epochs=5,
                        batch_size=16, callbacks=[Poison(), stop], verbose=0)
    assert stop.terminated_at == (1, 2)
    assert len(hist) == 2
    w = net.state_dict()["0.weight"].numpy()
    assert np.isfinite(w).all()
    # the restored weights are those that produced the last finite loss (start of batch 1 of epoch 1)
    np.testing.assert_array_equal(w, good[0])


def test_learning_rate_schedules():
    X, y = _blobs()
    net = _net()
    opt = gk.optim.SGD(net.parameters(), lr=0.1)
    hist = gk.train.fit(net, "cross_entropy", opt, (X, y), epochs=4, verbose=0,
                        callbacks=[C.LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5**epoch)])
    assert hist["lr"] == pytest.approx([0.1, 0.05, 0.025, 0.0125])
    net = _net()
    opt = gk.optim.SGD(net.parameters(), lr=0.1)
    sched = gk.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    hist = gk.train.fit(net, "cross_entropy", opt, (X, y), epochs=3, schedule=sched, verbose=0)
    assert hist["lr"] == pytest.approx([0.1, 0.09, 0.081])


def test_l2_in_fit_equals_sgd_weight_decay_on_weights():
    X, y = _blobs(64)
    gk.manual_seed(3)
    a = _net()
    b = _net()
    b.load_state_dict(a.state_dict())
    lam, m = 0.5, len(X)
    gk.train.fit(a, "cross_entropy", gk.optim.SGD(a.parameters(), lr=0.1), (X, y), epochs=2, batch_size=64,
                 shuffle=False, l2=lam, verbose=0)
    weights = [b[0].weight, b[2].weight]
    others = [b[0].bias, b[2].bias]
    opt = gk.optim.SGD([{"params": weights, "weight_decay": lam / m}, {"params": others}], lr=0.1)
    gk.train.fit(b, "cross_entropy", opt, (X, y), epochs=2, batch_size=64, shuffle=False, verbose=0)
    for k, v in a.state_dict().items():
        np.testing.assert_allclose(v.numpy(), b.state_dict()[k].numpy(), rtol=1e-5, atol=1e-6)


def _resume_setup(seed=0):
    gk.manual_seed(seed)
    X, y = _blobs(100)
    net = _net(dropout=0.3)
    opt = gk.optim.Adam(net.parameters(), lr=0.01)
    return X, y, net, opt


def test_exact_resume_after_a_killed_run(tmp_path):
    X, y, net, opt = _resume_setup()
    full = gk.train.fit(net, "cross_entropy", opt, (X, y), (X, y), epochs=5, batch_size=16, metrics=["accuracy"],
                        verbose=0)
    ref = {k: v.numpy().copy() for k, v in net.state_dict().items()}

    ckpt = tmp_path / "run.safetensors"

    class Kill(C.Callback):
        def on_batch_begin(self, batch, logs=None):
            if self.trainer.epoch == 2 and batch == 3:
                raise KeyboardInterrupt

    X, y, net, opt = _resume_setup()
    part = gk.train.fit(net, "cross_entropy", opt, (X, y), (X, y), epochs=5, batch_size=16, metrics=["accuracy"],
                        verbose=0, checkpoint=ckpt, callbacks=[Kill()])
    assert part.interrupted and os.path.exists(ckpt)

    # a fresh process would rebuild everything from scratch with another seed state
    X, y, net, opt = _resume_setup(seed=99)
    resumed = gk.train.fit(net, "cross_entropy", opt, (X, y), (X, y), epochs=5, batch_size=16, metrics=["accuracy"],
                           verbose=0, checkpoint=ckpt, resume=ckpt)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), ref[k], err_msg=k)
    assert resumed["loss"] == full["loss"] and resumed["val_accuracy"] == full["val_accuracy"]


def test_resume_from_an_epoch_checkpoint(tmp_path):
    X, y, net, opt = _resume_setup()
    gk.train.fit(net, "cross_entropy", opt, (X, y), epochs=4, batch_size=16, verbose=0)
    ref = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    ckpt = tmp_path / "c.safetensors"
    X, y, net, opt = _resume_setup()
    gk.train.fit(net, "cross_entropy", opt, (X, y), epochs=2, batch_size=16, verbose=0, checkpoint=ckpt)
    X, y, net, opt = _resume_setup(seed=5)
    gk.train.fit(net, "cross_entropy", opt, (X, y), epochs=4, batch_size=16, verbose=0, resume=ckpt)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), ref[k], err_msg=k)


def test_metrics_known_values():
    scores = np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.5, 3.0], [1.0, 2.0, 0.0]])
    target = np.array([0, 1, 1, 0])
    assert M.accuracy(scores, target) == 0.5
    cm = M.confusion_matrix(scores, target)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 1], [0, 0, 0]])
    p, r, f = M.precision_recall_f1(scores, target, average="macro")
    assert p == pytest.approx((1 + 0.5 + 0) / 3) and r == pytest.approx((0.5 + 0.5 + 0) / 3)
    assert M.top_k_accuracy(scores, target, k=2) == 1.0
    b = np.array([0.3, -0.2, 1.5, -2.0])  # binary logits
    p, r, f = M.precision_recall_f1(b, np.array([1, 1, 0, 0]))
    assert (p, r, f) == (0.5, 0.5, 0.5)
    pred, tgt = np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0])
    assert M.mae(pred, tgt) == pytest.approx(0.5)
    assert M.rmse(pred, tgt) == pytest.approx(np.sqrt(1.25 / 3))
    assert M.r2_score(pred, tgt) == pytest.approx(1 - 1.25 / np.var(tgt) / 3)
    streaming = M.get("r2")
    streaming.update(pred[:2], tgt[:2])
    streaming.update(pred[2:], tgt[2:])
    assert streaming.result() == pytest.approx(M.r2_score(pred, tgt))
    with pytest.raises(ValueError, match="unknown metric 'acuracy'"):
        M.get("acuracy")


def test_plots_are_written(tmp_path):
    X, y = _blobs()
    hist = gk.train.fit(_net(), "cross_entropy", None, (X, y), (X, y), epochs=3, metrics=["accuracy"], verbose=0)
    p = gk.train.plot_history(hist, tmp_path / "curves.png")
    assert os.path.getsize(p) > 1000
    q = gk.train.plot_confusion_matrix(M.confusion_matrix(np.eye(3), np.arange(3)), tmp_path / "cm.png")
    assert os.path.getsize(q) > 1000


def test_progress_lines_when_not_a_terminal(capsys):
    X, y = _blobs()
    gk.train.fit(_net(), "cross_entropy", None, (X, y), epochs=2, metrics=["accuracy"], verbose=2)
    out = capsys.readouterr().out
    assert "epoch 1/2" in out and "epoch 2/2" in out and "accuracy" in out


def test_fit_reports_a_bias_variance_verdict_with_dev_data(capsys):
    X, y = _blobs()
    verdict = gk.diagnose.BiasVarianceVerdict()  # the verdict is a callback that diagnose provides
    net = _net()
    hist = gk.train.fit(net, "cross_entropy", None, (X[:90], y[:90]),
                        (X[90:], y[90:]), epochs=3, metrics=["accuracy"], verbose=2, base_error=0.01,
                        callbacks=[verdict])
    report = hist.diagnosis
    assert report is not None and report is verdict.report
    assert report.verdict in ("high bias", "high variance", "high bias and high variance", "good fit")
    # the final model's training error in eval mode (not the running mean fit logs)
    train_acc = gk.train.evaluate(net, "cross_entropy", (X[:90], y[:90]), metrics=["accuracy"])["accuracy"]
    assert verdict.measured == "eval"
    assert report.avoidable_bias == pytest.approx((1 - train_acc) - 0.01)
    assert "bias/variance" in capsys.readouterr().out
    no_dev = gk.train.fit(_net(), "cross_entropy", None, (X, y), epochs=1, verbose=0,
                          callbacks=[gk.diagnose.BiasVarianceVerdict()])
    assert no_dev.diagnosis is None


def test_bias_variance_verdict_callback_options(capsys):
    X, y = _blobs()
    data = dict(train_data=(X[:90], y[:90]), dev_data=(X[90:], y[90:]), epochs=2)
    # without the callback fit gives no verdict (the training loop does not depend on diagnose)
    hist = gk.train.fit(_net(), "cross_entropy", None, **data, metrics=["accuracy"], verbose=0)
    assert hist.diagnosis is None
    # its own base error wins over fit's; verbose=False keeps it quiet; no accuracy: the losses
    net = _net()
    hist = gk.train.fit(net, "cross_entropy", None, **data, verbose=2, base_error=0.3,
                        callbacks=[gk.diagnose.BiasVarianceVerdict(base_error=0.1, verbose=False)])
    assert hist.diagnosis.base_error == pytest.approx(0.1)
    final = gk.train.evaluate(net, "cross_entropy", data["train_data"])["loss"]
    assert hist.diagnosis.train_error == pytest.approx(final)
    assert "bias/variance" not in capsys.readouterr().out
    # eval_train=False: the logged running value of the last epoch, as before
    hist = gk.train.fit(_net(), "cross_entropy", None, **data, verbose=0,
                        callbacks=[gk.diagnose.BiasVarianceVerdict(eval_train=False)])
    assert hist.diagnosis.train_error == pytest.approx(hist["loss"][-1])


def test_lambda_callback_hooks_run():
    """Hooks set on the instance (not overridden in the class) must be dispatched too."""
    X, y = _blobs(40)
    calls = []
    cb = C.LambdaCallback(on_epoch_end=lambda epoch, logs=None: calls.append(("epoch", epoch)),
                          on_train_end=lambda logs=None: calls.append(("end",)))
    gk.train.fit(_net(), "cross_entropy", "sgd", (X, y), epochs=2, batch_size=20, callbacks=[cb], verbose=0)
    assert calls == [("epoch", 0), ("epoch", 1), ("end",)]


def test_fit_names_a_batch_without_targets():
    X, _ = _blobs(20)
    with pytest.raises(ValueError, match=r"\(inputs, targets\), got 1 field"):
        gk.train.fit(_net(), "cross_entropy", "sgd", gk.data.TensorDataset(X), epochs=1, verbose=0)


# ---------------------------------------------------------------- what losses declare
class _ConstantScore(gk.nn.Module):
    """Outputs ``value`` in one column for every example."""

    def __init__(self, value):
        super().__init__()
        self.value = float(value)
        self.w = gk.nn.Parameter(np.zeros(1, dtype=np.float32))

    def forward(self, x):
        return x[:, :1] * 0.0 + self.w * 0.0 + self.value


def test_losses_declare_whether_they_take_logits():
    nn = gk.nn
    for cls in (nn.CrossEntropyLoss, nn.BCEWithLogitsLoss, nn.HingeLoss, nn.PerceptronLoss, nn.MultiMarginLoss,
                nn.HingeEmbeddingLoss):
        assert cls.expects_logits is True, cls
    for cls in (nn.BCELoss, nn.NLLLoss, nn.MSELoss, nn.L1Loss, nn.RMSELoss, nn.HuberLoss):
        assert cls.expects_logits is False, cls


def test_a_custom_loss_with_expects_logits_false_is_fed_probabilities():
    X = np.ones((4, 2), dtype=np.float32)
    y = np.zeros(4, dtype=np.int64)

    class ProbLoss:  # any callable: fit reads only the attribute
        expects_logits = False

        def __call__(self, out, target):
            return (out * 0.0).sum()

    class ScoreLoss(ProbLoss):
        expects_logits = True

    model = _ConstantScore(0.3)  # below the probability threshold 0.5, above the logit threshold 0
    assert gk.train.evaluate(model, ProbLoss(), (X, y), metrics=["accuracy"])["accuracy"] == 1.0
    assert gk.train.evaluate(model, ScoreLoss(), (X, y), metrics=["accuracy"])["accuracy"] == 0.0
    assert gk.train.evaluate(model, lambda o, t: (o * 0.0).sum(), (X, y), metrics=["accuracy"])["accuracy"] == 0.0
    trainer = gk.train.Trainer(model, ProbLoss(), "sgd", metrics=["accuracy", "f1"], verbose=0)
    assert [m.logits for m in trainer.metrics] == [False, False]


def test_multi_task_is_declared_not_guessed():
    assert gk.nn.MultiTaskLoss.is_multi_task is True and gk.nn.MultiTaskModel.is_multi_task is True

    class LooksMultiTask:  # has the methods, but does not declare the protocol: a plain loss
        tasks = ["a"]

        def check_tasks(self, model):
            raise AssertionError("not a multi-task loss")

        def __call__(self, out, target):
            return ((out - target) ** 2).mean()

    X = np.ones((4, 2), dtype=np.float32)
    assert gk.train.Trainer(gk.nn.Linear(2, 1), LooksMultiTask(), "sgd", verbose=0).tasks is None
    hist = gk.train.fit(gk.nn.Linear(2, 1), LooksMultiTask(), "sgd", (X, np.zeros((4, 1), np.float32)), verbose=0)
    assert "loss_a" not in hist
    # per-task metrics follow each task's loss: BCE takes probabilities, cross-entropy logits
    crit = gk.nn.MultiTaskLoss({"p": gk.nn.BCELoss(), "c": "cross_entropy"})
    trainer = gk.train.Trainer(gk.nn.Linear(2, 2), crit, "sgd", metrics=["accuracy"], verbose=0)
    assert {m.name: m.logits for m in trainer.metrics} == {"p_accuracy": False, "c_accuracy": True}


# ---------------------------------------------------------------- metric directions
class _Scripted(M.Metric):
    """A metric whose epoch values are given in advance (one ``result()`` per epoch)."""

    def __init__(self, name, values, higher_is_better):
        self.name, self.values, self.higher_is_better = name, list(values), higher_is_better

    def reset(self):
        pass

    def update(self, scores, target):
        pass

    def result(self):
        return self.values.pop(0)


def test_metrics_declare_their_direction():
    assert all(M.get(n).higher_is_better for n in ("accuracy", "top5", "precision", "recall", "f1", "f1_macro", "r2"))
    assert not any(M.get(n).higher_is_better for n in ("mae", "rmse"))
    assert M.higher_is_better("val_accuracy") and M.higher_is_better("val_digit_f1_macro")
    assert M.higher_is_better("top5_accuracy") and M.higher_is_better(M.F1("macro"))
    assert not any(M.higher_is_better(n) for n in ("loss", "val_loss", "loss_digit", "lr", "val_rmse", "auc"))
    gap = _Scripted("accuracy_gap", [], higher_is_better=False)  # a name is no longer a guess
    assert M.higher_is_better("val_accuracy_gap", [gap]) is False
    assert M.higher_is_better("val_score", [_Scripted("score", [], True)]) is True
    with pytest.raises(TypeError, match="expected a Metric or a metric name, got int"):
        M.higher_is_better(3)


def test_a_metric_with_higher_is_better_false_drives_early_stopping_in_min_mode():
    X, y = _blobs(40)
    falling = [5.0, 4.0, 3.0, 2.0, 1.0]  # improving every epoch when smaller is better
    es = C.EarlyStopping(monitor="accuracy_gap", patience=1)
    hist = gk.train.fit(_net(), "cross_entropy", "sgd", (X, y), epochs=5, verbose=0, callbacks=[es],
                        metrics=[_Scripted("accuracy_gap", falling, higher_is_better=False)])
    assert es.mode == "min" and len(hist) == 5 and es.stopped_epoch is None
    assert hist.best("accuracy_gap") == (4, 1.0)
    # the same values from a metric that improves upward: worse every epoch, stopped after the second
    es = C.EarlyStopping(monitor="accuracy_gap", patience=1)
    ckpt = C.ModelCheckpoint("unused-{epoch}.safetensors", monitor="accuracy_gap")
    hist = gk.train.fit(_net(), "cross_entropy", "sgd", (X, y), epochs=5, verbose=0, callbacks=[es],
                        metrics=[_Scripted("accuracy_gap", falling, higher_is_better=True)])
    assert es.mode == "max" and len(hist) == 2 and es.stopped_epoch == 1
    ckpt.set_trainer(hist.trainer)
    ckpt.on_train_begin()
    assert ckpt.mode == "max"
    assert C.EarlyStopping(monitor="accuracy_gap", mode="min").mode == "min"  # an explicit mode wins


def test_evaluate_needs_no_optimizer(monkeypatch):
    from gradkit.train import loop

    def no_optimizer(*args, **kwargs):
        raise AssertionError("evaluate must not build an optimizer")

    monkeypatch.setattr(loop, "resolve_optimizer", no_optimizer)
    X = np.array([[2.0, 0.0], [0.0, 3.0], [1.0, 0.0]], dtype=np.float32)
    y = np.array([0, 1, 1])
    res = gk.train.evaluate(gk.nn.Identity(), "cross_entropy", (X, y), metrics=["accuracy"])  # no parameters at all
    assert res["accuracy"] == pytest.approx(2 / 3)
    assert res["loss"] == pytest.approx(float(gk.nn.CrossEntropyLoss()(gk.tensor(X), gk.tensor(y)).item()))
    # a loss with learned task weights: no "parameters not in the optimizer" warning, there is none
    net = gk.nn.MultiTaskModel(gk.nn.Linear(2, 4), heads={"a": gk.nn.Linear(4, 2), "b": gk.nn.Linear(4, 1)})
    crit = gk.nn.MultiTaskLoss({"a": "cross_entropy", "b": "mse"}, weights="uncertainty")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = gk.train.evaluate(net, crit, (X, {"a": y, "b": X[:, :1]}), metrics={"a": ["accuracy"]})
    assert set(res) == {"loss", "loss_a", "loss_b", "a_accuracy"}
    with pytest.raises(TypeError, match="model must be a gk.nn.Module, got function"):
        gk.train.evaluate(lambda x: x, "cross_entropy", (X, y))


def test_csv_logger_file_matches_the_run_after_a_resume(tmp_path):
    class Kill(C.Callback):
        def on_batch_begin(self, batch, logs=None):
            if self.trainer.epoch == 2 and batch == 3:
                raise KeyboardInterrupt

    X, y, net, opt = _resume_setup()
    gk.train.fit(net, "cross_entropy", opt, (X, y), (X, y), epochs=4, batch_size=16, metrics=["accuracy"],
                 verbose=0, callbacks=[C.CSVLogger(tmp_path / "full.csv")])
    ckpt, log = tmp_path / "run.safetensors", tmp_path / "log.csv"
    X, y, net, opt = _resume_setup()
    gk.train.fit(net, "cross_entropy", opt, (X, y), (X, y), epochs=4, batch_size=16, metrics=["accuracy"],
                 verbose=0, checkpoint=ckpt, callbacks=[C.CSVLogger(log), Kill()])
    assert len(log.read_text().splitlines()) == 1 + 2  # epochs 1 and 2 were logged live
    X, y, net, opt = _resume_setup(seed=99)
    gk.train.fit(net, "cross_entropy", opt, (X, y), (X, y), epochs=4, batch_size=16, metrics=["accuracy"],
                 verbose=0, checkpoint=ckpt, resume=ckpt, callbacks=[C.CSVLogger(log), C.Callback()])
    assert log.read_text() == (tmp_path / "full.csv").read_text()


# ---------------------------------------------------------------- metrics share a batch's predictions
def test_classification_metrics_share_one_argmax_per_batch(monkeypatch):
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((20, 3)), rng.integers(0, 3, 20)) for _ in range(4)]
    names = ["accuracy", "f1_macro", "precision_macro", "recall_macro", "top3"]
    alone = [M.get(n) for n in names]
    for scores, target in batches:
        for m in alone:
            m.update(scores, target)  # each on its own: its own argmax
    calls = []
    real = M.predicted_labels
    monkeypatch.setattr(M, "predicted_labels", lambda *a, **k: calls.append(1) or real(*a, **k))
    shared = [M.get(n) for n in names]
    for scores, target in batches:
        M.update_all(shared, scores, target)
    assert len(calls) == len(batches)  # one argmax per batch for all the metrics
    assert [m.result() for m in shared] == [m.result() for m in alone]  # the same values


def test_fit_metrics_share_predictions_and_give_the_same_values(monkeypatch):
    X, y = _blobs(64)
    calls = []
    real = M.predicted_labels
    monkeypatch.setattr(M, "predicted_labels", lambda *a, **k: calls.append(1) or real(*a, **k))
    net = _net()
    hist = gk.train.fit(net, "cross_entropy", "sgd", (X, y), (X, y), epochs=1, batch_size=16, shuffle=False,
                        metrics=["accuracy", "f1", "precision", "recall"], verbose=0)
    assert len(calls) == 4 + 1  # 4 training batches, 1 dev batch (dev batches hold up to 256)
    p = gk.train.predict(net, X).argmax(1)
    assert hist["val_accuracy"][-1] == pytest.approx((p == y).mean())
    prec, rec, f1 = M.precision_recall_f1(gk.train.predict(net, X), y)
    assert (hist["val_precision"][-1], hist["val_recall"][-1], hist["val_f1"][-1]) == pytest.approx((prec, rec, f1))


def test_task_metrics_share_the_tasks_batch():
    net = gk.nn.MultiTaskModel(gk.nn.Linear(2, 4), heads={"a": gk.nn.Linear(4, 3), "b": gk.nn.Linear(4, 1)})
    crit = gk.nn.MultiTaskLoss({"a": "cross_entropy", "b": "mse"})
    trainer = gk.train.Trainer(net, crit, "sgd", metrics={"a": ["accuracy", "f1_macro"], "b": ["rmse"]}, verbose=0)
    scores = {"a": np.array([[3.0, 0, 0], [0, 2.0, 0], [0, 0, 1.0]]), "b": np.array([[1.0], [2.0], [3.0]])}
    target = {"a": np.array([0, 1, -100]), "b": np.array([[1.0], [np.nan], [1.0]])}
    batch = M.update_all(trainer.metrics, scores, target)
    assert {m.name: m.result() for m in trainer.metrics} == {"a_accuracy": 1.0, "a_f1_macro": 1.0,
                                                             "b_rmse": pytest.approx(np.sqrt(2.0))}
    sub = batch.cached(("task", "a", -100), lambda: None)
    assert sub is not None and sub.labels().tolist() == [0, 1]  # one labelled sub-batch for both metrics of a


def test_reduce_lr_on_plateau_is_recognised_by_class_and_gets_the_monitored_value():
    X, y = _blobs(40)
    net = _net()
    opt = gk.optim.SGD(net.parameters(), lr=0.1)

    class Recording(gk.optim.lr_scheduler.ReduceLROnPlateau):  # a subclass: not found by its class name
        seen = []

        def step(self, metrics=None):
            self.seen.append(metrics)
            return super().step(metrics)

    hist = gk.train.fit(net, "cross_entropy", opt, (X, y), (X, y), epochs=2, verbose=0,
                        schedule=Recording(opt, patience=0))
    assert Recording.seen == hist["val_loss"]
