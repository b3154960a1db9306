"""Fine-tuning helpers: replace a head, smaller learning rates for the body, gradual unfreezing.

Transfer learning reuses a network trained on one task (the *body* or feature extractor)
for another: replace the output layer (the *head*), then either train only the head
(``body.freeze()``), or fine-tune everything with a smaller learning rate on the body
(:func:`param_groups_for_finetuning`), or unfreeze layer groups one by one from the top
(:class:`GradualUnfreezing`, Howard & Ruder, 2018, "Universal language model
fine-tuning for text classification" (ULMFiT)).

How freezing works with ``gk.optim``: a frozen parameter (``requires_grad=False``) gets
no gradient, and every optimizer skips parameters whose ``grad`` is ``None`` or that do
not require grad, so frozen parameters can stay in the optimizer. The recommended design,
used here, is to put *all* parameters in the optimizer from the start and toggle
``requires_grad``; their optimizer state starts when they first get a gradient.
(Parameters missing from the optimizer are added as a new parameter group when
unfrozen, for optimizers built only over the trainable parameters.) Note: freezing stops
learning, not batch norm's running statistics, which still update in training mode;
call ``.eval()`` on such layers in an ``on_epoch_begin`` callback to fix them too.

Examples:
    >>> import gradkit as gk
    >>> net = gk.models.DigitsCNN(num_classes=10)
    >>> old = replace_head(net, "classifier.2", 5)     # a new Linear(128, 5)
    >>> _ = net.features.freeze()
    >>> groups = param_groups_for_finetuning(net, head="classifier", body_lr=1e-4, head_lr=1e-3)
    >>> [(g["name"], g["lr"], len(g["params"])) for g in groups]
    [('body', 0.0001, 9), ('head', 0.001, 2)]
"""

from __future__ import annotations

import numbers

from .callbacks import Callback

__all__ = ["replace_head", "param_groups_for_finetuning", "GradualUnfreezing", "trainable_parameters"]


def _resolve_modules(model, spec, what):
    """A list of modules from a dotted name, a Module, or a list of those."""
    from ..nn import Module

    if spec is None:
        return []
    items = spec if isinstance(spec, (list, tuple)) else [spec]
    mods = []
    for s in items:
        if isinstance(s, str):
            try:
                mods.append(model.get_submodule(s))
            except AttributeError as exc:
                names = [n for n, _ in model.named_children()]
                raise ValueError(f"{what}: {type(model).__name__} has no submodule {s!r} "
                                 f"(its children: {names})") from exc
        elif isinstance(s, Module):
            mods.append(s)
        else:
            raise TypeError(f"{what} must be a submodule name, a Module or a list of those, got {type(s).__name__}")
    return mods


def _params_of(mods) -> list:
    seen, out = set(), []
    for m in mods:
        for p in m.parameters():
            if id(p) not in seen:
                seen.add(id(p))
                out.append(p)
    return out


def trainable_parameters(model) -> list:
    """The parameters of ``model`` that require grad (what an optimizer built now would train)."""
    return [p for p in model.parameters() if p.requires_grad]


