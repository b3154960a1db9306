"""dtype names as PyTorch spells them, and the one converter every ``dtype=`` argument goes through.

gradkit's dtypes *are* NumPy dtypes: ``gk.float32`` is ``np.dtype('float32')``, the very object
``tensor.dtype`` returns (NumPy caches its built-in dtypes), so ``t.dtype == gk.float32`` and
``t.dtype is gk.float32`` both hold, and ``gk.float32`` can be passed to NumPy as well. The
torch aliases are here too: ``gk.float`` (float32), ``gk.double``, ``gk.half``, ``gk.long``,
``gk.int``, ``gk.short``, ``gk.cfloat``, ``gk.cdouble``.

``gk.bfloat16`` exists so that code naming it imports, but NumPy has no bfloat16: using it as a
dtype anywhere (``gk.zeros(2, dtype=gk.bfloat16)``, ``np.dtype(gk.bfloat16)``, ``t.to(...)``)
raises :class:`gradkit.errors.DtypeError` saying so.

:func:`as_dtype` accepts every form a user may write: a NumPy dtype, a NumPy scalar type
(``np.float64``), a Python type (``float`` is float64, as in NumPy and PyTorch), a name
(``'float32'``) and a PyTorch dtype (``torch.float32``, read by its name).

Examples:
    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.zeros(2).dtype is gk.float32
    True
    >>> gk.float is gk.float32, gk.long is gk.int64
    (True, True)
    >>> as_dtype("float64") is gk.double
    True
    >>> bool(gk.finfo(gk.float32).eps == np.finfo(np.float32).eps)
    True
"""

from __future__ import annotations

import builtins

import numpy as np

from .errors import DtypeError

float16 = half = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
complex64 = cfloat = np.dtype(np.complex64)
complex128 = cdouble = np.dtype(np.complex128)
uint8 = np.dtype(np.uint8)
uint16 = np.dtype(np.uint16)
uint32 = np.dtype(np.uint32)
uint64 = np.dtype(np.uint64)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
dtype = np.dtype  # torch.dtype: isinstance(gk.float32, gk.dtype) holds

_NO_BFLOAT16 = ("NumPy has no bfloat16, so gradkit cannot make bfloat16 tensors; use gk.float16 (.half()) "
                "for half precision or gk.float32 (.float())")


class _NoNumpyDtype:
    """A torch dtype name NumPy cannot hold: it imports and compares, and any use raises.

    NumPy reads an object's ``dtype`` attribute when it is given as a dtype, so every path that
    turns it into a dtype, gradkit's or NumPy's own, raises the same clear error.
    """

    __slots__ = ("name", "reason")

    def __init__(self, name: str, reason: str):
        self.name, self.reason = name, reason

    @property
    def dtype(self):
        raise DtypeError(self.reason)

    @property
    def itemsize(self):
        raise DtypeError(self.reason)

    is_floating_point = True
    is_complex = False

    def __repr__(self) -> str:
        return f"gradkit.{self.name}"


bfloat16 = _NoNumpyDtype("bfloat16", _NO_BFLOAT16)

_TORCH_PREFIX = "torch."
_TORCH_TYPE_NAMES = {  # Tensor.type() names, as in 'torch.FloatTensor'
    "Float": float32, "Double": float64, "Half": float16, "Long": int64, "Int": int32, "Short": int16,
    "Char": int8, "Byte": uint8, "Bool": bool_, "ComplexFloat": complex64, "ComplexDouble": complex128,
    "UInt16": uint16, "UInt32": uint32, "UInt64": uint64,
}
_TYPE_NAME_OF = {dt: name for name, dt in _TORCH_TYPE_NAMES.items()}


