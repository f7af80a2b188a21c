"""The dashboard's live figures: one small matplotlib figure per panel, rendered to SVG.

Each panel turns the run's daily records (``MarketModel.records``) into a figure and a one-line
caption giving the latest values in words. Text stays text in the SVG (``svg.fonttype: none``)
and the main line of every panel carries an id (``<g id="index-line">``), so what a panel shows
can be read back from the page (the tests do: tests/apps/svg_read.py). No pyplot: figures are
plain ``Figure`` objects, safe to draw from the server's threads.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import StepPatch

from sim.report import style
from sim.report.figures import CHANNEL_FLOWS
from sim.run.metrics import max_drawdown

BN = 1e9
FIGSIZE = (4.8, 3.1)  # inches; an SVG inch is 96 px in the browser, so about 460 x 300 px
_RC = {"svg.fonttype": "none", "svg.hashsalt": "marginsim", "path.simplify": False}
"""Text stays text and every day stays a vertex (no path simplification): the SVG can be read back."""
MARGINS = {"left": 0.15, "right": 0.97, "bottom": 0.15, "top": 0.91}
Records = Sequence[dict[str, Any]]
Artists = dict[str, tuple[Line2D | StepPatch, float]]
CHANNELS = tuple(c for c in CHANNEL_FLOWS if c[0] != "flow_margin_voluntary_usd")
"""Procyclical channels on the selling panel: column, label, colour (net $ bought; sold = minus),
as in every other figure (:data:`sim.report.figures.CHANNEL_FLOWS`), without margin investors' voluntary trades."""


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
    """One live figure: a key (used in ids and CSS classes), its set-up and its caption.

    ``setup`` draws the fixed parts and returns the artists to update, keyed by the record column
    each one shows, with the divisor taking the column to the plotted unit ($ -> $ bn, sold = -bought).
    """

    key: str
    setup: Callable[[Axes, Context], Artists]
    caption: Callable[[Records, Context], str]


def _column(records: Records, key: str) -> np.ndarray:
    return np.array([r[key] for r in records], dtype=float)


def _days(records: Records) -> np.ndarray:
    return np.array([r["day"] for r in records], dtype=float)


def _line(ax: Axes, gid: str, colour: str, label: str | None = None, scale: float = 1.0,
          linewidth: float = 1.5) -> tuple[Line2D, float]:
    """An empty line to be filled day by day, and the divisor of the column it shows."""
    (line,) = ax.plot([], [], color=style.PALETTE[colour], label=label, linewidth=linewidth)
    line.set_gid(gid)
    return line, scale


def _bn(x: float) -> str:
    return f"{'−' if x < 0 else ''}${abs(x) / BN:,.1f} bn"


def _frame(ax: Axes, ctx: Context) -> None:
    """Fixed x range (the whole run) and the shock day marked, so the picture fills in as days pass."""
    ax.set_xlim(-1, max(ctx.days, 2))
    ax.ticklabel_format(axis="y", useOffset=False, style="plain")
    ax.set_xlabel("trading day")
    if ctx.shock_day is not None and ctx.shock_size != 0.0:
        ax.axvline(ctx.shock_day, color=style.PALETTE["black"], linewidth=0.8, linestyle=":", alpha=0.7)


# ----------------------------------------------------------------------------------- index
def _setup_index(ax: Axes, ctx: Context) -> Artists:
    ax.axhline(100.0, color=style.PALETTE["black"], linewidth=0.6, linestyle="--", alpha=0.5)
    ax.set_ylabel("index level (start = 100)")
    ax.set_title("Index price")
    return {"index_level": _line(ax, "index-line", "blue")}


def _caption_index(records: Records, ctx: Context) -> str:
    if not records:
        return "No day run yet: press Step or ▶."
    level = records[-1]["index_level"]
    dd = max_drawdown(_column(records, "index_level"))
    return (f"Day {records[-1]['day']}: index {level:.2f} ({level / 100 - 1:+.2%} since the start); "
            f"max drawdown {dd:.2%}")


# ------------------------------------------------------------------------------------ book
def _setup_book(ax: Axes, ctx: Context) -> Artists:
    ax.axhline(0.0, color=style.PALETTE["black"], linewidth=0.6)
    artists = {"margin_debt": _line(ax, "margin-debt-line", "vermillion", "margin debt (debit balances)", BN),
               "net_credit_balance": _line(ax, "net-credit-line", "blue", "net credit balance", BN)}
    ax.legend(loc="center right")
    ax.set_ylabel("$ billion")
    ax.set_title("Margin debt and net credit balance (FINRA)")
    return artists


def _caption_book(records: Records, ctx: Context) -> str:
    start = ctx.initial.get("margin_debt", 0.0)
    if not records:
        return f"Start: margin debt {_bn(start)}, net credit balance {_bn(ctx.initial.get('net_credit_balance', 0.0))}."
    r = records[-1]
    return (f"Day {r['day']}: margin debt {_bn(r['margin_debt'])} (start {_bn(start)}); "
            f"net credit balance {_bn(r['net_credit_balance'])}")


