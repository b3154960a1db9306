"""Matrix products: ``matmul`` (batched, broadcasting) and ``linear`` (one fused layer op)."""

from __future__ import annotations

import string

import numpy as np

from ..autograd.function import FusedOp, Op
from ..backend import get_array_module
from ..parallel import blas_matmul as _mm
from ..tensor import Tensor
from ._util import coerce, const, ensure_tensor, norm_axes, shape_str
from .elementwise import add, mul
from .layout import broadcast_tensors, diagonal, unbind
from .reduce import sum as _sum
from .shape import ShapeError, broadcast_to, permute, reshape, stack, sum_to, transpose


__all__ = [  # gk.<name>; the other functions here are gradkit-internal
    "addbmm", "addmm", "addmv", "addr", "baddbmm", "bmm", "chain_matmul", "cross", "dot", "einsum", "ger", "inner",
    "kron", "linear", "matmul", "matrix_power", "mm", "mv", "outer", "tensordot", "trace", "vdot",
]


class MatMul(Op):
    """``a @ b`` for operands with at least two dimensions (batch dimensions broadcast)."""

    def forward(self, a, b):
        return _mm(a, b)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = sum_to(gy @ transpose(b), a.shape) if na else None
        gb = sum_to(transpose(a) @ gy, b.shape) if nb else None
        return ga, gb


class Linear(FusedOp):
    """``x @ W.T + b`` in one op: forward one GEMM, backward two GEMMs and a reduction on arrays.

    Every dense layer runs it twice a step, so its derivative is written on raw arrays (a
    chain of gradkit ops cost several percent of an MLP's training step); a recorded
    backward (``create_graph=True``) differentiates :meth:`composite` instead.
    """

    def forward(self, x, w, b=None):
        y = _mm(x, w.T)
        if b is not None:
            y += b
        return y

    def backward_arrays(self, g):
        x, w = self.inputs[0].array, self.inputs[1].array
        need = self.needs_input_grad
        gx = _mm(g, w) if need[0] else None
        gw = None
        if need[1]:
            if x.ndim == 2:
                gw = _mm(g.T, x)
            else:
                gw = _mm(g.reshape(-1, g.shape[-1]).T, x.reshape(-1, x.shape[-1]))
        if len(need) == 2:
            return gx, gw
        gb = g.reshape(-1, g.shape[-1]).sum(0) if need[2] else None
        return gx, gw, gb

    def composite(self, x, w, b=None):
        y = matmul(x, transpose(w))
        return y if b is None else y + b


def matmul(a, b) -> Tensor:
    """Matrix product with NumPy/PyTorch semantics (1-D operands, batched broadcasting).

    Raises:
        ShapeError: (a ValueError and RuntimeError) when the inner dimensions differ, naming both shapes.
    """
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        a, b = coerce(a, b) if isinstance(a, Tensor) or isinstance(b, Tensor) else (ensure_tensor(a), ensure_tensor(b))
    elif a.array.dtype != b.array.dtype:
        a, b = coerce(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: both operands need at least one dimension, got shapes {shape_str(a.shape)} and {shape_str(b.shape)}")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        raise ShapeError(
            f"matmul: cannot multiply shapes {shape_str(a.shape)} and {shape_str(b.shape)}: "
            f"inner dimensions {ka} and {kb} differ"
        )
    squeeze_a = a.ndim == 1
    squeeze_b = b.ndim == 1
    if squeeze_a:
        a = reshape(a, (1, ka))
    if squeeze_b:
        b = reshape(b, (kb, 1))
    try:
        y = MatMul()(a, b)
    except ValueError:
        raise ShapeError(
            f"matmul: batch dimensions of shapes {shape_str(a.shape)} and {shape_str(b.shape)} cannot be broadcast"
        ) from None
    if squeeze_a and squeeze_b:
        return reshape(y, ())
    if squeeze_a:
        return reshape(y, y.shape[:-2] + y.shape[-1:])
    if squeeze_b:
        return reshape(y, y.shape[:-1])
    return y


