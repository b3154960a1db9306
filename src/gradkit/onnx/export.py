"""``gk.onnx.export``: write a gradkit model as an ONNX graph.

How it works: the model runs once on the example inputs with recording on. Layers that ONNX
has an operator for (Linear, Conv, pooling, BatchNorm, LayerNorm, activations, Embedding,
RNN/LSTM/GRU...) are caught whole by forward hooks and written as their ONNX operators; what a
``forward`` does between layers (residual adds, reshapes, slicing, concatenation, functional
activations) is read from the recorded ops. Walking back from the outputs gives the graph.

Limits, each refused with an error naming the layer or op: layers and ops without a rule,
keyword arguments to recurrent layers (``lengths``/``mask``), and training-mode behaviour (the
model is exported in eval mode, as ``torch.onnx.export`` does). Shapes computed in Python from
the example input are written as constants; a batch dimension named in ``dynamic_axes`` is kept
dynamic through reshapes that keep it.
"""

from __future__ import annotations

import math
import os
import tempfile

import numpy as np

from .. import __version__
from ..autograd import enable_grad
from ..tensor import Tensor
from ._graph import Graph, OnnxExportError
from . import _modules, _ops


def require_onnx():
    """Import ``onnx`` or say how to install it."""
    try:
        import onnx
    except ImportError:
        raise ImportError("gk.onnx needs the onnx package: pip install 'gradkit[onnx]'") from None
    return onnx


