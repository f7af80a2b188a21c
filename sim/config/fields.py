"""One declarative field checker: a :class:`Field` spec per input and :func:`check` for all of them.

Every input the package accepts (scenario fields, experiment fields, the seed, the account
calculator's amounts) is described by a :class:`Field`: its type, allowed range or choices,
unit, default and doc. :func:`check` validates a value against it and raises
:class:`~sim.core.errors.InputError` (or the subclass it is given) with one line naming the field
and what is allowed, with ``field=`` and ``allowed=`` set: booleans are not numbers, NaN and
infinities are not finite numbers, nothing is clamped.

Nested inputs are described by :class:`Table` (named fields) and :class:`Items` (a list of
tables): they are the shape :mod:`sim.config.paths` follows for dotted paths, and
:func:`schema_rows` lists every field of a shape (dotted path, type, range, unit, default, doc)
for ``marginsim show --schema`` and the docs.
"""

from __future__ import annotations

import datetime
import difflib
import math
import reprlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, get_args, get_origin

from sim.core.errors import InputError


class ScenarioError(InputError):
    """An invalid scenario (or experiment) value; the message is one line naming the field."""


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxtuple = 2, 6, 4, 6
_REPR.maxstring, _REPR.maxother, _REPR.maxlong = 80, 80, 40


def iso_date(text: str, first: datetime.date, last: datetime.date) -> datetime.date | None:
    """``text`` as a date if it is exactly YYYY-MM-DD within [first, last], else None (the caller words the error)."""
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        return None
    return day if len(text) == 10 and first <= day <= last else None


def show(value: Any) -> str:
    """``repr(value)`` cut short: long strings, long lists and deep nesting never flood a message."""
    return _REPR.repr(value)


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()
"""The ``default`` of a :class:`Field` that has none (a required input)."""


def _num(x: float) -> str:
    return str(x) if isinstance(x, int) and not isinstance(x, bool) else f"{x:g}"


@dataclass(frozen=True)
class Field:
    """What one input may be.

    ``type`` is ``bool``, ``int``, ``float``, ``str``, ``dict`` (a table), ``list`` (of anything)
    or ``list[T]``; ``lo``/``hi`` bound numbers (open with ``lo_open``/``hi_open``), ``choices``
    lists the allowed values, ``length`` bounds a list's length, ``plain`` asks a string to be a
    plain name (usable as a folder name). ``unit``, ``doc`` and ``default`` document the field.
    """
    type: Any = None
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple[Any, ...] | None = None
    unit: str = ""
    doc: str = ""
    length: tuple[int, int] | None = None
    default: Any = NO_DEFAULT
    plain: bool = False

    @property
    def item(self) -> Field:
        """The spec of a list's items (same range, no length)."""
        args = get_args(self.type)
        return Field(type=args[0] if args else None, lo=self.lo, hi=self.hi, lo_open=self.lo_open,
                     hi_open=self.hi_open, choices=self.choices, plain=self.plain)

    @property
    def is_list(self) -> bool:
        return self.type is list or get_origin(self.type) is list

    def range_text(self) -> str:
        """``in [0, 1] (unit)``, ``one of 'a', 'b'``, or '' when any value of the type goes."""
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        unit = f" ({self.unit})" if self.unit else ""
        lo, hi = self.lo, self.hi
        if lo is not None and hi is not None:
            left, right = "(" if self.lo_open else "[", ")" if self.hi_open else "]"
            return f"in {left}{_num(lo)}, {_num(hi)}{right}{unit}"
        if lo is not None:
            return f"{'>' if self.lo_open else '>='} {_num(lo)}{unit}"
        if hi is not None:
            return f"{'<' if self.hi_open else '<='} {_num(hi)}{unit}"
        return unit.strip()

    def noun(self) -> str:
        """The kind of value in words: 'an integer', 'a number', 'a list of numbers'..."""
        if self.is_list:
            return "a list" if self.type is list else f"a list of {_PLURAL[self.item.type]}"
        return _NOUN[self.type]

    def allowed(self) -> str:
        """Everything the field accepts, in words (the ``allowed`` of its errors)."""
        if self.type is bool:
            return "true or false"
        if self.choices and not self.is_list:
            return self.range_text()
        if self.type is str:
            return "a plain name (no '/', not '.' or '..', not empty)" if self.plain else "a string"
        if self.is_list:
            lo_n, hi_n = self.length or (0, None)
            size = f"{lo_n} to {hi_n} " if hi_n is not None else (f"at least {lo_n} " if lo_n else "")
            what = "items" if self.type is list else _PLURAL[self.item.type]
            rng = self.item.range_text() if self.type is not list else ""
            return f"a list of {size}{what}" + (f" {rng}" if rng else "")
        noun = "a finite number" if self.type is float else self.noun()
        rng = self.range_text()
        return f"{noun} {rng}" if rng else noun


