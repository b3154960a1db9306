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

import os
import sys

import numpy as np

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


# ----------------------------------------------------------------------------- allocator
def _tune_glibc_malloc() -> bool:
    """Keep freed memory in the process for reuse instead of returning it to the OS at once.

    Training allocates and frees the same multi-megabyte arrays (activations, gradients,
    im2col buffers) every step. With glibc's defaults the freed top of the heap goes back to
    the OS and the next allocation page-faults on first touch (about 0.5 ms per MB); on a small
    CNN that was ~40 % of the step. Raising the trim threshold (256 MB) and fixing the mmap
    threshold (32 MB, glibc's own ceiling for it) keeps that memory reusable; the cost is a
    resident size that does not shrink after a peak. Linux with glibc only; set
    ``GRADKIT_MALLOC_TUNING=0`` before importing gradkit to leave the allocator alone.

    Returns:
        True when the settings were applied.
    """
    if os.environ.get("GRADKIT_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...)
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's mallopt parameter numbers
    ok = mallopt(m_trim_threshold, 256 << 20) == 1
    ok = mallopt(m_mmap_threshold, 32 << 20) == 1 and ok
    return ok


malloc_tuned = _tune_glibc_malloc()
