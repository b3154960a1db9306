"""Newton's method with the exact Hessian, for models with few parameters."""

from __future__ import annotations

import numpy as np

from ..autograd.engine import grad as autograd_grad
from ..autograd.grad_mode import enable_grad, no_grad
from ..backend import get_array_module, to_numpy
from ..ops._util import const
from .optimizer import Optimizer, _check_nonneg


class Newton(Optimizer):
    r"""Newton's method: ``p <- p - lr (H + damping I)^{-1} g`` with the exact Hessian ``H``.

    ``g`` and ``H`` are the gradient and Hessian of the closure's loss with respect to all
    parameters (flattened and concatenated), computed by double backward: ``gk.grad`` with
    ``create_graph=True`` gives ``g`` as a graph, and one more backward per element of ``g``
    gives one row of ``H`` (as ``gk.autograd.hessian``). That costs ``n`` backward passes and
    ``O(n^2)`` memory, so it is meant for few parameters (at most ``max_params``, default
    2000); use :class:`LBFGS` for more. ``damping > 0`` (Levenberg-Marquardt style) keeps the
    step defined where ``H`` is singular or indefinite. On a quadratic one step with ``lr=1``
    lands on the minimum.

    Args:
        params: tensors or parameter groups (per-group ``lr`` and ``damping``; the Hessian
            couples all groups).
        lr: step scale (default 1.0).
        damping: added to the Hessian's diagonal, >= 0.
        max_params: the largest total number of parameter elements accepted.

    Raises:
        ValueError: for a negative ``lr``/``damping``, more than ``max_params`` elements
            (use LBFGS), or ``step()`` without a closure.

    Example:
        >>> import gradkit as gk
        >>> x = gk.tensor([3.0, -2.0], dtype="float64", requires_grad=True)
        >>> opt = gk.optim.Newton([x])
        >>> _ = opt.step(lambda: ((x - 1.0) ** 2).sum() + (x[0] * x[1]) * 0.5)
        >>> x.detach().numpy().round(6).tolist()
        [0.8, 0.8]
    """

    closure_calls_backward = False

    _raw_array_state = True

    def __init__(self, params, lr=1.0, damping=0.0, max_params=2000):
        super().__init__(params, dict(lr=lr, damping=damping))
        self.max_params = int(max_params)
        n = sum(int(p.array.size) for g in self.param_groups for p in g["params"])
        if n > self.max_params:
            raise ValueError(
                f"Newton forms the exact {n}x{n} Hessian, but the parameters hold {n} elements, more than "
                f"max_params={self.max_params}; use gk.optim.LBFGS for models this size"
            )

    def _validate_group(self, group):
        super()._validate_group(group)
        _check_nonneg("damping", group["damping"])

    def step(self, closure=None):
        """Take one Newton step.

        Args:
            closure: required; returns the loss computed from the parameters. It must NOT call
                ``backward()`` (the graph is needed for the Hessian).

        Returns:
            The closure's loss (before the step).

        Raises:
            ValueError: when ``closure`` is missing.
            RuntimeError: when the closure already ran ``backward()`` and freed the graph.
        """
        if closure is None or not callable(closure):
            raise ValueError("Newton.step() needs a closure that computes and returns the loss (without backward())")
        params = [p for g in self.param_groups for p in g["params"] if p.requires_grad]
        with enable_grad():
            loss = closure()
            try:
                grads = autograd_grad(loss, params, create_graph=True, allow_unused=True)
            except RuntimeError as err:
                raise RuntimeError(
                    "Newton.step(): could not differentiate the closure's loss twice; the closure must return "
                    "the loss without calling backward() on it"
                ) from err
            flat_parts = []
            for p, g in zip(params, grads):
                flat_parts.append((p, g))
            from .. import ops

            gflat = ops.cat([
                ops.reshape(g, (-1,)) if g is not None else const(get_array_module(p.array).zeros(p.array.size, p.array.dtype))
                for p, g in flat_parts
            ])
            n = gflat.shape[0]
            rows = []
            for i in range(n):
                if not gflat.requires_grad:
                    rows.append(np.zeros(n))
                    continue
                hs = autograd_grad(gflat[i], params, retain_graph=True, allow_unused=True)
                rows.append(np.concatenate([
                    to_numpy(h.array).reshape(-1) if h is not None else np.zeros(p.array.size)
                    for p, h in zip(params, hs)
                ]))
        g_np = to_numpy(gflat.array).astype(np.float64)
        h_np = np.array(rows, dtype=np.float64)
        h_np = 0.5 * (h_np + h_np.T)
        with no_grad():
            k = 0
            for group in self.param_groups:
                damping = float(group["damping"])
                lr = float(group["lr"])
                # one solve for all groups (the Hessian couples them); a group's damping applies to its block
                for p in group["params"]:
                    if not p.requires_grad:
                        continue
                    h_np[k:k + p.array.size, k:k + p.array.size] += damping * np.eye(p.array.size)
                    k += p.array.size
            try:
                delta = np.linalg.solve(h_np, g_np)
            except np.linalg.LinAlgError:
                delta = np.linalg.lstsq(h_np, g_np, rcond=None)[0]
            k = 0
            for group in self.param_groups:
                lr = float(group["lr"])
                for p in group["params"]:
                    if not p.requires_grad:
                        continue
                    n_p = p.array.size
                    xp = get_array_module(p.array)
                    upd = xp.asarray((lr * delta[k:k + n_p]).reshape(p.array.shape).astype(p.array.dtype))
                    p.array -= upd
                    k += n_p
            for p, g in zip(params, grads):
                p.grad = None if g is None else const(g.array.copy())
        self.state.setdefault(params[0], {})["step"] = self.state.get(params[0], {}).get("step", 0) + 1
        return loss
