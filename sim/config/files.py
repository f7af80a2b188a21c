"""Reading scenario and experiment TOML files, and resolving a scenario reference.

**Names and paths.** A scenario reference is either a built-in name or a file path, decided by
its text alone, never by what happens to exist in the current folder:

* a *path* contains ``/`` (or the platform's separator) or ends in ``.toml``, or is given as a
  :class:`pathlib.Path`; it must name a ``.toml`` file;
* anything else is a *built-in name* (``sim/scenarios/NAME.toml``), even when a file of that name
  exists here: a local file never shadows a built-in scenario.

A relative path is taken from the current folder for the scenario given at the top, and from the
extending file's own folder for ``meta.extends`` (a built-in's ``extends`` names built-ins only).
``meta.extends`` is a built-in name or a ``.toml`` path: no other file is ever read, so an error
never shows a foreign file's content. Every reading problem (missing, a folder, unreadable, not
UTF-8, bad TOML, nested too deeply, larger than 16 MiB, an ``extends`` cycle) is one line.
"""

from __future__ import annotations

import functools
import os
import tomllib
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

from sim.config.fields import ScenarioError, show
from sim.config.paths import merge
from sim.core.errors import InputError

MAX_DEPTH = 32
"""Deepest nesting of tables and lists a scenario or experiment file may have."""
MAX_BYTES = 16 * 2**20
"""Largest scenario or experiment file read."""
MAX_EXTENDS = 8
"""Longest chain of ``meta.extends``."""


@functools.cache
def _builtin_names() -> tuple[str, ...]:
    root = resources.files("sim") / "scenarios"
    return tuple(sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml")))


def builtin_names() -> list[str]:
    """Names of the scenarios shipped in ``sim/scenarios``."""
    return list(_builtin_names())


def is_path(ref: str | PathLike[str]) -> bool:
    """True when ``ref`` names a file (a Path, or text with a '/' or ending in '.toml'), False for a built-in name."""
    if isinstance(ref, PathLike):
        return True
    return "/" in ref or os.sep in ref or ref.endswith(".toml")


def _depth(data: Any) -> int:
    """Deepest nesting of dicts and lists in ``data`` (iterative: no recursion limit)."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH and isinstance(node, (dict, list)):
            stack.extend((v, depth + 1) for v in (node.values() if isinstance(node, dict) else node))
    return deepest


def parse_toml(raw: bytes, where: str, error: type[InputError] = ScenarioError, field: str = "scenario"
               ) -> dict[str, Any]:
    """Decode (UTF-8) and parse TOML; ``where`` names the file in the one-line error, ``field`` is its field."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{where}: not UTF-8 text (byte {exc.start})", field=field, allowed="UTF-8 TOML") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{where}: invalid TOML: {exc}", field=field, allowed="TOML") from None
    except RecursionError:
        raise error(f"{where}: invalid TOML: nested too deeply", field=field, allowed="TOML") from None
    if _depth(data) > MAX_DEPTH:
        raise error(f"{where}: nested more than {MAX_DEPTH} levels deep", field=field,
                    allowed=f"at most {MAX_DEPTH} levels") from None
    return data


def read_file(path: Path, where: str, error: type[InputError] = ScenarioError, field: str = "scenario") -> bytes:
    """The bytes of a regular ``.toml`` file, or one line saying why not (``where`` names the file)."""
    if path.suffix != ".toml":
        raise error(f"{where}: must be a .toml file", field=field, allowed="a .toml file")
    try:
        if not path.exists():
            raise error(f"{where}: not found", field=field, allowed="an existing .toml file")
        if path.is_dir():
            raise error(f"{where}: is a folder, not a file", field=field, allowed="a .toml file")
        if not path.is_file():
            raise error(f"{where}: not a regular file", field=field, allowed="a .toml file")
        if path.stat().st_size > MAX_BYTES:
            raise error(f"{where}: larger than {MAX_BYTES // 2**20} MiB", field=field, allowed="a .toml file")
        return path.read_bytes()
    except PermissionError:
        raise error(f"{where}: cannot be read (permission denied)", field=field, allowed="a readable file") from None
    except OSError as exc:
        raise error(f"{where}: cannot be read ({exc.strerror or type(exc).__name__})", field=field,
                    allowed="a readable file") from None


