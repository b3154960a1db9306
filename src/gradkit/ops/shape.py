"""Shape ops: reshape, permute, broadcast, sum-to, indexing (and ``nonzero``), concatenation, padding."""

from __future__ import annotations

import numbers

import numpy as np

from ..autograd.function import Op
from ..backend import get_array_module
from ..errors import ShapeError
from ..tensor import Tensor
from ._util import const, ensure_tensor, norm_axes, shape_str


__all__ = [  # gk.<name>; the other functions here are gradkit-internal
    "argwhere", "broadcast_to", "cat", "chunk", "concat", "concatenate", "expand", "flatten", "nonzero",
    "pad", "permute", "reshape", "split", "squeeze", "stack", "transpose", "unsqueeze", "view",
]


class Reshape(Op):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.inputs[0].shape)


class Permute(Op):
    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        inv = tuple(np.argsort(self.axes))
        return Permute(inv)(gy)


class BroadcastTo(Op):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return sum_to(gy, self.inputs[0].shape)


def _sum_to_axes(shape_from, shape_to):
    lead = len(shape_from) - len(shape_to)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape_to) if s == 1 and shape_from[i + lead] != 1
    )
    return lead, axes


class SumTo(Op):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        lead, axes = _sum_to_axes(x.shape, self.shape)
        y = x.sum(axis=axes, keepdims=True) if axes else x
        if lead:
            y = y.reshape(self.shape)
        return y

    def backward(self, gy):
        return broadcast_to(gy, self.inputs[0].shape)


def reshape(x, *shape) -> Tensor:
    """A tensor with the same data in a new shape (-1 infers one dimension); ``view`` is an alias.

    Raises:
        ValueError: when the sizes do not match, naming both shapes.
    """
    x = ensure_tensor(x)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    if shape == x.array.shape:
        return x
    try:
        return Reshape(shape)(x)
    except ValueError:
        raise ShapeError(
            f"reshape: cannot reshape a tensor of shape {shape_str(x.shape)} ({x.array.size} elements) "
            f"into shape {shape_str(shape)}"
        ) from None


view = reshape


def permute(x, *dims) -> Tensor:
    """Reorder dimensions: ``permute(x, (0, 2, 1))``."""
    x = ensure_tensor(x)
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    given, dims = dims, norm_axes(dims, x.ndim)  # IndexError for a dim out of range
    if sorted(dims) != list(range(x.ndim)):
        raise ValueError(f"permute: dims {given} are not a permutation of the {x.ndim} dimensions of {shape_str(x.shape)}")
    if dims == tuple(range(x.ndim)):
        return x
    return Permute(dims)(x)


def transpose(x, dim0=-2, dim1=-1) -> Tensor:
    """Swap two dimensions (the last two by default)."""
    x = ensure_tensor(x)
    if x.ndim < 2:
        return x
    axes = list(range(x.ndim))
    d0, d1 = norm_axes((dim0, dim1), x.ndim)
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return permute(x, tuple(axes))


