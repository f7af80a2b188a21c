"""The sidebar: Reset / ▶ / Step with the play speed, the run's inputs and the comparison's.

Inputs apply when Reset is pressed (as in Mesa's SolaraViz): the sidebar edits ``pending``, one
reactive value per :class:`~sim.apps.dashboard.model.DashboardModel` keyword (one each, so two
inputs changed at once, in two of the server's threads, cannot undo each other), and Reset
builds the model from them. Every slider shows its value as text beside its label (no bubble above the thumb).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import solara

from sim.apps.dashboard.compare import MODES, VARIABLE, Comparison
from sim.apps.dashboard.inputs import LETF_LEVERAGES, Inputs
from sim.apps.dashboard.model import DashboardModel, Frame
from sim.apps.dashboard.play import DEFAULT_SPEED, SPEEDS, PlayStats, play
from sim.config.scenario import builtin_names

SLIDERS: dict[str, tuple[str, float, float, float, Callable[[float], str]]] = {
    "leverage_mean": ("Average leverage target", 1.05, 1.95, 0.05, lambda v: f"{v:.2f}x"),
    "maintenance": ("Maintenance margin (1st broker)", 0.25, 0.49, 0.01, lambda v: f"{v:.0%}"),
    "letf_aum_bn": ("Leveraged-ETF AUM", 0.0, 600.0, 1.0, lambda v: f"${v:,.0f} bn"),
    "dealer_gamma": ("Dealer gamma (x scenario)", -2.0, 3.0, 0.1, lambda v: f"{v:+.1f}x"),
    "vol_target": ("Vol-control target (annual)", 0.02, 0.30, 0.01, lambda v: f"{v:.0%}"),
    "shock_size": ("Shock size (index gap)", -0.40, 0.10, 0.01, lambda v: f"{v:+.0%}"),
}
"""Slider inputs: label, min, max, step, how the value reads."""
TEXTS = {"shock_day": "Shock day", "accounts": "Number of accounts", "seed": "Seed"}
"""Typed inputs (checked on Reset, with a one-line message if bad)."""


def default_params() -> dict[str, Any]:
    """The sidebar's initial values: every DashboardModel keyword at its default (typed ones as text)."""
    params = {**asdict(Inputs()), "compare": Comparison.mode, "scenario_b": Comparison.scenario_b,
              "vary": Comparison.vary, "value_b": Comparison.value_b}
    return {k: str(v) if k in TEXTS else v for k, v in params.items()}


@solara.component
def LabelledSlider(name: str, value: float, on_value: Callable[[float], None]):
    """A slider with its label and value on one line above it."""
    label, lo, hi, step, fmt = SLIDERS[name]
    with solara.Column(gap="0px", classes=["marginsim-input", f"marginsim-input-{name}"]):
        with solara.Row(justify="space-between", classes=["marginsim-slider-label"]):
            solara.Text(label)
            solara.Text(fmt(value), classes=["marginsim-slider-value"])
        solara.SliderFloat("", value=value, min=lo, max=hi, step=step, on_value=on_value, thumb_label=False)


Pending = dict[str, solara.Reactive[Any]]
"""The sidebar's values for the next Reset, one reactive per model keyword."""


@solara.component
def RunInputs(pending: Pending):
    """The run's inputs: scenario, sliders, LETF leverage, shock day, size and seed."""
    solara.Select("Scenario", values=builtin_names(), value=pending["scenario_name"])
    for name in SLIDERS:
        LabelledSlider(name, pending[name].value, pending[name].set)
    solara.Select("LETF leverage (every fund)", values=list(LETF_LEVERAGES), value=pending["letf_leverage"])
    for name, label in TEXTS.items():
        solara.InputText(label, value=pending[name])


@solara.component
def CompareInputs(pending: Pending):
    """What run B is: nothing, another scenario (as filed), or run A with one input changed."""
    by_text = {text: key for key, text in MODES.items()}
    var_by_text = {text: key for key, text in VARIABLE.items()}
    compare = pending["compare"].value
    solara.Select("Compare with", values=list(MODES.values()), value=MODES[compare],
                  on_value=lambda text: pending["compare"].set(by_text[text]))
    if compare == "scenario":
        solara.Select("Scenario B (as in its file)", values=builtin_names(), value=pending["scenario_b"])
    elif compare == "input":
        solara.Select("Input changed in B", values=list(VARIABLE.values()), value=VARIABLE[pending["vary"].value],
                      on_value=lambda text: pending["vary"].set(var_by_text[text]))
        solara.InputText("Its value in B", value=pending["value_b"])
    solara.Text("Both runs use the same seed and number of accounts and step together.",
                classes=["marginsim-caption"])


@solara.component
def RunControls(model: solara.Reactive[DashboardModel], pending: Pending,
                redraw: solara.Reactive[Frame], stats: solara.Reactive[PlayStats]):
    """Reset (build the model from the inputs), ▶ / ❚❚ (play at the chosen speed) and Step (one day)."""
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)
    generation = solara.use_ref(0)  # a newer play task stops an older one still finishing its day

    def draw() -> None:
        """Show the days run so far (solara renders now, or after a render already under way)."""
        redraw.set(model.value.frame())

    def run_play() -> None:
        generation.current += 1
        mine = generation.current
        if not playing.value:
            return
        current = model.value
        spell = PlayStats()
        stats.set(spell)
        play(current, draw, lambda: playing.value and model.value is current and generation.current == mine,
             SPEEDS[speed.value], stats=spell)
        stats.set(PlayStats(spell.days, spell.redraws, spell.seconds, spell.redraw_seconds))
        playing.set(False)

    solara.lab.use_task(run_play, dependencies=[playing.value], prefer_threaded=True)

    def reset() -> None:
        playing.set(False)
        model.set(DashboardModel(**{name: value.value for name, value in pending.items()}))
        stats.set(PlayStats())

    def step() -> None:
        model.value.step()
        draw()

    running = model.value.running
    with solara.Row(justify="space-between"):
        solara.Button("Reset", color="primary", on_click=reset)
        solara.Button("❚❚" if playing.value else "▶", color="primary", disabled=not (running or playing.value),
                      on_click=lambda: playing.set(not playing.value))
        solara.Button("Step", color="primary", disabled=playing.value or not running, on_click=step)
    solara.Select("Play speed (trading days per second)", values=list(SPEEDS), value=speed.value,
                  on_value=speed.set)
