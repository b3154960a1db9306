"""Shared pieces of the augmentations: the :class:`Augmentation` base class and the batch helpers.

Private: import the public names from :mod:`gradkit.data.augmentation` (or ``gradkit.data``).
This module holds what both :mod:`gradkit.data.augmentation` and :mod:`gradkit.data.photometric`
build on, so that neither imports the other's half (no import cycle).
"""

from __future__ import annotations

import numpy as np

from ..backend import get_default_dtype, is_cupy_array
from ..random import Generator, get_generator
from ..tensor import Tensor


def _unwrap(x, who: str, need_4d: bool = True):
    was_tensor = isinstance(x, Tensor)
    arr = x.array if was_tensor else x
    if not (isinstance(arr, np.ndarray) or is_cupy_array(arr)):
        arr = np.asarray(arr)
    if need_4d and arr.ndim != 4:
        raise ValueError(f"{who} expects a batch of images (N, C, H, W), got shape {tuple(arr.shape)}")
    return arr, was_tensor


def _wrap(arr, was_tensor: bool):
    return Tensor(arr) if was_tensor else arr


def _float(arr):
    return arr if arr.dtype.kind == "f" else arr.astype(get_default_dtype())


class Augmentation:
    """Base class: a random transform of an image batch.

    Args:
        generator: a :class:`gradkit.Generator`; ``None`` draws from gradkit's global generator.
    """

    def __init__(self, generator: Generator | None = None):
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(
                f"{type(self).__name__} generator must be a gradkit.Generator, got {type(generator).__name__}"
            )
        self.generator = generator

    def _rng(self) -> np.random.Generator:
        return get_generator(self.generator)

    def __call__(self, x):
        arr, was_tensor = _unwrap(x, type(self).__name__, self._needs_4d)
        return _wrap(self.apply(arr), was_tensor)

    _needs_4d = True

    def apply(self, x):
        """Transform the raw batch ``x``; subclasses implement this."""
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k != "generator")
        return f"{type(self).__name__}({args})"
