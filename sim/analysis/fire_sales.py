"""Known fire-sale results on synthetic overlapping portfolios: threshold vs targeting, critical leverage.

Two checks of the sparse cascades (issue 15, item 7) against qualitative results of the literature,
on synthetic bipartite books (:func:`synthetic_portfolios`: K accounts x M assets, each account
holding ``diversification`` assets drawn at random, in equal $ weights, at leverage lambda = gross /
equity, every price $1 at the start):

* :func:`threshold_vs_targeting`, Cont and Schaanning (2017, "Fire sales, indirect contagion and
  systemic stress testing", Norges Bank WP 2/2017): a uniform shock to every asset, then the
  fire sale under the threshold rule (:func:`sim.book.sparse_cascade.cascade_sparse`: nothing until
  the margin requirement binds, then a sale back to a buffer) and under leverage targeting
  (:func:`sim.book.sparse_targeting.cascade_targeting`, Greenwood, Landier and Thesmar 2015).
* :func:`contagion_vs_leverage`, Caccioli, Shrestha, Moore and Farmer (2014, "Stability analysis
  of financial contagion due to overlapping portfolios", J. Banking & Finance 46: 233-245): one
  asset falls, and the probability over random books that the cascade becomes system-wide.

Mapping to the papers. The threshold rule is the house rule of :class:`sim.book.sparse.SparseRules`
on long-only accounts with no add-on: an account is called when equity < m x gross (m =
``house``, at least FINRA's 25%), i.e. when its leverage passes lambda_max = 1 / m (4 at m = 25%:
Cont-Schaanning's leverage cap, which for banks is ~33 under Basel III's 3% ratio, is out of the
rules' range, so every leverage here is a margin account's), and sells back to equity = t x m x
gross (t = ``target``), i.e. to leverage lambda_b = 1 / (t m). Caccioli et al.'s banks fail (and
sell) when their loss exceeds their equity, a fraction 1 / lambda_C of assets; here an account of
leverage lambda is called after a loss of (1 / lambda - m) / (1 - m) of its gross value, so
lambda_C = (1 - m) / (1 / lambda - m) plays their leverage (:func:`account_leverage` inverts it),
and with t x m = 1 (t = 4 at m = 25%) a called account sells down to leverage 1, i.e. repays all
its debt, the analogue of their failed bank's liquidation. Impact is theirs: log P_j falls by alpha
x (the $ sold of asset j) / (its $ held at the start) (:func:`depth_impact`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.book.sparse import SparseBook, SparseRules
from sim.book.sparse_cascade import CASCADE_STAT_LOSSES, CascadeImpact, SparseCascade, cascade_sparse, linear_impact
from sim.book.sparse_targeting import account_marks, cascade_targeting, initial_leverage
from sim.core.errors import InputError
from sim.core.rules import FINRA_MAINTENANCE_SHORT

CACCIOLI_ALPHA = 1.0536
"""Caccioli et al. (2014): selling 10% of an asset's shares lowers its price by 10%, exp(-0.1 alpha) = 0.9."""
CS_ALPHA = 0.2
"""Impact for the Cont-Schaanning comparison: selling all holdings of an asset lowers log price by 0.2.

Assumption (Cont and Schaanning calibrate market depth per asset class; any alpha with
alpha (lambda - 1) < 1 keeps the targeting spiral finite, and the qualitative result holds).
"""
HOUSE = 0.25
"""Maintenance requirement m on longs: FINRA Rule 4210's 25% floor, the loosest the rules allow."""
CONTAGION_SHARE = 0.05
"""A cascade is system-wide when more than this share of accounts sell (assumption, the issue's 5%)."""
MAX_ROUNDS = 2000
"""Rounds allowed to each cascade (assumption: every cascade here converges in far fewer)."""


