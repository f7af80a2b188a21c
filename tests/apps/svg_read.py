"""Reading a dashboard panel's SVG back into numbers (for the tests).

The panels keep text as text and every day as a vertex, and their main lines carry ids
(:mod:`sim.apps.dashboard.plots`), so a line's data can be recovered from the SVG alone by mapping
its path's vertices through the axes' labelled ticks.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np

_SVG = {"svg": "http://www.w3.org/2000/svg", "xlink": "http://www.w3.org/1999/xlink"}


def _group(root: ET.Element, gid: str) -> ET.Element:
    node = root.find(f".//svg:g[@id='{gid}']", _SVG)
    if node is None:
        raise KeyError(f"no <g id={gid!r}> in the SVG")
    return node


def _axis_map(axis: ET.Element, coord: str) -> tuple[float, float]:
    """(intercept, slope) taking a pixel coordinate to data, fitted through the axis' labelled ticks."""
    pixels, values = [], []
    for tick in axis.findall("svg:g", _SVG):
        use, text = tick.find(".//svg:use", _SVG), tick.find(".//svg:text", _SVG)
        if use is None or text is None or not (text.text or "").strip():
            continue
        pixels.append(float(use.get(coord, "nan")))
        values.append(float(text.text.strip().replace("\u2212", "-").replace(",", "")))
    if len(pixels) < 2:
        raise ValueError("fewer than two labelled ticks on the axis")
    slope, intercept = np.polyfit(pixels, values, 1)
    return float(intercept), float(slope)


def read_line(svg: str | bytes, gid: str) -> tuple[np.ndarray, np.ndarray]:
    """The data a panel's line shows, read back from its SVG: vertices mapped through the tick labels.

    Precise to a fraction of a pixel (about 0.3% of the axis range); used to check what the page
    shows against what the model computed.
    """
    root = ET.fromstring(svg)
    path = _group(root, gid).find(".//svg:path", _SVG)
    if path is None:
        raise KeyError(f"<g id={gid!r}> holds no path")
    pts = np.array(re.findall(r"[ML]\s*(-?[\d.]+)\s+(-?[\d.]+)", path.get("d", "")), dtype=float).reshape(-1, 2)
    x0, xs = _axis_map(_group(root, "matplotlib.axis_1"), "x")
    y0, ys = _axis_map(_group(root, "matplotlib.axis_2"), "y")
    return x0 + xs * pts[:, 0], y0 + ys * pts[:, 1]
