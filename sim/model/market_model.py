"""MarketModel: the Mesa model of one simulated market; ``step()`` is one trading day."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

import mesa
import numpy as np

from sim.book import arrays, stats
from sim.book.arrays import ClearingResult
from sim.config import open_interest
from sim.config.scenario import Event, Scenario
from sim.core import detmath, detrandom, margin
from sim.core.detarrays import exp_array, matvec
from sim.core.errors import InputError
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
from sim.model.records import day_row, substep_row, value_fund_columns

Mode = Literal["kernel", "agents"]
STREAMS = ("book", "fundamentals", "noise", "mesa")
"""Independent random streams spawned from ``SeedSequence(seed)``, in this order."""
CHANNELS = ("margin", "letf", "dealers", "vol_control")
"""The four procyclical channels that attribution switches on and off."""


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
            raise InputError(f"mode = {mode!r}: must be 'kernel' or 'agents'", field="mode",
                             allowed="'kernel' or 'agents'")
        seeds = dict(zip(STREAMS, np.random.SeedSequence(seed).spawn(len(STREAMS)), strict=True))
        super().__init__(rng=np.random.default_rng(seeds["mesa"]))
        self.spec = scenario
        self.seed = seed
        self.mode = mode
        self.check_every_day = check_every_day
        self.active = {name: getattr(scenario.channels, name) for name in (*CHANNELS, "value_funds")}
        self.market = Market(scenario)
        accounts = build_accounts(scenario, np.random.default_rng(seeds["book"]))
        self.rules = broker_rules(scenario)
        book_cls = KernelBook if mode == "kernel" else AgentBook
        self.book = book_cls(self, scenario, accounts, self.rules)
        self._add_traders(scenario)  # after the book: Mesa numbers agents in the order they are made
        self.fundamental_rng = np.random.default_rng(seeds["fundamentals"])
        self.noise_rng = np.random.default_rng(seeds["noise"])
        self.events: dict[int, list[Event]] = defaultdict(list)
        for event in scenario.events:
            self.events[event.day].append(event)
        self.addon = np.zeros(scenario.n_assets)       # maintenance add-on per asset (concentrated positions)
        self.initial_long = scenario.margin.initial_margin  # Reg T, until a lending cut
        self.max_leverage = math.inf          # cap on leverage targets, after a lending cut
        self.leverage_growth = 0.0            # annual log growth of leverage targets above 1
        self.broker_cash = 0.0
        self.largest_trade_shares = np.zeros(scenario.n_assets)  # in one substep so far: the scale of
        self.largest_trade_usd = 0.0                              # rounding in the conservation checks
        self.records: list[dict[str, float | str]] = []
        self.record_intraday = record_intraday
        self.intraday_records: list[dict[str, float]] = []  # one row per substep, when recorded
        # everything not held by a modelled agent is held by passive investors, constant
        self.passive_shares = self.market.shares_outstanding - self.agent_shares()
        self.total_cash = self.cash_in_system()
        self.initial = self.book_aggregates()
        self._prev_margin_debt = self.initial["margin_debt"]

    def _add_traders(self, scenario: Scenario) -> None:
        """The liquidity side (value, noise, market maker) and the other channels' agents."""
        sim, liquidity, market = scenario.simulation, scenario.liquidity, self.market
        k, prices = scenario.n_assets, market.prices
        cap_weights = market.cap_weights(prices)
        self.value_trader = ValueTrader(self, k, liquidity.value_intensity, sim.substeps)
        self.noise_trader = NoiseTrader(self, k, liquidity.noise_vol, liquidity.noise_reversion, sim.substeps)
        self.market_maker = MarketMaker(self, k)
        self.letfs = [
            LeveragedETF(self, f.name, f.leverage, f.aum_usd, self._asset_code(f.underlying),
                         scenario.letf.flow_response, prices,
                         self._basket(self._asset_code(f.underlying), cap_weights), scenario.letf.max_market_share)
            for f in scenario.letf_funds]
        series = [*scenario.options, *open_interest.series(scenario.open_interest, scenario.market.market_cap_usd)]
        self.dealer = (OptionsDealer(self, scenario.dealers, series, market.names, prices,
                                     market.index_level, cap_weights, sim.days_per_year)
                       if series else None)
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
        short_value = float(matvec(a.short, p).sum())
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
        """One trading day: events, fundamentals, the substeps' trading and clearing, the close."""
        day = self.steps - 1
        k, substeps = self.spec.n_assets, self.spec.simulation.substeps
        z = detrandom.standard_normal(self.fundamental_rng, k + 1)
        eps = detrandom.standard_normal(self.noise_rng, (substeps, k))
        for event in self.events.get(day, ()):
            self.apply_event(event)
        self.market.evolve_fundamentals(z)
        if self.dealer is not None and self.active["dealers"]:
            self.dealer.roll_expired(day, self.market.prices, self.market.index_level)
        totals: dict[str, float] = defaultdict(float)
        max_rounds_used = 0
        for s in range(substeps):
            max_rounds_used = max(max_rounds_used, self._substep(day, s, eps[s], totals))
        self.broker_cash -= totals["broker_losses"]
        self._close(day, totals, max_rounds_used)

    def _substep(self, day: int, substep: int, eps: np.ndarray, totals: dict[str, float]) -> int:
        """One round of orders, then clearing; adds to the day's ``totals``; returns the clearing rounds."""
        q = self._quote(day + substep / self.spec.simulation.substeps)
        orders = self._liquidity_orders(q, eps)
        if substep == self.spec.simulation.substeps - 1:
            self._close_orders(q, day, orders)
        fund_price_gap = self._value_fund_order(q, orders)
        flow = np.zeros(self.spec.n_assets)
        for key, usd in orders.items():
            flow = flow + usd
            totals[key] += float(usd.sum())
        self.market_maker.take(-flow / q.prices, -float(flow.sum()) - fund_price_gap)
        result = self._clear(day, q, flow)
        _tally(totals, result)
        self._note_trade_size(orders, result, q.prices)
        if self.record_intraday:
            self.intraday_records.append(substep_row(self, day, substep, orders, result))
        return result.rounds

    def _quote(self, time: float) -> Quote:
        """The market at the start of a substep (the transient impact decayed), before its orders."""
        market = self.market
        log_base, coef, adv = market.begin_substep()
        prices = exp_array(log_base)
        k = self.spec.n_assets
        return Quote(time, log_base, prices, market.shares_outstanding * prices, market.cap_weights(prices),
                     market.index_at(prices), coef, adv, np.zeros(k), np.zeros(k))

    def _liquidity_orders(self, q: Quote, eps: np.ndarray) -> dict[str, np.ndarray]:
        """The dealers' re-hedge (their gamma noted in ``q``) and the value and noise traders' filled orders."""
        orders: dict[str, np.ndarray] = {}
        if self.dealer is not None and self.active["dealers"]:
            orders["flow_dealer_usd"] = self.dealer.rehedge(q.time, q.prices, q.index_level, q.cap_weights)
            q.dealer_gamma = self.dealer.dollar_gamma(q.time, q.prices, q.index_level, q.cap_weights)
            q.dealer_limit = self.dealer.hedge_limit(q.prices, q.index_level, q.cap_weights)
        orders["flow_value_usd"] = self.value_trader.order(q.log_base, self.market.log_fundamental, q.caps)
        orders["flow_noise_usd"] = self.noise_trader.order(eps, q.caps)
        self.value_trader.fill(orders["flow_value_usd"], q.prices)
        self.noise_trader.fill(orders["flow_noise_usd"], q.prices)
        return orders

    def _close_orders(self, q: Quote, day: int, orders: dict[str, np.ndarray]) -> None:
        """Add the close's rebalancing: leveraged ETFs, volatility-control funds, margin investors."""
        if self.active["letf"]:
            orders["flow_letf_usd"] = self._letf_orders(q.prices, q.caps, q.cap_weights, day)
        if self.vol_fund is not None and self.active["vol_control"]:
            orders["flow_vol_control_usd"] = self.vol_fund.rebalance(q.prices, q.cap_weights)
        if self.active["margin"]:
            m = self.spec.margin
            if self.leverage_growth != 0.0:
                self.book.grow_targets(detmath.exp(self.leverage_growth / self.spec.simulation.days_per_year))
            _bought, voluntary = self.book.rebalance(
                q.prices, self.market.weights, m.concentration, m.buy_speed, m.sell_speed, m.rebalance_band,
                self.initial_long, margin.short_equity_rate(m.initial_margin_short), self.max_leverage, self.addon)
            orders["flow_margin_voluntary_usd"] = voluntary

    def _value_fund_order(self, q: Quote, orders: dict[str, np.ndarray]) -> float:
        """Add the value funds' order, cleared against all others; return the $ they pay beyond it."""
        if self.value_funds is None or not self.active["value_funds"]:
            return 0.0
        others = sum(orders.values(), np.zeros(self.spec.n_assets))
        usd, paid = self.value_funds.order(q.prices, self.market.log_fundamental, others, self.market.model,
                                           q.coef, q.adv)
        orders["flow_value_funds_usd"] = usd
        return paid - float(usd.sum())

    def _clear(self, day: int, q: Quote, flow: np.ndarray) -> ClearingResult:
        """Clear the margin book at the substep's ``flow`` (updated in place), settle and move prices."""
        m, sim = self.spec.margin, self.spec.simulation
        result = self.book.clear(day, m.call_deadline_days, q.log_base, flow, self.market.model, q.coef, q.adv,
                                 sim.max_clearing_rounds, q.dealer_gamma, q.dealer_limit, self.addon,
                                 self.active["margin"])
        forced_usd = result.sold_usd - result.bought_usd
        self.market_maker.take(result.sold_shares - result.dealer_shares,
                               float(forced_usd.sum()) - float(result.dealer_usd.sum()))
        if self.dealer is not None:
            self.dealer.fill(result.dealer_shares, result.dealer_usd)
        self.market.commit(flow, q.coef, q.adv)
        return result

    def _note_trade_size(self, orders: dict[str, np.ndarray], result: ClearingResult, prices: np.ndarray) -> None:
        """Keep the largest gross shares and $ traded in one substep (rounding grows with them)."""
        usd = sum((np.abs(u) for u in orders.values()), result.sold_usd + result.bought_usd + np.abs(result.dealer_usd))
        self.largest_trade_usd = max(self.largest_trade_usd, float(usd.sum()))
        shares = usd / np.minimum(prices, result.prices)
        self.largest_trade_shares = np.maximum(self.largest_trade_shares, shares)

    def _close(self, day: int, totals: dict[str, float], max_rounds_used: int) -> None:
        """Interest, call reset, realized vol, recording and the cheap invariants."""
        market = self.market
        agg = self.book.close_day(market.prices, self.spec.simulation.days_per_year, self.addon)
        self.broker_cash += agg[stats.AGG_INTEREST]
        index_return = market.close_day()
        if self.vol_fund is not None:
            self.vol_fund.observe(detmath.log1p(index_return))
        row = day_row(self, day, index_return, agg, totals, max_rounds_used)
        if self.value_funds is not None:  # columns only when the scenario has value funds
            row.update(value_fund_columns(self, self.value_funds, day, totals))
        balance = agg[stats.AGG_MARGIN_BALANCE]
        row["regime"] = regime_label(balance - self._prev_margin_debt, index_return)
        self._prev_margin_debt = balance
        self.records.append(row)
        check_day(self, row)
        if self.check_every_day:
            check_conservation(self)


