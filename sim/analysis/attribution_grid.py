"""Shapley attribution on several horizons, over shock sizes and call deadlines, with seed bands.

For each call deadline d and shock size s, every coalition of the four channels
(:data:`sim.model.market_model.CHANNELS`, 2^4 = 16) runs as an ensemble of the same seeds
(common random numbers: coalitions differ only in which channels trade). For each seed, each
horizon (:mod:`sim.analysis.attribution_horizons`) is split exactly into the base (channels off)
and the four channels' Shapley values; the bands are the 5th, 50th and 95th percentiles of
those per-seed numbers (values and shares of the all-channels total) across seeds.

The realised Brunnermeier-Pedersen (2009) spiral gain of the margin book is, per seed,
``k = 1 - v(all channels but margin) / v(all channels)``: with a constant gain the total fall is
``shock / (1 - k)``, and taking the margin book out removes the factor. The analytic gain from
the book's state before the shock is :func:`sim.analysis.spiral_gain.analytic_gain`.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.analysis.attribution_horizons import HORIZONS, NEEDS_SHOCK, check_horizons, horizon_values, shock_events
from sim.analysis.spiral_gain import analytic_gain
from sim.config.scenario import Scenario, from_dict
from sim.core.errors import InputError
from sim.model.market_model import CHANNELS
from sim.run.ensemble import ensemble

SHOCKS = (0.10, 0.20, 0.30, 0.40)
"""Default shock sizes: index falls of 10-40% (fundamental and price gaps together)."""
DEADLINES = (0, 1, 2)
"""Default call deadlines (``margin.call_deadline_days``)."""
QUANTILES = (0.05, 0.5, 0.95)
SERIES = ("index_level", "flow_margin_forced_usd")
K_HORIZONS = ("trough", "dd5", "dd21", "gap21")


def coalitions(players: Sequence[str] = CHANNELS) -> list[frozenset[str]]:
    """Every subset of ``players``, smallest first: index 0 is the empty set, the last is all of them."""
    return [frozenset(c) for size in range(len(players) + 1) for c in itertools.combinations(players, size)]


def shapley_arrays(players: Sequence[str], coals: list[frozenset[str]], values: np.ndarray) -> np.ndarray:
    """Exact Shapley values for many games at once.

    Parameters
    ----------
    players : sequence of str
    coals : list of frozenset
        Every subset of ``players`` (as :func:`coalitions` lists them).
    values : ndarray, (..., len(coals))
        v(S) for each game (leading axes) and coalition.

    Returns
    -------
    ndarray, (..., len(players))
        phi_i = sum over S not containing i of |S|! (n-|S|-1)! / n! (v(S + i) - v(S)).
    """
    n = len(players)
    where = {c: j for j, c in enumerate(coals)}
    out = np.zeros((*values.shape[:-1], n))
    for i, p in enumerate(players):
        for s in coals:
            if p in s:
                continue
            weight = math.factorial(len(s)) * math.factorial(n - len(s) - 1) / math.factorial(n)
            out[..., i] += weight * (values[..., where[s | {p}]] - values[..., where[s]])
    return out


@dataclass
class GridAttribution:
    """Per-seed Shapley attributions over deadlines x shocks (arrays indexed ``[d, s, seed, ...]``)."""

    scenario_name: str
    scenario_hash: str
    seeds: list[int]
    shocks: list[float | None]
    deadlines: list[int | None]
    horizons: tuple[str, ...]
    shock_day: int | None
    values: dict[str, np.ndarray] = field(repr=False)
    """Horizon -> v(coalition), shape (D, S, K, 16), coalitions as :func:`coalitions`."""
    phi: dict[str, np.ndarray] = field(repr=False)
    """Horizon -> Shapley values, shape (D, S, K, 4), channels as ``CHANNELS``."""
    first_forced_day: np.ndarray = field(repr=False)
    """Day of the first forced sale on or after the shock day with all channels on, shape (D, S, K); -1: none."""
    analytic_k: np.ndarray | None = field(default=None, repr=False)
    """Analytic spiral gain per shock and seed, shape (S, K) (None when a shock size is not given)."""
    seconds: float = 0.0

    def parts(self, horizon: str) -> dict[str, np.ndarray]:
        """Base (channels off), each channel's Shapley value and the total, each (D, S, K)."""
        v, phi = self.values[horizon], self.phi[horizon]
        return {"base": v[..., 0], **{c: phi[..., i] for i, c in enumerate(CHANNELS)}, "total": v[..., -1]}

    def shares(self, horizon: str) -> dict[str, np.ndarray]:
        """Each part's share of the total, per seed (NaN where the total is 0)."""
        parts = self.parts(horizon)
        total = parts["total"]
        with np.errstate(divide="ignore", invalid="ignore"):
            return {k: np.where(total != 0.0, v / np.where(total != 0.0, total, 1.0), np.nan)
                    for k, v in parts.items() if k != "total"}

    def realised_k(self, horizon: str) -> np.ndarray:
        """``1 - v(all but margin) / v(all)`` per (D, S, K); NaN where v(all) is 0."""
        v = self.values[horizon]
        coals = coalitions()
        without = v[..., coals.index(frozenset(CHANNELS) - {"margin"})]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(v[..., -1] != 0.0, 1.0 - without / np.where(v[..., -1] != 0.0, v[..., -1], 1.0), np.nan)


