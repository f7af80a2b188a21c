"""``marginsim figures --quick`` twice: the same data behind every figure (identical SHA-256)."""

from __future__ import annotations

import json

import pytest

from sim.apps.cli import main
from sim.core.errors import InputError
from sim.report.paper import FigureData, build_all, registry


def test_quick_figures_twice_give_identical_data(tmp_path, capsys):
    first, second = tmp_path / "a", tmp_path / "b"
    assert main(["figures", "--quick", "--out", str(first)]) == 0
    assert main(["figures", "--quick", "--out", str(second)]) == 0
    m1 = json.loads((first / "MANIFEST.json").read_text())
    m2 = json.loads((second / "MANIFEST.json").read_text())
    names = [f.name for f in registry()]
    assert [e["figure"] for e in m1["figures"]] == names
    for e1, e2 in zip(m1["figures"], m2["figures"], strict=True):
        assert e1["data_sha256"] == e2["data_sha256"], e1["figure"]
        assert e1["version"] and e1["command"] == "marginsim figures --quick"
        assert bool(e1["seeds"]) == bool(e1["scenario_hashes"])  # every simulated figure names its seeds
        png = first / e1["file"]
        assert png.stat().st_size > 10_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_data_hash_sees_a_change_in_the_numbers():
    import numpy as np

    a = FigureData({"x": np.arange(5.0)})
    b = FigureData({"x": np.arange(5.0)})
    assert a.sha256() == b.sha256()
    b.arrays["x"][2] += 1e-12
    assert a.sha256() != b.sha256()
    assert FigureData({"x": np.arange(5.0)}, meta={"n": 1}).sha256() != FigureData({"x": np.arange(5.0)}).sha256()


def test_unknown_figure_is_a_one_line_error(capsys, tmp_path):
    assert main(["figures", "--quick", "--only", "nope", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert "nope" in err and "\n" not in err
    assert not (tmp_path / "x").exists()


def test_build_all_rejects_an_unknown_figure_before_writing(tmp_path):
    with pytest.raises(InputError) as err:
        build_all(tmp_path / "x", quick=True, only=["nope"])
    assert err.value.field == "only" and "finra_margin_debt" in err.value.allowed
    assert "--" not in str(err.value) and not (tmp_path / "x").exists()
