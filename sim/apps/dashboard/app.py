"""The page: controls and inputs in the sidebar; a live run (or two compared), a fan chart of seeds and,
for scenarios with the stock layer, a per-stock view.

Built from solara components around a Mesa model (:class:`DashboardModel`) rather than Mesa's
generic SolaraViz frame, whose extras mean nothing here (a "Page 0" tab, a "Use Threads" box, a
"Time" counter beside the trading day, a draggable grid of unequal cards). As in SolaraViz,
inputs apply on Reset, ▶ plays and Step advances one trading day. Every browser session gets its
own model. Served by ``marginsim dashboard`` (``solara run sim.apps.dashboard.app:Page`` works too).
"""

from __future__ import annotations

import solara

from sim.apps.dashboard.controls import CompareInputs, RunControls, RunInputs, default_params
from sim.apps.dashboard.model import DashboardModel
from sim.apps.dashboard.play import PlayStats
from sim.apps.dashboard.views import FanView, PanelGrid, StatusCard, StocksView

STYLE = """
.marginsim-caption { font-size: 13px; line-height: 1.35; display: block; }
.marginsim-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 12px;
                  align-items: stretch; margin-top: 12px; }
.marginsim-panel { height: 100%; padding: 8px 10px; }
.marginsim-wide { grid-column: 1 / -1; }
.marginsim-fan { padding: 8px 14px; }
.marginsim-panel img, .marginsim-fan img { width: 100%; height: auto; display: block; }
.marginsim-status { padding: 10px 14px; }
.marginsim-status .marginsim-caption { margin: 1px 0; }
.marginsim-slider-label { font-size: 14px; margin-top: 10px; margin-bottom: -6px; }
.marginsim-slider-value { font-weight: 600; font-variant-numeric: tabular-nums; }
.marginsim-sidebar .v-card { margin-bottom: 12px; }
.marginsim-stocks { padding: 8px 14px; }
.marginsim-stocks img { width: 100%; height: auto; display: block; margin: 8px 0; }
.marginsim-stocks-table { border-collapse: collapse; font-size: 13px; margin-top: 4px; }
.marginsim-stocks-table th, .marginsim-stocks-table td { padding: 2px 10px; border-bottom: 1px solid #ddd; }
.marginsim-stocks-table td:nth-child(n+3) { text-align: right; font-variant-numeric: tabular-nums; }
"""


@solara.component
def Page():
    """One model per browser session (a module-level model would be shared by every visitor)."""
    solara.Title("marginsim dashboard")
    solara.Style(STYLE)
    first = solara.use_memo(DashboardModel, [])
    model = solara.use_reactive(first)
    pending = {name: solara.use_reactive(value) for name, value in default_params().items()}  # fixed order
    redraw = solara.use_reactive(first.frame())
    stats = solara.use_reactive(PlayStats())
    last_good = solara.use_ref(first)
    if model.value.error is None:
        last_good.current = model.value
    shown = last_good.current if last_good.current is not None and last_good.current.runs else None

    with solara.AppBar():
        solara.AppBarTitle("marginsim: leverage feedback loops")
    with solara.Sidebar(), solara.Column(classes=["marginsim-sidebar"]):
        with solara.Card("Run"):
            RunControls(model, pending, redraw, stats)
        with solara.Card("Inputs (apply on Reset)"):
            RunInputs(pending)
        with solara.Card("Compare (apply on Reset)"):
            CompareInputs(pending)
    with solara.lab.Tabs(lazy=True):
        with solara.lab.Tab("Live run"):
            StatusCard(model.value, shown, redraw, stats)
            PanelGrid(shown, redraw)
        with solara.lab.Tab("Fan chart of seeds"):
            FanView(shown)
        with solara.lab.Tab("Stocks by name"):
            StocksView(shown)
