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

    Unlike PyTorch's ``view``, which refuses a non-contiguous tensor (after ``transpose``) and asks
    for ``reshape``, gradkit's ``view`` reshapes it (copying when it must).

    Raises:
        ShapeError: (a ValueError and RuntimeError) when the sizes do not match, naming both shapes.

    Examples:
        >>> import gradkit as gk
        >>> gk.zeros(2, 6).reshape(3, -1).shape
        (3, 4)
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


view = reshape  # also on non-contiguous tensors (PyTorch raises there and asks for reshape)


def permute(x, *dims) -> Tensor:
    """Reorder dimensions: ``permute(x, (0, 2, 1))``."""
    x = ensure_tensor(x)
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    given, dims = dims, norm_axes(dims, x.ndim)  # IndexError for a dim out of range
    if sorted(dims) != list(range(x.ndim)):
        raise ShapeError(f"permute: dims {given} are not a permutation of the {x.ndim} dimensions of {shape_str(x.shape)}")
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
    """Remove size-1 dimensions: all, or those of ``dim`` (an int or a tuple) that have size 1.

    As in PyTorch, a 0-d tensor accepts ``dim`` 0 or -1 and comes back unchanged.

    Examples:
        >>> import gradkit as gk
        >>> gk.zeros(1, 3, 1, 2).squeeze((0, 2)).shape
        (3, 2)
    """
    x = ensure_tensor(x)
    dim = axis if dim is None else dim
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
    elif x.ndim == 0:  # PyTorch accepts dim 0 or -1 on a 0-d tensor
        norm_axes(dim, 1)
        return x
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
        raise ShapeError(f"broadcast_to: cannot broadcast shape {shape_str(x.shape)} to {shape_str(shape)}") from None


def expand(x, *sizes) -> Tensor:
    """Broadcast to ``sizes``; -1 keeps a dimension (PyTorch's ``expand``)."""
    x = ensure_tensor(x)
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return broadcast_to(x, shape)


class Contiguous(Op):
    def forward(self, x):
        return get_array_module(x).ascontiguousarray(x)

    def backward(self, gy):
        return gy


def contiguous(x) -> Tensor:
    """``x`` itself when its storage is C-contiguous, else a C-contiguous copy (``Tensor.contiguous``).

    Examples:
        >>> import gradkit as gk
        >>> gk.zeros(2, 3).T.contiguous().is_contiguous()
        True
    """
    x = ensure_tensor(x)
    return x if x.array.flags.c_contiguous else Contiguous()(x)


def is_contiguous(x) -> bool:
    """Whether ``x``'s storage is C-contiguous (a transpose or a strided slice is not).

    Examples:
        >>> import gradkit as gk
        >>> (gk.zeros(2, 3).is_contiguous(), gk.zeros(2, 3).T.is_contiguous())
        (True, False)
    """
    return bool(ensure_tensor(x).array.flags.c_contiguous)


def view_as(x, other) -> Tensor:
    """``x`` reshaped to ``other``'s shape (gradkit's ``view`` also accepts non-contiguous tensors).

    Examples:
        >>> import gradkit as gk
        >>> gk.zeros(6).view_as(gk.zeros(3, 2)).shape
        (3, 2)
    """
    return reshape(x, ensure_tensor(other).shape)


def reshape_as(x, other) -> Tensor:
    """``x`` reshaped to ``other``'s shape.

    Examples:
        >>> import gradkit as gk
        >>> gk.zeros(6).reshape_as(gk.zeros(2, 3)).shape
        (2, 3)
    """
    return reshape(x, ensure_tensor(other).shape)


def expand_as(x, other) -> Tensor:
    """``x`` broadcast to ``other``'s shape.

    Examples:
        >>> import gradkit as gk
        >>> gk.tensor([1, 2]).expand_as(gk.zeros(3, 2)).shape
        (3, 2)
    """
    return broadcast_to(x, ensure_tensor(other).shape)


def sum_to(x, shape) -> Tensor:
    """Sum ``x`` down to ``shape`` (the reverse of broadcasting)."""
    shape = tuple(shape)
    if x.array.shape == shape:
        return x
    return SumTo(shape)(x)


# --------------------------------------------------------------------- indexing
_BASIC_TYPES = (int, slice, type(None), type(Ellipsis))


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


def _is_array(i) -> bool:
    return hasattr(i, "dtype") and hasattr(i, "ndim")


