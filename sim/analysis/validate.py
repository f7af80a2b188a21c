"""`marginsim validate`: the calibrated baseline against real data and a published result.

Three comparisons; :func:`validate` computes them and :mod:`sim.report.validation` writes them
to ``validation.md``, ``validation.json`` and ``validation.png``:

1. Stylized facts of daily returns: the ``validation-baseline`` scenario (several seeds), the
   same scenario with every feedback channel off, and the S&P 500 1999-2018 (daily adjusted
   closes shipped in the ``arch`` package, loaded offline), checked against the targets below.
2. Margin debt: the simulated book's year-on-year growth and its fall after the worst crash,
   next to FINRA's monthly debit balances over the same years.
3. Thurner, Farmer and Geanakoplos (2012): the ``tfg-2012`` scenario swept over the leverage
   cap lambda_max; excess kurtosis and tail index rise with leverage.
4. The scenarios users run (:mod:`sim.analysis.validated`): the calibrated market alone and
   ``finra-2026-05`` without its events, each fact against the real one with a bootstrap band,
   and the dealer-gamma regimes (:mod:`sim.analysis.gamma_regimes`).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from arch.data import sp500

from sim import __version__
from sim.analysis import stylized_facts as sf
from sim.analysis.validated import MONTH, TARGETS, ValidatedScenario, real_facts, run_validated, yoy_growth
from sim.config import finra
from sim.config.scenario import Scenario, load
from sim.core.detarrays import exp_array, log1p_array, log_array, pow_array
from sim.model.market_model import CHANNELS
from sim.run.metrics import max_drawdown
from sim.run.simulate import simulate

BASELINE = "validation-baseline"
TFG = "tfg-2012"
TFG_LEVERAGE = (1.0, 2.0, 5.0, 7.5, 10.0, 15.0, 20.0)
"""lambda_max values of Thurner, Farmer and Geanakoplos's figure."""


@dataclass(frozen=True)
class Sizes:
    """How much to simulate: full mode matches the real sample (20 years), quick is a smoke test."""
    baseline_days: int
    accounts: int
    seeds: tuple[int, ...]
    tfg_days: int
    tfg_seeds: tuple[int, ...]
    burn_in: int
    targets: tuple[ValidatedScenario, ...] = field(default=TARGETS)
    """The scenarios users run, validated (:data:`sim.analysis.validated.TARGETS`)."""


FULL = Sizes(baseline_days=5040, accounts=20_000, seeds=(1, 2, 3, 4, 5), tfg_days=20_000, tfg_seeds=(1, 2, 3),
             burn_in=250)
QUICK = Sizes(baseline_days=1260, accounts=2_000, seeds=(1,), tfg_days=3_000, tfg_seeds=(1,), burn_in=100,
              targets=tuple(t.quick() for t in TARGETS))


def n_runs(sizes: Sizes) -> int:
    """Simulations :func:`validate` makes: each baseline seed, the baseline with every channel off, TFG's sweep,
    and each validated scenario's seeds."""
    return (len(sizes.seeds) + 1 + len(TFG_LEVERAGE) * len(sizes.tfg_seeds)
            + sum(len(t.seeds) for t in sizes.targets))


Tick = Callable[[], None]
"""Called once after each simulation (counts them for ``on_progress``)."""


def _ticker(total: int, on_progress: Callable[[int, int], None] | None) -> Tick:
    done = 0
    if on_progress is not None:
        on_progress(0, total)

    def tick() -> None:
        nonlocal done
        done += 1
        if on_progress is not None:
            on_progress(done, total)
    return tick


@dataclass(frozen=True)
class Target:
    """A stylized fact the calibrated baseline should reproduce (the real S&P 500 lies inside)."""
    key: str
    label: str
    lo: float
    hi: float

    def met(self, value: float) -> bool:
        return self.lo <= value <= self.hi

    def miss(self, value: float) -> float:
        """Distance to the allowed range (0 when met)."""
        return max(self.lo - value, value - self.hi, 0.0)

    def text(self) -> str:
        if math.isinf(self.lo):
            return f"< {self.hi:g}"
        if math.isinf(self.hi):
            return f"> {self.lo:g}"
        return f"{self.lo:g} to {self.hi:g}"


