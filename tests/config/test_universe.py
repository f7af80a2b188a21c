"""The stock universe: the synthetic default meets its stated facts, summaries, and every bad input is one line."""

from __future__ import annotations

import math
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from sim.config.fields import ScenarioError
from sim.config.universe import (
    COLUMNS,
    MAX_STOCKS,
    Universe,
    hhi,
    load_universe,
    sector_weights,
    synthetic_universe,
    top_share,
)
from sim.config.universe_synthetic import (
    GIANT_EXPONENT,
    SECTOR_COUNTS,
    SECTOR_WEIGHTS,
    TAIL_EXPONENT,
    TAIL_LEVEL,
    sector_counts,
)


@pytest.fixture(scope="module")
def default():
    return synthetic_universe()


def _one_line(excinfo) -> str:
    msg = str(excinfo.value)
    assert "\n" not in msg and "Traceback" not in msg
    return msg


def _tiny(**change) -> dict:
    cols = dict(ticker=("A", "B", "C", "D"), sector=("x", "y", "x", "z"),
                market_value_usd=np.array([4.0, 3.0, 2.0, 1.0]), beta=np.array([1.0, 0.5, 1.5, 2.0]),
                idio_vol=np.array([0.2, 0.3, 0.25, 0.4]), adv_usd=np.array([0.04, 0.03, 0.02, 0.01]))
    return cols | change


# ------------------------------------------------------------------- summaries and the dataclass

def test_summaries_known_answers():
    u = Universe(**_tiny())
    assert [top_share(u, k) for k in (1, 2, 4, 10)] == pytest.approx([0.4, 0.7, 1.0, 1.0], rel=1e-15)
    assert hhi(u) == pytest.approx(0.16 + 0.09 + 0.04 + 0.01, rel=1e-15)
    assert sector_weights(u) == pytest.approx({"x": 0.6, "y": 0.3, "z": 0.1}, rel=1e-15)
    assert u.sectors == ("x", "y", "z") and u.sector_index.tolist() == [0, 1, 0, 2] and u.n == 4
    assert repr(u) == "Universe(n=4, sectors=3, market_value_usd=10)"


def test_columns_are_read_only_and_equality_is_by_value():
    u = Universe(**_tiny())
    with pytest.raises(ValueError):
        u.beta[0] = 2.0
    assert u == Universe(**_tiny()) and u != Universe(**_tiny(beta=np.array([1.0, 0.5, 1.5, 2.5])))


BAD_COLUMNS = [
    ({"ticker": ("A", "B", "A", "D")}, "universe.ticker", "rows 1 and 3: ticker = 'A' twice: tickers must be unique"),
    ({"ticker": ("A", "", "C", "D")}, "universe.ticker", "row 2: ticker = '': must be a printable name"),
    ({"sector": ("x", " y", "x", "z")}, "universe.sector", "row 2 (ticker 'B'): sector = ' y': must be"),
    ({"market_value_usd": np.array([4.0, 0.0, 2.0, 1.0])}, "universe.market_value_usd",
     "row 2 (ticker 'B'): market_value_usd = 0.0: must be a finite number > 0 (USD)"),
    ({"beta": np.array([1.0, 0.5, 4.5, 2.0])}, "universe.beta",
     "row 3 (ticker 'C'): beta = 4.5: must be a finite number in [-1, 4]"),
    ({"idio_vol": np.array([0.2, math.nan, 0.2, 0.2])}, "universe.idio_vol",
     "row 2 (ticker 'B'): idio_vol = nan: must be a finite number in (0, 3] (annual)"),
    ({"adv_usd": np.array([1.0, 1.0, 1.0, -math.inf])}, "universe.adv_usd", "row 4 (ticker 'D'): adv_usd = -inf"),
    ({"beta": np.array([1.0, 1.0, 1.0])}, "universe.beta", "beta has 3 values: must have one per ticker (4)"),
]


@pytest.mark.parametrize(("change", "field", "expected"), BAD_COLUMNS, ids=[b[1] + str(i) for i, b in
                                                                             enumerate(BAD_COLUMNS)])
def test_bad_columns_are_one_line(change, field, expected):
    with pytest.raises(ScenarioError) as err:
        Universe(**_tiny(**change))
    assert _one_line(err).startswith("universe: ") and expected in str(err.value)
    assert err.value.field == field