def replace_head(model, name: str, new_module):
    """Replace the submodule at dotted path ``name`` (the output layer) and return the old one.

    Plain attribute assignment does the same for a direct child (``net.fc = gk.nn.Linear(128, 5)``,
    or ``net.classifier[2] = ...`` inside a Sequential); this helper also takes dotted
    paths, checks that the target exists, and builds a fresh ``Linear`` when given a number
    of outputs. The new module is moved to the old one's device and floating dtype. The
    model's recorded constructor config still describes the old head: save the fine-tuned
    model's weights with ``state_dict`` and rebuild it in code (or build the model with
    the new number of classes and load the body with ``gk.io.load_weights(..., prefix=...)``).

    Args:
        model: the model to change (in place).
        name: the dotted path of the head, e.g. ``"fc"`` or ``"classifier.2"``.
        new_module: a Module, or an int ``k``: a new ``Linear(old.in_features, k)`` (the old
            head must then be a ``Linear``).

    Returns:
        The old module.

    Raises:
        ValueError: when ``name`` is not a submodule of ``model``.
        TypeError: for a ``new_module`` that is neither a Module nor a positive int, or an
            int when the old head is not a Linear.

    Examples:
        >>> import gradkit as gk
        >>> net = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.ReLU(), gk.nn.Linear(8, 3))
        >>> replace_head(net, "2", gk.nn.Linear(8, 5)).out_features
        3
        >>> net(gk.zeros(1, 4)).shape
        (1, 5)
    """
    from ..nn import Linear, Module

    parent_path, _, leaf = name.rpartition(".")
    try:
        parent = model.get_submodule(parent_path)
        old = model.get_submodule(name)
    except AttributeError as exc:
        names = [n for n, _ in model.named_modules() if n]
        raise ValueError(f"replace_head: {type(model).__name__} has no submodule {name!r}; "
                         f"its submodules: {names}") from exc
    if isinstance(new_module, numbers.Integral) and not isinstance(new_module, bool):
        if not isinstance(old, Linear):
            raise TypeError(f"replace_head: a number of outputs needs the old head {name!r} to be a Linear, "
                            f"got {type(old).__name__}; pass a Module instead")
        if new_module < 1:
            raise TypeError(f"replace_head: the number of outputs must be >= 1, got {new_module}")
        new_module = Linear(old.in_features, int(new_module), bias=old.bias is not None)
    if not isinstance(new_module, Module):
        raise TypeError(f"replace_head: new_module must be a gk.nn.Module or an int, got {type(new_module).__name__}")
    ref = next(iter(old.parameters()), None)
    if ref is not None:
        new_module.to(device=ref.device, dtype=ref.dtype)
    setattr(parent, leaf, new_module)
    return old


def param_groups_for_finetuning(model, head, body=None, *, head_lr: float = 1e-3, body_lr: float | None = None,
                                body_lr_factor: float = 0.1, include_frozen: bool = True, **options) -> list:
    """Two parameter groups for fine-tuning: the pretrained body with a smaller learning rate, the new head.

    Discriminative learning rates (ULMFiT): the body already holds useful features, so it
    moves slowly (``body_lr``, default ``body_lr_factor * head_lr``) while the freshly
    initialized head learns at ``head_lr``. Pass the result to any ``gk.optim`` optimizer.

    Args:
        model: the model.
        head: the head's submodule name(s) or Module(s).
        body: the body's submodule name(s) or Module(s); default every parameter not in the head.
        head_lr: the head's learning rate.
        body_lr: the body's learning rate (default ``body_lr_factor * head_lr``).
        body_lr_factor: see ``body_lr``.
        include_frozen: keep frozen parameters in the groups (they are skipped until
            unfrozen, e.g. by :class:`GradualUnfreezing`); False leaves them out.
        **options: other per-group options for both groups (``weight_decay``...).

    Returns:
        ``[{"name": "body", "params": [...], "lr": body_lr, ...}, {"name": "head", ...}]``
        (a group with no parameters is left out).

    Raises:
        ValueError: when the head has no parameters, or body and head share parameters.

    Examples:
        >>> import gradkit as gk
        >>> net = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.ReLU(), gk.nn.Linear(8, 3))
        >>> opt = gk.optim.SGD(param_groups_for_finetuning(net, head="2", head_lr=0.1), lr=0.1)
        >>> [g["lr"] for g in opt.param_groups]
        [0.010000000000000002, 0.1]
    """
    head_params = _params_of(_resolve_modules(model, head, "param_groups_for_finetuning head"))
    if not head_params:
        raise ValueError("param_groups_for_finetuning: the head has no parameters")
    head_ids = {id(p) for p in head_params}
    if body is None:
        body_params = [p for p in model.parameters() if id(p) not in head_ids]
    else:
        body_params = _params_of(_resolve_modules(model, body, "param_groups_for_finetuning body"))
        shared = [p for p in body_params if id(p) in head_ids]
        if shared:
            raise ValueError(f"param_groups_for_finetuning: body and head share {len(shared)} parameter(s)")
    if not include_frozen:
        body_params = [p for p in body_params if p.requires_grad]
        head_params = [p for p in head_params if p.requires_grad]
    if body_lr is None:
        body_lr = body_lr_factor * head_lr
    groups = []
    if body_params:
        groups.append({"name": "body", "params": body_params, "lr": body_lr, **options})
    if head_params:
        groups.append({"name": "head", "params": head_params, "lr": head_lr, **options})
    return groups


