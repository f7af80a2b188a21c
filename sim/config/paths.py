"""Dotted paths into nested tables and lists: the one implementation of overrides and parameters.

A path names one field of a raw (TOML-shaped) dict: ``margin.leverage_mean``, ``events.0.size``,
``brokers.1.house_maintenance``; ``*`` in place of an item number means every item
(``letf_funds.*.aum_usd``). Every step is checked against a shape (:class:`~sim.config.fields.Table`
and :class:`~sim.config.fields.Items`), so a bad path fails at once with one line:

* ``margin.accounts.x``: "margin.accounts is a number, not a table";
* ``events.9.size`` on two events: "events.9: the scenario has 2 events (0-1)";
* ``margin.levrage_mean``: "unknown field; did you mean 'leverage_mean'?" (or the allowed names).

A missing table is created empty and a missing list as the shape's default (one default broker,
no events), as the scenario would have it. Values are not range-checked here: the scenario's
validation does that, with the field's own spec.
"""

from __future__ import annotations

import copy
import tomllib
from typing import Any

from sim.config.fields import NO_DEFAULT, Field, Items, Node, ScenarioError, Table, show, unknown_key

OPS = ("set", "add", "scale", "divide")
"""How a value acts on a field: replace it, add to it, multiply it, divide it."""


def _error(where: str, message: str) -> ScenarioError:
    return ScenarioError(f"{where}: {message}", field=where)


def _not_a_table(where: str, spec: Field) -> ScenarioError:
    return ScenarioError(f"{where} is {spec.noun()}, not a table", field=where, allowed=spec.allowed())


def split_path(path: str | list[str] | tuple[str, ...]) -> list[str]:
    """``'a.b.c'`` -> ``['a', 'b', 'c']``; at least two non-empty parts (section.field)."""
    parts = path.split(".") if isinstance(path, str) else [str(p) for p in path]
    if len(parts) < 2 or not all(parts):
        shown = path if isinstance(path, str) else ".".join(parts)
        raise ScenarioError(f"{shown!r}: must be section.field or list.INDEX.field", field=str(shown),
                            allowed="section.field or list.INDEX.field")
    return parts


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse ``section.field=value`` (the value in TOML syntax; a bare word is a string).

    Returns
    -------
    parts, value : list of str, Any
        The path's parts and the parsed value.

    Raises
    ------
    ScenarioError
        Not a string, no ``=``, or a key that is not section.field / list.INDEX.field.
    """
    allowed = "section.field=value"
    if not isinstance(text, str) or "=" not in text:
        raise ScenarioError(f"scenario override {show(text)}: must look like section.field=value",
                            field="scenario override", allowed=allowed)
    key, raw = text.split("=", 1)
    parts = key.strip().split(".")
    if len(parts) < 2 or not all(parts):
        raise ScenarioError(f"scenario override {text!r}: key must be section.field or list.INDEX.field",
                            field="scenario override", allowed=allowed)
    return parts, parse_value(raw, key.strip())


def parse_value(text: str, name: str = "value") -> Any:
    """A value written in TOML syntax (``1.5``, ``true``, ``[1, 2]``), or the bare word as a string."""
    try:
        return tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return text.strip()
    except RecursionError:
        raise ScenarioError(f"{name}: value nested too deeply", field=name) from None


def _index(node: list[Any], part: str, parts: list[str], depth: int, shape: Items, owner: str) -> int:
    """The item number ``part`` names in the list ``node`` (the list at ``parts[:depth]``)."""
    where = ".".join(parts[:depth + 1])
    n = len(node)
    has = f"{owner} has {shape.count(n)}"
    allowed = f"an item number in [0, {n - 1}]" if n else "an existing item (there is none)"
    if not (part.isascii() and part.isdigit()):
        example = ".".join([*parts[:depth], "0", *parts[depth:]])
        raise ScenarioError(f"{where}: {'.'.join(parts[:depth])} is a list: name an item, e.g. {example} ({has})",
                            field=where, allowed=allowed)
    if int(part) >= n:
        rule = f"must be an item number in [0, {n - 1}]" if n else "a path must name an existing item"
        raise ScenarioError(f"{where}: {has}; {rule}", field=where, allowed=allowed)
    return int(part)


def _child(node: Any, part: str, parts: list[str], depth: int, shape: Table, *, create: bool) -> tuple[Any, Node]:
    """Step from the table ``node`` into its key ``part``; creates a missing table or list when ``create``."""
    where = ".".join(parts[:depth])
    if part not in shape.fields:
        raise unknown_key(part, shape.fields, where, what=shape.key_noun, error=ScenarioError)
    sub = shape.fields[part]
    if isinstance(sub, Field):
        return None, sub
    here = ".".join(parts[:depth + 1])
    if not isinstance(node, dict):
        raise _error(where, f"must be a table, not {show(node)}")
    value = node.get(part)
    if value is None:
        value = sub.default() if isinstance(sub, Items) else {}
        if create:
            node[part] = value
    want = list if isinstance(sub, Items) else dict
    if not isinstance(value, want):
        raise _error(here, f"must be {'a list of tables' if want is list else 'a table'}, not {show(value)}")
    return value, sub


def _walk(data: dict[str, Any], parts: list[str], root: Table, *, create: bool) -> tuple[Any, Field]:
    """The container of the field ``parts`` names (a table), and the field's spec."""
    node: Any = data
    shape: Node = root
    for depth, part in enumerate(parts[:-1]):
        if isinstance(shape, Field):
            raise _not_a_table(".".join(parts[:depth]), shape)
        if isinstance(shape, Items):
            owner = root.name if depth == 1 else ".".join(parts[:depth - 1])
            node, shape = node[_index(node, part, parts, depth, shape, owner)], shape.item
        else:
            node, shape = _child(node, part, parts, depth, shape, create=create)
    last = parts[-1]
    where = ".".join(parts)
    if isinstance(shape, Field):
        raise _not_a_table(".".join(parts[:-1]), shape)
    if isinstance(shape, Items):
        example = f"{where}.{next(iter(shape.item.fields))}"
        owner = root.name if len(parts) == 2 else ".".join(parts[:-2])
        _index(node, last, parts, len(parts) - 1, shape, owner)
        raise _error(where, f"name a field of the item, e.g. {example}")
    if last not in shape.fields:
        raise unknown_key(last, shape.fields, ".".join(parts[:-1]), what=shape.key_noun, error=ScenarioError)
    spec = shape.fields[last]
    if not isinstance(spec, Field):
        first = next(iter(spec.item.fields if isinstance(spec, Items) else spec.fields))
        raise _error(where, f"is a {'list' if isinstance(spec, Items) else 'table'}; name one of its fields, "
                            f"e.g. {where}{'.0' if isinstance(spec, Items) else ''}.{first}")
    if not isinstance(node, dict):
        raise _error(".".join(parts[:-1]), f"must be a table, not {show(node)}")
    return node, spec


