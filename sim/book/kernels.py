"""Numba kernels for the margin book: the hot loops over N accounts.

Layering (as in ``arch`` and QuantEcon): each public function checks shapes and dtypes and
allocates the outputs; the private ``@kernel`` (``njit(cache=True)`` with a cache keyed on
its dependencies, see :mod:`sim.core.jit`) works on arrays only, writes
into the preallocated outputs and draws no random numbers. Per-account arithmetic comes from
:mod:`sim.core.margin` and :mod:`sim.core.impact`, the same source the plain-Python reference
(:mod:`sim.book.reference`) runs, and tests assert the two agree.

Account arrays (struct of arrays, accounts sorted by broker):
``long``/``short`` (N, K) shares; ``cash``, ``short_credit``, ``reserve`` (N,) $;
``call_day`` (N,) int32 trading day, -1 when no call is open; ``home`` (N,) int32 sector. Broker ``b`` owns accounts
``broker_start[b]:broker_start[b+1]``; its rates are ``rules[b] = (maint_long, maint_short,
target_long, target_short, annual_rate)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba.extending import register_jitable

from sim.core import impact, margin
from sim.core.impact import price_with_dealers
from sim.core.jit import kernel

# layout of the clearing statistics vector
(STAT_CALLS, STAT_DEPOSITS, STAT_LIQUIDATIONS, STAT_LOSSES, STAT_ROUNDS, STAT_CONVERGED,
 STAT_DEALER_UNCONVERGED) = range(7)
N_STATS = 7
BLOCK = 1024
"""Accounts per block in the clearing scan: only blocks holding a deficit are listed and settled."""
REACH_FACTOR = 0.5
MAX_REACH = 0.01
"""Late in a dense cascade (the last round moved prices by m <= 2 x MAX_REACH) the listing pass
also notes the accounts within REACH_FACTOR x m of a call (:func:`sim.core.margin.within_reach`);
while every price stays that close to where it looked, later rounds rescan only those. The same
accounts are found either way: further out the kernel lists the whole book again."""
# layout of the end-of-day aggregates vector
(AGG_DEBIT, AGG_FREE_CREDIT, AGG_INTEREST, AGG_LONG_VALUE, AGG_SHORT_VALUE, AGG_EQUITY,
 AGG_OPEN_CALLS, AGG_MARGIN_BALANCE) = range(8)
N_AGG = 8
RULE_MAINT_LONG, RULE_MAINT_SHORT, RULE_TARGET_LONG, RULE_TARGET_SHORT, RULE_RATE = range(5)


@dataclass
class AccountArrays:
    """The margin book as a struct of arrays (see the module docstring for units)."""

    long: np.ndarray
    short: np.ndarray
    cash: np.ndarray
    short_credit: np.ndarray
    reserve: np.ndarray
    call_day: np.ndarray
    target_leverage: np.ndarray
    short_target: np.ndarray
    home: np.ndarray
    broker_start: np.ndarray

    @property
    def n(self) -> int:
        return self.cash.shape[0]

    def copy(self) -> AccountArrays:
        return AccountArrays(**{k: v.copy() for k, v in self.__dict__.items()})

    def validate(self, n_assets: int) -> None:
        """Raise ValueError when shapes or dtypes do not match the kernel's contract."""
        n = self.n
        for name in ("long", "short"):
            arr = getattr(self, name)
            if arr.shape != (n, n_assets) or arr.dtype != np.float64 or not arr.flags.c_contiguous:
                raise ValueError(f"accounts.{name}: must be C-contiguous float64 of shape ({n}, {n_assets})")
        for name in ("cash", "short_credit", "reserve", "target_leverage", "short_target"):
            arr = getattr(self, name)
            if arr.shape != (n,) or arr.dtype != np.float64:
                raise ValueError(f"accounts.{name}: must be float64 of shape ({n},)")
        for name in ("call_day", "home"):
            arr = getattr(self, name)
            if arr.shape != (n,) or arr.dtype != np.int32:
                raise ValueError(f"accounts.{name}: must be int32 of shape ({n},)")
        bs = self.broker_start
        if bs.dtype != np.int64 or bs[0] != 0 or bs[-1] != n or np.any(np.diff(bs) < 0):
            raise ValueError(f"accounts.broker_start: must be non-decreasing int64 from 0 to {n}")


