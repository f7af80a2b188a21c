"""``marginsim bench``, the report: the measured numbers against the targets, as JSON and markdown.

:mod:`sim.apps.bench` measures; this module checks the targets of issue 4 and writes
``benchmarks.json`` and ``benchmarks.md`` (the README's performance table).
"""

from __future__ import annotations

from pathlib import Path

from sim.core.files import write_json, write_text

TARGETS = {
    "kernel_vs_mesa_1e5": 1000.0, "kernel_vs_numpy": 5.0, "pass_1e7_of_floor": 0.80,
    "cascade_1e6_ms": 15.0, "cascade_1e7_ms": 200.0, "year_1e6_s": 30.0, "startup_extra_s": 2.0,
    "bytes_per_account": 64.0, "compiled_vs_mesa": 50.0, "ensemble_vs_mesa": 100.0, "year_of_floor": 2.0,
    "ensemble_memory_gb": 2.0, "sparse_1e7_of_read_floor": 0.60, "sparse_cascade_1e7_vs_one_asset": 10.0,
}
"""The goals of issues 4, 13 and 15 (">=" for ratios, "<=" for times and sizes)."""


def check_targets(d: dict) -> list[dict]:
    """Each target of issues 4 and 13 with the measured value (None where this run did not measure it)."""
    by_n = {p["accounts"]: p for p in d["clearing_pass"]}
    casc = {c["accounts"]: c for c in d["cascade"]}
    year = d["full_year"]
    t = TARGETS
    rows = [
        ("kernel >= 1000x Mesa reference, 10^5 accounts", by_n.get(10**5, {}).get("kernel_vs_mesa"), ">=",
         t["kernel_vs_mesa_1e5"]),
        ("kernel >= 5x numpy (largest N)", d["clearing_pass"][-1]["kernel_vs_numpy"], ">=", t["kernel_vs_numpy"]),
        ("pass at 10^7 >= 80% of bandwidth floor", by_n.get(10**7, {}).get("kernel_share_of_floor"), ">=",
         t["pass_1e7_of_floor"]),
        ("cascade at 10^6 <= 15 ms", 1e3 * casc[10**6]["min_s"] if 10**6 in casc else None, "<=",
         t["cascade_1e6_ms"]),
        ("cascade at 10^7 <= 200 ms", 1e3 * casc[10**7]["min_s"] if 10**7 in casc else None, "<=",
         t["cascade_1e7_ms"]),
        ("10^6 accounts x 252 days <= 30 s", year["wall_s"] if year["accounts"] == 10**6 else None, "<=",
         t["year_1e6_s"]),
        ("cached start-up <= 2 s beyond imports", d["startup"]["warm_extra_s"], "<=", t["startup_extra_s"]),
        ("<= 64 bytes per account (K=1)", d["bytes_per_account"]["K=1"], "<=", t["bytes_per_account"]),
        *_run_rows(d),
        ("sparse pass at 10^7 accounts x ~8 positions >= 60% of the read-only floor",
         {p["accounts"]: p for p in d.get("sparse_pass", [])}.get(10**7, {}).get("share_of_read_only_floor"), ">=",
         t["sparse_1e7_of_read_floor"]),
        ("sparse cascade at 10^7 accounts x ~8 positions <= 10x the one-asset cascade's time",
         {c["accounts"]: c for c in d.get("sparse_cascade", [])}.get(10**7, {}).get("vs_one_asset"), "<=",
         t["sparse_cascade_1e7_vs_one_asset"]),
    ]
    out = []
    for name, value, op, target, *note in rows:
        met = None if value is None else (value >= target if op == ">=" else value <= target)
        out.append({"target": name, "measured": value, "goal": f"{op} {target:g}", "met": met,
                    **({"note": note[0]} if note and note[0] else {})})
    return out


