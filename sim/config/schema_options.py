"""The options market's sections of a scenario: the dealers' pricing and roll schedule, explicit
option series, and the ``[open_interest]`` table (:mod:`sim.config.open_interest` expands it).

Declared apart from :mod:`sim.config.schema` (which imports them into :class:`~sim.config.schema.Scenario`)
to keep modules small; they are re-exported there.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import spec_field as _field


@dataclass
class Dealers:
    """Options dealers' pricing and roll schedule (Black-Scholes)."""
    implied_vol: float = _field(0.18, lo=0.01, hi=3.0, unit="annual")
    rate: float = _field(0.04, lo=-0.05, hi=0.5, unit="annual")
    roll: bool = _field(True, doc="replace expiring series with the same moneyness and tenor")
    strike_step: float = _field(0.0, lo=0.0, hi=0.5, unit="fraction of the underlying's day-0 level",
                                doc="strikes listed at fixed levels, every strike_step x the day-0 level (at "
                                    "listing and at each roll, the nearest one); 0 = exact moneyness x spot")


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
class OpenInterest:
    """Index options open interest expanded into dealer series (:mod:`sim.config.open_interest`); 0 shares = off.

    Sizes are shares of ``market.market_cap_usd``, so a scenario that changes the market's size keeps
    the market's options positioning in proportion.

    Customers are long puts (dealers short) on strikes put_low..put_high and short calls
    (overwriting; dealers long) on call_low..call_high, one series every strike_spacing of
    moneyness, the notional per strike declining as exp(-|moneyness - 1| / decay); each strike
    has weekly expiries (every 5 trading days, weeks_listed listed) and monthly ones (every 21,
    months_listed listed). Defaults and sources: :mod:`sim.config.open_interest`.
    """
    put_share: float = _field(0.0, lo=0.0, hi=1.0,
                               unit="customers' long puts: notional (index value at listing) / market_cap_usd")
    call_share: float = _field(0.0, lo=0.0, hi=1.0,
                                unit="customers' short calls: notional (index value at listing) / market_cap_usd")
    put_low: float = _field(0.80, lo=0.2, hi=5.0, unit="lowest put strike / spot")
    put_high: float = _field(0.95, lo=0.2, hi=5.0, unit="highest put strike / spot")
    put_decay: float = _field(0.10, lo=0.001, hi=10.0, unit="moneyness over which put notional falls by 1/e")
    call_low: float = _field(1.00, lo=0.2, hi=5.0, unit="lowest call strike / spot")
    call_high: float = _field(1.08, lo=0.2, hi=5.0, unit="highest call strike / spot")
    call_decay: float = _field(0.03, lo=0.001, hi=10.0, unit="moneyness over which call notional falls by 1/e")
    strike_spacing: float = _field(0.01, lo=0.001, hi=0.5, unit="moneyness between listed series")
    weekly_share: float = _field(0.4, lo=0.0, hi=1.0, doc="share of each strike's notional in weekly expiries")
    weeks_listed: int = _field(4, lo=1, hi=52, unit="weekly expiries listed (5 trading days apart)")
    months_listed: int = _field(3, lo=1, hi=12, unit="monthly expiries listed (21 trading days apart)")
