"""Dealer-gamma regimes: is the day after a negative-GEX day more volatile?

The options dealers' gamma exposure ``dealer_gex_usd`` (:mod:`sim.model.records`: $ of hedge the
dealers trade per 1% move of the index, negative = dealers short gamma, recorded at the close as
last hedged) splits the days in two regimes. Dealers short gamma sell into falls and buy into
rallies, so the published studies find larger moves while GEX is negative:

- SqueezeMetrics (2017), "Gamma Exposure (GEX): quantifying hedge rebalancing in SPX options",
  white paper (https://squeezemetrics.com/download/white_paper.pdf): SPX returns on the days
  after low or negative GEX are markedly more dispersed than after high GEX; the index's GEX is
  positive on most days and turns negative as the index falls through the put strikes.
- Ni, Pearson, Poteshman and White (2021), "Does option trading have a pervasive impact on
  underlying stock prices?", Review of Financial Studies 34(4): market makers' net gamma predicts
  the next day's absolute return of the stock, higher when they are net short gamma.
- Barbon and Buraschi (2021), "Gamma fragility", SSRN 3725454: negative aggregate dealer gamma
  goes with intraday momentum, higher intraday volatility and more flash crashes.
- Baltussen, Da, Lammers and Martens (2021), "Hedging demand and market intraday momentum",
  Journal of Financial Economics 142(1), 377-403: short-gamma hedging creates intraday momentum.
- FlashAlpha (2026), "GEX backtest: 8 years of SPY" (https://flashalpha.com/articles/gex-dex-vex-
  chex-8-year-backtest-spy-vix-control): rank correlation of GEX with the next day's realised
  volatility -0.36 (SPY 2018-2026, 1,972 days).

None of them publishes one number for "mean next-day |r| after negative GEX over after
non-negative GEX" that a simulation could be held to, so the checks below are the direction they
all agree on (ratio above 1) and the sign pattern (GEX negative on some days, positive on most).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.core.errors import InputError

REFERENCES = (
    "SqueezeMetrics (2017), Gamma Exposure (GEX) white paper: returns after low or negative GEX are markedly "
    "more dispersed than after high GEX; SPX GEX is positive on most days and turns negative in sell-offs",
    "Ni, Pearson, Poteshman and White (2021), RFS 34(4): net short gamma of market makers predicts larger "
    "next-day absolute returns",
    "Barbon and Buraschi (2021), Gamma fragility, SSRN 3725454: negative dealer gamma goes with intraday "
    "momentum, higher intraday volatility and flash crashes",
    "Baltussen, Da, Lammers and Martens (2021), JFE 142(1) 377-403: short-gamma hedging creates intraday momentum",
    "FlashAlpha (2026), SPY 2018-2026 (1,972 days): rank correlation of GEX with next-day realised vol -0.36",
)
"""The published results the regime checks stand on (see the module docstring)."""


@dataclass(frozen=True)
class RegimeCheck:
    """One regime statistic and the published range it should fall in."""
    key: str
    label: str
    lo: float
    hi: float
    reference: str

    def met(self, value: float | None) -> bool:
        """Inside the open range (lo, hi); a missing value (no negative-GEX day) is not met."""
        return value is not None and math.isfinite(value) and self.lo < value < self.hi

    def text(self) -> str:
        if math.isinf(self.hi):
            return f"> {self.lo:g}"
        return f"{self.lo:g} to {self.hi:g} (exclusive)"


CHECKS = (
    RegimeCheck("negative_share", "share of days with negative GEX", 0.0, 0.5,
                "positive on most days, negative on some (SqueezeMetrics 2017)"),
    RegimeCheck("ratio", "mean next-day abs r: after negative / after non-negative GEX", 1.0, math.inf,
                "above 1 (SqueezeMetrics 2017; Ni et al. 2021; Barbon and Buraschi 2021)"),
)


def gex_regimes(returns: np.ndarray, gex: np.ndarray) -> dict[str, float | int | bool | None]:
    """Next-day absolute returns after negative and after non-negative dealer gamma.

    Day t's GEX (at its close) is paired with day t+1's return, so ``n`` days give ``n - 1``
    pairs. With no negative-GEX day (or no non-negative one) that regime's mean and the ratio
    are None and ``never_negative`` (or ``always_negative``) is True.

    Parameters
    ----------
    returns : numpy.ndarray
        Daily index returns r_t (log or simple), one per day.
    gex : numpy.ndarray
        Dealer gamma exposure on the same days, $ per 1% move (its sign is what matters).

    Returns
    -------
    dict
        ``pairs``, ``negative_days``, ``negative_share`` (of the pairs), ``mean_abs_after_negative``,
        ``mean_abs_after_nonnegative``, ``ratio`` (the first over the second), ``never_negative``,
        ``always_negative``, and the GEX's ``gex_median``, ``gex_min``, ``gex_max`` ($ per 1%).
    """
    r = np.asarray(returns, dtype=float)
    g = np.asarray(gex, dtype=float)
    if r.shape != g.shape or r.ndim != 1 or r.size < 2 or not (np.all(np.isfinite(r)) and np.all(np.isfinite(g))):
        raise InputError(f"gex_regimes: returns and gex must be finite 1-D arrays of one length >= 2, got shapes "
                         f"{r.shape} and {g.shape}", field="gex", allowed="finite, same length as returns, >= 2")
    negative = g[:-1] < 0.0
    after = np.abs(r[1:])
    n_neg = int(negative.sum())
    n_pos = int(after.size - n_neg)
    mean_neg = float(after[negative].mean()) if n_neg else None
    mean_pos = float(after[~negative].mean()) if n_pos else None
    ratio = mean_neg / mean_pos if mean_neg is not None and mean_pos else None
    return {"pairs": int(after.size), "negative_days": n_neg, "negative_share": n_neg / after.size,
            "mean_abs_after_negative": mean_neg, "mean_abs_after_nonnegative": mean_pos, "ratio": ratio,
            "never_negative": n_neg == 0, "always_negative": n_pos == 0,
            "gex_median": float(np.median(g)), "gex_min": float(g.min()), "gex_max": float(g.max())}


def _spread(values: Sequence[float | None]) -> dict[str, float | int | None]:
    have = [float(v) for v in values if v is not None]
    if not have:
        return {"median": None, "min": None, "max": None, "seeds": 0}
    return {"median": float(np.median(have)), "min": min(have), "max": max(have), "seeds": len(have)}


def summarize(per_seed: Sequence[dict]) -> dict:
    """Median and range over seeds of each regime statistic, and each :data:`CHECKS` judged on the median.

    A statistic that no seed defines (the ratio when GEX is never negative) has median None and
    its check is not met; ``never_negative`` is True when GEX is non-negative on every day of
    every seed.
    """
    keys = ("negative_share", "mean_abs_after_negative", "mean_abs_after_nonnegative", "ratio",
            "gex_median", "gex_min", "gex_max")
    stats = {k: _spread([s[k] for s in per_seed]) for k in keys}
    checks = [{"key": c.key, "label": c.label, "range": c.text(), "reference": c.reference,
               "value": stats[c.key]["median"], "met": c.met(stats[c.key]["median"])} for c in CHECKS]
    return {"stats": stats, "checks": checks, "never_negative": all(s["never_negative"] for s in per_seed),
            "always_negative": all(s["always_negative"] for s in per_seed), "seeds": len(per_seed)}
