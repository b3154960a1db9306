"""Tensor factories with PyTorch's names, forms and dtype rules: ``zeros``, ``arange``, ``rand``, ...

Every factory takes PyTorch's keywords ``dtype=`` (any form: ``gk.float64``, ``np.float64``,
``'float64'``), ``device=`` (``'cpu'``, ``'cuda'``, ``'cuda:0'`` or a :class:`gradkit.device`) and
``requires_grad=``; sizes are given as PyTorch allows: ``zeros(2, 3)``, ``zeros((2, 3))``,
``zeros([2, 3])`` or ``zeros(size=(2, 3))``. The dtype of a result is PyTorch's: floating
factories give the default dtype (float32 unless :func:`gradkit.set_default_dtype` changed it),
integer ``arange``/``full`` int64, ``randint``/``randperm`` int64, ``full`` of a bool bool.

Random factories draw from gradkit's seeded generator (:func:`gradkit.manual_seed`), in float64
on the CPU and then cast and moved, so a seed gives the same values on every device and for
every floating dtype up to rounding. The streams are NumPy's (PCG64), not PyTorch's: a seed
reproduces gradkit's numbers, not torch's. ``empty`` returns zeros (deterministic).

Example:
    >>> import gradkit as gk
    >>> gk.zeros(2, 3).shape, gk.zeros((2, 3)).shape, gk.zeros(size=[2, 3]).shape
    ((2, 3), (2, 3), (2, 3))
    >>> gk.arange(3).dtype, gk.arange(3.0).dtype, gk.full((2,), True).dtype
    (dtype('int64'), dtype('float32'), dtype('bool'))
"""

from __future__ import annotations

import numbers
import operator

import numpy as np

from . import backend
from .dtypes import as_dtype
from .errors import DtypeError, ShapeError
from .random import get_generator
from .tensor import Tensor, _make

__all__ = [
    "arange", "as_tensor", "empty", "empty_like", "eye", "from_dlpack", "from_numpy", "full", "full_like",
    "bernoulli", "is_complex", "is_floating_point", "is_tensor", "linspace", "logspace", "multinomial", "normal",
    "numel", "ones", "ones_like", "poisson", "rand",
    "rand_like", "randint", "randint_like", "randn", "randn_like", "randperm", "tensor", "zeros", "zeros_like",
]

_DL_CUDA = (2, 3, 13)  # DLPack device types CuPy reads: CUDA, CUDA host (pinned), CUDA managed


# --------------------------------------------------------------------------- shared helpers
def _shape(sizes, size=None, where="size"):
    """The shape from PyTorch's forms: ``(2, 3)`` varargs, one tuple/list, or ``size=``."""
    if size is not None:
        if sizes:
            raise TypeError(f"{where}: give the size positionally or as size=, not both")
        sizes = (size,)
    try:
        if len(sizes) == 1 and not _is_index(sizes[0]):  # one tuple, list or torch.Size-like sequence
            sizes = tuple(sizes[0])
        shape = tuple(operator.index(s) for s in sizes)
    except TypeError:
        raise TypeError(f"{where}: sizes must be integers, got {sizes!r}") from None
    if any(s < 0 for s in shape):
        raise ShapeError(f"{where}: sizes must be non-negative integers, got {shape}")
    return shape


def _is_index(v):
    return isinstance(v, (numbers.Integral, np.integer)) or isinstance(v, Tensor) and v.ndim == 0


def _dtype(dtype, default=None):
    return (backend.get_default_dtype() if default is None else default) if dtype is None else as_dtype(dtype)


