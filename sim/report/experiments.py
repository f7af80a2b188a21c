"""What each shipped experiment reports: ``summary.md`` and a figure, from its ``runs.parquet``.

An experiment names its analysis (``analysis = "phase_diagram"``) and passes settings in
``[experiment.options]``; ``marginsim sweep`` runs it once every run has a row. The numbers come
from :mod:`sim.analysis.experiments`; this module draws them and writes the files. Failed runs
are counted in the summary and left out of the statistics.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.analysis import experiments as ex
from sim.analysis.attribution import LABELS, METRICS
from sim.config.experiment import Experiment
from sim.core.files import write_json, write_text
from sim.model.market_model import CHANNELS
from sim.report import markdown, style
from sim.report.sensitivity import plot_indices
from sim.sweep.store import read_series


def analyze(exp: Experiment, runs: pd.DataFrame, out: Path) -> list[Path]:
    """Write the experiment's summary and figure(s) into ``out``.

    Parameters
    ----------
    exp : Experiment
        The experiment; ``exp.analysis`` names the report (none: nothing is written).
    runs : DataFrame
        Its runs, one row each (``sim.sweep.engine.read_runs``).
    out : Path
        The sweep's output folder (the daily series are read from it where the report needs them).

    Returns
    -------
    list of Path
        The files written.
    """
    if exp.analysis is None:
        return []
    manifest = Path(out) / "manifest.json"
    if manifest.is_file():  # the summary names the version that ran the experiment, not the one reporting it
        ran = json.loads(manifest.read_text(encoding="utf-8"))
        if "version" in ran:
            runs.attrs["version"] = ran["version"]
    return ANALYSES[exp.analysis](exp, runs, Path(out))


def _ran_by(data: dict, runs: pd.DataFrame) -> dict:
    """``data`` with the version that ran the experiment (from its manifest), where it is known."""
    return {**data, "version": runs.attrs.get("version", data["version"])}


def _summary(out: Path, lines: list[str]) -> Path:
    return write_text(out / "summary.md", "\n".join(lines))


# ---------------------------------------------------------------------------- 1. phase diagram

PHASE_PANELS = (("p_doubled", "P(drawdown within 21 days >= {multiple:g} x shock)", "Blues", "{:.2f}"),
                ("median_cascade_bn", "median cascade: forced sales + buy-ins, $ bn", "Oranges", "{:.0f}"),
                ("median_amplification", "median drawdown / shock size", "Purples", "{:.2f}"))


def _heat_map(ax, grid: np.ndarray, cmap: str, fmt: str, limits: dict) -> object:
    """An annotated heat map of ``grid`` (rows: shocks, columns: x); returns the image."""
    im = ax.imshow(grid, origin="lower", aspect="auto", cmap=cmap, **limits)
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            v = grid[i, j]
            if np.isfinite(v):
                ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=7,
                        color="white" if im.norm(v) > 0.6 else "black")
    return im


def plot_phase(exp: Experiment, phase: ex.PhaseDiagram, path: Path) -> Path:
    """Three heat maps over (x, shock): P(doubled), median cascade, median drawdown / shock."""
    cells = phase.cells
    xs, ys = sorted(cells[phase.x].unique()), sorted(cells["shock"].unique())
    style.apply()
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), constrained_layout=True)
    for ax, (col, title, cmap, fmt) in zip(axes, PHASE_PANELS, strict=True):
        grid = cells.pivot(index="shock", columns=phase.x, values=col).reindex(index=ys, columns=xs).to_numpy()
        limits = {"vmin": 0.0, "vmax": 1.0} if col == "p_doubled" else {}
        im = _heat_map(ax, grid, cmap, fmt, limits)
        ax.set_xticks(range(len(xs)), [f"{x:g}" for x in xs])
        ax.set_yticks(range(len(ys)), [f"{100 * y:g}%" for y in ys])
        ax.set_xlabel(exp.options.get("x_label", "average leverage of margin accounts (long value / equity)"))
        ax.set_ylabel("shock size (index gap, % fall)")
        ax.set_title(title.format(multiple=phase.multiple))
        ax.grid(False)
        fig.colorbar(im, ax=ax, shrink=0.85)
    fig.suptitle(f"{exp.name}: when does a shock become a crash? ({phase.runs:,} runs, "
                 f"{exp.replicates} per cell)", fontsize=11)
    return style.savefig(fig, path)


def phase_diagram(exp: Experiment, runs: pd.DataFrame, out: Path) -> list[Path]:
    """P(a shock becomes a drawdown ``multiple`` x its size) and the median cascade, per cell."""
    phase = ex.phase_diagram(exp, runs)
    png = plot_phase(exp, phase, out / "phase_diagram.png")
    cells = phase.cells
    table = cells.assign(**{
        "shock": [f"{100 * y:g}%" for y in cells["shock"]],
        "P(doubled) [95% CI]": [f"{p:.2f} [{lo:.2f}, {hi:.2f}]" for p, lo, hi in
                                zip(cells["p_doubled"], cells["p_lo"], cells["p_hi"], strict=True)],
        "median cascade $bn": cells["median_cascade_bn"].map("{:.1f}".format),
        "median drawdown/shock": cells["median_amplification"].map("{:.2f}".format),
        "median liquidations": cells["median_liquidations"].map("{:.0f}".format),
    })[[phase.x, "shock", "runs", "P(doubled) [95% CI]", "median cascade $bn", "median drawdown/shock",
        "median liquidations"]]
    return [_summary(out, [
        *markdown.header(exp, runs),
        f"A run's shock is 'doubled' when the index's fall in the 21 days after the shock (from the close "
        f"before it to the lowest close) is at least {phase.multiple:g} x the shock size. The cascade is the "
        "margin book's forced sales and buy-ins over the run ($). Intervals are 95% Wilson intervals.",
        "",
        markdown.table(table),
        "",
        f"![phase diagram]({png.name})",
        "",
    ]), png]


# ---------------------------------------------------------------------------- 2. channel ablation

PART_COLOURS = [style.PALETTE[c] for c in ("black", "vermillion", "orange", "blue", "green")]
PART_LABELS = ["base (shock + liquidity side)", "margin investors", "leveraged ETFs", "options dealers",
               "vol-control funds"]


def _stacked_parts(ax, abl: ex.ChannelAblation, metric: str) -> None:
    """Horizontal bars per scenario: the base and each channel's part, stacked from zero both ways."""
    order = abl.scenarios
    y = np.arange(len(order))
    left_pos, left_neg = np.zeros(len(order)), np.zeros(len(order))
    for part, colour, label in zip(["base", *CHANNELS], PART_COLOURS, PART_LABELS, strict=True):
        v = np.array([100 * abl.mean.loc[(s, metric), part] for s in order])
        left = np.where(v >= 0, left_pos, left_neg)
        ax.barh(y, v, left=left, color=colour, label=label)
        left_pos, left_neg = left_pos + np.maximum(v, 0), left_neg + np.minimum(v, 0)
    ax.set_yticks(y, order)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel(f"{LABELS[metric]}, percentage points (Shapley contributions add up to the total)")
    ax.set_title(f"{LABELS[metric]}: what each channel adds")


