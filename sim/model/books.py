"""The model's margin book in its two interchangeable forms.

* :class:`KernelBook`: accounts as arrays, one :class:`MarginBook` agent per broker,
  numba kernels (the production path, 10^6-10^7 accounts);
* :class:`AgentBook`: one :class:`MarginInvestor` Mesa agent per account running the
  plain-Python reference (the correctness oracle and benchmark baseline).

Both sum per-broker results in broker order and clear all brokers jointly, so the same
scenario and seed give the same numbers in either form.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.book import clearing, reference, stats
from sim.book.arrays import AccountArrays, ClearingResult
from sim.config.scenario import Scenario
from sim.core import margin
from sim.model.agents.margin_book import MarginBook
from sim.model.agents.margin_investor import MarginInvestor


class KernelBook:
    """Margin accounts as a struct of arrays, run by the numba kernels."""

    def __init__(self, model: mesa.Model, scenario: Scenario, accounts: AccountArrays,
                 rules: np.ndarray) -> None:
        self.model = model
        self.accounts = accounts
        self.rules = rules
        for b, broker in enumerate(scenario.brokers):
            MarginBook(model, b, broker.name, accounts, rules)

    def rebalance(self, prices: np.ndarray, weights: np.ndarray, concentration: float, buy_speed: float,
                  sell_speed: float, band: float, initial_long: float, initial_short_equity: float,
                  max_leverage: float, addon: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Voluntary leverage targeting: (net shares bought, net $ flow) per asset."""
        parts = self.model.agents_by_type[MarginBook].map(
            "rebalance", prices, weights, concentration, buy_speed, sell_speed, band, initial_long,
            initial_short_equity, max_leverage, addon)
        return _sum_pairs(parts, prices.shape[0])

    def grow_targets(self, factor: float) -> None:
        """Every account's leverage target above 1 grows by ``factor`` (a ``leverage_growth`` event)."""
        self.accounts.target_leverage[:] = margin.grown_leverage_target(self.accounts.target_leverage, factor)

    def clear(self, *args) -> ClearingResult:
        """Joint clearing of all brokers (arguments as :func:`sim.book.clearing.clear` after rules)."""
        return clearing.clear(self.accounts, self.rules, *args)

    def close_day(self, prices: np.ndarray, days_per_year: float, addon: np.ndarray) -> np.ndarray:
        parts = self.model.agents_by_type[MarginBook].map("close_day", prices, days_per_year, addon)
        return _sum(parts, stats.N_AGG)

    def arrays(self) -> AccountArrays:
        return self.accounts


class AgentBook:
    """One MarginInvestor agent per account, run by the plain-Python reference."""

    def __init__(self, model: mesa.Model, scenario: Scenario, accounts: AccountArrays,
                 rules: np.ndarray) -> None:
        self.rules = rules
        self.n_brokers = len(scenario.brokers)
        self.investors = reference.accounts_from_arrays(accounts, make=lambda: MarginInvestor(model))
        self.by_broker = [[a for a in self.investors if a.broker == b] for b in range(self.n_brokers)]

    def rebalance(self, prices: np.ndarray, weights: np.ndarray, concentration: float, buy_speed: float,
                  sell_speed: float, band: float, initial_long: float, initial_short_equity: float,
                  max_leverage: float, addon: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Voluntary leverage targeting: (net shares bought, net $ flow) per asset."""
        parts = [reference.rebalance(group, weights, concentration, buy_speed, sell_speed, band, initial_long,
                                     initial_short_equity, prices, max_leverage, self.rules, addon)
                 for group in self.by_broker]
        return _sum_pairs(parts, prices.shape[0])

    def grow_targets(self, factor: float) -> None:
        """Every investor's leverage target above 1 grows by ``factor`` (a ``leverage_growth`` event)."""
        for investor in self.investors:
            investor.target_leverage = margin.grown_leverage_target(investor.target_leverage, factor)

    def clear(self, *args) -> ClearingResult:
        """Joint clearing of all brokers (arguments as :func:`sim.book.reference.clear` after rules)."""
        return reference.clear(self.investors, self.rules, *args)

    def close_day(self, prices: np.ndarray, days_per_year: float, addon: np.ndarray) -> np.ndarray:
        parts = [reference.end_of_day(group, self.rules, days_per_year, prices, addon) for group in self.by_broker]
        return _sum(parts, stats.N_AGG)

    def arrays(self) -> AccountArrays:
        return reference.arrays_from_accounts(self.investors, self.n_brokers)


def _sum(parts: list[np.ndarray], size: int) -> np.ndarray:
    total = np.zeros(size)
    for part in parts:
        total = total + part
    return total


def _sum_pairs(parts: list[tuple[np.ndarray, np.ndarray]], size: int) -> tuple[np.ndarray, np.ndarray]:
    return _sum([p[0] for p in parts], size), _sum([p[1] for p in parts], size)
