"""gradkit's own layered layout (used when Graphviz is not installed).

Three steps, as in Sugiyama-style drawings: (1) longest-path layering, sources on top, each
node one layer below its lowest predecessor, then every node pulled down to just above its
first consumer (so parameters and side chains sit next to their use), and edges that span
several layers split by one dummy point per layer; (2) barycentre sweeps, down then up,
ordering each layer by the mean position of its neighbours to reduce crossings;
(3) coordinates, each layer centred, boxes side by side.
"""

from __future__ import annotations


def layers(node_ids, edges):
    """``{node id: layer}`` by longest path from the sources (edges as ``(src, dst)`` pairs)."""
    preds = {n: [] for n in node_ids}
    succs = {n: [] for n in node_ids}
    for s, d in edges:
        if s in preds and d in preds and s != d:
            preds[d].append(s)
            succs[s].append(d)
    # Kahn's order; a cycle cannot come from a recorded graph, but any leftover goes last.
    indeg = {n: len(preds[n]) for n in node_ids}
    ready = [n for n in node_ids if indeg[n] == 0]
    order = []
    while ready:
        n = ready.pop()
        order.append(n)
        for d in succs[n]:
            indeg[d] -= 1
            if indeg[d] == 0:
                ready.append(d)
    order += [n for n in node_ids if n not in set(order)]
    layer = {}
    for n in order:
        layer[n] = max((layer.get(p, 0) + 1 for p in preds[n]), default=0)
    for n in reversed(order):  # then as late as the consumers allow: side chains sit next to their use
        if succs[n]:
            layer[n] = max(layer[n], min(layer[d] for d in succs[n]) - 1)
    return layer, preds, succs


def order_layers(node_ids, layer, preds, succs, sweeps: int = 4):
    """Nodes of each layer, ordered by barycentre sweeps; a list of lists, top layer first."""
    rows = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for n in node_ids:  # first appearance as the starting order
        rows[layer[n]].append(n)
    pos = {}

    def place():
        for row in rows:
            width = len(row)
            for i, n in enumerate(row):
                pos[n] = i - (width - 1) / 2

    place()
    for sweep in range(sweeps):
        down = sweep % 2 == 0
        seq = rows[1:] if down else rows[-2::-1]
        for row in seq:
            keyed = []
            for i, n in enumerate(row):
                nbrs = preds[n] if down else succs[n]
                nbrs = nbrs or (succs[n] if down else preds[n])
                bary = sum(pos[m] for m in nbrs) / len(nbrs) if nbrs else pos[n]
                keyed.append((bary, i, n))
            keyed.sort()
            row[:] = [n for _, _, n in keyed]
            width = len(row)
            for i, n in enumerate(row):
                pos[n] = i - (width - 1) / 2
    return rows


def coordinates(rows, widths, gap: float = 0.3, layer_height: float = 1.0):
    """``{node id: (x, y)}`` centres: each row centred on x=0, rows ``layer_height`` apart downwards."""
    xy = {}
    for r, row in enumerate(rows):
        total = sum(widths[n] for n in row) + gap * max(len(row) - 1, 0)
        x = -total / 2
        for n in row:
            xy[n] = (x + widths[n] / 2, -r * layer_height)
            x += widths[n] + gap
    return xy


def route(node_ids, edges, layer):
    """Split each edge that spans several layers into a chain through one dummy point per layer.

    Ordering the dummies with the real nodes keeps long edges (skip connections, parameters
    used far below) from running through boxes.

    Args:
        node_ids: the real nodes.
        edges: ``(src, dst)`` pairs, ``layer[src] < layer[dst]``.
        layer: ``{node id: layer}`` from :func:`layers`; dummies are added to a copy.

    Returns:
        ``(ids, layer, preds, succs, chains)``: all ids (dummies after the real nodes), their
        layers, neighbours along the chains, and for each edge the list of ids it passes.
    """
    layer = dict(layer)
    ids = list(node_ids)
    preds = {n: [] for n in ids}
    succs = {n: [] for n in ids}
    chains = []
    for i, (s, d) in enumerate(edges):
        chain = [s]
        for k in range(layer[s] + 1, layer[d]):
            dummy = f"\x00{i}.{k}"
            layer[dummy] = k
            ids.append(dummy)
            preds[dummy], succs[dummy] = [], []
            chain.append(dummy)
        chain.append(d)
        for a, b in zip(chain, chain[1:]):
            if a != b:
                succs[a].append(b)
                preds[b].append(a)
        chains.append(chain)
    return ids, layer, preds, succs, chains
