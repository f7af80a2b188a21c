"""The one field checker (sim.config.fields) and the schema listing."""

from __future__ import annotations

import dataclasses
import math

import pytest

from sim.config.experiment_spec import experiment_schema
from sim.config.fields import Field, ScenarioError, check, check_keys, is_plain_name, schema_rows
from sim.config.schema import LIST_SECTIONS, SECTIONS, SEED, SHAPE, scenario_schema
from sim.core.errors import InputError

NUMBER = Field(float, lo=0.0, hi=1.0, hi_open=True, unit="fraction")


@pytest.mark.parametrize("value", [True, "0.5", None, [0.5], math.nan, math.inf, -math.inf, -0.1, 1.0])
def test_bad_numbers_are_one_line_naming_field_and_range(value):
    with pytest.raises(InputError) as err:
        check(value, NUMBER, "margin.x")
    msg = str(err.value)
    assert msg.startswith("margin.x = ") and "must be a finite number in [0, 1) (fraction)" in msg
    assert "\n" not in msg and err.value.field == "margin.x"
    assert err.value.allowed == "a finite number in [0, 1) (fraction)"


def test_good_values_pass_and_ints_become_floats():
    assert check(0, NUMBER, "x") == 0.0 and isinstance(check(0, NUMBER, "x"), float)
    assert check(7, Field(int, lo=1, hi=10), "n") == 7
    with pytest.raises(InputError, match=r"n = 7\.0: must be an integer in \[1, 10\]"):
        check(7.0, Field(int, lo=1, hi=10), "n")
    assert check("sqrt", Field(str, choices=("linear", "sqrt")), "m") == "sqrt"
    with pytest.raises(InputError, match="must be one of 'linear', 'sqrt'"):
        check("cubic", Field(str, choices=("linear", "sqrt")), "m")
    with pytest.raises(InputError, match="must be one of -3, -2, 2, 3"):
        check(True, Field(int, choices=(-3, -2, 2, 3)), "leverage")
    assert check([0.5, 0.5], Field(list[float], lo=0.0, hi=1.0, length=(1, 4)), "w") == [0.5, 0.5]
    with pytest.raises(InputError, match=r"w\[1\] = 2: must be a finite number in \[0, 1\]"):
        check([0.5, 2], Field(list[float], lo=0.0, hi=1.0, length=(1, 4)), "w")
    with pytest.raises(InputError, match="must be a list of 1 to 4 numbers"):
        check([], Field(list[float], lo=0.0, hi=1.0, length=(1, 4)), "w")


def test_the_error_class_is_the_callers_and_the_seed_is_exact():
    with pytest.raises(ScenarioError, match=r"seed = -1: must be an integer in \[0, 9223372036854775807\]"):
        check(-1, SEED, "seed", error=ScenarioError)
    assert check(2**63 - 1, SEED, "seed") == 2**63 - 1


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "/abs", "..\\x", "a\nb", " x"])
def test_plain_names(name):
    assert not is_plain_name(name)
    with pytest.raises(InputError, match="must be a plain name"):
        check(name, Field(str, plain=True), "meta.name")


def test_long_values_are_cut_short_in_messages():
    with pytest.raises(InputError) as err:
        check("x" * 10_000, NUMBER, "f")
    assert len(str(err.value)) < 200
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(InputError) as err:
        check(deep, NUMBER, "f")
    assert len(str(err.value)) < 200


def test_unknown_keys_suggest_close_matches_or_list_the_allowed():
    with pytest.raises(InputError, match=r"m\.levrage: unknown field; did you mean 'leverage'\?"):
        check_keys({"levrage": 1}, ("leverage", "accounts"), "m")
    with pytest.raises(InputError, match=r"m\.zzz: unknown field; allowed: leverage, accounts"):
        check_keys({"zzz": 1}, ("leverage", "accounts"), "m")
    with pytest.raises(InputError, match="m = 5: must be a table"):
        check_keys(5, ("leverage",), "m")


def test_schema_lists_every_field_with_path_type_range_unit_default_doc():
    rows = scenario_schema()
    by_path = {r["path"]: r for r in rows}
    accounts = by_path["margin.accounts"]
    assert accounts["type"] == "integer" and accounts["allowed"] == "an integer in [1, 100000000]"
    assert accounts["default"] == "100000"
    assert by_path["margin.maintenance"]["allowed"].startswith("a finite number in [0.25, 1)")
    assert by_path["simulation.days"]["unit"] == "trading days"
    assert by_path["events"]["type"] == "list of tables"
    assert by_path["events.*.kind"]["allowed"].startswith("one of 'price_gap'")
    assert by_path["brokers"]["default"] == "1 broker" and by_path["brokers"]["allowed"] == "1 to 64 brokers"
    assert by_path["channels.margin"]["type"] == "boolean"
    assert by_path["impact.multiplier"]["doc"]
    assert all(set(r) == {"path", "type", "allowed", "unit", "default", "doc"} for r in rows)
    n_fields = sum(len(dataclasses.fields(cls)) for cls in (*SECTIONS.values(), *LIST_SECTIONS.values()))
    assert len([r for r in rows if r["type"] not in ("table", "list of tables")]) == n_fields
    assert schema_rows(SHAPE) == rows


def test_experiment_schema():
    by_path = {r["path"]: r for r in experiment_schema()}
    assert by_path["experiment.design"]["allowed"] == "one of 'grid', 'lhs', 'sobol'"
    assert by_path["experiment.replicates"]["default"] == "1"
    assert by_path["parameters.*.targets.*.times"]["type"] == "number"
    assert by_path["small.samples"]["allowed"] == "an integer in [1, 10000000]"
