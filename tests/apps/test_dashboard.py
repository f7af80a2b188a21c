"""The dashboard without a browser: inputs -> scenario, the page's model, the figures, the command."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from sim.apps.cli import main
from sim.apps.dashboard.inputs import Inputs, resolve
from sim.apps.dashboard.model import DashboardModel
from sim.apps.dashboard.plots import PANELS, LiveFigure
from sim.apps.dashboard.server import DashboardError, check_free, check_port
from sim.config.scenario import ScenarioError, load
from sim.model.market_model import MarketModel
from tests.apps.svg_read import read_line


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
    base = load("finra-2026-05").options
    doubled = resolve(Inputs(dealer_gamma=2.0)).spec.options
    flipped = resolve(Inputs(dealer_gamma=-1.0)).spec.options
    for b, d, f in zip(base, doubled, flipped, strict=True):
        assert d.notional_usd == 2 * b.notional_usd and d.side == b.side == "short"
        assert f.notional_usd == b.notional_usd and f.side == "long"
    assert resolve(Inputs(dealer_gamma=0.0)).spec.options == []


def test_dealer_gamma_on_the_page_scales_with_the_multiplier():
    """GEX is linear in notional: x2 doubles it, x-1 turns the dealers long gamma."""
    def gex(multiplier: float) -> float:
        mm = MarketModel(resolve(Inputs(dealer_gamma=multiplier, accounts=500)).spec, seed=1)
        return mm.gex(mm.market.prices, 0.0)

    base = gex(1.0)
    assert base < 0
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
    ({"scenario_name": "nope"}, "scenario = 'nope': must be one of baseline, broker-tightening, covid-2020"),
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
    ("channels", "sold-flow_dealer_usd", "flow_dealer_usd", -1e9),
    ("calls", "liquidations-line", "liquidations", 1.0),
    ("gamma", "gamma-line", "dealer_gex_usd", 1e9),
])
def test_each_panel_shows_the_records_and_they_read_back(stepped, panel_key, gid, column, scale):
    """The SVG the page shows holds one vertex per day at the recorded value (read through the ticks)."""
    panel = next(p for p in PANELS if p.key == panel_key)
    figure = LiveFigure(panel, stepped.plot_context())
    figure.svg(stepped.records[:2])  # the page redraws the same figure day after day
    x, y = read_line(figure.svg(stepped.records), gid)
    truth = np.array([r[column] for r in stepped.records]) / scale
    np.testing.assert_allclose(x, np.arange(12), atol=1e-4)
    span = max(np.ptp(truth), 1e-9)
    np.testing.assert_allclose(y, truth, atol=1e-4 * span + 1e-9)


def test_captions_say_the_latest_values(stepped):
    ctx = stepped.plot_context()
    captions = {p.key: p.caption(stepped.records, ctx) for p in PANELS}
    last = stepped.records[-1]
    assert captions["index"].startswith(f"Day 11: index {last['index_level']:.2f}")
    calls = sum(r["margin_calls"] for r in stepped.records)
    assert f"since the start {calls:,.0f} calls" in captions["calls"]
    assert "-0.0" not in captions["channels"]
    assert all(p.caption([], ctx) for p in PANELS)  # before the first step too


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
