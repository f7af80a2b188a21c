"""What each shipped experiment reports: ``summary.md`` and a figure, from its ``runs.parquet``.

An experiment names its analysis (``analysis = "phase_diagram"``) and passes settings in
``[experiment.options]``; ``marginsim sweep`` runs it once every run has a row. Failed runs
are counted in the summary and left out of the statistics.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import __version__
from sim.config.experiment import Experiment, ExperimentError
from sim.core.files import atomic_write
from sim.report import style

BN = 1e9
Z95 = 1.959963984540054


def analyze(exp: Experiment, runs: pd.DataFrame, out: Path) -> list[Path]:
    """Write the experiment's summary and figure(s) into ``out``; returns the files written."""
    if exp.analysis is None:
        return []
    return ANALYSES[exp.analysis](exp, runs, Path(out))


# ---------------------------------------------------------------------------- helpers

def wilson(k: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a proportion k / n."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean_ci(x: pd.Series | np.ndarray) -> tuple[float, float]:
    """Mean and the half-width of its normal 95% interval."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (math.nan, math.nan)
    half = Z95 * float(np.std(x, ddof=1)) / math.sqrt(x.size) if x.size > 1 else math.nan
    return (float(np.mean(x)), half)


def _ok(runs: pd.DataFrame) -> pd.DataFrame:
    return runs[runs["status"] == "ok"]


def _header(exp: Experiment, runs: pd.DataFrame) -> list[str]:
    failed = int((runs["status"] != "ok").sum())
    params = ", ".join(p.name for p in exp.parameters)
    return [f"# {exp.name}", "", exp.description, "",
            f"marginsim {__version__}; experiment `{exp.source}` ({exp.size} size), design {exp.design} over "
            f"{params}; {len(runs):,} runs ({failed:,} failed), {exp.replicates} "
            f"replicate{'s' if exp.replicates > 1 else ''} per point, root seed {exp.root_seed} "
            f"(seeds: {exp.seeds}). Scenario overrides: "
            + (", ".join(f"`{s}`" for s in exp.overrides) or "none") + ".", "",
            "Parameters: " + "; ".join(_describe(p) for p in exp.parameters) + ".", ""]


def _describe(p) -> str:
    """A parameter's values or range, as the summary lists it."""
    if p.values is not None:
        return f"{p.name} = " + ", ".join(str(v) for v in p.values)
    steps = f", {p.steps} steps" if p.steps else ""
    return f"{p.name} in [{p.low:g}, {p.high:g}]{' (log)' if p.log else ''}{steps}"


def _md_table(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(str(c) for c in df.columns) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    rows = ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def _write_text(path: Path, text: str) -> Path:
    atomic_write(path, lambda p: Path(p).write_text(text))
    return path


def _write_json(path: Path, data: Any) -> Path:
    atomic_write(path, lambda p: Path(p).write_text(json.dumps(data, indent=2, allow_nan=False) + "\n"))
    return path


def _option(exp: Experiment, key: str, default: Any) -> Any:
    return exp.options.get(key, default)


def _savefig(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------- 1. phase diagram

def phase_cells(exp: Experiment, runs: pd.DataFrame) -> pd.DataFrame:
    """Per (x, shock) cell: P(drawdown >= ``multiple`` x shock) with its Wilson interval, the median
    cascade ($ bn), the median drawdown / shock and the median liquidations."""
    xname = _option(exp, "x", "leverage")
    yname = _option(exp, "y", "shock")
    multiple = float(_option(exp, "multiple", 2.0))
    ok = _ok(runs).copy()
    ok["abs_shock"] = ok[yname].abs()
    ok["doubled"] = ok["shock_drawdown"] >= multiple * ok["abs_shock"]
    ok["cascade_bn"] = (ok["forced_sales_usd"] + ok["forced_buyins_usd"]) / BN
    ok["amplification"] = ok["shock_drawdown"] / ok["abs_shock"]
    rows = []
    for (x, y), g in ok.groupby([xname, "abs_shock"]):
        k, n = int(g["doubled"].sum()), len(g)
        lo, hi = wilson(k, n)
        rows.append({xname: x, "shock": y, "runs": n, "p_doubled": k / n, "p_lo": lo, "p_hi": hi,
                     "median_cascade_bn": float(g["cascade_bn"].median()),
                     "median_amplification": float(g["amplification"].median()),
                     "median_liquidations": float(g["liquidations"].median())})
    return pd.DataFrame(rows)


def plot_phase(exp: Experiment, cells: pd.DataFrame, n_runs: int, path: Path) -> Path:
    """Three heat maps over (x, shock): P(doubled), median cascade, median drawdown / shock."""
    import matplotlib.pyplot as plt

    xname = _option(exp, "x", "leverage")
    multiple = float(_option(exp, "multiple", 2.0))
    xs, ys = sorted(cells[xname].unique()), sorted(cells["shock"].unique())
    style.apply()
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), constrained_layout=True)
    panels = (("p_doubled", f"P(drawdown within 21 days >= {multiple:g} x shock)", "Blues", "{:.2f}"),
              ("median_cascade_bn", "median cascade: forced sales + buy-ins, $ bn", "Oranges", "{:.0f}"),
              ("median_amplification", "median drawdown / shock size", "Purples", "{:.2f}"))
    for ax, (col, title, cmap, fmt) in zip(axes, panels, strict=True):
        grid = cells.pivot(index="shock", columns=xname, values=col).reindex(index=ys, columns=xs).to_numpy()
        limits = {"vmin": 0.0, "vmax": 1.0} if col == "p_doubled" else {}
        im = ax.imshow(grid, origin="lower", aspect="auto", cmap=cmap, **limits)
        for i in range(len(ys)):
            for j in range(len(xs)):
                v = grid[i, j]
                if np.isfinite(v):
                    ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=7,
                            color="white" if im.norm(v) > 0.6 else "black")
        ax.set_xticks(range(len(xs)), [f"{x:g}" for x in xs])
        ax.set_yticks(range(len(ys)), [f"{100 * y:g}%" for y in ys])
        ax.set_xlabel(_option(exp, "x_label", "average leverage of margin accounts (long value / equity)"))
        ax.set_ylabel("shock size (index gap, % fall)")
        ax.set_title(title)
        ax.grid(False)
        fig.colorbar(im, ax=ax, shrink=0.85)
    fig.suptitle(f"{exp.name}: when does a shock become a crash? ({n_runs:,} runs, "
                 f"{exp.replicates} per cell)", fontsize=11)
    return _savefig(fig, path)


