"""DOT text, and pictures: Graphviz's ``dot`` when installed, else gradkit's layout drawn with matplotlib.

matplotlib is used through its object API only (``train.plots.new_figure``); nothing global
changes.
"""

from __future__ import annotations

import io
import math
import os
import shutil
import subprocess

from .graph import _shape_str
from .layout import coordinates, layers, order_layers, route

# Fill colours by kind (light, so black text reads on them).
FILL = {
    "op": "#dbe9f6", "param": "#fde9c9", "input": "#d9f2d9", "output": "#d9f2d9",
    "module": "#ece3f5", "const": "#eeeeee",
}
FLAGGED = "#d62728"
# A small blue -> yellow -> red ramp for log10 |grad| (low to high); no colormap dependency.
_RAMP = ((0.55, 0.70, 1.00), (1.00, 0.90, 0.45), (1.00, 0.45, 0.40))
_FORMATS = (".svg", ".png", ".pdf")


def _grad_colours(graph) -> dict:
    """``{node id: "#rrggbb"}`` for nodes with a finite positive grad norm, on a log scale."""
    logs = {n.id: math.log10(n.grad_norm) for n in graph.nodes
            if n.grad_norm is not None and math.isfinite(n.grad_norm) and n.grad_norm > 0}
    if not logs:
        return {}
    lo, hi = min(logs.values()), max(logs.values())
    out = {}
    for nid, v in logs.items():
        t = 0.5 if hi == lo else (v - lo) / (hi - lo)
        seg = min(int(t * 2), 1)
        f = t * 2 - seg
        a, b = _RAMP[seg], _RAMP[seg + 1]
        rgb = [round(255 * (x + (y - x) * f)) for x, y in zip(a, b)]
        out[nid] = "#{:02x}{:02x}{:02x}".format(*rgb)
    return out




