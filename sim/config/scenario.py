"""Scenarios: TOML files loaded into validated, typed, hashable objects.

A scenario is everything a run depends on except the seed. Every field has a type and an
allowed range; anything else (unknown field, wrong type, NaN, out of range, inconsistent
rules such as maintenance above initial margin) raises :class:`ScenarioError` with one line
naming the field and what is allowed. Nothing is clamped silently.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from sim.core import margin
from sim.core.errors import InputError


class ScenarioError(InputError):
    """An invalid scenario value; the message is one line naming the field."""


def _spec(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
          hi_open: bool = False, choices: tuple[str, ...] | None = None, unit: str = "",
          length: tuple[int, int] | None = None, doc: str = "",
          choices_int: tuple[int, ...] | None = None) -> dict[str, Any]:
    return {"lo": lo, "hi": hi, "lo_open": lo_open, "hi_open": hi_open, "choices": choices,
            "unit": unit, "length": length, "doc": doc, "choices_int": choices_int}


def _field(default: Any, **kw: Any) -> Any:
    """A dataclass field with its validation spec in the metadata."""
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=_spec(**kw))
    return field(default=default, metadata=_spec(**kw))


@dataclass
class Meta:
    """Name and description; not used by the model."""
    name: str = _field("unnamed", doc="scenario name")
    description: str = _field("", doc="what the scenario represents and where its numbers come from")
    extends: str = _field("", doc="built-in scenario this one starts from (its tables are merged in)")


@dataclass
class Simulation:
    """Length and resolution of a run."""
    days: int = _field(252, lo=1, hi=100_000, unit="trading days")
    substeps: int = _field(4, lo=1, hi=390, unit="intraday substeps per day")
    max_clearing_rounds: int = _field(200, lo=1, hi=100_000, unit="rounds per substep")
    days_per_year: float = _field(252.0, lo=1.0, hi=366.0, unit="trading days per year")


@dataclass
class Market:
    """Assets (sectors), their index weights and the fundamental factor model."""
    assets: list[str] = _field(["market"], length=(1, 64), doc="asset (sector) names")
    weights: list[float] = _field([1.0], lo=0.0, hi=1.0, lo_open=True, length=(1, 64),
                             doc="index (market-cap) weights, summing to 1")
    betas: list[float] = _field([], lo=0.0, hi=5.0, length=(0, 64),
                                doc="loading of each asset on the market factor and on index gaps; "
                                    "empty = all 1")
    initial_price: float = _field(100.0, lo=0.0, hi=1e9, lo_open=True, unit="$ per share")
    market_cap_usd: float = _field(6.5e13, lo=0.0, hi=1e16, lo_open=True, unit="$")
    fundamental_drift: float = _field(0.0003, lo=-0.05, hi=0.05, unit="log return per day")
    fundamental_vol: float = _field(0.01, lo=0.0, hi=0.2, unit="daily log-return std")
    correlation: float = _field(0.6, lo=0.0, hi=1.0, doc="pairwise correlation of sector fundamentals")
    vol_ewma_lambda: float = _field(0.94, lo=0.0, hi=1.0, hi_open=True, doc="EWMA decay of realized vol")


@dataclass
class Impact:
    """Price impact of net dollar order flow on the log price."""
    model: str = _field("linear", choices=("linear", "sqrt"))
    multiplier: float = _field(5.0, lo=0.0, hi=1000.0,
                          doc="linear: dlogP = multiplier x flow / sector market cap (Gabaix-Koijen M)")
    sqrt_y: float = _field(0.7, lo=0.0, hi=100.0, doc="sqrt: dlogP = Y x sigma x sqrt(|flow| / ADV)")
    adv_fraction: float = _field(0.011, lo=0.0, hi=1.0, lo_open=True, unit="daily volume / market cap")
    transient_fraction: float = _field(0.0, lo=0.0, hi=1.0, doc="share of each impact that decays")
    transient_halflife: float = _field(4.0, lo=0.0, hi=1e6, lo_open=True, unit="substeps")
    thinning_elasticity: float = _field(0.0, lo=0.0, hi=10.0,
                                   doc="impact x (realized/reference vol)^e above the reference; 0 = off")
    reference_vol: float = _field(0.01, lo=0.0, hi=1.0, lo_open=True, unit="daily vol")
    max_thinning: float = _field(4.0, lo=1.0, hi=100.0,
                                 doc="cap on the thinning factor: depth never falls below 1/max_thinning")


@dataclass
class Liquidity:
    """The liquidity side: value traders and noise traders (dollar demand, fraction of cap)."""
    value_intensity: float = _field(0.02, lo=0.0, hi=100.0,
                               unit="fraction of sector cap bought per day per unit log mispricing")
    noise_vol: float = _field(0.001, lo=0.0, hi=1.0, unit="daily std of noise demand change, fraction of cap")
    noise_reversion: float = _field(0.2, lo=0.0, hi=1.0, unit="fraction of noise demand unwound per day")


@dataclass
class Margin:
    """Margin investors: size of the book (scaled to FINRA totals), rules and behaviour."""
    accounts: int = _field(100_000, lo=1, hi=100_000_000)
    margin_debt_usd: float = _field(1.0e12, lo=0.0, hi=1e15, lo_open=True,
                               unit="$ debit balances at day 0 (FINRA)")
    free_credit_usd: float = _field(4.0e11, lo=0.0, hi=1e15, unit="$ free credit balances at day 0 (FINRA)")
    initial_margin: float = _field(margin.REG_T_INITIAL, lo=0.05, hi=1.0, doc="Reg T initial margin, longs")
    initial_margin_short: float = _field(margin.REG_T_INITIAL_SHORT, lo=1.05, hi=2.0,
                                    doc="Reg T initial margin on shorts, proceeds included")
    maintenance: float = _field(margin.FINRA_MAINTENANCE, lo=margin.FINRA_MAINTENANCE, hi=1.0,
                           hi_open=True, doc="FINRA 4210 maintenance floor, longs")
    maintenance_short: float = _field(margin.FINRA_MAINTENANCE_SHORT, lo=margin.FINRA_MAINTENANCE_SHORT,
                                 hi=1.0, doc="maintenance on shorts")
    benchmark_rate: float = _field(0.04, lo=-0.05, hi=1.0, unit="annual rate")
    leverage_mean: float = _field(1.5, lo=1.0, hi=20.0, lo_open=True,
                                  unit="centre of the leverage distribution, long value / equity")
    leverage_dispersion: float = _field(4.0, lo=0.1, hi=1e4, doc="Beta concentration of leverage in (1, 1/initial)")
    leverage_drift: float = _field(0.15, lo=0.0, hi=2.0,
                                   doc="logit-scale scatter of day-0 (= target) leverage; makes the tail near calls")
    short_fraction: float = _field(0.05, lo=0.0, hi=1.0, doc="share of accounts that also hold shorts")
    short_leverage: float = _field(0.3, lo=0.0, hi=5.0, unit="short value / equity, short sellers")
    concentration: float = _field(0.5, lo=0.0, hi=1.0, doc="share of each account in its home sector")
    buy_speed: float = _field(0.2, lo=0.0, hi=1.0, unit="fraction of a leverage shortfall bought per day")
    sell_speed: float = _field(0.05, lo=0.0, hi=1.0,
                               unit="fraction of a leverage excess sold per day (voluntarily)")
    rebalance_band: float = _field(0.02, lo=0.0, hi=10.0, unit="no-trade band, fraction of equity")
    call_deadline_days: int = _field(2, lo=0, hi=30, unit="trading days to meet a call")
    wealth_sigma: float = _field(1.0, lo=0.0, hi=5.0, doc="log-std of account equity (lognormal)")


@dataclass
class Broker:
    """One broker's house rules; accounts are split between brokers by ``share``."""
    name: str = _field("broker")
    share: float = _field(1.0, lo=0.0, hi=1.0, lo_open=True, doc="fraction of accounts")
    house_maintenance: float = _field(0.30, lo=margin.FINRA_MAINTENANCE, hi=1.0, hi_open=True)
    house_maintenance_short: float = _field(0.30, lo=margin.FINRA_MAINTENANCE_SHORT, hi=1.0)
    interest_spread: float = _field(0.02, lo=0.0, hi=1.0, unit="annual spread over the benchmark")
    liquidate_to: str = _field("maintenance", choices=("maintenance", "initial"))
    liquidation_buffer: float = _field(0.05, lo=0.0, hi=0.5, doc="liquidate to rule + buffer")


