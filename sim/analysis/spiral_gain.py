"""The Brunnermeier-Pedersen (2009) loss-spiral gain k of the margin book.

A fall x forces the margin book to sell F(x) dollars; with linear impact, selling Q dollars moves
the market's log value by ``multiplier x Q / market value`` (Gabaix-Koijen: $1 of flow moves
market value by ``multiplier`` dollars, :mod:`sim.core.impact`). The spiral gain is the extra fall
that the forced sales of one unit of fall cause:

    k(x) = multiplier x F'(x) / market value,

so a shock s ends as a fall s / (1 - k) when k is constant (the geometric sum s (1 + k + k^2 + ...)).
:func:`analytic_gain` measures F'(x) on the book itself just before the shock: the accounts' arrays
are marked at prices fallen by x (asset j by ``beta_j x``, as an index gap moves it) and cleared by
the book's own clearing (:func:`sim.book.clearing.clear`) with a call deadline of 0 (every call
not met from free credit is liquidated at once) and no price impact, so F(x) is the dollar amount
the brokers would sell at that fall; F' is a forward difference over one percentage point.

It ignores what the full model adds: the transient part of impact, depth thinning with
volatility, the other channels and the value traders. The *realised* k of a grid
(:mod:`sim.analysis.attribution_grid`) is the model's answer with all of them.
"""

from __future__ import annotations

import numpy as np

from sim.book import clearing
from sim.config.scenario import Scenario
from sim.core import impact
from sim.model.market_model import MarketModel

STEP = 0.01
"""The extra fall of the forward difference F'(x) ~ (F(x + STEP) - F(x)) / STEP."""


def forced_sales(model: MarketModel, fall: float, day: int) -> float:
    """$ the brokers would sell if every price fell by ``fall`` (x beta) from now, calls due at once.

    ``day``: today (recorded on new calls). The book is copied; the model is left as it is.
    """
    market = model.market
    prices = market.prices * (1.0 - market.betas * fall)
    k = prices.size
    zeros = np.zeros(k)
    result = clearing.clear(model.book.arrays().copy(), model.rules.copy(), day, 0, np.log(prices), zeros.copy(),
                            impact.LINEAR, zeros.copy(), np.ones(k), 1, addon=model.addon.copy())
    return float(result.sold_usd.sum())


def analytic_gain(scenario: Scenario, seed: int, shock_day: int, falls: list[float]) -> list[float]:
    """k at each fall in ``falls``, from the book on the close before ``shock_day`` (see module).

    Parameters
    ----------
    scenario : Scenario
        Run (Mesa engine, same numbers as the compiled one) for ``shock_day`` days with ``seed``.
    seed : int
    shock_day : int
        The book is read after days 0 .. shock_day - 1.
    falls : list of float
        Index falls (fractions) at which F'(x) is measured.

    Returns
    -------
    list of float
        ``multiplier x F'(x) / market value`` for each fall.
    """
    model = MarketModel(scenario, seed)
    for _ in range(shock_day):
        model.step()
    value = float(model.market.market_caps.sum())
    multiplier = scenario.impact.multiplier
    out = []
    for x in falls:
        slope = (forced_sales(model, x + STEP, shock_day) - forced_sales(model, x, shock_day)) / STEP
        out.append(multiplier * slope / value)
    return out
