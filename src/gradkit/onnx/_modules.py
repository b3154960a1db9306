"""How each gradkit layer is written as ONNX nodes (layers are exported whole, not op by op).

A rule is ``rule(em, module, args, outputs) -> list of output names``: ``em`` is the
:class:`~gradkit.onnx.export._Emitter` (``em.g`` the graph, ``em.name(t)`` the ONNX name of an
input tensor), ``args`` the positional arguments the layer was called with and ``outputs`` the
tensors it returned, flattened in order. Names and gate orders follow the ONNX operator
specification; torch's layouts (weights (out, in), LSTM gates i, f, g, o) are mapped here.
"""

from __future__ import annotations

import numpy as np

from .. import nn
from ._graph import OnnxExportError

RULES: dict = {}


def rule(*classes):
    def register(fn):
        for cls in classes:
            RULES[cls] = fn
        return fn

    return register


def find_rule(module):
    """The rule for ``module``'s class, or for a gradkit base class whose ``forward`` it keeps."""
    for cls in type(module).__mro__:
        fn = RULES.get(cls)
        if fn is not None and type(module).forward is cls.forward:
            return fn
    return None


def _arr(t):
    return np.asarray(t.numpy())


def _tup(v, n):
    """A layer setting (int or sequence) as a list of ``n`` ints."""
    return [int(v)] * n if isinstance(v, (int, np.integer)) else [int(a) for a in v]


# ----------------------------------------------------------------------- dense and embedding
@rule(nn.Linear)
def _linear(em, m, args, outputs):
    g, x = em.g, args[0]
    w = em.param(m.weight)
    if x.ndim == 2:
        ins = [em.name(x), w] + ([em.param(m.bias)] if m.bias is not None else [])
        return [g.node("Gemm", ins, hint="linear", transB=1)]
    wt = g.node("Transpose", [w], perm=[1, 0])
    y = g.node("MatMul", [em.name(x), wt], hint="linear")
    return [g.node("Add", [y, em.param(m.bias)], hint="linear")] if m.bias is not None else [y]


@rule(nn.Embedding)
def _embedding(em, m, args, outputs):
    ids = em.name(args[0])
    if args[0].dtype != np.int64:
        ids = em.g.node("Cast", [ids], to=em.onnx.TensorProto.INT64)
    return [em.g.node("Gather", [em.param(m.weight), ids], hint="embedding", axis=0)]


