"""``Module`` and ``Parameter``: the base of every layer and model, with PyTorch semantics.

A :class:`Module` holds :class:`Parameter` s (learnable tensors), buffers (state that is
saved but not learned, such as batch norm's running mean) and sub-modules. All three are
registered by plain attribute assignment in ``__init__``::

    class MLP(gk.nn.Module):
        def __init__(self, n_in, n_hidden, n_out):
            super().__init__()
            self.fc1 = gk.nn.Linear(n_in, n_hidden)   # a sub-module
            self.fc2 = gk.nn.Linear(n_hidden, n_out)
            self.register_buffer("calls", gk.tensor(0))

        def forward(self, x):
            return self.fc2(self.fc1(x).relu())

``parameters()``, ``state_dict()``, ``load_state_dict()``, ``train()``/``eval()``,
``to()`` and ``zero_grad()`` then walk the whole tree, in registration order, producing
the same keys PyTorch would (``"fc1.weight"``, ``"bn.running_mean"``...).

Every subclass also records the arguments its ``__init__`` was called with, so that
:meth:`Module.get_config` can describe the architecture as plain JSON and
:func:`module_from_config` can rebuild it without the user's code (for gradkit's own
layers, which are registered in :data:`MODULE_REGISTRY` automatically). That part,
architecture capture, lives in :mod:`gradkit.nn.architecture` (``Module``'s base class
:class:`~gradkit.nn.architecture.ArchitectureMixin`); this file is about registration,
traversal, state, hooks and device/dtype moves.

Example:
    >>> import gradkit as gk
    >>> net = gk.nn.Sequential(gk.nn.Linear(4, 3), gk.nn.Linear(3, 1))
    >>> [name for name, _ in net.named_parameters()]
    ['0.weight', '0.bias', '1.weight', '1.bias']
    >>> net.num_parameters()
    19
"""

from __future__ import annotations

import numbers
from collections import OrderedDict, namedtuple

import numpy as np

from .. import backend
from ..backend import get_array_module, get_default_dtype, parse_to_args
from ..tensor import Tensor
from . import hooks as _hooks
from .hooks import (  # noqa: F401 - the global hooks live here, as torch.nn.modules.module's
    HooksMixin, RemovableHandle, global_hook_ids, register_module_forward_hook, register_module_forward_pre_hook,
    register_module_full_backward_hook, register_module_full_backward_pre_hook,
)
# Re-exported: gradkit.nn.module.register_serializable and friends are the documented names.
from .architecture import (  # noqa: F401
    MODULE_REGISTRY,
    ArchitectureMixin,
    module_from_config,
    register_serializable,
)

__all__ = [
    "Parameter",
    "Module",
    "MODULE_REGISTRY",
    "module_from_config",
    "register_serializable",
    "functional_call",
    "RemovableHandle",
    "register_module_forward_pre_hook",
    "register_module_forward_hook",
    "register_module_full_backward_pre_hook",
    "register_module_full_backward_hook",
]


# ---------------------------------------------------------------------------- Parameter
class Parameter(Tensor):
    """A tensor that is a learnable parameter of a :class:`Module`.

    Assigning a Parameter to a module attribute registers it, so it appears in
    ``parameters()`` and ``state_dict()``. It is a leaf that requires grad by default.

    Args:
        data: a Tensor (its array is shared, as in PyTorch), a NumPy/CuPy array (floating
            arrays keep their dtype; integer or bool arrays become the default float dtype
            when ``requires_grad``) or a Python number (the default dtype). ``None`` gives an
            empty parameter.
        requires_grad: whether the optimizer should train it (default True).

    Raises:
        TypeError: when ``data`` cannot be turned into an array.

    Example:
        >>> import numpy as np, gradkit as gk
        >>> w = gk.nn.Parameter(np.zeros((2, 3), dtype=np.float32))
        >>> w.requires_grad, w.shape
        (True, (2, 3))
    """

    __slots__ = ()
    _uninitialized = False  # True for a lazy module's placeholder (gradkit.nn.lazy)

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            arr = np.empty((0,), dtype=get_default_dtype())
        elif isinstance(data, Tensor):
            arr = data.array
        elif isinstance(data, np.ndarray) or backend.is_cupy_array(data):
            arr = data
        elif isinstance(data, (numbers.Number, np.generic)):
            arr = np.asarray(data, dtype=get_default_dtype() if not isinstance(data, np.floating) else None)
        else:
            try:
                arr = Tensor(data).array
            except Exception as exc:  # noqa: BLE001 - re-raised with context
                raise TypeError(
                    f"Parameter expects a Tensor, an array or a number, got {type(data).__name__}"
                ) from exc
        if requires_grad and arr.dtype.kind not in "fc":
            arr = arr.astype(get_default_dtype())
        super().__init__(arr, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])  # type: ignore[name-match]  # torch's name


