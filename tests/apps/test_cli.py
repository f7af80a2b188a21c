"""The command line: runs, outputs, one-line errors with exit code 2 and no files."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim import __version__
from sim.apps.cli import main
from sim.config.scenario import load

SMALL = ["--set", "margin.accounts=2000", "--days", "80"]
REQUIRED_COLUMNS = {"day", "index_level", "index_return", "margin_debt", "free_credit", "net_credit_balance",
                    "margin_calls", "forced_sales_usd", "broker_losses", "realized_vol"}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_with_the_stock_layer_writes_the_per_stock_table_attribution_and_figures(tmp_path, capsys):
    out = tmp_path / "stocks"
    args = ["run", "meme-squeeze", "--days", "20", "--out", str(out), "--set", "margin.accounts=2000",
            "--set", "stocks.accounts=2000"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "stock book" in text and "stock sales" in text and "wrote        " + str(out / "stocks.parquet") in text
    stocks = pd.read_parquet(out / "stocks.parquet")
    assert len(stocks) == 20 * 3000 and list(stocks["day"].unique()) == list(range(20))
    names = pd.read_csv(out / "stock_attribution.csv")
    assert len(names) == 3000 and {"ticker", "drawdown_margin", "forced_sales_usd_margin"} <= set(names.columns)
    assert len(pd.read_csv(out / "sector_attribution.csv")) == 11
    for png in ("stock_heatmap.png", "stock_sectors.png"):
        assert (out / png).stat().st_size > 10_000
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stocks"]["names"] == 3000 and summary["stocks"]["accounts"] == 2000


def test_run_writes_timeseries_summary_and_figure(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "finra-2026-05", "--seed", "3", "--out", str(out), *SMALL]) == 0
    text = capsys.readouterr().out
    assert "finra-2026-05" in text and "margin debt" in text
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert REQUIRED_COLUMNS <= set(ts.columns)
    assert {f"price_{a}" for a in load("finra-2026-05").market.assets} <= set(ts.columns)
    assert len(ts) == 80 and list(ts["day"]) == list(range(80))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["version"] == __version__ and summary["seed"] == 3
    spec = load("finra-2026-05", ["margin.accounts=2000", "simulation.days=80"])
    assert summary["scenario_hash"] == spec.hash() and summary["scenario"] == spec.to_dict()
    for key in ("total_return", "max_drawdown", "worst_day_return", "excess_kurtosis", "margin_calls",
                "forced_sales_usd", "broker_losses_usd"):
        assert key in summary["metrics"]
    assert (out / "overview.png").stat().st_size > 10_000


def test_same_seed_gives_identical_files(tmp_path):
    for name in ("a", "b"):
        assert main(["run", "baseline", "--seed", "9", "--out", str(tmp_path / name), "--no-figure",
                     "--set", "margin.accounts=1000", "--days", "30"]) == 0
    for file in ("timeseries.parquet", "summary.json"):
        assert _digest(tmp_path / "a" / file) == _digest(tmp_path / "b" / file)


BAD_ARGS = [
    ["run", "no-such-scenario"],
    ["run", "baseline", "--seed", "-1"],
    ["run", "baseline", "--seed", "abc"],
    ["run", "baseline", "--days", "0"],
    ["run", "baseline", "--set", "margin.maintenance=0.7"],
    ["run", "baseline", "--set", "margin.maintenance=0.1"],
    ["run", "baseline", "--set", "margin.accounts=-5"],
    ["run", "baseline", "--set", "margin.accounts=nan"],
    ["run", "baseline", "--set", "margin.leverage_mean=inf"],
    ["run", "baseline", "--set", "margin.unknown=1"],
    ["run", "baseline", "--set", "impact.model=cubic"],
    ["run", "baseline", "--set", "market.correlation=1.5"],
    ["run", "baseline", "--set", "brokers.0.share=0.5"],
    ["run", "baseline", "--set", "brokers.3.share=0.5"],
    ["run", "baseline", "--set", "noequals"],
    ["run", "finra-2026-05", "--days", "30"],  # the shock day falls outside the run
    ["run", "baseline", "--mode", "turbo"],
    ["account", "--value", "-5", "--debt", "1"],
    ["account", "--value", "100", "--debt", "1", "--maintenance", "1.5"],
    ["account", "--value", "abc", "--debt", "1"],
    ["balance", "--borrowed", "-1"],
]


@pytest.mark.parametrize("args", BAD_ARGS, ids=[" ".join(a) for a in BAD_ARGS])
def test_bad_input_is_one_line_exit_2_no_output(args, tmp_path, capsys):
    out = tmp_path / "out"
    extra = ["--out", str(out)] if args[0] == "run" else []
    assert main([*args, *extra]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "must" in lines[0] or "unknown" in lines[0] or "invalid choice" in lines[0]
    assert "Traceback" not in captured.err and captured.out == ""
    assert not out.exists()


def test_python_dash_m_entry_point_and_scenarios_list():
    res = subprocess.run([sys.executable, "-m", "sim", "scenarios"], capture_output=True, text=True, check=True)
    assert "finra-2026-05" in res.stdout and "baseline" in res.stdout
    res = subprocess.run([sys.executable, "-m", "sim", "run", "baseline", "--set", "margin.maintenance=0.9"],
                         capture_output=True, text=True)
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "margin.maintenance" in res.stderr


def test_show_prints_resolved_scenario_and_hash(capsys):
    assert main(["show", "baseline", "--set", "margin.accounts=77"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scenario"]["margin"]["accounts"] == 77
    assert data["scenario_hash"] == load("baseline", ["margin.accounts=77"]).hash()
