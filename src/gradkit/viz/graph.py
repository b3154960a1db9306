"""The recorded computational graph as plain data: :class:`Graph` of :class:`Node` and :class:`Edge`.

:func:`graph` walks back from output tensors through each tensor's producing op (``_ctx``) and
the op's input tensors, the way the autograd engine orders its backward pass, and names what it
finds: op nodes, parameter leaves (by module path), other leaves ("input 0", ...), small
constants, and output nodes. :func:`model_graph` runs one forward pass of a model and returns the
module-level picture (Keras' ``plot_model``).

Graphs and ``backward``: a backward without ``retain_graph=True`` frees the ops it ran through,
so the graph must be built before it (or after ``backward(retain_graph=True)``). To see
gradients, build the graph first, call ``backward()``, then ``graph.update_grads()``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..autograd import enable_grad
from ..random import get_rng_state, set_rng_state
from ..tensor import Tensor
from ._trace import TAG, _tensors, trace

KINDS = ("op", "param", "input", "output", "module", "const")

FLAG_NO_GRAD = "no gradient: detached branch?"
FLAG_ZERO_GRAD = "zero gradient"
FLAG_NONFINITE_GRAD = "non-finite gradient"
FLAG_UNUSED = "not in the graph"

_FREED_HINT = (
    "the graph of these outputs was freed by a backward pass (op {op} has no inputs any more). "
    "Build the graph before calling backward(), or call backward(retain_graph=True); to see "
    "gradients, call gk.viz.graph(...) before backward() and graph.update_grads() after it"
)


@dataclasses.dataclass
class Node:
    """One box of the picture.

    Attributes:
        id: unique name within the graph (``"op3"``, ``"param0"``, ``"module:layers.0"``...).
        kind: one of ``"op"``, ``"param"``, ``"input"``, ``"output"``, ``"module"``, ``"const"``.
        label: the text shown (may hold newlines).
        shape: the output shape (a tuple of shapes for a multi-output op), or None.
        dtype: the dtype's name, or None.
        module: path of the innermost module that created an op (when traced), or a
            parameter's owning module path.
        grad_norm: L2 norm of a leaf's ``.grad`` after :meth:`Graph.update_grads`, else None.
        flags: warnings about this node (``FLAG_*`` strings of this module).
    """

    id: str
    kind: str
    label: str
    shape: tuple | None = None
    dtype: str | None = None
    module: str | None = None
    grad_norm: float | None = None
    flags: set = dataclasses.field(default_factory=set)


@dataclasses.dataclass
class Edge:
    """A tensor flowing from node ``src`` to node ``dst`` (data-flow order), with its shape."""

    src: str
    dst: str
    shape: tuple | None = None


class Graph:
    """Nodes and edges of a computational graph, with DOT, SVG and picture output.

    Attributes:
        nodes: list of :class:`Node`.
        edges: list of :class:`Edge`, ``src`` before ``dst`` in data flow.
    """

    def __init__(self, nodes, edges, leaves=None):
        self.nodes = list(nodes)
        self.edges = list(edges)
        self._leaves = dict(leaves or {})  # node id -> the leaf Tensor whose .grad it shows
        self._by_id = {n.id: n for n in self.nodes}

    def __repr__(self) -> str:
        kinds = {}
        for n in self.nodes:
            kinds[n.kind] = kinds.get(n.kind, 0) + 1
        parts = ", ".join(f"{k}={v}" for k, v in sorted(kinds.items()))
        return f"Graph({len(self.nodes)} nodes: {parts}; {len(self.edges)} edges)"

    def node(self, node_id: str) -> Node:
        """The node with id ``node_id`` (KeyError naming it otherwise)."""
        try:
            return self._by_id[node_id]
        except KeyError:
            raise KeyError(f"no node with id {node_id!r} in this graph") from None

    def find(self, label: str) -> Node:
        """The first node whose label (first line) is ``label``."""
        for n in self.nodes:
            if n.label.split("\n")[0] == label:
                return n
        some = [n.label.split("\n")[0] for n in self.nodes[:20]]
        raise KeyError(f"no node labelled {label!r}; labels include {some}")

    def update_grads(self) -> "Graph":
        """Read the current ``.grad`` of every parameter and input leaf; flag the suspicious ones.

        Sets each leaf node's ``grad_norm`` and its flags: ``"no gradient: detached branch?"``
        (``.grad`` is None), ``"zero gradient"`` (all zeros), ``"non-finite gradient"``.
        Call it after ``backward()``; the graph itself may have been built before.

        Returns:
            this graph.

        Raises:
            ValueError: when no leaf has a ``.grad`` at all (no backward has run yet).
        """
        grads = {nid: t.grad for nid, t in self._leaves.items()}
        if grads and all(g is None for g in grads.values()):
            raise ValueError(
                "no parameter has a .grad yet: call loss.backward() first (build the graph before it, "
                "or use backward(retain_graph=True)), then graph.update_grads()"
            )
        for nid, g in grads.items():
            node = self._by_id[nid]
            node.flags -= {FLAG_NO_GRAD, FLAG_ZERO_GRAD, FLAG_NONFINITE_GRAD}
            if g is None:
                node.grad_norm = None
                node.flags.add(FLAG_NO_GRAD)
                continue
            a = np.asarray(g.array if isinstance(g, Tensor) else g, dtype=np.float64)
            if not np.all(np.isfinite(a)):
                node.flags.add(FLAG_NONFINITE_GRAD)
                node.grad_norm = float("nan")
                continue
            node.grad_norm = float(np.sqrt(np.sum(a * a)))
            if node.grad_norm == 0.0:
                node.flags.add(FLAG_ZERO_GRAD)
        return self

    def flags(self) -> dict:
        """``{label: sorted flags}`` of every flagged node, in node order."""
        return {n.label.split("\n")[0]: sorted(n.flags) for n in self.nodes if n.flags}

    def summary(self) -> str:
        """One line per flagged node (or a line saying none is flagged)."""
        flagged = self.flags()
        if not flagged:
            return "no flagged nodes"
        return "\n".join(f"{name}: {', '.join(f)}" for name, f in flagged.items())

    def to_dot(self) -> str:
        """The graph in Graphviz's DOT language (render it with ``dot -Tsvg``)."""
        from .render import to_dot

        return to_dot(self)

    def save(self, path) -> str:
        """Write the picture to ``path`` (.svg, .png or .pdf); returns ``path``.

        Uses Graphviz's ``dot`` when it is installed, otherwise gradkit's own layout drawn
        with matplotlib.
        """
        from .render import save

        return save(self, path)

    def draw(self, ax=None):
        """Draw with matplotlib (gradkit's own layout) and return the ``Figure``."""
        from .render import draw

        return draw(self, ax=ax)

    def _repr_svg_(self) -> str:
        from .render import to_svg

        return to_svg(self)


