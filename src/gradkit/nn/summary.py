"""``model.summary(input_shape)``: a Keras-style table of a model's layers.

Without ``input_shape`` the shape is read from the layers when the first one with
parameters fixes it (a model starting with ``Linear(784, ...)``, possibly after ``Flatten``
or activations, takes samples of shape ``(784,)``); otherwise the error says which layer
needs it.

A zero batch of the given shape is run through the model (in evaluation mode, without
recording gradients; the mode is restored afterwards) with forward hooks that note each
layer's output shape. Rows are the layers that own parameters or have no children
(``Sequential`` and other containers are not rows themselves), so the parameter
column sums to the total. Frozen parameters (``requires_grad=False``) count as
non-trainable. The memory estimate is parameter bytes plus the bytes of every row's
output for that batch (what training keeps for backward, roughly).

Example:
    >>> import gradkit as gk
    >>> net = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.Linear(8, 2))
    >>> text = net.summary((4,), print_fn=None)
    >>> "Total params: 58" in text
    True
    >>> "Input shape: (1, 4)" in net.summary(print_fn=None)   # read from Linear(4, 8)
    True
"""

from __future__ import annotations

import io

import numpy as np

from ..autograd.grad_mode import no_grad
from ..backend import get_default_dtype
from ..ops._util import shape_str
from ..tensor import Tensor

__all__ = ["summary", "summary_rows", "infer_input_shape"]

# layers without parameters that accept any sample shape, so the first layer after them decides it
_SHAPE_FREE = ("Flatten", "Dropout", "Identity", "AlphaDropout", "ReLU", "LeakyReLU", "ELU", "SELU", "GELU", "SiLU",
               "Mish", "Sigmoid", "Tanh", "Softplus", "Softsign", "Hardtanh", "ReLU6", "Hardswish", "Hardsigmoid",
               "Softmax", "LogSoftmax", "PReLU")


def infer_input_shape(model) -> tuple:
    """The shape of one sample that ``model`` takes, read from its first layer (without running it).

    The first leaf layer, skipping parameter-free layers that accept any shape (``Flatten``,
    ``Dropout``, activations), must have an ``in_features`` (``Linear``, ``Bilinear``...):
    the sample shape is then ``(in_features,)``.

    Args:
        model: a :class:`~gradkit.nn.Module`.

    Returns:
        The sample shape, without the batch dimension.

    Raises:
        ValueError: when the first layer does not fix the whole shape (a convolution's spatial
            size, a sequence length), naming the layer; pass ``input_shape`` then.

    Example:
        >>> import gradkit as gk
        >>> infer_input_shape(gk.nn.Sequential(gk.nn.Flatten(), gk.nn.Linear(784, 10)))
        (784,)
    """
    for name, mod in model.named_modules():
        if any(True for _ in mod.children()):
            continue
        kind = type(mod).__name__
        n_in = getattr(mod, "in_features", None)
        if isinstance(n_in, int) and n_in > 0:
            return (n_in,)
        if kind in _SHAPE_FREE:
            continue
        what = {"in_channels": "its spatial size", "input_size": "the sequence length",
                "num_embeddings": "the sequence length"}
        missing = next((v for k, v in what.items() if hasattr(mod, k)), "the input's shape")
        raise ValueError(f"summary: the first layer {name or kind} ({kind}) does not give {missing}; pass the shape "
                         f"of one sample, e.g. model.summary(input_shape=(1, 28, 28)) for 28x28 grayscale images")
    raise ValueError(f"summary: {type(model).__name__} has no layer that gives its input's shape; "
                     "pass input_shape (the shape of one sample)")


def _shape_of(out):
    if isinstance(out, Tensor):
        return tuple(out.shape)
    if isinstance(out, (tuple, list)):
        return [_shape_of(o) for o in out]
    return None


def _nbytes(out):
    if isinstance(out, Tensor):
        return int(out.array.nbytes)
    if isinstance(out, (tuple, list)):
        return sum(_nbytes(o) for o in out)
    return 0


