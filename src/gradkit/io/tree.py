"""Flatten nested state (dicts, lists, tuples of arrays, numbers and strings) into named arrays + JSON.

Training state is a tree: an optimizer's ``state_dict()`` is
``{"state": {0: {"step": 3, "exp_avg": array}}, "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), ...}]}``.
A safetensors file holds only a flat ``name -> array`` mapping plus string metadata, so
:func:`flatten_state` splits such a tree into

* ``arrays``: every array leaf under a path-like name (``"optimizer/state/0/exp_avg"``), and
* ``skeleton``: a JSON-serializable description of everything else, with array leaves
  replaced by references to their names.

:func:`unflatten_state` reverses it exactly: arrays come back bit for bit with their
dtype, Tensors come back as Tensors (with their ``requires_grad``), NumPy scalars as NumPy
scalars of the same dtype, Python ``int`` s exactly (JSON integers have no size limit),
``float`` s exactly (written with ``repr``, the shortest string that round-trips;
``nan``/``inf`` included), and dict keys keep their type (``int`` keys stay ``int``),
tuples stay tuples. Nothing is pickled: any other object is refused with its path.

Skeleton encoding: a JSON string/number/bool/null is that Python value; every container
or array is a one-key object: ``{"dict": [[key, value], ...]}``, ``{"list": [...]}``,
``{"tuple": [...]}``, ``{"tensor": name, "requires_grad": bool}``, ``{"ndarray": name}``,
``{"scalar": name}``.

Examples:
    >>> import numpy as np
    >>> from gradkit.io.tree import flatten_state, unflatten_state
    >>> state = {"step": 3, "betas": (0.9, 0.999), "m": {0: np.zeros(2)}}
    >>> arrays, skeleton = flatten_state(state, prefix="opt")
    >>> sorted(arrays)
    ['opt/m/0']
    >>> unflatten_state(skeleton, arrays)["betas"]
    (0.9, 0.999)
"""

from __future__ import annotations

import json

import numpy as np

from .. import backend

_KEY_TYPES = (str, int, float, bool, type(None))


def flatten_state(obj, prefix: str = ""):
    """Split a nested structure into ``(arrays, skeleton)``.

    Args:
        obj: nested dicts/lists/tuples whose leaves are Tensors, NumPy/CuPy arrays, NumPy
            scalars, Python ``int``/``float``/``bool``/``str`` or ``None``.
        prefix: prepended (with ``"/"``) to every array name.

    Returns:
        ``(arrays, skeleton)``: ``arrays`` maps unique names to C-contiguous host NumPy
        arrays (CuPy data is copied to the host); ``skeleton`` is JSON-serializable.

    Raises:
        TypeError: for a leaf of any other type, or a dict key that is not a
            ``str``/``int``/``float``/``bool``/``None``; the message gives the path.
    """
    from ._format import host_array
    from ..tensor import Tensor

    arrays: dict = {}

    def name_for(path):
        base = "/".join([prefix] + path if prefix else path) or "value"
        name, i = base, 1
        while name in arrays:  # keys containing "/" can collide with nested paths
            name, i = f"{base}~{i}", i + 1
        return name

    def where(path):
        return "/".join([prefix] + path if prefix else path) or "<root>"

    def go(x, path):
        if isinstance(x, np.generic):  # before float: np.float64 subclasses float
            name = name_for(path)
            arrays[name] = host_array(np.asarray(x), where(path))
            return {"scalar": name}
        if x is None or isinstance(x, (bool, str)):
            return x
        if isinstance(x, int):
            return int(x)
        if isinstance(x, float):
            return float(x)
        if isinstance(x, Tensor):
            name = name_for(path)
            arrays[name] = host_array(x, where(path))
            return {"tensor": name, "requires_grad": bool(x.requires_grad)}
        if isinstance(x, np.ndarray) or backend.is_cupy_array(x):
            name = name_for(path)
            arrays[name] = host_array(x, where(path))
            return {"ndarray": name}
        if isinstance(x, dict):
            items = []
            for k, v in x.items():
                if not isinstance(k, _KEY_TYPES):
                    raise TypeError(
                        f"cannot store {where(path)}: dict keys must be str, int, float, bool or None, "
                        f"got {type(k).__name__} {k!r}"
                    )
                items.append([_plain(k), go(v, path + [str(k)])])
            return {"dict": items}
        if isinstance(x, (list, tuple)):
            tag = "tuple" if isinstance(x, tuple) else "list"
            return {tag: [go(v, path + [str(i)]) for i, v in enumerate(x)]}
        raise TypeError(
            f"cannot store {where(path)}: objects of type {type(x).__name__} are not supported (gradkit never "
            "pickles); use Tensors/arrays, numbers, strings, None and dicts/lists/tuples of them"
        )

    skeleton = go(obj, [])
    return arrays, skeleton


