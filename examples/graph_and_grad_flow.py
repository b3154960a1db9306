"""See inside: the computational graph of a two-layer net, and its gradient flow at a good and a bad init.

A two-layer net (64 -> 32 -> 10) on scikit-learn's digits, one forward and backward pass on a
batch, and three pictures:

* the graph of the loss (``gk.viz.graph(loss, params=dict(net.named_parameters()))``): every
  op from the inputs and the named weights to the loss, saved as
  ``graph_and_grad_flow_graph.svg``;
* the gradient flow (``gk.diagnose.plot_grad_flow``): mean and max ``|grad|`` per weight on a
  log scale, at He initialization (ReLU) and at a tiny one (N(0, 1e-3), sigmoid). With tiny
  weights the signal dies going backward: the first layer's gradient is about 30 times
  smaller than the second's;
* the same tiny sigmoid initialization on a deeper net (six layers): the gradient shrinks by a
  factor at each layer, and the early layers fall below the health monitor's thresholds
  (``gk.diagnose.HealthThresholds``), so their bars are red and labelled "vanishing".

The script prints the per-layer numbers and saves the three gradient flows to
``graph_and_grad_flow.png``.

Run:
    PYTHONPATH=src python3 examples/graph_and_grad_flow.py [--out DIR] [--quick]
"""

from __future__ import annotations

import os

import numpy as np
from _common import out_dir, parser, pyplot, save

import gradkit as gk
import gradkit.viz  # noqa: F401  (gk.viz draws the graph)


def make_net(init: str, depth: int = 2, width: int = 32) -> gk.nn.Module:
    """``depth`` Linear layers 64 -> width ... -> 10; ``init`` 'he' (ReLU) or 'tiny' (N(0, 1e-3), sigmoid)."""
    if init not in ("he", "tiny"):
        raise ValueError(f"unknown init {init!r}; expected 'he' or 'tiny'")
    sizes = [64] + [width] * (depth - 1) + [10]
    layers = []
    for i in range(depth):
        lin = gk.nn.Linear(sizes[i], sizes[i + 1])
        if init == "he":
            gk.nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        else:
            gk.nn.init.normal_(lin.weight, mean=0.0, std=1e-3)
        gk.nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < depth - 1:
            layers.append(gk.nn.ReLU() if init == "he" else gk.nn.Sigmoid())
    return gk.nn.Sequential(*layers)


def backward(net, X, y, draw=False):
    """One forward and backward pass; with ``draw`` returns the graph of the loss, built before
    the backward (which frees it) and given the gradients after it."""
    net.zero_grad()
    loss = gk.nn.functional.cross_entropy(net(gk.tensor(X)), gk.tensor(y))
    graph = gk.viz.graph(loss, params=dict(net.named_parameters())) if draw else None
    loss.backward()
    if graph is not None:
        graph.update_grads()
    return graph


def main(argv=None):
    args = parser(__doc__).parse_args(argv)
    folder = out_dir(args.out)
    X, y = gk.data.datasets.load("digits")
    X = X.reshape(len(X), -1).astype(np.float32)
    X = (X - X.mean(0)) / (X.std(0) + 1e-8)
    n = 128 if args.quick else 512
    X, y = X[:n], y[:n]

    gk.manual_seed(args.seed)
    net = make_net("he")
    graph = backward(net, X, y, draw=True)
    graph_path = os.path.join(folder, "graph_and_grad_flow_graph.svg")
    graph.save(graph_path)
    print(f"saved {graph_path}")

    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    results = {}
    for ax, (label, init, depth) in zip(axes, [("He, ReLU", "he", 2), ("tiny N(0, 1e-3), sigmoid", "tiny", 2),
                                               ("tiny, sigmoid, 6 layers", "tiny", 6)]):
        gk.manual_seed(args.seed)
        net = make_net(init, depth)
        backward(net, X, y)
        _, rows = gk.diagnose.plot_grad_flow(net, ax=ax, title=label)
        results[label] = rows
        print(f"{label}:")
        for r in rows:
            print(f"  {r.name:<9} mean |grad| {r.mean_abs:.3e}  max |grad| {r.max_abs:.3e}  "
                  f"|dW|/|W| {r.ratio:.3e}  {r.status}")
        first, last = rows[0], rows[-1]
        print(f"  first/last layer mean |grad|: {first.mean_abs / last.mean_abs:.3g}")
    save(fig, folder, "graph_and_grad_flow.png")
    return results


if __name__ == "__main__":
    main()