def _fmt_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024.0
    return f"{n:.2f} GB"  # pragma: no cover


def summary_rows(model, input_shape=None, *, dtype=None, batch_size: int = 1):
    """Run a zero batch through ``model`` and describe its layers.

    Args:
        model: a :class:`~gradkit.nn.Module`.
        input_shape: the shape of one sample (without the batch dimension), or a list of
            such shapes for a model taking several inputs; ``None`` reads it from the first
            layer (:func:`infer_input_shape`).
        dtype: the input dtype (default: the model's first floating parameter's, else the default).
        batch_size: the batch size of the zero batch (default 1).

    Returns:
        ``(rows, totals)``: rows are dicts with ``name``, ``type``, ``output_shape``,
        ``params``, ``trainable`` (``"yes"``, ``"no"``, ``"partly"`` or ``"-"``) and ``out_bytes``;
        totals has ``total``, ``trainable``, ``non_trainable``, ``param_bytes``,
        ``activation_bytes`` and ``total_bytes``.

    Raises:
        RuntimeError: when the forward pass fails, naming the input shape tried.
        ValueError: without ``input_shape``, when the layers do not give it.
    """
    if input_shape is None:
        input_shape = infer_input_shape(model)
    if dtype is None:
        dtype = next((p.dtype for p in model.parameters() if p.dtype.kind == "f"), get_default_dtype())
    shapes = input_shape if input_shape and isinstance(input_shape[0], (tuple, list)) else [input_shape]
    inputs = [Tensor(np.zeros((batch_size,) + tuple(s), dtype=dtype)) for s in shapes]
    first = next(iter(model.parameters()), None)
    if first is None:  # BatchNorm(affine=False): its buffers say where it lives
        first = next(iter(model.buffers()), None)
    if first is not None and first.device != "cpu":
        inputs = [x.to(first.device) for x in inputs]

    entries = []
    for name, mod in model.named_modules():
        own = [p for p in mod._parameters.values() if p is not None]
        has_children = any(True for _ in mod.children())
        if own or not has_children:
            entries.append((name or type(mod).__name__, mod, own))
    outputs = {}
    handles = []
    for name, mod, _ in entries:
        def hook(m, inp, out, _name=name):
            outputs[_name] = out
        handles.append(mod.register_forward_hook(hook))
    was_training = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad():
            model(*inputs)
    except Exception as exc:
        raise RuntimeError(
            f"summary: the forward pass of {type(model).__name__} failed on a zero batch of shape "
            f"{[tuple(x.shape) for x in inputs]}: {exc}"
        ) from exc
    finally:
        for h in handles:
            h.remove()
        for m, t in was_training:
            object.__setattr__(m, "training", t)

    rows = []
    seen = set()
    for name, mod, own in entries:
        uniq = [p for p in own if id(p) not in seen]
        seen.update(id(p) for p in uniq)
        n = sum(p.numel() for p in uniq)
        n_train = sum(p.numel() for p in uniq if p.requires_grad)
        if n == 0:
            trainable = "-"
        elif n_train == n:
            trainable = "yes"
        elif n_train == 0:
            trainable = "no"
        else:
            trainable = "partly"
        out = outputs.get(name)
        rows.append({
            "name": name,
            "type": type(mod).__name__,
            "output_shape": _shape_of(out) if name in outputs else None,
            "params": int(n),
            "trainable": trainable,
            "out_bytes": _nbytes(out),
        })
    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    trainable_n = sum(p.numel() for p in params if p.requires_grad)
    param_bytes = sum(int(p.array.nbytes) for p in params) + sum(int(b.array.nbytes) for b in model.buffers())
    act_bytes = sum(r["out_bytes"] for r in rows) + sum(int(x.array.nbytes) for x in inputs)
    totals = {
        "total": int(total),
        "trainable": int(trainable_n),
        "non_trainable": int(total - trainable_n),
        "param_bytes": int(param_bytes),
        "activation_bytes": int(act_bytes),
        "total_bytes": int(param_bytes + act_bytes),
        "batch_size": batch_size,
        "input_shapes": [tuple(x.shape) for x in inputs],
    }
    return rows, totals


