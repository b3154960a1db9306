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

# Each module's ``__all__`` is what it gives the gk.* namespace; the names imported one by one
# below them are gradkit-internal helpers that other subpackages use.
from . import decomp, elementwise, layout, linalg, logic, pointwise, reduce, scan, select, shape, trig
from . import order  # order statistics (h2)
from .decomp import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .elementwise import cast, to_device  # noqa: F401
from .layout import *  # noqa: F401,F403
from .layout import repeat, unfold  # noqa: F401  (Tensor methods only, as in PyTorch)
from .linalg import *  # noqa: F401,F403
from .logic import *  # noqa: F401,F403
from .logic import compare  # noqa: F401
from .order import *  # noqa: F401,F403
from .pointwise import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .scan import *  # noqa: F401,F403
from .select import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .shape import ShapeError, _index_arrays, getitem, setitem, sum_to, torch_index  # noqa: F401
from .shape import contiguous, expand_as, is_contiguous, reshape_as, view_as  # noqa: F401  (methods only)
from .trig import *  # noqa: F401,F403

__all__ = [
    *decomp.__all__, *elementwise.__all__, *layout.__all__, *linalg.__all__, *logic.__all__, *pointwise.__all__,
    *reduce.__all__, *scan.__all__, *select.__all__, *shape.__all__, *trig.__all__,
    *order.__all__,  # order statistics (h2)
]


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
    # shape, layout, linear algebra (h3)
    "t", "narrow", "contiguous", "is_contiguous", "view_as", "reshape_as", "expand_as", "repeat",
    "repeat_interleave", "tile", "flip", "fliplr", "flipud", "roll", "rot90", "tril", "triu", "diag", "diagonal",
    "diag_embed", "diagflat", "unflatten", "unfold", "movedim", "moveaxis", "swapaxes", "swapdims",
    "tensor_split", "hsplit", "vsplit", "dsplit", "unbind", "mm", "bmm", "mv", "dot", "vdot", "outer", "ger",
    "addmm", "addmv", "addbmm", "baddbmm", "addr", "inner", "kron", "trace", "cross",
    "matrix_power", "det", "slogdet", "logdet", "inverse",
    # reductions, scans, selection (h2)
    "prod", "nansum", "nanmean", "aminmax", "count_nonzero", "norm", "dist",
    "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp",
    "sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode", "quantile", "nanquantile",
    "unique", "unique_consecutive", "bincount",
    "gather", "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add", "index_copy", "index_fill",
    "masked_fill", "masked_scatter", "masked_select", "take", "take_along_dim",
    # pointwise (h1)
    "add", "sub", "mul", "div", "true_divide", "floor_divide", "neg", "rsqrt", "reciprocal", "addcmul", "addcdiv",
    "lerp", "fmod", "remainder", "floor", "ceil", "round", "trunc", "fix", "frac", "sgn", "log2", "log10",
    "log1p", "exp2", "expm1", "erf", "erfc", "erfinv", "logit", "tan", "asin", "arcsin", "acos", "arccos", "atan",
    "arctan", "atan2", "arctan2", "sinh", "cosh", "asinh", "arcsinh", "acosh", "arccosh", "atanh", "arctanh",
    "hypot", "xlogy", "nan_to_num", "isinf", "isposinf", "isneginf", "isclose", "allclose", "equal", "eq", "ne",
    "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal", "fmax", "fmin",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift",
    "logical_and", "logical_or", "logical_xor", "logical_not",
)
