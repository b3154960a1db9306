"""Functional forms of gradkit's layers: ``rbf``, the dropout family, batch and layer norm.

These are the stateless counterparts of the layer modules; ``gk.nn.functional``
re-exports them. SELU's constants live here too (``selu`` and ``alpha_dropout`` share them).

Examples:
    >>> import gradkit as gk
    >>> from gradkit.nn.functional import dropout
    >>> dropout(gk.ones(4), p=0.5, training=False).tolist()
    [1.0, 1.0, 1.0, 1.0]
"""

from __future__ import annotations

import math

import numpy as np

from ... import backend, ops
from ...autograd.function import FusedOp
from ...backend import get_array_module
from ...ops._util import const, shape_str
from ...random import get_generator
from ...tensor import Tensor

__all__ = ["rbf", "dropout", "alpha_dropout", "dropout2d", "batch_norm", "layer_norm"]

#: SELU's constants (Klambauer et al., 2017), to the digits PyTorch uses (``gk.nn.functional``
#: and ``selu`` take them from here).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
# AlphaDropout's saturation value -lambda*alpha.
_ALPHA_PRIME = -SELU_SCALE * SELU_ALPHA


def rbf(x: Tensor, centres: Tensor, log_sigma: Tensor) -> Tensor:
    """Gaussian radial-basis responses ``exp(-||x - c_j||^2 / (2 exp(log_sigma_j)^2))``.

    Args:
        x: input ``(*, in_features)``.
        centres: ``(out_features, in_features)``.
        log_sigma: ``(out_features,)``, the log of each unit's width.

    Returns:
        ``(*, out_features)`` responses in (0, 1].

    Examples:
        >>> rbf(gk.zeros(1, 2), gk.zeros(1, 2), gk.zeros(1)).tolist()  # at the centre
        [[1.0]]
    """
    x2 = (x * x).sum(-1, keepdim=True)
    c2 = (centres * centres).sum(-1)
    d2 = ops.clamp(x2 - 2.0 * ops.matmul(x, centres.T) + c2, min=0.0)
    inv_two_var = 0.5 * ops.exp(-2.0 * log_sigma)
    return ops.exp(-d2 * inv_two_var)


# ---------------------------------------------------------------------------- dropout family
def _check_p(p, name):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name} probability has to be between 0 and 1, but got {p}")


def _keep(x: Tensor, p: float, shape, generator):
    """Uniforms of ``shape`` drawn in x's working dtype, and where they keep (probability ``1 - p``).

    float64 activations draw float64 uniforms, all others float32 (the generator's two
    dtypes), so a float32 activation costs one float32 array and one boolean array.
    Returns ``(u, keep)``; ``u`` may be overwritten (it is the caller's scratch).
    """
    dt = np.dtype(np.float64) if x.array.dtype == np.float64 else np.dtype(np.float32)
    u = get_generator(generator).random(size=shape, dtype=dt)
    return u, u >= dt.type(p)


def _on_x(a, x: Tensor):
    """``a`` in x's dtype, on x's device."""
    if a.dtype != x.array.dtype:
        a = a.astype(x.array.dtype)
    return backend.to_device(a, x.device)


def _keep_mask(x: Tensor, p: float, shape, generator):
    """``1 / (1 - p)`` where an element is kept (probability ``1 - p``), else 0: an array of
    ``shape`` in x's dtype and on x's device, built in the uniforms' own memory."""
    u, keep = _keep(x, p, shape, generator)
    np.multiply(keep, u.dtype.type(1.0 / (1.0 - p)), out=u)
    return _on_x(u, x)


def dropout(x: Tensor, p: float = 0.5, training: bool = True, generator=None, inverted: bool = True) -> Tensor:
    """Dropout (Srivastava et al., 2014), inverted (the default) or classic.

    In training each element is zeroed with probability ``p`` (kept with probability
    ``keep_prob = 1 - p``, the course's notation).

    * ``inverted=True`` (PyTorch's form): the survivors are scaled by ``1 / keep_prob``
      in training, so the expected value is unchanged and evaluation is the identity.
    * ``inverted=False`` (the classic form of the paper): no scaling in training
      (``y = mask * x``); at test time every activation is multiplied by ``keep_prob``
      (``y = keep_prob * x``), which matches the training-time expectation.

    Args:
        x: input of any shape.
        p: probability of dropping an element (``1 - keep_prob``).
        training: apply dropout (True) or evaluate (False: ``x``, or ``keep_prob * x``
            when not inverted).
        generator: optional :class:`gradkit.Generator` (default: the global one).
        inverted: scale the survivors in training (True, default) or scale everything by
            ``keep_prob`` in evaluation (False).

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        ValueError: when ``p`` is not in [0, 1].

    Examples:
        >>> y = dropout(gk.ones(1000), p=0.2)
        >>> sorted(set(y.tolist())) == [0.0, 1.25]
        True
        >>> sorted(set(dropout(gk.ones(1000), p=0.2, inverted=False).tolist()))
        [0.0, 1.0]
        >>> dropout(gk.ones(2), p=0.25, training=False, inverted=False).tolist()
        [0.75, 0.75]
    """
    _check_p(p, "dropout")
    if p == 0.0:
        return x
    if not training:
        return x if inverted else x * (1.0 - p)
    if p == 1.0:
        return x * 0.0
    if not inverted:
        u, keep = _keep(x, p, x.shape, generator)
        return x * const(_on_x(keep, x))
    return x * const(_keep_mask(x, p, x.shape, generator))


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

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        ValueError: for an input with fewer than 3 dimensions or ``p`` outside [0, 1].

    Examples:
        >>> y = dropout2d(gk.ones(2, 8, 3, 3), p=0.5)
        >>> bool(((y == 0) | (y == 2)).all())  # whole channels 0 or 2
        True
    """
    _check_p(p, "dropout2d")
    if x.ndim < 3:
        raise ValueError(f"dropout2d expects an (N, C, H, W) or (N, C, L) input, got shape {shape_str(x.shape)}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    shape = tuple(x.shape[:2]) + (1,) * (x.ndim - 2)
    return x * const(_keep_mask(x, p, shape, generator))


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

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        ValueError: when ``p`` is not in [0, 1].

    Examples:
        >>> y = alpha_dropout(gk.randn(100_000), p=0.2)
        >>> abs(float(y.mean())) < 0.02 and abs(float(y.var()) - 1) < 0.05
        True
    """
    _check_p(p, "alpha_dropout")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    q = 1.0 - p
    a = 1.0 / math.sqrt(q * (1.0 + p * _ALPHA_PRIME**2))
    b = -a * _ALPHA_PRIME * p
    keep = backend.to_device(_keep(x, p, x.shape, generator)[1], x.device)
    return ops.where(keep, x * a + b, a * _ALPHA_PRIME + b)