def _unknown_builtin(name: str) -> ScenarioError:
    hint = f"; the file {name!r} is read only by a path ending in .toml" if os.path.isfile(name) else ""
    return ScenarioError(f"scenario {name!r}: unknown; built-in scenarios: " + ", ".join(_builtin_names())
                         + f" (or a path to a .toml file){hint}", field="scenario",
                         allowed="a built-in name or a .toml path")


def _read_one(ref: str | PathLike[str], folder: Path | None) -> tuple[dict[str, Any], str, Path | None]:
    """One file's raw dict, its source and its folder (None for a built-in); relative paths from ``folder``."""
    if not is_path(ref):
        if ref not in _builtin_names():
            raise _unknown_builtin(ref)
        raw = (resources.files("sim") / "scenarios" / f"{ref}.toml").read_bytes()
        return parse_toml(raw, f"scenario {ref!r}"), f"built-in {ref}", None
    path = Path(ref)
    if folder is not None and not path.is_absolute():
        path = folder / path
    where = f"scenario file {os.fspath(ref)!r}"
    if not path.exists() and path.stem in _builtin_names():
        raise ScenarioError(f"{where}: not found (the built-in scenario {path.stem!r} is named without "
                            "'.toml' or a folder)", field="scenario", allowed="an existing .toml file")
    data = parse_toml(read_file(path, where), where)
    return data, str(path.resolve()), path.resolve().parent


def _extends(data: dict[str, Any]) -> str:
    meta = data.get("meta")
    parent = meta.get("extends", "") if isinstance(meta, dict) else ""
    if not isinstance(parent, str):
        raise ScenarioError(f"meta.extends = {show(parent)}: must be a string: a built-in scenario name or a path "
                            "to a .toml file", field="meta.extends", allowed="a built-in name or a .toml path")
    if parent and is_path(parent) and not parent.endswith(".toml"):
        raise ScenarioError(f"meta.extends = {parent!r}: must be a built-in scenario name or a path to a .toml file",
                            field="meta.extends", allowed="a built-in name or a .toml path")
    return parent


def read_scenario(ref: str | PathLike[str]) -> tuple[dict[str, Any], str]:
    """The raw dict of a built-in name or a ``.toml`` path, with its ``meta.extends`` chain merged in.

    Returns
    -------
    data, source : dict, str
        The merged raw scenario (not validated) and where it came from: ``'built-in NAME'`` or the
        file's absolute path.
    """
    if not isinstance(ref, (str, PathLike)):
        raise ScenarioError(f"scenario = {show(ref)}: must be a built-in name or a path to a .toml file",
                            field="scenario", allowed="a built-in name or a .toml path")
    data, source, folder = _read_one(ref, Path.cwd())
    chain = [data]
    seen = {source}
    parent = _extends(data)
    while parent:
        if len(chain) > MAX_EXTENDS:
            raise ScenarioError(f"meta.extends = {parent!r}: chain longer than {MAX_EXTENDS}", field="meta.extends")
        if folder is None and is_path(parent):
            raise ScenarioError(f"meta.extends = {parent!r}: a built-in scenario extends built-in names only",
                                field="meta.extends")
        try:
            parent_data, parent_source, folder = _read_one(parent, folder)
        except InputError as exc:
            raise ScenarioError(f"meta.extends = {parent!r}: {exc}", field="meta.extends") from None
        if parent_source in seen:
            raise ScenarioError(f"meta.extends = {parent!r}: must not extend itself (a cycle through "
                                f"{parent_source})", field="meta.extends")
        seen.add(parent_source)
        chain.append(parent_data)
        parent = _extends(parent_data)
    for child in reversed(chain[:-1]):
        chain[-1] = merge(chain[-1], child)
    return chain[-1], source
