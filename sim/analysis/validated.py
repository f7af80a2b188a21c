"""Validation on the scenarios users run: each one's stylized facts against the S&P 500, with bands.

A :class:`ValidatedScenario` is data: a label, a scenario (built-in name or path), overrides,
whether its scheduled events are removed, and how long, with how many seeds and accounts, and
how many burn-in days to drop. :data:`TARGETS` is the default list: the calibrated market alone
(the scenario :data:`MARKET_SCENARIO` names) and ``finra-2026-05`` without its events over 10
years. :func:`run_validated` runs one (the compiled engine, its seeds through :func:`sim.ensemble`)
and returns each fact's median and range over seeds next to the real value and its band, and
the dealer-gamma regimes (:mod:`sim.analysis.gamma_regimes`).

The band of a fact (:func:`band`) is real +/- 2 standard errors of the difference between the
real value and the simulated median: SE_real x sqrt(1 + n_real / (n_sim x seeds)), where SE_real
is the moving-block bootstrap standard error of the fact on the real series (:func:`bootstrap_se`)
and the second term is the simulated median's own sampling error, taken to scale as 1/sqrt(days)
(the correction of the simulated method of moments, Gourieroux, Monfort and Renault 1993). A fact
is met when the median over seeds lies inside: the difference is not significant at about 5%.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from sim.analysis import gamma_regimes
from sim.analysis import stylized_facts as sf
from sim.analysis.stats import block_rows
from sim.config.scenario import Scenario, coerce, load
from sim.core.detarrays import dot, log1p_array
from sim.core.errors import InputError
from sim.run.ensemble import ensemble
from sim.run.metrics import excess_kurtosis

MARKET_SCENARIO = "market"
"""The calibrated one-market file (sim/scenarios/market.toml), validated on its own."""
MONTH = 21
"""Trading days per month when the daily simulated margin debt is sampled monthly."""
SERIES = ("index_return", "index_level", "margin_debt", "dealer_gex_usd")
"""The daily columns a validated scenario's ensemble keeps."""
Z = 2.0
"""Half-width of a band in standard errors (about a 95% two-sided test)."""
DAILY_BLOCK = 250
"""Moving-block bootstrap of the daily returns: blocks of one trading year (assumption: long
enough to keep the volatility clustering the ACF of |r| measures; 5,030 days give 21 blocks)."""
MONTHLY_BLOCK = 24
"""Moving-block bootstrap of the monthly margin-debt growth: blocks of two years (assumption)."""
BOOT_REPS = 200
"""Bootstrap replications (the SE's own relative error is about 1/sqrt(2 x 200) = 5%)."""
BOOT_SEED = 20260501
"""Seed of the bootstrap draws (fixed: the bands are the same on every run)."""

FACTS = (("annualized_vol", "annualised vol", 3), ("excess_kurtosis", "excess kurtosis", 2),
         ("hill_index", "Hill index, 2.5% worst days", 2), ("acf_r_1", "ACF of r, lag 1", 3),
         ("acf_abs_r_1", "ACF of abs r, lag 1", 3), ("acf_abs_r_5", "ACF of abs r, lag 5", 3),
         ("acf_abs_r_20", "ACF of abs r, lag 20", 3), ("acf_abs_r_50", "ACF of abs r, lag 50", 3),
         ("acf_abs_r_100", "ACF of abs r, lag 100", 3), ("leverage_1", "corr(r_t, abs r_t+1)", 3))
"""Facts of daily returns: key, label, decimals."""
DEBT_FACTS = (("debt_yoy_mean", "margin debt yoy growth, mean", 3),
              ("debt_yoy_sd", "margin debt yoy growth, sd", 3),
              ("debt_index_corr", "corr(debt yoy, index yoy)", 3))
