"""Multi-task learning: one network, several related tasks (hard and soft parameter sharing).

*Hard parameter sharing* (Caruana, 1997, "Multitask learning"): a shared trunk computes
features that several task-specific heads read. :class:`MultiTaskModel` returns a dict
``{task: output}``; :class:`MultiTaskLoss` combines one loss per task,

    L = sum_i w_i L_i                                   (fixed weights, default w_i = 1), or
    L = sum_i exp(-s_i) L_i + s_i,  s_i = log sigma_i^2  (learned, ``weights="uncertainty"``),

the second being the homoscedastic-uncertainty weighting of Kendall, Gal & Cipolla (2018,
"Multi-task learning using uncertainty to weigh losses for scene geometry and semantics").
Examples that lack a label for some task (a NaN regression target, a class target equal
to ``ignore_index``, or ``False`` in an explicit mask) are left out of that task's loss,
which is the mean over the labelled examples only.

*Auxiliary tasks*: heads named in ``auxiliary`` are trained (their loss shapes the shared
features) but dropped at inference: in eval mode the model's output has no entry for them,
and :meth:`MultiTaskModel.inference` returns a model without them.

*Soft parameter sharing* (Duong et al., 2015; Yang & Hospedales, 2017): one model per task
plus :func:`soft_sharing_penalty`, which pulls corresponding parameters together, either by
their squared distance to the mean or by the trace (nuclear) norm of the stacked parameters.

Examples:
    >>> import gradkit as gk
    >>> _ = gk.manual_seed(0)
    >>> net = gk.nn.MultiTaskModel(gk.nn.Linear(4, 8),
    ...                            heads={"digit": gk.nn.Linear(8, 10), "size": gk.nn.Linear(8, 1)})
    >>> out = net(gk.zeros(3, 4))
    >>> sorted(out), out["digit"].shape
    (['digit', 'size'], (3, 10))
    >>> crit = gk.nn.MultiTaskLoss({"digit": gk.nn.CrossEntropyLoss(), "size": gk.nn.MSELoss()})
    >>> loss = crit(out, {"digit": gk.tensor([1, 2, -100]), "size": gk.zeros(3, 1)})
    >>> crit.last_counts
    {'digit': 2, 'size': 3}
"""

from __future__ import annotations

import numbers

import numpy as np

from ..autograd.function import Op, once_differentiable
from ..backend import get_array_module
from ..ops._util import const, ensure_tensor
from ..tensor import Tensor
from .containers import ModuleDict
from .layers import Identity
from .loss import resolve_loss
from .architecture import encode_value as _encode
from .module import Module, Parameter

__all__ = ["MultiTaskModel", "MultiTaskLoss", "soft_sharing_penalty", "nuclear_norm", "labelled_mask"]


def _names(x) -> list:
    return sorted(x) if isinstance(x, (set, frozenset)) else list(x)


