"""sim.ensemble: each path is exactly its own simulate() run, whatever the worker count; bad input refused."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.config.scenario import load, resolve
from sim.core.errors import InputError
from sim.run.ensemble import NOT_SERIES, ensemble, spawn_seeds
from sim.run.params import flat_metrics

SMALL = ["margin.accounts=150", "simulation.days=64"]
LEVERAGE = [1.5, 1.75, 1.6]
SEEDS = [3, 11, 2**63 - 1]


@pytest.fixture(scope="module")
def spec():
    return load("finra-2026-05", SMALL)


@pytest.fixture(scope="module")
def paths(spec):
    return ensemble(spec, SEEDS, {"margin.leverage_mean": LEVERAGE})


def test_each_path_is_its_own_simulate_run_bit_for_bit(spec, paths):
    ds, summary = paths.dataset, paths.summary
    assert paths.paths == 3 and paths.seeds == SEEDS
    for p, (lev, seed) in enumerate(zip(LEVERAGE, SEEDS, strict=True)):
        one = sim.simulate(resolve(spec.to_dict(), {"margin.leverage_mean": lev}), seed)
        ts = one.timeseries
        numeric = [c for c in ts.columns if c not in NOT_SERIES]
        assert sorted(ds.data_vars) == sorted(numeric)
        np.testing.assert_array_equal(ds["day"].values, ts["day"].to_numpy())
        for column in numeric:
            got, want = ds[column].values[p], ts[column].to_numpy()
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), column  # bit for bit, NaN included
        flat = flat_metrics(one.summary["metrics"])
        row = summary.loc[p]
        for name, value in flat.items():
            assert np.float64(row[name]).tobytes() == np.float64(value).tobytes(), name
        assert row["seed"] == seed and row["margin.leverage_mean"] == lev
        assert row["scenario_hash"] == one.summary["scenario_hash"]
    assert list(ds["margin.leverage_mean"].values) == LEVERAGE and list(ds["seed"].values) == SEEDS
    assert ds.attrs["scenario_hash"] == spec.hash() and ds.attrs["version"] == sim.__version__
    assert summary.attrs["scenario_hash"] == spec.hash() and "platform" in summary.attrs


def test_workers_do_not_change_the_result(spec, paths):
    """Compiled paths run in threads (the kernels release the GIL), Mesa paths in processes: same numbers."""
    again = ensemble(spec, SEEDS, {"margin.leverage_mean": LEVERAGE}, workers=2)
    assert again.dataset.identical(paths.dataset)
    assert again.summary.equals(paths.summary)
    short = load("finra-2026-05", ["margin.accounts=50", "simulation.days=64"])
    serial = ensemble(short, SEEDS, engine="mesa", series=["index_level", "margin_debt"])
    pooled = ensemble(short, SEEDS, engine="mesa", workers=2, series=["index_level", "margin_debt"])
    threads = ensemble(short, SEEDS, workers=3, series=["index_level", "margin_debt"])
    assert pooled.dataset.identical(serial.dataset) and pooled.summary.equals(serial.summary)
    assert threads.dataset.drop_attrs().identical(serial.dataset.drop_attrs())  # attrs name the engine


def test_a_path_count_derives_seeds_from_the_root(spec):
    seeds = spawn_seeds(2, root=9)
    assert seeds == spawn_seeds(5, root=9)[:2]  # more paths keep the first ones
    assert seeds != spawn_seeds(2, root=10) and all(0 <= s < 2**63 for s in seeds)
    by_count = ensemble(spec, 2, root_seed=9, series=["index_level"])
    by_list = ensemble(spec, seeds, series=["index_level"])
    assert by_count.seeds == seeds and by_count.dataset.identical(by_list.dataset)
    assert list(by_count.dataset.data_vars) == ["index_level"]


def test_dates_and_progress():
    dated = load("finra-2026-05", [*SMALL, 'meta.start_date="2024-01-02"'])
    calls = []
    res = ensemble(dated, [1], series=["index_level"], progress=lambda done, total: calls.append((done, total)))
    assert str(res.dataset["date"].values[0])[:10] == "2024-01-02" and res.dataset["date"].dims == ("day",)
    assert calls == [(0, 1), (1, 1)]


@pytest.mark.parametrize(("kwargs", "field", "text"), [
    ({"seeds": []}, "seeds", "non-empty"),
    ({"seeds": 0}, "seeds", "[1, "),
    ({"seeds": [1, -1]}, "seeds", "seeds[1] = -1"),
    ({"seeds": [2**63]}, "seeds", "2^63 - 1"),
    ({"seeds": [1.5]}, "seeds", "seeds[0]"),
    ({"seeds": "12"}, "seeds", "seeds"),
    ({"seeds": 2, "root_seed": -1}, "seed", "seed"),
    ({"seeds": [1, 2], "params": {"margin.leverage_mean": [1.5]}}, "params", "1 values for 2 paths"),
    ({"seeds": [1], "params": {"margin.leverage_mean": 1.5}}, "params", "not a list"),
    ({"seeds": [1], "params": [("margin.leverage_mean", [1.5])]}, "params", "params"),
    ({"seeds": [1], "params": {"margin.nosuch": [1]}}, "margin.nosuch", "margin.nosuch"),
    ({"seeds": [1], "params": {"margin.leverage_mean": [-3.0]}}, "margin.leverage_mean", "margin.leverage_mean"),
    ({"seeds": [1, 2], "params": {"simulation.days": [64, 65]}}, "params", "simulation.days"),
    ({"seeds": [1], "engine": "turbo"}, "engine", "compiled, mesa"),
    ({"seeds": [1], "workers": 0}, "workers", "[1, 1024]"),
    ({"seeds": [1], "series": ["regime"]}, "series", "regime"),
    ({"seeds": [1], "series": "index_level"}, "series", "series"),
])
def test_bad_input_is_one_line_naming_the_field(spec, kwargs, field, text):
    with pytest.raises(InputError) as info:
        ensemble(spec, **kwargs)
    message = str(info.value)
    assert "\n" not in message and text in message, message
    assert info.value.field == field
