"""The validated scenarios: GEX regime statistics, the bands and the met / not-met logic (known answers)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.analysis import gamma_regimes as gr
from sim.analysis import validated as vd
from sim.core.errors import InputError


def _regime_series(n: int, seed: int, negative_every: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Every ``negative_every``-th day has negative GEX; the next day's return has sd 2 after it, 1 otherwise."""
    rng = np.random.default_rng(seed)
    gex = np.where(np.arange(n) % negative_every == 0, -1e9, 1e9)
    sd = np.ones(n)
    sd[1:] = np.where(gex[:-1] < 0, 2.0, 1.0)
    return rng.standard_normal(n) * sd, gex


def test_regime_ratio_is_the_ratio_of_the_next_day_sds():
    r, gex = _regime_series(30_000, seed=3)
    out = gr.gex_regimes(r, gex)
    assert out["pairs"] == 29_999 and out["negative_days"] == 10_000
    assert out["negative_share"] == pytest.approx(10_000 / 29_999)
    # E|N(0, s^2)| = s sqrt(2 / pi); mean |r| of n draws has relative sd sqrt(pi/2 - 1) / sqrt(n) ~ 0.76 / sqrt(n):
    # 10,000 and 20,000 draws -> the ratio's relative sd is about 0.76 x sqrt(1e-4 + 5e-5) = 0.0093; 4 sds allowed.
    assert out["mean_abs_after_negative"] == pytest.approx(2 * math.sqrt(2 / math.pi), rel=0.04)
    assert out["ratio"] == pytest.approx(2.0, rel=0.04)
    assert not out["never_negative"] and not out["always_negative"]
    assert out["gex_min"] == -1e9 and out["gex_max"] == 1e9


def test_regimes_pair_day_t_gex_with_day_t_plus_1_return():
    r = np.array([0.0, 0.05, 0.01, 0.02, 0.03])
    gex = np.array([-1.0, 1.0, -2.0, 3.0, -5.0])   # the last day's GEX has no next day
    out = gr.gex_regimes(r, gex)
    assert out["pairs"] == 4 and out["negative_days"] == 2
    assert out["mean_abs_after_negative"] == pytest.approx((0.05 + 0.02) / 2)
    assert out["mean_abs_after_nonnegative"] == pytest.approx((0.01 + 0.03) / 2)
    assert out["ratio"] == pytest.approx(0.035 / 0.02)


@pytest.mark.parametrize(("sign", "flag"), [(1.0, "never_negative"), (-1.0, "always_negative")])
def test_gex_that_never_changes_sign_gives_no_ratio_and_fails_the_checks(sign, flag):
    r, _ = _regime_series(500, seed=1)
    per_seed = [gr.gex_regimes(r, np.full(500, sign * 5e9)) for _ in range(2)]
    assert per_seed[0][flag] and per_seed[0]["ratio"] is None
    summary = gr.summarize(per_seed)
    assert summary[flag] and summary["stats"]["ratio"] == {"median": None, "min": None, "max": None, "seeds": 0}
    assert [c["met"] for c in summary["checks"]] == [False, False]
    assert summary["stats"]["negative_share"]["median"] == (0.0 if sign > 0 else 1.0)


def test_summarize_judges_the_median_over_seeds():
    per_seed = [{"negative_share": s, "mean_abs_after_negative": 2.0, "mean_abs_after_nonnegative": 1.0,
                 "ratio": q, "never_negative": False, "always_negative": False, "gex_median": 1.0,
                 "gex_min": -1.0, "gex_max": 2.0} for s, q in ((0.1, 0.9), (0.2, 1.3), (0.6, 1.5))]
    summary = gr.summarize(per_seed)
    assert summary["stats"]["ratio"] == {"median": 1.3, "min": 0.9, "max": 1.5, "seeds": 3}
    assert [(c["key"], c["value"], c["met"]) for c in summary["checks"]] == [("negative_share", 0.2, True),
                                                                          ("ratio", 1.3, True)]


def test_gex_regimes_rejects_mismatched_inputs():
    with pytest.raises(InputError, match="gex_regimes"):
        gr.gex_regimes(np.zeros(5), np.zeros(4))


def test_band_widens_with_the_simulated_sampling_error():
    # same sample size, one seed: sqrt(1 + 1) x 2 SE either side
    assert vd.band(0.2, 0.05, 1000, 1000, 1) == pytest.approx((0.2 - 2 * 0.05 * math.sqrt(2), 0.2 + 0.1 * math.sqrt(2)))
    lo4, hi4 = vd.band(0.2, 0.05, 1000, 1000, 4)   # four seeds: sqrt(1.25)
    assert hi4 - lo4 == pytest.approx(4 * 0.05 * math.sqrt(1.25))
    lo, hi = vd.band(8.0, 0.25, 1000, 1000, 1, key="excess_kurtosis")   # on log(3 + k)
    half = 2 * 0.25 * math.sqrt(2)
    assert (lo, hi) == pytest.approx((11 * math.exp(-half) - 3, 11 * math.exp(half) - 3))
    assert hi - 8.0 > 8.0 - lo > 0


