"""The ``[open_interest]`` table expanded into the dealers' index option series.

Convention (SqueezeMetrics, "Gamma Exposure (GEX)" white paper, 2017; the "naive GEX" of
public GEX dashboards): customers buy index puts for protection and sell (overwrite) calls, so
dealers are **short puts and long calls**, and delta-hedge in the underlying. Dealer gamma
exposure (GEX, the ``dealer_gex_usd`` column) is gamma x S^2 x 1%: $ of hedge traded per 1%
move, positive = long gamma.

**Profile.** Put strikes run from ``put_low`` to ``put_high`` x spot and call strikes from
``call_low`` to ``call_high``, one strike every ``strike_spacing``; the notional at moneyness m
is proportional to exp(-|m - 1| / decay) (``put_decay``, ``call_decay``), normalised to the
table's totals. Each strike's notional is split ``weekly_share`` into weekly expiries (every 5
trading days, ``weeks_listed`` listed: a ladder of tenor 5 x weeks_listed) and the rest into
monthly ones (every 21, ``months_listed`` listed). When one expires the dealers' roll lists its
replacement at the same moneyness around the *current* spot (on the strike grid when
``dealers.strike_step`` > 0), so new strikes appear around spot while live ones stay put.

**Defaults and sources.**

- Put/call open-interest ratio of S&P 500 options (SPX + SPXW), Cboe daily market statistics:
  13.1 M puts / 5.9 M calls = 2.2 (11 Dec 2019), 12.1 M / 5.3 M = 2.3 (18 Feb 2020),
  8.0 M / 3.8 M = 2.1 (14 Jan 2021). Suggested ``put_share = 2 x call_share``.
- Customers' puts sit out of the money (5-20% below spot; assumption: protective puts and
  collars), spread widely (put_decay 0.10); their short calls sit just above spot (0-8%,
  call_decay 0.03; assumption: covered-call overwriting, e.g. the Cboe BXM writes at the money
  each month). This is what makes GEX positive near the listing level and negative once the
  index falls into the put strikes.
- Weekly expiries: Cboe keeps at least four consecutive SPXW weekly expiries listed (Cboe
  regulatory circular RG16-102, 2016), so ``weeks_listed = 4``; SPXW were about 72% of SPX
  *volume* in 2021 (Cboe, 2022), but open interest sits longer-dated than volume:
  ``weekly_share = 0.4`` is an assumption. ``months_listed = 3`` (assumption: the standard
  monthlies that hold most open interest).
- Size: published S&P 500 GEX (SqueezeMetrics, SpotGamma) runs from about -$10 bn to +$20 bn
  per 1% for a market of $40-50 T, i.e. -2e-4 to +4e-4 of market value per 1%. With the
  default profile (implied vol 0.18, ``dealers.strike_step = 0.01``) day-0 GEX is about 0.04 x
  the call notional per 1%, so ``call_share = 0.0065`` (a call notional of 0.65% of the market's
  value, ``put_share`` twice that) targets +2.5e-4 of market value per 1% at listing
  (measured in tests/model/test_dealer_gamma.py). Measured on ``validation-baseline`` with its
  ``[[options]]`` replaced (175 option rows): day-0 GEX +2.4e-4 to +2.5e-4 of market value per
  1% (+2.5e-4 to +3.7e-4 over the weekly cycle); on the day-0 book GEX turns negative once the
  index is 2.3% below the listing level (-8.4e-5 at -3%, -3.3e-4 at -5%); after a -20%
  ``price_gap`` it stays negative (-4.4e-4 to -0.1e-4) for 22 trading days, until the rolls
  have listed new strikes around the lower spot. Over 2520 days (1000 accounts): median
  +1.9e-4, 5th-95th percentile -4.3e-4 to +4.0e-4, negative on 24% of days.
"""

from __future__ import annotations

import math

from sim.config.schema import OpenInterest, OptionSeries

WEEK_DAYS = 5
"""Trading days between weekly expiries."""
MONTH_DAYS = 21
"""Trading days between monthly expiries."""


def enabled(oi: OpenInterest) -> bool:
    """Whether the table adds any series (a positive put or call notional)."""
    return oi.put_share > 0.0 or oi.call_share > 0.0


def strikes(low: float, high: float, spacing: float) -> list[float]:
    """The listed moneyness offsets ``low, low + spacing, ...`` up to ``high`` (``low`` alone when they coincide)."""
    n = math.floor((high - low) / spacing + 1e-9)
    return [low + i * spacing for i in range(n + 1)]


def profile(moneyness: list[float], decay: float) -> list[float]:
    """Each offset's share of the notional: exp(-|m - 1| / decay), normalised to sum to 1."""
    raw = [math.exp(-abs(m - 1.0) / decay) for m in moneyness]
    total = math.fsum(raw)
    return [r / total for r in raw]


def series(oi: OpenInterest, market_cap_usd: float) -> list[OptionSeries]:
    """The index option series the table stands for (dealers' side), in put-then-call, weekly-then-monthly order.

    Parameters
    ----------
    oi : OpenInterest
        The scenario's ``[open_interest]`` table.
    market_cap_usd : float
        The market's value ($); the table's shares are fractions of it.

    Returns
    -------
    list of OptionSeries
        Empty when off; otherwise one weekly and one monthly ladder per strike and type with a
        positive notional.
    """
    if not enabled(oi):
        return []
    out = []
    for kind, side, total, low, high, decay in (
            ("put", "short", oi.put_share * market_cap_usd, oi.put_low, oi.put_high, oi.put_decay),
            ("call", "long", oi.call_share * market_cap_usd, oi.call_low, oi.call_high, oi.call_decay)):
        offsets = strikes(low, high, oi.strike_spacing)
        for m, share in zip(offsets, profile(offsets, decay), strict=True):
            for cycle, listed, part in ((WEEK_DAYS, oi.weeks_listed, oi.weekly_share),
                                        (MONTH_DAYS, oi.months_listed, 1.0 - oi.weekly_share)):
                notional = total * share * part
                if notional > 0.0:
                    out.append(OptionSeries(underlying="index", kind=kind, side=side, moneyness=m,
                                            tenor_days=cycle * listed, notional_usd=notional, ladder=listed))
    return out
