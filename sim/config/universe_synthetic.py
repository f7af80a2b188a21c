"""The synthetic default universe: N stocks calibrated to public facts about the US market.

Every number below cites its source or says "assumption". The stocks are synthetic (tickers
``S0001`` .. ``S0500``, largest first): no real company's data is used.

* **Market values**: a two-regime rank-size rule, scaled to ``total_cap_usd`` (default $65
  trillion, the calibrated market's ``market.market_cap_usd``: the N names stand for the whole
  market). The :data:`GIANTS` = 10 largest names ("mega-caps", assumption: the regime boundary)
  have cap proportional to k^-:data:`GIANT_EXPONENT`; ranks above 10 have
  :data:`TAIL_LEVEL` x k^-:data:`TAIL_EXPONENT`. The three constants are solved (closed
  conditions, rounded to 4 digits) so that of 500 names the largest holds 7.5%, the 10 largest
  38.5% and the 50 largest 61.9%: the largest S&P 500 weight (NVIDIA) was about 7-8% in late
  2025 (assumption: 7.5%, from index weights reported in 2025); the 10 largest held about
  37-40% (S&P Global, T. Edwards, "In the shadows of giants", 5 Feb 2026: "almost 40% by
  mid-2025"; Goldman Sachs Global Investment Research via skn-finance.com: 37% in mid-2025; LSEG
  via IBKR, 18 Nov 2025: "over 40%"); the next 40 about 22.8% (Tema ETFs/Bloomberg). One power
  law cannot meet both the top-1 and the top-10 facts (k^-0.943 fits the top 10 but gives the
  largest name 12.4%): the real top 10 are flatter among themselves than the tail. With N = 5,000
  the same constants spread the value wider (top 1 / 10 / 50: 5.2% / 26.8% / 43.1%).
* **Sectors**: each sector gets a COUNT of names and a WEIGHT of value. Counts: the S&P 500's
  names per GICS sector (:data:`SECTOR_COUNTS`, approximate 2025 counts, to be checked against
  S&P Dow Jones Indices' constituent list; they sum to 500), scaled to N by largest remainders
  (:func:`sector_counts`; with N < 11 some sectors get none and the weights are renormalised over
  the rest). Weights: GICS sector weights of the S&P 500 on 28 Nov 2025 (Schwab Center for
  Financial Research from S&P Dow Jones Indices data): :data:`SECTOR_WEIGHTS`. The caps above are
  dealt largest first (:func:`assign_sectors`): with M names and value V still to deal, each
  sector's excess need is its remaining weight minus its remaining count x V / M (what average
  names would give it); the name goes to a sector with positive need, with room for its cap and
  for its other names at the smallest cap, drawn with probability proportional to the need (else
  to the open sector of largest need). Sectors whose value sits in few names (IT, Communication
  Services) thus take the giants. Measured at the default (500 names, seed 20260515): every
  count exact (Industrials 78, Financials 73, IT 69, Health Care 60, Consumer Discretionary 50,
  Consumer Staples 37, Real Estate 31, Utilities 31, Materials 26, Communication Services 23,
  Energy 22) and every weight within 0.001 percentage points of its target; same at N = 5,000.
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

GIANTS = 10
"""Assumption: the 10 largest names form the flatter mega-cap regime of the rank-size rule."""
GIANT_EXPONENT = 0.4822
"""Cap of rank k <= 10 proportional to k^-0.4822: the largest holds 7.5 / 38.5 of the top 10 (solved)."""
TAIL_EXPONENT = 0.9440
"""Cap of rank k > 10 proportional to TAIL_LEVEL x k^-0.9440: ranks 11-50 hold 23.4 / 61.5 of ranks 11-500 (solved)."""
TAIL_LEVEL = 1.6662
"""Level of the tail against the giants: the top 10 of 500 hold 38.5% (solved)."""
SECTOR_WEIGHTS = dict(zip(GICS_SECTORS, (34.6, 13.1, 10.7, 10.3, 9.8, 8.0, 4.9, 2.8, 2.4, 1.9, 1.7), strict=True))
"""S&P 500 sector weights (%), 28 Nov 2025 (Schwab / S&P Dow Jones Indices); they sum to 100.2 (rounding)
and are used normalised."""
SECTOR_COUNTS = dict(zip(GICS_SECTORS, (69, 73, 23, 50, 60, 78, 37, 22, 31, 31, 26), strict=True))
"""Names per sector in the S&P 500 (approximate 2025 GICS counts, not checked against the official list; sum 500)."""
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

def rank_size_caps(n: int, total_usd: float) -> np.ndarray:
    """Market values of ranks 1..n under the two-regime rank-size rule, summing to ``total_usd`` (largest first).

    Rank k <= :data:`GIANTS` gets k^-:data:`GIANT_EXPONENT`, rank k > :data:`GIANTS` gets
    :data:`TAIL_LEVEL` x k^-:data:`TAIL_EXPONENT`, all scaled to the total.
    """
    raw = np.array([detmath.pow(float(k), -GIANT_EXPONENT) if k <= GIANTS
                    else TAIL_LEVEL * detmath.pow(float(k), -TAIL_EXPONENT) for k in range(1, n + 1)])
    return raw / math.fsum(raw) * total_usd


def sector_counts(n: int, counts: dict[str, int]) -> dict[str, int]:
    """``counts`` scaled to ``n`` names by largest remainders (ties: the order of ``counts``); sum ``n``."""
    total = sum(counts.values())
    quota = {s: c * n / total for s, c in counts.items()}
    out = {s: int(q) for s, q in quota.items()}
    by_remainder = sorted(counts, key=lambda s: -(quota[s] - out[s]))
    for s in by_remainder[:n - sum(out.values())]:
        out[s] += 1
    return out


def _pick(need: dict[str, float], draw: float) -> str:
    """The key of ``need`` drawn with probability proportional to its (positive) value, by the uniform ``draw``."""
    total = math.fsum(need.values())
    acc = 0.0
    for s, v in need.items():
        acc += v / total
        if draw < acc:
            return s
    return list(need)[-1]


def assign_sectors(caps: np.ndarray, weights: dict[str, float], counts: dict[str, int],
                   u: np.ndarray) -> list[str]:
    """A sector for each name (``caps`` largest first): exactly ``counts`` names each, value near ``weights``.

    With M names and value V left, sector s has excess need room_s - left_s x V / M; the name goes
    to a sector with positive need, a free slot, and room for its cap plus its other slots at the
    smallest cap, drawn with probability proportional to the need using ``u[i]`` (else to the open
    sector of largest need). Sectors with no names drop out and the weights are renormalised.

    Parameters
    ----------
    caps : ndarray, (M,)
        Market values ($), largest first.
    weights : dict of str to float
        Each sector's target share of the total value (> 0 for the sectors used).
    counts : dict of str to int
        Names per sector, summing to M (:func:`sector_counts`).
    u : ndarray, (M,)
        Uniform draws in [0, 1), one per name.

    Returns
    -------
    list of str
        Each name's sector, in the order of ``caps``.
    """
    names = [s for s in weights if counts[s] > 0]
    scale = math.fsum(caps) / math.fsum(weights[s] for s in names)
    room = {s: weights[s] * scale for s in names}
    left = {s: counts[s] for s in names}
    value, smallest, out = math.fsum(caps), float(caps[-1]), []
    for i, (cap, draw) in enumerate(zip(caps, u, strict=True)):
        average = value / (len(caps) - i)
        need = {s: room[s] - left[s] * average for s in names if left[s] > 0}
        fits = {s: v for s, v in need.items() if v > 0.0 and room[s] - cap >= (left[s] - 1) * smallest}
        pick = _pick(fits, draw) if fits else max(need, key=need.get)
        room[pick] -= cap
        left[pick] -= 1
        value -= cap
        out.append(pick)
    return out


def _size_rule(caps: np.ndarray, level: float, slope: float, dispersion: float, u: np.ndarray) -> np.ndarray:
    """level x (cap / reference)^-slope x e^(dispersion x (2u - 1)), element by element with detmath."""
    return np.array([level * detmath.pow(c / REFERENCE_CAP_USD, -slope) * detmath.exp(dispersion * (2.0 * x - 1.0))
                     for c, x in zip(caps, u, strict=True)])


def synthetic_columns(n: int, seed: int, total_cap_usd: float) -> dict[str, Any]:
    """The columns of the synthetic universe (arguments already checked by
    :func:`sim.config.universe.synthetic_universe`, which builds the :class:`~sim.config.universe.Universe`).

    Parameters
    ----------
    n : int
        Names.
    seed : int
        Root of the draws' SeedSequence (one stream per entry of ``STREAMS``).
    total_cap_usd : float
        Total market value, $ (:func:`rank_size_caps`).

    Returns
    -------
    dict
        ``ticker`` (``S0001`` .. , largest first), ``sector`` (GICS names), ``market_value_usd``,
        ``beta`` (cap-weighted mean 1), ``idio_vol`` (annual) and ``adv_usd``.
    """
    gens = [np.random.Generator(np.random.PCG64(s)) for s in np.random.SeedSequence(seed).spawn(len(STREAMS))]
    u_sector, u_vol, u_turnover, u_beta = (g.random(n) for g in gens)
    caps = rank_size_caps(n, total_cap_usd)
    sectors = assign_sectors(caps, SECTOR_WEIGHTS, sector_counts(n, SECTOR_COUNTS), u_sector)
    idio_vol = _size_rule(caps, IDIO_VOL_AT_REFERENCE, IDIO_VOL_SIZE_SLOPE, IDIO_VOL_DISPERSION, u_vol)
    turnover = _size_rule(caps, TURNOVER_AT_REFERENCE, TURNOVER_SIZE_SLOPE, TURNOVER_DISPERSION, u_turnover)
    beta = np.array([SECTOR_BETAS[s] + BETA_DISPERSION * (2.0 * x - 1.0) for s, x in zip(sectors, u_beta, strict=True)])
    beta = beta / (math.fsum(caps * beta) / math.fsum(caps))
    return {"ticker": tuple(f"S{k:04d}" for k in range(1, n + 1)), "sector": tuple(sectors),
            "market_value_usd": caps, "beta": beta, "idio_vol": idio_vol, "adv_usd": turnover * caps}