def _flat(obj, out):
    if isinstance(obj, Tensor):
        out.append(obj)
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            _flat(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _flat(o, out)
    return out


class _Recorder:
    """Forward hooks on every layer that has an ONNX rule: who produced which tensor."""

    def __init__(self, model):
        self.calls = {}  # id(output tensor) -> (module, args, outputs)
        self._keep = []  # the tensors themselves, so ids stay unique while tracing
        self._handles = []
        for _, m in model.named_modules():
            if _modules.find_rule(m) is not None:
                self._handles.append(m.register_forward_hook(self._hook))

    def _hook(self, module, args, output):
        outs = _flat(output, [])
        self._keep.append((args, outs))
        if _modules.is_identity_call(module, args, outs):
            return None
        for t in outs:
            self.calls[id(t)] = (module, args, outs)
        return None

    def close(self):
        for h in self._handles:
            h.remove()


class _Emitter:
    """Turns recorded tensors into ONNX values, writing each node once."""

    def __init__(self, onnx, graph: Graph, recorder: _Recorder, inputs: dict, dynamic_batch: bool):
        self.onnx, self.g, self.rec = onnx, graph, recorder
        self.names = dict(inputs)  # id(tensor) -> ONNX name
        self.params: dict = {}
        self.dynamic_batch = dynamic_batch
        self.consts: list = []  # values read from the trace, compared across two traces by export()

    # ---------------------------------------------------------------- values
    def name(self, t) -> str:
        if id(t) not in self.names:
            self.emit(t)
        return self.names[id(t)]

    def param(self, p, value=None) -> str:
        key = (id(p), None if value is None else value.shape)
        if key not in self.params:
            arr = np.asarray(p.numpy()) if value is None else value
            self.params[key] = self.g.const(arr, "param")
        return self.params[key]

    def emit(self, root) -> None:
        """Write ``root`` and everything it depends on (iteratively: graphs can be deep)."""
        stack = [root]
        while stack:
            t = stack[-1]
            if id(t) in self.names:
                stack.pop()
                continue
            deps = self._deps(t)
            todo = [d for d in deps if id(d) not in self.names]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            self._write(t)

    def _deps(self, t):
        call = self.rec.calls.get(id(t))
        if call is not None:
            return _flat(call[1], [])
        if t._ctx is not None and t._ctx.inputs is not None:
            return list(t._ctx.inputs)
        return []

    def _write(self, t) -> None:
        call = self.rec.calls.get(id(t))
        if call is not None:
            module, args, outs = call
            names = _modules.find_rule(module)(self, module, args, outs)
            for o, n in zip(outs, names):
                self.names[id(o)] = n
            return
        op = t._ctx
        if op is None or op.inputs is None:
            arr = np.asarray(t.numpy())
            self.consts.append(arr)
            self.names[id(t)] = self.g.const(arr, "const")
            return
        fn = _ops.find_rule(op)
        if fn is None:
            raise OnnxExportError(f"onnx.export: the op {type(op).__name__} (made by "
                                  f"{getattr(op, '_gk_viz_module', None) or 'the forward'}) has no ONNX rule")
        ins = [self.names[id(x)] for x in op.inputs]
        self.names[id(t)] = fn(self, op, ins, t)

    # ---------------------------------------------------------------- shared pieces
    def slice0(self, t, start, stop) -> str:
        g = self.g
        return g.node("Slice", [self.name(t), g.ints([start]), g.ints([stop]), g.ints([0], "axes")])

    def slice_basic(self, x, shape, items) -> str:
        """``x[items]`` for ints, slices, None and Ellipsis."""
        g = self.g
        n_real = sum(1 for i in items if i is not None and i is not Ellipsis)
        expanded = []
        for i in items:
            if i is Ellipsis:
                expanded.extend([slice(None)] * (len(shape) - n_real))
            else:
                expanded.append(i)
        expanded.extend([slice(None)] * (len(shape) - sum(1 for i in expanded if i is not None)))
        starts: list = []
        ends: list = []
        axes: list = []
        steps: list = []
        squeeze: list = []
        unsqueeze: list = []
        dim = out_dim = 0
        for i in expanded:
            if i is None:
                unsqueeze.append(out_dim)
                out_dim += 1
                continue
            n = shape[dim]
            if isinstance(i, slice):
                if i != slice(None):
                    a, b, s = i.indices(n)
                    if s < 0 and b < 0:
                        b = -(2 ** 62)
                    starts += [a]
                    ends += [b]
                    axes += [dim]
                    steps += [s]
                out_dim += 1
            else:
                k = int(i) % n
                starts += [k]
                ends += [k + 1]
                axes += [dim]
                steps += [1]
                squeeze.append(dim)
            dim += 1
        y = x
        if axes:
            y = g.node("Slice", [y, g.ints(starts), g.ints(ends), g.ints(axes, "axes"), g.ints(steps)])
        if squeeze:
            y = g.node("Squeeze", [y, g.ints(squeeze, "axes")])
        if unsqueeze:
            y = g.node("Unsqueeze", [y, g.ints(unsqueeze, "axes")])
        return y if y is not x else g.node("Identity", [x])

    def _c(self, v, dtype) -> str:
        return self.g.const(np.asarray(v, dtype=dtype), "scalar")

    def gelu(self, x, approximate, dtype) -> str:
        g = self.g
        if approximate == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            x3 = g.node("Mul", [g.node("Mul", [x, x]), x])
            inner = g.node("Add", [x, g.node("Mul", [x3, self._c(0.044715, dtype)])])
            t = g.node("Tanh", [g.node("Mul", [inner, self._c(math.sqrt(2 / math.pi), dtype)])])
        else:  # 0.5 x (1 + erf(x / sqrt 2))
            t = g.node("Erf", [g.node("Div", [x, self._c(math.sqrt(2.0), dtype)])])
        half_x = g.node("Mul", [x, self._c(0.5, dtype)])
        return g.node("Mul", [half_x, g.node("Add", [t, self._c(1.0, dtype)])], hint="gelu")

    def softplus(self, x, beta, threshold, dtype) -> str:
        g = self.g
        bx = x if beta == 1 else g.node("Mul", [x, self._c(beta, dtype)])
        sp = g.node("Softplus", [bx])
        if beta != 1:
            sp = g.node("Div", [sp, self._c(beta, dtype)])
        linear = g.node("Greater", [bx, self._c(threshold, dtype)])  # torch: x where beta*x > threshold
        return g.node("Where", [linear, x, sp], hint="softplus")

    def threshold(self, x, threshold, value, dtype) -> str:
        g = self.g
        keep = g.node("Greater", [x, self._c(threshold, dtype)])
        return g.node("Where", [keep, x, self._c(value, dtype)], hint="threshold")


def _dims(shape, axes_for_name):
    dims = list(shape)
    if isinstance(axes_for_name, dict):
        for ax, label in axes_for_name.items():
            dims[int(ax)] = str(label)
    elif axes_for_name is not None:
        for ax in axes_for_name:
            dims[int(ax)] = f"dim_{int(ax)}"
    return dims


def _as_inputs(example_inputs):
    xs = example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    out = []
    for i, x in enumerate(xs):
        t = x if isinstance(x, Tensor) else Tensor(x)
        if t.dtype.kind == "f":  # a fresh leaf that records every op applied to the input
            t = Tensor(t.array, requires_grad=True)
        out.append(t)
    return out


def _trace(model, inputs):
    was_training = model.training
    model.eval()
    rec = _Recorder(model)
    try:
        with enable_grad():
            output = model(*inputs)
    finally:
        rec.close()
        model.train(was_training)
    return rec, output


def _write_atomic(data: bytes, path) -> None:
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"onnx.export: the folder {folder!r} does not exist")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".gradkit-onnx-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _build(onnx, model, inputs, opset, input_names, output_names, dynamic_axes):
    rec, output = _trace(model, inputs)
    outs = _flat(output, [])
    if not outs:
        raise OnnxExportError(f"onnx.export: {type(model).__name__}'s forward returned no tensor")
    in_names = list(input_names) if input_names else [f"input_{i}" for i in range(len(inputs))]
    out_names = list(output_names) if output_names else [f"output_{i}" for i in range(len(outs))]
    if len(in_names) != len(inputs) or len(out_names) != len(outs):
        raise ValueError(f"onnx.export: {len(inputs)} inputs and {len(outs)} outputs, but "
                         f"{len(in_names)} input_names and {len(out_names)} output_names")
    g = Graph(onnx, opset)
    for n in in_names + out_names:
        g.reserve(n)
    dyn_batch = any(0 in (v if not isinstance(v, dict) else v.keys()) for v in dynamic_axes.values())
    em = _Emitter(onnx, g, rec, {id(t): n for t, n in zip(inputs, in_names)}, dyn_batch)
    for t, n in zip(outs, out_names):
        made = em.name(t)
        if made in in_names or made in out_names or not g.rename(made, n):
            g.nodes.append(onnx.helper.make_node("Identity", [made], [n]))
        em.names[id(t)] = n
    return g, outs, in_names, out_names, em.consts


