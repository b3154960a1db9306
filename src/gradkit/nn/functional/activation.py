"""Activation functions, softmax and log-softmax (``torch.nn.functional`` names).

Every function takes a Tensor and returns a Tensor of the same shape. The ones that pay
for it are single ops with an analytic derivative, written once: ``elu``/``selu``,
``softplus``, ``softmax`` and ``log_softmax`` are primitives whose backward rule is written
with gradkit ops, so it can be differentiated again; ``gelu`` is a fused kernel
(:class:`~gradkit.autograd.function.FusedOp`) whose higher derivatives come from its
composite. The rest is composed from gradkit's primitives.

PyTorch's ``inplace=`` (and softmax's ``dtype=``) are accepted; gradkit always returns a new
tensor, since an in-place activation would overwrite what backward needs.

Numerical stability: ``sigmoid`` only ever exponentiates ``-|x|``; ``softmax`` and
``log_softmax`` subtract the row maximum before ``exp`` (:func:`gradkit.ops._softmax.softmax_parts`);
``softplus`` uses ``log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|))``. None of them
overflows or warns at ``|x| = 1e4``.

Example:
    >>> import gradkit as gk
    >>> import gradkit.nn.functional as F
    >>> round(F.softmax(gk.tensor([[2.0, 0.0, -1.0]]), dim=1).sum().item(), 6)
    1.0
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ... import ops
from ...autograd.function import FusedOp, Op
from ... import backend
from ...backend import get_array_module
from ...ops._softmax import softmax_parts
from ...ops._util import const, ensure_tensor, shape_str
from ...ops.elementwise import MaskMul
from ...tensor import Tensor
from .layers import SELU_ALPHA, SELU_SCALE

__all__ = [
    "threshold", "step", "sign", "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "selu",
    "softplus", "gelu", "softmax", "log_softmax",
]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_TANH_C = 0.044715


def _float_input(x, name) -> Tensor:
    x = ensure_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{name} expects a floating-point input, got dtype {x.dtype}; convert with .float()")
    return x


class _ZeroGrad(Op):
    """A piecewise-constant function: it stays in the graph but passes a zero gradient."""

    def __init__(self, fn):
        self.fn = fn

    def forward(self, x):
        return self.fn(x)

    def backward(self, gy):
        return gy * 0.0


def step(x, value_at_zero: float = 1.0) -> Tensor:
    """Heaviside step (the perceptron's threshold unit): 1 where ``x > 0``, 0 where ``x < 0``.

    .. math:: H(x) = 1 \\text{ if } x > 0,\\; 0 \\text{ if } x < 0,\\; v \\text{ at } x = 0

    Forward only: the derivative is 0 everywhere it exists (and undefined at 0), so no
    error signal flows through a step unit. That is why gradient descent cannot train
    networks of threshold units and smooth activations (sigmoid, tanh, ReLU) replaced
    them; Rosenblatt's perceptron uses its own learning rule instead. The result stays
    in the graph with a zero gradient, so ``backward()`` through it runs but teaches
    nothing.

    Args:
        x: input tensor.
        value_at_zero: the output where ``x == 0`` (1.0, as the perceptron's
            ``w.x + b >= 0`` rule; ``torch.heaviside``'s ``values``).

    Returns:
        A tensor of 0s and 1s with ``x``'s shape and dtype.

    Example:
        >>> step(gk.tensor([-2.0, 0.0, 3.0])).tolist()
        [0.0, 1.0, 1.0]
    """
    x = _float_input(x, "step")

    def fn(a):
        xp = get_array_module(a)
        return xp.where(a > 0, 1, xp.where(a < 0, 0, value_at_zero)).astype(a.dtype)

    return _ZeroGrad(fn)(x)


def sign(x) -> Tensor:
    """Elementwise sign: -1, 0 or 1 (as ``torch.sign``).

    Forward only: like :func:`step` its derivative is 0 almost everywhere, so it passes a
    zero gradient (the reason sign units are not trained by backpropagation).

    Args:
        x: input tensor (any numeric dtype).

    Returns:
        -1, 0 or 1 per element, in ``x``'s shape and dtype.

    Example:
        >>> sign(gk.tensor([-2.0, 0.0, 3.0])).tolist()
        [-1.0, 0.0, 1.0]
    """
    x = ensure_tensor(x)
    if x.dtype.kind != "f":
        return ops.sign(x)
    return _ZeroGrad(lambda a: get_array_module(a).sign(a))(x)


class _Threshold(Op):
    def __init__(self, threshold, value):
        self.threshold, self.value = threshold, value

    def forward(self, x):
        self.mask = mask = x > self.threshold
        return get_array_module(x).where(mask, x, x.dtype.type(self.value))

    def backward(self, gy):
        return MaskMul(self.mask)(gy)


def threshold(x, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value`` (``torch.nn.functional.threshold``).

    Its gradient is 1 above the threshold and 0 below: ``relu(x) == threshold(x, 0, 0)``.
    The all-or-nothing *threshold unit* of the classic perceptron is :func:`step`.

    Args:
        x: input tensor.
        threshold: the value to threshold at.
        value: the value that replaces inputs at or below the threshold.

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        TypeError: for an input that is not floating point.

    Example:
        >>> threshold(gk.tensor([-1.0, 0.5, 2.0]), 1.0, 0.0).tolist()
        [0.0, 0.0, 2.0]
    """
    return _Threshold(threshold, value)(_float_input(x, "threshold"))


def sigmoid(x) -> Tensor:
    """Logistic function ``1 / (1 + exp(-x))``; derivative ``s (1 - s)``.

    Stable for any ``|x|``: only ``exp(-|x|)`` is computed, so nothing overflows.

    Args:
        x: floating-point input.

    Returns:
        Values in [0, 1], in ``x``'s shape and dtype.

    Raises:
        TypeError: for an input that is not floating point.

    Example:
        >>> sigmoid(gk.tensor([0.0])).item()
        0.5
    """
    return ops.sigmoid(_float_input(x, "sigmoid"))


def tanh(x) -> Tensor:
    """Hyperbolic tangent; derivative ``1 - tanh(x)**2``.

    Args:
        x: floating-point input.

    Returns:
        Values in [-1, 1], in ``x``'s shape and dtype.

    Raises:
        TypeError: for an input that is not floating point.

    Example:
        >>> tanh(gk.tensor([0.0])).item()
        0.0
    """
    return ops.tanh(_float_input(x, "tanh"))


def relu(x, inplace: bool = False) -> Tensor:
    """Rectified linear unit ``max(x, 0)``; gradient 1 for ``x > 0`` and 0 otherwise (as PyTorch).

    Args:
        x: floating-point input.

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        TypeError: for an input that is not floating point.

    Example:
        >>> relu(gk.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0]
        True
    """
    return ops.relu(_float_input(x, "relu"))


class _LeakyReLU(Op):
    def __init__(self, slope):
        self.slope = slope

    def forward(self, x):
        xp = get_array_module(x)
        self.mask = mask = x > 0
        return xp.where(mask, x, x * x.dtype.type(self.slope))

    def backward(self, gy):
        xp = get_array_module(self.mask)
        d = xp.where(self.mask, gy.dtype.type(1), gy.dtype.type(self.slope))
        return gy * const(d)  # piecewise constant: exact for higher orders too


def leaky_relu(x, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise (Maas et al., 2013).

    Args:
        x: input tensor.
        negative_slope: the slope for negative inputs (PyTorch's default 0.01).

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        TypeError: for an input that is not floating point.

    Example:
        >>> leaky_relu(gk.tensor([-100.0, 1.0])).tolist()
        [-1.0, 1.0]
    """
    return _LeakyReLU(float(negative_slope))(_float_input(x, "leaky_relu"))


def prelu(x, weight) -> Tensor:
    """Parametric ReLU (He et al., 2015): ``max(0, x) + a * min(0, x)`` with a learnable ``a``.

    Args:
        x: input; with more than one slope, channels are on dimension 1 (``(N, C, ...)``).
        weight: the slopes, one element (shared) or ``C`` elements (one per channel).

    Returns:
        A tensor of ``x``'s shape.

    Raises:
        ValueError: when ``weight`` has neither 1 nor ``C`` elements.

    Example:
        >>> prelu(gk.tensor([[-2.0, 3.0]]), gk.tensor([0.25])).tolist()
        [[-0.5, 3.0]]
    """
    x = _float_input(x, "prelu")
    weight = weight if isinstance(weight, Tensor) else ensure_tensor(weight).to(x.device)  # a number: made where x is
    n = weight.numel()
    if n != 1:
        if x.ndim < 2 or x.shape[1] != n:
            raise ValueError(
                f"prelu: weight has {n} slopes, so the input needs {n} channels on dimension 1; "
                f"got input of shape {shape_str(x.shape)}"
            )
        w = ops.reshape(weight, (1, n) + (1,) * (x.ndim - 2))
    else:
        w = ops.reshape(weight, ())
    return ops.where(const(x.array > 0), x, x * w)


class _ELU(Op):
    """``y = scale * (x if x > 0 else alpha * (exp(x) - 1))``.

    Derivative in terms of the output: ``scale`` where ``x > 0``, else
    ``scale * alpha * exp(x) = y + scale * alpha``; differentiating that again goes
    through this op once more, so every order is exact.
    """

    saves_output = True

    def __init__(self, alpha, scale=1.0):
        self.alpha, self.scale = alpha, scale

    def forward(self, x):
        xp = get_array_module(x)
        t = x.dtype.type
        self.mask = mask = x > 0
        neg = xp.expm1(xp.minimum(x, 0))  # exp only of non-positive values: no overflow
        neg *= t(self.alpha)
        y = xp.where(mask, x, neg)
        if self.scale != 1.0:
            y *= t(self.scale)
        return y

    def backward(self, gy):
        d = ops.where(const(self.mask), self.scale, self.output() + self.scale * self.alpha)
        return gy * d


def elu(x, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """Exponential linear unit (Clevert et al., 2015): ``x`` if ``x > 0`` else ``alpha (e^x - 1)``.

    Args:
        x: floating-point input.
        alpha: the negative saturation value is ``-alpha`` (default 1).

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        TypeError: for an input that is not floating point.

    Example:
        >>> round(elu(gk.tensor([-1.0])).item(), 4)
        -0.6321
    """
    return _ELU(float(alpha))(_float_input(x, "elu"))


def selu(x, inplace: bool = False) -> Tensor:
    """Scaled ELU (Klambauer et al., 2017, *Self-Normalizing Neural Networks*).

    ``scale * elu(x, alpha)`` with ``alpha = 1.6732632423543772848170429916717`` and
    ``scale = 1.0507009873554804934193349852946`` (PyTorch's constants), chosen so that
    activations keep mean 0 and variance 1 through many layers when weights use
    ``lecun_normal_`` initialization.

    Args:
        x: floating-point input.

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        TypeError: for an input that is not floating point.

    Example:
        >>> round(selu(gk.tensor([1.0])).item(), 6)
        1.050701
    """
    return _ELU(SELU_ALPHA, SELU_SCALE)(_float_input(x, "selu"))


class _Softplus(Op):
    """``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold`` (if a threshold is set).

    Derivative ``sigmoid(beta x)`` (1 on the linear part), written with gradkit ops.
    """

    lin = None  # where beta x > threshold, when any element is

    def __init__(self, beta, threshold):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        xp = get_array_module(x)
        t = x.dtype.type
        z = x * t(self.beta) if self.beta != 1.0 else x
        y = xp.log1p(xp.exp(-xp.abs(z)))
        y += xp.maximum(z, 0)
        if self.beta != 1.0:
            y /= t(self.beta)
        if self.threshold is not None:
            lin = z > self.threshold
            if lin.any():  # usually none is: skip a pass in both directions
                self.lin = lin
                y = xp.where(lin, x, y)
        return y

    def backward(self, gy):
        x = self.inputs[0]
        d = ops.sigmoid(x * self.beta if self.beta != 1.0 else x)
        if self.lin is not None:
            d = ops.where(const(self.lin), 1.0, d)
        return gy * d


def softplus(x, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """Smooth ReLU ``(1/beta) log(1 + exp(beta x))``; derivative ``sigmoid(beta x)``.

    Computed as ``max(z, 0) + log1p(exp(-|z|))`` with ``z = beta x``, so no overflow. As in
    PyTorch, it returns ``x`` itself where ``beta x > threshold``.

    Args:
        x: input tensor.
        beta: sharpness (default 1).
        threshold: above this ``beta x`` the function is treated as linear (default 20).

    Returns:
        Positive values, in ``x``'s shape and dtype.

    Raises:
        TypeError: for an input that is not floating point.

    Example:
        >>> round(softplus(gk.tensor([0.0])).item(), 6)
        0.693147
    """
    return _Softplus(float(beta), None if threshold is None else float(threshold))(_float_input(x, "softplus"))


def _erf(a):
    """The error function on an array (SciPy/CuPy when present, else exact ``math.erf`` per element)."""
    if backend.is_cupy_array(a):
        xp = get_array_module(a)
        if backend.is_real_cupy(xp):  # pragma: no cover - needs CuPy and a GPU
            from cupyx.scipy.special import erf

            return erf(a)
        return xp.asarray(_erf(backend.to_numpy(a)))  # a CuPy stand-in without cupyx: explicit copies
    try:
        from scipy.special import erf
    except ImportError:  # pragma: no cover - scipy is usually installed
        return np.vectorize(math.erf, otypes=[a.dtype])(a) if a.size else a.copy()
    return erf(a).astype(a.dtype, copy=False)


class _NormalCDF(Op):
    """``Phi(x) = (1 + erf(x / sqrt 2)) / 2``; derivative the normal density ``phi(x)``."""

    def forward(self, x):
        t = x.dtype.type
        y = _erf(x * t(_INV_SQRT_2))
        y += t(1)
        y *= t(0.5)
        return y

    def backward(self, gy):
        x = self.inputs[0]
        return gy * (ops.exp(x * x * -0.5) * _INV_SQRT_2PI)


class _GELU(FusedOp):
    """``x * Phi(x)``, or its tanh approximation, as one kernel.

    Derivative (written once, on arrays, from what the forward kept)::

        exact:  Phi(x) + x phi(x),   phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
        tanh:   (1 + th) / 2 + x (1 - th^2) c (1 + 3 k x^2) / 2,   th = tanh(c (x + k x^3))

    Higher derivatives come from :meth:`composite`, the same function on primitives.
    """

    def __init__(self, approximate):
        self.approximate = approximate

    def forward(self, x):
        xp = get_array_module(x)
        t = x.dtype.type
        if self.approximate == "tanh":
            u = x * x
            u *= t(_GELU_TANH_C)
            u += t(1)
            u *= x
            u *= t(_SQRT_2_OVER_PI)
            self.th = th = xp.tanh(u)
            y = th + t(1)
            y *= x
            y *= t(0.5)
            return y
        self.cdf = cdf = _NormalCDF().forward(x)
        return x * cdf

    def backward_arrays(self, g):
        a = self.inputs[0].array
        t = a.dtype.type
        if self.approximate == "tanh":
            th = self.th
            d = (t(1) - th * th) * a
            d *= t(0.5 * _SQRT_2_OVER_PI)
            d *= a * a * t(3 * _GELU_TANH_C) + t(1)
            d += (th + t(1)) * t(0.5)
        else:
            d = get_array_module(a).exp(a * a * t(-0.5))
            d *= a
            d *= t(_INV_SQRT_2PI)
            d += self.cdf
        d *= g
        return d

    def composite(self, x):
        if self.approximate == "tanh":
            return x * 0.5 * (ops.tanh((x + x * x * x * _GELU_TANH_C) * _SQRT_2_OVER_PI) + 1.0)
        return x * _NormalCDF()(x)


def gelu(x, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit (Hendrycks & Gimpel, 2016): ``x * Phi(x)``.

    ``approximate='none'`` uses the exact normal CDF ``Phi(x) = (1 + erf(x/sqrt 2)) / 2``;
    ``approximate='tanh'`` uses ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.

    Args:
        x: floating-point input.
        approximate: ``'none'`` (exact, default) or ``'tanh'``.

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        ValueError: for another ``approximate``.

    Example:
        >>> round(gelu(gk.tensor([1.0])).item(), 4)
        0.8413
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _GELU(approximate)(_float_input(x, "gelu"))


def _softmax_dim(name, ndim, dim):
    """The axis to normalize over; ``None`` for a 0-d input (its own single-element row)."""
    if dim is None:
        warnings.warn(
            f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
            UserWarning,
            stacklevel=3,
        )
        dim = 0 if ndim in (0, 1, 3) else 1
    if ndim == 0:
        return None
    if not -ndim <= dim < ndim:
        raise IndexError(f"{name}: dim {dim} is out of range for an input with {ndim} dimensions")
    return dim % ndim


class _Softmax(Op):
    """``y = exp(x - max) / sum(exp(x - max))`` along ``axis``; backward ``y * (g - sum(g * y))``.

    The rule is written once with gradkit ops on the output, so it can be differentiated again.
    """

    saves_output = True

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        if x.size == 0:  # an empty slice: nothing to normalize (NumPy's max has no identity)
            return x.copy()
        return softmax_parts(x, self.axis, shifted=False)[2]

    def backward(self, gy):
        y = self.output()
        gyy = gy * y
        return gyy - y * ops.sum(gyy, self.axis, keepdim=True)


class _LogSoftmax(Op):
    """``y = x - logsumexp(x)`` along ``axis``; backward ``g - exp(y) * sum(g)``.

    The rule is written once with gradkit ops on the output, so it can be differentiated again.
    """

    saves_output = True

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        if x.size == 0:
            return x.copy()
        _, z, _, log_s = softmax_parts(x, self.axis, probs=False)
        z -= log_s
        return z

    def backward(self, gy):
        return gy - ops.exp(self.output()) * ops.sum(gy, self.axis, keepdim=True)


def softmax(x, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim``: turns scores into probabilities.

    Computed stably (the maximum is subtracted first), one fused op with the analytic
    backward ``dL/dx = y * (g - sum(g * y))``.

    Args:
        x: input tensor.
        dim: the dimension that sums to 1. ``None`` follows PyTorch's deprecated implicit
            choice (0 for 0-, 1- and 3-D inputs, else 1) and warns.

    Returns:
        Probabilities of ``x``'s shape that sum to 1 along ``dim``; NaN on a slice whose maximum is
        not finite (all ``-inf``, a ``+inf`` or a NaN), as PyTorch.

    Raises:
        IndexError: for ``dim`` out of range.
        TypeError: for an input that is not floating point.

    Example:
        >>> softmax(gk.tensor([1e4, 0.0, -1e4]), dim=0).tolist()
        [1.0, 0.0, 0.0]
    """
    x = _float_input(x, "softmax")
    if dtype is not None:
        x = x.to(dtype)
    return _Softmax(_softmax_dim("softmax", x.ndim, dim))(x)


def log_softmax(x, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``x_i - log sum_j exp(x_j)`` along ``dim`` (stable; more accurate than ``log(softmax)``).

    Args:
        x: input tensor.
        dim: as in :func:`softmax`.

    Returns:
        Log-probabilities of ``x``'s shape (``-inf`` where ``x`` is ``-inf``); NaN on a slice whose
        maximum is not finite, as PyTorch.

    Raises:
        IndexError: for ``dim`` out of range.
        TypeError: for an input that is not floating point.

    Example:
        >>> round(log_softmax(gk.tensor([0.0, 0.0]), dim=0)[0].item(), 6)
        -0.693147
    """
    x = _float_input(x, "log_softmax")
    if dtype is not None:
        x = x.to(dtype)
    return _LogSoftmax(_softmax_dim("log_softmax", x.ndim, dim))(x)