def plot_channel_ablation(exp: Experiment, abl: ex.ChannelAblation, path: Path) -> Path:
    """One panel per metric in option ``plot_metrics``: each scenario's Shapley parts, stacked."""
    style.apply()
    shown = [m for m in METRICS if m in exp.options.get("plot_metrics", ["shock_drawdown", "max_drawdown"])]
    fig, axes = plt.subplots(1, len(shown), figsize=(7 * len(shown), 0.5 * len(abl.scenarios) + 2.6),
                             constrained_layout=True, squeeze=False)
    for ax, metric in zip(axes[0], shown, strict=True):
        _stacked_parts(ax, abl, metric)
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=5)
    fig.suptitle(f"{exp.name}: Shapley attribution over the four leverage channels, mean of "
                 f"{abl.seeds} seed{'s' if abl.seeds > 1 else ''} per scenario", fontsize=11)
    return style.savefig(fig, path)


def _parts_table(abl: ex.ChannelAblation, metric: str) -> pd.DataFrame:
    """Per scenario, each part in percentage points +/- its 95% half-width."""
    rows = []
    for s in abl.scenarios:
        m, h = abl.mean.loc[(s, metric)], abl.half.loc[(s, metric)]
        rows.append({"scenario": s, **{p: f"{100 * m[p]:.2f} +/- {100 * h[p]:.2f}" if np.isfinite(h[p])
                                       else f"{100 * m[p]:.2f}" for p in abl.parts}})
    return pd.DataFrame(rows)


