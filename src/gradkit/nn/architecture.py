"""Architecture capture: how a :class:`~gradkit.nn.Module` describes itself as JSON and is rebuilt.

``gk.save(model, path)`` stores ``{"class": name, "config": {...}}`` next to the weights, and
``gk.load_model(path)`` rebuilds the model from it without the user's code. Three pieces make
that work, and all of them live here:

1. **Recording constructor arguments** (one place: :func:`record_constructor_arguments`).
   :class:`ArchitectureMixin`, the base of ``Module``, wraps the ``__init__`` of every
   subclass when the class is created; the outermost call stores ``(init, args, kwargs)`` on
   the instance, so ``Linear(4, 2, bias=False)`` remembers exactly those arguments.
2. **The class registry** (one registry: :data:`MODULE_REGISTRY`), class name -> class, so
   that a name read from JSON can be turned back into a class.
3. **Encoding and decoding values**: :meth:`ArchitectureMixin.get_config` binds the recorded
   arguments to the signature and turns each one into JSON through the per-value hook
   :meth:`ArchitectureMixin._config_value`; :func:`module_from_config` and
   :meth:`ArchitectureMixin.from_config` do the reverse.

Nothing here imports by name: a class is found only if the module defining it has been
imported. gradkit's layers register when ``gradkit.nn`` is imported; the ready-made models
register when ``gradkit.models`` is imported, which is why the loader (``gk.load_model``, in
``gradkit.io``, a layer above ``models``) imports ``gradkit.models`` before looking names up.

Example:
    >>> import gradkit as gk
    >>> from gradkit.nn.architecture import module_from_config
    >>> lin = gk.nn.Linear(3, 2, bias=False)
    >>> spec = {"class": "Linear", "config": lin.get_config()}
    >>> spec
    {'class': 'Linear', 'config': {'in_features': 3, 'out_features': 2, 'bias': False, 'dtype': None}}
    >>> module_from_config(spec)
    Linear(in_features=3, out_features=2, bias=False)
"""

from __future__ import annotations

import functools
import inspect
import numbers

import numpy as np

__all__ = [
    "ArchitectureMixin",
    "MODULE_REGISTRY",
    "module_from_config",
    "register_serializable",
    "lookup_class",
    "record_constructor_arguments",
    "constructor_arguments",
    "encode_value",
    "decode_value",
]


# ---------------------------------------------------------------------------- the registry
# Owner: this module; nothing else writes to it except through the two functions below.
# Why it exists: a saved architecture names its classes as strings ("Linear", "MLP"); this
# dict turns those names back into classes without importing anything by name.
# Written by: ArchitectureMixin.__init_subclass__ (every public Module subclass defined inside
#   the gradkit package, when its module is imported) and register_serializable (user classes).
# Read by: lookup_class / module_from_config here, gradkit.io (may this model's architecture
#   be saved?) and gradkit.testing (does a layer round-trip through its config?).
MODULE_REGISTRY: dict = {}
"""Class name -> Module class, for every public Module subclass defined inside gradkit (once its
module is imported) and every class registered with :func:`register_serializable`."""


def _is_gradkit_layer(cls) -> bool:
    """Whether ``cls`` is a public class of the gradkit package (registered automatically)."""
    return cls.__module__.split(".")[0] == "gradkit" and not cls.__name__.startswith("_")


def register_serializable(cls):
    """Register a user Module subclass so :func:`module_from_config` can rebuild it.

    gradkit's own layers are registered automatically. Use this (as a class decorator) for
    your own architecture classes when you want ``gk.load_model`` to rebuild them; the
    class must still be defined (its module imported) when loading.

    Args:
        cls: a :class:`~gradkit.nn.Module` subclass.

    Returns:
        ``cls`` unchanged.

    Raises:
        TypeError: if ``cls`` is not a Module subclass.

    Example:
        >>> import gradkit as gk
        >>> @gk.nn.register_serializable
        ... class Double(gk.nn.Module):
        ...     def forward(self, x):
        ...         return 2 * x
        >>> gk.nn.module_from_config({"class": "Double", "config": {}})
        Double()
        >>> _ = gk.nn.MODULE_REGISTRY.pop("Double")
    """
    if not (isinstance(cls, type) and issubclass(cls, ArchitectureMixin)):
        raise TypeError(f"register_serializable expects a Module subclass, got {cls!r}")
    MODULE_REGISTRY[cls.__name__] = cls
    return cls


