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


def test_repr_of_a_dated_run_gives_its_dates_and_printing_stays_short(capsys):
    result = sim.simulate(sim.load("volmageddon-2018", ["margin.accounts=500"]), seed=1)
    text = repr(result)
    assert "\n" not in text and len(text) < 300 and "63 days (2018-01-31 to 2018-05-01)" in text
    print(result)
    assert capsys.readouterr().out.count("\n") == 1


def test_plot_returns_the_overview_figure():
    from matplotlib.figure import Figure

    result = sim.simulate(small_scenario(simulation={"days": 25}), seed=1)
    fig = result.plot()
    assert isinstance(fig, Figure) and len(fig.axes) == 5  # four panels and the volatility axis
    assert fig.axes[0].get_title() == "Index price and fundamental value"
    assert sim.plot is sim.report.figures.plot_result
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_scenarios_lists_every_builtin_with_its_description():
    listed = sim.scenarios()
    assert list(listed) == sim.config.scenario.builtin_names()
    assert listed["baseline"] == sim.load("baseline").meta.description
    assert all(len(text) > 20 for text in listed.values())