def torch_index(index, shape):
    """Split an index into ``(basic, advanced)`` so that ``a[basic][advanced]`` is PyTorch's ``a[index]``.

    NumPy counts an integer as an advanced index when it meets index arrays, and moves the
    broadcast dimensions of advanced indices that are not next to each other to the front.
    PyTorch first applies integers (and 0-d integer tensors) as plain selections, then the index
    tensors: ``x[1, :, idx]`` has shape ``(x.shape[1], len(idx), ...)`` in PyTorch but
    ``(len(idx), x.shape[1], ...)`` in NumPy. ``basic`` holds the integers, slices and ``None``s
    (a view); ``advanced`` the index arrays and boolean masks with ``slice(None)`` elsewhere.
    ``advanced`` is None when the index has no arrays, and ``basic`` is None when NumPy already
    agrees with PyTorch (then ``advanced`` is the whole index).

    Args:
        index: an index whose Tensors and lists are already arrays (see ``_index_arrays``).
        shape: the shape of the indexed tensor (boolean masks must match the dimensions they cover,
            as PyTorch requires; NumPy lets a size-0 mask pass over a size-1 dimension).

    Returns:
        ``(basic, advanced)``.

    Examples:
        >>> import numpy as np
        >>> b, a = torch_index((1, slice(None), np.array([0, 1])), (2, 3, 4))
        >>> np.zeros((2, 3, 4))[b][a].shape
        (3, 2)
    """
    items = index if isinstance(index, tuple) else (index,)
    items = tuple(int(i) if _is_array(i) and i.ndim == 0 and i.dtype.kind in "iu" else i for i in items)
    if not any(_is_array(i) or type(i) is bool for i in items):
        return items, None
    used = sum(i.ndim if _is_array(i) and i.dtype.kind == "b" else 1
               for i in items if i is not None and i is not Ellipsis and type(i) is not bool)
    ndim = len(shape)
    basic, adv, has_int, pos = [], [], False, 0
    for i in items:
        if i is Ellipsis:
            basic.extend([slice(None)] * max(ndim - used, 0))
            adv.extend([slice(None)] * max(ndim - used, 0))
            pos += max(ndim - used, 0)
            continue
        if i is not None and type(i) is not bool:
            if _is_array(i) and i.dtype.kind == "b" and i.ndim and tuple(i.shape) != tuple(shape[pos:pos + i.ndim]):
                raise IndexError(f"the boolean mask of shape {shape_str(i.shape)} does not match the dimensions "
                                 f"{shape_str(shape[pos:pos + i.ndim])} it indexes, starting at dimension {pos}")
            pos += i.ndim if _is_array(i) and i.dtype.kind == "b" else 1
        if type(i) is bool:
            adv.append(np.asarray(i))
        elif isinstance(i, numbers.Integral):
            basic.append(i)
            has_int = True
        elif i is None or isinstance(i, slice):
            basic.append(i)
            adv.append(slice(None))
        else:
            basic.extend([slice(None)] * (i.ndim if i.dtype.kind == "b" else 1))
            adv.append(i)
    if not has_int:
        return None, items
    return tuple(basic), tuple(adv)


class GetItem(Op):
    """``x[index]``, or ``x[pre][index]`` (PyTorch's order of integer and tensor indices)."""

    def __init__(self, index, pre=None):
        self.index, self.pre = index, pre

    def forward(self, x):
        if self.pre is not None:
            x = x[self.pre]
        return x[self.index]

    def backward(self, gy):
        x = self.inputs[0]
        return IndexAdd(self.index, x.shape, self.pre)(gy)


class IndexAdd(Op):
    """The gradient of indexing: a zero tensor with ``gy`` added at ``index`` (repeats accumulate)."""

    def __init__(self, index, shape, pre=None):
        self.index, self.shape, self.pre = index, shape, pre

    def forward(self, gy):
        xp = get_array_module(gy)
        out = xp.zeros(self.shape, dtype=gy.dtype)
        target = out if self.pre is None else out[self.pre]
        if _has_int_array(self.index):
            xp.add.at(target, self.index, gy)
        else:
            target[self.index] = gy
        return out

    def backward(self, ggx):
        return GetItem(self.index, self.pre)(ggx)


