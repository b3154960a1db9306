"""Preprocessing fitted on training data only; state_dict round trips; check_finite."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.data import (
    FlattenImages, MeanCenter, MinMaxScale, Pipeline, Standardize, check_finite, train_dev_test_split,
)


@pytest.fixture
def split(rng):
    X = (rng.normal(size=(300, 4)) * [1.0, 10.0, 0.1, 3.0] + [5.0, -2.0, 0.0, 100.0]).astype(np.float32)
    y = rng.integers(0, 3, 300)
    return train_dev_test_split(X, y, seed=0)


def test_standardize_uses_train_statistics_only(split):
    s = Standardize().fit(split.X_train)
    tr = s.transform(split.X_train)
    assert tr.dtype == np.float32
    np.testing.assert_allclose(tr.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(tr.std(0), 1, atol=1e-5)
    dev = s.transform(split.X_dev)
    expected = (split.X_dev.astype(np.float64) - split.X_train.mean(0, dtype=np.float64)) / split.X_train.std(
        0, dtype=np.float64)
    np.testing.assert_allclose(dev, expected, rtol=1e-5, atol=1e-5)
    # dev statistics were not used: the dev set is not exactly standardized by itself
    assert np.abs(dev.mean(0)).max() > 1e-3
    np.testing.assert_allclose(s.inverse_transform(dev), split.X_dev, rtol=1e-5, atol=1e-4)


def test_standardize_zero_std_and_per_channel():
    X = np.array([[1.0, 3.0], [1.0, 5.0]])
    out = Standardize().fit_transform(X)
    assert np.isfinite(out).all() and out[:, 0].tolist() == [0.0, 0.0]
    imgs = np.random.default_rng(1).normal(2.0, 3.0, size=(20, 3, 4, 4)).astype(np.float32)
    s = Standardize(axis=(0, 2, 3)).fit(imgs)
    assert s.mean.shape == (3, 1, 1)
    out = s.transform(imgs)
    np.testing.assert_allclose(out.mean((0, 2, 3)), 0, atol=1e-5)
    with pytest.raises(ValueError, match="sample axis 0"):
        Standardize(axis=1).fit(imgs)


def test_min_max_and_mean_center(split):
    m = MinMaxScale((-1, 1)).fit(split.X_train)
    tr = m.transform(split.X_train)
    np.testing.assert_allclose(tr.min(0), -1, atol=1e-6)
    np.testing.assert_allclose(tr.max(0), 1, atol=1e-6)
    np.testing.assert_allclose(m.inverse_transform(m.transform(split.X_test)), split.X_test, rtol=1e-5, atol=1e-4)
    const = MinMaxScale().fit_transform(np.array([[2.0], [2.0]]))
    assert const.tolist() == [[0.0], [0.0]]
    with pytest.raises(ValueError, match="increasing pair"):
        MinMaxScale((1, 0))
    c = MeanCenter().fit(split.X_train)
    np.testing.assert_allclose(c.transform(split.X_train).mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(c.transform(split.X_dev), split.X_dev - split.X_train.mean(0), rtol=1e-5, atol=1e-4)


def test_integer_input_becomes_default_float():
    X = np.array([[0, 255], [255, 0]], dtype=np.uint8)
    out = MinMaxScale().fit_transform(X)
    assert out.dtype == np.float32 and out.tolist() == [[0.0, 1.0], [1.0, 0.0]]


def test_transform_before_fit_and_shape_mismatch():
    for p in (Standardize(), MinMaxScale(), MeanCenter(), FlattenImages(), Pipeline([Standardize()])):
        with pytest.raises(RuntimeError, match="before fit"):
            p.transform(np.zeros((2, 3)))
    s = Standardize().fit(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(3,\)"):
        s.transform(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="NaN"):
        Standardize().fit(np.array([[1.0], [np.nan]]))


def test_flatten_images():
    f = FlattenImages().fit(np.zeros((2, 1, 8, 8)))
    x = np.arange(3 * 64, dtype=np.float32).reshape(3, 1, 8, 8)
    flat = f.transform(x)
    assert flat.shape == (3, 64) and flat.dtype == np.float32
    assert np.array_equal(f.inverse_transform(flat), x)
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(1, 8, 8\)"):
        f.transform(np.zeros((3, 1, 7, 7)))


def test_state_dict_round_trip_plain_arrays(split):
    for make in (Standardize, MeanCenter, lambda: MinMaxScale((-2, 3)), FlattenImages):
        p = make().fit(split.X_train)
        st = p.state_dict()
        assert all(type(v) is np.ndarray for v in st.values())
        q = make()
        q.load_state_dict(st)
        assert q.is_fitted
        np.testing.assert_array_equal(q.transform(split.X_dev), p.transform(split.X_dev))
    with pytest.raises(KeyError, match=r"missing keys \['std'\], unexpected keys \['sd'\]"):
        Standardize().load_state_dict({"mean": np.zeros(4), "sd": np.ones(4)})


def test_pipeline_fit_transform_inverse_and_state():
    imgs = np.random.default_rng(2).uniform(0, 16, size=(30, 1, 8, 8)).astype(np.float32)
    p = Pipeline([FlattenImages(), Standardize()])
    out = p.fit_transform(imgs[:20])
    assert out.shape == (20, 64)
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-5)
    back = p.inverse_transform(p.transform(imgs[20:]))
    np.testing.assert_allclose(back, imgs[20:], rtol=1e-5, atol=1e-4)
    st = p.state_dict()
    assert sorted(st) == ["0.input_shape", "1.mean", "1.std"]
    q = Pipeline([FlattenImages(), Standardize()])
    q.load_state_dict(st)
    np.testing.assert_array_equal(q.transform(imgs[20:]), p.transform(imgs[20:]))
    with pytest.raises(KeyError, match="unexpected keys"):
        q.load_state_dict({**st, "5.mean": np.zeros(1)})


def test_tensor_in_tensor_out():
    X = gk.tensor([[1.0, 2.0], [3.0, 6.0]])
    out = Standardize().fit(X).transform(X)
    assert isinstance(out, gk.Tensor) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), [[-1, -1], [1, 1]])


def test_check_finite_reports_counts_and_columns():
    X = np.ones((5, 4), dtype=np.float32)
    assert check_finite(X, "X_train") is X
    X[0, 1] = np.nan
    X[3, 1] = np.nan
    X[2, 3] = np.inf
    with pytest.raises(ValueError) as e:
        check_finite(X, "X_train")
    msg = str(e.value)
    assert "X_train contains 2 NaN and 1 infinite" in msg
    assert "column 1 (2 NaN)" in msg and "column 3 (1 inf)" in msg and "column 0" not in msg
    with pytest.raises(ValueError, match="column"):
        check_finite(gk.tensor([[0.0, float("-inf")]]), "batch")
    check_finite(np.arange(3), "ints")  # integers are always finite
