"""The model layer: the Mesa market model, its market, agents and run-time invariants.

:class:`sim.model.market_model.MarketModel` (a ``mesa.Model``; ``step()`` is one trading day)
owns the price-impact market and the agents (one module each under ``sim.model.agents``).
"""
