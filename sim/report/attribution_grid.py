"""`marginsim attribute`'s grid files: JSON, a markdown table and one figure of shares vs shock size."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from sim import __version__
from sim.analysis.attribution_grid import GridAttribution, grid_json
from sim.analysis.attribution_horizons import LABELS, UNITS
from sim.core.files import write_json, write_text
from sim.model.market_model import CHANNELS
from sim.report import style

PARTS = ("base", *CHANNELS)
COLORS = dict(zip(PARTS, ("black", "vermillion", "orange", "blue", "green"), strict=True))


def payload(grid: GridAttribution) -> dict:
    """The ``attribution_grid.json`` document: the package version and :func:`grid_json`."""
    return {"version": __version__, **grid_json(grid)}


def _shock(s: float | None) -> str:
    return "as in scenario" if s is None else f"-{s:.0%}"


def _deadline(d: int | None) -> str:
    return "scenario's" if d is None else f"{d} day" + ("" if d == 1 else "s")


def _cell(band: dict | None, pct: bool = True) -> str:
    if band is None or band["median"] is None:
        return "n/a"
    f = (lambda x: f"{100 * x + 0.0:.1f}") if pct else (lambda x: f"{x + 0.0:.3g}")
    return f"{f(band['median'])} [{f(band['q05'])}, {f(band['q95'])}]"


def markdown(grid: GridAttribution) -> str:
    """Tables: each horizon's shares (%, median [5%, 95%] over seeds) per deadline and shock; then k."""
    doc = grid_json(grid)
    lines = [f"# Shapley attribution: {doc['scenario_name']} ({len(doc['seeds'])} seeds, hash {doc['scenario_hash']})",
             "", "Shares of the total, % (median [5%, 95%] across seeds); total = value with all channels on.", ""]
    for h in doc["horizons"]:
        unit = {"fraction": "%", "log points": "log points x 100"}.get(UNITS[h], UNITS[h])
        lines += [f"## {LABELS[h]}", "", "| deadline | shock | total (" + unit + ") | "
                  + " | ".join(PARTS) + " |", "|---" * (3 + len(PARTS)) + "|"]
        for c in doc["cells"]:
            cell = c["horizons"][h]
            total = _cell(cell["value"]["total"], pct=UNITS[h] in ("fraction", "log points"))
            shares = " | ".join(_cell(cell["share"][p]) for p in PARTS)
            lines.append(f"| {_deadline(c['deadline_days'])} | {_shock(c['shock'])} | {total} | {shares} |")
        lines.append("")
    if any(c["realised_k"] for c in doc["cells"]):
        ks = list(doc["cells"][0]["realised_k"])
        lines += ["## Brunnermeier-Pedersen spiral gain of the margin book", "",
                  "realised k = 1 - v(all but margin) / v(all); analytic k = multiplier x forced sales per unit "
                  "of extra fall / market value, from the book before the shock (deadline 0).", "",
                  "| deadline | shock | " + " | ".join(f"realised k, {h}" for h in ks)
                  + " | analytic k | first forced sale (day) |", "|---" * (4 + len(ks)) + "|"]
        for c in doc["cells"]:
            real = " | ".join(_cell(c["realised_k"][h], pct=False) for h in ks)
            lines.append(f"| {_deadline(c['deadline_days'])} | {_shock(c['shock'])} | {real} | "
                         f"{_cell(c['analytic_k'], pct=False)} | {_cell(c['first_forced_sale_day'], pct=False)} |")
        lines.append("")
    lines.append(f"{len(doc['seeds'])} seeds x {len(doc['shocks'])} shocks x {len(doc['deadlines'])} deadlines x 16 "
                 f"coalitions in {doc['seconds']:.1f} s.")
    return "\n".join(lines) + "\n"


def _panel(ax, grid: GridAttribution, shares: dict[str, np.ndarray], i: int) -> None:
    """One deadline: lines with bands over shock sizes, or bars with 5-95% whiskers for one shock."""
    x = [100 * s if s is not None else 0.0 for s in grid.shocks]
    for n, part in enumerate(PARTS):
        q = np.nanquantile(100 * shares[part][i], [0.05, 0.5, 0.95], axis=-1)
        color = style.PALETTE[COLORS[part]]
        label = "base (channels off)" if part == "base" else part
        if len(x) > 1:
            ax.plot(x, q[1], marker="o", color=color, label=label)
            ax.fill_between(x, q[0], q[2], color=color, alpha=0.2, linewidth=0)
        else:
            ax.bar(n, q[1, 0], color=color, label=label)
            ax.errorbar(n, q[1, 0], yerr=[[q[1, 0] - q[0, 0]], [q[2, 0] - q[1, 0]]], color="black", capsize=3)
    if len(x) > 1:
        ax.set_xlabel("index shock, % fall")
    else:
        ax.set_xticks(range(len(PARTS)), ["base", *CHANNELS], fontsize=8)
        ax.set_xlabel("channel (" + ("the scenario's own path" if grid.shocks[0] is None
                                     else f"shock {_shock(grid.shocks[0])}") + ")")
    ax.axhline(0, color="black", linewidth=0.6)


def plot_grid(grid: GridAttribution, path: str | Path, horizon: str | None = None) -> Path:
    """Shapley share of ``horizon`` (default the first) per channel vs shock size; one panel per deadline."""
    style.apply()
    horizon = horizon or grid.horizons[0]
    shares = grid.shares(horizon)
    width = max(4.6 * len(grid.deadlines), 8.0)
    fig, axes = plt.subplots(1, len(grid.deadlines), figsize=(width, 4.4), sharey=True, constrained_layout=True,
                             squeeze=False)
    for i, (ax, d) in enumerate(zip(axes[0], grid.deadlines, strict=True)):
        _panel(ax, grid, shares, i)
        ax.set_title(f"call deadline: {_deadline(d)}")
    axes[0][0].set_ylabel(f"share of the {LABELS[horizon]}, %")
    axes[0][-1].legend(fontsize=8)
    title = (f"{grid.scenario_name}: Shapley share of the {LABELS[horizon]} per channel "
             f"(median and 5-95% band over {len(grid.seeds)} seeds)")
    fig.suptitle(textwrap.fill(title, int(width * 14)), fontsize=10)
    return style.savefig(fig, path)


def write(grid: GridAttribution, out: str | Path, horizon: str | None = None) -> list[Path]:
    """Write ``attribution_grid.json``, ``attribution_grid.md`` and ``attribution_grid.png`` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return [write_json(out / "attribution_grid.json", payload(grid)),
            write_text(out / "attribution_grid.md", markdown(grid)),
            plot_grid(grid, out / "attribution_grid.png", horizon)]
