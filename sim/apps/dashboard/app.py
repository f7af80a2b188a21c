"""The SolaraViz page: inputs in the sidebar, a status card and five live figures.

Mesa's SolaraViz supplies the Reset / ▶ / Step controls and the parameter panel; Reset builds a
new :class:`DashboardModel` from the inputs (as in Mesa's own examples, inputs apply on Reset).
Every browser session gets its own model. Served by ``marginsim dashboard``
(``solara run sim.apps.dashboard.app:Page`` works too).
"""

from __future__ import annotations

from typing import Any

import solara
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.utils import update_counter
from solara.alias import rw

from sim import __version__
from sim.apps.dashboard.inputs import LETF_LEVERAGES, Inputs
from sim.apps.dashboard.model import DashboardModel
from sim.apps.dashboard.plots import PANELS, LiveFigure, Panel
from sim.config.scenario import builtin_names

DEFAULTS = Inputs()
MODEL_PARAMS: dict[str, Any] = {
    "scenario_name": {"type": "Select", "value": DEFAULTS.scenario_name, "values": builtin_names(),
                      "label": "Scenario"},
    "leverage_mean": Slider("Average leverage target (x)", DEFAULTS.leverage_mean, 1.05, 1.95, 0.05),
    "maintenance": Slider("Maintenance margin (1st broker)", DEFAULTS.maintenance, 0.25, 0.49, 0.01),
    "letf_aum_bn": Slider("Leveraged-ETF AUM ($ bn)", DEFAULTS.letf_aum_bn, 0.0, 600.0, 1.0),
    "letf_leverage": {"type": "Select", "value": DEFAULTS.letf_leverage, "values": list(LETF_LEVERAGES),
                      "label": "LETF leverage (every fund)"},
    "dealer_gamma": Slider("Dealer gamma (x scenario)", DEFAULTS.dealer_gamma, -2.0, 3.0, 0.1),
    "vol_target": Slider("Vol-control target (annual)", DEFAULTS.vol_target, 0.02, 0.30, 0.01),
    "shock_size": Slider("Shock size (index gap)", DEFAULTS.shock_size, -0.40, 0.10, 0.01),
    "shock_day": {"type": "InputText", "value": str(DEFAULTS.shock_day), "label": "Shock day"},
    "accounts": {"type": "InputText", "value": str(DEFAULTS.accounts), "label": "Number of accounts"},
    "seed": {"type": "InputText", "value": str(DEFAULTS.seed), "label": "Seed"},
}
"""The sidebar's inputs (Mesa ``model_params``): each is a keyword of :class:`DashboardModel`."""

STYLE = """
.marginsim-caption { font-size: 13px; line-height: 1.35; }
/* Mesa's sliders show their value only while dragged; keep it visible */
.v-slider__thumb-label-container { display: block !important; }
.v-slider { margin-top: 22px; }
"""


def _panel_component(panel: Panel):
    @solara.component
    def PanelView(model: DashboardModel):
        update_counter.get()  # re-render after every step
        n = len(model.records)
        ctx = solara.use_memo(model.plot_context, [model])
        figure = solara.use_memo(lambda: LiveFigure(panel, ctx), [model])
        records = model.records[:n]
        svg = solara.use_memo(lambda: figure.svg(records), [model, n])
        with solara.Column(gap="2px", classes=[f"marginsim-panel marginsim-panel-{panel.key}"]):
            rw.Image(value=svg, format="svg+xml")
            text = panel.caption(records, ctx) if model.error is None else "No run: fix the inputs (see the message)."
            solara.Text(text, classes=["marginsim-caption", f"marginsim-caption-{panel.key}"])

    PanelView.__name__ = f"{panel.key.title()}Panel"
    return PanelView


def _describe(inputs: Inputs) -> str:
    """The inputs behind the running model, in words (the sidebar holds the next Reset's)."""
    return (f"average leverage {inputs.leverage_mean:g}x, maintenance {inputs.maintenance:.0%} (1st broker), "
            f"LETFs ${inputs.letf_aum_bn:,.0f} bn at leverage {inputs.letf_leverage}, dealer gamma "
            f"{inputs.dealer_gamma:g}x the scenario's, vol target {inputs.vol_target:.0%}, "
            f"shock {inputs.shock_size:+.0%} on day {inputs.shock_day}.")


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:,.0f} ms"


@solara.component
def StatusCard(model: DashboardModel):
    """What is running (scenario, seed, hash, size), how far, how fast, and any input error."""
    update_counter.get()
    with solara.Column(gap="6px", classes=["marginsim-status"]):
        solara.Style(STYLE)
        if model.error is not None:
            solara.Error(f"Bad input: {model.error}", classes=["marginsim-error"])
            solara.Text("Fix the input in the sidebar and press Reset; nothing else changed.",
                        classes=["marginsim-caption"])
            return
        res = model.resolved
        assert res is not None
        spec = res.spec
        n = len(model.records)
        solara.Text(f"{spec.meta.name}, seed {res.seed}, {spec.margin.accounts:,} accounts, scenario hash "
                    f"{spec.hash()} (marginsim {__version__})", style={"font-weight": "bold"},
                    classes=["marginsim-caption"])
        solara.Text("This run: " + _describe(model.inputs), classes=["marginsim-caption", "marginsim-inputs"])
        times = sorted(model.step_seconds)
        speed = (f"last step {_ms(model.step_seconds[-1])} in the model, median {_ms(times[len(times) // 2])}"
                 if times else f"built in {_ms(model.build_seconds)}")
        solara.Text(f"{n} of {model.days} trading days run; {speed}.",
                    classes=["marginsim-caption", "marginsim-progress"])
        if res.changes:
            shown = ", ".join(res.changes[:8]) + (f" and {len(res.changes) - 8} more" if len(res.changes) > 8 else "")
            solara.Text(f"Changed from the scenario file: {shown}.", classes=["marginsim-caption"])
        else:
            solara.Text(f"As in the scenario file (marginsim run {spec.meta.name} --seed {res.seed}).",
                        classes=["marginsim-caption"])
        solara.Text("Inputs apply when you press Reset. Dotted line: the shock day.", classes=["marginsim-caption"])


COMPONENTS = [StatusCard, *(_panel_component(p) for p in PANELS)]


@solara.component
def Page():
    """One model per browser session (a module-level model would be shared by every visitor)."""
    solara.Title("marginsim dashboard")
    model = solara.use_memo(DashboardModel, [])
    SolaraViz(model, components=COMPONENTS, model_params=MODEL_PARAMS,
              name="marginsim: leverage feedback loops")
