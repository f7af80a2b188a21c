"""The benchmark command: a smoke test of --quick, and its refusal to time a wrong kernel."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from sim.apps import bench, bench_engine
from sim.apps.cli import main
from sim.book import clearing
from sim.run.simulate import simulate


def test_bench_quick_writes_well_formed_json_and_table(tmp_path, capsys):
    assert main(["bench", "--quick", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "benchmarks.json").read_text())
    assert data["quick"] is True and data["version"]
    assert data["stream"]["bytes_per_s"] > 0 and data["pass_bytes_per_account"] == 32
    for p in data["clearing_pass"]:
        for impl in ("kernel", "numpy"):
            assert p[impl]["min_s"] > 0 and p[impl]["min_s"] <= p[impl]["median_s"]
            assert math.isfinite(p[impl]["min_ns_per_account"])
    assert "mesa" in data["clearing_pass"][0]
    assert data["cascade"][0]["rounds"] > 1 and 0 < data["cascade"][0]["called_share"] < 1
    assert data["startup"]["warm"]["min_s"] > 0
    assert data["bytes_per_account"]["K=1"] == 64
    assert {t["target"] for t in data["targets"]} and all("met" in t for t in data["targets"])
    table = (tmp_path / "benchmarks.md").read_text()
    assert "| accounts |" in table and capsys.readouterr().out.strip() == table.strip()
    _check_whole_runs(data, table)


def test_bench_refuses_to_time_a_kernel_that_disagrees(monkeypatch):
    real = clearing.clear

    def wrong(*args, **kwargs):
        out = real(*args, **kwargs)
        out.prices *= 1.0 + 1e-6
        return out

    monkeypatch.setattr(clearing, "clear", wrong)
    with pytest.raises(bench.BenchmarkMismatch, match="differs"):
        bench.clearing_pass(1000, 1, mesa_max=1000, rng=np.random.default_rng(0))


def _check_whole_runs(data: dict, table: str) -> None:
    """Issue 13's entries: the daily floor, an ensemble's memory, the engine entries (or 'not available')."""
    runs = data["runs"]
    floor = runs["day_floor"]
    assert floor["bytes_per_account_day"] == 4 * 8 * (2 * 5 + 2) + 16  # 4 substeps, 5 assets, the close's cash
    assert floor["floor_s"] > 0 and floor["ratio_to_floor"] == floor["measured_s"] / floor["floor_s"]
    assert runs["ensemble_memory"]["peak_rss_bytes"] > runs["ensemble_memory"]["dataset_bytes"] > 0
    for entry in ("engine", "ensemble"):
        assert runs[entry]["speedup"] > 0
    targets = {t["target"]: t for t in data["targets"]}
    memory = next(t for name, t in targets.items() if "peak memory" in name)
    assert memory["measured"] is None  # quick: not the target's size
    assert "| whole runs |" in table and "memory-traffic floor" in table


def test_whole_run_entries_once_the_engine_is_there(monkeypatch):
    """With an engine (here: simulate itself standing in for both), the speed-ups are measured, results checked."""
    monkeypatch.setattr(bench_engine, "run_one", lambda spec, seed, engine: simulate(spec, seed))
    speed = bench_engine.engine_speedup(50, 5)
    assert speed["speedup"] > 0 and speed["mesa_s"] > 0
    ens = bench_engine.ensemble_speedup(2, 50, 61)
    assert ens["paths"] == 2 and ens["speedup"] > 0
    calls = iter([simulate, simulate, lambda spec, seed: _shifted(simulate(spec, seed))])  # compile, compiled, mesa
    monkeypatch.setattr(bench_engine, "run_one", lambda spec, seed, engine: next(calls)(spec, seed))
    with pytest.raises(bench.BenchmarkMismatch, match="differs"):
        bench_engine.engine_speedup(50, 5)


def _shifted(result):
    result.timeseries["index_level"] *= 1.0 + 1e-12
    return result