def _plain(k):
    if isinstance(k, bool) or k is None or isinstance(k, str):
        return k
    if isinstance(k, int):
        return int(k)
    return float(k)


def unflatten_state(skeleton, arrays: dict, device=None, as_numpy: bool = False):
    """Rebuild the structure :func:`flatten_state` split, from its skeleton and arrays.

    Args:
        skeleton: the JSON-decoded skeleton.
        arrays: name -> NumPy array (as read from the file).
        device: where Tensors and arrays go (``'cpu'``/``'cuda'``); default gradkit's default device.
        as_numpy: return Tensor leaves as NumPy arrays.

    Returns:
        The nested structure.

    Raises:
        ValueError: when the skeleton is malformed or names an array that is missing.
    """
    from ..tensor import Tensor

    dev = backend.normalize_device(device)

    def arr(name):
        if not isinstance(name, str) or name not in arrays:
            raise ValueError(f"checkpoint structure refers to array {name!r}, which the file does not contain")
        return arrays[name]

    def go(s):
        if s is None or isinstance(s, (bool, str, int, float)):
            return s
        if isinstance(s, list) or not isinstance(s, dict) or len(s) not in (1, 2):
            raise ValueError(f"malformed checkpoint structure node {s!r}")
        if "dict" in s:
            return {k: go(v) for k, v in s["dict"]}
        if "list" in s:
            return [go(v) for v in s["list"]]
        if "tuple" in s:
            return tuple(go(v) for v in s["tuple"])
        if "ndarray" in s:
            a = arr(s["ndarray"])
            return a if as_numpy else backend.to_device(a, dev)
        if "scalar" in s:
            return arr(s["scalar"])[()]
        if "tensor" in s:
            a = arr(s["tensor"])
            if as_numpy:
                return a
            t = Tensor(backend.to_device(a, dev))
            if s.get("requires_grad") and a.dtype.kind == "f":
                t.requires_grad_(True)
            return t
        raise ValueError(f"malformed checkpoint structure node {s!r}")

    return go(skeleton)


def dumps(skeleton) -> str:
    """JSON text of a skeleton; floats keep every bit (``repr``), ``nan``/``inf`` included."""
    return json.dumps(skeleton, separators=(",", ":"), allow_nan=True)


def loads(text: str):
    """Parse :func:`dumps` output (duplicate keys and nesting deeper than 256 levels refused).

    Raises:
        ValueError: for text that is not such JSON.
    """
    from ._format import strict_json

    return strict_json(text)


def json_safe(value, where: str = "metadata"):
    """JSON text of ``value``; NumPy scalars/arrays become Python numbers/lists, sets sorted lists.

    Raises:
        TypeError: when something cannot be represented in JSON.
    """

    def default(o):
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, (set, frozenset)):
            return sorted(o)
        raise TypeError(f"{where}: {type(o).__name__} is not JSON-serializable")

    return json.dumps(value, default=default, allow_nan=True, separators=(",", ":"))