def lookup_class(name: str):
    """The registered Module class called ``name``.

    Raises:
        ValueError: when no class of that name is registered (user code, or a gradkit
            module that was not imported).
    """
    cls = MODULE_REGISTRY.get(name)
    if cls is None:
        raise ValueError(
            f"cannot rebuild the architecture: class {name!r} is not one of gradkit's built-in layers "
            "(it was defined in user code), or the module defining it was not imported (gradkit.models "
            "registers its models on `import gradkit.models`, which gk.load_model does). Rebuild the model "
            "with your own code and load its state_dict, or decorate the class with "
            "gradkit.nn.module.register_serializable and define it before loading."
        )
    return cls


# ---------------------------------------------------------------------------- recording
def record_constructor_arguments(cls) -> None:
    """Wrap ``cls.__init__`` (when ``cls`` defines one) so the outermost call records its arguments.

    This is the only place constructor arguments are recorded. The record,
    ``(init, args, kwargs)``, is stored as ``_init_record`` on the instance by the outermost
    ``__init__`` only: ``super().__init__(...)`` calls of base classes do not overwrite it.

    Args:
        cls: a Module subclass being created.
    """
    init = cls.__dict__.get("__init__")
    if init is None or getattr(init, "_gradkit_records_config", False):
        return

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        if "_init_record" not in self.__dict__:
            object.__setattr__(self, "_init_record", (init, args, kwargs))
        init(self, *args, **kwargs)

    __init__._gradkit_records_config = True
    cls.__init__ = __init__


def constructor_arguments(module) -> list:
    """The recorded constructor arguments of ``module`` as ``[(name, value), ...]``.

    Defaults are filled in, in signature order; the entries of ``**kwargs`` appear under
    their own names; ``*args`` appears as one tuple under its parameter name.

    Args:
        module: a Module instance.

    Returns:
        The list of pairs; empty when nothing was recorded (a bare ``Module()``).
    """
    rec = module.__dict__.get("_init_record")
    if rec is None:
        return []
    init, args, kwargs = rec
    sig = inspect.signature(init)
    bound = sig.bind(module, *args, **kwargs)
    bound.apply_defaults()
    out = []
    for p in list(sig.parameters.values())[1:]:
        if p.name not in bound.arguments:
            continue
        value = bound.arguments[p.name]
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            out.extend(value.items())
        else:
            out.append((p.name, value))
    return out