@dataclass
class ClearingResult:
    """What one clearing call did: prices after it and per-asset forced trading."""

    prices: np.ndarray          # $ per share after the last round
    sold_shares: np.ndarray     # net shares sold by brokers per asset (buy-ins negative)
    sold_usd: np.ndarray        # $ of forced long sales per asset, at fill prices
    bought_usd: np.ndarray      # $ of forced short buy-ins per asset, at fill prices
    dealer_usd: np.ndarray      # $ bought by delta-hedging dealers inside the clearing, per asset
    dealer_shares: np.ndarray   # shares bought by the dealers inside the clearing, per asset
    stats: np.ndarray           # see STAT_* indices

    @property
    def rounds(self) -> int:
        return int(self.stats[STAT_ROUNDS])

    @property
    def converged(self) -> bool:
        return bool(self.stats[STAT_CONVERGED])


@register_jitable(inline="always")
def mark(long: np.ndarray, short: np.ndarray, i: int, prices: np.ndarray,
         addon: np.ndarray) -> tuple[float, float, float]:
    """Account ``i`` at ``prices``: (long value, short value, add-on requirement), all $."""
    long_value = 0.0
    short_value = 0.0
    extra = 0.0
    for j in range(prices.shape[0]):
        long_value += prices[j] * long[i, j]
        short_value += prices[j] * short[i, j]
        extra += addon[j] * prices[j] * long[i, j]
    return long_value, short_value, extra


@register_jitable(inline="always")
def short_of_maintenance(long_b, short_b, cash_b, credit_b, i, prices, addon, m_long, m_short, one_asset):
    """Is account i of these block slices short of maintenance? (1 or 0; read-only.)

    With one asset and no add-on the holdings are read as contiguous vectors; the arithmetic
    is the same as :func:`mark` (0.0 + x == x), so both paths give identical answers.
    """
    if one_asset:
        p = prices[0]
        long_value = p * long_b[i, 0]
        short_value = p * short_b[i, 0]
        extra = 0.0
    else:
        long_value, short_value, extra = mark(long_b, short_b, i, prices, addon)
    eq = margin.equity(cash_b[i], credit_b[i], long_value, short_value)
    return margin.in_deficit(eq, margin.requirement(long_value, short_value, m_long, m_short) + extra)


@register_jitable
def scan_block(long, short, cash, short_credit, prices, addon, start, stop, m_long, m_short, found, n_found):
    """Accounts start..stop-1 short of maintenance: a read-only, branch-free pass.

    Returns how many there are; with ``found`` (not None) it also appends their indices from
    ``n_found`` on. Slices indexed from 0 let the compiler drop negative-index checks and,
    when only counting one asset, vectorise the loop.
    """
    one_asset = prices.shape[0] == 1 and addon[0] == 0.0
    long_b, short_b, cash_b, credit_b = long[start:stop], short[start:stop], cash[start:stop], short_credit[start:stop]
    n = 0
    if found is None:
        if one_asset:
            flat_long = long_b.reshape(long_b.shape[0])
            flat_short = short_b.reshape(short_b.shape[0])
            p = prices[0]
            for i in range(stop - start):
                long_value = p * flat_long[i]
                short_value = p * flat_short[i]
                eq = margin.equity(cash_b[i], credit_b[i], long_value, short_value)
                n += margin.in_deficit(eq, margin.requirement(long_value, short_value, m_long, m_short))
            return n
        for i in range(stop - start):
            n += short_of_maintenance(long_b, short_b, cash_b, credit_b, i, prices, addon, m_long, m_short, False)
        return n
    for i in range(stop - start):
        found[n_found + n] = start + i
        n += short_of_maintenance(long_b, short_b, cash_b, credit_b, i, prices, addon, m_long, m_short, one_asset)
    return n


