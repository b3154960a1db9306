"""Lazy modules: ``LazyLinear``, ``LazyConv1d/2d``, ``LazyBatchNorm1d/2d`` (``torch.nn`` names).

A lazy module leaves its input size out: it is inferred from the first input. Until then its
parameters (and batch norm's running statistics) are :class:`UninitializedParameter` /
:class:`UninitializedBuffer` placeholders that know their dtype and device but have no shape;
reading their values or shape raises a clear ``RuntimeError`` (as PyTorch's). The first call
builds the ordinary layer (``Linear``, ``Conv2d``...) with the inferred size, *fills the same
parameter objects* with its freshly initialized values and turns the lazy module into that
class, so ``get_config``, ``state_dict``, ``repr`` and ``summary`` are the ordinary layer's
from then on. Because the parameter objects stay the same, an optimizer built before the first
call keeps working (as in PyTorch), as long as it does not read values before it.

``to(dtype)``/``to(device)`` before the first call set the dtype and device the parameters will
have. ``load_state_dict`` into a lazy module takes the shapes from the checkpoint; the first call
then keeps those values.

Example:
    >>> import gradkit as gk
    >>> net = gk.nn.Sequential(gk.nn.LazyLinear(8), gk.nn.ReLU(), gk.nn.LazyLinear(2))
    >>> net(gk.ones(3, 5)).shape
    (3, 2)
    >>> net[0]
    Linear(in_features=5, out_features=8, bias=True)
"""

from __future__ import annotations

import numpy as np

from ..backend import get_default_dtype
from ..tensor import Tensor
from .conv import Conv1d, Conv2d
from .layers import Linear
from .module import Module, Parameter
from .normalization import BatchNorm1d, BatchNorm2d

__all__ = [
    "UninitializedParameter", "UninitializedBuffer", "LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d",
    "LazyBatchNorm1d", "LazyBatchNorm2d",
]

_SLOT = Tensor.array  # the raw-array slot of every Tensor


def _uninit_error(what):
    return RuntimeError(
        f"Can't use an uninitialized {what} (of a lazy module such as LazyLinear): its shape is inferred at the "
        "module's first call. Call the model once on a batch (a dry run) before reading parameters, counting "
        "them or building anything that needs their values."
    )


class _Uninitialized:
    """What the two placeholder classes share: a shapeless stand-in until :meth:`materialize`."""

    __slots__ = ()
    _uninitialized = True
    cls_to_become = Tensor

    @property
    def array(self):
        raise _uninit_error("parameter or buffer")

    @array.setter
    def array(self, value):
        _SLOT.__set__(self, value)

    @property
    def placeholder(self):
        """The empty array that carries the future dtype and device."""
        return _SLOT.__get__(self)

    @placeholder.setter
    def placeholder(self, value):
        _SLOT.__set__(self, value)

    @property
    def dtype(self):
        """The dtype the values will have (known before the shape, as in PyTorch)."""
        return self.placeholder.dtype

    @property
    def device(self) -> str:
        """The device the values will live on."""
        from .. import backend

        return backend.device_of(self.placeholder)

    def requires_grad_(self, requires_grad: bool = True):
        """Set ``requires_grad`` (allowed before the shape is known); returns self."""
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        return self

    def materialize(self, array) -> None:
        """Take ``array`` (cast to the placeholder's dtype and device) and become an ordinary tensor."""
        from .. import backend

        ph = self.placeholder
        arr = backend.to_device(np.asarray(array) if not hasattr(array, "dtype") else array, backend.device_of(ph))
        if arr.dtype != ph.dtype:
            arr = arr.astype(ph.dtype)
        _SLOT.__set__(self, arr)
        self.__class__ = self.cls_to_become

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class UninitializedParameter(_Uninitialized, Parameter):
    """A parameter whose shape is not known yet (``torch.nn.UninitializedParameter``).

    Args:
        requires_grad: whether the parameter will be trained (default True).
        dtype: its future dtype (default ``gk.get_default_dtype()``).

    Example:
        >>> p = gk.nn.UninitializedParameter()
        >>> p.materialize(gk.zeros(2).array); type(p).__name__, p.shape
        ('Parameter', (2,))
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, dtype=None):
        Parameter.__init__(self, np.empty((0,), dtype=np.dtype(dtype) if dtype is not None else get_default_dtype()),
                           False)
        self.requires_grad = bool(requires_grad)  # set directly: requires_grad_() would read the values


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer whose shape is not known yet (``torch.nn.UninitializedBuffer``).

    Args:
        requires_grad: default False.
        dtype: its future dtype (default ``gk.get_default_dtype()``).
    """

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, dtype=None):
        Tensor.__init__(self, np.empty((0,), dtype=np.dtype(dtype) if dtype is not None else get_default_dtype()))
        self.requires_grad = bool(requires_grad)