def _finish(arr, dtype, requires_grad, device):
    """Cast ``arr`` (a NumPy array) to ``dtype``, move it to ``device``, wrap it as a leaf tensor."""
    if arr.dtype != dtype:
        arr = arr.astype(dtype)
    dev = backend.normalize_device(device)
    if dev != "cpu":
        arr = backend.to_device(arr, dev)
    t = _make(arr, False, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _filled(shape, value, dtype, requires_grad, device):
    """A tensor of ``value`` made directly on its device (no host copy for a GPU)."""
    xp = backend.xp_for(backend.normalize_device(device))
    t = _make(xp.full(shape, value, dtype=dtype), False, None)
    return t.requires_grad_(True) if requires_grad else t


def _floating(dt, where):
    if dt.kind not in "fc":
        raise DtypeError(f"{where}: random floats need a floating dtype, got {dt}; use randint for integers")
    return dt


def _is_float(v):
    if isinstance(v, Tensor):
        return v.dtype.kind in "fc"
    return isinstance(v, (float, complex, np.floating, np.complexfloating))


def _scalar(v):
    return v.item() if isinstance(v, (Tensor, np.ndarray, np.generic)) else v


# --------------------------------------------------------------------------- from data
def tensor(data, dtype=None, requires_grad=False, device=None) -> Tensor:
    """A new tensor holding a copy of ``data``, as ``torch.tensor``.

    Args:
        data: a list, scalar, NumPy/CuPy array, or tensor (copied, cut from the graph).
        dtype: by default Python floats give the default dtype, ints int64, bools bool,
            complex numbers complex64; a NumPy array keeps its dtype.
        requires_grad: record operations for autograd (floating dtypes only).
        device: where the tensor lives.

    Returns:
        The tensor.

    Example:
        >>> import gradkit as gk
        >>> gk.tensor([[1, 2], [3, 4]]).dtype, gk.tensor([1.5]).dtype
        (dtype('int64'), dtype('float32'))
    """
    if isinstance(data, Tensor):
        data = data.array.copy()
    elif isinstance(data, np.ndarray) or backend.is_cupy_array(data):
        data = data.copy()
    if device is None and backend.get_default_device() != "cpu":  # as torch.tensor under set_default_device
        device = backend.get_default_device()
    return Tensor(data, dtype=None if dtype is None else as_dtype(dtype), requires_grad=requires_grad, device=device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a tensor, sharing memory with a NumPy array or tensor when no conversion is needed.

    A tensor with another dtype or device is converted with ``.to`` (and stays in the graph),
    as in PyTorch.

    Example:
        >>> import numpy as np, gradkit as gk
        >>> a = np.zeros(3, dtype=np.float32)
        >>> gk.as_tensor(a).array is a
        True
    """
    dtype = None if dtype is None else as_dtype(dtype)
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    return Tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``: writes through either show in both (dtype kept).

    Raises:
        TypeError: for anything but a NumPy array of bool, integer, floating or complex dtype.

    Example:
        >>> import numpy as np, gradkit as gk
        >>> a = np.arange(3)
        >>> t = gk.from_numpy(a); a[0] = 7
        >>> t.tolist()
        [7, 1, 2]
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in "biufc":
        raise TypeError(f"from_numpy: can't convert an array of dtype {array.dtype}; "
                        "supported: bool, integers, float16/32/64, complex64/128")
    return _make(array, False, None)


def from_dlpack(ext) -> Tensor:
    """A tensor sharing memory with any DLPack exporter: a torch or CuPy tensor, a NumPy array, ...

    CPU data becomes a NumPy-backed tensor, CUDA data a CuPy-backed one; nothing is copied.

    Args:
        ext: an object with ``__dlpack__`` and ``__dlpack_device__``.

    Returns:
        The tensor, sharing ``ext``'s memory.

    Raises:
        TypeError: when ``ext`` does not support DLPack.

    Example:
        >>> import numpy as np, gradkit as gk
        >>> a = np.ones(2)
        >>> t = gk.from_dlpack(a); t.array[0] = 5
        >>> a.tolist()
        [5.0, 1.0]
    """
    if isinstance(ext, Tensor):
        return _make(ext.array, False, None)
    if not hasattr(ext, "__dlpack__") or not hasattr(ext, "__dlpack_device__"):
        raise TypeError(f"from_dlpack expects an object with __dlpack__ and __dlpack_device__ "
                        f"(a torch/CuPy tensor, a NumPy array), got {type(ext).__name__}")
    if int(ext.__dlpack_device__()[0]) in _DL_CUDA:
        return _make(backend._import_cupy().from_dlpack(ext), False, None)
    return _make(np.from_dlpack(ext), False, None)


# --------------------------------------------------------------------------- filled
def zeros(*sizes, size=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    """A tensor of zeros (default dtype unless ``dtype``).

    Example:
        >>> import gradkit as gk
        >>> gk.zeros(2, dtype=gk.int64).tolist()
        [0, 0]
    """
    return _filled(_shape(sizes, size, "zeros"), 0, _dtype(dtype), requires_grad, device)


def ones(*sizes, size=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    """A tensor of ones (default dtype unless ``dtype``).

    Example:
        >>> import gradkit as gk
        >>> gk.ones((2,)).tolist()
        [1.0, 1.0]
    """
    return _filled(_shape(sizes, size, "ones"), 1, _dtype(dtype), requires_grad, device)


def empty(*sizes, size=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    """As ``torch.empty``; gradkit fills it with zeros, so its values are never garbage.

    Example:
        >>> import gradkit as gk
        >>> gk.empty(2, 2).shape
        (2, 2)
    """
    return _filled(_shape(sizes, size, "empty"), 0, _dtype(dtype), requires_grad, device)


def full(size, fill_value, dtype=None, requires_grad=False, device=None) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value as in PyTorch.

    A bool gives bool, an int int64, a float the default dtype, a complex number complex64
    (complex128 when the default dtype is float64).

    Example:
        >>> import gradkit as gk
        >>> gk.full((2,), 7).dtype, gk.full((2,), 0.5).dtype
        (dtype('int64'), dtype('float32'))
    """
    fill_value = _scalar(fill_value)
    if dtype is None:
        if isinstance(fill_value, (bool, np.bool_)):
            dtype = np.bool_
        elif isinstance(fill_value, numbers.Integral):
            dtype = np.int64
        elif isinstance(fill_value, numbers.Complex) and not isinstance(fill_value, numbers.Real):
            dtype = np.complex64 if backend.get_default_dtype() != np.float64 else np.complex128
    shape = (size,) if isinstance(size, (numbers.Integral, np.integer)) else _shape((size,), where="full")
    return _filled(shape, fill_value, _dtype(dtype), requires_grad, device)


def eye(n, m=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    """The ``n x m`` identity matrix (``m`` defaults to ``n``).

    Example:
        >>> import gradkit as gk
        >>> gk.eye(2).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    xp = backend.xp_for(backend.normalize_device(device))
    t = _make(xp.eye(operator.index(n), None if m is None else operator.index(m), dtype=_dtype(dtype)), False, None)
    return t.requires_grad_(True) if requires_grad else t


# --------------------------------------------------------------------------- ranges
def arange(start=None, end=None, step=1, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; ``arange(end)`` and ``arange(end=...)`` start at 0.

    Integer arguments give int64, any floating one the default dtype, as in PyTorch.

    Example:
        >>> import gradkit as gk
        >>> gk.arange(1, 2.5, 0.5).tolist()
        [1.0, 1.5, 2.0]
    """
    if end is None:
        if start is None:
            raise TypeError("arange() needs an end: arange(end), arange(start, end[, step]) or arange(end=...)")
        start, end = 0, start
    start, end, step = _scalar(0 if start is None else start), _scalar(end), _scalar(step)
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    floats = any(_is_float(v) for v in (start, end, step))
    dt = _dtype(dtype, None if floats else np.dtype(np.int64))
    return _finish(np.arange(start, end, step), dt, requires_grad, device)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive (default dtype).

    Example:
        >>> import gradkit as gk
        >>> gk.linspace(0, 1, 3).tolist()
        [0.0, 0.5, 1.0]
    """
    steps = operator.index(steps)
    if steps < 0:
        raise ValueError(f"linspace: steps must be non-negative, got {steps}")
    return _finish(np.linspace(_scalar(start), _scalar(end), steps), _dtype(dtype), requires_grad, device)


def logspace(start, end, steps, base=10.0, dtype=None, requires_grad=False, device=None) -> Tensor:
    """``base ** linspace(start, end, steps)`` (default dtype).

    Example:
        >>> import gradkit as gk
        >>> gk.logspace(0, 2, 3).tolist()
        [1.0, 10.0, 100.0]
    """
    steps = operator.index(steps)
    if steps < 0:
        raise ValueError(f"logspace: steps must be non-negative, got {steps}")
    vals = np.logspace(_scalar(start), _scalar(end), steps, base=_scalar(base))
    return _finish(vals, _dtype(dtype), requires_grad, device)


# --------------------------------------------------------------------------- random
def rand(*sizes, size=None, generator=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Uniform samples on [0, 1) (default dtype; floating dtypes only).

    Example:
        >>> import gradkit as gk
        >>> _ = gk.manual_seed(0)
        >>> bool(((gk.rand(100) >= 0) & (gk.rand(100) < 1)).all())
        True
    """
    dt = _floating(_dtype(dtype), "rand")
    return _finish(get_generator(generator).random(_shape(sizes, size, "rand")), dt, requires_grad, device)


def randn(*sizes, size=None, generator=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Standard normal samples (default dtype; floating dtypes only).

    Example:
        >>> import gradkit as gk
        >>> gk.randn(2, 3).shape
        (2, 3)
    """
    dt = _floating(_dtype(dtype), "randn")
    vals = get_generator(generator).standard_normal(_shape(sizes, size, "randn"))
    return _finish(vals, dt, requires_grad, device)


def randint(low, high=None, size=(), *, generator=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Integers drawn uniformly from ``[low, high)``: ``randint(high, size)`` or ``randint(low, high, size)``.

    Returns int64 unless ``dtype`` says otherwise.

    Example:
        >>> import gradkit as gk
        >>> x = gk.randint(10, (3,))
        >>> x.dtype, x.shape, bool(((x >= 0) & (x < 10)).all())
        (dtype('int64'), (3,), True)
    """
    if isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    low, high = _scalar(low), _scalar(high)
    if high <= low:
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    vals = get_generator(generator).integers(low, high, size=_shape((size,), where="randint"))
    return _finish(vals, _dtype(dtype, np.dtype(np.int64)), requires_grad, device)


def randperm(n, *, generator=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype``).

    Example:
        >>> import gradkit as gk
        >>> sorted(gk.randperm(4).tolist())
        [0, 1, 2, 3]
    """
    vals = get_generator(generator).permutation(operator.index(n))
    return _finish(vals, _dtype(dtype, np.dtype(np.int64)), requires_grad, device)


def _probabilities(input, where):
    """``input``'s values as a float64 NumPy array (random draws happen on the CPU)."""
    arr = backend.to_numpy(input.array if isinstance(input, Tensor) else np.asarray(input)).astype(np.float64)
    if np.isnan(arr).any() or (arr < 0).any():
        raise ValueError(f"{where}: probabilities must be non-negative numbers, got {arr.min()}")
    return arr


def _drawn(vals, like, dtype):
    """Wrap draws as a constant tensor on ``like``'s device (random draws carry no gradient)."""
    dev = backend.device_of(like.array) if isinstance(like, Tensor) else "cpu"
    return _make(backend.to_device(np.asarray(vals).astype(dtype, copy=False), dev), False, None)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Normal samples: elementwise ``N(mean, std)`` for tensors, or ``normal(mean, std, size)`` for numbers.

    Example:
        >>> import gradkit as gk
        >>> gk.normal(0.0, 1.0, (2, 3)).shape, gk.normal(gk.zeros(4), 2.0).shape
        ((2, 3), (4,))
    """
    tensors = [v for v in (mean, std) if isinstance(v, Tensor)]
    if not tensors:
        shape = _shape((size,) if size is not None else ((),), where="normal")
        vals = get_generator(generator).normal(mean, std, size=shape)
        return _finish(vals, _floating(_dtype(dtype), "normal"), requires_grad, device)
    m, sd = (backend.to_numpy(v.array) if isinstance(v, Tensor) else v for v in (mean, std))
    if (np.asarray(sd) < 0).any():
        raise ValueError("normal: std must be non-negative")
    dt = _floating(_dtype(dtype, tensors[0].dtype), "normal")
    out = _drawn(get_generator(generator).normal(m, sd, size=np.broadcast_shapes(np.shape(m), np.shape(sd))),
                 tensors[0], dt)
    return out.requires_grad_(True) if requires_grad else out


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """1 with probability ``input`` (or ``p``), else 0, elementwise; the result has ``input``'s dtype.

    Example:
        >>> import gradkit as gk
        >>> gk.bernoulli(gk.tensor([0.0, 1.0])).tolist()
        [0.0, 1.0]
    """
    prob = _probabilities(input, "bernoulli") if p is None else p
    if np.any(np.asarray(prob) > 1):
        raise ValueError("bernoulli: probabilities must be in [0, 1]")
    return _drawn(get_generator(generator).random(input.shape) < prob, input, input.dtype)


def poisson(input, generator=None) -> Tensor:
    """Poisson samples with the rates ``input``, elementwise (``input``'s dtype).

    Example:
        >>> import gradkit as gk
        >>> gk.poisson(gk.zeros(3)).tolist()
        [0.0, 0.0, 0.0]
    """
    return _drawn(get_generator(generator).poisson(_probabilities(input, "poisson")), input, input.dtype)


def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """Category indices drawn from the rows of ``input`` (non-negative weights), as int64.

    Args:
        input: weights of shape ``(n,)`` or ``(rows, n)``; they need not sum to 1.
        num_samples: draws per row.
        replacement: draw with replacement; without it, ``num_samples`` may not exceed the
            number of categories with nonzero weight.

    Returns:
        Indices of shape ``(num_samples,)`` or ``(rows, num_samples)``.

    Example:
        >>> import gradkit as gk
        >>> gk.multinomial(gk.tensor([0.0, 1.0, 0.0]), 2, replacement=True).tolist()
        [1, 1]
    """
    w = _probabilities(input, "multinomial")
    if w.ndim not in (1, 2):
        raise ShapeError(f"multinomial expects weights of 1 or 2 dimensions, got shape {w.shape}")
    rows = w.reshape(-1, w.shape[-1])
    rng = get_generator(generator)
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for i, row in enumerate(rows):
        total = row.sum()
        if total <= 0:
            raise ValueError(f"multinomial: row {i} has no positive weight")
        if not replacement and num_samples > np.count_nonzero(row):
            raise ValueError(f"multinomial: cannot draw {num_samples} samples without replacement from "
                             f"{np.count_nonzero(row)} categories with nonzero weight (row {i})")
        out[i] = rng.choice(row.size, size=num_samples, replace=replacement, p=row / total)
    return _drawn(out.reshape(*w.shape[:-1], num_samples), input, np.int64)


# --------------------------------------------------------------------------- *_like
def _like(x, dtype, device):
    if not isinstance(x, Tensor):
        raise TypeError(f"expected a Tensor as the first argument, got {type(x).__name__}")
    return (x.dtype if dtype is None else as_dtype(dtype)), (x.device if device is None else device)


def zeros_like(input, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Zeros with ``input``'s shape, dtype and device unless given.

    Example:
        >>> import gradkit as gk
        >>> gk.zeros_like(gk.arange(3)).tolist()
        [0, 0, 0]
    """
    dtype, device = _like(input, dtype, device)
    return zeros(input.shape, dtype=dtype, requires_grad=requires_grad, device=device)


def ones_like(input, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Ones with ``input``'s shape, dtype and device unless given.

    Example:
        >>> import gradkit as gk
        >>> gk.ones_like(gk.zeros(2)).tolist()
        [1.0, 1.0]
    """
    dtype, device = _like(input, dtype, device)
    return ones(input.shape, dtype=dtype, requires_grad=requires_grad, device=device)


def empty_like(input, dtype=None, requires_grad=False, device=None) -> Tensor:
    """As :func:`empty` (zeros) with ``input``'s shape, dtype and device unless given.

    Example:
        >>> import gradkit as gk
        >>> gk.empty_like(gk.zeros(2, 3)).shape
        (2, 3)
    """
    dtype, device = _like(input, dtype, device)
    return empty(input.shape, dtype=dtype, requires_grad=requires_grad, device=device)


def full_like(input, fill_value, dtype=None, requires_grad=False, device=None) -> Tensor:
    """``fill_value`` with ``input``'s shape, dtype and device unless given.

    Example:
        >>> import gradkit as gk
        >>> gk.full_like(gk.arange(2), 2.7).tolist()
        [2, 2]
    """
    dtype, device = _like(input, dtype, device)
    return full(input.shape, fill_value, dtype=dtype, requires_grad=requires_grad, device=device)


def rand_like(input, dtype=None, requires_grad=False, device=None, generator=None) -> Tensor:
    """:func:`rand` with ``input``'s shape, dtype and device unless given.

    Example:
        >>> import gradkit as gk
        >>> gk.rand_like(gk.zeros(2, dtype=gk.float64)).dtype
        dtype('float64')
    """
    dtype, device = _like(input, dtype, device)
    return rand(input.shape, dtype=dtype, requires_grad=requires_grad, device=device, generator=generator)


def randn_like(input, dtype=None, requires_grad=False, device=None, generator=None) -> Tensor:
    """:func:`randn` with ``input``'s shape, dtype and device unless given.

    Example:
        >>> import gradkit as gk
        >>> gk.randn_like(gk.zeros(4)).shape
        (4,)
    """
    dtype, device = _like(input, dtype, device)
    return randn(input.shape, dtype=dtype, requires_grad=requires_grad, device=device, generator=generator)


def randint_like(input, low=0, high=None, dtype=None, requires_grad=False, device=None, generator=None) -> Tensor:
    """:func:`randint` with ``input``'s shape, dtype and device: ``randint_like(x, high)`` or ``(x, low, high)``.

    Example:
        >>> import gradkit as gk
        >>> gk.randint_like(gk.zeros(3), 5).dtype
        dtype('float32')
    """
    if high is None:
        low, high = 0, low
    dtype, device = _like(input, dtype, device)
    return randint(low, high, input.shape, generator=generator, dtype=dtype, requires_grad=requires_grad,
                   device=device)


# --------------------------------------------------------------------------- questions
def is_tensor(obj) -> bool:
    """True when ``obj`` is a gradkit Tensor (or a Parameter).

    Example:
        >>> import gradkit as gk
        >>> gk.is_tensor(gk.zeros(1)), gk.is_tensor([0.0])
        (True, False)
    """
    return isinstance(obj, Tensor)


def is_floating_point(input) -> bool:
    """True when ``input``'s dtype is floating (float16/32/64).

    Example:
        >>> import gradkit as gk
        >>> gk.is_floating_point(gk.zeros(1)), gk.is_floating_point(gk.arange(2))
        (True, False)
    """
    return input.is_floating_point()


def is_complex(input) -> bool:
    """True when ``input``'s dtype is complex.

    Example:
        >>> import gradkit as gk
        >>> gk.is_complex(gk.tensor([1j]))
        True
    """
    return input.is_complex()


def numel(input) -> int:
    """The number of elements of ``input``.

    Example:
        >>> import gradkit as gk
        >>> gk.numel(gk.zeros(2, 3))
        6
    """
    return input.numel()
