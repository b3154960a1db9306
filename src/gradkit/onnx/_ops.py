"""How the ops recorded between layers (residual adds, reshapes, slicing, functional
activations written in a ``forward``) are written as ONNX nodes.

A rule is ``rule(em, op, ins, out) -> name``: ``op`` is the recorded gradkit op, ``ins`` the ONNX
names of its inputs and ``out`` the tensor it produced. Rules are looked up by the op's class name.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._graph import OnnxExportError

RULES: dict = {}


def rule(*names):
    def register(fn):
        for n in names:
            RULES[n] = fn
        return fn

    return register


def _simple(op_type):
    def fn(em, op, ins, out):
        return em.g.node(op_type, ins, hint=op_type.lower())

    return fn


for _gk, _onnx in {
    "Add": "Add", "Sub": "Sub", "Mul": "Mul", "Div": "Div", "Neg": "Neg", "Pow": "Pow", "Exp": "Exp",
    "Log": "Log", "Sqrt": "Sqrt", "Abs": "Abs", "Sin": "Sin", "Cos": "Cos", "Tanh": "Tanh",
    "Sigmoid": "Sigmoid", "ReLU": "Relu", "MatMul": "MatMul", "Clone": "Identity",
}.items():
    RULES[_gk] = _simple(_onnx)


def _scalar(em, c, like):
    return em.g.const(np.asarray(c, dtype=like.dtype), "scalar")


# ops with a Python number: (ONNX op, whether the number comes first: c - x, c / x)
_SCALAR_OPS = {"AddScalar": ("Add", False), "MulScalar": ("Mul", False), "RSubScalar": ("Sub", True),
               "DivScalar": ("Div", False), "RDivScalar": ("Div", True), "PowScalar": ("Pow", False)}


def _scalar_rule(op_type, reflected):
    def fn(em, op, ins, out):
        c = _scalar(em, op.c, out)
        return em.g.node(op_type, [c, ins[0]] if reflected else [ins[0], c])

    return fn


for _gk_name, (_onnx_name, _reflected) in _SCALAR_OPS.items():
    RULES[_gk_name] = _scalar_rule(_onnx_name, _reflected)


@rule("Clamp")
def _clamp(em, op, ins, out):
    lo = _scalar(em, op.lo, out) if op.lo is not None else ""
    hi = _scalar(em, op.hi, out) if op.hi is not None else ""
    return em.g.node("Clip", [ins[0], lo, hi] if hi else [ins[0], lo], hint="clip")


@rule("Maximum")
def _maximum(em, op, ins, out):
    return em.g.node("Min" if getattr(op, "_pick", "maximum") == "minimum" else "Max", ins)


@rule("Where")
def _where(em, op, ins, out):
    return em.g.node("Where", [em.g.const(np.asarray(op.cond, dtype=bool), "cond"), *ins])


@rule("Cast")
def _cast(em, op, ins, out):
    return em.g.node("Cast", ins, to=em.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(op.dtype)))


@rule("Linear")
def _linear(em, op, ins, out):
    g = em.g
    x = op.inputs[0]
    if x.ndim == 2:
        return g.node("Gemm", ins, hint="linear", transB=1)
    y = g.node("MatMul", [ins[0], g.node("Transpose", [ins[1]], perm=[1, 0])], hint="linear")
    return g.node("Add", [y, ins[2]]) if len(ins) > 2 else y


@rule("Reshape")
def _reshape(em, op, ins, out):
    src = op.inputs[0].shape
    target = list(out.shape)
    if em.dynamic_batch and target and src and target[0] == src[0]:
        target[0] = 0  # keep the (possibly dynamic) batch dimension
    return em.g.node("Reshape", [ins[0], em.g.ints(target)], hint="reshape")


@rule("Permute")
def _permute(em, op, ins, out):
    return em.g.node("Transpose", ins, perm=[int(a) for a in op.axes])


@rule("BroadcastTo")
def _broadcast(em, op, ins, out):
    return em.g.node("Expand", [ins[0], em.g.ints(out.shape)], hint="expand")


@rule("Cat")
def _cat(em, op, ins, out):
    return em.g.node("Concat", ins, axis=int(op.axis))


@rule("Sum", "AMax")
def _reduce(em, op, ins, out):
    g, x = em.g, op.inputs[0]
    kind = "ReduceSum" if type(op).__name__ == "Sum" else ("ReduceMin" if op.minimum else "ReduceMax")
    axes = op.axes if op.axes is not None else tuple(range(x.ndim))
    axes = [int(a) % max(x.ndim, 1) for a in (axes if isinstance(axes, (tuple, list)) else (axes,))]
    if kind == "ReduceSum" or g.opset >= 18:
        return g.node(kind, [ins[0], g.ints(axes, "axes")], keepdims=int(bool(op.keepdims)))
    return g.node(kind, ins, axes=axes, keepdims=int(bool(op.keepdims)))


@rule("_Softmax", "_LogSoftmax")
def _softmax(em, op, ins, out):
    kind = "Softmax" if type(op).__name__ == "_Softmax" else "LogSoftmax"
    return em.g.node(kind, ins, axis=int(op.axis))


@rule("_LeakyReLU")
def _leaky(em, op, ins, out):
    return em.g.node("LeakyRelu", ins, alpha=float(op.slope))


@rule("_ELU")
def _elu(em, op, ins, out):
    y = em.g.node("Elu", ins, alpha=float(op.alpha))
    return y if op.scale == 1.0 else em.g.node("Mul", [y, _scalar(em, op.scale, out)])


@rule("_GELU")
def _gelu(em, op, ins, out):
    return em.gelu(ins[0], op.approximate, out.dtype)


@rule("_Softplus")
def _softplus(em, op, ins, out):
    return em.softplus(ins[0], op.beta, op.threshold, out.dtype)


@rule("_Threshold")
def _threshold(em, op, ins, out):
    return em.threshold(ins[0], op.threshold, op.value, out.dtype)


@rule("MaskMul")
def _mask_mul(em, op, ins, out):
    return em.g.node("Mul", [ins[0], em.g.const(np.asarray(op.mask, dtype=out.dtype), "mask")])


# ----------------------------------------------------------------------- indexing
def _basic_index(index):
    items = index if isinstance(index, tuple) else (index,)
    for i in items:
        if not (i is None or i is Ellipsis or isinstance(i, (slice, numbers.Integral))):
            return None
    return items


@rule("GetItem")
def _getitem(em, op, ins, out):
    x = op.inputs[0]
    items = _basic_index(op.index)
    if items is None:
        arr = op.index if not isinstance(op.index, tuple) else (op.index[0] if len(op.index) == 1 else None)
        if arr is not None and getattr(arr, "dtype", None) is not None and arr.dtype.kind in "iu":
            return em.g.node("Gather", [ins[0], em.g.const(np.asarray(arr, np.int64), "index")], axis=0)
        raise OnnxExportError("onnx.export: indexing with index arrays or masks other than one integer array "
                              f"on the first dimension is not supported (index {op.index!r})")
    return em.slice_basic(ins[0], x.shape, items)


def find_rule(op):
    return RULES.get(type(op).__name__)
