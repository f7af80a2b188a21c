"""The stock layer's margin book at day 0: concentrated, overlapping portfolios of a few names each.

:func:`build_stock_book` draws ``stocks.accounts`` accounts, split over ``[[stock_brokers]]``
by ``share`` (largest remainders; none listed = one default :class:`StockBroker`). Per broker
(its ``leverage_mean``, ``names_per_account``, ``concentration``, ``sector`` override the
book's when set):

* **equity** e ~ lognormal(0, ``wealth_sigma``), later scaled (below);
* **gross long leverage** 1 + (``leverage_mean`` - 1) x z, z ~ lognormal(-d^2/2, d) with
  d = ``leverage_dispersion`` (mean 1, so the mean leverage is ``leverage_mean``);
* **names** 1 + min(Poisson(``names_per_account`` - 1), K - 1), K = min(20, names the account
  may draw from); drawn without replacement with probability proportional to (market value /
  largest)^``popularity``, times ``theme_boost`` for ``theme_sector``'s names
  (:func:`~sim.model.stocks.sampling.distinct_names`); a broker's ``sector`` restricts its
  accounts' longs to that sector. Weights Dirichlet(``concentration``);
* **shorts**: a ``short_fraction`` of accounts also short ``short_ratio`` x their long value,
  in 1 to 3 names (uniform) drawn like the longs from ``short_tilt_sector`` -- a sector, or a
  ticker that then holds every short (an account long that ticker holds no short) -- or, when it
  is '', from the broker's long names' pool; never a name the account is long. Their proceeds
  are credited to cash;
* **cash** = equity - long value + short value: the debt is long value - equity (at most 0 is
  no debt: an account levered below 1 holds cash).

**At or above its target.** No account starts short of its broker's target: with weights and
short ratio fixed an account's requirement is its long value times a rate r (the same rule as
the sparse clearing pass -- this module calls :func:`sim.book.sparse_clearing.clearing_pass_sparse`
on a provisional book at unit equity to get it), so equity >= target x requirement is
leverage <= 1 / (target x r). An account drawn above that is cut to it, less
:data:`LEVERAGE_SLACK` (relative) so rounding never leaves it a hair short; the final book is
checked the same way.

**Margin debt.** Each broker's equities are then scaled by one factor so that its accounts'
debt sums to ``stocks.margin_debt_usd`` x its ``debt_share``; brokers with ``debt_share`` 0
share what the others leave in proportion to their accounts (all 0: the whole debt in
proportion to accounts). Scaling leaves every account's leverage and requirement ratio as it
was. Prices are $100 for every name at day 0 (assumption: only value matters), so
shares outstanding = market value / 100.

**Random numbers**: the "book" stream of :func:`stock_streams`; broker b draws from its own
child ``SeedSequence(entropy, spawn_key=book.spawn_key + (b,))``, so adding a broker leaves
the others' draws alone. See :mod:`sim.model.stocks.sampling` for why every draw is the same on
every CPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.book.sparse import (
    N_SPARSE_RULES,
    SPARSE_RULE_ADD_ON,
    SPARSE_RULE_CONCENTRATION_SHARE,
    SPARSE_RULE_HOUSE_LONG,
    SPARSE_RULE_HOUSE_SHORT,
    SPARSE_RULE_TARGET,
    SparseBook,
    SparseRules,
)
from sim.book.sparse_clearing import clearing_pass_sparse
from sim.config.fields import ScenarioError
from sim.config.scenario_stocks import scenario_universe
from sim.config.schema_stocks import StockBroker
from sim.config.universe import Universe
from sim.core import detrandom
from sim.model.stocks.sampling import (
    dirichlet_flat,
    distinct_names,
    held_in,
    largest_remainder,
    poisson_capped,
    popularity_weights,
)
from sim.model.stocks.types import StockBook

STOCK_STREAMS = ("book", "layer")
"""The stock layer's random streams: the day-0 book (here) and the daily layer."""
STREAM_KEY = 0x570C4
"""First spawn-key word of the stock streams: ``SeedSequence(seed, spawn_key=(STREAM_KEY, i))``.
The market's streams are ``SeedSequence(seed).spawn(k)``, spawn keys (0,) .. (k - 1,), so the
stock layer's never coincide with them and switching it on leaves the market's draws as they were."""
PRICE0 = 100.0
"""$ per share of every name at day 0 (assumption: a round number; only values matter)."""
MAX_NAMES = 20
"""Most names an account holds long (the issue's 1 to ~20)."""
MAX_SHORT_NAMES = 3
"""A short-holding account shorts 1 to this many names (uniform; assumption)."""
LEVERAGE_SLACK = 1e-9
"""An account cut to its target's leverage is cut this much more (relative), against rounding."""


