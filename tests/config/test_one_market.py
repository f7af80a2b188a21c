"""Every built-in scenario extends the one calibrated market and keeps its mechanisms (issue 14)."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from sim.config import scenario

MARKET = "market"
REPLICATIONS = {"tfg-2012"}
"""Replications of published toy markets: they extend the market but set the fields their model fixes."""

PROTECTED_TABLES = ("impact", "liquidity", "open_interest")
PROTECTED_FIELDS = {"market": ("vol_basis", "garch_alpha", "garch_beta", "garch_asymmetry", "news_to_price"),
                    "dealers": ("strike_step",)}
ERA_FIELDS = ("fundamental_vol", "fundamental_drift")
"""A dated historical replay may set its era's level of news volatility and drift; nothing else may."""


def _own(name: str) -> dict:
    return tomllib.loads((resources.files("sim") / "scenarios" / f"{name}.toml").read_text(encoding="utf-8"))


def _chain(name: str) -> list[str]:
    chain = [name]
    while parent := _own(chain[-1]).get("meta", {}).get("extends", ""):
        chain.append(parent)
    return chain


@pytest.mark.parametrize("name", sorted(scenario.scenarios()))
def test_every_builtin_extends_the_market(name):
    assert _chain(name)[-1] == MARKET


@pytest.mark.parametrize("name", sorted(set(scenario.scenarios()) - REPLICATIONS - {MARKET}))
def test_no_builtin_overrides_the_markets_mechanisms(name):
    own = _own(name)
    for table in PROTECTED_TABLES:
        assert table not in own, f"{name} overrides [{table}]"
    for table, fields in PROTECTED_FIELDS.items():
        for field in fields:
            assert field not in own.get(table, {}), f"{name} overrides {table}.{field}"
    for field in ERA_FIELDS:
        if field in own.get("market", {}):
            assert own["meta"].get("start_date"), f"{name} sets market.{field} but is not a dated replay"


def test_the_market_is_what_its_children_run():
    market = scenario.load(MARKET)
    for name in ("finra-2026-05", "baseline", "validation-baseline", "recession"):
        child = scenario.load(name)
        assert child.impact == market.impact and child.liquidity == market.liquidity
        assert child.open_interest == market.open_interest
        assert (child.market.garch_alpha, child.market.garch_beta, child.market.garch_asymmetry,
                child.market.news_to_price, child.market.fundamental_vol) == (
            market.market.garch_alpha, market.market.garch_beta, market.market.garch_asymmetry,
            market.market.news_to_price, market.market.fundamental_vol)
