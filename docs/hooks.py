"""MkDocs hooks (``hooks:`` in mkdocs.yml): the generated reference pages and the committed results.

* A page holding ``<!-- generated: NAME -->`` gets the markdown that :data:`GENERATED` makes for
  NAME in its place, at build time: the scenario and experiment field references (from the
  schemas), and the command-line reference (from the ``marginsim`` parser).
* The committed figures and reports under ``results/`` are added to the site at the same paths,
  so a page links ``results/demo/overview.png`` as the README does (relative to the site root).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # build from a checkout without installing the package
    sys.path.insert(0, str(ROOT))


def _scenario_fields() -> str:
    from sim.report.reference import scenario_reference
    return scenario_reference()


def _experiment_fields() -> str:
    from sim.report.reference import experiment_reference
    return experiment_reference()


def _outputs() -> str:
    from sim.report.reference import output_reference
    return output_reference()


def _cli() -> str:
    from sim.apps.cli.reference import cli_reference
    return cli_reference()


GENERATED: dict[str, Callable[[], str]] = {
    "scenario-fields": _scenario_fields,
    "experiment-fields": _experiment_fields,
    "cli": _cli,
    "outputs": _outputs,
}
"""Marker name -> the function that writes its markdown."""

MARKER = re.compile(r"^<!-- generated: ([a-z-]+) -->$", re.M)

RESULT_SUFFIXES = {".png", ".md"}
SKIPPED = re.compile(r"(^|/)(runs|figures-quick|[^/]*-small|chunks|series)(/|$)")
"""Folders under results/ that hold local, untracked outputs (git ignores them)."""


def on_files(files: Files, config) -> Files:
    """Add the committed figures and reports under results/ to the site."""
    for path in sorted((ROOT / "results").rglob("*")):
        rel = path.relative_to(ROOT).as_posix()
        if path.is_file() and path.suffix in RESULT_SUFFIXES and not SKIPPED.search(rel):
            files.append(File(rel, str(ROOT), config["site_dir"], config["use_directory_urls"]))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Replace each ``<!-- generated: NAME -->`` line with the generated markdown."""
    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in GENERATED:
            raise ValueError(f"{page.file.src_uri}: unknown generated block {name!r} (known: {', '.join(GENERATED)})")
        return GENERATED[name]()
    return MARKER.sub(replace, markdown)