def synthetic_portfolios(n_accounts: int, n_assets: int, diversification: int, leverage: float,
                         seed: int | np.random.SeedSequence = 0) -> SparseBook:
    """K accounts holding ``diversification`` random assets each, equal weights, $1 gross, given leverage.

    Parameters
    ----------
    n_accounts, n_assets : int
        K >= 1 accounts, M >= 1 assets (every price is $1).
    diversification : int
        Assets per account, in [1, M], drawn without replacement.
    leverage : float
        Gross / equity of every account, >= 1 (cash = 1 / leverage - 1).
    seed : int or SeedSequence
        The draws' seed: the same seed gives the same book.

    Returns
    -------
    SparseBook
        Long-only accounts, one broker, names in increasing order within each account.
    """
    if not (isinstance(n_accounts, int) and isinstance(n_assets, int) and n_accounts >= 1 and n_assets >= 1):
        raise InputError("n_accounts, n_assets: must be integers >= 1", field="n_accounts", allowed=">= 1")
    if not (isinstance(diversification, int | np.integer) and 1 <= diversification <= n_assets):
        raise InputError(f"diversification: must be an integer in [1, {n_assets}], got {diversification!r}",
                         field="diversification", allowed=f"[1, {n_assets}]")
    if not (np.isfinite(leverage) and leverage >= 1.0):
        raise InputError(f"leverage: must be finite >= 1, got {leverage}", field="leverage", allowed=">= 1")
    rng = np.random.default_rng(seed)
    held = np.sort(np.argsort(rng.random((n_accounts, n_assets)), axis=1)[:, :diversification], axis=1)
    d = int(diversification)
    return SparseBook(np.arange(n_accounts + 1) * d, held.ravel().astype(np.int32), np.full(n_accounts * d, 1.0 / d),
                      np.full(n_accounts, 1.0 / leverage - 1.0), np.zeros(n_accounts, np.int32), n_assets)


def depth_impact(book: SparseBook, alpha: float) -> CascadeImpact:
    """Linear impact with coef_j = alpha / ($ of asset j held at $1 prices); an asset nobody holds does not move.

    Parameters
    ----------
    book : SparseBook
        The book at the start (every price $1, so shares are $ held).
    alpha : float
        Log-price fall when all the book's holdings of an asset are sold (>= 0).

    Returns
    -------
    CascadeImpact
        :func:`sim.book.sparse_cascade.linear_impact` of those coefficients.
    """
    held = np.bincount(book.names, np.abs(book.shares), book.n_names)
    return linear_impact(np.divide(alpha, held, out=np.zeros(book.n_names), where=held > 0.0))


def threshold_rules(n_assets: int, house: float, target: float) -> SparseRules:
    """One broker calling at equity < ``house`` x gross and selling back to ``target`` x that; no add-on.

    Shorts get FINRA's 30% floor (the books here hold none).

    Parameters
    ----------
    n_assets : int
        Names covered (M).
    house : float
        Maintenance requirement m on longs (>= FINRA's 25%): called below equity m x gross.
    target : float
        Multiple t of the requirement a called account is sold back to (leverage 1 / (t m)).

    Returns
    -------
    SparseRules
        One broker, every name marginable at the house rate, no concentration add-on.
    """
    row = [house, max(house, FINRA_MAINTENANCE_SHORT), 1.0, 0.0, target]
    return SparseRules(np.array([row]), np.zeros(n_assets), np.zeros(n_assets),
                       np.ones(n_assets, bool))


def account_leverage(caccioli_leverage, house: float = HOUSE):
    """Leverage lambda of an account called after losing 1 / lambda_C of its gross: 1 / (m + (1 - m) / lambda_C).

    Parameters
    ----------
    caccioli_leverage : float or array of float
        Caccioli et al.'s leverage lambda_C (> 0).
    house : float
        Maintenance requirement m (default :data:`HOUSE`).

    Returns
    -------
    ndarray of float
        The accounts' own leverage (gross / equity), of ``caccioli_leverage``'s shape, in [1, 1 / m) for lambda_C >= 1.
    """
    return 1.0 / (house + (1.0 - house) / np.asarray(caccioli_leverage, dtype=np.float64))


def fire_sale_loss(book: SparseBook, shocked: np.ndarray, out: SparseCascade) -> float:
    """Price-impact loss on the initial holdings, in % of their value at the start ($1 prices).

    Sum over assets of (shares held at the start) x (shocked price - price after the cascade):
    the mark-to-market loss beyond the initial shock that the fire sale inflicts on the system's
    initial portfolio (the measure of a stress test that marks holdings after the fire sale).

    Parameters
    ----------
    book : SparseBook
        The book at the start (every price $1).
    shocked : ndarray, (M,)
        $ per share after the initial shock (the cascade's start).
    out : SparseCascade
        The cascade run from ``shocked``.

    Returns
    -------
    float
        The loss in % of the initial holdings' $ value.
    """
    held = np.bincount(book.names, book.shares, book.n_names)
    return 100.0 * float(held @ (shocked - out.prices)) / float(np.abs(book.shares).sum())


def realised_loss(book: SparseBook, shocked: np.ndarray, out: SparseCascade) -> float:
    """What the accounts and brokers actually lost beyond the shock, in % of initial holdings.

    Equity at the shocked prices minus equity after the cascade, plus the brokers' write-offs (a
    written-off account's cash is set to 0, which hides its loss from its equity). Lower than
    :func:`fire_sale_loss`: what is sold in a round is sold at that round's price, before the impact
    it causes, so only what is still held takes the later falls.

    Parameters
    ----------
    book : SparseBook
        The book at the start (every price $1).
    shocked : ndarray, (M,)
        $ per share after the initial shock (the cascade's start).
    out : SparseCascade
        The cascade run from ``shocked``.

    Returns
    -------
    float
        The loss in % of the initial holdings' $ value.
    """
    before = account_marks(book, shocked)[0].sum()
    after = account_marks(out.book(), out.prices)[0].sum()
    initial = float(np.abs(book.shares).sum())
    return 100.0 * (before - after + out.stats[CASCADE_STAT_LOSSES]) / initial


