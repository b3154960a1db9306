"""Higher-order helpers built on ``gk.grad(create_graph=True)``: Jacobians, Hessians, HVPs.

Examples:
    >>> import gradkit as gk
    >>> x = gk.tensor([1.0, 2.0], dtype="float64")
    >>> gk.autograd.hessian(lambda v: (v ** 3).sum(), x).numpy()
    array([[ 6.,  0.],
           [ 0., 12.]])
"""

from __future__ import annotations

from ..tensor import Tensor
from .engine import grad
from .grad_mode import enable_grad


def _prepare(x: Tensor) -> Tensor:
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"expected a floating tensor, got dtype {x.dtype}")
    return x.detach().requires_grad_(True)


def jacobian(f, x) -> Tensor:
    """The Jacobian of ``f`` at ``x``: shape ``f(x).shape + x.shape`` (one backward per output element)."""
    from .. import ops

    x = _prepare(x)
    with enable_grad():
        y = f(x)
        flat = ops.reshape(y, (-1,))
        rows = []
        for i in range(flat.shape[0]):
            (g,) = grad(flat[i], x, retain_graph=True, allow_unused=True)
            rows.append(ops.zeros_like_tensor(x) if g is None else g)
    return ops.reshape(ops.stack(rows), tuple(y.shape) + tuple(x.shape)).detach()


def hessian(f, x) -> Tensor:
    """The Hessian of a scalar function ``f`` at ``x``: shape ``x.shape + x.shape``.

    Computed row by row from the gradient graph (``create_graph=True``), so it costs one
    backward pass per element of ``x``: meant for small inputs (Newton's method, checks).
    """
    from .. import ops

    x = _prepare(x)
    with enable_grad():
        y = f(x)
        if y.array.size != 1:
            raise ValueError(f"hessian needs a scalar function, got output of shape {tuple(y.shape)}")
        (g,) = grad(y, x, create_graph=True)
        flat = ops.reshape(g, (-1,))
        rows = []
        for i in range(flat.shape[0]):
            if not flat.requires_grad:
                rows.append(ops.zeros_like_tensor(x))
                continue
            (h,) = grad(flat[i], x, retain_graph=True, allow_unused=True)
            rows.append(ops.zeros_like_tensor(x) if h is None else h)
    return ops.reshape(ops.stack(rows), tuple(x.shape) * 2).detach()


def hvp(f, x, v) -> Tensor:
    """The Hessian-vector product ``H(x) @ v`` of a scalar ``f`` without forming ``H``:
    two backward passes (Pearlmutter's trick through ``create_graph``)."""
    from .. import ops

    x = _prepare(x)
    v = v if isinstance(v, Tensor) else Tensor(v, dtype=x.dtype)
    with enable_grad():
        (g,) = grad(f(x), x, create_graph=True)
        (hv,) = grad(ops.sum(g * v), x, allow_unused=True)
    return ops.zeros_like_tensor(x) if hv is None else hv
