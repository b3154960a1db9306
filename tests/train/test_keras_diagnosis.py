"""The bias/variance verdict is printed only when asked for, and its advice fits the model."""

import numpy as np

import gradkit as gk
from gradkit.diagnose import BiasVarianceVerdict, bias_variance
from gradkit.diagnose.bias_variance import model_kind


def _cnn():
    return gk.nn.Sequential(gk.nn.Conv2d(1, 4, 3), gk.nn.ReLU(), gk.nn.Flatten(), gk.nn.Linear(4 * 6 * 6, 2))


def test_model_kinds():
    assert model_kind(_cnn()) == "cnn"
    assert model_kind(gk.nn.Sequential(gk.nn.Linear(3, 2))) == "mlp"
    assert model_kind(gk.nn.LSTM(3, 4)) == "rnn"
    assert model_kind(gk.nn.GRUCell(3, 4)) == "rnn"
    assert model_kind(None) is None


def test_advice_knows_the_model():
    both = dict(train_error=0.20, dev_error=0.35)
    cnn = bias_variance(**both, model=_cnn()).advice
    assert not any("a CNN for images" in a for a in cnn)
    assert any("Make the CNN stronger" in a for a in cnn) and any("augmentation" in a for a in cnn)
    mlp = bias_variance(**both, model=gk.nn.Linear(3, 2)).advice
    assert any("a CNN for images" in a for a in mlp)
    rnn = bias_variance(**both, model=gk.nn.LSTM(3, 4)).advice
    assert any("recurrent" in a for a in rnn) and not any("CNN" in a for a in rnn)
    plain = bias_variance(**both).advice  # no model: the general recipe
    assert any("another architecture" in a for a in plain)


def test_verdict_printed_only_when_asked(capsys):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 1, 8, 8)).astype(np.float32)
    y = (X.mean(axis=(1, 2, 3)) > 0).astype(np.int64)
    gk.train.fit(_cnn(), "cross_entropy", "adam", (X, y), (X, y), epochs=1, metrics=["accuracy"], verbose=2)
    assert "Verdict" not in capsys.readouterr().out
    verdict = BiasVarianceVerdict()
    hist = gk.train.fit(_cnn(), "cross_entropy", "adam", (X, y), validation_split=0.25, epochs=1,
                        metrics=["accuracy"], callbacks=[verdict], verbose=2)
    out = capsys.readouterr().out
    assert hist.diagnosis is verdict.report and str(verdict.report) in out
    assert "a CNN for images" not in out