def sellers(book: SparseBook, out: SparseCascade) -> np.ndarray:
    """Which accounts sold anything in the cascade.

    Parameters
    ----------
    book : SparseBook
        The book at the start.
    out : SparseCascade
        The cascade run on it.

    Returns
    -------
    ndarray of bool, (N,)
        True for an account any of whose positions changed.
    """
    owner = np.repeat(np.arange(book.n), np.diff(book.offsets))
    return np.bincount(owner, out.shares != book.shares, book.n) > 0


@dataclass(frozen=True)
class ShockTable:
    """Fire-sale losses against the initial shock, threshold rule vs leverage targeting.

    ``shocks``: (S,) uniform price falls. ``threshold_loss`` and ``targeting_loss``: (S,) % of
    initial holdings lost beyond the shock (:func:`fire_sale_loss`); ``threshold_realised`` and
    ``targeting_realised``: the same by :func:`realised_loss`. ``threshold_sold`` and ``targeting_sold``: (S,) share of
    accounts that sold. ``trigger``: the smallest shock that calls an account, (lambda^-1 - m) / (1 - m).
    ``cap`` and ``restored``: the threshold rule's leverages lambda_max = 1 / m and lambda_b = 1 / (t m).
    ``rounds``: the most rounds any cascade ran (< :data:`MAX_ROUNDS`: every one converged).
    """

    shocks: np.ndarray
    threshold_loss: np.ndarray
    targeting_loss: np.ndarray
    threshold_realised: np.ndarray
    targeting_realised: np.ndarray
    threshold_sold: np.ndarray
    targeting_sold: np.ndarray
    trigger: float
    cap: float
    restored: float
    rounds: int


def threshold_vs_targeting(shock_sizes, n_accounts: int = 200, n_assets: int = 20, diversification: int = 5,
                           leverage: float = 3.0, house: float = HOUSE, target: float = 1.6,
                           alpha: float = CS_ALPHA, seed: int = 0) -> ShockTable:
    """Fire-sale losses after a uniform shock under threshold deleveraging and under leverage targeting.

    Parameters
    ----------
    shock_sizes : array of float
        Falls of every asset's price, each in [0, 1).
    n_accounts, n_assets, diversification, leverage, seed
        The book (:func:`synthetic_portfolios`).
    house, target : float
        Threshold rule: called at leverage 1 / house, sold back to 1 / (target x house) (defaults:
        lambda_max = 4, lambda_b = 2.5, a buffer below the initial 3: an assumption).
    alpha : float
        Impact: log-price fall when all holdings of an asset are sold (:func:`depth_impact`).

    Returns
    -------
    ShockTable
        Losses in % of initial holdings and the share of accounts that sold, per shock.
    """
    shocks = np.asarray(shock_sizes, dtype=np.float64)
    if shocks.ndim != 1 or not np.all((shocks >= 0.0) & (shocks < 1.0)):
        raise InputError("shock_sizes: must be 1-D floats in [0, 1)", field="shock_sizes", allowed="[0, 1)")
    book = synthetic_portfolios(n_accounts, n_assets, diversification, leverage, seed)
    rules, impact = threshold_rules(n_assets, house, target), depth_impact(book, alpha)
    targets = initial_leverage(book, np.ones(n_assets))
    columns, rounds = np.zeros((6, shocks.shape[0])), 0
    for s, shock in enumerate(shocks):
        shocked = np.full(n_assets, 1.0 - shock)
        for c, out in enumerate((cascade_sparse(book, shocked, rules, impact, MAX_ROUNDS),
                                 cascade_targeting(book, shocked, targets, impact, MAX_ROUNDS))):
            columns[c, s] = fire_sale_loss(book, shocked, out)
            columns[2 + c, s] = realised_loss(book, shocked, out)
            columns[4 + c, s] = sellers(book, out).mean()
            rounds = max(rounds, out.rounds)
    return ShockTable(shocks, *columns,
                      (1.0 / leverage - house) / (1.0 - house), 1.0 / house, 1.0 / (target * house), rounds)