def test_stock_count_limits():
    with pytest.raises(ScenarioError, match=r"^universe: 0 stocks: must hold 1 to 5000$"):
        Universe(**{k: v[:0] for k, v in _tiny().items()})
    with pytest.raises(ScenarioError, match=r"^universe: 5001 stocks: must hold 1 to 5000$"):
        big = MAX_STOCKS + 1
        Universe(ticker=tuple(f"T{i}" for i in range(big)), sector=("s",) * big, market_value_usd=np.ones(big),
                 beta=np.ones(big), idio_vol=np.full(big, 0.2), adv_usd=np.ones(big))


# ------------------------------------------------------------------- the synthetic default

def test_synthetic_default_reproduces_its_stated_facts(default):
    assert default.n == 500 and default.ticker[0] == "S0001" and default.ticker[-1] == "S0500"
    assert math.fsum(default.market_value_usd) == pytest.approx(6.5e13, rel=1e-12)
    assert top_share(default, 1) == pytest.approx(0.075, abs=0.0002)    # stated: 7.5% (2025: about 7-8%)
    assert top_share(default, 10) == pytest.approx(0.385, abs=0.0002)   # stated: 38.5% (2025: 37-40%)
    assert top_share(default, 50) == pytest.approx(0.619, abs=0.0002)   # stated: 61.9%
    # the rank-size rule: k^-GIANT_EXPONENT up to rank 10, TAIL_LEVEL x k^-TAIL_EXPONENT beyond
    caps = default.market_value_usd
    assert np.log(caps[0] / caps[[4, 9]]) / np.log([5, 10]) == pytest.approx(GIANT_EXPONENT, rel=1e-12)
    assert np.log(caps[10] / caps[[99, 499]]) / np.log([100 / 11, 500 / 11]) == pytest.approx(TAIL_EXPONENT, rel=1e-12)
    assert caps[10] / caps[9] == pytest.approx(TAIL_LEVEL * 11**-TAIL_EXPONENT / 10**-GIANT_EXPONENT, rel=1e-12)
    k = np.arange(1, 501.0)
    raw = np.where(k <= 10, k**-GIANT_EXPONENT, TAIL_LEVEL * k**-TAIL_EXPONENT)
    assert hhi(default) == pytest.approx(np.sum((raw / raw.sum()) ** 2), rel=1e-12)


def test_synthetic_sectors_meet_their_counts_and_weights(default):
    total = sum(SECTOR_WEIGHTS.values())
    weights = sector_weights(default)
    assert set(weights) == set(SECTOR_WEIGHTS)
    for sector, w in weights.items():   # stated: within 0.001 percentage points of the Nov 2025 weights
        assert w == pytest.approx(SECTOR_WEIGHTS[sector] / total, abs=1e-5), sector
        assert default.sector.count(sector) == SECTOR_COUNTS[sector], sector   # stated: every count exact
    assert sum(SECTOR_COUNTS.values()) == 500 and max(weights, key=weights.get) == "Information Technology"
    assert max(SECTOR_COUNTS, key=SECTOR_COUNTS.get) == "Industrials"
    # the sectors whose value sits in few names take the giants: IT holds most of the top 10
    assert default.sector[:10].count("Information Technology") >= 5


def test_sector_counts_by_largest_remainders():
    counts = {"a": 5, "b": 3, "c": 2}     # of 10: scaled to 5 -> quotas 2.5, 1.5, 1.0
    assert sector_counts(5, counts) == {"a": 3, "b": 1, "c": 1}   # tie 0.5 = 0.5: the first key wins
    assert sector_counts(10, counts) == counts and sector_counts(20, counts) == {"a": 10, "b": 6, "c": 4}
    assert sector_counts(1, counts) == {"a": 1, "b": 0, "c": 0}
    scaled = sector_counts(5000, SECTOR_COUNTS)
    assert scaled == {s: 10 * c for s, c in SECTOR_COUNTS.items()}


def test_synthetic_betas_vols_and_volumes(default):
    assert math.fsum(default.weights * default.beta) == pytest.approx(1.0, rel=1e-12)
    assert 0.2 < default.beta.min() and default.beta.max() < 1.6
    log_cap = np.log(default.market_value_usd)
    assert np.corrcoef(log_cap, np.log(default.idio_vol))[0, 1] < -0.3   # smaller names more volatile
    turnover = default.adv_usd / default.market_value_usd
    assert np.corrcoef(log_cap, np.log(turnover))[0, 1] < -0.3           # and trade more of their value
    assert 0.002 < turnover.min() and turnover.max() < 0.02 and 0.1 < default.idio_vol.min()
    assert default.idio_vol.max() < 0.6