# ----------------------------------------------------------------------- convolution and pooling
def _conv_pads(m, x):
    k, d = m.kernel_size, m.dilation
    if isinstance(m.padding, str):
        if m.padding == "valid":
            return [0] * (2 * len(k))
        total = [di * (ki - 1) for ki, di in zip(k, d)]  # 'same' (stride 1): extra on the right
        return [t // 2 for t in total] + [t - t // 2 for t in total]
    return list(m.padding) * 2


_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@rule(nn.Conv1d, nn.Conv2d)
def _conv(em, m, args, outputs):
    g, x = em.g, args[0]
    pads, inp = _conv_pads(m, x), em.name(x)
    if m.padding_mode != "zeros" and any(pads):
        if m.padding_mode == "circular" and g.opset < 19:
            raise OnnxExportError(f"onnx.export: {type(m).__name__} with padding_mode='circular' needs opset >= 19")
        n = len(m.kernel_size)
        full = [0, 0] + pads[:n] + [0, 0] + pads[n:]
        inp = g.node("Pad", [inp, g.ints(full, "pads")], mode=_PAD_MODES[m.padding_mode])
        pads = [0] * (2 * n)
    ins = [inp, em.param(m.weight)] + ([em.param(m.bias)] if m.bias is not None else [])
    return [g.node("Conv", ins, hint="conv", kernel_shape=list(m.kernel_size), strides=list(m.stride),
                   pads=pads, dilations=list(m.dilation), group=int(m.groups))]


@rule(nn.ConvTranspose1d, nn.ConvTranspose2d)
def _conv_transpose(em, m, args, outputs):
    g, x = em.g, args[0]
    n = x.ndim - 2
    if len(args) > 1:
        raise OnnxExportError(f"onnx.export: {type(m).__name__} called with output_size is not supported; "
                              "set output_padding on the layer instead")
    ins = [em.name(x), em.param(m.weight)] + ([em.param(m.bias)] if m.bias is not None else [])
    return [g.node("ConvTranspose", ins, hint="convtranspose", kernel_shape=_tup(m.kernel_size, n),
                   strides=_tup(m.stride, n), pads=_tup(m.padding, n) * 2, dilations=_tup(m.dilation, n),
                   output_padding=_tup(m.output_padding, n), group=int(m.groups))]


@rule(nn.MaxPool1d, nn.MaxPool2d)
def _maxpool(em, m, args, outputs):
    if m.return_indices:
        raise OnnxExportError(f"onnx.export: {type(m).__name__}(return_indices=True) is not supported")
    n = args[0].ndim - 2
    attrs = dict(kernel_shape=_tup(m.kernel_size, n), strides=_tup(m.stride, n), pads=_tup(m.padding, n) * 2,
                 ceil_mode=int(m.ceil_mode))
    if any(d != 1 for d in _tup(m.dilation, n)):
        attrs["dilations"] = _tup(m.dilation, n)
    return [em.g.node("MaxPool", [em.name(args[0])], hint="maxpool", **attrs)]


@rule(nn.AvgPool1d, nn.AvgPool2d)
def _avgpool(em, m, args, outputs):
    if getattr(m, "divisor_override", None) is not None:
        raise OnnxExportError(f"onnx.export: {type(m).__name__}(divisor_override=...) has no ONNX form")
    n = args[0].ndim - 2
    return [em.g.node("AveragePool", [em.name(args[0])], hint="avgpool", kernel_shape=_tup(m.kernel_size, n),
                      strides=_tup(m.stride, n), pads=_tup(m.padding, n) * 2, ceil_mode=int(m.ceil_mode),
                      count_include_pad=int(m.count_include_pad))]


@rule(nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)
def _adaptive_avg(em, m, args, outputs):
    x, g = args[0], em.g
    spatial = x.shape[2:]
    size = m.output_size if isinstance(m.output_size, (tuple, list)) else (m.output_size,) * len(spatial)
    out = [s if o is None else int(o) for s, o in zip(spatial, size)]
    if all(o == 1 for o in out):
        return [g.node("GlobalAveragePool", [em.name(x)], hint="avgpool")]
    if any(s % o for s, o in zip(spatial, out)):
        raise OnnxExportError(
            f"onnx.export: {type(m).__name__}(output_size={m.output_size!r}) on a {tuple(spatial)} input has "
            "no ONNX form: each input size must be a multiple of the output size")
    k = [s // o for s, o in zip(spatial, out)]
    return [g.node("AveragePool", [em.name(x)], hint="avgpool", kernel_shape=k, strides=k)]


@rule(nn.GlobalAvgPool2d)
def _global_avg(em, m, args, outputs):
    g = em.g
    y = g.node("GlobalAveragePool", [em.name(args[0])], hint="avgpool")
    if getattr(m, "keepdim", False):
        return [y]
    return [g.node("Flatten", [y], axis=1)]


# ----------------------------------------------------------------------- normalization
@rule(nn.BatchNorm1d, nn.BatchNorm2d)
def _batchnorm(em, m, args, outputs):
    if m.running_mean is None:
        raise OnnxExportError(f"onnx.export: {type(m).__name__}(track_running_stats=False) normalizes with "
                              "batch statistics in eval mode, which ONNX's BatchNormalization cannot express")
    c = m.num_features
    dt = m.running_mean.dtype
    scale = em.param(m.weight) if m.weight is not None else em.g.const(np.ones(c, dt), "bn_scale")
    bias = em.param(m.bias) if m.bias is not None else em.g.const(np.zeros(c, dt), "bn_bias")
    ins = [em.name(args[0]), scale, bias, em.param(m.running_mean), em.param(m.running_var)]
    return [em.g.node("BatchNormalization", ins, hint="batchnorm", epsilon=float(m.eps))]


@rule(nn.LayerNorm)
def _layernorm(em, m, args, outputs):
    g, x = em.g, args[0]
    if g.opset < 17:
        raise OnnxExportError("onnx.export: LayerNorm needs opset_version >= 17 (LayerNormalization)")
    shape, dt = m.normalized_shape, x.dtype
    scale = em.param(m.weight) if m.weight is not None else g.const(np.ones(shape, dt), "ln_scale")
    ins = [em.name(x), scale] + ([em.param(m.bias)] if m.bias is not None else
                                 [g.const(np.zeros(shape, dt), "ln_bias")])
    return [g.node("LayerNormalization", ins, hint="layernorm", axis=-len(shape), epsilon=float(m.eps))]


# ----------------------------------------------------------------------- activations and shapes
def _unary(op_type, **attrs):
    def fn(em, m, args, outputs):
        return [em.g.node(op_type, [em.name(args[0])], hint=op_type.lower(), **attrs)]

    return fn


RULES[nn.ReLU] = _unary("Relu")
RULES[nn.Sigmoid] = _unary("Sigmoid")
RULES[nn.Tanh] = _unary("Tanh")
RULES[nn.SELU] = _unary("Selu")


@rule(nn.LeakyReLU)
def _leaky(em, m, args, outputs):
    return [em.g.node("LeakyRelu", [em.name(args[0])], alpha=float(m.negative_slope))]


@rule(nn.ELU)
def _elu(em, m, args, outputs):
    return [em.g.node("Elu", [em.name(args[0])], alpha=float(m.alpha))]


@rule(nn.PReLU)
def _prelu(em, m, args, outputs):
    x = args[0]
    w = _arr(m.weight)
    slope = w.reshape((-1,) + (1,) * max(x.ndim - 2, 0)) if x.ndim >= 2 and w.size > 1 else w
    return [em.g.node("PRelu", [em.name(x), em.param(m.weight, slope)], hint="prelu")]


@rule(nn.Softplus)
def _softplus(em, m, args, outputs):
    return [em.softplus(em.name(args[0]), m.beta, m.threshold, args[0].dtype)]


@rule(nn.GELU)
def _gelu(em, m, args, outputs):
    return [em.gelu(em.name(args[0]), m.approximate, args[0].dtype)]


@rule(nn.Softmax, nn.LogSoftmax)
def _softmax(em, m, args, outputs):
    op = "Softmax" if isinstance(m, nn.Softmax) else "LogSoftmax"
    dim = m.dim if m.dim is not None else (0 if args[0].ndim in (0, 1, 3) else 1)  # torch's legacy choice
    return [em.g.node(op, [em.name(args[0])], hint=op.lower(), axis=int(dim))]


@rule(nn.Threshold)
def _threshold(em, m, args, outputs):
    return [em.threshold(em.name(args[0]), m.threshold, m.value, args[0].dtype)]


@rule(nn.Identity, nn.Dropout, nn.Dropout2d, nn.AlphaDropout)
def _identity(em, m, args, outputs):
    return [em.g.node("Identity", [em.name(args[0])], hint="identity")]


@rule(nn.Flatten)
def _flatten(em, m, args, outputs):
    x = args[0]
    nd = max(x.ndim, 1)
    s, e = m.start_dim % nd, m.end_dim % nd
    target = [0] * s + [-1] + list(x.shape[e + 1:])
    return [em.g.node("Reshape", [em.name(x), em.g.ints(target)], hint="flatten")]


@rule(nn.Unflatten)
def _unflatten(em, m, args, outputs):
    x = args[0]
    d = m.dim % x.ndim
    target = [0] * d + list(m.unflattened_size) + list(x.shape[d + 1:])
    return [em.g.node("Reshape", [em.name(x), em.g.ints(target)], hint="unflatten")]


# ----------------------------------------------------------------------- recurrent layers
_GATES = {"LSTM": (4, [0, 3, 1, 2]), "GRU": (3, [1, 0, 2])}  # torch ifgo -> onnx iofc; rzn -> zrh


def _gates_to_onnx(w, mode, hidden):
    n, order = _GATES.get(mode, (1, [0]))
    blocks = [w[i * hidden:(i + 1) * hidden] for i in range(n)]
    return np.concatenate([blocks[i] for i in order], axis=0)


def _rnn_layer_weights(m, layer):
    dirs = 2 if m.bidirectional else 1
    H, mode = m.hidden_size, m.mode
    W, R, B = [], [], []
    for d in range(dirs):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        wi, wh = _arr(getattr(m, "weight_ih" + sfx)), _arr(getattr(m, "weight_hh" + sfx))
        W.append(_gates_to_onnx(wi, mode, H))
        R.append(_gates_to_onnx(wh, mode, H))
        if m.bias:
            bi, bh = _arr(getattr(m, "bias_ih" + sfx)), _arr(getattr(m, "bias_hh" + sfx))
            B.append(np.concatenate([_gates_to_onnx(bi, mode, H), _gates_to_onnx(bh, mode, H)]))
        else:
            B.append(np.zeros(2 * wi.shape[0], wi.dtype))
    return np.stack(W), np.stack(R), np.stack(B)


@rule(nn.RNN, nn.LSTM, nn.GRU)
def _recurrent(em, m, args, outputs):
    g, x = em.g, args[0]
    if x.ndim != 3:
        raise OnnxExportError(f"onnx.export: {type(m).__name__} is exported for batched (3-d) input only")
    mode, H = m.mode, m.hidden_size
    dirs = 2 if m.bidirectional else 1
    hx = args[1] if len(args) > 1 else None
    h0, c0 = (hx if isinstance(hx, (tuple, list)) else (hx, None)) if hx is not None else (None, None)
    op_type = {"LSTM": "LSTM", "GRU": "GRU"}.get(mode, "RNN")
    y = em.name(x)
    if m.batch_first:
        y = g.node("Transpose", [y], perm=[1, 0, 2])
    hs, cs = [], []
    for layer in range(m.num_layers):
        W, R, B = _rnn_layer_weights(m, layer)
        ins = [y, g.const(W, f"W_l{layer}"), g.const(R, f"R_l{layer}"), g.const(B, f"B_l{layer}"), ""]
        sl = (layer * dirs, (layer + 1) * dirs)
        ins.append(em.slice0(h0, *sl) if h0 is not None else "")
        if op_type == "LSTM":
            ins.append(em.slice0(c0, *sl) if c0 is not None else "")
        while ins and ins[-1] == "":
            ins.pop()
        attrs = dict(hidden_size=H, direction="bidirectional" if dirs == 2 else "forward")
        if op_type == "GRU":
            attrs["linear_before_reset"] = 1
        if op_type == "RNN":
            attrs["activations"] = ["Relu" if m.nonlinearity == "relu" else "Tanh"] * dirs
        outs = g.node(op_type, ins, n_out=3 if op_type == "LSTM" else 2, hint=op_type.lower(), **attrs)
        seq = g.node("Transpose", [outs[0]], perm=[0, 2, 1, 3])  # (T, dirs, B, H) -> (T, B, dirs, H)
        y = g.node("Reshape", [seq, g.ints([0, 0, dirs * H])])
        hs.append(outs[1])
        if op_type == "LSTM":
            cs.append(outs[2])
    out = g.node("Transpose", [y], perm=[1, 0, 2]) if m.batch_first else g.node("Identity", [y])
    h_n = g.node("Concat", hs, axis=0) if len(hs) > 1 else g.node("Identity", hs)
    if op_type != "LSTM":
        return [out, h_n]
    c_n = g.node("Concat", cs, axis=0) if len(cs) > 1 else g.node("Identity", cs)
    return [out, h_n, c_n]


def is_identity_call(module, args, outputs) -> bool:
    """True when a layer returned its input unchanged (Dropout in eval mode, Identity)."""
    return len(outputs) == 1 and any(o is a for a in args for o in outputs)


__all__ = ["RULES", "find_rule", "is_identity_call"]