_NOUN = {bool: "true or false", int: "an integer", float: "a number", str: "a string", dict: "a table",
         None: "a value"}
_PLURAL = {bool: "booleans", int: "integers", float: "numbers", str: "strings", dict: "tables", None: "values"}


def _fail(value: Any, spec: Field, name: str, error: type[InputError], allowed: str | None = None) -> InputError:
    allowed = allowed or spec.allowed()
    return error(f"{name} = {show(value)}: must be {allowed}", field=name, allowed=allowed)


def _check_number(value: Any, spec: Field, name: str, error: type[InputError]) -> int | float:
    kind = spec.type
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
        raise _fail(value, spec, name, error)
    if spec.choices:
        if value not in spec.choices:
            raise _fail(value, spec, name, error)
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(value, spec, name, error)
    lo, hi = spec.lo, spec.hi
    if (lo is not None and (value <= lo if spec.lo_open else value < lo)) or \
            (hi is not None and (value >= hi if spec.hi_open else value > hi)):
        raise _fail(value, spec, name, error)
    return float(value) if kind is float else int(value)


def is_plain_name(text: str) -> bool:
    """A name usable as one folder name: not empty, no '/' or '\\', not '.' or '..', no control characters."""
    return bool(text) and text not in (".", "..") and "/" not in text and "\\" not in text \
        and text.isprintable() and text.strip() == text


def check(value: Any, spec: Field, name: str, *, error: type[InputError] = InputError) -> Any:
    """``value`` if it is what ``spec`` allows (ints as int, numbers as float), else raise ``error``.

    Parameters
    ----------
    value : Any
        The input, as read from TOML, JSON or the caller.
    spec : Field
        What the field allows.
    name : str
        The field's dotted name, used in the message and as ``error.field``.
    error : type of InputError
        The exception class raised (``ScenarioError`` for scenarios and experiments).

    Returns
    -------
    Any
        The value, with integers given for a float field converted to float.

    Raises
    ------
    InputError
        One line: ``name = value: must be <allowed>``.
    """
    kind = spec.type
    if kind is float or kind is int:
        return _check_number(value, spec, name, error)
    if kind is str:
        if not isinstance(value, str) or (spec.choices and value not in spec.choices) \
                or (spec.plain and not is_plain_name(value)):
            raise _fail(value, spec, name, error)
        return value
    if kind is bool:
        if not isinstance(value, bool):
            raise _fail(value, spec, name, error)
        return value
    if kind is dict:
        if not isinstance(value, dict):
            raise _fail(value, spec, name, error)
        return value
    if spec.is_list:
        lo_n, hi_n = spec.length or (0, None)
        if not isinstance(value, list) or len(value) < lo_n or (hi_n is not None and len(value) > hi_n):
            raise _fail(value, spec, name, error)
        if kind is list:
            return value
        item = spec.item
        return [check(v, item, f"{name}[{i}]", error=error) for i, v in enumerate(value)]
    raise TypeError(f"unsupported field type {kind!r}")  # pragma: no cover - a schema bug


