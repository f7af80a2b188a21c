"""Sparse holdings: a margin book in CSR layout, each account holding a few of many names.

Layout (N accounts, P positions in all, M names, B brokers):

* ``offsets`` (N + 1,) int64: account ``i`` holds positions ``offsets[i]:offsets[i + 1]``
  (0 to 20 or so; an empty account holds none). ``offsets[0] == 0``, ``offsets[N] == P``.
* ``names`` (P,) int32: the name (an index in [0, M)) of each position.
* ``shares`` (P,) float64: shares held, negative = short.
* ``cash`` (N,) float64, $: the cash balance, negative = money borrowed from the broker. Short-sale
  proceeds are part of it (the dense book keeps them apart as ``short_credit``), so
  equity = cash + sum of shares x price.
* ``broker`` (N,) int32: the broker (an index in [0, B)) whose house rules apply.

Bytes: 12 per position (4 for the name, 8 for the shares) and 20 per account (8 of offsets,
8 of cash, 4 of broker); at 8 positions an account that is 14.5 bytes per position, inside the
issue's 16 bytes per position plus per-account state. A clearing pass reads all of it once, plus
the per-name rules and prices (M entries each, in cache for M up to some 10^4).

Recommended order: accounts grouped by position count (:meth:`SparseBook.grouped`), fewest
first, as sliced-ELL stores a sparse matrix's rows in slices of equal length. Any order is
valid and gives the same results per account (per-name sums add the same terms in another
order, so they agree to rounding); grouped, the pass's loop over an account's positions runs
the same number of times account after account, so the CPU predicts where it ends instead of
missing once per account (measured with the sparse-perf helper on this machine, under load, on
10^6 accounts of 4 to 12 positions, 2026-12-01, before the pass prefetched: a pass took 1.42-1.55
ns per position grouped vs 2.88-3.66 in draw order).

The brokers' rules are :class:`SparseRules`: per broker a row of ``SPARSE_RULE_*`` columns, per
name its own requirements and whether it is marginable (see :mod:`sim.core.house`). What one
pass returns is :class:`SparseClearing`, its counters read by the ``SPARSE_STAT_*`` names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.core.errors import InputError
from sim.core.rules import FINRA_MAINTENANCE, FINRA_MAINTENANCE_SHORT

# columns of SparseRules.broker: one row per broker (fractions)
SPARSE_RULE_HOUSE_LONG = 0
"""The broker's maintenance floor on every long (at least FINRA's 25%)."""
SPARSE_RULE_HOUSE_SHORT = 1
"""The broker's maintenance floor on every short (at least FINRA's 30%)."""
SPARSE_RULE_CONCENTRATION_SHARE = 2
"""A position above this share of its account's gross value is concentrated."""
SPARSE_RULE_ADD_ON = 3
"""Extra rate on a concentrated position (0 = no concentration add-on)."""
SPARSE_RULE_TARGET = 4
"""A forced sale restores equity to this multiple (>= 1) of the maintenance requirement."""
N_SPARSE_RULES = 5

# counters of one sparse clearing pass: SparseClearing.stats, (N_SPARSE_STATS,) float64
SPARSE_STAT_CALLS = 0
"""Accounts short of maintenance (count); every one is sold down in the pass."""
SPARSE_STAT_CLOSE_OUTS = 1
"""Accounts with no positive equity, closed out entirely (count)."""
SPARSE_STAT_SOLD_USD = 2
"""$ of forced long sales, at the marked prices."""
SPARSE_STAT_BOUGHT_USD = 3
"""$ of forced short buy-ins, at the marked prices."""
SPARSE_STAT_LOSSES = 4
"""$ of negative equity the brokers absorb on closed-out accounts."""
SPARSE_STAT_SHORTFALL = 5
"""$ by which called accounts' equity fell short of maintenance, summed."""
N_SPARSE_STATS = 6

