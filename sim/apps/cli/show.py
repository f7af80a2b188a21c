"""``marginsim show`` and ``marginsim scenarios``: the scenarios, their fields and what each field may be."""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import Any

from sim.apps.cli.common import add_command, add_overrides, add_scenario

DOC_WIDTH = 100
"""Width the field reference's doc lines are wrapped to."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``scenarios`` and ``show``."""
    scen = add_command(sub, "scenarios", "list the built-in scenarios", """
        List the built-in scenarios, each with its one-line description. Any of them (or a .toml
        file of your own) can be given to run, show, attribute and the experiments.""", """
        marginsim scenarios
        marginsim show gfc-2007 --schema     # then every field of one of them""")
    scen.set_defaults(handler=cmd_scenarios)

    show = add_command(sub, "show", "print a resolved scenario as JSON, or its field reference (--schema)", """
        Print a scenario with every default filled in and every override applied, as JSON, with
        the hash that identifies it in summaries and experiments (the hash leaves out fields
        added after version 0.1.0 while they keep their defaults, so old hashes stay valid).
        With --schema, print the reference of every field instead: its value in this scenario,
        type and allowed range, unit, default and meaning.""", """
        marginsim show baseline
        marginsim show finra-2026-05 --set margin.accounts=77 --set simulation.days=120
        marginsim show finra-2026-05 --schema                 # every field: type, range, unit, default
        marginsim show finra-2026-05 --schema | grep -A2 maintenance
        marginsim show baseline --schema --json               # the same as JSON, for tools""")
    add_scenario(show)
    add_overrides(show)
    show.add_argument("--schema", action="store_true",
                      help="print every field's value, type and range, unit, default and meaning")
    show.add_argument("--json", action="store_true",
                      help="with --schema: the fields as JSON (the scenario itself is always JSON)")
    show.set_defaults(handler=cmd_show)


def cmd_scenarios(args: argparse.Namespace) -> int:
    from sim.config.scenario import scenarios

    listed = scenarios()
    width = max(len(name) for name in listed)
    for name, description in listed.items():
        print(f"{name:<{width}}  {description}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from sim.config.scenario import load
    from sim.config.schema import scenario_schema

    spec = load(args.scenario, args.overrides)
    data = spec.to_dict(full=True)
    if not args.schema:
        print(json.dumps({"scenario_hash": spec.hash(), "scenario": data}, indent=2))
        return 0
    rows = [_with_value(row, data) for row in scenario_schema() if not row["path"].endswith(".*")]
    if args.json:
        print(json.dumps({"scenario_name": spec.meta.name, "scenario_hash": spec.hash(), "fields": rows}, indent=2))
    else:
        print(schema_text(spec.meta.name, spec.hash(), rows))
    return 0


def _with_value(row: dict[str, str], data: dict[str, Any]) -> dict[str, Any]:
    """The schema row with its value in ``data``: a field's value, a list's number of items, nothing for a table."""
    if row["type"] == "table":
        return dict(row)
    value = value_at(data, row["path"])
    return {**row, "value": len(value) if row["type"] == "list of tables" else value}


def value_at(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` of a scenario dict; ``*`` gives the list of every item's."""
    head, _, rest = path.partition(".")
    node = data[head]
    if not rest:
        return node
    if rest.startswith("*."):
        return [value_at(item, rest[2:]) for item in node]
    return value_at(node, rest)


def _kind(row: dict[str, str]) -> str:
    """'number in [0, 1], annual' from the row's type, allowed values and unit."""
    allowed, unit = row["allowed"] or row["type"], row["unit"]
    if unit and allowed.endswith(f" ({unit})"):
        allowed = allowed[:-len(unit) - 3]
    allowed = allowed.removeprefix("an ").removeprefix("a ").replace("finite number", "number", 1)
    return allowed + (f", {unit}" if unit else "")


def _value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:56] + " ..."


def _wrap(text: str, indent: int, first: int | None = None) -> list[str]:
    """``text`` wrapped to :data:`DOC_WIDTH`, indented by ``indent`` (the first line by ``first``)."""
    return textwrap.wrap(text, DOC_WIDTH, initial_indent=" " * (indent if first is None else first),
                         subsequent_indent=" " * indent)


def _event_sizes() -> list[str]:
    """What ``size`` means for each event kind, one line each."""
    from sim.config.schema import EVENT_SIZES

    width = max(len(kind) for kind in EVENT_SIZES)
    lines = ["      by kind:"]
    for kind, (lo, hi, meaning) in EVENT_SIZES.items():
        lines += _wrap(f"{kind:<{width}}  in [{lo:g}, {hi:g}]: {meaning}", 10 + width, first=8)
    return lines


def schema_text(name: str, scenario_hash: str, rows: list[dict[str, Any]]) -> str:
    """The field reference as text: a header per table or list, then each field on two or three lines."""
    lines = [f"{name} (hash {scenario_hash}): every field, its value here, type and allowed values, unit,",
             "default and meaning. Change one with --set PATH=VALUE; in a list, PATH.N.FIELD is item N's field",
             "(from 0) and PATH.*.FIELD every item's."]
    for row in rows:
        doc = row["doc"].replace("``", "`")
        if row["type"] == "table":
            lines += ["", *_wrap(f"[{row['path']}]  {doc}", 4, first=0)]
        elif row["type"] == "list of tables":
            bound = f"{row['allowed']}; " if not row["allowed"].startswith("at least 0") else ""
            lines += ["", *_wrap(f"[[{row['path']}]]  {row['value']} here ({bound}default {row['default']}). "
                                 f"{doc} Each field shows every item's value.", 4, first=0)]
        else:
            lines.append(f"  {row['path']} = {_value(row['value'])}")
            lines += _wrap(f"{_kind(row)}; default {row['default']}", 6)
            lines += _wrap(doc, 6) if doc else []
            if row["path"] == "events.*.size":
                lines += _event_sizes()
    return "\n".join(lines)
