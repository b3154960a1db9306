"""Saving and loading weights, whole models and training checkpoints (safetensors + JSON, never pickle).

Three levels, all in one file format (safetensors, readable by PyTorch, JAX, ...):

* :func:`save` / :func:`load`: a state dict (``name -> Tensor``) or a Module's weights.
  ``load`` returns a state dict for ``model.load_state_dict``; the names follow PyTorch's,
  so files go both ways between gradkit and ``safetensors.torch``.
* :func:`load_model`: rebuilds a model from the architecture JSON stored by :func:`save`
  (for models made of gradkit's built-in layers), so no user code is needed.
* :func:`save_checkpoint` / :func:`load_checkpoint` / :func:`restore_checkpoint`:
  everything a training run needs to resume exactly: model, optimizer, schedule, data
  loader, global RNG state, epoch, history and any extra state. Arrays are stored as
  tensors under path-like names (``"optimizer/state/0/exp_avg"``); numbers, strings and
  the nesting go to the metadata as JSON (see :mod:`gradkit.io.tree`).

Integrity: each file written by gradkit carries a SHA-256 of its tensors (names, dtypes,
shapes and bytes) and of its metadata, verified on every load; a flipped byte, a truncated
file or something that is not safetensors is refused with the path and the reason
(:class:`CheckpointError`). Writes are atomic (temporary file, fsync, rename), so a crash
while saving leaves the previous file intact.

Examples:
    >>> import os, tempfile
    >>> import gradkit as gk
    >>> path = os.path.join(tempfile.mkdtemp(), "weights.safetensors")
    >>> gk.save({"w": gk.ones(2, 3)}, path, metadata={"note": "demo"})
    >>> gk.load(path)["w"].shape
    (2, 3)
    >>> gk.io.load_metadata(path)
    {'note': 'demo'}
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np

from .. import backend
from . import _format
from ._format import CheckpointError
from .tree import dumps, flatten_state, json_safe, loads, unflatten_state

__all__ = [
    "save", "load", "load_metadata", "load_model",
    "save_checkpoint", "load_checkpoint", "restore_checkpoint", "CheckpointError",
]

_CHECKPOINT_PARTS = ("model", "optimizer", "scheduler", "loader", "rng", "epoch", "history", "extra")
_ARCH_CACHE: dict = {}


# ---------------------------------------------------------------------------- helpers
def _is_module(obj) -> bool:
    return not isinstance(obj, Mapping) and callable(getattr(obj, "state_dict", None)) and hasattr(
        obj, "named_parameters"
    )


def _device(map_location, device):
    if map_location is not None and device is not None and (
        backend.normalize_device(map_location) != backend.normalize_device(device)
    ):
        raise ValueError(f"map_location={map_location!r} and device={device!r} disagree; give one of them")
    return backend.normalize_device(device if device is not None else map_location)


def _state_arrays(state, where) -> dict:
    """A flat state dict as ``name -> host array``, refusing nested values."""
    if not isinstance(state, Mapping):
        raise TypeError(f"{where}: expected a Module or a dict name -> Tensor/array, got {type(state).__name__}")
    arrays = {}
    for k, v in state.items():
        if not isinstance(k, str):
            raise TypeError(f"{where}: keys must be strings, got {type(k).__name__} {k!r}")
        if isinstance(v, (Mapping, list, tuple)) or isinstance(v, (int, float, str)) or v is None:
            raise TypeError(
                f"{where}: value for key {k!r} is a {type(v).__name__}, expected a Tensor or an array; "
                "use gradkit.io.save_checkpoint(path, extra=...) for nested state with numbers and strings"
            )
        arrays[k] = _format.host_array(v, f"{where}: value for key {k!r}")
    return arrays


def _user_metadata(metadata) -> dict:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a dict (JSON-serializable), got {type(metadata).__name__}")
    return {_format.KEY_USER: json_safe(dict(metadata), "metadata")}


def _architecture(model):
    """``(spec_json, None)`` when ``model`` can be rebuilt from its config, else ``(None, reason)``."""
    try:
        from ..nn.module import MODULE_REGISTRY, module_from_config
    except ImportError as exc:  # pragma: no cover - nn is part of gradkit
        return None, f"gradkit.nn is unavailable ({exc})"
    for m in model.modules():
        cls = type(m)
        if MODULE_REGISTRY.get(cls.__name__) is not cls:
            return None, (
                f"it contains {cls.__name__}, which is not a built-in gradkit layer (decorate the class with "
                "gradkit.nn.module.register_serializable to store its architecture)"
            )
    try:
        text = json.dumps({"class": type(model).__name__, "config": model.get_config()}, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        return None, f"its configuration cannot be written as JSON ({exc})"
    signature = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    rebuilt = _ARCH_CACHE.get(text)
    if rebuilt is None:
        # Rebuilding initializes weights: keep the global RNG exactly where it was.
        from ..random import get_rng_state, set_rng_state

        rng = get_rng_state()
        try:
            clone = module_from_config(json.loads(text))
            rebuilt = [(k, tuple(v.shape)) for k, v in clone.state_dict().items()]
        except Exception as exc:  # any failure means: not rebuildable
            return None, f"rebuilding it from its configuration failed ({type(exc).__name__}: {exc})"
        finally:
            set_rng_state(rng)
        if len(_ARCH_CACHE) > 64:
            _ARCH_CACHE.clear()
        _ARCH_CACHE[text] = rebuilt
    if rebuilt != signature:
        return None, (
            "the model rebuilt from its configuration has different weights (was a layer replaced or "
            "added after construction?)"
        )
    return text, None


def _arch_metadata(model) -> dict:
    text, reason = _architecture(model)
    return {_format.KEY_ARCH: text} if text is not None else {_format.KEY_NO_ARCH: reason}


def _read_json(raw, key, default=None):
    text = raw.metadata.get(key)
    if text is None:
        return default
    try:
        return loads(text)
    except (ValueError, RecursionError) as exc:
        raise CheckpointError(raw.path, "corrupt metadata", f"{key} is not valid JSON: {exc}") from None


def _ordered_arrays(raw) -> dict:
    """The file's arrays in the order they were saved (gradkit files record it)."""
    names = _read_json(raw, _format.KEY_NAMES)
    if isinstance(names, list) and sorted(names) == sorted(raw.arrays):
        return {k: raw.arrays[k] for k in names}
    return raw.arrays