"""Facts of the monthly margin debt (FINRA for the real side): key, label, decimals."""
ABS_LAGS = (1, 5, 20, 50, 100)
MIN_DAYS = 260
"""Fewest days after the burn-in: more than the ACF's largest lag (100) and at least a year of margin
debt growth (12 monthly samples plus a few)."""
TINY = 1e-12
"""An sd of growth rates below this is rounding, not variation."""
CORRELATIONS = ("acf_r_1", *(f"acf_abs_r_{k}" for k in ABS_LAGS), "leverage_1", "debt_index_corr")
"""Facts that are correlations: their bands are clipped to [-1, 1]."""
LOG_SCALE = ("excess_kurtosis",)
"""Facts banded on the scale log(3 + value), i.e. the log of the raw kurtosis: the kurtosis's sampling
distribution is skewed to the right (a few crash days make it), so a symmetric band on the raw value
would reach down to a Gaussian's 0; on the log scale it is roughly symmetric."""


@dataclass(frozen=True)
class ValidatedScenario:
    """One scenario that `marginsim validate` checks against the real facts."""
    label: str
    scenario: str
    overrides: tuple[str, ...] = ()
    drop_events: bool = True
    days: int = 2520
    seeds: tuple[int, ...] = (1, 2, 3, 4)
    burn_in: int = 250
    accounts: int = 20_000

    def __post_init__(self) -> None:
        least = self.burn_in + MIN_DAYS
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < least:
            raise InputError(f"validated scenario {self.label!r}: days = {self.days!r} must be an integer >= burn_in + "
                             f"{MIN_DAYS} = {least} (the ACF of abs r reaches lag 100)", field="days",
                             allowed=f"an integer >= {least}")
        if not self.seeds or self.burn_in < 0:
            raise InputError(f"validated scenario {self.label!r}: needs at least one seed and burn_in >= 0, got "
                             f"seeds = {self.seeds!r}, burn_in = {self.burn_in!r}", field="seeds",
                             allowed="a non-empty tuple of seeds; burn_in >= 0")

    def spec(self) -> Scenario:
        """The scenario with the overrides, the days and accounts, and without its events if asked."""
        spec = load(self.scenario, [*self.overrides, f"simulation.days={self.days}",
                                    f"margin.accounts={self.accounts}"])
        if not self.drop_events:
            return spec
        raw = spec.to_dict()
        raw["events"] = []
        out = coerce(raw)
        out.source = spec.source
        return out

    def quick(self) -> ValidatedScenario:
        """A smoke-test size: 5 years, the first seed, 2,000 accounts, 100 burn-in days."""
        return replace(self, days=min(self.days, 1260), seeds=self.seeds[:1], burn_in=100, accounts=2_000)


TARGETS = (
    ValidatedScenario("the calibrated market alone", MARKET_SCENARIO, days=5040),
    ValidatedScenario("finra-2026-05 without its events", "finra-2026-05", days=2520),
)
"""The default validated scenarios (4 seeds, 20,000 accounts, events removed, 250 burn-in days)."""


# ------------------------------------------------------------------------------ facts
def yoy_growth(monthly: np.ndarray) -> np.ndarray:
    """Year-on-year growth of a monthly series (fraction), length n - 12."""
    x = np.asarray(monthly, dtype=float)
    return x[12:] / x[:-12] - 1.0


def return_facts(r: np.ndarray) -> dict[str, float]:
    """The :data:`FACTS` of one daily log-return series (needs more than 101 days)."""
    r = np.asarray(r, dtype=float)
    abs_acf = sf.acf(np.abs(r), max(ABS_LAGS))
    out = {"annualized_vol": sf.annualized_vol(r), "excess_kurtosis": excess_kurtosis(r),
           "hill_index": sf.hill_index(r), "acf_r_1": float(sf.acf(r, 1)[0])}
    out.update({f"acf_abs_r_{k}": float(abs_acf[k - 1]) for k in ABS_LAGS})
    out["leverage_1"] = float(sf.leverage_effect(r, 1)[0])
    return out


def to_band_scale(key: str, value: float) -> float:
    """A fact on the scale its band is built on (:data:`LOG_SCALE`: log(3 + value))."""
    return math.log(3.0 + value) if key in LOG_SCALE else value


