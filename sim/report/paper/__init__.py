"""Reproducible figures: ``marginsim figures [--quick]`` rebuilds every figure from fixed seeds.

Each figure is a :class:`Figure`: ``build(quick)`` computes the data behind it (a dict of
named numpy arrays, deterministic for the fixed seeds) and ``plot(data, path)`` draws it. The
manifest records, for each figure, the command, package version, seeds, scenario hashes and a
SHA-256 of the data, so a reader can check that a regenerated figure rests on the same numbers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim import __version__


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


def registry() -> list[Figure]:
    """Every figure, in the order of the paper."""
    from sim.report.paper import attribution_bars, cascade, channels, history, returns, sweeps

    figures = [history.FIGURE, cascade.FIGURE, sweeps.PHASE_FIGURE, attribution_bars.FIGURE, returns.FIGURE,
               channels.LETF_FIGURE, channels.GAMMA_FIGURE, sweeps.SOBOL_FIGURE]
    return figures


def build_all(out_dir: str | Path, quick: bool = False, only: list[str] | None = None,
              log: Callable[[str], None] = print) -> dict[str, Any]:
    """Build the data, draw each figure and write ``MANIFEST.json``; returns the manifest."""
    from sim.core.files import atomic_write

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures = registry()
    names = [f.name for f in figures]
    for name in only or []:
        if name not in names:
            raise ValueError(f"--only {name!r}: must be one of {', '.join(names)}")
    command = "marginsim figures" + (" --quick" if quick else "")
    entries = []
    for fig in figures:
        if only and fig.name not in only:
            continue
        data = fig.build(quick)
        path = out / f"{fig.name}.png"
        fig.plot(data, path)
        entry = {"figure": fig.name, "file": path.name, "title": fig.title, "command": command,
                 "version": __version__, "seeds": data.seeds, "scenario_hashes": data.scenario_hashes,
                 "data_sha256": data.sha256()}
        entries.append(entry)
        log(f"{fig.name}: {path} (data {entry['data_sha256'][:16]})")
    old = out / "MANIFEST.json"
    if only and old.exists():  # a partial rebuild keeps the other figures' entries
        kept = {e["figure"]: e for e in json.loads(old.read_text()).get("figures", [])}
        kept.update({e["figure"]: e for e in entries})
        entries = [kept[f.name] for f in figures if f.name in kept]
    manifest = {"command": command, "version": __version__, "quick": quick, "figures": entries}
    atomic_write(out / "MANIFEST.json",
                 lambda p: Path(p).write_text(json.dumps(manifest, indent=2) + "\n"))
    return manifest
