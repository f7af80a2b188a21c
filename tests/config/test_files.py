"""Reading scenario files: every bad file is one line; names vs paths; meta.extends from the file's own folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import sim
from sim.config.scenario import ScenarioError, from_dict, load


def _write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def _one_line(excinfo) -> str:
    msg = str(excinfo.value)
    assert "\n" not in msg and "Traceback" not in msg
    return msg


@pytest.mark.parametrize("extends", ["5", '["baseline"]', "{ a = 1 }", "true"])
def test_extends_must_be_a_string(tmp_path, extends):
    path = _write(tmp_path, "s.toml", f"[meta]\nextends = {extends}\n")
    with pytest.raises(ScenarioError, match=r"^meta\.extends = .*: must be a string: a built-in scenario name or a "
                                            r"path to a \.toml file$") as err:
        load(str(path))
    assert err.value.field == "meta.extends"


BAD_FILES = [
    ("not-utf8.toml", b"\xff\xfe[meta]\n", "not UTF-8 text"),
    ("bad.toml", "[meta\n", "invalid TOML"),
    ("deep-arrays.toml", "a = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    ("deep-tables.toml", "a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n", "nested too deeply"),
    ("deep-value.toml", "[margin]\naccounts = " + "[" * 100 + "]" * 100 + "\n", "nested more than 32 levels deep"),
]


@pytest.mark.parametrize(("name", "text", "expected"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_are_one_line(tmp_path, name, text, expected):
    path = _write(tmp_path, name, text)
    with pytest.raises(ScenarioError) as err:
        load(str(path))
    msg = _one_line(err)
    assert msg.startswith(f"scenario file {str(path)!r}: ") and expected in msg
    assert err.value.field == "scenario"


def test_missing_folder_and_non_toml_files(tmp_path):
    with pytest.raises(ScenarioError, match=r": not found$"):
        load(str(tmp_path / "missing.toml"))
    (tmp_path / "dir.toml").mkdir()
    with pytest.raises(ScenarioError, match=r": is a folder, not a file$"):
        load(str(tmp_path / "dir.toml"))
    secret = _write(tmp_path, "notes.txt", "password = 'hunter2'\n")
    with pytest.raises(ScenarioError) as err:
        load(str(secret))
    assert _one_line(err).endswith("must be a .toml file") and "hunter2" not in str(err.value)
    with pytest.raises(ScenarioError, match=r"the built-in scenario 'baseline' is named without '\.toml'"):
        load(str(tmp_path / "baseline.toml"))


def test_unreadable_file(tmp_path, monkeypatch):
    path = _write(tmp_path, "locked.toml", "[meta]\n")
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads it anyway: make reading fail as it would for another user
        def denied(self):
            raise PermissionError(13, "Permission denied", str(self))
        monkeypatch.setattr(Path, "read_bytes", denied)
    try:
        with pytest.raises(ScenarioError, match=r"locked\.toml': cannot be read \(permission denied\)$"):
            load(str(path))
    finally:
        path.chmod(0o644)


def test_extends_resolves_from_the_files_own_folder(tmp_path, monkeypatch):
    _write(tmp_path, "lib/base.toml", '[meta]\nname = "base"\nextends = "baseline"\n[margin]\naccounts = 99\n'
                                      "leverage_mean = 1.4\n")
    child = _write(tmp_path, "lib/child.toml",
                   '[meta]\nname = "child"\nextends = "base.toml"\n[margin]\naccounts = 7\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _write(elsewhere, "base.toml", "[margin]\naccounts = 12345\n")  # must not be picked up from the cwd
    monkeypatch.chdir(elsewhere)
    spec = load(str(child))
    assert (spec.margin.accounts, spec.margin.leverage_mean, spec.meta.name) == (7, 1.4, "child")
    assert spec.source == str(child.resolve())
    assert load("../lib/child.toml").margin.accounts == 7  # a relative top-level path is from the cwd


def test_extends_never_reads_a_non_toml_file_or_loops(tmp_path):
    _write(tmp_path, "secret.txt", "password = 'hunter2'\n")
    for extends in ("secret.txt", "./secret.txt", "../x/secret"):
        path = _write(tmp_path, "s.toml", f'[meta]\nextends = "{extends}"\n')
        with pytest.raises(ScenarioError, match=r"^meta\.extends = ") as err:
            load(str(path))
        assert "hunter2" not in _one_line(err)
    _write(tmp_path, "a.toml", '[meta]\nextends = "b.toml"\n')
    _write(tmp_path, "b.toml", '[meta]\nextends = "a.toml"\n')
    with pytest.raises(ScenarioError, match="must not extend itself"):
        load(str(tmp_path / "a.toml"))
    with pytest.raises(ScenarioError, match=r"extends = 'missing\.toml': scenario file 'missing\.toml': not found"):
        load(str(_write(tmp_path, "c.toml", '[meta]\nextends = "missing.toml"\n')))


def test_a_bare_name_is_always_the_builtin(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, "baseline", "[margin]\naccounts = 5\n")
    _write(tmp_path, "baseline.toml", "[margin]\naccounts = 5\n")
    spec = load("baseline")
    assert spec.source == "built-in baseline" and spec.margin.accounts != 5
    local = load("baseline.toml")  # ends in .toml: the local file
    assert local.margin.accounts == 5 and local.source == str(tmp_path / "baseline.toml")
    assert load("./baseline.toml").hash() == local.hash()
    assert from_dict({}).source == "a table"
    with pytest.raises(ScenarioError, match=r"scenario 'mine': unknown; .* read only by a path ending in \.toml"):
        _write(tmp_path, "mine", "")
        load("mine")


@pytest.mark.parametrize("name", ["../evil", "a/b", "", "..", "/abs"])
def test_meta_name_is_a_plain_name(name):
    with pytest.raises(ScenarioError, match=r"^meta\.name = .*: must be a plain name"):
        from_dict({"meta": {"name": name}})


def test_paths_and_strings_alike_and_overrides_must_be_a_list(tmp_path):
    path = _write(tmp_path, "tiny.toml", '[meta]\nname = "tiny"\n[margin]\naccounts = 10\n[simulation]\ndays = 3\n')
    by_path, by_str = sim.simulate(path, 1), sim.simulate(str(path), 1)
    assert by_path.summary == by_str.summary
    assert sim.load(path).hash() == sim.load(str(path)).hash()
    with pytest.raises(ValueError, match=r"scenario overrides = 'a=b': must be a list of 'section\.field=value'"):
        sim.load("baseline", "a=b")
    with pytest.raises(ValueError, match=r"scenario = 5: must be a Scenario, a built-in name"):
        sim.simulate(5)
