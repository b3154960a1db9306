"""Module membership of the ops of one forward pass, recorded with forward hooks.

:func:`trace` hooks every submodule of a model; when a module's forward returns, the ops it
created (found by walking back from its outputs to its inputs) are tagged with its path. Inner
modules return first, so each op keeps the path of the innermost module that made it; the graph
collapses paths to a chosen depth afterwards.
"""

from __future__ import annotations

import contextlib

from ..tensor import Tensor

#: The attribute a traced op carries: the dotted path of the innermost module that created it.
TAG = "_gk_viz_module"


def _tensors(obj, out):
    """Append every Tensor inside ``obj`` (nested tuples, lists, dicts) to ``out``."""
    if isinstance(obj, Tensor):
        out.append(obj)
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            _tensors(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _tensors(o, out)
    return out


def _tag(path: str, inputs, outputs) -> None:
    """Tag the untagged ops between ``inputs`` and ``outputs`` with ``path``."""
    stop = {id(t) for t in _tensors(inputs, [])}
    inside = path + "." if path else ""
    stack = [t for t in _tensors(outputs, []) if id(t) not in stop]
    seen = set()
    while stack:
        op = stack.pop()._ctx
        if op is None or id(op) in seen or op.inputs is None:
            continue
        seen.add(id(op))
        tag = getattr(op, TAG, None)
        if tag is None:
            setattr(op, TAG, path)
        elif not (tag == path or tag.startswith(inside) or not path):
            continue  # made by a module outside this one (a sibling before it)
        stack.extend(x for x in op.inputs if id(x) not in stop)


@contextlib.contextmanager
def trace(model):
    """Record which module creates each op of the forward passes run inside the block.

    Needed for ``gk.viz.graph(..., depth=k)``; :func:`gradkit.viz.model_graph` does it for you.
    The hooks are removed when the block ends; the model is otherwise untouched.

    Args:
        model: the ``nn.Module`` whose submodules are recorded.

    Examples:
        >>> import gradkit as gk
        >>> model = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.ReLU(), gk.nn.Linear(8, 2))
        >>> with gk.viz.trace(model):
        ...     out = model(gk.randn(3, 4))
        >>> g = gk.viz.graph(out, params=model, depth=1)
        >>> [n.label.split("\\n")[0] for n in g.nodes if n.kind == "module"]
        ['0', '1', '2']
    """
    from ..nn import Module

    if not isinstance(model, Module):
        raise TypeError(f"trace expected an nn.Module, got {type(model).__name__}")
    handles = []
    for path, module in model.named_modules():
        def hook(mod, args, out, _path=path):
            _tag(_path, args, out)
        handles.append(module.register_forward_hook(hook))
    try:
        yield model
    finally:
        for h in handles:
            h.remove()
