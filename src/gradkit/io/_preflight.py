"""Checks a stored architecture against the stored tensors before :func:`gradkit.load_model` builds it.

Building a model allocates and initializes its weights. A small crafted file whose JSON says
``Linear(100000, 100000)`` would make the loader allocate 40 GB before the strict
``load_state_dict`` could notice that the file holds a few bytes. So the loader first adds up
a lower bound of the parameters each layer of the spec must have (from its constructor
arguments, for the layers whose size is a simple function of them) and refuses the file when
that bound is larger than the number of values the file stores. The bounds are lower bounds
(a property test checks each against the real layer); layers without a formula count zero.

Examples:
    >>> from gradkit.io._preflight import parameter_lower_bound
    >>> parameter_lower_bound({"class": "Linear", "config": {"in_features": 4, "out_features": 3}})
    12
"""

from __future__ import annotations

import math
import numbers

__all__ = ["parameter_lower_bound", "walk_specs"]

_GATES = {"RNN": 1, "RNNCell": 1, "LSTM": 4, "LSTMCell": 4, "GRU": 3, "GRUCell": 3}


def _int(v, default=0) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        return default
    return max(int(v), 0)


def _ints(v) -> list:
    if isinstance(v, (list, tuple)):
        return [_int(x) for x in v]
    return [_int(v)]


def _prod(values) -> int:
    return math.prod(values) if values else 0


def _conv(c: dict, dims: int) -> int:
    k = _ints(c.get("kernel_size", 0))
    if len(k) == 1:
        k = k * dims
    groups = max(_int(c.get("groups", 1), 1), 1)
    return _int(c.get("out_channels")) * (_int(c.get("in_channels")) // groups) * _prod(k)


def _recurrent(name: str, c: dict) -> int:
    mode = str(c.get("mode", "")).upper() if name == "RNNBase" else name
    gates = _GATES.get(mode, _GATES.get(mode.replace("_TANH", "").replace("_RELU", ""), 1))
    h = _int(c.get("hidden_size"))
    return gates * h * (_int(c.get("input_size")) + h)


def _mlp(c: dict) -> int:
    sizes = _ints(c.get("sizes", []))
    return sum(a * b for a, b in zip(sizes, sizes[1:]))


_FORMULAS = {
    "Linear": lambda c: _int(c.get("in_features")) * _int(c.get("out_features")),
    "RBF": lambda c: _int(c.get("in_features")) * _int(c.get("out_features")),
    "Conv1d": lambda c: _conv(c, 1),
    "Conv2d": lambda c: _conv(c, 2),
    "Embedding": lambda c: _int(c.get("num_embeddings")) * _int(c.get("embedding_dim")),
    "BatchNorm1d": lambda c: _int(c.get("num_features")),
    "BatchNorm2d": lambda c: _int(c.get("num_features")),
    "LayerNorm": lambda c: _prod(_ints(c.get("normalized_shape", 0))) if c.get("elementwise_affine", True) else 0,
    "PReLU": lambda c: _int(c.get("num_parameters", 1)),
    "Highway": lambda c: _int(c.get("features")) ** 2 * max(_int(c.get("num_layers", 1)), 1),
    "MLP": _mlp,
    "LogisticRegression": lambda c: _int(c.get("in_features")) * max(_int(c.get("num_classes", 1)), 1),
    "Perceptron": lambda c: _int(c.get("in_features")),
    "RBFNetwork": lambda c: _int(c.get("in_features")) * _int(c.get("num_centres"))
    + _int(c.get("num_centres")) * _int(c.get("out_features")),
    "SelfNormalizingNet": lambda c: _int(c.get("in_features")) * _int(c.get("hidden_features"))
    + _int(c.get("hidden_features")) * _int(c.get("out_features")),
}
for _name in ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "RNNBase"):
    _FORMULAS[_name] = (lambda n: (lambda c: _recurrent(n, c)))(_name)


def walk_specs(value):
    """Every ``{"class", "config"}`` spec inside ``value`` (itself included), depth first, iteratively."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if isinstance(v.get("class"), str) and isinstance(v.get("config", {}), dict) and set(v) <= {"class", "config"}:
                yield v
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)


def parameter_lower_bound(spec) -> int:
    """A lower bound of the number of parameter values the model ``spec`` describes.

    Args:
        spec: ``{"class": name, "config": {...}}`` as stored by ``gk.save``.

    Returns:
        The sum over its layers with a known formula (0 for the others).
    """
    total = 0
    for s in walk_specs(spec):
        f = _FORMULAS.get(s["class"])
        if f is not None:
            try:
                total += f(s.get("config") or {})
            except (TypeError, ValueError, OverflowError):
                continue
    return total


def largest_layer(spec):
    """``(description, bound)`` of the spec's layer with the largest lower bound, for messages."""
    best = ("", 0)
    for s in walk_specs(spec):
        f = _FORMULAS.get(s["class"])
        if f is None:
            continue
        try:
            n = f(s.get("config") or {})
        except (TypeError, ValueError, OverflowError):
            continue
        if n > best[1]:
            args = ", ".join(f"{k}={v!r}" for k, v in (s.get("config") or {}).items()
                             if isinstance(v, (int, list)) and not isinstance(v, bool))
            best = (f"{s['class']}({args})", n)
    return best
