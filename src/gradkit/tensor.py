"""``Tensor``: an array that records the operations applied to it.

A Tensor wraps a NumPy (or CuPy) array, its ``.array``. When it requires grad, every op
on it records a node (``.grad_fn``) so that ``backward()`` can compute gradients.
Names follow PyTorch; NumPy's ``axis`` is accepted wherever ``dim`` is.

Dtype rules: lists and Python floats become float32 (the default dtype); lists of
Python ints become int64 and bools bool, as in PyTorch; a NumPy array keeps its dtype.
A Python scalar or integer array never upcasts a float32 tensor. Integer tensors
cannot require grad.

Example:
    >>> import gradkit as gk
    >>> x = gk.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([2., 4., 6.])
"""

from __future__ import annotations


import numpy as np

from . import backend
from ._methods import (
    ConvertMethods, LinalgMethods, MathMethods, ReduceMethods, SelectMethods, ShapeMethods, bind_ops,
)
from .backend import get_array_module, get_default_dtype, parse_to_args
from .dtypes import as_dtype
from .errors import TENSOR_EQUIVALENTS, ShapeError, missing_attribute

_FLOAT_KINDS = "fc"


class _Size(int):
    """``tensor.size``: the number of elements (NumPy), callable like ``tensor.size()`` (PyTorch)."""

    # (int subclasses cannot have __slots__)

    def __new__(cls, shape):
        n = 1
        for s in shape:
            n *= s
        obj = super().__new__(cls, n)
        obj._shape = tuple(shape)
        return obj

    def __call__(self, dim=None):
        if dim is None:
            return self._shape
        return self._shape[dim]


def _to_array(data, dtype, device):
    """Convert ``data`` to an array following gradkit's dtype rules."""
    if isinstance(data, Tensor):
        arr = data.array
    else:
        arr = data
    xp = backend.xp_for(device) if device is not None else get_array_module(arr)
    if dtype is not None:
        dtype = as_dtype(dtype)
    if isinstance(arr, np.ndarray) or backend.is_cupy_array(arr):
        if device is not None:
            arr = backend.to_device(arr, device)
        if dtype is not None and arr.dtype != dtype:
            arr = arr.astype(dtype)
        return arr
    if isinstance(arr, np.generic):
        out = np.asarray(arr)
    else:
        out = np.asarray(arr)
        if dtype is None:
            kind = out.dtype.kind
            if kind == "f" or (kind in "iu" and _has_float(arr)):
                out = out.astype(get_default_dtype())
            elif kind in "iu":
                out = out.astype(np.int64)
            elif kind == "c":  # Python complex numbers: the default dtype's complex (complex64), as in PyTorch
                out = out.astype(np.complex128 if get_default_dtype() == np.float64 else np.complex64)
            elif kind != "b":
                raise TypeError(f"gk.tensor cannot make a tensor from {type(data).__name__} of dtype {out.dtype}")
    if dtype is not None and out.dtype != dtype:
        out = out.astype(dtype)
    if xp is not np:
        out = xp.asarray(out)
    return out


def _has_float(data) -> bool:
    if isinstance(data, float):
        return True
    if isinstance(data, (list, tuple)):
        return any(_has_float(d) for d in data)
    return False


def _make(data, requires_grad, ctx, out_index=0):
    """Fast constructor used by ops: no conversion, no checks."""
    t = Tensor.__new__(Tensor)
    t.array = data
    t.grad = None
    t.requires_grad = requires_grad
    t._ctx = ctx
    t._out_index = out_index
    t._hooks = None
    t._retains_grad = False
    return t