def _shape_text(s):
    if s is None:
        return "-"
    if isinstance(s, list):
        return ", ".join(_shape_text(x) for x in s)
    return shape_str(s)


def _footer(totals) -> list:
    return [
        f"Total params: {totals['total']:,}",
        f"Trainable params: {totals['trainable']:,}",
        f"Non-trainable params: {totals['non_trainable']:,}",
        f"Input shape: {', '.join(_shape_text(s) for s in totals['input_shapes'])}",
        f"Params + buffers size: {_fmt_bytes(totals['param_bytes'])}",
        f"Activations size (batch of {totals['batch_size']}): {_fmt_bytes(totals['activation_bytes'])}",
        f"Estimated total memory: {_fmt_bytes(totals['total_bytes'])}",
    ]


def _plain_table(title, header, body, footer) -> str:
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    rule = "=" * len(line)
    out = [title, rule, line, "-" * len(line)]
    for r in body:
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    out.append(rule)
    out.extend(footer)
    out.append(rule)
    return "\n".join(out)


class ModelSummary(str):
    """The text of :func:`summary`, with an HTML table for Jupyter (``_repr_html_``)."""

    def __new__(cls, text, title, header, body, footer):
        s = super().__new__(cls, text)
        s._parts = (title, header, body, footer)
        return s

    def _repr_html_(self) -> str:
        from .._html import block, esc, table

        title, header, body, footer = self._parts
        return block(table(header, body, caption=title), "<br>".join(esc(line) for line in footer))


def summary(model, input_shape=None, *, dtype=None, print_fn=print, batch_size: int = 1, use_rich=None) -> str:
    """Print and return a table of ``model``'s layers (Keras' ``model.summary()``).

    Columns: layer (dotted name), type, output shape, parameter count, trainable. Then
    total / trainable / non-trainable parameter counts and a memory estimate.

    Args:
        model: the module.
        input_shape: shape of one sample, without the batch dimension (e.g. ``(1, 28, 28)``);
            ``None`` reads it from the first layer when it gives it (``Linear(784, ...)``).
        dtype: input dtype (default: the model's parameter dtype).
        print_fn: called with the table text (default ``print``); None prints nothing.
        batch_size: batch size used for the activation-memory estimate (default 1).
        use_rich: render with ``rich`` (default: when it is installed).

    Returns:
        The table as a string (a :class:`ModelSummary`, which Jupyter shows as an HTML table).
    """
    rows, totals = summary_rows(model, input_shape, dtype=dtype, batch_size=batch_size)
    title = f"Model: {type(model).__name__}"
    header = ["Layer", "Type", "Output shape", "Param #", "Trainable"]
    body = [[r["name"], r["type"], _shape_text(r["output_shape"]), f"{r['params']:,}", r["trainable"]] for r in rows]
    footer = _footer(totals)
    text = None
    if use_rich is None or use_rich:
        try:
            from rich.console import Console
            from rich.table import Table
        except ImportError:
            if use_rich:
                raise
        else:
            table = Table(title=title)
            for i, h in enumerate(header):
                table.add_column(h, justify="right" if i == 3 else "left")
            for r in body:
                table.add_row(*r)
            buf = io.StringIO()
            console = Console(file=buf, width=max(100, sum(len(h) for h in header) + 20), record=False,
                              color_system=None)
            console.print(table)
            text = buf.getvalue().rstrip("\n") + "\n" + "\n".join(footer)
    if text is None:
        text = _plain_table(title, header, body, footer)
    if print_fn is not None:
        print_fn(text)
    return ModelSummary(text, title, header, body, footer)
