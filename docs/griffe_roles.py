"""A Griffe extension (mkdocstrings, mkdocs.yml): Sphinx roles in docstrings shown as code.

The package's docstrings are numpydoc with Sphinx cross-reference roles (``:class:`~sim.x.Y```),
which mkdocstrings would print as they are. This turns each into inline code: ``Y`` for a
``~``-shortened target, the full dotted name otherwise.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|data|attr|obj|exc|const):`(~?)([^`]+)`")


def plain(text: str) -> str:
    """``text`` with every Sphinx role replaced by inline code."""
    return ROLE.sub(lambda m: f"`{m.group(2).rsplit('.', 1)[-1] if m.group(1) else m.group(2)}`", text)


class SphinxRoles(griffe.Extension):
    """Rewrite the roles in every docstring Griffe loads."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain(obj.docstring.value)
