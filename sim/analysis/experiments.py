"""The numbers behind each shipped experiment's report, from its runs (and daily series).

An experiment names its analysis (``analysis = "phase_diagram"``) and passes settings in
``[experiment.options]``. Each function here takes the experiment and its ``runs`` table and
returns a typed result (tables as DataFrames); :mod:`sim.report.experiments` draws and writes
them. Failed runs are left out of the statistics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pandas as pd

from sim import __version__
from sim.analysis.attribution import METRICS, shapley
from sim.analysis.sensitivity import point_means, sobol_indices
from sim.analysis.stats import mean_ci, wilson
from sim.config.experiment import Experiment, ExperimentError
from sim.model.market_model import CHANNELS
from sim.run.metrics import shock_drawdown
from sim.sweep.design import build_design

BN = 1e9


def ok_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs that finished (``status == "ok"``)."""
    return runs[runs["status"] == "ok"]


def _option(exp: Experiment, key: str, default: Any) -> Any:
    return exp.options.get(key, default)


def _cascade_bn(ok: pd.DataFrame) -> pd.Series:
    return (ok["forced_sales_usd"] + ok["forced_buyins_usd"]) / BN


# ---------------------------------------------------------------------------- 1. phase diagram

@dataclass(frozen=True, eq=False)
class PhaseDiagram:
    """P(a shock becomes a drawdown ``multiple`` x its size) and the median cascade, per (x, shock) cell."""

    x: str
    """The parameter across the cells (the other axis is the shock size)."""
    multiple: float
    runs: int
    """Successful runs behind the cells."""
    cells: pd.DataFrame = field(repr=False)
    """One row per cell: x, shock, runs, p_doubled, p_lo, p_hi, median_cascade_bn, median_amplification,
    median_liquidations."""

    @classmethod
    def from_cells(cls, exp: Experiment, cells: pd.DataFrame, runs: int) -> PhaseDiagram:
        """The result for ``exp`` from its (already computed) cells."""
        return cls(_option(exp, "x", "leverage"), float(_option(exp, "multiple", 2.0)), runs, cells)


def phase_cells(exp: Experiment, runs: pd.DataFrame) -> pd.DataFrame:
    """Per (x, shock) cell: P(drawdown >= ``multiple`` x shock) with its Wilson interval, the median
    cascade ($ bn), the median drawdown / shock and the median liquidations."""
    xname = _option(exp, "x", "leverage")
    yname = _option(exp, "y", "shock")
    multiple = float(_option(exp, "multiple", 2.0))
    ok = ok_runs(runs).copy()
    ok["abs_shock"] = ok[yname].abs()
    ok["doubled"] = ok["shock_drawdown"] >= multiple * ok["abs_shock"]
    ok["cascade_bn"] = _cascade_bn(ok)
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


def phase_diagram(exp: Experiment, runs: pd.DataFrame) -> PhaseDiagram:
    """The phase diagram of ``exp`` (options ``x``, ``y``, ``multiple``)."""
    return PhaseDiagram.from_cells(exp, phase_cells(exp, runs), len(ok_runs(runs)))


# ---------------------------------------------------------------------------- 2. channel ablation

@dataclass(frozen=True, eq=False)
class ChannelAblation:
    """Shapley attribution of each metric to the base and the four channels, per scenario (mean over seeds)."""

    scenarios: list[str]
    """In the experiment's order; only those with every channel subset."""
    seeds: int
    """Replicates that have every subset."""
    parts: tuple[str, ...]
    """The base, each channel and the total."""
    mean: pd.DataFrame = field(repr=False)
    """Index (scenario, metric), one column per part: the mean over seeds."""
    half: pd.DataFrame = field(repr=False)
    """As ``mean``: the half-width of its 95% interval."""

    def to_json(self, experiment: str) -> dict:
        """The ``attribution.json`` document: every scenario's mean parts per metric."""
        return {"version": __version__, "experiment": experiment, "metrics": list(METRICS), "parts": list(self.parts),
                "mean": {s: {m: {p: float(self.mean.loc[(s, m), p]) for p in self.parts} for m in METRICS}
                         for s in self.scenarios}}


def channel_ablation(exp: Experiment, runs: pd.DataFrame) -> ChannelAblation:
    """Shapley attribution (as ``marginsim attribute``) for every scenario, averaged over replicates.

    Options ``channel_<name>`` name the parameter that switches each channel (default: the
    channel's name). A replicate missing a subset (a failed run) is left out.
    """
    scen = next(p.name for p in exp.parameters if p.is_scenario)
    switch = {c: _option(exp, f"channel_{c}", c) for c in CHANNELS}  # parameter name of each channel switch
    ok = ok_runs(runs).copy()
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
    return ChannelAblation(order, int(att["replicate"].nunique()), tuple(parts), mean, half)


