"""The dashboard's live figures: one small matplotlib figure per panel, rendered to SVG.

Each panel turns the run's daily records (``MarketModel.records``) into a figure and a one-line
caption giving the latest values in words. Text stays text in the SVG (``svg.fonttype: none``)
and the main line of every panel carries an id (``<g id="index-line">``), so what a panel shows
can be read back from the page. No pyplot: figures are plain ``Figure`` objects, safe to draw
from the server's threads.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim import style
from sim.metrics import max_drawdown

BN = 1e9
FIGSIZE = (4.8, 3.1)  # inches; an SVG inch is 96 px in the browser, so about 460 x 300 px
MARGINS = {"left": 0.15, "right": 0.97, "bottom": 0.15, "top": 0.91}
Records = Sequence[dict[str, Any]]
CHANNELS = (("flow_margin_forced_usd", "margin (forced)", "vermillion"),
            ("flow_letf_usd", "leveraged ETFs", "purple"),
            ("flow_dealer_usd", "options dealers", "blue"),
            ("flow_vol_control_usd", "vol-control funds", "green"))
"""Procyclical channels on the selling panel: column, label, colour (net $ bought; sold = minus)."""


@dataclass(frozen=True)
class Context:
    """What every panel needs besides the records: the run's length, its shock and starting book."""

    days: int
    shock_day: int | None
    shock_size: float
    initial: dict[str, float]
    initial_gex_usd: float


@dataclass(frozen=True)
class Panel:
    """One live figure: a key (used in ids and CSS classes), a drawing and a caption."""

    key: str
    draw: Callable[[Axes, Records, Context], None]
    caption: Callable[[Records, Context], str]


def _column(records: Records, key: str) -> np.ndarray:
    return np.array([r[key] for r in records], dtype=float)


def _days(records: Records) -> np.ndarray:
    return np.array([r["day"] for r in records], dtype=float)


def _bn(x: float) -> str:
    return f"{'−' if x < 0 else ''}${abs(x) / BN:,.1f} bn"


def _frame(ax: Axes, ctx: Context) -> None:
    """Fixed x range (the whole run) and the shock day marked, so the picture fills in as days pass."""
    ax.set_xlim(-1, max(ctx.days, 2))
    ax.set_xlabel("trading day")
    if ctx.shock_day is not None and ctx.shock_size != 0.0:
        ax.axvline(ctx.shock_day, color=style.PALETTE["black"], linewidth=0.8, linestyle=":", alpha=0.7)


# ----------------------------------------------------------------------------------- index
def _draw_index(ax: Axes, records: Records, ctx: Context) -> None:
    ax.axhline(100.0, color=style.PALETTE["black"], linewidth=0.6, linestyle="--", alpha=0.5)
    if records:
        (line,) = ax.plot(_days(records), _column(records, "index_level"), color=style.PALETTE["blue"])
        line.set_gid("index-line")
    ax.set_ylabel("index level (start = 100)")
    ax.set_title("Index price")


def _caption_index(records: Records, ctx: Context) -> str:
    if not records:
        return "No day run yet: press Step or ▶."
    level = records[-1]["index_level"]
    dd = max_drawdown(_column(records, "index_level"))
    return (f"Day {records[-1]['day']}: index {level:.2f} ({level / 100 - 1:+.2%} since the start); "
            f"max drawdown {dd:.2%}")


# ------------------------------------------------------------------------------------ book
def _draw_book(ax: Axes, records: Records, ctx: Context) -> None:
    ax.axhline(0.0, color=style.PALETTE["black"], linewidth=0.6)
    if records:
        day = _days(records)
        (debt,) = ax.plot(day, _column(records, "margin_debt") / BN, color=style.PALETTE["vermillion"],
                          label="margin debt (debit balances)")
        (net,) = ax.plot(day, _column(records, "net_credit_balance") / BN, color=style.PALETTE["blue"],
                         label="net credit balance")
        debt.set_gid("margin-debt-line")
        net.set_gid("net-credit-line")
        ax.legend(loc="center right")
    ax.set_ylabel("$ billion")
    ax.set_title("Margin debt and net credit balance (FINRA)")


def _caption_book(records: Records, ctx: Context) -> str:
    start = ctx.initial.get("margin_debt", 0.0)
    if not records:
        return f"Start: margin debt {_bn(start)}, net credit balance {_bn(ctx.initial.get('net_credit_balance', 0.0))}."
    r = records[-1]
    return (f"Day {r['day']}: margin debt {_bn(r['margin_debt'])} (start {_bn(start)}); "
            f"net credit balance {_bn(r['net_credit_balance'])}")


