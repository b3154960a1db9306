"""The :class:`Optimizer` base: parameter groups, per-parameter state, ``state_dict``.

PyTorch's semantics (``torch.optim.Optimizer``): an optimizer holds ``param_groups``, a list
of dicts, each with its ``params`` and its own options (``lr``, ``weight_decay`` ...);
options missing from a group take the optimizer's defaults. ``state`` maps each
parameter to a dict of its buffers (moments, step count). ``state_dict()`` keys that
state by the parameter's *index* counted across groups, so it can be loaded into a new
optimizer built over new parameter objects (a restarted run).

``state`` is a ``collections.defaultdict(dict)`` as in PyTorch, so an optimizer written the torch
way works unchanged: ``state = self.state[p]; if len(state) == 0: state["step"] = 0; state["buf"] =
gk.zeros_like(p)`` ... A subclass's state may hold Tensors (written with Tensor methods such as
``mul_``/``add_``) or raw arrays (gradkit's built-in optimizers: :attr:`Optimizer._raw_array_state`);
``load_state_dict`` gives each back in the same kind.

Fast updates. Elementwise algorithms (SGD, Momentum, Adagrad, RMSprop, Adam, AdamW, NAdam) subclass
:class:`FlatOptimizer`. For each group it keeps the parameters' data, their gradients and
every state buffer as *views into one flat contiguous buffer* (one per dtype and device),
so an update is a dozen vectorised array operations on a few long arrays, written with
``out=`` so that no temporaries are allocated; on the CPU long buffers are split across
threads (NumPy releases the GIL inside ufuncs). Elementwise arithmetic gives bit-identical
results on a flat buffer and per parameter, so the fast path changes no number.

Aliasing: ``p.array`` is re-pointed at a view of the flat buffer. Code that later assigns
``p.array = new_array`` (loading a checkpoint, moving to a device) breaks the aliasing; the
optimizer notices (``p.array is not`` its view) before its next step and rebuilds the flat
buffer from the new arrays, keeping its state.
"""

from __future__ import annotations

import warnings
from collections import defaultdict

import numpy as np

from ..autograd.grad_mode import enable_grad, no_grad
from .. import parallel as _parallel
from ..backend import get_array_module, to_numpy
from ..tensor import Tensor
from . import _validate


class _Required:
    """Marks an option (such as ``lr`` for SGD in old PyTorch) that has no default."""

    def __repr__(self):
        return "<required parameter>"


required = _Required()

# The smallest chunk of a flat update worth a thread of its own (the threads are gradkit's
# intra-op threads, gk.set_num_threads). Inside a training step the BLAS threads of the dense
# layers' products are still spinning when the optimizer starts, so splitting small updates
# over threads made the step slower; threads pay only from about a million parameters per
# thread (benchmarks/NOTES.md).
_MIN_CHUNK = 1 << 20


def set_num_threads(n: int) -> None:
    """The same setting as :func:`gradkit.set_num_threads` (the optimizer's flat updates use
    gradkit's intra-op threads); kept here so optimizer code can set it where it lives.

    Raises:
        ValueError: when ``n`` is not a positive integer.
    """
    _parallel.set_num_threads(n)


def get_num_threads() -> int:
    """The number of threads an optimizer step may use on the CPU (:func:`gradkit.get_num_threads`)."""
    return _parallel.get_num_threads()


def _check_nonneg(name: str, value, what: str = "a number >= 0") -> float:
    """``value`` (a number or a one-element Tensor) as a float; ValueError naming ``name`` unless it is >= 0."""
    if isinstance(value, Tensor):
        value = value.item()
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool) or not value >= 0:
        raise ValueError(f"invalid {name}: expected {what}, got {value!r}")
    return float(value)


def _check_beta(name: str, value) -> float:
    """``value`` as a float; ValueError naming ``name`` unless it is a number in [0, 1)."""
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool) or not 0.0 <= value < 1.0:
        raise ValueError(f"invalid {name}: expected a number in [0, 1), got {value!r}")
    return float(value)


def _check_betas(betas) -> tuple:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"invalid betas: expected a pair (beta1, beta2) of numbers in [0, 1), got {betas!r}")
    return (_check_beta("beta1 (betas[0])", betas[0]), _check_beta("beta2 (betas[1])", betas[1]))


