"""NoiseTrader: mean-reverting random demand, the market's liquidity-demanding noise."""

from __future__ import annotations

import math

import mesa
import numpy as np

from sim.model.rules.traders import fill, noise_order


class NoiseTrader(mesa.Agent):
    """An AR(1) demand per asset, as a fraction of market cap; it orders the change in $.

    d' = d x (1 - reversion / S) + vol x eps / sqrt(S) and the order is (d' - d) x cap, with
    ``eps`` standard normal draws passed in (pre-drawn by the model from its own seeded
    stream). Keeping demand relative to cap makes the noise scale-free after a crash.
    """

    def __init__(self, model: mesa.Model, n_assets: int, vol: float, reversion: float,
                 substeps: int) -> None:
        super().__init__(model)
        self.vol = vol
        self.keep = 1.0 - reversion / substeps
        self.scale = 1.0 / math.sqrt(substeps)
        self.demand = np.zeros(n_assets)
        self.shares = np.zeros(n_assets)
        self.cash = 0.0

    def order(self, eps: np.ndarray, caps: np.ndarray) -> np.ndarray:
        """Signed $ order per asset for this substep."""
        return noise_order(self.demand, self.keep, self.vol, eps, self.scale, caps, np.empty_like(caps))

    def fill(self, usd: np.ndarray, prices: np.ndarray) -> None:
        self.cash -= fill(self.shares, usd, prices)
