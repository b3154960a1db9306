"""A griffe extension for the docs site: gradkit's docstrings use Sphinx cross-reference roles
(``:class:`Module```, ``:func:`~gradkit.ops.sum```) and reST's ``::`` before a code block; the site
renders Markdown, so roles become code spans (``~`` keeps the last name, as in Sphinx) and ``::``
becomes ``:``. The source docstrings stay as they are."""

from __future__ import annotations

import re

import griffe

_ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj|ref):`(~?)([^`]+)`")
_LITERAL = re.compile(r"(\S)::[ \t]*$", re.M)


def _role(m: re.Match) -> str:
    name = m.group(2)
    return f"`{name.rsplit('.', 1)[-1] if m.group(1) else name}`"


class SphinxRoles(griffe.Extension):
    def on_instance(self, *, obj, **kwargs) -> None:
        doc = obj.docstring
        if doc is not None and doc.value:
            doc.value = _LITERAL.sub(r"\1:", _ROLE.sub(_role, doc.value))
