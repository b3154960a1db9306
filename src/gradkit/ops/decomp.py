"""Matrix functions and decompositions behind ``gk.linalg``: inverse, determinants, solve, Cholesky,
QR, SVD, symmetric eigendecomposition, and vector and matrix norms.

Forwards run NumPy's (CuPy's) ``linalg`` routines on the last two dimensions, with any leading
batch dimensions, as PyTorch does. Each backward is written once with gradkit ops, so second
derivatives follow (the rules are the standard matrix-calculus ones, e.g. Giles, "An extended
collection of matrix derivative results for forward and reverse mode AD", 2008):

* ``inv``:      ``gA = -Y^T gY Y^T`` with ``Y = A^-1``.
* ``det``:      ``gA = g * det(A) * A^-T``; ``slogdet``: ``gA = g_logabsdet * A^-T``.
* ``solve``:    ``X = A^-1 B``: ``gB = A^-T gX``, ``gA = -gB X^T``.
* ``cholesky``: ``A = L L^T``: ``P = Phi(L^T gL)`` (lower triangle, the diagonal halved, mirrored),
  ``gA = L^-T P L^-1``.
* ``eigh``:     ``A = V diag(w) V^T``: ``gA = V (diag(gw) + F o skew(V^T gV)) V^T`` with
  ``F_ij = 1 / (w_j - w_i)``; needs distinct eigenvalues when ``gV`` is used.
* ``svd``/``svdvals``: ``gA = U diag(gS) V^T`` for the singular values, plus the singular vectors' part
  (see :class:`SVD`); ``qr``: ``gA = (gQ + Q copyltu(R gR^T - gQ^T Q)) R^-T`` for ``m >= n``.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..autograd.function import Op
from ..backend import get_array_module
from ..tensor import Tensor
from ._checks import OpArgumentError
from ._util import const, ensure_tensor, norm_axes, shape_str
from .elementwise import abs as _abs
from .elementwise import sign, where
from .elementwise import add, mul
from .layout import diag_embed, diagonal, movedim, tril
from .linalg import matmul
from .reduce import amax, amin, sum as _sum
from .shape import ShapeError, reshape, sum_to, transpose, unsqueeze


__all__ = [  # gk.<name> (PyTorch's top-level spellings); gk.linalg re-exports the rest
    "cdist", "det", "dist", "inverse", "logdet", "norm", "slogdet",
]


class LinAlgError(ShapeError):
    """A matrix the routine cannot handle (singular, not positive definite); a RuntimeError as in PyTorch."""


def _square(name, x):
    x = ensure_tensor(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ShapeError(f"linalg.{name}: expects square matrices of shape (..., n, n), got {shape_str(x.shape)}")
    if x.array.dtype.kind not in "fc":
        raise TypeError(f"linalg.{name}: expects a floating tensor, got {x.dtype}")
    return x


def _run(name, fn, *arrays):
    xp = get_array_module(*arrays)
    try:
        return fn(xp.linalg, *arrays)
    except np.linalg.LinAlgError as exc:
        raise LinAlgError(f"linalg.{name}: {exc}") from None


def _mT(x):
    return transpose(x, -2, -1)


# --------------------------------------------------------------------- inverse, determinants, solve
class Inv(Op):
    saves_output = True

    def forward(self, a):
        return _run("inv", lambda la, a: la.inv(a), a)

    def backward(self, gy):
        yt = _mT(self.output())
        return -matmul(matmul(yt, gy), yt)


def inv(A) -> Tensor:
    """The inverse of square matrices ``(..., n, n)`` (``gk.inverse`` is an alias).

    Raises:
        LinAlgError: (a RuntimeError) for a singular matrix.

    Examples:
        >>> import gradkit as gk
        >>> gk.linalg.inv(gk.tensor([[2.0, 0.0], [0.0, 4.0]])).tolist()
        [[0.5, 0.0], [0.0, 0.25]]
    """
    return Inv()(_square("inv", A))


inverse = inv


class Det(Op):
    saves_output = True

    def forward(self, a):
        return _run("det", lambda la, a: la.det(a), a)

    def backward(self, gy):
        a = self.inputs[0]
        return mul(unsqueeze(unsqueeze(gy * self.output(), -1), -1), _mT(inv(a)))


def det(A) -> Tensor:
    """The determinant of square matrices ``(..., n, n)``; the gradient needs ``A`` invertible.

    Examples:
        >>> import gradkit as gk
        >>> gk.det(gk.tensor([[1.0, 2.0], [3.0, 4.0]])).item()
        -2.0
    """
    return Det()(_square("det", A))


class SlogDet(Op):
    non_differentiable = (0,)

    def forward(self, a):
        sign, logabs = _run("slogdet", lambda la, a: la.slogdet(a), a)
        return sign.astype(a.dtype), logabs.astype(a.dtype)

    def backward(self, gsign, glog):
        return mul(unsqueeze(unsqueeze(glog, -1), -1), _mT(inv(self.inputs[0])))


def slogdet(A) -> tuple:
    """``(sign, log|det A|)`` of square matrices; the gradient flows through ``logabsdet``.

    Examples:
        >>> import gradkit as gk
        >>> [round(v.item(), 6) for v in gk.slogdet(gk.tensor([[0.0, 2.0], [1.0, 0.0]]))]
        [-1.0, 0.693147]
    """
    return SlogDet()(_square("slogdet", A))


def logdet(A) -> Tensor:
    """``log(det A)`` (nan for a negative determinant, -inf for a singular one).

    Examples:
        >>> import gradkit as gk
        >>> round(gk.logdet(gk.tensor([[2.0, 0.0], [0.0, 3.0]])).item(), 6)
        1.791759
    """
    sign, logabs = slogdet(A)
    xp = get_array_module(sign.array)
    bad = const(xp.where(sign.array < 0, xp.nan, 0).astype(logabs.dtype))
    return add(logabs, bad)


class Solve(Op):
    saves_output = True

    def forward(self, a, b):
        return _run("solve", lambda la, a, b: la.solve(a, b), a, b)

    def backward(self, gx):
        a, b = self.inputs
        gb = solve(_mT(a), gx)
        ga = -matmul(gb, _mT(self.output())) if self.needs_input_grad[0] else None
        return (sum_to(ga, a.shape) if ga is not None else None,
                sum_to(gb, b.shape) if self.needs_input_grad[1] else None)


def solve(A, B, *, left=True) -> Tensor:
    """The solution ``X`` of ``A X = B`` (``X A = B`` with ``left=False``); batch dimensions broadcast.

    ``B`` of shape ``(n,)`` or ``(..., n)`` with the batch shape of ``A`` is a vector, as in PyTorch.

    Examples:
        >>> import gradkit as gk
        >>> gk.linalg.solve(gk.tensor([[2.0, 0.0], [0.0, 4.0]]), gk.tensor([2.0, 2.0])).tolist()
        [1.0, 0.5]
    """
    A = _square("solve", A)
    B = ensure_tensor(B)
    if B.array.dtype != A.array.dtype:
        B = B.to(A.dtype)
    if not left:
        return _mT(solve(_mT(A), _mT(B)))
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape[:-1] == A.shape[:-2])
    b = unsqueeze(B, -1) if vector else B
    if b.ndim < 2 or b.shape[-2] != A.shape[-1]:
        raise ShapeError(f"linalg.solve: B of shape {shape_str(B.shape)} does not fit A of shape {shape_str(A.shape)}")
    batch = np.broadcast_shapes(A.shape[:-2], b.shape[:-2])
    if A.ndim == 2 and b.ndim == 2:
        x = Solve()(A, b)
    else:
        from .shape import broadcast_to

        x = Solve()(broadcast_to(A, batch + A.shape[-2:]), broadcast_to(b, batch + b.shape[-2:]))
    return reshape(x, x.shape[:-1]) if vector else x


# --------------------------------------------------------------------- Cholesky, QR, SVD, eigh
class Cholesky(Op):
    saves_output = True

    def forward(self, a):
        return _run("cholesky", lambda la, a: la.cholesky(a), a)

    def backward(self, gl):
        lo = self.output()
        p = tril(matmul(_mT(lo), gl))
        p = mul(add(p, _mT(tril(p, -1))), 0.5)
        li = inv(lo)
        return matmul(matmul(_mT(li), p), li)


def cholesky(A, *, upper=False) -> Tensor:
    """The Cholesky factor ``L`` (lower) of symmetric positive-definite ``A = L L^T``; ``upper`` gives ``L^T``.

    Raises:
        LinAlgError: when ``A`` is not positive definite.

    Examples:
        >>> import gradkit as gk
        >>> gk.linalg.cholesky(gk.tensor([[4.0, 2.0], [2.0, 5.0]])).tolist()
        [[2.0, 0.0], [1.0, 2.0]]
    """
    lo = Cholesky()(_square("cholesky", A))
    return _mT(lo) if upper else lo


def _nonzero(g) -> bool:
    """Whether an output's gradient is used (the engine hands zeros for an unused output)."""
    return g is not None and bool(get_array_module(g.array).any(g.array != 0))


