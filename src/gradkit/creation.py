"""Tensor factories with PyTorch names: ``zeros``, ``ones``, ``full``, ``arange``, ``rand``, ...

Floating factories use the default dtype (float32) unless ``dtype`` is given; random
ones draw from gradkit's seeded generator (see :func:`gradkit.manual_seed`).

Example:
    >>> import gradkit as gk
    >>> gk.zeros(2, 3).shape
    (2, 3)
"""

from __future__ import annotations

import numpy as np

from . import backend
from .random import get_generator
from .tensor import Tensor, _make


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"sizes must be non-negative integers, got {size}")
    return tuple(int(s) for s in size)


def _finish(arr, dtype, requires_grad, device):
    dtype = backend.get_default_dtype() if dtype is None else np.dtype(dtype)
    if arr.dtype != dtype:
        arr = arr.astype(dtype)
    dev = backend.normalize_device(device)
    arr = backend.to_device(arr, dev)
    t = _make(arr, False, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Make a tensor from array-like ``data`` (always copies Python lists; keeps a NumPy array's dtype).

    Args:
        data: a list, scalar, NumPy/CuPy array or Tensor.
        dtype: the dtype to convert to; by default Python floats become float32,
            Python ints int64, and NumPy arrays keep theirs.
        requires_grad: record operations for autograd (floating dtypes only).
        device: ``'cpu'`` or ``'cuda'``.
    """
    if isinstance(data, Tensor):
        data = data.array.copy()
    if device is None and backend.get_default_device() != "cpu":  # as torch.tensor under set_default_device
        device = backend.get_default_device()
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, device=device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor` but shares memory with a NumPy array when no conversion is needed."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    return Tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return _make(array, False, None)


def zeros(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _finish(np.zeros(_shape(size), dtype=dtype or backend.get_default_dtype()), dtype, requires_grad, device)


def ones(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _finish(np.ones(_shape(size), dtype=dtype or backend.get_default_dtype()), dtype, requires_grad, device)


def full(size, fill_value, dtype=None, requires_grad=False, device=None) -> Tensor:
    if dtype is None and isinstance(fill_value, bool):
        dtype = np.bool_
    elif dtype is None and isinstance(fill_value, int):
        dtype = np.int64
    size = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
    return _finish(np.full(_shape(size), fill_value), dtype, requires_grad, device)


def empty(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    return zeros(*size, dtype=dtype, requires_grad=requires_grad, device=device)


def eye(n, m=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _finish(np.eye(n, m), dtype, requires_grad, device)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive); integer arguments give int64, as in PyTorch."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else backend.get_default_dtype()
    return _finish(np.arange(start, end, step), dtype, requires_grad, device)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _finish(np.linspace(start, end, steps), dtype, requires_grad, device)


def rand(*size, dtype=None, requires_grad=False, device=None, generator=None) -> Tensor:
    """Uniform samples on [0, 1)."""
    return _finish(get_generator(generator).random(_shape(size)), dtype, requires_grad, device)


def randn(*size, dtype=None, requires_grad=False, device=None, generator=None) -> Tensor:
    """Standard normal samples."""
    return _finish(get_generator(generator).standard_normal(_shape(size)), dtype, requires_grad, device)


def randint(low, high=None, size=(), dtype=np.int64, device=None, generator=None) -> Tensor:
    """Integers uniformly drawn from ``[low, high)``."""
    if high is None:
        low, high = 0, low
    return _finish(get_generator(generator).integers(low, high, size=_shape(tuple(size))), dtype, False, device)


def randperm(n, device=None, generator=None) -> Tensor:
    return _finish(get_generator(generator).permutation(n), np.int64, False, device)


def _like(x, dtype, device):
    return (x.dtype if dtype is None else dtype), (x.device if device is None else device)


def zeros_like(x, dtype=None, requires_grad=False, device=None) -> Tensor:
    dtype, device = _like(x, dtype, device)
    return zeros(*x.shape, dtype=dtype, requires_grad=requires_grad, device=device)


def ones_like(x, dtype=None, requires_grad=False, device=None) -> Tensor:
    dtype, device = _like(x, dtype, device)
    return ones(*x.shape, dtype=dtype, requires_grad=requires_grad, device=device)


def full_like(x, fill_value, dtype=None, requires_grad=False, device=None) -> Tensor:
    dtype, device = _like(x, dtype, device)
    return full(x.shape, fill_value, dtype=dtype, requires_grad=requires_grad, device=device)


def rand_like(x, dtype=None, requires_grad=False, device=None, generator=None) -> Tensor:
    dtype, device = _like(x, dtype, device)
    return rand(*x.shape, dtype=dtype, requires_grad=requires_grad, device=device, generator=generator)


def randn_like(x, dtype=None, requires_grad=False, device=None, generator=None) -> Tensor:
    dtype, device = _like(x, dtype, device)
    return randn(*x.shape, dtype=dtype, requires_grad=requires_grad, device=device, generator=generator)