def _to_tensors(arrays: dict, device, as_numpy: bool) -> dict:
    from ..tensor import Tensor

    if as_numpy:
        return dict(arrays)
    return {k: Tensor(backend.to_device(a, device)) for k, a in arrays.items()}


# ---------------------------------------------------------------------------- save / load
def save(obj, path, metadata=None) -> None:
    """Save a Module's weights (with its architecture) or a state dict to a safetensors file.

    Every array is copied to the host (CuPy) and made C-contiguous and little-endian first
    (safetensors 0.8.0 silently writes wrong values for strided, Fortran-ordered and
    reversed arrays). The file's metadata records the gradkit format and version, a
    SHA-256 of the tensors and of the metadata (checked by :func:`load`), the key order,
    the architecture as JSON when ``obj`` is a model made of gradkit's built-in layers
    (for :func:`load_model`), and ``metadata``. The write is atomic.

    The file is a plain safetensors file: PyTorch reads it with
    ``safetensors.torch.load_file(path)`` and ``model.load_state_dict(...)``.

    Args:
        obj: a :class:`~gradkit.nn.Module` (its ``state_dict()`` is saved, with its
            architecture), a dict ``name -> Tensor / NumPy or CuPy array / NumPy scalar``, or
            any tensor or nested dict/list/tuple of tensors, arrays, numbers and strings (an
            optimizer's ``state_dict()``...), which :func:`load` gives back as it was.
        path: destination file (conventionally ``*.safetensors``; its directory must exist),
            or a binary file object (``io.BytesIO``, ``open(p, "wb")``). A ``.pt``/``.pth``
            path gets safetensors inside too (a warning says so once).
        metadata: optional JSON-serializable dict stored with the file
            (read back with :func:`load_metadata`).

    Raises:
        TypeError: for an unsupported object, a non-string key, a nested value or an
            unsupported dtype (the key is named), or metadata that is not JSON.
        FileNotFoundError: when the destination directory does not exist.

    Examples:
        >>> import os, tempfile
        >>> import gradkit as gk
        >>> p = os.path.join(tempfile.mkdtemp(), "net.safetensors")
        >>> gk.save({"weight": gk.zeros(3, 2)}, p)
        >>> list(gk.load(p))
        ['weight']
    """
    meta = _user_metadata(metadata)
    _warn_torch_suffix(path)
    if _is_module(obj):
        arrays = _state_arrays(obj.state_dict(), f"gk.save({type(obj).__name__})")
        meta[_format.KEY_KIND] = "module"
        meta.update(_arch_metadata(obj))
    elif not isinstance(obj, Mapping) and callable(getattr(obj, "state_dict", None)):
        raise TypeError(
            f"gk.save stores a Module, a state dict, tensors or nested containers of them, got a "
            f"{type(obj).__name__}; save its state_dict() (or use gradkit.io.save_checkpoint(path, optimizer=..., "
            "scheduler=..., loader=..., extra=...))"
        )
    elif _is_flat_state(obj):
        arrays = _state_arrays(obj, "gk.save")
        meta[_format.KEY_KIND] = "state_dict"
    else:
        arrays, skeleton = flatten_state(obj)
        meta[_format.KEY_KIND] = "object"
        meta[_format.KEY_TREE] = dumps(skeleton)
    meta[_format.KEY_NAMES] = dumps(list(arrays))
    _format.atomic_write(path, _format.encode(arrays, meta))