def _real(values: dict[str, float], se: float = 0.01) -> dict:
    keys = [k for k, _, _ in (*vd.FACTS, *vd.DEBT_FACTS)]
    return {"values": {k: values.get(k, 0.0) for k in keys}, "se": dict.fromkeys(keys, se), "days": 100,
            "months": 100}


def test_compare_marks_met_and_not_met_on_the_median():
    real = _real({"annualized_vol": 0.19, "excess_kurtosis": 8.0})
    rows = [{k: 0.0 for k, _, _ in (*vd.FACTS, *vd.DEBT_FACTS)} for _ in range(3)]
    for row, vol in zip(rows, (0.05, 0.19, 0.2), strict=True):
        row["annualized_vol"] = vol        # median 0.19: met; one seed out of its band
        row["excess_kurtosis"] = 0.0       # Gaussian tails: far below 8
        row["debt_yoy_mean"] = None        # no margin book: not available
    # 3 seeds x 100 days against 100 real days: half-width 2 x 0.01 x sqrt(1 + 1/3)
    facts = {f["key"]: f for f in vd.compare(rows, real, days=100, months=100)}
    vol = facts["annualized_vol"]
    assert vol["met"] and vol["simulated_median"] == 0.19 and vol["seeds_met"] == 2
    assert vol["hi"] - vol["lo"] == pytest.approx(4 * 0.01 * math.sqrt(4 / 3))
    assert not facts["excess_kurtosis"]["met"] and facts["excess_kurtosis"]["scale"] == "log(3 + value)"
    debt = facts["debt_yoy_mean"]
    assert not debt["met"] and debt["simulated_median"] is None and debt["seeds_met"] == 0
    assert facts["acf_r_1"]["met"]                         # 0 = 0


def test_correlation_bands_are_clipped_to_minus_one_one():
    real = _real({"debt_index_corr": 0.95}, se=0.2)
    rows = [{k: 0.0 for k, _, _ in (*vd.FACTS, *vd.DEBT_FACTS)}]
    facts = {f["key"]: f for f in vd.compare(rows, real, days=100, months=100)}
    assert facts["debt_index_corr"]["hi"] == 1.0 and facts["debt_index_corr"]["lo"] < 0.5


def test_bootstrap_se_of_a_mean_is_sd_over_sqrt_n():
    x = np.random.default_rng(0).standard_normal(4000)
    se = vd.bootstrap_se(lambda d: {"mean": float(d.mean())}, x, block=1, reps=400, seed=1)
    assert se["mean"] == pytest.approx(1 / math.sqrt(4000), rel=0.15)  # the SE of an SE estimate: 1/sqrt(2 x 400)


def test_debt_facts_known_answers_and_no_margin_book():
    months = np.arange(40)
    debt = 100.0 * 1.1 ** (months / 12)                     # 10% a year: mean 0.1, sd 0
    out = vd.debt_facts(debt, 50.0 * 1.05 ** (months / 12))
    assert out["debt_yoy_mean"] == pytest.approx(0.1) and out["debt_yoy_sd"] == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(out["debt_index_corr"])              # no variation: undefined
    assert all(math.isnan(v) for v in vd.debt_facts(np.zeros(40), debt).values())


def test_validated_scenario_drops_the_events_and_quick_is_small():
    target = vd.TARGETS[1]
    assert target.scenario == "finra-2026-05" and target.drop_events and len(target.seeds) == 4
    assert target.days == 2520
    quick = target.quick()
    spec = quick.spec()
    assert spec.events == [] and spec.simulation.days == 1260 and spec.margin.accounts == 2000
    assert len(quick.seeds) == 1 and quick.burn_in == 100
    assert vd.TARGETS[0].scenario == vd.MARKET_SCENARIO


@pytest.mark.parametrize(("kwargs", "field"), [({"days": 300, "burn_in": 100}, "days"), ({"seeds": ()}, "seeds"),
                                               ({"days": 2520.0}, "days")])
def test_validated_scenario_rejects_sizes_too_small_for_the_facts(kwargs, field):
    with pytest.raises(InputError, match="validated scenario") as err:
        vd.ValidatedScenario("x", "baseline", **kwargs)
    assert err.value.field == field and "\n" not in str(err.value)
