"""The two types every figure with a data record shares: :class:`FigureData` (the numbers) and :class:`Figure`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class FigureData:
    """The numbers behind one figure plus where they came from."""

    arrays: dict[str, np.ndarray]
    seeds: list[int] = field(default_factory=list)
    scenario_hashes: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)   # scalars the plot needs (titles, sizes)

    def sha256(self) -> str:
        """Hash of the arrays (names, dtypes, shapes and bytes, in name order) and the meta."""
        h = hashlib.sha256()
        for name in sorted(self.arrays):
            arr = np.ascontiguousarray(self.arrays[name])
            if arr.dtype == object:
                arr = np.asarray([str(x) for x in arr.ravel()], dtype=str)
            h.update(f"{name}|{arr.dtype.str}|{arr.shape}|".encode())
            h.update(arr.tobytes())
        h.update(json.dumps(self.meta, sort_keys=True, default=str).encode())
        return h.hexdigest()


@dataclass(frozen=True)
class Figure:
    """A named figure: how to compute its data and how to draw it."""

    name: str
    title: str
    build: Callable[[bool], FigureData]
    plot: Callable[[FigureData, Path], None]
