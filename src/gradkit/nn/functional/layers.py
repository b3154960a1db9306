"""Functional forms of gradkit's layers: ``rbf`` (more are added below as layers land).

These are the stateless counterparts of the layer modules; ``gk.nn.functional``
re-exports them.
"""

from __future__ import annotations

from ... import ops
from ...tensor import Tensor

__all__ = ["rbf"]


def rbf(x: Tensor, centres: Tensor, log_sigma: Tensor) -> Tensor:
    """Gaussian radial-basis responses ``exp(-||x - c_j||^2 / (2 exp(log_sigma_j)^2))``.

    Args:
        x: input ``(*, in_features)``.
        centres: ``(out_features, in_features)``.
        log_sigma: ``(out_features,)``, the log of each unit's width.

    Returns:
        ``(*, out_features)`` responses in (0, 1].
    """
    x2 = (x * x).sum(-1, keepdim=True)
    c2 = (centres * centres).sum(-1)
    d2 = ops.clamp(x2 - 2.0 * ops.matmul(x, centres.T) + c2, min=0.0)
    inv_two_var = 0.5 * ops.exp(-2.0 * log_sigma)
    return ops.exp(-d2 * inv_two_var)


# ---------------------------------------------------------------------------- dropout family
import math as _math  # noqa: E402

from ... import backend as _backend  # noqa: E402
from ...autograd.function import Op as _Op  # noqa: E402
from ...autograd.function import once_differentiable as _once_differentiable  # noqa: E402
from ...backend import get_array_module as _xp_of  # noqa: E402
from ...ops._util import const as _const  # noqa: E402
from ...ops._util import shape_str as _shape_str  # noqa: E402
from ...random import get_generator as _get_generator  # noqa: E402

__all__ += ["dropout", "alpha_dropout", "dropout2d", "batch_norm", "layer_norm"]

#: SELU's constants (Klambauer et al., 2017), to the digits PyTorch uses (``gk.nn.functional``
#: and ``selu`` take them from here).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
# AlphaDropout's saturation value -lambda*alpha.
_ALPHA_PRIME = -SELU_SCALE * SELU_ALPHA


def _check_p(p, name):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name} probability has to be between 0 and 1, but got {p}")


def _keep_mask(x: Tensor, p: float, shape, generator):
    """A 0/1 array of ``shape`` (keep with probability 1 - p) on x's device and dtype."""
    u = _get_generator(generator).random(size=shape)
    mask = (u >= p).astype(x.data.dtype)
    return _backend.to_device(mask, x.device)


def dropout(x: Tensor, p: float = 0.5, training: bool = True, generator=None) -> Tensor:
    """Inverted dropout (Srivastava et al., 2014).

    In training each element is zeroed with probability ``p`` and the survivors are
    scaled by ``1 / (1 - p)``, so the expected value is unchanged and evaluation needs no
    rescaling; in evaluation it is the identity. The course seeds write ``keep_prob``:
    ``keep_prob = 1 - p``.

    Args:
        x: input of any shape.
        p: probability of dropping an element (``1 - keep_prob``).
        training: apply dropout (True) or return ``x`` (False).
        generator: optional :class:`gradkit.Generator` (default: the global one).

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        ValueError: when ``p`` is not in [0, 1].
    """
    _check_p(p, "dropout")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    mask = _keep_mask(x, p, x.shape, generator) * (1.0 / (1.0 - p))
    return x * _const(mask.astype(x.data.dtype, copy=False))


