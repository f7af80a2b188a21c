"""Known fire-sale results reproduced on synthetic portfolios (issue 15, item 7).

Cont and Schaanning (2017): threshold deleveraging loses nothing below a threshold shock and then
rises steeply; leverage targeting loses at every shock, roughly in proportion. Caccioli et al.
(2014): contagion needs a critical leverage; it is absent with one asset per account, appears with
a little diversification and retreats (a higher critical leverage) with more.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.fire_sales import (
    MAX_ROUNDS,
    account_leverage,
    contagion_vs_leverage,
    critical_leverage,
    synthetic_portfolios,
    threshold_vs_targeting,
)
from sim.book.sparse_targeting import account_marks
from sim.core.errors import InputError

SHOCKS = np.array([0.01, 0.02, 0.05, 0.08, 0.10, 0.11, 0.115, 0.13, 0.2, 0.3])


def test_synthetic_portfolios_are_equal_weight_at_the_leverage_and_repeat_from_the_seed():
    book = synthetic_portfolios(50, 12, 4, 3.0, seed=7)
    equity, gross = account_marks(book, np.ones(12))
    np.testing.assert_allclose(gross, 1.0)
    np.testing.assert_allclose(gross / equity, 3.0)
    for i in range(book.n):
        held = book.names[book.account(i)]
        assert held.size == 4 and np.unique(held).size == 4
    again = synthetic_portfolios(50, 12, 4, 3.0, seed=np.random.SeedSequence(7))
    np.testing.assert_array_equal(book.names, again.names)
    assert not np.array_equal(book.names, synthetic_portfolios(50, 12, 4, 3.0, seed=8).names)


def test_account_leverage_maps_the_papers_leverage():
    # lambda_C = 3 at m = 25%: called after losing 1/3 of gross, i.e. equity 1/2 (leverage 2)
    assert account_leverage(3.0) == pytest.approx(2.0)
    assert account_leverage(1.0) == pytest.approx(1.0) and account_leverage(1e12) == pytest.approx(4.0)


def test_threshold_rule_loses_nothing_below_its_trigger_then_jumps():
    table = threshold_vs_targeting(SHOCKS)  # leverage 3, called at 4, restored to 2.5
    assert table.trigger == pytest.approx(1.0 / 9.0)  # (1/3 - 1/4) / (1 - 1/4)
    assert 1 < table.rounds < MAX_ROUNDS  # every cascade converged
    below = SHOCKS < table.trigger
    assert np.all(table.threshold_loss[below] == 0.0) and np.all(table.threshold_sold[below] == 0.0)
    assert np.all(table.threshold_loss[~below] > 3.0) and np.all(table.threshold_sold[~below] == 1.0)
    # steep: 0.5 pp of shock past the trigger costs more than targeting's whole loss at 8%
    jump = table.threshold_loss[SHOCKS == 0.115][0] - table.threshold_loss[SHOCKS == 0.11][0]
    assert jump > table.targeting_loss[SHOCKS == 0.08][0]


def test_targeting_loses_at_every_shock_roughly_in_proportion():
    table = threshold_vs_targeting(SHOCKS)
    assert np.all(table.targeting_loss > 0.0) and np.all(table.targeting_sold == 1.0)
    per_unit = table.targeting_loss / SHOCKS
    small = SHOCKS <= 0.1
    assert per_unit[small].max() < 1.5 * per_unit[small].min()  # ~linear for small shocks (impact is concave)
    # docs/fire-sales.md: from 0.64 down to 0.46 points of loss per point of shock between 1% and 11%
    per_point = table.targeting_loss / (100.0 * SHOCKS)
    assert per_point[SHOCKS == 0.01][0] == pytest.approx(0.64, abs=0.005)
    assert per_point[SHOCKS == 0.11][0] == pytest.approx(0.46, abs=0.005)
    assert np.all(np.diff(per_point[SHOCKS <= 0.11]) < 0.0)
    assert np.all(np.diff(table.targeting_loss) > 0.0)
    # so it overstates the threshold rule's losses below the trigger...
    assert np.all(table.targeting_loss[SHOCKS < table.trigger] > 0.5)


def test_which_rule_loses_more_above_the_trigger_depends_on_the_buffer():
    """Restored below the start leverage (2.5 < 3), threshold sellers sell more than targeters at first."""
    buffer = threshold_vs_targeting(SHOCKS, target=1.6)
    at = SHOCKS == 0.115
    assert buffer.threshold_loss[at][0] > 1.05 * buffer.targeting_loss[at][0]
    cap = threshold_vs_targeting(SHOCKS, target=1.0)  # restored to the cap (4): targeting always loses more
    assert cap.restored == 4.0 and np.all(cap.targeting_loss >= cap.threshold_loss)
    assert cap.threshold_loss[at][0] < 0.2 * cap.targeting_loss[at][0]
    # the doc's table: 5.80 half a point past the trigger with the buffer; 0.43 -> 5.81 from 11.5% to 20% without
    assert buffer.threshold_loss[at][0] == pytest.approx(5.80, abs=0.005)
    assert cap.threshold_loss[at][0] == pytest.approx(0.43, abs=0.005)
    assert cap.threshold_loss[SHOCKS == 0.2][0] == pytest.approx(5.81, abs=0.005)


def test_contagion_needs_a_critical_leverage_that_moves_with_diversification():
    lev = [2.0, 4.0, 8.0, 12.0, 24.0]
    table = contagion_vs_leverage(lev, [1, 2, 10], trials=20)
    prob = table.probability
    assert np.all(prob[:, :2] == 0.0)  # low leverage: never system-wide
    assert np.all(prob[0] == 0.0)  # one asset each: only the shocked asset's holders sell
    assert prob[1, 3] >= 0.7 and prob[2, 4] >= 0.9  # high leverage: mostly system-wide
    assert 1 < table.rounds < MAX_ROUNDS
    crit = table.critical
    assert crit[0] == np.inf and 4.0 < crit[1] < 12.0
    # diversified accounts are hit by 1/10 of the 50% fall: none is called below lambda_C = 20
    assert prob[2, 3] == 0.0 and 12.0 < crit[2] <= 24.0 and crit[2] > crit[1]
    assert np.all(np.diff(prob, axis=1) >= 0.0)  # the same books in every column: monotone in leverage


DIVERSIFICATION = [1, 2, 3, 4, 6, 8, 10, 16]


def test_the_unstable_range_of_diversification_widens_with_leverage():
    """The doc's K = M = 100 table (seed 0, 100 trials): at lambda_C = 12 contagion for d = 2 to 4 only,
    at 48 for every d from 2 to 16 (common random numbers: these columns are the table's)."""
    prob = contagion_vs_leverage([12.0, 48.0], DIVERSIFICATION, trials=100).probability
    assert np.all(prob[1:4, 0] >= 0.75) and np.all(prob[[0, 4, 5, 6, 7], 0] == 0.0)
    assert np.all(prob[1:, 1] >= 0.87) and prob[0, 1] == 0.0


@pytest.mark.parametrize("d", [6, 8, 10, 16])
def test_the_high_diversification_edge_is_at_twice_the_diversification(d):
    """A 50% fall of one of d equal-weight assets costs 0.5 / d of gross: below lambda_C = 2d nobody is
    called at all, just above it the cascade is mostly system-wide."""
    table = contagion_vs_leverage([0.99 * 2 * d, 1.01 * 2 * d], [d], trials=40)
    assert table.sold[0, 0] == 0.0 and table.probability[0, 1] >= 0.8


def test_robust_yet_fragile_at_high_diversification():
    """d = 10: every trial spreads to all accounts or to none; the mean share sold jumps from 0 to 1
    across the edge (lambda_C = 20), while at d = 2 some spread and stop part-way (mean share < probability)."""
    table = contagion_vs_leverage([16.0, 19.8, 20.2, 24.0], [2, 10], trials=40)
    np.testing.assert_array_equal(table.sold[1] < 0.01, [True, True, False, False])
    assert np.all(table.sold[1, 2:] > 0.99)
    assert np.all(table.sold[0] < table.probability[0] - 0.02)


def test_critical_leverage_interpolates():
    assert critical_leverage([1.0, 2.0, 3.0], [0.0, 0.25, 0.75]) == pytest.approx(2.5)
    assert critical_leverage([1.0, 2.0], [0.0, 0.1]) == np.inf
    assert critical_leverage([1.0, 2.0], [0.6, 1.0]) == 1.0


@pytest.mark.parametrize(("call", "field"), [(lambda: synthetic_portfolios(5, 4, 5, 2.0), "diversification"),
                                             (lambda: synthetic_portfolios(5, 4, 2, 0.5), "leverage"),
                                             (lambda: threshold_vs_targeting([1.2]), "shock_sizes"),
                                             (lambda: contagion_vs_leverage([0.5], [2], 3), "leverages"),
                                             (lambda: contagion_vs_leverage([2.0], [2], 0), "trials"),
                                             (lambda: contagion_vs_leverage([2.0], [2], 3, shock=1.0), "shock")])
def test_bad_inputs_name_the_field(call, field):
    with pytest.raises(InputError) as err:
        call()
    assert err.value.field == field
