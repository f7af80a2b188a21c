"""A universe of stocks: tickers, sectors, market values, betas, idiosyncratic vols and daily volumes.

:class:`Universe` holds N stocks (1 to :data:`MAX_STOCKS`) as columns and validates them when
built: every bad value is one :class:`~sim.config.fields.ScenarioError` line naming the column,
the row and the allowed range. Two ways to get one:

* :func:`synthetic_universe` -- a deterministic default calibrated to public facts about the
  US market (:mod:`sim.config.universe_synthetic` gives the numbers and their sources);
* :func:`load_universe` -- a user's own table, CSV or Parquet, with exactly the columns of
  :data:`COLUMNS` (``sim/data/universe_example.csv`` is an example).

Sectors are free text (any printable name up to 64 characters), so a user may use GICS sectors,
industries or themes ("semiconductors"); the synthetic universe uses the 11 GICS sector names
(:data:`sim.config.universe_synthetic.GICS_SECTORS`). Summaries for the docs and the tests:
:func:`top_share`, :func:`hhi`, :func:`sector_weights`. Sums are :func:`math.fsum` (correctly rounded:
the same on every CPU).

Nothing here is wired into the scenarios or the models yet (issue 15, future work).
"""

from __future__ import annotations

import difflib
import math
import os
from dataclasses import dataclass, fields
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from sim.config.fields import Field, ScenarioError, check, show
from sim.config.universe_synthetic import synthetic_columns

MAX_STOCKS = 5000
"""Most stocks a universe may hold."""
MAX_NAME = 64
"""Longest ticker or sector name (characters)."""
MAX_FILE_BYTES = 64 * 2**20
"""Largest universe file read."""
BETA_RANGE = (-1.0, 4.0)
"""Allowed betas. Assumption: listed US stocks' betas to the market lie well inside [-1, 4]
(gold miners and some defensives near 0, the most levered names 2 to 3); outside it is an error."""
MAX_VOL = 3.0
"""Largest annual idiosyncratic volatility (300%): beyond that a stock is not a stock but a lottery."""

SPECS: dict[str, Field] = {
    "ticker": Field(str, doc="unique name of the stock (printable, 1 to 64 characters)"),
    "sector": Field(str, doc="sector name, free text (printable, 1 to 64 characters)"),
    "market_value_usd": Field(float, lo=0.0, lo_open=True, unit="USD", doc="market capitalisation"),
    "beta": Field(float, lo=BETA_RANGE[0], hi=BETA_RANGE[1], doc="beta to the market"),
    "idio_vol": Field(float, lo=0.0, hi=MAX_VOL, lo_open=True, unit="annual",
                      doc="idiosyncratic volatility, annualised"),
    "adv_usd": Field(float, lo=0.0, lo_open=True, unit="USD a day", doc="average daily dollar volume"),
}
"""What each column of a :class:`Universe` allows (the attribute names)."""
COLUMNS = {"ticker": "ticker", "sector": "sector", "market_value_usd": "market_value_usd", "adv_usd": "adv_usd",
           "vol": "idio_vol", "beta": "beta"}
"""The columns of a universe file, exactly these, in any order -> the :class:`Universe` attribute they fill."""
_NAME_ALLOWED = f"a printable name of 1 to {MAX_NAME} characters without leading or trailing spaces"


def _fail(where: str, column: str, message: str, allowed: str) -> ScenarioError:
    return ScenarioError(f"{where}: {message}", field=f"universe.{column}", allowed=allowed)


def _is_name(text: Any) -> bool:
    return isinstance(text, str) and 0 < len(text) <= MAX_NAME and text.isprintable() and text.strip() == text


def _row(i: int, tickers: Any) -> str:
    t = tickers[i] if i < len(tickers) else None
    return f"row {i + 1}" + (f" (ticker {t!r})" if _is_name(t) else "")


def _check_names(values: Any, column: str, label: str, where: str, tickers: Any) -> tuple[str, ...]:
    for i, v in enumerate(values):
        if not _is_name(v):
            raise _fail(where, label, f"{_row(i, tickers)}: {label} = {show(v)}: must be {_NAME_ALLOWED}",
                        _NAME_ALLOWED)
    return tuple(values)


def _check_numbers(values: Any, column: str, label: str, where: str, tickers: Any) -> np.ndarray:
    spec = SPECS[column]
    out = np.empty(len(values), dtype=np.float64)
    for i, v in enumerate(values):
        ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
        x = float(v) if ok else math.nan
        v = v.item() if isinstance(v, np.generic) else v  # shown as 0.5, not np.float64(0.5)
        lo, hi = spec.lo, spec.hi
        if not (ok and math.isfinite(x) and (x > lo if spec.lo_open else x >= lo) and (hi is None or x <= hi)):
            raise _fail(where, label, f"{_row(i, tickers)}: {label} = {show(v)}: must be {spec.allowed()}",
                        spec.allowed())
        out[i] = x
    out.flags.writeable = False
    return out