# -------------------------------------------------------------------------------- channels
def _draw_channels(ax: Axes, records: Records, ctx: Context) -> None:
    ax.axhline(0.0, color=style.PALETTE["black"], linewidth=0.6)
    if records:
        day = _days(records)
        for column, label, colour in CHANNELS:
            (line,) = ax.plot(day, -_column(records, column) / BN, color=style.PALETTE[colour], label=label,
                              linewidth=1.0)
            line.set_gid(f"sold-{column}")
        ax.legend(loc="upper left", ncols=2)
    ax.set_ylabel("$ billion sold per day (< 0: bought)")
    ax.set_title("Forced and mechanical selling by channel")


def _caption_channels(records: Records, ctx: Context) -> str:
    if not records:
        return "Net $ sold per day by each procyclical channel."
    r = records[-1]
    parts = ", ".join(f"{label} {-r[column] / BN + 0.0:,.1f}" for column, label, _ in CHANNELS)  # no "-0.0"
    total = sum(-sum(rec[column] for rec in records) for column, _, _ in CHANNELS)
    return f"Day {r['day']}: sold ($ bn) {parts}; all four since the start {_bn(total)}"


# ----------------------------------------------------------------------------------- calls
def _draw_calls(ax: Axes, records: Records, ctx: Context) -> None:
    if records:
        day = _days(records)
        calls = ax.stairs(_column(records, "margin_calls"), np.append(day - 0.5, day[-1] + 0.5), fill=True,
                          color=style.PALETTE["orange"], label="margin calls issued")
        calls.set_gid("calls-area")
        (liq,) = ax.plot(day, _column(records, "liquidations"), color=style.PALETTE["vermillion"],
                         linewidth=1.0, label="forced liquidations")
        liq.set_gid("liquidations-line")
        ax.legend(loc="upper left")
    ax.set_ylim(0, max(1.0, ax.get_ylim()[1]))
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("accounts per day")
    ax.set_title("Margin calls and forced liquidations")


def _caption_calls(records: Records, ctx: Context) -> str:
    if not records:
        return "Accounts called and liquidated per day."
    r = records[-1]
    calls = sum(rec["margin_calls"] for rec in records)
    liq = sum(rec["liquidations"] for rec in records)
    return (f"Day {r['day']}: {r['margin_calls']:,.0f} accounts called, {r['liquidations']:,.0f} liquidated; "
            f"since the start {calls:,.0f} calls, {liq:,.0f} liquidations, forced sales "
            f"{_bn(sum(rec['forced_sales_usd'] for rec in records))}")


# ----------------------------------------------------------------------------------- gamma
def _draw_gamma(ax: Axes, records: Records, ctx: Context) -> None:
    ax.axhline(0.0, color=style.PALETTE["black"], linewidth=0.6)
    if records:
        (line,) = ax.plot(_days(records), _column(records, "dealer_gex_usd") / BN, color=style.PALETTE["blue"])
        line.set_gid("gamma-line")
    ax.set_ylabel("$ billion per 1% move")
    ax.set_title("Dealer gamma exposure (< 0: short gamma)")


def _caption_gamma(records: Records, ctx: Context) -> str:
    start = _bn(ctx.initial_gex_usd)
    if not records:
        return f"Start: dealer gamma {start} per 1% move."
    r = records[-1]
    return f"Day {r['day']}: dealer gamma {_bn(r['dealer_gex_usd'])} per 1% move (start {start})"


PANELS = (Panel("index", _draw_index, _caption_index),
          Panel("book", _draw_book, _caption_book),
          Panel("channels", _draw_channels, _caption_channels),
          Panel("calls", _draw_calls, _caption_calls),
          Panel("gamma", _draw_gamma, _caption_gamma))


def render_svg(panel: Panel, records: Records, ctx: Context) -> bytes:
    """The panel's figure as SVG bytes (text kept as text)."""
    style.apply()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "marginsim"}):
        fig = Figure(figsize=FIGSIZE)
        fig.subplots_adjust(**MARGINS)  # fixed margins: a layout engine would double the drawing time
        ax = fig.subplots()
        panel.draw(ax, records, ctx)
        _frame(ax, ctx)
        buf = io.BytesIO()
        fig.savefig(buf, format="svg")
    return buf.getvalue()
