"""The interactive dashboard (``marginsim dashboard``): a solara page around a Mesa model of the market.

inputs.py    the dashboard's inputs -> a validated Scenario (one-line messages on bad input)
compare.py   comparison mode: run B (another scenario, or one input changed) on the same seed
model.py     DashboardModel, the mesa.Model the page steps (one or two MarketModels, or the input error)
panels.py    what each live panel shows (series, units, titles, captions; flows as net $ bought)
plots.py     the live figures (matplotlib -> SVG, redrawn by rewriting only the paths when it can)
play.py      playing at a chosen pace, several days per redraw when drawing is the slower part
fan.py       the fan chart: N seeds of the page's run, quantile bands of the index and margin debt
stocks.py    the per-stock view: the stock layer on run A's finished market path, figures and top names
controls.py  the sidebar (imports solara): Reset / play / Step, the inputs, the comparison
views.py     the main area (imports solara): status card, panel grid, fan chart, per-stock view
app.py       the page (needs the ``viz`` extra)
server.py    starting the solara server bound to 127.0.0.1
timing.py    ``marginsim dashboard-timing``: model, drawing and play speed on the server
"""
