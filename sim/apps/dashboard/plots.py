"""The dashboard's live figures: one small matplotlib figure per panel, kept and redrawn to SVG.

A :class:`LiveFigure` draws a panel (:mod:`sim.apps.dashboard.panels`) for one run, or for the
two runs of a comparison: overlaid (run A solid, run B dashed, the runs named above the axes)
or side by side with a shared y axis. Text stays text in the SVG (``svg.fonttype: none``) and
every series carries an id (``<g id="index-line">``; run B's ends in ``-b``), so what a panel
shows can be read back from the page (the tests do: tests/apps/svg_read.py). No pyplot: figures
are plain ``Figure`` objects, safe to draw from the server's threads.

Speed (a redraw after every day would otherwise cost ten model days at 100,000 accounts): the
figure is built once per model; y limits snap to round tick values, and while they hold, a
redraw writes only the series' new path data into the last full SVG (blitting, for SVG),
skipping matplotlib's layout of every tick, label and legend. A full redraw happens when a y
limit moves; titles and labels sit at fixed places, so nothing else moves.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import StepPatch
from matplotlib.path import Path

from sim.apps.dashboard.panels import Context, Panel, Records, Series, column
from sim.report import style

FIGSIZE = (4.8, 3.1)  # inches; an SVG inch is 96 px in the browser, so about 460 x 300 px
WIDE = 9.6  # inches: a comparison side by side takes the width of two panels
_RC = {"svg.fonttype": "none", "svg.hashsalt": "marginsim", "path.simplify": False,
       "axes.autolimit_mode": "round_numbers"}
"""Text stays text, every day stays a vertex (the SVG can be read back); y limits on round ticks."""
MARGINS = {"left": 0.77, "right": 0.14}  # inches, whatever the width
SUBPLOTS = {"bottom": 0.15, "top": 0.91, "wspace": 0.06}
TWO_RUN_TOP = 0.84  # a comparison: room for the runs' legend (overlaid) or the axes' titles (side by side)
RUN_STYLES = ("-", "--")
RUN_GIDS = ("", "-b")
"""Run A solid, run B dashed; run B's series ids end in ``-b``."""
_CHAR_PT, _TICK_PT = 0.62, 8.0
"""A tick label's digit is about 0.62 font sizes wide; tick and padding take 8 pt (for placing the y label)."""
_CODES = {Path.MOVETO: "M", Path.LINETO: "L", Path.CLOSEPOLY: "z"}
Artist = Line2D | StepPatch


def _frame(ax: Axes, panel: Panel, contexts: Sequence[Context]) -> None:
    """Fixed x range (the run's length: all runs have the longest's), shock days marked, reference line."""
    ax.set_xlim(-1, max(2, *(c.days for c in contexts)))
    ax.ticklabel_format(axis="y", useOffset=False, style="plain")
    ax.set_xlabel("trading day")
    ax.xaxis.set_label_coords(0.5, -0.11)
    for i, ctx in enumerate(contexts):
        if ctx.shock_day is not None and ctx.shock_size != 0.0:
            ax.axvline(ctx.shock_day, color=style.PALETTE["black"], linewidth=0.8, alpha=0.7,
                       linestyle=":" if i == 0 else "-.")
    if panel.reference is not None:
        ax.axhline(panel.reference, color=style.PALETTE["black"], linewidth=0.6,
                   linestyle="--" if panel.reference else "-", alpha=0.5 if panel.reference else 1.0)
    if panel.counts:
        ax.yaxis.get_major_locator().set_params(integer=True)


def _draw_series(ax: Axes, series: Series, run: int, label: str | None, overlaid: bool) -> Artist:
    colour = style.PALETTE[series.colour]
    if series.stairs:
        artist: Artist = ax.stairs([0.0], [-0.5, 0.5], fill=True, color=colour, label=label,
                                   alpha=0.45 if overlaid and run else 1.0)
    else:
        (artist,) = ax.plot([], [], color=colour, label=label, linewidth=series.width,
                            linestyle=RUN_STYLES[run] if overlaid else "-")
    artist.set_gid(series.gid + RUN_GIDS[run])
    return artist