# ---------------------------------------------------------------------------- model
class MultiTaskModel(Module):
    """A shared trunk with one head per task; returns ``{task: head(trunk(x))}``.

    Hard parameter sharing: every head reads the trunk's output, so the trunk learns
    features useful to all tasks. With ``shared_trunk=None`` nothing is shared and each
    "head" is a whole per-task model (use it with :func:`soft_sharing_penalty`).

    Auxiliary heads (``auxiliary={"name", ...}``) exist only to help training: in
    training mode they are computed like the others; in eval mode (``model.eval()``,
    ``gk.train.predict``/``evaluate``) the output dict leaves them out, and
    :meth:`inference` returns a model without them (sharing the trained modules).

    Args:
        shared_trunk: the shared module, or ``None`` (identity).
        heads: a dict ``{task name: module}`` (names are valid attribute names, no dots).
        auxiliary: names of heads that are dropped at inference (a set, list or None).

    Raises:
        TypeError: when a head is not a Module.
        ValueError: for no heads, or an auxiliary name that is not a head, or only auxiliary heads.

    Examples:
        >>> import gradkit as gk
        >>> net = gk.nn.MultiTaskModel(gk.nn.Linear(2, 4), {"y": gk.nn.Linear(4, 1), "aux": gk.nn.Linear(4, 3)},
        ...                            auxiliary={"aux"})
        >>> sorted(net(gk.zeros(1, 2))), sorted(net.eval()(gk.zeros(1, 2)))
        (['aux', 'y'], ['y'])
    """

    #: Declares the multi-task protocol to ``gk.train``: the output is a dict ``{task: output}``,
    #: and a multi-task loss checks its tasks against :attr:`tasks` and :attr:`auxiliary`.
    is_multi_task = True

    def __init__(self, shared_trunk=None, heads=None, auxiliary=None):
        super().__init__()
        if not heads:
            raise ValueError("MultiTaskModel needs heads={task name: module}, got none")
        if not isinstance(heads, dict):
            raise TypeError(f"MultiTaskModel heads must be a dict {{name: Module}}, got {type(heads).__name__}")
        for name, head in heads.items():
            if not isinstance(head, Module):
                raise TypeError(f"MultiTaskModel head {name!r} is a {type(head).__name__}, expected a gk.nn.Module")
        if shared_trunk is not None and not isinstance(shared_trunk, Module):
            raise TypeError(f"MultiTaskModel shared_trunk must be a Module or None, got {type(shared_trunk).__name__}")
        aux = set() if auxiliary is None else ({auxiliary} if isinstance(auxiliary, str) else set(auxiliary))
        unknown = aux - set(heads)
        if unknown:
            raise ValueError(f"MultiTaskModel auxiliary names {sorted(unknown)} are not heads; heads: {list(heads)}")
        if aux == set(heads):
            raise ValueError("MultiTaskModel: every head is auxiliary; at least one main task is needed")
        self.shared_trunk = shared_trunk if shared_trunk is not None else Identity()
        self.heads = ModuleDict(heads)
        self.auxiliary = frozenset(aux)

    @property
    def tasks(self) -> list:
        """All head names, in order."""
        return list(self.heads.keys())

    @property
    def main_tasks(self) -> list:
        """The heads kept at inference (not auxiliary), in order."""
        return [k for k in self.heads.keys() if k not in self.auxiliary]

    def forward(self, x) -> dict:
        z = self.shared_trunk(x)
        names = self.tasks if self.training else self.main_tasks
        return {name: self.heads[name](z) for name in names}

    def inference(self) -> "MultiTaskModel":
        """A model for deployment: the same trunk and main heads (shared, not copied), no
        auxiliary heads, in eval mode. Its ``state_dict`` has no auxiliary keys."""
        main = {k: self.heads[k] for k in self.main_tasks}
        return MultiTaskModel(self.shared_trunk, main).eval()

    def get_config(self) -> dict:
        """The architecture as JSON: the current trunk, heads and auxiliary names."""
        return {
            "shared_trunk": _encode(self.shared_trunk, "shared_trunk of MultiTaskModel"),
            "heads": {k: _encode(m, f"head {k!r} of MultiTaskModel") for k, m in self.heads.items()},
            "auxiliary": sorted(self.auxiliary),
        }

    def extra_repr(self) -> str:
        return f"auxiliary={sorted(self.auxiliary)}" if self.auxiliary else ""


# ---------------------------------------------------------------------------- masks
def labelled_mask(target, ignore_index: int = -100, mask=None):
    """Which examples (rows) of ``target`` carry a label: an array of bools of length N.

    A floating target row is unlabelled when any of its entries is NaN; an integer
    target row when all its entries equal ``ignore_index``. An explicit ``mask`` (bools,
    length N) is combined with this (AND).

    Args:
        target: a Tensor or array with the examples on the first axis.
        ignore_index: the "no label" class index.
        mask: optional explicit mask (True = labelled).

    Returns:
        A boolean array (NumPy or CuPy, like ``target``) of shape ``(N,)``.

    Raises:
        ValueError: when ``mask`` has another length than the target.

    Examples:
        >>> import numpy as np
        >>> labelled_mask(np.array([[1.0], [np.nan]])).tolist()
        [True, False]
    """
    t = target.array if isinstance(target, Tensor) else target
    xp = get_array_module(t)
    if t.ndim == 0:
        raise ValueError("labelled_mask: a target needs a first (examples) axis, got a 0-d target")
    n = t.shape[0]
    if t.dtype.kind in "fc":
        bad = xp.isnan(t)
        lab = ~bad.reshape(n, -1).any(axis=1) if t.ndim > 1 else ~bad
    elif t.dtype.kind in "iu":
        hit = t != ignore_index
        lab = hit.reshape(n, -1).any(axis=1) if t.ndim > 1 else hit
    else:
        lab = xp.ones(n, dtype=bool)
    if mask is not None:
        m = mask.array if isinstance(mask, Tensor) else xp.asarray(mask)
        if m.shape != (n,):
            raise ValueError(f"labelled_mask: the mask has shape {tuple(m.shape)}, expected ({n},) for {n} examples")
        lab = lab & m.astype(bool)
    return lab


