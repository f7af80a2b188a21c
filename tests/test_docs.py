"""The docs site's generated reference covers everything, and the README stays short.

These call the generators the MkDocs hook calls (``docs/hooks.py``), not MkDocs itself:
``scripts/test`` builds the site in strict mode, which catches broken links.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
from pathlib import Path

import pytest

from sim.apps.cli import build_parser
from sim.apps.cli.reference import cli_reference, subcommands
from sim.config.experiment_spec import experiment_schema
from sim.config.schema import scenario_schema
from sim.report.reference import experiment_reference, scenario_reference

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README_MAX_LINES = 250


def _covers(rows: list[dict[str, str]], text: str) -> None:
    """Every field of ``rows`` has a table row, every table a heading, in the generated ``text``."""
    missing = []
    for row in rows:
        shown = row["path"].replace(".*", "")
        if row["type"] == "list of tables":
            found = f"`[[{shown}]]`" in text
        elif row["type"] == "table" and not row["allowed"]:
            found = row["path"].endswith(".*") or f"`[{shown}]`" in text
        else:
            found = f"| `{row['path']}` |" in text
        if not found:
            missing.append(row["path"])
    assert not missing, f"not in the generated reference: {missing}"


def test_scenario_reference_lists_every_field():
    rows = scenario_schema()
    text = scenario_reference()
    _covers(rows, text)
    assert "`margin.accounts`" in text and "`[[brokers]]`" in text
    accounts = next(line for line in text.splitlines() if line.startswith("| `margin.accounts` |"))
    assert "integer" in accounts and "100000" in accounts  # type and default


def test_experiment_reference_lists_every_field():
    _covers(experiment_schema(), experiment_reference())


def test_cli_reference_lists_every_subcommand_and_argument():
    parser = build_parser()
    text = cli_reference(parser)
    commands = subcommands(parser)
    assert {"run", "show", "sweep", "attribute", "account", "balance"} <= set(commands)
    for name, (_, sub) in commands.items():
        assert f"## `marginsim {name}` {{#{name}}}" in text, name
        assert f"](#{name})" in text, f"{name} missing from the command index"
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            spelled = action.option_strings[0] if action.option_strings else (action.metavar or action.dest)
            assert f"`{spelled}" in text, f"marginsim {name}: {spelled}"
        if sub.epilog and "examples" in sub.epilog:
            assert f"marginsim {name}" in text.split(f"## `marginsim {name}`")[1].split("```bash")[1], name


def _cells(line: str) -> int:
    """Cells of a markdown table row: pipes that are neither escaped nor inside `code`."""
    outside = re.sub(r"`[^`]*`", "", line.replace("\\|", ""))
    return outside.count("|") - 1


def test_reference_cells_cannot_break_a_table():
    for text in (scenario_reference(), experiment_reference(), cli_reference()):
        for table in re.findall(r"(?:^\|.*\n?)+", text, flags=re.M):
            rows = table.strip().splitlines()
            assert {_cells(row) for row in rows} == {_cells(rows[0])}, table


def _hooks():
    pytest.importorskip("mkdocs")
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_generated_block_is_known_and_every_page_in_the_nav_exists():
    hooks = _hooks()
    used = set()
    for page in DOCS.rglob("*.md"):
        used |= set(hooks.MARKER.findall(page.read_text()))
    assert used == set(hooks.GENERATED), (used, set(hooks.GENERATED))
    nav = re.findall(r":\s*([\w/.-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), flags=re.M)
    assert len(nav) >= 14
    assert [p for p in nav if not (DOCS / p).is_file()] == []


def test_readme_is_short_and_its_links_exist():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= README_MAX_LINES
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [link for link in links if "://" not in link]
    assert local, "the README links no local file"
    assert [link for link in local if not (ROOT / link).exists()] == []
