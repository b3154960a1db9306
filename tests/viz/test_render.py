"""Pictures of a Graph: DOT text, PNG/SVG/PDF files (own layout on matplotlib, or Graphviz), the layout."""

import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn
from gradkit.viz import layout, render

pytest.importorskip("matplotlib")


@pytest.fixture
def no_dot(monkeypatch):
    """Hide Graphviz so the matplotlib path runs even where ``dot`` is installed."""
    monkeypatch.setattr(render.shutil, "which", lambda name: None)


def _mlp_graph(show_grads=False):
    model = gk.models.MLP([4, 8, 3])
    loss = model(gk.randn(2, 4)).sum()
    g = gk.viz.graph(loss, params=model)
    if show_grads:
        loss.backward()
        g.update_grads()
    return g


def test_to_dot_names_every_node_and_edge():
    g = _mlp_graph(show_grads=True)
    dot = g.to_dot()
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    for n in g.nodes:
        assert f'"{n.id}" [' in dot
    for e in g.edges:
        assert f'"{e.src}" -> "{e.dst}"' in dot
    assert dot.count("->") == len(g.edges)
    assert 'label="(8, 4)"' in dot


def test_png_is_not_blank(tmp_path, no_dot):
    from matplotlib.image import imread

    path = tmp_path / "mlp.png"
    assert _mlp_graph(show_grads=True).save(path) == path
    pixels = imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert float(np.var(pixels[..., :3])) > 0


def test_svg_and_pdf(tmp_path, no_dot):
    g = _mlp_graph()
    svg = tmp_path / "mlp.svg"
    g.save(svg)
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert ET.fromstring(g._repr_svg_()).tag.endswith("svg")
    pdf = tmp_path / "mlp.pdf"
    g.save(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    with pytest.raises(ValueError, match=r"\.svg"):
        g.save(tmp_path / "mlp.jpg")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
def test_graphviz_path(tmp_path):
    g = _mlp_graph()
    path = tmp_path / "mlp.svg"
    g.save(path)
    text = path.read_text()
    assert "graphviz" in text.lower() and ET.fromstring(text.encode()).tag.endswith("svg")
    for n in g.nodes:
        assert n.id in text  # Graphviz titles each node with its id
    from matplotlib.image import imread

    g.save(tmp_path / "mlp.png")
    assert float(np.var(imread(tmp_path / "mlp.png")[..., :3])) > 0


def test_draw_scales_with_the_graph_and_stays_capped(no_dot):
    small = _mlp_graph().draw()
    w_small, h_small = small.get_size_inches()
    seq = gk.models.SequenceClassifier(1, 8)
    x = gk.randn(2, 60, 1)
    big = gk.viz.graph(seq(x), params=seq)
    resnet = gk.models.SmallResNet(1, 10)
    full = gk.viz.graph(resnet(gk.randn(1, 1, 8, 8)), params=resnet)
    assert len(full.nodes) > 50
    w, h = full.draw().get_size_inches()
    assert h > h_small and w <= render._MAX_W and h <= render._MAX_H
    w, h = big.draw().get_size_inches()
    assert w <= render._MAX_W and h <= render._MAX_H
    collapsed = gk.viz.model_graph(resnet, gk.randn(1, 1, 8, 8), depth=1).draw()
    assert collapsed.get_size_inches()[1] < full.draw().get_size_inches()[1]
    assert w_small > 1 and h_small > 1


def test_many_ops_draw(no_dot, tmp_path):
    # an LSTM unrolled step by step with LSTMCell: hundreds of ops
    cell, head = nn.LSTMCell(2, 4), nn.Linear(4, 1)
    h = c = gk.zeros(3, 4)
    xs = gk.randn(3, 40, 2)
    for t in range(40):
        h, c = cell(xs[:, t], (h, c))
    names = {**dict(cell.named_parameters()), **{"head." + k: v for k, v in head.named_parameters()}}
    g = gk.viz.graph(head(h), params=names)
    assert len([n for n in g.nodes if n.kind == "op"]) >= 80
    fig = g.draw()
    w, h_in = fig.get_size_inches()
    assert w <= render._MAX_W and h_in <= render._MAX_H
    g.save(tmp_path / "lstm.png")


def test_layering_and_ordering():
    nodes = ["a", "b", "c", "d", "p"]
    edges = [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d"), ("p", "c")]
    layer, preds, succs = layout.layers(nodes, edges)
    assert layer == {"a": 0, "b": 1, "c": 2, "d": 3, "p": 1}  # p sits just above its consumer
    rows = layout.order_layers(nodes, layer, preds, succs)
    assert rows[0] == ["a"] and set(rows[1]) == {"b", "p"} and rows[3] == ["d"]
    xy = layout.coordinates(rows, {n: 1.0 for n in nodes})
    assert all(xy[s][1] > xy[d][1] for s, d in edges)  # data flows downwards


def test_barycentre_ordering_removes_a_crossing():
    # top row x1 x2, bottom row y2 y1 with x1 -> y1, x2 -> y2 starts crossed
    nodes = ["x1", "x2", "y2", "y1"]
    edges = [("x1", "y1"), ("x2", "y2")]
    layer, preds, succs = layout.layers(nodes, edges)
    rows = layout.order_layers(nodes, layer, preds, succs)
    assert rows == [["x1", "x2"], ["y1", "y2"]]


def test_long_edges_are_routed_through_one_point_per_layer():
    nodes = ["a", "b", "c", "d"]
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("a", "d")]  # a skip connection over b and c
    layer, _, _ = layout.layers(nodes, edges)
    ids, layer2, preds, succs, chains = layout.route(nodes, edges, layer)
    assert [len(c) for c in chains] == [2, 2, 2, 4]
    assert [layer2[n] for n in chains[3]] == [0, 1, 2, 3]
    rows = layout.order_layers(ids, layer2, preds, succs)
    assert all(len(row) == (1 if r in (0, 3) else 2) for r, row in enumerate(rows))


def test_drawing_leaves_pyplot_alone(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys, gradkit as gk\n"
        "from gradkit.viz import render\n"
        "render.shutil.which = lambda name: None\n"
        "m = gk.models.MLP([2, 3, 1])\n"
        f"gk.viz.model_graph(m, gk.randn(2, 2)).save({str(tmp_path / 'm.png')!r})\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