def from_band_scale(key: str, value: float) -> float:
    """The inverse of :func:`to_band_scale`."""
    return math.exp(value) - 3.0 if key in LOG_SCALE else value


def _on_band_scale(row: dict[str, float]) -> dict[str, float]:
    return {k: to_band_scale(k, v) for k, v in row.items()}


def _sd(x: np.ndarray) -> float:
    d = x - x.mean()
    return math.sqrt(dot(d, d) / (x.size - 1))


def debt_growth_facts(debt_yoy: np.ndarray, index_yoy: np.ndarray) -> dict[str, float]:
    """Mean and sd of the margin debt's yoy growth and its correlation with the index's (NaN if undefined)."""
    d, i = np.asarray(debt_yoy, dtype=float), np.asarray(index_yoy, dtype=float)
    if d.size < 3 or not np.all(np.isfinite(d)):
        return {key: math.nan for key, _, _ in DEBT_FACTS}
    sd = _sd(d)
    corr = sf.pearson(d, i) if sd > TINY and _sd(i) > TINY else math.nan  # constant growth: undefined
    return {"debt_yoy_mean": float(d.mean()), "debt_yoy_sd": sd, "debt_index_corr": corr}


def debt_facts(debt_monthly: np.ndarray, index_monthly: np.ndarray) -> dict[str, float]:
    """:func:`debt_growth_facts` of monthly levels (NaN when there is no margin debt)."""
    debt = np.asarray(debt_monthly, dtype=float)
    if debt.size < 15 or np.any(debt <= 0.0):
        return {key: math.nan for key, _, _ in DEBT_FACTS}
    return debt_growth_facts(yoy_growth(debt), yoy_growth(index_monthly))


# -------------------------------------------------------------------------- bootstrap
def bootstrap_se(stat: Callable[[np.ndarray], dict[str, float]], data: np.ndarray, block: int,
                 reps: int = BOOT_REPS, seed: int = BOOT_SEED) -> dict[str, float]:
    """Moving-block bootstrap standard error of each statistic ``stat(data)`` returns.

    Each replicate concatenates ceil(n / block) blocks of ``block`` consecutive rows of ``data``,
    their starts drawn uniformly (Kuensch 1989), truncated to n rows; the SE is the sd (ddof 1)
    of the ``reps`` replicates.
    """
    rng = np.random.default_rng(seed)
    rows = [stat(data[block_rows(rng, data.shape[0], block)]) for _ in range(reps)]
    return {key: _sd(np.array([row[key] for row in rows])) for key in rows[0]}


@functools.cache
def _real_se(real_returns: tuple[float, ...], debt_yoy: tuple[float, ...], index_yoy: tuple[float, ...]) -> dict:
    se = bootstrap_se(lambda r: _on_band_scale(return_facts(r)), np.array(real_returns), DAILY_BLOCK)
    pairs = np.column_stack([debt_yoy, index_yoy])
    se.update(bootstrap_se(lambda p: debt_growth_facts(p[:, 0], p[:, 1]), pairs, MONTHLY_BLOCK))
    return se


def real_facts(real_returns: np.ndarray, debt_monthly: np.ndarray, index_monthly: np.ndarray) -> dict:
    """The real facts, their bootstrap SEs (on each fact's band scale, :func:`to_band_scale`) and sample
    sizes (days of returns, months of yoy growth)."""
    r = np.asarray(real_returns, dtype=float)
    debt_yoy, index_yoy = yoy_growth(debt_monthly), yoy_growth(index_monthly)
    values = {**return_facts(r), **debt_growth_facts(debt_yoy, index_yoy)}
    se = _real_se(tuple(r), tuple(debt_yoy), tuple(index_yoy))
    return {"values": values, "se": se, "days": int(r.size), "months": int(debt_yoy.size)}