def phase_diagram(exp: Experiment, runs: pd.DataFrame, out: Path) -> list[Path]:
    """P(a shock becomes a drawdown ``multiple`` x its size) and the median cascade, per cell."""
    xname = _option(exp, "x", "leverage")
    multiple = float(_option(exp, "multiple", 2.0))
    cells = phase_cells(exp, runs)
    png = plot_phase(exp, cells, len(_ok(runs)), out / "phase_diagram.png")

    table = cells.assign(**{
        "shock": [f"{100 * y:g}%" for y in cells["shock"]],
        "P(doubled) [95% CI]": [f"{p:.2f} [{lo:.2f}, {hi:.2f}]" for p, lo, hi in
                                zip(cells["p_doubled"], cells["p_lo"], cells["p_hi"], strict=True)],
        "median cascade $bn": cells["median_cascade_bn"].map("{:.1f}".format),
        "median drawdown/shock": cells["median_amplification"].map("{:.2f}".format),
        "median liquidations": cells["median_liquidations"].map("{:.0f}".format),
    })[[xname, "shock", "runs", "P(doubled) [95% CI]", "median cascade $bn", "median drawdown/shock",
        "median liquidations"]]
    text = _header(exp, runs)
    text += [
        f"A run's shock is 'doubled' when the index's fall in the 21 days after the shock (from the close "
        f"before it to the lowest close) is at least {multiple:g} x the shock size. The cascade is the margin "
        "book's forced sales and buy-ins over the run ($). Intervals are 95% Wilson intervals.",
        "",
        _md_table(table),
        "",
        f"![phase diagram]({png.name})",
        "",
    ]
    return [_write_text(out / "summary.md", "\n".join(text)), png]


