"""Weight initializers with PyTorch's names and formulas (``torch.nn.init``).

Every function fills a tensor in place (under ``no_grad``), draws from gradkit's seeded
generator (``gk.manual_seed``, or ``generator=``) and returns the tensor.

Why the scales matter: for a layer ``y = W x`` with ``fan_in`` inputs of unit variance,
``Var(y_i) = fan_in * Var(W)``; keeping activations (forward) and gradients (backward)
at a constant scale through depth requires

* Glorot/Xavier (Glorot & Bengio, 2010), for tanh/sigmoid: ``Var(W) = gain^2 * 2 / (fan_in + fan_out)``
  (i.e. ``1 / n_avg``);
* He/Kaiming (He et al., 2015), for ReLU: ``Var(W) = gain^2 / fan``, with ``gain^2 = 2`` for ReLU;
* LeCun (LeCun et al., 1998; used by SELU networks, Klambauer et al., 2017): ``Var(W) = 1 / fan_in``
  (the course's "Xavier" for tanh: ``lecun_normal_``);
* orthogonal (Saxe et al., 2014): ``W`` with orthonormal rows or columns, times ``gain``.

A uniform ``U(-b, b)`` has variance ``b^2 / 3``, so ``b = sqrt(3) * std``.

Fans of a weight of shape ``(out, in, *kernel)`` are ``fan_in = in * prod(kernel)`` and
``fan_out = out * prod(kernel)`` (Linear and Conv layouts).

Examples:
    >>> import gradkit as gk
    >>> w = gk.empty(256, 128)
    >>> _ = gk.nn.init.kaiming_normal_(w, nonlinearity="relu")
    >>> round(float(w.numpy().std() ** 2 * 128), 1)   # Var(W) * fan_in ~= 2
    2.0
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd.grad_mode import no_grad
from ..random import get_generator

__all__ = [
    "calculate_gain",
    "zeros_",
    "ones_",
    "constant_",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "lecun_normal_",
    "lecun_uniform_",
    "orthogonal_",
    "eye_",
]


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain (scale of the weights' std) for a nonlinearity, as in PyTorch.

    ========================  =====================================
    nonlinearity              gain
    ========================  =====================================
    linear, conv*, sigmoid    1
    tanh                      5/3
    relu                      sqrt(2)
    leaky_relu                sqrt(2 / (1 + negative_slope^2))
    selu                      3/4
    ========================  =====================================

    Args:
        nonlinearity: the name of the nonlinearity.
        param: ``negative_slope`` for ``leaky_relu`` (default 0.01).

    Returns:
        The gain as a float.

    Raises:
        ValueError: for an unknown nonlinearity or an invalid slope.
    """
    linear_fns = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "sigmoid", "identity")
    if nonlinearity in linear_fns:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"unsupported nonlinearity {nonlinearity!r}; expected one of linear, conv1d/2d/3d, sigmoid, tanh, "
        "relu, leaky_relu, selu"
    )


def _calculate_fan_in_and_fan_out(tensor):
    """``(fan_in, fan_out)`` of a weight shaped ``(out, in, *kernel)``.

    Raises:
        ValueError: for a tensor with fewer than 2 dimensions.
    """
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError(
            f"fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got shape {shape}"
        )
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} is not supported; use 'fan_in' or 'fan_out'")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values):
    with no_grad():
        arr = np.asarray(values).astype(tensor.array.dtype, copy=False)
        tensor.array[...] = backend.to_device(arr, backend.device_of(tensor.array))
    return tensor


def _check_float(tensor, name):
    if tensor.array.dtype.kind not in "fc":
        raise TypeError(f"{name} needs a floating-point tensor, got dtype {tensor.array.dtype}")


def zeros_(tensor):
    """Fill with 0. Returns the tensor."""
    return constant_(tensor, 0)


def ones_(tensor):
    """Fill with 1. Returns the tensor."""
    return constant_(tensor, 1)


def constant_(tensor, val):
    """Fill with ``val``. Returns the tensor."""
    with no_grad():
        tensor.array[...] = val
    return tensor