_TORCH_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt")
_warned_torch_suffix = False


def _warn_torch_suffix(path) -> None:
    """Say once per process that a ``.pt``/``.pth`` path gets safetensors inside (never a pickle)."""
    global _warned_torch_suffix
    if _warned_torch_suffix or _format.is_file_object(path):
        return
    name = str(path)
    if name.lower().endswith(_TORCH_SUFFIXES):
        import warnings

        _warned_torch_suffix = True
        warnings.warn(
            f"gk.save writes a safetensors file (never a pickle), also to {name}: gk.load and gk.load_model read it; "
            "in PyTorch read it with safetensors.torch.load_file, not torch.load (this is said once)",
            UserWarning, stacklevel=3,
        )


def _is_flat_state(obj) -> bool:
    """A non-empty dict ``str -> Tensor/array``: saved as a plain state dict (readable by safetensors.torch)."""
    from ..tensor import Tensor

    if not isinstance(obj, Mapping):
        return False
    for k, v in obj.items():
        if not isinstance(k, str):
            return False
        if not (isinstance(v, (Tensor, np.ndarray, np.generic)) or backend.is_cupy_array(v)):
            return False
    return True


def load(path, map_location=None, *, device=None, as_numpy: bool = False, weights_only: bool = True,
         **pickle_load_args) -> dict:
    """Load a safetensors file as a state dict ``name -> Tensor`` (for ``load_state_dict``).

    Files written by gradkit are verified against their SHA-256 checksums before anything
    is returned. Files written by other tools (``safetensors.torch.save_file`` of a
    PyTorch ``state_dict``, ``safetensors.numpy``...) have no gradkit checksum: they load
    fine, with only the structural checks (header, offsets, sizes), since there is nothing
    to verify. ``BF16`` tensors are widened exactly to float32. Keys come back in the
    order they were saved.

    Args:
        path: a safetensors file (any suffix, ``.pt`` included) or a binary file object.
        map_location: ``'cpu'`` or ``'cuda'`` (PyTorch's name); default gradkit's default device.
        device: same as ``map_location`` (give one).
        as_numpy: return NumPy arrays instead of Tensors.
        weights_only: accepted as in ``torch.load``; gradkit never unpickles, so loading is
            always weights-only (``False`` changes nothing and unpickles nothing).
        **pickle_load_args: ``torch.load``'s pickle options; accepted and ignored for the same reason.

    Returns:
        A dict name -> Tensor (``requires_grad=False``) or NumPy array; for a tensor or a
        nested container saved with :func:`save`, that object as it was saved. For a training
        checkpoint this is the flat view (``"optimizer/state/0/exp_avg"``...); use
        :func:`load_checkpoint` for the structured one.

    Raises:
        FileNotFoundError: when ``path`` does not exist.
        CheckpointError: when the file is not safetensors, truncated, or corrupt
            (the message names the path and the reason, e.g. ``"checksum mismatch"``).

    Examples:
        >>> import os, tempfile
        >>> import gradkit as gk
        >>> p = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> gk.save({"b": gk.tensor([1.0, 2.0])}, p)
        >>> gk.load(p)["b"]
        tensor([1., 2.])
    """
    dev = _device(map_location, device)
    raw = _format.read(path)
    if raw.metadata.get(_format.KEY_KIND) == "object":
        tree = _read_json(raw, _format.KEY_TREE)
        try:
            return unflatten_state(tree, raw.arrays, device=dev, as_numpy=as_numpy)
        except (ValueError, TypeError) as exc:
            raise CheckpointError(raw.path, "corrupt structure", str(exc)) from None
    return _to_tensors(_ordered_arrays(raw), dev, as_numpy)