# ---------------------------------------------------------------------------- 2. channel ablation

def channel_ablation(exp: Experiment, runs: pd.DataFrame, out: Path) -> list[Path]:
    """Shapley attribution (as ``marginsim attribute``) for every scenario, averaged over replicates."""
    import matplotlib.pyplot as plt

    from sim.analysis.attribution import LABELS, METRICS, shapley
    from sim.model.market_model import CHANNELS

    scen = next(p.name for p in exp.parameters if p.is_scenario)
    switch = {c: _option(exp, f"channel_{c}", c) for c in CHANNELS}  # parameter name of each channel switch
    ok = _ok(runs).copy()
    ok["worst_day_loss"] = -ok["worst_day_return"]
    results = []
    for (name, rep), g in ok.groupby([scen, "replicate"]):
        value = {frozenset(c for c in CHANNELS if row[switch[c]]): row for _, row in g.iterrows()}
        if len(value) != 2 ** len(CHANNELS):
            continue  # a failed coalition: no attribution for this replicate
        for metric in METRICS:
            phi = shapley(CHANNELS, lambda s, m=metric, v=value: float(v[s][m]))
            results.append({"scenario": name, "replicate": rep, "metric": metric,
                            "base": float(value[frozenset()][metric]), **phi,
                            "total": float(value[frozenset(CHANNELS)][metric])})
    if not results:
        raise ExperimentError(f"{exp.name}: no scenario has all {2 ** len(CHANNELS)} channel subsets")
    att = pd.DataFrame(results)
    parts = ["base", *CHANNELS, "total"]
    mean = att.groupby(["scenario", "metric"])[parts].mean()
    half = att.groupby(["scenario", "metric"])[parts].agg(lambda s: mean_ci(s)[1])
    order = [s for s in exp.base_names() if s in set(att["scenario"])]

    style.apply()
    colours = [style.PALETTE[c] for c in ("black", "vermillion", "orange", "blue", "green")]
    labels = ["base (shock + liquidity side)", "margin investors", "leveraged ETFs", "options dealers",
              "vol-control funds"]
    shown = [m for m in METRICS if m in _option(exp, "plot_metrics", ["shock_drawdown", "max_drawdown"])]
    fig, axes = plt.subplots(1, len(shown), figsize=(7 * len(shown), 0.5 * len(order) + 2.6),
                             constrained_layout=True, squeeze=False)
    for ax, metric in zip(axes[0], shown, strict=True):
        y = np.arange(len(order))
        left_pos, left_neg = np.zeros(len(order)), np.zeros(len(order))
        for part, colour, label in zip(["base", *CHANNELS], colours, labels, strict=True):
            v = np.array([100 * mean.loc[(s, metric), part] for s in order])
            left = np.where(v >= 0, left_pos, left_neg)
            ax.barh(y, v, left=left, color=colour, label=label)
            left_pos, left_neg = left_pos + np.maximum(v, 0), left_neg + np.minimum(v, 0)
        ax.set_yticks(y, order)
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_xlabel(f"{LABELS[metric]}, percentage points (Shapley contributions add up to the total)")
        ax.set_title(f"{LABELS[metric]}: what each channel adds")
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=5)
    seeds = att["replicate"].nunique()
    fig.suptitle(f"{exp.name}: Shapley attribution over the four leverage channels, mean of "
                 f"{seeds} seed{'s' if seeds > 1 else ''} per scenario", fontsize=11)
    png = _savefig(fig, out / "channel_ablation.png")

    text = _header(exp, runs)
    text += [
        "Each scenario runs with every subset of the four channels switched on (16 runs per seed, identical "
        "shocks and random draws); `sim.analysis.attribution.shapley` splits each measure into the base "
        "(the shock through the liquidity side alone) and each channel's Shapley value, which add up to "
        "the total exactly. Values are means over seeds in percentage points, +/- the 95% interval half-width.",
        "",
    ]
    for metric in METRICS:
        rows = []
        for s in order:
            m, h = mean.loc[(s, metric)], half.loc[(s, metric)]
            rows.append({"scenario": s, **{p: f"{100 * m[p]:.2f} +/- {100 * h[p]:.2f}" if np.isfinite(h[p])
                                           else f"{100 * m[p]:.2f}" for p in parts}})
        text += [f"## {LABELS[metric]}", "", _md_table(pd.DataFrame(rows)), ""]
    text += [f"![channel ablation]({png.name})", ""]
    payload = {"version": __version__, "experiment": exp.name, "metrics": list(METRICS), "parts": parts,
               "mean": {s: {m: {p: float(mean.loc[(s, m), p]) for p in parts} for m in METRICS} for s in order}}
    return [_write_text(out / "summary.md", "\n".join(text)), _write_json(out / "attribution.json", payload), png]


