"""Ready-made datasets, all offline: features ``X`` as float32, labels ``y`` as int64.

Every loader returns a :class:`DataArrays` named tuple ``(X, y)`` of NumPy arrays
(unpack it as ``X, y = digits()``). Features are float32 whatever the source stores;
nothing is normalized unless the loader says so: fit a preprocessor such as
:class:`~gradkit.data.Standardize` on the training split yourself.

============== =========================== ======= ==========================================
name           X shape                     classes source
============== =========================== ======= ==========================================
digits         (1797, 64) / (1797,1,8,8)   10      scikit-learn's bundled copy (values 0..16)
iris           (150, 4)                    3       scikit-learn's bundled copy
breast_cancer  (569, 30)                   2       scikit-learn's bundled copy
moons          (n, 2)                      2       generated (two interleaved half circles)
circles        (n, 2)                      2       generated (two concentric circles)
spirals        (n, 2)                      K       generated (K-arm spiral)
flower         (n, 2)                      2       generated (the planar "flower" petals)
mnist1d        (5000, 40)                  10      ``mnist1d.data.make_dataset`` (offline)
mnist          (N, 1, 28, 28) in [0, 1]    10      IDX files in a local folder
fashion_mnist  (N, 1, 28, 28) in [0, 1]    10      IDX files in a local folder
cifar10        (N, 3, 32, 32) in [0, 1]    10      binary batches in a local folder
============== =========================== ======= ==========================================

Generated datasets take ``seed`` (an int, reproducible, independent of gradkit's global
generator; or ``None`` to draw from the global generator). Nothing here touches the
network; NumPy's global RNG is left as it was.

Examples:
    >>> X, y = load("moons", n_samples=100, noise=0.1)
    >>> X.shape, X.dtype, y.dtype
    ((100, 2), dtype('float32'), dtype('int64'))
"""

from __future__ import annotations

import functools
import pathlib
import os
import random as _pyrandom
from typing import NamedTuple

import numpy as np

from ..random import Generator, get_generator
from .cifar import CLASSES as CIFAR10_CLASSES  # noqa: F401
from .cifar import TEST_FILES, TRAIN_FILES, read_cifar_batch
from .idx import read_idx


class DataArrays(NamedTuple):
    """A dataset's features ``X`` (float32) and labels ``y`` (int64)."""

    X: np.ndarray
    y: np.ndarray


def _out(X, y) -> DataArrays:
    return DataArrays(np.ascontiguousarray(X, dtype=np.float32), np.ascontiguousarray(y, dtype=np.int64))


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, Generator):
        return seed.np
    if seed is None:
        return get_generator(None)
    return Generator(int(seed)).np


def _check_n(n_samples, minimum, name):
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < minimum:
        raise ValueError(f"{name}: n_samples must be an integer >= {minimum}, got {n_samples!r}")
    return int(n_samples)


def _split_evenly(n: int, k: int) -> list[int]:
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


# ---------------------------------------------------------------------- scikit-learn's bundled data
_EMBEDDED = pathlib.Path(__file__).resolve().parent / "_embedded"


def _sklearn_datasets():
    try:
        from sklearn import datasets as skd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "this dataset uses scikit-learn's bundled copy: pip install 'gradkit[datasets]' (or scikit-learn)"
        ) from exc
    return skd


def digits(as_images: bool = False) -> DataArrays:
    """The 8x8 handwritten digits (UCI; scikit-learn's bundled copy): 1797 samples, 10 classes.

    Pixel values are integers 0..16 stored as float32. The data ship with gradkit
    (``data/_embedded/digits.npz``, the same arrays as ``sklearn.datasets.load_digits``), so this
    needs no extra package.

    Args:
        as_images: return ``X`` as NCHW images ``(1797, 1, 8, 8)`` instead of ``(1797, 64)``.

    Examples:
        >>> digits(as_images=True).X.shape
        (1797, 1, 8, 8)
    """
    with np.load(_EMBEDDED / "digits.npz", allow_pickle=False) as f:
        X, y = f["X"].astype(np.float32), f["y"].astype(np.int64)
    return _out(X.reshape(-1, 1, 8, 8) if as_images else X, y)


def iris() -> DataArrays:
    """Fisher's iris (scikit-learn's bundled copy): 150 samples, 4 features, 3 classes."""
    d = _sklearn_datasets().load_iris()
    return _out(d.data, d.target)


