"""learning_curve and capacity_curve on a small synthetic task."""

import json

import numpy as np
import pytest

import gradkit as gk
from gradkit.diagnose import CurveResult, capacity_curve, learning_curve


def _xor_task(n, rng, noise=0.15):
    X = rng.standard_normal((n, 2)).astype(np.float32)
    y = ((X[:, 0] * X[:, 1]) > 0).astype(np.int64)
    flip = rng.random(n) < noise
    y[flip] = 1 - y[flip]
    return X, y


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    return _xor_task(400, rng), _xor_task(400, rng)


def test_learning_curve_shape(data, tmp_path):
    res = learning_curve(lambda: gk.models.MLP([2, 64, 64, 2]), data, [16, 64, 400], epochs=30, lr=0.01,
                         min_steps=300, base_error=0.15)
    assert isinstance(res, CurveResult) and res.kind == "learning"
    assert list(res.x) == [16, 64, 400] and res.train_error.shape == (3,) and res.dev_error.shape == (3,)
    assert res.train_error[-1] > res.train_error[0] + 0.05  # harder to fit more (noisy) data
    assert res.dev_error[-1] < res.dev_error[0] - 0.05  # but it generalizes better
    assert res.regimes[0] == "high variance"  # memorized 16 examples
    assert len(res.reports) == 3
    res.plot(tmp_path / "lc.png")
    assert (tmp_path / "lc.png").stat().st_size > 1000
    d = json.loads(json.dumps(res.to_dict()))
    assert d["x"] == [16, 64, 400] and len(d["regimes"]) == 3
    assert "learning curve" in str(res) and "1 - accuracy" in str(res)


def test_learning_curve_fractions_and_errors(data):
    res = learning_curve(lambda: gk.models.MLP([2, 8, 2]), data, [0.1, 1.0], epochs=2, metric=None)
    assert list(res.x) == [40, 400] and res.metric is None
    assert "loss" in str(res)
    with pytest.raises(ValueError, match="sizes must be"):
        learning_curve(lambda: gk.models.MLP([2, 8, 2]), data, [0], epochs=1)
    with pytest.raises(ValueError, match="sizes must be"):
        learning_curve(lambda: gk.models.MLP([2, 8, 2]), data, [401], epochs=1)
    with pytest.raises(TypeError, match="X_train"):
        learning_curve(lambda: gk.models.MLP([2, 8, 2]), data[0], [10], epochs=1)
    with pytest.raises(TypeError, match="Module"):
        learning_curve(lambda: "not a model", data, [10], epochs=1)


def test_capacity_curve_train_error_falls(data, tmp_path):
    widths = {f"width {w}": (lambda w=w: gk.models.MLP([2, w, 2])) for w in (1, 4, 64)}
    res = capacity_curve(widths, data, epochs=30, lr=0.02)
    assert res.kind == "capacity" and res.labels == ["width 1", "width 4", "width 64"]
    assert list(res.x) == [7, 22, 322]
    assert res.train_error[0] > res.train_error[-1] + 0.1
    assert res.regimes[0] == "high bias"
    res.plot(tmp_path / "cap.png")
    assert (tmp_path / "cap.png").exists()
    depth = capacity_curve([lambda: gk.models.MLP([2, 4, 2]), lambda: gk.models.MLP([2, 4, 4, 2])], data, epochs=1)
    assert depth.labels == ["22 params", "42 params"]
    with pytest.raises(ValueError, match="empty"):
        capacity_curve({}, data)
