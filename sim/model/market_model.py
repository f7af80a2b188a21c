"""MarketModel: the Mesa model of one simulated market; ``step()`` is one trading day."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Literal

import mesa
import numpy as np

from sim.book import arrays, stats
from sim.config.scenario import Event, Scenario
from sim.core import margin
from sim.core.regimes import regime_label
from sim.model.accounts import broker_rules, build_accounts
from sim.model.agents.leveraged_etf import LeveragedETF
from sim.model.agents.leveraged_value_fund import LeveragedValueFunds
from sim.model.agents.market_maker import MarketMaker
from sim.model.agents.noise_trader import NoiseTrader
from sim.model.agents.options_dealer import OptionsDealer
from sim.model.agents.value_trader import ValueTrader
from sim.model.agents.vol_control_fund import VolControlFund
from sim.model.books import AgentBook, KernelBook
from sim.model.invariants import check_conservation, check_day
from sim.model.market import Market

Mode = Literal["kernel", "agents"]
STREAMS = ("book", "fundamentals", "noise", "mesa")
"""Independent random streams spawned from ``SeedSequence(seed)``, in this order."""
CHANNELS = ("margin", "letf", "dealers", "vol_control")
"""The four procyclical channels that attribution switches on and off."""
FLOW_COLUMNS = ("flow_margin_forced_usd", "flow_margin_voluntary_usd", "flow_letf_usd", "flow_dealer_usd",
                "flow_vol_control_usd", "flow_value_usd", "flow_noise_usd")
"""Net $ bought per day by each channel (negative = net selling)."""


class MarketModel(mesa.Model):
    """A price-impact market with the four leverage channels and the liquidity side.

    Each day: scheduled events, fundamentals move, then S substeps. In every substep the
    dealers re-hedge their options book, value and noise traders trade, and at the close
    substep leveraged ETFs, volatility-control funds and margin investors rebalance. The flow
    moves prices; then the margin book is cleared (calls, deposits, forced sales) to a fixed
    point with price impact, with the dealers' hedging responding inside the same fixed
    point. At the close, interest accrues on debit balances and everything is recorded.

    ``mode="kernel"`` runs the margin book as arrays with numba kernels; ``mode="agents"``
    runs one :class:`~sim.model.agents.MarginInvestor` Mesa agent per account (the reference).
    """

    def __init__(self, scenario: Scenario, seed: int = 0, mode: Mode = "kernel",
                 check_every_day: bool = False, record_intraday: bool = False) -> None:
        if mode not in ("kernel", "agents"):
            raise ValueError(f"mode = {mode!r}: must be 'kernel' or 'agents'")
        seeds = dict(zip(STREAMS, np.random.SeedSequence(seed).spawn(len(STREAMS)), strict=True))
        super().__init__(rng=np.random.default_rng(seeds["mesa"]))
        self.spec = scenario
        self.seed = seed
        self.mode = mode
        self.check_every_day = check_every_day
        sim, m, ch = scenario.simulation, scenario.margin, scenario.channels
        self.active = {name: getattr(ch, name) for name in (*CHANNELS, "value_funds")}
        market = self.market = Market(scenario)
        prices = market.prices
        cap_weights = market.cap_weights(prices)
        k = scenario.n_assets

        accounts = build_accounts(scenario, np.random.default_rng(seeds["book"]))
        self.rules = broker_rules(scenario)
        book_cls = KernelBook if mode == "kernel" else AgentBook
        self.book = book_cls(self, scenario, accounts, self.rules)
        self.value_trader = ValueTrader(self, k, scenario.liquidity.value_intensity, sim.substeps)
        self.noise_trader = NoiseTrader(self, k, scenario.liquidity.noise_vol,
                                        scenario.liquidity.noise_reversion, sim.substeps)
        self.market_maker = MarketMaker(self, k)
        self.letfs = [
            LeveragedETF(self, f.name, f.leverage, f.aum_usd, self._asset_code(f.underlying),
                         scenario.letf.flow_response, prices,
                         self._basket(self._asset_code(f.underlying), cap_weights), scenario.letf.max_market_share)
            for f in scenario.letf_funds]
        self.dealer = (OptionsDealer(self, scenario.dealers, scenario.options, market.names, prices,
                                     market.index_level, cap_weights, sim.days_per_year)
                       if scenario.options else None)
        vc = scenario.vol_control
        self.vol_fund = (VolControlFund(self, vc.aum_usd, vc.target_vol, vc.cap, vc.band, vc.lag_days,
                                        vc.fast_lambda, vc.slow_lambda,
                                        scenario.market.fundamental_vol * math.sqrt(sim.days_per_year),
                                        sim.days_per_year, prices, cap_weights)
                         if vc.aum_usd > 0 else None)
        vf = scenario.value_funds
        self.value_funds = (LeveragedValueFunds(self, vf, market.shares_outstanding
                                                * self._basket(self._asset_code(vf.underlying), np.ones(k)))
                            if vf.count > 0 else None)
        self.fundamental_rng = np.random.default_rng(seeds["fundamentals"])
        self.noise_rng = np.random.default_rng(seeds["noise"])
        self.events: dict[int, list[Event]] = defaultdict(list)
        for event in scenario.events:
            self.events[event.day].append(event)
        self.addon = np.zeros(k)              # maintenance add-on per asset (concentrated positions)
        self.initial_long = m.initial_margin  # Reg T, until a lending cut
        self.max_leverage = math.inf          # cap on leverage targets, after a lending cut
        self.leverage_growth = 0.0            # annual log growth of leverage targets above 1
        self.broker_cash = 0.0
        self.records: list[dict[str, float | str]] = []
        self.record_intraday = record_intraday
        self.intraday_records: list[dict[str, float]] = []  # one row per substep, when recorded
        # everything not held by a modelled agent is held by passive investors, constant
        self.passive_shares = market.shares_outstanding - self.agent_shares()
        self.total_cash = self.cash_in_system()
        self.initial = self.book_aggregates()
        self._prev_margin_debt = self.initial["margin_debt"]

    # ----------------------------------------------------------------------- helpers
    def _asset_code(self, underlying: str) -> int:
        """-1 for the index, else the asset's position."""
        return -1 if underlying == "index" else self.market.names.index(underlying)

    def _basket(self, code: int, cap_weights: np.ndarray) -> np.ndarray:
        """Weights of an underlying's basket: cap weights for the index (-1), one asset otherwise."""
        if code < 0:
            return cap_weights
        basket = np.zeros(self.spec.n_assets)
        basket[code] = 1.0
        return basket

    def traders(self) -> list:
        """Every agent other than the margin book that holds shares and cash."""
        out = [self.value_trader, self.noise_trader, self.market_maker, *self.letfs]
        return out + [a for a in (self.dealer, self.vol_fund, self.value_funds) if a is not None]

    def agent_shares(self) -> np.ndarray:
        """Net shares of each asset held by every modelled agent (margin book net of shorts)."""
        a = self.book.arrays()
        total = a.long.sum(0) - a.short.sum(0)
        for agent in self.traders():
            total = total + agent.shares
        return total

    def cash_in_system(self) -> float:
        """All $ balances of every agent, the broker and LETF investors; constant in a closed market."""
        a = self.book.arrays()
        total = float(a.cash.sum() + a.short_credit.sum() + a.reserve.sum()) + self.broker_cash
        for agent in self.traders():
            total += agent.cash + getattr(agent, "investor_cash", 0.0)
        return total

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

    def gex(self, prices: np.ndarray, time: float) -> float:
        """Dealer gamma exposure, $ per 1% move (0 without a dealer book)."""
        if self.dealer is None:
            return 0.0
        return self.dealer.gex(time, prices, self.market.index_at(prices), self.market.cap_weights(prices))

    # ------------------------------------------------------------------------ events
    def apply_event(self, event: Event) -> None:
        market = self.market
        if event.kind == "price_gap":
            market.gap_price(event.target, event.size)
        elif event.kind == "fundamental_gap":
            market.gap_fundamental(event.target, event.size)
        elif event.kind == "vol_regime":
            market.vol = market.base_vol * event.size
        elif event.kind == "maintenance_raise":
            if event.target == "index":
                self.rules[:, arrays.RULE_MAINT_LONG] += event.size
                self.rules[:, arrays.RULE_TARGET_LONG] += event.size
            else:
                self.addon[market.names.index(event.target)] += event.size
        elif event.kind == "rate_shock":
            self.rules[:, arrays.RULE_RATE] += event.size
        elif event.kind == "lending_cut":
            self.initial_long = event.size
            self.max_leverage = 1.0 / event.size
        elif event.kind == "leverage_growth":
            self.leverage_growth = event.size

    def _letf_orders(self, prices: np.ndarray, caps: np.ndarray, cap_weights: np.ndarray, day: int) -> np.ndarray:
        """The leveraged ETFs' close-of-day orders, $ per asset."""
        total = np.zeros(self.spec.n_assets)
        for fund in self.letfs:
            underlying_cap = float(caps.sum() if fund.underlying < 0 else caps[fund.underlying])
            total = total + fund.rebalance(prices, self._basket(fund.underlying, cap_weights),
                                           self._redeem_fraction(fund, day), underlying_cap)
        return total

    def _redeem_fraction(self, fund: LeveragedETF, day: int) -> float:
        total = 0.0
        for ev in self.events.get(day, ()):
            if ev.kind != "letf_outflow":
                continue
            code = None if ev.target == "all" else self._asset_code(ev.target)
            if code is None or code == fund.underlying:
                total += ev.size
        return min(total, 1.0)

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
            self.apply_event(event)
        market.evolve_fundamentals(z)
        if self.dealer is not None and self.active["dealers"]:
            self.dealer.roll_expired(day, market.prices, market.index_level)

        totals: dict[str, float] = defaultdict(float)
        max_rounds_used = 0
        mm = self.market_maker
        for s in range(substeps):
            time = day + s / substeps
            log_base, coef, adv = market.begin_substep()
            prices = np.exp(log_base)
            caps = market.shares_outstanding * prices
            cap_weights = market.cap_weights(prices)
            index_level = market.index_at(prices)
            orders: dict[str, np.ndarray] = {}
            dealer_gamma, dealer_limit = np.zeros(k), np.zeros(k)
            if self.dealer is not None and self.active["dealers"]:
                orders["flow_dealer_usd"] = self.dealer.rehedge(time, prices, index_level, cap_weights)
                dealer_gamma = self.dealer.dollar_gamma(time, prices, index_level, cap_weights)
                dealer_limit = self.dealer.hedge_limit(prices, index_level, cap_weights)
            orders["flow_value_usd"] = self.value_trader.order(log_base, market.log_fundamental, caps)
            orders["flow_noise_usd"] = self.noise_trader.order(eps[s], caps)
            self.value_trader.fill(orders["flow_value_usd"], prices)
            self.noise_trader.fill(orders["flow_noise_usd"], prices)
            if s == substeps - 1:
                if self.active["letf"]:
                    orders["flow_letf_usd"] = self._letf_orders(prices, caps, cap_weights, day)
                if self.vol_fund is not None and self.active["vol_control"]:
                    orders["flow_vol_control_usd"] = self.vol_fund.rebalance(prices, cap_weights)
                if self.active["margin"]:
                    if self.leverage_growth != 0.0:
                        self.book.grow_targets(math.exp(self.leverage_growth / sim.days_per_year))
                    _bought, voluntary = self.book.rebalance(
                        prices, market.weights, m.concentration, m.buy_speed, m.sell_speed, m.rebalance_band,
                        self.initial_long, margin.short_equity_rate(m.initial_margin_short), self.max_leverage,
                        self.addon)
                    orders["flow_margin_voluntary_usd"] = voluntary
            fund_price_gap = 0.0  # $ the value funds pay beyond their order at base prices
            if self.value_funds is not None and self.active["value_funds"]:
                others = sum(orders.values(), np.zeros(k))
                usd, paid = self.value_funds.order(prices, market.log_fundamental, others, market.model, coef, adv)
                orders["flow_value_funds_usd"] = usd
                fund_price_gap = paid - float(usd.sum())
            flow = np.zeros(k)
            for key, usd in orders.items():
                flow = flow + usd
                totals[key] += float(usd.sum())
            mm.take(-flow / prices, -float(flow.sum()) - fund_price_gap)
            result = self.book.clear(day, m.call_deadline_days, log_base, flow, market.model, coef, adv,
                                     sim.max_clearing_rounds, dealer_gamma, dealer_limit, self.addon,
                                     self.active["margin"])
            forced_usd = result.sold_usd - result.bought_usd
            mm.take(result.sold_shares - result.dealer_shares,
                    float(forced_usd.sum()) - float(result.dealer_usd.sum()))
            if self.dealer is not None:
                self.dealer.fill(result.dealer_shares, result.dealer_usd)
            market.commit(flow, coef, adv)
            st = result.stats
            totals["margin_calls"] += st[stats.STAT_CALLS]
            totals["deposits_usd"] += st[stats.STAT_DEPOSITS]
            totals["liquidations"] += st[stats.STAT_LIQUIDATIONS]
            totals["broker_losses"] += st[stats.STAT_LOSSES]
            totals["clearing_unconverged"] += (1.0 - st[stats.STAT_CONVERGED]) + st[stats.STAT_DEALER_UNCONVERGED]
            totals["forced_sales_usd"] += float(result.sold_usd.sum())
            totals["forced_buyins_usd"] += float(result.bought_usd.sum())
            totals["flow_margin_forced_usd"] -= float(forced_usd.sum())
            totals["flow_dealer_usd"] += float(result.dealer_usd.sum())
            max_rounds_used = max(max_rounds_used, result.rounds)
            if self.record_intraday:
                self._record_substep(day, s, orders, result)
        self.broker_cash -= totals["broker_losses"]
        self._close(day, totals, max_rounds_used)

    def _record_substep(self, day: int, substep: int, orders: dict[str, np.ndarray], result) -> None:
        """One intraday row: prices after the substep's clearing, each channel's net $ flow, calls."""
        market = self.market
        prices = market.prices
        forced = result.sold_usd - result.bought_usd
        row: dict[str, float] = {"day": day, "substep": substep, "time": day + (substep + 1) / market.substeps,
                                 "index_level": market.index_at(prices)}
        for key in FLOW_COLUMNS:
            row[key] = float(orders[key].sum()) if key in orders else 0.0
        row["flow_margin_forced_usd"] = -float(forced.sum())
        row["flow_dealer_usd"] += float(result.dealer_usd.sum())
        st = result.stats
        row.update({"margin_calls": float(st[stats.STAT_CALLS]), "liquidations": float(st[stats.STAT_LIQUIDATIONS]),
                    "forced_sales_usd": float(result.sold_usd.sum()), "clearing_rounds": float(result.rounds)})
        self.intraday_records.append(row)

    def _close(self, day: int, totals: dict[str, float], max_rounds_used: int) -> None:
        """Interest, call reset, realized vol, recording and the cheap invariants."""
        market, sim = self.market, self.spec.simulation
        prices = market.prices
        agg = self.book.close_day(prices, sim.days_per_year, self.addon)
        self.broker_cash += agg[stats.AGG_INTEREST]
        index_return = market.close_day()
        if self.vol_fund is not None:
            self.vol_fund.observe(math.log1p(index_return))
        row: dict[str, float | str] = {"day": day, "index_level": market.index_level, "index_return": index_return}
        for name, price in zip(market.names, prices, strict=True):
            row[f"price_{name}"] = float(price)
        for name, value in zip(market.names, market.fundamentals, strict=True):
            row[f"fundamental_{name}"] = float(value)
        balance = agg[stats.AGG_MARGIN_BALANCE]
        free = agg[stats.AGG_FREE_CREDIT]
        equity = agg[stats.AGG_EQUITY]
        row.update({
            "margin_debt": balance,
            "cash_debit": agg[stats.AGG_DEBIT],
            "short_market_value": agg[stats.AGG_SHORT_VALUE],
            "free_credit": free,
            "net_credit_balance": free - balance,
            "margin_long_value": agg[stats.AGG_LONG_VALUE],
            "margin_equity": equity,
            "margin_leverage": agg[stats.AGG_LONG_VALUE] / equity if equity > 0 else math.inf,
            "open_calls": agg[stats.AGG_OPEN_CALLS],
            "interest_usd": agg[stats.AGG_INTEREST],
            "realized_vol": market.realized_vol,
            "clearing_rounds": max_rounds_used,
            "dealer_gex_usd": self.gex(prices, day + (sim.substeps - 1) / sim.substeps),  # as last hedged
            "letf_aum_usd": float(sum(f.nav(prices) for f in self.letfs)),
            "vol_control_exposure": self.vol_fund.exposure(prices) if self.vol_fund is not None else 0.0,
        })
        for key in ("margin_calls", "deposits_usd", "liquidations", "forced_sales_usd", "forced_buyins_usd",
                    "broker_losses", "clearing_unconverged", *FLOW_COLUMNS):
            row[key] = totals.get(key, 0.0)
        if self.value_funds is not None:  # columns only when the scenario has value funds
            funds = self.value_funds
            if self.active["value_funds"]:
                funds.close_day(prices, day)
            wealth = float(np.maximum(funds.wealth(prices), 0.0)[funds.alive].sum())
            row.update({"flow_value_funds_usd": totals.get("flow_value_funds_usd", 0.0),
                        "value_funds_wealth_usd": wealth, "value_funds_position_usd": funds.position(prices),
                        "value_funds_leverage": funds.position(prices) / wealth if wealth > 0 else 0.0,
                        "value_funds_alive": float(funds.alive.sum()), "value_funds_failed": float(funds.bankruptcies)})
        row["regime"] = regime_label(balance - self._prev_margin_debt, index_return)
        self._prev_margin_debt = balance
        self.records.append(row)
        check_day(self, row)
        if self.check_every_day:
            check_conservation(self)