def stock_streams(seed: int) -> dict[str, np.random.SeedSequence]:
    """The stock layer's independent streams for ``seed``: name in :data:`STOCK_STREAMS` -> SeedSequence."""
    return {name: np.random.SeedSequence(seed, spawn_key=(STREAM_KEY, i)) for i, name in enumerate(STOCK_STREAMS)}


def stock_universe(spec) -> Universe:
    """The scenario's universe (:func:`sim.config.scenario_stocks.scenario_universe`), vols times ``stocks.idio_scale``.

    With ``idio_scale`` 0 the stocks have no idiosyncratic risk: the one universe whose
    ``idio_vol`` is 0 (set past the constructor's check, which asks for > 0).
    """
    base = scenario_universe(spec)
    scale = float(spec.stocks.idio_scale)
    if scale == 1.0:
        return base
    columns = dict(ticker=base.ticker, sector=base.sector, market_value_usd=base.market_value_usd, beta=base.beta,
                   adv_usd=base.adv_usd)
    if scale > 0.0:
        return Universe(idio_vol=base.idio_vol * scale, **columns)
    out = Universe(idio_vol=base.idio_vol, **columns)
    zeros = np.zeros(base.n)
    zeros.flags.writeable = False
    object.__setattr__(out, "idio_vol", zeros)
    return out


@dataclass(frozen=True)
class _Plan:
    """One broker's draw parameters, overrides resolved."""
    index: int
    n: int
    leverage_mean: float
    names_per_account: float
    concentration: float
    long_pool: np.ndarray
    short_pool: np.ndarray
    target: float


@dataclass
class _Part:
    """One broker's accounts at unit equity: CSR positions as values per $ of long value."""
    equity: np.ndarray
    leverage: np.ndarray
    offsets: np.ndarray
    names: np.ndarray
    unit: np.ndarray
    short_ratio: np.ndarray


def _plans(spec, universe: Universe, brokers: list[StockBroker]) -> list[_Plan]:
    st = spec.stocks
    sectors = np.array(universe.sector, dtype=object)
    every = np.arange(universe.n)
    counts = largest_remainder(st.accounts, [b.share for b in brokers])
    tilt = st.short_tilt_sector
    plans = []
    for i, b in enumerate(brokers):
        if b.names:
            longs = np.array(sorted({universe.ticker.index(t) for t in b.names.split()}), dtype=np.int64)
        else:
            longs = np.flatnonzero(sectors == b.sector) if b.sector else every
        if tilt in universe.ticker:
            shorts = np.array([universe.ticker.index(tilt)])
        else:
            shorts = np.flatnonzero(sectors == tilt) if tilt else longs
        plans.append(_Plan(i, int(counts[i]), b.leverage_mean or st.leverage_mean,
                           b.names_per_account or st.names_per_account, b.concentration or st.concentration,
                           longs, shorts, b.target))
    return plans