class GradualUnfreezing(Callback):
    """Unfreeze layer groups from the top one by one at given epochs (ULMFiT's gradual unfreezing).

    ``layers`` lists submodules from the top (next to the head) down to the input. At the
    start of training every listed layer is frozen; at the beginning of epoch
    ``unfreeze_at[i]`` layer ``i`` is unfrozen (``requires_grad`` True) and stays so. The
    head itself is usually not listed (it trains from the start). Default schedule: layer
    ``i`` at epoch ``start + i * every``.

    Design: parameters stay in the optimizer while frozen (they get no gradient, which
    ``gk.optim`` skips); a parameter that is not in the optimizer when unfrozen (an
    optimizer built over trainable parameters only) is added as a new parameter group,
    with learning rate ``lr`` (default: the learning rate of the optimizer's last group
    times ``lr_factor ** i``). The state only depends on the epoch, so an exact resume
    (``fit(..., resume=)``) restores it.

    Args:
        layers: submodule names or Modules, top first.
        unfreeze_at: the epoch at which each layer is unfrozen (non-decreasing), or None.
        start: the first unfreezing epoch for the default schedule (default 1).
        every: epochs between unfreezings for the default schedule (default 1).
        lr: learning rate for parameters added to the optimizer (see above).
        lr_factor: per-depth factor on that learning rate when ``lr`` is None (default 1).
        verbose: print a line when a layer is unfrozen.

    Raises:
        ValueError: when ``unfreeze_at`` has another length than ``layers``, decreases, or is negative.

    Examples:
        >>> import gradkit as gk
        >>> cb = GradualUnfreezing(["features.7", "features.3", "features.0"], start=2)
        >>> cb.unfreeze_at
        [2, 3, 4]
    """

    def __init__(self, layers, unfreeze_at=None, start: int = 1, every: int = 1, lr: float | None = None,
                 lr_factor: float = 1.0, verbose: int = 0):
        self.layers = list(layers) if isinstance(layers, (list, tuple)) else [layers]
        if not self.layers:
            raise ValueError("GradualUnfreezing needs at least one layer")
        if unfreeze_at is None:
            unfreeze_at = [start + i * every for i in range(len(self.layers))]
        unfreeze_at = [int(e) for e in unfreeze_at]
        if len(unfreeze_at) != len(self.layers):
            raise ValueError(f"GradualUnfreezing: {len(self.layers)} layers but {len(unfreeze_at)} epochs in unfreeze_at")
        if any(e < 0 for e in unfreeze_at) or any(b < a for a, b in zip(unfreeze_at, unfreeze_at[1:])):
            raise ValueError(f"GradualUnfreezing: unfreeze_at must be non-negative and non-decreasing, got {unfreeze_at}")
        self.unfreeze_at = unfreeze_at
        self.lr = lr
        self.lr_factor = float(lr_factor)
        self.verbose = verbose
        self._applied = -1

    def _modules(self):
        return _resolve_modules(self.model, self.layers, "GradualUnfreezing layers")

    def _apply(self, epoch: int) -> None:
        mods = self._modules()
        opt = getattr(self.trainer, "optimizer", None)
        in_opt = set()
        if opt is not None and hasattr(opt, "param_groups"):
            in_opt = {id(p) for g in opt.param_groups for p in g["params"]}
        for i, (mod, at) in enumerate(zip(mods, self.unfreeze_at)):
            on = epoch >= at
            was = all(p.requires_grad for p in mod.parameters())
            mod.requires_grad_(on)
            if on and not was and self.verbose:
                print(f"GradualUnfreezing: epoch {epoch + 1}: unfroze {self.layers[i]!r}")
            if on and opt is not None and hasattr(opt, "add_param_group"):
                new = [p for p in mod.parameters() if id(p) not in in_opt]
                if new:
                    lr = self.lr if self.lr is not None else opt.param_groups[-1]["lr"] * self.lr_factor ** (i + 1)
                    opt.add_param_group({"params": new, "lr": lr})
                    in_opt.update(id(p) for p in new)
        self._applied = epoch

    def on_train_begin(self, logs=None):
        self._applied = -1
        if self.trainer is not None:
            self._apply(0)

    def on_epoch_begin(self, epoch, logs=None):
        self._apply(epoch)

    def state_dict(self) -> dict:
        return {"applied": self._applied}

    def load_state_dict(self, state: dict) -> None:
        applied = int(state.get("applied", -1))
        if applied >= 0 and self.trainer is not None:
            self._apply(applied)