def unknown_key(key: str, allowed: Iterable[str], where: str, *, what: str = "field",
                error: type[InputError] = InputError) -> InputError:
    """The error for a key a table does not have: close matches when there are some, else every allowed key."""
    allowed = list(allowed)
    name = f"{where}.{key}" if where else str(key)
    close = difflib.get_close_matches(str(key), allowed, n=3, cutoff=0.75)
    hint = ("did you mean " + " or ".join(repr(c) for c in close) + "?") if close else "allowed: " + ", ".join(allowed)
    return error(f"{name}: unknown {what}; {hint}", field=name, allowed=", ".join(allowed))


def check_keys(data: Any, allowed: Iterable[str], where: str, *, what: str = "field",
               error: type[InputError] = InputError) -> dict[str, Any]:
    """``data`` if it is a table whose keys are all in ``allowed``, else raise ``error`` naming the first other key."""
    allowed = tuple(allowed)
    if not isinstance(data, dict):
        raise error(f"{where} = {show(data)}: must be a table", field=where, allowed="a table")
    for key in sorted(map(str, data)):
        if key not in allowed:
            raise unknown_key(key, allowed, where, what=what, error=error)
    return data


# ---------------------------------------------------------------------------- nested shapes

@dataclass(frozen=True)
class Table:
    """A table of named fields (a scenario section, the scenario itself)."""
    fields: Mapping[str, Field | Table | Items]
    doc: str = ""
    name: str = "the table"
    key_noun: str = "field"


@dataclass(frozen=True)
class Items:
    """A list of tables of one shape (brokers, events...); ``default`` makes the list a missing one stands for."""
    item: Table
    doc: str = ""
    length: tuple[int, int | None] = (0, None)
    noun: tuple[str, str] = ("item", "items")
    default: Callable[[], list[Any]] = field(default=list)

    def count(self, n: int) -> str:
        """'2 events', '1 broker', 'no events'."""
        return f"no {self.noun[1]}" if n == 0 else f"{n} {self.noun[0] if n == 1 else self.noun[1]}"


Node = Field | Table | Items


def _default_text(spec: Field) -> str:
    return "" if spec.default is NO_DEFAULT else repr(spec.default)


def spec_field(default: Any, **kw: Any) -> Any:
    """A dataclass field with its :class:`Field` spec in the metadata (the type is filled in from the annotation).

    Parameters
    ----------
    default : Any
        The field's default; a list is copied for each instance.
    **kw : Any
        The rest of the :class:`Field` spec (range, choices, unit, doc, ...).

    Returns
    -------
    dataclasses.Field
        For a dataclass body (the scenario sections of :mod:`sim.config.schema`).
    """
    spec = Field(default=default, **kw)
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"spec": spec})
    return field(default=default, metadata={"spec": spec})


def schema_rows(shape: Table | Items, prefix: str = "") -> list[dict[str, str]]:
    """Every table, list and field of ``shape``, depth first.

    Each row has ``path`` (dotted; ``*`` stands for every item of a list), ``type`` ('table',
    'list of tables', 'integer', 'number', 'string', 'boolean', 'list of numbers'...),
    ``allowed`` (range or choices in words), ``unit``, ``default`` (as TOML-like text) and ``doc``.
    """
    rows: list[dict[str, str]] = []
    if isinstance(shape, Items):
        size = f"{shape.length[0]} to {shape.length[1]}" if shape.length[1] is not None else \
            f"at least {shape.length[0]}"
        rows.append({"path": prefix, "type": "list of tables", "allowed": f"{size} {shape.noun[1]}", "unit": "",
                     "default": shape.count(len(shape.default())), "doc": shape.doc})
        return rows + schema_rows(shape.item, f"{prefix}.*")
    if prefix:
        rows.append({"path": prefix, "type": "table", "allowed": "", "unit": "", "default": "", "doc": shape.doc})
    for name, node in shape.fields.items():
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(node, (Table, Items)):
            rows += schema_rows(node, path)
            continue
        kind = node.noun().removeprefix("an ").removeprefix("a ")
        rows.append({"path": path, "type": "boolean" if node.type is bool else kind,
                     "allowed": "" if node.type is bool else node.allowed(), "unit": node.unit,
                     "default": _default_text(node), "doc": node.doc})
    return rows
