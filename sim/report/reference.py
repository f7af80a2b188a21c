"""Field references as markdown, generated from the schemas (the docs site's reference pages).

:func:`scenario_reference` and :func:`experiment_reference` turn the rows of
:func:`sim.config.schema.scenario_schema` and :func:`sim.config.experiment_spec.experiment_schema`
into one section per table, each with a table of its fields: dotted path, type, allowed values,
unit, default and meaning. Nothing here is written by hand, so the reference cannot drift from
what the loaders check.
"""

from __future__ import annotations

import re

from sim.config.experiment_spec import experiment_schema
from sim.config.outputs import STOCK_COLUMNS, STOCK_DAILY_COLUMNS, STOCK_METRICS
from sim.config.schema import scenario_schema

COLUMNS = ("field", "type", "allowed", "unit", "default", "meaning")
"""The columns of each field table."""



def _is_container(row: dict[str, str]) -> bool:
    """A table or list of tables of the shape (a heading), not a field whose value is a table."""
    return row["type"] == "list of tables" or (row["type"] == "table" and not row["allowed"])


def _cell(text: str) -> str:
    """``text`` safe inside a markdown table cell: pipes, angle brackets and asterisks escaped."""
    text = " ".join(str(text).split())
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
            .replace("*", "\\*"))


def _code(text: str) -> str:
    """``text`` as inline code in a table cell ('' stays empty; a pipe inside code does not split the cell)."""
    return f"`{text}`" if text else ""


def _allowed(row: dict[str, str]) -> str:
    """The row's allowed values, without the unit the range text repeats in parentheses."""
    allowed = row["allowed"] or ("true or false" if row["type"] == "boolean" else "")
    if row["unit"] and allowed.endswith(f" ({row['unit']})"):
        allowed = allowed[: -len(row["unit"]) - 3]
    return allowed


def field_table(rows: list[dict[str, str]]) -> str:
    """A markdown table of schema rows (one line per field), under :data:`COLUMNS`."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = (_code(row["path"]), _cell(row["type"]), _cell(_allowed(row)), _cell(row["unit"]),
                 _code(row["default"]), _cell(row["doc"]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _anchor(path: str) -> str:
    """A stable heading id for a table's dotted path (``parameters.*.targets`` -> ``parameters-targets``)."""
    return re.sub(r"[^a-z0-9]+", "-", path.lower().replace("*", "")).strip("-")


def schema_markdown(rows: list[dict[str, str]], level: int = 2) -> str:
    """One section per table or list of tables in ``rows``, each with a table of its own fields.

    Fields at the top level (outside any table) come first, under no heading. A list of tables'
    path is shown with ``[[...]]`` and its item fields with ``*`` standing for every item, as
    dotted paths (``--set``, experiment parameters) write them.
    """
    containers = [r for r in rows if _is_container(r)]
    owner = {}
    for row in rows:
        parents = [c["path"] for c in containers if row["path"].startswith(c["path"] + ".")]
        owner[row["path"]] = max(parents, key=len, default="").removesuffix(".*")  # a list's item -> the list
    parts = []
    loose = [r for r in rows if not _is_container(r) and owner[r["path"]] == ""]
    if loose:
        parts.append(field_table(loose))
    for box in containers:
        path = box["path"]
        if path.endswith(".*"):  # the item table of a list: its fields go under the list's heading
            continue
        shown = path.replace(".*", "")
        title = f"[[{shown}]]" if box["type"] == "list of tables" else f"[{shown}]"
        parts.append(f"{'#' * level} `{title}` {{#{_anchor(path)}}}")
        about = _sentence(box["doc"])
        if box["type"] == "list of tables":
            about = f"{about} A list of {box['allowed']}; default: {box['default']}.".strip()
        if about:
            parts.append(about)
        own = [r for r in rows if owner[r["path"]] == path and not _is_container(r)]
        if own:
            parts.append(field_table(own))
    return "\n\n".join(parts) + "\n"


def _sentence(text: str) -> str:
    """``text`` as a sentence: capital first letter, full stop."""
    text = _cell(text).strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) or not text else ".")


def scenario_reference(level: int = 2) -> str:
    """Every scenario section and field (from :func:`~sim.config.schema.scenario_schema`) as markdown."""
    return schema_markdown(scenario_schema(), level)


def experiment_reference(level: int = 2) -> str:
    """Every experiment table and field (from :func:`~sim.config.experiment_spec.experiment_schema`) as markdown."""
    return schema_markdown(experiment_schema(), level)


def _column_table(columns: dict[str, str], header: str) -> str:
    lines = [f"| {header} | what it holds |", "|---|---|"]
    lines += [f"| `{name}` | {_cell(_sentence(text))} |" for name, text in columns.items()]
    return "\n".join(lines) + "\n"


def output_reference(level: int = 2) -> str:
    """The stock layer's outputs, from the dictionaries (:mod:`sim.config.outputs`) :mod:`sim.run.stocks` fills them by.

    ``stocks.parquet``'s columns, the daily ``stock_*`` columns a run adds to ``timeseries`` and the
    summary's ``stocks`` table: the same dictionaries the run layer writes, so the page cannot
    drift from the files.
    """
    h = "#" * level
    return "\n".join([
        f"{h} `stocks.parquet`\n",
        "One row per trading day and stock (day-major), with `stocks.enabled`:\n",
        _column_table(STOCK_COLUMNS, "column"),
        f"{h} Daily stock columns in `timeseries`\n",
        "Added to the run's daily series (`timeseries.parquet`) with `stocks.enabled`:\n",
        _column_table(STOCK_DAILY_COLUMNS, "column"),
        f"{h} The summary's `stocks` table\n",
        "In `summary.json` (and `result.summary['stocks']`) with `stocks.enabled`:\n",
        _column_table(STOCK_METRICS, "metric"),
    ])
