"""Scenarios: TOML files loaded into validated, typed, hashable objects.

A scenario is everything a run depends on except the seed. Its sections and fields are declared
in :mod:`sim.config.schema`, each with a type and an allowed range; anything else (unknown field,
wrong type, NaN, out of range, inconsistent rules such as maintenance above initial margin)
raises :class:`ScenarioError` with one line naming the field and what is allowed. Nothing is
clamped silently.

**Which scenario a name means.** ``load("baseline")`` is always the built-in scenario, even when
a file called ``baseline`` or ``baseline.toml`` sits in the current folder; a file is read only
when the reference is a path: it contains ``/`` or ends in ``.toml`` (or is a
:class:`pathlib.Path`). ``meta.extends`` follows the same rule, with relative paths taken from the
extending file's own folder (see :mod:`sim.config.files`). The loaded scenario's ``source`` says
which was used: ``'built-in baseline'`` or the file's absolute path (it is not hashed).

**Overrides** are ``section.field=value`` strings (``events.0.size=-0.2``,
``letf_funds.*.aum_usd=1e9``) applied by :mod:`sim.config.paths` after the file is read.
"""

from __future__ import annotations

import copy
import datetime
import math
from os import PathLike
from typing import Any

from sim.config.fields import ScenarioError as ScenarioError
from sim.config.fields import check, check_keys, iso_date, show
from sim.config.files import builtin_names as builtin_names
from sim.config.files import is_path, read_scenario
from sim.config.paths import apply_value as _apply_value
from sim.config.paths import merge as merge
from sim.config.paths import parse_override as parse_override
from sim.config.scenario_stocks import check_stocks
from sim.config.schema import EVENT_SIZES as EVENT_SIZES
from sim.config.schema import LIST_SECTIONS, SECTIONS, SHAPE, Scenario, specs
from sim.config.schema import Broker as Broker
from sim.config.schema import Dealers as Dealers
from sim.config.schema import Event as Event
from sim.config.schema import OptionSeries as OptionSeries
from sim.config.schema import ValueFunds as ValueFunds

__all__ = ["EVENT_SIZES", "Broker", "Dealers", "Event", "OptionSeries", "Scenario", "ScenarioError", "ValueFunds",
           "apply_value", "builtin_names", "coerce", "from_dict", "load", "merge", "parse_override", "read_toml",
           "resolve", "scenarios"]


# ---------------------------------------------------------------------------- validation

def _build(cls: type, data: Any, path: str) -> Any:
    fields = specs(cls)
    if not isinstance(data, dict):
        raise ScenarioError(f"{path} = {show(data)}: must be a table of fields", field=path, allowed="a table")
    check_keys(data, fields, path, error=ScenarioError)
    return cls(**{name: check(value, fields[name], f"{path}.{name}", error=ScenarioError)
                  for name, value in data.items()})


def _build_list(name: str, items: Any) -> list[Any]:
    shape = SHAPE.fields[name]
    lo, hi = shape.length
    if not isinstance(items, list) or not lo <= len(items) <= (hi if hi is not None else len(items)):
        size = f" ({lo} to {hi} {shape.noun[1]})" if hi is not None else ""
        raise ScenarioError(f"{name}: must be a list of tables{size}", field=name, allowed=f"a list of tables{size}")
    return [_build(LIST_SECTIONS[name], item, f"{name}[{i}]") for i, item in enumerate(items)]


def from_dict(data: dict[str, Any], source: str = "a table") -> Scenario:
    """Validate a nested dict (as read from TOML) into a :class:`Scenario`.

    ``source`` is where it came from (see :class:`Scenario`): set on the scenario before the
    checks, as the stock layer's universe file is relative to the scenario's folder.

    Raises
    ------
    ScenarioError
        One line naming the first field that is unknown, of the wrong type, out of range or
        inconsistent with another.
    """
    if not isinstance(data, dict):
        raise ScenarioError("scenario: must be a table of sections", field="scenario", allowed="a table")
    check_keys(data, SHAPE.fields, "", what="section", error=ScenarioError)
    meta = data.get("meta")
    if isinstance(meta, dict) and type(meta.get("start_date")) is datetime.date:  # a TOML date, unquoted
        data = {**data, "meta": {**meta, "start_date": meta["start_date"].isoformat()}}
    kwargs: dict[str, Any] = {}
    for name, cls in SECTIONS.items():
        if name in data:
            kwargs[name] = _build(cls, data[name], name)
    for name in LIST_SECTIONS:
        if name in data:
            kwargs[name] = _build_list(name, data[name])
    scenario = Scenario(**kwargs)
    scenario.source = source
    _check_start_date(scenario.meta.start_date)
    _check_market(scenario)
    _check_margin(scenario)
    _check_brokers(scenario)
    _check_events(scenario)
    _check_underlyings(scenario)
    _check_open_interest(scenario)
    check_stocks(scenario)
    return scenario


