"""Containers: ``Sequential``, ``ModuleList`` and ``ModuleDict`` (PyTorch semantics).

Examples:
    >>> import gradkit as gk
    >>> net = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.Identity(), gk.nn.Linear(8, 2))
    >>> len(net), type(net[0]).__name__, len(net[1:])
    (3, 'Linear', 2)
    >>> net(gk.zeros(5, 4)).shape
    (5, 2)
"""

from __future__ import annotations

import operator
from collections import OrderedDict

from .module import Module

__all__ = ["Sequential", "ModuleList", "ModuleDict"]


def _norm_index(idx, n, what):
    idx = operator.index(idx)
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range for {what} of length {n}")
    return idx % n


class Sequential(Module):
    """Chain modules: the output of each is the input of the next.

    Args:
        *args: modules in order, or a single dict/``OrderedDict`` name -> module.

    Supports ``len``, integer indexing, slicing (a new ``Sequential`` sharing the
    modules), iteration, ``append``, ``insert``, ``extend`` and item assignment/deletion.

    Examples:
        >>> import gradkit as gk
        >>> from collections import OrderedDict
        >>> net = gk.nn.Sequential(OrderedDict(fc=gk.nn.Linear(3, 2)))
        >>> list(net.state_dict())
        ['fc.weight', 'fc.bias']
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], dict):
            for name, mod in args[0].items():
                self.add_module(name, mod)
        else:
            for i, mod in enumerate(args):
                if not isinstance(mod, Module):
                    raise TypeError(f"Sequential argument {i} is {type(mod).__name__}, expected a Module")
                self.add_module(str(i), mod)

    def forward(self, x):
        for mod in self._modules.values():
            x = mod(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            items = list(self._modules.items())[idx]
            if all(k.isdigit() for k, _ in items):
                return Sequential(*[m for _, m in items])
            return Sequential(OrderedDict(items))
        if isinstance(idx, str):
            return self._modules[idx]
        keys = list(self._modules)
        return self._modules[keys[_norm_index(idx, len(keys), "Sequential")]]

    def __setitem__(self, idx, module):
        keys = list(self._modules)
        key = idx if isinstance(idx, str) else keys[_norm_index(idx, len(keys), "Sequential")]
        self.add_module(key, module)

    def __delitem__(self, idx):
        keys = list(self._modules)
        targets = keys[idx] if isinstance(idx, slice) else [keys[_norm_index(idx, len(keys), "Sequential")]]
        for k in targets:
            del self._modules[k]
        if all(k.isdigit() for k in self._modules):
            mods = list(self._modules.values())
            self._modules.clear()
            for i, m in enumerate(mods):
                self._modules[str(i)] = m

    def _next_key(self) -> str:
        return str(len(self._modules))

    def append(self, module: Module) -> "Sequential":
        """Add ``module`` at the end; returns self."""
        self.add_module(self._next_key(), module)
        return self

    def extend(self, modules) -> "Sequential":
        """Append every module of an iterable; returns self."""
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> "Sequential":
        """Insert ``module`` before position ``index``; returns self."""
        mods = list(self._modules.values())
        n = len(mods)
        if not -n <= index <= n:
            raise IndexError(f"index {index} is out of range for inserting into Sequential of length {n}")
        mods.insert(index % (n + 1) if index < 0 else index, module)
        self._modules.clear()
        for i, m in enumerate(mods):
            self.add_module(str(i), m)
        return self

    def get_config(self) -> dict:
        keys = list(self._modules)
        if all(k == str(i) for i, k in enumerate(keys)):
            return {"args": [{"class": type(m).__name__, "config": m.get_config()} for m in self._modules.values()]}
        return {"args": [{name: {"class": type(m).__name__, "config": m.get_config()} for name, m in self._modules.items()}]}


class ModuleList(Module):
    """A list of modules, registered so their parameters are found (no ``forward``).

    Args:
        modules: an optional iterable of modules.

    Examples:
        >>> import gradkit as gk
        >>> layers = gk.nn.ModuleList([gk.nn.Linear(2, 2) for _ in range(3)])
        >>> len(list(layers.parameters()))
        6
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return self._modules[str(_norm_index(idx, len(self), "ModuleList"))]

    def __setitem__(self, idx, module):
        self.add_module(str(_norm_index(idx, len(self), "ModuleList")), module)

    def __delitem__(self, idx):
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            del mods[idx]
        else:
            del mods[_norm_index(idx, len(mods), "ModuleList")]
        self._modules.clear()
        for i, m in enumerate(mods):
            self._modules[str(i)] = m

    def append(self, module: Module) -> "ModuleList":
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> "ModuleList":
        """Append every module of an iterable; returns self."""
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index``."""
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(mods):
            self.add_module(str(i), m)

    def __add__(self, other) -> "ModuleList":
        return ModuleList(list(self) + list(other))

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward: iterate over it and call the modules yourself")

    def get_config(self) -> dict:
        return {"modules": [{"class": type(m).__name__, "config": m.get_config()} for m in self._modules.values()]}


class ModuleDict(Module):
    """An ordered dict of modules, registered so their parameters are found (no ``forward``).

    Args:
        modules: an optional mapping (or iterable of pairs) name -> module.

    Examples:
        >>> import gradkit as gk
        >>> heads = gk.nn.ModuleDict({"a": gk.nn.Linear(2, 1), "b": gk.nn.Linear(2, 3)})
        >>> list(heads.keys())
        ['a', 'b']
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key: str) -> Module:
        """Remove and return the module under ``key``."""
        return self._modules.pop(key)

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules) -> None:
        """Add modules from a mapping or an iterable of ``(name, module)`` pairs."""
        items = modules.items() if hasattr(modules, "items") else modules
        for k, m in items:
            self.add_module(k, m)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward: index it and call the modules yourself")

    def get_config(self) -> dict:
        return {"modules": {k: {"class": type(m).__name__, "config": m.get_config()} for k, m in self._modules.items()}}