@register_jitable
def list_block(long, short, cash, short_credit, prices, addon, start, stop, m_long, m_short, found, n_found,
               near, n_near, reach):
    """Append accounts start..stop-1 short of maintenance to ``found`` and those within ``reach``
    of it to ``near`` (both in account order); returns the new (n_found, n_near). Branch-free;
    with one asset and no add-on the holdings are read as contiguous vectors (same arithmetic)."""
    if prices.shape[0] == 1 and addon[0] == 0.0:
        flat_long = long[start:stop].reshape(stop - start)
        flat_short = short[start:stop].reshape(stop - start)
        cash_b, credit_b = cash[start:stop], short_credit[start:stop]
        p = prices[0]
        for i in range(stop - start):
            long_value = p * flat_long[i]
            short_value = p * flat_short[i]
            eq = margin.equity(cash_b[i], credit_b[i], long_value, short_value)
            req = margin.requirement(long_value, short_value, m_long, m_short)
            found[n_found] = start + i
            n_found += margin.in_deficit(eq, req)
            near[n_near] = start + i
            n_near += margin.within_reach(eq, req, long_value, short_value, reach)
        return n_found, n_near
    for i in range(start, stop):
        long_value, short_value, extra = mark(long, short, i, prices, addon)
        eq = margin.equity(cash[i], short_credit[i], long_value, short_value)
        req = margin.requirement(long_value, short_value, m_long, m_short) + extra
        found[n_found] = i
        n_found += margin.in_deficit(eq, req)
        near[n_near] = i
        n_near += margin.within_reach(eq, req, long_value, short_value, reach)
    return n_found, n_near


@register_jitable
def scan_near(long, short, cash, short_credit, prices, addon, near, lo, hi, m_long, m_short, found, n_found):
    """Append the accounts ``near[lo:hi]`` short of maintenance to ``found``; returns the new count."""
    for f in range(lo, hi):
        i = near[f]
        long_value, short_value, extra = mark(long, short, i, prices, addon)
        eq = margin.equity(cash[i], short_credit[i], long_value, short_value)
        found[n_found] = i
        n_found += margin.in_deficit(eq, margin.requirement(long_value, short_value, m_long, m_short) + extra)
    return n_found


@register_jitable
def drop_out_of_reach(long, short, cash, short_credit, prices, addon, broker_start, rules, near, n_near,
                      found, n_found, reach):
    """Filter ``near`` in place after a round: an account settled this round (``found``, a subset
    of ``near``, both in account order) stays only while it is still within reach of a call.

    It was settled at ``prices``, themselves within ``reach`` of where ``near`` was listed, so any
    later price within ``reach`` of that is within 2 reach / (1 - reach) of ``prices``.
    """
    move = 2.0 * reach / (1.0 - reach)
    kept = 0
    f = 0
    b = 0
    for k in range(n_near):
        i = near[k]
        keep = True
        if f < n_found and found[f] == i:
            f += 1
            while i >= broker_start[b + 1]:
                b += 1
            long_value, short_value, extra = mark(long, short, i, prices, addon)
            eq = margin.equity(cash[i], short_credit[i], long_value, short_value)
            req = margin.requirement(long_value, short_value, rules[b, 0], rules[b, 1]) + extra
            keep = margin.within_reach(eq, req, long_value, short_value, move)
        near[kept] = i
        kept += keep
    return kept


def _check_rules(rules: np.ndarray, accounts: AccountArrays) -> None:
    n_brokers = accounts.broker_start.shape[0] - 1
    if rules.shape != (n_brokers, 5) or rules.dtype != np.float64:
        raise ValueError(f"rules: must be float64 of shape ({n_brokers}, 5)")


def _check_vec(name: str, arr: np.ndarray, k: int) -> None:
    if arr.shape != (k,) or arr.dtype != np.float64:
        raise ValueError(f"{name}: must be float64 of shape ({k},)")


# ------------------------------------------------------------------------------ clearing

