"""The errors gradkit raises where PyTorch raises ``RuntimeError``, and its missing-name messages.

A PyTorch program catches ``RuntimeError`` for a shape mismatch, a second backward through a
freed graph or tensors on two devices. gradkit raises the classes below, each a ``RuntimeError``
subclass; the shape and dtype errors are also a ``ValueError`` / ``TypeError``, what gradkit
raised before, so code written against either catches them.

A name that PyTorch has and gradkit does not fails with an ``AttributeError`` that names it
and, where gradkit has an equivalent, says which (:func:`missing_attribute`); the table of such
names is :data:`TENSOR_EQUIVALENTS` (``torch.Tensor.<name>``) and :data:`MODULE_EQUIVALENTS`
(``torch.<name>``).

Examples:
    >>> import gradkit as gk
    >>> try:
    ...     gk.ones(2) + gk.ones(3)
    ... except RuntimeError as e:
    ...     print(type(e).__name__)
    ShapeError
"""

from __future__ import annotations

__all__ = ["DeviceError", "DtypeError", "GraphFreedError", "ShapeError"]

SURFACE_PAGE = "docs/torch_surface.md"


class ShapeError(ValueError, RuntimeError):
    """Shapes that do not fit an op (broadcasting, matmul, reshape, copy_); PyTorch's RuntimeError."""


class DtypeError(TypeError, RuntimeError):
    """A dtype an op or NumPy cannot handle (bfloat16; random fills of integers); PyTorch's RuntimeError."""


class DeviceError(RuntimeError):
    """Tensors on different devices in one op, or a device that is not available."""


class GraphFreedError(RuntimeError):
    """A second backward through a graph whose saved values the first backward freed."""


_KEEPS_LAYOUT = "gradkit arrays keep their layout; memory_format= is accepted and ignored by .to() and .float()"
_NO_STORAGE = ("gradkit tensors have no separate storage object: a tensor is a NumPy/CuPy array "
               "(tensor.array) and views share it")

#: torch.Tensor names gradkit does not have -> what to use instead (or why not).
TENSOR_EQUIVALENTS = {
    "storage": _NO_STORAGE,
    "untyped_storage": _NO_STORAGE,
    "set_": _NO_STORAGE + "; assign t.data = other instead",
    "share_memory_": "gradkit has no shared-memory tensors; DataLoader workers send arrays",
    "is_shared": "gradkit has no shared-memory tensors",
    "pin_memory": "gradkit has no pinned memory; use t (CPU) or t.to('cuda')",
    "is_pinned": "gradkit has no pinned memory",
    "to_sparse": "gradkit has no sparse tensors",
    "to_dense": "gradkit has no sparse tensors; every tensor is dense",
    "coalesce": "gradkit has no sparse tensors",
    "record_stream": "gradkit does not expose CUDA streams",
    "map_": "use gk.tensor(np.vectorize(fn)(t.numpy()))",
    "apply_": "use gk.tensor(np.vectorize(fn)(t.numpy()))",
    "q_scale": "gradkit has no quantized tensors",
    "dequantize": "gradkit has no quantized tensors",
    "int_repr": "gradkit has no quantized tensors",
    "to_mkldnn": "gradkit has no MKL-DNN layout; arrays are NumPy/CuPy",
}

#: torch.<name> names gradkit does not have -> what to use instead (or why not).
MODULE_EQUIVALENTS = {
    "FloatTensor": "use gk.tensor(data, dtype=gk.float32) or t.float()",
    "DoubleTensor": "use gk.tensor(data, dtype=gk.float64) or t.double()",
    "LongTensor": "use gk.tensor(data, dtype=gk.int64) or t.long()",
    "IntTensor": "use gk.tensor(data, dtype=gk.int32) or t.int()",
    "BoolTensor": "use gk.tensor(data, dtype=gk.bool) or t.bool()",
    "ByteTensor": "use gk.tensor(data, dtype=gk.uint8) or t.byte()",
    "HalfTensor": "use gk.tensor(data, dtype=gk.float16) or t.half()",
    "compile": "gradkit has no compiler: it runs NumPy/CuPy kernels eagerly",
    "jit": "gradkit has no JIT: it runs NumPy/CuPy kernels eagerly; save weights with gk.save",
    "inference_mode": "use gk.no_grad()",
    "autocast": "gradkit has no mixed precision: choose a dtype with .to(dtype)",
    "amp": "gradkit has no mixed precision: choose a dtype with .to(dtype)",
    "distributed": "gradkit runs on one process and one device",
    "multiprocessing": "use gradkit.data.DataLoader(num_workers=...)",
    "sparse": "gradkit has no sparse tensors",
    "quantization": "gradkit has no quantized tensors",
    "backends": "gradkit's backend is NumPy (CuPy on a GPU): see gradkit.backend",
    "mps": "gradkit runs on the CPU (NumPy) or a CUDA GPU (CuPy)",
    "xpu": "gradkit runs on the CPU (NumPy) or a CUDA GPU (CuPy)",
    "set_printoptions": "use np.set_printoptions (tensors print through NumPy)",
    "use_deterministic_algorithms": "gradkit's kernels are deterministic on the CPU; seed with gk.manual_seed",
    "initial_seed": "use gk.random.default_generator.initial_seed",
    "seed": "use gk.manual_seed(n) with a chosen n",
    "Size": "gradkit shapes are tuples: t.shape, t.size(), t.size(dim)",
    "set_default_tensor_type": "use gk.set_default_dtype(gk.float64) (and gk.set_default_device('cuda'))",
    "preserve_format": _KEEPS_LAYOUT,
    "contiguous_format": _KEEPS_LAYOUT,
    "channels_last": "gradkit's convolutions use NCHW; memory_format= is accepted and ignored by .to()",
    "Storage": _NO_STORAGE,
    "UntypedStorage": _NO_STORAGE,
}


def missing_attribute(owner: str, name: str, table: dict, obj=None) -> AttributeError:
    """The ``AttributeError`` for ``owner.name`` that gradkit lacks, naming the equivalent if any.

    Args:
        owner: the torch name of the owner, ``'torch'`` or ``'torch.Tensor'``.
        name: the attribute asked for.
        table: :data:`TENSOR_EQUIVALENTS` or :data:`MODULE_EQUIVALENTS`.
        obj: the object looked up (lets Python add its "Did you mean" hint).

    Returns:
        The error, to be raised by the caller.

    Examples:
        >>> str(missing_attribute("torch.Tensor", "storage", TENSOR_EQUIVALENTS)).split(";")[0]
        'gradkit has no torch.Tensor.storage'
    """
    what = "module 'gradkit'" if owner == "torch" else "'Tensor' object"
    hint = table.get(name)
    if name.startswith("__"):  # a protocol probe (hasattr(gk, '__wrapped__')), not a torch name
        msg = f"{what} has no attribute {name!r}"
    elif hint is not None:
        msg = f"gradkit has no {owner}.{name}; {hint}"
    else:
        msg = (f"{what} has no attribute {name!r} (gradkit has no {owner}.{name}; the supported "
               f"torch surface is listed in {SURFACE_PAGE})")
    return AttributeError(msg, name=name, obj=obj)
