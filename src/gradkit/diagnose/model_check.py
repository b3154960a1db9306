"""Gradient checking of a whole model: the seed procedure, tensor by tensor and layer by layer.

The procedure (as in the course): take all parameters ``W1, b1, ..., WL, bL`` and flatten
them into one vector ``theta``; the cost ``J(theta)`` is the loss of the model on a batch
(plus the L1/L2 terms when regularization is used: leave them out and the check fails, the
gradient includes them). For each component ``i``

.. math::

    d\\theta_{approx}[i] = \\frac{J(\\theta + \\varepsilon e_i) - J(\\theta - \\varepsilon e_i)}{2\\varepsilon}

and compare it with backprop's ``d theta`` by the relative error

.. math:: \\frac{\\|d\\theta_{approx} - d\\theta\\|_2}{\\|d\\theta_{approx}\\|_2 + \\|d\\theta\\|_2}

(about 1e-7 is great, 1e-5 deserves a look, 1e-3 is a bug). Practical advice from the
seeds, all applied here:

* check in float64 (the model is copied and cast; the original is left untouched);
* do not check with dropout on: every dropout module is switched off in the copy
  (batch norm keeps using the batch statistics, which are deterministic);
* include the regularization terms (``l1``, ``l2``) in ``J``;
* when it fails, *locate where*: the report gives the relative error per parameter tensor
  and per layer and names the failing ones;
* large tensors are checked on a random sample of elements (``max_elements_per_tensor``).

Example:
    >>> import gradkit as gk
    >>> net = gk.nn.Sequential(gk.nn.Linear(3, 4), gk.nn.Tanh(), gk.nn.Linear(4, 2))
    >>> x, y = gk.randn(5, 3), gk.tensor([0, 1, 1, 0, 1])
    >>> gk.diagnose.gradcheck_model(net, "cross_entropy", x, y).passed
    True
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from ..autograd.grad_mode import enable_grad, no_grad
from ..backend import is_cupy_array, to_numpy
from ..tensor import Tensor
from .gradcheck import numeric_gradient, relative_error

__all__ = ["DROPOUT_TYPES", "LayerCheck", "ModelGradcheckReport", "ParamCheck", "gradcheck_model"]

DROPOUT_TYPES = ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
                 "DropConnect")


@dataclass
class ParamCheck:
    """The check of one parameter tensor.

    Attributes:
        name: the qualified parameter name (``'0.weight'``).
        layer: the owning module's name and type (``'0 (Linear)'``).
        shape: the tensor's shape.
        checked: how many elements were checked; ``size`` how many it has.
        rel_error: the relative error over the checked elements.
        passed: ``rel_error < tol``, or every checked element within ``atol`` (a zero gradient).
        worst: up to 3 ``(index, backprop, numeric)`` of the most different elements.
        no_grad: True when backprop gave no gradient at all (the parameter is unused or detached).
    """

    name: str
    layer: str
    shape: tuple
    checked: int
    size: int
    rel_error: float
    passed: bool
    worst: list = field(default_factory=list)
    no_grad: bool = False


@dataclass
class LayerCheck:
    """The check of one layer: its parameter tensors' checked elements taken together."""

    layer: str
    params: list
    rel_error: float
    passed: bool