def _skew(x):
    return add(x, -_mT(x))


class QR(Op):
    """``A = Q R`` (``m >= n``): ``M = R gR^T - gQ^T Q``, ``gA = (gQ + Q copyltu(M)) R^-T`` where
    ``copyltu(M)`` mirrors ``M``'s lower triangle onto the upper one."""

    saves_output = True

    def __init__(self, mode):
        self.mode = mode

    def forward(self, a):
        return _run("qr", lambda la, a: tuple(la.qr(a, mode=self.mode)), a)

    def backward(self, gq, gr):
        m, n = self.inputs[0].shape[-2:]
        if m < n or (self.mode == "complete" and m != n):
            raise NotImplementedError(
                f"linalg.qr: the gradient is implemented for matrices with m >= n (mode='reduced', or square with "
                f"mode='complete'), got a {m} x {n} input with mode={self.mode!r}"
            )
        q, r = self.output(0), self.output(1)
        mm = add(matmul(r, _mT(gr)), -matmul(_mT(gq), q))
        low = tril(mm, -1)
        copyltu = add(add(low, _mT(low)), diag_embed(diagonal(mm, 0, -2, -1)))
        x = add(gq, matmul(q, copyltu))
        return _mT(solve(r, _mT(x)))  # X R^-T


def qr(A, mode="reduced") -> tuple:
    """``(Q, R)`` with ``A = Q R``, ``Q`` orthonormal columns, ``R`` upper triangular.

    The gradient is implemented for ``m >= n`` (``mode='reduced'``, or square input), as the usual
    formula needs ``R`` invertible; ``mode='r'`` gives ``(empty, R)`` without gradient.

    Examples:
        >>> import gradkit as gk
        >>> [t.shape for t in gk.linalg.qr(gk.zeros(4, 3))]
        [(4, 3), (3, 3)]
    """
    A = ensure_tensor(A)
    if A.ndim < 2:
        raise ShapeError(f"linalg.qr: expects matrices (..., m, n), got shape {shape_str(A.shape)}")
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    if mode == "r":
        xp = get_array_module(A.array)
        return const(xp.zeros((0,), dtype=A.dtype)), const(_run("qr", lambda la, a: la.qr(a, mode="r"), A.array))
    return QR(mode)(A)


