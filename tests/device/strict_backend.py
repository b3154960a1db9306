"""A strict device double: a CuPy stand-in on the CPU that refuses every host/device leak.

gradkit's GPU path is CuPy: each op takes its array module from its inputs
(``backend.get_array_module``) and calls it NumPy-style. Code written that way breaks on a GPU
in a few places only, and this double breaks in exactly those places, on any machine:

* its arrays are their own type (:class:`DeviceArray`), not ``numpy.ndarray``
  (``isinstance(x, np.ndarray)`` is False, as for a CuPy array);
* implicit conversion to NumPy is refused with CuPy's ``TypeError``: ``np.asarray(x)``,
  ``x.__array__()``, a NumPy function or ufunc called on it (``np.exp(x)``, ``np.sum(x)``);
* a NumPy array meeting a device array in one op (``x + host``, ``xp.add(x, host)``,
  ``x[...] = host``, ``xp.stack([x, host])``) is refused, as CuPy refuses it;
* the way back is explicit: ``x.get()`` / :func:`asnumpy`; scalars through ``x.item()``
  (``float(x)``/``int(x)``/``bool(x)`` of a one-element array work, as in CuPy: a sync, not a leak);
* the way there is explicit too: :func:`asarray` / :func:`array` accept host data.

It is a thin wrapper over NumPy: :data:`xp` (this module, as ``import strict_backend as xp``)
exposes NumPy's namespace through :func:`__getattr__`, unwrapping device arguments, refusing host
arrays and wrapping results (NumPy scalars from reductions become 0-d device arrays, as CuPy
returns them); ``random``, ``linalg`` and ``lib.stride_tricks`` are wrapped the same way.
Every NumPy call runs under ``np.errstate(all="ignore")``: a GPU never warns on overflow.

:func:`install` makes it what ``'cuda'`` means to gradkit (through
``gradkit.backend.register_cuda_module``); :func:`uninstall` gives ``'cuda'`` back to CuPy.
"""

from __future__ import annotations

import sys
import types

import numpy as np

_NP = np


# NumPy names CuPy does not have: code that reaches for them on a device array is a GPU bug.
_MISSING_ON_CUPY = frozenset({"errstate", "seterr", "geterr", "frompyfunc", "nditer", "ndenumerate", "set_printoptions",
                              "ctypeslib", "memmap", "fromfile", "save", "load", "savez", "loadtxt", "genfromtxt"})


#: Explicit crossings counted since the last :func:`reset_transfers`: ``to_host`` (``.get()``,
#: ``asnumpy``), ``to_device`` (host data uploaded by ``asarray``/``array`` or as an index) and
#: ``scalars`` (``.item()``, ``float(x)``: a sync). The device suite asserts hot paths make none.
transfers = {"to_host": 0, "to_device": 0, "scalars": 0}


def reset_transfers() -> dict:
    """Zero the counters of explicit host/device crossings; returns the dict that counts them."""
    for k in transfers:
        transfers[k] = 0
    return transfers


class _Device:
    """``cupy.cuda.Device`` as far as gradkit reads it: ``id``, ``synchronize()``, ``use()``."""

    id = 0

    def synchronize(self):
        return None

    def use(self):
        return None

    def __int__(self):
        return self.id

    def __repr__(self):
        return "<CUDA Device 0 (strict double)>"


_DEVICE0 = _Device()

# ndarray attributes NumPy has and CuPy does not: reaching for one on a device array is a GPU bug.
_HOST_ONLY_ATTRS = frozenset({"ctypes", "data", "tofile", "dump", "dumps", "__array_interface__", "__array_struct__",
                              "setflags", "byteswap", "itemset", "getfield", "setfield", "resize", "newbyteorder"})


def _refuse_host(where: str):
    return TypeError(
        f"Unsupported type <class 'numpy.ndarray'> in {where}: a host (NumPy) array met a device array "
        "(CuPy refuses implicit host/device mixing; copy with xp.asarray(...) or .get() first)"
    )