# --------------------------------------------------------------------------- building


def _shape_str(shape) -> str:
    if shape is None:
        return ""
    if shape and isinstance(shape[0], tuple):
        return ", ".join(_shape_str(s) for s in shape)
    return str(tuple(shape))


def _named_params(params):
    """``(model or None, {id(tensor): name})`` from a Module, a dict, pairs, or None."""
    from ..nn import Module

    if params is None:
        return None, {}
    if isinstance(params, Module):
        return params, {id(p): (name, p) for name, p in params.named_parameters()}
    if isinstance(params, dict):
        items = params.items()
    else:
        try:
            items = list(params)
        except TypeError:
            raise TypeError(
                f"params must be an nn.Module, a dict of name -> Tensor (model.named_parameters()) or None, "
                f"got {type(params).__name__}"
            ) from None
    out = {}
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Tensor)):
            raise TypeError(f"params must map names to Tensors, got an item {item!r}")
        out[id(item[1])] = (str(item[0]), item[1])
    return None, out


def _walk(roots):
    """Ops reachable from the root tensors, producers before consumers."""
    order, seen = [], set()
    stack = [(t._ctx, False) for t in reversed(roots) if t._ctx is not None]
    while stack:
        op, done = stack.pop()
        if done:
            order.append(op)
            continue
        if id(op) in seen:
            continue
        if op.inputs is None:
            if op._freed:
                raise RuntimeError(_FREED_HINT.format(op=op.name))
            continue
        seen.add(id(op))
        stack.append((op, True))
        for x in reversed(op.inputs):
            if x._ctx is not None and id(x._ctx) not in seen:
                stack.append((x._ctx, False))
    return order


def _shares(a, b) -> bool:
    base_a = getattr(a, "base", None)
    return a is b or base_a is b or (base_a is not None and base_a is getattr(b, "base", None))