# ---------------------------------------------------------------------------- values <-> JSON
def encode_value(value, where: str):
    """A JSON-serializable form of one constructor argument.

    Numbers, strings, ``None``, lists/tuples (as lists) and string-keyed dicts of those
    are kept; a Module becomes ``{"class": name, "config": {...}}``; a Module class becomes
    ``{"module_class": name}``; a NumPy dtype becomes its name.

    Args:
        value: the argument.
        where: what it is, for the error message (``"argument 'fn' of Holder"``).

    Returns:
        The JSON-serializable value.

    Raises:
        TypeError: for anything else (a tensor, a function...), naming ``where``.

    Example:
        >>> encode_value((3, 3), "argument 'kernel_size' of Conv2d")
        [3, 3]
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, ArchitectureMixin):
        return {"class": type(value).__name__, "config": value.get_config()}
    if isinstance(value, (list, tuple)):
        return [encode_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"cannot record {where}: dict keys must be strings, got {k!r}")
            out[k] = encode_value(v, f"{where}[{k!r}]")
        return out
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name
    if isinstance(value, type) and issubclass(value, ArchitectureMixin):
        return {"module_class": value.__name__}
    raise TypeError(
        f"cannot record {where} of type {type(value).__name__} in a JSON config; constructor arguments "
        "must be numbers, strings, None, lists/dicts of those, or Modules"
    )


def decode_value(value):
    """The inverse of :func:`encode_value`: nested module specs are rebuilt, class names looked up.

    Raises:
        ValueError: when a nested class is not registered.
    """
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"class", "config"}:
            return module_from_config(value)
        if set(value) == {"module_class"}:
            return lookup_class(value["module_class"])
        return {k: decode_value(v) for k, v in value.items()}
    return value


def module_from_config(spec):
    """Rebuild a module from ``{"class": name, "config": {...}}`` (see :meth:`Module.get_config`).

    Nested module specs are rebuilt recursively; JSON lists are passed where tuples were
    given (gradkit's layers accept both). The result has freshly initialized weights: load
    a ``state_dict`` into it to restore values. The class must be registered: import the
    module that defines it first (``import gradkit.models`` for the ready-made models).

    Args:
        spec: a dict with keys ``"class"`` (a name in :data:`MODULE_REGISTRY`) and ``"config"``.

    Returns:
        The new :class:`~gradkit.nn.Module`.

    Raises:
        ValueError: for a malformed spec or a class that is not registered.

    Example:
        >>> import gradkit as gk
        >>> from gradkit.nn.module import module_from_config
        >>> lin = gk.nn.Linear(3, 2, bias=False)
        >>> module_from_config({"class": "Linear", "config": lin.get_config()})
        Linear(in_features=3, out_features=2, bias=False)
    """
    if not isinstance(spec, dict) or "class" not in spec:
        raise ValueError(f"module_from_config expects a dict with 'class' and 'config', got {spec!r}")
    cls = lookup_class(spec["class"])
    return cls.from_config(spec.get("config") or {})


def _call_with_config(cls, config: dict):
    """``cls(...)`` with the decoded ``config`` spread over its ``__init__`` signature."""
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    args, kwargs, names = [], {}, set()
    skipped = False  # once a positional parameter is absent, later ones go by keyword (no shift)
    for p in params:
        names.add(p.name)
        if p.name not in config:
            skipped = skipped or p.kind is not inspect.Parameter.KEYWORD_ONLY
            continue
        v = config[p.name]
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            args.extend(v)
        elif p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and skipped:
            kwargs[p.name] = v
        elif p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            args.append(v)
        elif p.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[p.name] = v
    extra = {k: v for k, v in config.items() if k not in names}
    if extra and not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        raise ValueError(f"{cls.__name__} config has unknown arguments {sorted(extra)}")
    kwargs.update(extra)
    return cls(*args, **kwargs)


# ---------------------------------------------------------------------------- the mixin
class ArchitectureMixin:
    """The architecture-capture half of :class:`~gradkit.nn.Module` (its base class).

    Creating a subclass records its constructor arguments (see
    :func:`record_constructor_arguments`) and, for gradkit's own public classes, registers
    it in :data:`MODULE_REGISTRY`. Instances then describe themselves with
    :meth:`get_config` and are rebuilt with :meth:`from_config`.

    Example:
        >>> import gradkit as gk
        >>> class Scale(gk.nn.Module):
        ...     def __init__(self, factor=2.0, *, learnable=False):
        ...         super().__init__()
        ...         self.factor = factor
        >>> Scale(3.0).get_config()
        {'factor': 3.0, 'learnable': False}
        >>> Scale.from_config({'factor': 0.5}).factor
        0.5
    """

    __slots__ = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if ArchitectureMixin in cls.__bases__:  # Module itself: the root, not a layer
            return
        record_constructor_arguments(cls)
        if _is_gradkit_layer(cls):
            MODULE_REGISTRY.setdefault(cls.__name__, cls)

    #: constructor arguments left out of the config (their effect is recorded in another argument,
    #: as the losses' deprecated ``size_average``/``reduce`` are in ``reduction``).
    #: ``device`` says where a module runs, not what it is: a config rebuilds it on the CPU.
    _config_skip: tuple = ("device",)

    def _config_value(self, name: str, value):
        """Turn one constructor argument into its config value (the per-value hook of :meth:`get_config`).

        Subclasses override it for arguments that need another form (losses record their
        weight tensors as lists) and call ``super()._config_value`` for the rest.

        Args:
            name: the parameter name in ``__init__``.
            value: the value it was called with (or its default).

        Returns:
            A JSON-serializable value (see :func:`encode_value`).

        Raises:
            TypeError: when the value cannot be represented in JSON.
        """
        return encode_value(value, f"argument {name!r} of {type(self).__name__}")

    def get_config(self) -> dict:
        """The arguments this module's ``__init__`` was called with, as JSON-serializable data.

        Defaults are filled in; tuples become lists; Module arguments become
        ``{"class": name, "config": {...}}``. Containers report their current children.

        Returns:
            A dict parameter name -> value.

        Raises:
            TypeError: when an argument cannot be represented in JSON (a tensor, a function).

        Example:
            >>> import gradkit as gk
            >>> gk.nn.Dropout(0.25).get_config()
            {'p': 0.25}
        """
        skip = self._config_skip
        return {name: self._config_value(name, value) for name, value in constructor_arguments(self) if name not in skip}

    @classmethod
    def from_config(cls, config: dict):
        """Build an instance from :meth:`get_config`'s output (nested module specs rebuilt).

        Args:
            config: the dict :meth:`get_config` returned (after a JSON round trip or not).

        Returns:
            A new instance with freshly initialized weights.

        Raises:
            ValueError: when a nested class is not registered, or for arguments ``__init__``
                does not take.

        Example:
            >>> import gradkit as gk
            >>> gk.nn.Linear.from_config({"in_features": 2, "out_features": 1})
            Linear(in_features=2, out_features=1, bias=True)
        """
        return _call_with_config(cls, {k: decode_value(v) for k, v in (config or {}).items()})
