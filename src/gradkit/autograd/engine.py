"""The backward pass: reverse-mode differentiation over the recorded graph.

The graph is walked **iteratively** in reverse topological order (no recursion, so a
chain of 100,000 ops is fine). Each op's output gradients are summed over all their uses
before the op's backward runs; leaf gradients accumulate into ``.grad`` across calls until
zeroed, as in PyTorch. Without ``retain_graph`` every visited op is freed as soon as its
backward has run, so the memory of the graph goes back during the pass.
"""

from __future__ import annotations

from ..backend import device_of
from ..errors import GraphFreedError
from ..parallel import gradkit_kernels
from ..tensor import Tensor, _make
from .grad_mode import set_grad_enabled

_FREED_MSG = (
    "trying to backward through the graph a second time (or to use saved values after they were freed): "
    "the op {op} was already freed. Pass retain_graph=True to the first backward() or gk.grad() "
    "if you need to backward through the same graph again."
)


def _toposort(roots):
    """Ops reachable from ``roots``, each after every op that consumes its outputs."""
    order = []
    visited = set()
    stack = [(op, False) for op in roots]
    while stack:
        op, done = stack.pop()
        if done:
            order.append(op)
            continue
        if id(op) in visited:
            continue
        visited.add(id(op))
        stack.append((op, True))
        inputs = op.inputs
        if inputs is None:
            if op._freed:
                raise GraphFreedError(_FREED_MSG.format(op=op.name))
            continue
        for x in inputs:
            c = x._ctx
            if c is not None and id(c) not in visited:
                stack.append((c, False))
    order.reverse()
    return order


def _owner(a):
    base = getattr(a, "base", None)
    return id(a if base is None else base)


def run_backward(roots, grad_roots, retain_graph=False, create_graph=False, inputs=None, allow_unused=False):
    """Backpropagate ``grad_roots`` from ``roots``.

    With ``inputs=None`` the gradients accumulate into the leaves' ``.grad``; otherwise
    the gradients of exactly ``inputs`` are returned (nothing accumulates), as
    ``gk.grad`` does.

    Kept as one function on purpose (longer than the house's ~80 lines): its loop body runs
    once per op of every backward pass, so delivering gradients to leaves and to pending ops
    stays inline (a Python call per op is measurable on the per-op overhead benchmark), and
    the closure ``deliver_leaf`` shares the pass's bookkeeping without passing it around.
    """
    capture = None
    captured = None
    if inputs is not None:
        capture = {}
        for k, t in enumerate(inputs):
            if not isinstance(t, Tensor):
                raise TypeError(f"gk.grad inputs must be Tensors, got {type(t).__name__} at position {k}")
            if not t.requires_grad:
                raise RuntimeError(f"gk.grad input {k} does not require grad; create it with requires_grad=True")
            key = id(t) if t._ctx is None else (id(t._ctx), t._out_index)
            capture.setdefault(key, []).append(k)
        captured = [None] * len(inputs)

    pending: dict = {}
    seen_owners: set = set()
    root_ops = []

    def deliver_leaf(x, g):
        if x._hooks:
            for hook in x._hooks:
                r = hook(g)
                if r is not None:
                    g = r
        if capture is not None:
            for k in capture.get(id(x), ()):
                captured[k] = g if captured[k] is None else captured[k] + g
            return
        if x.grad is None:
            own = _owner(g.array)
            flags = getattr(g.array, "flags", None)
            if own in seen_owners or (flags is not None and not getattr(flags, "writeable", 0 not in g.array.strides)):
                # never hand out the same memory (or a read-only broadcast view) as two .grad's:
                # in-place updates such as clip_grad_norm_ would hit it twice. CuPy's flags have
                # no `writeable`: a broadcast view there is one with a zero stride.
                g = _make(g.array.copy(), g.requires_grad, g._ctx, g._out_index)
            else:
                seen_owners.add(own)
            if not create_graph and g.requires_grad:
                g = g.detach()
            x.grad = g
        else:
            x.grad = x.grad + g

    # one scope of gradkit's own kernels for the whole pass (BLAS threads, see gradkit.parallel)
    with set_grad_enabled(create_graph), gradkit_kernels(grad_roots[0].array if grad_roots else None):
        for r, g in zip(roots, grad_roots):
            seen_owners.add(_owner(g.array))
            if r._ctx is None:
                deliver_leaf(r, g)
                continue
            slots = pending.get(r._ctx)
            if slots is None:
                slots = pending[r._ctx] = {}
                root_ops.append(r._ctx)
            i = r._out_index
            slots[i] = g if i not in slots else slots[i] + g

        order = _toposort(root_ops)
        run = None
        if capture is not None:
            order, run = _prune(order, capture)

        for op in order:
            slots = pending.pop(op, None)
            if slots is None:
                continue
            if op._freed:
                raise GraphFreedError(_FREED_MSG.format(op=op.name))
            meta = op._out_meta
            if meta is None:
                grads = (slots[0],)
            else:
                grads = tuple(
                    slots[i] if i in slots else Tensor._zeros_like_meta(shape, dtype, op.inputs[0].array)
                    for i, (shape, dtype) in enumerate(meta)
                )
            retained = op._retained
            if retained is not None:
                grads = _run_retained(retained, grads, capture, captured, op, create_graph)
            elif capture is not None:
                _capture_nonleaf(op, grads, capture, captured)
            if run is not None and id(op) not in run:
                continue
            op.create_graph = create_graph  # the rule is told, not left to read the grad mode
            gxs = op.backward(*grads)
            if type(gxs) is not tuple:
                gxs = (gxs,)
            inputs_ = op.inputs
            if not retain_graph:
                op.__dict__.clear()
                op._freed = True
            for x, gx in zip(inputs_, gxs):
                if gx is None or not x.requires_grad:
                    continue
                xd = x.array
                if gx.array.shape != xd.shape:
                    raise RuntimeError(
                        f"internal error: backward of {op.name} returned a gradient of shape "
                        f"{tuple(gx.shape)} for an input of shape {tuple(xd.shape)}"
                    )
                if gx.array.dtype != xd.dtype:
                    gx = gx.to(xd.dtype)
                if type(gx.array) is not type(xd) and device_of(gx.array) != device_of(xd):
                    # a 0-d CPU tensor met a GPU one (allowed, as in PyTorch): its gradient goes home
                    gx = gx.to(device_of(xd))
                c = x._ctx
                if c is None:
                    deliver_leaf(x, gx)
                    continue
                s = pending.get(c)
                if s is None:
                    pending[c] = {x._out_index: gx}
                else:
                    i = x._out_index
                    s[i] = gx if i not in s else s[i] + gx
    if capture is not None:
        for k, g in enumerate(captured):
            if g is None and not allow_unused:
                raise RuntimeError(
                    f"gk.grad input {k} was not used to compute the outputs; pass allow_unused=True "
                    "to get None for it"
                )
        if not create_graph:
            captured = [None if g is None else (g.detach() if g.requires_grad else g) for g in captured]
        return captured
    return None