def graph(outputs, params=None, depth=None, show_grads=False, model=None, inputs=None) -> Graph:
    """The recorded graph that produced ``outputs``.

    Args:
        outputs: a Tensor, or a tuple/list/dict of Tensors (e.g. two heads).
        params: an ``nn.Module`` or ``dict(model.named_parameters())`` to name the parameter
            leaves ("0.weight"); parameters in it that the graph never reaches are added as
            unconnected nodes flagged ``"not in the graph"``.
        depth: collapse every submodule at this depth (1: the model's direct children) into one
            box labelled with its path, class and parameter count. Needs a model (``params`` or
            ``model``) and outputs computed inside ``with gk.viz.trace(model):``.
        show_grads: read the leaves' ``.grad`` now (see :meth:`Graph.update_grads`): colour
            parameter nodes and their edges by ``|grad|`` (log scale) and flag parameters whose
            ``.grad`` is None, all zero or non-finite. It needs a backward that kept the graph
            (``backward(retain_graph=True)``); otherwise build the graph first, run
            ``backward()``, then call ``graph.update_grads()``.
        model: the ``nn.Module`` when ``params`` is a dict (optional otherwise).
        inputs: tensors to name "input 0", "input 1"... in this order (optional; other leaves
            are numbered after them by first appearance).

    Returns:
        a :class:`Graph`.

    Raises:
        RuntimeError: when a backward pass has freed the graph (the message says what to do).
        ValueError: ``show_grads=True`` before any backward; a bad ``depth``; ``depth`` without
            a model or without :func:`~gradkit.viz.trace`.
        TypeError: outputs that hold no Tensor, ``params`` of the wrong type.

    Examples:
        >>> import gradkit as gk
        >>> model = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.ReLU(), gk.nn.Linear(8, 3))
        >>> g = gk.viz.graph(model(gk.randn(2, 4)), params=model)
        >>> [n.label for n in g.nodes if n.kind == "param"]
        ['0.weight', '0.bias', '2.weight', '2.bias']
        >>> [n.label.split()[0] for n in g.nodes if n.kind == "op"]
        ['Linear', 'ReLU', 'Linear']
    """
    roots, model, names = _checked_args(outputs, params, depth, model)
    ops = _walk(roots)
    nodes, edges, leaves = [], [], {}
    leaf = _LeafNamer(names, inputs, nodes, leaves)
    op_id = {id(op): f"op{i}" for i, op in enumerate(ops)}
    _add_ops(ops, op_id, _out_shapes(roots, ops), leaf, nodes, edges)
    _add_outputs(roots, op_id, leaf, nodes, edges)
    _add_unused_params(names, leaf.ids, nodes, leaves)
    g = Graph(nodes, edges, leaves)
    if show_grads:
        g.update_grads()
    if depth is not None:
        g = _collapse(g, model, depth)
    return g