def _run_rows(d: dict) -> list[tuple]:
    """Issue 13's targets; None where the run was small (quick)."""
    runs, t, full = d.get("runs", {}), TARGETS, not d["quick"]

    def value(entry: str, key: str, scale: float = 1.0) -> tuple:
        e = runs.get(entry, {})
        return (e[key] * scale if full and key in e else None), ""

    rows = [("compiled engine >= 50x Mesa, validation-baseline 20 y x 1,000 accounts", *value("engine", "speedup"),
             ">=", t["compiled_vs_mesa"]),
            ("ensemble of 256 paths >= 100x Mesa one by one, finra-2026-05 x 1,000 accounts",
             *value("ensemble", "speedup"), ">=", t["ensemble_vs_mesa"]),
            ("10^6 accounts x 252 days <= 2x the memory-traffic floor", *value("day_floor", "ratio_to_floor"), "<=",
             t["year_of_floor"]),
            ("ensemble of 1,000 paths x 10,000 accounts <= 2 GB peak memory",
             *value("ensemble_memory", "peak_rss_bytes", 1e-9), "<=", t["ensemble_memory_gb"])]
    return [(name, measured, op, target, note) for name, measured, note, op, target in rows]


def write(data: dict, out_dir: str | Path) -> list[Path]:
    """Write ``benchmarks.json`` and ``benchmarks.md`` into ``out_dir`` (atomically); return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [write_json(out / "benchmarks.json", data), write_text(out / "benchmarks.md", markdown(data))]


def markdown(d: dict) -> str:
    """The README's performance table."""
    lines = [f"Measured by `marginsim bench{' --quick' if d['quick'] else ''}` (marginsim {d['version']}, "
             f"{d['cpus']} CPUs, Python {d['python']}, numba {d['numba']}). STREAM triad, one thread: "
             f"{d['stream']['bytes_per_s'] / 1e9:.1f} GB/s (reading only: "
             f"{d['stream']['read_only_bytes_per_s'] / 1e9:.1f} GB/s); a clearing pass must read "
             f"{d['pass_bytes_per_account']} bytes per account (one asset), so the floor is "
             f"{d['clearing_pass'][0]['floor_ns_per_account']:.2f} ns per account at the triad's rate "
             f"({d['clearing_pass'][0]['read_only_floor_ns_per_account']:.2f} ns at the read-only rate). "
             "Times are for one pass in which nobody is short of maintenance; the kernel was checked against "
             "the numpy version and the plain-Python reference before it was timed.", "",
             "| accounts | numba kernel ns/acct (min / median) | numpy ns/acct | Mesa ns/acct | kernel vs numpy "
             "| kernel vs Mesa | floor / kernel (triad) | floor / kernel (read-only) |",
             "|---|---|---|---|---|---|---|---|"]
    for p in d["clearing_pass"]:
        mesa = f"{p['mesa']['min_ns_per_account']:.0f}" if "mesa" in p else "-"
        vs_mesa = f"{p['kernel_vs_mesa']:.0f}x" if "kernel_vs_mesa" in p else "-"
        lines.append(f"| {p['accounts']:,} | {p['kernel']['min_ns_per_account']:.2f} / "
                     f"{p['kernel']['median_ns_per_account']:.2f} | {p['numpy']['min_ns_per_account']:.1f} | {mesa} | "
                     f"{p['kernel_vs_numpy']:.1f}x | {vs_mesa} | {p['kernel_share_of_floor']:.0%} | "
                     f"{p['kernel_share_of_read_only_floor']:.0%} |")
    lines += ["", "| cascade | accounts called | rounds | price fall | time (min / median) |", "|---|---|---|---|---|"]
    for c in d["cascade"]:
        lines.append(f"| {c['accounts']:,} accounts | {c['called_share']:.0%} | {c['rounds']} | {c['price_fall']:.1%} "
                     f"| {1e3 * c['min_s']:.1f} / {1e3 * c['median_s']:.1f} ms |")
    y, s = d["full_year"], d["startup"]
    lines += ["", f"Full `finra-2026-05` run, all channels, {y['accounts']:,} accounts x {y['days']} days: "
                  f"{y['wall_s']:.1f} s. Start-up to the first result in a fresh process: "
                  f"{s['warm']['min_s']:.2f} s with the numba cache warm, {s['cold']['min_s']:.2f} s cold; importing "
                  f"numpy, numba, mesa, pandas and scipy alone takes {s['imports_only']['min_s']:.2f} s. Account "
                  f"state: {d['bytes_per_account']['K=1']:.0f} bytes per account with one asset, "
                  f"{d['bytes_per_account']['K=5']:.0f} with five.", "",
              *_sparse_lines(d.get("sparse_pass", [])), *_sparse_cascade_lines(d.get("sparse_cascade", [])),
              *_runs_lines(d.get("runs", {})),
              "| target | measured | goal | met |", "|---|---|---|---|"]
    for t in d["targets"]:
        value = t.get("note") or "not measured (quick)" if t["measured"] is None else f"{t['measured']:.3g}"
        met = "-" if t["met"] is None else ("yes" if t["met"] else "**no**")
        lines.append(f"| {t['target']} | {value} | {t['goal']} | {met} |")
    return "\n".join(lines) + "\n"


