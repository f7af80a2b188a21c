"""Reproducible figures: ``marginsim figures [--quick]`` rebuilds every figure from fixed seeds.

Each figure is a :class:`Figure`: ``build(quick)`` computes the data behind it (a dict of
named numpy arrays, deterministic for the fixed seeds) and ``plot(data, path)`` draws it. The
manifest records, for each figure, the command, package version, seeds, scenario hashes and a
SHA-256 of the data, so a reader can check that a regenerated figure rests on the same numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim import __version__
from sim.core.errors import InputError
from sim.core.files import write_json
from sim.core.machine import platform_info
from sim.report.paper import attribution_bars, cascade, channels, history, returns, stocks, sweeps
from sim.report.paper.base import Figure, FigureData

__all__ = ["Figure", "FigureData", "build_all", "registry"]


def registry() -> list[Figure]:
    """Every figure, in the order of the paper."""
    return [history.FIGURE, cascade.FIGURE, sweeps.PHASE_FIGURE, attribution_bars.FIGURE, returns.FIGURE,
            channels.LETF_FIGURE, channels.GAMMA_FIGURE, sweeps.SOBOL_FIGURE, stocks.HEATMAP_FIGURE,
            stocks.SECTORS_FIGURE]


def build_all(out_dir: str | Path, quick: bool = False, only: list[str] | None = None,
              log: Callable[[str], None] | None = None,
              on_progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Build the data, draw each figure and write ``MANIFEST.json``.

    Parameters
    ----------
    out_dir : str or Path
        The output folder (created if missing).
    quick : bool
        Small sizes (seconds per figure) instead of the paper's.
    only : list of str, optional
        Build these figures only; the manifest keeps the other figures' entries.
    log : callable, optional
        Called with one line per figure drawn.
    on_progress : callable, optional
        Called as ``on_progress(done, total)`` before the first figure and after each one
        (``total`` counts the figures this call builds, in :func:`registry` order).

    Returns
    -------
    dict
        The manifest.

    Raises
    ------
    InputError
        A name in ``only`` is not a figure's (nothing is written).
    """
    figures = registry()
    names = [f.name for f in figures]
    for name in only or []:
        if name not in names:
            raise InputError(f"only {name!r}: must be one of {', '.join(names)}", field="only",
                             allowed=", ".join(names))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    command = "marginsim figures" + (" --quick" if quick else "")
    todo = [fig for fig in figures if not only or fig.name in only]
    entries = []
    for fig in todo:
        if on_progress is not None:
            on_progress(len(entries), len(todo))
        entries.append(_build_one(fig, out, quick, command))
        if log is not None:
            log(f"{fig.name}: {out / entries[-1]['file']} (data {entries[-1]['data_sha256'][:16]})")
    if on_progress is not None:
        on_progress(len(entries), len(todo))
    old = out / "MANIFEST.json"
    if only and old.exists():  # a partial rebuild keeps the other figures' entries
        kept = {e["figure"]: e for e in json.loads(old.read_text()).get("figures", [])}
        kept.update({e["figure"]: e for e in entries})
        entries = [kept[f.name] for f in figures if f.name in kept]
    manifest = {"command": command, "version": __version__, "quick": quick, "platform": platform_info(),
                "figures": entries}
    write_json(out / "MANIFEST.json", manifest)
    return manifest


def _build_one(fig: Figure, out: Path, quick: bool, command: str) -> dict[str, Any]:
    """Build and draw one figure; returns its manifest entry."""
    data = fig.build(quick)
    path = out / f"{fig.name}.png"
    fig.plot(data, path)
    return {"figure": fig.name, "file": path.name, "title": fig.title, "command": command,
            "version": __version__, "seeds": data.seeds, "scenario_hashes": data.scenario_hashes,
            "data_sha256": data.sha256()}