def _checked_args(outputs, params, depth, model):
    """``(roots, model or None, {id(tensor): (name, tensor)})`` from :func:`graph`'s arguments.

    Raises the TypeError / ValueError that :func:`graph` documents, in this order: outputs,
    params, model, depth.
    """
    from ..nn import Module

    roots = _tensors(outputs, [])
    if not roots:
        raise TypeError(f"graph expected a Tensor or a tuple/list/dict of Tensors, got {type(outputs).__name__}")
    pmodel, names = _named_params(params)
    if model is not None and not isinstance(model, Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    model = model if model is not None else pmodel  # not `or`: an empty Sequential is falsy
    if model is not None and not names:
        names = {id(p): (n, p) for n, p in model.named_parameters()}
    if depth is not None:
        if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
            raise ValueError(f"depth must be a positive int (1: the model's direct children), got {depth!r}")
        if model is None:
            raise ValueError("depth=k needs the model: pass params=model (or model=model)")
    return roots, model, names


def _out_shapes(roots, ops) -> dict:
    """``{id(op): {out_index: (shape, dtype)}}`` of the op outputs seen as roots or as op inputs."""
    out_shapes = {}
    for t in roots:
        if t._ctx is not None:
            out_shapes.setdefault(id(t._ctx), {})[t._out_index] = (t.shape, t.dtype)
    for op in ops:
        for x in op.inputs:
            if x._ctx is not None:
                out_shapes.setdefault(id(x._ctx), {})[x._out_index] = (x.shape, x.dtype)
    return out_shapes


class _LeafNamer:
    """Names leaf tensors as they are first met: parameters, given inputs, constants, detached
    parameters, other inputs. Calling it with a leaf returns its node id, appending the node to
    ``nodes`` (and the tensor to ``leaves`` when it requires grad) the first time.
    """

    def __init__(self, names, inputs, nodes, leaves):
        self.names = names
        self.nodes = nodes
        self.leaves = leaves
        self.ids = {}  # id(tensor) -> node id
        self.input_order = [id(t) for t in _tensors(inputs, [])] if inputs is not None else []
        self.counters = {"input": len(self.input_order), "const": 0}

    def __call__(self, x) -> str:
        key = id(x)
        if key in self.ids:
            return self.ids[key]
        nid, kind, label, owner = self._describe(x)
        node = Node(nid, kind, label, tuple(x.shape), str(x.dtype), owner)
        if kind == "const" and label.endswith(".detach()"):
            node.flags.add("detached")
        self.nodes.append(node)
        if x.requires_grad:
            self.leaves[nid] = x
        self.ids[key] = nid
        return nid

    def _describe(self, x):
        """``(node id, kind, label, owning module)`` of a leaf not met before."""
        key = id(x)
        if key in self.names:
            name = self.names[key][0]
            return f"param:{name}", "param", name, name.rpartition(".")[0]
        if key in self.input_order:
            i = self.input_order.index(key)
            return f"input{i}", "input", f"input {i}", None
        if not x.requires_grad and x.array.size <= 1:
            i = self._next("const")
            value = x.array.reshape(-1)[0].item() if x.array.size else ""
            text = f"{value:.4g}" if isinstance(value, float) else str(value)
            return f"const{i}", "const", text, None
        detached = [n for n, p in self.names.values() if _shares(x.array, p.array)] if not x.requires_grad else []
        if detached:
            return f"detached{len(self.ids)}", "const", f"{detached[0]}.detach()", None
        i = self._next("input")
        return f"input{i}", "input", f"input {i}", None

    def _next(self, kind) -> int:
        i = self.counters[kind]
        self.counters[kind] += 1
        return i


def _op_node(op, oid, outs) -> Node:
    """The node of ``op``: its shape and dtype from the op's output metadata, else from ``outs``."""
    meta = op._out_meta
    if meta is not None:
        shape = tuple(tuple(s) for s, _ in meta)
        dtype = str(meta[0][1])
    elif outs:
        shape, dtype = tuple(outs[0][0]), str(outs[0][1])
    else:
        shape, dtype = None, None
    label = op.name + (f"\n{_shape_str(shape)}" if shape is not None else "")
    return Node(oid, "op", label, shape, dtype, getattr(op, TAG, None))


def _add_ops(ops, op_id, out_shapes, leaf, nodes, edges):
    """Append each op's node, after the leaves it reads, and an edge from each of its inputs."""
    for op in ops:
        oid = op_id[id(op)]
        for x in op.inputs:
            src = op_id[id(x._ctx)] if x._ctx is not None else leaf(x)
            edges.append(Edge(src, oid, tuple(x.shape)))
        nodes.append(_op_node(op, oid, out_shapes.get(id(op), {})))


def _add_outputs(roots, op_id, leaf, nodes, edges):
    """Append an output node per root, fed by its op (or leaf); then move the outputs last."""
    for i, t in enumerate(roots):
        src = op_id[id(t._ctx)] if t._ctx is not None else leaf(t)
        oid = f"output{i}"
        nodes.append(Node(oid, "output", f"output {i}\n{_shape_str(tuple(t.shape))}", tuple(t.shape), str(t.dtype)))
        edges.append(Edge(src, oid, tuple(t.shape)))
    nodes.sort(key=lambda n: (n.kind == "output",))  # outputs last, the rest in discovery order


def _add_unused_params(names, leaf_ids, nodes, leaves):
    """Append a node flagged ``"not in the graph"`` for each named parameter the walk never met."""
    for key, (name, p) in names.items():
        if key not in leaf_ids:
            node = Node(f"param:{name}", "param", name, tuple(p.shape), str(p.dtype), name.rpartition(".")[0])
            node.flags.add(FLAG_UNUSED)
            nodes.append(node)
            leaves[node.id] = p


def _collapse(g: Graph, model, depth: int) -> Graph:
    """Merge the nodes of each submodule at ``depth`` into one module node."""
    modules = dict(model.named_modules())
    tagged = any(n.kind == "op" and n.module is not None for n in g.nodes)
    if not tagged:
        raise ValueError(
            "depth=k needs to know which module made each op: run the forward inside "
            "`with gk.viz.trace(model):` or use gk.viz.model_graph(model, example_input, depth=k)"
        )

    def group(path):
        # the ancestor at ``depth``, or a leaf module above that depth (a Linear head at depth 1 of 2)
        if not path:
            return None
        parts = path.split(".")
        if len(parts) >= depth:
            return ".".join(parts[:depth])
        mod = modules.get(path)
        return path if mod is not None and not any(True for _ in mod.children()) else None

    where, new_nodes, made = {}, [], {}
    for n in g.nodes:
        key = group(n.module) if n.kind in ("op", "param") else None
        if key is None or key not in modules:
            new_nodes.append(n)
            where[n.id] = n.id
            continue
        mid = f"module:{key}"
        where[n.id] = mid
        if mid not in made:
            mod = modules[key]
            count = sum(int(np.prod(p.shape)) for p in mod.parameters())
            made[mid] = Node(mid, "module", f"{key}\n{type(mod).__name__}\n{count:,} params", module=key)
            new_nodes.append(made[mid])
        m = made[mid]
        if n.kind == "op":
            m.shape, m.dtype = n.shape, n.dtype  # the last op of the module in data-flow order
        if n.kind == "param":
            finite = [x for x in (m.grad_norm, n.grad_norm) if x is not None]
            m.grad_norm = math.sqrt(sum(x * x for x in finite)) if finite else m.grad_norm
            m.flags |= {f"{n.label}: {f}" for f in n.flags}
    edges, seen = [], set()
    for e in g.edges:
        src, dst = where[e.src], where[e.dst]
        if src == dst:
            continue
        if src.startswith("module:") or dst.startswith("module:"):
            key = (src, dst, e.shape)
            if key in seen:
                continue
            seen.add(key)
        edges.append(Edge(src, dst, e.shape))
    leaves = {k: v for k, v in g._leaves.items() if where.get(k) == k}
    return Graph(new_nodes, edges, leaves)


def model_graph(model, example_input, depth: int = 1) -> Graph:
    """The module-level graph of ``model``: one box per submodule at ``depth``, like Keras' ``plot_model``.

    Runs one forward pass with gradients recorded (the model's train/eval mode is kept), then
    restores every buffer (BatchNorm's running statistics) and gradkit's random state, so
    the model and later draws are as before. Parameters are never changed. A box stands for
    the ops a module recorded, so a module that records none (``Identity``, ``Dropout`` in
    eval mode) has no box: its input flows on to the next one.

    Args:
        model: an ``nn.Module``.
        example_input: a Tensor (or a tuple of Tensors, passed as positional arguments).
        depth: which submodules become boxes (1: the model's direct children).

    Returns:
        a :class:`Graph` with input, module, (loose) op and output nodes; edges carry shapes.

    Examples:
        >>> import gradkit as gk
        >>> model = gk.models.MLP([4, 8, 3])
        >>> g = gk.viz.model_graph(model, gk.randn(2, 4))
        >>> [n.label.replace("\\n", " ") for n in g.nodes if n.kind == "module"]
        ['0 Linear 40 params', '1 ReLU 0 params', '2 Linear 27 params']
    """
    from ..nn import Module

    if not isinstance(model, Module):
        raise TypeError(f"model_graph expected an nn.Module, got {type(model).__name__}")
    args = example_input if isinstance(example_input, tuple) else (example_input,)
    if not all(isinstance(a, Tensor) for a in args):
        raise TypeError("example_input must be a Tensor or a tuple of Tensors")
    buffers = [
        (m, name, b, b.array.copy()) for m in model.modules() for name, b in m._buffers.items() if b is not None
    ]
    rng = get_rng_state()
    try:
        with enable_grad(), trace(model):
            out = model(*args)
    finally:
        for m, name, b, saved in buffers:
            b.array = saved
            m._buffers[name] = b
        set_rng_state(rng)
    return graph(out, params=model, depth=depth, inputs=args)
