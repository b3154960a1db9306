"""Normalization layers: ``BatchNorm1d/2d``, ``LayerNorm``, ``GroupNorm``, ``InstanceNorm1d/2d``, ``LocalResponseNorm``.

Examples:
    >>> import gradkit as gk
    >>> bn = gk.nn.BatchNorm1d(3)
    >>> y = bn(gk.randn(64, 3) * 5 + 2)
    >>> bool(abs(y.numpy().mean(0)).max() < 1e-5)
    True
    >>> list(bn.state_dict())
    ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
"""

from __future__ import annotations

import numpy as np

from ..backend import get_default_dtype
from ..ops._util import ensure_tensor, shape_str
from ..tensor import Tensor
from . import init
from .functional.layers import batch_norm, layer_norm
from .functional.norm import group_norm, instance_norm, local_response_norm
from .module import Module, Parameter

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "LocalResponseNorm",
]


class _DefaultMomentum(float):
    """The float 0.1, told apart from an explicit ``momentum=0.1`` (so ``beta=`` can refuse both)."""


_MOMENTUM_DEFAULT = _DefaultMomentum(0.1)


class _RunningStats:
    """The per-channel state BatchNorm and InstanceNorm share: ``weight``/``bias`` (with ``affine``) and
    ``running_mean``/``running_var``/``num_batches_tracked`` (with ``track_running_stats``), PyTorch's names."""

    def _register_state(self, num_features, affine, track_running_stats, dt) -> None:
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dt))
            self.bias = Parameter(np.zeros(num_features, dtype=dt))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        stats = ((np.zeros(num_features, dtype=dt), np.ones(num_features, dtype=dt), np.array(0, dtype=np.int64))
                 if track_running_stats else (None, None, None))
        for name, value in zip(("running_mean", "running_var", "num_batches_tracked"), stats):
            self.register_buffer(name, None if value is None else Tensor(value))

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            self.running_mean.array[...] = 0
            self.running_var.array[...] = 1
            self.num_batches_tracked.array[...] = 0

    def reset_parameters(self) -> None:
        """Reset the running statistics, ``weight`` (gamma) = 1 and ``bias`` (beta) = 0."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)


class _BatchNorm(_RunningStats, Module):
    """Shared implementation of ``BatchNorm1d``/``BatchNorm2d`` (see :func:`batch_norm`)."""

    _ndims: tuple = ()
    _layout: str = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum=_MOMENTUM_DEFAULT, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, beta=None):
        super().__init__()
        dt = np.dtype(dtype or get_default_dtype())
        self.num_features = int(num_features)
        self.eps = float(eps)
        if beta is not None:
            name = type(self).__name__
            if momentum is not _MOMENTUM_DEFAULT:
                raise ValueError(
                    f"{name} takes momentum (PyTorch's name) or beta (the course's, momentum = 1 - beta), "
                    f"not both; got momentum={momentum}, beta={beta}"
                )
            if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0.0 <= beta <= 1.0:
                raise ValueError(f"{name} beta has to be a number between 0 and 1, but got {beta!r}")
            self.beta = float(beta)
            self.momentum = 1.0 - self.beta
        else:
            self.beta = None
            self.momentum = None if momentum is None else float(momentum)
        self.affine = affine
        self.track_running_stats = track_running_stats
        self._register_state(num_features, affine, track_running_stats, dt)
        if device is not None:
            self.to(device=device)


    def get_config(self) -> dict:
        """The constructor arguments; ``beta`` in place of ``momentum`` when ``beta`` was given."""
        config = super().get_config()
        if self.beta is None:
            config.pop("beta", None)
        else:
            config.pop("momentum", None)
        return config

    def forward(self, x):
        x = ensure_tensor(x)
        if x.ndim not in self._ndims or x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}(num_features={self.num_features}) expected input {self._layout} "
                f"with C={self.num_features}, got shape {shape_str(x.shape)}"
            )
        use_batch = self.training or not self.track_running_stats
        update = self.training and self.track_running_stats
        return batch_norm(
            x,
            self.running_mean if update or not use_batch else None,
            self.running_var if update or not use_batch else None,
            self.weight,
            self.bias,
            training=use_batch,
            momentum=self.momentum,
            eps=self.eps,
            num_batches_tracked=self.num_batches_tracked if update else None,
        )

    def extra_repr(self) -> str:
        avg = f"momentum={self.momentum}" if self.beta is None else f"beta={self.beta}"
        return (
            f"{self.num_features}, eps={self.eps}, {avg}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization (Ioffe & Szegedy, 2015) of ``(N, C)`` or ``(N, C, L)`` inputs.

    Training: normalize with the batch mean and *biased* variance per channel, then
    ``y = gamma * x_hat + beta``, and update ``running_mean``/``running_var`` with
    ``running = (1 - momentum) * running + momentum * batch_stat`` (the *unbiased*
    variance goes into ``running_var``). Evaluation: normalize with the running
    statistics. The op is fused with an analytic backward. PyTorch semantics throughout.

    Args:
        num_features: the number of channels C.
        eps: added to the variance (default 1e-5).
        momentum: running-average factor (default 0.1); None for a cumulative average.
        beta: keyword only, the course's name for the same average: ``running = beta *
            running + (1 - beta) * batch_stat``, i.e. ``momentum = 1 - beta``
            (``beta=0.9`` is ``momentum=0.1``). Give ``momentum`` or ``beta``, not both.
        affine: learn gamma (``weight``, init 1) and beta (``bias``, init 0) (default True).
        track_running_stats: keep running statistics (default True); when False, batch
            statistics are used in evaluation too.
        device: where the parameters and buffers live.
        dtype: parameter/buffer dtype (default ``gk.get_default_dtype()``).

    Raises:
        ValueError: when both ``momentum`` and ``beta`` are given or ``beta`` is not in
            [0, 1]; in forward, for a wrong shape or a single value per channel in training.

    Examples:
        >>> import gradkit as gk
        >>> gk.nn.BatchNorm1d(4, beta=0.9).momentum   # exponentially weighted average, beta = 0.9
        0.09999999999999998
    """

    _ndims = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of ``(N, C, H, W)`` inputs, statistics per channel over N, H, W.

    Same arguments and semantics as :class:`BatchNorm1d`.
    """

    _ndims = (4,)
    _layout = "(N, C, H, W)"


class LayerNorm(Module):
    """Layer normalization (Ba et al., 2016) over the trailing ``normalized_shape``.

    Each sample is normalized with its own mean and biased variance over the last
    dimensions, then scaled and shifted elementwise; the same in training and evaluation.

    Args:
        normalized_shape: an int or tuple (a list from JSON is accepted).
        eps: added to the variance (default 1e-5).
        elementwise_affine: learn ``weight`` (init 1) and ``bias`` (init 0) (default True).
        bias: learn the bias when ``elementwise_affine`` (default True).
        device: where the parameters live.
        dtype: parameter dtype.

    Examples:
        >>> import gradkit as gk
        >>> ln = gk.nn.LayerNorm(4)
        >>> y = ln(gk.randn(2, 4) * 3 + 1)
        >>> bool(abs(y.numpy().mean(-1)).max() < 1e-5)
        True
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = float(eps)
        self.elementwise_affine = elementwise_affine
        dt = np.dtype(dtype or get_default_dtype())
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dt))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if device is not None:
            self.to(device=device)

    def forward(self, x):
        x = ensure_tensor(x)
        k = len(self.normalized_shape)
        if x.ndim < k or tuple(x.shape[x.ndim - k:]) != self.normalized_shape:
            raise ValueError(
                f"LayerNorm(normalized_shape={self.normalized_shape}) expected input with trailing shape "
                f"{shape_str(self.normalized_shape)}, got shape {shape_str(x.shape)}"
            )
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Group normalization (Wu & He, 2018) of ``(N, C, *)`` inputs; the same in training and evaluation.

    Args:
        num_groups: the number of groups G (C must be divisible by it).
        num_channels: C.
        eps: added to the variance (default 1e-5).
        affine: learn a per-channel ``weight`` (init 1) and ``bias`` (init 0) (default True).
        device: where the parameters live.
        dtype: parameter dtype.

    Examples:
        >>> gk.nn.GroupNorm(2, 4)(gk.randn(3, 4, 5)).shape
        (3, 4, 5)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, device=None,
                 dtype=None):
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = int(num_groups), int(num_channels), float(eps), affine
        dt = np.dtype(dtype or get_default_dtype())
        if affine:
            self.weight = Parameter(np.ones(num_channels, dtype=dt))
            self.bias = Parameter(np.zeros(num_channels, dtype=dt))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if device is not None:
            self.to(device=device)

    def reset_parameters(self) -> None:
        """``weight = 1``, ``bias = 0``."""
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, x):
        x = ensure_tensor(x)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(
                f"GroupNorm(num_channels={self.num_channels}) expected input (N, {self.num_channels}, *), "
                f"got shape {shape_str(x.shape)}"
            )
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class _InstanceNorm(_RunningStats, Module):
    """Shared implementation of ``InstanceNorm1d``/``InstanceNorm2d`` (see :func:`instance_norm`)."""

    _spatial = 1

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device=None, dtype=None):
        super().__init__()
        dt = np.dtype(dtype or get_default_dtype())
        self.num_features, self.eps = int(num_features), float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.affine, self.track_running_stats = affine, track_running_stats
        self._register_state(num_features, affine, track_running_stats, dt)
        if device is not None:
            self.to(device=device)


    def forward(self, x):
        x = ensure_tensor(x)
        d = self._spatial
        name = type(self).__name__
        if x.ndim not in (d + 1, d + 2):
            raise ValueError(f"{name}: expected a {d + 1}D (unbatched) or {d + 2}D input, got shape {shape_str(x.shape)}")
        unbatched = x.ndim == d + 1
        if unbatched:
            x = x.unsqueeze(0)
        if x.shape[1] != self.num_features and self.affine:
            raise ValueError(
                f"{name}(num_features={self.num_features}) expected {self.num_features} channels on dimension "
                f"{0 if unbatched else 1}, got shape {shape_str(x.shape)}"
            )
        use_input = self.training or not self.track_running_stats
        update = self.training and self.track_running_stats
        # As PyTorch: num_batches_tracked is kept (for state_dict parity) but not counted, and
        # momentum=None means no update (PyTorch passes 0.0), not a cumulative average.
        momentum = self.momentum if self.momentum is not None else 0.0
        y = instance_norm(x, self.running_mean if update or not use_input else None,
                          self.running_var if update or not use_input else None, self.weight, self.bias,
                          use_input, momentum, self.eps)
        return y.squeeze(0) if unbatched else y

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of ``(N, C, L)`` or ``(C, L)`` inputs, each (sample, channel) over L.

    Args:
        num_features: C.
        eps: added to the variance (default 1e-5).
        momentum: running-average factor (default 0.1; None: no update, as PyTorch).
        affine: learn a per-channel ``weight`` and ``bias`` (default False, as PyTorch).
        track_running_stats: keep running statistics and use them in evaluation (default False).
        device: where the parameters live.
        dtype: parameter/buffer dtype.

    Examples:
        >>> gk.nn.InstanceNorm1d(3)(gk.randn(2, 3, 6)).shape
        (2, 3, 6)
    """

    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of ``(N, C, H, W)`` or ``(C, H, W)`` inputs (see :class:`InstanceNorm1d`).

    Examples:
        >>> gk.nn.InstanceNorm2d(3, affine=True)(gk.randn(2, 3, 4, 4)).shape
        (2, 3, 4, 4)
    """

    _spatial = 2


class LocalResponseNorm(Module):
    """Local response normalization across channels (see :func:`~gradkit.nn.functional.local_response_norm`).

    Args:
        size: neighbouring channels in the window.
        alpha: multiplicative factor (default 1e-4).
        beta: exponent (default 0.75).
        k: additive constant (default 1).

    Examples:
        >>> gk.nn.LocalResponseNorm(2)(gk.ones(1, 4, 3, 3)).shape
        (1, 4, 3, 3)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = int(size), float(alpha), float(beta), float(k)

    def forward(self, x):
        return local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