# ---------------------------------------------------------------------------- 3. broker tightening

@dataclass(frozen=True, eq=False)
class Tightening:
    """Drawdowns and forced sales when brokers raise maintenance on a given day, paired with no raise."""

    shock_day: int
    identical: bool
    """Whether the no-raise runs of a seed are identical whatever their (ineffective) raise day."""
    cells: pd.DataFrame = field(repr=False)
    """One row per (raise day, size): means of shock_drawdown, max_drawdown, cascade_bn and the paired
    changes ``d_<metric>`` with their half-widths ``d_<metric>_ci``; sorted by size, then day."""
    control: pd.DataFrame = field(repr=False)
    """Per replicate, the no-raise run's shock_drawdown, max_drawdown and cascade_bn."""


def _shock_drawdowns(series: pd.DataFrame, ok: pd.DataFrame, shock_day: int) -> pd.Series:
    """Each run's 21-day drawdown from the close before ``shock_day``, from its stored index series."""
    if series.empty or "index_level" not in series:
        raise ExperimentError("the analysis needs the daily index: add series = [\"index_level\"]")
    levels = {rid: g["index_level"].to_numpy() for rid, g in series.groupby("run_id")}
    return ok["run_id"].map(lambda rid: shock_drawdown(levels[rid], shock_day))


def tightening(exp: Experiment, runs: pd.DataFrame, series: pd.DataFrame) -> Tightening:
    """Drawdown and forced sales against the day brokers raise maintenance, relative to the shock.

    Options ``day`` and ``size`` name the raise's parameters and ``shock_day`` the shock's day;
    ``series`` is the sweep's daily series (it must hold ``index_level``).
    """
    day_p, size_p = _option(exp, "day", "raise_day"), _option(exp, "size", "raise_size")
    shock_day = int(_option(exp, "shock_day", 60))
    ok = ok_runs(runs).copy()
    ok["cascade_bn"] = _cascade_bn(ok)
    # the summary's shock_drawdown starts at the first event, which is the raise when it comes first
    ok["shock_drawdown"] = _shock_drawdowns(series, ok, shock_day)
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
    return Tightening(shock_day, identical, cells, base)


# ---------------------------------------------------------------------------- 4. concentration

class Measure(NamedTuple):
    """A column of the concentration table: its name, the factor it is shown with and its title."""

    column: str
    scale: float
    title: str


@dataclass(frozen=True, eq=False)
class Concentration:
    """Each case's measures under two leveraged-ETF layouts (same seeds) and the paired change."""

    layouts: list[str]
    """The two layouts; the change is the second minus the first."""
    keys: list[str]
    """The columns that make a case (every parameter but the layout)."""
    measures: list[Measure]
    cells: pd.DataFrame = field(repr=False)
    """One row per case: the keys, then ``<measure>|<layout>``, ``<measure>|<layout>|ci``, ``<measure>|diff``
    and ``<measure>|diff|ci`` (means over seeds, 95% half-widths)."""


def _sector_drawdown(g: pd.DataFrame | None, name: str, shock_day: int) -> float:
    if g is None or f"price_{name}" not in g:
        return math.nan
    return shock_drawdown(g[f"price_{name}"].to_numpy(), shock_day)  # a ratio: the price level is fine


def _letf_window_sales(g: pd.DataFrame | None, shock_day: int) -> float:
    """Net $ bn the leveraged ETFs sold from the shock day over 21 days."""
    if g is None or "flow_letf_usd" not in g:
        return math.nan
    window = g[(g["day"] >= shock_day) & (g["day"] < shock_day + 21)]
    return -float(window["flow_letf_usd"].sum()) / BN


