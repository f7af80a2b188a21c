"""One figure style for every plot: colour-blind-safe palette (Okabe-Ito), labelled units; atomic saving.

Importing this module does not choose a matplotlib backend: a notebook keeps its inline backend and
shows its figures. The command line (:func:`sim.apps.cli.program.main`) selects the non-interactive
``Agg`` backend for itself; files are written identically under any backend (``savefig`` renders
with Agg for png and the vector backends for svg/pdf).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from sim.core.files import atomic_write

PALETTE = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
CYCLE = [PALETTE[c] for c in ("blue", "vermillion", "green", "orange", "purple", "sky", "black")]


def apply() -> None:
    """Set matplotlib's defaults to the project style."""
    plt.rcParams.update({
        "figure.dpi": 110, "savefig.dpi": 130, "font.size": 9, "axes.titlesize": 10,
        "axes.labelsize": 9, "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
        "axes.spines.right": False, "axes.prop_cycle": matplotlib.cycler(color=CYCLE),
        "legend.frameon": False, "legend.fontsize": 8,
    })


def savefig(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` atomically (the format from its suffix), close it and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, format=path.suffix.lstrip(".") or "png"))
    finally:
        plt.close(fig)
    return path