def linear(x, weight, bias=None) -> Tensor:
    """``x @ weight.T + bias`` with ``weight`` of shape (out_features, in_features).

    Raises:
        ValueError: when ``x``'s last dimension is not ``in_features``.
    """
    x = ensure_tensor(x)
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ShapeError(
            f"linear expected input with last dimension {weight.shape[1]}, got shape {shape_str(x.shape)}"
        )
    if x.array.dtype != weight.array.dtype:
        x = x.to(weight.dtype)
    if bias is None:
        return Linear()(x, weight)
    return Linear()(x, weight, bias)


# --------------------------------------------------------------------- products with fixed ranks
def _need(name, x, ndims, what):
    if x.ndim not in ndims:
        want = " or ".join(f"{n}-D" for n in ndims)
        raise ShapeError(f"{name}: {what} must be {want}, got shape {shape_str(x.shape)}")


def _same_dtype(a, b):
    a, b = ensure_tensor(a), ensure_tensor(b)
    return coerce(a, b) if a.array.dtype != b.array.dtype else (a, b)


def mm(input, mat2) -> Tensor:
    """The product of two matrices ``(n, k) @ (k, m)`` (no broadcasting).

    Examples:
        >>> import gradkit as gk
        >>> gk.mm(gk.ones(2, 3), gk.ones(3, 4)).shape
        (2, 4)
    """
    a, b = _same_dtype(input, mat2)
    _need("mm", a, (2,), "input")
    _need("mm", b, (2,), "mat2")
    return matmul(a, b)


def bmm(input, mat2) -> Tensor:
    """Batched matrix product ``(B, n, k) @ (B, k, m)`` (no broadcasting).

    Examples:
        >>> import gradkit as gk
        >>> gk.bmm(gk.ones(5, 2, 3), gk.ones(5, 3, 4)).shape
        (5, 2, 4)
    """
    a, b = _same_dtype(input, mat2)
    _need("bmm", a, (3,), "input")
    _need("bmm", b, (3,), "mat2")
    if a.shape[0] != b.shape[0]:
        raise ShapeError(f"bmm: batch sizes differ: shapes {shape_str(a.shape)} and {shape_str(b.shape)}")
    return matmul(a, b)


def mv(input, vec) -> Tensor:
    """Matrix times vector ``(n, m) @ (m,)``.

    Examples:
        >>> import gradkit as gk
        >>> gk.mv(gk.ones(2, 3), gk.ones(3)).tolist()
        [3.0, 3.0]
    """
    a, b = _same_dtype(input, vec)
    _need("mv", a, (2,), "input")
    _need("mv", b, (1,), "vec")
    return matmul(a, b)


def dot(input, tensor) -> Tensor:
    """The inner product of two 1-D tensors of equal length.

    Examples:
        >>> import gradkit as gk
        >>> gk.dot(gk.tensor([1.0, 2.0]), gk.tensor([3.0, 4.0])).item()
        11.0
    """
    a, b = _same_dtype(input, tensor)
    _need("dot", a, (1,), "input")
    _need("dot", b, (1,), "tensor")
    if a.shape != b.shape:
        raise ShapeError(f"dot: expects tensors of the same length, got shapes {shape_str(a.shape)} and "
                         f"{shape_str(b.shape)}")
    return matmul(a, b)


def vdot(input, other) -> Tensor:
    """``dot`` with the first argument conjugated (the same for real tensors).

    Examples:
        >>> import gradkit as gk
        >>> gk.vdot(gk.tensor([1.0, 2.0]), gk.tensor([3.0, 4.0])).item()
        11.0
    """
    return dot(input, other)


def outer(input, vec2) -> Tensor:
    """The outer product ``input[i] * vec2[j]`` of two 1-D tensors (``ger`` is an alias).

    Examples:
        >>> import gradkit as gk
        >>> gk.outer(gk.tensor([1, 2]), gk.tensor([1, 10])).tolist()
        [[1, 10], [2, 20]]
    """
    a, b = _same_dtype(input, vec2)
    _need("outer", a, (1,), "input")
    _need("outer", b, (1,), "vec2")
    return mul(reshape(a, (-1, 1)), reshape(b, (1, -1)))


ger = outer