EVENT_SIZES: dict[str, tuple[float, float, str]] = {
    "price_gap": (-0.999999, 10.0, "fractional change of prices"),
    "fundamental_gap": (-0.999999, 10.0, "fractional change of fundamental values"),
    "vol_regime": (0.01, 20.0, "multiplier of the fundamental volatility from that day on"),
    "maintenance_raise": (0.0, 0.7, "added to the maintenance rate (all names, or one asset's longs)"),
    "rate_shock": (-0.2, 0.5, "added to the benchmark rate (0.01 = +100 bp)"),
    "lending_cut": (0.05, 1.0, "new initial margin; investors' leverage targets are capped at 1/size"),
    "letf_outflow": (0.0, 1.0, "fraction of the matching leveraged ETFs' assets redeemed"),
    "leverage_growth": (-0.9, 2.0, "annual log growth of investors' leverage targets above 1, from that day "
                                   "on (0 stops it)"),
}
"""Allowed ``size`` range and meaning for each event kind."""


@dataclass
class Event:
    """A scheduled event on one day: see ``EVENT_SIZES`` for what ``size`` means per kind.

    ``target``: 'index' (every asset; index gaps scale with beta), an asset name, or for
    ``maintenance_raise`` 'index' = all names, an asset = concentrated positions in it; for
    ``letf_outflow`` 'index'/'all' = every fund or a fund underlying.
    """
    day: int = _field(0, lo=0, hi=100_000, unit="trading day (0-based)")
    kind: str = _field("price_gap", choices=tuple(EVENT_SIZES))
    target: str = _field("index", doc="'index', 'all' or an asset name")
    size: float = _field(-0.10, lo=-0.999999, hi=20.0, doc="see EVENT_SIZES")


