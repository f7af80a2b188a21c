"""The stock layer's sections of a scenario: the universe, the concentrated margin book, its
brokers, single-stock and sector leveraged ETFs, and name-level events.

Declared apart from :mod:`sim.config.schema` (which imports them into
:class:`~sim.config.schema.Scenario`) to keep modules small. With ``stocks.enabled = false`` (the
default) a scenario has no stock layer, and none of these tables enters its hash.

Numbers here are defaults; a scenario that uses the layer cites its own (see the three stock
scenarios' headers). Defaults that are not a published number are marked "assumption".
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import spec_field as _field
from sim.core.rules import FINRA_MAINTENANCE, FINRA_MAINTENANCE_SHORT


@dataclass
class Stocks:
    """The stock layer: N stocks on the market's path, a sparse margin book in them, and its rules."""
    enabled: bool = _field(False, doc="run the stock layer on the market's path (off: no stock outputs)")
    universe: str = _field("synthetic", doc="'synthetic' (sim.config.universe.synthetic_universe) or a .csv/.parquet "
                                            "file of ticker, sector, market_value_usd, adv_usd, vol, beta, relative "
                                            "to the scenario file's folder")
    names: int = _field(500, lo=10, hi=5000, unit="stocks", doc="size of the synthetic universe")
    universe_seed: int = _field(20260515, lo=0, hi=2**63 - 1, doc="seed of the synthetic universe")
    sector_vol: float = _field(0.10, lo=0.0, hi=2.0, unit="annual",
                               doc="volatility of each sector factor (assumption: 10%)")
    idio_scale: float = _field(1.0, lo=0.0, hi=10.0, doc="multiplier of the universe's idiosyncratic vols")
    impact_y: float = _field(0.7, lo=0.0, hi=5.0, lo_open=True,
                             doc="square-root law's Y (Toth et al. 2011: about 0.5-1)")
    impact_decay: float = _field(0.2, lo=0.0, hi=1.0, unit="fraction per day",
                                 doc="share of a name's accumulated price impact that reverts each day "
                                     "(assumption: transient impact, Bouchaud et al. propagator)")
    thinning_elasticity: float = _field(0.5, lo=0.0, hi=5.0,
                                        doc="depth thins as (realised / calm vol)^elasticity (sim.core.impact)")
    thinning_cap: float = _field(3.0, lo=1.0, hi=100.0, doc="most the impact of a dollar can be multiplied by")
    accounts: int = _field(20_000, lo=1, hi=10_000_000, unit="margin accounts in the stock book")
    margin_debt_usd: float = _field(0.0, lo=0.0, hi=1e14, unit="$ at day 0",
                                    doc="the stock book's margin debt; with channels.margin also on, it adds to "
                                        "the market's book")
    leverage_mean: float = _field(1.6, lo=1.0, hi=10.0, unit="long value / equity",
                                  doc="mean gross long leverage of an account (lognormal around it)")
    leverage_dispersion: float = _field(0.25, lo=0.0, hi=3.0, doc="log-std of account leverage above 1")
    wealth_sigma: float = _field(1.0, lo=0.0, hi=5.0, doc="log-std of account equity (lognormal)")
    names_per_account: float = _field(5.0, lo=1.0, hi=20.0, unit="names",
                                      doc="mean number of names an account holds (1 + Poisson, at most 20)")
    popularity: float = _field(1.0, lo=0.0, hi=3.0,
                               doc="names are drawn with probability proportional to market value^popularity "
                                   "(1 = cap-weighted, > 1 = crowding into mega-caps)")
    theme_sector: str = _field("", doc="a sector whose names are drawn more often ('' = none)")
    theme_boost: float = _field(1.0, lo=1.0, hi=100.0, doc="how much more often the theme sector's names are drawn")
    concentration: float = _field(1.0, lo=0.05, hi=100.0,
                                  doc="Dirichlet weight of an account's names (low = most value in one name)")
    short_fraction: float = _field(0.05, lo=0.0, hi=1.0, doc="share of accounts that also hold shorts")
    short_ratio: float = _field(0.3, lo=0.0, hi=5.0, unit="short value / long value", doc="of a short-holding account")
    short_tilt_sector: str = _field("", doc="a sector the shorts are drawn from, or a ticker that holds every short "
                                            "('' = like the longs)")
    interest_rate: float = _field(0.06, lo=0.0, hi=1.0, unit="annual", doc="rate on margin debt (assumption)")
    max_rounds: int = _field(100, lo=1, hi=100_000, unit="clearing rounds per day")


