"""gk.diagnose.BiasVarianceVerdict in fit: the errors of the final model measured in eval mode."""

import numpy as np
import pytest

import gradkit as gk


def _blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] + 0.5 * X[:, 2] > 0).astype(np.int64)
    return X, y


def test_bias_variance_verdict_measures_the_training_error_in_eval_mode():
    X, y = _blobs(120)
    gk.manual_seed(0)
    net = gk.nn.Sequential(gk.nn.Linear(4, 32), gk.nn.ReLU(), gk.nn.Dropout(0.7), gk.nn.Linear(32, 2))
    verdict = gk.diagnose.BiasVarianceVerdict(verbose=False)
    hist = gk.train.fit(net, "cross_entropy", gk.optim.Adam(net.parameters(), lr=0.01), (X[:90], y[:90]),
                        (X[90:], y[90:]), epochs=10, batch_size=16, metrics=["accuracy"], callbacks=[verdict],
                        verbose=0)
    rep = hist.diagnosis
    ev_train = gk.train.evaluate(net, "cross_entropy", (X[:90], y[:90]), metrics=["accuracy"])["accuracy"]
    ev_dev = gk.train.evaluate(net, "cross_entropy", (X[90:], y[90:]), metrics=["accuracy"])["accuracy"]
    assert verdict.measured == "eval" and net.training  # the model is left in training mode
    assert rep.train_error == pytest.approx(1 - ev_train) and rep.dev_error == pytest.approx(1 - ev_dev)
    # with dropout on, the logged running accuracy is lower than the trained model's
    assert hist["accuracy"][-1] < ev_train
    assert "eval mode" in rep.notes[0] and "90 training and 30 dev examples" in rep.notes[0]
    assert "eval mode" in str(rep)


def test_bias_variance_verdict_opt_out_uses_the_logged_running_value():
    X, y = _blobs(120)
    gk.manual_seed(0)
    net = gk.nn.Sequential(gk.nn.Linear(4, 32), gk.nn.ReLU(), gk.nn.Dropout(0.7), gk.nn.Linear(32, 2))
    verdict = gk.diagnose.BiasVarianceVerdict(verbose=False, eval_train=False)
    hist = gk.train.fit(net, "cross_entropy", "adam", (X[:90], y[:90]), (X[90:], y[90:]), epochs=3,
                        metrics=["accuracy"], callbacks=[verdict], verbose=0)
    assert verdict.measured == "running"
    assert hist.diagnosis.train_error == pytest.approx(1 - hist["accuracy"][-1])
    assert "averaged over the epoch's batches" in hist.diagnosis.notes[0]
    with pytest.raises(TypeError, match="eval_train must be True or False"):
        gk.diagnose.BiasVarianceVerdict(eval_train="no")