_RULE_RANGES = ((SPARSE_RULE_HOUSE_LONG, "house_long", FINRA_MAINTENANCE, 1.0),
                (SPARSE_RULE_HOUSE_SHORT, "house_short", FINRA_MAINTENANCE_SHORT, 10.0),
                (SPARSE_RULE_CONCENTRATION_SHARE, "concentration_share", 0.0, 1.0),
                (SPARSE_RULE_ADD_ON, "add_on", 0.0, 1.0),
                (SPARSE_RULE_TARGET, "target", 1.0, 10.0))


def _bad(field: str, allowed: str, detail: str = "") -> InputError:
    return InputError(f"{field}: must be {allowed}{detail}", field=field, allowed=allowed)


def _floats(field: str, arr, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``arr`` as C-contiguous finite float64 (of ``shape`` when given), or InputError naming ``field``."""
    out = np.ascontiguousarray(arr, dtype=np.float64)
    if shape is not None and out.shape != shape:
        raise _bad(field, f"float64 of shape {shape}", f", got shape {out.shape}")
    if out.ndim != (len(shape) if shape else 1) or not np.isfinite(out).all():
        raise _bad(field, "finite float64 (1-D)" if shape is None else f"finite float64 of shape {shape}")
    return out


def _indices(field: str, arr, upper: int) -> np.ndarray:
    """``arr`` as int32 indices in [0, upper), or InputError naming ``field``."""
    a = np.asarray(arr)
    allowed = f"integers in [0, {upper})"
    if a.ndim != 1 or (a.size and a.dtype.kind not in "iu"):
        raise _bad(field, f"1-D {allowed}")
    if a.size and (a.min() < 0 or a.max() >= upper):
        raise _bad(field, allowed, f", got {a.min()}..{a.max()}")
    return np.ascontiguousarray(a, dtype=np.int32)


@dataclass(frozen=True)
class SparseBook:
    """Margin accounts in CSR layout (see the module docstring); the constructor checks every field.

    The arrays are checked once, here: change them only through a new ``SparseBook``.

    Parameters
    ----------
    offsets : array of int, (N + 1,)
        Where each account's positions start and end: from 0, non-decreasing, to len(names).
    names : array of int, (P,)
        Each position's name, in [0, n_names).
    shares : array of float, (P,)
        Shares held, negative = short; finite.
    cash : array of float, (N,)
        Cash balance ($, negative = debt, short proceeds included); finite.
    broker : array of int, (N,)
        Each account's broker, >= 0 (a pass checks it against its rules).
    n_names : int
        M, the number of names (>= 1).
    """

    offsets: np.ndarray
    names: np.ndarray
    shares: np.ndarray
    cash: np.ndarray
    broker: np.ndarray
    n_names: int
    max_broker: int = field(init=False, repr=False, compare=False)
    """The highest broker index held (-1 for no accounts): a pass checks it without rereading ``broker``."""

    def __post_init__(self) -> None:
        if not (isinstance(self.n_names, int | np.integer) and 1 <= self.n_names < 2**31):
            raise _bad("n_names", "an integer in [1, 2^31)", f", got {self.n_names!r}")
        offsets = np.asarray(self.offsets)
        if offsets.ndim != 1 or offsets.size < 1 or offsets.dtype.kind not in "iu":
            raise _bad("offsets", "1-D integers of length N + 1 >= 1")
        names = _indices("names", self.names, int(self.n_names))
        p = names.shape[0]
        if offsets[0] != 0 or offsets[-1] != p or np.any(np.diff(offsets) < 0):
            raise _bad("offsets", f"non-decreasing from 0 to len(names) = {p}",
                       f", got {offsets[0]}..{offsets[-1]}" if np.all(np.diff(offsets) >= 0) else ", got a decrease")
        n = offsets.shape[0] - 1
        shares = _floats("shares", self.shares, (p,))
        cash = _floats("cash", self.cash, (n,))
        broker = _indices("broker", self.broker, 2**31 - 1)
        if broker.shape[0] != n:
            raise _bad("broker", f"int32 of shape ({n},)", f", got shape {broker.shape}")
        for name, value in (("offsets", np.ascontiguousarray(offsets, dtype=np.int64)), ("names", names),
                            ("shares", shares), ("cash", cash), ("broker", broker), ("n_names", int(self.n_names)),
                            ("max_broker", int(broker.max()) if n else -1)):
            object.__setattr__(self, name, value)

    @property
    def n(self) -> int:
        """Number of accounts."""
        return self.cash.shape[0]

    @property
    def positions(self) -> int:
        """Number of positions in all."""
        return self.names.shape[0]

    @property
    def nbytes(self) -> int:
        """Bytes of book state: 12 per position + 20 per account (+ 8 for the last offset)."""
        return sum(a.nbytes for a in (self.offsets, self.names, self.shares, self.cash, self.broker))

    def account(self, i: int) -> slice:
        """The positions of account ``i`` (a slice into ``names`` and ``shares``)."""
        return slice(int(self.offsets[i]), int(self.offsets[i + 1]))

    def take(self, accounts: np.ndarray) -> SparseBook:
        """A new book holding only ``accounts`` (indices, in the order given)."""
        idx = np.asarray(accounts, dtype=np.int64)
        starts = self.offsets[idx]
        counts = self.offsets[idx + 1] - starts
        offsets = np.zeros(idx.shape[0] + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        pos = np.repeat(starts - offsets[:-1], counts) + np.arange(offsets[-1], dtype=np.int64)
        return SparseBook(offsets, self.names[pos], self.shares[pos], self.cash[idx], self.broker[idx],
                          self.n_names)

    def grouped(self) -> tuple[SparseBook, np.ndarray]:
        """The book in the layout's recommended order: accounts grouped by position count, fewest first.

        Within a count the accounts keep their order (a stable sort), and each keeps its
        positions in their order, so a pass over the grouped book computes the same equity,
        requirement, fraction and sales for every account, bit for bit.

        Returns
        -------
        tuple of (SparseBook, ndarray)
            The grouped book and ``order`` ((N,) int64): its account ``k`` is account ``order[k]``
            of this book (``self.take(order)``).
        """
        order = np.argsort(np.diff(self.offsets), kind="stable")
        return self.take(order), order


def check_prices(book: SparseBook, prices) -> np.ndarray:
    """Raise InputError unless ``prices`` are one finite price > 0 per name of ``book``.

    Parameters
    ----------
    book : SparseBook
        The accounts (their number of names, M).
    prices : array of float, (M,)
        $ per share of each name.

    Returns
    -------
    ndarray
        ``prices`` as C-contiguous float64.
    """
    m = book.n_names
    p = np.ascontiguousarray(prices, dtype=np.float64)
    if p.shape != (m,) or not (np.isfinite(p).all() and np.all(p > 0.0)):
        raise InputError(f"prices: must be finite float64 > 0 of shape ({m},)", field="prices",
                         allowed=f"finite > 0, shape ({m},)")
    return p



@dataclass(frozen=True)
class SparseRules:
    """The brokers' house rules for a sparse book; the constructor checks every field.

    Parameters
    ----------
    broker : array of float, (B, N_SPARSE_RULES)
        One row per broker, columns ``SPARSE_RULE_*``: house floors on longs in [0.25, 1] and on
        shorts in [0.30, 10] (FINRA Rule 4210's minimums and above), concentration share in
        [0, 1], add-on in [0, 1], target in [1, 10].
    name_long, name_short : array of float, (M,)
        Each name's own requirement on longs (in [0, 1]) and shorts (in [0, 10]); the higher of
        the name's and the house's applies (0 = the house's).
    marginable : array of bool, (M,)
        False: longs in the name are charged 100%.
    """

    broker: np.ndarray
    name_long: np.ndarray
    name_short: np.ndarray
    marginable: np.ndarray

    def __post_init__(self) -> None:
        broker = np.ascontiguousarray(self.broker, dtype=np.float64)
        if broker.ndim != 2 or broker.shape[0] < 1 or broker.shape[1] != N_SPARSE_RULES:
            raise _bad("rules.broker", f"float64 of shape (B >= 1, {N_SPARSE_RULES})", f", got {broker.shape}")
        for col, name, lo, hi in _RULE_RANGES:
            column = broker[:, col]
            if not (np.all(column >= lo) and np.all(column <= hi)):
                raise _bad(f"rules.{name}", f"in [{lo:g}, {hi:g}]", f", got {column.min()}..{column.max()}")
        name_long = _floats("rules.name_long", self.name_long)
        m = name_long.shape[0]
        name_short = _floats("rules.name_short", self.name_short, (m,))
        for label, arr, hi in (("rules.name_long", name_long, 1.0), ("rules.name_short", name_short, 10.0)):
            if not (np.all(arr >= 0.0) and np.all(arr <= hi)):
                raise _bad(label, f"in [0, {hi:g}]", f", got {arr.min()}..{arr.max()}")
        marginable = np.asarray(self.marginable)
        if marginable.shape != (m,) or marginable.dtype != np.bool_:
            raise _bad("rules.marginable", f"bool of shape ({m},)")
        for name, value in (("broker", broker), ("name_long", name_long), ("name_short", name_short),
                            ("marginable", np.ascontiguousarray(marginable))):
            object.__setattr__(self, name, value)

    @property
    def n_brokers(self) -> int:
        """Number of brokers (rows of ``broker``)."""
        return self.broker.shape[0]

    @property
    def n_names(self) -> int:
        """Number of names."""
        return self.name_long.shape[0]


@dataclass
class SparseClearing:
    """What one sparse clearing pass found and sold (M names, N accounts, C called).

    Per name ((M,) float64, accumulated over accounts in account order): ``sold_shares`` (net
    shares sold, buy-ins negative), ``sold_usd`` ($ of longs sold), ``bought_usd`` ($ of shorts
    bought in). Per called account, in account order ((C,)): ``called`` (int64 account index),
    ``fraction`` (of every position sold or bought in), ``account_sold_usd``,
    ``account_bought_usd`` ($). ``equity``, ``requirement``, ``gross`` ((N,) float64 $) are
    filled only when the pass was asked for them (else empty). ``stats``: see ``SPARSE_STAT_*``.
    """

    sold_shares: np.ndarray
    sold_usd: np.ndarray
    bought_usd: np.ndarray
    called: np.ndarray
    fraction: np.ndarray
    account_sold_usd: np.ndarray
    account_bought_usd: np.ndarray
    equity: np.ndarray
    requirement: np.ndarray
    gross: np.ndarray
    stats: np.ndarray

    @property
    def n_called(self) -> int:
        """Accounts called (and sold down)."""
        return int(self.stats[SPARSE_STAT_CALLS])


def empty_result(n: int, m: int, per_account: bool) -> SparseClearing:
    """Outputs of a pass over ``n`` accounts and ``m`` names: per-name sums at 0, per-account lists unset.

    Parameters
    ----------
    n, m : int
        Accounts and names in the book.
    per_account : bool
        Allocate the per-account records (equity, requirement, gross value; (n,) each), else empty.

    Returns
    -------
    SparseClearing
        Room for up to ``n`` called accounts, counters at 0.
    """
    k = n if per_account else 0
    return SparseClearing(np.zeros(m), np.zeros(m), np.zeros(m), np.empty(n, dtype=np.int64), np.empty(n),
                          np.empty(n), np.empty(n), np.empty(k), np.empty(k), np.empty(k), np.zeros(N_SPARSE_STATS))


def trim(out: SparseClearing) -> SparseClearing:
    """Cut the per-called-account lists to the accounts called (views, no copy).

    Parameters
    ----------
    out : SparseClearing
        A pass's outputs, filled by the kernel (``stats`` holds the number called).

    Returns
    -------
    SparseClearing
        ``out`` itself, its per-called-account lists cut to ``out.n_called`` entries.
    """
    c = out.n_called
    out.called, out.fraction = out.called[:c], out.fraction[:c]
    out.account_sold_usd, out.account_bought_usd = out.account_sold_usd[:c], out.account_bought_usd[:c]
    return out