# ---------------------------------------------------------------------------- loss
def _resolve(loss, name):
    if isinstance(loss, str):
        return resolve_loss(loss)
    if not callable(loss):
        raise TypeError(f"MultiTaskLoss: the loss for task {name!r} must be a callable or a name, "
                        f"got {type(loss).__name__}")
    return loss


class MultiTaskLoss(Module):
    """One loss per task, combined with fixed or learned (uncertainty) weights; masks missing labels.

    For tasks ``i`` with per-task loss ``L_i`` (the task's loss on its labelled examples
    only, so a ``'mean'`` loss is the masked mean):

    * ``weights=None``: ``L = sum_i L_i``;
    * ``weights={task: w}``: ``L = sum_i w_i L_i`` (missing tasks weigh 1);
    * ``weights="uncertainty"``: ``L = sum_i exp(-s_i) L_i + s_i`` with learnable
      ``s_i = log sigma_i^2`` (the Parameter vector :attr:`log_vars`, one entry per task in
      order, initialized at ``init_log_var``). Kendall, Gal & Cipolla (2018): a task with
      high homoscedastic noise ``sigma_i`` gets a small weight, and the ``+ s_i`` term keeps
      ``sigma_i`` from growing without bound. Pass ``loss.parameters()`` to the optimizer
      (``gk.train.fit`` does it when the optimizer is given by name).

    A task with no labelled example in the batch contributes nothing (and its ``s_i`` is
    not pushed). Labels are missing where a floating target is NaN, an integer target
    equals the loss's ``ignore_index`` (or ``ignore_index`` here, default -100), or an
    explicit ``masks={task: bools}`` passed to the call is False.

    After each call, :attr:`last_losses` holds ``{task: loss tensor (detached) or None}``
    and :attr:`last_counts` ``{task: number of labelled examples}``.

    Args:
        losses: ``{task: loss}``, each a loss module, a callable ``loss(output, target)``
            or a name (``'cross_entropy'``, ``'mse'``...).
        weights: None, a dict of fixed weights, or ``"uncertainty"``.
        auxiliary: tasks whose output may be absent (auxiliary heads dropped in eval mode);
            :meth:`check_tasks` fills it from a :class:`MultiTaskModel`.
        ignore_index: the "no label" class index for losses that do not define one.
        init_log_var: initial ``s_i`` for ``"uncertainty"`` (default 0: weight 1).
        penalty: optional callable ``() -> Tensor`` added to the total (e.g. a
            :func:`soft_sharing_penalty`).

    Raises:
        ValueError: for no losses, weights naming unknown tasks, a negative weight, or an
            unknown ``weights`` string.

    Examples:
        >>> import gradkit as gk
        >>> crit = gk.nn.MultiTaskLoss({"a": "mse", "b": "mse"}, weights={"a": 2.0, "b": 0.5})
        >>> out = {"a": gk.ones(2, 1), "b": gk.zeros(2, 1)}
        >>> crit(out, {"a": gk.zeros(2, 1), "b": gk.ones(2, 1)}).item()
        2.5
    """

    #: Declares the multi-task protocol to ``gk.train``: targets are dicts ``{task: y}``, and the loss
    #: offers :attr:`tasks`, :meth:`loss_for`, :meth:`ignore_index_for`, :meth:`check_tasks`,
    #: :attr:`last_losses` and :attr:`last_counts` (per-task logs and metrics).
    is_multi_task = True

    def __init__(self, losses, weights=None, auxiliary=None, ignore_index: int = -100, init_log_var: float = 0.0,
                 penalty=None):
        super().__init__()
        if not isinstance(losses, dict) or not losses:
            raise ValueError(f"MultiTaskLoss needs a non-empty dict {{task: loss}}, got {losses!r}")
        fns = {k: _resolve(v, k) for k, v in losses.items()}
        self._fns = fns
        self.losses = ModuleDict({k: v for k, v in fns.items() if isinstance(v, Module)})
        self.ignore_index = int(ignore_index)
        self.auxiliary = frozenset() if auxiliary is None else frozenset(_names(auxiliary))
        self.uncertainty = False
        self._weights = {k: 1.0 for k in fns}
        if isinstance(weights, str):
            if weights != "uncertainty":
                raise ValueError(f"MultiTaskLoss weights must be None, a dict or 'uncertainty', got {weights!r}")
            self.uncertainty = True
            from ..backend import get_default_dtype

            self.log_vars = Parameter(np.full(len(fns), float(init_log_var), dtype=get_default_dtype()))
        elif isinstance(weights, dict):
            unknown = set(weights) - set(fns)
            if unknown:
                raise ValueError(f"MultiTaskLoss weights name unknown task(s) {sorted(unknown)}; tasks: {list(fns)}")
            for k, w in weights.items():
                if not isinstance(w, numbers.Real) or not w >= 0:
                    raise ValueError(f"MultiTaskLoss weight for {k!r} must be a number >= 0, got {w!r}")
                self._weights[k] = float(w)
        elif weights is not None:
            raise TypeError(f"MultiTaskLoss weights must be None, a dict or 'uncertainty', got {type(weights).__name__}")
        if penalty is not None and not callable(penalty):
            raise TypeError(f"MultiTaskLoss penalty must be a callable () -> Tensor, got {type(penalty).__name__}")
        self.penalty = penalty
        self.last_losses: dict = {}
        self.last_counts: dict = {}

    @property
    def tasks(self) -> list:
        """The task names, in order."""
        return list(self._fns)

    def loss_for(self, task: str):
        """The loss callable of ``task``."""
        return self._fns[task]

    def task_weights(self) -> dict:
        """The current weight of each task: fixed ``w_i``, or ``exp(-s_i)`` for ``"uncertainty"``."""
        if self.uncertainty:
            s = self.log_vars.numpy()
            return {k: float(np.exp(-s[i])) for i, k in enumerate(self._fns)}
        return dict(self._weights)

    def ignore_index_for(self, task: str) -> int:
        """The "no label" class index of ``task`` (its loss's ``ignore_index``, else the default)."""
        return int(getattr(self._fns[task], "ignore_index", self.ignore_index))

    def check_tasks(self, model_or_tasks) -> None:
        """Refuse (before training) heads without a loss and losses without a head.

        Args:
            model_or_tasks: a :class:`MultiTaskModel` (its auxiliary heads are recorded, so
                their absence in eval mode is accepted) or an iterable of head names.

        Raises:
            ValueError: naming every head without a loss and every loss without a head.
        """
        if isinstance(model_or_tasks, MultiTaskModel):
            heads = model_or_tasks.tasks
            self.auxiliary = self.auxiliary | model_or_tasks.auxiliary
        else:
            heads = list(model_or_tasks)
        no_loss = [h for h in heads if h not in self._fns]
        no_head = [k for k in self._fns if k not in heads]
        if no_loss or no_head:
            parts = []
            if no_loss:
                parts.append(f"head(s) without a loss: {no_loss}")
            if no_head:
                parts.append(f"loss(es) without a head: {no_head}")
            raise ValueError(f"MultiTaskLoss does not fit the model's heads {heads} (losses: {self.tasks}): "
                             + "; ".join(parts))

    def forward(self, outputs, targets, masks=None) -> Tensor:
        """The combined loss.

        Args:
            outputs: ``{task: prediction Tensor}`` (as from :class:`MultiTaskModel`).
            targets: ``{task: target Tensor or array}``.
            masks: optional ``{task: bools of length N}``; False marks an example without
                a label for that task.

        Returns:
            A scalar Tensor.

        Raises:
            TypeError: when outputs/targets are not dicts.
            ValueError: an output without a loss, a loss without an output (unless auxiliary),
                a missing target, or a task that is neither.
        """
        if not isinstance(outputs, dict):
            raise TypeError(f"MultiTaskLoss expects the model's outputs as a dict {{task: Tensor}}, "
                            f"got {type(outputs).__name__}")
        if not isinstance(targets, dict):
            raise TypeError(f"MultiTaskLoss expects targets as a dict {{task: target}}, got {type(targets).__name__}")
        extra = [k for k in outputs if k not in self._fns]
        absent = [k for k in self._fns if k not in outputs and k not in self.auxiliary]
        if extra or absent:
            raise ValueError(f"MultiTaskLoss: output(s) without a loss: {extra}; loss(es) without an output: {absent} "
                             f"(outputs: {list(outputs)}, losses: {self.tasks})")
        no_target = [k for k in outputs if k not in targets]
        unknown = [k for k in targets if k not in self._fns]
        if no_target or unknown:
            raise ValueError(f"MultiTaskLoss: no target for task(s) {no_target}; target(s) for unknown task(s) "
                             f"{unknown} (targets: {list(targets)}, losses: {self.tasks})")
        masks = masks or {}
        total = None
        self.last_losses, self.last_counts = {}, {}
        for i, (task, fn) in enumerate(self._fns.items()):
            if task not in outputs:
                continue
            out = outputs[task]
            tgt = targets[task]
            t_arr = tgt.array if isinstance(tgt, Tensor) else tgt
            n = int(out.shape[0])
            if int(t_arr.shape[0]) != n:
                raise ValueError(f"MultiTaskLoss: task {task!r} has {n} outputs but {int(t_arr.shape[0])} targets")
            lab = labelled_mask(t_arr, self.ignore_index_for(task), masks.get(task))
            count = int(lab.sum())
            self.last_counts[task] = count
            if count == 0:
                self.last_losses[task] = None
                continue
            if count < n:
                xp = get_array_module(lab)
                idx = xp.nonzero(lab)[0]
                out = out[idx]
                tgt = tgt[idx] if isinstance(tgt, Tensor) else const(t_arr[idx])
            elif not isinstance(tgt, Tensor):
                tgt = const(t_arr)
            li = fn(out, tgt)
            self.last_losses[task] = li.detach()
            if self.uncertainty:
                s = self.log_vars[i]
                term = (-s).exp() * li + s
            else:
                w = self._weights[task]
                term = li if w == 1.0 else li * w
            total = term if total is None else total + term
        if total is None:  # no labelled example at all in this batch
            ref = next(iter(outputs.values()))
            total = (ref * 0.0).sum()
        if self.penalty is not None:
            total = total + self.penalty()
        return total

    def get_config(self) -> dict:
        """The losses and weighting as JSON (callables that are not Modules cannot be recorded)."""
        losses = {}
        for k, fn in self._fns.items():
            if not isinstance(fn, Module):
                raise TypeError(f"cannot record the loss of task {k!r} ({type(fn).__name__}) in a JSON config; "
                                "use gradkit loss modules")
            losses[k] = _encode(fn, f"loss {k!r}")
        if self.penalty is not None:
            raise TypeError("cannot record MultiTaskLoss's penalty callable in a JSON config")
        return {"losses": losses, "weights": "uncertainty" if self.uncertainty else dict(self._weights),
                "auxiliary": sorted(self.auxiliary), "ignore_index": self.ignore_index}

    def extra_repr(self) -> str:
        return "weights='uncertainty'" if self.uncertainty else f"weights={self._weights}"