TARGETS = (
    Target("excess_kurtosis", "excess kurtosis", 5.0, 27.0),
    Target("hill_index", "Hill index, 2.5% worst days", 2.4, 3.5),
    Target("acf_abs_r_1", "ACF of |r|, lag 1", 0.15, 0.35),
    Target("acf_abs_r_50", "ACF of |r|, lag 50", 0.05, math.inf),
    Target("abs_acf_r_1", "|ACF of r, lag 1|", -math.inf, 0.1),
    Target("leverage_1", "corr(r_t, |r_t+1|)", -math.inf, -0.05),
)
OFF_TARGET = Target("excess_kurtosis", "excess kurtosis, every channel off, constant news vol", -math.inf, 1.0)


# ------------------------------------------------------------------------ real data
def sp500_returns() -> pd.Series:
    """Daily log returns of the S&P 500 (adjusted close, 1999-2018) shipped in ``arch.data.sp500``."""
    close = sp500.load()["Adj Close"].astype(float)
    return pd.Series(log_array(close.to_numpy()), index=close.index, name=close.name).diff().dropna()


def finra_margin_debt() -> pd.Series:
    """FINRA monthly debit balances in margin accounts, $ millions, indexed by the month's first day
    (read through :mod:`sim.config.finra`, the package's one loader of the FINRA history)."""
    series = finra.debit_balances()
    return pd.Series(series.to_numpy(), index=series.index.to_timestamp(), name="value")


# ---------------------------------------------------------------------- simulations
def baseline_spec(sizes: Sizes, channels_on: bool = True) -> Scenario:
    """The calibrated baseline at ``sizes``; ``channels_on=False`` is the Gaussian control.

    The control switches every feedback channel off and holds the news volatility constant
    (GARCH off), so only the liquidity side and Gaussian news remain: its returns must be
    near-Gaussian, which shows the fat tails come from the news process and the channels,
    not from the market's plumbing.
    """
    overrides = [f"simulation.days={sizes.baseline_days}", f"margin.accounts={sizes.accounts}"]
    if not channels_on:
        overrides += [f"channels.{name}=false" for name in (*CHANNELS, "value_funds")]
        overrides += [f"market.{name}=0" for name in ("garch_alpha", "garch_beta", "garch_asymmetry")]
    return load(BASELINE, overrides)


def run_returns(spec: Scenario, seed: int, burn_in: int, tick: Tick | None = None) -> tuple[np.ndarray, pd.DataFrame]:
    """Daily log returns of the index after ``burn_in`` days, and the whole daily series."""
    ts = simulate(spec, seed).timeseries
    if tick is not None:
        tick()
    return log1p_array(ts["index_return"].to_numpy()[burn_in:]), ts


def tfg_sweep(sizes: Sizes, tick: Tick | None = None) -> list[dict]:
    """Excess kurtosis and Hill index of TFG's model for each lambda_max (mean and range over seeds)."""
    rows = []
    for lam in TFG_LEVERAGE:
        spec = load(TFG, [f"value_funds.max_leverage={lam}", f"simulation.days={sizes.tfg_days}"])
        stats = []
        for seed in sizes.tfg_seeds:
            r, ts = run_returns(spec, seed, sizes.burn_in, tick)
            stats.append({"excess_kurtosis": sf.excess_kurtosis(r), "hill_index": sf.hill_index(r),
                          "acf_abs_r_1": float(sf.acf(np.abs(r), 1)[0]),
                          "failures": float(ts["value_funds_failed"].iloc[-1])})
        row: dict[str, float] = {"max_leverage": lam}
        for key in stats[0]:
            values = np.array([s[key] for s in stats])
            row[key] = float(values.mean())
            row[f"{key}_min"], row[f"{key}_max"] = float(values.min()), float(values.max())
        rows.append(row)
    return rows


