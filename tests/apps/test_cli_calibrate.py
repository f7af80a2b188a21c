"""``marginsim calibrate --quick``: end to end into a folder, and its bad input."""

from __future__ import annotations

import json
import math

import pytest

from sim.apps.cli import main
from sim.config.calibration import MOMENTS
from sim.config.scenario import load


def test_calibrate_quick_writes_estimates_fit_and_a_market_that_loads_back(tmp_path, capsys):
    out = tmp_path / "cal"
    assert main(["calibrate", "--quick", "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "calibrated 8 parameters on 13 moments" in text and "J = " in text
    est = json.loads((out / "estimates.json").read_text())
    assert math.isfinite(est["j_test"]["j"]) and est["j_test"]["df"] == 13 - 8
    assert [r["moment"] for r in est["fit"]] == list(MOMENTS)
    assert len(est["out_of_sample"]) == 2 and all(len(w["rows"]) == 13 for w in est["out_of_sample"])
    prov = est["provenance"]
    assert prov["paths"] == 2 and prov["days"] == 751 and len(prov["seeds"]) == 2 and prov["version"]
    assert est["identification"]["rank"] <= 8 and len(est["identification"]["jacobian"]) == 13
    assert "## Fit, in sample" in (out / "fit.md").read_text()
    market = load(out / "market.toml")
    for p in est["parameters"]:
        section, name = p["path"].split(".")
        assert getattr(getattr(market, section), name) == p["estimate"]  # written with repr: exact
        assert p["lo"] <= p["estimate"] <= p["hi"] and isinstance(p["at_bound"], bool)
    base = load("market")  # the spec's base
    assert market.margin.accounts == base.margin.accounts and market.options == base.options


def test_calibrate_same_seed_gives_the_same_estimates(tmp_path, capsys):
    args = ["calibrate", "--quick", "--workers", "1", "--no-progress", "--seed", "3"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b"), "--workers", "2"]) == 0
    a, b = (json.loads((tmp_path / d / "estimates.json").read_text()) for d in "ab")
    assert a["parameters"] == b["parameters"] and a["fit"] == b["fit"]


@pytest.mark.parametrize(("argv", "message"), [
    (["calibrate", "nope", "--quick"], "calibration spec 'nope': unknown"),
    (["calibrate", "--quick", "--seed", "-1"], "--seed"),
    (["calibrate", "missing.toml", "--quick"], "not found"),
])
def test_calibrate_bad_input_is_one_line_exit_2(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not list(tmp_path.iterdir())


def test_fit_md_tables_have_the_same_cells_on_every_row(tmp_path):
    import re

    assert main(["calibrate", "--quick", "--out", str(tmp_path), "--workers", "1", "--no-progress"]) == 0
    for table in re.findall(r"(?:^\|.*\n?)+", (tmp_path / "fit.md").read_text(), flags=re.M):
        cells = {row.replace("\\|", "").count("|") for row in table.strip().splitlines()}
        assert len(cells) == 1, table  # 'ACF |r|' is escaped