def getitem(x, index) -> Tensor:
    """``x[index]`` with slices, integers, ``None``, ``...``, integer tensors and boolean masks.

    Dimensions come out in PyTorch's order (see :func:`torch_index`), which differs from
    NumPy's when integers and index tensors are separated by slices. Integer tensors may repeat
    indices: their gradients accumulate.

    Examples:
        >>> import gradkit as gk
        >>> x = gk.zeros(2, 3, 4)
        >>> x[1, :, [0, 2]].shape
        (3, 2)
    """
    x = ensure_tensor(x)
    if type(index) in _BASIC_TYPES:  # the hot paths: x[i], x[a:b]
        op = GetItem(index)
    elif type(index) is tuple and all(type(i) in _BASIC_TYPES for i in index):  # x[:, 3]
        op = GetItem(index)
    elif isinstance(index, Tensor):  # x[idx], x[mask]: NumPy and PyTorch agree
        arr = index.array
        if arr.dtype.kind == "b" and arr.ndim and arr.shape != x.shape[: arr.ndim]:
            torch_index((arr,), x.shape)  # raises naming the shapes
        op = GetItem(arr)
    else:
        basic, adv = torch_index(_index_arrays(index), x.shape)
        op = GetItem(basic) if adv is None else GetItem(adv, basic)
    try:
        return op(x)
    except IndexError as exc:
        raise IndexError(f"index {index!r} is invalid for a tensor of shape {shape_str(x.shape)}: {exc}") from None


def setitem(x, index, value) -> None:
    """``x[index] = value`` in place, with PyTorch's indexing (see :func:`getitem`); no graph.

    ``value`` (a Tensor, array or number) broadcasts to the shape of ``x[index]`` and is cast to
    ``x``'s dtype. Repeated integer indices keep one of the written values, as in PyTorch.

    Examples:
        >>> import gradkit as gk
        >>> x = gk.zeros(2, 3)
        >>> gk.ops.setitem(x, (1, [0, 2]), 5.0)
        >>> x.tolist()
        [[0.0, 0.0, 0.0], [5.0, 0.0, 5.0]]
    """
    v = value.array if isinstance(value, Tensor) else value
    arr = x.array
    basic, adv = torch_index(_index_arrays(index), x.shape)
    try:
        if adv is None:
            arr[basic] = v
        elif basic is None:
            arr[adv] = v
        else:
            arr[basic][adv] = v
    except IndexError as exc:
        raise IndexError(f"index {index!r} is invalid for a tensor of shape {shape_str(x.shape)}: {exc}") from None
    except ValueError as exc:
        vshape = getattr(v, "shape", ())
        raise ShapeError(
            f"setitem: a value of shape {shape_str(vshape)} cannot be written into x[{index!r}] of a tensor "
            f"of shape {shape_str(x.shape)}: {exc}"
        ) from None


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
        raise ShapeError("cat() needs at least one tensor")
    nd = tensors[0].ndim
    if nd == 0:
        raise ShapeError("cat() cannot join 0-d tensors; use stack()")
    d = norm_axes(dim, nd)[0]
    for t in tensors:
        if t.ndim != nd or t.shape[:d] + t.shape[d + 1 :] != tensors[0].shape[:d] + tensors[0].shape[d + 1 :]:
            shapes = ", ".join(shape_str(t.shape) for t in tensors)
            raise ShapeError(f"cat: tensors must match in every dimension except {d}, got shapes {shapes}")
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
        raise ShapeError("stack() needs at least one tensor")
    if len({t.shape for t in tensors}) > 1:
        raise ShapeError("stack: all tensors must have the same shape, got " + ", ".join(shape_str(t.shape) for t in tensors))
    return cat([unsqueeze(t, dim) for t in tensors], dim)


def split(x, split_size_or_sections, dim=0, axis=None) -> tuple:
    """Split into pieces of ``split_size`` (last may be smaller) or of the given sizes (PyTorch semantics)."""
    x = ensure_tensor(x)
    dim = norm_axes(dim if axis is None else axis, x.ndim)[0]
    n = x.shape[dim]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0:
            raise ShapeError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, n - s) for s in range(0, n, step)]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise ShapeError(f"split: sections {sizes} sum to {sum(sizes)}, but dimension {dim} has size {n}")
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
            raise ShapeError(f"pad: got {len(pad)} (before, after) pairs for a tensor with {x.ndim} dimensions")
        widths = tuple((int(a), int(b)) for a, b in pad)
    else:
        if len(pad) % 2 or len(pad) // 2 > x.ndim:
            raise ShapeError(f"pad: expected an even number of values for at most {x.ndim} dimensions, got {pad}")
        widths = [(0, 0)] * x.ndim
        for k in range(len(pad) // 2):
            widths[x.ndim - 1 - k] = (int(pad[2 * k]), int(pad[2 * k + 1]))
        widths = tuple(widths)
    if any(a < 0 or b < 0 for a, b in widths):
        raise ShapeError(f"pad: widths must be non-negative, got {widths}")
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

    Examples:
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

    Examples:
        >>> import gradkit as gk
        >>> gk.argwhere(gk.tensor([0, 2, 0, 5])).tolist()
        [[1], [3]]
    """
    return nonzero(x, as_tuple=False)
