"""A broker's house requirement on one position: per-name rates, not-marginable names, a concentration add-on.

The one copy of the per-position rule that the sparse clearing kernel (:mod:`sim.book.sparse_clearing`)
and its plain-Python reference (:mod:`sim.book.sparse_reference`) both call.

Sources and assumptions:

* FINRA Rule 4210(c) sets the maintenance minimum at 25% of the market value of long positions
  and 30% of short positions (stocks at or above $5; :mod:`sim.core.rules`). Brokers may require
  more ("house" requirements), name by name (Rule 4210(d), below).
* A long in a name that is not margin eligible lends nothing: Rule 4210 requires 100% of its
  current market value (the treatment of non-margin-eligible equity securities clarified in
  SR-FINRA-2012-024); a house may flag further names the same way.
* Rule 4210(d) has members formulate their own, higher requirements for individual securities or
  accounts, and 4210(f)(1) asks for "substantial additional margin" on concentrated positions
  that may not be liquidated promptly. How brokers do it (thresholds, add-on rates) is house
  policy, not published in a common form: the threshold and add-on used with this rule are
  assumptions.

A position is concentrated when its absolute value exceeds ``concentration_share`` of the
account's gross value (sum of the absolute values of all its positions); its rate then rises by
``add_on``. A long's rate never exceeds 100% (a fully paid position needs no more equity than
its value); a short's may.
"""

from __future__ import annotations

from sim.core.jit import jitable


@jitable(inline="always")
def position_rate(value: float, gross: float, name_long: float, name_short: float, marginable: bool,
                  house_long: float, house_short: float, concentration_share: float, add_on: float) -> float:
    """Maintenance rate (a fraction of |value|) on one position.

    Parameters
    ----------
    value : float
        Market value of the position, $ (negative for a short).
    gross : float
        The account's gross value, $: sum of |value| over its positions.
    name_long, name_short : float
        The name's own requirement on longs and shorts (fractions).
    marginable : bool
        False: a long in this name is charged 100%.
    house_long, house_short : float
        The broker's floor on every long and short (fractions); the higher of name and house applies.
    concentration_share : float
        A position above this share of ``gross`` is concentrated (a fraction in [0, 1]).
    add_on : float
        Extra rate on a concentrated position (a fraction, 0 = no add-on).

    Returns
    -------
    float
        The rate: max(name, house) (1 for a long in a not-marginable name), plus ``add_on`` when
        concentrated, a long's capped at 1.
    """
    if value >= 0.0:
        rate = max(name_long, house_long) if marginable else 1.0
    else:
        rate = max(name_short, house_short)
    return concentrated_rate(value, gross, rate, concentration_share, add_on)


@jitable(inline="always")
def concentrated_rate(value: float, gross: float, rate: float, concentration_share: float, add_on: float) -> float:
    """The rate on one position from its rate before the concentration add-on (:func:`position_rate`'s second half).

    Parameters
    ----------
    value, gross, concentration_share, add_on : float
        As in :func:`position_rate`.
    rate : float
        The position's rate before the add-on (>= 0): max(name, house) for its sign, 1 for a long
        in a not-marginable name.

    Returns
    -------
    float
        ``rate`` + ``add_on`` when concentrated, a long's capped at 1. Written without branches
        (``rate + 0`` and ``min(rate, 1)`` of a rate <= 1 leave the rate unchanged bit
        for bit), so that a kernel applying it to positions of both signs mispredicts nothing.
    """
    rate = rate + (add_on if abs(value) > concentration_share * gross else 0.0)
    return min(rate, 1.0) if value >= 0.0 else rate


@jitable(inline="always")
def position_requirement(value: float, gross: float, name_long: float, name_short: float, marginable: bool,
                         house_long: float, house_short: float, concentration_share: float,
                         add_on: float) -> float:
    """House maintenance requirement on one position, $: :func:`position_rate` x |value| (same parameters)."""
    return abs(value) * position_rate(value, gross, name_long, name_short, marginable, house_long, house_short,
                                      concentration_share, add_on)