# ---------------------------------------------------------------------------- soft sharing
class NuclearNorm(Op):
    """``||X||_* = sum of the singular values of a 2-D X``; gradient ``U V^T`` (reduced SVD).

    The subgradient ``U V^T`` is the gradient wherever the nonzero singular values are
    distinct and X has full rank (almost everywhere). Backward is on raw arrays (first
    order only).
    """

    def forward(self, x):
        xp = get_array_module(x)
        u, s, vt = xp.linalg.svd(x, full_matrices=False)
        self.uvt = u @ vt
        return s.sum()

    @once_differentiable
    def backward(self, g):
        return const(g.array * self.uvt)


def nuclear_norm(x: Tensor) -> Tensor:
    """The trace (nuclear) norm of a 2-D tensor, differentiable (first order).

    Args:
        x: a 2-D Tensor.

    Returns:
        A scalar Tensor ``sum_k sigma_k(x)``.

    Raises:
        ValueError: when ``x`` is not 2-D.

    Examples:
        >>> import gradkit as gk
        >>> round(nuclear_norm(gk.tensor([[3.0, 0.0], [0.0, -4.0]])).item(), 5)
        7.0
    """
    x = ensure_tensor(x)
    if x.ndim != 2:
        raise ValueError(f"nuclear_norm expects a 2-D tensor, got shape {tuple(x.shape)}")
    return NuclearNorm()(x)


