"""FINRA's monthly margin statistics, as packaged in ``sim/data`` (source named in its README).

One place for every number the scenarios take from FINRA's history: debit balances and
free credit balances at a month end ($), year-on-year growth of debit balances, the major
peaks of margin debt and the falls that followed, and the leverage growth that makes a
scenario's margin debt grow at the FINRA pace leading into its date.

FINRA reports US$ millions at each month end; the functions here return $ (or fractions).
Months are given as ``"YYYY-MM"`` (a ``"YYYY-MM-DD"`` date or a ``pandas.Period`` also works).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

from sim.core import detmath

MILLION = 1e6
"""FINRA reports $ millions."""
DEBIT_FILE = "finra_margin_debt_1997_2026.csv"
"""Debit balances in customers' securities margin accounts, 1997-01 .. 2026-07."""
STATISTICS_FILE = "finra_margin_statistics_1997_2021.csv"
"""FINRA's table with free credit balances, 1997-01 .. 2021-11 (newest first, thousands separators)."""
COMBINED_CREDIT_UNTIL = pd.Period("2010-01", "M")
"""Up to this month FINRA's table fills one credit column only (cash and margin accounts combined)."""


SCENARIO_MONTHS = {
    "dotcom-2000": "2000-03",
    "gfc-2007": "2007-07",
    "volmageddon-2018": "2018-01",
    "covid-2020": "2020-01",
    "peak-2021": "2021-10",
    "finra-2026-05": "2026-05",
    "stagflation": "2026-05",
    "recession": "2026-05",
    "broker-tightening": "2026-05",
}
"""The FINRA month (day 0) of each built-in scenario calibrated to FINRA's history."""


class FinraDataError(KeyError):
    """A month outside the packaged history (one-line message naming the month and the span)."""

    def __str__(self) -> str:
        return str(self.args[0])


def _open(name: str):
    return (resources.files("sim") / "data" / name).open(encoding="utf-8-sig")


@cache
def debit_balances() -> pd.Series:
    """Debit balances ($ millions) by month (``pandas.Period``), oldest first."""
    with _open(DEBIT_FILE) as fh:
        df = pd.read_csv(fh)
    index = pd.PeriodIndex(pd.to_datetime(df["date"]), freq="M")
    return pd.Series(df["value"].astype(float).to_numpy(), index=index, name="debit_balances")


@cache
def statistics() -> pd.DataFrame:
    """FINRA's table ($ millions) by month, oldest first: ``debit``, ``free_credit_cash``,
    ``free_credit_margin`` (empty up to 2010-01) and ``free_credit`` (cash + margin accounts;
    up to 2010-01 the one filled column, which already combines both)."""
    with _open(STATISTICS_FILE) as fh:
        df = pd.read_csv(fh, thousands=",")
    df.columns = ["month", "debit", "free_credit_cash", "free_credit_margin"]
    df.index = pd.PeriodIndex(df.pop("month"), freq="M")
    df = df.astype(float).sort_index()
    df["free_credit"] = df["free_credit_cash"] + df["free_credit_margin"].fillna(0.0)
    return df


def month(when: str | pd.Period) -> pd.Period:
    """A month as a ``pandas.Period``."""
    return when if isinstance(when, pd.Period) else pd.Period(str(when)[:7], "M")


def _value(series: pd.Series, when: str | pd.Period, what: str) -> float:
    m = month(when)
    if m not in series.index:
        raise FinraDataError(f"{what} for {m}: not in the packaged FINRA history "
                             f"({series.index[0]} .. {series.index[-1]})")
    return float(series.loc[m])


def debit_usd(when: str | pd.Period) -> float:
    """Margin debt (FINRA debit balances) at a month end, $."""
    return _value(debit_balances(), when, "debit balances") * MILLION


def free_credit_usd(when: str | pd.Period) -> float:
    """Free credit balances (cash + securities margin accounts) at a month end, $ (1997-01 .. 2021-11)."""
    return _value(statistics()["free_credit"], when, "free credit balances") * MILLION


def net_credit_balance_usd(when: str | pd.Period) -> float:
    """FINRA's net credit balance = free credit balances - debit balances, $."""
    return free_credit_usd(when) - debit_usd(when)


def yoy_growth(when: str | pd.Period) -> float:
    """Growth of debit balances over the 12 months to ``when`` (fraction: 0.805 = +80.5%)."""
    m = month(when)
    return debit_usd(m) / debit_usd(m - 12) - 1.0


def yoy_series() -> pd.Series:
    """Year-on-year growth of debit balances for every month with a value 12 months before."""
    d = debit_balances()
    return (d / d.shift(12) - 1.0).dropna()


@dataclass(frozen=True)
class Fall:
    """A peak of margin debt and the lowest month before debt regained it."""
    peak: pd.Period
    peak_usd: float
    trough: pd.Period
    trough_usd: float

    @property
    def fall(self) -> float:
        """Fall from peak to trough, a negative fraction (-0.546 = -54.6%)."""
        return self.trough_usd / self.peak_usd - 1.0


def fall_after(when: str | pd.Period) -> Fall:
    """The fall of margin debt from ``when``: the lowest month before debt regains its level."""
    d = debit_balances()
    m = month(when)
    level = _value(d, m, "debit balances")
    after = d.loc[m:].iloc[1:]
    regained = after[after >= level]
    window = after.loc[:regained.index[0]].iloc[:-1] if len(regained) else after
    if window.empty:
        return Fall(m, level * MILLION, m, level * MILLION)
    trough = window.idxmin()
    return Fall(m, level * MILLION, trough, float(window.loc[trough]) * MILLION)


def major_falls(min_fall: float = 0.30) -> list[Fall]:
    """Record highs of margin debt followed by a fall of at least ``min_fall`` before a new record."""
    d = debit_balances()
    falls, record = [], -math.inf
    for m, value in d.items():
        if value <= record:
            continue
        record = value
        f = fall_after(m)
        if -f.fall >= min_fall:
            falls.append(f)
    return falls


def leverage_growth(when: str | pd.Period, price_drift_per_year: float) -> float:
    """Annual log growth of investors' leverage targets (above 1) that, on top of prices
    drifting at ``price_drift_per_year`` (log), makes margin debt grow at FINRA's
    year-on-year pace into ``when``: ln(1 + yoy growth) - price drift.

    Debt = (leverage - 1) x equity: at constant leverage it grows with the market, so the
    growth FINRA shows beyond the market's drift is given to leverage. Used by the
    scenarios' ``leverage_growth`` events for the run-up before their turning point.
    """
    return detmath.log1p(yoy_growth(when)) - price_drift_per_year