# ---------------------------------------------------------------------------- 3. broker tightening

def _shock_drawdowns(out: Path, ok: pd.DataFrame, shock_day: int) -> pd.Series:
    """Each run's 21-day drawdown from the close before ``shock_day``, from its stored index series."""
    from sim.run.metrics import shock_drawdown
    from sim.sweep.store import read_series

    series = read_series(out)
    if series.empty or "index_level" not in series:
        raise ExperimentError("the analysis needs the daily index: add series = [\"index_level\"]")
    levels = {rid: g["index_level"].to_numpy() for rid, g in series.groupby("run_id")}
    return ok["run_id"].map(lambda rid: shock_drawdown(levels[rid], shock_day))


def tightening(exp: Experiment, runs: pd.DataFrame, out: Path) -> list[Path]:
    """Drawdown and forced sales against the day brokers raise maintenance, relative to the shock."""
    import matplotlib.pyplot as plt

    day_p, size_p = _option(exp, "day", "raise_day"), _option(exp, "size", "raise_size")
    shock_day = int(_option(exp, "shock_day", 60))
    ok = _ok(runs).copy()
    ok["cascade_bn"] = (ok["forced_sales_usd"] + ok["forced_buyins_usd"]) / BN
    # the summary's shock_drawdown starts at the first event, which is the raise when it comes first
    ok["shock_drawdown"] = _shock_drawdowns(out, ok, shock_day)
    control = ok[ok[size_p] == 0].groupby("replicate")[["shock_drawdown", "max_drawdown", "cascade_bn"]]
    spread = control.max() - control.min()
    identical = bool((spread.to_numpy() == 0).all())
    base = control.first()
    rows = []
    for (day, size), g in ok[ok[size_p] > 0].groupby([day_p, size_p]):
        g = g.set_index("replicate")
        row = {"raise_day": int(day), "relative_day": int(day) - shock_day, "raise_size": size, "runs": len(g)}
        for metric in ("shock_drawdown", "max_drawdown", "cascade_bn"):
            d = g[metric] - base[metric].reindex(g.index)
            row[f"{metric}"], _ = mean_ci(g[metric])
            row[f"d_{metric}"], row[f"d_{metric}_ci"] = mean_ci(d)
        rows.append(row)
    cells = pd.DataFrame(rows).sort_values(["raise_size", "raise_day"])

    style.apply()
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5), constrained_layout=True)
    panels = (("d_shock_drawdown", 100, "change in the 21-day shock drawdown, percentage points"),
              ("d_max_drawdown", 100, "change in the max drawdown, percentage points"),
              ("d_cascade_bn", 1, "change in forced sales + buy-ins, $ bn"))
    for ax, (col, scale, ylabel) in zip(axes, panels, strict=True):
        for colour, (size, g) in zip(style.CYCLE, cells.groupby("raise_size"), strict=False):
            ax.errorbar(g["relative_day"], scale * g[col], yerr=scale * g[f"{col}_ci"], marker="o", ms=4,
                        capsize=3, color=colour, label=f"maintenance +{100 * size:g} points")
        ax.axvline(0, color="black", linewidth=0.8, linestyle="--")
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xlabel("raise day minus shock day (trading days)")
        ax.set_ylabel(ylabel)
        ax.legend(loc="best")
    axes[0].set_title("Fall after the shock")
    axes[1].set_title("Max drawdown over the run")
    axes[2].set_title("Forced selling by brokers")
    fig.suptitle(f"{exp.name}: brokers raise maintenance before, on or after a shock (vs. no raise, "
                 f"same seeds; 95% intervals)", fontsize=11)
    png = _savefig(fig, out / "tightening.png")

    table = pd.DataFrame({
        "raise day (rel.)": [f"{d} ({r:+d})" for d, r in zip(cells["raise_day"], cells["relative_day"],
                                                             strict=True)],
        "size": [f"+{100 * s:g} pts" for s in cells["raise_size"]],
        "shock drawdown": [f"{100 * v:.2f}%" for v in cells["shock_drawdown"]],
        "change vs no raise (pp)": [f"{100 * d:+.2f} +/- {100 * c:.2f}" for d, c in
                                    zip(cells["d_shock_drawdown"], cells["d_shock_drawdown_ci"], strict=True)],
        "max drawdown": [f"{100 * v:.2f}%" for v in cells["max_drawdown"]],
        "change (pp)": [f"{100 * d:+.2f} +/- {100 * c:.2f}" for d, c in
                        zip(cells["d_max_drawdown"], cells["d_max_drawdown_ci"], strict=True)],
        "forced sales $bn": [f"{v:.1f}" for v in cells["cascade_bn"]],
        "change ($bn)": [f"{d:+.1f} +/- {c:.1f}" for d, c in zip(cells["d_cascade_bn"], cells["d_cascade_bn_ci"],
                                                                  strict=True)],
    })
    text = _header(exp, runs)
    text += [
        f"The shock hits on day {shock_day}. Each row raises every broker's house maintenance by the given "
        "points on the given day; changes are paired with the no-raise runs of the same seed (common random "
        "numbers) and shown with 95% intervals. Without a raise: shock drawdown "
        f"{100 * base['shock_drawdown'].mean():.2f}%, max drawdown {100 * base['max_drawdown'].mean():.2f}%, "
        f"forced sales ${base['cascade_bn'].mean():.1f} bn (means over seeds). Check: the no-raise runs are "
        f"{'identical' if identical else 'NOT identical'} whatever the (ineffective) raise day.",
        "",
        _md_table(table),
        "",
        f"![tightening]({png.name})",
        "",
    ]
    return [_write_text(out / "summary.md", "\n".join(text)), png]