def _label(node) -> str:
    text = node.label
    if node.grad_norm is not None:
        text += f"\n|grad| {node.grad_norm:.3g}"
    if node.flags:
        text += "\n" + "\n".join(sorted(f"! {f}" for f in node.flags))
    return text


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def to_dot(graph) -> str:
    """DOT text of ``graph``: one statement per node and per edge, edges labelled with shapes."""
    colours = _grad_colours(graph)
    shapes = {"op": "box", "param": "ellipse", "input": "invhouse", "output": "house",
              "module": "box3d", "const": "plaintext"}
    lines = ["digraph gradkit {", '  rankdir=TB;',
             '  node [fontname="Helvetica", fontsize=10, style="filled"];',
             '  edge [fontname="Helvetica", fontsize=8];']
    for n in graph.nodes:
        style = '"rounded,filled"' if n.kind == "op" else '"filled"'
        fill = colours.get(n.id, FILL[n.kind])
        attrs = [f'label="{_esc(_label(n))}"', f"shape={shapes[n.kind]}", f"style={style}", f'fillcolor="{fill}"']
        if n.flags:
            attrs += [f'color="{FLAGGED}"', "penwidth=2"]
        lines.append(f'  "{_esc(n.id)}" [{", ".join(attrs)}];')
    for e in graph.edges:
        attrs = [f'label="{_esc(_shape_str(e.shape))}"']
        if e.src in colours:
            attrs.append(f'color="{colours[e.src]}"')
        lines.append(f'  "{_esc(e.src)}" -> "{_esc(e.dst)}" [{", ".join(attrs)}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- matplotlib

_CHAR_W = 0.6 / 72  # inches per character and point of font size (roughly, Helvetica-like)
_LINE_H = 1.35 / 72
_MAX_W, _MAX_H = 40.0, 60.0  # figure size cap in inches


def draw(graph, ax=None):
    """Draw ``graph`` with gradkit's layout; returns the matplotlib ``Figure``.

    Sizes are worked out in inches at font size 9, then the whole drawing (fonts included) is
    scaled down to fit a figure of at most 40 x 60 inches.
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    from ..train.plots import new_figure

    font = 9.0
    ids = [n.id for n in graph.nodes]
    kind = {n.id: n.kind for n in graph.nodes}
    labels = {n.id: _label(n) for n in graph.nodes}
    size = {}
    for nid, text in labels.items():
        lines = text.split("\n")
        f = font * (0.8 if kind[nid] in ("param", "const") else 1.0)
        pad = 0.3 if kind[nid] == "module" else 0.16
        size[nid] = (max(len(s) for s in lines) * f * _CHAR_W + pad, len(lines) * f * _LINE_H + pad)
    layer, _, _ = layers(ids, [(e.src, e.dst) for e in graph.edges])
    all_ids, layer, preds, succs, chains = route(ids, [(e.src, e.dst) for e in graph.edges], layer)
    for d in all_ids[len(ids):]:
        size[d] = (0.08, 0.0)
    rows = order_layers(all_ids, layer, preds, succs)
    row_h = [max((size[n][1] for n in row), default=0.3) for row in rows]
    layer_h = max(row_h, default=0.3) + 0.45
    xy = coordinates(rows, {n: size[n][0] for n in all_ids}, gap=0.3, layer_height=layer_h)
    xs = [xy[n][0] + s * size[n][0] / 2 for n in all_ids for s in (-1, 1)] or [0.0]
    ys = [xy[n][1] + s * size[n][1] / 2 for n in ids for s in (-1, 1)] or [0.0]
    margin = 0.3
    x0, x1, y0, y1 = min(xs) - margin, max(xs) + margin, min(ys) - margin, max(ys) + margin
    w, h = x1 - x0, y1 - y0
    scale = min(1.0, _MAX_W / w, _MAX_H / h)
    if ax is None:
        fig, ax = new_figure(figsize=(max(w * scale, 1.0), max(h * scale, 1.0)))
    else:
        fig = ax.figure
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_position((0.0, 0.0, 1.0, 1.0))
    ax.set_aspect("equal")
    ax.axis("off")
    fs = max(font * scale, 2.0)
    colours = _grad_colours(graph)
    for n in graph.nodes:
        (cx, cy), (bw, bh) = xy[n.id], size[n.id]
        style = {"op": "round,pad=0,rounding_size=0.08", "module": "round,pad=0,rounding_size=0.02",
                 "param": "round,pad=0,rounding_size=%.3f" % (min(bw, bh) / 2)}.get(n.kind, "square,pad=0")
        edge = FLAGGED if n.flags else ("#555555" if n.kind != "module" else "#6a3d9a")
        ax.add_patch(FancyBboxPatch((cx - bw / 2, cy - bh / 2), bw, bh, boxstyle=style,
                                    facecolor=colours.get(n.id, FILL[n.kind]), edgecolor=edge,
                                    linewidth=(1.6 if n.flags or n.kind == "module" else 0.8) * max(scale, 0.3)))
        ax.text(cx, cy, labels[n.id], ha="center", va="center",
                fontsize=fs * (0.8 if n.kind in ("param", "const") else 1.0), family="sans-serif")
    for e, chain in zip(graph.edges, chains):
        pts = [(xy[e.src][0], xy[e.src][1] - size[e.src][1] / 2)]
        pts += [xy[d] for d in chain[1:-1]]
        pts.append((xy[e.dst][0], xy[e.dst][1] + size[e.dst][1] / 2))
        colour, lw = colours.get(e.src, "#444444"), 0.8 * max(scale, 0.3)
        if len(pts) > 2:
            ax.plot([p[0] for p in pts[:-1]], [p[1] for p in pts[:-1]], color=colour, linewidth=lw)
        ax.add_patch(FancyArrowPatch(pts[-2], pts[-1], arrowstyle="-|>", mutation_scale=8 * max(scale, 0.3),
                                     color=colour, linewidth=lw, shrinkA=0, shrinkB=0))
        if e.shape is not None and fs >= 3:
            (ax0, ay0), (ax1, ay1) = pts[0], pts[1]
            ax.text((ax0 + ax1) / 2, (ay0 + ay1) / 2, _shape_str(e.shape), fontsize=fs * 0.7,
                    color="#666666", ha="center", va="center",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3, "alpha": 0.8})
    return fig


def _dot_render(graph, fmt: str):
    """Bytes of the picture drawn by Graphviz, or None when ``dot`` is missing or fails."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    try:
        proc = subprocess.run([exe, f"-T{fmt}"], input=to_dot(graph).encode(), capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 and proc.stdout else None


def save(graph, path) -> str:
    """Write ``graph`` as .svg, .png or .pdf (Graphviz if installed, else matplotlib); returns ``path``."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in _FORMATS:
        raise ValueError(f"save expected a path ending in one of {_FORMATS}, got {os.fspath(path)!r}")
    data = _dot_render(graph, ext[1:])
    if data is not None:
        with open(path, "wb") as fh:
            fh.write(data)
        return path
    fig = draw(graph)
    fig.savefig(path, format=ext[1:], dpi=100)
    return path


def to_svg(graph) -> str:
    """SVG text of the picture (for Jupyter's ``_repr_svg_``)."""
    data = _dot_render(graph, "svg")
    if data is not None:
        return data.decode("utf-8")
    buf = io.StringIO()
    draw(graph).savefig(buf, format="svg")
    return buf.getvalue()
