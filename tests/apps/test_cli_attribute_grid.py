"""`marginsim attribute` grid flags: the files, the table, and one-line errors (exit 2)."""

from __future__ import annotations

import json

import pytest

from sim.apps.cli import main

SMALL = ["--set", "margin.accounts=300", "--set", "simulation.days=70", "--workers", "1"]


def test_grid_flags_write_json_table_and_one_figure(tmp_path, capsys):
    assert main(["attribute", "finra-2026-05", *SMALL, "--seeds", "2", "--shocks", "0.1,0.3", "--deadlines", "0,2",
                 "--horizons", "trough,gap21", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| 0 days | -10% |" in out and "spiral gain" in out and "vol_control" in out
    doc = json.loads((tmp_path / "attribution_grid.json").read_text())
    assert len(doc["cells"]) == 4 and doc["horizons"] == ["trough", "gap21"] and len(doc["seeds"]) == 2
    assert (tmp_path / "attribution_grid.png").stat().st_size > 10_000
    assert (tmp_path / "attribution_grid.md").read_text().startswith("# Shapley attribution: finra-2026-05")


def test_rally_total_return_keeps_the_scenarios_own_path(tmp_path, capsys):
    assert main(["attribute", "rally-2025", *SMALL, "--set", "simulation.days=140", "--seeds", "2",
                 "--horizons", "total_return",
                 "--out", str(tmp_path)]) == 0
    doc = json.loads((tmp_path / "attribution_grid.json").read_text())
    assert doc["shocks"] == [None] and doc["deadlines"] == [None] and doc["shock_day"] is None
    assert "index return over the run" in capsys.readouterr().out


@pytest.mark.parametrize("flags, words", [
    (["--shocks", "0.1,x"], "--shocks"),
    (["--shocks", "1.5"], "shock size 1.5"),
    (["--deadlines", "0,40"], "deadline 40"),
    (["--horizons", "foo"], "horizons"),
    (["--seeds", "0"], "--seeds"),
    (["--shocks", "none", "--horizons", "trough"], "no index gap event"),
])
def test_bad_grid_flags_are_one_line_and_exit_2(tmp_path, capsys, flags, words):
    assert main(["attribute", "baseline", *SMALL, *flags, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "\n" not in err and "Traceback" not in err