def channel_ablation(exp: Experiment, runs: pd.DataFrame, out: Path) -> list[Path]:
    """Shapley attribution (as ``marginsim attribute``) for every scenario, averaged over replicates."""
    abl = ex.channel_ablation(exp, runs)
    png = plot_channel_ablation(exp, abl, out / "channel_ablation.png")
    text = [
        *markdown.header(exp, runs),
        "Each scenario runs with every subset of the four channels switched on (16 runs per seed, identical "
        "shocks and random draws); `sim.analysis.attribution.shapley` splits each measure into the base "
        "(the shock through the liquidity side alone) and each channel's Shapley value, which add up to "
        "the total exactly. Values are means over seeds in percentage points, +/- the 95% interval half-width.",
        "",
    ]
    for metric in METRICS:
        text += [f"## {LABELS[metric]}", "", markdown.table(_parts_table(abl, metric)), ""]
    text += [f"![channel ablation]({png.name})", ""]
    return [_summary(out, text), write_json(out / "attribution.json", _ran_by(abl.to_json(exp.name), runs)), png]


# ---------------------------------------------------------------------------- 3. broker tightening

TIGHTENING_PANELS = (("d_shock_drawdown", 100, "change in the 21-day shock drawdown, percentage points",
                      "Fall after the shock"),
                     ("d_max_drawdown", 100, "change in the max drawdown, percentage points",
                      "Max drawdown over the run"),
                     ("d_cascade_bn", 1, "change in forced sales + buy-ins, $ bn", "Forced selling by brokers"))


def plot_tightening(exp: Experiment, tight: ex.Tightening, path: Path) -> Path:
    """Three panels: the paired change of each measure against the raise day, one line per raise size."""
    style.apply()
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5), constrained_layout=True)
    for ax, (col, scale, ylabel, _) in zip(axes, TIGHTENING_PANELS, strict=True):
        for colour, (size, g) in zip(style.CYCLE, tight.cells.groupby("raise_size"), strict=False):
            ax.errorbar(g["relative_day"], scale * g[col], yerr=scale * g[f"{col}_ci"], marker="o", ms=4,
                        capsize=3, color=colour, label=f"maintenance +{100 * size:g} points")
        ax.axvline(0, color="black", linewidth=0.8, linestyle="--")
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xlabel("raise day minus shock day (trading days)")
        ax.set_ylabel(ylabel)
        ax.legend(loc="best")
    for ax, panel in zip(axes, TIGHTENING_PANELS, strict=True):
        ax.set_title(panel[3])
    fig.suptitle(f"{exp.name}: brokers raise maintenance before, on or after a shock (vs. no raise, "
                 f"same seeds; 95% intervals)", fontsize=11)
    return style.savefig(fig, path)


def _change(d: pd.Series, ci: pd.Series, scale: float, digits: int) -> list[str]:
    return [f"{scale * a:+.{digits}f} +/- {scale * b:.{digits}f}" for a, b in zip(d, ci, strict=True)]