def test_synthetic_is_identical_for_a_seed_and_differs_for_another(default):
    again = synthetic_universe(seed=20260515)
    assert again == default and again.sector == default.sector and np.array_equal(again.beta, default.beta)
    other = synthetic_universe(seed=1)
    assert other != default and not np.array_equal(other.idio_vol, default.idio_vol)
    assert other.sector != default.sector   # the seed deals the names to sectors differently
    assert np.array_equal(other.market_value_usd, default.market_value_usd)   # the caps are the rank-size rule
    assert {s: other.sector.count(s) for s in SECTOR_COUNTS} == SECTOR_COUNTS   # and the counts are fixed


def test_synthetic_5000_stocks():
    u = synthetic_universe(n=MAX_STOCKS, total_cap_usd=5e13)
    assert u.n == 5000 and len(set(u.ticker)) == 5000
    assert math.fsum(u.market_value_usd) == pytest.approx(5e13, rel=1e-12)
    assert [top_share(u, k) for k in (1, 10, 50)] == pytest.approx([0.0523, 0.2683, 0.4314], abs=0.0002)
    total = sum(SECTOR_WEIGHTS.values())
    for sector, w in sector_weights(u).items():
        assert w == pytest.approx(SECTOR_WEIGHTS[sector] / total, abs=1e-5), sector
        assert u.sector.count(sector) == 10 * SECTOR_COUNTS[sector], sector
    one = synthetic_universe(n=1)
    assert one.market_value_usd.tolist() == [6.5e13] and one.sector == ("Industrials",)   # the largest count
    few = synthetic_universe(n=7)   # fewer names than sectors: the 7 largest counts, one name each
    assert sorted(few.sector) == sorted(("Industrials", "Financials", "Information Technology", "Health Care",
                                         "Consumer Discretionary", "Consumer Staples", "Utilities"))


@pytest.mark.parametrize(("kw", "field"), [({"n": 0}, "universe.n"), ({"n": 5001}, "universe.n"),
                                           ({"n": 2.5}, "universe.n"), ({"n": True}, "universe.n"),
                                           ({"seed": -1}, "universe.seed"),
                                           ({"total_cap_usd": 0.0}, "universe.total_cap_usd"),
                                           ({"total_cap_usd": math.nan}, "universe.total_cap_usd")])
def test_synthetic_bad_arguments(kw, field):
    with pytest.raises(ScenarioError) as err:
        synthetic_universe(**kw)
    assert _one_line(err).startswith(f"{field} = ") and err.value.field == field


# ------------------------------------------------------------------- loading files

GOOD = "ticker,sector,market_value_usd,adv_usd,vol,beta\nAAA,Tech,1e12,5e9,0.25,1.2\nBBB,Energy,2e11,1e9,0.3,0.9\n"


def _file(tmp_path, name: str, text: str | bytes):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_the_example_and_a_written_file_load(tmp_path, default):
    example = load_universe(resources.files("sim") / "data" / "universe_example.csv")
    assert example.n == 20 and example.ticker[:3] == default.ticker[:3]
    assert example.market_value_usd == pytest.approx(default.market_value_usd[:20], rel=1e-6)
    u = load_universe(_file(tmp_path, "u.csv", GOOD))
    assert u.ticker == ("AAA", "BBB") and u.idio_vol.tolist() == [0.25, 0.3] and u.adv_usd.tolist() == [5e9, 1e9]
    shuffled = ("beta,vol,adv_usd,market_value_usd,sector,ticker\n"
                "1.2,0.25,5e9,1e12,Tech,AAA\n0.9,0.3,1e9,2e11,Energy,BBB\n")
    assert load_universe(_file(tmp_path, "s.csv", shuffled)) == u
    frame = pd.DataFrame({"ticker": list(default.ticker), "sector": list(default.sector),
                          "market_value_usd": default.market_value_usd, "adv_usd": default.adv_usd,
                          "vol": default.idio_vol, "beta": default.beta})
    frame.to_parquet(tmp_path / "u.parquet")
    assert load_universe(tmp_path / "u.parquet") == default


def _rows(*rows: str) -> str:
    return "ticker,sector,market_value_usd,adv_usd,vol,beta\n" + "".join(r + "\n" for r in rows)