class Tensor(ReduceMethods, MathMethods, SelectMethods, ShapeMethods, LinalgMethods, ConvertMethods):
    """An n-dimensional array with automatic differentiation.

    Args:
        data: array-like (NumPy/CuPy array, list, scalar or Tensor).
        dtype: NumPy dtype; default keeps an array's dtype and makes Python floats float32.
        requires_grad: record operations on this tensor for ``backward()``.
        device: ``'cpu'``, ``'cuda'`` or a :class:`gradkit.device`; default keeps the array's device.

    Raises:
        RuntimeError: ``requires_grad=True`` on a non-floating tensor.
    """

    __slots__ = ("array", "grad", "requires_grad", "_ctx", "_out_index", "_hooks", "_retains_grad", "__weakref__")
    __array_priority__ = 1000
    __array_ufunc__ = None  # make NumPy defer to Tensor's reflected operators

    def __init__(self, data, dtype=None, requires_grad=False, device=None):
        arr = _to_array(data, dtype, None if device is None else backend.normalize_device(device))
        self.array = arr
        self.grad = None
        self._ctx = None
        self._out_index = 0
        self._hooks = None
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _ones_like_array(a):
        xp = get_array_module(a)
        return _make(xp.ones(a.shape, dtype=a.dtype), False, None)

    @staticmethod
    def _zeros_like_meta(shape, dtype, like):
        xp = get_array_module(like)
        return _make(xp.zeros(shape, dtype=dtype), False, None)

    # ------------------------------------------------------------------ attributes
    @property
    def data(self) -> "Tensor":
        """This tensor's values as a new tensor cut from the graph, sharing its storage (PyTorch's ``.data``).

        In-place changes through it (``p.data.add_(g, alpha=-lr)``, ``w.data.normal_()``) change
        this tensor without being recorded; assigning ``p.data = t`` makes ``p`` hold ``t``'s array.
        The raw NumPy/CuPy array is ``.array``.

        Example:
            >>> import gradkit as gk
            >>> p = gk.tensor([1.0, 2.0], requires_grad=True)
            >>> _ = p.data.mul_(10)
            >>> p
            tensor([10., 20.], requires_grad=True)
        """
        return _make(self.array, False, None)

    @data.setter
    def data(self, value) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data must be assigned a Tensor, got {type(value).__name__}; "
                            "to set the raw array use .array")
        self.array = value.array

    @property
    def shape(self) -> tuple:
        return self.array.shape

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def size(self) -> _Size:
        """Number of elements; also callable as ``size()`` / ``size(dim)`` like PyTorch."""
        return _Size(self.array.shape)

    def numel(self) -> int:
        return int(self.array.size)

    def dim(self) -> int:
        return self.array.ndim

    @property
    def device(self) -> "backend.device":
        """Where the data lives, a :class:`gradkit.device` (equal to ``'cpu'`` or ``'cuda'`` too)."""
        return backend.array_device(self.array)

    @property
    def is_cuda(self) -> bool:
        """True when the data is on a CUDA GPU."""
        return backend.device_of(self.array) == "cuda"

    @property
    def is_cpu(self) -> bool:
        """True when the data is in host memory (a NumPy array)."""
        return isinstance(self.array, np.ndarray)

    def __getattr__(self, name):
        # called only when normal lookup fails, so it costs nothing on the attributes that exist
        if name.startswith("__") or name in Tensor.__slots__:  # protocol probes; a slot not yet set
            raise AttributeError(f"'Tensor' object has no attribute {name!r}", name=name, obj=self)
        raise missing_attribute("torch.Tensor", name, TENSOR_EQUIVALENTS, self)

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def T(self) -> "Tensor":
        """The tensor with its dimensions reversed (the transpose of a matrix)."""
        return ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> "Tensor":
        """Transpose of the last two dimensions (batched matrices)."""
        return ops.transpose(self, -2, -1)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self.array.shape[0]):
            yield self[i]

    def __hash__(self):
        return id(self)

    def __repr__(self) -> str:
        body = np.array2string(backend.to_numpy(self.array), separator=", ", prefix="tensor(")
        extra = []
        if self.dtype != get_default_dtype() and self.dtype.kind == "f" or self.dtype.kind not in "f":
            extra.append(f"dtype={self.dtype}")
        if self.device != "cpu":
            extra.append(f"device='{self.device}'")
        if self._ctx is not None:
            extra.append(f"grad_fn={self._ctx!r}")
        elif self.requires_grad:
            extra.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extra) + ")"

    # ------------------------------------------------------------------ conversion
    # (.float(), .long(), .type(), .new_zeros(), the random fills, ...: gradkit._methods.convert)
    def numpy(self, force: bool = False) -> np.ndarray:
        """The data as a NumPy array: shares memory on the CPU, copied from a GPU.

        Unlike PyTorch this works on a tensor that requires grad (the values, detached);
        ``force`` is accepted for PyTorch programs and changes nothing.
        """
        return backend.to_numpy(self.array)

    def __array__(self, dtype=None, copy=None):
        """NumPy's conversion protocol (``np.asarray(t)``), with NumPy 2's ``copy`` rules.

        ``copy=None`` copies only when needed (a GPU tensor, another dtype), ``copy=True``
        always, ``copy=False`` never: it raises ValueError when a copy would be needed.
        """
        a = backend.to_numpy(self.array)
        moved = backend.is_cupy_array(self.array)  # (a NumPy scalar, from indexing, becomes an array: no copy)
        if dtype is not None and np.dtype(dtype) != a.dtype:
            if copy is False:
                raise ValueError(f"np.asarray(tensor, dtype={np.dtype(dtype)}, copy=False): converting "
                                 f"from {a.dtype} needs a copy")
            return a.astype(dtype)
        if copy is False and moved:
            raise ValueError(f"np.asarray(tensor, copy=False): the tensor is on {self.device}; "
                             "a NumPy array of it needs a copy")
        return a.copy() if copy and not moved else a

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """Export the data as a DLPack capsule (zero-copy), for ``torch.from_dlpack``, ``np.from_dlpack``, ..."""
        kwargs = {k: v for k, v in (("stream", stream), ("max_version", max_version), ("dl_device", dl_device),
                                    ("copy", copy)) if v is not None}
        return self.array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        """``(device_type, device_id)`` of the data, as DLPack names them."""
        return self.array.__dlpack_device__()

    def tolist(self):
        """The data as (nested) Python lists of Python numbers; a 0-d tensor gives a number."""
        return self.numpy().tolist()

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.array.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {tuple(self.shape)}")
        return self.array.reshape(()).item()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, got dtype {self.dtype}")
        return int(self.item())

    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.array.size} elements is ambiguous; use .any() or .all()"
            )
        return bool(self.array.reshape(()).item())

    def detach(self) -> "Tensor":
        """A tensor sharing the data, cut from the graph."""
        return _make(self.array, False, None)

    def clone(self) -> "Tensor":
        """A copy of the data that stays in the graph (its gradient flows back)."""
        return ops.clone(self)

    def to(self, *args, device=None, dtype=None, non_blocking=False, copy=False, memory_format=None) -> "Tensor":
        """Move to a device and/or cast to a dtype, as PyTorch's ``Tensor.to``.

        The result stays in the graph: gradients flow back to the original. The tensor
        itself is returned when nothing changes, unless ``copy=True``.

        Args:
            *args: ``device``, ``dtype``, ``device, dtype`` or another tensor (its device and
                dtype); see :func:`gradkit.backend.parse_to_args`, which ``Module.to`` shares.
            device: ``'cpu'``, ``'cuda'``, ``'cuda:0'`` or a :class:`gradkit.device`.
            dtype: any dtype form (``gk.float64``, ``np.float64``, ``'float64'``).
            non_blocking: accepted for PyTorch programs (copies are synchronous).
            copy: return a new tensor even when nothing changes.
            memory_format: accepted for PyTorch programs (arrays keep their layout).

        Returns:
            The converted tensor.

        Raises:
            TypeError: for arguments that are not a device, a dtype or a tensor (see
                :func:`gradkit.backend.parse_to_args`).
            ValueError: for an unknown device name.

        Example:
            >>> import gradkit as gk
            >>> gk.tensor([1, 2]).to("float64")
            tensor([1., 2.], dtype=float64)
        """
        device, dtype = parse_to_args(args, device, dtype, "Tensor.to")
        out = self
        if dtype is not None and dtype != self.dtype:
            out = ops.cast(out, dtype)
        if device is not None and device != backend.device_of(out.array):
            out = ops.to_device(out, device)
        if copy and out is self:
            out = ops.clone(self)
        return out

    def cpu(self, memory_format=None) -> "Tensor":
        """This tensor on the CPU (itself when it is there already)."""
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False, memory_format=None) -> "Tensor":
        """This tensor on the GPU (needs CuPy); ``device`` may be an index or ``'cuda:N'``."""
        return self.to("cuda" if device is None else backend.device(device))

    # ------------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set ``requires_grad`` in place (only on leaves, only for floating dtypes)."""
        if requires_grad and self.array.dtype.kind not in _FLOAT_KINDS:
            raise RuntimeError(
                f"only floating-point tensors can require gradients, got dtype {self.array.dtype}; "
                "convert first with .float() or create it with dtype=np.float32"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError(
                "requires_grad_(False) is only allowed on leaf tensors; use .detach() for a non-leaf"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after ``backward()``."""
        if self._ctx is None:
            return
        self._retains_grad = True
        self._register_retained()

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned Tensor replaces it.

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        if self._ctx is not None:
            self._register_retained()
        return _HookHandle(self._hooks, hook)

    def _register_retained(self):
        op = self._ctx
        if op._retained is None:
            op._retained = {}
        op._retained[self._out_index] = self

    def backward(self, gradient=None, retain_graph=None, create_graph=False) -> None:
        """Compute the gradient of this tensor with respect to the graph's leaves.

        Args:
            gradient: the upstream gradient; needed unless the tensor has one element.
            retain_graph: keep the graph for another backward (default: ``create_graph``).
            create_graph: record the backward pass for higher-order gradients.

        Raises:
            RuntimeError: for a non-scalar without ``gradient``, a tensor that does not
                require grad, or a graph already freed by an earlier backward.
        """
        from .autograd.engine import backward as _backward

        _backward(self, None if gradient is None else [gradient], retain_graph, create_graph)

    # ------------------------------------------------------------------ in-place (no graph)
    def _check_inplace(self, what):
        from .autograd.grad_mode import _mode

        if _mode.enabled and (self.requires_grad or self._ctx is not None):
            raise RuntimeError(
                f"{what} on a tensor that requires grad would corrupt the graph; do it inside "
                "`with gk.no_grad():` (for parameter updates) or on a detached copy"
            )

    def zero_(self) -> "Tensor":
        self._check_inplace("zero_()")
        self.array[...] = 0
        return self

    def fill_(self, value) -> "Tensor":
        """Set every element to ``value`` (a number or a one-element tensor), in place."""
        self._check_inplace("fill_()")
        if isinstance(value, Tensor):
            if value.array.size != 1:
                raise ShapeError(f"fill_ expects a number or a one-element tensor, got shape {value.shape}")
            value = value.item()
        self.array[...] = value
        return self

    def copy_(self, src, non_blocking=False) -> "Tensor":
        """Copy ``src`` into this tensor in place, broadcasting it, converting dtype and device.

        Raises:
            ShapeError: (a RuntimeError) when ``src`` does not broadcast to this tensor's shape.
        """
        self._check_inplace("copy_()")
        arr = src.array if isinstance(src, Tensor) else src
        if not hasattr(arr, "shape"):
            arr = np.asarray(arr)
        try:
            fits = np.broadcast_shapes(arr.shape, self.array.shape) == self.array.shape
        except ValueError:
            fits = False
        if not fits:
            raise ShapeError(f"copy_: the source of shape {tuple(arr.shape)} cannot be broadcast to the "
                             f"destination's shape {tuple(self.array.shape)}")
        arr = backend.to_device(arr, backend.device_of(self.array))
        self.array[...] = arr.astype(self.array.dtype, copy=False)
        return self

    def add_(self, other, alpha=1) -> "Tensor":
        self._check_inplace("add_()")
        o = other.array if isinstance(other, Tensor) else other
        if alpha != 1:
            o = o * alpha
        self.array += o
        return self

    def sub_(self, other, alpha=1) -> "Tensor":
        return self.add_(other, -alpha)

    def mul_(self, other) -> "Tensor":
        self._check_inplace("mul_()")
        self.array *= other.array if isinstance(other, Tensor) else other
        return self

    def div_(self, other) -> "Tensor":
        self._check_inplace("div_()")
        self.array /= other.array if isinstance(other, Tensor) else other
        return self

    def clamp_(self, min=None, max=None) -> "Tensor":
        self._check_inplace("clamp_()")
        xp = get_array_module(self.array)
        xp.clip(self.array, min, max, out=self.array)
        return self

    def _inplace(self, other, opname, fallback):
        from .autograd.grad_mode import _mode

        if _mode.enabled and self.requires_grad:
            if self._ctx is None:
                raise RuntimeError(
                    f"a leaf tensor that requires grad is used in an in-place operation ({opname}); "
                    "wrap parameter updates in `with gk.no_grad():`"
                )
            return fallback(self, other)  # non-leaf: out of place keeps the graph correct
        o = other.array if isinstance(other, Tensor) else other
        getattr(self.array, opname)(o)
        return self

    def __iadd__(self, other):
        return self._inplace(other, "__iadd__", ops.add)

    def __isub__(self, other):
        return self._inplace(other, "__isub__", ops.sub)

    def __imul__(self, other):
        return self._inplace(other, "__imul__", ops.mul)

    def __itruediv__(self, other):
        return self._inplace(other, "__itruediv__", ops.div)

    def __setitem__(self, index, value) -> None:
        """``x[index] = value`` in place, with PyTorch's indexing rules (see :func:`gradkit.ops.setitem`)."""
        self._check_inplace("item assignment")
        ops.setitem(self, index, value)

    # ------------------------------------------------------------------ operators
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __pow__(self, other):
        return ops.pow(self, other)

    def __rpow__(self, other):
        return ops.pow(other, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    def __getitem__(self, index):
        return ops.getitem(self, index)

    def __lt__(self, other):
        return ops.compare(self, other, "lt")

    def __le__(self, other):
        return ops.compare(self, other, "le")

    def __gt__(self, other):
        return ops.compare(self, other, "gt")

    def __ge__(self, other):
        return ops.compare(self, other, "ge")

    def __eq__(self, other):
        return ops.compare(self, other, "eq")

    def __ne__(self, other):
        return ops.compare(self, other, "ne")

    def __invert__(self):
        return ops.bitwise_not(self)

    def __and__(self, other):
        return ops.bitwise_and(self, other)

    def __rand__(self, other):
        return ops.bitwise_and(other, self)

    def __or__(self, other):
        return ops.bitwise_or(self, other)

    def __ror__(self, other):
        return ops.bitwise_or(other, self)

    def __xor__(self, other):
        return ops.bitwise_xor(self, other)

    def __rxor__(self, other):
        return ops.bitwise_xor(other, self)

    def __lshift__(self, other):
        return ops.bitwise_left_shift(self, other)

    def __rlshift__(self, other):
        return ops.bitwise_left_shift(other, self)

    def __rshift__(self, other):
        return ops.bitwise_right_shift(self, other)

    def __rrshift__(self, other):
        return ops.bitwise_right_shift(other, self)

    def __mod__(self, other):
        return ops.remainder(self, other)

    def __rmod__(self, other):
        return ops.remainder(other, self)

    def __floordiv__(self, other):
        return ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return ops.floor_divide(other, self)

    # in place: the result is written into the array when no graph is recorded through this
    # tensor; a non-leaf that requires grad gets the out-of-place result (see MathMethods._apply_)
    def __ipow__(self, other):
        return self._apply_(ops.pow, "__ipow__", other, fallback=True)

    def __imod__(self, other):
        return self._apply_(ops.remainder, "__imod__", other, fallback=True)

    def __ifloordiv__(self, other):
        return self._apply_(ops.floor_divide, "__ifloordiv__", other, fallback=True)

    def __iand__(self, other):
        return self._apply_(ops.bitwise_and, "__iand__", other, fallback=True)

    def __ior__(self, other):
        return self._apply_(ops.bitwise_or, "__ior__", other, fallback=True)

    def __ixor__(self, other):
        return self._apply_(ops.bitwise_xor, "__ixor__", other, fallback=True)

    def __ilshift__(self, other):
        return self._apply_(ops.bitwise_left_shift, "__ilshift__", other, fallback=True)

    def __irshift__(self, other):
        return self._apply_(ops.bitwise_right_shift, "__irshift__", other, fallback=True)


class _HookHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


# ops import Tensor, so they are bound here, after the class: the methods above (and the
# operators) look ``ops`` up as a module global when they are called, as do the op methods
# mixed in from gradkit._methods.
from . import ops  # noqa: E402

bind_ops(ops)