def validate_columns(columns: dict[str, Any], where: str = "universe",
                     labels: dict[str, str] | None = None) -> dict[str, Any]:
    """The columns of a universe checked and converted (names to tuples, numbers to read-only float64 arrays).

    Parameters
    ----------
    columns : dict
        One sequence per attribute of :class:`Universe` (keys of :data:`SPECS`).
    where : str
        What the message names first (``universe``, ``universe file 'x.csv'``).
    labels : dict, optional
        The name to show for each attribute (a file's column names); the attribute name by default.

    Returns
    -------
    dict
        The checked columns, same keys.

    Raises
    ------
    ScenarioError
        One line: the first bad row and column with the allowed range, a duplicate ticker, a column
        of another length, or a count of stocks outside 1 to :data:`MAX_STOCKS`.
    """
    labels = labels or {}
    n = len(columns["ticker"])
    if not 1 <= n <= MAX_STOCKS:
        raise ScenarioError(f"{where}: {n} stocks: must hold 1 to {MAX_STOCKS}", field="universe",
                            allowed=f"1 to {MAX_STOCKS} stocks")
    for name, values in columns.items():
        if len(values) != n:
            raise _fail(where, labels.get(name, name), f"{labels.get(name, name)} has {len(values)} values: must "
                        f"have one per ticker ({n})", f"{n} values")
    tickers = columns["ticker"]
    out: dict[str, Any] = {}
    for name in SPECS:
        check = _check_names if SPECS[name].type is str else _check_numbers
        out[name] = check(columns[name], name, labels.get(name, name), where, tickers)
    first: dict[str, int] = {}
    for i, t in enumerate(out["ticker"]):
        if t in first:
            label = labels.get("ticker", "ticker")
            raise _fail(where, label, f"rows {first[t] + 1} and {i + 1}: {label} = {t!r} twice: tickers must be "
                        "unique", "unique tickers")
        first[t] = i
    return out


@dataclass(frozen=True, eq=False)
class Universe:
    """N stocks as columns (row i is one stock); checked when built (see :func:`validate_columns`).

    Attributes
    ----------
    ticker, sector : tuple of str
        Unique stock names; sector names (free text).
    market_value_usd : numpy.ndarray
        Market capitalisation, USD (> 0).
    beta : numpy.ndarray
        Beta to the market, in :data:`BETA_RANGE`.
    idio_vol : numpy.ndarray
        Annual idiosyncratic volatility, in (0, 3].
    adv_usd : numpy.ndarray
        Average daily dollar volume, USD (> 0).
    """
    ticker: tuple[str, ...]
    sector: tuple[str, ...]
    market_value_usd: np.ndarray
    beta: np.ndarray
    idio_vol: np.ndarray
    adv_usd: np.ndarray

    def __post_init__(self) -> None:
        columns = validate_columns({f.name: getattr(self, f.name) for f in fields(self)})
        for name, values in columns.items():
            object.__setattr__(self, name, values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Universe):
            return NotImplemented
        return all(np.array_equal(getattr(self, f.name), getattr(other, f.name)) for f in fields(self))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"Universe(n={self.n}, sectors={len(self.sectors)}, "
                f"market_value_usd={math.fsum(self.market_value_usd):.4g})")

    @property
    def n(self) -> int:
        """Number of stocks."""
        return len(self.ticker)

    @property
    def sectors(self) -> tuple[str, ...]:
        """The distinct sector names, in order of first appearance."""
        return tuple(dict.fromkeys(self.sector))

    @property
    def sector_index(self) -> np.ndarray:
        """Each stock's sector as an index into :attr:`sectors` (int64; what the kernels take)."""
        index = {s: i for i, s in enumerate(self.sectors)}
        return np.array([index[s] for s in self.sector], dtype=np.int64)

    @property
    def weights(self) -> np.ndarray:
        """Each stock's share of the universe's market value."""
        return self.market_value_usd / math.fsum(self.market_value_usd)


# ------------------------------------------------------------------------------ summaries

def top_share(universe: Universe, k: int) -> float:
    """Share of the universe's market value held by its ``k`` largest stocks (all of it when k >= N)."""
    caps = np.sort(universe.market_value_usd)[::-1]
    return math.fsum(caps[:k]) / math.fsum(caps)


def hhi(universe: Universe) -> float:
    """Herfindahl-Hirschman index of market value: sum of squared weights, in (0, 1] (x 10,000 for 'points')."""
    return math.fsum(universe.weights ** 2)


def sector_weights(universe: Universe) -> dict[str, float]:
    """Each sector's share of market value, sectors in order of first appearance."""
    total = math.fsum(universe.market_value_usd)
    cap = universe.market_value_usd
    return {s: math.fsum(cap[[x == s for x in universe.sector]]) / total for s in universe.sectors}


# ------------------------------------------------------------------------------ loading

def _file_error(where: str, message: str, allowed: str = "a .csv or .parquet universe file") -> ScenarioError:
    return ScenarioError(f"{where}: {message}", field="universe", allowed=allowed)


