"""The shipped experiments at their [small] size, and the Sobol machinery on a function with known indices."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config.experiment import load_experiment
from sim.config.scenario import ScenarioError
from sim.model.market_model import CHANNELS
from sim.report.experiments import analyze
from sim.sweep.engine import run_sweep
from sim.sweep.store import read_runs

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"
PENDING_SCENARIOS = ("dotcom-2000", "gfc-2007", "peak-2021", "volmageddon-2018", "covid-2020", "broker-tightening")
"""Experiment 2's scenarios that are added to the library separately."""


def _run_small(name: str, out: Path) -> tuple[pd.DataFrame, list[Path]]:
    exp = load_experiment(EXPERIMENTS / f"{name}.toml", small=True)
    report = run_sweep(exp, out, executor="serial", progress=False)
    assert report.failed == 0 and report.new == report.n_runs
    files = analyze(exp, read_runs(out), out)
    assert (out / "summary.md").exists() and (out / "manifest.json").exists()
    for png in [f for f in files if f.suffix == ".png"]:
        assert png.stat().st_size > 20_000
    return pd.read_parquet(out / "runs.parquet"), files


def test_the_five_experiments_are_shipped():
    names = sorted(p.stem for p in EXPERIMENTS.glob("*.toml"))
    assert names == ["broker-tightening", "channel-ablation", "concentration", "phase-diagram", "sobol"]
    for name in names:  # every full-size design point is a valid scenario
        try:
            load_experiment(EXPERIMENTS / f"{name}.toml")
        except ScenarioError as exc:  # the scenario library may still lack some of experiment 2's names
            assert name == "channel-ablation" and "scenario" in str(exc) and ": unknown; built-in" in str(exc)
            assert any(f"'{s}'" in str(exc) for s in PENDING_SCENARIOS), exc


def test_phase_diagram_small(tmp_path):
    runs, _ = _run_small("phase-diagram", tmp_path)
    assert len(runs) == 2 * 2 * 2
    cascade = (runs["forced_sales_usd"] + runs["forced_buyins_usd"]).groupby([runs["shock"], runs["leverage"]]).median()
    for shock in (-0.05, -0.15):  # more leverage (more debt on the same equity): a bigger cascade
        assert cascade[(shock, 1.8)] > cascade[(shock, 1.2)]
    text = (tmp_path / "summary.md").read_text()
    assert "P(doubled) [95% CI]" in text and (tmp_path / "phase_diagram.png").exists()


def test_channel_ablation_small_adds_up(tmp_path):
    runs, _ = _run_small("channel-ablation", tmp_path)
    assert len(runs) == 2 * 16 and set(runs["scenario"]) == {"baseline", "finra-2026-05"}
    att = json.loads((tmp_path / "attribution.json").read_text())["mean"]
    for metrics in att.values():
        for parts in metrics.values():  # Shapley efficiency: base + channels = total
            assert parts["base"] + sum(parts[c] for c in CHANNELS) == pytest.approx(parts["total"], abs=1e-12)
    assert att["baseline"]["shock_drawdown"]["total"] == 0.0  # no scheduled shock in the baseline
    all_on = runs[runs[list(CHANNELS)].all(axis=1) & (runs["scenario"] == "finra-2026-05")]
    assert att["finra-2026-05"]["max_drawdown"]["total"] == pytest.approx(all_on["max_drawdown"].mean())


def test_broker_tightening_small(tmp_path):
    runs, _ = _run_small("broker-tightening", tmp_path)
    control = runs[runs["raise_size"] == 0]
    # a raise of 0 points on any day is no raise: the same seed gives the same run
    assert (control.groupby("replicate")["forced_sales_usd"].nunique() == 1).all()
    raised = runs[runs["raise_size"] > 0].groupby("replicate")["forced_sales_usd"].mean()
    assert (raised > control.groupby("replicate")["forced_sales_usd"].mean()).all()  # tighter rules, more selling
    assert "the no-raise runs are identical" in (tmp_path / "summary.md").read_text()


def test_concentration_small(tmp_path):
    exp = load_experiment(EXPERIMENTS / "concentration.toml", small=True)
    aum = {lay: sum(f.aum_usd for f in exp.scenario_for({"shock_target": "index", "shock": -0.15,
                                                           "layout": lay}).letf_funds)
           for lay in ("concentrated", "spread")}
    assert aum["spread"] == pytest.approx(aum["concentrated"]) == pytest.approx(179e9)
    runs, _ = _run_small("concentration", tmp_path)
    flows = pd.read_parquet(tmp_path / "series.parquet").merge(runs, on="run_id")
    shock_day = flows[flows["day"] == 10]  # the funds rebalance at the close of the shock day
    sold = -shock_day.pivot_table(index=["shock_target", "replicate"], columns="layout", values="flow_letf_usd")
    # a financials shock: only the spread layout holds financials funds (net long), which sell into the fall
    assert (sold.loc["financials", "spread"] > sold.loc["financials", "concentrated"] + 1e9).all()
    # an index shock: the concentrated funds sit on the highest-beta sector and sell more
    assert (sold.loc["index", "concentrated"] > sold.loc["index", "spread"]).all()
    assert "fall within 21 days" in (tmp_path / "summary.md").read_text()


def test_sobol_small(tmp_path):
    runs, _ = _run_small("sobol", tmp_path)
    assert len(runs) == 4 * (6 + 2)
    data = json.loads((tmp_path / "sobol.json").read_text())
    table = data["indices"]["max_drawdown"]
    assert [r["parameter"] for r in table] == ["leverage", "maintenance", "letf_aum", "dealer_gamma", "vol_target",
                                               "depth"]
    assert all(math.isfinite(r["ST"]) and math.isfinite(r["ST_conf"]) for r in table)


def test_sobol_indices_of_the_ishigami_function():
    """Known answer: Ishigami (a=7, b=0.1) has S1 = 0.314, 0.442, 0 and ST = 0.558, 0.442, 0.244."""
    from SALib.sample import sobol as saltelli

    from sim.analysis.sensitivity import sobol_indices

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    x = saltelli.sample(problem, 2048, calc_second_order=False, seed=1)
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    table = sobol_indices(problem, y, num_resamples=200, seed=1)
    np.testing.assert_allclose(table["S1"], [0.3139, 0.4424, 0.0], atol=0.03)
    np.testing.assert_allclose(table["ST"], [0.5576, 0.4424, 0.2437], atol=0.03)
    assert (table["S1_conf"] > 0).all() and (table["ST_conf"] < 0.1).all()
