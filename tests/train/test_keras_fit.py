"""Keras' fit habits: validation_split, class_weight, sample_weight, initial_epoch, steps_per_epoch,
validation_freq, verbose, the Softmax/Sigmoid-before-a-logits-loss warning, one-hot categorical_crossentropy."""

import warnings

import numpy as np
import pytest

import gradkit as gk
from gradkit.train import fit


def _data(n=50, d=3, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    y = rng.integers(0, k, n).astype(np.int64)
    return X, y


def _net(d=3, k=3, seed=0):
    gk.manual_seed(seed)
    return gk.nn.Sequential(gk.nn.Linear(d, 8), gk.nn.ReLU(), gk.nn.Linear(8, k))


def test_validation_split_takes_the_last_fraction_before_shuffling():
    X, y = _data(50)
    hist = fit(_net(), "cross_entropy", "sgd", (X, y), epochs=1, validation_split=0.1, verbose=0)
    tr = hist.trainer
    dev_x = tr.dev_loader.dataset.arrays[0]
    train_x = tr.train_loader.dataset.arrays[0]
    np.testing.assert_array_equal(dev_x, X[45:])  # Keras: split_at = floor(50 * 0.9)
    np.testing.assert_array_equal(train_x, X[:45])
    assert "val_loss" in hist and hist["val_loss"][0] is not None
    with pytest.raises(ValueError, match="validation_split"):
        fit(_net(), "cross_entropy", "sgd", (X, y), validation_split=1.0, verbose=0)
    with pytest.warns(UserWarning, match="validation_split is ignored"):
        fit(_net(), "cross_entropy", "sgd", (X, y), validation_data=(X[:5], y[:5]), validation_split=0.2, verbose=0)
    ds = gk.data.TensorDataset(X, y)
    h2 = fit(_net(), "cross_entropy", "sgd", ds, validation_split=0.2, verbose=0)
    assert len(h2.trainer.dev_loader.dataset) == 10 and h2.trainer.dev_loader.dataset.indices.tolist() == list(
        range(40, 50))


def _one_step(**kw):
    X, y = _data(12)
    net = _net()
    opt = gk.optim.SGD(net.parameters(), lr=0.5)
    fit(net, "cross_entropy", opt, (X, y), epochs=1, batch_size=12, shuffle=False, verbose=0, **kw)
    return net


def _manual_step(w):
    X, y = _data(12)
    net = _net()
    per = gk.nn.CrossEntropyLoss(reduction="none")(net(gk.tensor(X)), gk.tensor(y))
    ((per * gk.tensor(w.astype(np.float32))).sum() / 12).backward()
    for p in net.parameters():
        p.array -= 0.5 * p.grad.array
    return net


def _same(a, b):
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-5, atol=1e-6)


def test_class_weight_and_sample_weight_give_keras_weighted_loss():
    _, y = _data(12)
    cw = {0: 1.0, 1: 3.0, 2: 0.5}
    _same(_one_step(class_weight=cw), _manual_step(np.array([cw[int(c)] for c in y])))
    sw = np.linspace(0.0, 2.0, 12)
    _same(_one_step(sample_weight=sw), _manual_step(sw))
    _same(_one_step(sample_weight=sw, class_weight=cw), _manual_step(sw * np.array([cw[int(c)] for c in y])))
    _same(_one_step(class_weight={0: 1.0, 1: 1.0, 2: 1.0}), _one_step())


def test_sample_weight_is_shuffled_with_its_samples_and_split():
    X, y = _data(40)
    w = (y == 1).astype(np.float32)  # only class 1 counts
    hist = fit(_net(), "cross_entropy", "adam", (X, y), epochs=1,
               sample_weight=w, validation_split=0.25, verbose=0)
    ds = hist.trainer.train_loader.dataset
    assert len(ds.arrays) == 3 and len(ds) == 30
    np.testing.assert_array_equal(ds.arrays[2], w[:30])
    with pytest.raises(ValueError, match="sample_weight has 3 values"):
        fit(_net(), "cross_entropy", "sgd", (X, y), sample_weight=[1, 2, 3], verbose=0)


