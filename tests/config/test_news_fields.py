"""The fundamental-news fields: one-line errors naming the field; off at their defaults (hash unchanged)."""

from __future__ import annotations

import pytest

from sim.config import scenario as sc
from sim.config.scenario import ScenarioError

BAD = [
    ({"garch_alpha": 0.08, "garch_beta": 0.9, "garch_asymmetry": 0.04}, "market.garch_beta"),  # persistence 1
    ({"garch_alpha": 0.6, "garch_beta": 0.3, "garch_asymmetry": 0.3}, "market.garch_alpha"),   # 1.05
    ({"garch_alpha": 1.0}, "market.garch_alpha"),
    ({"garch_beta": -0.1}, "market.garch_beta"),
    ({"garch_asymmetry": 1.0}, "market.garch_asymmetry"),
    ({"news_to_price": 1.5}, "market.news_to_price"),
    ({"news_to_price": -0.1}, "market.news_to_price"),
    ({"vol_basis": "world"}, "market.vol_basis"),
]


@pytest.mark.parametrize(("fields", "name"), BAD)
def test_bad_news_fields_name_the_field_in_one_line(fields, name):
    with pytest.raises(ScenarioError) as err:
        sc.from_dict({"market": fields})
    assert err.value.field == name and "\n" not in str(err.value) and "must" in str(err.value)


def test_persistence_error_says_what_is_allowed():
    with pytest.raises(ScenarioError) as err:
        sc.from_dict({"market": {"garch_alpha": 0.1, "garch_beta": 0.9}})
    assert err.value.allowed == "garch_alpha + garch_beta + garch_asymmetry/2 < 1"


def test_defaults_leave_the_hash_alone_and_changes_move_it():
    data = sc.read_toml("baseline")
    news = ("garch_alpha", "garch_beta", "garch_asymmetry", "news_to_price", "vol_basis")
    plain = {**data, "market": {k: v for k, v in data["market"].items() if k not in news}}  # the market's news off
    base = sc.from_dict(plain)
    defaults = {"garch_alpha": 0.0, "garch_beta": 0.0, "garch_asymmetry": 0.0, "news_to_price": 0.0,
                "vol_basis": "sector"}
    same = sc.from_dict({**plain, "market": {**plain["market"], **defaults}})
    assert same.hash() == base.hash() and not set(news) & set(base.to_dict()["market"])
    for change in ({"garch_alpha": 0.05}, {"news_to_price": 0.5}, {"vol_basis": "index"}):
        assert sc.from_dict({**plain, "market": {**plain["market"], **change}}).hash() != base.hash()
    assert sc.load("baseline").hash() != base.hash()  # the one market's news is on