def _as_array(value, like, key):
    """``value`` (Tensor, array or number) as an array on ``like``'s device."""
    if isinstance(value, Tensor):
        arr = value.array
    elif isinstance(value, np.ndarray) or backend.is_cupy_array(value):
        arr = value
    elif isinstance(value, (numbers.Number, np.generic)):
        arr = np.asarray(value)
    else:
        raise TypeError(f"load_state_dict: value for {key!r} must be a Tensor, an array or a number, got {type(value).__name__}")
    return backend.to_device(arr, backend.device_of(like))


# ---------------------------------------------------------------------------- Module
class Module(HooksMixin, ArchitectureMixin):
    """Base class of all layers and models (``torch.nn.Module``).

    Subclasses call ``super().__init__()`` first, assign Parameters, buffers (through
    :meth:`register_buffer`) and sub-modules as attributes, and implement ``forward``.
    Calling the module runs forward pre-hooks, ``forward`` and forward hooks.
    ``get_config``/``from_config`` (the architecture as JSON) come from the base class
    :class:`~gradkit.nn.architecture.ArchitectureMixin`.

    Attributes:
        training: True in training mode (the default), False after :meth:`eval`.

    Example:
        >>> import gradkit as gk
        >>> class Affine(gk.nn.Module):
        ...     def __init__(self, n):
        ...         super().__init__()
        ...         self.scale = gk.nn.Parameter(gk.ones(n))
        ...         self.shift = gk.nn.Parameter(gk.zeros(n))
        ...     def forward(self, x):
        ...         return x * self.scale + self.shift
        >>> m = Affine(3)
        >>> list(m.state_dict())
        ['scale', 'shift']
        >>> m.get_config()
        {'n': 3}
    """

    training: bool

    def __init__(self):
        sa = object.__setattr__
        sa(self, "training", True)
        sa(self, "_parameters", OrderedDict())
        sa(self, "_buffers", OrderedDict())
        sa(self, "_non_persistent_buffers", set())
        sa(self, "_modules", OrderedDict())
        sa(self, "_forward_pre_hooks", OrderedDict())
        sa(self, "_forward_hooks", OrderedDict())
        sa(self, "_forward_hooks_with_kwargs", set())
        sa(self, "_backward_pre_hooks", OrderedDict())
        sa(self, "_backward_hooks", OrderedDict())
        sa(self, "_has_hooks", False)

    # ------------------------------------------------------------------ forward
    def forward(self, *args, **kwargs):
        """Compute the module's output; every subclass implements it."""
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required 'forward' function")

    def __call__(self, *args, **kwargs):
        if self._has_hooks or global_hook_ids:  # set by hook registration (gradkit.nn.hooks)
            return _hooks.call_module(self, args, kwargs)
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ registration
    def _check_init(self, name):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() call: call super().__init__() first "
                f"in {type(self).__name__}.__init__"
            )

    def register_parameter(self, name: str, param) -> None:
        """Add a parameter (or ``None``, a declared but absent parameter such as a disabled bias).

        Raises:
            TypeError: when ``param`` is neither a Parameter nor None.
            KeyError: for an invalid name.
        """
        self._check_init(name)
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign {type(param).__name__} as parameter {name!r} of {type(self).__name__} "
                "(gk.nn.Parameter or None expected); wrap it: gk.nn.Parameter(tensor)"
            )
        self.__dict__.pop(name, None)
        self._buffers.pop(name, None)
        self._modules.pop(name, None)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Add a buffer: state that moves with the module and is saved, but is not trained.

        Args:
            name: attribute name.
            tensor: a Tensor, an array, or None.
            persistent: whether it is part of ``state_dict()`` (default True).

        Raises:
            TypeError: for a value that is not a tensor, array or None.

        Example:
            >>> import gradkit as gk
            >>> m = gk.nn.Module()
            >>> m.register_buffer("running_mean", gk.zeros(3))
            >>> list(m.state_dict())
            ['running_mean']
        """
        self._check_init(name)
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            if isinstance(tensor, np.ndarray) or backend.is_cupy_array(tensor):
                tensor = Tensor(tensor)
            else:
                raise TypeError(
                    f"cannot register {type(tensor).__name__} as buffer {name!r} of {type(self).__name__} "
                    "(Tensor, array or None expected)"
                )
        self.__dict__.pop(name, None)
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module) -> None:
        """Add a sub-module (or None) under ``name``.

        Raises:
            TypeError: when ``module`` is not a Module or None.
        """
        self._check_init(name)
        self._check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass (adding {name!r} to {type(self).__name__})")
        self.__dict__.pop(name, None)
        self._parameters.pop(name, None)
        self._buffers.pop(name, None)
        self._modules[name] = module

    register_module = add_module

    @staticmethod
    def _check_name(name, what):
        if not isinstance(name, str):
            raise TypeError(f"{what} name should be a string, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f"{what} name can't be empty or contain '.', got {name!r}")

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter {name!r} of {type(self).__name__} "
                    "(gk.nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            self.add_module(name, value)
        elif params is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as child module {name!r} of {type(self).__name__} "
                    "(Module or None expected)"
                )
            d["_modules"][name] = None
        elif params is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                if isinstance(value, np.ndarray) or backend.is_cupy_array(value):
                    value = Tensor(value)
                else:
                    raise TypeError(
                        f"cannot assign {type(value).__name__} as buffer {name!r} of {type(self).__name__} "
                        "(Tensor or None expected)"
                    )
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            s = d.get(store)
            if s is not None and name in s:
                return s[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in ("_parameters", "_buffers", "_modules"):
            s = self.__dict__.get(store)
            if s is not None and name in s:
                del s[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    def get_submodule(self, target: str) -> "Module":
        """The sub-module at a dotted path such as ``"encoder.0"`` (``""`` is self).

        Raises:
            AttributeError: naming the missing part of the path.
        """
        mod = self
        if target == "":
            return mod
        for part in target.split("."):
            sub = mod._modules.get(part) if isinstance(mod, Module) else None
            if sub is None:
                raise AttributeError(f"{type(mod).__name__} has no submodule {part!r} (looking up {target!r})")
            mod = sub
        return mod

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at a dotted path such as ``"fc.weight"``.

        Raises:
            AttributeError: when there is no such parameter.
        """
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._parameters or mod._parameters[name] is None:
            raise AttributeError(f"{type(mod).__name__} has no parameter {name!r} (looking up {target!r})")
        return mod._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at a dotted path such as ``"bn.running_mean"``.

        Raises:
            AttributeError: when there is no such buffer.
        """
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._buffers or mod._buffers[name] is None:
            raise AttributeError(f"{type(mod).__name__} has no buffer {name!r} (looking up {target!r})")
        return mod._buffers[name]

    # ------------------------------------------------------------------ iteration
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """Yield ``(name, module)`` for this module and every descendant (pre-order)."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, mod in self._modules.items():
            if mod is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from mod.named_modules(memo, sub, remove_duplicate)

    def modules(self):
        """Yield this module and every descendant."""
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """Yield ``(name, module)`` for the direct sub-modules."""
        seen = set()
        for name, mod in self._modules.items():
            if mod is not None and id(mod) not in seen:
                seen.add(id(mod))
                yield name, mod

    def children(self):
        """Yield the direct sub-modules."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, get, prefix, recurse, remove_duplicate=True):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, value in get(mod):
                if value is None:
                    continue
                if remove_duplicate:
                    if id(value) in seen:
                        continue
                    seen.add(id(value))
                yield mod_prefix + ("." if mod_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """Yield ``(dotted_name, Parameter)``, each shared parameter once.

        Args:
            prefix: prepended to every name.
            recurse: include sub-modules' parameters (default True).
            remove_duplicate: yield a parameter shared by two layers only once.
        """
        yield from self._named_members(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        """Yield the parameters (what an optimizer trains)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """Yield ``(dotted_name, buffer)`` (persistent or not)."""
        yield from self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        """Yield the buffers."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def num_parameters(self, trainable_only: bool = False) -> int:
        """Number of scalar parameters (each shared parameter counted once).

        Args:
            trainable_only: count only parameters with ``requires_grad``.
        """
        return int(sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only))

    # ------------------------------------------------------------------ state
    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """Every parameter and persistent buffer by dotted name, in PyTorch's key order.

        For each module: its own parameters, then its persistent buffers, then its
        children recursively (``"0.weight"``, ``"bn.running_mean"``,
        ``"bn.num_batches_tracked"``). As in PyTorch the values are detached tensors that
        share memory with the module: copy them (``{k: v.clone() ...}``) to keep a snapshot
        while training goes on.

        Args:
            destination: an existing dict to fill (default a new ``OrderedDict``).
            prefix: prepended to every key.
            keep_vars: return the Parameter/buffer objects themselves instead of detached tensors.

        Returns:
            An ``OrderedDict`` name -> Tensor.
        """
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()  # a lazy placeholder detaches to itself
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy values from ``state_dict`` into this module's parameters and buffers.

        Everything is validated before anything is copied, so a failed load changes
        nothing. Values are copied (no aliasing with ``state_dict``) into the existing
        Parameter objects (optimizers keep working) and cast to their dtype.

        Args:
            state_dict: a mapping name -> Tensor, NumPy array or number (as from :meth:`state_dict`).
            strict: require exactly the module's keys (default True).

        Returns:
            A named tuple ``(missing_keys, unexpected_keys)``.

        Raises:
            RuntimeError: with ``strict=True`` when keys are missing or unexpected, and in
                any mode when a shape differs; the message lists every problem with both shapes.

        Example:
            >>> import gradkit as gk
            >>> a, b = gk.nn.Linear(3, 2), gk.nn.Linear(3, 2)
            >>> b.load_state_dict(a.state_dict())
            IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(f"load_state_dict expects a dict, got {type(state_dict).__name__}")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched = []
        arrays = {}
        for k, target in own.items():
            if k not in state_dict:
                continue
            if getattr(target, "_uninitialized", False):  # a lazy placeholder takes the checkpoint's shape
                arrays[k] = _as_array(state_dict[k], target.placeholder, k)
                continue
            arr = _as_array(state_dict[k], target.array, k)
            if tuple(arr.shape) != tuple(target.shape):
                mismatched.append((k, tuple(arr.shape), tuple(target.shape)))
            else:
                arrays[k] = arr
        errors = []
        if strict and missing:
            errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
        for k, got, want in mismatched:
            errors.append(
                f"size mismatch for {k}: copying a param with shape {got} from checkpoint, "
                f"the shape in current model is {want}."
            )
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__} (nothing was changed):\n\t"
                + "\n\t".join(errors)
            )
        for k, arr in arrays.items():
            target = own[k]
            if getattr(target, "_uninitialized", False):
                target.materialize(arr.copy())
                continue
            xp = get_array_module(target.array)
            target.array[...] = xp.asarray(arr, dtype=target.array.dtype)
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> "Module":
        """Set training mode (``mode=True``) or evaluation mode on this module and all descendants.

        Returns:
            self.
        """
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {type(mode).__name__}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode (dropout off, batch norm uses running statistics); returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters (to None by default, or to zeros)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad = Tensor(get_array_module(p.grad.array).zeros_like(p.grad.array))

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Set ``requires_grad`` on every parameter (False freezes the module); returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def freeze(self) -> "Module":
        """Stop training this module's parameters (``requires_grad_(False)``); returns self."""
        return self.requires_grad_(False)

    def unfreeze(self) -> "Module":
        """Train this module's parameters again (``requires_grad_(True)``); returns self."""
        return self.requires_grad_(True)

    # ------------------------------------------------------------------ device / dtype
    def _apply_arrays(self, fn) -> "Module":
        """Replace the array of every parameter (and its grad) and buffer by ``fn(array)``."""
        seen = set()
        for m in self.modules():
            for p in m._parameters.values():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                if p._uninitialized:  # a lazy placeholder: its empty array carries the future dtype/device
                    p.placeholder = fn(p.placeholder)
                    continue
                p.array = fn(p.array)
                if p.grad is not None:
                    p.grad = Tensor(fn(p.grad.array))
            for b in m._buffers.values():
                if b is None or id(b) in seen:
                    continue
                seen.add(id(b))
                if getattr(b, "_uninitialized", False):
                    b.placeholder = fn(b.placeholder)
                    continue
                b.array = fn(b.array)
        return self

    def to(self, *args, device=None, dtype=None) -> "Module":
        """Move and/or cast parameters and buffers in place (keeps the Parameter objects).

        Takes the same forms as ``Tensor.to`` (one parser, :func:`gradkit.backend.parse_to_args`):
        ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)`` and the keywords.
        Floating parameters and buffers take ``dtype``; integer buffers (such as
        ``num_batches_tracked``) keep theirs.

        Args:
            *args: ``device``, ``dtype``, ``device, dtype`` or a tensor (its device and dtype).
            device: ``'cpu'`` or ``'cuda'``.
            dtype: a floating dtype (``'float64'``, ``np.float32``).

        Returns:
            self.

        Raises:
            TypeError: for a non-floating dtype, or arguments that are not a device, a
                dtype or a tensor.
            ValueError: for an unknown device name.

        Example:
            >>> import gradkit as gk
            >>> lin = gk.nn.Linear(2, 2).to(dtype="float64")
            >>> str(lin.weight.dtype)
            'float64'
        """
        dev, dt = parse_to_args(args, device, dtype, "Module.to")
        if dt is not None and dt.kind not in "fc":
            raise TypeError(f"Module.to only accepts floating dtypes (float32, float64), got {dt}")

        def conv(a):
            if dev is not None:
                a = backend.to_device(a, dev)
            if dt is not None and a.dtype.kind in "fc" and a.dtype != dt:
                a = a.astype(dt)
            return a

        return self._apply_arrays(conv)

    def double(self) -> "Module":
        """Cast floating parameters and buffers to float64; returns self."""
        return self.to(dtype=np.float64)

    def half(self) -> "Module":
        """Cast floating parameters and buffers to float16; returns self."""
        return self.to(dtype=np.float16)

    def float(self) -> "Module":
        """Cast floating parameters and buffers to float32; returns self."""
        return self.to(dtype=np.float32)

    def cpu(self) -> "Module":
        """Move everything to the CPU; returns self."""
        return self.to(device="cpu")

    def cuda(self) -> "Module":
        """Move everything to the GPU (needs CuPy); returns self."""
        return self.to(device="cuda")

    def apply(self, fn) -> "Module":
        """Call ``fn(module)`` on every sub-module (children first) and then on self.

        Typical use is custom initialization. Returns self.
        """
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ repr / summary
    def extra_repr(self) -> str:
        """The settings shown inside ``Name(...)`` in the repr; layers override it."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, mod in self._modules.items():
            body = repr(mod).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        if not self._modules:
            return f"{self._get_name()}({extra})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def summary(self, input_shape=None, *, dtype=None, print_fn=print, batch_size: int = 1):
        """Print and return a Keras-style table of the layers (see :func:`gradkit.nn.summary.summary`)."""
        from .summary import summary as _summary

        return _summary(self, input_shape, dtype=dtype, print_fn=print_fn, batch_size=batch_size)


# ---------------------------------------------------------------------------- functional_call
def functional_call(module: Module, parameters_and_buffers: dict, args=(), kwargs=None):
    """Call ``module`` with some parameters/buffers temporarily replaced (``torch.func.functional_call``).

    The replacement tensors are used in the graph, so gradients flow to them; the
    module's own Parameter objects are restored afterwards, even on error. Used by the
    layer-contract helper to gradcheck every parameter.

    Args:
        module: the module to call.
        parameters_and_buffers: dotted name -> Tensor (any tensor, not only Parameter).
        args: positional arguments (a tuple, or a single tensor).
        kwargs: keyword arguments.

    Returns:
        The module's output.

    Raises:
        KeyError: for a name that is not a parameter or buffer of ``module``.
    """
    if not isinstance(args, tuple):
        args = (args,)
    saved = []
    try:
        for name, value in parameters_and_buffers.items():
            mod_path, _, leaf = name.rpartition(".")
            mod = module.get_submodule(mod_path)
            if leaf in mod._parameters:
                store = mod._parameters
            elif leaf in mod._buffers:
                store = mod._buffers
            else:
                raise KeyError(f"{name!r} is not a parameter or buffer of {type(module).__name__}")
            saved.append((store, leaf, store[leaf]))
            store[leaf] = value
        return module(*args, **(kwargs or {}))
    finally:
        for store, leaf, old in reversed(saved):
            store[leaf] = old
