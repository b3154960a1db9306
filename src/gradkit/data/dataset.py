"""Datasets: indexable collections of samples.

A :class:`Dataset` maps an index to one sample (``__getitem__``) and knows its
length (``__len__``), exactly as in PyTorch. :class:`TensorDataset` holds whole
arrays in memory and can also hand out a whole batch at once
(:meth:`TensorDataset.get_batch`), which the :class:`~gradkit.data.DataLoader` uses
to build a batch with one fancy-index per array instead of a Python loop over
samples.

Example:
    >>> import numpy as np
    >>> from gradkit.data import TensorDataset
    >>> ds = TensorDataset(np.zeros((5, 3), dtype=np.float32), np.arange(5))
    >>> len(ds), int(ds[2][1])
    (5, 2)
"""

from __future__ import annotations

import bisect

import numpy as np

from ..backend import get_array_module, is_cupy_array
from ..tensor import Tensor


def _as_array(a, what: str):
    """The raw array behind ``a`` (a Tensor's ``.array``, or ``np.asarray`` of array-likes)."""
    if isinstance(a, Tensor):
        return a.array
    if isinstance(a, np.ndarray) or is_cupy_array(a):
        return a
    arr = np.asarray(a)
    if arr.dtype == object:
        raise TypeError(f"{what}: expected an array, a Tensor or a nested list of numbers, got {type(a).__name__}")
    return arr


class Dataset:
    """Base class of map-style datasets (PyTorch's ``torch.utils.array.Dataset``).

    Subclasses implement ``__getitem__(index)`` returning one sample (usually a tuple
    ``(features, label)`` of NumPy arrays or numbers) and ``__len__()``. A subclass
    may also implement ``get_batch(indices)`` returning the already-collated batch as
    a tuple of arrays; the DataLoader then skips its per-sample loop.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return (float(i), float(i * i))
        >>> Squares()[3]
        (3.0, 9.0)
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index)")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__()")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class of stream datasets (PyTorch's ``IterableDataset``): subclasses implement
    ``__iter__`` yielding samples (a file read line by line, a generator of synthetic data).

    The DataLoader batches the stream as it comes (no sampler, no shuffling). With
    ``num_workers=N`` every worker iterates its own copy; shard the stream with
    :func:`~gradkit.data.get_worker_info` or each sample comes N times.

    Example:
        >>> from gradkit.data import DataLoader, get_worker_info
        >>> class Count(IterableDataset):
        ...     def __init__(self, n):
        ...         self.n = n
        ...     def __iter__(self):
        ...         info = get_worker_info()
        ...         start, step = (0, 1) if info is None else (info.id, info.num_workers)
        ...         return iter(range(start, self.n, step))
        >>> [b.tolist() for (b,) in DataLoader(Count(5), batch_size=2)]
        [[0, 1], [2, 3], [4]]
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__()")

    def __getitem__(self, index):
        raise TypeError(f"{type(self).__name__} is an IterableDataset: iterate over it, it has no __getitem__")

    def __add__(self, other):
        raise TypeError("IterableDatasets cannot be concatenated with +")


class TensorDataset(Dataset):
    """A dataset of in-memory arrays sharing their first dimension (samples).

    Sample ``i`` is ``tuple(a[i] for a in arrays)``. Arrays keep their dtype: float64
    stays float64 (the user decides; gradkit's own datasets return float32 features).

    Args:
        *arrays: NumPy arrays, gk.Tensors or nested lists, all with the same length
            along the first dimension.

    Raises:
        ValueError: when no array is given, an array is 0-d, or the first dimensions differ.

    Example:
        >>> import numpy as np
        >>> ds = TensorDataset(np.ones((4, 2)), np.array([0, 1, 0, 1]))
        >>> [a.shape for a in ds.get_batch(np.array([0, 3]))]
        [(2, 2), (2,)]
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array, got none")
        arrs = tuple(_as_array(a, f"TensorDataset argument {i}") for i, a in enumerate(arrays))
        for i, a in enumerate(arrs):
            if a.ndim == 0:
                raise ValueError(f"TensorDataset argument {i} is 0-d (a scalar); expected an array of samples")
        n = arrs[0].shape[0]
        bad = [(i, a.shape) for i, a in enumerate(arrs) if a.shape[0] != n]
        if bad:
            shapes = ", ".join(f"argument {i}: {tuple(a.shape)}" for i, a in enumerate(arrs))
            raise ValueError(
                f"TensorDataset arrays must have the same first dimension (number of samples); got {shapes}"
            )
        self.arrays = arrs

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)

    def __len__(self) -> int:
        return int(self.arrays[0].shape[0])

    def get_batch(self, indices) -> tuple:
        """The batch ``indices`` as a tuple of arrays, one fancy-index per array.

        Args:
            indices: an integer array of sample indices, or a ``slice``.

        Returns:
            A tuple of new arrays (copies, never views of the dataset's storage).
        """
        if isinstance(indices, slice):
            return tuple(a[indices].copy() for a in self.arrays)
        out = []
        for a in self.arrays:
            idx = indices
            if is_cupy_array(a):  # index GPU arrays with a GPU index array
                idx = get_array_module(a).asarray(indices)
            out.append(a[idx])
        return tuple(out)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{tuple(a.shape)} {a.dtype}" for a in self.arrays)
        return f"TensorDataset({shapes})"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (PyTorch's ``Subset``).

    Args:
        dataset: the dataset to take samples from.
        indices: a sequence of integer indices into ``dataset``.

    Example:
        >>> import numpy as np
        >>> s = Subset(TensorDataset(np.arange(10)), [7, 2])
        >>> len(s), int(s[0][0])
        (2, 7)
    """

    def __init__(self, dataset: Dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset indices must lie in [0, {n}) for a dataset of {n} samples")

    def __getitem__(self, index):
        if isinstance(index, (list, np.ndarray)):
            return [self.dataset[int(i)] for i in self.indices[index]]
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return int(self.indices.size)

    def get_batch(self, indices) -> tuple:
        """The batch at ``indices`` (positions in this subset); needs a batched parent dataset."""
        if not hasattr(self.dataset, "get_batch"):
            raise TypeError(f"Subset.get_batch needs a dataset with get_batch, got {type(self.dataset).__name__}")
        return self.dataset.get_batch(self.indices[indices])

    def __repr__(self) -> str:
        return f"Subset({type(self.dataset).__name__}, {len(self)} samples)"


def supports_batches(dataset) -> bool:
    """Whether ``dataset`` can hand out whole batches through ``get_batch`` (the fast path)."""
    while isinstance(dataset, Subset):
        dataset = dataset.dataset
    return callable(getattr(dataset, "get_batch", None))


class ConcatDataset(Dataset):
    """Several datasets one after another (PyTorch's ``ConcatDataset``).

    Args:
        datasets: a non-empty sequence of datasets.

    Raises:
        ValueError: when ``datasets`` is empty.

    Example:
        >>> import numpy as np
        >>> c = ConcatDataset([TensorDataset(np.arange(3)), TensorDataset(np.arange(10, 12))])
        >>> len(c), int(c[4][0])
        (5, 11)
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset, got none")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1])

    def __getitem__(self, index):
        n = len(self)
        index = int(index)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"index {index} is out of range for a ConcatDataset of {n} samples")
        d = bisect.bisect_right(self.cumulative_sizes, index)
        start = 0 if d == 0 else self.cumulative_sizes[d - 1]
        return self.datasets[d][index - start]