class SVD(Op):
    """``A = U diag(S) Vh`` with ``k = min(m, n)``: the singular values give ``U diag(gS) Vh``; the
    singular vectors add ``U [(skew(U^T gU) S + S skew(Vh gVh^T)) / E] Vh`` with ``E_ij = S_j^2 - S_i^2``,
    plus the parts of ``gU`` (``gVh``) outside the span of ``U`` (``V``) when ``m > k`` (``n > k``).
    The columns past ``k`` of a ``full_matrices`` ``U`` or ``Vh`` get no gradient, as in PyTorch."""

    saves_output = True

    def __init__(self, full_matrices):
        self.full_matrices = full_matrices

    def forward(self, a):
        return _run("svd", lambda la, a: tuple(la.svd(a, full_matrices=self.full_matrices)), a)

    def backward(self, gu, gs, gvh):
        m, n = self.inputs[0].shape[-2:]
        k = min(m, n)
        u, s, vh = self.output(0)[..., :k], self.output(1), self.output(2)[..., :k, :]
        inner = diag_embed(gs)
        use_u, use_v = _nonzero(gu), _nonzero(gvh)
        if not (use_u or use_v):
            return matmul(matmul(u, inner), vh)
        gu, gvh = gu[..., :k], gvh[..., :k, :]
        s_row, s_col = unsqueeze(s, -2), unsqueeze(s, -1)
        s2 = mul(s, s)
        xp = get_array_module(s.array)
        e = add(add(unsqueeze(s2, -2), -unsqueeze(s2, -1)), const(xp.eye(k, dtype=s.dtype)))
        vecs = add(mul(_skew(matmul(_mT(u), gu)), s_row), mul(s_col, _skew(matmul(vh, _mT(gvh)))))
        inner = add(inner, vecs / e)
        ga = matmul(matmul(u, inner), vh)
        if m > k:
            gus = gu / s_row
            ga = add(ga, matmul(add(gus, -matmul(u, matmul(_mT(u), gus))), vh))
        if n > k:
            svh = gvh / s_col
            ga = add(ga, matmul(u, add(svh, -matmul(matmul(svh, _mT(vh)), vh))))
        return ga


