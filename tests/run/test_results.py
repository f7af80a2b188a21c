"""Typed results: the metrics read back from the summary, a repr of one line."""

import json
import os

import sim
from sim.run.results import ChannelFlow, Metrics
from tests.conftest import small_scenario


def test_metrics_are_the_summary_numbers_typed(tmp_path):
    result = sim.simulate(small_scenario(simulation={"days": 30}), seed=4)
    m = result.metrics
    assert isinstance(m, Metrics)
    assert m.max_drawdown == result.summary["metrics"]["max_drawdown"]
    assert m.days == 30 == len(result.timeseries)
    assert all(isinstance(f, ChannelFlow) for f in m.channel_flows.values())
    assert m.to_dict() == result.summary["metrics"]  # round trip, nothing lost
    _, summary_path = result.write(tmp_path)
    assert Metrics.from_dict(json.loads(summary_path.read_text())["metrics"]) == m
    umask = os.umask(0)
    os.umask(umask)
    assert summary_path.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() would, not mkstemp's 0600


def test_repr_is_one_short_line():
    result = sim.simulate(small_scenario(simulation={"days": 25}), seed=1)
    text = repr(result)
    assert "\n" not in text and len(text) < 300
    assert text.startswith("SimulationResult(") and "seed=1" in text and result.scenario_hash in text