def _band(x: np.ndarray) -> dict[str, float | None]:
    """Median and 5-95% band across seeds (the last axis) of a 1-D array."""
    x = np.asarray(x, dtype=float)
    if np.isnan(x).all():
        return {"median": None, "q05": None, "q95": None}
    q = np.nanquantile(x, QUANTILES)
    return {"median": float(q[1]), "q05": float(q[0]), "q95": float(q[2])}


def _check_grid(shocks: Sequence[float | None], deadlines: Sequence[int | None], seeds: Sequence[int]) -> None:
    if not shocks or not deadlines or not seeds:
        raise InputError("shocks, deadlines and seeds: each needs at least one value", field="grid",
                         allowed="non-empty lists")
    for d in deadlines:
        if d is not None and (isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 30):
            raise InputError(f"deadline {d!r}: must be an integer number of days in [0, 30]", field="deadlines",
                             allowed="[0, 30]")


def _params(data: dict, event_index: list[int], shocks, deadlines, n_seeds: int) -> dict[str, list]:
    """Per-path values of the varied fields; paths ordered deadline, shock, coalition, seed."""
    coals = coalitions()
    grid = list(itertools.product(deadlines, shocks, coals, range(n_seeds)))
    params: dict[str, list] = {f"channels.{c}": [c in g[2] for g in grid] for c in CHANNELS}
    if any(d is not None for d in deadlines):
        own = data.get("margin", {}).get("call_deadline_days")
        params["margin.call_deadline_days"] = [own if g[0] is None else g[0] for g in grid]
    if any(s is not None for s in shocks):
        for i in event_index:
            params[f"events.{i}.size"] = [-g[1] for g in grid]
    return params