class LazyModuleMixin:
    """Infers the missing size at the first call and becomes ``cls_to_become`` (see the module docstring)."""

    cls_to_become = None

    def _lazy_setup(self, kwargs: dict) -> None:
        object.__setattr__(self, "_lazy_kwargs", kwargs)
        object.__setattr__(self, "_lazy_handle", self.register_forward_pre_hook(_infer_hook))

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer of this module still waits for its shape."""
        stores = list(self._parameters.values()) + list(self._buffers.values())
        return any(getattr(t, "_uninitialized", False) for t in stores)

    def _infer_size(self, x) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def initialize_parameters(self, *args) -> None:
        """Build the ordinary layer for the first input ``args[0]`` and take over its parameters."""
        x = args[0]
        if not isinstance(x, Tensor):
            x = Tensor(x)
        size = self._infer_size(x)
        probe = next((t for t in list(self._parameters.values()) + list(self._buffers.values())
                      if getattr(t, "_uninitialized", False)), None)
        kwargs = dict(self._lazy_kwargs)
        if probe is not None:
            kwargs["dtype"] = probe.placeholder.dtype
        real = self.cls_to_become(size, **kwargs)
        if probe is not None:
            from .. import backend

            real.to(device=backend.device_of(probe.placeholder))
        for store, real_store in ((self._parameters, real._parameters), (self._buffers, real._buffers)):
            for name, t in store.items():
                if getattr(t, "_uninitialized", False):
                    t.materialize(real_store[name].array)
                elif t is not None and name in real_store and tuple(t.shape) != tuple(real_store[name].shape):
                    raise RuntimeError(
                        f"{type(self).__name__}: the loaded {name} has shape {tuple(t.shape)}, but the first input "
                        f"gives {tuple(real_store[name].shape)}"
                    )
        keep = {"_parameters", "_buffers", "_modules", "_forward_pre_hooks", "_forward_hooks",
                "_forward_hooks_with_kwargs", "_backward_pre_hooks", "_backward_hooks", "training",
                "_non_persistent_buffers"}
        for k, v in real.__dict__.items():
            if k not in keep:
                object.__setattr__(self, k, v)
        self._lazy_handle.remove()
        for k in ("_lazy_handle", "_lazy_kwargs"):
            self.__dict__.pop(k, None)
        self.__class__ = self.cls_to_become


def _infer_hook(module, args):
    module.initialize_parameters(*args)


def _placeholders(module, bias: bool, dtype, names=("weight", "bias")):
    module.weight = UninitializedParameter(dtype=dtype)
    if bias:
        module.bias = UninitializedParameter(dtype=dtype)
    else:
        module.register_parameter("bias", None)


def _move(module, device):
    if device is not None:
        module.to(device=device)


class LazyLinear(LazyModuleMixin, Module):
    """:class:`~gradkit.nn.Linear` whose ``in_features`` is inferred from the first input's last dimension.

    Args:
        out_features: size of each output's last dimension.
        bias: learn an additive bias (default True).
        device: where the parameters will live.
        dtype: parameter dtype (default ``gk.get_default_dtype()``).

    Example:
        >>> lin = gk.nn.LazyLinear(4)
        >>> lin(gk.ones(2, 7)).shape, lin.weight.shape
        ((2, 4), (4, 7))
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = 0, int(out_features)
        _placeholders(self, bias, dtype)
        self._lazy_setup({"out_features": int(out_features), "bias": bool(bias)})
        _move(self, device)

    def _infer_size(self, x) -> int:
        if x.ndim == 0:
            raise ValueError("LazyLinear: the first input needs at least one dimension (its features)")
        return x.shape[-1]

    def extra_repr(self) -> str:
        return f"in_features=0, out_features={self.out_features}, bias={self.bias is not None}"


