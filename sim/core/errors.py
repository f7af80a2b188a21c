"""The one error type for bad input, at every layer.

Library code raises :class:`InputError` (a ``ValueError``) with a one-line message that names the
field and the allowed range. ``field`` is the dotted name of what was wrong (``margin.accounts``,
``seed``, ``out``...) and ``allowed`` the range or choices in words; the command line maps the
field onto its flag (``out`` -> ``--out``) and exits with code 2. A run-time invariant that fails
is a bug, not bad input, and is a different type (:class:`sim.model.invariants.InvariantError`).
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: one line naming the field (``.field``) and the allowed range (``.allowed``)."""

    def __init__(self, message: str, *, field: str | None = None, allowed: str | None = None) -> None:
        super().__init__(" ".join(str(message).split()))  # always one line
        self.field = field
        self.allowed = allowed