def test_initial_epoch_and_validation_freq():
    X, y = _data(30)
    hist = fit(_net(), "cross_entropy", "sgd", (X, y), (X, y), epochs=5, initial_epoch=2, verbose=0)
    assert hist.epoch == [2, 3, 4]
    hist = fit(_net(), "cross_entropy", "sgd", (X, y), (X, y), epochs=4, validation_freq=2, verbose=0)
    assert [v is not None for v in hist["val_loss"]] == [False, True, False, True]
    hist = fit(_net(), "cross_entropy", "sgd", (X, y), (X, y), epochs=3, validation_freq=[1, 3], verbose=0)
    assert [v is not None for v in hist["val_loss"]] == [True, False, True]
    with pytest.raises(ValueError, match="initial_epoch"):
        fit(_net(), "cross_entropy", "sgd", (X, y), epochs=2, initial_epoch=3, verbose=0)


def test_steps_per_epoch_continues_the_stream():
    X, y = _data(50)
    seen = []

    class Count(gk.train.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(logs["size"])

    hist = fit(_net(), "cross_entropy", "sgd", (X, y), epochs=3, batch_size=10, steps_per_epoch=4,
               callbacks=[Count()], verbose=0)
    assert len(seen) == 12 and hist.trainer.steps_per_epoch == 4
    loader = hist.trainer.train_loader
    assert loader.epoch == 2 and loader.state_dict()["batch"] == 2  # 12 batches = 2 passes of 5 + 2


def test_steps_per_epoch_resume_is_exact(tmp_path):
    X, y = _data(50)

    def run(epochs, resume=None, checkpoint=None, net=None):
        net = net or _net()
        opt = gk.optim.Adam(net.parameters(), lr=0.01)
        return net, fit(net, "cross_entropy", opt, (X, y), epochs=epochs, batch_size=8, steps_per_epoch=5,
                        resume=resume, checkpoint=checkpoint, verbose=0)

    gk.manual_seed(1)
    ref, _ = run(4)
    ck = tmp_path / "ck.safetensors"
    gk.manual_seed(1)
    run(2, checkpoint=ck)
    net, hist = run(4, resume=ck)
    for p, q in zip(ref.parameters(), net.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_softmax_or_sigmoid_output_with_a_logits_loss_warns():
    X, y = _data(20)
    soft = gk.nn.Sequential(gk.nn.Linear(3, 3), gk.nn.Softmax(dim=1))
    with pytest.warns(UserWarning, match=r"last layer 1 is Softmax.*CrossEntropyLoss expects logits.*NLLLoss"):
        fit(soft, "cross_entropy", "sgd", (X, y), verbose=0)
    sig = gk.nn.Sequential(gk.nn.Linear(3, 1), gk.nn.Sigmoid())
    yb = (X[:, :1] > 0).astype(np.float32)
    with pytest.warns(UserWarning, match=r"Sigmoid.*BCEWithLogitsLoss.*BCELoss"):
        fit(sig, "bce_with_logits", "sgd", (X, yb), verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit(sig, "bce", "sgd", (X, yb), verbose=0)  # probabilities with a loss on probabilities: fine
        fit(_net(), "cross_entropy", "sgd", (X, y), verbose=0)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_, np.float32])
def test_categorical_crossentropy_takes_one_hot_of_any_dtype(dtype):
    X, y = _data(30)
    onehot = np.eye(3)[y].astype(dtype)
    net0 = _net()
    ref = fit(net0, "cross_entropy", gk.optim.SGD(net0.parameters(), lr=0.1), (X, y), epochs=2, shuffle=False,
              verbose=0)
    net = _net()
    got = fit(net, "categorical_crossentropy", gk.optim.SGD(net.parameters(), lr=0.1), (X, onehot), epochs=2,
              shuffle=False, verbose=0)
    np.testing.assert_allclose(got["loss"], ref["loss"], rtol=1e-5)


def test_verbose_levels(capsys):
    X, y = _data(20)
    fit(_net(), "cross_entropy", "sgd", (X, y), (X, y), epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
    fit(_net(), "cross_entropy", "sgd", (X, y), (X, y), epochs=2, verbose=2)
    out = capsys.readouterr()
    text = out.out + out.err
    assert text.count("val_loss") >= 2 and "verdict" not in text.lower()
