"""The SMM estimator on a linear toy simulator, whose estimate, standard errors and J are closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.analysis import smm

A = np.array([[1.0, 0.5], [0.2, 2.0], [1.5, -0.3], [0.4, 0.9]])
B = np.array([0.1, -0.2, 0.3, 0.0])
COV = np.array([[0.04, 0.01, 0.0, 0.0], [0.01, 0.09, 0.02, 0.0], [0.0, 0.02, 0.16, 0.01], [0.0, 0.0, 0.01, 0.01]])
S = 4


def linear(thetas: np.ndarray) -> np.ndarray:
    return np.atleast_2d(thetas) @ A.T + B


def test_linear_model_estimate_standard_errors_and_j_are_the_gls_closed_form():
    theta0, e = np.array([0.7, -0.4]), np.array([0.05, -0.1, 0.2, -0.03])
    real = A @ theta0 + B + e
    bounds = smm.Bounds(np.array([-2.0, -2.0]), np.array([2.0, 2.0]))
    fit = smm.estimate(linear, real, COV, S, bounds, np.array([0.0, 0.0]), sobol_points=16, max_evaluations=600)
    w = np.linalg.inv((1 + 1 / S) * COV)
    info = A.T @ w @ A
    theta_hat = theta0 + np.linalg.solve(info, A.T @ w @ e)
    resid = e - A @ (theta_hat - theta0)
    assert fit.estimates == pytest.approx(theta_hat, abs=1e-4)
    # SE = sqrt(diag((1 + 1/S) (A' Sigma^-1 A)^-1)): the Jacobian of a linear model is exact
    se = np.sqrt(np.diag((1 + 1 / S) * np.linalg.inv(A.T @ np.linalg.inv(COV) @ A)))
    assert fit.std_errors == pytest.approx(se, rel=1e-7)
    j = resid @ w @ resid
    assert fit.j_stat == pytest.approx(j, rel=1e-5) and fit.j_df == 2
    assert fit.j_pvalue == pytest.approx(stats.chi2.sf(j, 2), rel=1e-4)
    assert fit.jacobian == pytest.approx(A, rel=1e-8)
    assert fit.t_stats == pytest.approx((A @ fit.estimates + B - real) / np.sqrt((1 + 1 / S) * np.diag(COV)))
    assert fit.rank == 2 and fit.ridge == 0.0
    scaled = A / np.sqrt(np.diag(COV))[:, None] * 4.0
    assert fit.condition == pytest.approx(np.linalg.cond(scaled), rel=1e-6)


def test_an_exactly_fitted_model_has_j_zero():
    theta0 = np.array([0.3, 0.2])
    bounds = smm.Bounds(np.array([-1.0, -1.0]), np.array([1.0, 1.0]))
    fit = smm.estimate(linear, A @ theta0 + B, COV, S, bounds, np.array([-0.5, 0.5]), sobol_points=8,
                       max_evaluations=600)
    assert fit.estimates == pytest.approx(theta0, abs=1e-4) and fit.j_stat < 1e-6


def test_a_parameter_the_moments_ignore_is_rank_deficient():
    def flat(thetas):
        t = np.atleast_2d(thetas)
        return np.column_stack([t[:, 0], 2 * t[:, 0], t[:, 0] ** 2])
    bounds = smm.Bounds(np.array([0.0, 0.0]), np.array([1.0, 1.0]))
    fit = smm.inference(flat, np.array([0.5, 1.0, 0.25]), np.eye(3) * 0.01, 8, bounds, np.array([0.5, 0.5]), 0.01)
    assert fit.rank == 1 and math.isinf(fit.condition)


def test_weight_matrix_is_the_inverse_and_ridges_a_singular_covariance():
    w, ridge = smm.weight_matrix(COV, S)
    assert ridge == 0.0 and w @ ((1 + 1 / S) * COV) == pytest.approx(np.eye(4), abs=1e-10)
    v = np.array([1.0, 2.0, 3.0])
    w2, ridge2 = smm.weight_matrix(np.outer(v, v) + np.diag([0.0, 0.0, 0.0]), S)
    assert ridge2 == smm.RIDGE and np.all(np.isfinite(w2))


def test_invalid_points_get_the_penalty_and_the_logit_map_stays_in_bounds():
    bounds = smm.Bounds(np.array([0.0, 1.0]), np.array([1.0, 5.0]))
    u = np.array([-50.0, 50.0])
    theta = bounds.from_u(u)
    assert np.all(theta >= bounds.lo) and np.all(theta <= bounds.hi)
    assert bounds.from_u(bounds.to_u(np.array([0.25, 2.0]))) == pytest.approx([0.25, 2.0])
    obj = smm._Objective(lambda t: np.full((len(t), 4), np.nan), np.zeros(4), np.eye(4), None, 1)
    assert obj(np.array([0.5, 2.0])) == smm.PENALTY


def test_a_step_into_the_invalid_region_gives_a_one_sided_derivative():
    """Steps past a joint constraint (theta_0 + theta_1 < 1, like GARCH stationarity) return NaN moments."""
    def constrained(thetas: np.ndarray) -> np.ndarray:
        out = linear(thetas)
        out[np.atleast_2d(thetas).sum(axis=1) >= 1.0] = np.nan
        return out

    bounds = smm.Bounds(np.array([-2.0, -2.0]), np.array([2.0, 2.0]))
    theta = np.array([0.5, 0.49])  # a +2% x width step in either parameter crosses the constraint
    jac = smm.jacobian(constrained, theta, bounds, 0.02)
    assert jac == pytest.approx(A, rel=1e-8)  # one-sided differences of a linear model are exact
    fit = smm.inference(constrained, A @ theta + B, COV, S, bounds, theta, 0.02)
    se = np.sqrt(np.diag((1 + 1 / S) * np.linalg.inv(A.T @ np.linalg.inv(COV) @ A)))
    assert fit.std_errors == pytest.approx(se, rel=1e-7) and fit.j_stat == pytest.approx(0.0, abs=1e-20)


def test_a_parameter_whose_both_steps_fail_gets_no_standard_error():
    def one_valid_value(thetas: np.ndarray) -> np.ndarray:
        out = linear(thetas)
        out[np.atleast_2d(thetas)[:, 1] != 0.3] = np.nan
        return out

    bounds = smm.Bounds(np.array([-2.0, -2.0]), np.array([2.0, 2.0]))
    fit = smm.inference(one_valid_value, A @ np.array([0.1, 0.3]) + B, COV, S, bounds, np.array([0.1, 0.3]), 0.02)
    assert math.isnan(fit.std_errors[1]) and math.isfinite(fit.std_errors[0]) and fit.rank == 1