def _sparse_lines(passes: list[dict]) -> list[str]:
    """Issue 15's sparse book: one pass, per position, against the read-only floor of the same run."""
    if not passes:
        return []
    layout = f" ({passes[0]['layout']})" if "layout" in passes[0] else ""
    lines = [f"| sparse book: accounts{layout} | positions | ns/position (min / median) | bytes read/position "
             "| floor / kernel (read-only) |", "|---|---|---|---|---|"]
    for p in passes:
        lines.append(f"| {p['accounts']:,} | {p['positions']:,} | {p['min_ns_per_position']:.2f} / "
                     f"{p['median_ns_per_position']:.2f} | {p['bytes_per_position']:.1f} | "
                     f"{p['share_of_read_only_floor']:.0%} |")
    return [*lines, ""]


def _sparse_cascade_lines(cascades: list[dict]) -> list[str]:
    """Issue 15's sparse cascade after a 12% gap against the one-asset cascade of the same run."""
    if not cascades:
        return []
    lines = ["| sparse cascade (12% gap): accounts | positions | rounds | calls | price fall (value-weighted) "
             "| time (min / median) | one-asset cascade | ratio |", "|---|---|---|---|---|---|---|---|"]
    for c in cascades:
        lines.append(f"| {c['accounts']:,} | {c['positions']:,} | {c['rounds']} | {c['calls']:,} | "
                     f"{c['price_fall']:.1%} | {1e3 * c['min_s']:.1f} / {1e3 * c['median_s']:.1f} ms | "
                     f"{1e3 * c['one_asset']['min_s']:.1f} ms | {c['vs_one_asset']:.1f}x |")
    return [*lines, ""]


def _runs_lines(runs: dict) -> list[str]:
    """Issue 13's measurements: engines, ensemble, the daily memory-traffic floor, an ensemble's memory."""
    if not runs:
        return []
    lines = ["| whole runs | measured | baseline | ratio |", "|---|---|---|---|"]
    e, n, f, m = (runs.get(k, {}) for k in ("engine", "ensemble", "day_floor", "ensemble_memory"))
    lines.append(f"| compiled engine, validation-baseline {e['accounts']:,} accounts x {e['days']:,} days | "
                 f"{e['compiled_s']:.2f} s | Mesa engine {e['mesa_s']:.2f} s | {e['speedup']:.0f}x |")
    workers = n.get("workers", 1)
    lines.append(f"| ensemble of {n['paths']:,} paths, finra-2026-05 {n['accounts']:,} accounts x {n['days']} days, "
                 f"{workers} worker{'s' if workers > 1 else ''} | {n['ensemble_s']:.2f} s | one by one on Mesa "
                 f"{n['mesa_one_by_one_s']:.2f} s | {n['speedup']:.0f}x |")
    if "ensemble_one_worker_s" in n:
        lines.append(f"| the same ensemble, 1 worker | {n['ensemble_one_worker_s']:.2f} s | one by one on Mesa | "
                     f"{n['speedup_one_worker']:.0f}x |")
    if f:
        lines.append(f"| finra-2026-05 {f['accounts']:,} accounts x {f['days']} days | {f['measured_s']:.2f} s | "
                     f"memory-traffic floor {f['floor_s']:.2f} s ({f['bytes_per_account_day']} bytes per account "
                     f"per day: {f['substeps']} clearing passes of {f['assets']} assets + the close's cash) | "
                     f"{f['ratio_to_floor']:.1f}x the floor |")
    lines.append(f"| ensemble of {m['paths']:,} paths x {m['accounts']:,} accounts x {m['days']} days, peak memory | "
                 f"{m['peak_rss_gb']:.2f} GB | dataset {m['dataset_bytes'] / 1e6:.1f} MB | |")
    return [*lines, ""]