def _check_file(path: Path, where: str) -> None:
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise _file_error(where, "must be a .csv or .parquet file")
    try:
        if not path.exists():
            raise _file_error(where, "not found")
        if not path.is_file():
            raise _file_error(where, "is a folder, not a file" if path.is_dir() else "not a regular file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise _file_error(where, f"larger than {MAX_FILE_BYTES // 2**20} MiB")
    except OSError as exc:
        raise _file_error(where, f"cannot be read ({exc.strerror or type(exc).__name__})") from None


def _read_table(path: Path, where: str) -> Any:
    import pandas as pd  # only to read a user's file: a scenario's checks load the config layer without pandas

    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig")
        return pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        raise _file_error(where, "empty (no header row)") from None
    except UnicodeDecodeError as exc:
        raise _file_error(where, f"not UTF-8 text (byte {exc.start})") from None
    except PermissionError:
        raise _file_error(where, "cannot be read (permission denied)") from None
    except Exception as exc:
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        kind = "CSV" if path.suffix.lower() == ".csv" else "Parquet"
        raise _file_error(where, f"not a readable {kind} file ({reason})") from None


def _number(text: Any) -> Any:
    """A CSV cell as a float when it reads as one, else the text itself (the check then names it)."""
    if isinstance(text, str):
        try:
            return float(text)
        except ValueError:
            return text
    return text


def load_universe(path: str | PathLike[str]) -> Universe:
    """A universe from a CSV or Parquet file with exactly the columns of :data:`COLUMNS`.

    Columns: ``ticker`` (unique), ``sector`` (free text), ``market_value_usd`` (> 0, USD),
    ``adv_usd`` (> 0, USD a day), ``vol`` (annual idiosyncratic volatility in (0, 3]) and ``beta``
    (in [-1, 4]); one row per stock, 1 to 5,000 rows, in any order. CSV is UTF-8 with a header row.
    A relative path is taken from the current folder.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` or ``.parquet`` file.

    Returns
    -------
    Universe
        The stocks in the file's row order.

    Raises
    ------
    ScenarioError
        One line for every bad file: missing, a folder, another extension, unreadable, empty, a
        missing or unknown column, no rows, a non-number, NaN, a value out of range (naming the row
        and the column), a duplicate ticker.
    """
    path = Path(path)
    where = f"universe file {os.fspath(path)!r}"
    _check_file(path, where)
    table = _read_table(path, where)
    names = [str(c) for c in table.columns]
    for name in names:
        if name not in COLUMNS:
            close = difflib.get_close_matches(name, COLUMNS, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise _file_error(where, f"unknown column {name!r}; {hint}columns must be exactly: " + ", ".join(COLUMNS),
                              ", ".join(COLUMNS))
    for name in COLUMNS:
        if name not in names:
            raise _file_error(where, f"missing column {name!r}; columns must be exactly: " + ", ".join(COLUMNS),
                              ", ".join(COLUMNS))
    if len(table) == 0:
        raise _file_error(where, f"no rows: must hold 1 to {MAX_STOCKS} stocks", f"1 to {MAX_STOCKS} stocks")
    columns = {}
    for name, attr in COLUMNS.items():
        values = table[name].tolist()
        columns[attr] = values if SPECS[attr].type is str else [_number(v) for v in values]
    checked = validate_columns(columns, where, labels={a: c for c, a in COLUMNS.items()})
    return Universe(**checked)


_N = Field(int, lo=1, hi=MAX_STOCKS)
_SEED = Field(int, lo=0, hi=2**63 - 1)
_CAP = Field(float, lo=0.0, lo_open=True, unit="USD")


def synthetic_universe(n: int = 500, seed: int = 20260515, total_cap_usd: float = 6.5e13) -> Universe:
    """The synthetic default universe: ``n`` stocks calibrated to public facts.

    The rules and their sources are in :mod:`sim.config.universe_synthetic`: a two-regime
    rank-size rule for market values (of 500 names the largest holds 7.5%, the top 10 38.5%, the
    top 50 61.9%), the S&P 500's names per GICS sector and sector weights of Nov 2025,
    idiosyncratic vols and daily turnover falling with size, sector betas scaled to a
    cap-weighted beta of 1.

    Parameters
    ----------
    n : int
        Number of stocks, 1 to 5,000 (default 500, the S&P 500's size).
    seed : int
        Root of ``numpy.random.SeedSequence``; the same seed gives the same universe, bit for bit.
    total_cap_usd : float
        Total market value, USD (> 0; default the calibrated market's $65 trillion).

    Returns
    -------
    Universe
        Tickers ``S0001`` .. (largest first), GICS sectors, caps, betas, idiosyncratic vols and ADVs.

    Raises
    ------
    ScenarioError
        One line when ``n``, ``seed`` or ``total_cap_usd`` is out of range.
    """
    n = check(n, _N, "universe.n", error=ScenarioError)
    seed = check(seed, _SEED, "universe.seed", error=ScenarioError)
    total_cap_usd = check(total_cap_usd, _CAP, "universe.total_cap_usd", error=ScenarioError)
    return Universe(**synthetic_columns(n, seed, total_cap_usd))