def _fail(name: str, shown: str | None, message: str, allowed: str | None = None) -> ScenarioError:
    """``name = shown: message`` (or ``name: message``), with ``field=name``."""
    head = name if shown is None else f"{name} = {shown}"
    return ScenarioError(f"{head}: {message}", field=name, allowed=allowed)


FIRST_START, LAST_START = datetime.date(1960, 1, 1), datetime.date(2100, 12, 31)
"""The range of ``meta.start_date`` (whether it is an NYSE trading day is checked when the dates are made)."""


def _check_start_date(text: str) -> None:
    if not text:
        return
    allowed = f"'' or a date YYYY-MM-DD from {FIRST_START} to {LAST_START}"
    if iso_date(text, FIRST_START, LAST_START) is None:
        raise _fail("meta.start_date", repr(text), f"must be {allowed}", allowed)


def _check_market(s: Scenario) -> None:
    mk = s.market
    if len(mk.weights) != len(mk.assets):
        raise _fail("market.weights", None, f"must have one weight per asset ({len(mk.assets)}), "
                                            f"got {len(mk.weights)}")
    if mk.betas and len(mk.betas) != len(mk.assets):
        raise _fail("market.betas", None, f"must be empty (all 1) or have one beta per asset ({len(mk.assets)}), "
                                          f"got {len(mk.betas)}")
    if len(set(mk.assets)) != len(mk.assets) or "index" in mk.assets:
        raise _fail("market.assets", None, "names must be distinct and not 'index'")
    if abs(sum(mk.weights) - 1.0) > 1e-9:
        raise _fail("market.weights", None, f"must sum to 1 (got {sum(mk.weights):.12g})")
    persistence = mk.garch_alpha + mk.garch_beta + 0.5 * mk.garch_asymmetry
    if persistence >= 1.0:
        terms = {"market.garch_beta": mk.garch_beta, "market.garch_alpha": mk.garch_alpha,
                 "market.garch_asymmetry": 0.5 * mk.garch_asymmetry}
        name = max(terms, key=terms.__getitem__)
        raise _fail(name, f"{getattr(mk, name.split('.')[1]):g}", f"garch_alpha + garch_beta + garch_asymmetry/2 = "
                    f"{persistence:g} must be < 1 (a stationary news variance)",
                    "garch_alpha + garch_beta + garch_asymmetry/2 < 1")


def _check_margin(s: Scenario) -> None:
    m = s.margin
    if m.maintenance > m.initial_margin:
        raise _fail("margin.maintenance", f"{m.maintenance:g}", f"must be <= margin.initial_margin "
                    f"({m.initial_margin:g}), in [0.25, {m.initial_margin:g}]", f"in [0.25, {m.initial_margin:g}]")
    if m.maintenance_short > m.initial_margin_short - 1.0:
        raise _fail("margin.maintenance_short", f"{m.maintenance_short:g}", f"must be <= "
                    f"margin.initial_margin_short - 1 ({m.initial_margin_short - 1:g})")
    max_lev = 1.0 / m.initial_margin
    if not m.leverage_mean < max_lev:
        raise _fail("margin.leverage_mean", f"{m.leverage_mean:g}", f"must be in (1, {max_lev:g}) (Reg T buying "
                    f"power at initial_margin {m.initial_margin:g})", f"in (1, {max_lev:g})")
    gain = s.impact.multiplier * s.impact.max_thinning * s.liquidity.value_intensity / s.simulation.substeps
    if s.impact.model == "linear" and gain >= 1.0:
        limit = s.simulation.substeps / (s.impact.multiplier * s.impact.max_thinning)
        raise _fail("liquidity.value_intensity", f"{s.liquidity.value_intensity:g}", f"must be < {limit:g} "
                    "(substeps / (impact.multiplier x impact.max_thinning)), or value traders overshoot the "
                    "fundamental every substep", f"< {limit:g}")


