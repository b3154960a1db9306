"""Offline datasets: shapes, dtypes, classes, seeding, the dispatcher, mnist1d's RNG hygiene."""

import random

import numpy as np
import pytest

from gradkit.data import datasets as D


@pytest.mark.parametrize("name, shape, n_classes", [
    ("digits", (1797, 64), 10),
    ("iris", (150, 4), 3),
    ("breast_cancer", (569, 30), 2),
    ("moons", (200, 2), 2),
    ("circles", (200, 2), 2),
    ("spirals", (300, 2), 3),
    ("flower", (400, 2), 2),
])
def test_shapes_dtypes_classes(name, shape, n_classes):
    pytest.importorskip("sklearn")
    X, y = D.load(name)
    assert X.shape == shape and X.dtype == np.float32 and y.dtype == np.int64
    assert y.shape == (shape[0],)
    assert sorted(np.unique(y).tolist()) == list(range(n_classes))
    assert np.isfinite(X).all()


def test_digits_as_images():
    pytest.importorskip("sklearn")
    flat, imgs = D.digits(), D.digits(as_images=True)
    assert imgs.X.shape == (1797, 1, 8, 8)
    assert np.array_equal(imgs.X.reshape(1797, 64), flat.X)
    assert flat.X.max() == 16.0


def test_generated_sets_are_seeded_and_balanced():
    for fn in (D.moons, D.circles, D.spirals, D.flower):
        a, b, c = fn(seed=1), fn(seed=1), fn(seed=2)
        assert np.array_equal(a.X, b.X) and not np.array_equal(a.X, c.X)
    assert np.bincount(D.spirals(n_samples=250, n_classes=5).y).tolist() == [50] * 5
    X, y = D.circles(n_samples=400, noise=0.0, factor=0.3)
    r = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(r[y == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(r[y == 1], 0.3, atol=1e-6)
    X, y = D.moons(n_samples=7, noise=0.0)
    assert np.bincount(y).tolist() == [4, 3]


def test_flower_is_not_linearly_separable():
    # A least-squares linear classifier stays near chance on the petals.
    X, y = D.flower()
    A = np.c_[X, np.ones(len(X))]
    w, *_ = np.linalg.lstsq(A, 2.0 * y - 1, rcond=None)
    acc = ((A @ w > 0) == (y == 1)).mean()
    assert acc < 0.7


def test_load_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match=r"unknown dataset 'mnsit'; valid names: .*digits.*mnist1d"):
        D.load("mnsit")
    assert D.load("Breast-Cancer").X.shape == (569, 30)


def test_mnist1d_offline_and_numpy_global_rng_untouched():
    pytest.importorskip("mnist1d")
    np.random.seed(123)
    random.seed(7)
    before_np = np.random.get_state()
    before_py = random.getstate()
    X, y = D.mnist1d(num_samples=500, seed=3)
    after = np.random.get_state()
    assert all(np.array_equal(a, b) for a, b in zip(before_np, after) if isinstance(a, np.ndarray))
    assert before_np[2:] == after[2:]
    assert random.getstate() == before_py
    assert X.shape == (500, 40) and X.dtype == np.float32 and y.dtype == np.int64
    assert sorted(np.unique(y).tolist()) == list(range(10))
    tr, te = D.mnist1d("train", num_samples=500, seed=3), D.mnist1d("test", num_samples=500, seed=3)
    assert len(tr.y) == 400 and len(te.y) == 100
    assert np.array_equal(np.concatenate([tr.X, te.X]), X)
    X.fill(0)  # callers get their own copy, not the cache
    assert D.mnist1d(num_samples=500, seed=3).X.any()
    with pytest.raises(ValueError, match="split"):
        D.mnist1d("dev")


def test_embedded_digits_equal_scikit_learns_copy():
    skd = pytest.importorskip("sklearn.datasets")
    ref = skd.load_digits()
    d = D.digits()
    np.testing.assert_array_equal(d.X, ref.data.astype(np.float32))
    np.testing.assert_array_equal(d.y, ref.target)
    assert d.X.dtype == np.float32 and d.y.dtype == np.int64
