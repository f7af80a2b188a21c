"""MarketMaker: the liquidity provider that takes the other side of net order flow."""

from __future__ import annotations

import mesa
import numpy as np


class MarketMaker(mesa.Agent):
    """Absorbs every net trade at the impacted price; its inventory is what the flow left behind.

    Price impact is the compensation it demands: selling pressure is absorbed only at a lower
    price. Tracking its inventory (shares) and cash ($) makes the market a closed system in
    which shares and dollars are conserved.
    """

    def __init__(self, model: mesa.Model, n_assets: int) -> None:
        super().__init__(model)
        self.shares = np.zeros(n_assets)
        self.cash = 0.0

    def take(self, shares_sold_to_mm: np.ndarray, usd_paid_by_mm: float) -> None:
        self.shares += shares_sold_to_mm
        self.cash -= usd_paid_by_mm
