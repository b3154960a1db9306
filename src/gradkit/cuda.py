"""``gk.cuda``: the few ``torch.cuda`` functions a tensor program calls, answered through CuPy.

gradkit runs on a CUDA GPU through CuPy, on CuPy's current device. Without CuPy or a GPU,
``is_available()`` is False and ``device_count()`` 0; nothing here raises for a missing GPU.
Every random number, on either device, comes from gradkit's one generator, so
``manual_seed`` / ``manual_seed_all`` only check the seed: ``gk.manual_seed`` seeds it all.

Examples:
    >>> import gradkit as gk
    >>> device = "cuda" if gk.cuda.is_available() else "cpu"
    >>> gk.zeros(2, device=device).device == device
    True
"""

from __future__ import annotations

from . import backend


def is_available() -> bool:
    """True when CuPy is installed and sees at least one CUDA GPU."""
    return backend.cuda_device_count() > 0


def device_count() -> int:
    """The number of CUDA GPUs (0 without CuPy or a GPU)."""
    return backend.cuda_device_count()


def current_device() -> int:
    """The index of CuPy's current GPU.

    Raises:
        DeviceError: when no GPU is available.
    """
    _require("current_device")
    return int(backend._import_cupy().cuda.Device().id)


def synchronize(device=None) -> None:
    """Wait for the GPU's queued work to finish (no-op without a GPU)."""
    if is_available():
        backend._import_cupy().cuda.Device().synchronize()


def empty_cache() -> None:
    """Give CuPy's cached, unused GPU memory back to the driver (no-op without a GPU)."""
    if is_available():
        backend._import_cupy().get_default_memory_pool().free_all_blocks()


def manual_seed(seed: int) -> None:
    """Accepted for PyTorch programs; gradkit's one generator (``gk.manual_seed``) serves all devices."""
    _check_seed(seed)


def manual_seed_all(seed: int) -> None:
    """Accepted for PyTorch programs; gradkit's one generator (``gk.manual_seed``) serves all devices."""
    _check_seed(seed)


def _check_seed(seed) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) and not hasattr(seed, "__index__"):
        raise TypeError(f"manual_seed expects an integer seed, got {type(seed).__name__}")


def _require(what: str) -> None:
    if not is_available():
        from .errors import DeviceError

        raise DeviceError(f"gk.cuda.{what}(): no CUDA GPU is available (CuPy missing or no device)")