def band(real: float, se: float, n_real: int, n_sim: int, seeds: int, z: float = Z,
         key: str = "") -> tuple[float, float]:
    """The allowed range of a simulated median: real +/- z x SE_real x sqrt(1 + n_real / (n_sim x seeds)).

    For a fact in :data:`LOG_SCALE` the band is built on log(3 + value) (``se`` on that scale)
    and mapped back, so it is wider above the real value than below.
    """
    half = z * se * math.sqrt(1.0 + n_real / (n_sim * seeds))
    centre = to_band_scale(key, real)
    return from_band_scale(key, centre - half), from_band_scale(key, centre + half)


# ------------------------------------------------------------------------------- runs
def _seed_rows(target: ValidatedScenario, ds) -> tuple[list[dict], list[dict], int, int]:
    """Per seed: the facts and the GEX regimes after the burn-in; the days and months of yoy growth."""
    b = target.burn_in
    facts, regimes = [], []
    for p in range(ds.sizes["path"]):
        r = log1p_array(ds["index_return"].values[p, b:])
        row = return_facts(r)
        row.update(debt_facts(ds["margin_debt"].values[p, b::MONTH], ds["index_level"].values[p, b::MONTH]))
        facts.append({k: v if math.isfinite(v) else None for k, v in row.items()})  # JSON has no NaN
        regimes.append(gamma_regimes.gex_regimes(r, ds["dealer_gex_usd"].values[p, b:]))
    days = ds.sizes["day"] - b
    return facts, regimes, days, max(-(-days // MONTH) - 12, 0)


def compare(rows: Sequence[dict], real: dict, days: int, months: int) -> list[dict]:
    """Each fact: the real value and its band, the simulated median and range over seeds, met or not."""
    out = []
    for key, label, digits in (*FACTS, *DEBT_FACTS):
        n_real, n_sim = (real["months"], months) if key.startswith("debt") else (real["days"], days)
        value, se = real["values"][key], real["se"][key]
        lo, hi = band(value, se, n_real, max(n_sim, 1), len(rows), key=key)
        if key in CORRELATIONS:
            lo, hi = max(lo, -1.0), min(hi, 1.0)
        sims = [r[key] for r in rows if r[key] is not None]
        median = float(np.median(sims)) if sims else None
        out.append({"key": key, "label": label, "digits": digits, "real": value, "se": se, "lo": lo, "hi": hi,
                    "scale": "log(3 + value)" if key in LOG_SCALE else "value",
                    "simulated_median": median, "simulated_min": min(sims) if sims else None,
                    "simulated_max": max(sims) if sims else None,
                    "met": median is not None and lo <= median <= hi,
                    "seeds_met": sum(lo <= v <= hi for v in sims), "seeds": len(rows)})
    return out


def run_validated(target: ValidatedScenario, real: dict, on_path: Callable[[], None] | None = None) -> dict:
    """Run one validated scenario's seeds and compare its facts and GEX regimes with the real ones.

    Parameters
    ----------
    target : ValidatedScenario
        What to run.
    real : dict
        :func:`real_facts` of the S&P 500 and FINRA.
    on_path : callable, optional
        Called once after each seed's run.

    Returns
    -------
    dict
        JSON-ready: the target's settings, ``facts`` (rows of :func:`compare`), ``per_seed``,
        ``gex`` (:func:`sim.analysis.gamma_regimes.summarize`), ``gex_per_seed``, ``met`` and ``of``.
    """
    spec = target.spec()
    def progress(done: int, total: int) -> None:
        if done and on_path is not None:
            on_path()
    res = ensemble(spec, seeds=list(target.seeds), series=SERIES, progress=progress)
    rows, regimes, days, months = _seed_rows(target, res.dataset)
    facts = compare(rows, real, days, months)
    return {"label": target.label, "scenario": target.scenario, "scenario_hash": spec.hash(),
            "overrides": list(target.overrides), "events_removed": target.drop_events, "days": target.days,
            "burn_in": target.burn_in, "accounts": target.accounts, "seeds": list(target.seeds),
            "facts": facts, "per_seed": rows, "gex": gamma_regimes.summarize(regimes), "gex_per_seed": regimes,
            "met": sum(f["met"] for f in facts), "of": len(facts)}