@dataclass
class Channels:
    """Which of the four procyclical channels trade (for attribution; liquidity always trades)."""
    margin: bool = _field(True)
    letf: bool = _field(True)
    dealers: bool = _field(True)
    vol_control: bool = _field(True)
    value_funds: bool = _field(True, doc="leveraged value funds ([value_funds]) trade; off = they hold")


@dataclass
class Letf:
    """Leveraged-ETF investor behaviour shared by all funds."""
    flow_response: float = _field(0.0, lo=0.0, hi=2.0,
                                  doc="creations = -flow_response x (L-1) x r x AUM; 1 offsets rebalancing")
    max_market_share: float = _field(0.25, lo=0.0, hi=1.0, lo_open=True,
                                     doc="a fund whose exposure would exceed this share of its underlying's "
                                         "market value is closed")


@dataclass
class LetfFund:
    """One leveraged or inverse ETF (Cheng and Madhavan rebalancing at the close)."""
    name: str = _field("fund")
    underlying: str = _field("index", doc="'index' or an asset name")
    leverage: int = _field(3, choices_int=(-3, -2, -1, 2, 3))
    aum_usd: float = _field(1e10, lo=0.0, hi=1e14, unit="$ net assets at day 0")


@dataclass
class Dealers:
    """Options dealers' pricing and roll schedule (Black-Scholes)."""
    implied_vol: float = _field(0.18, lo=0.01, hi=3.0, unit="annual")
    rate: float = _field(0.04, lo=-0.05, hi=0.5, unit="annual")
    roll: bool = _field(True, doc="replace expiring series with the same moneyness and tenor")