# ---------------------------------------------------------------------- margin debt
def debt_after_crash(debt_monthly: np.ndarray, index_monthly: np.ndarray) -> dict[str, float]:
    """Margin debt around the index's worst drawdown, from monthly series.

    The crash is the index's largest peak-to-trough fall; reported: that fall, the margin
    debt's largest fall from its level at the index peak to its low within the 24 months
    after, and the margin debt's own largest drawdown over the whole sample.
    """
    index = np.asarray(index_monthly, dtype=float)
    debt = np.asarray(debt_monthly, dtype=float)
    peaks = np.maximum.accumulate(index)
    trough = int(np.argmax(1.0 - index / peaks))
    peak = int(np.argmax(index[:trough + 1])) if trough > 0 else 0
    window = debt[peak:min(peak + 25, debt.size)]
    return {"index_fall": float(1.0 - index[trough] / index[peak]), "peak_month": peak, "trough_month": trough,
            "debt_fall_after_peak": float(1.0 - window.min() / debt[peak]),
            "debt_max_drawdown": max_drawdown(debt[1:], start=float(debt[0]))}


def real_monthly(real_returns: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """FINRA's monthly margin debt over the span of ``real_returns`` and the index level on the same months
    (the first trading day's close of each month, rebuilt from the returns)."""
    real_debt = finra_margin_debt()
    start, end = real_returns.index[0], real_returns.index[-1]
    real_debt = real_debt[(real_debt.index >= start.to_period("M").to_timestamp()) & (real_debt.index <= end)]
    level = pd.Series(exp_array(real_returns.cumsum().to_numpy()), index=real_returns.index)
    return real_debt, level.resample("MS").first().reindex(real_debt.index).to_numpy()


def margin_debt_comparison(sim_ts: pd.DataFrame, real_returns: pd.Series) -> dict:
    """Year-on-year growth and crash response of the simulated vs FINRA margin debt (1999-2018)."""
    sim_debt = sim_ts["margin_debt"].to_numpy()[::MONTH]
    sim_index = sim_ts["index_level"].to_numpy()[::MONTH]
    real_debt, real_index = real_monthly(real_returns)
    out = {}
    for name, debt, index in (("simulated", sim_debt, sim_index), ("finra", real_debt.to_numpy(), real_index)):
        growth = yoy_growth(debt)
        index_growth = yoy_growth(index)
        out[name] = {"months": int(debt.size), "yoy_median": float(np.median(growth)),
                     "yoy_std": float(np.std(growth, ddof=1)), "yoy_min": float(growth.min()),
                     "yoy_max": float(growth.max()),
                     "corr_with_index_yoy": sf.pearson(growth, index_growth),
                     **debt_after_crash(debt, index), "yoy": growth.tolist()}
    out["finra"]["first_month"] = str(real_debt.index[0].date())
    return out


# ------------------------------------------------------------------- distributions
DENSITY_EDGES = np.linspace(-10.0, 10.0, 81)


@functools.cache
def tail_grid() -> np.ndarray:
    """The 35 points x of the loss tail P(-z > x): ``np.logspace(-0.5, 1.2, 35)`` with a pow that is the
    same on every CPU (computed on first use, so importing this module does not compile a kernel)."""
    grid = pow_array(10.0, np.linspace(-0.5, 1.2, 35))
    grid.flags.writeable = False
    return grid


def standardized(returns: np.ndarray) -> np.ndarray:
    r = np.asarray(returns, dtype=float)
    return (r - r.mean()) / r.std(ddof=1)


def distribution(returns: np.ndarray) -> dict[str, list[float]]:
    """Density of standardized returns on ``DENSITY_EDGES`` and the loss tail P(-z > x) on ``tail_grid()``."""
    z = standardized(returns)
    density, _ = np.histogram(z, DENSITY_EDGES, density=True)
    tail = [(float(np.mean(-z > x))) for x in tail_grid()]
    return {"density": density.tolist(), "loss_tail": tail}


# --------------------------------------------------------------------------- report
def _median_row(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: float(np.median([r[key] for r in rows])) for key in rows[0]}


def _with_abs(row: dict[str, float]) -> dict[str, float]:
    return {**row, "abs_acf_r_1": abs(row["acf_r_1"])}


def validate_scenarios(targets: tuple[ValidatedScenario, ...], real_returns: pd.Series,
                       tick: Tick | None = None) -> dict:
    """Each validated scenario against the S&P 500 and FINRA (:func:`sim.analysis.validated.run_validated`)."""
    real_debt, real_index = real_monthly(real_returns)
    real = real_facts(real_returns.to_numpy(), real_debt.to_numpy(), real_index)
    return {"real": real, "targets": [run_validated(t, real, tick) for t in targets]}


def validate(sizes: Sizes = FULL, on_progress: Callable[[int, int], None] | None = None) -> dict:
    """Run every comparison; returns the JSON-ready result (facts, targets, margin debt, TFG table, and
    the validated scenarios of ``sizes.targets`` under ``scenarios``).

    Parameters
    ----------
    sizes : Sizes
        :data:`FULL` (the comparison) or :data:`QUICK` (a smoke test at small sizes, expected
        to miss some targets).
    on_progress : callable, optional
        Called as ``on_progress(done, total)`` at the start and after each of the
        :func:`n_runs` simulations.

    Returns
    -------
    dict
        What :mod:`sim.report.validation` writes; ``mode`` is 'quick' or 'full'.
    """
    start = time.perf_counter()
    tick = _ticker(n_runs(sizes), on_progress)
    real = sp500_returns()
    real_facts = sf.stylized_facts(real.to_numpy())
    spec = baseline_spec(sizes)
    sim_facts, sim_rows, first_ts, first_r = [], [], None, None
    for seed in sizes.seeds:
        r, ts = run_returns(spec, seed, sizes.burn_in, tick)
        facts = sf.stylized_facts(r)
        sim_facts.append(facts)
        sim_rows.append(_with_abs(facts.row()))
        if first_ts is None:
            first_ts, first_r = ts, r
    off_r, _ = run_returns(baseline_spec(sizes, channels_on=False), sizes.seeds[0], sizes.burn_in, tick)
    off_facts = sf.stylized_facts(off_r)
    median = _median_row(sim_rows)
    targets = [{"key": t.key, "label": t.label, "range": t.text(), "real": _with_abs(real_facts.row())[t.key],
                "simulated_median": median[t.key], "simulated_min": min(r[t.key] for r in sim_rows),
                "simulated_max": max(r[t.key] for r in sim_rows), "met": t.met(median[t.key]),
                "miss": t.miss(median[t.key]), "seeds_met": sum(t.met(r[t.key]) for r in sim_rows)}
               for t in TARGETS]
    off_value = off_facts.excess_kurtosis
    targets.append({"key": "off_excess_kurtosis", "label": OFF_TARGET.label, "range": OFF_TARGET.text(),
                    "real": None, "simulated_median": off_value, "simulated_min": off_value,
                    "simulated_max": off_value, "met": OFF_TARGET.met(off_value), "miss": OFF_TARGET.miss(off_value),
                    "seeds_met": int(OFF_TARGET.met(off_value))})
    assert first_ts is not None and first_r is not None
    return {
        "version": __version__,
        "mode": "quick" if sizes == QUICK else "full",
        "sizes": {k: v for k, v in sizes.__dict__.items() if k != "targets"}
        | {"seeds": list(sizes.seeds), "tfg_seeds": list(sizes.tfg_seeds)},
        "baseline": {"scenario": BASELINE, "scenario_hash": spec.hash(), "seeds": list(sizes.seeds)},
        "real": {"source": "arch.data.sp500, adjusted close", "first_day": str(real.index[0].date()),
                 "last_day": str(real.index[-1].date()), "facts": real_facts.to_json()},
        "simulated": [f.to_json() for f in sim_facts],
        "simulated_median": median,
        "channels_off": off_facts.to_json(),
        "targets": targets,
        "distribution": {"edges": DENSITY_EDGES.tolist(), "tail_grid": tail_grid().tolist(),
                         "real": distribution(real.to_numpy()), "simulated": distribution(first_r),
                         "channels_off": distribution(off_r)},
        "margin_debt": margin_debt_comparison(first_ts.iloc[sizes.burn_in:], real),
        "tfg": {"scenario": TFG, "days": sizes.tfg_days, "seeds": list(sizes.tfg_seeds),
                "rows": tfg_sweep(sizes, tick)},
        "scenarios": validate_scenarios(sizes.targets, real, tick),
        "seconds": time.perf_counter() - start,
    }