def svd(A, full_matrices=True) -> tuple:
    """``(U, S, Vh)`` with ``A = U diag(S) Vh`` (PyTorch's ``linalg.svd``), singular values descending.

    The gradient through ``U`` and ``Vh`` needs distinct non-zero singular values (it divides by
    their gaps) and, as in PyTorch, a loss that does not depend on the signs of the vectors.

    Examples:
        >>> import gradkit as gk
        >>> [t.shape for t in gk.linalg.svd(gk.zeros(4, 3), full_matrices=False)]
        [(4, 3), (3,), (3, 3)]
    """
    A = ensure_tensor(A)
    if A.ndim < 2:
        raise ShapeError(f"linalg.svd: expects matrices (..., m, n), got shape {shape_str(A.shape)}")
    return SVD(bool(full_matrices))(A)


def svdvals(A) -> Tensor:
    """The singular values of ``A``, in descending order (with gradient).

    Examples:
        >>> import gradkit as gk
        >>> gk.linalg.svdvals(gk.tensor([[3.0, 0.0], [0.0, -4.0]])).tolist()
        [4.0, 3.0]
    """
    return svd(A, full_matrices=False)[1]


class Eigh(Op):
    saves_output = True

    def __init__(self, uplo):
        self.uplo = uplo

    def forward(self, a):
        return _run("eigh", lambda la, a: tuple(la.eigh(a, UPLO=self.uplo)), a)

    def backward(self, gw, gv):
        w, v = self.output(0), self.output(1)
        vt = _mT(v)
        inner = diag_embed(gw)
        if _nonzero(gv):
            xp = get_array_module(w.array)
            eye = xp.eye(w.shape[-1], dtype=w.dtype)
            gaps = add(add(unsqueeze(w, -2), -unsqueeze(w, -1)), const(eye))  # w_j - w_i, 1 on the diagonal
            f = const(1 - eye) / gaps  # in the graph, so second derivatives see w move
            vtgv = matmul(vt, gv)
            skew = mul(_skew(vtgv), 0.5)
            inner = add(inner, mul(f, skew))
        return matmul(matmul(v, inner), vt)


def eigh(A, UPLO="L") -> tuple:
    """``(eigenvalues, eigenvectors)`` of symmetric matrices, eigenvalues ascending (columns of ``V``).

    The gradient through the eigenvectors needs distinct eigenvalues (it divides by their gaps).

    Examples:
        >>> import gradkit as gk
        >>> [round(v, 6) for v in gk.linalg.eigh(gk.tensor([[2.0, 1.0], [1.0, 2.0]]))[0].tolist()]
        [1.0, 3.0]
    """
    return Eigh(UPLO)(_square("eigh", A))


