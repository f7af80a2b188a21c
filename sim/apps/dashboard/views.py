"""The page's main area: the status card, the five live panels (one run or two compared), the fan chart
and the per-stock view.

``model`` is what Reset built; ``shown`` is the run the panels draw: the same model, or after a
bad input the last good one, so the plots stay as they were while the message says what to fix.
"""

from __future__ import annotations

import html
import time

import numpy as np
import solara
from solara.alias import rw

from sim import __version__
from sim.apps.dashboard.fan import MAX_SEEDS, MIN_SEEDS, Fan, fan_svg, iter_seeds
from sim.apps.dashboard.inputs import Inputs
from sim.apps.dashboard.model import DashboardModel, Frame
from sim.apps.dashboard.panels import PANELS, Panel, caption_lines
from sim.apps.dashboard.play import PlayStats
from sim.apps.dashboard.plots import LiveFigure
from sim.apps.dashboard.stocks import TABLE_COLUMNS, StockView, no_layer_line, stock_view


def describe(inputs: Inputs) -> str:
    """The inputs behind the running model, in words (the sidebar holds the next Reset's)."""
    return (f"average leverage {inputs.leverage_mean:g}x, maintenance {inputs.maintenance:.0%} (1st broker), "
            f"LETFs ${inputs.letf_aum_bn:,.0f} bn at leverage {inputs.letf_leverage}, dealer gamma "
            f"{inputs.dealer_gamma:g}x the scenario's, vol target {inputs.vol_target:.0%}, "
            f"shock {inputs.shock_size:+.0%} on day {inputs.shock_day}.")


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:,.0f} ms"


def _speed(model: DashboardModel, stats: PlayStats) -> str:
    """How fast the model steps and the page plays, in words."""
    times = sorted(model.step_seconds)
    if not times:
        return f"built in {_ms(model.build_seconds)}"
    text = f"a day takes {_ms(times[len(times) // 2])} in the model (median)"
    if stats.days and stats.seconds:
        text += f"; played {stats.days} days at {stats.days_per_second:,.1f} days per second"
    return text


def _shock_lines(runs: int) -> str:
    return "Dotted line: the shock day." if runs == 1 else "Dotted line: run A's shock day; dash-dotted: run B's."


def _changes(changes: tuple[str, ...]) -> str:
    return ", ".join(changes[:8]) + (f" and {len(changes) - 8} more" if len(changes) > 8 else "")


@solara.component
def StatusCard(model: DashboardModel, shown: DashboardModel | None, redraw: solara.Reactive[Frame],
               stats: solara.Reactive[PlayStats]):
    """What is running (scenario, seed, hash, size), how far, how fast, and any input error."""
    days = max(model.counts(redraw.value), default=0)  # re-rendered after every redraw
    with solara.Card(classes=["marginsim-status"], margin=0):
        if model.error is not None:
            solara.Error(f"Bad input: {model.error}", classes=["marginsim-error"])
            kept = (f"The plots still show the last good run ({shown.runs[0].resolved.spec.meta.name}, day "
                    f"{shown.day_count}). " if shown is not None and shown.runs else "")
            solara.Text(f"{kept}Fix the input in the sidebar and press Reset.", classes=["marginsim-caption"])
            return
        for run in model.runs:
            res = run.resolved
            spec = res.spec
            head = f"{run.label} = " if run.label else ""
            solara.Text(f"{head}{spec.meta.name}, seed {res.seed}, {spec.margin.accounts:,} accounts, scenario hash "
                        f"{spec.hash()}", style={"font-weight": "bold"}, classes=["marginsim-caption"])
            if res.changes:
                solara.Text(f"Changed from the scenario file: {_changes(res.changes)}.", classes=["marginsim-caption"])
            else:
                solara.Text(f"As in the scenario file (marginsim run {spec.meta.name} --seed {res.seed}).",
                            classes=["marginsim-caption"])
        solara.Text(("Run A: " if len(model.runs) > 1 else "This run: ") + describe(model.inputs),
                    classes=["marginsim-caption", "marginsim-inputs"])
        solara.Text(f"{days} of {model.days} trading days run; {_speed(model, stats.value)}. "
                    f"Inputs apply when you press Reset. {_shock_lines(len(model.runs))} marginsim {__version__}.",
                    classes=["marginsim-caption", "marginsim-progress"])