def _prune(order, capture):
    """Keep the ops through which a captured input is reached, or whose output is captured.

    Returns the kept ops and the set of ids of ops whose backward must run (those that
    reach a captured input); the others only have their output gradient captured.
    """
    captured_ops = {k[0] for k in capture if isinstance(k, tuple)}
    reaches = {}
    for op in reversed(order):  # inputs before consumers
        hit = False
        for x in op.inputs:
            c = x._ctx
            if c is None:
                if id(x) in capture:
                    hit = True
            elif reaches.get(id(c)) or (id(c), x._out_index) in capture:
                hit = True
        reaches[id(op)] = hit
    keep = [op for op in order if reaches[id(op)] or id(op) in captured_ops]
    return keep, {k for k, v in reaches.items() if v}


def _capture_nonleaf(op, grads, capture, captured):
    for i, g in enumerate(grads):
        for k in capture.get((id(op), i), ()):
            captured[k] = g


def _run_retained(retained, grads, capture, captured, op, create_graph):
    grads = list(grads)
    for i, t in retained.items():
        g = grads[i]
        for hook in t._hooks or ():
            r = hook(g)
            if r is not None:
                g = r
        grads[i] = g
        if t._retains_grad and capture is None:
            gg = g if create_graph else g.detach()
            t.grad = gg if t.grad is None else t.grad + gg
    grads = tuple(grads)
    if capture is not None:
        _capture_nonleaf(op, grads, capture, captured)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Accumulate gradients of ``tensors`` into the leaves' ``.grad`` (``torch.autograd.backward``)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    grads = _make_root_grads(tensors, grad_tensors, "backward()")
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(tensors, grads, retain_graph=retain_graph, create_graph=create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    Args:
        outputs: a Tensor or sequence of Tensors to differentiate.
        inputs: a Tensor or sequence of Tensors that require grad.
        grad_outputs: the vector(s) in the vector-Jacobian product; ones for scalars.
        retain_graph: keep the graph for another backward (defaults to ``create_graph``).
        create_graph: record the backward pass so the result can be differentiated again.
        allow_unused: return ``None`` for inputs that did not contribute instead of raising.

    Returns:
        A tuple with one gradient per input.

    Example:
        >>> import gradkit as gk
        >>> x = gk.tensor(3.0, requires_grad=True)
        >>> (g,) = gk.grad(x ** 3, x, create_graph=True)
        >>> (h,) = gk.grad(g, x)
        >>> g.item(), h.item()
        (27.0, 18.0)
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    grads = _make_root_grads(outputs, grad_outputs, "gk.grad()")
    if retain_graph is None:
        retain_graph = create_graph
    res = run_backward(
        outputs, grads, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs, allow_unused=allow_unused
    )
    return tuple(res)


def _make_root_grads(tensors, grad_tensors, where):
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor) or not isinstance(grad_tensors, (list, tuple)):
        grad_tensors = [grad_tensors]
    if len(grad_tensors) != len(tensors):
        raise ValueError(f"{where}: got {len(tensors)} outputs but {len(grad_tensors)} gradients")
    out = []
    for k, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{where}: outputs must be Tensors, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(
                f"{where}: output {k} does not require grad and has no grad_fn; did you build it inside "
                "no_grad(), or from tensors created without requires_grad=True?"
            )
        if g is None:
            if t.array.size != 1:
                raise RuntimeError(
                    f"{where}: grad can be created implicitly only for scalar outputs, but output {k} has "
                    f"shape {tuple(t.shape)}; pass gradient=<tensor of that shape> (e.g. gk.ones_like(out)) "
                    "or reduce it first with .sum() or .mean()"
                )
            g = Tensor._ones_like_array(t.array)
        else:
            if not isinstance(g, Tensor):
                g = Tensor(g, dtype=t.dtype, device=t.device)
            if tuple(g.shape) != tuple(t.shape):
                raise RuntimeError(
                    f"{where}: gradient {k} has shape {tuple(g.shape)} but its output has shape {tuple(t.shape)}"
                )
        out.append(g)
    return out