def _check_brokers(s: Scenario) -> None:
    m = s.margin
    shares = sum(b.share for b in s.brokers)
    if abs(shares - 1.0) > 1e-9:
        raise _fail("brokers.share", None, f"must sum to 1 over brokers (got {shares:.12g})")
    if len({b.name for b in s.brokers}) != len(s.brokers):
        raise _fail("brokers.name", None, "broker names must be distinct")
    for i, b in enumerate(s.brokers):
        if b.house_maintenance < m.maintenance:
            raise _fail(f"brokers[{i}].house_maintenance", f"{b.house_maintenance:g}", f"must be in "
                        f"[{m.maintenance:g}, 1) (not below margin.maintenance)")
        if b.house_maintenance_short < m.maintenance_short:
            raise _fail(f"brokers[{i}].house_maintenance_short", f"{b.house_maintenance_short:g}", f"must be in "
                        f"[{m.maintenance_short:g}, 1] (not below margin.maintenance_short)")
        if b.house_maintenance * (1.0 / m.initial_margin) >= 1.0:
            raise _fail(f"brokers[{i}].house_maintenance", f"{b.house_maintenance:g}", f"must be below "
                        f"margin.initial_margin ({m.initial_margin:g}) so Reg T positions start above maintenance")


def _check_events(s: Scenario) -> None:
    mk, m = s.market, s.margin
    targets = ["index", *mk.assets]
    allowed_targets = ", ".join(repr(a) for a in targets)
    for i, e in enumerate(s.events):
        lo, hi, meaning = EVENT_SIZES[e.kind]
        size, shown = f"events[{i}].size", f"{e.size:g}"
        if not lo <= e.size <= hi:
            raise _fail(size, shown, f"for kind {e.kind!r} must be in [{lo:g}, {hi:g}] ({meaning})",
                        f"in [{lo:g}, {hi:g}]")
        if e.target not in targets and not (e.target == "all" and e.kind == "letf_outflow"):
            raise _fail(f"events[{i}].target", repr(e.target), f"must be one of {allowed_targets}"
                        + (", 'all'" if e.kind == "letf_outflow" else ""))
        if e.kind == "lending_cut" and e.size < m.initial_margin:
            raise _fail(size, shown, f"a lending cut must raise initial margin, in [{m.initial_margin:g}, 1]")
        if e.kind == "maintenance_raise" and e.target == "index":
            top = max(b.house_maintenance for b in s.brokers) + e.size
            if top >= 1.0:
                raise _fail(size, shown, f"maintenance would reach {top:g}; must stay below 1")
        if e.target == "index" and mk.betas and min(1.0 + b * e.size for b in mk.betas) <= 0.0:
            raise _fail(size, shown, f"must be > -1 / max(market.betas) ({-1.0 / max(mk.betas):g}) so every "
                                     "asset's price stays positive")
        if e.day >= s.simulation.days:
            raise _fail(f"events[{i}].day", str(e.day), f"must be in [0, {s.simulation.days - 1}] (simulation.days)")


def _check_underlyings(s: Scenario) -> None:
    extends = s.meta.extends
    if extends and not (is_path(extends) and extends.endswith(".toml")) and extends not in builtin_names():
        raise _fail("meta.extends", repr(extends), "must be a built-in scenario or a .toml path: "
                    + ", ".join(builtin_names()))
    allowed = ["index", *s.market.assets]
    text = ", ".join(repr(a) for a in allowed)
    for section, items in (("letf_funds", s.letf_funds), ("options", s.options)):
        for i, item in enumerate(items):
            if item.underlying not in allowed:
                raise _fail(f"{section}[{i}].underlying", repr(item.underlying), f"must be one of {text}")
    names = [f.name for f in s.letf_funds]
    if len(set(names)) != len(names):
        raise _fail("letf_funds.name", None, "fund names must be distinct")
    vf = s.value_funds
    if vf.underlying not in allowed:
        raise _fail("value_funds.underlying", repr(vf.underlying), f"must be one of {text}")
    if vf.aggressiveness_max < vf.aggressiveness_min:
        raise _fail("value_funds.aggressiveness_max", f"{vf.aggressiveness_max:g}", f"must be >= "
                    f"value_funds.aggressiveness_min ({vf.aggressiveness_min:g})")
    vc = s.vol_control
    if vc.slow_lambda < vc.fast_lambda:
        raise _fail("vol_control.slow_lambda", f"{vc.slow_lambda:g}", f"must be >= vol_control.fast_lambda "
                    f"({vc.fast_lambda:g})")


MAX_OPEN_INTEREST_ROWS = 20_000
"""Most option rows ``[open_interest]`` may expand into (strikes x listed expiries)."""


