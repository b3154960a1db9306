"""``gk.linalg``: PyTorch's ``torch.linalg`` namespace (norms, inverses, solves and decompositions).

The functions are implemented in :mod:`gradkit.ops.decomp` and :mod:`gradkit.ops.linalg` (with
their backward rules); this module only gives them PyTorch's names.

Examples:
    >>> import gradkit as gk
    >>> gk.linalg.norm(gk.tensor([[3.0, 0.0], [0.0, 4.0]])).item()
    5.0
"""

from __future__ import annotations

from .ops.decomp import (
    LinAlgError, cholesky, det, eigh, eigvalsh, inv, lstsq, matrix_norm, matrix_rank, pinv, qr, slogdet, solve,
    solve_triangular, svd, svdvals, vecdot, vector_norm,
)
from .ops.decomp import linalg_norm as norm
from .ops.layout import diagonal as _diagonal
from .ops.linalg import cross as _cross
from .ops.linalg import matmul, matrix_power, outer, tensordot, vdot

__all__ = [
    "LinAlgError", "cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "lstsq", "matmul",
    "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "outer", "pinv", "qr", "slogdet", "solve",
    "solve_triangular", "svd", "svdvals", "tensordot", "vdot", "vecdot", "vector_norm",
]


def cross(input, other, *, dim=-1):
    """The cross product along ``dim`` (the last by default, unlike ``gk.cross``); see :func:`gradkit.ops.cross`."""
    return _cross(input, other, dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonal of the last two dimensions by default; see :func:`gradkit.ops.diagonal`."""
    return _diagonal(A, offset, dim1, dim2)


def multi_dot(tensors):
    """The product of a list of matrices, left to right (the first may be 1-D, and the last).

    Examples:
        >>> import gradkit as gk
        >>> gk.linalg.multi_dot([gk.ones(3), gk.ones(3, 2), gk.ones(2)]).item()
        6.0
    """
    ts = list(tensors)
    if len(ts) < 2:
        raise ValueError(f"linalg.multi_dot: expects at least 2 tensors, got {len(ts)}")
    out = ts[0]
    for m in ts[1:]:
        out = matmul(out, m)
    return out