class DeviceArray:
    """An array "on the device": a NumPy array behind a wall that only explicit copies cross."""

    __slots__ = ("_a", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, a: np.ndarray):
        self._a = a

    # ---------------------------------------------------------------- the wall
    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly."
        )

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs and any(isinstance(v, np.generic) for v in inputs):
            # a NumPy scalar's operator (np.float32(1) - x): CuPy takes it over; a scalar is no leak
            with np.errstate(all="ignore"):
                return _wrap(ufunc(*_unwrap(inputs, ufunc.__name__)))
        raise TypeError(
            f"NumPy ufunc {ufunc.__name__}.{method} called on a device array: use the array module of the "
            "inputs (backend.get_array_module) instead of numpy"
        )

    def __array_function__(self, func, types_, args, kwargs):
        raise TypeError(
            f"NumPy function {func.__name__} called on a device array: use the array module of the inputs "
            "(backend.get_array_module) instead of numpy"
        )

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    # ---------------------------------------------------------------- explicit copies back
    def get(self, stream=None, order="C", out=None) -> np.ndarray:
        """A host copy (CuPy's ``ndarray.get``)."""
        transfers["to_host"] += 1
        return np.array(self._a, copy=True, order=order)

    def item(self, *args):
        transfers["scalars"] += 1
        return self._a.item(*args)

    def tolist(self):
        transfers["to_host"] += 1
        return self._a.tolist()

    def __float__(self):
        transfers["scalars"] += 1
        return float(self._a)

    def __int__(self):
        transfers["scalars"] += 1
        return int(self._a)

    def __bool__(self):
        transfers["scalars"] += 1
        return bool(self._a)

    def __complex__(self):
        return complex(self._a)

    def __len__(self):
        return len(self._a)

    def __repr__(self):
        return f"DeviceArray({self._a!r})"

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a.item() if self._a.size == 1 else self._a, spec)

    def __reduce__(self):
        raise TypeError("a device array cannot be pickled by gradkit (no pickle)")

    # ---------------------------------------------------------------- everything else is NumPy's, wrapped
    def __getattr__(self, name):
        if name in _HOST_ONLY_ATTRS:
            raise AttributeError(f"'cupy.ndarray' object has no attribute {name!r} (a NumPy-only attribute)")
        value = getattr(self._a, name)
        return _wrap_callable(value, f"ndarray.{name}") if callable(value) else _wrap(value)

    @property
    def device(self):
        """CuPy's ``ndarray.device``: the GPU holding the array (the double has one, id 0)."""
        return _DEVICE0

    @property
    def flags(self):
        """CuPy's flags: ``c_contiguous``, ``f_contiguous`` and ``owndata`` only (no ``writeable``)."""
        f = self._a.flags
        return types.SimpleNamespace(c_contiguous=f.c_contiguous, f_contiguous=f.f_contiguous, owndata=f.owndata)

    @property
    def T(self):
        return DeviceArray(self._a.T)

    @property
    def real(self):
        return DeviceArray(self._a.real)

    @property
    def imag(self):
        return DeviceArray(self._a.imag)

    @property
    def flat(self):
        raise AttributeError("device arrays have no .flat iterator here (use ravel())")

    @property
    def base(self):
        b = self._a.base
        return None if b is None else DeviceArray(b) if isinstance(b, np.ndarray) else None

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap_index(key)])

    def __setitem__(self, key, value):
        with np.errstate(all="ignore"):
            self._a[_unwrap_index(key)] = _unwrap(value, "__setitem__")

    def __copy__(self):
        return DeviceArray(self._a.copy())

    def __deepcopy__(self, memo):
        return DeviceArray(self._a.copy())


def _binary(name):
    def op(self, other):
        o = _unwrap(other, name)
        with np.errstate(all="ignore"):
            return _wrap(getattr(self._a, name)(o))

    op.__name__ = name
    return op


