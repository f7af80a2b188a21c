"""MarginBook: one broker's margin accounts, held as arrays and run by numba kernels."""

from __future__ import annotations

import mesa
import numpy as np

from sim.book import daily
from sim.book.arrays import AccountArrays


class MarginBook(mesa.Agent):
    """A broker's book of N margin accounts (a struct-of-arrays view into the shared book).

    Voluntary leverage targeting and the daily close (interest, call reset, FINRA
    aggregates) run per broker; margin calls are cleared jointly across brokers by
    :func:`sim.book.clearing.clear`, because forced sales at one broker move prices for all.
    """

    def __init__(self, model: mesa.Model, broker: int, name: str, accounts: AccountArrays,
                 rules: np.ndarray) -> None:
        super().__init__(model)
        self.broker = broker
        self.name = name
        start, stop = accounts.broker_start[broker], accounts.broker_start[broker + 1]
        self.accounts = AccountArrays(
            **{key: getattr(accounts, key)[start:stop]
               for key in accounts.__dict__ if key != "broker_start"},
            broker_start=np.array([0, stop - start], dtype=np.int64))
        self.rules = rules[broker:broker + 1]  # a view: events that change the rules reach it

    def rebalance(self, prices: np.ndarray, weights: np.ndarray, concentration: float, buy_speed: float,
                  sell_speed: float, band: float, initial_long: float, initial_short_equity: float,
                  max_leverage: float, addon: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Voluntary leverage targeting of this broker's accounts within Reg T's and the house's
        buying power: (bought shares, $ flow)."""
        return daily.rebalance(self.accounts, weights, concentration, buy_speed, sell_speed, band, initial_long,
                               initial_short_equity, prices, max_leverage, self.rules, addon)

    def close_day(self, prices: np.ndarray, days_per_year: float, addon: np.ndarray) -> np.ndarray:
        """Interest, call reset and this broker's FINRA aggregates (AGG_* vector)."""
        return daily.end_of_day(self.accounts, self.rules, days_per_year, prices, addon)
