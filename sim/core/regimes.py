"""The seeds' regime table: each day labelled by the change in margin debt and in price."""

from __future__ import annotations

REGIMES = {
    (True, True): "leverage-supported risk-on",     # margin debt up, prices up
    (True, False): "stress building",                # margin debt up, prices down
    (False, False): "deleveraging",                  # margin debt down, prices down
    (False, True): "less leverage in the rally",     # margin debt down, prices up
}


def regime_label(margin_debt_change: float, price_change: float) -> str:
    """Label a day from the sign of the change in margin debt ($) and in the index (return)."""
    return REGIMES[(margin_debt_change > 0.0, price_change > 0.0)]
