"""bias_variance: the classic cases, scales, unusual inputs, the recipe, from a History."""

import json

import pytest

from gradkit.diagnose import (
    BiasVarianceReport,
    bias_variance,
    bias_variance_from_history,
)
from gradkit.train import History


@pytest.mark.parametrize("train, dev, base, verdict", [
    (1, 11, 0, "high variance"),
    (15, 16, 0, "high bias"),
    (15, 30, 0, "high bias and high variance"),
    (0.005, 0.01, 0, "good fit"),
    (15, 16, 15, "good fit"),
    (0.01, 0.11, 0.0, "high variance"),
    (0.15, 0.16, 0.0, "high bias"),
])
def test_classic_cases(train, dev, base, verdict):
    r = bias_variance(train, dev, base_error=base)
    assert isinstance(r, BiasVarianceReport)
    assert r.verdict == verdict


def test_components_and_percent_scale():
    r = bias_variance(15, 30, base_error=5)
    assert r.scale == "percent"
    assert r.avoidable_bias == pytest.approx(0.10)
    assert r.variance == pytest.approx(0.15)
    assert r.train_error == pytest.approx(0.15) and r.dev_error == pytest.approx(0.30)
    assert any("percentages" in n for n in r.notes)
    r2 = bias_variance(0.15, 0.30, base_error=0.05)
    assert r2.scale == "fraction" and r2.avoidable_bias == pytest.approx(r.avoidable_bias)
    # explicit scale: 0.5% and 1% as percentages is a good fit
    assert bias_variance(0.5, 1, scale="percent").verdict == "good fit"


def test_mixed_scales_rejected():
    with pytest.raises(ValueError, match="mixed scales"):
        bias_variance(0.01, 11)
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        bias_variance(50, 150)
    with pytest.raises(ValueError, match="scale='fraction'"):
        bias_variance(1, 11, scale="fraction")
    with pytest.raises(ValueError, match=">= 0"):
        bias_variance(-0.1, 0.2)
    with pytest.raises(ValueError, match="finite"):
        bias_variance(float("nan"), 0.2)
    with pytest.raises(TypeError, match="number"):
        bias_variance("a", 0.2)
    with pytest.raises(ValueError, match="scale must be"):
        bias_variance(0.1, 0.2, scale="ratio")


def test_thresholds_adjustable():
    assert bias_variance(0.01, 0.11, variance_threshold=0.2).verdict == "good fit"
    assert bias_variance(0.015, 0.02, bias_threshold=0.01).verdict == "high bias"
    with pytest.raises(ValueError):
        bias_variance(0.1, 0.2, bias_threshold=-1)


def test_dev_below_train_is_a_note_not_a_crash():
    r = bias_variance(0.10, 0.05)
    assert r.variance == pytest.approx(-0.05)
    assert r.verdict == "high bias"
    assert any("unusual" in n and "dev error is below" in n for n in r.notes)
    r = bias_variance(0.01, 0.02, base_error=0.05)
    assert any("below the base error" in n for n in r.notes)


def test_train_dev_splits_variance_and_mismatch():
    r = bias_variance(0.01, 0.10, train_dev_error=0.015)
    assert r.variance == pytest.approx(0.005) and r.data_mismatch == pytest.approx(0.085)
    assert r.verdict == "good fit" and r.high_mismatch
    assert any("mismatch" in a.lower() for a in r.advice)
    r = bias_variance(0.01, 0.11, train_dev_error=0.10)
    assert r.verdict == "high variance" and not r.high_mismatch
    assert "data mismatch" in str(r)


def test_advice_follows_the_recipe():
    bias = bias_variance(0.15, 0.16)
    text = " ".join(bias.advice).lower()
    assert "bigger network" in text and "train longer" in text and "architecture" in text
    assert "more training data" not in text
    var = bias_variance(0.01, 0.11)
    text = " ".join(var.advice).lower()
    assert "more training data" in text and "l2" in text and "dropout" in text and "augmentation" in text
    assert "bigger network" not in text
    both = bias_variance(0.15, 0.30)
    assert len(both.advice) == len(bias.advice) + len(var.advice)
    assert any("bias first" in n for n in both.notes)


def test_str_and_to_dict():
    r = bias_variance(1, 11)
    s = str(r)
    assert "high variance" in s and "11.00%" in s and "variance" in s
    d = json.loads(json.dumps(r.to_dict()))
    assert d["verdict"] == "high variance" and d["scale"] == "percent"
    assert d["variance"] == pytest.approx(0.10)


def _history(train_acc, dev_acc, with_acc=True):
    h = History()
    for e, (a, b) in enumerate(zip(train_acc, dev_acc)):
        logs = {"loss": 1 - a, "val_loss": 1 - b}
        if with_acc:
            logs.update({"accuracy": a, "val_accuracy": b})
        h.append(e, logs)
    return h


def test_from_history_last_and_best():
    h = _history([0.80, 0.95, 0.99], [0.78, 0.93, 0.89])
    last = bias_variance_from_history(h)
    assert last.train_error == pytest.approx(0.01) and last.dev_error == pytest.approx(0.11)
    assert last.verdict == "high variance"
    best = bias_variance_from_history(h, epoch="best")
    assert best.dev_error == pytest.approx(0.07) and best.train_error == pytest.approx(0.05)
    assert "epoch 1" in best.notes[0]
    first = bias_variance_from_history(h, epoch=0, base_error=0.15)
    assert first.verdict == "high bias"
    with pytest.raises(ValueError, match="out of range"):
        bias_variance_from_history(h, epoch=7)


def test_from_history_loss_fallback_and_errors():
    h = _history([0.5, 0.9], [0.5, 0.6], with_acc=False)
    r = bias_variance_from_history(h)
    assert r.scale == "raw" and r.train_error == pytest.approx(0.1) and r.dev_error == pytest.approx(0.4)
    assert "loss" in r.notes[0]
    with pytest.raises(ValueError, match="empty"):
        bias_variance_from_history(History())
    h2 = History()
    h2.append(0, {"loss": 0.3})
    with pytest.raises(ValueError, match="dev_data"):
        bias_variance_from_history(h2)
