"""ValueTrader: the value-investor population, buying below fundamental value."""

from __future__ import annotations

import mesa
import numpy as np

from sim.model.rules.traders import fill, value_order


class ValueTrader(mesa.Agent):
    """Demand proportional to the log gap between fundamental value and price.

    Each substep it sends ``intensity x market cap x (log V - log P) / substeps`` dollars per
    asset, so ``intensity`` is the fraction of market cap bought per day per unit of log
    mispricing. Holdings in shares, cash in $ (it may borrow: it stands for the rest of the
    market's patient capital).
    """

    def __init__(self, model: mesa.Model, n_assets: int, intensity: float, substeps: int) -> None:
        super().__init__(model)
        self.intensity = intensity
        self.substeps = substeps
        self.shares = np.zeros(n_assets)
        self.cash = 0.0

    def order(self, log_price: np.ndarray, log_fundamental: np.ndarray, caps: np.ndarray) -> np.ndarray:
        """Signed $ order per asset for this substep."""
        return value_order(self.intensity, caps, log_fundamental, log_price, self.substeps, np.empty_like(caps))

    def fill(self, usd: np.ndarray, prices: np.ndarray) -> None:
        self.cash -= fill(self.shares, usd, prices)