def attribute_grid(scenario: Scenario, seeds: Sequence[int], shocks: Sequence[float | None] = SHOCKS,
                   deadlines: Sequence[int | None] = DEADLINES, horizons: Sequence[str] = HORIZONS[:5],
                   shock_day: int = 60, workers: int = 1, analytic: bool = True,
                   on_progress: Callable[[int, int], None] | None = None) -> GridAttribution:
    """Shapley attribution of each horizon, per seed, for every call deadline and shock size.

    Parameters
    ----------
    scenario : Scenario
        The scenario; its channels are switched here, its index gap events resized.
    seeds : sequence of int
        The seeds every coalition runs (common random numbers).
    shocks : sequence of float or None
        Index falls (0.2 = -20%) given to the scenario's index ``fundamental_gap`` and
        ``price_gap`` events (added at ``shock_day`` if it has none); None keeps its events.
    deadlines : sequence of int or None
        ``margin.call_deadline_days`` values; None keeps the scenario's.
    horizons : sequence of str
        Names from :data:`sim.analysis.attribution_horizons.HORIZONS`.
    shock_day : int
        Day of the added gap events when the scenario has none.
    workers : int
        Processes of the one ensemble that runs every path.
    analytic : bool
        Also compute the analytic spiral gain (one short Mesa run per seed and shock).
    on_progress : callable, optional
        ``on_progress(done, total)`` as paths finish.

    Returns
    -------
    GridAttribution
    """
    start = time.perf_counter()
    horizons = check_horizons(list(horizons))
    shocks, deadlines, seeds = list(shocks), list(deadlines), [int(s) for s in seeds]
    _check_grid(shocks, deadlines, seeds)
    first = next((s for s in shocks if s is not None), None)
    data, event_index, day = shock_events(scenario.to_dict(), first, shock_day, scenario.simulation.days)
    for s in shocks:
        shock_events(data, s, shock_day, scenario.simulation.days)       # checks each size
    if day is None and set(horizons) & NEEDS_SHOCK:
        raise InputError(f"horizons {sorted(set(horizons) & NEEDS_SHOCK)}: {scenario.meta.name} has no index gap "
                         "event; give --shocks or use impact / total_return", field="horizons",
                         allowed="impact, total_return")
    base = from_dict(data)
    n_c, shape = 2 ** len(CHANNELS), (len(deadlines), len(shocks))
    params = _params(data, event_index, shocks, deadlines, len(seeds))
    res = ensemble(base, seeds=seeds * (len(deadlines) * len(shocks) * n_c), params=params, workers=workers,
                   progress=on_progress or False, series=SERIES)
    levels = res.dataset["index_level"].values.reshape(*shape, n_c, len(seeds), -1).swapaxes(2, 3)
    values = horizon_values(levels, day, horizons)
    phi = {h: shapley_arrays(CHANNELS, coalitions(), v) for h, v in values.items()}
    after = day or 0   # forced sales on or after the shock day
    sold = res.dataset["flow_margin_forced_usd"].values.reshape(*shape, n_c, len(seeds), -1)[:, :, -1, :, after:] < 0
    first_forced = np.where(sold.any(axis=-1), after + np.argmax(sold, axis=-1), -1)
    k_analytic = None
    if analytic and day is not None and None not in shocks:
        k_analytic = np.array([analytic_gain(base, seed, day, shocks) for seed in seeds]).T
    return GridAttribution(scenario.meta.name, scenario.hash(), seeds, shocks, deadlines, horizons, day, values, phi,
                           first_forced, k_analytic, time.perf_counter() - start)


def grid_json(grid: GridAttribution) -> dict:
    """The JSON-ready grid: per deadline and shock, each horizon's value and share bands per part.

    Bands are ``{"median", "q05", "q95"}`` across seeds. ``realised_k`` per horizon, ``analytic_k``
    (one band per shock) and the day of the first forced sale (all channels on) come with each cell.
    """
    cells = []
    for (i, d), (j, s) in itertools.product(enumerate(grid.deadlines), enumerate(grid.shocks)):
        cell: dict = {"deadline_days": d, "shock": s, "horizons": {}}
        for h in grid.horizons:
            parts, shares = grid.parts(h), grid.shares(h)
            cell["horizons"][h] = {"value": {k: _band(v[i, j]) for k, v in parts.items()},
                                   "share": {k: _band(v[i, j]) for k, v in shares.items()}}
        cell["realised_k"] = {h: _band(grid.realised_k(h)[i, j]) for h in grid.horizons if h in K_HORIZONS}
        cell["analytic_k"] = None if grid.analytic_k is None else _band(grid.analytic_k[j])
        forced = grid.first_forced_day[i, j].astype(float)
        cell["first_forced_sale_day"] = _band(np.where(forced < 0, np.nan, forced))
        cells.append(cell)
    return {"scenario_name": grid.scenario_name, "scenario_hash": grid.scenario_hash, "seeds": grid.seeds,
            "channels": list(CHANNELS), "shocks": grid.shocks, "deadlines": grid.deadlines,
            "horizons": list(grid.horizons), "shock_day": grid.shock_day, "seconds": round(grid.seconds, 2),
            "quantiles": list(QUANTILES), "cells": cells}