@solara.component
def PanelView(model: DashboardModel, panel: Panel, redraw: solara.Reactive[Frame]):
    """One panel's figure (redrawn only when a day was added) and its caption."""
    counts = model.counts(redraw.value)
    contexts = solara.use_memo(model.contexts, [model])
    figure = solara.use_memo(lambda: LiveFigure(panel, contexts, [run.label for run in model.runs]), [model])
    records = [run.model.records[:n] for run, n in zip(model.runs, counts, strict=True)]
    svg = solara.use_memo(lambda: figure.svg(*records), [model, counts])
    lines = caption_lines(panel, [(run.label, recs, ctx) for run, recs, ctx in zip(model.runs, records, contexts,
                                                                                     strict=True)])
    wide = ["marginsim-wide"] if figure.wide else []
    with solara.Card(classes=["marginsim-panel", f"marginsim-panel-{panel.key}", *wide], margin=0):
        rw.Image(value=svg, format="svg+xml", layout={"width": "100%"})
        with solara.Column(gap="0px", classes=["marginsim-caption", f"marginsim-caption-{panel.key}"]):
            for line in lines:
                solara.Text(line)


@solara.component
def PanelGrid(shown: DashboardModel | None, redraw: solara.Reactive[Frame]):
    """The five panels in an even grid (or nothing before any good run)."""
    if shown is None or not shown.runs:
        return
    with solara.Div(classes=["marginsim-grid"]):
        for panel in PANELS:
            PanelView(shown, panel, redraw).key(f"{panel.key}-{id(shown)}")


