"""The array backend: NumPy on the CPU, CuPy on a CUDA GPU when asked for.

Every op takes its array module from its inputs (:func:`get_array_module`), never
hard-codes ``numpy``. CuPy is imported only when a CUDA device is requested, so
``import gradkit`` stays light.

Example:
    >>> import gradkit as gk
    >>> gk.get_default_dtype()
    dtype('float32')
"""

from __future__ import annotations

import numpy as np

# Process-wide defaults, as torch.set_default_dtype / set_default_device; only their setters below
# write them. _cupy caches the CuPy module once it has been imported (None until a GPU is asked for).
_default_dtype = np.dtype(np.float32)
_default_device = "cpu"
_cupy = None


def get_default_dtype() -> np.dtype:
    """Return the floating dtype used for new tensors (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype) -> None:
    """Set the floating dtype for new tensors: ``float32`` (default) or ``float64``.

    Raises:
        ValueError: if ``dtype`` is not a floating dtype.
    """
    global _default_dtype
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise ValueError(f"set_default_dtype expects a floating dtype (float32 or float64), got {dt}")
    _default_dtype = dt


def _import_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the machine
            raise RuntimeError(
                "device 'cuda' needs CuPy, which is not installed: "
                "pip install 'gradkit[cuda]' (or the cupy wheel matching your CUDA version)"
            ) from exc
        _cupy = cupy
    return _cupy


def is_cupy_array(a) -> bool:
    """True when ``a`` is a CuPy array (checked without importing CuPy)."""
    return type(a).__module__.startswith("cupy")


def get_array_module(*arrays):
    """Return ``numpy`` or ``cupy``, whichever the given arrays belong to.

    Raises:
        RuntimeError: when NumPy and CuPy arrays are mixed.
    """
    xp = np
    seen_cpu = False
    for a in arrays:
        if is_cupy_array(a):
            xp = _import_cupy()
        elif isinstance(a, np.ndarray):
            seen_cpu = True
    if xp is not np and seen_cpu:
        raise RuntimeError(
            "an op mixed arrays on 'cpu' and 'cuda'; move them to one device first "
            "with tensor.to('cuda') or tensor.to('cpu')"
        )
    return xp


def normalize_device(device) -> str:
    """Turn ``None``, ``'cpu'``, ``'cuda'`` or ``'cuda:0'`` into ``'cpu'`` or ``'cuda'``.

    Raises:
        ValueError: for any other device name.
    """
    if device is None:
        return _default_device
    name = str(device).lower()
    if name == "cpu":
        return "cpu"
    if name == "cuda" or name.startswith("cuda:") or name == "gpu":
        return "cuda"
    raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")


def set_default_device(device) -> None:
    """Make new tensors live on ``device`` (``'cpu'`` or ``'cuda'``); ``'cuda'`` needs CuPy."""
    global _default_device
    dev = normalize_device(device)
    if dev == "cuda":
        _import_cupy()
    _default_device = dev


def get_default_device() -> str:
    """Return the device new tensors are created on."""
    return _default_device


def xp_for(device: str):
    """The array module of ``device``."""
    return _import_cupy() if device == "cuda" else np


def device_of(a) -> str:
    """``'cuda'`` for a CuPy array, else ``'cpu'``."""
    return "cuda" if is_cupy_array(a) else "cpu"


def to_device(a, device: str):
    """Copy an array to ``device`` (no copy when it is already there)."""
    if device == "cuda":
        cp = _import_cupy()
        return a if is_cupy_array(a) else cp.asarray(a)
    if is_cupy_array(a):
        return a.get()
    return a


def to_numpy(a) -> np.ndarray:
    """A NumPy array of ``a`` (copied from the GPU when needed)."""
    return a.get() if is_cupy_array(a) else np.asarray(a)
