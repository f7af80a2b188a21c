"""Reading a dashboard figure's SVG back into numbers (for the tests).

The panels keep text as text and every day as a vertex, and their series carry ids
(:mod:`sim.apps.dashboard.plots`), so a line's data can be recovered from the SVG alone by mapping
its path's vertices through the labelled ticks of the axes that hold it (the y axis of the
first axes when the line's own shares it without labels, as side-by-side panels do).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np

_SVG = {"svg": "http://www.w3.org/2000/svg", "xlink": "http://www.w3.org/1999/xlink"}


def _axis_map(axis: ET.Element, coord: str) -> tuple[float, float] | None:
    """(intercept, slope) taking a pixel coordinate to data, fitted through the axis' labelled ticks."""
    pixels, values = [], []
    for tick in axis.findall("svg:g", _SVG):
        use, text = tick.find(".//svg:use", _SVG), tick.find(".//svg:text", _SVG)
        if use is None or text is None or not (text.text or "").strip():
            continue
        pixels.append(float(use.get(coord, "nan")))
        values.append(float(text.text.strip().replace("\u2212", "-").replace(",", "")))
    if len(pixels) < 2:
        return None
    slope, intercept = np.polyfit(pixels, values, 1)
    return float(intercept), float(slope)


def _axes_of(root: ET.Element, gid: str) -> tuple[ET.Element, ET.Element]:
    """The ``<g id="axes_N">`` holding ``<g id=gid>``, and that group."""
    for axes in root.iter(f"{{{_SVG['svg']}}}g"):
        if (axes.get("id") or "").startswith("axes_"):
            node = axes.find(f".//svg:g[@id='{gid}']", _SVG)
            if node is not None:
                return axes, node
    raise KeyError(f"no <g id={gid!r}> in the SVG")


def _maps(root: ET.Element, axes: ET.Element) -> tuple[tuple[float, float], tuple[float, float]]:
    own = [g for g in axes.findall("svg:g", _SVG) if (g.get("id") or "").startswith("matplotlib.axis_")]
    x, y = _axis_map(own[0], "x"), _axis_map(own[1], "y")
    if y is None:  # a shared y axis without labels: the first axes' labels (same pixel rows)
        first = next(g for g in root.iter(f"{{{_SVG['svg']}}}g") if (g.get("id") or "").startswith("axes_"))
        y = _axis_map([g for g in first.findall("svg:g", _SVG)
                       if (g.get("id") or "").startswith("matplotlib.axis_")][1], "y")
    if x is None or y is None:
        raise ValueError("fewer than two labelled ticks on an axis")
    return x, y


def read_line(svg: str | bytes, gid: str) -> tuple[np.ndarray, np.ndarray]:
    """The data a figure's line shows, read back from its SVG: vertices mapped through the tick labels.

    Precise to a fraction of a pixel (about 0.3% of the axis range); used to check what the page
    shows against what the model computed.
    """
    root = ET.fromstring(svg)
    axes, group = _axes_of(root, gid)
    path = group.find(".//svg:path", _SVG)
    if path is None:
        raise KeyError(f"<g id={gid!r}> holds no path")
    pts = np.array(re.findall(r"[ML]\s*(-?[\d.]+)\s+(-?[\d.]+)", path.get("d", "")), dtype=float).reshape(-1, 2)
    (x0, xs), (y0, ys) = _maps(root, axes)
    return x0 + xs * pts[:, 0], y0 + ys * pts[:, 1]


def visible_y(svg: str | bytes, gid: str) -> tuple[float, float]:
    """The y range (data units) the axes holding ``<g id=gid>`` show: its background patch's extent."""
    root = ET.fromstring(svg)
    axes, _ = _axes_of(root, gid)
    patch = next(g for g in axes.findall("svg:g", _SVG) if (g.get("id") or "").startswith("patch_"))
    d = patch.find("svg:path", _SVG).get("d", "")
    ys = np.array(re.findall(r"[ML]\s*-?[\d.]+\s+(-?[\d.]+)", d), dtype=float)
    _, (y0, slope) = _maps(root, axes)
    lo, hi = sorted((y0 + slope * ys.min(), y0 + slope * ys.max()))
    return lo, hi


def has_group(svg: str | bytes, gid: str) -> bool:
    """Whether the SVG has a ``<g id=gid>`` (a series, a band...)."""
    return ET.fromstring(svg).find(f".//svg:g[@id='{gid}']", _SVG) is not None
