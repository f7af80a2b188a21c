"""LeveragedETF: a daily-rebalanced leveraged or inverse ETF (Cheng and Madhavan 2009)."""

from __future__ import annotations

import mesa
import numpy as np

from sim.model.rules import funds


class LeveragedETF(mesa.Agent):
    """A fund with leverage L on one asset or the cap-weighted index basket.

    It holds ``shares`` of each asset and ``cash`` ($; negative = financing for L > 1).
    NAV = cash + exposure. At the close it restores exposure = L x NAV: after an underlying
    return r since the last rebalance the hedge trade is NAV x L(L-1) x r, the same sign for
    long and inverse funds (both buy after a rise). Investors create (redeem) shares in
    response to the return: creations = -flow_response x (L-1) x r x NAV before the return,
    which at flow_response = 1 offsets the rebalancing exactly (Ivanov and Lenkey 2018).
    A fund whose NAV reaches zero (an L-times move of -1/L), or whose exposure would exceed
    ``max_market_share`` of its underlying's market value (issuers halt and close such funds),
    is terminated: it closes its positions and stops trading; a negative balance is its swap
    counterparties' loss.
    """

    def __init__(self, model: mesa.Model, name: str, leverage: int, aum_usd: float, underlying: int,
                 flow_response: float, prices: np.ndarray, basket: np.ndarray,
                 max_market_share: float = 1.0) -> None:
        super().__init__(model)
        self.name = name
        self.leverage = leverage
        self.underlying = underlying  # asset index, or -1 for the index basket
        self.flow_response = flow_response
        self.max_market_share = max_market_share
        exposure = leverage * aum_usd
        self.shares = exposure * basket / prices
        self.cash = aum_usd - exposure
        self.investor_cash = 0.0  # $ its investors paid in (creations) minus what they took out
        self.last_exposure = exposure
        self.last_return = 0.0
        self.terminated = False

    def exposure(self, prices: np.ndarray) -> float:
        """$ value of the holdings (signed: negative for inverse funds)."""
        return funds.holdings_value(self.shares, prices)

    def nav(self, prices: np.ndarray) -> float:
        return self.cash + self.exposure(prices)

    def rebalance(self, prices: np.ndarray, basket: np.ndarray, redeem_fraction: float = 0.0,
                  underlying_cap: float = np.inf) -> np.ndarray:
        """Close-of-day order in $ per asset: leverage reset, creations/redemptions, outflows."""
        exposure = self.exposure(prices)
        nav = self.cash + exposure
        usd = np.empty_like(prices)
        if funds.letf_must_close(self.terminated, nav, self.leverage, self.max_market_share, underlying_cap):
            self.cash -= funds.liquidate(self.shares, prices, usd)
            self.terminated = True
            return usd
        r, creations = funds.letf_creations(self.flow_response, self.leverage, self.last_exposure, exposure, nav,
                                            redeem_fraction)
        self.last_return = r
        self.cash += creations
        self.investor_cash -= creations
        target = self.leverage * (nav + creations)
        self.cash -= funds.rebalance_to(target, basket, self.shares, prices, usd)
        self.last_exposure = target
        return usd
