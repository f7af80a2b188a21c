"""The dashboard's inputs and how they map onto a scenario.

Each input sets fields of the chosen built-in scenario. The defaults are finra-2026-05's own
values, so the page at its defaults runs exactly ``marginsim run finra-2026-05``; on another
scenario the inputs override the same fields and the page lists every field they changed.

* leverage_mean  -> margin.leverage_mean (centre of the leverage distribution, x)
* maintenance    -> house maintenance on longs of the first broker; other brokers keep their
                    spread above it (finra-2026-05: retail 30%, wealth 35%)
* letf_aum_bn    -> every leveraged ETF's AUM scaled so they total this ($ bn); a scenario
                    without LETFs gets one index fund of this size
* letf_leverage  -> "scenario" keeps each fund's leverage; a number sets every fund's
* dealer_gamma   -> multiplier of the whole options book's notional, the ``[open_interest]``
                    series included (expanded into ``[[options]]`` rows; dealer gamma scales with
                    it); negative flips the dealers' side of every series, 0 removes the book
* vol_target     -> vol_control.target_vol (annual)
* shock_size/day -> the scenario's first index gap (price and fundamental gaps on its first
                    day) moved to this day with this size; a scenario without one gets both
* accounts, seed -> margin.accounts and the run's seed (typed: checked here)

Bad input raises :class:`~sim.config.scenario.ScenarioError` with one line naming the input (or the
scenario field it broke) and the allowed range.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from sim.config import open_interest
from sim.config.scenario import Scenario, ScenarioError, builtin_names, from_dict, read_toml
from sim.config.schema import MAX_SEED

MAX_ACCOUNTS = 2_000_000
"""The page keeps every account in memory and re-renders each day; larger books: ``marginsim run``."""
BN = 1e9
LETF_LEVERAGES = ("scenario", "3", "2", "-1", "-2", "-3")
SHOCK_KINDS = ("price_gap", "fundamental_gap")


@dataclass(frozen=True)
class Inputs:
    """The values of the page's sliders and inputs (typed inputs arrive as text)."""

    scenario_name: str = "finra-2026-05"  # not `scenario`: mesa.Model reserves that name
    seed: int | str = 1
    accounts: int | str = 100_000
    leverage_mean: float = 1.6
    maintenance: float = 0.30
    letf_aum_bn: float = 179.0
    letf_leverage: str = "scenario"
    dealer_gamma: float = 1.0
    vol_target: float = 0.10
    shock_size: float = -0.10
    shock_day: int | str = 60


@dataclass(frozen=True)
class Resolved:
    """A validated run: the scenario, the seed, and the fields the inputs changed."""

    spec: Scenario
    seed: int
    changes: tuple[str, ...]
    shock_day: int
    shock_size: float


def parse_int(label: str, value: Any, lo: int, hi: int) -> int:
    """An integer typed as text ("100000", "100_000", "1e5" are fine if whole); else ScenarioError."""
    text = str(value).strip().replace(",", "").replace("_", "")
    number: float | int | None
    try:
        number = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or number != int(number) or not lo <= number <= hi:
        raise ScenarioError(f"{label} = {str(value)!r}: must be an integer in [{lo:,}, {hi:,}]")
    return int(number)


