"""The scenario's sections as dataclasses, each field with its :class:`~sim.config.fields.Field` spec.

A scenario is everything a run depends on except the seed. This module only declares it: what
each field is, its default, range, unit and meaning. :mod:`sim.config.scenario` loads and
validates it; :data:`SHAPE` is the shape dotted paths follow and :func:`scenario_schema` lists
every field for the docs.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, get_type_hints

from sim.config.fields import Field, Items, Table, schema_rows
from sim.config.fields import spec_field as _field
from sim.config.schema_options import Dealers, OpenInterest, OptionSeries
from sim.config.schema_stocks import StockBroker, StockEvent, StockLetf, Stocks
from sim.core.rules import FINRA_MAINTENANCE, FINRA_MAINTENANCE_SHORT, REG_T_INITIAL, REG_T_INITIAL_SHORT

MAX_SEED = 2**63 - 1
SEED = Field(int, lo=0, hi=MAX_SEED, doc="root seed of numpy.random.SeedSequence")
"""A run's seed: an integer in [0, 2^63 - 1]."""


@dataclass
class Meta:
    """Name and description; not used by the model."""
    name: str = _field("unnamed", plain=True, doc="scenario name (a plain name: output folders are named after it)")
    description: str = _field("", doc="what the scenario represents and where its numbers come from")
    extends: str = _field("", doc="scenario this one starts from (its tables are merged in): a built-in name or "
                                  "a .toml path relative to this file")
    start_date: str = _field("", doc="date of day 0, an NYSE trading day (YYYY-MM-DD): the time series gets a "
                                     "'date' column of NYSE trading days; '' = no dates")


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
    initial_price: float = _field(100.0, lo=1e-6, hi=1e9, unit="$ per share")
    market_cap_usd: float = _field(6.5e13, lo=0.0, hi=1e16, lo_open=True, unit="$")
    fundamental_drift: float = _field(0.0003, lo=-0.05, hi=0.05, unit="log return per day")
    fundamental_vol: float = _field(0.01, lo=0.0, hi=0.2, unit="daily log-return std")
    correlation: float = _field(0.6, lo=0.0, hi=1.0, doc="pairwise correlation of sector fundamentals")
    vol_ewma_lambda: float = _field(0.94, lo=0.0, hi=1.0, hi_open=True, doc="EWMA decay of realized vol")
    vol_basis: str = _field("sector", choices=("sector", "index"),
                            doc="what fundamental_vol is: 'sector' = each sector's one-factor shock vol; 'index' = "
                                "the daily vol of the index's fundamental (sector shocks scaled by 1/sqrt(w'Cw))")
    garch_alpha: float = _field(0.0, lo=0.0, hi=1.0, hi_open=True,
                                doc="GJR-GARCH(1,1) ARCH term of the news variance (Glosten, Jagannathan and "
                                    "Runkle 1993); 0 with garch_beta = garch_asymmetry = 0 = constant vol")
    garch_beta: float = _field(0.0, lo=0.0, hi=1.0, hi_open=True,
                               doc="GJR-GARCH(1,1) persistence term; garch_alpha + garch_beta + "
                                   "garch_asymmetry/2 < 1")
    garch_asymmetry: float = _field(0.0, lo=0.0, hi=1.0, hi_open=True,
                                    doc="GJR-GARCH gamma: extra ARCH weight on negative index news (leverage effect)")
    news_to_price: float = _field(0.0, lo=0.0, hi=1.0,
                                  doc="fraction of each day's fundamental news that moves prices at the open "
                                      "(informed trading); 0 = prices move only through order flow")


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
    initial_margin: float = _field(REG_T_INITIAL, lo=0.05, hi=1.0, doc="Reg T initial margin, longs")
    initial_margin_short: float = _field(REG_T_INITIAL_SHORT, lo=1.05, hi=2.0,
                                    doc="Reg T initial margin on shorts, proceeds included")
    maintenance: float = _field(FINRA_MAINTENANCE, lo=FINRA_MAINTENANCE, hi=1.0,
                           hi_open=True, doc="FINRA 4210 maintenance floor, longs")
    maintenance_short: float = _field(FINRA_MAINTENANCE_SHORT, lo=FINRA_MAINTENANCE_SHORT,
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
    house_maintenance: float = _field(0.30, lo=FINRA_MAINTENANCE, hi=1.0, hi_open=True)
    house_maintenance_short: float = _field(0.30, lo=FINRA_MAINTENANCE_SHORT, hi=1.0)
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
    """A scheduled event on one day; what ``size`` means depends on ``kind`` (``EVENT_SIZES``).

    ``target``: 'index' (every asset; index gaps scale with beta), an asset name, or for
    ``maintenance_raise`` 'index' = all names, an asset = concentrated positions in it; for
    ``letf_outflow`` 'index'/'all' = every fund or a fund underlying.
    """
    day: int = _field(0, lo=0, hi=100_000, unit="trading day (0-based)")
    kind: str = _field("price_gap", choices=tuple(EVENT_SIZES))
    target: str = _field("index", doc="'index', 'all' or an asset name")
    size: float = _field(-0.10, lo=-0.999999, hi=20.0, doc="its meaning and range depend on kind (EVENT_SIZES)")


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
    leverage: int = _field(3, choices=(-3, -2, -1, 2, 3))
    aum_usd: float = _field(1e10, lo=0.0, hi=1e14, unit="$ net assets at day 0")


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
    """A complete, validated scenario.

    ``source`` says where it came from ('built-in NAME', a file's absolute path, or 'a table' for
    one built from a dict); it is not part of the scenario's fields, its hash or its outputs.
    """
    source: ClassVar[str] = "a table"
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
    open_interest: OpenInterest = field(default_factory=OpenInterest)
    vol_control: VolControl = field(default_factory=VolControl)
    value_funds: ValueFunds = field(default_factory=ValueFunds)
    stocks: Stocks = field(default_factory=Stocks)
    stock_brokers: list[StockBroker] = field(default_factory=list)
    stock_letfs: list[StockLetf] = field(default_factory=list)
    stock_events: list[StockEvent] = field(default_factory=list)

    @property
    def n_assets(self) -> int:
        return len(self.market.assets)

    def to_dict(self, full: bool = False) -> dict[str, Any]:
        """The resolved scenario; fields added after 0.1.0 appear only when they differ from
        their defaults, so a scenario that does not use them keeps its hash and outputs.
        ``full=True`` keeps every field (what ``marginsim show`` prints)."""
        out = dataclasses.asdict(self)
        if full:
            return out
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
    ("meta", "start_date"): "",
    ("channels", "value_funds"): True,
    ("value_funds",): dataclasses.asdict(ValueFunds()),
    ("dealers", "strike_step"): 0.0,
    ("open_interest",): dataclasses.asdict(OpenInterest()),
    ("market", "vol_basis"): "sector",
    ("market", "garch_alpha"): 0.0,
    ("market", "garch_beta"): 0.0,
    ("market", "garch_asymmetry"): 0.0,
    ("market", "news_to_price"): 0.0,
    ("stocks",): dataclasses.asdict(Stocks()),
    ("stock_brokers",): [],
    ("stock_letfs",): [],
    ("stock_events",): [],
}
"""Fields added after 0.1.0 and their defaults (left out of ``to_dict`` and the hash at default)."""