# ---------------------------------------------------------------------------- 4. concentration

def concentration(exp: Experiment, runs: pd.DataFrame, out: Path) -> list[Path]:
    """Concentrated vs evenly spread leveraged-ETF assets, under shocks to different targets."""
    import matplotlib.pyplot as plt

    from sim.sweep.store import read_series

    layout_p, target_p = _option(exp, "layout", "layout"), _option(exp, "target", "shock_target")
    shock_day = int(_option(exp, "shock_day", 60))
    focus = _option(exp, "sector", "tech_ai_semis")
    ok = _ok(runs).copy()
    ok["cascade_bn"] = (ok["forced_sales_usd"] + ok["forced_buyins_usd"]) / BN
    series = read_series(out)
    sector = ok[target_p].where(ok[target_p] != "index", focus)  # the shocked sector; for index shocks, focus
    levels = {rid: g for rid, g in series.groupby("run_id")} if not series.empty else {}

    def sector_drawdown(rid: int, name: str) -> float:
        g = levels.get(rid)
        if g is None or f"price_{name}" not in g:
            return math.nan
        from sim.run.metrics import shock_drawdown

        return shock_drawdown(g[f"price_{name}"].to_numpy(), shock_day)  # a ratio: the price level is fine

    ok["sector_drawdown"] = [sector_drawdown(r, n) for r, n in zip(ok["run_id"], sector, strict=True)]

    def letf_window_sales(rid: int) -> float:  # net $ the funds sold from the shock day over 21 days
        g = levels.get(rid)
        if g is None or "flow_letf_usd" not in g:
            return math.nan
        window = g[(g["day"] >= shock_day) & (g["day"] < shock_day + 21)]
        return -float(window["flow_letf_usd"].sum()) / BN

    ok["letf_sold_bn"] = [letf_window_sales(r) for r in ok["run_id"]]
    metrics = [("shock_drawdown", 100, "index: fall within 21 days, %"),
               ("sector_drawdown", 100, f"shocked sector ({focus} for index shocks): fall within 21 days, %"),
               ("letf_sold_bn", 1, "leveraged ETFs: net sold in those 21 days, $ bn"),
               ("cascade_bn", 1, "margin forced sales + buy-ins, $ bn")]
    keys = [c for c in ok.columns if c in {target_p, *[p.name for p in exp.parameters if p.name != layout_p]}]
    layouts = list(next(p for p in exp.parameters if p.name == layout_p).values)
    rows = []
    for key, g in ok.groupby(keys):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(keys, key, strict=True))
        piv = {m: g.pivot(index="replicate", columns=layout_p, values=m) for m, _, _ in metrics}
        for m, _, _ in metrics:
            for lay in layouts:
                row[f"{m}|{lay}"], row[f"{m}|{lay}|ci"] = mean_ci(piv[m][lay])
            row[f"{m}|diff"], row[f"{m}|diff|ci"] = mean_ci(piv[m][layouts[1]] - piv[m][layouts[0]])
        rows.append(row)
    cells = pd.DataFrame(rows)
    labels = [", ".join(f"{100 * v:g}%" if isinstance(v, float) and abs(v) < 1 else str(v) for v in r)
              for r in cells[keys].to_numpy()]

    style.apply()
    fig, axes = plt.subplots(1, len(metrics), figsize=(19, 4.8), constrained_layout=True)
    x = np.arange(len(cells))
    for ax, (m, scale, title) in zip(axes, metrics, strict=True):
        for i, (lay, colour) in enumerate(zip(layouts, (style.PALETTE["vermillion"], style.PALETTE["blue"]),
                                              strict=False)):
            ax.bar(x + (i - 0.5) * 0.4, scale * cells[f"{m}|{lay}"], 0.4, yerr=scale * cells[f"{m}|{lay}|ci"],
                   capsize=3, color=colour, label=f"LETF assets {lay}")
        ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=7)
        ax.set_xlabel(", ".join(keys))
        ax.set_ylabel(title.rsplit(", ", 1)[1])
        ax.set_title(title.rsplit(", ", 1)[0].replace(" (", "\n("), fontsize=9)
        ax.legend(loc="best")
    fig.suptitle(f"{exp.name}: leveraged-ETF assets {layouts[0]} vs {layouts[1]} (same total AUM; mean over "
                 f"{exp.replicates} seeds, 95% intervals)", fontsize=11)
    png = _savefig(fig, out / "concentration.png")

    table = pd.DataFrame({"case": labels, **{
        f"{title} ({layouts[0]} -> {layouts[1]})": [
            f"{scale * a:.2f} -> {scale * b:.2f} ({scale * d:+.2f} +/- {scale * c:.2f})"
            for a, b, d, c in zip(cells[f"{m}|{layouts[0]}"], cells[f"{m}|{layouts[1]}"], cells[f"{m}|diff"],
                                  cells[f"{m}|diff|ci"], strict=True)]
        for m, scale, title in metrics}})
    text = _header(exp, runs)
    text += [
        f"Each case runs both layouts with the same seeds; the change ({layouts[1]} minus {layouts[0]}) is paired "
        "by seed, with its 95% interval.",
        "",
        _md_table(table),
        "",
        f"![concentration]({png.name})",
        "",
    ]
    return [_write_text(out / "summary.md", "\n".join(text)), png]