def set_path(data: dict[str, Any], path: str | list[str], value: Any, shape: Table) -> None:
    """Set the field ``path`` names (no ``*``) to ``value``, in place; missing tables and lists are created."""
    parts = split_path(path)
    node, _ = _walk(data, parts, shape, create=True)
    node[parts[-1]] = value


def get_path(data: dict[str, Any], path: str | list[str], shape: Table) -> Any:
    """The value of the field ``path`` names (no ``*``): the one in ``data``, else the field's default."""
    parts = split_path(path)
    node, spec = _walk(data, parts, shape, create=False)
    if parts[-1] in node:
        return node[parts[-1]]
    if spec.default is NO_DEFAULT:
        raise _error(".".join(parts), "has no value to act on")
    return copy.deepcopy(spec.default)


def expand_path(data: dict[str, Any], path: str | list[str], shape: Table) -> list[list[str]]:
    """The concrete paths ``path`` names: ``*`` expanded over every item of the list it indexes."""
    parts = split_path(path)
    out: list[list[str]] = [[]]
    for depth, part in enumerate(parts):
        if part != "*":
            out = [[*prefix, part] for prefix in out]
            continue
        grown = []
        for prefix in out:
            items, sub = _list_at(data, prefix, shape)
            if sub is None:
                where = ".".join(prefix) or shape.name
                raise _error(".".join(parts[:depth + 1]), f"'*' stands for every item of a list, and {where} "
                                                          "is not a list")
            if not items:
                raise _error(".".join(parts[:depth + 1]), f"'*' stands for every item, and {shape.name} has "
                                                          f"{sub.count(0)}")
            grown.extend([*prefix, str(i)] for i in range(len(items)))
        out = grown
    return out


def _list_at(data: dict[str, Any], prefix: list[str], root: Table) -> tuple[list[Any], Items | None]:
    """The list at ``prefix`` (its shape's default when missing) and its shape; ``None`` if not a list."""
    node: Any = data
    shape: Node = root
    for depth, part in enumerate(prefix):
        if isinstance(shape, Items):
            owner = root.name if depth == 1 else ".".join(prefix[:depth - 1])
            node, shape = node[_index(node, part, prefix, depth, shape, owner)], shape.item
        elif isinstance(shape, Table):
            node, shape = _child(node, part, prefix, depth, shape, create=False)
        else:
            return [], None
    return (node, shape) if isinstance(shape, Items) else ([], None)


def apply_value(data: dict[str, Any], path: str | list[str], value: Any, shape: Table, op: str = "set") -> None:
    """Apply ``value`` to every field ``path`` names (``*`` = every item), in place.

    ``op``: 'set' replaces the field, 'add' adds to it, 'scale' multiplies it, 'divide' divides it
    (the field's value in ``data``, or its default). An integer field stays an integer (rounded).
    """
    if op not in OPS:
        raise ScenarioError(f"op = {op!r}: must be one of {', '.join(OPS)}", field="op", allowed=", ".join(OPS))
    for parts in expand_path(data, path, shape):
        if op == "set":
            set_path(data, parts, value, shape)
            continue
        key = ".".join(parts)
        base = get_path(data, parts, shape)
        if isinstance(base, bool) or not isinstance(base, (int, float)) or isinstance(value, bool) \
                or not isinstance(value, (int, float)):
            raise _error(key, f"op {op!r} needs numbers (field is {show(base)}, value {show(value)})")
        if op == "divide" and value == 0:
            raise _error(key, "op 'divide' by 0")
        new = base + value if op == "add" else base * value if op == "scale" else base / value
        set_path(data, parts, round(new) if isinstance(base, int) else float(new), shape)


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Tables merge field by field; lists (brokers, events, funds, options) replace the base's."""
    out = dict(base)
    for key, value in override.items():
        out[key] = merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return out