def dropout2d(x: Tensor, p: float = 0.5, training: bool = True, generator=None) -> Tensor:
    """Channel dropout (Tompson et al., 2015): zero whole channels of an ``(N, C, ...)`` input.

    Neighbouring pixels of a feature map are strongly correlated, so element dropout
    barely regularizes convolutions; dropping whole channels does. Survivors are scaled
    by ``1 / (1 - p)``.

    Args:
        x: input ``(N, C, H, W)`` (or ``(N, C, L)``).
        p: probability of dropping a channel.
        training: apply (True) or return ``x`` (False).
        generator: optional :class:`gradkit.Generator`.

    Raises:
        ValueError: for an input with fewer than 3 dimensions or ``p`` outside [0, 1].
    """
    _check_p(p, "dropout2d")
    if x.ndim < 3:
        raise ValueError(f"dropout2d expects an (N, C, H, W) or (N, C, L) input, got shape {_shape_str(x.shape)}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    shape = tuple(x.shape[:2]) + (1,) * (x.ndim - 2)
    mask = _keep_mask(x, p, shape, generator) * (1.0 / (1.0 - p))
    return x * _const(mask.astype(x.data.dtype, copy=False))


def alpha_dropout(x: Tensor, p: float = 0.5, training: bool = True, generator=None) -> Tensor:
    """Alpha dropout for self-normalizing (SELU) networks (Klambauer et al., 2017).

    Dropped units are set to SELU's negative saturation ``a' = -lambda * alpha`` instead
    of 0, then an affine correction keeps mean 0 and variance 1 for standardized inputs::

        q = 1 - p
        a = (q * (1 + p * a'^2))^(-1/2),   b = -a * a' * p
        y = a * (x * m + a' * (1 - m)) + b          (m ~ Bernoulli(q))

    Args:
        x: input of any shape.
        p: drop probability.
        training: apply (True) or return ``x`` (False).
        generator: optional :class:`gradkit.Generator`.
    """
    _check_p(p, "alpha_dropout")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    q = 1.0 - p
    a = 1.0 / _math.sqrt(q * (1.0 + p * _ALPHA_PRIME**2))
    b = -a * _ALPHA_PRIME * p
    m = _keep_mask(x, p, x.shape, generator)
    scale = (m * a).astype(x.data.dtype, copy=False)
    shift = ((1.0 - m) * (a * _ALPHA_PRIME) + b).astype(x.data.dtype, copy=False)
    return x * _const(scale) + _const(shift)


# ---------------------------------------------------------------------------- batch norm
class BatchNormOp(_Op):
    """Fused batch normalization over every axis but the channel axis 1.

    Training (batch statistics, biased variance over ``M = N * prod(spatial)`` values)::

        mu = mean(x),  var = mean((x - mu)^2),  x_hat = (x - mu) / sqrt(var + eps)
        y = gamma * x_hat + beta

    with the analytic backward (Ioffe & Szegedy, 2015)::

        dx = (1 / (M * sigma)) * (M * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat)),
        dx_hat = dy * gamma,  dgamma = sum(dy * x_hat),  dbeta = sum(dy)

    Evaluation uses the given running statistics as constants (``dx = dy * gamma / sigma``).
    The batch mean and (biased) variance are left on ``self.batch_mean``/``self.batch_var``.
    The backward works on raw arrays, so it is once-differentiable.
    """

    def __init__(self, training: bool, eps: float, running_mean=None, running_var=None):
        self.training = training
        self.eps = eps
        self.running_mean = running_mean
        self.running_var = running_var

    def forward(self, x, gamma, beta):
        xp = _xp_of(x)
        axes = (0,) + tuple(range(2, x.ndim))
        bshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        if self.training:
            mean = x.mean(axis=axes)
            xc = x - mean.reshape(bshape)
            var = (xc * xc).mean(axis=axes)
            self.batch_mean, self.batch_var = mean, var
        else:
            mean, var = self.running_mean, self.running_var
            xc = x - mean.reshape(bshape).astype(x.dtype, copy=False)
        invstd = (1.0 / xp.sqrt(var + self.eps)).astype(x.dtype, copy=False)
        xhat = xc * invstd.reshape(bshape)
        self.xhat, self.invstd, self.axes, self.bshape = xhat, invstd, axes, bshape
        self.gamma = gamma
        return xhat * gamma.reshape(bshape) + beta.reshape(bshape)

    @_once_differentiable
    def backward(self, gy):
        g = gy.data
        xhat, invstd, axes, bshape = self.xhat, self.invstd, self.axes, self.bshape
        dbeta = g.sum(axis=axes)
        dgamma = (g * xhat).sum(axis=axes)
        dx = None
        if self.needs_input_grad[0]:
            scale = (self.gamma * invstd).reshape(bshape)
            if self.training:
                m = xhat.size // xhat.shape[1]
                dx = scale * (g - (dbeta / m).reshape(bshape) - xhat * (dgamma / m).reshape(bshape))
            else:
                dx = g * scale
        return (
            None if dx is None else _const(dx),
            _const(dgamma) if self.needs_input_grad[1] else None,
            _const(dbeta) if self.needs_input_grad[2] else None,
        )


def batch_norm(x: Tensor, running_mean=None, running_var=None, weight=None, bias=None, training: bool = False,
               momentum=0.1, eps: float = 1e-5, num_batches_tracked=None) -> Tensor:
    """Batch normalization of an ``(N, C)``, ``(N, C, L)`` or ``(N, C, H, W)`` input (``F.batch_norm``).

    In training the batch statistics normalize ``x`` and, when running buffers are
    given, update them in place with the exponential moving average
    ``running = (1 - momentum) * running + momentum * batch`` (the *unbiased* batch
    variance ``M / (M - 1) * var`` goes into ``running_var``; ``momentum=None`` gives a
    cumulative average over ``num_batches_tracked``). In evaluation the running
    statistics normalize.

    Args:
        x: the input, channels on axis 1.
        running_mean: Tensor ``(C,)`` or None.
        running_var: Tensor ``(C,)`` or None.
        weight: gamma ``(C,)`` or None (1).
        bias: beta ``(C,)`` or None (0).
        training: use batch statistics (and update the running ones).
        momentum: the running average factor, or None for a cumulative average.
        eps: added to the variance.
        num_batches_tracked: an integer Tensor incremented in training (for ``momentum=None``).

    Returns:
        The normalized tensor, shape of ``x``.

    Raises:
        ValueError: for fewer than 2 dimensions, a single value per channel in training,
            or evaluation without running statistics.
    """
    if x.ndim < 2:
        raise ValueError(f"batch_norm expects an input (N, C, ...), got shape {_shape_str(x.shape)}")
    C = x.shape[1]
    m = x.data.size // C if C else 0
    xp = _xp_of(x.data)
    if training and m <= 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input shape {_shape_str(x.shape)}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm in evaluation mode needs running_mean and running_var")
    gamma = weight if weight is not None else _const(xp.ones((C,), dtype=x.data.dtype))
    beta = bias if bias is not None else _const(xp.zeros((C,), dtype=x.data.dtype))
    if gamma.shape != (C,) or beta.shape != (C,):
        raise ValueError(
            f"batch_norm: weight and bias must have shape ({C},) for input {_shape_str(x.shape)}, "
            f"got {_shape_str(gamma.shape)} and {_shape_str(beta.shape)}"
        )
    if x.data.dtype != gamma.data.dtype:
        x = x.to(gamma.dtype)
    op = BatchNormOp(training, eps,
                     None if training else running_mean.data, None if training else running_var.data)
    y = op(x, gamma, beta)
    if training and running_mean is not None and running_var is not None:
        if num_batches_tracked is not None:
            num_batches_tracked.data[...] += 1
        if momentum is None:
            factor = 1.0 / float(num_batches_tracked.data) if num_batches_tracked is not None else 0.0
        else:
            factor = float(momentum)
        unbiased = op.batch_var * (m / (m - 1))
        rm, rv = running_mean.data, running_var.data
        rm[...] = (1.0 - factor) * rm + factor * op.batch_mean.astype(rm.dtype, copy=False)
        rv[...] = (1.0 - factor) * rv + factor * unbiased.astype(rv.dtype, copy=False)
    return y


def layer_norm(x: Tensor, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Layer normalization (Ba et al., 2016) over the trailing ``normalized_shape`` dimensions.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` with the mean and the biased
    variance taken per sample over the normalized dimensions; identical in training and
    evaluation. Composed from differentiable ops, so higher-order gradients work.

    Args:
        x: input ``(*, *normalized_shape)``.
        normalized_shape: an int or tuple, the trailing shape to normalize over.
        weight: elementwise scale of ``normalized_shape`` or None.
        bias: elementwise shift of ``normalized_shape`` or None.
        eps: added to the variance.

    Raises:
        ValueError: when ``x``'s trailing shape is not ``normalized_shape``.
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if tuple(x.shape[x.ndim - k:]) != normalized_shape or x.ndim < k:
        raise ValueError(
            f"layer_norm expected input with trailing shape {_shape_str(normalized_shape)}, got shape {_shape_str(x.shape)}"
        )
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(axes, keepdim=True)
    xc = x - mean
    var = (xc * xc).mean(axes, keepdim=True)
    y = xc / ops.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y
