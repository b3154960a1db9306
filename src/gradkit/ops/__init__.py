"""Differentiable primitives and the functions built on them.

Every function here takes Tensors (or values convertible to them) and returns Tensors;
the ones that carry gradients are :class:`~gradkit.autograd.function.Op` subclasses with
forward and backward side by side.

Each derivative is written once. A primitive's ``backward`` is written with these same ops:
the engine runs it without recording for an ordinary ``backward()`` and records it for
``create_graph=True`` (telling the op through ``op.create_graph``; no rule reads the grad
mode), which gives higher-order gradients. A rule that needs the forward's result calls
``self.output()``. A kernel fused for speed (``linear`` here; cross-entropy, convolution,
batch norm and the recurrent kernels in ``nn.functional``) is a :class:`~gradkit.autograd.function.FusedOp` with one
derivative on raw arrays and a ``composite`` of primitives from which every higher
derivative follows. The full statement is at the top of ``autograd/function.py``.
"""

from .elementwise import (  # noqa: F401
    abs, add, allclose, cast, clamp, clip, clone, compare, cos, div, eq, exp, ge, gt, isfinite, isnan, le,
    log, logical_and, logical_not, logical_or, lt, maximum, minimum, mul, ne, neg, pow, relu, sigmoid, sign,
    sin, sqrt, square, sub, tanh, to_device, where,
)
from .linalg import linear, matmul  # noqa: F401
from .reduce import (  # noqa: F401
    all, amax, amin, any, argmax, argmin, logsumexp, max, mean, min, std, sum, var,
)
from .shape import (  # noqa: F401
    _index_arrays, argwhere, broadcast_to, cat, chunk, concat, concatenate, expand, flatten, getitem, nonzero,
    pad, permute, reshape, split, squeeze, stack, sum_to, transpose, unsqueeze, view,
)


def zeros_like_tensor(x):
    """A constant zero tensor shaped like ``x`` (for gradients that do not flow)."""
    from ..backend import get_array_module
    from ._util import const

    return const(get_array_module(x.array).zeros(x.shape, dtype=x.dtype))


# Functions that are also Tensor methods (x.sum(), x.reshape(...), ...).
TENSOR_METHODS = (
    "sum", "mean", "var", "std", "max", "min", "amax", "amin", "argmax", "argmin", "logsumexp",
    "exp", "log", "sqrt", "abs", "pow", "square", "clamp", "clip", "maximum", "minimum", "tanh", "sigmoid",
    "relu", "sin", "cos", "sign", "reshape", "view", "transpose", "permute", "flatten", "squeeze",
    "unsqueeze", "expand", "broadcast_to", "split", "chunk", "matmul", "any", "all", "isnan", "isfinite",
    "nonzero", "argwhere",
)
