"""Writing a calibration: ``estimates.json``, ``fit.md`` and the calibrated market ``market.toml``.

``market.toml`` is the base scenario's raw dict (its ``meta.extends`` chain merged in, the spec's
overrides applied) with each estimate written into its field by the scenario layer's dotted-path
editor, serialised by :func:`toml_text` (a small writer for the shapes a scenario has: tables,
arrays of tables, scalars and arrays of scalars; ``tomli_w`` is not a dependency). Floats are
written with ``repr``, so the file loads back to exactly the estimated values.
"""

from __future__ import annotations

import copy
import datetime
import json
import math
from pathlib import Path
from typing import Any

from sim.analysis.calibrate import Calibration
from sim.analysis.smm import RANK_TOL
from sim.config.scenario import apply_value
from sim.core.files import write_json, write_text

FILES = ("estimates.json", "fit.md", "market.toml")


def write_calibration(result: Calibration, out: str | Path) -> list[Path]:
    """Write the three files of ``result`` into the folder ``out`` (created), each atomically.

    Returns
    -------
    list of Path
        ``estimates.json``, ``fit.md``, ``market.toml``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return [write_json(out / "estimates.json", result.to_json()), write_text(out / "fit.md", fit_markdown(result)),
            write_text(out / "market.toml", market_toml(result))]


# --------------------------------------------------------------------------------- TOML
def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as a TOML value")


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() and k.isascii() else json.dumps(k)


def _table(name: str, data: dict[str, Any], header: str) -> list[str]:
    lines = [header] if header else []
    nested = []
    for k, v in data.items():
        if isinstance(v, dict) or _is_tables(v):
            nested.append((k, v))
        else:
            lines.append(f"{_key(k)} = {_scalar(v)}")
    for k, v in nested:
        full = f"{name}.{_key(k)}" if name else _key(k)
        if isinstance(v, dict):
            lines += ["", *_table(full, v, f"[{full}]")]
        else:
            for item in v:
                lines += ["", *_table(full, item, f"[[{full}]]")]
    return lines


def toml_text(data: dict[str, Any]) -> str:
    """``data`` (a scenario's raw dict) as TOML text that ``tomllib`` reads back to an equal dict."""
    return "\n".join(_table("", data, "")).lstrip("\n") + "\n"


def calibrated_data(result: Calibration) -> dict[str, Any]:
    """The base's raw dict with the estimates applied, ``meta.extends`` dropped (already merged in)."""
    data = copy.deepcopy(result.base_data)
    for path, value in result.estimates.items():
        apply_value(data, path, value)
    meta = data.setdefault("meta", {})
    meta.pop("extends", None)
    meta["name"] = "calibrated-market"
    w = result.provenance["data_window"]
    meta["description"] = (f"{result.provenance['base']} with {len(result.parameters)} fields estimated by SMM on "
                           f"{w['index']} {w['start']}..{w['end']} (marginsim calibrate)")
    return data


def market_toml(result: Calibration) -> str:
    """The calibrated market as a scenario file, with a provenance header."""
    p = result.provenance
    w = p["data_window"]
    head = [
        "# The calibrated market, written by `marginsim calibrate` (simulated method of moments).",
        f"# Base scenario: {p['base']}; spec {p['spec']} (sha256 {p['spec_sha256'][:16]}).",
        f"# Data window: {w['index']} daily {w['start']}..{w['end']} ({w['days']} days) and FINRA margin debt.",
        f"# Seeds: root {p['root_seed']}, S = {p['paths']} common paths of T = {p['days']} days after "
        f"{p['burn_in']} burn-in days, {p['accounts']} accounts.",
        f"# marginsim {p['version']}, written {datetime.date.today().isoformat()}; J = {result.fit.j_stat:.4g} "
        f"(df {result.fit.j_df}, p = {result.fit.j_pvalue:.3g}).",
        "# Estimates (standard errors):",
        *[f"#   {k} = {v!r} ({s:.3g})" for (k, v), s in zip(result.estimates.items(), result.fit.std_errors,
                                                            strict=True)],
        "",
    ]
    return "\n".join(head) + toml_text(calibrated_data(result))


# ----------------------------------------------------------------------------- markdown
def _row(cells: list[Any]) -> str:
    """A Markdown table row; a '|' inside a cell (``ACF |r|``) is escaped so it cannot split the cell."""
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def _fit_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [_row(["moment", "real", "bootstrap SE", "simulated", "t"]), "|---|---:|---:|---:|---:|"]
    out += [_row([r["label"], f"{r['real']:.4g}", f"{r['se']:.3g}", f"{r['simulated']:.4g}", f"{r['t']:+.2f}"])
            for r in rows]
    return out


def fit_markdown(result: Calibration) -> str:
    """``fit.md``: estimates, J-test, identification, the in-sample fit and the out-of-sample tables."""
    f, p = result.fit, result.provenance
    w = p["data_window"]
    lines = ["# Calibration by simulated method of moments", "",
             f"Base `{p['base']}`; data {w['index']} {w['start']}..{w['end']} ({w['days']} days, {w['months']} "
             f"months) and FINRA margin debt; S = {p['paths']} paths (root seed {p['root_seed']}) of T = {p['days']} "
             f"days after {p['burn_in']} burn-in days, {p['accounts']} accounts; marginsim {p['version']}; "
             f"{p['simulated_runs']} simulated paths in {p['wall_seconds']:.0f} s.", "",
             "## Estimates", "", _row(["parameter", "estimate", "standard error", "bounds", ""]),
             "|---|---:|---:|---|---|"]
    lines += [_row([f"`{k}`", f"{v:.5g}", f"{s:.3g}", f"[{lo:g}, {hi:g}]", "at a bound" if at else ""])
              for (k, v), s, lo, hi, at in zip(result.estimates.items(), f.std_errors, p["lo"], p["hi"],
                                               result.at_bound(), strict=True)]
    if any(result.at_bound()):
        lines += ["", "An estimate at a bound: the data push the parameter beyond the spec's range; its standard "
                  "error (one-sided Jacobian) is not the asymptotic one."]
    lines += ["", f"J = {f.j_stat:.4g} with {f.j_df} degrees of freedom, p = {f.j_pvalue:.3g} "
              "(over-identifying restrictions; a small p rejects the model at these moments).", "",
              f"Identification: scaled Jacobian rank {f.rank} of {len(result.parameters)} (singular values above "
              f"{RANK_TOL:g} x the largest), condition number {f.condition:.3g}. Rows are scaled by each moment's "
              "bootstrap SE, columns by each parameter's bound width.", "",
              "## Fit, in sample", "", *_fit_table(result.fit_rows()), "",
              "t = (simulated - real) / sqrt((1 + 1/S) x bootstrap variance).", ""]
    for oos in result.out_of_sample:
        lines += [f"## Out of sample: {oos['name']} ({oos['index']} {oos['start']}..{oos['end']}, not fitted)", "",
                  *_fit_table(oos["rows"]), ""]
    if result.out_of_sample:
        lines += ["Out-of-sample simulated moments are those at the estimate (paths of the in-sample length T); "
                  "SEs are each window's own block bootstrap.", ""]
    return "\n".join(lines)