def as_dtype(value, where: str | None = None) -> np.dtype:
    """``value`` as a NumPy dtype: a dtype, scalar type, Python type, name or PyTorch dtype.

    Args:
        value: what the user passed as ``dtype=``.
        where: the caller's name for error messages.

    Returns:
        The ``np.dtype`` (the cached singleton: ``as_dtype('float32') is gk.float32``).

    Raises:
        DtypeError: for ``bfloat16`` (NumPy has none) or anything NumPy cannot read as a dtype.

    Examples:
        >>> as_dtype(float), as_dtype("int64"), as_dtype(np.bool_)
        (dtype('float64'), dtype('int64'), dtype('bool'))
    """
    if type(value) is np.dtype:
        return value
    if isinstance(value, _NoNumpyDtype):
        raise DtypeError(value.reason if where is None else f"{where}: {value.reason}")
    if type(value).__module__ == "torch":  # a torch.dtype: read it by its name
        name = str(value)[len(_TORCH_PREFIX):]
        if name == "bfloat16":
            raise DtypeError(_NO_BFLOAT16 if where is None else f"{where}: {_NO_BFLOAT16}")
        value = name
    try:
        return np.dtype(value)
    except DtypeError:
        raise
    except (TypeError, ValueError) as exc:
        raise DtypeError(
            f"{where or 'dtype'}: {value!r} is not a dtype ({exc}); use gk.float32, gk.int64, gk.bool, ..."
        ) from None


def is_floating(dt) -> builtins.bool:
    """True for a floating dtype (float16/32/64)."""
    return as_dtype(dt).kind == "f"


def type_name(dt: np.dtype, on_cuda: builtins.bool = False) -> str:
    """The legacy type name of ``Tensor.type()``: ``'gradkit.FloatTensor'``, ``'gradkit.cuda.LongTensor'``.

    Examples:
        >>> type_name(np.dtype("float32")), type_name(np.dtype("int64"), on_cuda=True)
        ('gradkit.FloatTensor', 'gradkit.cuda.LongTensor')
    """
    name = _TYPE_NAME_OF.get(np.dtype(dt))
    if name is None:
        raise DtypeError(f"Tensor.type(): dtype {dt} has no legacy tensor type name")
    return f"gradkit.{'cuda.' if on_cuda else ''}{name}Tensor"


def parse_type_name(name: str):
    """``(dtype, on_cuda)`` of a legacy type name (``'torch.FloatTensor'``, ``'gradkit.cuda.LongTensor'``), or None.

    Examples:
        >>> parse_type_name("torch.cuda.DoubleTensor")
        (dtype('float64'), True)
    """
    for prefix in ("gradkit.", "torch."):
        if name.startswith(prefix) and name.endswith("Tensor"):
            rest = name[len(prefix):-len("Tensor")]
            on_cuda = rest.startswith("cuda.")
            dt = _TORCH_TYPE_NAMES.get(rest[len("cuda."):] if on_cuda else rest)
            return None if dt is None else (dt, on_cuda)
    return None


def finfo(type=None):
    """Machine limits of a floating dtype (default: the default dtype), as ``torch.finfo``.

    Returns :class:`numpy.finfo`: ``eps``, ``max``, ``min``, ``tiny``, ``smallest_normal``,
    ``resolution``, ``bits``, ``dtype``.

    Examples:
        >>> import gradkit as gk
        >>> gk.finfo().bits, gk.finfo(gk.float64).bits
        (32, 64)
    """
    if type is None:
        from .backend import get_default_dtype

        type = get_default_dtype()
    dt = as_dtype(type, "finfo")
    if dt.kind not in "fc":
        raise DtypeError(f"finfo expects a floating dtype, got {dt}; use gk.iinfo for integers")
    return np.finfo(dt)


def iinfo(type):
    """Limits of an integer dtype, as ``torch.iinfo``: ``min``, ``max``, ``bits``, ``dtype``.

    Examples:
        >>> import gradkit as gk
        >>> gk.iinfo(gk.int32).max
        2147483647
    """
    dt = as_dtype(type, "iinfo")
    if dt.kind not in "iub":
        raise DtypeError(f"iinfo expects an integer dtype, got {dt}; use gk.finfo for floating dtypes")
    return np.iinfo(np.uint8 if dt.kind == "b" else dt)