BAD_FILES = [
    ("missing.csv", None, "universe", "not found"),
    ("u.txt", GOOD, "universe", "must be a .csv or .parquet file"),
    ("empty.csv", "", "universe", "empty (no header row)"),
    ("header.csv", _rows(), "universe", "no rows: must hold 1 to 5000 stocks"),
    ("nocol.csv", "ticker,sector,market_value_usd,adv_usd,vol\nA,T,1,1,0.2\n", "universe",
     "missing column 'beta'; columns must be exactly: ticker, sector, market_value_usd, adv_usd, vol, beta"),
    ("extra.csv", GOOD.replace("beta\n", "beta,betta\n").replace("1.2\n", "1.2,1\n").replace("0.9\n", "0.9,1\n"),
     "universe", "unknown column 'betta'; did you mean 'beta'?"),
    ("nan.csv", _rows("A,T,1e9,1e7,nan,1"), "universe.vol", "row 1 (ticker 'A'): vol = nan: must be a finite number"),
    ("blank.csv", _rows("A,T,1e9,,0.2,1"), "universe.adv_usd", "row 1 (ticker 'A'): adv_usd = '': must be"),
    ("text.csv", _rows("A,T,1e9,1e7,0.2,1", "B,T,big,1e7,0.2,1"), "universe.market_value_usd",
     "row 2 (ticker 'B'): market_value_usd = 'big': must be a finite number > 0 (USD)"),
    ("dup.csv", _rows("A,T,1e9,1e7,0.2,1", "B,T,1e9,1e7,0.2,1", "A,U,1e9,1e7,0.2,1"), "universe.ticker",
     "rows 1 and 3: ticker = 'A' twice: tickers must be unique"),
    ("neg.csv", _rows("A,T,-1e9,1e7,0.2,1"), "universe.market_value_usd", "market_value_usd = -1000000000.0"),
    ("vol.csv", _rows("A,T,1e9,1e7,3.5,1"), "universe.vol", "vol = 3.5: must be a finite number in (0, 3] (annual)"),
    ("vol0.csv", _rows("A,T,1e9,1e7,0,1"), "universe.vol", "vol = 0.0: must be"),
    ("beta.csv", _rows("A,T,1e9,1e7,0.2,-1.5"), "universe.beta", "beta = -1.5: must be a finite number in [-1, 4]"),
    ("adv.csv", _rows("A,T,1e9,0,0.2,1"), "universe.adv_usd", "adv_usd = 0.0: must be a finite number > 0 (USD a day)"),
    ("inf.csv", _rows("A,T,inf,1e7,0.2,1"), "universe.market_value_usd", "market_value_usd = inf"),
    ("noticker.csv", _rows(",T,1e9,1e7,0.2,1"), "universe.ticker", "row 1: ticker = '': must be a printable name"),
    ("nosector.csv", _rows("A,,1e9,1e7,0.2,1"), "universe.sector", "row 1 (ticker 'A'): sector = '': must be"),
    ("ragged.csv", _rows("A,T,1e9,1e7,0.2,1", "B,T,1e9,1e7,0.2,1,7"), "universe", "not a readable CSV file"),
    ("latin1.csv", _rows("A,T\xe9,1e9,1e7,0.2,1").encode("latin-1"), "universe", "not UTF-8 text"),
    ("many.csv", _rows(*(f"T{i},S,1e9,1e7,0.2,1" for i in range(5001))), "universe",
     "5001 stocks: must hold 1 to 5000"),
    ("bad.parquet", b"PAR1 not really parquet", "universe", "not a readable Parquet file"),
]


@pytest.mark.parametrize(("name", "text", "field", "expected"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_are_one_line(tmp_path, name, text, field, expected):
    path = tmp_path / name if text is None else _file(tmp_path, name, text)
    with pytest.raises(ScenarioError) as err:
        load_universe(path)
    msg = _one_line(err)
    assert msg.startswith(f"universe file {str(path)!r}: ") and expected in msg, msg
    assert err.value.field == field and err.value.allowed


def test_a_folder_and_bad_parquet_values(tmp_path):
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(ScenarioError, match=r": is a folder, not a file$"):
        load_universe(tmp_path / "d.csv")
    frame = pd.DataFrame({c: [v] for c, v in zip(COLUMNS, ("A", "T", 1e9, 1e7, math.nan, 1.0), strict=True)})
    frame.to_parquet(tmp_path / "nan.parquet")
    with pytest.raises(ScenarioError, match=r"row 1 \(ticker 'A'\): vol = nan: must be a finite number in \(0, 3\]"):
        load_universe(tmp_path / "nan.parquet")
    frame["vol"], frame["ticker"] = 0.2, 7
    frame.to_parquet(tmp_path / "int.parquet")
    with pytest.raises(ScenarioError, match=r"row 1: ticker = 7: must be a printable name") as err:
        load_universe(tmp_path / "int.parquet")
    assert err.value.field == "universe.ticker"
