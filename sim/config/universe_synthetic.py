"""The synthetic default universe: N stocks calibrated to public facts about the US market.

Every number below cites its source or says "assumption". The stocks are synthetic (tickers
``S0001`` .. ``S0500``, largest first): no real company's data is used.

* **Market values**: a Zipf (power-law) rank-size rule, cap of rank k proportional to
  k^-:data:`ZIPF_EXPONENT`, scaled to ``total_cap_usd`` (default $65 trillion, the calibrated
  market's ``market.market_cap_usd``: the N names stand for the whole market). The exponent 0.943
  is fitted so that the 10 largest of 500 names hold 38.5% of the value: the 10 largest S&P 500
  stocks held about 37-40% of the index in 2025 (S&P Global, T. Edwards, "In the shadows of
  giants", 5 Feb 2026: "almost 40% by mid-2025"; Goldman Sachs Global Investment Research via
  skn-finance.com: 37% in mid-2025; LSEG via IBKR, 18 Nov 2025: "over 40%"). The same rule
  gives the 50 largest 61.9% (the next 40 names 23.4%; quoted as about 22.8% for 2025 by
  Tema ETFs/Bloomberg) and the largest name 12.4% (a known miss: the largest S&P 500 weight was
  about 7-8% in 2025; one exponent cannot fit both ends). With N = 5,000 the same exponent
  spreads the value wider (the top 10 then hold 26.8%).
* **Sectors**: GICS sector weights of the S&P 500 on 28 Nov 2025 (Schwab Center for Financial
  Research from S&P Dow Jones Indices data): :data:`SECTOR_WEIGHTS`. Names are assigned largest
  first, each to a sector whose remaining target still has room for it, drawn with probability
  proportional to that room (else to the sector with the most room): the weights come out within
  the size of the smallest names of their targets.
* **Idiosyncratic volatility**: annual vol = 0.22 x (cap / $1 T)^-0.09 x e^(0.25 u), u uniform in
  [-1, 1]. Smaller firms are more volatile (Campbell, Lettau, Malkiel and Xu 2001, "Have
  individual stocks become more volatile?"; Fu and Yang 2011, "Size and return: a new
  perspective": idiosyncratic volatility is negatively related to size). Levels and slope are an
  assumption: about 19% for a $5 T name, 33% for a $10 bn name, 41% for $1 bn.
* **Daily dollar volume** = daily turnover x cap, turnover = 0.5% x (cap / $1 T)^-0.15 x
  e^(0.3 u). Level: US share turnover has been "consistently over 100% a year" since the 2000s
  (World Federation of Exchanges, as quoted by M. Mazzucato, "The Value of Everything", 2018),
  i.e. about 0.4% of market value a day; the size slope (about 0.4% a day for a $5 T name,
  1% for $10 bn, 1.4% for $1 bn) is an assumption.
* **Betas**: a sector beta (:data:`SECTOR_BETAS`, assumption: cyclical sectors above 1,
  utilities and staples near 0.5-0.6) plus uniform noise of +/- 0.25 (assumption), then all
  scaled so that the cap-weighted beta is exactly 1 (the market is the cap-weighted portfolio).

**Random numbers**: ``numpy.random.SeedSequence(seed).spawn(4)`` gives one PCG64 stream each for
the sector draws, the vol noise, the turnover noise and the beta noise (:data:`STREAMS`, in that
order); only uniform draws (``Generator.random``, exact bits) are used, and powers and
exponentials are :mod:`sim.core.detmath`'s, so a seed gives the same universe on every CPU.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.core import detmath

GICS_SECTORS = ("Information Technology", "Financials", "Communication Services", "Consumer Discretionary",
                "Health Care", "Industrials", "Consumer Staples", "Energy", "Utilities", "Real Estate", "Materials")
"""The 11 GICS sectors (MSCI and S&P's Global Industry Classification Standard), largest S&P 500 weight first."""

ZIPF_EXPONENT = 0.943
"""Cap of rank k proportional to k^-0.943: the top 10 of 500 hold 38.5% (fitted; sources above)."""
SECTOR_WEIGHTS = dict(zip(GICS_SECTORS, (34.6, 13.1, 10.7, 10.3, 9.8, 8.0, 4.9, 2.8, 2.4, 1.9, 1.7), strict=True))
"""S&P 500 sector weights (%), 28 Nov 2025 (Schwab / S&P Dow Jones Indices); they sum to 100.2 (rounding)
and are used normalised."""
SECTOR_BETAS = dict(zip(GICS_SECTORS, (1.20, 1.10, 1.05, 1.15, 0.80, 1.05, 0.60, 0.90, 0.50, 0.85, 1.00),
                        strict=True))
"""Assumption: typical sector betas, cyclicals above 1, defensives below (before scaling to a cap-weighted 1)."""
REFERENCE_CAP_USD = 1e12
"""The market value at which the vol and turnover rules take their reference levels."""
IDIO_VOL_AT_REFERENCE = 0.22
IDIO_VOL_SIZE_SLOPE = 0.09
IDIO_VOL_DISPERSION = 0.25
TURNOVER_AT_REFERENCE = 0.005
TURNOVER_SIZE_SLOPE = 0.15
TURNOVER_DISPERSION = 0.3
BETA_DISPERSION = 0.25
STREAMS = ("sector", "idio_vol", "turnover", "beta")
"""The streams spawned from ``SeedSequence(seed)``, in this order."""

def zipf_caps(n: int, total_usd: float, exponent: float = ZIPF_EXPONENT) -> np.ndarray:
    """Market values of ranks 1..n under the Zipf rule k^-exponent, summing to ``total_usd`` (largest first)."""
    raw = np.array([detmath.pow(float(k), -exponent) for k in range(1, n + 1)])
    return raw / math.fsum(raw) * total_usd


def assign_sectors(caps: np.ndarray, targets: dict[str, float], u: np.ndarray) -> list[str]:
    """A sector for each name (``caps`` largest first) so that sector weights approach ``targets``.

    Each name goes to a sector whose remaining room (target x total - assigned) is at least its
    cap, drawn with probability proportional to the room using the uniform ``u[i]``; when none has
    room, to the sector with the most room. No sector overshoots its target except by a name that
    fits nowhere.
    """
    names = list(targets)
    scale = math.fsum(caps) / math.fsum(targets.values())
    room = [targets[s] * scale for s in names]
    out = []
    for cap, draw in zip(caps, u, strict=True):
        fits = [j for j in range(len(names)) if room[j] >= cap]
        if fits:
            total = math.fsum(room[j] for j in fits)
            pick, acc = fits[-1], 0.0
            for j in fits:
                acc += room[j] / total
                if draw < acc:
                    pick = j
                    break
        else:
            pick = max(range(len(names)), key=lambda j: room[j])
        room[pick] -= cap
        out.append(names[pick])
    return out


def _size_rule(caps: np.ndarray, level: float, slope: float, dispersion: float, u: np.ndarray) -> np.ndarray:
    """level x (cap / reference)^-slope x e^(dispersion x (2u - 1)), element by element with detmath."""
    return np.array([level * detmath.pow(c / REFERENCE_CAP_USD, -slope) * detmath.exp(dispersion * (2.0 * x - 1.0))
                     for c, x in zip(caps, u, strict=True)])


def synthetic_columns(n: int, seed: int, total_cap_usd: float) -> dict[str, Any]:
    """The columns of the synthetic universe (arguments already checked by
    :func:`sim.config.universe.synthetic_universe`, which builds the :class:`~sim.config.universe.Universe`).

    Returns
    -------
    dict
        ``ticker`` (``S0001`` .. , largest first), ``sector`` (GICS names), ``market_value_usd``,
        ``beta`` (cap-weighted mean 1), ``idio_vol`` (annual) and ``adv_usd``.
    """
    gens = [np.random.Generator(np.random.PCG64(s)) for s in np.random.SeedSequence(seed).spawn(len(STREAMS))]
    u_sector, u_vol, u_turnover, u_beta = (g.random(n) for g in gens)
    caps = zipf_caps(n, total_cap_usd)
    sectors = assign_sectors(caps, SECTOR_WEIGHTS, u_sector)
    idio_vol = _size_rule(caps, IDIO_VOL_AT_REFERENCE, IDIO_VOL_SIZE_SLOPE, IDIO_VOL_DISPERSION, u_vol)
    turnover = _size_rule(caps, TURNOVER_AT_REFERENCE, TURNOVER_SIZE_SLOPE, TURNOVER_DISPERSION, u_turnover)
    beta = np.array([SECTOR_BETAS[s] + BETA_DISPERSION * (2.0 * x - 1.0) for s, x in zip(sectors, u_beta, strict=True)])
    beta = beta / (math.fsum(caps * beta) / math.fsum(caps))
    return {"ticker": tuple(f"S{k:04d}" for k in range(1, n + 1)), "sector": tuple(sectors),
            "market_value_usd": caps, "beta": beta, "idio_vol": idio_vol, "adv_usd": turnover * caps}
