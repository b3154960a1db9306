"""Samplers: the order in which a :class:`~gradkit.data.DataLoader` reads a dataset (PyTorch's
``torch.utils.data`` samplers).

A sampler is an iterable of indices with a length; a batch sampler is an iterable of lists of
indices. The built-in samplers draw from a :class:`gradkit.Generator` (their own, the loader's,
or gradkit's global one seeded by ``gk.manual_seed``), never from NumPy's global RNG; each
has ``indices(generator)`` giving an epoch's order from a given generator, which is how the
DataLoader replays an interrupted epoch exactly.

Example:
    >>> import gradkit as gk
    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    >>> sorted(RandomSampler(range(4), generator=gk.Generator(0)))
    [0, 1, 2, 3]
"""

from __future__ import annotations

import numbers

import numpy as np

from ..random import Generator, default_generator

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]


def _check_generator(generator, who: str):
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"{who} generator must be a gradkit.Generator (e.g. gk.Generator(0)), "
                        f"got {type(generator).__name__}")
    return generator


def _positive_int(value, name: str, who: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{who} {name} must be a positive integer, got {value!r}")
    return int(value)


class Sampler:
    """Base class: subclasses implement ``__iter__`` (indices) and usually ``__len__``.

    Args:
        data_source: accepted for PyTorch compatibility (unused by the base class).
    """

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    #: The generator the sampler draws from (``None``: the caller's, or gradkit's global one).
    generator = None

    def indices(self, generator: Generator | None = None) -> np.ndarray:
        """The indices of one epoch as an int64 array. A random built-in sampler draws from
        ``generator`` when given (the DataLoader passes the generator whose state it records,
        to replay an interrupted epoch), else from its own, else from gradkit's global one; a
        user's sampler runs its own ``__iter__``."""
        return np.fromiter(iter(self), dtype=np.int64)


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``.

    Args:
        data_source: the dataset (only its length is used).
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def indices(self, generator=None) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the dataset: a permutation, or with ``replacement`` ``num_samples``
    independent uniform draws.

    Args:
        data_source: the dataset.
        replacement: draw with replacement.
        num_samples: how many indices per epoch (default ``len(data_source)``; with
            ``replacement=False`` a larger number repeats whole permutations, as PyTorch).
        generator: a :class:`gradkit.Generator`; ``None`` uses the loader's or the global one.

    Raises:
        ValueError: for a non-positive ``num_samples``.
        TypeError: for a generator that is not a gradkit Generator.

    Example:
        >>> import gradkit as gk
        >>> len(RandomSampler(range(10), replacement=True, num_samples=4, generator=gk.Generator(1)))
        4
    """

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None, generator=None):
        self.data_source = data_source
        self.replacement = bool(replacement)
        self._num_samples = None if num_samples is None else _positive_int(num_samples, "num_samples",
                                                                           "RandomSampler")
        self.generator = _check_generator(generator, "RandomSampler")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def indices(self, generator=None) -> np.ndarray:
        rng = (generator or self.generator or default_generator).np
        n, k = len(self.data_source), self.num_samples
        if self.replacement:
            return rng.integers(0, n, size=k, dtype=np.int64)
        if k == n:
            return rng.permutation(n).astype(np.int64, copy=False)
        reps = [rng.permutation(n) for _ in range(-(-k // n))] if n else [np.zeros(0, np.int64)]
        return np.concatenate(reps)[:k].astype(np.int64, copy=False)

    def __iter__(self):
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order each epoch.

    Args:
        indices: a sequence of dataset indices.
        generator: a :class:`gradkit.Generator`; ``None`` uses the loader's or the global one.

    Example:
        >>> import gradkit as gk
        >>> sorted(SubsetRandomSampler([5, 7, 9], generator=gk.Generator(0)))
        [5, 7, 9]
    """

    def __init__(self, indices, generator=None):
        self.subset = np.asarray(list(indices), dtype=np.int64).reshape(-1)
        self.generator = _check_generator(generator, "SubsetRandomSampler")

    def indices(self, generator=None) -> np.ndarray:
        rng = (generator or self.generator or default_generator).np
        return self.subset[rng.permutation(len(self.subset))]

    def __iter__(self):
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return int(self.subset.size)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights`` (e.g. the
    inverse class frequency of each sample, to balance classes).

    Args:
        weights: one non-negative weight per dataset index (need not sum to 1).
        num_samples: indices per epoch.
        replacement: draw with replacement (default True); without, ``num_samples`` must not
            exceed the number of non-zero weights.
        generator: a :class:`gradkit.Generator`; ``None`` uses the loader's or the global one.

    Raises:
        ValueError: for negative, non-finite or all-zero weights, or a bad ``num_samples``.

    Example:
        >>> import gradkit as gk
        >>> s = WeightedRandomSampler([0.0, 1.0, 0.0], num_samples=3, generator=gk.Generator(0))
        >>> list(s)
        [1, 1, 1]
    """

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None):
        w = np.asarray(weights.tolist() if hasattr(weights, "tolist") else weights, dtype=np.float64).reshape(-1)
        if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("WeightedRandomSampler weights must be finite, non-negative and not all zero")
        self.weights = w
        self.num_samples = _positive_int(num_samples, "num_samples", "WeightedRandomSampler")
        self.replacement = bool(replacement)
        if not self.replacement and self.num_samples > int(np.count_nonzero(w)):
            raise ValueError(f"WeightedRandomSampler: cannot draw {self.num_samples} distinct indices from "
                             f"{int(np.count_nonzero(w))} non-zero weights without replacement")
        self.generator = _check_generator(generator, "WeightedRandomSampler")

    def indices(self, generator=None) -> np.ndarray:
        rng = (generator or self.generator or default_generator).np
        p = self.weights / self.weights.sum()
        return rng.choice(p.size, size=self.num_samples, replace=self.replacement, p=p).astype(np.int64)

    def __iter__(self):
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group a sampler's indices into lists of ``batch_size``.

    Args:
        sampler: a sampler or any iterable of indices.
        batch_size: indices per batch (positive).
        drop_last: drop the last batch when it is short.

    Raises:
        ValueError: for a non-positive ``batch_size``.

    Example:
        >>> list(BatchSampler(range(5), batch_size=2, drop_last=True))
        [[0, 1], [2, 3]]
    """

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        self.sampler = sampler
        self.batch_size = _positive_int(batch_size, "batch_size", "BatchSampler")
        self.drop_last = bool(drop_last)

    def batches(self, generator=None) -> list:
        """One epoch's batches as int64 arrays (drawn from ``generator`` as :meth:`Sampler.indices`)."""
        s = self.sampler
        idx = s.indices(generator) if isinstance(s, Sampler) else np.fromiter(iter(s), dtype=np.int64)
        bs = self.batch_size
        stop = (idx.size // bs) * bs if self.drop_last else idx.size
        return [idx[lo:min(lo + bs, stop)] for lo in range(0, stop, bs)]

    def __iter__(self):
        return iter([b.tolist() for b in self.batches()])

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