def load_metadata(path, raw: bool = False) -> dict:
    """The user metadata stored by :func:`save` / :func:`save_checkpoint` (after verifying the file).

    Args:
        path: a safetensors file.
        raw: return the file's whole string metadata (``gradkit.*`` keys included) instead.

    Returns:
        The ``metadata`` dict given when saving (``{}`` when none, or for foreign files).

    Raises:
        CheckpointError: as :func:`load`.
    """
    f = _format.read(path)
    if raw:
        return dict(f.metadata)
    return _read_json(f, _format.KEY_USER, {})


def _match_model_dtype(model, arrays: dict):
    """Cast a freshly built model to the floating dtype of the saved weights (e.g. float64)."""
    float_dtypes = {a.dtype for a in arrays.values() if a.dtype.kind == "f"}
    if len(float_dtypes) == 1:
        (dt,) = float_dtypes
        params = [p for p in model.parameters() if p.dtype.kind == "f"]
        if params and any(p.dtype != dt for p in params):
            model.to(dtype=dt)
    return model


def load_model(path, map_location=None, *, device=None):
    """Rebuild a model from the architecture stored in ``path`` and load its weights (strictly).

    Works for files written by :func:`save` (of a Module) or :func:`save_checkpoint`
    (``model=...``) when the model is made of gradkit's built-in layers (or classes
    registered with ``gradkit.nn.module.register_serializable``). No user code is needed:
    the layers and their arguments come from the JSON in the file. The model's floating
    dtype follows the saved weights; it is returned in training mode (call ``.eval()``
    for inference, as in PyTorch).

    Args:
        path: the file.
        map_location: ``'cpu'`` or ``'cuda'``; default gradkit's default device.
        device: same as ``map_location``.

    Returns:
        The rebuilt :class:`~gradkit.nn.Module` with the saved weights.

    Raises:
        CheckpointError: when the file is corrupt, or holds no architecture (a state dict,
            a model with custom layers, or a file from another tool): the message says to
            build the model in code and use ``load_state_dict``.

    Examples:
        >>> import os, tempfile
        >>> import gradkit as gk
        >>> net = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.ReLU(), gk.nn.Linear(8, 2))
        >>> p = os.path.join(tempfile.mkdtemp(), "net.safetensors")
        >>> gk.save(net, p)
        >>> gk.load_model(p)
        Sequential(
          (0): Linear(in_features=4, out_features=8, bias=True)
          (1): ReLU()
          (2): Linear(in_features=8, out_features=2, bias=True)
        )
    """
    # Class names in the file are looked up in gradkit.nn's registry. gradkit's layers are
    # registered once gradkit.nn is imported, its ready-made models (MLP, LeNet5...) once
    # gradkit.models is: import it here, explicitly, before any name is looked up.
    from .. import models  # noqa: F401
    from ..nn.module import module_from_config

    dev = _device(map_location, device)
    raw = _format.read(path)
    spec = _read_json(raw, _format.KEY_ARCH)
    if spec is None:
        why = raw.metadata.get(_format.KEY_NO_ARCH)
        if why:
            why = f"the architecture was not stored because {why}"
        elif raw.metadata.get(_format.KEY_KIND) == "state_dict":
            why = "it was saved from a state dict, not a model"
        elif not raw.is_gradkit:
            why = "it was not written by gradkit"
        else:
            why = "it holds no model"
        raise CheckpointError(
            raw.path, "no architecture in the file",
            f"{why}; build the model in code and call model.load_state_dict(gk.load(path))",
        )
    if raw.metadata.get(_format.KEY_KIND) == "checkpoint":
        tree = _read_json(raw, _format.KEY_TREE)
        try:
            state = unflatten_state(tree, raw.arrays, as_numpy=True)["model"]
        except (ValueError, TypeError, KeyError) as exc:
            raise CheckpointError(raw.path, "corrupt checkpoint structure", f"no model state: {exc}") from None
    else:
        state = raw.arrays
    _check_architecture(raw.path, spec, state)
    try:
        model = module_from_config(spec)
    except (ValueError, TypeError, KeyError, OverflowError, MemoryError) as exc:
        raise CheckpointError(raw.path, "the stored architecture cannot be rebuilt",
                              f"{type(exc).__name__}: {exc}") from None
    _match_model_dtype(model, state)
    if dev != "cpu":
        model.to(dev)
    try:
        model.load_state_dict(state, strict=True)
    except (ValueError, KeyError, RuntimeError, TypeError) as exc:
        raise CheckpointError(raw.path, "the weights do not match the stored architecture", str(exc)) from None
    return model


