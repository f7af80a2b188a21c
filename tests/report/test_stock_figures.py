"""Per-stock figures: files written and recorded, axes labelled, the names chosen and grouped as stated."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim.analysis.stock_tables import sector_attribution
from sim.core.errors import InputError
from sim.report.stocks import save_stock_figures, sector_bars, stock_heatmap, top_names
from tests.stock_paths import additive_runs, random_path

EFFECTS = {"margin": np.array([0.10, 0.00, 0.04]), "letf": np.array([0.03, 0.05, 0.00]),
           "squeeze": np.array([0.00, 0.02, 0.20])}


def test_save_writes_both_pngs_and_the_record(tmp_path):
    path = random_path(n=60)
    files = save_stock_figures(path, tmp_path / "out", top=12)
    assert [f.name for f in files] == ["stock_heatmap.png", "stock_sectors.png", "stock_figures.json"]
    for f in files[:2]:
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f.stat().st_size > 10_000
    record = json.loads(files[2].read_text())
    assert [e["file"] for e in record["figures"]] == ["stock_heatmap.png", "stock_sectors.png"]
    again = save_stock_figures(path, tmp_path / "again", top=12)
    assert json.loads(again[2].read_text()) == record  # same numbers, same hashes


def test_heatmap_shows_the_top_names_grouped_by_sector_with_labelled_axes():
    path = random_path(n=60)
    pick = top_names(path, 12)
    sold = path.forced_sales_usd.sum(axis=0)
    assert set(pick) == set(np.argsort(-sold, kind="stable")[:12])
    sectors = [path.sectors[j] for j in pick]
    assert sectors == sorted(sectors, key=sectors.index)  # each sector's names together
    for value, unit in (("drawdown", "drawdown from running peak, %"), ("return", "return since day 0's open, %")):
        fig = stock_heatmap(path, 12, value=value)
        heat, bars = fig.axes[:2]
        assert heat.get_xlabel() == "trading day of the run" and heat.get_ylabel()
        assert bars.get_xlabel() == "forced sales over the run, $ million"
        assert [t.get_text() for t in heat.get_yticklabels()] == [path.tickers[j] for j in pick]
        assert fig.axes[2].get_xlabel() == unit  # the colour bar
        assert fig._suptitle.get_text().startswith("Drawdown" if value == "drawdown" else "Cumulative return")
    with pytest.raises(InputError, match="value"):
        stock_heatmap(path, 12, value="volume")
    with pytest.raises(InputError, match="top"):
        top_names(path, 0)


def test_sector_bars_stack_the_attribution_to_the_total():
    runs = additive_runs(np.array([0.05, 0.10, 0.02]), EFFECTS)
    att = {m: sector_attribution(runs, m) for m in ("drawdown", "forced_sales")}
    full = runs[frozenset(EFFECTS)]
    fig = sector_bars(full, attribution=att)
    left, right = fig.axes
    assert left.get_xlabel() == "max drawdown of the sector index, %"
    assert right.get_xlabel() == "forced sales over the run, $ bn"
    assert left.get_ylabel() == "sector"
    # sectors by drawdown: B (name 2, depth 0.26) then A (names 0, 1 at equal $: mean of 0.18 and 0.17);
    # each stack of no-channel and channel parts ends at the sector's drawdown
    assert [t.get_text() for t in left.get_yticklabels()] == ["B", "A"]
    for y, total in ((0, 26.0), (1, 17.5)):
        ends = max(p.get_x() + p.get_width() for p in left.patches if abs(p.get_y() + p.get_height() / 2 - y) < 1e-9)
        assert ends == pytest.approx(total, abs=1e-9)
    plain = sector_bars(full)
    assert len(plain.legends) == 0 and len(fig.legends) == 1
