"""The interactive dashboard (``marginsim dashboard``): a Mesa SolaraViz page for MarketModel.

inputs.py   the dashboard's inputs -> a validated Scenario (one-line messages on bad input)
model.py    DashboardModel, the mesa.Model the page steps (a MarketModel, or the input error)
plots.py    the live figures (matplotlib -> SVG), one per panel
app.py      the SolaraViz page (imports solara; needs the ``viz`` extra)
server.py   starting the solara server bound to 127.0.0.1
"""
