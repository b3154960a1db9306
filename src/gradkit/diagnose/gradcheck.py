"""Numerical gradient checking, the seed procedure.

For a function ``f`` and inputs ``x``, the analytic gradient from backprop is compared with
two-sided differences ``(J(x + eps) - J(x - eps)) / (2 eps)`` element by element. A
non-scalar output is projected on a fixed random direction ``r`` (``J = sum(f(x) * r)``),
which checks the vector-Jacobian product that backward computes. Per input the report gives

    relative error = ||g - g_approx|| / (||g|| + ||g_approx||)

which passes below ``1e-7`` in float64 (around 1e-5 is suspicious; 1e-3 or more is a bug),
and lists the elements that differ most, to find where a backward rule goes wrong.

Example:
    >>> import gradkit as gk
    >>> x = gk.randn(3, 4, dtype="float64", requires_grad=True)
    >>> gk.diagnose.gradcheck(lambda t: (t.tanh() * t).sum(), [x]).passed
    True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..autograd.engine import grad as _grad
from ..autograd.grad_mode import enable_grad, no_grad
from ..backend import to_device, to_numpy
from ..tensor import Tensor, _make


class GradcheckWarning(UserWarning):
    """Raised as a warning when a check runs in a precision too low to be trusted."""


@dataclass
class InputCheck:
    """The check of one input: its relative error and the worst elements."""

    index: int
    shape: tuple
    rel_error: float
    passed: bool
    checked_elements: int
    worst: list = field(default_factory=list)  # (element index, analytic, numeric)

    def __str__(self) -> str:
        lines = [
            f"input {self.index} {self.shape}: relative error {self.rel_error:.3e} "
            f"({'pass' if self.passed else 'FAIL'}, {self.checked_elements} elements)"
        ]
        if not self.passed:
            for idx, a, n in self.worst:
                lines.append(f"    at {idx}: backprop {a:+.6e}  numeric {n:+.6e}  diff {a - n:+.3e}")
        return "\n".join(lines)


@dataclass
class GradcheckResult:
    """What :func:`gradcheck` found, per input. True in a boolean context when all passed."""

    inputs: list
    eps: float
    tol: float

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.inputs)

    @property
    def max_rel_error(self) -> float:
        return max((c.rel_error for c in self.inputs), default=0.0)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        head = f"gradcheck (eps={self.eps:g}, pass below {self.tol:g}): {'passed' if self.passed else 'FAILED'}"
        return "\n".join([head] + [str(c) for c in self.inputs])

    def _repr_html_(self) -> str:
        """One row per input, failing ones marked (Jupyter's rich display)."""
        from .._html import table

        head = f"gradcheck (eps={self.eps:g}, pass below {self.tol:g}): {'passed' if self.passed else 'FAILED'}"
        rows = [[str(c).strip()] for c in self.inputs]
        return table(["input"], rows, marked_rows=[i for i, c in enumerate(self.inputs) if not c.passed],
                     caption=head)


def relative_error(g, g_approx) -> float:
    """``||g - g_approx|| / (||g|| + ||g_approx||)``; 0 when both are zero."""
    g = np.asarray(g, dtype=np.float64)
    g_approx = np.asarray(g_approx, dtype=np.float64)
    den = np.linalg.norm(g) + np.linalg.norm(g_approx)
    if den == 0:
        return 0.0
    return float(np.linalg.norm(g - g_approx) / den)


def numeric_gradient(value, flat, indices, eps: float) -> np.ndarray:
    """Two-sided differences ``(J(x + eps) - J(x - eps)) / (2 eps)`` for the elements ``indices``.

    Args:
        value: a function returning the scalar ``J`` for the current contents of ``flat``.
        flat: a writable flat view of the array being perturbed (each element is restored).
        indices: the flat positions to differentiate.
        eps: the step.

    Returns:
        A float64 array with one derivative per index.
    """
    numeric = np.zeros(len(indices))
    for j, i in enumerate(indices):
        orig = flat[i].item()
        flat[i] = orig + eps
        fp = value()
        flat[i] = orig - eps
        fm = value()
        flat[i] = orig
        numeric[j] = (fp - fm) / (2 * eps)
    return numeric


def gradcheck(fn, inputs, eps: float = 1e-7, tol: float = 1e-7, max_elements: int | None = None, seed: int = 0, worst: int = 5) -> GradcheckResult:
    """Compare backprop gradients of ``fn`` with two-sided numerical differences.

    Args:
        fn: a function of the input tensors returning a Tensor.
        inputs: a Tensor or sequence of Tensors; those with ``requires_grad=True`` are
            checked (all floating ones if none requires grad).
        eps: the finite-difference step.
        tol: the relative error below which an input passes (1e-7 suits float64). An input
            whose largest difference stays within the rounding noise of the differences
            (``4 * eps_machine * sum|J's terms| / eps``) passes too: when the terms of ``J``
            cancel, a small gradient's relative error can exceed ``tol`` from rounding alone.
        max_elements: check at most this many randomly chosen elements per input.
        seed: seeds the projection direction and the element sample.
        worst: how many of the most different elements to list on failure.

    Returns:
        A :class:`GradcheckResult` (truthy when every input passed).
    """
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if not inputs:
        raise ValueError("gradcheck needs at least one input tensor")
    inputs = [x if isinstance(x, Tensor) else Tensor(x) for x in inputs]
    check = [i for i, x in enumerate(inputs) if x.requires_grad]
    if not check:
        check = [i for i, x in enumerate(inputs) if x.dtype.kind == "f"]
        if not check:
            raise ValueError("gradcheck found no floating-point input to check")
    if any(inputs[i].dtype != np.float64 for i in check):
        warnings.warn(
            "gradcheck in float32 (or lower) is unreliable: differences of size eps are lost to rounding; "
            "convert inputs and parameters to float64 (x.double(), model.to(dtype='float64'))",
            GradcheckWarning,
            stacklevel=2,
        )
    xs = list(inputs)
    for i in check:
        xs[i] = _make(inputs[i].array.copy(), True, None)
    # A salted stream: a projection drawn with the same seed as the user's data could be
    # special (e.g. equal to x, and H @ x = 0 for scale-invariant functions).
    rng = np.random.default_rng([seed, 0x67726164])

    with enable_grad():
        out = fn(*xs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    proj = rng.standard_normal(out.shape) if out.array.size > 1 else np.ones(out.shape)
    proj_t = _make(to_device(proj.astype(out.dtype), out.device), False, None)
    if not out.requires_grad:
        analytic = [np.zeros(xs[i].shape) for i in check]
    else:
        with enable_grad():
            loss = (out * proj_t).sum()
            gs = _grad(loss, [xs[i] for i in check], allow_unused=True)
        analytic = [np.zeros(xs[i].shape) if g is None else to_numpy(g.array).astype(np.float64) for i, g in zip(check, gs)]

    def value() -> float:
        with no_grad():
            y = fn(*xs)
        return float(np.sum(to_numpy(y.array).astype(np.float64) * proj))

    # The rounding noise of one difference quotient: J is a sum of terms of total size `scale`,
    # each evaluation is off by about eps_machine * scale, and the quotient divides by 2 eps. When
    # the terms cancel (a small gradient of a large sum) the relative error can exceed `tol`
    # from rounding alone; a difference within this noise is not evidence of a wrong gradient.
    scale = float(np.sum(np.abs(to_numpy(out.array).astype(np.float64) * proj)))
    noise = 4 * np.finfo(np.float64).eps * scale / eps

    results = []
    for k, i in enumerate(check):
        x = xs[i]
        n = x.array.size
        flat_idx = np.arange(n)
        if max_elements is not None and n > max_elements:
            flat_idx = np.sort(rng.choice(n, size=max_elements, replace=False))
        numeric = numeric_gradient(value, x.array.reshape(-1), flat_idx, eps)  # reshape is a view of x.array
        a = analytic[k].reshape(-1)[flat_idx]
        err = relative_error(a, numeric)
        passed = err < tol or (a.size > 0 and float(np.max(np.abs(a - numeric))) <= noise)
        order = np.argsort(-np.abs(a - numeric))[:worst]
        worst_list = [
            (tuple(int(v) for v in np.unravel_index(flat_idx[o], x.shape)), float(a[o]), float(numeric[o])) for o in order
        ]
        results.append(InputCheck(i, tuple(x.shape), err, passed, len(flat_idx), worst_list))
    return GradcheckResult(results, eps, tol)


def gradgradcheck(fn, inputs, eps: float = 1e-7, tol: float = 1e-6, seed: int = 0) -> GradcheckResult:
    """Check second derivatives: :func:`gradcheck` applied to the gradient of ``fn``
    (computed with ``create_graph=True``), so backward rules are themselves checked."""
    from .. import ops

    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    rng = np.random.default_rng([seed, 0x67726164, 1])

    def grads_fn(*xs):
        with enable_grad():
            out = fn(*xs)
            proj = _make(rng_proj(out).astype(out.dtype), False, None)
            diff = [x for x in xs if x.requires_grad]
            gs = _grad((out * proj).sum(), diff, create_graph=True, allow_unused=True)
        parts = [ops.reshape(g if g is not None else ops.zeros_like_tensor(x), (-1,)) for g, x in zip(gs, diff)]
        return ops.cat(parts)

    fixed = {}

    def rng_proj(out):
        if out.shape not in fixed:
            fixed[out.shape] = rng.standard_normal(out.shape) if out.array.size > 1 else np.ones(out.shape)
        return fixed[out.shape]

    return gradcheck(grads_fn, inputs, eps=eps, tol=tol, seed=seed)