def _param_sets(models, prefix):
    from ..ops import stack

    if len(models) < 2:
        raise ValueError(f"soft_sharing_penalty needs at least two models, got {len(models)}")
    named = [dict(m.named_parameters()) for m in models]
    prefixes = (prefix,) if isinstance(prefix, str) else tuple(prefix) if prefix is not None else None
    keys = [k for k in named[0] if prefixes is None or k.startswith(prefixes)]
    problems = []
    for j, d in enumerate(named[1:], start=1):
        for k in keys:
            if k not in d:
                problems.append(f"model {j} has no parameter {k!r}")
            elif tuple(d[k].shape) != tuple(named[0][k].shape):
                problems.append(f"{k!r}: model 0 shape {tuple(named[0][k].shape)}, model {j} shape {tuple(d[k].shape)}")
    if problems:
        raise ValueError("soft_sharing_penalty: the models' parameters do not correspond:\n  " + "\n  ".join(problems))
    if not keys:
        raise ValueError(f"soft_sharing_penalty: no parameter name starts with {prefix!r}")
    return [(k, stack([d[k] for d in named], dim=0)) for k in keys]


def soft_sharing_penalty(models, lam: float, norm: str = "l2", prefix=None) -> Tensor:
    """A penalty that pulls corresponding parameters of per-task models together.

    For each parameter name ``p`` (restricted to names starting with ``prefix``), stack
    the ``K`` models' tensors into ``W_p`` of shape ``(K, *shape)``:

    * ``norm="l2"``: ``lam * sum_p sum_k ||W_p[k] - mean_k W_p[k]||^2`` (Duong et al., 2015,
      "Low resource dependency parsing: cross-lingual parameter sharing");
    * ``norm="trace"``: ``lam * sum_p ||reshape(W_p, (K, -1))||_*``, the nuclear norm of the
      stacked parameters, which favours low rank, i.e. models that are combinations of few
      shared directions (Yang & Hospedales, 2017, "Trace norm regularised deep multi-task
      learning").

    Args:
        models: two or more Modules of the same architecture (same parameter names and shapes).
        lam: the strength ``lambda >= 0``.
        norm: ``"l2"`` or ``"trace"``.
        prefix: only parameters whose names start with it (a string or tuple), e.g. the body.

    Returns:
        A scalar Tensor (add it to the loss).

    Raises:
        ValueError: for fewer than two models, non-corresponding parameters, a bad ``norm``
            or a negative ``lam``.

    Examples:
        >>> import gradkit as gk
        >>> a, b = gk.nn.Linear(2, 2), gk.nn.Linear(2, 2)
        >>> b.load_state_dict(a.state_dict())
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        >>> soft_sharing_penalty([a, b], lam=1.0).item()
        0.0
    """
    if norm not in ("l2", "trace"):
        raise ValueError(f"soft_sharing_penalty norm must be 'l2' or 'trace', got {norm!r}")
    if not isinstance(lam, numbers.Real) or not lam >= 0:
        raise ValueError(f"soft_sharing_penalty lam must be a number >= 0, got {lam!r}")
    total = None
    for _, w in _param_sets(list(models), prefix):
        if norm == "l2":
            d = w - w.mean(dim=0, keepdim=True)
            term = (d * d).sum()
        else:
            term = nuclear_norm(w.reshape(w.shape[0], -1))
        total = term if total is None else total + term
    return total * float(lam)
