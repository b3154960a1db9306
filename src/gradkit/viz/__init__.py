"""See inside: the computational graph of a forward pass, and the module-level picture of a model.

``gk.viz.graph(outputs)`` walks the recorded graph back from the outputs; ``gk.viz.model_graph``
runs a model once and draws one box per submodule (Keras' ``plot_model``). A :class:`Graph` is
plain data (``.nodes``, ``.edges``) with ``.to_dot()``, ``.save(path)`` and an SVG for Jupyter.

Examples:
    >>> import gradkit as gk
    >>> model = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.ReLU(), gk.nn.Linear(8, 3))
    >>> x = gk.randn(2, 4)
    >>> g = gk.viz.graph(model(x), params=model)
    >>> len([n for n in g.nodes if n.kind == "param"]), len(g.edges)
    (4, 8)
    >>> loss = model(x).sum()
    >>> g = gk.viz.graph(loss, params=model)   # before backward: the graph is still there
    >>> loss.backward()
    >>> g.update_grads().flags()
    {}
"""

from ._trace import trace
from .graph import (
    FLAG_NO_GRAD, FLAG_NONFINITE_GRAD, FLAG_UNUSED, FLAG_ZERO_GRAD, Edge, Graph, Node, graph, model_graph,
)

__all__ = [
    "Edge", "FLAG_NONFINITE_GRAD", "FLAG_NO_GRAD", "FLAG_UNUSED", "FLAG_ZERO_GRAD", "Graph", "Node", "graph",
    "model_graph", "trace",
]
