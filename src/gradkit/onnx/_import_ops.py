"""How each ONNX operator runs in gradkit when a graph is loaded (:func:`gradkit.onnx.load`).

A rule is ``rule(ins, attrs, node) -> Tensor | tuple``: ``ins`` holds the input tensors (None for
an omitted optional input), ``attrs`` the node's attributes as Python values. Every rule is built
from gradkit ops, so gradients flow to the graph's weights and a loaded model can be fine-tuned.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ..nn import functional as F
from ..tensor import Tensor
from ._graph import OnnxExportError


class OnnxImportError(OnnxExportError):
    """An ONNX graph gradkit cannot load (the message names the operator and node)."""


RULES: dict = {}


def rule(*names):
    def register(fn):
        for n in names:
            RULES[n] = fn
        return fn

    return register


def _ints(t):
    return [int(v) for v in np.asarray(t.numpy()).reshape(-1)]


def _unary(fn):
    return lambda ins, a, node: fn(ins[0])


for _name, _fn in {
    "Identity": lambda x: x, "Neg": ops.neg, "Sqrt": ops.sqrt, "Exp": ops.exp, "Log": ops.log, "Abs": ops.abs,
    "Relu": ops.relu, "Sigmoid": ops.sigmoid, "Tanh": ops.tanh, "Sin": ops.sin, "Cos": ops.cos,
    "Selu": F.selu,
}.items():
    RULES[_name] = _unary(_fn)

def _binary(fn):
    return lambda ins, a, node: fn(ins[0], ins[1])


for _bname, _bfn in {"Add": ops.add, "Sub": ops.sub, "Mul": ops.mul, "Div": ops.div, "Pow": ops.pow,
                     "MatMul": ops.matmul}.items():
    RULES[_bname] = _binary(_bfn)


@rule("Sum", "Max", "Min", "Mean")
def _variadic(ins, a, node):
    f = {"Sum": ops.add, "Mean": ops.add, "Max": ops.maximum, "Min": ops.minimum}[node.op_type]
    y = ins[0]
    for x in ins[1:]:
        y = f(y, x)
    return y / len(ins) if node.op_type == "Mean" else y


@rule("Dropout")
def _dropout(ins, a, node):
    return ins[0]


@rule("LeakyRelu")
def _leaky(ins, a, node):
    return F.leaky_relu(ins[0], a.get("alpha", 0.01))


@rule("Elu")
def _elu(ins, a, node):
    return F.elu(ins[0], a.get("alpha", 1.0))


@rule("PRelu")
def _prelu(ins, a, node):
    x, w = ins  # x where x > 0, else slope * x
    return ops.maximum(x, 0.0) + ops.minimum(x, 0.0) * w


@rule("Softplus")
def _softplus(ins, a, node):
    return F.softplus(ins[0], 1.0, float("inf"))


@rule("Softmax", "LogSoftmax")
def _softmax(ins, a, node):
    f = F.softmax if node.op_type == "Softmax" else F.log_softmax
    return f(ins[0], dim=a.get("axis", -1))


@rule("Clip")
def _clip(ins, a, node):
    lo = ins[1].item() if len(ins) > 1 and ins[1] is not None else a.get("min")
    hi = ins[2].item() if len(ins) > 2 and ins[2] is not None else a.get("max")
    return ops.clamp(ins[0], lo, hi)


@rule("Gemm")
def _gemm(ins, a, node):
    x, w = ins[0], ins[1]
    if a.get("transA", 0):
        x = ops.transpose(x, 0, 1)
    if a.get("transB", 0):
        y = ops.linear(x, w)
    else:
        y = ops.matmul(x, w)
    alpha, beta = a.get("alpha", 1.0), a.get("beta", 1.0)
    if alpha != 1.0:
        y = y * alpha
    if len(ins) > 2 and ins[2] is not None:
        y = y + (ins[2] * beta if beta != 1.0 else ins[2])
    return y


def _split_pads(pads, n):
    begin, end = list(pads[:n]), list(pads[n:])
    return begin, end


def _pad_spatial(x, begin, end, value=0.0):
    flat = []
    for b, e in zip(reversed(begin), reversed(end)):
        flat += [b, e]
    return ops.pad(x, tuple(flat), value)


def _check_auto_pad(a, node):
    if a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise OnnxImportError(f"onnx.load: {node.op_type} node {node.name!r}: auto_pad={a['auto_pad']!r} is not "
                              "supported (export with explicit pads)")


@rule("Conv")
def _conv(ins, a, node):
    _check_auto_pad(a, node)
    x, w = ins[0], ins[1]
    b = ins[2] if len(ins) > 2 else None
    n = w.ndim - 2
    if n not in (1, 2):
        raise OnnxImportError(f"onnx.load: Conv node {node.name!r}: {n}-d convolution is not supported")
    begin, end = _split_pads(a.get("pads", [0] * 2 * n), n)
    if begin != end:
        x, begin = _pad_spatial(x, begin, end), [0] * n
    f = F.conv1d if n == 1 else F.conv2d
    return f(x, w, b, stride=tuple(a.get("strides", [1] * n)), padding=tuple(begin),
             dilation=tuple(a.get("dilations", [1] * n)), groups=a.get("group", 1))


@rule("ConvTranspose")
def _conv_transpose(ins, a, node):
    _check_auto_pad(a, node)
    x, w = ins[0], ins[1]
    b = ins[2] if len(ins) > 2 else None
    n = w.ndim - 2
    if n not in (1, 2) or "output_shape" in a:
        raise OnnxImportError(f"onnx.load: ConvTranspose node {node.name!r}: only 1-d/2-d with explicit pads "
                              "(no output_shape) is supported")
    begin, end = _split_pads(a.get("pads", [0] * 2 * n), n)
    if begin != end:
        raise OnnxImportError(f"onnx.load: ConvTranspose node {node.name!r}: asymmetric pads are not supported")
    f = F.conv_transpose1d if n == 1 else F.conv_transpose2d
    return f(x, w, b, stride=tuple(a.get("strides", [1] * n)), padding=tuple(begin),
             output_padding=tuple(a.get("output_padding", [0] * n)), groups=a.get("group", 1),
             dilation=tuple(a.get("dilations", [1] * n)))


@rule("MaxPool", "AveragePool")
def _pool(ins, a, node):
    _check_auto_pad(a, node)
    x, k = ins[0], a["kernel_shape"]
    n = len(k)
    begin, end = _split_pads(a.get("pads", [0] * 2 * n), n)
    strides = tuple(a.get("strides", [1] * n))
    ceil = bool(a.get("ceil_mode", 0))
    if node.op_type == "MaxPool":
        if begin != end:
            x, begin = _pad_spatial(x, begin, end, -np.inf), [0] * n
        f = F.max_pool1d if n == 1 else F.max_pool2d
        return f(x, tuple(k), strides, tuple(begin), tuple(a.get("dilations", [1] * n)), ceil)
    if begin != end:
        raise OnnxImportError(f"onnx.load: AveragePool node {node.name!r}: asymmetric pads are not supported")
    f = F.avg_pool1d if n == 1 else F.avg_pool2d
    return f(x, tuple(k), strides, tuple(begin), ceil, bool(a.get("count_include_pad", 0)))


@rule("GlobalAveragePool", "GlobalMaxPool")
def _global_pool(ins, a, node):
    x = ins[0]
    axes = tuple(range(2, x.ndim))
    return ops.mean(x, axes, True) if node.op_type == "GlobalAveragePool" else ops.amax(x, axes, True)


@rule("BatchNormalization")
def _batchnorm(ins, a, node):
    x, scale, bias, mean, var = ins[:5]
    return F.batch_norm(x, mean, var, scale, bias, training=False, eps=a.get("epsilon", 1e-5))


@rule("LayerNormalization")
def _layernorm(ins, a, node):
    x, scale = ins[0], ins[1]
    bias = ins[2] if len(ins) > 2 else None
    axis = a.get("axis", -1) % x.ndim
    return F.layer_norm(x, x.shape[axis:], scale, bias, a.get("epsilon", 1e-5))


@rule("Flatten")
def _flatten(ins, a, node):
    x = ins[0]
    axis = a.get("axis", 1) % max(x.ndim, 1) if x.ndim else 0
    lead = int(np.prod(x.shape[:axis], dtype=np.int64))
    return ops.reshape(x, (lead, -1))


@rule("Reshape")
def _reshape(ins, a, node):
    x, shape = ins[0], _ints(ins[1])
    if not a.get("allowzero", 0):
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return ops.reshape(x, tuple(shape))


@rule("Transpose")
def _transpose(ins, a, node):
    perm = a.get("perm", list(range(ins[0].ndim))[::-1])
    return ops.permute(ins[0], tuple(perm))


@rule("Concat")
def _concat(ins, a, node):
    parts = [x for x in ins if x is not None]
    kept = [x for x in parts if x.numel()] or parts[:1]  # exporters may concatenate empty tensors
    return ops.cat(kept, dim=a["axis"])


def _axes(ins, a, x):
    ax = _ints(ins[1]) if len(ins) > 1 and ins[1] is not None else a.get("axes")
    return None if ax is None else [v % max(x.ndim, 1) for v in ax]


@rule("Unsqueeze")
def _unsqueeze(ins, a, node):
    x = ins[0]
    ax = ins[1] if len(ins) > 1 else None
    axes = sorted(_ints(ax) if ax is not None else a["axes"])
    nd = x.ndim + len(axes)
    for d in sorted(v % nd for v in axes):
        x = ops.unsqueeze(x, d)
    return x


@rule("Squeeze")
def _squeeze(ins, a, node):
    x = ins[0]
    axes = _axes(ins, a, x)
    if axes is None:
        return ops.squeeze(x)
    for d in sorted(axes, reverse=True):
        x = ops.squeeze(x, d)
    return x


@rule("Slice")
def _slice(ins, a, node):
    x = ins[0]
    starts, ends = _ints(ins[1]), _ints(ins[2])
    axes = _ints(ins[3]) if len(ins) > 3 and ins[3] is not None else list(range(len(starts)))
    steps = _ints(ins[4]) if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
    index = [slice(None)] * x.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        n = x.shape[ax]
        lim = -1 if st < 0 else n
        s = min(max(s + n if s < 0 else s, -1 if st < 0 else 0), lim)
        e = e + n if e < 0 and e > -(2 ** 62) else e
        e = min(max(e, -1), n)
        index[ax % x.ndim] = slice(s, None if (st < 0 and e < 0) else e, st)
    return ops.getitem(x, tuple(index))


@rule("Gather")
def _gather(ins, a, node):
    data, idx = ins
    axis = a.get("axis", 0) % max(data.ndim, 1)
    ids = np.asarray(idx.numpy()).astype(np.int64)
    ids = np.where(ids < 0, ids + data.shape[axis], ids)
    index = (slice(None),) * axis + (ids,)
    return ops.getitem(data, index)


@rule("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin")
def _reduce(ins, a, node):
    x = ins[0]
    axes = _axes(ins, a, x)
    keep = bool(a.get("keepdims", 1))
    if axes is None or axes == []:
        if axes == [] and a.get("noop_with_empty_axes", 0):
            return x
        axes = list(range(x.ndim))
    f = {"ReduceMean": ops.mean, "ReduceSum": ops.sum, "ReduceMax": ops.amax, "ReduceMin": ops.amin}[node.op_type]
    return f(x, tuple(axes), keep)


@rule("Shape")
def _shape(ins, a, node):
    return Tensor(np.asarray(ins[0].shape, dtype=np.int64))


@rule("ConstantOfShape")
def _constant_of_shape(ins, a, node):
    value = np.asarray(a.get("value", np.zeros(1, np.float32))).reshape(-1)
    return Tensor(np.full(_ints(ins[0]), value[0], dtype=value.dtype))


@rule("Erf")
def _erf(ins, a, node):
    return ops.erf(ins[0])


@rule("Cast")
def _cast(ins, a, node):
    from onnx import helper

    return ops.cast(ins[0], helper.tensor_dtype_to_np_dtype(a["to"]))


@rule("Where")
def _where(ins, a, node):
    return ops.where(ins[0], ins[1], ins[2])


@rule("Greater", "Less", "Equal", "GreaterOrEqual", "LessOrEqual")
def _compare(ins, a, node):
    how = {"Greater": "gt", "Less": "lt", "Equal": "eq", "GreaterOrEqual": "ge", "LessOrEqual": "le"}
    return ops.compare(ins[0], ins[1], how[node.op_type])


@rule("Expand")
def _expand(ins, a, node):
    x, shape = ins[0], _ints(ins[1])
    nd = max(len(shape), x.ndim)
    xs = (1,) * (nd - x.ndim) + tuple(x.shape)
    target = [max(s, t) if t != 1 or s == 1 else s for s, t in zip(xs, (1,) * (nd - len(shape)) + tuple(shape))]
    return ops.broadcast_to(ops.reshape(x, xs), tuple(target))


@rule("Pad")
def _pad(ins, a, node):
    mode = {"constant": "constant", "reflect": "reflect", "edge": "replicate", "wrap": "circular"}.get(
        a.get("mode", "constant"))
    if mode is None:
        raise OnnxImportError(f"onnx.load: Pad node {node.name!r}: mode {a.get('mode')!r} is not supported")
    x, pads = ins[0], _ints(ins[1])
    value = ins[2].item() if len(ins) > 2 and ins[2] is not None else 0.0
    n = x.ndim
    if mode == "constant":
        return ops.pad(x, tuple((pads[i], pads[i + n]) for i in range(n)), value)
    flat = [v for i in reversed(range(n)) for v in (pads[i], pads[i + n])]  # torch's order: last dim first
    while len(flat) > 2 and flat[-2:] == [0, 0]:  # torch's pad modes cover the trailing dimensions only
        flat = flat[:-2]
    return F.pad(x, tuple(flat), mode=mode)


# ----------------------------------------------------------------------- recurrent operators
_TO_TORCH = {"LSTM": (4, [0, 2, 3, 1]), "GRU": (3, [1, 0, 2]), "RNN": (1, [0])}  # onnx iofc -> ifgo; zrh -> rzn


def _gates_from_onnx(w, kind, hidden):
    n, order = _TO_TORCH[kind]
    if n == 1:
        return w
    blocks = [ops.getitem(w, slice(i * hidden, (i + 1) * hidden)) for i in range(n)]
    return ops.cat([blocks[i] for i in order], dim=0)


def _rnn_mode(kind, a, node):
    acts = [s.decode() if isinstance(s, bytes) else s for s in a.get("activations", [])]
    if a.get("clip") is not None or a.get("layout", 0) != 0:
        raise OnnxImportError(f"onnx.load: {kind} node {node.name!r}: clip and layout=1 are not supported")
    if kind == "GRU" and not a.get("linear_before_reset", 0):
        raise OnnxImportError(f"onnx.load: GRU node {node.name!r}: linear_before_reset=0 is not gradkit's "
                              "(PyTorch's) GRU; export with linear_before_reset=1")
    if kind == "RNN":
        act = (acts or ["Tanh"])[0]
        if act not in ("Tanh", "Relu"):
            raise OnnxImportError(f"onnx.load: RNN node {node.name!r}: activation {act!r} is not supported")
        return "RNN_TANH" if act == "Tanh" else "RNN_RELU"
    default = ["Sigmoid", "Tanh", "Tanh"] if kind == "LSTM" else ["Sigmoid", "Tanh"]
    if acts and acts[:len(default)] != default:
        raise OnnxImportError(f"onnx.load: {kind} node {node.name!r}: activations {acts} are not supported")
    return kind


@rule("RNN", "LSTM", "GRU")
def _recurrent(ins, a, node):
    kind = node.op_type
    mode = _rnn_mode(kind, a, node)
    ins = list(ins) + [None] * (8 - len(ins))
    x, W, R, B, seq_lens, h0, c0 = ins[:7]
    if seq_lens is not None:
        raise OnnxImportError(f"onnx.load: {kind} node {node.name!r}: sequence_lens is not supported yet")
    H = int(a["hidden_size"])
    direction = a.get("direction", "forward")
    dirs = 2 if direction == "bidirectional" else 1
    Bn = x.shape[1]
    ys, hs, cs = [], [], []
    for d in range(dirs):
        w_ih = _gates_from_onnx(W[d], kind, H)
        w_hh = _gates_from_onnx(R[d], kind, H)
        b_ih = b_hh = None
        if B is not None:
            g = W.shape[1]
            b_ih = _gates_from_onnx(ops.getitem(B[d], slice(0, g)), kind, H)
            b_hh = _gates_from_onnx(ops.getitem(B[d], slice(g, 2 * g)), kind, H)
        zeros = Tensor(np.zeros((Bn, H), dtype=x.dtype))
        h = h0[d] if h0 is not None else zeros
        hx = (h, c0[d] if c0 is not None else zeros) if kind == "LSTM" else h
        reverse = direction == "reverse" or d == 1
        y, hn = F.rnn.rnn_sequence(mode, x, hx, w_ih, w_hh, b_ih, b_hh, reverse=reverse)
        ys.append(ops.unsqueeze(y, 1))
        if kind == "LSTM":
            hs.append(hn[0]), cs.append(hn[1])
        else:
            hs.append(hn)
    Y = ops.cat(ys, dim=1) if dirs > 1 else ys[0]
    Y_h = ops.stack(hs, 0)
    if kind == "LSTM":
        return Y, Y_h, ops.stack(cs, 0)
    return Y, Y_h


__all__ = ["OnnxImportError", "RULES"]