def _check_architecture(path, spec, state) -> None:
    """Refuse, before anything is allocated, an architecture that needs more values than the file stores."""
    from ._preflight import largest_layer, parameter_lower_bound

    if not isinstance(spec, dict) or not isinstance(spec.get("class"), str):
        raise CheckpointError(path, "corrupt architecture", f"expected {{'class': name, 'config': {{...}}}}, got "
                              f"{type(spec).__name__}")
    if not isinstance(state, Mapping):
        raise CheckpointError(path, "corrupt checkpoint structure", "the model state is not a dict of arrays")
    stored = sum(int(getattr(a, "size", 0)) for a in state.values())
    need = parameter_lower_bound(spec)
    if need > stored:
        layer, n = largest_layer(spec)
        raise CheckpointError(
            path, "the architecture does not match the stored weights",
            f"{spec['class']} needs at least {need:,} parameter values ({layer} alone {n:,}), the file stores "
            f"{stored:,}; nothing was allocated",
        )


# ---------------------------------------------------------------------------- training checkpoints
def _state_of(obj):
    """An object's ``state_dict()`` when it has one, else the object itself (a dict, list, number...)."""
    sd = getattr(obj, "state_dict", None)
    if callable(sd) and not isinstance(obj, Mapping):
        return sd()
    return obj


def save_checkpoint(path, *, model=None, optimizer=None, scheduler=None, loader=None, rng=True,
                    epoch=None, history=None, extra=None, metadata=None) -> None:
    """Save everything a training run needs to resume exactly, in one atomic safetensors file.

    Every object with a ``state_dict()`` is saved through it; plain dicts/lists are saved
    as given. Arrays (Tensors, NumPy/CuPy arrays, NumPy scalars) become tensors named by
    their path (``"model/0.weight"``, ``"optimizer/state/0/exp_avg"``); numbers, strings,
    ``None`` and the nesting go to the metadata as JSON with exact ints and floats, dict
    key types and tuples preserved (:mod:`gradkit.io.tree`). The model's architecture is
    stored too when it is made of built-in layers (so :func:`load_model` works on a
    checkpoint). Nothing is pickled: an unsupported object is refused with its path.

    Args:
        path: destination file; its directory must exist.
        model: a Module or a model state dict.
        optimizer: an optimizer (or its state dict).
        scheduler: a learning-rate schedule (or its state dict).
        loader: a data loader (or its state dict: position, shuffling generator...).
        rng: ``True`` stores gradkit's global RNG state (``gk.get_rng_state()``); a
            :class:`~gradkit.random.Generator` stores that generator's state; a dict is
            stored as given; ``False``/``None`` stores none.
        epoch: the number of completed epochs (or any JSON value).
        history: the training history (an object with ``state_dict()``, or a dict of lists).
        extra: any further nested state (arrays, numbers, strings, dicts, lists).
        metadata: JSON-serializable user metadata (read back with :func:`load_metadata`).

    Raises:
        TypeError: for an object that cannot be stored, naming its path.

    Examples:
        >>> import os, tempfile
        >>> import gradkit as gk
        >>> p = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
        >>> net = gk.nn.Linear(2, 1)
        >>> gk.io.save_checkpoint(p, model=net, epoch=3, extra={"best": 0.25})
        >>> ck = gk.io.load_checkpoint(p)
        >>> ck["epoch"], ck["extra"]
        (3, {'best': 0.25})
    """
    from ..random import Generator, get_rng_state

    state = {}
    for name, obj in (("model", model), ("optimizer", optimizer), ("scheduler", scheduler), ("loader", loader)):
        if obj is not None:
            state[name] = _state_of(obj)
    if rng is True:
        state["rng"] = get_rng_state()
    elif isinstance(rng, Generator):
        state["rng"] = rng.state_dict()
    elif isinstance(rng, Mapping):
        state["rng"] = dict(rng)
    elif rng not in (None, False):
        raise TypeError(f"rng must be True, False, None, a gradkit Generator or a state dict, got {type(rng).__name__}")
    if epoch is not None:
        state["epoch"] = epoch
    if history is not None:
        state["history"] = _state_of(history)
    if extra is not None:
        state["extra"] = extra

    arrays, skeleton = flatten_state(state)
    meta = _user_metadata(metadata)
    meta[_format.KEY_KIND] = "checkpoint"
    meta[_format.KEY_TREE] = dumps(skeleton)
    if model is not None and _is_module(model):
        meta.update(_arch_metadata(model))
    _format.atomic_write(path, _format.encode(arrays, meta))


