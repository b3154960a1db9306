"""Splitting data: ``random_split`` (PyTorch), ``train_dev_test_split`` (stratified), ``one_hot``.

The course's rule: split once into train / dev / test, fit everything (weights,
preprocessing statistics, hyperparameters) on train, choose on dev, report test.

Examples:
    >>> import numpy as np
    >>> X, y = np.arange(20, dtype=np.float32).reshape(10, 2), np.array([0, 1] * 5)
    >>> s = train_dev_test_split(X, y, sizes=(0.6, 0.2, 0.2), seed=0)
    >>> s.X_train.shape, s.y_dev.shape, s.y_test.shape
    ((6, 2), (2,), (2,))
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np

from ..backend import to_numpy
from ..random import Generator, get_generator
from ..tensor import Tensor
from .dataset import Subset


def _split_counts(n: int, fractions) -> list[int]:
    """Largest-remainder rounding of ``n * fractions`` to integers summing to ``n``."""
    raw = [n * f for f in fractions]
    counts = [int(math.floor(r)) for r in raw]
    left = n - sum(counts)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[:left]:
        counts[i] += 1
    return counts


def random_split(dataset, lengths, generator: Generator | None = None) -> list[Subset]:
    """Randomly split a dataset into non-overlapping :class:`Subset` s (PyTorch semantics).

    Args:
        dataset: the dataset to split.
        lengths: the sizes of the parts: integers summing to ``len(dataset)``, or
            fractions summing to 1 (each part gets ``floor(n * f)`` samples and the
            remainder is dealt one by one to the parts in order, as PyTorch does).
        generator: a :class:`gradkit.Generator` for the permutation; ``None`` uses the global one.

    Returns:
        A list of :class:`Subset`, one per entry of ``lengths``.

    Raises:
        ValueError: when the lengths do not sum to the dataset size (or to 1), or one is negative.

    Examples:
        >>> import numpy as np, gradkit as gk
        >>> from gradkit.data import TensorDataset
        >>> a, b = random_split(TensorDataset(np.arange(10)), [0.7, 0.3], generator=gk.Generator(0))
        >>> len(a), len(b)
        (7, 3)
    """
    n = len(dataset)
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split needs at least one length, got none")
    if any(isinstance(x, bool) or not isinstance(x, numbers.Real) for x in lengths):
        raise ValueError(f"random_split lengths must be numbers, got {lengths!r}")
    if any(x < 0 for x in lengths):
        raise ValueError(f"random_split lengths must be non-negative, got {lengths!r}")
    total = sum(lengths)
    if math.isclose(total, 1.0, abs_tol=1e-6) and total <= 1 + 1e-6:  # fractions (checked first, as in PyTorch)
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    elif all(isinstance(x, numbers.Integral) for x in lengths) and total == n:
        counts = [int(x) for x in lengths]
    else:
        raise ValueError(
            f"random_split: lengths must be integers summing to the dataset size {n} or fractions summing to 1, "
            f"got {lengths} (sum {total})"
        )
    perm = get_generator(generator).permutation(n)
    out, start = [], 0
    for c in counts:
        out.append(Subset(dataset, perm[start:start + c]))
        start += c
    return out


class Splits(NamedTuple):
    """The six arrays of a train / dev / test split (unpacks like a 6-tuple)."""

    X_train: object
    y_train: object
    X_dev: object
    y_dev: object
    X_test: object
    y_test: object


def _raw(a, name):
    if isinstance(a, Tensor):
        return a.array
    arr = np.asarray(a) if not hasattr(a, "shape") else a
    if getattr(arr, "ndim", 0) == 0:
        raise ValueError(f"train_dev_test_split: {name} must be an array of samples, got a scalar")
    return arr


def _is_class_labels(y) -> bool:
    return getattr(y, "ndim", 0) == 1 and np.dtype(y.dtype).kind in "iub"


def train_dev_test_split(X, y, sizes=(0.6, 0.2, 0.2), stratify: bool = True, seed: int | None = 0) -> Splits:
    """Shuffle and split ``(X, y)`` into train, dev and test sets.

    With ``stratify=True`` and integer class labels ``y`` (1-D), every class is split
    in the same proportions, so each part keeps the class balance of the whole: every
    class count in a part is its exact share rounded down or up, and the part sizes are
    exact. With
    float targets (regression) the split is a plain random one. Each part comes out
    shuffled.

    Args:
        X: features, an array or gk.Tensor with samples on the first axis.
        y: targets with the same number of samples (or ``None``: then the ``y_*`` are ``None``).
        sizes: three fractions summing to 1, or three integers summing to ``len(X)``.
            A part may be empty (size 0).
        stratify: keep class proportions when ``y`` holds integer labels.
        seed: an integer seed (reproducible; independent of gradkit's global generator), a
            :class:`gradkit.Generator`, or ``None`` for the global generator.

    Returns:
        :class:`Splits` ``(X_train, y_train, X_dev, y_dev, X_test, y_test)``, of the type
        given (gk.Tensor in, gk.Tensor out).

    Raises:
        ValueError: for sizes that are not three non-negative numbers summing to 1 (or to
            ``len(X)``), or ``X`` and ``y`` of different lengths.

    Examples:
        >>> import numpy as np
        >>> y = np.array([0] * 50 + [1] * 50)
        >>> s = train_dev_test_split(np.zeros((100, 3)), y, sizes=(0.6, 0.2, 0.2))
        >>> int(s.y_train.sum()), int(s.y_dev.sum()), int(s.y_test.sum())
        (30, 10, 10)
    """
    was_tensor = isinstance(X, Tensor)
    Xr = _raw(X, "X")
    yr = None if y is None else _raw(y, "y")
    n = int(Xr.shape[0])
    if yr is not None and int(yr.shape[0]) != n:
        raise ValueError(f"train_dev_test_split: X has {n} samples but y has {yr.shape[0]}")
    sizes = tuple(sizes)
    if len(sizes) != 3 or any(isinstance(s, bool) or not isinstance(s, numbers.Real) for s in sizes):
        raise ValueError(f"train_dev_test_split: sizes must be three numbers (train, dev, test), got {sizes!r}")
    if any(s < 0 for s in sizes):
        raise ValueError(f"train_dev_test_split: sizes must be non-negative, got {sizes}")
    if all(isinstance(s, numbers.Integral) for s in sizes) and sum(sizes) == n and n != 1:
        counts = [int(s) for s in sizes]
    elif math.isclose(float(sum(sizes)), 1.0, abs_tol=1e-6):
        counts = _split_counts(n, [float(s) for s in sizes])
    else:
        raise ValueError(
            f"train_dev_test_split: sizes must be fractions summing to 1 or integers summing to {n} "
            f"(the number of samples), got {sizes} (sum {sum(sizes)})"
        )

    if isinstance(seed, Generator):
        rng = seed.np
    elif seed is None:
        rng = get_generator(None)
    else:
        rng = Generator(int(seed)).np

    y_host = None if yr is None else to_numpy(yr)
    if stratify and y_host is not None and _is_class_labels(y_host) and n > 0:
        parts = _stratified_indices(y_host, counts, rng)
    else:
        perm = rng.permutation(n)
        parts = [perm[:counts[0]], perm[counts[0]:counts[0] + counts[1]], perm[counts[0] + counts[1]:]]

    out = []
    for idx in parts:
        out.append(Tensor(Xr[idx]) if was_tensor else Xr[idx])
        out.append(None if yr is None else (Tensor(yr[idx]) if isinstance(y, Tensor) else yr[idx]))
    return Splits(*out)


def _stratified_indices(y: np.ndarray, counts: list[int], rng) -> list[np.ndarray]:
    """Per-class allocation of ``counts`` (a 3-vector summing to len(y)) with exact totals."""
    classes, inverse = np.unique(y, return_inverse=True)
    k, s = len(classes), len(counts)
    n = len(y)
    class_sizes = np.bincount(inverse, minlength=k)
    frac = np.asarray(counts, dtype=np.float64) / n
    raw = class_sizes[:, None] * frac[None, :]
    alloc = np.floor(raw).astype(np.int64)
    row_left = class_sizes - alloc.sum(1)
    col_left = np.asarray(counts) - alloc.sum(0)
    # Round each cell up or down so that both margins hold exactly (a matrix rounding, which
    # always exists): a unit flow from classes to parts over the cells with a fractional part.
    rem = raw - alloc
    for c, j in _round_margins(rem > 1e-9, row_left.copy(), col_left.copy()):
        alloc[c, j] += 1
        row_left[c] -= 1
        col_left[j] -= 1
    for c in range(k):  # anything left (rare): any part that still has room
        for j in range(s):
            while row_left[c] > 0 and col_left[j] > 0:
                alloc[c, j] += 1
                row_left[c] -= 1
                col_left[j] -= 1
    parts = [[] for _ in range(s)]
    for c in range(k):
        idx = np.flatnonzero(inverse == c)
        idx = idx[rng.permutation(len(idx))]
        start = 0
        for j in range(s):
            parts[j].append(idx[start:start + alloc[c, j]])
            start += alloc[c, j]
    out = []
    for j in range(s):
        p = np.concatenate(parts[j]) if parts[j] else np.zeros(0, dtype=np.int64)
        out.append(p[rng.permutation(len(p))])
    return out


def _round_margins(allowed: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> list[tuple[int, int]]:
    """Cells (c, j) of ``allowed`` to round up so row c gains ``rows[c]`` and column j ``cols[j]``.

    Max-flow by augmenting paths on source -> class c (capacity rows[c]) -> part j
    (capacity 1 where allowed) -> sink (capacity cols[j]); the matrix is tiny (classes x 3).
    """
    k, s = allowed.shape
    used = np.zeros_like(allowed, dtype=bool)
    while True:
        # BFS from every class with supply left, over unused allowed cells forward and used cells backward.
        prev_part = {}  # part j -> class c it was reached from
        prev_class = {c: None for c in range(k) if rows[c] > 0}  # class c -> part j it was reached from
        frontier = list(prev_class)
        end = None
        while frontier and end is None:
            nxt = []
            for c in frontier:
                for j in range(s):
                    if allowed[c, j] and not used[c, j] and j not in prev_part:
                        prev_part[j] = c
                        if cols[j] > 0:
                            end = j
                            break
                        for c2 in range(k):
                            if used[c2, j] and c2 not in prev_class:
                                prev_class[c2] = j
                                nxt.append(c2)
                if end is not None:
                    break
            frontier = nxt
        if end is None:
            break
        j = end
        cols[j] -= 1
        while True:
            c = prev_part[j]
            used[c, j] = True
            back = prev_class[c]
            if back is None:
                rows[c] -= 1
                break
            used[c, back] = False
            j = back
    return [(int(c), int(j)) for c, j in zip(*np.nonzero(used))]


def one_hot(labels, num_classes: int | None = None, dtype=None):
    """One-hot encode integer class labels (PyTorch's ``F.one_hot``).

    ``out[..., c] = 1`` where ``labels == c``. The result has one more dimension of size
    ``num_classes``.

    Args:
        labels: integer labels: a NumPy array, list or gk.Tensor (floats holding whole
            numbers are accepted).
        num_classes: the number of classes; ``None`` (or -1) uses ``labels.max() + 1``.
        dtype: the output dtype; int64 by default, as in PyTorch (pass ``gk.float32``
            for targets of a squared-error loss).

    Returns:
        An array, or a gk.Tensor when ``labels`` is one.

    Raises:
        ValueError: for negative labels, labels ``>= num_classes``, or non-integer values.

    Examples:
        >>> one_hot(np.array([0, 2]), 3).tolist()
        [[1, 0, 0], [0, 0, 1]]
    """
    was_tensor = isinstance(labels, Tensor)
    arr = labels.array if was_tensor else labels
    from ..backend import get_array_module

    if not hasattr(arr, "dtype"):
        arr = np.asarray(arr)
    xp = get_array_module(arr)
    kind = np.dtype(arr.dtype).kind
    if kind == "f":
        if arr.size and not bool(xp.all(xp.floor(arr) == arr)):
            raise ValueError(f"one_hot expects integer class labels, got non-integer values of dtype {arr.dtype}")
        arr = arr.astype(np.int64)
    elif kind not in "iub":
        raise ValueError(f"one_hot expects integer class labels, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    lo = int(arr.min()) if arr.size else 0
    hi = int(arr.max()) if arr.size else -1
    if num_classes is None or num_classes == -1:
        num_classes = hi + 1
    num_classes = int(num_classes)
    if num_classes < 1 and arr.size:
        raise ValueError(f"one_hot: num_classes must be positive, got {num_classes}")
    if lo < 0:
        raise ValueError(f"one_hot: labels must be >= 0, got a label {lo}")
    if hi >= num_classes:
        raise ValueError(
            f"one_hot: label {hi} is out of range for num_classes={num_classes} (valid labels are 0..{num_classes - 1})"
        )
    out = (arr[..., None] == xp.arange(max(num_classes, 0))).astype(np.dtype(dtype) if dtype is not None else np.int64)
    return Tensor(out) if was_tensor else out
