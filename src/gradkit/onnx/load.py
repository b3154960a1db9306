"""``gk.onnx.load``: an ONNX graph as a gradkit model that runs, trains and fine-tunes.

The graph's initializers become the model's parameters (floating point) and buffers (integer),
and ``forward`` runs the nodes in order with gradkit ops, so gradients reach every weight.
Operators gradkit has no rule for are all named when the file is loaded, not at the first call.
"""

from __future__ import annotations

import os
import re

import numpy as np

from .. import nn
from ..tensor import Tensor
from ._import_ops import RULES, OnnxImportError
from .export import require_onnx

_IGNORED = ("doc_string",)


def _attrs(onnx, node) -> dict:
    out = {}
    for at in node.attribute:
        v = onnx.helper.get_attribute_value(at)
        if isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, onnx.TensorProto):
            v = onnx.numpy_helper.to_array(v)
        elif isinstance(v, list) and v and isinstance(v[0], bytes):
            v = [s.decode() for s in v]
        out[at.name] = v
    return out


def _constant_value(onnx, node, attrs):
    for key in ("value", "value_float", "value_int", "value_floats", "value_ints"):
        if key in attrs:
            v = attrs[key]
            if key in ("value_float", "value_floats"):
                return np.asarray(v, dtype=np.float32)
            if key in ("value_int", "value_ints"):
                return np.asarray(v, dtype=np.int64)
            return np.asarray(v)
    raise OnnxImportError(f"onnx.load: Constant node {node.name!r} has no supported value attribute")


class OnnxModule(nn.Module):
    """A model built from an ONNX graph (see :func:`load`).

    Attributes:
        input_names / output_names: the graph's input and output names, in order.
        param_names: ``{ONNX initializer name: attribute name}`` for the weights (the attribute
            names are the ONNX names made into identifiers).
    """

    def __init__(self, proto):
        super().__init__()
        onnx = require_onnx()
        graph = proto.graph
        self.input_names: list = []
        self.output_names = [o.name for o in graph.output]
        self.param_names: dict = {}
        self._nodes: list = []
        taken: set = set()
        for init in graph.initializer:
            self._add_weight(init.name, onnx.numpy_helper.to_array(init), taken)
        inits = {i.name for i in graph.initializer}
        self.input_names = [i.name for i in graph.input if i.name not in inits]
        missing = []
        for node in graph.node:
            if node.domain not in ("", "ai.onnx"):
                missing.append(f"{node.domain}.{node.op_type}")
                continue
            attrs = _attrs(onnx, node)
            if node.op_type == "Constant":
                self._add_weight(node.output[0], _constant_value(onnx, node, attrs), taken, constant=True)
                continue
            if node.op_type not in RULES:
                missing.append(node.op_type)
                continue
            self._nodes.append((node, attrs))
        if missing:
            raise OnnxImportError(
                f"onnx.load: gradkit cannot run the ONNX operator(s) {sorted(set(missing))}; supported: "
                f"{', '.join(sorted(RULES))}")

    def _add_weight(self, onnx_name, arr, taken, constant=False):
        attr = re.sub(r"\W", "_", onnx_name).strip("_") or "w"
        if attr[0].isdigit():
            attr = "w_" + attr
        base, k = attr, 0
        while attr in taken or hasattr(type(self), attr):
            k += 1
            attr = f"{base}_{k}"
        taken.add(attr)
        arr = np.array(arr, copy=True)
        if arr.dtype.kind == "f" and not constant:
            self.register_parameter(attr, nn.Parameter(arr))
        else:
            self.register_buffer(attr, Tensor(arr))
        self.param_names[onnx_name] = attr

    def forward(self, *inputs):
        if len(inputs) != len(self.input_names):
            raise TypeError(f"OnnxModule: the graph takes {len(self.input_names)} inputs "
                            f"({', '.join(self.input_names)}), got {len(inputs)}")
        env = {name: getattr(self, attr) for name, attr in self.param_names.items()}
        for name, x in zip(self.input_names, inputs):
            env[name] = x if isinstance(x, Tensor) else Tensor(x)
        for node, attrs in self._nodes:
            try:
                ins = [env[n] if n else None for n in node.input]
            except KeyError as exc:
                raise OnnxImportError(f"onnx.load: node {node.name!r} ({node.op_type}) reads {exc.args[0]!r}, "
                                      "which no earlier node produces") from None
            out = RULES[node.op_type](ins, attrs, node)
            outs = out if isinstance(out, tuple) else (out,)
            for name, value in zip(node.output, outs):
                if name:
                    env[name] = value
        results = tuple(env[n] for n in self.output_names)
        return results[0] if len(results) == 1 else results

    def extra_repr(self) -> str:
        return f"inputs={self.input_names}, outputs={self.output_names}, nodes={len(self._nodes)}"


def load(path_or_proto) -> OnnxModule:
    """Build a gradkit model from an ONNX file (or ``onnx.ModelProto``).

    The model runs with gradkit ops, its weights are Parameters (fine-tune it with any
    optimizer), and ``state_dict`` keys are the ONNX initializer names made into identifiers.

    Args:
        path_or_proto: a path to an ``.onnx`` file, or a loaded ``onnx.ModelProto``.

    Returns:
        An :class:`OnnxModule`; call it with the graph's inputs, in order.

    Raises:
        OnnxImportError: operators gradkit has no rule for (all of them named), or a broken graph.
        FileNotFoundError: when the file does not exist.

    Examples:
        >>> import gradkit as gk
        >>> net = gk.nn.Sequential(gk.nn.Linear(3, 4), gk.nn.Tanh())
        >>> back = gk.onnx.load(gk.onnx.export(net, gk.randn(2, 3)))
        >>> x = gk.randn(5, 3)
        >>> bool(gk.allclose(back(x), net(x), atol=1e-6))
        True
    """
    onnx = require_onnx()
    if isinstance(path_or_proto, onnx.ModelProto):
        proto = path_or_proto
    else:
        path = os.fspath(path_or_proto)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"onnx.load: no ONNX file at {path!r}")
        try:
            proto = onnx.load(path)
        except Exception as exc:  # noqa: BLE001 - a damaged file, whatever the parser says
            raise OnnxImportError(f"onnx.load: {path!r} is not a readable ONNX model ({exc})") from None
    try:
        onnx.checker.check_model(proto)
    except Exception as exc:  # noqa: BLE001
        raise OnnxImportError(f"onnx.load: the graph does not pass onnx.checker: {exc}") from None
    return OnnxModule(proto)