def load_checkpoint(path, map_location=None, *, device=None) -> dict:
    """Load a file written by :func:`save_checkpoint` (verified) into its original structure.

    Args:
        path: the checkpoint file.
        map_location: ``'cpu'`` or ``'cuda'`` for Tensors and arrays; default gradkit's default device.
        device: same as ``map_location``.

    Returns:
        A dict with the saved parts among ``"model"``, ``"optimizer"``, ``"scheduler"``,
        ``"loader"``, ``"rng"``, ``"epoch"``, ``"history"``, ``"extra"``, plus
        ``"metadata"`` (the user metadata, ``{}`` when none) and ``"architecture"`` (the
        model's JSON spec or ``None``). Tensors come back as Tensors, NumPy arrays as
        NumPy arrays, every value bit-exact.

    Raises:
        CheckpointError: when the file is corrupt or is not a training checkpoint.
    """
    dev = _device(map_location, device)
    raw = _format.read(path)
    if raw.metadata.get(_format.KEY_KIND) != "checkpoint":
        raise CheckpointError(
            raw.path, "not a training checkpoint",
            "it holds weights only (written by gk.save or another tool); use gk.load(path) instead",
        )
    tree = _read_json(raw, _format.KEY_TREE)
    try:
        ckpt = unflatten_state(tree, raw.arrays, device=dev)
    except (ValueError, TypeError) as exc:
        raise CheckpointError(raw.path, "corrupt checkpoint structure", str(exc)) from None
    if not isinstance(ckpt, dict):
        raise CheckpointError(raw.path, "corrupt checkpoint structure", "the top level is not a dict")
    ckpt["metadata"] = _read_json(raw, _format.KEY_USER, {})
    ckpt["architecture"] = _read_json(raw, _format.KEY_ARCH)
    return ckpt