def _tightening_table(cells: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "raise day (rel.)": [f"{d} ({r:+d})" for d, r in zip(cells["raise_day"], cells["relative_day"],
                                                             strict=True)],
        "size": [f"+{100 * s:g} pts" for s in cells["raise_size"]],
        "shock drawdown": [f"{100 * v:.2f}%" for v in cells["shock_drawdown"]],
        "change vs no raise (pp)": _change(cells["d_shock_drawdown"], cells["d_shock_drawdown_ci"], 100, 2),
        "max drawdown": [f"{100 * v:.2f}%" for v in cells["max_drawdown"]],
        "change (pp)": _change(cells["d_max_drawdown"], cells["d_max_drawdown_ci"], 100, 2),
        "forced sales $bn": [f"{v:.1f}" for v in cells["cascade_bn"]],
        "change ($bn)": _change(cells["d_cascade_bn"], cells["d_cascade_bn_ci"], 1, 1),
    })


def tightening(exp: Experiment, runs: pd.DataFrame, out: Path) -> list[Path]:
    """Drawdown and forced sales against the day brokers raise maintenance, relative to the shock."""
    tight = ex.tightening(exp, runs, read_series(out))
    png = plot_tightening(exp, tight, out / "tightening.png")
    base = tight.control
    return [_summary(out, [
        *markdown.header(exp, runs),
        f"The shock hits on day {tight.shock_day}. Each row raises every broker's house maintenance by the given "
        "points on the given day; changes are paired with the no-raise runs of the same seed (common random "
        "numbers) and shown with 95% intervals. Without a raise: shock drawdown "
        f"{100 * base['shock_drawdown'].mean():.2f}%, max drawdown {100 * base['max_drawdown'].mean():.2f}%, "
        f"forced sales ${base['cascade_bn'].mean():.1f} bn (means over seeds). Check: the no-raise runs are "
        f"{'identical' if tight.identical else 'NOT identical'} whatever the (ineffective) raise day.",
        "",
        markdown.table(_tightening_table(tight.cells)),
        "",
        f"![tightening]({png.name})",
        "",
    ]), png]


# ---------------------------------------------------------------------------- 4. concentration

def case_labels(conc: ex.Concentration) -> list[str]:
    """Each case's values, joined (fractions below 1 as percentages)."""
    return [", ".join(f"{100 * v:g}%" if isinstance(v, float) and abs(v) < 1 else str(v) for v in r)
            for r in conc.cells[conc.keys].to_numpy()]


def plot_concentration(exp: Experiment, conc: ex.Concentration, path: Path) -> Path:
    """One panel per measure: each case's mean under both layouts, with 95% intervals."""
    cells, layouts = conc.cells, conc.layouts
    style.apply()
    fig, axes = plt.subplots(1, len(conc.measures), figsize=(19, 4.8), constrained_layout=True)
    x = np.arange(len(cells))
    for ax, (m, scale, title) in zip(axes, conc.measures, strict=True):
        for i, (lay, colour) in enumerate(zip(layouts, (style.PALETTE["vermillion"], style.PALETTE["blue"]),
                                              strict=False)):
            ax.bar(x + (i - 0.5) * 0.4, scale * cells[f"{m}|{lay}"], 0.4, yerr=scale * cells[f"{m}|{lay}|ci"],
                   capsize=3, color=colour, label=f"LETF assets {lay}")
        ax.set_xticks(x, case_labels(conc), rotation=30, ha="right", fontsize=7)
        ax.set_xlabel(", ".join(conc.keys))
        ax.set_ylabel(title.rsplit(", ", 1)[1])
        ax.set_title(title.rsplit(", ", 1)[0].replace(" (", "\n("), fontsize=9)
        ax.legend(loc="best")
    fig.suptitle(f"{exp.name}: leveraged-ETF assets {layouts[0]} vs {layouts[1]} (same total AUM; mean over "
                 f"{exp.replicates} seeds, 95% intervals)", fontsize=11)
    return style.savefig(fig, path)


