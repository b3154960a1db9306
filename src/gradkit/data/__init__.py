"""gk.data: datasets, batching, splitting, preprocessing and augmentation.

The pieces, in the order a training script uses them::

    import gradkit as gk
    from gradkit import data

    X, y = data.datasets.load("digits")                      # float32 X, int64 y, offline
    s = data.train_dev_test_split(X, y, sizes=(0.6, 0.2, 0.2), stratify=True, seed=0)
    scaler = data.Standardize().fit(s.X_train)               # statistics from TRAIN only
    X_tr, X_dev = scaler.transform(s.X_train), scaler.transform(s.X_dev)
    loader = data.DataLoader(data.TensorDataset(X_tr, s.y_train), batch_size=64, shuffle=True)
    for xb, yb in loader:                                    # gk.Tensors
        ...

Augmentations (:mod:`gradkit.data.augmentation`) are applied to training batches only.
"""

from . import augmentation, datasets, preprocessing  # noqa: F401
from .augmentation import (  # noqa: F401
    Augmentation, ColorJitter, Compose, ElasticDistortion, GaussianNoise, RandomBrightness, RandomContrast, RandomCrop,
    RandomHorizontalFlip, RandomResizedCrop, RandomRotation, Resize,
)
from .cifar import read_cifar_batch, write_cifar_batch  # noqa: F401
from ._workers import WorkerInfo, get_worker_info  # noqa: F401
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset  # noqa: F401
from .datasets import DataArrays, load_cifar10, load_fashion_mnist, load_mnist  # noqa: F401
from .idx import read_idx, write_idx  # noqa: F401
from .loader import DataLoader, default_collate  # noqa: F401
from .sampler import (  # noqa: F401
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler,
)
from .preprocessing import (  # noqa: F401
    FlattenImages, MeanCenter, MinMaxScale, Pipeline, Preprocessor, Standardize, check_finite,
)
from .split import Splits, one_hot, random_split, train_dev_test_split  # noqa: F401

__all__ = [
    "Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "DataLoader", "default_collate",
    "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
    "get_worker_info", "WorkerInfo",
    "random_split", "train_dev_test_split", "Splits", "one_hot",
    "Preprocessor", "Standardize", "MinMaxScale", "MeanCenter", "FlattenImages", "Pipeline", "check_finite",
    "Augmentation", "Compose", "RandomHorizontalFlip", "RandomCrop", "RandomRotation", "GaussianNoise",
    "ElasticDistortion", "RandomBrightness", "RandomContrast", "ColorJitter", "Resize", "RandomResizedCrop",
    "datasets", "DataArrays", "load_mnist", "load_fashion_mnist", "load_cifar10",
    "read_idx", "write_idx", "read_cifar_batch", "write_cifar_batch",
]