@dataclass
class OptionSeries:
    """A ladder of option series held against the dealers (side = the dealer's side)."""
    underlying: str = _field("index", doc="'index' or an asset name")
    kind: str = _field("put", choices=("call", "put"))
    side: str = _field("short", choices=("long", "short"))
    moneyness: float = _field(0.97, lo=0.2, hi=5.0, unit="strike / spot at listing")
    tenor_days: int = _field(21, lo=1, hi=1000, unit="trading days")
    notional_usd: float = _field(1e11, lo=0.0, hi=1e15, unit="$ underlying value at listing")
    ladder: int = _field(4, lo=1, hi=100, doc="staggered expiries sharing the notional")


@dataclass
class VolControl:
    """Volatility-control funds: exposure = min(cap, target / max(EWMA 0.94, EWMA 0.97))."""
    aum_usd: float = _field(0.0, lo=0.0, hi=1e14, unit="$ net assets at day 0")
    target_vol: float = _field(0.10, lo=0.01, hi=2.0, unit="annual")
    cap: float = _field(1.5, lo=0.0, hi=5.0, unit="maximum exposure / NAV")
    band: float = _field(0.05, lo=0.0, hi=1.0, unit="no-trade band in exposure")
    lag_days: int = _field(1, lo=1, hi=20, unit="days between the estimate's last close and the trade")
    fast_lambda: float = _field(0.94, lo=0.0, hi=1.0, hi_open=True)
    slow_lambda: float = _field(0.97, lo=0.0, hi=1.0, hi_open=True)


@dataclass
class ValueFunds:
    """Leveraged value funds with a leverage cap (Thurner, Farmer and Geanakoplos 2012); count 0 = none.

    Fund h wants a position of min(beta_h x mispricing, max_leverage) x its wealth in its
    underlying (mispricing = log fundamental - log price, none when overpriced); a fall that
    pushes its leverage above the cap forces it to sell (the margin call). Investors move
    money to funds that beat the benchmark; a fund whose wealth falls below
    ``min_wealth_fraction`` of its start is wound up and a new one starts ``reintroduce_days``
    later.
    """
    count: int = _field(0, lo=0, hi=1000, doc="number of funds (0 = none)")
    underlying: str = _field("index", doc="'index' (the market portfolio) or an asset name")
    wealth_usd: float = _field(1e10, lo=0.0, hi=1e15, lo_open=True, unit="$ wealth of each fund at day 0")
    aggressiveness_min: float = _field(5.0, lo=0.0, hi=1e4, lo_open=True,
                                       doc="beta of the least aggressive fund (leverage per unit log mispricing)")
    aggressiveness_max: float = _field(50.0, lo=0.0, hi=1e4, lo_open=True,
                                       doc="beta of the most aggressive fund (evenly spaced in between)")
    max_leverage: float = _field(5.0, lo=1.0, hi=100.0, unit="cap on position / wealth (lambda_max)")
    flow_sensitivity: float = _field(0.15, lo=0.0, hi=10.0,
                                     doc="investor flow = sensitivity x (performance - benchmark) x wealth, per day")
    benchmark_return: float = _field(0.005, lo=-1.0, hi=1.0, unit="return per day investors expect")
    performance_smoothing: float = _field(0.1, lo=0.0, hi=1.0, lo_open=True,
                                          doc="EWMA weight of the latest daily return in the fund's performance")
    min_wealth_fraction: float = _field(0.1, lo=0.0, hi=1.0, hi_open=True,
                                        doc="a fund below this fraction of its starting wealth is wound up")
    reintroduce_days: int = _field(100, lo=1, hi=100_000, unit="trading days before a new fund replaces it")


