"""The validated scenarios' section of ``validation.md``: fact tables, GEX regimes, what is met.

Reads ``res["scenarios"]`` of :func:`sim.analysis.validate.validate` (built by
:mod:`sim.analysis.validated` and :mod:`sim.analysis.gamma_regimes`).
"""

from __future__ import annotations

from sim.analysis.gamma_regimes import REFERENCES
from sim.analysis.validated import BOOT_REPS, DAILY_BLOCK, MONTHLY_BLOCK, Z

GEX_ROWS = (("share of days with negative GEX", "negative_share", 1.0, 3),
            ("mean next-day abs r after negative GEX, %", "mean_abs_after_negative", 100.0, 3),
            ("mean next-day abs r after non-negative GEX, %", "mean_abs_after_nonnegative", 100.0, 3),
            ("ratio: after negative / after non-negative", "ratio", 1.0, 2),
            ("GEX median, $ bn per 1%", "gex_median", 1e-9, 1),
            ("GEX lowest, $ bn per 1%", "gex_min", 1e-9, 1),
            ("GEX highest, $ bn per 1%", "gex_max", 1e-9, 1))
"""The regime table: label, key, scale, decimals."""


def _num(x: float | None, digits: int, scale: float = 1.0) -> str:
    return "-" if x is None else f"{x * scale:.{digits}f}"


def scenarios_markdown(res: dict) -> list[str]:
    """The section: how the bands are built, then per validated scenario its facts, regimes and summary."""
    block = res.get("scenarios")
    if not block:
        return []
    real = block["real"]
    lines = ["", "## Validation on the scenarios users run", "",
             f"Each validated scenario runs on the compiled engine (`sim.ensemble`), its seeds' facts are "
             "computed after the burn-in, and the median over seeds is judged against the S&P 500 "
             f"({real['days']:,} daily returns) and FINRA's margin debt ({real['months']} months of "
             f"year-on-year growth). A fact is met when the median lies within real +/- {Z:g} x SE x "
             "sqrt(1 + n_real / (n_sim x seeds)): SE is the moving-block bootstrap standard error of the "
             f"real fact ({BOOT_REPS} replicates, blocks of {DAILY_BLOCK} days, {MONTHLY_BLOCK} months for "
             "margin debt) and the square root adds the simulated median's own sampling error, so the band "
             "is a 5% test of 'simulated = real' (narrower with more seeds and days; the quick mode's bands "
             "are wide). Excess kurtosis is banded on log(3 + kurtosis) (its sampling distribution is "
             "skewed), so its band is wider above than below.", "",
             "Dealer-gamma regimes: day t's dealer GEX (`dealer_gex_usd`, $ of hedge per 1% move, "
             "negative = dealers short gamma) is paired with day t+1's absolute return. Published "
             "results (none gives one number to match, so the checks are the direction and sign pattern "
             "they agree on):", ""]
    lines += [f"- {ref}" for ref in REFERENCES]
    for target in block["targets"]:
        lines += _target_section(target)
    return lines


def _target_section(t: dict) -> list[str]:
    seeds = t["seeds"]
    events = "its scheduled events removed" if t["events_removed"] else "its scheduled events kept"
    overrides = f", overrides {', '.join(f'`{o}`' for o in t['overrides'])}" if t["overrides"] else ""
    lines = ["", f"### {t['label']}", "",
             f"Scenario `{t['scenario']}` (hash {t['scenario_hash']}), {events}{overrides}; {t['days']:,} days "
             f"(the first {t['burn_in']} dropped), {t['accounts']:,} margin accounts, "
             f"{len(seeds)} seed{'s' if len(seeds) != 1 else ''} ({', '.join(map(str, seeds))}).", "",
             "| fact | S&P 500 / FINRA | band (met if inside) | simulated median | range over seeds | met "
             "| seeds met |",
             "|---|---|---|---|---|---|---|"]
    for f in t["facts"]:
        d = f["digits"]
        spread = (f"{_num(f['simulated_min'], d)} to {_num(f['simulated_max'], d)}"
                  if f["simulated_median"] is not None else "not available")
        met = "yes" if f["met"] else "**no**"
        lines.append(f"| {f['label']} | {_num(f['real'], d)} | {_num(f['lo'], d)} to {_num(f['hi'], d)} | "
                     f"{_num(f['simulated_median'], d)} | {spread} | {met} | {f['seeds_met']}/{f['seeds']} |")
    lines += _gex_table(t["gex"])
    lines += ["", _summary(t)]
    return lines


def _gex_table(gex: dict) -> list[str]:
    stats = gex["stats"]
    lines = ["", "| dealer-gamma regime | simulated median | range over seeds |", "|---|---|---|"]
    for label, key, scale, d in GEX_ROWS:
        s = stats[key]
        spread = (f"{_num(s['min'], d, scale)} to {_num(s['max'], d, scale)}" if s["median"] is not None
                  else "not defined")
        lines.append(f"| {label} | {_num(s['median'], d, scale)} | {spread} |")
    lines += ["", "| regime check | published | simulated | met |", "|---|---|---|---|"]
    for c in gex["checks"]:
        value = "-" if c["value"] is None else f"{c['value']:.3f}"
        lines.append(f"| {c['label']} | {c['range']}: {c['reference']} | {value} | "
                     f"{'yes' if c['met'] else '**no**'} |")
    return lines


def gex_sentence(gex: dict) -> str:
    """One plain sentence on the regimes: never negative, always negative, or the measured ratio."""
    if gex["always_negative"]:
        return ("Dealer GEX is negative on every day of every seed: it never changes sign, there is no "
                "non-negative regime to compare with, and the regime checks are **not met**.")
    if gex["never_negative"]:
        return ("Dealer GEX is never negative (on no day of any seed): there is no negative-gamma regime, and "
                "the regime checks are **not met**.")
    ratio = gex["stats"]["ratio"]["median"]
    share = gex["stats"]["negative_share"]["median"]
    verdict = "met" if all(c["met"] for c in gex["checks"]) else "**not met**"
    return (f"Dealer GEX is negative on {100 * share:.0f}% of days (median over seeds); the next day's mean "
            f"absolute return is {ratio:.2f} times that after non-negative GEX: regime checks {verdict}.")


def _summary(t: dict) -> str:
    met = [f["label"] for f in t["facts"] if f["met"]]
    missed = [f["label"] for f in t["facts"] if not f["met"]]
    text = f"**In short**: {len(met)} of {len(t['facts'])} facts met"
    text += f" ({'; '.join(met)})" if met else ""
    text += f". Not met: {'; '.join(missed)}." if missed else "; every fact met."
    return f"{text} {gex_sentence(t['gex'])}"
