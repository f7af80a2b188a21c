"""MarketModel: the Mesa model of one simulated market; ``step()`` is one trading day."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Literal

import mesa
import numpy as np

from sim import kernels, margin
from sim.accounts import broker_rules, build_accounts
from sim.agents.market_maker import MarketMaker
from sim.agents.noise_trader import NoiseTrader
from sim.agents.value_trader import ValueTrader
from sim.book import AgentBook, KernelBook
from sim.invariants import check_conservation, check_day
from sim.market import Market
from sim.scenario import Scenario

Mode = Literal["kernel", "agents"]
STREAMS = ("book", "fundamentals", "noise", "mesa")
"""Independent random streams spawned from ``SeedSequence(seed)``, in this order."""


class MarketModel(mesa.Model):
    """A price-impact market with margin investors, value traders and noise traders.

    Each day: scheduled events, fundamentals move, then S substeps. In every substep the
    liquidity side trades (and, at the close substep, margin investors rebalance toward their
    target leverage); the flow moves prices; then the margin book is cleared: calls, deposits
    and forced sales to a fixed point with price impact. At the close, interest accrues on
    debit balances and the FINRA aggregates are recorded.

    ``mode="kernel"`` runs the margin book as arrays with numba kernels; ``mode="agents"``
    runs one :class:`~sim.agents.MarginInvestor` Mesa agent per account (the reference).
    """

    def __init__(self, scenario: Scenario, seed: int = 0, mode: Mode = "kernel",
                 check_every_day: bool = False) -> None:
        if mode not in ("kernel", "agents"):
            raise ValueError(f"mode = {mode!r}: must be 'kernel' or 'agents'")
        seeds = dict(zip(STREAMS, np.random.SeedSequence(seed).spawn(len(STREAMS)), strict=True))
        super().__init__(rng=np.random.default_rng(seeds["mesa"]))
        self.spec = scenario
        self.seed = seed
        self.mode = mode
        self.check_every_day = check_every_day
        sim, m = scenario.simulation, scenario.margin
        self.market = Market(scenario)
        accounts = build_accounts(scenario, np.random.default_rng(seeds["book"]))
        self.rules = broker_rules(scenario)
        book_cls = KernelBook if mode == "kernel" else AgentBook
        self.book = book_cls(self, scenario, accounts, self.rules)
        k = scenario.n_assets
        self.value_trader = ValueTrader(self, k, scenario.liquidity.value_intensity, sim.substeps)
        self.noise_trader = NoiseTrader(self, k, scenario.liquidity.noise_vol,
                                        scenario.liquidity.noise_reversion, sim.substeps)
        self.market_maker = MarketMaker(self, k)
        self.fundamental_rng = np.random.default_rng(seeds["fundamentals"])
        self.noise_rng = np.random.default_rng(seeds["noise"])
        self.events = defaultdict(list)
        for event in scenario.events:
            self.events[event.day].append(event)
        self.rebalance_params = (self.market.weights, m.concentration, m.buy_speed, m.sell_speed,
                                 m.rebalance_band, m.initial_margin,
                                 margin.short_equity_rate(m.initial_margin_short))
        self.broker_cash = 0.0
        self.records: list[dict[str, float]] = []
        # day-0 positions define what conservation must preserve
        self.passive_shares = self.market.shares_outstanding - (accounts.long.sum(0) - accounts.short.sum(0))
        self.total_cash = self.cash_in_system()
        self.initial = self.book_aggregates()

    # ----------------------------------------------------------------------- reports
    def cash_in_system(self) -> float:
        """All $ balances of every agent plus the broker's; constant in a closed market."""
        a = self.book.arrays()
        return (float(a.cash.sum() + a.short_credit.sum() + a.reserve.sum()) + self.value_trader.cash
                + self.noise_trader.cash + self.market_maker.cash + self.broker_cash)

    def book_aggregates(self) -> dict[str, float]:
        """FINRA-style aggregates of the book at current prices (no interest accrued)."""
        a = self.book.arrays()
        p = self.market.prices
        short_value = float((a.short @ p).sum())
        debit = float(np.maximum(-a.cash, 0.0).sum())
        free = float(np.maximum(a.cash, 0.0).sum() + a.reserve.sum())
        balance = debit + short_value
        return {"margin_debt": balance, "free_credit": free, "net_credit_balance": free - balance,
                "cash_debit": debit, "short_market_value": short_value}

    # -------------------------------------------------------------------------- step
    def step(self) -> None:
        """One trading day."""
        day = self.steps - 1
        spec, market = self.spec, self.market
        sim, m = spec.simulation, spec.margin
        k, substeps = spec.n_assets, sim.substeps
        z = self.fundamental_rng.standard_normal(k + 1)
        eps = self.noise_rng.standard_normal((substeps, k))
        for event in self.events.get(day, ()):
            if event.kind == "price_gap":
                market.gap_price(event.target, event.size)
            else:
                market.gap_fundamental(event.target, event.size)
        market.evolve_fundamentals(z)

        totals = defaultdict(float)
        max_rounds_used = 0
        for s in range(substeps):
            log_base, coef, adv = market.begin_substep()
            prices = np.exp(log_base)
            caps = market.shares_outstanding * prices
            value_usd = self.value_trader.order(log_base, market.log_fundamental, caps)
            noise_usd = self.noise_trader.order(eps[s], caps)
            self.value_trader.fill(value_usd, prices)
            self.noise_trader.fill(noise_usd, prices)
            flow = value_usd + noise_usd
            self.market_maker.take(-flow / prices, -float(flow.sum()))
            if s == substeps - 1:
                bought, voluntary = self.book.rebalance(prices, *self.rebalance_params)
                self.market_maker.take(-bought, -float(voluntary.sum()))
                flow = flow + voluntary
                totals["flow_margin_voluntary_usd"] += float(voluntary.sum())
            result = self.book.clear(day, m.call_deadline_days, log_base, flow, market.model, coef,
                                     adv, sim.max_clearing_rounds)
            forced_usd = result.sold_usd - result.bought_usd
            self.market_maker.take(result.sold_shares, float(forced_usd.sum()))
            market.commit(flow, coef, adv)
            st = result.stats
            totals["margin_calls"] += st[kernels.STAT_CALLS]
            totals["deposits_usd"] += st[kernels.STAT_DEPOSITS]
            totals["liquidations"] += st[kernels.STAT_LIQUIDATIONS]
            totals["broker_losses"] += st[kernels.STAT_LOSSES]
            totals["clearing_unconverged"] += 1.0 - st[kernels.STAT_CONVERGED]
            totals["forced_sales_usd"] += float(result.sold_usd.sum())
            totals["forced_buyins_usd"] += float(result.bought_usd.sum())
            totals["flow_value_usd"] += float(value_usd.sum())
            totals["flow_noise_usd"] += float(noise_usd.sum())
            max_rounds_used = max(max_rounds_used, result.rounds)
        self.broker_cash -= totals["broker_losses"]

        prices = market.prices
        agg = self.book.close_day(prices, sim.days_per_year)
        self.broker_cash += agg[kernels.AGG_INTEREST]
        index_return = market.close_day()
        row: dict[str, float] = {"day": day, "index_level": market.index_level, "index_return": index_return}
        for name, price in zip(market.names, prices, strict=True):
            row[f"price_{name}"] = float(price)
        for name, value in zip(market.names, market.fundamentals, strict=True):
            row[f"fundamental_{name}"] = float(value)
        balance = agg[kernels.AGG_MARGIN_BALANCE]
        free = agg[kernels.AGG_FREE_CREDIT]
        equity = agg[kernels.AGG_EQUITY]
        row.update({
            "margin_debt": balance,
            "cash_debit": agg[kernels.AGG_DEBIT],
            "short_market_value": agg[kernels.AGG_SHORT_VALUE],
            "free_credit": free,
            "net_credit_balance": free - balance,
            "margin_long_value": agg[kernels.AGG_LONG_VALUE],
            "margin_equity": equity,
            "margin_leverage": agg[kernels.AGG_LONG_VALUE] / equity if equity > 0 else math.inf,
            "open_calls": agg[kernels.AGG_OPEN_CALLS],
            "interest_usd": agg[kernels.AGG_INTEREST],
            "realized_vol": market.realized_vol,
            "flow_margin_forced_usd": totals["forced_buyins_usd"] - totals["forced_sales_usd"],
            "clearing_rounds": max_rounds_used,
        })
        for key in ("margin_calls", "deposits_usd", "liquidations", "forced_sales_usd",
                    "forced_buyins_usd", "broker_losses", "flow_value_usd", "flow_noise_usd",
                    "flow_margin_voluntary_usd", "clearing_unconverged"):
            row[key] = totals[key]
        self.records.append(row)
        check_day(self, row)
        if self.check_every_day:
            check_conservation(self)
