"""Writing output files: atomically (readers never see half a file) and with normal permissions."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, writer: Callable[[str], Any]) -> None:
    """Write ``path`` through ``writer(tmp_path)`` then rename over it.

    The temporary file lives in the same folder (so the rename is atomic) and gets the mode a
    plain ``open()`` would give (0644 under the usual umask), not ``mkstemp``'s 0600.
    """
    path = Path(path)
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(fd)
        writer(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if tmp:
            Path(tmp).unlink(missing_ok=True)


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically; return the path."""
    atomic_write(path, lambda p: Path(p).write_text(text, encoding="utf-8"))
    return Path(path)


def write_json(path: str | Path, data: Any, *, indent: int = 2, default: Callable[[Any], Any] | None = None) -> Path:
    """Write ``data`` as JSON (no NaN or inf: they are not JSON) atomically; return the path."""
    return write_text(path, json.dumps(data, indent=indent, allow_nan=False, default=default) + "\n")