SECTIONS: dict[str, type] = {"meta": Meta, "simulation": Simulation, "market": Market, "impact": Impact,
                             "channels": Channels, "letf": Letf, "dealers": Dealers, "vol_control": VolControl,
                             "liquidity": Liquidity, "margin": Margin, "value_funds": ValueFunds,
                             "open_interest": OpenInterest,
                             "stocks": Stocks}
"""The scenario's tables, in the order they are validated."""
LIST_SECTIONS: dict[str, type] = {"brokers": Broker, "events": Event, "letf_funds": LetfFund, "options": OptionSeries,
                                  "stock_brokers": StockBroker, "stock_letfs": StockLetf, "stock_events": StockEvent}
"""The scenario's lists of tables."""


@functools.cache
def specs(cls: type) -> dict[str, Field]:
    """Each field of a section class and its spec, with the annotation as its type."""
    hints = get_type_hints(cls)
    return {f.name: dataclasses.replace(f.metadata["spec"], type=hints[f.name]) for f in dataclasses.fields(cls)}


def _table(cls: type) -> Table:
    return Table(specs(cls), doc=(cls.__doc__ or "").split("\n")[0], name=cls.__name__)


_NOUNS = {"brokers": ("broker", "brokers"), "events": ("event", "events"),
          "letf_funds": ("leveraged ETF", "leveraged ETFs"), "options": ("option series", "option series"),
          "stock_brokers": ("stock-book broker", "stock-book brokers"),
          "stock_letfs": ("stock leveraged ETF", "stock leveraged ETFs"),
          "stock_events": ("stock event", "stock events")}

SHAPE = Table(
    {**{name: _table(cls) for name, cls in SECTIONS.items()},
     **{name: Items(_table(cls), doc=(cls.__doc__ or "").split("\n")[0], noun=_NOUNS[name],
                    length=(1, 64) if name == "brokers" else (0, None),
                    default=(lambda: [dataclasses.asdict(Broker())]) if name == "brokers" else list)
        for name, cls in LIST_SECTIONS.items()}},
    doc="A complete scenario.", name="the scenario", key_noun="section")
"""The shape of a raw scenario dict: the tables dotted paths (overrides, parameters) walk."""


def scenario_schema() -> list[dict[str, str]]:
    """Every section and field of a scenario: path, type, allowed range, unit, default and doc."""
    return schema_rows(SHAPE)