class _LazyConvNd(LazyModuleMixin, Module):
    _nd = 2

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1,
                 bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__()
        self.in_channels, self.out_channels = 0, int(out_channels)
        _placeholders(self, bias, dtype)
        self._lazy_setup({"out_channels": int(out_channels), "kernel_size": kernel_size, "stride": stride,
                          "padding": padding, "dilation": dilation, "groups": groups, "bias": bool(bias),
                          "padding_mode": padding_mode})
        _move(self, device)

    def _infer_size(self, x) -> int:
        if x.ndim not in (self._nd + 1, self._nd + 2):
            raise ValueError(
                f"{type(self).__name__}: expected a {self._nd + 2}-D input (or {self._nd + 1}-D without the batch), "
                f"got shape {tuple(x.shape)}"
            )
        return x.shape[-self._nd - 1]

    def extra_repr(self) -> str:
        return f"0, {self.out_channels}, kernel_size={self._lazy_kwargs['kernel_size']}"


class LazyConv1d(_LazyConvNd):
    """:class:`~gradkit.nn.Conv1d` whose ``in_channels`` is inferred from the first input.

    Args:
        out_channels: number of filters.
        kernel_size: kernel length.
        stride: step (default 1).
        padding: int, ``'valid'`` or ``'same'``.
        dilation: spacing of the kernel taps.
        groups: blocked connections (default 1).
        bias: learn a bias (default True).
        padding_mode: ``'zeros'``.
        device: where the parameters will live.
        dtype: parameter dtype.

    Example:
        >>> gk.nn.LazyConv1d(4, 3)(gk.ones(2, 5, 10)).shape
        (2, 4, 8)
    """

    cls_to_become = Conv1d
    _nd = 1


class LazyConv2d(_LazyConvNd):
    """:class:`~gradkit.nn.Conv2d` whose ``in_channels`` is inferred from the first input.

    Same arguments as :class:`LazyConv1d`, with 2-D sizes.

    Example:
        >>> gk.nn.LazyConv2d(4, 3, padding=1)(gk.ones(2, 3, 6, 6)).shape
        (2, 4, 6, 6)
    """

    cls_to_become = Conv2d
    _nd = 2


class _LazyBatchNorm(LazyModuleMixin, Module):
    _ndims = (2, 3)

    def __init__(self, eps: float = 1e-5, momentum=0.1, affine: bool = True, track_running_stats: bool = True,
                 device=None, dtype=None):
        super().__init__()
        self.num_features = 0
        self.eps, self.momentum, self.affine, self.track_running_stats = eps, momentum, affine, track_running_stats
        if affine:
            _placeholders(self, True, dtype)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", UninitializedBuffer(dtype=dtype))
            self.register_buffer("running_var", UninitializedBuffer(dtype=dtype))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self._lazy_setup({"eps": eps, "momentum": momentum, "affine": affine,
                          "track_running_stats": track_running_stats})
        _move(self, device)

    def _infer_size(self, x) -> int:
        if x.ndim not in self._ndims:
            raise ValueError(f"{type(self).__name__}: expected a {' or '.join(map(str, self._ndims))}-D input, "
                             f"got shape {tuple(x.shape)}")
        return x.shape[1]

    def initialize_parameters(self, *args) -> None:
        """As :meth:`LazyModuleMixin.initialize_parameters`, keeping the batch counter."""
        tracked = self._buffers.get("num_batches_tracked")
        super().initialize_parameters(*args)
        if tracked is not None:
            self._buffers["num_batches_tracked"] = tracked

    def extra_repr(self) -> str:
        return f"0, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, " \
               f"track_running_stats={self.track_running_stats}"


class LazyBatchNorm1d(_LazyBatchNorm):
    """:class:`~gradkit.nn.BatchNorm1d` whose ``num_features`` is inferred from the first input (dimension 1).

    Args:
        eps: added to the variance (default 1e-5).
        momentum: running-average factor (default 0.1).
        affine: learn ``weight`` and ``bias`` (default True).
        track_running_stats: keep running statistics (default True).
        device: where the parameters will live.
        dtype: parameter/buffer dtype.

    Example:
        >>> gk.nn.LazyBatchNorm1d()(gk.randn(8, 3)).shape
        (8, 3)
    """

    cls_to_become = BatchNorm1d
    _ndims = (2, 3)


class LazyBatchNorm2d(_LazyBatchNorm):
    """:class:`~gradkit.nn.BatchNorm2d` whose ``num_features`` is inferred from the first input.

    Same arguments as :class:`LazyBatchNorm1d`.

    Example:
        >>> gk.nn.LazyBatchNorm2d()(gk.randn(4, 3, 2, 2)).shape
        (4, 3, 2, 2)
    """

    cls_to_become = BatchNorm2d
    _ndims = (4,)