def restore_checkpoint(ckpt, model=None, optimizer=None, scheduler=None, loader=None, rng=True,
                       strict: bool = True, map_location=None) -> dict:
    """Apply a checkpoint to live objects: ``load_state_dict`` on each one given, and the RNG state.

    Args:
        ckpt: a path, or the dict returned by :func:`load_checkpoint`.
        model: a Module to load the weights into (``strict`` as in ``load_state_dict``).
        optimizer: an optimizer to restore (its moments, step counts, hyper-parameters).
        scheduler: a schedule to restore.
        loader: a data loader to restore (position, shuffling state).
        rng: ``True`` restores gradkit's global RNG state when the checkpoint has one; a
            :class:`~gradkit.random.Generator` restores that generator instead; ``False`` skips.
        strict: passed to ``model.load_state_dict``.
        map_location: device for a checkpoint given as a path.

    Returns:
        The checkpoint dict (read ``"epoch"``, ``"history"``, ``"extra"`` from it).

    Raises:
        KeyError: when an object is given but the checkpoint has no state for it.
        CheckpointError: before anything is changed, for a malformed RNG state, non-finite
            weights or an optimizer state with a non-numeric or non-finite value (the entry is
            named); while applying, for a state that does not fit its object.

    Examples:
        >>> import os, tempfile
        >>> import gradkit as gk
        >>> p = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
        >>> net = gk.nn.Linear(2, 1)
        >>> gk.io.save_checkpoint(p, model=net, epoch=1)
        >>> ck = gk.io.restore_checkpoint(p, model=gk.nn.Linear(2, 1))
        >>> ck["epoch"]
        1
    """
    from ..random import Generator, set_rng_state

    where = "<checkpoint dict>"
    if not isinstance(ckpt, Mapping):
        where = ckpt
        ckpt = load_checkpoint(ckpt, map_location=map_location)
    for name, obj in (("model", model), ("optimizer", optimizer), ("scheduler", scheduler), ("loader", loader)):
        if obj is not None and name not in ckpt:
            have = [k for k in _CHECKPOINT_PARTS if k in ckpt]
            raise KeyError(
                f"the checkpoint has no {name!r} state to restore (it holds: {', '.join(have) or 'nothing'})"
            )
    _check_parts(where, ckpt, optimizer, rng)
    for name, obj in (("model", model), ("optimizer", optimizer), ("scheduler", scheduler), ("loader", loader)):
        if obj is None:
            continue
        try:
            if name == "model":
                obj.load_state_dict(ckpt[name], strict=strict)
            else:
                obj.load_state_dict(ckpt[name])
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            raise CheckpointError(where, f"its {name} state does not fit", f"{type(exc).__name__}: {exc}") from None
    if rng is not False and rng is not None and "rng" in ckpt:
        if isinstance(rng, Generator):
            rng.load_state_dict(ckpt["rng"])
        else:
            set_rng_state(ckpt["rng"])
    return ckpt



def _check_parts(where, ckpt, optimizer, rng) -> None:
    """Validate a checkpoint's parts before any of them is applied (nothing changes on failure)."""
    state = ckpt.get("model")
    if isinstance(state, Mapping):
        for k, v in state.items():
            arr = getattr(v, "array", v)
            if getattr(getattr(arr, "dtype", None), "kind", "") == "f" and not bool(
                    np.isfinite(backend.to_numpy(arr)).all()):
                raise CheckpointError(where, "non-finite weights", f"model state {k!r} holds nan or inf; "
                                      "resume from an earlier checkpoint")
    elif state is not None:
        raise CheckpointError(where, "corrupt checkpoint structure", f"'model' is a {type(state).__name__}, "
                              "expected a dict name -> array")
    if optimizer is not None and hasattr(optimizer, "param_groups"):
        from ..optim import _validate

        try:
            _validate.check_state_dict(optimizer, ckpt["optimizer"])
        except ValueError as exc:
            raise CheckpointError(where, "invalid optimizer state", str(exc)) from None
    if "epoch" in ckpt and not (isinstance(ckpt["epoch"], int) and not isinstance(ckpt["epoch"], bool)
                                and ckpt["epoch"] >= 0):
        raise CheckpointError(where, "corrupt checkpoint structure",
                              f"'epoch' is {ckpt['epoch']!r}, expected an int >= 0")
    if rng is not False and rng is not None and "rng" in ckpt:
        check_rng_state(where, ckpt["rng"])


def check_rng_state(where, st) -> None:
    """Refuse an RNG state that is not a PCG64 state of plain integers in range (naming the key).

    Raises:
        CheckpointError: naming the bad key.
    """
    limits = {"state": 2 ** 128, "inc": 2 ** 128, "has_uint32": 2, "uinteger": 2 ** 32}
    if not isinstance(st, Mapping) or st.get("bit_generator") != "PCG64":
        got = st.get("bit_generator") if isinstance(st, Mapping) else type(st).__name__
        raise CheckpointError(where, "invalid RNG state", f"expected a PCG64 state dict, got {got!r}")
    for key, limit in limits.items():
        v = st.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= int(v) < limit:
            raise CheckpointError(where, "invalid RNG state", f"rng[{key!r}] is {v!r}, expected an int in [0, {limit})")
