"""``gk.accelerator``: PyTorch's device-generic questions (``torch.accelerator``), answered for CUDA via CuPy.

gradkit's one accelerator is a CUDA GPU driven by CuPy; without one, ``is_available()`` is
False and ``current_accelerator()`` None.

Examples:
    >>> import gradkit as gk
    >>> device = gk.accelerator.current_accelerator() if gk.accelerator.is_available() else gk.device("cpu")
    >>> gk.ones(1, device=device).device == device
    True
"""

from __future__ import annotations

from . import backend, cuda


def is_available() -> bool:
    """True when a CUDA GPU is usable through CuPy."""
    return cuda.is_available()


def device_count() -> int:
    """The number of accelerators (CUDA GPUs); 0 without one."""
    return cuda.device_count()


def current_accelerator(check_available: bool = False):
    """``gk.device('cuda')`` when a GPU is available, else None."""
    return backend.device("cuda") if cuda.is_available() else None


def current_device_index() -> int:
    """The index of the current GPU (raises DeviceError without one)."""
    return cuda.current_device()


def synchronize(device=None) -> None:
    """Wait for the accelerator's queued work (no-op without one)."""
    cuda.synchronize(device)