def _positions(names: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A (n, k) name matrix (-1 padded, prefix-filled) and its weights' rows: rows, columns, names (row-major)."""
    rows, cols = np.nonzero(names >= 0)
    return rows, cols, names[rows, cols]


def _draw(plan: _Plan, st, weights: np.ndarray, rng: np.random.Generator) -> _Part:
    n = plan.n
    equity = detrandom.lognormal(rng, 0.0, st.wealth_sigma, n)
    d = st.leverage_dispersion
    leverage = 1.0 + (plan.leverage_mean - 1.0) * detrandom.lognormal(rng, -0.5 * d * d, d, n)
    k = min(MAX_NAMES, plan.long_pool.shape[0])
    counts = 1 + poisson_capped(rng, plan.names_per_account - 1.0, k - 1, n)
    longs = distinct_names(rng, weights[plan.long_pool], plan.long_pool, counts)
    lrows, lcols, lnames = _positions(longs)
    lweights = dirichlet_flat(rng, plan.concentration, lrows, n)
    in_pool = np.zeros(weights.shape[0], dtype=bool)
    in_pool[plan.short_pool] = True
    free = plan.short_pool.shape[0] - held_in(longs, in_pool)
    shorting = (rng.random(n) < st.short_fraction) & (free > 0) & (st.short_ratio > 0.0)
    scounts = np.where(shorting, np.minimum(1 + (rng.random(n) * MAX_SHORT_NAMES).astype(np.int64), free), 0)
    shorts = distinct_names(rng, weights[plan.short_pool], plan.short_pool, scounts, taken=longs)
    srows, scols, snames = _positions(shorts)
    sweights = dirichlet_flat(rng, plan.concentration, srows, n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts + scounts, out=offsets[1:])
    names = np.empty(offsets[-1], dtype=np.int32)
    unit = np.empty(offsets[-1])
    names[offsets[lrows] + lcols], unit[offsets[lrows] + lcols] = lnames, lweights
    where = offsets[srows] + counts[srows] + scols
    names[where], unit[where] = snames, -st.short_ratio * sweights
    return _Part(equity, leverage, offsets, names, unit, np.where(shorting, st.short_ratio, 0.0))


def _rules(brokers: list[StockBroker], m: int) -> SparseRules:
    table = np.zeros((len(brokers), N_SPARSE_RULES))
    for i, b in enumerate(brokers):
        table[i, SPARSE_RULE_HOUSE_LONG], table[i, SPARSE_RULE_HOUSE_SHORT] = b.house_long, b.house_short
        table[i, SPARSE_RULE_CONCENTRATION_SHARE], table[i, SPARSE_RULE_ADD_ON] = b.concentration_share, b.add_on
        table[i, SPARSE_RULE_TARGET] = b.target
    return SparseRules(table, np.zeros(m), np.zeros(m), np.ones(m, dtype=bool))


def _book(part: _Part, equity: np.ndarray, broker: int, m: int) -> SparseBook:
    """The part's accounts at ``equity`` ($ each), every price :data:`PRICE0`."""
    longs = part.leverage * equity
    rows = np.repeat(np.arange(equity.shape[0]), np.diff(part.offsets))
    shares = part.unit * longs[rows] / PRICE0
    cash = equity - longs + part.short_ratio * longs
    return SparseBook(part.offsets, part.names, shares, cash, np.full(equity.shape[0], broker, dtype=np.int32), m)


def _cap_leverage(part: _Part, plan: _Plan, rules: SparseRules, m: int) -> None:
    """Cut each account's leverage to at most 1 / (target x rate), less the slack (see the module docstring)."""
    if plan.n == 0:
        return
    ones = np.ones(plan.n)
    row = SparseRules(rules.broker[plan.index:plan.index + 1], rules.name_long, rules.name_short, rules.marginable)
    requirement = clearing_pass_sparse(_book(part, ones, 0, m), np.full(m, PRICE0), row, per_account=True).requirement
    rate = requirement / part.leverage
    part.leverage = np.minimum(part.leverage, (1.0 - LEVERAGE_SLACK) / (plan.target * rate))


def debt_targets(total: float, brokers: list[StockBroker], accounts: np.ndarray) -> np.ndarray:
    """Each broker's share of the book's margin debt, $ (see the module docstring): (B,) float64."""
    fixed = np.array([b.debt_share for b in brokers])
    free = fixed == 0.0
    rest = max(0.0, 1.0 - math.fsum(fixed))
    weight = np.where(free, accounts, 0).astype(np.float64)
    out = fixed.copy()
    if free.any() and weight.sum() > 0:
        out[free] = rest * weight[free] / math.fsum(weight[free])
    return total * out


def _scale(part: _Part, target: float, name: str) -> np.ndarray:
    unit_debt = math.fsum(part.equity * np.maximum(part.leverage - 1.0, 0.0))
    if target > 0.0 and unit_debt <= 0.0:
        raise ScenarioError(f"{name}: holds ${target:.4g} of stocks.margin_debt_usd but its accounts borrow nothing "
                            "(no accounts, or leverage at most 1 after their targets): lower its debt_share or raise "
                            "its leverage", field=name, allowed="a broker whose accounts borrow")
    return part.equity * (target / unit_debt if target > 0.0 else 0.0)


def build_stock_book(spec, universe: Universe, seed: int) -> StockBook:
    """The stock layer's margin book at day 0 (see the module docstring).

    Parameters
    ----------
    spec : Scenario
        A validated scenario (its ``[stocks]`` and ``[[stock_brokers]]``).
    universe : Universe
        The stocks (:func:`stock_universe`).
    seed : int
        The run's seed (>= 0); the book draws from :func:`stock_streams` ``(seed)["book"]``.

    Returns
    -------
    StockBook
        Accounts grouped by position count (:meth:`SparseBook.grouped`), one rules row per broker.
    """
    st = spec.stocks
    brokers = list(spec.stock_brokers) or [StockBroker()]
    m = universe.n
    boosted = np.array([s == st.theme_sector for s in universe.sector]) if st.theme_sector else np.zeros(m, bool)
    weights = popularity_weights(universe.market_value_usd, st.popularity, boosted, st.theme_boost)
    plans = _plans(spec, universe, brokers)
    rules = _rules(brokers, m)
    book_seed = stock_streams(seed)["book"]
    targets = debt_targets(st.margin_debt_usd, brokers, np.array([p.n for p in plans]))
    books = []
    for plan in plans:
        child = np.random.SeedSequence(book_seed.entropy, spawn_key=(*book_seed.spawn_key, plan.index))
        own = brokers[plan.index].popularity
        broker_weights = weights if own < 0 else popularity_weights(universe.market_value_usd, own, boosted,
                                                                    st.theme_boost)
        part = _draw(plan, st, broker_weights, np.random.Generator(np.random.PCG64(child)))
        _cap_leverage(part, plan, rules, m)
        books.append(_book(part, _scale(part, float(targets[plan.index]), f"stock_brokers[{plan.index}]"),
                           plan.index, m))
    book = _concat(books, m).grouped()[0]
    _check_targets(book, rules)
    price0 = np.full(m, PRICE0)
    return StockBook(universe, book, rules, tuple(b.name for b in brokers), price0, universe.market_value_usd / PRICE0)


def _concat(books: list[SparseBook], m: int) -> SparseBook:
    offsets = [np.zeros(1, dtype=np.int64)]
    start = 0
    for b in books:
        offsets.append(b.offsets[1:] + start)
        start += b.positions
    return SparseBook(np.concatenate(offsets), np.concatenate([b.names for b in books]),
                      np.concatenate([b.shares for b in books]), np.concatenate([b.cash for b in books]),
                      np.concatenate([b.broker for b in books]), m)


def _check_targets(book: SparseBook, rules: SparseRules) -> None:
    out = clearing_pass_sparse(book, np.full(book.n_names, PRICE0), rules, per_account=True)
    short = out.equity < rules.broker[book.broker, SPARSE_RULE_TARGET] * out.requirement
    if short.any():  # cannot happen: the leverage cap leaves LEVERAGE_SLACK of room
        raise RuntimeError(f"stock book: {int(short.sum())} accounts start below their broker's target")