def eigvalsh(A, UPLO="L") -> Tensor:
    """The eigenvalues of symmetric matrices, ascending (with gradient).

    Examples:
        >>> import gradkit as gk
        >>> [round(v, 6) for v in gk.linalg.eigvalsh(gk.tensor([[2.0, 0.0], [0.0, 1.0]])).tolist()]
        [1.0, 2.0]
    """
    return eigh(A, UPLO)[0]


# --------------------------------------------------------------------- norms
class PNorm(Op):
    """``(sum |x|^p)^(1/p)`` over ``axes``; gradient ``sign(x) |x|^(p-1) / y^(p-1)``, 0 where ``y`` is 0."""

    saves_output = True

    def __init__(self, p, axes, keepdims):
        self.p, self.axes, self.keepdims = p, axes, keepdims

    def forward(self, x):
        xp = get_array_module(x)
        a = xp.abs(x)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            if self.p == 2:
                y = xp.sqrt((a * a).sum(axis=self.axes, keepdims=self.keepdims))
            else:
                y = ((a ** self.p).sum(axis=self.axes, keepdims=self.keepdims)) ** (1.0 / self.p)
        return xp.asarray(y, dtype=x.dtype)

    def backward(self, gy):
        x = self.inputs[0]
        y = self.output()
        if not self.keepdims:
            shape = tuple(1 if i in self.axes else s for i, s in enumerate(x.shape))
            gy, y = reshape(gy, shape), reshape(y, shape)
        zero = y.array == 0
        one = const(y.array.dtype.type(1))
        y_safe = where(zero, one, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.p == 2:
                g = gy * x / y_safe
            else:
                g = gy * sign(x) * _abs(x) ** (self.p - 1) / y_safe ** (self.p - 1)
        if bool(zero.any()):
            g = where(zero, const(g.array.dtype.type(0)), g)
        return g


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """``sum(|x|^ord)^(1/ord)`` over ``dim`` (all elements by default); ``ord`` may be inf, -inf or 0.

    Examples:
        >>> import gradkit as gk
        >>> gk.linalg.vector_norm(gk.tensor([3.0, 4.0])).item()
        5.0
    """
    x = ensure_tensor(x)
    if dtype is not None:
        x = x.to(dtype)
    if x.array.dtype.kind not in "fc":
        raise TypeError(f"linalg.vector_norm: expects a floating tensor, got {x.dtype}")
    dims = norm_axes(dim, x.ndim) if x.ndim else ()
    if ord not in (float("inf"), -float("inf"), 0, 1):
        return PNorm(float(ord), dims, keepdim)(x)
    a = _abs(x)
    if ord == float("inf"):
        return amax(a, dims, keepdim)
    if ord == -float("inf"):
        return amin(a, dims, keepdim)
    if ord == 0:  # the count of non-zeros; in the graph with a zero gradient, as in PyTorch
        count = _sum(const((a.array != 0).astype(x.dtype)), dims, keepdim)
        return add(count, _sum(mul(x, 0), dims, keepdim)) if x.requires_grad else count
    return _sum(a, dims, keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None) -> Tensor:
    """Matrix norms over ``dim``: ``'fro'``, ``'nuc'``, 2 / -2 (largest / smallest singular value),
    1 / -1 (max / min column sum of ``|A|``), inf / -inf (max / min row sum).

    Examples:
        >>> import gradkit as gk
        >>> gk.linalg.matrix_norm(gk.tensor([[1.0, -2.0], [3.0, 4.0]]), 1).item()
        6.0
    """
    A = ensure_tensor(A)
    if dtype is not None:
        A = A.to(dtype)
    if A.ndim < 2:
        raise ShapeError(f"linalg.matrix_norm: expects matrices (..., m, n), got shape {shape_str(A.shape)}")
    d = norm_axes(tuple(dim), A.ndim)
    if len(d) != 2 or d[0] == d[1]:
        raise ShapeError(f"linalg.matrix_norm: dim must be two different dimensions, got {dim}")
    if ord == "fro":
        return vector_norm(A, 2, d, keepdim)
    m = movedim(A, d, (-2, -1))
    if ord in ("nuc", 2, -2):
        s = svdvals(m)
        out = _sum(s, -1) if ord == "nuc" else amax(s, -1) if ord == 2 else amin(s, -1)
    elif ord in (1, -1, float("inf"), -float("inf")):
        sums = _sum(_abs(m), -2 if abs(ord) == 1 else -1)
        out = amax(sums, -1) if ord > 0 else amin(sums, -1)
    else:
        raise ValueError(f"linalg.matrix_norm: ord must be 'fro', 'nuc', 2, -2, 1, -1, inf or -inf, got {ord!r}")
    if keepdim:
        for k in sorted(d):
            out = unsqueeze(out, k)
    return out


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """``torch.linalg.norm``: a vector norm for one ``dim`` (or 1-D input), a matrix norm for two."""
    A = ensure_tensor(A)
    if isinstance(dim, numbers.Integral):
        dim = (int(dim),)
    if dim is None:
        if ord is None:
            return vector_norm(A, 2, None, keepdim, dtype=dtype)
        if A.ndim not in (1, 2):
            raise ShapeError(f"linalg.norm: with ord={ord!r} and dim=None the input must be 1-D or 2-D, "
                             f"got {shape_str(A.shape)}")
        dim = tuple(range(A.ndim))
    if len(dim) == 1:
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None) -> Tensor:
    """``torch.norm``: ``'fro'`` / a number ``p`` is a vector norm over ``dim`` (all by default); ``'nuc'``
    a matrix norm. Prefer :func:`gradkit.linalg.vector_norm` and ``matrix_norm``.

    Examples:
        >>> import gradkit as gk
        >>> gk.norm(gk.tensor([3.0, 4.0])).item()
        5.0
    """
    x = ensure_tensor(input)
    if isinstance(dim, numbers.Integral):
        dim = (int(dim),)
    if p is not None and p not in ("fro", "nuc") and not isinstance(p, (numbers.Real, np.number)):
        raise OpArgumentError(f"norm(): p must be a number, 'fro' or 'nuc', got {p!r}")
    if p == "nuc":
        return matrix_norm(x, "nuc", (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    return vector_norm(x, 2 if p == "fro" or p is None else p, dim, keepdim, dtype=dtype)


def dist(input, other, p=2) -> Tensor:
    """The ``p``-norm of ``input - other`` (broadcast), over all elements.

    Examples:
        >>> import gradkit as gk
        >>> gk.dist(gk.tensor([0.0, 0.0]), gk.tensor([3.0, 4.0])).item()
        5.0
    """
    return vector_norm(add(ensure_tensor(input), -ensure_tensor(other)), p)


def cdist(x1, x2, p=2.0) -> Tensor:
    """Pairwise ``p``-norm distances between the rows of ``x1`` ``(..., P, M)`` and ``x2`` ``(..., R, M)``.

    Args:
        x1, x2: point sets with the same last dimension; batch dimensions broadcast.
        p: the norm (2 by default; 0, 1, inf and any positive number as in ``vector_norm``).

    Returns:
        A tensor ``(..., P, R)``; the gradient at a zero distance is 0 (as in PyTorch).

    Examples:
        >>> import gradkit as gk
        >>> gk.cdist(gk.tensor([[0.0, 0.0]]), gk.tensor([[3.0, 4.0], [0.0, 1.0]])).tolist()
        [[5.0, 1.0]]
    """
    x1, x2 = ensure_tensor(x1), ensure_tensor(x2)
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise ShapeError(f"cdist: expects (..., P, M) and (..., R, M) with the same M, got shapes "
                         f"{shape_str(x1.shape)} and {shape_str(x2.shape)}")
    diff = add(unsqueeze(x1, -2), -unsqueeze(x2, -3))
    return vector_norm(diff, p, -1)


def vecdot(x, y, *, dim=-1) -> Tensor:
    """The dot product of ``x`` and ``y`` (broadcast) along ``dim``.

    Examples:
        >>> import gradkit as gk
        >>> gk.linalg.vecdot(gk.tensor([[1.0, 2.0]]), gk.tensor([3.0, 4.0])).tolist()
        [11.0]
    """
    return _sum(mul(ensure_tensor(x), ensure_tensor(y)), dim)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False) -> Tensor:
    """The solution ``X`` of ``A X = B`` (``X A = B`` with ``left=False``) reading only ``A``'s upper or
    lower triangle (and taking its diagonal as ones with ``unitriangular``); batch dimensions broadcast.

    The gradient for ``A`` lies on that triangle, as in PyTorch.

    Examples:
        >>> import gradkit as gk
        >>> gk.linalg.solve_triangular(gk.tensor([[2.0, 9.0], [1.0, 4.0]]), gk.tensor([[2.0], [5.0]]),
        ...                            upper=False).tolist()
        [[1.0], [1.0]]
    """
    from .layout import triu

    A = _square("solve_triangular", A)
    t = triu(A, 1 if unitriangular else 0) if upper else tril(A, -1 if unitriangular else 0)
    if unitriangular:
        xp = get_array_module(A.array)
        t = add(t, const(xp.eye(A.shape[-1], dtype=A.dtype)))
    B = ensure_tensor(B)
    if B.ndim < 2:
        raise ShapeError(f"linalg.solve_triangular: B must be a matrix (..., n, k), got shape {shape_str(B.shape)}")
    return solve(t, B, left=left)


# --------------------------------------------------------------------- without gradients
def pinv(A, *, rtol=None, hermitian=False) -> Tensor:
    """The Moore-Penrose pseudo-inverse (no gradient yet; a tensor that requires grad is refused).

    Examples:
        >>> import gradkit as gk
        >>> gk.linalg.pinv(gk.tensor([[2.0, 0.0], [0.0, 0.0]])).tolist()
        [[0.5, 0.0], [0.0, 0.0]]
    """
    A = ensure_tensor(A)
    if A.requires_grad:
        raise NotImplementedError("linalg.pinv: the gradient is not implemented; use solve or lstsq on detached input")
    kw = {} if rtol is None else {"rcond": rtol}
    if hermitian:  # CuPy's pinv has no such argument
        kw["hermitian"] = True
    return const(_run("pinv", lambda la, a: la.pinv(a, **kw), A.array))


def matrix_rank(A, *, hermitian=False) -> Tensor:
    """The numerical rank of matrices (int64; no gradient).

    Examples:
        >>> import gradkit as gk
        >>> gk.linalg.matrix_rank(gk.ones(3, 3)).item()
        1
    """
    A = ensure_tensor(A)
    kw = {"hermitian": True} if hermitian else {}  # CuPy's matrix_rank has no such argument
    r = _run("matrix_rank", lambda la, a: la.matrix_rank(a, **kw), A.array)
    return const(get_array_module(A.array).asarray(r, dtype=np.int64))


def lstsq(A, B, rcond=None) -> tuple:
    """``(solution, residuals, rank, singular_values)`` minimising ``||A X - B||``; the solution is
    ``pinv(A) @ B`` written with ``solve`` on the normal equations, so full-column-rank ``A`` has a gradient.

    Examples:
        >>> import gradkit as gk
        >>> [round(v, 6) for v in gk.linalg.lstsq(gk.tensor([[1.0], [1.0]]), gk.tensor([1.0, 3.0]))[0].tolist()]
        [2.0]
    """
    A, B = ensure_tensor(A), ensure_tensor(B)
    vector = B.ndim == A.ndim - 1
    b = unsqueeze(B, -1) if vector else B
    at = _mT(A)
    x = solve(matmul(at, A), matmul(at, b))
    r = matmul(A, x) - b
    res = _sum(mul(r, r), -2)
    x = reshape(x, x.shape[:-1]) if vector else x
    return x, res, matrix_rank(A.detach()), svdvals(A.detach())