def _check_open_interest(s: Scenario) -> None:
    oi = s.open_interest
    for kind in ("put", "call"):
        low, high = getattr(oi, f"{kind}_low"), getattr(oi, f"{kind}_high")
        if high < low:
            raise _fail(f"open_interest.{kind}_high", f"{high:g}", f"must be >= open_interest.{kind}_low ({low:g})",
                        f">= {low:g}")
    rows = sum(math.floor((h - lo) / oi.strike_spacing + 1e-9) + 1
               for lo, h in ((oi.put_low, oi.put_high), (oi.call_low, oi.call_high))) * (oi.weeks_listed
                                                                                        + oi.months_listed)
    if rows > MAX_OPEN_INTEREST_ROWS and (oi.put_share > 0.0 or oi.call_share > 0.0):
        raise _fail("open_interest.strike_spacing", f"{oi.strike_spacing:g}", f"gives {rows} option rows (strikes x "
                    f"listed expiries); at most {MAX_OPEN_INTEREST_ROWS}: widen the spacing or narrow the ranges",
                    f"at most {MAX_OPEN_INTEREST_ROWS} rows")


# ---------------------------------------------------------------------------- loading

def read_toml(name_or_path: str | PathLike[str]) -> dict[str, Any]:
    """The raw dict of a built-in name or a ``.toml`` path, ``meta.extends`` merged in (not validated)."""
    return read_scenario(name_or_path)[0]


def scenarios() -> dict[str, str]:
    """The built-in scenarios, each name with its one-line description (``meta.description``).

    Read from the files without building them (fast); ``load(name)`` gives the scenario itself.

    Examples
    --------
    >>> import sim
    >>> sim.scenarios()["baseline"]  # doctest: +ELLIPSIS
    'Calm year, moderate leverage ...'
    """
    return {name: str(read_toml(name).get("meta", {}).get("description", "")) for name in builtin_names()}


def apply_value(data: dict[str, Any], path: str | list[str], value: Any, op: str = "set") -> None:
    """Apply ``value`` to the field(s) ``path`` names in a raw scenario dict, in place (see :mod:`sim.config.paths`)."""
    _apply_value(data, path, value, SHAPE, op)


def _check_overrides(overrides: Any) -> list[str]:
    if isinstance(overrides, str) or not isinstance(overrides, (list, tuple)):
        raise ScenarioError(f"scenario overrides = {show(overrides)}: must be a list of 'section.field=value' strings",
                            field="scenario override", allowed="a list of section.field=value strings")
    return list(overrides)


def resolve(scenario: str | PathLike[str] | dict[str, Any], params: dict[str, Any] | None = None,
            overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """A built-in name, a ``.toml`` path or a raw dict, then ``overrides``, then ``params`` (path -> value).

    Parameters
    ----------
    scenario : str, os.PathLike or dict
        The base scenario.
    params : dict, optional
        Dotted path (``*`` allowed) -> value, applied after the overrides.
    overrides : list of str
        ``section.field=value`` strings.

    Returns
    -------
    Scenario
        Validated, with ``source`` set.
    """
    overrides = _check_overrides(overrides)
    if params is not None and not isinstance(params, dict):
        raise ScenarioError(f"params = {show(params)}: must be a table of dotted path -> value", field="params",
                            allowed="a table of dotted path -> value")
    if isinstance(scenario, dict):  # copied only when it is going to change
        data, source = copy.deepcopy(scenario) if overrides or params else scenario, "a table"
    else:
        data, source = read_scenario(scenario)
    for text in overrides:
        apply_value(data, *parse_override(text))
    for path, value in (params or {}).items():
        if not isinstance(path, str):
            raise ScenarioError(f"params key {show(path)}: must be a dotted path such as 'margin.leverage_mean'",
                                field="params", allowed="dotted paths")
        apply_value(data, path, value)
    return from_dict(data, source)


def load(name_or_path: str | PathLike[str], overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Load, override and validate a scenario; raises :class:`ScenarioError` on bad input.

    ``name_or_path`` is a built-in name or a path (text with a '/' or ending in '.toml', or a
    Path); see the module docstring for the rule. ``overrides`` is a list of
    ``section.field=value`` strings.
    """
    return resolve(name_or_path, overrides=overrides)


def coerce(scenario: Scenario | str | PathLike[str] | dict[str, Any]) -> Scenario:
    """Accept a Scenario, a built-in name or path, or a raw dict, and return a validated Scenario."""
    if isinstance(scenario, Scenario):
        return from_dict(scenario.to_dict(), scenario.source)
    if isinstance(scenario, (str, PathLike, dict)):
        return resolve(scenario)
    raise ScenarioError(f"scenario = {show(scenario)}: must be a Scenario, a built-in name, a path to a .toml file "
                        "or a table", field="scenario", allowed="a Scenario, a built-in name, a .toml path or a table")