@dataclass
class StockBroker:
    """One broker of the stock book: its house rules on positions (:mod:`sim.core.house`)."""
    name: str = _field("broker")
    share: float = _field(1.0, lo=0.0, hi=1.0, lo_open=True, doc="fraction of the stock book's accounts")
    debt_share: float = _field(0.0, lo=0.0, hi=1.0,
                               doc="fraction of the stock book's margin debt at this broker (0 = in proportion to "
                                   "its accounts)")
    house_long: float = _field(0.30, lo=FINRA_MAINTENANCE, hi=1.0, doc="maintenance floor on every long")
    house_short: float = _field(0.30, lo=FINRA_MAINTENANCE_SHORT, hi=10.0, doc="maintenance floor on every short")
    concentration_share: float = _field(0.5, lo=0.0, hi=1.0,
                                        doc="a position above this share of its account's gross value is "
                                            "concentrated (assumption)")
    add_on: float = _field(0.0, lo=0.0, hi=1.0, doc="extra maintenance rate on a concentrated position")
    target: float = _field(1.05, lo=1.0, hi=10.0,
                           doc="a forced sale restores equity to this multiple of the requirement")
    leverage_mean: float = _field(0.0, lo=0.0, hi=10.0, unit="long value / equity",
                                  doc="mean gross long leverage of this broker's accounts (0 = stocks.leverage_mean)")
    names_per_account: float = _field(0.0, lo=0.0, hi=20.0, unit="names",
                                      doc="mean names held by this broker's accounts (0 = stocks.names_per_account)")
    concentration: float = _field(0.0, lo=0.0, hi=100.0,
                                  doc="Dirichlet weight of this broker's accounts' names (0 = stocks.concentration)")
    sector: str = _field("", doc="draw this broker's accounts' longs from this sector only ('' = the whole universe)")
    names: str = _field("", doc="space-separated tickers: this broker's accounts draw their longs from these names "
                                "only ('' = from `sector`, or the whole universe)")
    popularity: float = _field(-1.0, lo=-1.0, hi=3.0,
                               doc="this broker's accounts draw names with probability proportional to market "
                                   "value^popularity (0 = every name alike; -1 = stocks.popularity)")


@dataclass
class StockLetf:
    """A single-stock or sector leveraged ETF: rebalances at the close in its underlying names."""
    name: str = _field("fund")
    underlying: str = _field("", doc="a ticker, a sector of the universe, or 'index' (cap-weighted, every name)")
    leverage: int = _field(2, choices=(-3, -2, -1, 2, 3))
    aum_usd: float = _field(1e9, lo=0.0, hi=1e14, unit="$ net assets at day 0")


STOCK_EVENT_SIZES: dict[str, tuple[float, float, str]] = {
    "shock": (-0.95, 10.0, "fractional gap of the target's prices and fundamentals"),
    "requirement": (0.0, 1.0, "the target's maintenance requirement on longs from that day (1 = not marginable)"),
    "short_requirement": (0.0, 10.0, "the target's maintenance requirement on shorts from that day"),
    "retail_buying": (0.0, 1e12, "$ a day of retail margin buying in the target, for `days` days"),
    "restrict_buying": (0.0, 0.0, "brokers stop new purchases of the target (size unused, 0)"),
    "borrow_fee": (0.0, 5.0, "annual fee on shorts in the target, from that day"),
    "recall": (0.0, 1.0, "fraction of the target's borrowed shares recalled: shorts bought in that day"),
}
"""Allowed ``size`` range and meaning for each stock event kind."""


@dataclass
class StockEvent:
    """A name-level event: what ``size`` means depends on ``kind`` (``STOCK_EVENT_SIZES``)."""
    day: int = _field(0, lo=0, hi=100_000, unit="trading day (0-based)")
    kind: str = _field("shock", choices=tuple(STOCK_EVENT_SIZES))
    target: str = _field("all", doc="a ticker, a sector of the universe, or 'all'")
    size: float = _field(-0.10, lo=-0.95, hi=1e12, doc="its meaning and range depend on kind (STOCK_EVENT_SIZES)")
    days: int = _field(1, lo=1, hi=100_000, unit="trading days", doc="how long retail_buying lasts")
