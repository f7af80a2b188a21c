"""Named slots of the compiled engine's state arrays (numba freezes these integer globals).

Scalars live in one float64 vector ``sc`` (``S_*``), per-asset vectors in the rows of ``vec``
((``N_VEC``, K), ``V_*``), the leveraged ETFs' numbers in the rows of ``letf`` ((``N_LETF``, F),
``L_*``), the options series in ``opt`` ((``N_OPT``, M), ``O_*``), the value funds in ``vf``
((``N_VF``, H), ``F_*``), the day's totals in ``tot`` (``T_*``, the columns of
:data:`sim.model.records.TALLIED`) and the scheduled events in ``events`` ((E, ``N_EV``)).
"""

from __future__ import annotations

# ------------------------------------------------------------------ scalars (sc)
(S_VOL, S_INDEX_VARIANCE, S_PREV_INDEX, S_NEWS_VARIANCE, S_INITIAL_LONG, S_MAX_LEVERAGE, S_LEVERAGE_GROWTH,
 S_BROKER_CASH, S_LARGEST_USD, S_VT_CASH, S_NT_CASH, S_MM_CASH, S_DEALER_CASH, S_DEALER_ROLLED, S_VC_CASH,
 S_VC_VAR_FAST, S_VC_VAR_SLOW, S_VF_INVESTOR_CASH, S_VF_BANKRUPTCIES) = range(19)
N_SC = 19

# ----------------------------------------------------------------- constants (cst)
(C_BASE_VOL, C_RHO, C_DRIFT, C_EWMA_LAMBDA, C_LOG_FLOOR, C_LOG_CEILING,
 C_GARCH_ALPHA, C_GARCH_BETA, C_GARCH_ASYMMETRY, C_NEWS_TO_PRICE,
 C_MODEL, C_MULTIPLIER, C_SQRT_Y,
 C_ADV_FRACTION, C_TRANSIENT_FRACTION, C_DECAY, C_THINNING, C_REFERENCE_VOL, C_MAX_THINNING, C_SUBSTEPS,
 C_DAYS_PER_YEAR, C_VT_INTENSITY, C_NT_VOL, C_NT_KEEP, C_NT_SCALE, C_LETF_FLOW_RESPONSE, C_LETF_MAX_SHARE,
 C_OPT_VOL, C_OPT_RATE, C_OPT_ROLL, C_OPT_STEP, C_VC_TARGET, C_VC_CAP, C_VC_BAND, C_VC_FAST, C_VC_SLOW,
 C_CONCENTRATION, C_BUY_SPEED, C_SELL_SPEED, C_BAND, C_SHORT_EQUITY, C_DEADLINE, C_MAX_ROUNDS,
 C_VF_MAX_LEVERAGE, C_VF_SMOOTHING, C_VF_FLOW_SENSITIVITY, C_VF_BENCHMARK, C_VF_WEALTH, C_VF_MIN_WEALTH,
 C_VF_REINTRODUCE, C_HAS_DEALER, C_HAS_VC, C_HAS_VF, C_ON_MARGIN, C_ON_LETF, C_ON_DEALERS, C_ON_VC,
 C_ON_VF) = range(58)
N_CST = 58

# ---------------------------------------------------------- per-asset vectors (vec)
(V_LOG_PERM, V_TRANSIENT, V_LOG_FUNDAMENTAL, V_VARIANCE, V_PREV_CLOSE, V_WEIGHTS, V_BETAS, V_SHARES_OUT,
 V_INITIAL_PRICES, V_ADDON, V_LARGEST_SHARES, V_VT_SHARES, V_NT_DEMAND, V_NT_SHARES, V_MM_SHARES,
 V_DEALER_SHARES, V_VC_SHARES, V_VF_BASKET) = range(18)
N_VEC = 18

# --------------------------------------------------------- leveraged ETFs (letf, F)
L_LEVERAGE, L_CASH, L_INVESTOR_CASH, L_LAST_EXPOSURE, L_LAST_RETURN, L_TERMINATED = range(6)
N_LETF = 6

# --------------------------------------------------------- options series (opt, M)
O_STRIKE, O_EXPIRY, O_QUANTITY, O_MONEYNESS, O_TENOR = range(5)
N_OPT = 5

# ------------------------------------------------------------- value funds (vf, H)
F_BETA, F_UNITS, F_CASH, F_PERFORMANCE, F_WEALTH_AFTER_FLOWS = range(5)
N_VF = 5

# ----------------------------------------------------------------- events (E rows)
EV_DAY, EV_KIND, EV_TARGET, EV_SIZE = range(4)
N_EV = 4
EVENT_KINDS = ("price_gap", "fundamental_gap", "vol_regime", "maintenance_raise", "rate_shock", "lending_cut",
               "leverage_growth", "letf_outflow")
"""``events[:, EV_KIND]`` is the position of the kind in this tuple."""
TARGET_INDEX = -1
TARGET_ALL = -2

# ------------------------------------------------- the day's totals (tot), in TALLIED order
(T_CALLS, T_DEPOSITS, T_LIQUIDATIONS, T_FORCED_SALES, T_FORCED_BUYINS, T_LOSSES, T_UNCONVERGED,
 T_FLOW_FORCED, T_FLOW_VOLUNTARY, T_FLOW_LETF, T_FLOW_DEALER, T_FLOW_VC, T_FLOW_VALUE, T_FLOW_NOISE,
 T_FLOW_VF) = range(15)
N_TOT = 15

# ------------------------------------------- a substep's orders (rows of ``orders``), in the
# order the Mesa model inserts them into its dict (sums run in that order)
(CH_DEALER, CH_VALUE, CH_NOISE, CH_LETF, CH_VC, CH_MARGIN, CH_VF) = range(7)
N_CH = 7
CH_TOTAL = (T_FLOW_DEALER, T_FLOW_VALUE, T_FLOW_NOISE, T_FLOW_LETF, T_FLOW_VC, T_FLOW_VOLUNTARY, T_FLOW_VF)
"""The total each channel's order adds to."""

# ------------------------------------------ scratch rows of ``work`` ((N_WORK, K)), one substep
(W_LOG_BASE, W_PRICES, W_CAPS, W_CAP_WEIGHTS, W_COEF, W_ADV, W_GAMMA, W_LIMIT, W_FLOW, W_TMP, W_TMP2,
 W_SOLD_SHARES, W_SOLD_USD, W_BOUGHT_USD, W_DEALER_USD, W_DEALER_SHARES, W_CLEAR_PRICES, W_FUNDAMENTALS) = range(18)
N_WORK = 18

# ------------------------------------------- columns of the day's record after prices and fundamentals
(R_MARGIN_DEBT, R_CASH_DEBIT, R_SHORT_VALUE, R_FREE_CREDIT, R_NET_CREDIT, R_LONG_VALUE, R_EQUITY, R_LEVERAGE,
 R_OPEN_CALLS, R_INTEREST, R_REALIZED_VOL, R_ROUNDS, R_GEX, R_LETF_AUM, R_VC_EXPOSURE) = range(15)
R_TALLIED = 15
"""The day's totals (``T_*`` order = ``TALLIED`` order) start here."""
(R_VF_FLOW, R_VF_WEALTH, R_VF_POSITION, R_VF_LEVERAGE, R_VF_ALIVE, R_VF_FAILED) = range(29, 35)
N_R = 35
