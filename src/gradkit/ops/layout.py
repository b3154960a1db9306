"""Layout ops beyond reshaping: flip, roll, rot90, tril/triu, diagonals, repeat, tile, unfold and friends.

The primitives here (flip, roll, tril/triu, diagonal and its transpose) carry backward rules;
everything else is composed from them and from the shape ops, so each derivative is written once.
Names, arguments and results follow PyTorch.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..autograd.function import Op
from ..backend import get_array_module
from ..tensor import Tensor
from ._util import const, ensure_tensor, norm_axes, shape_str
from .shape import (
    ShapeError, broadcast_to, cat, flatten, getitem, pad, permute, reshape, stack, transpose, unsqueeze,
)


__all__ = [  # gk.<name>; the other functions here are gradkit-internal
    "atleast_1d", "atleast_2d", "atleast_3d", "block_diag", "broadcast_shapes", "broadcast_tensors",
    "cartesian_prod", "diag", "diag_embed", "diagflat", "diagonal", "dsplit", "flip", "fliplr", "flipud",
    "hsplit", "meshgrid", "moveaxis", "movedim", "narrow", "repeat_interleave", "roll", "rot90", "swapaxes",
    "swapdims", "t", "tensor_split", "tile", "tril", "triu", "unbind", "unflatten", "vsplit",
]


def _dims(dims, ndim):
    if isinstance(dims, (int, np.integer)):
        dims = (int(dims),)
    return norm_axes(tuple(dims), ndim)


# --------------------------------------------------------------------- primitives
class Flip(Op):
    def __init__(self, dims):
        self.dims = dims

    def forward(self, x):
        return get_array_module(x).flip(x, self.dims).copy()

    def backward(self, gy):
        return Flip(self.dims)(gy)


class Roll(Op):
    def __init__(self, shifts, dims):
        self.shifts, self.dims = shifts, dims

    def forward(self, x):
        return get_array_module(x).roll(x, self.shifts, self.dims)

    def backward(self, gy):
        neg = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return Roll(neg, self.dims)(gy)


class Tri(Op):
    """``tril`` (``upper=False``) or ``triu`` of the last two dimensions."""

    def __init__(self, k, upper):
        self.k, self.upper = k, upper

    def forward(self, x):
        xp = get_array_module(x)
        return xp.triu(x, self.k) if self.upper else xp.tril(x, self.k)

    def backward(self, gy):
        return Tri(self.k, self.upper)(gy)


def _diag_rows_cols(xp, n1, n2, offset):
    n = max(0, min(n1 + min(offset, 0), n2 - max(offset, 0)))
    return xp.arange(n) + max(-offset, 0), xp.arange(n) + max(offset, 0)


class Diagonal(Op):
    """The diagonal ``offset`` of the planes ``(dim1, dim2)``, appended as the last dimension."""

    def __init__(self, offset, dim1, dim2):
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2

    def forward(self, x):
        return get_array_module(x).diagonal(x, self.offset, self.dim1, self.dim2).copy()

    def backward(self, gy):
        return DiagScatter(self.inputs[0].shape, self.offset, self.dim1, self.dim2)(gy)


class DiagScatter(Op):
    """A zero tensor of ``shape`` whose diagonal ``offset`` of ``(dim1, dim2)`` is ``x``'s last dimension."""

    def __init__(self, shape, offset, dim1, dim2):
        self.shape, self.offset, self.dim1, self.dim2 = tuple(shape), offset, dim1, dim2

    def forward(self, x):
        xp = get_array_module(x)
        out = xp.zeros(self.shape, dtype=x.dtype)
        view = xp.moveaxis(out, (self.dim1, self.dim2), (-2, -1))
        rows, cols = _diag_rows_cols(xp, view.shape[-2], view.shape[-1], self.offset)
        view[..., rows, cols] = x
        return out

    def backward(self, gy):
        return Diagonal(self.offset, self.dim1, self.dim2)(gy)


