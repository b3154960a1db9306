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

import functools

import numpy as np

from .dtypes import as_dtype
from .errors import DeviceError

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
    """Set the floating dtype for new tensors: ``float32`` (default) or ``float64`` (any dtype form).

    Raises:
        ValueError: if ``dtype`` is not a floating dtype.
    """
    global _default_dtype
    dt = as_dtype(dtype, "set_default_dtype")
    if dt.kind != "f":
        raise ValueError(f"set_default_dtype expects a floating dtype (float32 or float64), got {dt}")
    _default_dtype = dt


def _import_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the machine
            raise DeviceError(
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
        DeviceError: (a RuntimeError) when NumPy and CuPy arrays are mixed, naming both devices.
    """
    xp = np
    seen_cpu = False
    for a in arrays:
        if is_cupy_array(a):
            xp = _import_cupy()
        elif isinstance(a, np.ndarray):
            seen_cpu = True
    if xp is not np and seen_cpu:
        raise DeviceError(
            "an op mixed arrays on 'cpu' and 'cuda'; move them to one device first "
            "with tensor.to('cuda') or tensor.to('cpu')"
        )
    return xp


def normalize_device(device) -> str:
    """Turn ``None``, ``'cpu'``, ``'cuda'``, ``'cuda:0'`` or a :class:`device` into ``'cpu'`` or ``'cuda'``.

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


def get_default_device() -> "device":
    """Return the device new tensors are created on, as a :class:`device` (equal to ``'cpu'``)."""
    return device(_default_device)


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
    elif isinstance(value, (str, type)) or type(value).__module__ in ("torch", "gradkit.dtypes"):
        try:
            dt = as_dtype(value, where)
        except TypeError:
            if not isinstance(value, (str, type)):
                raise  # bfloat16: say why
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
    A device is ``'cpu'``, ``'cuda'``, ``'cuda:N'`` or a :class:`device`; a dtype is a NumPy dtype
    (``gk.float64`` is one), a NumPy scalar type (``np.float64``), a Python type (``float``), a
    name (``'float32'``) or a PyTorch dtype.

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


# ----------------------------------------------------------------------------- device objects
class device(str):
    """A device, as ``torch.device``: ``device('cpu')``, ``device('cuda', 0)``, ``device('cuda:0')``.

    It has torch's ``type`` and ``index`` and prints as ``'cuda:0'``. It is also a ``str`` and
    compares equal to a device name of the same type (``t.device == 'cpu'``; ``'cuda'`` equals
    ``'cuda:0'``, as gradkit uses CuPy's current GPU), so code that passed device strings keeps
    working. Everywhere a device name is accepted, a device is too. As a context manager it makes
    its device the default for new tensors, as in PyTorch.

    Args:
        type: ``'cpu'`` or ``'cuda'``, optionally with an index (``'cuda:1'``), or another device.
        index: the device index (``cuda`` only).

    Raises:
        ValueError: for an unknown device type or a malformed index.

    Example:
        >>> d = device("cuda", 0)
        >>> d.type, d.index, str(d), d == "cuda", d == "cpu"
        ('cuda', 0, 'cuda:0', True, False)
        >>> device("cpu")
        device(type='cpu')
    """

    __slots__ = ("type", "index", "_previous")
    type: str  # torch's attribute names: 'cpu' or 'cuda', and the device index or None
    index: int | None  # type: ignore[assignment]  # torch's device.index shadows str.index

    def __new__(cls, type, index=None):
        if isinstance(type, device) and index is None:
            return type
        name, idx = _parse_device(type, index)
        obj = super().__new__(cls, name if idx is None else f"{name}:{idx}")
        obj.type, obj.index, obj._previous = name, idx, None
        return obj

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self) -> str:
        return str.__str__(self)

    def __eq__(self, other):
        if isinstance(other, device):
            return self.type == other.type and (self.index is None or other.index is None or self.index == other.index)
        if isinstance(other, str):
            if str.__eq__(self, other) or other == self.type:  # the common cases, without parsing
                return True
            if other == "cpu" or other == "cuda":
                return False
            parsed = _parse_name(other)
            return parsed is not None and parsed[0] == self.type and (
                self.index is None or parsed[1] is None or parsed[1] == self.index)
        return NotImplemented

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self):
        return hash(self.type)

    def __enter__(self):
        self._previous = _default_device
        set_default_device(self)
        return self

    def __exit__(self, *exc):
        set_default_device(self._previous)
        return False


@functools.lru_cache(maxsize=64)
def _parse_name(name: str):
    """``(type, index)`` of a device name, or None when it names no device (for comparisons)."""
    try:
        return _parse_device(name, None)
    except (TypeError, ValueError):
        return None


def _parse_device(spec, index):
    """``(type, index)`` of a device spec (``'cuda:0'``, ``'cpu'``; an int means cuda:<int>)."""
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
        spec, index = "cuda", int(spec)
    if not isinstance(spec, str):
        raise TypeError(f"device expects a string such as 'cpu' or 'cuda:0', got {spec.__class__.__name__}")
    name, sep, idx = spec.partition(":")
    if sep:
        if index is not None:
            raise ValueError(f"device {spec!r} already has an index; do not pass index={index}")
        if not idx.isdigit():
            raise ValueError(f"invalid device string {spec!r}: the index after ':' must be a non-negative integer")
        index = int(idx)
    try:
        name = normalize_device(name)
    except ValueError:
        raise ValueError(f"unknown device {spec!r}: expected 'cpu', 'cuda' or 'cuda:N'") from None
    if index is not None and (not isinstance(index, (int, np.integer)) or index < 0):
        raise ValueError(f"device index must be a non-negative integer, got {index!r}")
    if name == "cpu" and index not in (None, 0):
        raise ValueError(f"device 'cpu' has no index {index}")
    return name, None if index is None or name == "cpu" else int(index)


CPU = device("cpu")


def array_device(a) -> device:
    """The :class:`device` an array lives on (``Tensor.device``)."""
    if isinstance(a, np.ndarray):
        return CPU
    name = device_of(a)
    if name == "cuda":
        return device("cuda", int(a.device.id))
    return device(name)


def cuda_device_count() -> int:
    """The number of CUDA GPUs CuPy sees; 0 without CuPy or a GPU (never raises)."""
    try:
        cp = _import_cupy()
        return int(cp.cuda.runtime.getDeviceCount())
    except Exception:  # noqa: BLE001 - no CuPy, no driver or no GPU all mean "none"
        return 0
