"""``gradkit.utils.data``: the import path of ``torch.utils.data``, for code written for PyTorch.

Every name is the very object of :mod:`gradkit.data` (``gk.utils.data.DataLoader is
gk.data.DataLoader``): datasets (``Dataset``, ``IterableDataset``, ``TensorDataset``, ``Subset``,
``ConcatDataset``), ``random_split`` (lengths or fractions, with a ``generator``), the
``DataLoader`` with its worker processes, ``default_collate``, the samplers and
``get_worker_info``.

Example:
    >>> import numpy as np, gradkit as gk
    >>> from gradkit.utils.data import DataLoader, TensorDataset, random_split
    >>> train, dev = random_split(TensorDataset(np.arange(10.0)), [0.8, 0.2], generator=gk.Generator(0))
    >>> len(train), len(dev), len(DataLoader(train, batch_size=4))
    (8, 2, 2)
"""

from ..data._workers import WorkerInfo, get_worker_info
from ..data.dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset
from ..data.loader import DataLoader, default_collate
from ..data.sampler import (
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler,
)
from ..data.split import random_split

__all__ = [
    "Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "DataLoader",
    "default_collate", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
    "WeightedRandomSampler", "BatchSampler", "get_worker_info", "WorkerInfo",
]
