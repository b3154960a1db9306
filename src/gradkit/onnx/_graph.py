"""The ONNX graph being written: unique value names, nodes, initializers and constants.

Private to :mod:`gradkit.onnx`. ``onnx`` itself is imported by the caller (an optional
dependency) and handed in, so importing this module needs nothing beyond NumPy.
"""

from __future__ import annotations

import numpy as np


class OnnxExportError(RuntimeError):
    """A model, layer or op that cannot be written as ONNX (the message names it)."""


class Graph:
    """Collects the nodes and initializers of one exported graph.

    Args:
        onnx: the imported ``onnx`` module.
        opset: the ONNX opset version the nodes are written for.
    """

    def __init__(self, onnx, opset: int):
        self.onnx = onnx
        self.opset = int(opset)
        self.nodes: list = []
        self.initializers: list = []
        self._used: set = set()

    def fresh(self, hint: str) -> str:
        """A value name not used yet, built from ``hint``."""
        base = "".join(c if c.isalnum() or c in "_." else "_" for c in hint) or "v"
        name, k = base, 0
        while name in self._used:
            k += 1
            name = f"{base}_{k}"
        self._used.add(name)
        return name

    def reserve(self, name: str) -> str:
        """Claim an exact name (a graph input or output named by the user)."""
        if name in self._used:
            raise OnnxExportError(f"onnx.export: the name {name!r} is used twice")
        self._used.add(name)
        return name

    def const(self, array, hint: str = "const") -> str:
        """An initializer holding ``array``; returns its name."""
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def ints(self, values, hint: str = "shape") -> str:
        """A 1-d int64 initializer (shapes, axes, pads)."""
        return self.const(np.asarray(list(values), dtype=np.int64).reshape(-1), hint)

    def rename(self, old: str, new: str) -> bool:
        """Make the node output ``old`` be called ``new`` (a graph output); False if no node makes it."""
        if not any(old in n.output for n in self.nodes):
            return False
        for n in self.nodes:
            for seq in (n.input, n.output):
                for i, v in enumerate(seq):
                    if v == old:
                        seq[i] = new
        return True

    def node(self, op_type: str, inputs, n_out: int = 1, hint: str | None = None, **attrs):
        """Append a node; returns its output name (a list of names when ``n_out > 1``)."""
        outs = [self.fresh(hint or op_type.lower()) for _ in range(n_out)]
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), outs, **attrs))
        return outs[0] if n_out == 1 else outs
