"""AdaHessian: Adam whose second moment is built from a diagonal Hessian estimate (Yao et al., 2021)."""

from __future__ import annotations

import numpy as np

from ..autograd.engine import grad as _grad
from ..autograd.grad_mode import no_grad
from ..backend import get_array_module
from ..random import Generator, get_generator
from ..tensor import Tensor
from .optimizer import Optimizer, _check_betas, _check_nonneg


def _check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"invalid {name}: expected an integer >= 1, got {value!r}")
    return int(value)


class AdaHessian(Optimizer):
    r"""AdaHessian (Yao, Gholami, Shen, Mustafa, Keutzer & Mahoney, 2021, "ADAHESSIAN: An
    Adaptive Second Order Optimizer for Machine Learning", AAAI).

    **The idea: a second-order adaptive learning rate.** Adam divides each coordinate's step by
    the root mean square of its past gradients, a guess at how steep that coordinate is.
    Newton's method divides by the curvature itself, the Hessian: along a direction where the
    loss bends sharply (large second derivative) the step shrinks, along a flat one it grows,
    so an elongated (ill-conditioned) valley is crossed as fast as a round one. The full
    Hessian is far too big for a network, so AdaHessian keeps only its diagonal, estimated
    with Hutchinson's method: for a random vector ``z`` of independent +-1 entries
    (Rademacher), ``E[z * (H z)] = diag(H)``, and ``H z`` costs one more backward pass through
    the gradient's graph (a Hessian-vector product), never the matrix. Each coordinate thus
    gets its own learning rate ``lr / |H_ii|``: a second-order adaptive learning rate.

    Per step t, with gradient ``g`` and the estimate ``D = mean over samples of z * (H z)``::

        D <- |D|, averaged over the kernel's spatial dims for 4-d (conv) weights
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * D^2
        p <- p * (1 - lr * weight_decay)                   (decoupled, as the authors' code)
        p <- p - lr * (m / (1 - beta1^t)) / ((v / (1 - beta2^t))^(k/2) + eps),   k = hessian_power

    ``D`` is recomputed every ``update_each`` steps (the last one is reused in between) from
    ``n_samples`` draws of ``z``; the draws come from gradkit's generator (``gk.manual_seed``)
    or, with ``seed``, from the optimizer's own, which its ``state_dict`` carries so that a
    restored run draws the same vectors. ``hessian_power=0`` gives a momentum method with
    no curvature scaling (up to eps); ``0.5`` a softer scaling.

    The Hessian-vector product needs the graph of the gradient, so call
    ``loss.backward(create_graph=True)`` before :meth:`step` (as with the authors' PyTorch
    code), or pass a closure that does so. Afterwards ``zero_grad()`` (``set_to_none``, the
    default) releases that graph.

    Args:
        params: tensors or parameter groups.
        lr: learning rate (the authors' default 0.15).
        betas: (beta1, beta2) for the moments of g and D^2, each in [0, 1).
        eps: term added to the denominator (the authors' default 1e-4).
        weight_decay: decoupled weight decay coefficient, >= 0.
        hessian_power: exponent k in [0, 1] of the Hessian term in the denominator.
        update_each: recompute D every this many steps (>= 1).
        n_samples: Rademacher draws averaged per estimate (>= 1).
        seed: an integer seed for the optimizer's own generator; ``None`` draws from gradkit's
            global generator.

    Raises:
        ValueError: for a negative ``lr``/``eps``/``weight_decay``, betas outside [0, 1),
            ``hessian_power`` outside [0, 1], ``update_each``/``n_samples`` < 1, or a non-integer seed.
        RuntimeError: from :meth:`step` when no gradient carries a graph (``backward`` was
            called without ``create_graph=True``).

    Example:
        >>> import gradkit as gk
        >>> w = gk.tensor([1.0, 1.0], requires_grad=True)
        >>> curv = gk.tensor([1.0, 1000.0])               # curvatures 1 and 1000
        >>> opt = gk.optim.AdaHessian([w], seed=0)
        >>> for _ in range(10):
        ...     opt.zero_grad()
        ...     (0.5 * curv * w ** 2).sum().backward(create_graph=True)
        ...     opt.step()
        >>> [round(v, 3) for v in w.tolist()]             # the stiff and the flat coordinate move alike
        [-0.006, -0.006]
    """

    #: A training loop reads this to call ``loss.backward(create_graph=True)`` for this optimizer.
    needs_create_graph = True

    _raw_array_state = True

    def __init__(self, params, lr=0.15, betas=(0.9, 0.999), eps=1e-4, weight_decay=0.0, hessian_power=1.0,
                 update_each=1, n_samples=1, seed=None):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, hessian_power=hessian_power)
        super().__init__(params, defaults)
        self.update_each = _check_positive_int("update_each", update_each)
        self.n_samples = _check_positive_int("n_samples", n_samples)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(f"invalid seed: expected an integer or None, got {seed!r}")
        self.generator = None if seed is None else Generator(int(seed))
        self.hessian_step = 0

    def _validate_group(self, group):
        super()._validate_group(group)
        group["betas"] = _check_betas(group["betas"])
        _check_nonneg("epsilon (eps)", group["eps"])
        _check_nonneg("weight_decay", group["weight_decay"])
        k = group["hessian_power"]
        if isinstance(k, bool) or not isinstance(k, (int, float, np.integer, np.floating)) or not 0.0 <= k <= 1.0:
            raise ValueError(f"invalid hessian_power: expected a number in [0, 1], got {k!r}")

    # ------------------------------------------------------------------ Hutchinson's estimate
    def _rademacher(self, p) -> Tensor:
        rng = get_generator(self.generator)
        z = rng.integers(0, 2, size=p.array.shape).astype(p.array.dtype) * 2 - 1
        xp = get_array_module(p.array)
        return Tensor(z if xp is np else xp.asarray(z), dtype=p.array.dtype)

    def _estimate_diagonal(self, params) -> list:
        """Hutchinson's ``mean_s z_s * (H z_s)`` per parameter, as arrays (|.| and spatially averaged)."""
        with_graph = [i for i, p in enumerate(params) if p.grad.requires_grad]
        if not with_graph:
            raise RuntimeError(
                "AdaHessian needs the graph of the gradients for its Hessian-vector products: call "
                "loss.backward(create_graph=True) before opt.step(), or pass a closure that does (a training "
                "loop must do the same for an optimizer whose needs_create_graph is True)"
            )
        outputs = [params[i].grad for i in with_graph]
        sums = [None] * len(params)
        for s in range(self.n_samples):
            zs = [self._rademacher(p) for p in params]
            hz = _grad(outputs, params, grad_outputs=[zs[i] for i in with_graph],
                       retain_graph=s < self.n_samples - 1, allow_unused=True)
            for i, (z, h) in enumerate(zip(zs, hz)):
                if h is None:
                    continue
                d = z.array * h.array
                sums[i] = d if sums[i] is None else sums[i] + d
        out = []
        for p, d in zip(params, sums):
            xp = get_array_module(p.array)
            if d is None:
                out.append(xp.zeros_like(p.array))
                continue
            d = xp.abs(d / self.n_samples).astype(p.array.dtype, copy=False)
            if d.ndim == 4:  # conv weight (out, in, kh, kw): one curvature per kernel
                d = xp.broadcast_to(d.mean(axis=(2, 3), keepdims=True), d.shape).copy()
            out.append(d)
        return out

    # ------------------------------------------------------------------ step
    def step(self, closure=None):
        """Estimate the Hessian diagonal (every ``update_each`` steps) and update every
        parameter that has a gradient.

        Args:
            closure: optional callable that re-evaluates the model, calls
                ``loss.backward(create_graph=True)`` and returns the loss.

        Returns:
            The closure's loss, or None.

        Raises:
            RuntimeError: when the gradients carry no graph (see the class docstring).
        """
        loss = self._eval_closure(closure)
        params = [p for g in self.param_groups for p in g["params"] if p.grad is not None and p.requires_grad]
        if not params:
            return loss
        if self.hessian_step % self.update_each == 0:
            for p, d in zip(params, self._estimate_diagonal(params)):
                self._state_of(p)["hessian"] = d
        self.hessian_step += 1
        active = {id(p) for p in params}
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if id(p) in active:
                        self._update(group, p)
        return loss

    def _state_of(self, p) -> dict:
        st = self.state.get(p)
        if not st:
            xp = get_array_module(p.array)
            st = {"step": 0.0, "exp_avg": xp.zeros_like(p.array), "exp_hessian_diag_sq": xp.zeros_like(p.array),
                  "hessian": xp.zeros_like(p.array)}
            self.state[p] = st
        return st

    def _update(self, group, p) -> None:
        xp = get_array_module(p.array)
        st = self._state_of(p)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        g = p.grad.array
        d = st["hessian"]
        step = st["step"] + 1.0
        m, v = st["exp_avg"], st["exp_hessian_diag_sq"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * (d * d)
        if group["weight_decay"] != 0:
            p.array *= 1 - lr * group["weight_decay"]
        denom = xp.power(v / (1 - beta2**step), group["hessian_power"] / 2)
        denom += eps
        p.array -= (lr / (1 - beta1**step)) * m / denom
        st["step"] = step

    # ------------------------------------------------------------------ state dict
    def state_dict(self) -> dict:
        """The optimizer's state (see :meth:`Optimizer.state_dict`) plus ``"adahessian"``: the
        step counter of the estimates, ``update_each``, ``n_samples`` and the own generator's
        state (``None`` without ``seed``), all plain numbers."""
        sd = super().state_dict()
        sd["adahessian"] = {
            "hessian_step": self.hessian_step,
            "update_each": self.update_each,
            "n_samples": self.n_samples,
            "generator": None if self.generator is None else self.generator.state_dict(),
        }
        return sd

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state from :meth:`state_dict`, including the estimates' counter and generator.

        Raises:
            ValueError: as :meth:`Optimizer.load_state_dict`, or when the state holds a generator
                state but this optimizer was built without ``seed``.
        """
        extra = state_dict.get("adahessian")
        if extra is not None and extra.get("generator") is not None and self.generator is None:
            raise ValueError(
                "AdaHessian.load_state_dict: the state carries its own generator (it was built with seed=...), "
                "but this optimizer draws from gradkit's global generator; build it with a seed"
            )
        super().load_state_dict(state_dict)
        for p, st in self.state.items():
            st["step"] = float(st["step"])
        if extra is not None:
            self.hessian_step = int(extra["hessian_step"])
            self.update_each = _check_positive_int("update_each", extra.get("update_each", self.update_each))
            self.n_samples = _check_positive_int("n_samples", extra.get("n_samples", self.n_samples))
            if extra.get("generator") is not None:
                self.generator.load_state_dict(extra["generator"])