def _fan_progress(task, text: solara.Reactive[str]):
    """A progress reporter for :func:`iter_seeds` that updates the page at most four times a second."""
    last = [0.0]

    def report(done: int, day: int, days: int, seeds: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= 0.25 or (day == days and done + 1 == seeds):
            last[0] = now
            task.progress = 100.0 * (done * days + day) / (seeds * days)
            text.set(f"seed {done + 1} of {seeds}: day {day} of {days}")

    return report


@solara.component
def FanView(shown: DashboardModel | None):
    """N seeds of the page's run A (same inputs and size): quantile bands of the index and margin debt."""
    seeds = solara.use_reactive(20)
    text = solara.use_reactive("")
    task_ref = solara.use_ref(None)

    def compute():
        model = shown
        assert model is not None and model.resolved is not None
        res = model.resolved
        wanted = list(range(res.seed, res.seed + seeds.value))
        report = _fan_progress(task_ref.current, text)
        text.set(f"seed 1 of {len(wanted)}: building the book")
        yield from iter_seeds(res.spec, wanted, lambda d, day, days: report(d, day, days, len(wanted)),
                              cancelled=lambda: not task_ref.current.is_current())

    task = solara.lab.use_task(compute, dependencies=None, raise_error=False)
    task_ref.current = task
    with solara.Card("Fan chart: the run's spread across seeds", classes=["marginsim-fan"], margin=0):
        if shown is None or shown.resolved is None:
            solara.Text("No good run to vary: fix the inputs and press Reset.")
            return
        res = shown.resolved
        run_a = " (run A)" if len(shown.runs) > 1 else ""
        solara.Text(f"Runs {res.spec.meta.name}{run_a} with the page's inputs and {res.spec.margin.accounts:,} "
                    f"accounts once per seed ({res.seed}, {res.seed + 1}, ...) and draws the 5-95% and 25-75% bands "
                    "and the median of the index and of margin debt. Inputs apply after Reset.",
                    classes=["marginsim-caption"])
        with solara.Row(justify="space-between", classes=["marginsim-slider-label"]):
            solara.Text("Seeds")
            solara.Text(f"{seeds.value}", classes=["marginsim-slider-value"])
        with solara.Div(classes=["marginsim-input", "marginsim-input-seeds"]):
            solara.SliderInt("", value=seeds, min=MIN_SEEDS, max=MAX_SEEDS, step=1, thumb_label=False,
                             disabled=task.pending)
        with solara.Row():
            solara.Button(f"Run {seeds.value} seeds", color="primary", on_click=task, disabled=task.pending,
                          classes=["marginsim-fan-run"])
            solara.Button("Stop", on_click=task.cancel, disabled=not task.pending)
        if task.pending:
            solara.ProgressLinear(task.progress or True)
            solara.Text(f"Running {text.value}", classes=["marginsim-caption", "marginsim-fan-progress"])
        FanChart(task.latest, task.pending, task.error, task.exception)


@solara.component
def FanChart(fan: Fan | None, pending: bool, failed: bool, exception: BaseException | None):
    """The fan chart's figure and a line saying how many seeds it holds."""
    svg = solara.use_memo(lambda: None if fan is None else fan_svg(fan), [fan])
    if failed:
        solara.Error(f"The seeds could not be run: {exception}")
    if fan is None:
        return
    done = len(fan.seeds)
    state = (f"{done} of {fan.requested} seeds so far" if pending else
             f"{done} seeds" if done == fan.requested else f"stopped after {done} of {fan.requested} seeds")
    rw.Image(value=svg, format="svg+xml", layout={"width": "100%"})
    final = {k: v[:, -1] for k, v in fan.values.items()}
    solara.Text(f"{fan.scenario}, {state}. Last day: index median {np.median(final['index_level']):.1f} "
                f"(5-95%: {np.quantile(final['index_level'], 0.05):.1f} to "
                f"{np.quantile(final['index_level'], 0.95):.1f}); margin debt median "
                f"${np.median(final['margin_debt']) / 1e9:,.0f} bn.", classes=["marginsim-caption",
                                                                           "marginsim-fan-caption"])


def _table_html(view: StockView) -> str:
    """The top names as a small HTML table (escaped)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in TABLE_COLUMNS.values())
    rows = "".join(f"<tr><td>{html.escape(str(r.ticker))}</td><td>{html.escape(str(r.sector))}</td>"
                   f"<td>{r.drawdown_pct:.1f}</td><td>{r.forced_sales_busd:,.2f}</td></tr>"
                   for r in view.table.itertuples())
    return f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody>"


@solara.component
def StockResult(view: StockView):
    """The stock layer's heatmap of the most-sold names, the sector bars and the top names by forced sales."""
    solara.Text(f"{view.scenario}, seed {view.seed}, on {view.source}: {view.summary} "
                f"(stock layer and figures: {view.seconds:.1f} s)", classes=["marginsim-caption",
                                                                              "marginsim-stocks-summary"])
    with solara.Div(classes=["marginsim-stocks-heatmap"]):
        rw.Image(value=view.heatmap_png, format="png", layout={"width": "100%"})
    with solara.Div(classes=["marginsim-stocks-sectors"]):
        rw.Image(value=view.sectors_png, format="png", layout={"width": "100%"})
    solara.Text(f"The {len(view.table)} names with the largest forced sales over the run",
                style={"font-weight": "bold"}, classes=["marginsim-caption"])
    solara.HTML(tag="table", unsafe_innerHTML=_table_html(view), classes=["marginsim-stocks-table"])


@solara.component
def StocksView(shown: DashboardModel | None):
    """Per-stock view of run A: a button runs the stock layer on its market path (scenarios with ``stocks.enabled``)."""
    task = solara.lab.use_task(lambda: stock_view(shown), dependencies=None, raise_error=False)
    with solara.Card("Stocks by name: drawdown and forced sales", classes=["marginsim-stocks"], margin=0):
        if shown is None or shown.resolved is None:
            solara.Text("No good run: fix the inputs and press Reset.", classes=["marginsim-caption"])
            return
        spec = shown.resolved.spec
        if not spec.stocks.enabled:
            solara.Text(no_layer_line(spec.meta.name), classes=["marginsim-caption", "marginsim-stocks-none"])
            return
        run_a = " of run A" if len(shown.runs) > 1 else ""
        solara.Text(f"The stock layer ({spec.stocks.names:,} names) runs on the finished market path{run_a}, as "
                    f"sim.simulate({spec.meta.name!r}, seed={shown.resolved.seed}) does: the live run's path if it "
                    "has reached its last day, otherwise the market is run to its end beside it.",
                    classes=["marginsim-caption"])
        if shown.resolved.changes:
            solara.Text(f"The page's inputs changed {spec.meta.name} ({_changes(shown.resolved.changes)}); shock size "
                        "0 and the scenario's other values run it as filed.", classes=["marginsim-caption"])
        solara.Button("Run the stock layer", color="primary", on_click=task, disabled=task.pending,
                      classes=["marginsim-stocks-run"])
        if task.pending:
            solara.ProgressLinear(True)
        if task.error:
            solara.Error(f"The stock layer could not run: {task.exception}")
        view = task.latest
        if view is not None and view.model_id == id(shown) and not task.pending:
            StockResult(view)