def _perturbed(inputs):
    rng = np.random.default_rng(12345)
    out = []
    for t in inputs:
        a = t.numpy()
        if a.dtype.kind == "f":
            b = (a + rng.standard_normal(a.shape) * (np.abs(a).mean() + 1.0)).astype(a.dtype)
        elif a.dtype.kind in "iu":
            b = rng.integers(0, max(int(a.max(initial=0)), 0) + 1, size=a.shape).astype(a.dtype)
        else:
            b = ~a if a.dtype.kind == "b" else a
        out.append(_as_inputs((Tensor(b),))[0])
    return out


def _check_constants(onnx, model, inputs, opset, dynamic_axes, consts):
    """Trace again on other input values: a constant that changes is computed from the input by
    something the trace cannot follow (argmax, comparisons, ``.item()``, NumPy), and would make
    the ONNX graph silently wrong."""
    other = _build(onnx, model, _perturbed(inputs), opset, None, None, dynamic_axes)[4]
    for a, b in zip(consts, other):
        if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
            raise OnnxExportError(
                f"onnx.export: a value of shape {a.shape} in {type(model).__name__}'s forward depends on the input "
                "but is not computed by a recorded op (argmax, a comparison, .item(), NumPy or Python arithmetic "
                "on tensor values): ONNX would store it as a constant. Compute it with differentiable gradkit ops "
                "or inside a layer that has an ONNX rule")
    if len(consts) != len(other):
        raise OnnxExportError(f"onnx.export: {type(model).__name__}'s forward takes a different path for other "
                              "input values (data-dependent control flow), which one ONNX graph cannot express")


def export(model, example_inputs, path=None, *, opset_version: int = 17, input_names=None, output_names=None,
           dynamic_axes=None):
    """Write ``model`` as an ONNX file (``torch.onnx.export``'s arguments).

    Args:
        model: a gradkit ``nn.Module``. It runs once, in eval mode, on ``example_inputs``.
        example_inputs: a tensor or array, or a tuple of them (the positional arguments of ``forward``).
        path: where to write the ``.onnx`` file (written atomically); None returns the model
            proto without writing.
        opset_version: the ONNX opset (17 or later: LayerNormalization needs 17).
        input_names / output_names: names of the graph's inputs and outputs (default
            ``input_0``..., ``output_0``...).
        dynamic_axes: ``{name: {axis: label}}`` or ``{name: [axis, ...]}`` for axes that may vary,
            e.g. ``{"input_0": {0: "batch"}, "output_0": {0: "batch"}}``.

    Returns:
        The ``onnx.ModelProto`` (checked with ``onnx.checker``).

    Raises:
        OnnxExportError: a layer or op without an ONNX form (the message names it).
        ImportError: when the ``onnx`` package is missing.

    Example:
        >>> import gradkit as gk
        >>> net = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.ReLU(), gk.nn.Linear(8, 2))
        >>> proto = gk.onnx.export(net, gk.randn(3, 4), dynamic_axes={"input_0": {0: "batch"}})
        >>> [n.op_type for n in proto.graph.node]
        ['Gemm', 'Relu', 'Gemm']
    """
    onnx = require_onnx()
    if opset_version < 13:
        raise ValueError(f"onnx.export: opset_version must be >= 13, got {opset_version}")
    inputs = _as_inputs(example_inputs)
    dynamic_axes = dict(dynamic_axes or {})
    g, outs, in_names, out_names, consts = _build(onnx, model, inputs, opset_version, input_names, output_names,
                                                  dynamic_axes)
    _check_constants(onnx, model, inputs, opset_version, dynamic_axes, consts)
    vi = onnx.helper.make_tensor_value_info
    to_type = onnx.helper.np_dtype_to_tensor_dtype
    graph = onnx.helper.make_graph(
        g.nodes, type(model).__name__,
        [vi(n, to_type(t.dtype), _dims(t.shape, dynamic_axes.get(n))) for t, n in zip(inputs, in_names)],
        [vi(n, to_type(t.dtype), _dims(t.shape, dynamic_axes.get(n))) for t, n in zip(outs, out_names)],
        initializer=g.initializers,
    )
    proto = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", opset_version)],
                                   producer_name="gradkit", producer_version=__version__)
    proto.ir_version = min(proto.ir_version, 9)
    onnx.checker.check_model(proto)
    if path is not None:
        _write_atomic(proto.SerializeToString(), path)
    return proto