@dataclass
class Scenario:
    """A complete, validated scenario."""
    meta: Meta = field(default_factory=Meta)
    simulation: Simulation = field(default_factory=Simulation)
    market: Market = field(default_factory=Market)
    impact: Impact = field(default_factory=Impact)
    liquidity: Liquidity = field(default_factory=Liquidity)
    margin: Margin = field(default_factory=Margin)
    brokers: list[Broker] = field(default_factory=lambda: [Broker()])
    events: list[Event] = field(default_factory=list)
    channels: Channels = field(default_factory=Channels)
    letf: Letf = field(default_factory=Letf)
    letf_funds: list[LetfFund] = field(default_factory=list)
    dealers: Dealers = field(default_factory=Dealers)
    options: list[OptionSeries] = field(default_factory=list)
    vol_control: VolControl = field(default_factory=VolControl)
    value_funds: ValueFunds = field(default_factory=ValueFunds)

    @property
    def n_assets(self) -> int:
        return len(self.market.assets)

    def to_dict(self) -> dict[str, Any]:
        """The resolved scenario; fields added after 0.1.0 appear only when they differ from
        their defaults, so a scenario that does not use them keeps its hash and outputs."""
        out = dataclasses.asdict(self)
        for path, default in _LATER_FIELDS.items():
            node = out
            for part in path[:-1]:
                node = node[part]
            if node[path[-1]] == default:
                del node[path[-1]]
        return out

    def hash(self) -> str:
        """Stable SHA-256 (first 16 hex digits) of the resolved scenario."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


_LATER_FIELDS: dict[tuple[str, ...], Any] = {
    ("channels", "value_funds"): True,
    ("value_funds",): dataclasses.asdict(ValueFunds()),
}
"""Fields added after 0.1.0 and their defaults (left out of ``to_dict`` and the hash at default)."""

_LIST_SECTIONS = {"brokers": Broker, "events": Event, "letf_funds": LetfFund, "options": OptionSeries}
_SECTION_TYPES = {"meta": Meta, "simulation": Simulation, "market": Market, "impact": Impact,
                  "channels": Channels, "letf": Letf, "dealers": Dealers, "vol_control": VolControl,
                  "liquidity": Liquidity, "margin": Margin, "value_funds": ValueFunds}


def _range_text(spec: dict[str, Any]) -> str:
    if spec["choices"]:
        return "one of " + ", ".join(repr(c) for c in spec["choices"])
    lo, hi = spec["lo"], spec["hi"]
    left = "(" if spec["lo_open"] else "["
    right = ")" if spec["hi_open"] else "]"
    unit = f" ({spec['unit']})" if spec["unit"] else ""
    return f"in {left}{lo:g}, {hi:g}{right}{unit}"


def _check_number(path: str, value: Any, kind: type, spec: dict[str, Any]) -> float | int:
    if spec.get("choices_int"):
        allowed = ", ".join(str(c) for c in spec["choices_int"])
        if isinstance(value, bool) or not isinstance(value, int) or value not in spec["choices_int"]:
            raise ScenarioError(f"{path} = {value!r}: must be one of {allowed}")
        return value
    what = "an integer" if kind is int else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"{path} = {value!r}: must be {what} {_range_text(spec)}")
    if kind is int and not isinstance(value, int):
        raise ScenarioError(f"{path} = {value!r}: must be an integer {_range_text(spec)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ScenarioError(f"{path} = {value!r}: must be a finite number {_range_text(spec)}")
    lo, hi = spec["lo"], spec["hi"]
    bad_lo = lo is not None and (value <= lo if spec["lo_open"] else value < lo)
    bad_hi = hi is not None and (value >= hi if spec["hi_open"] else value > hi)
    if bad_lo or bad_hi:
        raise ScenarioError(f"{path} = {value!r}: must be {_range_text(spec)}")
    return float(value) if kind is float else int(value)


def _check_value(path: str, value: Any, ftype: Any, spec: dict[str, Any]) -> Any:
    if ftype is bool:
        if not isinstance(value, bool):
            raise ScenarioError(f"{path} = {value!r}: must be true or false")
        return value
    if ftype in (int, float):
        return _check_number(path, value, ftype, spec)
    if ftype is str:
        if not isinstance(value, str):
            raise ScenarioError(f"{path} = {value!r}: must be a string"
                                + (f" {_range_text(spec)}" if spec["choices"] else ""))
        if spec["choices"] and value not in spec["choices"]:
            raise ScenarioError(f"{path} = {value!r}: must be {_range_text(spec)}")
        return value
    if get_origin(ftype) is list:
        (item_type,) = get_args(ftype)
        lo_n, hi_n = spec["length"] or (0, 10**9)
        if not isinstance(value, list) or not lo_n <= len(value) <= hi_n:
            raise ScenarioError(f"{path} = {value!r}: must be a list of {lo_n} to {hi_n} items")
        item_spec = dict(spec, length=None)
        return [_check_value(f"{path}[{i}]", v, item_type, item_spec) for i, v in enumerate(value)]
    raise TypeError(f"unsupported field type {ftype!r}")  # pragma: no cover - schema bug


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """Field types of a section class (typing.get_type_hints is slow: a sweep validates thousands)."""
    return get_type_hints(cls)


def _build(cls: type, data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise ScenarioError(f"{path} = {data!r}: must be a table of fields")
    fields = {fl.name: fl for fl in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ScenarioError(f"{path}.{unknown[0]}: unknown field; allowed: {', '.join(fields)}")
    kwargs = {}
    for name, value in data.items():
        fl = fields[name]
        ftype = _type_hints(cls)[name]
        kwargs[name] = _check_value(f"{path}.{name}", value, ftype, dict(fl.metadata))
    return cls(**kwargs)


def from_dict(data: dict[str, Any]) -> Scenario:
    """Validate a nested dict (as read from TOML) into a :class:`Scenario`."""
    if not isinstance(data, dict):
        raise ScenarioError("scenario: must be a table of sections")
    allowed = list(_SECTION_TYPES) + list(_LIST_SECTIONS)
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ScenarioError(f"{unknown[0]}: unknown section; allowed: {', '.join(allowed)}")
    kwargs: dict[str, Any] = {}
    for name, cls in _SECTION_TYPES.items():
        if name in data:
            kwargs[name] = _build(cls, data[name], name)
    for name, cls in _LIST_SECTIONS.items():
        if name in data:
            items = data[name]
            if not isinstance(items, list) or (name == "brokers" and not 1 <= len(items) <= 64):
                raise ScenarioError(f"{name}: must be a list of tables"
                                    + (" (1 to 64 brokers)" if name == "brokers" else ""))
            kwargs[name] = [_build(cls, item, f"{name}[{i}]") for i, item in enumerate(items)]
    scenario = Scenario(**kwargs)
    _check_consistency(scenario)
    _check_underlyings(scenario)
    return scenario


def _check_consistency(s: Scenario) -> None:
    """Rules that involve more than one field."""
    m, mk = s.margin, s.market
    if len(mk.weights) != len(mk.assets):
        raise ScenarioError(f"market.weights: must have one weight per asset ({len(mk.assets)}), "
                            f"got {len(mk.weights)}")
    if mk.betas and len(mk.betas) != len(mk.assets):
        raise ScenarioError(f"market.betas: must be empty (all 1) or have one beta per asset "
                            f"({len(mk.assets)}), got {len(mk.betas)}")
    if len(set(mk.assets)) != len(mk.assets) or "index" in mk.assets:
        raise ScenarioError("market.assets: names must be distinct and not 'index'")
    if abs(sum(mk.weights) - 1.0) > 1e-9:
        raise ScenarioError(f"market.weights: must sum to 1 (got {sum(mk.weights):.12g})")
    if m.maintenance > m.initial_margin:
        raise ScenarioError(f"margin.maintenance = {m.maintenance:g}: must be <= margin.initial_margin "
                            f"({m.initial_margin:g}), in [0.25, {m.initial_margin:g}]")
    if m.maintenance_short > m.initial_margin_short - 1.0:
        raise ScenarioError(f"margin.maintenance_short = {m.maintenance_short:g}: must be <= "
                            f"margin.initial_margin_short - 1 ({m.initial_margin_short - 1:g})")
    max_lev = 1.0 / m.initial_margin
    if not m.leverage_mean < max_lev:
        raise ScenarioError(f"margin.leverage_mean = {m.leverage_mean:g}: must be in (1, {max_lev:g}) "
                            f"(Reg T buying power at initial_margin {m.initial_margin:g})")
    gain = s.impact.multiplier * s.impact.max_thinning * s.liquidity.value_intensity / s.simulation.substeps
    if s.impact.model == "linear" and gain >= 1.0:
        limit = s.simulation.substeps / (s.impact.multiplier * s.impact.max_thinning)
        raise ScenarioError(f"liquidity.value_intensity = {s.liquidity.value_intensity:g}: must be < {limit:g} "
                            "(substeps / (impact.multiplier x impact.max_thinning)), or value traders overshoot "
                            "the fundamental every substep")
    shares = sum(b.share for b in s.brokers)
    if abs(shares - 1.0) > 1e-9:
        raise ScenarioError(f"brokers.share: must sum to 1 over brokers (got {shares:.12g})")
    if len({b.name for b in s.brokers}) != len(s.brokers):
        raise ScenarioError("brokers.name: broker names must be distinct")
    for i, b in enumerate(s.brokers):
        if b.house_maintenance < m.maintenance:
            raise ScenarioError(f"brokers[{i}].house_maintenance = {b.house_maintenance:g}: must be in "
                                f"[{m.maintenance:g}, 1) (not below margin.maintenance)")
        if b.house_maintenance_short < m.maintenance_short:
            raise ScenarioError(f"brokers[{i}].house_maintenance_short = {b.house_maintenance_short:g}: "
                                f"must be in [{m.maintenance_short:g}, 1] (not below margin.maintenance_short)")
        if b.house_maintenance * max_lev >= 1.0:
            raise ScenarioError(f"brokers[{i}].house_maintenance = {b.house_maintenance:g}: must be "
                                f"below margin.initial_margin ({m.initial_margin:g}) so Reg T positions "
                                "start above maintenance")
    targets = ["index", *mk.assets]
    allowed_targets = ", ".join(repr(a) for a in targets)
    for i, e in enumerate(s.events):
        lo, hi, meaning = EVENT_SIZES[e.kind]
        if not lo <= e.size <= hi:
            raise ScenarioError(f"events[{i}].size = {e.size:g}: for kind {e.kind!r} must be in "
                                f"[{lo:g}, {hi:g}] ({meaning})")
        if e.target not in targets and not (e.target == "all" and e.kind == "letf_outflow"):
            raise ScenarioError(f"events[{i}].target = {e.target!r}: must be one of {allowed_targets}"
                                + (", 'all'" if e.kind == "letf_outflow" else ""))
        if e.kind == "lending_cut" and e.size < m.initial_margin:
            raise ScenarioError(f"events[{i}].size = {e.size:g}: a lending cut must raise initial margin, "
                                f"in [{m.initial_margin:g}, 1]")
        if e.kind == "maintenance_raise" and e.target == "index":
            top = max(b.house_maintenance for b in s.brokers) + e.size
            if top >= 1.0:
                raise ScenarioError(f"events[{i}].size = {e.size:g}: maintenance would reach {top:g}; "
                                    "must stay below 1")
        if e.target == "index" and mk.betas and min(1.0 + b * e.size for b in mk.betas) <= 0.0:
            raise ScenarioError(f"events[{i}].size = {e.size:g}: must be > -1 / max(market.betas) "
                                f"({-1.0 / max(mk.betas):g}) so every asset's price stays positive")
        if e.day >= s.simulation.days:
            raise ScenarioError(f"events[{i}].day = {e.day}: must be in [0, {s.simulation.days - 1}] "
                                "(simulation.days)")


# ---------------------------------------------------------------------------- loading

def _check_underlyings(s: Scenario) -> None:
    if s.meta.extends and s.meta.extends not in builtin_names():
        raise ScenarioError(f"meta.extends = {s.meta.extends!r}: must be a built-in scenario: "
                            + ", ".join(builtin_names()))
    allowed = ["index", *s.market.assets]
    text = ", ".join(repr(a) for a in allowed)
    for section, items in (("letf_funds", s.letf_funds), ("options", s.options)):
        for i, item in enumerate(items):
            if item.underlying not in allowed:
                raise ScenarioError(f"{section}[{i}].underlying = {item.underlying!r}: must be one of {text}")
    names = [f.name for f in s.letf_funds]
    if len(set(names)) != len(names):
        raise ScenarioError("letf_funds.name: fund names must be distinct")
    vf = s.value_funds
    if vf.underlying not in allowed:
        raise ScenarioError(f"value_funds.underlying = {vf.underlying!r}: must be one of {text}")
    if vf.aggressiveness_max < vf.aggressiveness_min:
        raise ScenarioError(f"value_funds.aggressiveness_max = {vf.aggressiveness_max:g}: must be >= "
                            f"value_funds.aggressiveness_min ({vf.aggressiveness_min:g})")
    vc = s.vol_control
    if vc.slow_lambda < vc.fast_lambda:
        raise ScenarioError(f"vol_control.slow_lambda = {vc.slow_lambda:g}: must be >= vol_control.fast_lambda "
                            f"({vc.fast_lambda:g})")


def builtin_names() -> list[str]:
    """Names of the scenarios shipped in ``sim/scenarios``."""
    root = resources.files("sim") / "scenarios"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def read_toml(name_or_path: str, depth: int = 0) -> dict[str, Any]:
    """Read a built-in scenario by name, or a TOML file by path (resolving ``meta.extends``)."""
    path = Path(name_or_path)
    if name_or_path.endswith(".toml") or path.exists():
        if not path.is_file():
            raise ScenarioError(f"scenario file {name_or_path!r}: not found")
        text = path.read_text()
    else:
        if name_or_path not in builtin_names():
            raise ScenarioError(f"scenario {name_or_path!r}: unknown; built-in scenarios: "
                                + ", ".join(builtin_names()) + " (or a path to a .toml file)")
        text = (resources.files("sim") / "scenarios" / f"{name_or_path}.toml").read_text()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"scenario {name_or_path!r}: invalid TOML: {exc}") from None
    parent = data.get("meta", {}).get("extends", "") if isinstance(data.get("meta"), dict) else ""
    if parent:
        if parent == name_or_path or depth > 8:
            raise ScenarioError(f"meta.extends = {parent!r}: must not extend itself (or nest deeper than 8)")
        data = merge(read_toml(parent, depth + 1), data)
    return data


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Tables merge field by field; lists (brokers, events, funds, options) replace the base's."""
    out = dict(base)
    for key, value in override.items():
        out[key] = merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return out


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse ``section.field=value`` (value in TOML syntax; bare words are strings)."""
    if "=" not in text:
        raise ScenarioError(f"--set {text!r}: must look like section.field=value")
    key, raw = text.split("=", 1)
    parts = key.strip().split(".")
    if len(parts) < 2 or not all(parts):
        raise ScenarioError(f"--set {text!r}: key must be section.field or list.INDEX.field")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return parts, value


def apply_override(data: dict[str, Any], parts: list[str], value: Any) -> None:
    """Set one (possibly nested) field of the raw scenario dict."""
    key = ".".join(parts)
    node: Any = data
    for depth, part in enumerate(parts[:-1]):
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError(f"--set {key}: index {part!r} must be in [0, {len(node) - 1}]")
            node = node[int(part)]
        else:
            if depth == 0 and part not in _SECTION_TYPES and part not in _LIST_SECTIONS:
                raise ScenarioError(f"--set {key}: unknown section {part!r}; allowed: "
                                    + ", ".join(list(_SECTION_TYPES) + list(_LIST_SECTIONS)))
            if part not in node:
                node[part] = [Broker().__dict__.copy()] if part == "brokers" else (
                    [] if part in _LIST_SECTIONS else {})
            node = node[part]
    if isinstance(node, list):
        raise ScenarioError(f"--set {key}: name an item, e.g. {parts[0]}.0.{parts[-1]}")
    node[parts[-1]] = value


def load(name_or_path: str, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Load, override and validate a scenario; raises :class:`ScenarioError` on bad input."""
    data = read_toml(name_or_path)
    for text in overrides:
        parts, value = parse_override(text)
        apply_override(data, parts, value)
    return from_dict(data)


def coerce(scenario: Scenario | str | dict[str, Any]) -> Scenario:
    """Accept a Scenario, a built-in name/path, or a raw dict, and return a validated Scenario."""
    if isinstance(scenario, Scenario):
        return from_dict(scenario.to_dict())
    if isinstance(scenario, str):
        return load(scenario)
    return from_dict(scenario)