# ---------------------------------------------------------------------------- batch norm
class BatchNormOp(FusedOp):
    """Fused batch normalization over every axis but the channel axis 1.

    Training (batch statistics, biased variance over ``M = N * prod(spatial)`` values)::

        mu = mean(x),  var = mean((x - mu)^2),  x_hat = (x - mu) / sqrt(var + eps)
        y = gamma * x_hat + beta

    with the analytic backward (Ioffe & Szegedy, 2015)::

        dx = (1 / (M * sigma)) * (M * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat)),
        dx_hat = dy * gamma,  dgamma = sum(dy * x_hat),  dbeta = sum(dy)

    Evaluation uses the given running statistics as constants (``dx = dy * gamma / sigma``).
    The batch mean and (biased) variance are left on ``self.batch_mean``/``self.batch_var``.
    ``backward_arrays`` is that derivative on arrays; :meth:`composite`, the same function
    on primitives, gives the higher ones (a gradient penalty through batch norm).
    """

    def __init__(self, training: bool, eps: float, running_mean=None, running_var=None):
        self.training = training
        self.eps = eps
        self.running_mean = running_mean
        self.running_var = running_var

    def forward(self, x, gamma, beta):
        xp = get_array_module(x)
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

    def backward_arrays(self, g):
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
        return dx, (dgamma if self.needs_input_grad[1] else None), (dbeta if self.needs_input_grad[2] else None)

    def composite(self, x, gamma, beta):
        """The same normalization with gradkit ops (batch statistics in training)."""
        bshape = self.bshape
        if self.training:
            mean = x.mean(self.axes, keepdim=True)
            xc = x - mean
            y = xc / ops.sqrt((xc * xc).mean(self.axes, keepdim=True) + self.eps)
        else:
            y = (x - const(self.running_mean.reshape(bshape).astype(x.dtype))) * const(self.invstd.reshape(bshape))
        return y * ops.reshape(gamma, bshape) + ops.reshape(beta, bshape)


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

    Examples:
        >>> x = gk.tensor([[1.0], [3.0]])
        >>> [round(v, 5) for v in batch_norm(x, training=True).reshape(-1).tolist()]  # (x - 2) / sqrt(1 + 1e-5)
        [-0.99999, 0.99999]
    """
    if x.ndim < 2:
        raise ValueError(f"batch_norm expects an input (N, C, ...), got shape {shape_str(x.shape)}")
    C = x.shape[1]
    m = x.array.size // C if C else 0
    xp = get_array_module(x.array)
    if training and m <= 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input shape {shape_str(x.shape)}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm in evaluation mode needs running_mean and running_var")
    gamma = weight if weight is not None else const(xp.ones((C,), dtype=x.array.dtype))
    beta = bias if bias is not None else const(xp.zeros((C,), dtype=x.array.dtype))
    if gamma.shape != (C,) or beta.shape != (C,):
        raise ValueError(
            f"batch_norm: weight and bias must have shape ({C},) for input {shape_str(x.shape)}, "
            f"got {shape_str(gamma.shape)} and {shape_str(beta.shape)}"
        )
    if x.array.dtype != gamma.array.dtype:
        x = x.to(gamma.dtype)
    op = BatchNormOp(training, eps,
                     None if training else running_mean.array, None if training else running_var.array)
    y = op(x, gamma, beta)
    if training and running_mean is not None and running_var is not None:
        if num_batches_tracked is not None:
            num_batches_tracked.array[...] += 1
        if momentum is None:
            factor = 1.0 / float(num_batches_tracked.array) if num_batches_tracked is not None else 0.0
        else:
            factor = float(momentum)
        unbiased = op.batch_var * (m / (m - 1))
        rm, rv = running_mean.array, running_var.array
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

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        ValueError: when ``x``'s trailing shape is not ``normalized_shape``.

    Examples:
        >>> [round(v, 5) for v in layer_norm(gk.tensor([[1.0, 3.0]]), 2).reshape(-1).tolist()]
        [-0.99999, 0.99999]
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if tuple(x.shape[x.ndim - k:]) != normalized_shape or x.ndim < k:
        raise ValueError(
            f"layer_norm expected input with trailing shape {shape_str(normalized_shape)}, got shape {shape_str(x.shape)}"
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