def concentration(exp: Experiment, runs: pd.DataFrame, series: pd.DataFrame) -> Concentration:
    """Concentrated vs evenly spread leveraged-ETF assets, under shocks to different targets.

    Options ``layout`` and ``target`` name the parameters, ``shock_day`` the shock's day and
    ``sector`` the sector followed when the whole index is shocked.
    """
    layout_p, target_p = _option(exp, "layout", "layout"), _option(exp, "target", "shock_target")
    shock_day = int(_option(exp, "shock_day", 60))
    focus = _option(exp, "sector", "tech_ai_semis")
    ok = ok_runs(runs).copy()
    ok["cascade_bn"] = _cascade_bn(ok)
    sector = ok[target_p].where(ok[target_p] != "index", focus)  # the shocked sector; for index shocks, focus
    levels = {rid: g for rid, g in series.groupby("run_id")} if not series.empty else {}
    ok["sector_drawdown"] = [_sector_drawdown(levels.get(r), n, shock_day)
                             for r, n in zip(ok["run_id"], sector, strict=True)]
    ok["letf_sold_bn"] = [_letf_window_sales(levels.get(r), shock_day) for r in ok["run_id"]]
    measures = [Measure("shock_drawdown", 100, "index: fall within 21 days, %"),
                Measure("sector_drawdown", 100,
                        f"shocked sector ({focus} for index shocks): fall within 21 days, %"),
                Measure("letf_sold_bn", 1, "leveraged ETFs: net sold in those 21 days, $ bn"),
                Measure("cascade_bn", 1, "margin forced sales + buy-ins, $ bn")]
    keys = [c for c in ok.columns if c in {target_p, *[p.name for p in exp.parameters if p.name != layout_p]}]
    layouts = list(next(p for p in exp.parameters if p.name == layout_p).values)
    rows = []
    for key, g in ok.groupby(keys):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(keys, key, strict=True))
        piv = {m.column: g.pivot(index="replicate", columns=layout_p, values=m.column) for m in measures}
        for m in measures:
            for lay in layouts:
                row[f"{m.column}|{lay}"], row[f"{m.column}|{lay}|ci"] = mean_ci(piv[m.column][lay])
            diff = piv[m.column][layouts[1]] - piv[m.column][layouts[0]]
            row[f"{m.column}|diff"], row[f"{m.column}|diff|ci"] = mean_ci(diff)
        rows.append(row)
    return Concentration(layouts, keys, measures, pd.DataFrame(rows))


# ---------------------------------------------------------------------------- 5. Sobol

@dataclass(frozen=True, eq=False)
class SobolAnalysis:
    """First-order and total Sobol indices of each chosen metric, over a Saltelli design."""

    points: int
    """Saltelli points of the design."""
    conf_level: float
    labels: dict[str, str]
    """Display name of each parameter (option ``labels``; the parameter's name otherwise)."""
    tables: dict[str, pd.DataFrame] = field(repr=False)
    """Per metric: parameter, S1, S1_conf, ST, ST_conf (confidence half-widths)."""
    output_mean: dict[str, float] = field(repr=False)
    output_std: dict[str, float] = field(repr=False)

    def label(self, parameter: str) -> str:
        """The parameter's display name."""
        return self.labels.get(parameter, parameter)

    def to_json(self, exp: Experiment) -> dict:
        """The ``sobol.json`` document: the design, the parameters' ranges and every index."""
        ranges = {p.name: {"low": p.low, "high": p.high, "log": p.log, "label": self.label(p.name),
                           "targets": [t.__dict__ for t in p.targets]} for p in exp.parameters}
        return {"version": __version__, "experiment": exp.name, "samples": exp.samples, "points": self.points,
                "replicates": exp.replicates, "root_seed": exp.root_seed, "conf_level": self.conf_level,
                "parameters": ranges, "indices": {m: t.to_dict(orient="records") for m, t in self.tables.items()},
                "output_mean": self.output_mean, "output_std": self.output_std}


def sobol_tables(exp: Experiment, runs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """First-order and total Sobol indices (SALib, bootstrap intervals) of each chosen metric.

    Options: ``sobol_metrics`` (default ``["max_drawdown"]``), ``conf_level`` and ``num_resamples``.
    """
    design = build_design(exp)
    conf = float(_option(exp, "conf_level", 0.95))
    return {metric: sobol_indices(design.problem, point_means(ok_runs(runs), metric, len(design.points)),
                                  second_order=exp.second_order, num_resamples=int(_option(exp, "num_resamples", 1000)),
                                  conf_level=conf, seed=exp.root_seed % 2**32)
            for metric in _option(exp, "sobol_metrics", ["max_drawdown"])}


def sobol(exp: Experiment, runs: pd.DataFrame) -> SobolAnalysis:
    """Sobol indices of each chosen metric, with the metric's mean and spread over every run."""
    metrics = list(_option(exp, "sobol_metrics", ["max_drawdown"]))
    return SobolAnalysis(points=len(build_design(exp).points), conf_level=float(_option(exp, "conf_level", 0.95)),
                         labels=dict(_option(exp, "labels", {})), tables=sobol_tables(exp, runs),
                         output_mean={m: float(runs[m].mean()) for m in metrics},
                         output_std={m: float(runs[m].std()) for m in metrics})
