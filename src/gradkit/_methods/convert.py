"""Creation, conversion and in-place random fills as Tensor methods (new_zeros, type, float, normal_, ...).

Mixed into :class:`gradkit.Tensor`. Each method that has a function of the same name in
:mod:`gradkit.ops` is one plain call of it, with the same signature;
tests/core/test_tensor_methods.py checks that the signatures match. The ``new_*`` methods are
:mod:`gradkit.creation`'s factories with this tensor's dtype and device as defaults; the
random fills draw from gradkit's generator (:func:`gradkit.manual_seed`) in float64 on the CPU,
then cast and move, and follow the in-place rules of ``Tensor._check_inplace``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for the annotations only: Tensor is built from these mixins
    from ..tensor import Tensor

import numpy as np

from .. import backend
from ..dtypes import as_dtype, bfloat16, parse_type_name, type_name
from ..errors import DtypeError
from ..random import get_generator

# gradkit.ops imports Tensor, which is built from this class, so the module is bound here by
# gradkit.tensor once both exist (see _methods.bind_ops); methods look it up when called.
ops: Any = None

_MANTISSA = {"e": 11, "f": 24, "d": 53}  # random_() with no bounds: [0, 2**digits] for floats, as in PyTorch


def _creation():
    from .. import creation  # a sibling of tensor in the layer stack, imported on first use

    return creation


class ConvertMethods:
    """Mixed into :class:`gradkit.Tensor`."""

    __slots__ = ()
    array: Any  # the Tensor's storage (a slot of Tensor)

    # ------------------------------------------------------------------ new_* (this tensor's dtype and device)
    def _new_defaults(self, dtype, device):
        return (self.dtype if dtype is None else dtype), (self.device if device is None else device)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """Zeros of ``size`` with this tensor's dtype and device unless given (``new_zeros(2, 3)`` or ``((2, 3))``)."""
        dtype, device = self._new_defaults(dtype, device)
        return _creation().zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """Ones of ``size`` with this tensor's dtype and device unless given."""
        dtype, device = self._new_defaults(dtype, device)
        return _creation().ones(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """As :meth:`new_zeros` (gradkit's ``empty`` is zeros)."""
        dtype, device = self._new_defaults(dtype, device)
        return _creation().empty(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        """``fill_value`` in a tensor of ``size`` with this tensor's dtype and device unless given."""
        dtype, device = self._new_defaults(dtype, device)
        return _creation().full(size, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A copy of ``data`` with this tensor's dtype and device unless given (as ``torch.Tensor.new_tensor``)."""
        dtype, device = self._new_defaults(dtype, device)
        return _creation().tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)

    # ------------------------------------------------------------------ dtype conversion
    def type(self, dtype=None, non_blocking=False):
        """Without ``dtype``: the type name (``'gradkit.FloatTensor'``); with one: the tensor cast to it.

        ``dtype`` may be any dtype form or a legacy type name, ``'torch.FloatTensor'`` or
        ``'gradkit.cuda.LongTensor'`` (which moves the tensor, too).
        """
        if dtype is None:
            return type_name(self.dtype, backend.device_of(self.array) == "cuda")
        if isinstance(dtype, str):
            parsed = parse_type_name(dtype)
            if parsed is not None:
                return self.to("cuda" if parsed[1] else "cpu", parsed[0])
        return self.to(as_dtype(dtype, "Tensor.type"))

    def astype(self, dtype):
        """NumPy's name for :meth:`type` with a dtype."""
        return self.to(as_dtype(dtype, "Tensor.astype"))

    def float(self, memory_format=None):
        """This tensor as float32 (``self.to(gk.float32)``)."""
        return self.to(np.float32)

    def double(self, memory_format=None):
        """This tensor as float64."""
        return self.to(np.float64)

    def half(self, memory_format=None):
        """This tensor as float16."""
        return self.to(np.float16)

    def bfloat16(self, memory_format=None):
        """Always raises: NumPy has no bfloat16 (use :meth:`half` or :meth:`float`)."""
        return self.to(as_dtype(bfloat16, "Tensor.bfloat16"))

    def long(self, memory_format=None):
        """This tensor as int64."""
        return self.to(np.int64)

    def int(self, memory_format=None):
        """This tensor as int32."""
        return self.to(np.int32)

    def short(self, memory_format=None):
        """This tensor as int16."""
        return self.to(np.int16)

    def char(self, memory_format=None):
        """This tensor as int8."""
        return self.to(np.int8)

    def byte(self, memory_format=None):
        """This tensor as uint8."""
        return self.to(np.uint8)

    def bool(self, memory_format=None):
        """This tensor as bool."""
        return self.to(np.bool_)

    def cfloat(self, memory_format=None):
        """This tensor as complex64."""
        return self.to(np.complex64)

    def cdouble(self, memory_format=None):
        """This tensor as complex128."""
        return self.to(np.complex128)

    # ------------------------------------------------------------------ dtype and memory questions
    def is_floating_point(self):
        """True for a floating dtype (float16/32/64)."""
        return self.array.dtype.kind == "f"

    def is_complex(self):
        """True for a complex dtype."""
        return self.array.dtype.kind == "c"

    def is_signed(self):
        """True unless the dtype is unsigned or bool."""
        return self.array.dtype.kind not in "ub"

    def type_as(self, other):
        """This tensor cast to ``other``'s dtype (``self.to(other.dtype)``)."""
        return self.to(other.dtype)

    def get_device(self):
        """The GPU index of a CUDA tensor, -1 on the CPU (as PyTorch)."""
        index = self.device.index
        return -1 if backend.device_of(self.array) == "cpu" else (0 if index is None else index)

    def ndimension(self):
        """The number of dimensions (``dim()``)."""
        return self.array.ndim

    def nelement(self):
        """The number of elements (``numel()``)."""
        return int(self.array.size)

    @property
    def is_sparse(self):
        """False: gradkit tensors are dense."""
        return False

    @property
    def is_quantized(self):
        """False: gradkit has no quantized tensors."""
        return False

    @property
    def is_meta(self):
        """False: gradkit tensors always hold data."""
        return False

    def is_inference(self):
        """False: gradkit has no inference mode (use ``gk.no_grad()``)."""
        return False

    def element_size(self):
        """Bytes per element (``itemsize``)."""
        return self.array.dtype.itemsize

    @property
    def itemsize(self):
        """Bytes per element."""
        return self.array.dtype.itemsize

    @property
    def nbytes(self):
        """Bytes of the elements (``numel() * itemsize``)."""
        return self.array.nbytes

    def data_ptr(self):
        """The address of the first element (equal for tensors that share memory from the same start)."""
        return _address(self.array)

    def storage_offset(self):
        """Elements between the start of the underlying buffer and this view's first element."""
        if isinstance(self.array, np.generic):
            return 0
        root = self.array
        while isinstance(getattr(root, "base", None), type(self.array)):
            root = root.base
        return (_address(self.array) - _address(root)) // self.array.dtype.itemsize

    # ------------------------------------------------------------------ in-place random fills
    def _fill_random(self, what, draw, floating=True):
        """Fill with ``draw(numpy_generator, shape)`` (float64 or int64), cast to this dtype."""
        self._check_inplace(f"{what}()")
        if floating and self.array.dtype.kind != "f":
            raise DtypeError(f"{what}() needs a floating tensor, got dtype {self.array.dtype}")
        vals = np.asarray(draw(self.array.shape)).astype(self.array.dtype, copy=False)
        self.array[...] = backend.to_device(vals, backend.device_of(self.array))
        return self

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        """Fill in place with uniform samples on ``[a, b)``."""
        return self._fill_random("uniform_", lambda s: get_generator(generator).uniform(a, b, size=s))

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fill in place with normal samples of ``mean`` and ``std``."""
        return self._fill_random("normal_", lambda s: get_generator(generator).normal(mean, std, size=s))

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fill in place with 1 with probability ``p`` (a number or a tensor of probabilities), else 0."""
        prob = backend.to_numpy(p.array) if hasattr(p, "array") else p
        if np.any((np.asarray(prob) < 0) | (np.asarray(prob) > 1)):
            raise ValueError("bernoulli_: p must be in [0, 1]")
        return self._fill_random("bernoulli_", lambda s: get_generator(generator).random(s) < prob, floating=False)

    def exponential_(self, lambd=1.0, *, generator=None):
        """Fill in place with exponential samples of rate ``lambd``."""
        if lambd <= 0:
            raise ValueError(f"exponential_ expects lambd > 0, got {lambd}")
        return self._fill_random("exponential_", lambda s: get_generator(generator).exponential(1.0 / lambd, s))

    def geometric_(self, p, *, generator=None):
        """Fill in place with the number of Bernoulli(``p``) trials up to the first success (1, 2, ...)."""
        if not 0 < p < 1:
            raise ValueError(f"geometric_ expects 0 < p < 1, got {p}")
        return self._fill_random("geometric_", lambda s: get_generator(generator).geometric(p, s), floating=False)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        """Fill in place with ``exp(N(mean, std))`` samples."""
        return self._fill_random("log_normal_", lambda s: get_generator(generator).lognormal(mean, std, s))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        """Fill in place with Cauchy samples of ``median`` and scale ``sigma``."""
        return self._fill_random("cauchy_",
                                 lambda s: median + sigma * get_generator(generator).standard_cauchy(s))

    def random_(self, *bounds, generator=None):
        """Fill in place with integers from ``[from, to)``: ``random_()``, ``random_(to)``, ``random_(from, to)``.

        Without bounds the range is ``[0, 2**mantissa]`` for floats and ``[0, max]`` for integers, as in PyTorch.
        """
        dt = self.array.dtype
        if len(bounds) > 2:
            raise TypeError(f"random_ takes at most 2 bounds (from, to), got {len(bounds)}")
        if len(bounds) == 2:
            low, high = bounds
        elif len(bounds) == 1:
            low, high = 0, bounds[0]
        elif dt.kind == "b":
            low, high = 0, 2
        else:
            low = 0
            high = 2 ** _MANTISSA[dt.char] + 1 if dt.kind == "f" else int(np.iinfo(dt).max) + 1
        if high <= low:
            raise ValueError(f"random_ expects from < to, got from={low}, to={high}")
        return self._fill_random("random_", lambda s: get_generator(generator).integers(low, high, s), floating=False)


def _address(arr) -> int:
    """The address of an array's first element (NumPy or CuPy)."""
    if isinstance(arr, (np.ndarray, np.generic)):  # (a NumPy scalar owns its one element)
        return np.asarray(arr).__array_interface__["data"][0] if isinstance(arr, np.generic) else \
            arr.__array_interface__["data"][0]
    return int(arr.data.ptr)
