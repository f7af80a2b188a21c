"""The calibrated market's TOML writer: every built-in scenario round-trips through it."""

from __future__ import annotations

import tomllib

import pytest

from sim.config.scenario import builtin_names, from_dict, read_toml
from sim.report.calibration import toml_text


@pytest.mark.parametrize("name", builtin_names())
def test_toml_text_reads_back_to_the_same_scenario(name):
    data = read_toml(name)
    back = tomllib.loads(toml_text(data))
    assert back == data
    assert from_dict(back).hash() == from_dict(data).hash()


def test_toml_text_writes_floats_exactly_and_quotes_odd_keys():
    data = {"market": {"fundamental_vol": 0.1 + 0.2, "x": 1e300, "name": 'a "b"'}, "n": {"a b": [1, 2]}}
    assert tomllib.loads(toml_text(data)) == data
