"""The Python API: run a scenario with a seed and get the daily series and a summary."""

from __future__ import annotations

from os import PathLike
from typing import Any

import pandas as pd
from tqdm import tqdm

from sim import __version__
from sim.config.fields import Field, check
from sim.config.scenario import Scenario, ScenarioError, coerce
from sim.config.schema import SEED
from sim.model.invariants import check_conservation
from sim.model.market_model import MarketModel, Mode
from sim.run.metrics import summarize
from sim.run.results import SimulationResult

DRIFT_EVENTS = ("leverage_growth",)
"""Event kinds that set a drift rather than shock the market; the shock metrics skip them."""


def first_shock_day(spec: Scenario) -> int | None:
    """Day of the first scheduled event, not counting ``leverage_growth`` (a drift, not a shock)."""
    return min((e.day for e in spec.events if e.kind not in DRIFT_EVENTS), default=None)


MODE = Field(str, choices=("kernel", "agents"), doc="the margin book as arrays (kernel) or one Mesa agent "
             "per investor (agents, the reference)")


def check_seed(seed: Any) -> int:
    """Seeds are integers in [0, 2^63 - 1] (fed to numpy.random.SeedSequence); raises ScenarioError otherwise."""
    return check(seed, SEED, "seed", error=ScenarioError)


def simulate(scenario: Scenario | str | PathLike[str] | dict[str, Any], seed: int = 0, *, mode: Mode = "kernel",
             progress: bool = False, check_every_day: bool = False,
             record_intraday: bool = False) -> SimulationResult:
    """Run ``scenario`` (a Scenario, a built-in name, a ``.toml`` path or Path, or a dict) with ``seed``.

    The result is a pure function of (scenario, seed): the same inputs give bit-identical
    output in either ``mode``. ``record_intraday`` also keeps one row per substep (prices,
    each channel's flow, calls and forced sales) in ``result.intraday``.
    """
    spec = coerce(scenario)
    check_seed(seed)
    check(mode, MODE, "mode", error=ScenarioError)
    model = MarketModel(spec, seed=seed, mode=mode, check_every_day=check_every_day,
                        record_intraday=record_intraday)
    days = range(spec.simulation.days)
    if progress:
        days = tqdm(days, desc=spec.meta.name, unit="day", leave=False)
    for _ in days:
        model.step()
    check_conservation(model)
    ts = pd.DataFrame.from_records(model.records)
    ts["day"] = ts["day"].astype("int64")
    summary = {
        "version": __version__,
        "seed": seed,
        "scenario_name": spec.meta.name,
        "scenario_hash": spec.hash(),
        "mode": mode,
        "metrics": summarize(ts, model.initial, first_shock_day(spec)),
        "scenario": spec.to_dict(),
    }
    ts.attrs.update({"version": __version__, "seed": seed, "scenario_hash": spec.hash()})
    intraday = None
    if record_intraday:
        intraday = pd.DataFrame.from_records(model.intraday_records)
        intraday.attrs.update(ts.attrs)
    return SimulationResult(ts, summary, intraday)
