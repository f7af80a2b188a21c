"""``marginsim tail``: the probability, its interval and the quantiles, as a table or JSON."""

from __future__ import annotations

import json

from sim.apps.cli import main

SMALL = ["--paths", "8", "--set", "margin.accounts=150", "--set", "simulation.days=64", "--no-progress"]


def test_tail_prints_probability_interval_quantiles_paths_and_root(capsys):
    assert main(["tail", "finra-2026-05", *SMALL, "--threshold", "0.15", "--seed", "4", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "8 paths" in out and "seed root 4" in out
    assert "P(shock_drawdown >= 0.15) = " in out and "Wilson score" in out
    for q in ("1%", "5%", "25%", "50%", "75%", "95%", "99%"):
        assert f"  {q:>4}  " in out


def test_tail_json_is_the_same_numbers_for_any_worker_count(capsys):
    argv = ["tail", "finra-2026-05", *SMALL, "--metric", "worst_day_return", "--threshold", "-0.02", "--below",
            "--json"]
    assert main([*argv, "--workers", "1"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert main([*argv, "--workers", "2"]) == 0
    two = json.loads(capsys.readouterr().out)
    one.pop("seconds"), two.pop("seconds")
    assert one == two
    assert one["paths"] == 8 and one["event"] == "worst_day_return <= -0.02" and one["method"] == "wilson"
    assert one["ci_low"] <= one["probability"] <= one["ci_high"] and one["root_seed"] == 0
    assert list(one["quantiles"]) == ["0.01", "0.05", "0.25", "0.5", "0.75", "0.95", "0.99"]