def flatten(x, start_dim=0, end_dim=-1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one."""
    x = ensure_tensor(x)
    if x.ndim == 0:
        return reshape(x, (1,))
    s, e = norm_axes((start_dim, end_dim), x.ndim)
    shape = x.shape[:s] + (-1,) + x.shape[e + 1 :]
    if any(d == 0 for d in x.shape):
        n = 1
        for d in x.shape[s : e + 1]:
            n *= d
        shape = x.shape[:s] + (n,) + x.shape[e + 1 :]
    return reshape(x, shape)


def squeeze(x, dim=None, axis=None) -> Tensor:
    """Remove size-1 dimensions (all, or the given ``dim``)."""
    x = ensure_tensor(x)
    dim = axis if dim is None else dim
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
    else:
        axes = norm_axes(dim, x.ndim)
        shape = tuple(s for i, s in enumerate(x.shape) if not (i in axes and s == 1))
    return reshape(x, shape)


def unsqueeze(x, dim) -> Tensor:
    """Insert a size-1 dimension at ``dim``."""
    x = ensure_tensor(x)
    if not -x.ndim - 1 <= dim <= x.ndim:
        raise IndexError(f"unsqueeze: dim {dim} is out of range for a tensor with {x.ndim} dimensions")
    d = dim % (x.ndim + 1)
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])


def broadcast_to(x, *shape) -> Tensor:
    """``x`` broadcast to ``shape`` (a view; the gradient is summed back)."""
    x = ensure_tensor(x)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(shape)
    if shape == x.array.shape:
        return x
    try:
        return BroadcastTo(shape)(x)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {shape_str(x.shape)} to {shape_str(shape)}") from None


def expand(x, *sizes) -> Tensor:
    """Broadcast to ``sizes``; -1 keeps a dimension (PyTorch's ``expand``)."""
    x = ensure_tensor(x)
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return broadcast_to(x, shape)


def sum_to(x, shape) -> Tensor:
    """Sum ``x`` down to ``shape`` (the reverse of broadcasting)."""
    shape = tuple(shape)
    if x.array.shape == shape:
        return x
    return SumTo(shape)(x)


# --------------------------------------------------------------------- indexing
def _index_arrays(index):
    """Replace Tensors (and lists) inside an index by arrays."""
    if isinstance(index, tuple):
        return tuple(_index_item(i) for i in index)
    return _index_item(index)


def _index_item(i):
    if isinstance(i, Tensor):
        return i.array
    if isinstance(i, list):
        return np.asarray(i)
    return i


def _has_int_array(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    for i in items:
        if hasattr(i, "dtype") and i.dtype.kind in "iu" and not isinstance(i, numbers.Integral):
            return True
    return False


class GetItem(Op):
    def __init__(self, index):
        self.index = index

    def forward(self, x):
        return x[self.index]

    def backward(self, gy):
        x = self.inputs[0]
        return IndexAdd(self.index, x.shape)(gy)


class IndexAdd(Op):
    """The gradient of indexing: a zero tensor with ``gy`` added at ``index`` (repeats accumulate)."""

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, gy):
        xp = get_array_module(gy)
        out = xp.zeros(self.shape, dtype=gy.dtype)
        if _has_int_array(self.index):
            xp.add.at(out, self.index, gy)
        else:
            out[self.index] = gy
        return out

    def backward(self, ggx):
        return GetItem(self.index)(ggx)


def getitem(x, index) -> Tensor:
    """``x[index]`` with slices, integers, ``None``, ``...``, integer arrays and boolean masks.

    Integer arrays may repeat indices: their gradients accumulate.
    """
    x = ensure_tensor(x)
    idx = _index_arrays(index)
    try:
        return GetItem(idx)(x)
    except IndexError as exc:
        raise IndexError(f"index {index!r} is invalid for a tensor of shape {shape_str(x.shape)}: {exc}") from None


# --------------------------------------------------------------------- joining and splitting
class Cat(Op):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return get_array_module(*xs).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        out = []
        start = 0
        nd = gy.ndim
        for x, need in zip(self.inputs, self.needs_input_grad):
            n = x.shape[self.axis]
            if need:
                sl = [slice(None)] * nd
                sl[self.axis] = slice(start, start + n)
                out.append(gy[tuple(sl)])
            else:
                out.append(None)
            start += n
        return tuple(out)


def cat(tensors, dim=0, axis=None) -> Tensor:
    """Join tensors along an existing dimension (``concat`` and ``concatenate`` are aliases).

    Raises:
        ValueError: when shapes differ outside ``dim``, listing them.
    """
    dim = dim if axis is None else axis
    tensors = [ensure_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat() needs at least one tensor")
    nd = tensors[0].ndim
    if nd == 0:
        raise ValueError("cat() cannot join 0-d tensors; use stack()")
    d = norm_axes(dim, nd)[0]
    for t in tensors:
        if t.ndim != nd or t.shape[:d] + t.shape[d + 1 :] != tensors[0].shape[:d] + tensors[0].shape[d + 1 :]:
            shapes = ", ".join(shape_str(t.shape) for t in tensors)
            raise ValueError(f"cat: tensors must match in every dimension except {d}, got shapes {shapes}")
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) > 1:  # PyTorch's promotion: the widest float if any (integers join it), else NumPy's
        floats = [dt for dt in dtypes if dt.kind in "fc"]
        target = np.result_type(*(floats or dtypes))
        tensors = [t if t.dtype == target else t.to(target) for t in tensors]
    return Cat(d)(*tensors)


concat = concatenate = cat


def stack(tensors, dim=0, axis=None) -> Tensor:
    """Join tensors of equal shape along a new dimension.

    Raises:
        ValueError: when the shapes differ, listing them.
    """
    dim = dim if axis is None else axis
    tensors = [ensure_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack() needs at least one tensor")
    if len({t.shape for t in tensors}) > 1:
        raise ValueError("stack: all tensors must have the same shape, got " + ", ".join(shape_str(t.shape) for t in tensors))
    return cat([unsqueeze(t, dim) for t in tensors], dim)


def split(x, split_size_or_sections, dim=0, axis=None) -> tuple:
    """Split into pieces of ``split_size`` (last may be smaller) or of the given sizes (PyTorch semantics)."""
    x = ensure_tensor(x)
    dim = norm_axes(dim if axis is None else axis, x.ndim)[0]
    n = x.shape[dim]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0:
            raise ValueError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, n - s) for s in range(0, n, step)]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise ValueError(f"split: sections {sizes} sum to {sum(sizes)}, but dimension {dim} has size {n}")
    out, start = [], 0
    for s in sizes:
        sl = [slice(None)] * x.ndim
        sl[dim] = slice(start, start + s)
        out.append(x[tuple(sl)])
        start += s
    return tuple(out)


def chunk(x, chunks: int, dim=0) -> tuple:
    """Split into ``chunks`` nearly equal pieces."""
    x = ensure_tensor(x)
    n = x.shape[norm_axes(dim, x.ndim)[0]]
    return split(x, max(1, -(-n // chunks)), dim)


class Pad(Op):
    def __init__(self, widths, value):
        self.widths, self.value = widths, value

    def forward(self, x):
        return get_array_module(x).pad(x, self.widths, mode="constant", constant_values=self.value)

    def backward(self, gy):
        sl = tuple(slice(lo, gy.shape[i] - hi) for i, (lo, hi) in enumerate(self.widths))
        return gy[sl]


def pad(x, pad, value=0.0) -> Tensor:
    """Pad with a constant.

    ``pad`` is PyTorch's flat tuple starting from the last dimension,
    ``(left, right, top, bottom, ...)``, or NumPy's per-dimension pairs
    ``((before, after), ...)`` covering every dimension.
    """
    x = ensure_tensor(x)
    pad = tuple(pad)
    if pad and isinstance(pad[0], (tuple, list)):
        if len(pad) != x.ndim:
            raise ValueError(f"pad: got {len(pad)} (before, after) pairs for a tensor with {x.ndim} dimensions")
        widths = tuple((int(a), int(b)) for a, b in pad)
    else:
        if len(pad) % 2 or len(pad) // 2 > x.ndim:
            raise ValueError(f"pad: expected an even number of values for at most {x.ndim} dimensions, got {pad}")
        widths = [(0, 0)] * x.ndim
        for k in range(len(pad) // 2):
            widths[x.ndim - 1 - k] = (int(pad[2 * k]), int(pad[2 * k + 1]))
        widths = tuple(widths)
    if any(a < 0 or b < 0 for a, b in widths):
        raise ValueError(f"pad: widths must be non-negative, got {widths}")
    return Pad(widths, value)(x)


def nonzero(x, as_tuple=False):
    """Indices of the non-zero (``True``) elements of ``x``, as in ``torch.nonzero``; no gradient.

    Args:
        x: a tensor (or array-like) of any shape, bool or numeric.
        as_tuple: ``False`` (default) gives one int64 tensor of shape ``(n, x.ndim)``, one row per
            non-zero element in row-major order; ``True`` gives a tuple of ``x.ndim`` int64 tensors
            of shape ``(n,)``, one per dimension, usable as an index (``x[x.nonzero(as_tuple=True)]``).
            A 0-d ``x`` is treated as 1-d by ``as_tuple=True`` (torch's convention) and gives shape
            ``(n, 0)`` otherwise.

    Returns:
        An int64 tensor ``(n, ndim)``, or a tuple of int64 tensors ``(n,)``. The result never
        requires grad: indices have no derivative.

    Raises:
        TypeError: if ``as_tuple`` is not a bool.

    Example:
        >>> import gradkit as gk
        >>> gk.nonzero(gk.tensor([[0.0, 1.5], [2.0, 0.0]])).tolist()
        [[0, 1], [1, 0]]
        >>> [t.tolist() for t in gk.tensor([0, 3, 0, 4]).nonzero(as_tuple=True)]
        [[1, 3]]
    """
    if not isinstance(as_tuple, (bool, np.bool_)):
        raise TypeError(f"nonzero: as_tuple must be a bool, got {type(as_tuple).__name__}")
    x = ensure_tensor(x)
    xp = get_array_module(x.array)
    data = x.array
    if data.ndim == 0:
        if as_tuple:
            return (const(xp.nonzero(data.reshape(1))[0].astype("int64")),)
        return const(xp.zeros((int(bool(data)), 0), dtype="int64"))
    idx = xp.nonzero(data)
    if as_tuple:
        return tuple(const(i.astype("int64")) for i in idx)
    return const(xp.stack(idx, axis=1).astype("int64") if idx else xp.zeros((0, 0), dtype="int64"))


def argwhere(x) -> Tensor:
    """Indices of the non-zero elements as one int64 tensor ``(n, x.ndim)``: ``nonzero(x)``, as in
    ``torch.argwhere``; no gradient.

    Example:
        >>> import gradkit as gk
        >>> gk.argwhere(gk.tensor([0, 2, 0, 5])).tolist()
        [[1], [3]]
    """
    return nonzero(x, as_tuple=False)
