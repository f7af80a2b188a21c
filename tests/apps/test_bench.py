"""The benchmark command: a smoke test of --quick, and its refusal to time a wrong kernel."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from sim.apps import bench
from sim.apps.cli import main
from sim.book import clearing


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


def test_bench_refuses_to_time_a_kernel_that_disagrees(monkeypatch):
    real = clearing.clear

    def wrong(*args, **kwargs):
        out = real(*args, **kwargs)
        out.prices *= 1.0 + 1e-6
        return out

    monkeypatch.setattr(clearing, "clear", wrong)
    with pytest.raises(bench.BenchmarkMismatch, match="differs"):
        bench.clearing_pass(1000, 1, mesa_max=1000, rng=np.random.default_rng(0))
