"""Calibration specs: the built-in one loads; every bad field is one line naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.config.calibration import MOMENTS, CalibrationError, load_calibration, quick

GOOD = """
[calibration]
base = "validation-baseline"
accounts = 500

[[parameters]]
path = "market.fundamental_vol"
lo = 0.001
hi = 0.02
start = 0.004
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_market_spec_loads_with_its_defaults():
    spec = load_calibration()
    assert spec.base == "market" and spec.moments == MOMENTS and len(spec.moments) == 13
    assert [p.path for p in spec.parameters] == [  # the one market's eight estimated fields (market.toml)
        "market.fundamental_vol", "market.garch_alpha", "market.garch_beta", "market.garch_asymmetry",
        "market.news_to_price", "liquidity.noise_vol", "liquidity.value_intensity", "impact.thinning_elasticity"]
    assert (spec.window.start, spec.window.end) == ("1999-01-01", "2008-12-31")
    assert [w.index for w in spec.out_of_sample] == ["sp500", "nasdaq"] and len(spec.sha256) == 64
    small = quick(spec)
    assert small.paths == 2 and small.sobol_points == 4 and small.parameters == spec.parameters


def test_a_minimal_file_gets_every_default(tmp_path):
    spec = load_calibration(_write(tmp_path, GOOD))
    assert spec.paths == 16 and spec.replications == 500 and spec.block == 12 and spec.days == 0
    assert spec.out_of_sample == () and spec.parameters[0].start == 0.004


@pytest.mark.parametrize(("edit", "message"), [
    (('path = "market.fundamental_vol"', 'path = "market.news_vol"'), "parameters[0].lo (path 'market.news_vol'): "
                                                                      "market.news_vol: unknown field"),
    (("hi = 0.02", "hi = 0.0005"), "parameters[0] (market.fundamental_vol): must have lo < hi"),
    (("hi = 0.02", "hi = 0.5"), "parameters[0].hi (path 'market.fundamental_vol'): market.fundamental_vol = 0.5: "
                                "must be a finite number in [0, 0.2]"),
    (("[calibration]", "[simulation]\ndays = 100\n[calibration]"), "simulation.days = 100: must be 0"),
    (("accounts = 500", "accounts = 5"), "calibration.accounts = 5: must be an integer in [10, 10000000]"),
    (("[calibration]", '[moments]\nuse = ["skew"]\n[calibration]'), "moments.use[0] = 'skew': must be one of"),
    (("[calibration]", "[optimizer]\nsobol_points = 10\n[calibration]"), "optimizer.sobol_points = 10: must be a "
                                                                          "power of 2"),
    (("[calibration]", '[data]\nstart = "1990-01-01"\n[calibration]'), "data.start = '1990-01-01': must be a date"),
    (("[calibration]", "[extra]\nx = 1\n[calibration]"), "spec.extra: unknown table"),
    (("start = 0.004", "start = 0.004\nstep = 1"), "parameters[0].step: unknown field"),
    (('base = "validation-baseline"', 'base = "nope"'), "scenario 'nope': unknown"),
])
def test_bad_fields_are_one_line_naming_them(tmp_path, edit, message):
    path = _write(tmp_path, GOOD.replace(*edit))
    with pytest.raises(CalibrationError) as err:
        load_calibration(path)
    text = str(err.value)
    assert "\n" not in text and message in text and text.startswith(f"{path}: ")


def test_no_parameters_and_unknown_builtin_are_one_line(tmp_path):
    with pytest.raises(CalibrationError, match=r"parameters: must be a list of at least 1 tables"):
        load_calibration(_write(tmp_path, GOOD.split("[[parameters]]")[0]))
    with pytest.raises(CalibrationError, match="calibration spec 'nope': unknown; built-in: market"):
        load_calibration("nope")
