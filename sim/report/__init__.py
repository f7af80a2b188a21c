"""The report layer: figures and markdown, drawn from the analysis layer's numbers.

One figure style (:mod:`sim.report.style`), run overviews, experiment and validation reports,
and the reproducible paper figures (:mod:`sim.report.paper`, ``marginsim figures``).
"""
