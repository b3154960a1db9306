"""Small HTML tables for rich display in Jupyter (the ``_repr_html_`` of reports and histories).

Every report keeps its plain-text ``__str__``; notebooks call ``_repr_html_`` and show a table.
Values are escaped; nothing here runs scripts or loads anything.
"""

from __future__ import annotations

import html

_STYLE = ("border-collapse:collapse;font-family:monospace;font-size:12px;margin:4px 0",
          "border:1px solid #ccc;padding:2px 8px;text-align:right",
          "border:1px solid #ccc;padding:2px 8px;text-align:left;background:#f4f4f4")


def esc(value) -> str:
    """``value`` as escaped HTML text."""
    return html.escape(str(value))


def table(header, rows, *, marked_rows=(), caption=None) -> str:
    """An HTML table; rows whose index is in ``marked_rows`` are shown in bold red."""
    t, td, th = _STYLE
    out = [f'<table style="{t}">']
    if caption:
        out.append(f'<caption style="text-align:left;font-weight:bold">{esc(caption)}</caption>')
    out.append("<tr>" + "".join(f'<th style="{th}">{esc(h)}</th>' for h in header) + "</tr>")
    for i, row in enumerate(rows):
        style = td + (";color:#b00;font-weight:bold" if i in marked_rows else "")
        out.append("<tr>" + "".join(f'<td style="{style}">{esc(v)}</td>' for v in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


def items(lines, title=None) -> str:
    """A titled bullet list."""
    head = f"<b>{esc(title)}</b>" if title else ""
    return head + "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul>"


def block(*parts) -> str:
    return "<div>" + "".join(parts) + "</div>"