# ---------------------------------------------------------------------------- 5. Sobol

def sobol_tables(exp: Experiment, runs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """First-order and total Sobol indices (SALib, bootstrap intervals) of each chosen metric."""
    from sim.analysis.sensitivity import point_means, sobol_indices
    from sim.sweep.design import build_design

    design = build_design(exp)
    conf = float(_option(exp, "conf_level", 0.95))
    return {metric: sobol_indices(design.problem, point_means(runs[runs["status"] == "ok"], metric,
                                                              len(design.points)),
                                  second_order=exp.second_order, num_resamples=int(_option(exp, "num_resamples", 1000)),
                                  conf_level=conf, seed=exp.root_seed % 2**32)
            for metric in _option(exp, "sobol_metrics", ["max_drawdown"])}


def sobol(exp: Experiment, runs: pd.DataFrame, out: Path) -> list[Path]:
    """First-order and total Sobol indices (SALib) of each chosen metric, with confidence intervals."""
    from sim.analysis.sensitivity import plot_indices
    from sim.sweep.design import build_design

    design = build_design(exp)
    metrics = list(_option(exp, "sobol_metrics", ["max_drawdown"]))
    labels = dict(_option(exp, "labels", {}))
    conf = float(_option(exp, "conf_level", 0.95))
    tables = sobol_tables(exp, runs)
    png = plot_indices(tables, labels, f"{exp.name}: Sobol indices, {len(design.points):,} Saltelli points "
                                       f"(N = {exp.samples}), {int(conf * 100)}% bootstrap intervals",
                       out / "sobol.png")
    ranges = {p.name: {"low": p.low, "high": p.high, "log": p.log, "label": labels.get(p.name, p.name),
                       "targets": [t.__dict__ for t in p.targets]} for p in exp.parameters}
    payload = {"version": __version__, "experiment": exp.name, "samples": exp.samples, "points": len(design.points),
               "replicates": exp.replicates, "root_seed": exp.root_seed, "conf_level": conf, "parameters": ranges,
               "indices": {m: t.to_dict(orient="records") for m, t in tables.items()},
               "output_mean": {m: float(runs[m].mean()) for m in metrics},
               "output_std": {m: float(runs[m].std()) for m in metrics}}
    text = _header(exp, runs)
    text += [
        f"Saltelli sample (SALib) of {len(design.points):,} points, N = {exp.samples}; indices from "
        f"`SALib.analyze.sobol` with {int(conf * 100)}% bootstrap intervals (+/- half-width). S1: share of the "
        "output's variance explained by the parameter alone; ST: including all its interactions.",
        "",
        "| parameter | what it sets | range |",
        "|---|---|---|",
    ]
    for p in exp.parameters:
        what = ", ".join(f"{t.path} ({t.op})" for t in p.targets)
        text.append(f"| {labels.get(p.name, p.name)} | {what} | [{p.low:g}, {p.high:g}]{' log' if p.log else ''} |")
    text.append("")
    for metric, t in tables.items():
        text += [f"## {metric} (mean {payload['output_mean'][metric]:.4g}, std {payload['output_std'][metric]:.4g})",
                 "", _md_table(pd.DataFrame({
                     "parameter": [labels.get(p, p) for p in t["parameter"]],
                     "S1": [f"{a:.3f} +/- {b:.3f}" for a, b in zip(t["S1"], t["S1_conf"], strict=True)],
                     "ST": [f"{a:.3f} +/- {b:.3f}" for a, b in zip(t["ST"], t["ST_conf"], strict=True)]})), ""]
    text += [f"![Sobol indices]({png.name})", ""]
    return [_write_text(out / "summary.md", "\n".join(text)), _write_json(out / "sobol.json", payload), png]


ANALYSES: dict[str, Callable[[Experiment, pd.DataFrame, Path], list[Path]]] = {
    "phase_diagram": phase_diagram, "channel_ablation": channel_ablation, "tightening": tightening,
    "concentration": concentration, "sobol": sobol}