def clear(accounts: AccountArrays, rules: np.ndarray, day: int, deadline_days: int,
          log_base: np.ndarray, flow: np.ndarray, model: int, coef: np.ndarray,
          adv: np.ndarray, max_rounds: int, dealer_gamma: np.ndarray | None = None,
          dealer_limit: np.ndarray | None = None, addon: np.ndarray | None = None,
          margin_active: bool = True) -> ClearingResult:
    """Resolve margin calls, deposits and forced trades to a fixed point with price impact.

    ``log_base`` is each asset's log price before this substep's flow, ``flow`` the net dollar
    flow already sent this substep (updated in place with the forced and dealer flow).
    Rounds of (mark -> call/deposit/liquidate -> move prices) run until no account is
    liquidated or ``max_rounds`` is reached; ``stats[STAT_CONVERGED]`` says which. Every
    price update includes the delta-hedging dealers' response (``dealer_gamma``: $ of hedge
    per unit relative move, at most ``dealer_limit`` $; see
    :func:`sim.core.impact.price_with_dealers`). ``addon`` adds a maintenance rate on long
    positions per asset (a broker's concentrated-position rule).
    ``margin_active=False`` leaves the book alone (the margin channel switched off).
    """
    k = log_base.shape[0]
    dealer_gamma = np.zeros(k) if dealer_gamma is None else dealer_gamma
    dealer_limit = np.zeros(k) if dealer_limit is None else dealer_limit
    addon = np.zeros(k) if addon is None else addon
    accounts.validate(k)
    _check_rules(rules, accounts)
    for name, arr in (("log_base", log_base), ("flow", flow), ("coef", coef), ("adv", adv),
                      ("dealer_gamma", dealer_gamma), ("dealer_limit", dealer_limit), ("addon", addon)):
        _check_vec(name, arr, k)
    if max_rounds < 1:
        raise ValueError("max_rounds: must be >= 1")
    out = ClearingResult(np.empty(k), np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(k),
                         np.zeros(N_STATS))
    a = accounts
    found, near = _workspace(a.n)
    _clear_kernel(a.long, a.short, a.cash, a.short_credit, a.reserve, a.call_day, a.broker_start,
                  rules, day, deadline_days, log_base, flow, model, coef, adv, max_rounds, dealer_gamma,
                  dealer_limit, addon, margin_active, out.prices, out.sold_shares, out.sold_usd, out.bought_usd,
                  out.dealer_usd, out.dealer_shares, out.stats, found, near)
    return out


_WORKSPACE: dict[str, np.ndarray] = {}


