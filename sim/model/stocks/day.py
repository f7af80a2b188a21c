"""The stock layer's daily steps around the margin cascade: compiled kernels and their plain-Python twins.

A trading day of the layer (:func:`sim.model.stocks.layer.run_stock_layer`) is

1. :func:`open_day`: each name's factor return (:func:`sim.core.stock_impact.factor_returns`,
   from the day's pre-drawn normals) adds to its fundamental log price, and a share
   ``impact_decay`` of its accumulated price impact reverts (transient impact);
2. name-level events (the layer, in Python: few and rare);
3. :func:`fund_orders`: every leveraged ETF restores exposure = L x NAV in its basket at the
   day's prices (:func:`sim.model.rules.funds.rebalance_to`, the market's own rule), a fund out
   of NAV closes (:func:`~sim.model.rules.funds.letf_must_close`);
4. :func:`add_impact`: the day's net $ flow in each name (funds, retail buying, recalls) moves
   its log price by the square-root law (:func:`sim.core.stock_impact.stock_log_impact`, the
   day's thinned depth); prices = price0 x exp(fundamental + impact);
5. the margin cascade (:func:`sim.book.sparse_cascade.cascade_sparse`), whose forced flow is
   added to the impact by step 4's rule;
6. :func:`carry_and_record`: a day's interest on each debit balance (:func:`debit`: short-sale
   proceeds set aside; :func:`sim.core.margin.daily_interest`) and borrow fees on shorts, then per
   name the margin debt held against it (each account's debt shared over its longs by value) and
   the shares sold short.

Each kernel works on arrays only, writes into its outputs and draws no random numbers; each has a
plain-Python twin (``*_reference``) calling the same rules, which the parity tests hold equal.
"""

from __future__ import annotations

from sim.core import detmath, house, impact, margin, pairwise, stock_impact
from sim.core.jit import jitable, kernel
from sim.core.margin import daily_interest
from sim.core.stock_impact import TRADING_DAYS, factor_returns, stock_log_impact
from sim.model.rules import funds
from sim.model.rules.funds import holdings_value, letf_must_close, liquidate, rebalance_to


@jitable(inline="always")
def debit(cash: float, short_value: float) -> float:
    """An account's margin debt ($): its debit balance with short-sale proceeds set aside,
    max(short value - cash, 0). FINRA's debit balances (Rule 4521) exclude the credit from short
    sales, which the account's cash here includes; interest is charged on the same balance."""
    return max(short_value - cash, 0.0)


def _open_day(beta, sector_index, market_return, sector_vol, z_sector, idio_vol, z_idio, decay, returns,
              fundamental, impact_log):
    factor_returns(beta, sector_index, market_return, sector_vol, z_sector, idio_vol, z_idio, returns)
    for j in range(beta.shape[0]):
        fundamental[j] += returns[j]
        impact_log[j] -= decay * impact_log[j]


def _fund_orders(fund_shares, fund_cash, leverage, basket_mask, closed, shares_outstanding, prices, basket, order,
                 flow):
    for f in range(fund_shares.shape[0]):
        nav = fund_cash[f] + holdings_value(fund_shares[f], prices)
        if letf_must_close(closed[f] != 0, nav, leverage[f], 1.0, 1e300):
            fund_cash[f] -= liquidate(fund_shares[f], prices, order)
            for j in range(prices.shape[0]):
                flow[f, j] = order[j]
            closed[f] = 1
            continue
        cap = 0.0
        for j in range(prices.shape[0]):
            cap += basket_mask[f, j] * shares_outstanding[j] * prices[j]
        for j in range(prices.shape[0]):
            basket[j] = basket_mask[f, j] * shares_outstanding[j] * prices[j] / cap
        fund_cash[f] -= rebalance_to(leverage[f] * nav, basket, fund_shares[f], prices, order)
        for j in range(prices.shape[0]):
            flow[f, j] = order[j]


def _add_impact(flow, y, sigma_daily, adv_usd, thinning, fundamental, impact_log, price0, prices):
    for j in range(flow.shape[0]):
        impact_log[j] += stock_log_impact(flow[j], y, sigma_daily[j], adv_usd[j], thinning)
        prices[j] = price0[j] * detmath.exp(fundamental[j] + impact_log[j])


def _carry_and_record(offsets, names, shares, cash, prices, rate, fee, debt_by_name, short_shares):
    debt_by_name[:] = 0.0
    short_shares[:] = 0.0
    for i in range(cash.shape[0]):
        longs = 0.0
        shorts = 0.0
        for k in range(offsets[i], offsets[i + 1]):
            value = shares[k] * prices[names[k]]
            if value > 0.0:
                longs += value
            else:
                shorts -= value
                cash[i] -= fee[names[k]] * -value / TRADING_DAYS
        cash[i] -= daily_interest(cash[i] - shorts, rate, TRADING_DAYS)
        debt = debit(cash[i], shorts)
        for k in range(offsets[i], offsets[i + 1]):
            value = shares[k] * prices[names[k]]
            if value > 0.0 and debt > 0.0:
                debt_by_name[names[k]] += debt * (value / longs)
            elif value < 0.0:
                short_shares[names[k]] -= shares[k]