def _path_data(artist: Artist, height: float) -> str:
    """An artist's SVG path data, as matplotlib writes it (points, y down from the top)."""
    path = artist.get_path()
    xy = artist.get_transform().transform(path.vertices)
    letters = ["L"] * len(xy) if path.codes is None else [_CODES.get(int(c), "L") for c in path.codes]
    letters[:1] = ["M"]
    keep = np.array([letter != "z" for letter in letters], dtype=bool)
    coords = np.column_stack([xy[keep, 0], height - xy[keep, 1]]).ravel().tolist()
    return "".join("z " if letter == "z" else f"{letter} %f %f " for letter in letters) % tuple(coords)


def _start_value(ctx: Context, column: str) -> float | None:
    """A series' value before the first day, where the model knows it (the index starts at 100)."""
    return {"index_level": 100.0, "dealer_gex_usd": ctx.initial_gex_usd}.get(column, ctx.initial.get(column))


class LiveFigure:
    """One panel's figure for one run (or a comparison's two), kept from day to day.

    Building a figure costs as much as saving it, so the page builds each panel once per model
    and then, per redraw, sets the new data and rescales y; while no y limit moves, only the
    series' paths are rewritten in the last SVG. A lock keeps two renders of the same figure
    (the page's play thread and a redraw) apart. ``full_renders`` counts matplotlib's redraws.
    """

    def __init__(self, panel: Panel, contexts: Context | Sequence[Context], labels: Sequence[str] = ()) -> None:
        style.apply()
        self.panel = panel
        self.contexts = [contexts] if isinstance(contexts, Context) else list(contexts)
        runs = len(self.contexts)
        side = runs > 1 and panel.side_by_side
        self.wide = side
        width = WIDE if side else FIGSIZE[0]
        with matplotlib.rc_context(_RC):
            self.figure = Figure(figsize=(width, FIGSIZE[1]), dpi=72)  # 72: display units are the SVG's points
            self.figure.subplots_adjust(left=MARGINS["left"] / width, right=1 - MARGINS["right"] / width,
                                        **{**SUBPLOTS, **({"top": TWO_RUN_TOP} if runs > 1 else {})})
            self.axes: list[Axes] = list(self.figure.subplots(1, runs, sharey=True)) if side \
                else [self.figure.subplots()]
            self.artists: list[tuple[int, Series, Artist]] = []  # run, series, artist
            for run in range(runs):
                ax = self.axes[run if side else 0]
                for series in panel.series:
                    label = series.label if run == 0 and len(panel.series) > 1 else None
                    self.artists.append((run, series, _draw_series(ax, series, run, label, not side)))
            self._layout(side, labels)
        self._lock = threading.Lock()
        self._template: list[str] | None = None  # the last full SVG, split around the series' path data
        self._key: tuple | None = None
        self._order: list[int] = []  # the series' order in the SVG
        self.full_renders = 0

    def _layout(self, side: bool, labels: Sequence[str]) -> None:
        first = self.axes[0]
        first.set_ylabel(self.panel.ylabel)
        fontsize = matplotlib.rcParams["legend.fontsize"]
        if len(labels) > 1 and side:
            self.figure.suptitle(self.panel.title, fontsize=matplotlib.rcParams["axes.titlesize"], y=0.985)
            for ax, label in zip(self.axes, labels, strict=True):
                ax.set_title(label, y=1.0, fontsize=fontsize)
        elif len(labels) > 1:
            self.figure.suptitle(self.panel.title, fontsize=matplotlib.rcParams["axes.titlesize"], y=0.985)
            runs = [Line2D([], [], color=style.PALETTE["black"], linewidth=1.0, linestyle=RUN_STYLES[i], label=label)
                    for i, label in enumerate(labels)]
            self.figure.legend(handles=runs, loc="upper center", bbox_to_anchor=(0.56, 0.93), ncols=2,
                               handlelength=2.5, fontsize=fontsize)
        else:
            first.set_title(self.panel.title, y=1.0)
        for i, ax in enumerate(self.axes):
            _frame(ax, self.panel, self.contexts[i:i + 1] if side else self.contexts)
        if len(self.panel.series) > 1:
            first.legend(loc=self.panel.legend, ncols=2 if len(self.panel.series) > 3 else 1)

    def _set_data(self, runs: Sequence[Records]) -> None:
        for run, series, artist in self.artists:
            records = runs[run] if run < len(runs) else []
            values = column(records, series.column) / series.scale
            days = column(records, "day")
            if isinstance(artist, StepPatch):
                edges = np.append(days - 0.5, days[-1] + 0.5) if len(days) else np.array([-0.5, 0.5])
                artist.set_data(values if len(values) else np.array([0.0]), edges)
            else:
                artist.set_data(days, values)

    def _set_ylim(self, runs: Sequence[Records]) -> None:
        if not any(len(r) for r in runs):  # before the first day: around the starting values
            start = [v / s.scale for ctx in self.contexts for s in self.panel.series
                     if (v := _start_value(ctx, s.column)) is not None]
            lo = min([*start, self.panel.reference or 0.0])
            hi = max([*start, self.panel.reference or 0.0, lo + 1.0])
            self.axes[0].set_ylim(*self.axes[0].yaxis.get_major_locator().view_limits(lo, hi), auto=None)
            return
        if self.panel.counts:  # counts: from 0, at least 0..1, the top on a round tick
            top = max([1.0, *(column(r, s.column).max(initial=0.0) for r in runs for s in self.panel.series)])
            self.axes[0].set_ylim(*self.axes[0].yaxis.get_major_locator().view_limits(0.0, 1.05 * top))
            return
        for ax in self.axes:
            ax.relim()
            ax.autoscale_view(scalex=False)

    def _place_ylabel(self) -> None:
        """The y label just clear of the widest tick label, from the labels' text (no text measuring)."""
        ax = self.axes[0]
        lo, hi = ax.get_ylim()
        locs = [v for v in ax.yaxis.get_majorticklocs() if lo <= v <= hi]
        widest = max((len(t) for t in ax.yaxis.get_major_formatter().format_ticks(locs)), default=1)
        size = matplotlib.rcParams["ytick.labelsize"]
        size = size if isinstance(size, float | int) else matplotlib.rcParams["font.size"]
        width_pt = ax.get_position().width * self.figure.get_figwidth() * 72
        ax.yaxis.set_label_coords(-(widest * _CHAR_PT * size + _TICK_PT + 0.6 * size) / width_pt, 0.5)

    def _full_svg(self) -> str:
        """matplotlib's SVG of the whole figure, kept as the template for the next redraws."""
        self._place_ylabel()
        buf = io.StringIO()
        self.figure.savefig(buf, format="svg")
        text = buf.getvalue()
        self.full_renders += 1
        spans = []
        for i, (_, _, artist) in enumerate(self.artists):
            found = re.search(rf'<g id="{re.escape(artist.get_gid())}">\s*<path d="([^"]*)"', text)
            if found is None:  # a series with nothing drawn yet: no template
                self._template = None
                return text
            spans.append((found.start(1), found.end(1), i))
        spans.sort()
        self._order = [i for _, _, i in spans]
        starts, ends = [0] + [end for _, end, _ in spans], [start for start, _, _ in spans] + [len(text)]
        self._template = [text[a:b] for a, b in zip(starts, ends, strict=True)]
        return text

    def svg(self, *runs: Records) -> bytes:
        """The figure showing each run's ``records`` (all days so far; run A first), as SVG bytes."""
        with self._lock, matplotlib.rc_context(_RC):
            self._set_data(runs)
            self._set_ylim(runs)
            key = tuple(ax.get_ylim() for ax in self.axes)
            if self._template is None or key != self._key:
                self._key = key
                return self._full_svg().encode()
            height = self.figure.bbox.height
            paths = [_path_data(self.artists[i][2], height) for i in self._order]
            out = [self._template[0]]
            for data, chunk in zip(paths, self._template[1:], strict=True):
                out += [data, chunk]
            return "".join(out).encode()