def _workspace(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two int32 index lists of at least ``n`` entries for the clearing kernel, kept between calls.

    A cascade writes them every round; fresh arrays would cost a page fault per 4 KB on every
    call (about 1 ms at 10^6 accounts). Scratch only: nothing is read before it is written, and
    two threads cannot use them at once because the kernels hold the GIL (no ``nogil``).
    """
    if "found" not in _WORKSPACE or _WORKSPACE["found"].shape[0] < n:
        _WORKSPACE["found"] = np.empty(n, dtype=np.int32)
        _WORKSPACE["near"] = np.empty(n, dtype=np.int32)
    return _WORKSPACE["found"], _WORKSPACE["near"]


@kernel(margin, impact)
def _clear_kernel(long, short, cash, short_credit, reserve, call_day, broker_start, rules,
                  day, deadline, log_base, flow, model, coef, adv, max_rounds, dealer_gamma, dealer_limit,
                  addon, margin_active, prices, sold_shares, sold_usd, bought_usd, dealer_usd, dealer_shares,
                  stats, found, near):  # pragma: no cover - jitted
    n_assets = log_base.shape[0]
    round_shares = np.zeros(n_assets)
    for j in range(n_assets):
        prices[j], dealer_usd[j], it = price_with_dealers(log_base[j], flow[j], dealer_gamma[j], dealer_limit[j],
                                                          model, coef[j], adv[j])
        dealer_shares[j] = dealer_usd[j] / prices[j]
        stats[6] += it < 0
    converged = 0.0
    rounds = 0
    n_brokers = broker_start.shape[0] - 1 if margin_active else 0
    # found: accounts in deficit this round; near: accounts within ``reach`` of a call, noted in a
    # late dense round (both scratch lists from the caller, in account order)
    max_blocks = cash.shape[0] // BLOCK + n_brokers + 1
    block_lo = np.empty(max_blocks, dtype=np.int64)  # blocks (within one broker) holding a deficit
    block_hi = np.empty(max_blocks, dtype=np.int64)
    block_broker = np.empty(max_blocks, dtype=np.int64)
    n_short = 0  # accounts short of maintenance in the last round
    near_prices = np.empty(n_assets)  # the prices at which ``near`` was noted
    n_near = 0
    have_near = False
    reach = 0.0
    last_move = np.inf  # largest relative price move of the last round
    for _ in range(max_rounds):
        rounds += 1
        round_shares[:] = 0.0
        liquidated = 0
        # 1. in the first round, count the accounts short of maintenance over whole brokers (the
        #    common pass ends here: none are) ...
        if rounds == 1:
            for b in range(n_brokers):
                n_short += scan_block(long, short, cash, short_credit, prices, addon, broker_start[b],
                                      broker_start[b + 1], rules[b, 0], rules[b, 1], None, 0)
            if n_short == 0:
                converged = 1.0
                break
        # ... then list them in account order, one of three ways that find the same accounts:
        #  - near: late in a dense cascade the accounts within ``reach`` of a call were noted; while
        #    every price stays within ``reach`` of where they were, only those can be short;
        #  - dense: nearly every block holds one (two or more per block now, or ten per block last
        #    round, as rounds shrink about fivefold): list every block (noting the near ones once
        #    the last round moved prices by at most 2 x MAX_REACH);
        #  - sparse: count block by block, then list only the blocks that hold some.
        use_near = False
        if have_near:
            move = 0.0
            for j in range(n_assets):
                move = max(move, abs(prices[j] / near_prices[j] - 1.0))
            use_near = move <= reach
            have_near = use_near
        n_found = 0
        n_blocks = 0
        dense = n_short * BLOCK > (2 if rounds == 1 else 10) * cash.shape[0]
        if use_near:
            f = 0
            for b in range(n_brokers):
                lo = f
                while f < n_near and near[f] < broker_start[b + 1]:
                    f += 1
                n_found = scan_near(long, short, cash, short_credit, prices, addon, near, lo, f,
                                    rules[b, 0], rules[b, 1], found, n_found)
                block_broker[n_blocks] = b
                block_hi[n_blocks] = n_found  # where broker b's accounts end in ``found``
                n_blocks += 1
        elif dense and last_move <= 2.0 * MAX_REACH:
            reach = REACH_FACTOR * max(last_move, 1e-6)
            n_near = 0
            for b in range(n_brokers):
                n_found, n_near = list_block(long, short, cash, short_credit, prices, addon, broker_start[b],
                                             broker_start[b + 1], rules[b, 0], rules[b, 1], found, n_found,
                                             near, n_near, reach)
                block_broker[n_blocks] = b
                block_hi[n_blocks] = n_found
                n_blocks += 1
            near_prices[:] = prices
            have_near = True
        else:
            for b in range(n_brokers):
                for lo in range(broker_start[b], broker_start[b + 1], BLOCK):
                    hi = min(lo + BLOCK, broker_start[b + 1])
                    block_lo[n_blocks] = lo
                    block_hi[n_blocks] = hi
                    block_broker[n_blocks] = b
                    if dense:
                        n_blocks += 1
                    else:
                        n_blocks += scan_block(long, short, cash, short_credit, prices, addon, lo, hi,
                                               rules[b, 0], rules[b, 1], None, 0) > 0
            for q in range(n_blocks):
                b = block_broker[q]
                n_found += scan_block(long, short, cash, short_credit, prices, addon, block_lo[q], block_hi[q],
                                      rules[b, 0], rules[b, 1], found, n_found)
                block_hi[q] = n_found  # from here on: where block q's accounts end in ``found``
        n_short = n_found
        if n_found == 0:
            converged = 1.0
            break
        # 3. settle only those, in account order (for the others settle_account changes nothing)
        first = 0
        for q in range(n_blocks):
            b = block_broker[q]
            last = block_hi[q]
            for f in range(first, last):
                i = found[f]
                long_value, short_value, extra = mark(long, short, i, prices, addon)
                eq = margin.equity(cash[i], short_credit[i], long_value, short_value)
                fraction, deposit, new_call_day, issued = margin.settle_account(
                    eq, margin.requirement(long_value, short_value, rules[b, 0], rules[b, 1]) + extra,
                    margin.requirement(long_value, short_value, rules[b, 2], rules[b, 3]) + extra,
                    reserve[i], call_day[i], day, deadline)
                call_day[i] = new_call_day
                stats[0] += issued
                stats[1] += deposit
                reserve[i] -= deposit
                cash[i] += deposit
                if fraction > 0.0:
                    liquidated += 1
                    for j in range(n_assets):
                        sell = fraction * long[i, j]
                        cover = fraction * short[i, j]
                        long[i, j] -= sell
                        short[i, j] -= cover
                        cash[i] += sell * prices[j]
                        short_credit[i] -= cover * prices[j]
                        round_shares[j] += sell - cover
                        sold_usd[j] += sell * prices[j]
                        bought_usd[j] += cover * prices[j]
                    if fraction >= 1.0:
                        balance = cash[i] + short_credit[i]
                        paid, loss = margin.close_out(balance, reserve[i])
                        reserve[i] -= paid
                        stats[3] += loss
                        cash[i] = max(balance, 0.0)
                        short_credit[i] = 0.0
                        call_day[i] = -1
            first = last
        stats[2] += liquidated
        if have_near:  # accounts settled this round stay in ``near`` only while still within reach
            n_near = drop_out_of_reach(long, short, cash, short_credit, prices, addon, broker_start, rules,
                                       near, n_near, found, n_found, reach)
        if liquidated == 0:
            converged = 1.0
            break
        last_move = 0.0
        for j in range(n_assets):
            sold_shares[j] += round_shares[j]
            flow[j] -= round_shares[j] * prices[j]
            old_price = prices[j]
            prices[j], dealer_new, it = price_with_dealers(log_base[j], flow[j], dealer_gamma[j],
                                                           dealer_limit[j], model, coef[j], adv[j])
            stats[6] += it < 0
            dealer_shares[j] += (dealer_new - dealer_usd[j]) / prices[j]
            dealer_usd[j] = dealer_new
            last_move = max(last_move, abs(prices[j] / old_price - 1.0))
    for j in range(n_assets):
        flow[j] += dealer_usd[j]
    stats[4] = rounds
    stats[5] = converged


# ---------------------------------------------------------------------------- rebalancing

def rebalance(accounts: AccountArrays, index_weights: np.ndarray, concentration: float,
              buy_speed: float, sell_speed: float, band: float, initial_long: float, initial_short_equity: float,
              prices: np.ndarray, max_leverage: float = math.inf, rules: np.ndarray | None = None,
              addon: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Voluntary leverage targeting at ``prices``; returns (bought shares, $ flow) per asset.

    Each investor moves ``buy_speed`` (under target) or ``sell_speed`` (over) of the way to
    ``target_leverage x equity`` in longs (and ``short_target x equity`` in shorts), outside
    a band, within buying power: Reg T's and, with ``rules`` (per broker, as in :func:`clear`),
    the house maintenance's, including the ``addon`` per asset. Buys go to the account's allocation (``concentration``
    in its home sector, the rest by index weight; new shorts by index weight); sales and
    buy-ins are pro rata to holdings.
    Trades fill at ``prices``. ``max_leverage`` caps every target (a cut in margin lending).
    """
    k = prices.shape[0]
    accounts.validate(k)
    _check_vec("index_weights", index_weights, k)
    _check_vec("prices", prices, k)
    addon = np.zeros(k) if addon is None else addon
    _check_vec("addon", addon, k)
    if rules is None:  # Reg T only: a house rate of 0 switches the house limit off
        rules = np.zeros((accounts.broker_start.shape[0] - 1, 5))
    _check_rules(rules, accounts)
    bought = np.zeros(k)
    flow = np.zeros(k)
    a = accounts
    _rebalance_kernel(a.long, a.short, a.cash, a.short_credit, a.target_leverage, a.short_target,
                      a.home, a.broker_start, rules, addon, index_weights, concentration, buy_speed, sell_speed,
                      band, initial_long, initial_short_equity, prices, max_leverage, bought, flow)
    return bought, flow


@kernel(margin, impact)
def _rebalance_kernel(long, short, cash, short_credit, target_leverage, short_target, home, broker_start, rules,
                      addon, weights, concentration, buy_speed, sell_speed, band, initial_long, initial_short_equity,
                      prices, max_leverage, bought, flow):  # pragma: no cover - jitted
    n_assets = prices.shape[0]
    top_addon = 0.0
    for j in range(n_assets):
        top_addon = max(top_addon, addon[j])
    b = 0
    for i in range(cash.shape[0]):
        while i >= broker_start[b + 1]:
            b += 1
        long_value, short_value, extra = mark(long, short, i, prices, addon)
        eq = margin.equity(cash[i], short_credit[i], long_value, short_value)
        house = rules[b, 0] + top_addon if rules[b, 0] > 0.0 else 0.0
        power = margin.buying_power(eq, long_value, short_value, initial_long, initial_short_equity,
                                    margin.requirement(long_value, short_value, rules[b, 0], rules[b, 1]) + extra,
                                    house)
        target = min(target_leverage[i], max_leverage) * eq
        trade = margin.leverage_trade(eq, long_value, target, buy_speed, sell_speed, band, power)
        power_left = max(power - max(trade, 0.0), 0.0) * initial_long / initial_short_equity
        short_trade = margin.leverage_trade(eq, short_value, short_target[i] * eq, buy_speed,
                                            sell_speed, band,
                                            power_left)
        if trade == 0.0 and short_trade == 0.0:
            continue
        for j in range(n_assets):
            alloc = (1.0 - concentration) * weights[j] + (concentration if home[i] == j else 0.0)
            if trade >= 0.0:
                usd = trade * alloc
            else:
                usd = trade * (prices[j] * long[i, j] / long_value)
            if short_trade >= 0.0:
                short_usd = short_trade * weights[j]
            else:
                short_usd = short_trade * (prices[j] * short[i, j] / short_value)
            shares = usd / prices[j]
            short_shares = short_usd / prices[j]
            long[i, j] += shares
            short[i, j] += short_shares
            cash[i] -= usd
            short_credit[i] += short_usd
            bought[j] += shares - short_shares
            flow[j] += usd - short_usd


# ----------------------------------------------------------------------------- end of day

def end_of_day(accounts: AccountArrays, rules: np.ndarray, days_per_year: float,
               prices: np.ndarray, addon: np.ndarray | None = None) -> np.ndarray:
    """Accrue a day's interest on debit balances, close calls that are met, and aggregate.

    Also sweeps the short credit of accounts without shorts into cash. Returns the AGG_*
    vector: debit balances, free credit (margin credit + reserves), interest, long and short
    value, equity, open calls and the FINRA margin balance (debit + shares borrowed), all $.
    """
    k = prices.shape[0]
    addon = np.zeros(k) if addon is None else addon
    accounts.validate(k)
    _check_rules(rules, accounts)
    _check_vec("prices", prices, k)
    _check_vec("addon", addon, k)
    agg = np.zeros(N_AGG)
    a = accounts
    _end_of_day_kernel(a.long, a.short, a.cash, a.short_credit, a.reserve, a.call_day,
                       a.broker_start, rules, days_per_year, prices, addon, agg)
    return agg


@kernel(margin, impact)
def _end_of_day_kernel(long, short, cash, short_credit, reserve, call_day, broker_start, rules,
                       days_per_year, prices, addon, agg):  # pragma: no cover - jitted
    for b in range(broker_start.shape[0] - 1):
        m_long = rules[b, 0]
        m_short = rules[b, 1]
        rate = rules[b, 4]
        for i in range(broker_start[b], broker_start[b + 1]):
            long_value, short_value, extra = mark(long, short, i, prices, addon)
            interest = margin.daily_interest(cash[i], rate, days_per_year)
            cash[i] -= interest
            if short_value == 0.0:
                cash[i] += short_credit[i]
                short_credit[i] = 0.0
            eq = margin.equity(cash[i], short_credit[i], long_value, short_value)
            if not margin.in_deficit(eq, margin.requirement(long_value, short_value, m_long, m_short) + extra):
                call_day[i] = -1
            debit = margin.debit_balance(cash[i])
            agg[0] += debit
            agg[1] += margin.free_credit(cash[i]) + reserve[i]
            agg[2] += interest
            agg[3] += long_value
            agg[4] += short_value
            agg[5] += eq
            agg[6] += call_day[i] >= 0
            agg[7] += margin.margin_balance(debit, short_value, 0.0)