def parse_float(label: str, value: Any, lo: float, hi: float) -> float:
    """A finite number in [lo, hi] (float noise below 1e-10 dropped); else ScenarioError."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or not lo <= number <= hi:
        raise ScenarioError(f"{label} = {value!r}: must be a number in [{lo:g}, {hi:g}]")
    return round(number, 10)  # a browser slider sends 0.30000000000000004 for 0.3


def _set_maintenance(brokers: list[dict[str, Any]], value: float) -> None:
    base = brokers[0]["house_maintenance"]
    if value == base:
        return
    for b in brokers:
        b["house_maintenance"] = round(value + (b["house_maintenance"] - base), 12)


def _set_letfs(data: dict[str, Any], aum_usd: float, leverage: str) -> None:
    funds = data["letf_funds"]
    total = sum(f["aum_usd"] for f in funds)
    if not funds and aum_usd > 0:
        lev = 3 if leverage == "scenario" else int(leverage)
        funds.append({"name": f"index-{lev}x", "underlying": "index", "leverage": lev, "aum_usd": aum_usd})
    elif aum_usd == 0:
        funds.clear()
    elif abs(aum_usd - total) > 0.5:  # a dollar of rounding is "unchanged"
        for f in funds:
            f["aum_usd"] = f["aum_usd"] * aum_usd / total
    if leverage != "scenario":
        for f in funds:
            f["leverage"] = int(leverage)


def _set_dealers(data: dict[str, Any], multiplier: float, base: Scenario) -> None:
    if multiplier == 1.0:
        return
    # the open-interest table's series, as the model appends them after the explicit ones
    rows = [asdict(s) for s in open_interest.series(base.open_interest, base.market.market_cap_usd)]
    data.pop("open_interest", None)
    data["options"] = [*data["options"], *rows] if multiplier != 0.0 else []
    for series in data["options"]:
        series["notional_usd"] = series["notional_usd"] * abs(multiplier)
        if multiplier < 0:
            series["side"] = "long" if series["side"] == "short" else "short"


def _set_shock(data: dict[str, Any], size: float, day: int) -> None:
    gaps = [e for e in data["events"] if e["kind"] in SHOCK_KINDS and e["target"] == "index"]
    if gaps:
        first = min(e["day"] for e in gaps)
        for e in gaps:
            if e["day"] == first:
                e["day"], e["size"] = day, size
    elif size != 0.0:
        data["events"] += [{"day": day, "kind": kind, "target": "index", "size": size} for kind in SHOCK_KINDS]


_FIELD_INPUTS = (("margin.accounts", "accounts", "number of accounts"),
                 ("margin.leverage_mean", "leverage_mean", "average leverage"),
                 ("brokers", "maintenance", "maintenance margin"),
                 ("letf_funds", "letf_aum_bn", "LETF AUM ($ bn)"),
                 ("options", "dealer_gamma", "dealer gamma (x scenario)"),
                 ("vol_control", "vol_target", "vol target"),
                 ("events", "shock_size", "shock size"))


def _blame(inputs: Inputs, message: str) -> str:
    """Name the input behind a scenario field's error: 'maintenance margin = 0.46 gives brokers[1]...'."""
    for prefix, attr, label in _FIELD_INPUTS:
        if message.startswith(prefix):
            return f"{label} = {getattr(inputs, attr)!r} gives {message}"
    return message


def changes(before: Any, after: Any, path: str = "") -> list[str]:
    """Readable differences between two resolved scenario dicts: ``path: old -> new``."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[str] = []
        for key in before.keys() | after.keys():
            out += changes(before.get(key), after.get(key), f"{path}.{key}" if path else key)
        return sorted(out)
    if isinstance(before, list) and isinstance(after, list) and any(isinstance(x, dict) for x in before + after):
        if len(before) != len(after):
            return [f"{path}: {len(before)} -> {len(after)} items"]
        out = []
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            out += changes(b, a, f"{path}[{i}]")
        return out
    if before != after:
        return [f"{path}: {_fmt(before)} -> {_fmt(after)}"]
    return []


def _fmt(value: Any) -> str:
    if isinstance(value, float) and abs(value) >= 1e6:
        return f"{value:.4g}"
    return repr(value) if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)


def resolve(inputs: Inputs) -> Resolved:
    """Validate the inputs and build the scenario; ScenarioError (one line) on bad input."""
    if inputs.scenario_name not in builtin_names():
        raise ScenarioError(f"scenario = {inputs.scenario_name!r}: must be one of {', '.join(builtin_names())}")
    seed = parse_int("seed", inputs.seed, 0, MAX_SEED)
    accounts = parse_int("number of accounts", inputs.accounts, 1, MAX_ACCOUNTS)
    base = from_dict(read_toml(inputs.scenario_name))
    days = base.simulation.days
    shock_day = parse_int("shock day", inputs.shock_day, 0, days - 1)
    leverage = parse_float("average leverage", inputs.leverage_mean, 1.01, 20.0)
    maintenance = parse_float("maintenance margin", inputs.maintenance, 0.25, 0.99)
    letf_aum = parse_float("LETF AUM ($ bn)", inputs.letf_aum_bn, 0.0, 100_000.0)
    if inputs.letf_leverage not in LETF_LEVERAGES:
        raise ScenarioError(f"LETF leverage = {inputs.letf_leverage!r}: must be one of {', '.join(LETF_LEVERAGES)}")
    gamma = parse_float("dealer gamma (x scenario)", inputs.dealer_gamma, -10.0, 10.0)
    vol_target = parse_float("vol target", inputs.vol_target, 0.01, 2.0)
    shock_size = parse_float("shock size", inputs.shock_size, -0.95, 1.0)

    data = base.to_dict()
    data["margin"]["accounts"] = accounts
    data["margin"]["leverage_mean"] = leverage
    _set_maintenance(data["brokers"], maintenance)
    _set_letfs(data, letf_aum * BN, inputs.letf_leverage)
    _set_dealers(data, gamma, base)
    data["vol_control"]["target_vol"] = vol_target
    _set_shock(data, shock_size, shock_day)
    try:
        spec = from_dict(data)
    except ScenarioError as exc:
        raise ScenarioError(_blame(inputs, str(exc))) from None
    return Resolved(spec, seed, tuple(changes(base.to_dict(), spec.to_dict())), shock_day, shock_size)


def defaults() -> dict[str, Any]:
    """The default inputs as a dict (the page's initial values)."""
    return asdict(Inputs())
