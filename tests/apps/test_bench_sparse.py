"""The sparse-book benchmark: a small pass is well formed, and a kernel that disagrees is not timed."""

from __future__ import annotations

import numpy as np
import pytest

from sim.apps import bench_report, bench_sparse
from sim.apps.bench import BenchmarkMismatch
from sim.book import sparse_reference

STREAM = {"read_only_bytes_per_s": 10e9}  # a stand-in bandwidth: 14.5 bytes per position take 1.45 ns


def test_small_sparse_pass_is_well_formed():
    (p,) = bench_sparse.measure_sparse(True, STREAM, sizes=[3000])
    assert p["accounts"] == 3000 and 3000 * 6 < p["positions"] < 3000 * 10 and p["called"] == 0
    assert p["layout"] == bench_sparse.LAYOUT == "grouped by position count"
    assert p["bytes_per_position"] == pytest.approx(12.0 + (20.0 * 3000 + 8) / p["positions"])
    assert p["read_only_floor_ns_per_position"] == pytest.approx(p["bytes_per_position"] / 10.0)
    assert p["share_of_read_only_floor"] == pytest.approx(p["read_only_floor_ns_per_position"]
                                                          / p["min_ns_per_position"])
    assert p["kernel"]["min_s"] <= p["kernel"]["median_s"]
    lines = bench_report._sparse_lines([p])
    assert lines[0].startswith("| sparse book: accounts (grouped by position count) |") and "| 3,000 |" in lines[2]


def test_benchmark_book_is_levered_one_to_two_times():
    book, prices = bench_sparse.sparse_book(500, np.random.default_rng(1))
    counts = np.diff(book.offsets)
    assert np.all(np.diff(counts) >= 0) and counts[0] == 4 and counts[-1] == 12  # grouped by count, 4 to 12
    out = sparse_reference.clearing_pass_sparse(book, prices, bench_sparse.sparse_rules(), per_account=True)
    ratio = out.equity / out.gross
    assert ratio.min() >= 0.5 - 1e-12 and ratio.max() <= 1.0 + 1e-12 and out.n_called == 0
    assert 0.3 * out.gross.sum() < out.requirement.sum() < 0.4 * out.gross.sum()  # 30% + some 10% add-ons


def test_sparse_bench_refuses_to_time_a_kernel_that_disagrees(monkeypatch):
    real = bench_sparse.clearing_pass_sparse

    def wrong(*args, **kwargs):
        out = real(*args, **kwargs)
        out.stats *= 1.0 + 1e-9
        return out

    monkeypatch.setattr(bench_sparse, "clearing_pass_sparse", wrong)
    with pytest.raises(BenchmarkMismatch, match="differs"):
        bench_sparse.sparse_pass(200, 1, np.random.default_rng(0), STREAM)


DENSE = {"accounts": 2000, "rounds": 3, "min_s": 0.001, "median_s": 0.001}  # a stand-in one-asset cascade


def test_small_sparse_cascade_is_well_formed():
    (c,) = bench_sparse.measure_sparse_cascade(True, [DENSE], sizes=[2000])
    assert c["accounts"] == 2000 and c["one_asset"] is DENSE and c["converged"] and c["rounds"] >= 2
    assert c["vs_one_asset"] == pytest.approx(c["min_s"] / DENSE["min_s"])
    assert 0.0 < c["calls"] and 0.12 < c["price_fall"] < 1.0  # the 12% gap, then forced selling
    lines = bench_report._sparse_cascade_lines([c])
    assert lines[0].startswith("| sparse cascade (12% gap)") and "| 2,000 |" in lines[2]


def test_sparse_cascade_bench_measures_the_one_asset_cascade_when_not_given():
    (c,) = bench_sparse.measure_sparse_cascade(True, None, sizes=[1000])
    assert c["one_asset"]["accounts"] == 1000 and c["one_asset"]["min_s"] > 0.0


def test_sparse_cascade_target_reads_the_ratio_at_ten_million():
    entry = {"accounts": 10**7, "vs_one_asset": 7.5}
    data = {"clearing_pass": [{"accounts": 10**4, "kernel_vs_numpy": 6.0}], "cascade": [],
            "full_year": {"accounts": 10**4, "wall_s": 1.0}, "startup": {"warm_extra_s": 1.0},
            "bytes_per_account": {"K=1": 60.0}, "quick": True, "sparse_cascade": [entry]}
    (row,) = [t for t in bench_report.check_targets(data) if t["target"].startswith("sparse cascade")]
    assert row["measured"] == 7.5 and row["met"] is True and row["goal"] == "<= 10"


def test_sparse_cascade_bench_refuses_to_time_a_kernel_that_disagrees(monkeypatch):
    real = bench_sparse.cascade_sparse

    def wrong(*args, **kwargs):
        out = real(*args, **kwargs)
        out.prices *= 1.0 + 1e-9
        return out

    monkeypatch.setattr(bench_sparse, "cascade_sparse", wrong)
    with pytest.raises(BenchmarkMismatch, match="cascade"):
        bench_sparse.sparse_cascade_bench(300, 1, np.random.default_rng(0), DENSE)