def _broker_sales(offsets, names, before, after, prices, broker, sold, closed):
    sold[:] = 0.0
    closed[:] = 0.0
    for i in range(broker.shape[0]):
        held = False
        left = False
        for k in range(offsets[i], offsets[i + 1]):
            if before[k] != 0.0:
                held = True
            if after[k] != 0.0:
                left = True
            if before[k] > 0.0 and after[k] < before[k]:
                sold[broker[i]] += (before[k] - after[k]) * prices[names[k]]
        if held and not left:
            closed[broker[i]] += 1.0


_DEPS = (stock_impact, impact, detmath, funds, margin, house, pairwise)
open_day = kernel(*_DEPS)(_open_day)
fund_orders = kernel(*_DEPS)(_fund_orders)
add_impact = kernel(*_DEPS)(_add_impact)
carry_and_record = kernel(*_DEPS)(_carry_and_record)
broker_sales = kernel(*_DEPS)(_broker_sales)
"""Compiled (``kernel``) versions of the steps, and of :func:`broker_sales_reference` (each broker's forced
long sales, valued at the day's prices, and its accounts closed out: every position gone); the
``_``-prefixed functions are the same source."""


# ---------------------------------------------------------------- plain-Python references


def open_day_reference(beta, sector_index, market_return, sector_vol, z_sector, idio_vol, z_idio, decay, returns,
                       fundamental, impact_log):
    """:func:`open_day` name by name in Python (the factor rule called per name)."""
    for j in range(len(beta)):
        s = int(sector_index[j])
        returns[j] = stock_impact.factor_return(float(beta[j]), market_return, float(sector_vol[s]),
                                                float(z_sector[s]), float(idio_vol[j]), float(z_idio[j]))
        fundamental[j] = fundamental[j] + returns[j]
        impact_log[j] = impact_log[j] - decay * impact_log[j]


def fund_orders_reference(fund_shares, fund_cash, leverage, basket_mask, closed, shares_outstanding, prices, basket,
                          order, flow):
    """:func:`fund_orders` in Python: the same rules, lists instead of loops over arrays where clearer."""
    m = len(prices)
    for f in range(fund_shares.shape[0]):
        nav = float(fund_cash[f]) + funds.holdings_value(fund_shares[f], prices)
        if funds.letf_must_close(bool(closed[f]), nav, int(leverage[f]), 1.0, 1e300):
            fund_cash[f] -= funds.liquidate(fund_shares[f], prices, order)
            flow[f, :] = order
            closed[f] = 1
            continue
        caps = [basket_mask[f, j] * shares_outstanding[j] * prices[j] for j in range(m)]
        total = 0.0
        for c in caps:
            total += c
        for j in range(m):
            basket[j] = caps[j] / total
        fund_cash[f] -= funds.rebalance_to(leverage[f] * nav, basket, fund_shares[f], prices, order)
        flow[f, :] = order


def add_impact_reference(flow, y, sigma_daily, adv_usd, thinning, fundamental, impact_log, price0, prices):
    """:func:`add_impact` in Python."""
    for j in range(len(flow)):
        impact_log[j] = impact_log[j] + stock_log_impact(float(flow[j]), y, float(sigma_daily[j]), float(adv_usd[j]),
                                                         thinning)
        prices[j] = price0[j] * detmath.exp(float(fundamental[j] + impact_log[j]))


def carry_and_record_reference(offsets, names, shares, cash, prices, rate, fee, debt_by_name, short_shares):
    """:func:`carry_and_record` in Python: each account's positions as a list."""
    debt_by_name[:] = 0.0
    short_shares[:] = 0.0
    for i in range(len(cash)):
        held = [(int(names[k]), float(shares[k]) * float(prices[names[k]])) for k in range(offsets[i], offsets[i + 1])]
        longs = 0.0  # a plain loop: Python's sum() of floats is compensated (3.12+), the kernel's is not
        shorts = 0.0
        for name, value in held:
            if value > 0.0:
                longs = longs + value
            else:
                shorts = shorts - value
                cash[i] = cash[i] - fee[name] * -value / TRADING_DAYS
        cash[i] = cash[i] - margin.daily_interest(float(cash[i]) - shorts, rate, TRADING_DAYS)
        debt = debit(float(cash[i]), shorts)
        for k, (name, value) in zip(range(offsets[i], offsets[i + 1]), held, strict=True):
            if value > 0.0 and debt > 0.0:
                debt_by_name[name] += debt * (value / longs)
            elif value < 0.0:
                short_shares[name] -= shares[k]


def broker_sales_reference(offsets, names, before, after, prices, broker, sold, closed):
    """Per broker: $ of longs its accounts sold (shares before - after, at ``prices``) and accounts
    that held positions before and none after; Python, account by account."""
    sold[:] = 0.0
    closed[:] = 0.0
    for i in range(len(broker)):
        span = range(offsets[i], offsets[i + 1])
        for k in span:
            if before[k] > 0.0 and after[k] < before[k]:
                sold[broker[i]] = sold[broker[i]] + (before[k] - after[k]) * prices[names[k]]
        if any(before[k] != 0.0 for k in span) and not any(after[k] != 0.0 for k in span):
            closed[broker[i]] += 1.0