def breast_cancer() -> DataArrays:
    """Wisconsin diagnostic breast cancer (scikit-learn's bundled copy): 569 samples, 30 features, 2 classes.

    Label 0 is malignant, 1 benign (scikit-learn's coding).
    """
    d = _sklearn_datasets().load_breast_cancer()
    return _out(d.data, d.target)


# ---------------------------------------------------------------------- generated 2-D sets
def moons(n_samples: int = 200, noise: float = 0.2, seed: int | None = 0) -> DataArrays:
    """Two interleaving half circles (the shape of scikit-learn's ``make_moons``).

    Class 0 lies on the upper half circle of radius 1 around (0, 0), class 1 on the
    lower half circle around (1, 0.5); Gaussian noise of standard deviation ``noise``
    is added to both coordinates. Samples come out shuffled.

    Args:
        n_samples: total points (class 0 gets the extra one when odd).
        noise: standard deviation of the Gaussian noise.
        seed: int seed, a :class:`gradkit.Generator`, or ``None`` for the global generator.
    """
    n = _check_n(n_samples, 2, "moons")
    rng = _rng(seed)
    n0, n1 = _split_evenly(n, 2)
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    X = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], 1), np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1)])
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    X = X + float(noise) * rng.standard_normal(X.shape)
    perm = rng.permutation(n)
    return _out(X[perm], y[perm])


def circles(n_samples: int = 200, noise: float = 0.1, factor: float = 0.5, seed: int | None = 0) -> DataArrays:
    """Two concentric circles (the shape of scikit-learn's ``make_circles``).

    Class 0 lies on the unit circle, class 1 on the circle of radius ``factor``;
    Gaussian noise of standard deviation ``noise`` is added. Samples come out shuffled.

    Args:
        n_samples: total points.
        noise: standard deviation of the Gaussian noise.
        factor: inner radius over outer radius, in ``(0, 1)``.
        seed: int seed, a :class:`gradkit.Generator`, or ``None`` for the global generator.

    Raises:
        ValueError: for ``factor`` outside ``(0, 1)``.
    """
    n = _check_n(n_samples, 2, "circles")
    if not 0 < factor < 1:
        raise ValueError(f"circles: factor must be in (0, 1), got {factor}")
    rng = _rng(seed)
    n0, n1 = _split_evenly(n, 2)
    t0 = np.linspace(0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)
    X = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], 1), factor * np.stack([np.cos(t1), np.sin(t1)], 1)])
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    X = X + float(noise) * rng.standard_normal(X.shape)
    perm = rng.permutation(n)
    return _out(X[perm], y[perm])


def spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed: int | None = 0) -> DataArrays:
    """K interleaved spiral arms (the classic toy set of Stanford's CS231n), not linearly separable.

    For class ``k`` and ``i`` of its ``m`` points: radius ``r = i / (m - 1)``, angle
    ``t = 4k + 4r + noise * N(0, 1)``, point ``(r sin t, r cos t)``. Samples come out in
    class order (shuffle with a split or a DataLoader).

    Args:
        n_samples: total points, shared as evenly as possible between the classes.
        n_classes: number of arms ``K`` (``>= 2``).
        noise: standard deviation of the angular noise.
        seed: int seed, a :class:`gradkit.Generator`, or ``None`` for the global generator.
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(f"spirals: n_classes must be an integer >= 2, got {n_classes!r}")
    n = _check_n(n_samples, 2 * int(n_classes), "spirals")
    rng = _rng(seed)
    Xs, ys = [], []
    for k, m in enumerate(_split_evenly(n, int(n_classes))):
        r = np.linspace(0.0, 1.0, m)
        t = 4.0 * k + 4.0 * r + float(noise) * rng.standard_normal(m)
        Xs.append(np.stack([r * np.sin(t), r * np.cos(t)], 1))
        ys.append(np.full(m, k))
    return _out(np.concatenate(Xs), np.concatenate(ys))


def flower(n_samples: int = 400, petals: int = 4, radius: float = 4.0, noise: float = 0.2,
           seed: int | None = 0) -> DataArrays:
    """The planar "flower" set of the deep-learning course: two colours of interleaved petals.

    Points lie along the rose curve ``r = radius * sin(petals * t)``: class 0 takes the
    first half of the angles ``t`` in ``[0, 2*pi)``, class 1 the second half, so
    neighbouring petals alternate between the classes and no straight line separates
    them (logistic regression gets about half right; a small hidden layer does well).
    Both ``t`` and ``r`` get Gaussian noise of standard deviation ``noise``. Samples come
    out in class order.

    Args:
        n_samples: total points (split evenly between the two classes).
        petals: the rose curve's frequency (``2 * petals`` petals in all).
        radius: the petal length.
        noise: standard deviation of the noise on angle and radius.
        seed: int seed, a :class:`gradkit.Generator`, or ``None`` for the global generator.
    """
    n = _check_n(n_samples, 2, "flower")
    rng = _rng(seed)
    Xs, ys = [], []
    half = np.pi  # each class covers half of the full turn
    for k, m in enumerate(_split_evenly(n, 2)):
        t = np.linspace(k * half, (k + 1) * half, m, endpoint=False) + float(noise) * rng.standard_normal(m)
        r = float(radius) * np.sin(int(petals) * t) + float(noise) * rng.standard_normal(m)
        Xs.append(np.stack([r * np.sin(t), r * np.cos(t)], 1))
        ys.append(np.full(m, k))
    return _out(np.concatenate(Xs), np.concatenate(ys))


# ---------------------------------------------------------------------- MNIST-1D
@functools.lru_cache(maxsize=4)
def _mnist1d_cached(num_samples: int, seed: int):
    np_state = np.random.get_state()
    py_state = _pyrandom.getstate()
    try:
        try:
            from mnist1d.data import get_dataset_args, make_dataset
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("mnist1d is not installed: pip install 'gradkit[datasets]' (or mnist1d)") from exc
        args = get_dataset_args()
        args.num_samples = int(num_samples)
        args.seed = int(seed)
        d = make_dataset(args)  # offline generator; never get_dataset (it downloads)
    finally:
        np.random.set_state(np_state)
        _pyrandom.setstate(py_state)
    x, xt = np.asarray(d["x"], np.float32), np.asarray(d["x_test"], np.float32)
    y, yt = np.asarray(d["y"], np.int64), np.asarray(d["y_test"], np.int64)
    for a in (x, xt, y, yt):
        a.setflags(write=False)
    return x, y, xt, yt


def mnist1d(split: str = "all", num_samples: int = 5000, seed: int = 42) -> DataArrays:
    """MNIST-1D (Greydanus, 2020): 10 classes of 1-D signals of length 40, generated offline.

    Uses ``mnist1d.data.make_dataset(get_dataset_args())`` (never its download path).
    mnist1d reseeds NumPy's and Python's global RNGs; both are saved before and
    restored after, so the caller's global random state is left as it was. The
    result is cached per ``(num_samples, seed)`` (generation takes about 2 s).

    Args:
        split: ``"all"`` (mnist1d's train then test part), ``"train"`` (the first 80%) or ``"test"``.
        num_samples: total samples to generate (mnist1d's default 5000).
        seed: mnist1d's generation seed (its default 42).

    Raises:
        ValueError: for an unknown ``split``.
        ImportError: when mnist1d is not installed.
    """
    if split not in ("all", "train", "test"):
        raise ValueError(f"mnist1d: split must be 'all', 'train' or 'test', got {split!r}")
    x, y, xt, yt = _mnist1d_cached(int(num_samples), int(seed))
    if split == "train":
        return _out(x.copy(), y.copy())
    if split == "test":
        return _out(xt.copy(), yt.copy())
    return _out(np.concatenate([x, xt]), np.concatenate([y, yt]))


# ---------------------------------------------------------------------- files in a local folder
_MNIST_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _find(root: str, name: str, subdirs=("", "raw")):
    for sub in subdirs:
        for suffix in ("", ".gz"):
            p = os.path.join(root, sub, name + suffix)
            if os.path.isfile(p):
                return p
    return None


def _load_idx_pair(root, train: bool, as_images: bool, what: str) -> DataArrays:
    root = os.fspath(root)
    img_name, lab_name = _MNIST_FILES[bool(train)]
    img_path, lab_path = _find(root, img_name), _find(root, lab_name)
    missing = [n for n, p in ((img_name, img_path), (lab_name, lab_path)) if p is None]
    if missing:
        raise FileNotFoundError(
            f"{what}: missing {', '.join(missing)} (raw or .gz) in {root} (or its raw/ folder); "
            f"gradkit never downloads: put the IDX files there first"
        )
    images, labels = read_idx(img_path), read_idx(lab_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"{img_path}: expected uint8 images of shape (N, H, W), got {images.dtype} {images.shape}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(f"{lab_path}: expected uint8 labels of shape (N,), got {labels.dtype} {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{what}: {img_path} holds {images.shape[0]} images but {lab_path} holds {labels.shape[0]} labels"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"{lab_path}: labels must be 0..9, found {int(labels.max())}")
    X = images.astype(np.float32) / np.float32(255.0)
    X = X[:, None] if as_images else X.reshape(X.shape[0], -1)
    return _out(X, labels)


def load_mnist(root, train: bool = True, as_images: bool = True) -> DataArrays:
    """MNIST from IDX files in a local folder (raw or ``.gz``; never downloaded).

    Looks for ``train-images-idx3-ubyte`` / ``train-labels-idx1-ubyte`` (``train=True``)
    or ``t10k-images-idx3-ubyte`` / ``t10k-labels-idx1-ubyte`` in ``root`` or ``root/raw``.

    Args:
        root: the folder.
        train: the training (60k) or test (10k) part.
        as_images: ``X`` as ``(N, 1, 28, 28)``; otherwise flattened ``(N, 784)``.

    Returns:
        :class:`DataArrays` with pixels scaled to ``[0, 1]`` (float32) and int64 labels.

    Raises:
        FileNotFoundError: naming the missing files.
        ValueError: naming the file and the reason for a malformed or inconsistent file.
    """
    return _load_idx_pair(root, train, as_images, "load_mnist")


def load_fashion_mnist(root, train: bool = True, as_images: bool = True) -> DataArrays:
    """Fashion-MNIST (Zalando) from IDX files in a local folder; same file names and format as :func:`load_mnist`."""
    return _load_idx_pair(root, train, as_images, "load_fashion_mnist")


def load_cifar10(root, train: bool = True) -> DataArrays:
    """CIFAR-10 from its binary batches in a local folder (never downloaded).

    Reads ``data_batch_1.bin`` ... ``data_batch_5.bin`` (``train=True``) or
    ``test_batch.bin`` from ``root`` or ``root/cifar-10-batches-bin``.

    Returns:
        :class:`DataArrays` with ``X`` of shape ``(N, 3, 32, 32)`` scaled to ``[0, 1]``
        (float32) and int64 labels (class names in ``CIFAR10_CLASSES``).

    Raises:
        FileNotFoundError: naming the missing batch files.
        ValueError: naming the file and the reason for a malformed batch.
    """
    root = os.fspath(root)
    names = TRAIN_FILES if train else TEST_FILES
    paths = [_find(root, n, ("", "cifar-10-batches-bin")) for n in names]
    missing = [n for n, p in zip(names, paths) if p is None]
    if missing:
        raise FileNotFoundError(
            f"load_cifar10: missing {', '.join(missing)} in {root} (or its cifar-10-batches-bin/ folder); "
            f"gradkit never downloads: put the binary batches there first"
        )
    parts = [read_cifar_batch(p) for p in paths]
    X = np.concatenate([p[0] for p in parts]).astype(np.float32) / np.float32(255.0)
    y = np.concatenate([p[1] for p in parts])
    return _out(X, y)


# ---------------------------------------------------------------------- dispatcher
DATASETS = {
    "digits": digits,
    "iris": iris,
    "breast_cancer": breast_cancer,
    "moons": moons,
    "circles": circles,
    "spirals": spirals,
    "flower": flower,
    "mnist1d": mnist1d,
    "mnist": load_mnist,
    "fashion_mnist": load_fashion_mnist,
    "cifar10": load_cifar10,
}


def available_datasets() -> list[str]:
    """The names :func:`load` accepts."""
    return sorted(DATASETS)


def load(name: str, **kwargs) -> DataArrays:
    """Load a dataset by name (case-insensitive; ``-`` and spaces count as ``_``).

    Args:
        name: one of :func:`available_datasets`.
        **kwargs: passed to the loader (e.g. ``as_images=True`` for digits, ``root=...``
            for mnist / fashion_mnist / cifar10, ``n_samples``/``noise``/``seed`` for the
            generated sets).

    Returns:
        :class:`DataArrays` ``(X float32, y int64)``.

    Raises:
        ValueError: for an unknown name, listing the valid ones.

    Examples:
        >>> load("iris").X.shape
        (150, 4)
    """
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    key = {"planar": "flower", "planar_flower": "flower", "fashion": "fashion_mnist", "cifar_10": "cifar10",
           "mnist_1d": "mnist1d", "cancer": "breast_cancer"}.get(key, key)
    if key not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(available_datasets())}")
    return DATASETS[key](**kwargs)