def _plain(value):
    """A deep copy of a state value as plain NumPy arrays and Python numbers."""
    if isinstance(value, Tensor):
        value = value.array
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return np.array(to_numpy(value), copy=True)
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class Optimizer:
    """Base class of all optimizers (``torch.optim.Optimizer`` semantics).

    Args:
        params: an iterable of tensors that require grad, or of dicts (parameter groups)
            each with a ``"params"`` entry and optional per-group options.
        defaults: the options a group takes when it does not set them.

    Raises:
        TypeError: when ``params`` is a single tensor, a set, or holds non-tensors.
        ValueError: when ``params`` is empty or a parameter appears in two groups.

    Example:
        >>> import gradkit as gk
        >>> w = gk.tensor([1.0, 2.0], requires_grad=True)
        >>> b = gk.tensor([0.5], requires_grad=True)
        >>> opt = gk.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.01}], lr=0.1)
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
    """

    #: Whether this optimizer keeps its per-parameter buffers as raw NumPy/CuPy arrays (gradkit's
    #: built-in optimizers) rather than as Tensors (a torch-style subclass); ``load_state_dict``
    #: restores saved arrays in that form.
    _raw_array_state = False

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__} params should be an iterable of Tensors or dicts, got a single Tensor; "
                "wrap it in a list: [param]"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{type(self).__name__} params must be an ordered iterable (list), not a set")
        groups = list(params)
        if len(groups) == 0:
            raise ValueError(f"{type(self).__name__} got an empty parameter list; pass at least one tensor")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (e.g. a new layer being unfrozen).

        Args:
            param_group: a dict with ``"params"`` (a tensor or an iterable of tensors) and
                options; missing options take the optimizer's defaults.

        Raises:
            ValueError: when an option without default is missing, the group is empty, or a
                parameter is already in another group.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"a param group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("a param group's 'params' must be an ordered iterable (list), not a set")
        elif params is None:
            raise ValueError("a param group needs a 'params' entry")
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got a parameter group with an empty 'params' list")
        seen = set()
        unique = []
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, got {type(p).__name__} at position {i}")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__} can only optimize leaf tensors (position {i} has a grad_fn)")
            if id(p) in seen:
                warnings.warn(
                    f"{type(self).__name__}: a parameter appears twice in one group (position {i}); keeping it once",
                    UserWarning,
                    stacklevel=3,
                )
                continue
            seen.add(id(p))
            unique.append(p)
        group["params"] = unique
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            group.setdefault(name, default)
        existing = {id(p): k for k, g in enumerate(self.param_groups) for p in g["params"]}
        for i, p in enumerate(unique):
            if id(p) in existing:
                raise ValueError(
                    f"{type(self).__name__}: the parameter at position {i} of the new group is already in "
                    f"group {existing[id(p)]}; a parameter may appear in only one group"
                )
        self._validate_group(group)
        _validate.check_group(type(self).__name__, group, len(self.param_groups))
        self.param_groups.append(group)

    def _validate_group(self, group: dict) -> None:
        """Check a group's options; subclasses raise ValueError naming the bad option."""
        if "lr" in group:
            _check_nonneg("learning rate (lr)", group["lr"])

    # ------------------------------------------------------------------ grads
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized parameters.

        Args:
            set_to_none: drop ``.grad`` (the default, as in PyTorch) instead of filling it with zeros.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad
                    if g.requires_grad or g._ctx is not None:
                        g = g.detach()
                        p.grad = g
                    g.array[...] = 0

    def step(self, closure=None):
        """Update the parameters once. Subclasses implement it.

        Args:
            closure: an optional callable that re-evaluates the model and returns the loss.

        Returns:
            The closure's loss, or None.
        """
        raise NotImplementedError

    @staticmethod
    def _eval_closure(closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ------------------------------------------------------------------ state dict
    def _index_map(self) -> dict:
        index = {}
        k = 0
        for g in self.param_groups:
            for p in g["params"]:
                index[id(p)] = k
                k += 1
        return index

    def state_dict(self) -> dict:
        """The optimizer's state as plain NumPy arrays and numbers (no Tensors, no pickle).

        Returns:
            ``{"state": {index: {name: array | number}}, "param_groups": [{options..., "params": [indices]}]}``
            where an index counts parameters across groups in order. Values are copies.
        """
        index = self._index_map()
        groups = []
        for g in self.param_groups:
            packed = {k: _plain(v) for k, v in g.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in g["params"]]
            groups.append(packed)
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                st = self.state.get(p)
                if st:
                    state[index[id(p)]] = {k: _plain(v) for k, v in self._export_state(p, st).items()}
        return {"state": state, "param_groups": groups}

    def _export_state(self, p, st: dict) -> dict:
        return st

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state produced by :meth:`state_dict` (deep-copied; arrays cast to each parameter's dtype/device).

        Raises:
            ValueError: when the number of groups or of parameters per group differs, or a
                state array's shape does not match its parameter.
        """
        _validate.check_state_dict(self, state_dict)
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(groups)} parameter groups, but the optimizer has {len(self.param_groups)}"
            )
        for k, (saved, own) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(
                    f"loaded state dict's group {k} has {len(saved['params'])} parameters, "
                    f"but the optimizer's group {k} has {len(own['params'])}"
                )
        id_map = {}
        for saved, own in zip(groups, self.param_groups):
            for i, p in zip(saved["params"], own["params"]):
                id_map[int(i)] = p
        saved_state = state_dict["state"]
        new_state = defaultdict(dict)
        for key, st in saved_state.items():
            k = int(key)
            if k not in id_map:
                raise ValueError(f"loaded state dict has state for parameter index {k}, which no group lists")
            p = id_map[k]
            new_state[p] = self._import_state(p, {name: self._cast_state(p, name, v) for name, v in st.items()})
        for saved, own in zip(groups, self.param_groups):
            for name, v in saved.items():
                if name == "params":
                    continue
                if name == "betas" and isinstance(v, list):
                    v = tuple(v)
                own[name] = _plain(v)
        self.state = new_state
        self._on_state_loaded()

    def _import_state(self, p, st: dict) -> dict:
        return st

    def _cast_state(self, p, name, value):
        if value is None or isinstance(value, (int, float, bool, str)):
            return value
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, Tensor):
            value = value.array
        if isinstance(value, (list, tuple)):
            return type(value)(self._cast_state(p, name, v) for v in value)
        xp = get_array_module(p.array)
        arr = np.array(to_numpy(value), copy=True)
        if arr.shape == p.array.shape and arr.dtype.kind == "f":
            arr = arr.astype(p.array.dtype, copy=False)
        elif arr.ndim > 0 and arr.size == p.array.size and arr.dtype.kind == "f":
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: state {name!r} has shape {arr.shape}, "
                f"but its parameter has shape {tuple(p.array.shape)}"
            )
        arr = xp.asarray(arr) if xp is not np else arr
        return arr if self._raw_array_state else Tensor(arr)

    def _on_state_loaded(self) -> None:
        pass

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for k, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {k}")
            for name in sorted(g):
                if name != "params":
                    lines.append(f"    {name}: {g[name]}")
        lines.append(")")
        return "\n".join(lines)


class _Bucket:
    """Parameters of one group with one dtype and device, flattened into contiguous buffers."""

    __slots__ = ("params", "views", "offsets", "sizes", "array", "grad", "tmp", "bufs", "xp", "numel", "chunks", "cache")

    def matches(self, params) -> bool:
        views = self.views
        for i, p in enumerate(params):
            if p.array is not views[i]:
                return False
        return True


class FlatOptimizer(Optimizer):
    """An optimizer whose update is elementwise: run on flat buffers, per group, in place.

    Subclasses define:

    * ``_array_state(group)``: the names of per-parameter array buffers and their initial fill value;
    * ``_scalar_state(group)``: the names of per-parameter scalar state (``step`` ...) and initial values;
    * ``_n_tmp``: how many scratch buffers the update needs;
    * ``_update(group, p, g, bufs, scalars, tmp, fresh)``: the in-place update on arrays (flat or
      per parameter); ``g`` is a scratch copy of the gradient that may be overwritten; returns the
      new scalar state.
    """

    _n_tmp = 1
    _raw_array_state = True

    def __init__(self, params, defaults):
        self._buckets: dict = {}
        super().__init__(params, defaults)

    def _array_state(self, group) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def _scalar_state(self, group) -> dict:
        return {}

    def _update(self, group, p, g, bufs, scalars, tmp, fresh):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _prep_grad(xp, group, p, g, t, decoupled: bool = False) -> None:
        """The common start of an update, in place: negate ``g`` for ``maximize``, then apply
        ``weight_decay``, either coupled (L2: ``g += weight_decay * p``, using the scratch ``t``)
        or, with ``decoupled``, to the parameter (AdamW: ``p *= 1 - lr * weight_decay``)."""
        if group["maximize"]:
            g *= -1
        wd = group["weight_decay"]
        if wd != 0:
            if decoupled:
                p *= 1 - group["lr"] * wd
            else:
                xp.multiply(p, wd, out=t)
                g += t

    def _import_state(self, p, st: dict) -> dict:
        # scalar state (``step`` ...) saved as a 0-d array (as torch.optim saves it) becomes a number again
        scalars = self._scalar_state(self.param_groups[0])
        return {k: (float(v) if k in scalars and getattr(v, "ndim", None) == 0 else v) for k, v in st.items()}

    # ------------------------------------------------------------------ flat buffers
    def _on_state_loaded(self) -> None:
        self._buckets = {}

    def _group_buckets(self, group) -> list:
        params = group["params"]
        entry = self._buckets.get(id(group))
        if entry is not None and entry[0] is group and len(entry[2]) == len(params):
            ids = entry[2]
            ok = True
            for i, p in enumerate(params):
                if id(p) != ids[i]:
                    ok = False
                    break
            if ok:
                names = entry[3]
                if names == tuple(self._array_state(group)):
                    for b in entry[1]:
                        if not b.matches(b.params):
                            break
                    else:
                        return entry[1]
        buckets = self._build(group)
        self._buckets[id(group)] = (group, buckets, [id(p) for p in params], tuple(self._array_state(group)))
        return buckets

    def _build(self, group) -> list:
        arrays = self._array_state(group)
        by_key: dict = {}
        for p in group["params"]:
            key = (p.array.dtype.str, type(p.array).__module__, getattr(getattr(p.array, "device", None), "id", None))
            by_key.setdefault(key, []).append(p)
        buckets = []
        for params in by_key.values():
            b = _Bucket()
            xp = get_array_module(params[0].array)
            dtype = params[0].array.dtype
            sizes = [int(p.array.size) for p in params]
            offsets = [0]
            for s in sizes:
                offsets.append(offsets[-1] + s)
            n = offsets[-1]
            b.params, b.sizes, b.offsets, b.xp, b.numel = params, sizes, offsets, xp, n
            b.cache = None
            b.array = xp.empty(n, dtype=dtype)
            b.grad = xp.zeros(n, dtype=dtype)
            b.tmp = [xp.empty(n, dtype=dtype) for _ in range(self._n_tmp)]
            b.bufs = {name: xp.full(n, fill, dtype=dtype) for name, fill in arrays.items()}
            views = []
            for p, lo, hi in zip(params, offsets, offsets[1:]):
                view = b.array[lo:hi].reshape(p.array.shape)
                view[...] = p.array
                p.array = view
                views.append(view)
                st = self.state.get(p)
                if st:
                    for name, fill in arrays.items():
                        old = st.get(name)
                        dst = b.bufs[name][lo:hi].reshape(view.shape)
                        if old is not None:
                            dst[...] = old
                        else:
                            dst.fill(fill)
                        st[name] = dst
            b.views = views
            nchunks = 1
            threads = _parallel.get_num_threads()
            if xp is np and threads > 1:
                nchunks = max(1, min(threads, n // _MIN_CHUNK))
            b.chunks = [(n * k // nchunks, n * (k + 1) // nchunks) for k in range(nchunks)]
            buckets.append(b)
        return buckets

    # ------------------------------------------------------------------ step
    @no_grad()
    def step(self, closure=None):
        """Update every parameter that has a gradient (frozen ones and ``grad is None`` are skipped).

        Args:
            closure: optional callable that re-evaluates the model and returns the loss
                (run with gradients enabled).

        Returns:
            The closure's loss, or None.
        """
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            for b in self._group_buckets(group):
                self._step_bucket(group, b)
        return loss

    def _step_bucket(self, group, b) -> None:
        params = b.params
        state = self.state
        active = []
        for i, p in enumerate(params):
            if p.grad is not None and p.requires_grad:
                active.append(i)
        if not active:
            return
        cache = b.cache
        if cache is not None and len(active) == len(params) and cache[0] is state and cache[1] == len(state):
            # common case: every parameter has a gradient and state from an earlier step
            sts = cache[2]
            keys = cache[3]
            first = sts[0]
            for st in sts:
                for k in keys:
                    if st[k] != first[k]:
                        break
                else:
                    continue
                break
            else:
                new = self._run_flat(group, b, {k: first[k] for k in keys}, False)
                for st in sts:
                    st.update(new)
                return
        arrays = self._array_state(group)
        scalars0 = self._scalar_state(group)
        fresh = []
        for i in active:
            p = params[i]
            st = state.get(p)
            if not st:
                st = {}
                lo, hi = b.offsets[i], b.offsets[i + 1]
                for name, fill in arrays.items():
                    view = b.bufs[name][lo:hi].reshape(p.array.shape)
                    view.fill(fill)
                    st[name] = view
                st.update(scalars0)
                state[p] = st
                fresh.append(True)
            else:
                fresh.append(False)
        first = state[params[active[0]]]
        sig = tuple(first[k] for k in scalars0)
        uniform = len(active) == len(params) and all(f == fresh[0] for f in fresh)
        if uniform:
            for i in active[1:]:
                st = state[params[i]]
                if tuple(st[k] for k in scalars0) != sig:
                    uniform = False
                    break
        if uniform:
            new = self._run_flat(group, b, dict(zip(scalars0, sig)), fresh[0])
            sts = [state[p] for p in params]
            for st in sts:
                st.update(new)
            if arrays or scalars0:
                b.cache = (state, len(state), sts, tuple(scalars0))
            return
        for i, f in zip(active, fresh):
            p = params[i]
            lo, hi = b.offsets[i], b.offsets[i + 1]
            g = b.grad[lo:hi]
            self._gather(p, g, 0, hi - lo)
            st = state[p]
            bufs = {name: b.bufs[name][lo:hi] for name in arrays}
            tmp = [t[lo:hi] for t in b.tmp]
            new = self._update(group, b.array[lo:hi], g, bufs, {k: st[k] for k in scalars0}, tmp, f)
            st.update(new)

    @staticmethod
    def _gather(p, dst, lo, hi) -> None:
        """Copy the part [lo, hi) of p's flattened gradient into ``dst``."""
        gd = p.grad.array
        src = gd.reshape(-1)
        if src.shape[0] != p.array.size:
            raise RuntimeError(
                f"gradient of shape {tuple(gd.shape)} does not match its parameter of shape {tuple(p.array.shape)}"
            )
        dst[...] = src[lo:hi]

    def _run_flat(self, group, b, scalars, fresh):
        if len(b.chunks) == 1:
            self._gather_range(b, 0, b.numel)
            return self._update(group, b.array, b.grad, b.bufs, scalars, b.tmp, fresh)

        def work(lo, hi):
            self._gather_range(b, lo, hi)
            return self._update(
                group, b.array[lo:hi], b.grad[lo:hi], {k: v[lo:hi] for k, v in b.bufs.items()},
                dict(scalars), [t[lo:hi] for t in b.tmp], fresh,
            )

        results = [None] * len(b.chunks)

        def chunks(k0, k1):
            for k in range(k0, k1):
                results[k] = work(*b.chunks[k])

        _parallel.parallel_for(len(b.chunks), chunks)
        return results[0]

    def _gather_range(self, b, lo, hi) -> None:
        for i, p in enumerate(b.params):
            a, z = b.offsets[i], b.offsets[i + 1]
            if z <= lo or a >= hi:
                continue
            s, e = max(a, lo), min(z, hi)
            self._gather(p, b.grad[s:e], s - a, e - a)