# --------------------------------------------------------------------- flips, rolls, triangles
def flip(input, dims) -> Tensor:
    """Reverse the order of elements along ``dims`` (a copy, as in PyTorch).

    Examples:
        >>> import gradkit as gk
        >>> gk.flip(gk.tensor([[1, 2], [3, 4]]), [1]).tolist()
        [[2, 1], [4, 3]]
    """
    x = ensure_tensor(input)
    return Flip(_dims(dims, x.ndim) if x.ndim else ())(x)


def fliplr(input) -> Tensor:
    """Flip left-right (dimension 1); needs at least 2 dimensions.

    Examples:
        >>> import gradkit as gk
        >>> gk.fliplr(gk.tensor([[1, 2], [3, 4]])).tolist()
        [[2, 1], [4, 3]]
    """
    x = ensure_tensor(input)
    if x.ndim < 2:
        raise ShapeError(f"fliplr: the input must have at least 2 dimensions, got shape {shape_str(x.shape)}")
    return flip(x, (1,))


def flipud(input) -> Tensor:
    """Flip up-down (dimension 0); needs at least 1 dimension.

    Examples:
        >>> import gradkit as gk
        >>> gk.flipud(gk.tensor([[1, 2], [3, 4]])).tolist()
        [[3, 4], [1, 2]]
    """
    x = ensure_tensor(input)
    if x.ndim < 1:
        raise ShapeError("flipud: the input must have at least 1 dimension, got a 0-d tensor")
    return flip(x, (0,))


def roll(input, shifts, dims=None) -> Tensor:
    """Shift elements cyclically by ``shifts`` along ``dims`` (the flattened tensor when ``dims`` is None).

    Examples:
        >>> import gradkit as gk
        >>> gk.roll(gk.tensor([1, 2, 3, 4]), 1).tolist()
        [4, 1, 2, 3]
    """
    x = ensure_tensor(input)
    if dims is None:
        if not isinstance(shifts, (int, np.integer)):
            raise ShapeError(f"roll: shifts {shifts} needs dims of the same length")
        return reshape(Roll(int(shifts), None)(flatten(x)), x.shape)
    shifts = (int(shifts),) if isinstance(shifts, (int, np.integer)) else tuple(int(s) for s in shifts)
    d = _dims(dims, x.ndim)
    if len(shifts) != len(d):
        raise ShapeError(f"roll: shifts {shifts} and dims {tuple(d)} must have the same length")
    return Roll(shifts, d)(x)


