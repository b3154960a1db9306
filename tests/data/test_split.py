"""random_split, train_dev_test_split (stratified) and one_hot."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.data import Subset, TensorDataset, one_hot, random_split, train_dev_test_split


def test_random_split_ints_and_fractions():
    ds = TensorDataset(np.arange(10))
    parts = random_split(ds, [3, 7], generator=gk.Generator(0))
    assert [len(p) for p in parts] == [3, 7] and all(isinstance(p, Subset) for p in parts)
    idx = np.concatenate([p.indices for p in parts])
    assert sorted(idx.tolist()) == list(range(10))
    # fractions: floor, then the remainder dealt round-robin (PyTorch): 11 * (.5,.3,.2) -> 5,3,2 (+1 to first)
    assert [len(p) for p in random_split(TensorDataset(np.arange(11)), [0.5, 0.3, 0.2])] == [6, 3, 2]
    a = random_split(ds, [0.5, 0.5], generator=gk.Generator(4))
    b = random_split(ds, [0.5, 0.5], generator=gk.Generator(4))
    assert np.array_equal(a[0].indices, b[0].indices)


def test_random_split_errors():
    ds = TensorDataset(np.arange(10))
    with pytest.raises(ValueError, match="summing to the dataset size 10"):
        random_split(ds, [3, 3])
    with pytest.raises(ValueError, match="non-negative"):
        random_split(ds, [-1, 11])


def test_stratified_split_keeps_class_proportions():
    y = np.repeat(np.arange(3), [100, 60, 40])  # imbalanced
    X = np.arange(200, dtype=np.float32)[:, None] * np.ones((1, 2), np.float32)
    s = train_dev_test_split(X, y, sizes=(0.6, 0.2, 0.2), stratify=True, seed=0)
    assert len(s.y_train) == 120 and len(s.y_dev) == 40 and len(s.y_test) == 40
    for part, frac in ((s.y_train, 0.6), (s.y_dev, 0.2), (s.y_test, 0.2)):
        counts = np.bincount(part, minlength=3)
        assert np.all(np.abs(counts - frac * np.array([100, 60, 40])) <= 1), counts
    # disjoint and complete; rows stay paired with their labels
    all_rows = np.concatenate([s.X_train[:, 0], s.X_dev[:, 0], s.X_test[:, 0]]).astype(int)
    assert sorted(all_rows.tolist()) == list(range(200))
    assert np.array_equal(y[s.X_train[:, 0].astype(int)], s.y_train)
    # shuffled, not grouped by class
    assert not np.all(np.diff(s.y_train) >= 0)


def test_stratified_rounding_keeps_exact_part_sizes():
    y = np.array([0] * 7 + [1] * 5 + [2] * 3)
    s = train_dev_test_split(np.zeros((15, 1)), y, sizes=(0.6, 0.2, 0.2), seed=1)
    assert (len(s.y_train), len(s.y_dev), len(s.y_test)) == (9, 3, 3)
    for part, frac in ((s.y_train, 0.6), (s.y_dev, 0.2), (s.y_test, 0.2)):
        assert np.all(np.abs(np.bincount(part, minlength=3) - frac * np.array([7, 5, 3])) < 1.5)


def test_stratified_counts_are_exact_shares_rounded_down_or_up():
    from gradkit.data.split import _split_counts, _stratified_indices

    rng = np.random.default_rng(0)
    for t in range(300):
        k = int(rng.integers(1, 8))
        sizes = rng.integers(1, 40, k)
        y = np.repeat(np.arange(k), sizes)
        counts = _split_counts(len(y), rng.dirichlet(np.ones(3)))
        parts = _stratified_indices(y, counts, np.random.default_rng(t))
        assert [len(p) for p in parts] == counts
        assert sorted(np.concatenate(parts).tolist()) == list(range(len(y)))
        for j, p in enumerate(parts):
            share = sizes * counts[j] / len(y)
            assert np.all(np.abs(np.bincount(y[p], minlength=k) - share) < 1), (sizes, counts)


def test_unstratified_and_regression_targets():
    y = np.repeat([0, 1], [90, 10])
    s = train_dev_test_split(np.zeros((100, 1)), y, sizes=(80, 10, 10), stratify=False, seed=0)
    assert (len(s.y_train), len(s.y_dev), len(s.y_test)) == (80, 10, 10)
    yr = np.linspace(0, 1, 50)
    s = train_dev_test_split(np.zeros((50, 2)), yr, seed=0)
    assert (len(s.y_train), len(s.y_dev), len(s.y_test)) == (30, 10, 10)


def test_split_reproducible_and_seed_dependent():
    X, y = np.arange(40.0)[:, None], np.arange(40) % 4
    a = train_dev_test_split(X, y, seed=3)
    b = train_dev_test_split(X, y, seed=3)
    c = train_dev_test_split(X, y, seed=4)
    assert np.array_equal(a.X_train, b.X_train) and not np.array_equal(a.X_train, c.X_train)
    X_tr, y_tr, X_dev, y_dev, X_te, y_te = a  # unpacks like a 6-tuple
    assert X_tr.shape == (24, 1)


def test_split_accepts_tensors_and_validates_sizes():
    X, y = gk.tensor(np.arange(20.0).reshape(10, 2)), gk.tensor(np.arange(10) % 2)
    s = train_dev_test_split(X, y, seed=0)
    assert isinstance(s.X_train, gk.Tensor) and isinstance(s.y_test, gk.Tensor)
    with pytest.raises(ValueError, match="three numbers"):
        train_dev_test_split(np.zeros((10, 1)), np.zeros(10), sizes=(0.5, 0.5))
    with pytest.raises(ValueError, match="fractions summing to 1"):
        train_dev_test_split(np.zeros((10, 1)), np.zeros(10), sizes=(0.6, 0.3, 0.3))
    with pytest.raises(ValueError, match="non-negative"):
        train_dev_test_split(np.zeros((10, 1)), np.zeros(10), sizes=(1.2, -0.1, -0.1))
    with pytest.raises(ValueError, match="X has 10 samples but y has 9"):
        train_dev_test_split(np.zeros((10, 1)), np.zeros(9))


def test_one_hot_arrays_and_tensors():
    out = one_hot(np.array([2, 0, 1]))
    assert out.dtype == np.int64 and out.tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    t = one_hot(gk.tensor([1, 3]), num_classes=5, dtype=gk.float32)
    assert isinstance(t, gk.Tensor) and t.dtype == np.float32 and t.shape == (2, 5)
    assert t.numpy().argmax(1).tolist() == [1, 3]
    assert one_hot(np.array([[0, 1]]), 2).shape == (1, 2, 2)
    assert one_hot(np.array([1.0, 0.0]), 2).tolist() == [[0, 1], [1, 0]]


def test_one_hot_errors():
    with pytest.raises(ValueError, match=r"label 3 is out of range for num_classes=3 \(valid labels are 0..2\)"):
        one_hot(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match=">= 0"):
        one_hot(np.array([-1, 0]), 3)
    with pytest.raises(ValueError, match="integer class labels"):
        one_hot(np.array([0.5]), 2)
