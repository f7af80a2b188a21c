"""The dashboard without a browser: inputs -> scenario, the page's model (one run or two compared),
the figures and their sign convention, playing, the fan chart of seeds, the commands."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from sim.apps.cli import main
from sim.apps.dashboard.inputs import Inputs, resolve
from sim.apps.dashboard.model import DashboardModel
from sim.apps.dashboard.panels import PANELS, caption_lines
from sim.apps.dashboard.plots import LiveFigure
from sim.apps.dashboard.server import DashboardError, check_free, check_port
from sim.config import open_interest
from sim.config.scenario import ScenarioError, load
from sim.config.schema import OpenInterest
from sim.model.market_model import MarketModel
from tests.apps.svg_read import read_line, visible_y


# ------------------------------------------------------------------------------------ inputs
def test_defaults_are_finra_2026_05_exactly():
    res = resolve(Inputs())
    assert res.spec.hash() == load("finra-2026-05").hash()
    assert res.changes == () and res.seed == 1 and (res.shock_day, res.shock_size) == (60, -0.10)


def test_slider_float_noise_changes_nothing():
    """A browser slider sends 0.30000000000000004 for 0.3; that is not a change to the scenario."""
    res = resolve(Inputs(leverage_mean=1.6000000000000001, maintenance=0.30000000000000004))
    assert res.changes == ()


def test_maintenance_moves_every_broker_and_keeps_their_spread():
    res = resolve(Inputs(maintenance=0.40))
    assert [b.house_maintenance for b in res.spec.brokers] == pytest.approx([0.40, 0.45])
    assert res.changes == ("brokers[0].house_maintenance: 0.3 -> 0.4", "brokers[1].house_maintenance: 0.35 -> 0.45")


def test_letf_aum_scales_every_fund_and_leverage_sets_each():
    base = load("finra-2026-05").letf_funds
    res = resolve(Inputs(letf_aum_bn=358.0, letf_leverage="2"))
    assert sum(f.aum_usd for f in res.spec.letf_funds) == pytest.approx(358e9)
    for before, after in zip(base, res.spec.letf_funds, strict=True):
        assert after.aum_usd == pytest.approx(2 * before.aum_usd) and after.leverage == 2
    assert resolve(Inputs(letf_aum_bn=0.0)).spec.letf_funds == []


def test_dealer_gamma_multiplier_scales_notional_and_negative_flips_side():
    spec = load("finra-2026-05")
    book = [*spec.options, *open_interest.series(spec.open_interest, spec.market.market_cap_usd)]
    assert len(book) > len(spec.options) and {s.side for s in book} == {"long", "short"}
    doubled, flipped, off = (resolve(Inputs(dealer_gamma=g)).spec for g in (2.0, -1.0, 0.0))
    for b, d, f in zip(book, doubled.options, flipped.options, strict=True):  # the table's series as rows
        assert d.notional_usd == 2 * b.notional_usd and d.side == b.side
        assert f.notional_usd == b.notional_usd and f.side != b.side
    assert doubled.open_interest == flipped.open_interest == off.open_interest == OpenInterest()
    assert off.options == []


def test_dealer_gamma_on_the_page_scales_with_the_multiplier():
    """GEX is linear in notional: x2 doubles it, x-1 flips the dealers' side (and GEX's sign)."""
    def gex(multiplier: float) -> float:
        mm = MarketModel(resolve(Inputs(dealer_gamma=multiplier, accounts=500)).spec, seed=1)
        return mm.gex(mm.market.prices, 0.0)

    base = gex(1.0)
    assert base > 0  # day 0: the market's open interest leaves dealers long gamma at listing (open_interest.py)
    assert gex(2.0) == pytest.approx(2 * base, rel=1e-12)
    assert gex(-1.0) == pytest.approx(-base, rel=1e-12)


def test_shock_moves_the_first_index_gap_or_adds_one():
    spec = resolve(Inputs(shock_size=-0.25, shock_day=5)).spec
    assert [(e.day, e.kind, e.size) for e in spec.events] == [(5, "fundamental_gap", -0.25), (5, "price_gap", -0.25)]
    baseline = resolve(Inputs(scenario_name="baseline", shock_size=-0.2, shock_day=3))
    assert {(e.day, e.kind, e.size) for e in baseline.spec.events} == {(3, "price_gap", -0.2),
                                                                       (3, "fundamental_gap", -0.2)}
    assert "events: 0 -> 2 items" in baseline.changes and "letf_funds: 0 -> 1 items" in baseline.changes


@pytest.mark.parametrize(("inputs", "message"), [
    ({"accounts": "abc"}, "number of accounts = 'abc': must be an integer in [1, 2,000,000]"),
    ({"accounts": "0"}, "number of accounts = '0': must be an integer in [1, 2,000,000]"),
    ({"accounts": "2.5"}, "number of accounts = '2.5': must be an integer"),
    ({"shock_day": "252"}, "shock day = '252': must be an integer in [0, 251]"),
    ({"seed": "-1"}, "seed = '-1': must be an integer in [0, "),
    ({"leverage_mean": float("nan")}, "average leverage = nan: must be a number in [1.01, 20]"),
    ({"scenario_name": "nope"}, "scenario = 'nope': must be one of baseline, broker-tightening, "),
    ({"letf_leverage": "4"}, "LETF leverage = '4': must be one of scenario, 3, 2, -1, -2, -3"),
    ({"maintenance": 0.46}, "maintenance margin = 0.46 gives brokers[1].house_maintenance = 0.51: must be below"),
    ({"leverage_mean": 2.5}, "average leverage = 2.5 gives margin.leverage_mean = 2.5: must be in (1, 2)"),
])
def test_bad_input_is_one_line_naming_the_input(inputs, message):
    with pytest.raises(ScenarioError) as info:
        resolve(Inputs(**inputs))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_typed_integers_accept_the_usual_spellings():
    for text in ("2000", "2,000", "2_000", "2e3", " 2000 "):
        assert resolve(Inputs(accounts=text)).spec.margin.accounts == 2000


# ------------------------------------------------------------------------------------- model
def test_page_model_runs_the_same_days_as_the_market_model():
    """What the page plots is the model itself: same scenario and seed -> identical records."""
    page = DashboardModel(accounts="3000", shock_day="4", shock_size=-0.2)
    reference = MarketModel(resolve(page.inputs).spec, seed=1)
    for _ in range(8):
        page.step()
        reference.step()
    assert page.records == reference.records
    assert page.steps == 8 and len(page.step_seconds) == 8 and page.running


def test_bad_input_gives_a_model_that_holds_the_message_and_does_not_run():
    model = DashboardModel(accounts="-5")
    assert model.error == "number of accounts = '-5': must be an integer in [1, 2,000,000]"
    assert not model.running and model.records == [] and model.days == 0
    model.step()  # the page's Step button may still be clicked once: nothing happens
    assert model.records == [] and model.error is not None


def test_the_run_stops_at_the_scenarios_last_day():
    model = DashboardModel(accounts=200, shock_day=0)
    model.resolved.spec.simulation.days = 3  # a short run (the spec is the model's own copy)
    for _ in range(5):
        model.step()
    assert len(model.records) == 3 and not model.running


# ----------------------------------------------------------------------------------- figures
@pytest.fixture(scope="module")
def stepped():
    model = DashboardModel(accounts=2000, shock_day=3, shock_size=-0.3)
    for _ in range(12):
        model.step()
    return model


@pytest.mark.parametrize(("panel_key", "gid", "column", "scale"), [
    ("index", "index-line", "index_level", 1.0),
    ("book", "margin-debt-line", "margin_debt", 1e9),
    ("book", "net-credit-line", "net_credit_balance", 1e9),
    ("channels", "flow-flow_dealer_usd", "flow_dealer_usd", 1e9),
    ("channels", "flow-flow_letf_usd", "flow_letf_usd", 1e9),
    ("calls", "liquidations-line", "liquidations", 1.0),
    ("gamma", "gamma-line", "dealer_gex_usd", 1e9),
])
def test_each_panel_shows_the_records_and_they_read_back(stepped, panel_key, gid, column, scale):
    """The SVG the page shows holds one vertex per day at the recorded value (read through the ticks)."""
    panel = next(p for p in PANELS if p.key == panel_key)
    figure = LiveFigure(panel, stepped.plot_context())
    figure.svg([])  # before the first day: y limits around the starting values
    figure.svg(stepped.records[:2])  # the page redraws the same figure day after day
    svg = figure.svg(stepped.records)
    x, y = read_line(svg, gid)
    truth = np.array([r[column] for r in stepped.records]) / scale
    np.testing.assert_allclose(x, np.arange(12), atol=1e-4)
    span = max(np.ptp(truth), 1e-9)
    np.testing.assert_allclose(y, truth, atol=1e-4 * span + 1e-9)
    lo, hi = visible_y(svg, gid)
    assert lo <= truth.min() and truth.max() <= hi, "every point inside the axes"


def test_captions_say_the_latest_values(stepped):
    ctx = stepped.plot_context()
    captions = {p.key: caption_lines(p, [("", stepped.records, ctx)]) for p in PANELS}
    assert all(len(lines) == 1 for lines in captions.values())
    last = stepped.records[-1]
    assert captions["index"][0].startswith(f"Day 11: index {last['index_level']:.2f}")
    calls = sum(r["margin_calls"] for r in stepped.records)
    assert f"since the start {calls:,.0f} calls" in captions["calls"][0]
    assert "-0.0" not in captions["channels"][0]
    dealer = last["flow_dealer_usd"] / 1e9 + 0.0
    assert "net bought ($ bn) margin: forced" in captions["channels"][0]
    assert f"options dealers {dealer:,.1f}" in captions["channels"][0]
    assert all(caption_lines(p, [("", [], ctx)])[0] for p in PANELS)  # before the first step too


def test_one_sign_convention_net_bought_as_in_the_static_figures(stepped):
    """The channel panel plots each channel's net $ bought (selling below zero), like
    sim.report.figures.CHANNEL_FLOWS: the same columns, labels and colours, not negated."""
    from sim.apps.dashboard.panels import CHANNELS
    from sim.report.figures import CHANNEL_FLOWS

    channels = next(p for p in PANELS if p.key == "channels")
    assert [(s.column, s.label, s.colour) for s in channels.series] == list(CHANNELS)
    assert set(CHANNELS) <= set(CHANNEL_FLOWS)
    assert all(s.scale > 0 for s in channels.series)
    assert "net bought" in channels.ylabel and "selling < 0" in channels.title


# ----------------------------------------------------------------------------------- command
@pytest.mark.parametrize("port", ["0", "65536", "-1", "http", "8080.5"])
def test_dashboard_port_out_of_range_is_one_line_exit_2(port, capsys):
    assert main(["dashboard", "--port", port]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "must be an integer in [1, 65535]" in err


def test_dashboard_port_in_use_is_one_line_exit_2(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["dashboard", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"marginsim dashboard: --port {port}: cannot listen on 127.0.0.1:{port}") and "\n" not in err


def test_server_checks():
    assert check_port(8765) == 8765
    for bad in (0, 65536, True, 80.0):
        with pytest.raises(DashboardError, match=r"must be an integer in \[1, 65535\]"):
            check_port(bad)
    with pytest.raises(DashboardError, match="not an address of this machine"):
        check_free("no-such-host.invalid", 8765)


# -------------------------------------------------------------------------------- comparison
def test_comparing_one_input_steps_both_runs_together_on_the_same_seed():
    """B is A with one input changed; each is exactly its own MarketModel, day for day."""
    page = DashboardModel(accounts="2000", shock_day="3", shock_size=-0.25, compare="input", vary="maintenance",
                          value_b="0.4")
    assert page.error is None and [run.label for run in page.runs] == ["A: maintenance margin 0.3",
                                                                       "B: maintenance margin 0.4"]
    a = MarketModel(resolve(Inputs(accounts="2000", shock_day="3", shock_size=-0.25)).spec, seed=1)
    b = MarketModel(resolve(Inputs(accounts="2000", shock_day="3", shock_size=-0.25, maintenance=0.4)).spec, seed=1)
    for _ in range(6):
        page.step()
        a.step()
        b.step()
    assert page.runs[0].model.records == a.records and page.runs[1].model.records == b.records
    assert page.records == a.records and page.day_count == 6 and len(page.step_seconds) == 6
    assert page.runs[0].resolved.seed == page.runs[1].resolved.seed == 1


def test_comparing_two_scenarios_runs_b_as_filed_at_the_page_size():
    page = DashboardModel(accounts="1500", seed="7", compare="scenario", scenario_b="covid-2020")
    a, b = page.runs
    assert b.label == "B: covid-2020" and b.resolved.seed == 7
    assert b.resolved.changes == ("margin.accounts: 100000 -> 1500",)
    assert b.resolved.spec.hash() == load("covid-2020", ["margin.accounts=1500"]).hash()
    assert (a.days, b.days) == (252, 126) and page.days == 252 and page.contexts()[1].days == 252
    assert (b.resolved.shock_day, b.resolved.shock_size) == (15, -0.035)  # covid-2020's first index gap
    for _ in range(3):
        page.step()
    for panel in PANELS:  # every panel draws both runs on the longer run's x range
        figure = LiveFigure(panel, page.contexts(), [r.label for r in page.runs])
        svg = figure.svg(*(run.model.records for run in page.runs))
        x, _ = read_line(svg, panel.series[-1].gid + "-b")
        np.testing.assert_allclose(x, [0, 1, 2], atol=1e-3)
        assert all(ax.get_xlim() == (-1, 252) for ax in figure.axes)


def test_the_shorter_run_stops_and_the_longer_goes_on():
    page = DashboardModel(accounts=300, compare="input", vary="shock_day", value_b="1")
    page.runs[1].resolved.spec.simulation.days = 2  # a short run B (the spec is the model's own copy)
    for _ in range(4):
        page.step()
    assert [len(run.model.records) for run in page.runs] == [4, 2] and page.running
    lines = caption_lines(PANELS[0], [(r.label, r.model.records, c) for r, c in zip(page.runs, page.contexts(),
                                                                                    strict=True)])
    assert lines[0] == "Day 3:" and "(ended on day 1)" in lines[2]


@pytest.mark.parametrize(("params", "message"), [
    ({"vary": "maintenance", "value_b": "abc"}, "run B: maintenance margin = 'abc': must be a number in [0.25, 0.99]"),
    ({"vary": "seed", "value_b": "2"}, "input varied in B = 'seed': must be one of leverage_mean"),
    ({"compare": "scenario", "scenario_b": "nope"}, "scenario B = 'nope': must be one of baseline"),
    ({"compare": "both"}, "comparison = 'both': must be one of off, scenario, input"),
])
def test_bad_comparison_input_is_one_line(params, message):
    model = DashboardModel(accounts=300, **{"compare": "input", **params})
    assert model.error is not None and message in model.error and "\n" not in model.error
    assert not model.running and model.runs == []


@pytest.fixture(scope="module")
def compared():
    model = DashboardModel(accounts=2000, shock_day=3, shock_size=-0.3, compare="input", vary="shock_size",
                           value_b="-0.1")
    for _ in range(10):
        model.step()
    return model


@pytest.mark.parametrize(("panel_key", "gid", "column", "scale"), [
    ("index", "index-line", "index_level", 1.0),  # overlaid: A solid, B dashed
    ("book", "margin-debt-line", "margin_debt", 1e9),
    ("channels", "flow-flow_dealer_usd", "flow_dealer_usd", 1e9),  # side by side, shared y
    ("calls", "liquidations-line", "liquidations", 1.0),
    ("gamma", "gamma-line", "dealer_gex_usd", 1e9),
])
def test_comparison_panels_show_both_runs_and_they_read_back(compared, panel_key, gid, column, scale):
    panel = next(p for p in PANELS if p.key == panel_key)
    figure = LiveFigure(panel, compared.contexts(), [r.label for r in compared.runs])
    svg = figure.svg(*(run.model.records for run in compared.runs))
    for run, suffix in zip(compared.runs, ("", "-b"), strict=True):
        x, y = read_line(svg, gid + suffix)
        truth = np.array([r[column] for r in run.model.records]) / scale
        np.testing.assert_allclose(x, np.arange(10), atol=1e-4)
        np.testing.assert_allclose(y, truth, atol=1e-4 * max(np.ptp(truth), 1e-9) + 1e-9)
    assert b"A: shock size -0.3" in svg and b"B: shock size -0.1" in svg  # the legend or the axes' titles


# ------------------------------------------------------------------------------------ playing
class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


class _Model:
    def __init__(self, days: int, clock: _Clock, step_s: float) -> None:
        self.days, self.clock, self.step_s, self.day, self.running = days, clock, step_s, 0, True

    def step(self) -> None:
        self.clock.now += self.step_s
        self.day += 1
        self.running = self.day < self.days


def test_playing_flat_out_draws_several_days_per_redraw():
    """5 ms a day, 80 ms a redraw: redraws take at most about a third of the time, every day is shown at the end."""
    from sim.apps.dashboard.play import play

    clock = _Clock()
    model = _Model(252, clock, 0.005)
    shown = []

    def draw():
        clock.now += 0.080
        shown.append(model.day)

    stats = play(model, draw, lambda: True, None, clock=clock, sleep=clock.sleep)
    assert stats.days == 252 and shown[-1] == 252 and not model.running
    assert stats.redraws == len(shown) < 40
    assert stats.days_per_second > 3 * 1 / 0.085  # three times faster than a redraw after every day
    assert sum(0.080 for _ in shown) < 0.4 * stats.seconds


def test_playing_slowly_draws_every_day_on_schedule_and_pause_stops():
    from sim.apps.dashboard.play import play

    clock = _Clock()
    model = _Model(252, clock, 0.005)
    shown = []
    stats = play(model, lambda: shown.append((model.day, clock.now)), lambda: model.day < 10, 2.0,
                 clock=clock, sleep=clock.sleep)
    assert [d for d, _ in shown] == list(range(1, 11)) and model.running
    assert stats.seconds == pytest.approx(4.5 + 0.005, abs=0.01)  # day k starts at k / 2 s
    assert stats.days_per_second == pytest.approx(10 / 4.505, rel=0.01)


# ---------------------------------------------------------------------------------- fan chart
@pytest.fixture(scope="module")
def fan():
    from sim.apps.dashboard.fan import run_seeds

    spec = resolve(Inputs(accounts=400, shock_day=2, shock_size=-0.3)).spec
    spec.simulation.days = 6
    progress = []
    result = run_seeds(spec, [1, 2, 3, 4], lambda done, day, days: progress.append((done, day, days)))
    assert progress[0] == (0, 1, 6) and progress[-1] == (3, 6, 6) and len(progress) == 24
    return spec, result


def test_fan_runs_are_exactly_sim_simulate(fan):
    from sim.run.simulate import simulate

    spec, result = fan
    assert result.seeds == (1, 2, 3, 4) and result.requested == 4 and result.values["index_level"].shape == (4, 6)
    for i, seed in enumerate(result.seeds):
        ts = simulate(spec, seed).timeseries
        np.testing.assert_array_equal(result.values["index_level"][i], ts["index_level"].to_numpy())
        np.testing.assert_array_equal(result.values["margin_debt"][i], ts["margin_debt"].to_numpy())


def test_fan_chart_draws_the_median_and_the_bands(fan):
    from sim.apps.dashboard.fan import fan_svg
    from tests.apps.svg_read import has_group

    _, result = fan
    svg = fan_svg(result)
    for column, scale in (("index_level", 1.0), ("margin_debt", 1e9)):
        x, y = read_line(svg, f"fan-{column}-median")
        truth = np.median(result.values[column], axis=0) / scale
        np.testing.assert_allclose(x, np.arange(6), atol=1e-3)
        np.testing.assert_allclose(y, truth, atol=2e-3 * max(np.ptp(truth), 1e-9))
        assert has_group(svg, f"fan-{column}-5-95") and has_group(svg, f"fan-{column}-25-75")
    bands = result.bands("index_level")
    assert all(np.all(lo <= hi) for lo, hi in zip(list(bands.values())[:-1], list(bands.values())[1:], strict=True))
    assert b"4 seeds (1 to 4)" in svg and b"$ billion" in svg


def test_fan_stops_when_cancelled_and_keeps_the_seeds_done():
    from sim.apps.dashboard.fan import iter_seeds

    spec = resolve(Inputs(accounts=300)).spec
    spec.simulation.days = 3
    days_run = []
    fans = list(iter_seeds(spec, [5, 6, 7], lambda done, day, days: days_run.append(day),
                           cancelled=lambda: len(days_run) >= 4))
    assert [f.seeds for f in fans] == [(5,)] and fans[-1].requested == 3 and len(days_run) == 4


# ---------------------------------------------------------------------------------- timing
def test_dashboard_timing_measures_play_speed(tmp_path, capsys):
    out = tmp_path / "timing.json"
    assert main(["dashboard-timing", "--accounts", "300", "--days", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "play speed:" in printed and "days per second redrawing every day" in printed
    import json

    result = json.loads(out.read_text())
    assert result["days_per_s_playing"] > 0 and result["days_per_s_redraw_every_day"] > 0
    assert result["days"] == 3 and result["redraws_playing"] >= 1


def test_redraws_rewrite_only_the_paths_until_a_y_limit_moves(stepped):
    """The fast redraw (paths written into the last SVG) reads back exactly like a full one."""
    panel = next(p for p in PANELS if p.key == "book")
    figure = LiveFigure(panel, stepped.plot_context())
    for n in range(1, 13):
        fast = figure.svg(stepped.records[:n])
        full = LiveFigure(panel, stepped.plot_context()).svg(stepped.records[:n])
        for gid in ("margin-debt-line", "net-credit-line"):
            np.testing.assert_allclose(read_line(fast, gid), read_line(full, gid), atol=1e-3)
    assert figure.full_renders < 12  # y limits on round ticks hold for several days