@dataclass(frozen=True)
class ContagionTable:
    """Probability of a system-wide cascade against leverage, one row per diversification.

    ``leverages``: (L,) Caccioli leverages lambda_C (:func:`account_leverage` gives the accounts'
    own). ``diversification``: (D,) assets per account. ``probability``: (D, L) share of trials in
    which more than ``share`` of the accounts sold. ``sold``: (D, L) mean share of accounts that
    sold. ``critical``: (D,) :func:`critical_leverage` of each row (inf: never reached).
    ``rounds``: the most rounds any cascade ran (< :data:`MAX_ROUNDS`: every one converged).
    """

    leverages: np.ndarray
    diversification: np.ndarray
    probability: np.ndarray
    sold: np.ndarray
    critical: np.ndarray
    share: float
    rounds: int


def critical_leverage(leverages, probability, level: float = 0.5) -> float:
    """The leverage at which ``probability`` first reaches ``level``, linearly interpolated (inf if never).

    Parameters
    ----------
    leverages : array of float, (L,)
        Increasing leverages.
    probability : array of float, (L,)
        Probability of a system-wide cascade at each.
    level : float
        The probability that defines the critical leverage (default 0.5).

    Returns
    -------
    float
        The first leverage (interpolated between grid points) where ``probability`` >= ``level``;
        ``leverages[0]`` if already there, ``inf`` if never.
    """
    lev, prob = np.asarray(leverages, dtype=np.float64), np.asarray(probability, dtype=np.float64)
    above = np.flatnonzero(prob >= level)
    if above.size == 0:
        return float("inf")
    k = int(above[0])
    if k == 0:
        return float(lev[0])
    w = (level - prob[k - 1]) / (prob[k] - prob[k - 1])
    return float(lev[k - 1] + w * (lev[k] - lev[k - 1]))


def contagion_vs_leverage(leverages, diversification, trials: int, n_accounts: int = 100, n_assets: int = 100,
                          shock: float = 0.5, house: float = HOUSE, alpha: float = CACCIOLI_ALPHA,
                          share: float = CONTAGION_SHARE, seed: int = 0) -> ContagionTable:
    """Probability that one asset's fall sets off a system-wide cascade, by leverage and diversification.

    Parameters
    ----------
    leverages : array of float
        Caccioli leverages lambda_C > 1 (an account is called after losing 1 / lambda_C of its gross).
    diversification : array of int
        Assets per account, each in [1, n_assets].
    trials : int
        Random books (and shocked assets) per cell, >= 1; trial k uses the same book in every cell
        of a row (common random numbers), so each row is monotone in leverage.
    n_accounts, n_assets : int
        Book size (K, M).
    shock : float
        Fall of the one shocked asset's price, in (0, 1) (assumption: Caccioli et al. devalue one asset).
    house : float
        m: called below equity m x gross; the called sell back to leverage 1 (target 1 / m).
    alpha : float
        Impact (:data:`CACCIOLI_ALPHA`).
    share : float
        System-wide: more than this share of accounts sold.
    seed : int
        Root of the trials' SeedSequence.

    Returns
    -------
    ContagionTable
        Probabilities, mean shares sold and critical leverages.
    """
    lev = np.asarray(leverages, dtype=np.float64)
    divs = np.asarray(diversification, dtype=np.int64)
    if lev.ndim != 1 or not np.all(lev > 1.0):
        raise InputError("leverages: must be 1-D floats > 1", field="leverages", allowed="> 1")
    if not (isinstance(trials, int) and trials >= 1):
        raise InputError(f"trials: must be an integer >= 1, got {trials!r}", field="trials", allowed=">= 1")
    if not 0.0 < shock < 1.0:
        raise InputError(f"shock: must be in (0, 1), got {shock}", field="shock", allowed="(0, 1)")
    rules = threshold_rules(n_assets, house, 1.0 / house)
    probability, sold = np.zeros((divs.shape[0], lev.shape[0])), np.zeros((divs.shape[0], lev.shape[0]))
    rounds = 0
    for stream in np.random.SeedSequence(seed).spawn(trials):
        shocked = np.ones(n_assets)
        shocked[int(np.random.default_rng(stream).integers(n_assets))] = 1.0 - shock
        book_seed = stream.spawn(1)[0]
        for d, div in enumerate(divs):
            for k, lam in enumerate(account_leverage(lev, house)):
                book = synthetic_portfolios(n_accounts, n_assets, int(div), float(lam), book_seed)
                out = cascade_sparse(book, shocked, rules, depth_impact(book, alpha), MAX_ROUNDS)
                frac = sellers(book, out).mean()
                probability[d, k] += (frac > share) / trials
                sold[d, k] += frac / trials
                rounds = max(rounds, out.rounds)
    critical = np.array([critical_leverage(lev, row) for row in probability])
    return ContagionTable(lev, divs, probability, sold, critical, share, rounds)