def concentration(exp: Experiment, runs: pd.DataFrame, out: Path) -> list[Path]:
    """Concentrated vs evenly spread leveraged-ETF assets, under shocks to different targets."""
    conc = ex.concentration(exp, runs, read_series(out))
    png = plot_concentration(exp, conc, out / "concentration.png")
    cells, (first, second) = conc.cells, conc.layouts
    table = pd.DataFrame({"case": case_labels(conc), **{
        f"{title} ({first} -> {second})": [
            f"{scale * a:.2f} -> {scale * b:.2f} ({scale * d:+.2f} +/- {scale * c:.2f})"
            for a, b, d, c in zip(cells[f"{m}|{first}"], cells[f"{m}|{second}"], cells[f"{m}|diff"],
                                  cells[f"{m}|diff|ci"], strict=True)]
        for m, scale, title in conc.measures}})
    return [_summary(out, [
        *markdown.header(exp, runs),
        f"Each case runs both layouts with the same seeds; the change ({second} minus {first}) is paired "
        "by seed, with its 95% interval.",
        "",
        markdown.table(table),
        "",
        f"![concentration]({png.name})",
        "",
    ]), png]


# ---------------------------------------------------------------------------- 5. Sobol

def _sobol_text(exp: Experiment, sob: ex.SobolAnalysis) -> list[str]:
    """The summary after its header: the design, the parameters and one table of indices per metric."""
    conf = int(sob.conf_level * 100)
    text = [
        f"Saltelli sample (SALib) of {sob.points:,} points, N = {exp.samples}; indices from "
        f"`SALib.analyze.sobol` with {conf}% bootstrap intervals (+/- half-width). S1: share of the "
        "output's variance explained by the parameter alone; ST: including all its interactions.",
        "",
        "| parameter | what it sets | range |",
        "|---|---|---|",
    ]
    for p in exp.parameters:
        what = ", ".join(f"{t.path} ({t.op})" for t in p.targets)
        text.append(f"| {sob.label(p.name)} | {what} | [{p.low:g}, {p.high:g}]{' log' if p.log else ''} |")
    text.append("")
    for metric, t in sob.tables.items():
        text += [f"## {metric} (mean {sob.output_mean[metric]:.4g}, std {sob.output_std[metric]:.4g})",
                 "", markdown.table(pd.DataFrame({
                     "parameter": [sob.label(p) for p in t["parameter"]],
                     "S1": [f"{a:.3f} +/- {b:.3f}" for a, b in zip(t["S1"], t["S1_conf"], strict=True)],
                     "ST": [f"{a:.3f} +/- {b:.3f}" for a, b in zip(t["ST"], t["ST_conf"], strict=True)]})), ""]
    return text


def sobol(exp: Experiment, runs: pd.DataFrame, out: Path) -> list[Path]:
    """First-order and total Sobol indices (SALib) of each chosen metric, with confidence intervals."""
    sob = ex.sobol(exp, runs)
    png = plot_indices(sob.tables, sob.labels, f"{exp.name}: Sobol indices, {sob.points:,} Saltelli points "
                                               f"(N = {exp.samples}), {int(sob.conf_level * 100)}% bootstrap "
                                               "intervals", out / "sobol.png")
    text = [*markdown.header(exp, runs), *_sobol_text(exp, sob), f"![Sobol indices]({png.name})", ""]
    return [_summary(out, text), write_json(out / "sobol.json", _ran_by(sob.to_json(exp), runs)), png]


ANALYSES: dict[str, Callable[[Experiment, pd.DataFrame, Path], list[Path]]] = {
    "phase_diagram": phase_diagram, "channel_ablation": channel_ablation, "tightening": tightening,
    "concentration": concentration, "sobol": sobol}
"""Each analysis name an experiment may give, and the report that writes it."""
