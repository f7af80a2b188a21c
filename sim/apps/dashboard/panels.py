"""What each live panel shows: its series (record columns, units, colours), titles and captions.

One sign convention everywhere, as in the static figures (:data:`sim.report.figures.CHANNEL_FLOWS`):
a channel's flow is the net dollars it **bought**, so selling is below zero. Captions give the
latest values in words; in a comparison the page shows one caption line per run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.report.figures import CHANNEL_FLOWS
from sim.run.metrics import max_drawdown

BN = 1e9
Records = Sequence[dict[str, Any]]
CHANNELS = tuple(c for c in CHANNEL_FLOWS if c[0] != "flow_margin_voluntary_usd")
"""Procyclical channels on the flow panel: column, label, colour (net $ bought; selling < 0),
as in every other figure, without margin investors' voluntary trades."""


@dataclass(frozen=True)
class Context:
    """What every panel needs besides the records: the run's length, its shock and starting book."""

    days: int
    shock_day: int | None
    shock_size: float
    initial: dict[str, float]
    initial_gex_usd: float


@dataclass(frozen=True)
class Series:
    """One record column drawn on a panel: ``<g id=gid>`` in the SVG, ``column / scale`` in the plot's unit."""

    column: str
    gid: str
    colour: str
    label: str | None = None
    scale: float = 1.0
    width: float = 1.5
    stairs: bool = False  # a filled step area (counts per day) instead of a line


@dataclass(frozen=True)
class Panel:
    """One live figure: a key (ids and CSS classes), what it draws, and its caption.

    ``reference`` draws a horizontal line (100 for the index, 0 for flows); ``counts`` starts
    the y axis at 0 with integer ticks; ``side_by_side`` gives each run of a comparison its own
    axes (sharing y) where overlaying them would tangle several series.
    """

    key: str
    title: str
    ylabel: str
    series: tuple[Series, ...]
    caption: Callable[[Records, Context], str]
    reference: float | None = 0.0
    counts: bool = False
    legend: str | None = None
    side_by_side: bool = False


def column(records: Records, key: str) -> np.ndarray:
    """One record column as floats."""
    return np.array([r[key] for r in records], dtype=float)


def bn(x: float) -> str:
    """Dollars in words: ``−$1.5 bn`` (a true minus sign)."""
    return f"{'−' if x < 0 else ''}${abs(x) / BN:,.1f} bn"


def _index(records: Records, ctx: Context) -> str:
    level = records[-1]["index_level"]
    dd = max_drawdown(column(records, "index_level"))
    return f"index {level:.2f} ({level / 100 - 1:+.2%} since the start); max drawdown {dd:.2%}"


def _book(records: Records, ctx: Context) -> str:
    r = records[-1]
    return (f"margin debt {bn(r['margin_debt'])} (start {bn(ctx.initial.get('margin_debt', 0.0))}); "
            f"net credit balance {bn(r['net_credit_balance'])}")


def _channels(records: Records, ctx: Context) -> str:
    r = records[-1]
    parts = ", ".join(f"{label} {r[col] / BN + 0.0:,.1f}" for col, label, _ in CHANNELS)  # + 0.0: no "-0.0"
    total = sum(sum(rec[col] for rec in records) for col, _, _ in CHANNELS)
    return f"net bought ($ bn) {parts}; all four since the start {bn(total)}"


def _calls(records: Records, ctx: Context) -> str:
    r = records[-1]
    calls = sum(rec["margin_calls"] for rec in records)
    liq = sum(rec["liquidations"] for rec in records)
    return (f"{r['margin_calls']:,.0f} accounts called, {r['liquidations']:,.0f} liquidated; since the start "
            f"{calls:,.0f} calls, {liq:,.0f} liquidations, forced sales "
            f"{bn(sum(rec['forced_sales_usd'] for rec in records))}")


def _gamma(records: Records, ctx: Context) -> str:
    return (f"dealer gamma {bn(records[-1]['dealer_gex_usd'])} per 1% move "
            f"(start {bn(ctx.initial_gex_usd)})")


PANELS = (
    Panel("index", "Index level", "index level (start = 100)",
          (Series("index_level", "index-line", "blue", "index"),), _index, reference=100.0),
    Panel("book", "Margin debt and net credit balance (FINRA)", "$ billion",
          (Series("margin_debt", "margin-debt-line", "vermillion", "margin debt (debit balances)", BN),
           Series("net_credit_balance", "net-credit-line", "blue", "net credit balance", BN)),
          _book, legend="center right"),
    Panel("channels", "Net buying by procyclical channel (selling < 0)", "$ billion net bought per day",
          tuple(Series(col, f"flow-{col}", colour, label, BN, width=1.0) for col, label, colour in CHANNELS),
          _channels, legend="lower right", side_by_side=True),
    Panel("calls", "Margin calls and forced liquidations", "accounts per day",
          (Series("margin_calls", "calls-area", "orange", "margin calls issued", stairs=True),
           Series("liquidations", "liquidations-line", "vermillion", "forced liquidations", width=1.0)),
          _calls, reference=None, counts=True, legend="upper right", side_by_side=True),
    Panel("gamma", "Dealer gamma exposure (< 0: dealers short gamma)", "$ billion per 1% index move",
          (Series("dealer_gex_usd", "gamma-line", "blue", "dealer gamma", BN),), _gamma),
)
"""The five live panels, in page order."""

EMPTY = {"index": "No day run yet: press Step or ▶.",
         "book": "Margin debt and net credit balance, $ bn, at each day's close.",
         "channels": "Net $ bought per day by each procyclical channel (selling below zero).",
         "calls": "Accounts called and liquidated per day.",
         "gamma": "Dealer gamma exposure, $ bn per 1% index move."}
"""Each panel's caption before the first day."""


def caption_lines(panel: Panel, runs: Sequence[tuple[str, Records, Context]]) -> list[str]:
    """The caption under a panel: ``Day 11: index ...``, or for a comparison ``Day 11`` then one line per run."""
    ran = [(label, records, ctx) for label, records, ctx in runs if records]
    if not ran:
        return [EMPTY[panel.key]]
    day = max(records[-1]["day"] for _, records, _ in ran)
    if len(runs) == 1:
        return [f"Day {day}: {panel.caption(ran[0][1], ran[0][2])}"]
    lines = [f"Day {day}:"]
    for label, records, ctx in ran:
        ended = "" if records[-1]["day"] == day else f" (ended on day {records[-1]['day']})"
        lines.append(f"{label}{ended}: {panel.caption(records, ctx)}")
    return lines