def _unary(name):
    def op(self):
        with np.errstate(all="ignore"):
            return _wrap(getattr(self._a, name)())

    op.__name__ = name
    return op


for _n in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor", "lshift",
           "rshift", "divmod"):
    for _p in ("__{}__", "__r{}__", "__i{}__"):
        _dn = _p.format(_n)
        if hasattr(np.ndarray, _dn):
            setattr(DeviceArray, _dn, _binary(_dn))
for _dn in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
    setattr(DeviceArray, _dn, _binary(_dn))
for _dn in ("__neg__", "__pos__", "__abs__", "__invert__"):
    setattr(DeviceArray, _dn, _unary(_dn))
DeviceArray.__hash__ = None


def _inplace(name):
    def op(self, other):
        o = _unwrap(other, name)
        with np.errstate(all="ignore"):
            getattr(self._a, name)(o)
        return self

    op.__name__ = name
    return op


for _n in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor", "lshift", "rshift"):
    setattr(DeviceArray, f"__i{_n}__", _inplace(f"__i{_n}__"))


# ---------------------------------------------------------------------- wrapping and unwrapping
def _unwrap(x, where: str, allow_host: bool = False):
    """``x`` with every device array replaced by its NumPy array; a host array is refused
    (unless ``allow_host``: the explicit uploads ``xp.asarray``/``xp.array``)."""
    t = type(x)
    if t is DeviceArray:
        return x._a
    if t is np.ndarray or isinstance(x, np.ndarray):
        if allow_host:
            transfers["to_device"] += 1
            return x
        raise _refuse_host(where)
    if t is list or t is tuple:
        return t(_unwrap(v, where, allow_host) for v in x)
    if t is dict:
        return {k: _unwrap(v, where, allow_host) for k, v in x.items()}
    return x


def _unwrap_index(key):
    """An index: device arrays unwrapped; host index arrays and lists are uploaded, as CuPy does
    (``_prepare_slice_list`` converts "list/NumPy arrays to cupy.ndarray")."""
    return _unwrap(key, "__getitem__/__setitem__ index", allow_host=True)


def _wrap(value, outs=None):
    t = type(value)
    if t is np.ndarray:
        if outs:
            for o in outs:
                if o._a is value:
                    return o
        return DeviceArray(value)
    if isinstance(value, np.generic):
        return DeviceArray(np.asarray(value))
    if isinstance(value, (np.random.Generator, np.random.RandomState)):
        return _Namespace("random.Generator", value)
    if t is tuple or t is list or (isinstance(value, tuple) and hasattr(value, "_fields")):
        return tuple(_wrap(v, outs) for v in value) if t is not list else [_wrap(v, outs) for v in value]
    return value


def _wrap_callable(fn, where: str):
    def call(*args, **kwargs):
        outs = [v for v in kwargs.values() if type(v) is DeviceArray] if "out" in kwargs else None
        a = _unwrap(args, where)
        k = _unwrap(kwargs, where)
        with np.errstate(all="ignore"):
            return _wrap(fn(*a, **k), outs)

    call.__name__ = getattr(fn, "__name__", where)
    call.__wrapped__ = fn
    return call


class _Ufunc:
    """A NumPy ufunc behind the wall, with its methods (``add.at``, ``maximum.reduce``)."""

    def __init__(self, uf):
        self._uf = uf
        self.__name__ = uf.__name__

    def __call__(self, *args, **kwargs):
        return _wrap_callable(self._uf, self.__name__)(*args, **kwargs)

    def at(self, a, indices, b=None):
        """``ufunc.at``: the indices are an index (host index arrays are uploaded, as CuPy's scatter does)."""
        args = (_unwrap(a, f"{self.__name__}.at"), _unwrap_index(indices))
        if b is not None:
            args += (_unwrap(b, f"{self.__name__}.at"),)
        with np.errstate(all="ignore"):
            self._uf.at(*args)

    def __getattr__(self, name):
        value = getattr(self._uf, name)
        return _wrap_callable(value, f"{self.__name__}.{name}") if callable(value) else value