@dataclass
class Quote:
    """The market at the start of a substep, before its orders (``dealer_*``: zero without dealers)."""
    time: float                 # day + substep / substeps
    log_base: np.ndarray        # log price per asset
    prices: np.ndarray
    caps: np.ndarray            # $ market value per asset
    cap_weights: np.ndarray
    index_level: float
    coef: np.ndarray            # impact coefficient per asset (see sim.core.impact)
    adv: np.ndarray             # $ average daily volume per asset
    dealer_gamma: np.ndarray    # the dealers' dollar gamma, $ of hedge per unit relative move
    dealer_limit: np.ndarray    # the most $ the dealers' hedge can trade either way


def _tally(totals: dict[str, float], result: ClearingResult) -> None:
    """Add one clearing's calls, deposits, liquidations, losses and forced flows to the day's totals."""
    st = result.stats
    totals["margin_calls"] += st[stats.STAT_CALLS]
    totals["deposits_usd"] += st[stats.STAT_DEPOSITS]
    totals["liquidations"] += st[stats.STAT_LIQUIDATIONS]
    totals["broker_losses"] += st[stats.STAT_LOSSES]
    totals["clearing_unconverged"] += (1.0 - st[stats.STAT_CONVERGED]) + st[stats.STAT_DEALER_UNCONVERGED]
    totals["forced_sales_usd"] += float(result.sold_usd.sum())
    totals["forced_buyins_usd"] += float(result.bought_usd.sum())
    totals["flow_margin_forced_usd"] -= float((result.sold_usd - result.bought_usd).sum())
    totals["flow_dealer_usd"] += float(result.dealer_usd.sum())
