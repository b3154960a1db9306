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
_cuda_array_type = None  # the array type of a module registered for 'cuda' (register_cuda_module)


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
                "device 'cuda' needs CuPy, which is not installed: pip install 'gradkit[cuda]' for a CUDA 13 "
                "driver ('gradkit[cuda12]' for CUDA 12, or any cupy wheel matching your CUDA version)"
            ) from exc
        _cupy = cupy
    return _cupy


def register_cuda_module(xp, array_type=None) -> None:
    """Make ``'cuda'`` mean the array module ``xp`` (its arrays of type ``array_type``) instead of CuPy.

    The hook behind gradkit's device tests: a strict CuPy stand-in on the CPU registers itself
    here, so tensors, modules, checkpoints and the device-mixing errors take the very code paths
    they take on a GPU. ``register_cuda_module(None)`` gives ``'cuda'`` back to CuPy.

    Args:
        xp: a module with CuPy's API (``asarray``, ``.get()`` on its arrays, NumPy's functions),
            or None.
        array_type: the type of ``xp``'s arrays (checked by :func:`is_cupy_array`).

    Example:
        >>> register_cuda_module(None)  # 'cuda' is CuPy's again (imported when first asked for)
        >>> is_cupy_array(np.zeros(2))
        False
    """
    global _cupy, _cuda_array_type
    _cupy = xp
    _cuda_array_type = array_type if xp is not None else None


def is_real_cupy(xp) -> bool:
    """True when the array module ``xp`` is CuPy itself (cuDNN, cupyx, raw kernels are there).

    Args:
        xp: an array module (``numpy``, ``cupy``, or a stand-in registered for ``'cuda'``).

    Returns:
        Whether CuPy-only extensions may be imported for its arrays.

    Example:
        >>> is_real_cupy(np)
        False
    """
    return getattr(xp, "__name__", None) == "cupy"


def is_cupy_array(a) -> bool:
    """True when ``a`` is a CuPy array (checked without importing CuPy) or one of a registered stand-in."""
    t = type(a)
    return t is _cuda_array_type or t.__module__.startswith("cupy")


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


# ----------------------------------------------------------------------------- .to() arguments
_TO_DTYPE_KINDS = "biufc"  # bool, int, uint, float, complex: what a tensor or module can be cast to
_TO_FORMS = "to(device), to(dtype), to(device, dtype), to(tensor) or to(device=..., dtype=...)"


def _as_to_dtype(value, where: str):
    """``value`` as a NumPy dtype for ``.to()``, or None when it is not a dtype at all."""
    if isinstance(value, np.dtype):
        dt = value
    elif isinstance(value, (str, type)):
        try:
            dt = np.dtype(value)
        except TypeError:
            return None
    else:
        return None
    if dt.kind not in _TO_DTYPE_KINDS:
        raise TypeError(f"{where}: cannot convert to dtype {dt}; expected a bool, integer or floating dtype")
    return dt


def _as_to_device(value):
    """``value`` as ``'cpu'``/``'cuda'`` for ``.to()``, or None when it is not a device name."""
    if not isinstance(value, str):
        return None
    try:
        return normalize_device(value)
    except ValueError:
        return None


def _neither_device_nor_dtype(value, where: str) -> Exception:
    """The error for a positional ``.to()`` argument that is neither a device nor a dtype."""
    if isinstance(value, str):
        return ValueError(
            f"{where}: unknown device or dtype {value!r}: expected a device ('cpu', 'cuda', 'cuda:0') or a "
            "dtype name ('float32', 'float64', 'int64', 'bool')"
        )
    return TypeError(
        f"{where} expects a device ('cpu', 'cuda'), a dtype (np.float32, 'float64') or a Tensor, "
        f"got {type(value).__name__}"
    )


def _tensor_like(value):
    """``(device, dtype)`` of a tensor or an array, or None for anything else."""
    if isinstance(value, (str, type, np.dtype)):
        return None
    dtype, device = getattr(value, "dtype", None), getattr(value, "device", None)
    if not isinstance(dtype, np.dtype) or device is None:
        return None
    return (device if device in ("cpu", "cuda") else device_of(value)), dtype


def parse_to_args(args: tuple, device=None, dtype=None, where: str = "Tensor.to"):
    """Parse the arguments of ``.to()``; the one parser behind ``Tensor.to`` and ``Module.to``.

    The forms are PyTorch's: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``,
    ``to(other_tensor)`` (its device and dtype; an array works too) and the keywords
    ``to(device=..., dtype=...)``. It lives here, below ``tensor``, so that ``Tensor.to`` and
    ``Module.to`` share it.
    A device is ``'cpu'``, ``'cuda'`` or ``'cuda:N'``; a dtype is a NumPy dtype, a NumPy
    scalar type (``np.float64``), a Python type (``float``) or a name (``'float32'``).

    Args:
        args: the positional arguments, as a tuple.
        device: the ``device=`` keyword (None when not given).
        dtype: the ``dtype=`` keyword (None when not given).
        where: the caller's name for error messages (``'Tensor.to'``, ``'Module.to'``).

    Returns:
        ``(device, dtype)``: ``'cpu'``, ``'cuda'`` or None, and a ``np.dtype`` or None.

    Raises:
        TypeError: for more than two positional arguments, a tensor combined with other
            arguments, an argument given twice, a value that is neither a device nor a
            dtype, or a dtype that is not bool, integer or floating.
        ValueError: for an unknown device or dtype name (``'tpu'``).

    Example:
        >>> import numpy as np
        >>> parse_to_args(("cuda:0", "float64"))
        ('cuda', dtype('float64'))
        >>> parse_to_args((), dtype=np.float32)
        (None, dtype('float32'))
    """
    pos_device = pos_dtype = None
    if len(args) > 2:
        raise TypeError(f"{where} takes at most 2 positional arguments (device, dtype), got {len(args)}; use {_TO_FORMS}")
    like = _tensor_like(args[0]) if args else None
    if like is not None:
        if len(args) > 1 or device is not None or dtype is not None:
            raise TypeError(f"{where}(tensor) takes no other device or dtype argument; use {_TO_FORMS}")
        return like
    for i, a in enumerate(args):
        dev = _as_to_device(a)
        dt = None if dev is not None else _as_to_dtype(a, where)
        if dev is None and dt is None:
            raise _neither_device_nor_dtype(a, where)
        if dev is not None and i == 0:
            pos_device = dev
        elif dt is not None and pos_dtype is None:
            pos_dtype = dt
        else:  # a second device, a second dtype, or a device after the dtype
            raise TypeError(f"{where}: argument {i + 1} ({a!r}) is out of place; use {_TO_FORMS}")
    if device is not None:
        if pos_device is not None:
            raise TypeError(f"{where} got the device twice (positional {args[0]!r} and device={device!r})")
        if not isinstance(device, str):
            raise TypeError(f"{where}: device must be a string such as 'cpu' or 'cuda', got {type(device).__name__}")
        pos_device = normalize_device(device)
    if dtype is not None:
        if pos_dtype is not None:
            raise TypeError(f"{where} got the dtype twice (positional {pos_dtype} and dtype={dtype!r})")
        pos_dtype = _as_to_dtype(dtype, where)
        if pos_dtype is None:
            raise TypeError(
                f"{where}: dtype must be a NumPy dtype, a scalar type or a name such as 'float32', got {dtype!r}"
            )
    return pos_device, pos_dtype