class _Namespace(types.ModuleType):
    """A wrapped NumPy submodule (``random``, ``linalg``, ``lib``, ``lib.stride_tricks``, ``fft``) or
    random generator (``xp.random.default_rng()`` draws device arrays, as CuPy's does)."""

    def __init__(self, name, target):
        super().__init__(name)
        self._target = target

    def __getattr__(self, name):
        value = getattr(self._target, name)
        return _wrap_any(value, f"{self.__name__}.{name}")


def _wrap_any(value, where: str):
    if isinstance(value, np.ufunc):
        return _Ufunc(value)
    if isinstance(value, types.ModuleType):
        return _Namespace(where, value)
    if isinstance(value, type) or not callable(value):
        return value  # dtypes and scalar types (xp.float32), constants (xp.pi, xp.newaxis)
    return _wrap_callable(value, where)


_cache: dict = {}


def __getattr__(name):
    """NumPy's namespace, behind the wall: ``xp.zeros``, ``xp.matmul``, ``xp.linalg.svd``..."""
    if name.startswith("__"):
        raise AttributeError(name)
    if name in _MISSING_ON_CUPY:
        raise AttributeError(f"module 'cupy' has no attribute {name!r} (CuPy lacks numpy.{name})")
    hit = _cache.get(name)
    if hit is not None:
        return hit
    if name == "ndarray":
        return DeviceArray
    wrapped = _wrap_any(getattr(np, name), name)
    _cache[name] = wrapped
    return wrapped


def asnumpy(a, stream=None, order="C", out=None) -> np.ndarray:
    """A host copy of ``a`` (``cupy.asnumpy``); host data passes through as in CuPy."""
    return a.get() if type(a) is DeviceArray else np.asarray(a, order=order)


def get_array_module(*args):
    """This module when any argument is a device array, else NumPy (``cupy.get_array_module``)."""
    return sys.modules[__name__] if any(type(a) is DeviceArray for a in args) else np


def array(obj, dtype=None, copy=True, order="K", ndmin=0):
    """``cupy.array``: host data (NumPy arrays, lists, scalars) is copied onto the device."""
    if type(obj) is DeviceArray:
        return DeviceArray(np.array(obj._a, dtype=dtype, copy=copy, order=order, ndmin=ndmin))
    host = _unwrap(obj, "array", allow_host=True)
    if not isinstance(obj, np.ndarray):
        transfers["to_device"] += 1  # a list or scalar (an ndarray was counted by _unwrap)
    out = np.array(host, dtype=dtype, copy=True, order=order, ndmin=ndmin)
    if out.dtype.kind in "OUSVMm":  # CuPy has numbers and booleans only
        raise ValueError(f"Unsupported dtype {out.dtype}")
    return DeviceArray(out)


def asarray(a, dtype=None, order=None):
    """``cupy.asarray``: a device array is returned as is (cast when asked); host data is copied over."""
    if type(a) is DeviceArray:
        return a if dtype is None or a._a.dtype == np.dtype(dtype) else DeviceArray(a._a.astype(dtype))
    return array(a, dtype=dtype, order=order or "K")


asanyarray = asarray


def ascontiguousarray(a, dtype=None):
    """``cupy.ascontiguousarray``: device arrays only (host data goes through :func:`asarray`)."""
    if type(a) is not DeviceArray:
        raise TypeError(f"ascontiguousarray expects a device array, got {type(a).__name__}")
    return DeviceArray(np.ascontiguousarray(a._a, dtype=dtype))


# ---------------------------------------------------------------------- gradkit registration
def install():
    """Make ``'cuda'`` mean this double in gradkit (tensors, modules, checkpoints, errors)."""
    from gradkit import backend

    backend.register_cuda_module(sys.modules[__name__], DeviceArray)


def uninstall():
    """Give ``'cuda'`` back to CuPy."""
    from gradkit import backend

    backend.register_cuda_module(None)