def _scaled_sum(name, input, prod, beta, alpha):
    if alpha != 1:
        prod = mul(prod, alpha)
    if beta == 0:  # PyTorch ignores input (even nan) when beta is 0
        return prod
    x = ensure_tensor(input)
    try:
        shape = np.broadcast_shapes(x.shape, prod.shape)
    except ValueError:
        shape = None
    if shape != prod.shape:
        raise ShapeError(f"{name}: input of shape {shape_str(x.shape)} does not broadcast to the product's shape "
                         f"{shape_str(prod.shape)}")
    return add(mul(x, beta) if beta != 1 else x, prod)


def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)`` (``input`` broadcasts to the product's shape).

    Examples:
        >>> import gradkit as gk
        >>> gk.addmm(gk.ones(2), gk.ones(2, 3), gk.ones(3, 2), beta=0.5, alpha=2).tolist()
        [[6.5, 6.5], [6.5, 6.5]]
    """
    return _scaled_sum("addmm", input, mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``.

    Examples:
        >>> import gradkit as gk
        >>> gk.addmv(gk.ones(2), gk.ones(2, 3), gk.ones(3)).tolist()
        [4.0, 4.0]
    """
    return _scaled_sum("addmv", input, mv(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``.

    Examples:
        >>> import gradkit as gk
        >>> gk.baddbmm(gk.ones(2, 1, 1), gk.ones(2, 1, 3), gk.ones(2, 3, 1), beta=0).tolist()
        [[[3.0]], [[3.0]]]
    """
    return _scaled_sum("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``.

    Examples:
        >>> import gradkit as gk
        >>> gk.addbmm(gk.zeros(2, 2), gk.ones(3, 2, 4), gk.ones(3, 4, 2)).tolist()
        [[12.0, 12.0], [12.0, 12.0]]
    """
    return _scaled_sum("addbmm", input, _sum(bmm(batch1, batch2), 0), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``.

    Examples:
        >>> import gradkit as gk
        >>> gk.addr(gk.zeros(2, 2), gk.tensor([1.0, 2.0]), gk.tensor([1.0, 3.0])).tolist()
        [[1.0, 3.0], [2.0, 6.0]]
    """
    return _scaled_sum("addr", input, outer(vec1, vec2), beta, alpha)


def inner(input, other) -> Tensor:
    """The sum of products over the last dimension of both (a 0-d operand multiplies).

    Examples:
        >>> import gradkit as gk
        >>> gk.inner(gk.tensor([1.0, 2.0]), gk.tensor([[1.0, 1.0], [0.0, 1.0]])).tolist()
        [3.0, 2.0]
    """
    a, b = _same_dtype(input, other)
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    return tensordot(a, b, ([-1], [-1]))


def tensordot(a, b, dims=2) -> Tensor:
    """Contract the last ``dims`` dimensions of ``a`` with the first ``dims`` of ``b``, or the listed pairs.

    Args:
        a, b: tensors.
        dims: an int, or a pair of lists ``([dims of a], [dims of b])`` contracted pairwise.

    Returns:
        A tensor of shape ``a``'s free dimensions + ``b``'s free dimensions.

    Examples:
        >>> import gradkit as gk
        >>> gk.tensordot(gk.ones(2, 3, 4), gk.ones(3, 4, 5)).shape
        (2, 5)
    """
    a, b = _same_dtype(a, b)
    if isinstance(dims, (int, np.integer)) or (isinstance(dims, Tensor) and dims.ndim == 0):
        n = int(dims)
        if n < 0 or n > min(a.ndim, b.ndim):
            raise ShapeError(f"tensordot: dims={n} exceeds the dimensions of shapes {shape_str(a.shape)} and "
                             f"{shape_str(b.shape)}")
        da, db = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        da, db = dims
        da = [da] if isinstance(da, (int, np.integer)) else list(da)
        db = [db] if isinstance(db, (int, np.integer)) else list(db)
        da, db = list(norm_axes(tuple(da), a.ndim)), list(norm_axes(tuple(db), b.ndim))
    if len(da) != len(db) or any(a.shape[i] != b.shape[j] for i, j in zip(da, db)):
        raise ShapeError(f"tensordot: contracted dimensions {da} of {shape_str(a.shape)} and {db} of "
                         f"{shape_str(b.shape)} differ in size")
    fa = [i for i in range(a.ndim) if i not in da]
    fb = [j for j in range(b.ndim) if j not in db]
    k = int(np.prod([a.shape[i] for i in da]))
    ma = reshape(permute(a, tuple(fa + da)), (-1, k))
    mb = reshape(permute(b, tuple(db + fb)), (k, -1))
    return reshape(matmul(ma, mb), tuple(a.shape[i] for i in fa) + tuple(b.shape[j] for j in fb))


def kron(input, other) -> Tensor:
    """The Kronecker product: blocks ``input[i, j] * other`` (shapes are padded with leading 1s).

    Examples:
        >>> import gradkit as gk
        >>> gk.kron(gk.tensor([1, 2]), gk.tensor([1, 10])).tolist()
        [1, 10, 2, 20]
    """
    a, b = _same_dtype(input, other)
    nd = max(a.ndim, b.ndim)
    sa, sb = (1,) * (nd - a.ndim) + a.shape, (1,) * (nd - b.ndim) + b.shape
    pa = reshape(a, tuple(v for s in sa for v in (s, 1)))
    pb = reshape(b, tuple(v for s in sb for v in (1, s)))
    return reshape(mul(pa, pb), tuple(x * y for x, y in zip(sa, sb)))


def trace(input) -> Tensor:
    """The sum of the main diagonal of a matrix.

    Examples:
        >>> import gradkit as gk
        >>> gk.trace(gk.tensor([[1, 2], [3, 4]])).item()
        5
    """
    x = ensure_tensor(input)
    _need("trace", x, (2,), "input")
    return _sum(diagonal(x))


def cross(input, other, dim=None) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (default: the first dimension of size 3), broadcasting.

    Examples:
        >>> import gradkit as gk
        >>> gk.cross(gk.tensor([1.0, 0, 0]), gk.tensor([0.0, 1, 0])).tolist()
        [0.0, 0.0, 1.0]
    """
    a, b = broadcast_tensors(*_same_dtype(input, other))
    if dim is None:
        sizes = [i for i, s in enumerate(a.shape) if s == 3]
        if not sizes:
            raise ShapeError(f"cross: no dimension of size 3 in shape {shape_str(a.shape)}")
        dim = sizes[0]
    (d,) = norm_axes(dim, a.ndim)
    if a.shape[d] != 3:
        raise ShapeError(f"cross: dimension {dim} must have size 3, got shape {shape_str(a.shape)}")
    a0, a1, a2 = unbind(a, d)
    b0, b1, b2 = unbind(b, d)
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def chain_matmul(*matrices) -> Tensor:
    """The product of several matrices, left to right.

    Examples:
        >>> import gradkit as gk
        >>> gk.chain_matmul(gk.ones(2, 3), gk.ones(3, 4), gk.ones(4, 1)).tolist()
        [[12.0], [12.0]]
    """
    out = ensure_tensor(matrices[0])
    for m in matrices[1:]:
        out = mm(out, m)
    return out


# --------------------------------------------------------------------- einsum
class Einsum(Op):
    """``einsum`` of one equation; its gradient for each operand is another einsum (see ``_einsum_grad``)."""

    def __init__(self, equation, parsed):
        self.equation, self.parsed = equation, parsed

    def forward(self, *xs):
        xp = get_array_module(*xs)
        return xp.einsum(self.equation, *xs, optimize=len(xs) > 1)

    def backward(self, gy):
        return tuple(_einsum_grad(self, i, gy) if need else None for i, need in enumerate(self.needs_input_grad))


def _parse_einsum(equation, shapes):
    """Subscripts with every ``...`` spelled out as letters: ``(inputs, output, forward_equation)``."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) != len(shapes):
        raise ShapeError(f"einsum: the equation {equation!r} has {len(subs)} operands, got {len(shapes)} tensors")
    free = [c for c in string.ascii_letters if c not in eq]
    n_ell = 0
    for s, shape in zip(subs, shapes):
        plain = len(s.replace("...", ""))
        if ("..." in s and plain > len(shape)) or ("..." not in s and plain != len(shape)):
            raise ShapeError(f"einsum: subscripts {s!r} do not fit an operand of shape {shape_str(shape)}")
        if "..." in s:
            n_ell = max(n_ell, len(shape) - plain)
    ell = "".join(free[:n_ell])
    inputs = []
    for s, shape in zip(subs, shapes):
        k = len(shape) - len(s.replace("...", ""))
        inputs.append(s.replace("...", ell[n_ell - k:] if k else ""))
    if arrow:
        output = rhs.replace("...", ell)
        fwd = eq
    else:
        counts = {}
        for s in inputs:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        single = "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
        output = ell + single
        fwd = lhs + "->" + ("..." if "..." in lhs else "") + single
    return inputs, output, fwd, free[n_ell:]


def _einsum_grad(op, i, gy):
    inputs, output, free = op.parsed
    xs = op.inputs
    sizes = {}
    for s, x in zip(inputs, xs):
        for c, n in zip(s, x.shape):
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
    terms, operands = [output], [gy]
    for j, (s, x) in enumerate(zip(inputs, xs)):
        if j != i:
            full = tuple(sizes[c] for c in s)
            terms.append(s)
            operands.append(x if x.shape == full else broadcast_to(x, full))
    xp = get_array_module(gy.array)
    target, seen, fresh = [], set(), iter(free)
    present = set(output).union(*[set(t) for t in terms[1:]])
    for c in inputs[i]:
        if c in seen:  # a repeated subscript (a diagonal): an identity ties the copy to the first
            f = next(fresh)
            terms.append(c + f)
            operands.append(const(xp.eye(sizes[c], dtype=gy.dtype)))
            target.append(f)
        else:
            seen.add(c)
            target.append(c)
            if c not in present:  # summed inside this operand alone: the gradient is broadcast
                terms.append(c)
                operands.append(const(xp.ones(sizes[c], dtype=gy.dtype)))
                present.add(c)
    g = einsum(",".join(terms) + "->" + "".join(target), *operands)
    return sum_to(g, xs[i].shape)


def einsum(equation, *operands) -> Tensor:
    """Einstein summation as in ``torch.einsum`` (``...`` broadcasts; implicit output is alphabetical).

    Args:
        equation: subscripts such as ``"bij,bjk->bik"``; letters a-z and A-Z.
        *operands: the tensors (or one list of them).

    Returns:
        The contracted tensor. Its gradient for each operand is again an einsum, so higher
        derivatives follow.

    Examples:
        >>> import gradkit as gk
        >>> gk.einsum("ij,jk->ik", gk.ones(2, 3), gk.ones(3, 4)).shape
        (2, 4)
        >>> gk.einsum("ii", gk.eye(3)).item()
        3.0
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    xs = [ensure_tensor(x) for x in operands]
    if len({x.array.dtype for x in xs}) > 1:
        target = np.result_type(*[x.array.dtype for x in xs])
        xs = [x if x.array.dtype == target else x.to(target) for x in xs]
    inputs, output, fwd, free = _parse_einsum(equation, [x.shape for x in xs])
    try:
        return Einsum(fwd, (inputs, output, free))(*xs)
    except ValueError as exc:
        shapes = ", ".join(shape_str(x.shape) for x in xs)
        raise ShapeError(f"einsum: equation {equation!r} does not fit operands of shapes {shapes}: {exc}") from None


def matrix_power(input, n) -> Tensor:
    """``input`` multiplied by itself ``n`` times (``n`` = 0 gives identities; negative ``n`` inverts first).

    Examples:
        >>> import gradkit as gk
        >>> gk.matrix_power(gk.tensor([[1, 1], [0, 1]]), 3).tolist()
        [[1, 3], [0, 1]]
    """
    x = ensure_tensor(input)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ShapeError(f"matrix_power: expects square matrices (..., n, n), got shape {shape_str(x.shape)}")
    n = int(n)
    if n == 0:
        xp = get_array_module(x.array)
        eye = const(xp.broadcast_to(xp.eye(x.shape[-1], dtype=x.dtype), x.shape).copy())
        return add(eye, mul(x, 0)) if x.requires_grad else eye  # in the graph, with a zero gradient
    if n < 0:
        from .decomp import inv

        x, n = inv(x), -n
    result, base = None, x
    while n:  # square and multiply
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result