# -------------------------------------------------------------------------------- channels
def _setup_channels(ax: Axes, ctx: Context) -> Artists:
    ax.axhline(0.0, color=style.PALETTE["black"], linewidth=0.6)
    artists = {column: _line(ax, f"sold-{column}", colour, label, -BN, linewidth=1.0)
               for column, label, colour in CHANNELS}
    ax.legend(loc="upper right", ncols=2)
    ax.set_ylabel("$ billion sold per day (< 0: bought)")
    ax.set_title("Forced and mechanical selling by channel")
    return artists


def _caption_channels(records: Records, ctx: Context) -> str:
    if not records:
        return "Net $ sold per day by each procyclical channel."
    r = records[-1]
    parts = ", ".join(f"{label} {-r[column] / BN + 0.0:,.1f}" for column, label, _ in CHANNELS)  # no "-0.0"
    total = sum(-sum(rec[column] for rec in records) for column, _, _ in CHANNELS)
    return f"Day {r['day']}: sold ($ bn) {parts}; all four since the start {_bn(total)}"


# ----------------------------------------------------------------------------------- calls
def _setup_calls(ax: Axes, ctx: Context) -> Artists:
    calls = ax.stairs([0.0], [-0.5, 0.5], fill=True, color=style.PALETTE["orange"], label="margin calls issued")
    calls.set_gid("calls-area")
    artists = {"margin_calls": (calls, 1.0),
               "liquidations": _line(ax, "liquidations-line", "vermillion", "forced liquidations", linewidth=1.0)}
    ax.legend(loc="upper right")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("accounts per day")
    ax.set_title("Margin calls and forced liquidations")
    return artists


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
def _setup_gamma(ax: Axes, ctx: Context) -> Artists:
    ax.axhline(0.0, color=style.PALETTE["black"], linewidth=0.6)
    ax.set_ylabel("$ billion per 1% move")
    ax.set_title("Dealer gamma exposure (< 0: short gamma)")
    return {"dealer_gex_usd": _line(ax, "gamma-line", "blue", scale=BN)}


def _caption_gamma(records: Records, ctx: Context) -> str:
    start = _bn(ctx.initial_gex_usd)
    if not records:
        return f"Start: dealer gamma {start} per 1% move."
    r = records[-1]
    return f"Day {r['day']}: dealer gamma {_bn(r['dealer_gex_usd'])} per 1% move (start {start})"


PANELS = (Panel("index", _setup_index, _caption_index),
          Panel("book", _setup_book, _caption_book),
          Panel("channels", _setup_channels, _caption_channels),
          Panel("calls", _setup_calls, _caption_calls),
          Panel("gamma", _setup_gamma, _caption_gamma))


class LiveFigure:
    """One panel's figure for one run, kept from day to day: each day only the data change.

    Building a figure costs as much as saving it, so the page builds each panel once per model
    and then, per day, sets the new data, rescales y and saves. A lock keeps two renders of the
    same figure (the page's play thread and a redraw) apart.
    """

    def __init__(self, panel: Panel, ctx: Context) -> None:
        style.apply()
        self.panel = panel
        with matplotlib.rc_context(_RC):
            self.figure = Figure(figsize=FIGSIZE)
            self.figure.subplots_adjust(**MARGINS)  # fixed margins: a layout engine would double the time
            self.ax = self.figure.subplots()
            self.artists = panel.setup(self.ax, ctx)
            _frame(self.ax, ctx)
        self._lock = threading.Lock()

    def svg(self, records: Records) -> bytes:
        """The figure showing ``records`` (all days so far), as SVG bytes."""
        days = _days(records)
        with self._lock, matplotlib.rc_context(_RC):
            for key, (artist, scale) in self.artists.items():
                values = _column(records, key) / scale
                if isinstance(artist, StepPatch):
                    artist.set_data(values if len(values) else [0.0], np.append(days - 0.5, days[-1] + 0.5)
                                    if len(days) else [-0.5, 0.5])
                else:
                    artist.set_data(days, values)
            self.ax.relim()
            self.ax.autoscale_view(scalex=False)
            if self.panel.key == "calls":  # counts: from 0, at least 0..1
                top = max([1.0, *(_column(records, k).max(initial=0.0) for k in self.artists)])
                self.ax.set_ylim(0.0, 1.05 * top)
            buf = io.BytesIO()
            self.figure.savefig(buf, format="svg")
        return buf.getvalue()


def render_svg(panel: Panel, records: Records, ctx: Context) -> bytes:
    """The panel's figure for ``records`` as SVG (a one-off :class:`LiveFigure`)."""
    return LiveFigure(panel, ctx).svg(records)