@dataclass
class ModelGradcheckReport:
    """What :func:`gradcheck_model` found. True in a boolean context when every tensor passed.

    Attributes:
        rows: a :class:`ParamCheck` per parameter tensor, in ``named_parameters()`` order.
        layers: a :class:`LayerCheck` per layer.
        rel_error: the relative error over all checked elements (the seeds' single number).
        eps, tol: the step and the pass threshold.
        loss: ``J(theta)`` at the checked point.
        dropout_disabled: the names of the dropout modules switched off for the check.
        l1, l2: the regularization strengths included in ``J``.
    """

    rows: list
    layers: list
    rel_error: float
    eps: float
    tol: float
    loss: float
    dropout_disabled: list = field(default_factory=list)
    l1: float = 0.0
    l2: float = 0.0
    atol: float = 0.0

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)

    @property
    def max_rel_error(self) -> float:
        return max((r.rel_error for r in self.rows), default=0.0)

    @property
    def failing(self) -> list:
        """Names of the parameter tensors that failed."""
        return [r.name for r in self.rows if not r.passed]

    @property
    def failing_layers(self) -> list:
        """Names of the layers with a failing tensor."""
        return [lc.layer for lc in self.layers if not lc.passed]

    def __bool__(self) -> bool:
        return self.passed

    def _repr_html_(self) -> str:
        """One row per parameter tensor, failing ones marked (Jupyter's rich display)."""
        from .._html import table

        head = (f"gradcheck_model (float64, eps={self.eps:g}, pass below {self.tol:g}): "
                f"{'passed' if self.passed else 'FAILED'}; overall relative error {self.rel_error:.3e}")
        rows = [[r.name, r.layer, str(r.shape), f"{r.checked}/{r.size}", f"{r.rel_error:.3e}",
                 "ok" if r.passed else "FAIL"] for r in self.rows]
        return table(["parameter", "layer", "shape", "checked", "rel. error", ""], rows,
                     marked_rows=[i for i, r in enumerate(self.rows) if not r.passed], caption=head)

    def __str__(self) -> str:
        reg = f", L1 {self.l1:g}" if self.l1 else ""
        reg += f", L2 {self.l2:g}" if self.l2 else ""
        lines = [(f"gradcheck_model (float64, eps={self.eps:g}, pass below {self.tol:g}{reg}): "
                 f"{'passed' if self.passed else 'FAILED'}; overall relative error {self.rel_error:.3e}, "
                 f"J = {self.loss:.6g}")]
        if self.dropout_disabled:
            lines.append(f"  dropout switched off for the check: {', '.join(self.dropout_disabled)}")
        w = max([len(r.name) for r in self.rows] + [9])
        lw = max([len(r.layer) for r in self.rows] + [5])
        sw = max([len(str(r.shape)) for r in self.rows] + [5])
        lines.append(f"  {'parameter':<{w}}  {'layer':<{lw}}  {'shape':<{sw}}  {'checked':>11}  rel. error")
        for r in self.rows:
            flag = "FAIL" if not r.passed else ("ok" if r.rel_error < self.tol else "ok (zero gradient, within atol)")
            extra = "  (no gradient from backprop)" if r.no_grad else ""
            lines.append(f"  {r.name:<{w}}  {r.layer:<{lw}}  {r.shape!s:<{sw}}  {r.checked:>5}/{r.size:<5}  "
                         f"{r.rel_error:.3e}  {flag}{extra}")
        lines.append("  per layer: " + ", ".join(f"{lc.layer} {lc.rel_error:.2e}{'' if lc.passed else ' FAIL'}"
                                             for lc in self.layers))
        if not self.passed:
            lines.append("  failing layers (look at their backward first): " + ", ".join(self.failing_layers))
            for r in self.rows:
                if not r.passed:
                    for idx, a, n in r.worst:
                        lines.append(f"    {r.name}{list(idx)}: backprop {a:+.6e}  numeric {n:+.6e}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The report as plain JSON-able values."""
        return {"passed": self.passed, "rel_error": self.rel_error, "eps": self.eps, "tol": self.tol,
                "loss": self.loss, "failing": self.failing, "failing_layers": self.failing_layers,
                "dropout_disabled": list(self.dropout_disabled),
                "params": [{"name": r.name, "layer": r.layer, "shape": list(r.shape), "checked": r.checked,
                            "size": r.size, "rel_error": r.rel_error, "passed": r.passed} for r in self.rows]}


def _as_float64(a):
    if isinstance(a, Tensor):
        a = a.array
    if not (isinstance(a, np.ndarray) or is_cupy_array(a)):  # a device array stays on its device
        a = np.asarray(a)
    return Tensor(a.astype(np.float64) if a.dtype.kind == "f" else a)


def _layer_names(model) -> dict:
    """parameter name -> 'module_name (Type)' of the module that owns it directly."""
    owner = {}
    for mname, mod in model.named_modules():
        for pname, p in mod._parameters.items():
            if p is None:
                continue
            full = f"{mname}.{pname}" if mname else pname
            owner[full] = f"{mname or '<model>'} ({type(mod).__name__})"
    return owner


def gradcheck_model(model, loss_fn, x, y, *, eps: float = 1e-7, tol: float = 1e-7,
                    max_elements_per_tensor: int | None = 32, l1: float = 0.0, l2: float = 0.0,
                    seed: int = 0, atol: float | None = None) -> ModelGradcheckReport:
    """Check a whole model's backprop gradients against two-sided differences, in float64.

    The model is deep-copied and cast to float64 (the original is not touched), put in
    training mode (batch norm uses batch statistics) with every dropout module switched
    off. ``J(theta) = loss_fn(model(x), y) + l1_penalty(model, l1, m) + l2_penalty(model, l2, m)``
    with ``m = len(x)``.

    Args:
        model: a ``gk.nn.Module``.
        loss_fn: a loss module/callable ``loss(output, target)`` or a name (``'cross_entropy'``, ``'mse'``...).
        x: a batch of inputs (array or Tensor); floating inputs are cast to float64.
        y: the targets (integer labels kept, floating targets cast to float64).
        eps: the finite-difference step.
        tol: a tensor passes when its relative error is below this.
        max_elements_per_tensor: check at most this many randomly chosen elements of each
            parameter tensor (``None``: all; each element costs two forward passes).
        l1, l2: regularization strengths included in ``J`` (``gk.nn.l1_penalty`` / ``l2_penalty``).
        seed: seeds the element sample.
        atol: a tensor also passes when no checked element differs by more than this
            (absolute). This covers gradients that are exactly zero in theory, such as a
            bias followed by batch norm: backprop then gives round-off (1e-17), the
            differences give a few units of ``|J| * 2.2e-16 / (2 eps)``, and the relative
            error of two near-zeros is meaningless. ``None`` (default) uses the resolution of
            the differences, ``max(1, |J|) * 1e-15 / eps`` (1e-8 for ``J`` near 1).

    Returns:
        A :class:`ModelGradcheckReport` (``.passed``, ``.rows``, ``.layers``, ``.failing``; print it).

    Raises:
        TypeError: when ``model`` is not a Module.
        ValueError: when the model has no trainable parameter, or its loss is not a finite
            scalar, or two evaluations at the same point differ (a random forward pass).
    """
    from ..nn import Module

    if not isinstance(model, Module):
        raise TypeError(f"gradcheck_model: model must be a gk.nn.Module, got {type(model).__name__}")
    net, loss_mod, disabled = _float64_training_copy(model, loss_fn)
    params = [(n, p) for n, p in net.named_parameters() if p.requires_grad]
    if not params:
        raise ValueError("gradcheck_model: the model has no trainable parameters")
    xt, yt = (_as_float64(v).to(params[0][1].device) for v in (x, y))  # the data goes where the model is
    m = int(xt.shape[0]) if xt.ndim else 1
    owner = _layer_names(net)
    cost, value = _cost_functions(net, loss_mod, xt, yt, l1=l1, l2=l2, m=m)
    j0 = _backprop_at_point(net, cost, value)

    if atol is None:
        atol = max(1.0, abs(j0)) * 1e-15 / eps
    rng = np.random.default_rng([seed, 0x6D6F64656C])
    rows, checked = [], []
    for name, p in params:
        layer = owner.get(name, name.rsplit(".", 1)[0])
        row, a, numeric = _check_tensor(name, p, layer, value, rng, max_elements_per_tensor, eps=eps, tol=tol,
                                        atol=atol)
        rows.append(row)
        checked.append((a, numeric))
    layers = _layer_checks(rows, checked)
    overall = relative_error(np.concatenate([a for a, _ in checked]), np.concatenate([n for _, n in checked]))
    return ModelGradcheckReport(rows, layers, overall, float(eps), float(tol), j0, disabled, float(l1), float(l2),
                                float(atol))


def _float64_training_copy(model, loss_fn):
    """Deep copies of the model and loss in float64, the model in training mode with its dropout off.

    Returns ``(net, loss, disabled)``; ``disabled`` names the dropout modules switched off.
    """
    from ..nn import Module
    from ..nn.loss import resolve_loss

    loss_mod = resolve_loss(loss_fn)
    net = copy.deepcopy(model).to(dtype="float64")
    if isinstance(loss_mod, Module):
        loss_mod = copy.deepcopy(loss_mod).to(dtype="float64")
    net.train()
    disabled = []
    for name, mod in net.named_modules():
        if type(mod).__name__ in DROPOUT_TYPES:
            mod.training = False
            disabled.append(f"{name} ({type(mod).__name__})")
    return net, loss_mod, disabled


def _cost_functions(net, loss_mod, xt, yt, *, l1, l2, m):
    """``J(theta)`` (the loss plus the L2 and L1 terms) as ``cost()``, a Tensor, and ``value()``, a float.

    ``value`` runs without recording a graph: it is what the finite differences evaluate.
    """
    from ..nn.regularization import l1_penalty, l2_penalty

    def cost():
        out = loss_mod(net(xt), yt)
        if l2:
            out = out + l2_penalty(net, lam=l2, m=m)
        if l1:
            out = out + l1_penalty(net, lam=l1, m=m)
        return out

    def value() -> float:
        with no_grad():
            return float(to_numpy(cost().array))

    return cost, value


def _backprop_at_point(net, cost, value) -> float:
    """Backpropagate ``J`` once (the gradients land in the parameters' ``.grad``) and return ``J``.

    Raises:
        ValueError: when ``J`` is not a finite scalar, or a second evaluation gives another value.
    """
    net.zero_grad()
    with enable_grad():
        J = cost()
        if J.array.size != 1:
            raise ValueError(f"gradcheck_model: the loss must be a scalar, got shape {J.shape}")
        J.backward()
    j0 = float(to_numpy(J.array))
    if not np.isfinite(j0):
        raise ValueError(f"gradcheck_model: the loss is not finite ({j0}) at the checked point")
    j1 = value()
    if abs(j1 - j0) > 1e-12 * max(1.0, abs(j0)):
        raise ValueError(f"gradcheck_model: two evaluations of the loss differ ({j0!r} vs {j1!r}): the forward "
                         "pass is random (a stochastic layer other than dropout?); a gradient check needs a "
                         "deterministic J(theta)")
    return j0


def _check_tensor(name, p, layer, value, rng, max_elements, *, eps, tol, atol):
    """Compare one parameter tensor's backprop gradient with the differences, on a sample of its elements.

    Returns its :class:`ParamCheck` and the checked elements' backprop and numeric gradients.
    """
    no_g = p.grad is None
    analytic = np.zeros(p.shape) if no_g else to_numpy(p.grad.array).astype(np.float64)
    n = p.array.size
    idx = np.arange(n)
    if max_elements is not None and n > max_elements:
        idx = np.sort(rng.choice(n, size=int(max_elements), replace=False))
    # reshape is a view of the float64 copy: the perturbations change the parameter itself
    numeric = numeric_gradient(value, p.array.reshape(-1), idx, eps)
    a = analytic.reshape(-1)[idx]
    err = relative_error(a, numeric)
    ok = bool(err < tol or (len(a) and np.max(np.abs(a - numeric)) <= atol) or not len(a))
    order = np.argsort(-np.abs(a - numeric))[:3]
    worst = [(tuple(int(v) for v in np.unravel_index(idx[o], p.shape)), float(a[o]), float(numeric[o]))
             for o in order]
    return ParamCheck(name, layer, tuple(p.shape), len(idx), n, err, ok, worst, no_g), a, numeric


def _layer_checks(rows, checked) -> list:
    """A :class:`LayerCheck` per layer, in order of first appearance, from the rows and their checked gradients."""
    by_layer: dict = {}
    for r, (a, numeric) in zip(rows, checked):
        la, ln, names = by_layer.setdefault(r.layer, ([], [], []))
        la.append(a)
        ln.append(numeric)
        names.append(r.name)
    layers = []
    for layer, (la, ln, names) in by_layer.items():
        e = relative_error(np.concatenate(la), np.concatenate(ln))
        ok = all(r.passed for r in rows if r.layer == layer)
        layers.append(LayerCheck(layer, names, e, ok))
    return layers