def rot90(input, k=1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane ``dims``, from the first axis towards the second.

    Examples:
        >>> import gradkit as gk
        >>> gk.rot90(gk.tensor([[1, 2], [3, 4]])).tolist()
        [[2, 4], [1, 3]]
    """
    x = ensure_tensor(input)
    if len(dims) != 2:
        raise ShapeError(f"rot90: dims must hold 2 dimensions, got {dims}")
    d0, d1 = _dims(dims, x.ndim)
    if d0 == d1:
        raise ShapeError(f"rot90: the two dims must differ, got {dims}")
    k %= 4
    if k == 1:
        return transpose(flip(x, (d1,)), d0, d1)
    if k == 2:
        return flip(x, (d0, d1))
    if k == 3:
        return flip(transpose(x, d0, d1), (d1,))
    return x


def tril(input, diagonal=0) -> Tensor:
    """The lower triangle of the last two dimensions (``diagonal`` > 0 keeps more above it).

    Examples:
        >>> import gradkit as gk
        >>> gk.tril(gk.ones(2, 3)).tolist()
        [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
    """
    x = ensure_tensor(input)
    if x.ndim < 2:
        raise ShapeError(f"tril: the input must have at least 2 dimensions, got shape {shape_str(x.shape)}")
    return Tri(int(diagonal), False)(x)


def triu(input, diagonal=0) -> Tensor:
    """The upper triangle of the last two dimensions (``diagonal`` > 0 drops more above it).

    Examples:
        >>> import gradkit as gk
        >>> gk.triu(gk.ones(2, 3), 1).tolist()
        [[0.0, 1.0, 1.0], [0.0, 0.0, 1.0]]
    """
    x = ensure_tensor(input)
    if x.ndim < 2:
        raise ShapeError(f"triu: the input must have at least 2 dimensions, got shape {shape_str(x.shape)}")
    return Tri(int(diagonal), True)(x)


# --------------------------------------------------------------------- diagonals
def diagonal(input, offset=0, dim1=0, dim2=1) -> Tensor:
    """The diagonal ``offset`` of the planes ``(dim1, dim2)``, as the last dimension (PyTorch's order).

    Examples:
        >>> import gradkit as gk
        >>> gk.diagonal(gk.tensor([[1, 2], [3, 4]])).tolist()
        [1, 4]
    """
    x = ensure_tensor(input)
    if x.ndim < 2:
        raise ShapeError(f"diagonal: the input must have at least 2 dimensions, got shape {shape_str(x.shape)}")
    d1, d2 = norm_axes((dim1, dim2), x.ndim)
    if d1 == d2:
        raise ShapeError(f"diagonal: dim1 and dim2 must differ, got {dim1} and {dim2}")
    return Diagonal(int(offset), d1, d2)(x)


def diag_embed(input, offset=0, dim1=-2, dim2=-1) -> Tensor:
    """Matrices whose diagonal ``offset`` (in the planes ``dim1, dim2`` of the result) is ``input``'s last dim.

    Examples:
        >>> import gradkit as gk
        >>> gk.diag_embed(gk.tensor([1, 2])).tolist()
        [[1, 0], [0, 2]]
    """
    x = ensure_tensor(input)
    if x.ndim < 1:
        raise ShapeError("diag_embed: the input must have at least 1 dimension, got a 0-d tensor")
    nd = x.ndim + 1
    d1, d2 = norm_axes((dim1, dim2), nd)
    if d1 == d2:
        raise ShapeError(f"diag_embed: dim1 and dim2 must differ, got {dim1} and {dim2}")
    m = x.shape[-1] + abs(int(offset))
    rest = list(x.shape[:-1])
    shape = []
    for i in range(nd):
        shape.append(m if i in (d1, d2) else rest.pop(0))
    return DiagScatter(tuple(shape), int(offset), d1, d2)(x)


def diag(input, diagonal=0) -> Tensor:
    """A 1-D input becomes a square matrix with it on diagonal ``diagonal``; a 2-D input gives that diagonal.

    Examples:
        >>> import gradkit as gk
        >>> gk.diag(gk.tensor([1, 2])).tolist()
        [[1, 0], [0, 2]]
    """
    x = ensure_tensor(input)
    if x.ndim == 1:
        return diag_embed(x, diagonal, 0, 1)
    if x.ndim == 2:
        return globals()["diagonal"](x, diagonal, 0, 1)
    raise ShapeError(f"diag: the input must be 1-D or 2-D, got shape {shape_str(x.shape)}")


def diagflat(input, offset=0) -> Tensor:
    """The flattened input on diagonal ``offset`` of a square matrix.

    Examples:
        >>> import gradkit as gk
        >>> gk.diagflat(gk.tensor([[1, 2]])).tolist()
        [[1, 0], [0, 2]]
    """
    return diag_embed(flatten(ensure_tensor(input)), offset, 0, 1)


# --------------------------------------------------------------------- moving and selecting dimensions
def t(input) -> Tensor:
    """Transpose a matrix; 0-d and 1-d tensors come back as they are (PyTorch's ``t``).

    Examples:
        >>> import gradkit as gk
        >>> gk.t(gk.tensor([[1, 2, 3]])).tolist()
        [[1], [2], [3]]
    """
    x = ensure_tensor(input)
    if x.ndim > 2:
        raise ShapeError(f"t: expects a tensor with at most 2 dimensions, got shape {shape_str(x.shape)}; "
                         "use transpose")
    return transpose(x, 0, 1) if x.ndim == 2 else x


def movedim(input, source, destination) -> Tensor:
    """Move dimension(s) ``source`` to position(s) ``destination``, keeping the others' order.

    Examples:
        >>> import gradkit as gk
        >>> gk.movedim(gk.zeros(2, 3, 4), 0, -1).shape
        (3, 4, 2)
    """
    x = ensure_tensor(input)
    src, dst = _dims(source, x.ndim), _dims(destination, x.ndim)
    if len(src) != len(dst) or len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ShapeError(f"movedim: source {source} and destination {destination} must be distinct dims of equal count")
    order = [d for d in range(x.ndim) if d not in src]
    for s, d in sorted(zip(dst, src)):
        order.insert(s, d)
    return permute(x, tuple(order))


moveaxis = movedim


def swapaxes(input, axis0, axis1) -> Tensor:
    """Swap two dimensions (``transpose`` with required dims; ``swapdims`` is an alias).

    Examples:
        >>> import gradkit as gk
        >>> gk.swapaxes(gk.zeros(2, 3, 4), 0, 2).shape
        (4, 3, 2)
    """
    return transpose(ensure_tensor(input), axis0, axis1)


def swapdims(input, dim0, dim1) -> Tensor:
    """Swap two dimensions (an alias of ``swapaxes``).

    Examples:
        >>> import gradkit as gk
        >>> gk.swapdims(gk.zeros(2, 3, 4), 0, 1).shape
        (3, 2, 4)
    """
    return transpose(ensure_tensor(input), dim0, dim1)


def narrow(input, dim, start, length) -> Tensor:
    """The slice ``start:start+length`` of dimension ``dim`` (a negative ``start`` counts from the end).

    Examples:
        >>> import gradkit as gk
        >>> gk.narrow(gk.tensor([1, 2, 3, 4]), 0, 1, 2).tolist()
        [2, 3]
    """
    x = ensure_tensor(input)
    (d,) = norm_axes(dim, x.ndim)
    n = x.shape[d]
    start = int(start)
    if start < 0:
        start += n
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise IndexError(f"narrow: start {start} and length {length} exceed dimension {d} of size {n}")
    return getitem(x, (slice(None),) * d + (slice(start, start + int(length)),))


def unbind(input, dim=0) -> tuple:
    """The slices along ``dim``, each without that dimension.

    Examples:
        >>> import gradkit as gk
        >>> [t.tolist() for t in gk.unbind(gk.tensor([[1, 2], [3, 4]]), 1)]
        [[1, 3], [2, 4]]
    """
    x = ensure_tensor(input)
    (d,) = norm_axes(dim, x.ndim)
    return tuple(getitem(x, (slice(None),) * d + (i,)) for i in range(x.shape[d]))


def unflatten(input, dim, sizes) -> Tensor:
    """Split dimension ``dim`` into ``sizes`` (one entry may be -1).

    Examples:
        >>> import gradkit as gk
        >>> gk.unflatten(gk.zeros(2, 12), 1, (3, -1)).shape
        (2, 3, 4)
    """
    x = ensure_tensor(input)
    (d,) = norm_axes(dim, x.ndim)
    sizes = tuple(int(s) for s in sizes)
    known = int(np.prod([s for s in sizes if s != -1]))
    if sizes.count(-1) > 1 or (sizes.count(-1) == 0 and known != x.shape[d]) or (known and x.shape[d] % known):
        raise ShapeError(f"unflatten: sizes {sizes} do not multiply to dimension {d} of size {x.shape[d]}")
    return reshape(x, x.shape[:d] + sizes + x.shape[d + 1:])


def unfold(input, dimension, size, step) -> Tensor:
    """Windows of ``size`` every ``step`` along ``dimension``, as a new last dimension (``Tensor.unfold``).

    Examples:
        >>> import gradkit as gk
        >>> gk.arange(5).unfold(0, 2, 2).tolist()
        [[0, 1], [2, 3]]
    """
    x = ensure_tensor(input)
    if x.ndim == 0:  # PyTorch: a 0-d tensor gives its one window of size 1
        norm_axes(dimension, 1)
        if size != 1 or step <= 0:
            raise ShapeError(f"unfold: a 0-d tensor has one window of size 1, got size {size} and step {step}")
        return reshape(x, (1,))
    (d,) = norm_axes(dimension, x.ndim)
    n = x.shape[d]
    if size > n or size < 0 or step <= 0:
        raise ShapeError(f"unfold: size {size} (at most {n}) and step {step} (positive) do not fit dimension {d}")
    xp = get_array_module(x.array)
    idx = xp.arange(0, n - size + 1, step)[:, None] + xp.arange(size)
    y = getitem(x, (slice(None),) * d + (const(idx),))
    return movedim(y, d + 1, -1)


# --------------------------------------------------------------------- repeating
def tile(input, dims) -> Tensor:
    """Repeat ``input`` ``dims[i]`` times along each dimension (missing leading entries are 1).

    Examples:
        >>> import gradkit as gk
        >>> gk.tile(gk.tensor([1, 2]), (2,)).tolist()
        [1, 2, 1, 2]
    """
    x = ensure_tensor(input)
    dims = tuple(int(r) for r in dims)
    if len(dims) < x.ndim:
        dims = (1,) * (x.ndim - len(dims)) + dims
    return repeat(x, *dims)


def repeat(input, *sizes) -> Tensor:
    """Repeat the whole tensor ``sizes[i]`` times along dimension ``i`` (``Tensor.repeat``; NumPy's tile).

    Examples:
        >>> import gradkit as gk
        >>> gk.tensor([1, 2]).repeat(2, 2).tolist()
        [[1, 2, 1, 2], [1, 2, 1, 2]]
    """
    x = ensure_tensor(input)
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < x.ndim:
        raise ShapeError(
            f"repeat: the number of repeats ({len(sizes)}) cannot be smaller than the number of dimensions ({x.ndim})"
        )
    shape = (1,) * (len(sizes) - x.ndim) + x.shape
    inter = tuple(v for s in shape for v in (1, s))
    full = tuple(v for r, s in zip(sizes, shape) for v in (r, s))
    y = broadcast_to(reshape(x, inter), full)
    return reshape(y, tuple(r * s for r, s in zip(sizes, shape)))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Repeat each element ``repeats`` times (an int or one count per element) along ``dim``.

    With ``dim=None`` the input is flattened first. ``torch.repeat_interleave(counts)`` with one
    tensor gives the indices ``0, 0, 1, ...`` repeated by ``counts``.

    Examples:
        >>> import gradkit as gk
        >>> gk.repeat_interleave(gk.tensor([1, 2]), 2).tolist()
        [1, 1, 2, 2]
    """
    x = ensure_tensor(input)
    if repeats is None:  # repeat_interleave(counts)
        counts = x.array
        xp = get_array_module(counts)
        return const(xp.repeat(xp.arange(counts.shape[0]), counts))
    if dim is None:
        x, dim = flatten(x), 0
    (d,) = norm_axes(dim, x.ndim)
    n = x.shape[d]
    xp = get_array_module(x.array)
    if isinstance(repeats, Tensor):
        repeats = repeats.array
    if isinstance(repeats, numbers.Integral) or (hasattr(repeats, "ndim") and repeats.ndim == 0) or (
        hasattr(repeats, "shape") and repeats.shape == (1,)
    ):
        r = int(repeats.reshape(()) if hasattr(repeats, "reshape") else repeats)
        idx = xp.repeat(xp.arange(n), r)
    else:
        reps = xp.asarray(repeats)
        if reps.shape != (n,):
            raise ShapeError(f"repeat_interleave: repeats must have shape ({n},) for dimension {d}, got {reps.shape}")
        idx = xp.repeat(xp.arange(n), reps)
    return getitem(x, (slice(None),) * d + (const(idx),))


# --------------------------------------------------------------------- splitting
def tensor_split(input, indices_or_sections, dim=0) -> tuple:
    """Split into ``sections`` nearly equal parts (the first ones one larger) or at the given indices.

    Examples:
        >>> import gradkit as gk
        >>> [p.tolist() for p in gk.tensor_split(gk.arange(5), 3)]
        [[0, 1], [2, 3], [4]]
    """
    x = ensure_tensor(input)
    (d,) = norm_axes(dim, x.ndim)
    n = x.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        ios = ios.tolist()
    if isinstance(ios, numbers.Integral):
        if ios <= 0:
            raise ShapeError(f"tensor_split: the number of sections must be positive, got {ios}")
        q, r = divmod(n, int(ios))
        sizes = [q + 1] * r + [q] * (int(ios) - r)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    else:
        bounds = [0] + [int(i) for i in ios] + [n]
    out = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        a, b = min(max(a + n if a < 0 else a, 0), n), min(max(b + n if b < 0 else b, 0), n)
        out.append(getitem(x, (slice(None),) * d + (slice(a, max(a, b)),)))
    return tuple(out)


def _np_split(name, x, ios, dim, min_nd):
    x = ensure_tensor(x)
    if x.ndim < min_nd:
        raise ShapeError(f"{name}: needs at least {min_nd} dimensions, got shape {shape_str(x.shape)}")
    if isinstance(ios, numbers.Integral) and x.shape[dim] % ios:
        raise ShapeError(f"{name}: dimension {dim} of size {x.shape[dim]} does not split into {ios} equal parts")
    return tensor_split(x, ios, dim)


def hsplit(input, indices_or_sections) -> tuple:
    """Split along dimension 1 (dimension 0 for 1-D input); sections must divide it.

    Examples:
        >>> import gradkit as gk
        >>> [p.tolist() for p in gk.hsplit(gk.tensor([[1, 2, 3, 4]]), 2)]
        [[[1, 2]], [[3, 4]]]
    """
    x = ensure_tensor(input)
    return _np_split("hsplit", x, indices_or_sections, 1 if x.ndim > 1 else 0, 1)


def vsplit(input, indices_or_sections) -> tuple:
    """Split along dimension 0 of an input with at least 2 dimensions.

    Examples:
        >>> import gradkit as gk
        >>> [p.shape for p in gk.vsplit(gk.zeros(4, 2), [1])]
        [(1, 2), (3, 2)]
    """
    return _np_split("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections) -> tuple:
    """Split along dimension 2 of an input with at least 3 dimensions.

    Examples:
        >>> import gradkit as gk
        >>> [p.shape for p in gk.dsplit(gk.zeros(1, 2, 4), 2)]
        [(1, 2, 2), (1, 2, 2)]
    """
    return _np_split("dsplit", input, indices_or_sections, 2, 3)


# --------------------------------------------------------------------- building from several tensors
def broadcast_shapes(*shapes) -> tuple:
    """The shape that all ``shapes`` broadcast to.

    Raises:
        ShapeError: when they cannot be broadcast together, listing them.

    Examples:
        >>> import gradkit as gk
        >>> gk.broadcast_shapes((3, 1), (4,))
        (3, 4)
    """
    shapes = [(s,) if isinstance(s, numbers.Integral) else tuple(s) for s in shapes]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ShapeError("broadcast_shapes: shapes " + ", ".join(shape_str(s) for s in shapes)
                         + " cannot be broadcast together") from None


def broadcast_tensors(*tensors) -> tuple:
    """The tensors broadcast to their common shape.

    Examples:
        >>> import gradkit as gk
        >>> [t.shape for t in gk.broadcast_tensors(gk.zeros(3, 1), gk.zeros(4))]
        [(3, 4), (3, 4)]
    """
    ts = [ensure_tensor(t) for t in tensors]
    shape = broadcast_shapes(*(t.shape for t in ts))
    return tuple(broadcast_to(t, shape) for t in ts)


def meshgrid(*tensors, indexing="ij") -> tuple:
    """Coordinate grids from 1-D tensors; ``indexing='xy'`` swaps the first two output dimensions.

    Examples:
        >>> import gradkit as gk
        >>> [g.shape for g in gk.meshgrid(gk.zeros(2), gk.zeros(3), indexing="xy")]
        [(3, 2), (3, 2)]
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    ts = [ensure_tensor(t) for t in tensors]
    for t_ in ts:
        if t_.ndim > 1:
            raise ShapeError(f"meshgrid: expects 0-d or 1-d tensors, got shape {shape_str(t_.shape)}")
    ts = [reshape(t_, (-1,)) for t_ in ts]
    shape = tuple(t_.shape[0] for t_ in ts)
    n = len(ts)
    out = [broadcast_to(reshape(t_, (1,) * i + (-1,) + (1,) * (n - i - 1)), shape) for i, t_ in enumerate(ts)]
    if indexing == "xy" and n >= 2:
        out = [transpose(o, 0, 1) for o in out]
    return tuple(out)


def cartesian_prod(*tensors) -> Tensor:
    """All combinations of the elements of 1-D tensors, one per row (a single tensor comes back as is).

    Examples:
        >>> import gradkit as gk
        >>> gk.cartesian_prod(gk.tensor([1, 2]), gk.tensor([3, 4])).tolist()
        [[1, 3], [1, 4], [2, 3], [2, 4]]
    """
    ts = [ensure_tensor(t_) for t_ in tensors]
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return stack([flatten(g) for g in grids], 1)


def block_diag(*tensors) -> Tensor:
    """A block-diagonal matrix of the inputs (0-d and 1-d inputs count as one row).

    Examples:
        >>> import gradkit as gk
        >>> gk.block_diag(gk.tensor([[1, 2]]), gk.tensor(3)).tolist()
        [[1, 2, 0], [0, 0, 3]]
    """
    ts = []
    for t_ in tensors:
        t_ = ensure_tensor(t_)
        if t_.ndim > 2:
            raise ShapeError(f"block_diag: inputs must have at most 2 dimensions, got shape {shape_str(t_.shape)}")
        ts.append(reshape(t_, (1,) * (2 - t_.ndim) + t_.shape))
    if not ts:
        return const(np.zeros((1, 0), dtype=np.float32))
    cols = sum(t_.shape[1] for t_ in ts)
    rows, left = [], 0
    for t_ in ts:
        rows.append(pad(t_, ((0, 0), (left, cols - left - t_.shape[1]))))
        left += t_.shape[1]
    return cat(rows, 0)


def atleast_1d(*tensors):
    """Each input viewed with at least 1 dimension (a tuple for several inputs).

    Examples:
        >>> import gradkit as gk
        >>> gk.atleast_1d(gk.tensor(1.0)).shape
        (1,)
    """
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    """Each input viewed with at least 2 dimensions (a 1-d ``(n,)`` becomes ``(1, n)``).

    Examples:
        >>> import gradkit as gk
        >>> gk.atleast_2d(gk.zeros(3)).shape
        (1, 3)
    """
    return _atleast(tensors, 2)


def atleast_3d(*tensors):
    """Each input viewed with at least 3 dimensions (``(n,)`` becomes ``(1, n, 1)``, ``(m, n)`` ``(m, n, 1)``).

    Examples:
        >>> import gradkit as gk
        >>> gk.atleast_3d(gk.zeros(2, 3)).shape
        (2, 3, 1)
    """
    return _atleast(tensors, 3)


def _atleast(tensors, nd):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(_atleast(tuple(tensors[0]), nd))
    out = []
    for t_ in tensors:
        t_ = ensure_tensor(t_)
        if t_.ndim < nd:
            if nd == 3 and t_.ndim == 2:
                t_ = unsqueeze(t_, -1)
            elif nd == 3 and t_.ndim == 1:
                t_ = reshape(t_, (1, -1, 1))
            else:
                t_ = reshape(t_, (1,) * (nd - t_.ndim) + t_.shape)
        out.append(t_)
    return out[0] if len(out) == 1 else tuple(out)