def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix. Returns the tensor.

    Raises:
        ValueError: for a tensor that is not 2-D.
    """
    if tensor.ndim != 2:
        raise ValueError(f"eye_ needs a 2-D tensor, got shape {tuple(tensor.shape)}")
    return _fill(tensor, np.eye(*tensor.shape))


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill with draws from ``U(a, b)``. Returns the tensor."""
    _check_float(tensor, "uniform_")
    return _fill(tensor, get_generator(generator).uniform(a, b, size=tensor.shape))


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill with draws from ``N(mean, std^2)``. Returns the tensor."""
    _check_float(tensor, "normal_")
    return _fill(tensor, get_generator(generator).normal(mean, std, size=tensor.shape))


def trunc_normal_(tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, generator=None):
    """Fill with ``N(mean, std^2)`` draws truncated to ``[a, b]`` (redrawn until inside). Returns the tensor."""
    _check_float(tensor, "trunc_normal_")
    rng = get_generator(generator)
    out = rng.normal(mean, std, size=tensor.shape)
    bad = (out < a) | (out > b)
    while bad.any():
        out[bad] = rng.normal(mean, std, size=int(bad.sum()))
        bad = (out < a) | (out > b)
    return _fill(tensor, out)


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """Glorot uniform: ``U(-b, b)`` with ``b = gain * sqrt(6 / (fan_in + fan_out))``.

    Gives ``Var(W) = gain^2 * 2 / (fan_in + fan_out)`` (Glorot & Bengio, 2010). Returns the tensor.
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """Glorot normal: ``N(0, std^2)`` with ``std = gain * sqrt(2 / (fan_in + fan_out))``. Returns the tensor."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None):
    """He uniform: ``U(-b, b)`` with ``b = gain * sqrt(3 / fan)`` (He et al., 2015).

    Args:
        tensor: the weight to fill.
        a: negative slope of the rectifier that follows (for ``leaky_relu``).
        mode: ``'fan_in'`` (keeps forward variance) or ``'fan_out'`` (keeps backward variance).
        nonlinearity: ``'relu'`` or ``'leaky_relu'`` (PyTorch's default), see :func:`calculate_gain`.
        generator: an optional :class:`gradkit.Generator`.

    Returns:
        The tensor. ``Var(W) = gain^2 / fan``; for ReLU ``2 / fan``.
    """
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None):
    """He normal: ``N(0, std^2)`` with ``std = gain / sqrt(fan)`` (He et al., 2015).

    Arguments as :func:`kaiming_uniform_`. Returns the tensor.
    """
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def lecun_normal_(tensor, generator=None):
    """LeCun normal: ``N(0, 1 / fan_in)``, the initialization self-normalizing (SELU) networks need.

    With it and SELU, activations converge to mean 0 and variance 1 through depth
    (Klambauer et al., 2017). It is also what the classic deep-learning course calls
    "Xavier initialization" for tanh layers (``W = randn * sqrt(1 / n_in)``); in
    PyTorch's naming (kept here) ``xavier_normal_`` is Glorot's ``2 / (fan_in + fan_out)``.
    Returns the tensor.

    Examples:
        >>> import gradkit as gk
        >>> w = gk.nn.init.lecun_normal_(gk.empty(400, 500))
        >>> round(float(w.numpy().var() * 500), 1)   # Var(W) * n_in ~= 1
        1.0
    """
    fan_in, _ = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, 1.0 / math.sqrt(fan_in), generator)


def lecun_uniform_(tensor, generator=None):
    """LeCun uniform: ``U(-b, b)`` with ``b = sqrt(3 / fan_in)`` (``Var = 1 / fan_in``). Returns the tensor."""
    fan_in, _ = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0 / fan_in)
    return uniform_(tensor, -bound, bound, generator)


def orthogonal_(tensor, gain: float = 1.0, generator=None):
    """Fill with a (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2014).

    The tensor is viewed as ``(shape[0], prod(shape[1:]))``; the QR decomposition of a
    Gaussian matrix (sign-corrected so it is uniform over orthogonal matrices) gives
    orthonormal rows (when rows <= columns) or columns.

    Returns:
        The tensor.

    Raises:
        ValueError: for a tensor with fewer than 2 dimensions.
    """
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_ needs a tensor with at least 2 dimensions, got shape {tuple(tensor.shape)}")
    rows = tensor.shape[0]
    cols = int(np.prod(tensor.shape[1:]))
    flat = get_generator(generator).normal(0.0, 1.0, size=(rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))
