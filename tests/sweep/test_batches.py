"""Sweeps in batches (one ensemble per batch): the same runs.parquet as one run per task."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config.experiment import load_experiment
from sim.sweep import tasks as tasks_mod
from sim.sweep.batches import PointScenario, batch_size, make_batches
from sim.sweep.design import build_design
from sim.sweep.engine import run_sweep
from sim.sweep.tasks import RunTask, execute

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"
TINY = """
[experiment]
name = "tiny-batches"
scenario = "finra-2026-05"
set = ["margin.accounts=300", "simulation.days=20", "events.0.day=8", "events.1.day=8"]
design = "grid"
replicates = 2
root_seed = 7
metrics = ["max_drawdown", "shock_drawdown", "forced_sales_usd", "regime_days.deleveraging"]
series = ["index_level", "margin_debt"]

[[parameters]]
name = "leverage"
path = "margin.leverage_mean"
values = [1.3, 1.9]

[[parameters]]
name = "maintenance"
path = "brokers.*.house_maintenance"
values = [0.25, 0.3, 0.4]
"""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", sorted(p.stem for p in EXPERIMENTS.glob("*.toml")))
def test_every_experiment_batched_gives_the_rows_of_one_run_at_a_time(name, tmp_path):
    """Every shipped experiment at its small size, in batches of up to 32 runs, against execute() run by run."""
    exp = load_experiment(EXPERIMENTS / f"{name}.toml", small=True)
    design = build_design(exp)
    run_sweep(exp, tmp_path, executor="serial", progress=False, batch_runs=32)
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert list(runs["run_id"]) == list(range(design.n_runs))
    assert list(runs.columns) == ["run_id", "point", "replicate", *(p.name for p in exp.parameters), "seed",
                                  "seed_spawn_key", "scenario_hash", "status", "error", *exp.metrics]
    assert all(runs[m].dtype == np.float64 for m in exp.metrics)
    series = pd.read_parquet(tmp_path / "series.parquet") if exp.series else None
    for row in runs.itertuples(index=False):
        spec = exp.scenario_for(design.points[row.point])
        one = execute(RunTask(row.run_id, spec.to_dict(), int(row.seed), exp.metrics, exp.series))
        assert one["status"] == row.status == "ok" and spec.hash() == row.scenario_hash
        got = runs.loc[row.run_id, list(exp.metrics)].to_numpy(dtype=np.float64)
        want = np.array([one[m] for m in exp.metrics])
        assert got.tobytes() == want.tobytes(), (name, row.run_id)  # bit for bit, NaNs where NaNs
        if series is not None:
            mine = series[series["run_id"] == row.run_id]
            for column, values in one["_series"].items():
                assert mine[column].to_numpy().tobytes() == values.tobytes() and mine[column].dtype == values.dtype


def test_batch_size_and_executor_do_not_change_a_byte(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    exp = load_experiment(path)
    outs = []
    for label, executor, size in (("one", "serial", 1), ("five", "serial", 5), ("all", "serial", 64),
                                  ("pool", "pool", None)):
        run_sweep(exp, tmp_path / label, executor=executor, workers=2, progress=False, batch_runs=size)
        outs.append(tmp_path / label)
    for name in ("runs.parquet", "series.parquet"):
        assert len({_digest(out / name) for out in outs}) == 1, name


def test_a_failing_run_in_a_batch_is_its_own_error_row(tmp_path, monkeypatch):
    """The batch's ensemble raises: its runs go one by one, and only the failing one is an error."""
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    real_ensemble, real_simulate = tasks_mod.ensemble, tasks_mod.simulate
    calls = []

    def ensemble(scenario, seeds, params=None, **kw):
        calls.append(len(seeds))
        maintenance = (params or {}).get("brokers.0.house_maintenance", ())
        if 0.3 in maintenance:
            raise FloatingPointError("boom in one path")
        return real_ensemble(scenario, seeds, params=params, **kw)

    def simulate(spec, seed, **kw):
        if spec.brokers[0].house_maintenance == 0.3 and spec.margin.leverage_mean == 1.9:
            raise FloatingPointError("boom\nsecond line")
        return real_simulate(spec, seed, **kw)

    monkeypatch.setattr(tasks_mod, "ensemble", ensemble)
    monkeypatch.setattr(tasks_mod, "simulate", simulate)
    report = run_sweep(load_experiment(path), tmp_path / "out", executor="serial", progress=False, batch_runs=4)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    bad = (runs["maintenance"] == 0.3) & (runs["leverage"] == 1.9)
    assert calls == [4, 4, 4] and report.failed == 2 and len(runs) == 12
    assert (runs.loc[bad, "error"] == "FloatingPointError: boom second line").all()
    assert (runs.loc[~bad, "status"] == "ok").all() and runs.loc[bad, "max_drawdown"].isna().all()
    run_sweep(load_experiment(path), tmp_path / "ref", executor="serial", progress=False, batch_runs=1)
    ref = pd.read_parquet(tmp_path / "ref" / "runs.parquet")
    pd.testing.assert_frame_equal(runs[~bad], ref[~bad])  # the others: as if nothing had failed


def test_batches_split_on_structure_and_on_a_scenario_that_does_not_rebuild():
    base = {"simulation": {"days": 20}, "meta": {"start_date": ""}, "margin": {"leverage_mean": 1.5}}
    other = {**base, "margin": {"leverage_mean": 1.7}}
    longer = {**base, "simulation": {"days": 30}}
    from sim.config.scenario import from_dict

    def point_of(data: dict) -> PointScenario:
        return PointScenario.of(from_dict(data).to_dict(), from_dict(data).hash())

    points = [point_of(base), point_of(other), point_of(longer), point_of(other)]
    points[3] = PointScenario(points[3].data, "not-its-hash", points[3].fields)
    runs = [(i, i, 100 + i) for i in range(4)]
    batches = list(make_batches(runs, points.__getitem__, 8, ("max_drawdown",), ()))
    assert [b.run_ids for b in batches] == [(0, 1), (2,), (3,)]
    assert batches[0].params == {"margin.leverage_mean": (1.5, 1.7)} and batches[0].seeds == (100, 101)
    assert batches[2].scenario == points[3].data and batches[2].params == {}  # run alone, on its own scenario
    assert [len(b.run_ids) for b in make_batches(runs[:2], points.__getitem__, 1, (), ())] == [1, 1]
    assert batch_size(8192, 2) == 32 and batch_size(32, 2) == 4 and batch_size(3, None) == 1
    assert math.isclose(batches[0].runs()[1].scenario["margin"]["leverage_mean"], 1.7)
